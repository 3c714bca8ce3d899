//! Pagination that never ends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::{hub_id, hub_ids, hub_model, with_cursor};
use crate::common::raw::{RawServer, Response};
use crate::common::{catalog, hub_catalog, hub_fetch, ids, ndjson};

#[test]
fn a_link_back_to_an_already_fetched_page_stops_with_an_error() {
    // Page 1 -> page 2 -> page 1 again.
    let first: Arc<Mutex<Option<url::Url>>> = Arc::default();
    let remembered = first.clone();
    let server = RawServer::start(move |req| {
        let url = req.url();
        if req.n == 1 {
            *remembered.lock().unwrap() = Some(url.clone());
        }
        let start = if req.query("cursor").is_some() { 100 } else { 0 };
        let body: Vec<serde_json::Value> = (start..start + 100).map(|i| hub_model(&hub_id(i), i)).collect();
        let next = if start == 0 {
            with_cursor(&url, 100)
        } else {
            remembered.lock().unwrap().clone().unwrap()
        };
        respond(Response::json(200, &json!(body)).header("Link", format!("<{next}>; rel=\"next\"")))
    });
    let started = Instant::now();
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(server.count(), 2, "the loop is noticed before it is followed");
    assert_eq!(ids(&ndjson(stdout_of(&out))), hub_ids(200));
    let line = summary_line(&stderr_of(&out), "hug");
    let first = first.lock().unwrap().clone().unwrap();
    assert!(
        line.contains(&format!(
            "pagination does not end: the next page was already fetched (at {first})"
        )),
        "{line}"
    );
}

#[test]
fn a_link_to_the_page_itself_stops_with_an_error() {
    let server = RawServer::start(|req| {
        respond(
            Response::json(200, &json!([hub_model("org/only", 0)]))
                .header("Link", format!("<{}>; rel=\"next\"", req.url())),
        )
    });
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(server.count(), 1);
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["org/only"]);
    assert!(summary_line(&stderr_of(&out), "hug").contains("pagination does not end"));
}

#[test]
fn a_google_next_page_token_that_repeats_stops_with_an_error() {
    let server = RawServer::start(|req| {
        respond(Response::json(
            200,
            &json!({
                "models": [{"name": format!("models/gemini-{}", req.n), "displayName": "G"}],
                "nextPageToken": "same-token",
            }),
        ))
    });
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_GOOGLE_URL", server.url("/v1beta/models"))
        .env("GEMINI_API_KEY", "AIza-test")
        .args(["fetch", "-p", "google", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "the repeated token is not requested a third time");
    assert_eq!(seen[0].query("pageSize").as_deref(), Some("1000"));
    assert_eq!(seen[0].query("pageToken"), None);
    assert_eq!(seen[1].query("pageToken").as_deref(), Some("same-token"));
    assert!(seen
        .iter()
        .all(|r| r.header("x-goog-api-key") == Some("AIza-test")));
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["gemini-1", "gemini-2"]);
    let line = summary_line(&stderr_of(&out), "google");
    assert!(line.contains("pagination does not end"), "{line}");
    assert!(line.contains("pageToken=same-token"), "{line}");
}

#[test]
fn endless_pages_with_fresh_cursors_stop_at_the_limit() {
    // One model per page, forever, each with a new cursor.
    let server = RawServer::start(|req| {
        let url = req.url();
        let i = usize::try_from(req.n).unwrap();
        respond(
            Response::json(200, &json!([hub_model(&format!("org/m-{i:04}"), i)]))
                .header("Link", format!("<{}>; rel=\"next\"", with_cursor(&url, i))),
        )
    });
    let started = Instant::now();
    let out = hub_catalog(&server)
        .args([
            "fetch",
            "-p",
            "hug",
            "--limit",
            "50",
            "--batch-size",
            "10",
            "-f",
            "ndjson",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    let want: Vec<String> = (1..=50).map(|i| format!("org/m-{i:04}")).collect();
    assert_eq!(ids(&ndjson(stdout_of(&out))), want);
    let seen = server.requests();
    assert_eq!(seen.len(), 50, "no request after the 50th model");
    assert_eq!(seen[0].query("limit").as_deref(), Some("10"));
}

#[test]
fn a_page_numbered_listing_that_ignores_the_page_stops_with_an_error() {
    // Featherless pages by `page`; this server returns the same page forever.
    let server = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!({"data": [{"id": "a/one"}, {"id": "b/two"}]}),
        ))
    });
    let out = catalog()
        .env("CATALOG_FEATHERLESS_URL", server.url("/v1/models"))
        .args(["fetch", "-p", "featherless", "--batch-size", "2", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["a/one", "b/two"]);
    let seen = server.requests();
    assert!(seen.len() <= 5, "stopped after {} requests", seen.len());
    let pages: Vec<Option<String>> = seen.iter().map(|r| r.query("page")).collect();
    assert_eq!(pages[..2], [Some("1".to_owned()), Some("2".to_owned())]);
    let line = summary_line(&stderr_of(&out), "featherless");
    assert!(line.contains("pagination does not end"), "{line}");
    assert!(line.contains("the server is not advancing"), "{line}");
}

#[test]
fn an_endless_listing_without_a_limit_fails_at_the_page_ceiling() {
    // A configured provider with no limit, paged by offset, serving fresh
    // models on every page for ever.
    let server = RawServer::start(|req| {
        let offset: usize = req.query("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        respond(Response::json(
            200,
            &json!({"data": (offset..offset + 2).map(|i| json!({"id": format!("m-{i}")})).collect::<Vec<_>>()}),
        ))
    });
    let dir = crate::common::fresh_dir("ceiling");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.endless]\nurl = \"{}\"\npaging = \"offset\"\npage_size = 2\n",
            server.url("/v1/models")
        ),
    )
    .unwrap();
    let out = crate::common::catalog()
        .arg("--config")
        .arg(&config)
        .args(["fetch", "-p", "endless", "--max-pages", "7", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(server.count(), 7);
    assert_eq!(
        ndjson(stdout_of(&out)).len(),
        14,
        "the pages before the ceiling are kept"
    );
    let line = summary_line(&stderr_of(&out), "endless");
    assert!(line.contains("7 pages and still going (--max-pages 7)"), "{line}");
}
