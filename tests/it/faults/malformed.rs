//! Malformed pages and models.

use serde_json::json;

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::hub_ids;
use crate::common::raw::{hub_page, RawServer, Response};
use crate::common::{catalog, hub_catalog, hub_fetch, ids, ndjson};

/// A 200-model Hub whose second page is `bad` (status, content type, body).
fn hub_with_bad_page_2(status: u16, content_type: &'static str, bad: &'static str) -> RawServer {
    RawServer::start(move |req| {
        if req.n == 1 {
            respond(hub_page(req, 200))
        } else {
            respond(
                Response::new(status)
                    .header("Content-Type", content_type)
                    .body(bad),
            )
        }
    })
}

fn assert_page_2_fails(server: &RawServer, reason: &str) {
    let out = hub_fetch(server)
        .args(["-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "a malformed page is not retried");
    let stderr = stderr_of(&out);
    let line = summary_line(&stderr, "hug");
    let url = seen[1].url();
    assert!(
        line.contains(&format!(
            "page 2 from {url} is not a valid huggingface listing: {reason}"
        )),
        "{line}"
    );
    assert!(line.contains("failed after 100 models"), "{line}");
    assert_eq!(
        ids(&ndjson(stdout_of(&out))),
        hub_ids(100),
        "page 1 stays written"
    );
}

#[test]
fn truncated_json_fails_the_provider_naming_page_and_url() {
    let server = hub_with_bad_page_2(
        200,
        "application/json",
        r#"[{"id":"a/b","downloads":1},{"id":"c/"#,
    );
    assert_page_2_fails(&server, "invalid JSON");
}

#[test]
fn an_html_error_page_with_status_200_fails_the_provider_naming_page_and_url() {
    let server = hub_with_bad_page_2(
        200,
        "text/html",
        "<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>",
    );
    assert_page_2_fails(&server, "expected JSON, got an HTML page");
}

#[test]
fn a_wrong_top_level_shape_fails_the_provider_naming_page_and_url() {
    let server = hub_with_bad_page_2(200, "application/json", r#"{"error":"x"}"#);
    assert_page_2_fails(
        &server,
        "expected a JSON array or an object with a \"data\" or \"models\" array",
    );
}

#[test]
fn a_wrong_shape_from_an_openai_style_provider_names_it_page_1_and_the_url() {
    let server = RawServer::start(|_| respond(Response::json(200, &json!({"error": "x"}))));
    let out = catalog()
        .env("CATALOG_GROQ_URL", server.url("/openai/v1/models"))
        .env("GROQ_API_KEY", "gsk-test")
        .args(["fetch", "-p", "groq"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let line = summary_line(&stderr_of(&out), "groq");
    assert!(
        line.contains(&format!(
            "page 1 from {} is not a valid openai listing",
            server.url("/openai/v1/models")
        )),
        "{line}"
    );
    assert_eq!(stdout_of(&out), b"[]\n");
}

#[test]
fn one_model_with_a_wrong_typed_field_is_skipped_and_counted() {
    let server = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!([
                {"id": "org/good-1", "downloads": 10},
                {"id": "org/bad", "downloads": "many"},
                {"id": "org/good-2", "likes": 3},
            ]),
        ))
    });
    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["org/good-1", "org/good-2"]);
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(line.contains("2 models, 1 page"), "{line}");
    assert!(line.contains("(1 malformed model skipped)"), "{line}");
    // Said once, in the summary; the reason is for -v.
    assert_eq!(
        stderr_of(&out).matches("malformed").count(),
        1,
        "{}",
        stderr_of(&out)
    );
    let verbose = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-f", "ndjson", "-v"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        stderr_of(&verbose).contains("hug: skipped a malformed model: invalid type"),
        "{}",
        stderr_of(&verbose)
    );
}

#[test]
fn dates_rfc_3339_cannot_write_are_unknown_and_the_cache_reads_back() {
    let hub = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!([
                {"id": "org/far", "createdAt": "9999-12-31T23:59:59-05:00"},
                {"id": "org/near", "createdAt": "2025-11-04T08:25:31.000Z"},
            ]),
        ))
    });
    let groq = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!({"data": [{"id": "m", "created": 253_402_300_800_i64}]}),
        ))
    });
    let cache = crate::common::fresh_dir("dates");
    let run = |extra: &[&str]| {
        let out = catalog()
            .env("CATALOG_CACHE_DIR", &cache)
            .env("CATALOG_HUG_URL", hub.url("/api/models"))
            .env("CATALOG_GROQ_URL", groq.url("/openai/v1/models"))
            .env("GROQ_API_KEY", "gsk_test")
            .args(["fetch", "-p", "hug,groq", "--delay-ms", "0", "-f", "ndjson"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        ndjson(stdout_of(&out))
    };
    for records in [run(&[]), run(&["--offline"])] {
        let created: Vec<&serde_json::Value> = records.iter().map(|r| &r["created"]).collect();
        assert_eq!(
            created,
            [&json!(null), &json!("2025-11-04T08:25:31Z"), &json!(null)],
            "{records:?}"
        );
    }
}

#[test]
fn a_panic_in_one_providers_harvest_fails_that_provider_and_the_others_are_written() {
    let hub = RawServer::start(|_| respond(Response::json(200, &json!([{"id": "org/m"}]))));
    let groq = RawServer::start(|_| respond(Response::json(200, &json!({"data": [{"id": "g"}]}))));
    let out = catalog()
        .env("CATALOG_HUG_URL", hub.url("/api/models"))
        .env("CATALOG_GROQ_URL", groq.url("/openai/v1/models"))
        .env("GROQ_API_KEY", "gsk_test")
        .env("CATALOG_TEST_PANIC", "hug")
        .args(["fetch", "-p", "hug,groq", "--delay-ms", "0", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["g"]);
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(
        line.contains("internal error, please report it: CATALOG_TEST_PANIC asked hug to panic"),
        "{line}"
    );
}
