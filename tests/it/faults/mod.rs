//! Fault injection and security: flaky, hanging, lying and hostile servers,
//! signals while writing, credential scoping and secrets. Every server is on
//! loopback; every wait runs at `CATALOG_TEST_TIME_SCALE` and every network
//! stall is bounded by a small `--timeout`.

use crate::common::RunExt as _;

use std::fs;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::hub::{FakeHub, Faults};
use crate::common::raw::{
    clock_random, contains, files_under, hub_id, hub_ids, hub_model, hub_page, names_ending, with_cursor,
    Action, RawRequest, RawServer, Response,
};
use crate::common::{catalog, catalog_std, fresh_dir, hub_server, hub_url, ids, ndjson, providers};
use serde_json::json;

/// The listing path the raw Hub servers answer on.
const HUB: &str = "/api/models";

fn stdout_of(o: &Output) -> &[u8] {
    &o.stdout
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The summary line of `provider` on stderr.
fn summary_line(stderr: &str, provider: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with(&format!("{provider} ")))
        .unwrap_or_else(|| panic!("no summary line for {provider}:\n{stderr}"))
        .to_owned()
}

fn respond(r: Response) -> Action {
    Action::Respond(r)
}

/// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`) for `Retry-After`.
fn http_date(t: SystemTime) -> String {
    let secs = i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap();
    // "2015-10-21T07:28:00Z" from the library, rearranged.
    let iso = catalog::record::Timestamp(secs).to_string();
    let (y, m, d, time) = (&iso[0..4], &iso[5..7], &iso[8..10], &iso[11..19]);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        [usize::try_from(secs.div_euclid(86_400).rem_euclid(7)).unwrap()];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m.parse::<usize>().unwrap() - 1];
    format!("{weekday}, {d} {month} {y} {time} GMT")
}

/// Whole seconds from now to `secs` seconds ahead, as an HTTP date.
fn http_date_in(secs: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    http_date(UNIX_EPOCH + Duration::from_secs(now + secs))
}

#[test]
fn http_dates_are_imf_fixdates() {
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(1_445_412_480)),
        "Wed, 21 Oct 2015 07:28:00 GMT"
    );
}

// ---------------------------------------------------------------------------
// 1. Transient failures: 5xx every 7th request and connection resets.
// ---------------------------------------------------------------------------

/// 503, 502, 504 in turn on every 7th request; a reset on every 11th.
fn flaky_hub(total: usize) -> RawServer {
    RawServer::start(move |req| {
        if req.n.is_multiple_of(7) {
            let status = [503, 502, 504][usize::try_from(req.n / 7 % 3).unwrap()];
            return respond(Response::json(status, &json!({"error": "injected"})));
        }
        if req.n.is_multiple_of(11) {
            return Action::Reset;
        }
        respond(hub_page(req, total))
    })
}

fn flaky(n: u64) -> bool {
    n.is_multiple_of(7) || n.is_multiple_of(11)
}

/// Requests the flaky hub sees for `pages` successful pages.
fn flaky_requests(pages: u64) -> u64 {
    let (mut n, mut ok) = (0, 0);
    while ok < pages {
        n += 1;
        if !flaky(n) {
            ok += 1;
        }
    }
    n
}

fn assert_retries_asked_the_same_page(requests: &[RawRequest]) {
    for pair in requests.windows(2) {
        if flaky(pair[0].n) {
            assert_eq!(
                pair[0].target, pair[1].target,
                "request {} failed; the retry must ask for the same cursor",
                pair[0].n
            );
        } else {
            assert_ne!(pair[0].target, pair[1].target, "a good page is not asked again");
        }
    }
}

#[test]
fn five_thousand_models_through_5xx_every_7th_request_and_resets_arrive_exactly_once_in_order() {
    let server = flaky_hub(5000);
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "100",
            "-f",
            "ndjson",
            "--delay-ms",
            "0",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let got = ids(&ndjson(stdout_of(&out)));
    assert_eq!(got.len(), 5000);
    assert_eq!(
        got,
        hub_ids(5000),
        "exactly the server's ids, in order, no duplicates"
    );
    let requests = server.requests();
    assert_eq!(
        requests.len() as u64,
        flaky_requests(50),
        "50 pages plus one retry per fault"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.n.is_multiple_of(11) && !r.n.is_multiple_of(7)),
        "some resets happened"
    );
    assert_retries_asked_the_same_page(&requests);
    let stderr = stderr_of(&out);
    assert!(
        summary_line(&stderr, "hug").contains("5000 models, 50 pages"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fake_hub_503_on_every_7th_request_loses_and_repeats_nothing() {
    let hub = FakeHub::new(5000).with_faults(Faults {
        fail_every: Some(7),
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let out = catalog()
        .env("CATALOG_HUG_URL", hub_url(&server))
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "100",
            "-f",
            "ndjson",
            "--delay-ms",
            "0",
        ])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    // 50 good pages; requests 7, 14, ..., 56 failed: 58 in all.
    assert_eq!(hub.seen().len(), 58);
}

#[test]
fn fifty_thousand_models_in_pages_of_1000_through_5xx_and_resets_arrive_exactly_once_in_order() {
    let server = flaky_hub(50_000);
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "1000",
            "-f",
            "ndjson",
            "--delay-ms",
            "0",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let got = ids(&ndjson(stdout_of(&out)));
    assert_eq!(got.len(), 50_000);
    assert!(got == hub_ids(50_000), "exactly the server's ids, in order");
    let requests = server.requests();
    assert_eq!(requests.len() as u64, flaky_requests(50));
    assert_retries_asked_the_same_page(&requests);
    assert!(
        requests[0].target.contains("limit=1000"),
        "{}",
        requests[0].target
    );
    assert!(summary_line(&stderr_of(&out), "hug").contains("50000 models, 50 pages"));
}

// ---------------------------------------------------------------------------
// 2. Rate limits: the server-stated wait, then the same cursor.
// ---------------------------------------------------------------------------

/// A 300-model Hub whose second request gets a 429 with `headers`.
fn hub_429_at_2(headers: Vec<(&'static str, String)>) -> RawServer {
    RawServer::start(move |req| {
        if req.n == 2 {
            let mut r = Response::json(429, &json!({"error": "rate limited"}));
            for (k, v) in &headers {
                r = r.header(k, v.clone());
            }
            return respond(r);
        }
        respond(hub_page(req, 300))
    })
}

fn assert_waits_then_resumes(headers: Vec<(&'static str, String)>, min_gap: Duration) {
    let server = hub_429_at_2(headers.clone());
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--delay-ms", "0"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), hub_ids(300), "{headers:?}");
    let seen = server.requests();
    assert_eq!(
        seen.len(),
        4,
        "3 pages and the one retried after the 429 ({headers:?})"
    );
    assert_eq!(
        seen[1].target, seen[2].target,
        "resumes at the same cursor ({headers:?})"
    );
    assert_eq!(seen[1].query("cursor").as_deref(), Some("c100"));
    let gap = seen[2].at - seen[1].at;
    assert!(
        gap >= min_gap,
        "{headers:?}: waited only {gap:?}, expected {min_gap:?}"
    );
}

#[test]
fn a_429_with_ratelimit_r0_waits_for_the_window_then_resumes() {
    // t=4 plus the one-second margin, at 1/100 of real time.
    assert_waits_then_resumes(
        vec![("RateLimit", "\"api\";r=0;t=4".into())],
        Duration::from_millis(48),
    );
}

#[test]
fn a_429_with_retry_after_seconds_waits_then_resumes() {
    assert_waits_then_resumes(vec![("Retry-After", "6".into())], Duration::from_millis(58));
}

#[test]
fn a_429_with_retry_after_http_date_waits_then_resumes() {
    // 5 whole seconds ahead is more than 4 s from now, 40 ms scaled.
    assert_waits_then_resumes(vec![("Retry-After", http_date_in(5))], Duration::from_millis(38));
}

#[test]
fn a_429_without_any_wait_header_backs_off_then_resumes() {
    // The first backoff step is 0.5..1 s, 5..10 ms scaled.
    assert_waits_then_resumes(vec![], Duration::from_millis(4));
}

/// The seconds in "asks to wait Ns".
fn asked_wait(stderr: &str) -> u64 {
    let at = stderr
        .find("asks to wait ")
        .unwrap_or_else(|| panic!("no wait in:\n{stderr}"));
    stderr[at + "asks to wait ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn assert_wait_too_long(headers: Vec<(&'static str, String)>, expect: std::ops::RangeInclusive<u64>) {
    let server = hub_429_at_2(headers.clone());
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "-f",
            "ndjson",
            "--delay-ms",
            "0",
            "--max-wait",
            "60",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no wait was attempted"
    );
    let stderr = stderr_of(&out);
    let line = summary_line(&stderr, "hug");
    assert!(line.contains("failed after 100 models"), "{line}");
    assert!(line.contains("asks to wait"), "{line}");
    assert!(line.contains("more than --max-wait 60s"), "{line}");
    let wait = asked_wait(&line);
    assert!(
        expect.contains(&wait),
        "{headers:?}: asked {wait}s, expected {expect:?}"
    );
    assert_eq!(server.count(), 2, "no retry after a refused wait");
    assert_eq!(
        ids(&ndjson(stdout_of(&out))),
        hub_ids(100),
        "page 1 is still written"
    );
}

#[test]
fn a_ratelimit_window_longer_than_max_wait_fails_the_provider_with_the_wait() {
    assert_wait_too_long(vec![("RateLimit", "\"api\";r=0;t=900".into())], 901..=901);
}

#[test]
fn a_retry_after_longer_than_max_wait_fails_the_provider_with_the_wait() {
    assert_wait_too_long(vec![("Retry-After", "120".into())], 120..=120);
}

#[test]
fn a_retry_after_date_beyond_max_wait_fails_the_provider_with_the_wait() {
    assert_wait_too_long(vec![("Retry-After", http_date_in(1000))], 990..=1000);
}

// ---------------------------------------------------------------------------
// 3. Servers that never answer, stall mid-body, or trickle.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_and_the_other_provider_is_still_written() {
    let hang = RawServer::start(|_| Action::Hang);
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_CHUTES_URL", hang.url("/v1/models"))
        .env("CATALOG_HUG_URL", hub_url(&server))
        .args([
            "fetch",
            "-p",
            "chutes,hug",
            "-f",
            "ndjson",
            "--timeout",
            "1",
            "--retries",
            "1",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(20), "hang guard: {elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(1900),
        "two attempts of a 1 s timeout: {elapsed:?}"
    );
    assert_eq!(ids(&ndjson(stdout_of(&out))), hub.ids(), "hug is written");
    assert_eq!(hang.count(), 2, "one attempt and one retry");
    let stderr = stderr_of(&out);
    let chutes = summary_line(&stderr, "chutes");
    assert!(chutes.contains("failed after 0 models"), "{chutes}");
    assert!(
        chutes.contains(&format!(
            "request to {} failed after 2 attempt(s)",
            hang.url("/v1/models")
        )),
        "{chutes}"
    );
    assert!(chutes.to_lowercase().contains("timed out"), "{chutes}");
    assert!(
        summary_line(&stderr, "hug").contains("30 models, 1 page"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stalls_mid_way_times_out_and_the_other_provider_is_still_written() {
    // Page 1 is whole; page 2 sends its head and 50 bytes, then nothing.
    let hub = RawServer::start(|req| {
        let page = hub_page(req, 300);
        if req.n == 1 {
            respond(page)
        } else {
            Action::Stall {
                response: page,
                sent: 50,
            }
        }
    });
    let groq = wiremock::MockServer::start().await;
    let spec = providers::PROVIDERS.iter().find(|p| p.name == "groq").unwrap();
    providers::mount(&groq, spec, Some("gsk-test")).await;
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_HUG_URL", hub.url(HUB))
        .env("CATALOG_GROQ_URL", format!("{}{}", groq.uri(), spec.path))
        .env("GROQ_API_KEY", "gsk-test")
        .args([
            "fetch",
            "-p",
            "hug,groq",
            "-f",
            "ndjson",
            "--timeout",
            "1",
            "--retries",
            "1",
        ])
        .args(["--delay-ms", "0"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(20), "hang guard: {elapsed:?}");
    let records = ndjson(stdout_of(&out));
    assert_eq!(
        records.len(),
        120,
        "100 hug records delivered before the stall, 20 groq"
    );
    assert_eq!(ids(&records[..100]), hub_ids(100));
    assert!(records[100..].iter().all(|r| r["provider"] == "groq"));
    assert_eq!(records[100]["id"], "whisper-large-v3-turbo");
    let seen = hub.requests();
    assert_eq!(seen.len(), 3, "page 1, page 2 and its retry");
    assert_eq!(seen[1].target, seen[2].target);
    let stderr = stderr_of(&out);
    let line = summary_line(&stderr, "hug");
    assert!(line.contains("failed after 100 models"), "{line}");
    assert!(
        line.contains(&format!("request to {} failed after 2 attempt(s)", seen[1].url())),
        "{line}"
    );
    assert!(summary_line(&stderr, "groq").contains("20 models"), "{stderr}");
}

#[test]
fn a_slow_trickle_whose_pauses_stay_under_the_timeout_succeeds() {
    // The read timeout bounds each pause, not the whole response: 1.5 s of
    // trickle under --timeout 1 must still arrive.
    let server = RawServer::start(|req| {
        let page = hub_page(req, 20);
        let chunk = page.body.len() / 5 + 1;
        Action::Trickle {
            response: page,
            chunk,
            every: Duration::from_millis(250),
        }
    });
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "-f",
            "ndjson",
            "--timeout",
            "1",
            "--retries",
            "0",
        ])
        .ok_stdout();
    assert!(started.elapsed() >= Duration::from_millis(1200));
    assert_eq!(ids(&ndjson(&out)), hub_ids(20));
    assert_eq!(server.count(), 1);
}

// ---------------------------------------------------------------------------
// 4. Malformed pages and models.
// ---------------------------------------------------------------------------

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
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--delay-ms", "0"])
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
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["org/good-1", "org/good-2"]);
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(line.contains("2 models, 1 page"), "{line}");
    assert!(line.contains("(1 malformed models skipped)"), "{line}");
}

// ---------------------------------------------------------------------------
// 5. Pagination that never ends.
// ---------------------------------------------------------------------------

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
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--delay-ms", "0"])
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
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--delay-ms", "0"])
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
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
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

// ---------------------------------------------------------------------------
// 6. Oversized bodies and fields.
// ---------------------------------------------------------------------------

const CAP: u64 = 64 << 20;

fn assert_too_large(declare_length: bool) {
    let server = RawServer::start(move |_| Action::Stream {
        response: Response::new(200).header("Content-Type", "application/json"),
        total: 70 << 20,
        declare_length,
        filler: br#"{"id":"org/filler","downloads":1},"#.to_vec(),
    });
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--timeout", "5"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(server.count(), 1, "an oversized body is not retried");
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(
        line.contains(&format!(
            "response from {} is larger than {CAP} bytes; refusing to read it",
            server.requests()[0].url()
        )),
        "{line}"
    );
    assert!(stdout_of(&out).is_empty());
}

#[test]
fn a_chunked_body_beyond_the_64_mib_cap_fails_the_provider() {
    assert_too_large(false);
}

#[test]
fn a_declared_content_length_beyond_the_cap_fails_the_provider() {
    assert_too_large(true);
}

#[test]
fn an_8_mib_string_field_in_a_valid_page_is_written_whole() {
    let huge = format!("org/{}", "x".repeat(8 << 20));
    let body = json!([
        hub_model("org/before", 0),
        hub_model(&huge, 1),
        hub_model("org/after", 2),
    ]);
    let server = RawServer::start(move |_| respond(Response::json(200, &body)));
    let started = Instant::now();
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(30));
    let got = ids(&ndjson(stdout_of(&out)));
    assert_eq!(got.len(), 3, "the big record is written, not skipped");
    assert_eq!(got[0], "org/before");
    assert!(got[1] == huge, "the 8 MiB id is written exactly");
    assert_eq!(got[2], "org/after");
    assert!(!stderr_of(&out).contains("malformed"));
}

// ---------------------------------------------------------------------------
// 7. SIGKILL while writing -o FILE.
// ---------------------------------------------------------------------------

/// A slow 50,000-model Hub: pages of 1000, 100 ms apart at test time.
fn slow_big_hub() -> RawServer {
    RawServer::start(|req| respond(hub_page(req, 50_000)))
}

fn spawn_slow_fetch(server: &RawServer, file: &std::path::Path) -> std::process::Child {
    catalog_std()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "1000",
            "--delay-ms",
            "10000",
            "-q",
            "-o",
        ])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

const PREVIOUS: &[u8] = b"{\"id\":\"previous/good\",\"note\":\"written by an earlier run\"}\n";

#[test]
fn sigkill_at_random_moments_never_touches_the_previous_file() {
    let server = slow_big_hub();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.ndjson");
    fs::write(&file, PREVIOUS).unwrap();
    let mut delays = Vec::new();
    for _ in 0..5 {
        let delay = Duration::from_millis(20 + clock_random(1200));
        delays.push(delay);
        let mut child = spawn_slow_fetch(&server, &file);
        std::thread::sleep(delay);
        assert!(
            child.try_wait().unwrap().is_none(),
            "the harvest must still be running when killed"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            fs::read(&file).unwrap(),
            PREVIOUS,
            "killed after {delay:?}: the previous file changed"
        );
    }
    assert!(server.count() > 0, "at least one kill landed mid-harvest");
    let temps = names_ending(dir.path(), ".catalog-tmp");
    eprintln!(
        "kills after {delays:?} left {} temporary file(s): {temps:?}",
        temps.len()
    );
    assert!(temps.iter().all(|n| n.starts_with(".hf.ndjson.")), "{temps:?}");
}

#[test]
fn temp_files_left_by_killed_runs_are_cleaned_by_the_next_successful_run() {
    let server = slow_big_hub();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.ndjson");
    fs::write(&file, PREVIOUS).unwrap();
    for _ in 0..3 {
        let before = server.count();
        let mut child = spawn_slow_fetch(&server, &file);
        // Kill once a page has been served: the temporary file exists then.
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.count() < before + 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(fs::read(&file).unwrap(), PREVIOUS);
    }
    let left = names_ending(dir.path(), ".catalog-tmp");
    // A SIGKILL cannot remove its own temporary file (a later run may
    // already have removed those of earlier kills).
    assert!(!left.is_empty(), "the last SIGKILL leaves its temporary file");

    let small = RawServer::start(|req| respond(hub_page(req, 50)));
    catalog()
        .env("CATALOG_HUG_URL", small.url(HUB))
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(ids(&ndjson(&fs::read(&file).unwrap())), hub_ids(50));
    let left = names_ending(dir.path(), ".catalog-tmp");
    assert!(
        left.is_empty(),
        "a successful run leaves the stale temporary files of killed runs: {left:?}"
    );
}

#[test]
fn a_run_never_removes_the_temporary_file_of_a_live_run_in_the_same_directory() {
    // Run A is slow: its page 2 trickles in over 1.5 s. Run B writes another
    // file in the same directory meanwhile; A must still publish its file.
    let slow = RawServer::start(|req| {
        let page = hub_page(req, 200);
        if req.n == 1 {
            return respond(page);
        }
        let chunk = page.body.len() / 2 + 1;
        Action::Trickle {
            response: page,
            chunk,
            every: Duration::from_millis(1500),
        }
    });
    let fast = RawServer::start(|req| respond(hub_page(req, 10)));
    let dir = tempfile::tempdir().unwrap();
    let (a_file, b_file) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
    let a = catalog_std()
        .env("CATALOG_HUG_URL", slow.url(HUB))
        .args([
            "fetch",
            "-p",
            "hug",
            "--delay-ms",
            "0",
            "--timeout",
            "5",
            "-q",
            "-o",
        ])
        .arg(&a_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(names_ending(dir.path(), ".catalog-tmp").len(), 1, "A is writing");
    catalog()
        .env("CATALOG_HUG_URL", fast.url(HUB))
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&b_file)
        .assert()
        .success();
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(0), "{}", stderr_of(&a));
    assert_eq!(ids(&ndjson(&fs::read(&a_file).unwrap())), hub_ids(200));
    assert_eq!(ids(&ndjson(&fs::read(&b_file).unwrap())), hub_ids(10));
    assert!(names_ending(dir.path(), ".catalog-tmp").is_empty());
}

// ---------------------------------------------------------------------------
// 8. SIGINT during a slow harvest.
// ---------------------------------------------------------------------------

#[test]
fn sigint_exits_130_within_a_second_keeping_the_previous_file_and_no_temp_file() {
    // Page 1 arrives, page 2 never does.
    let server = RawServer::start(|req| {
        if req.n == 1 {
            respond(hub_page(req, 300))
        } else {
            Action::Hang
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.json");
    fs::write(&file, PREVIOUS).unwrap();
    let mut child = catalog_std()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .args(["fetch", "-p", "hug", "--delay-ms", "0", "--no-progress", "-o"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.count(), 2, "the harvest is waiting for page 2");
    assert_eq!(
        names_ending(dir.path(), ".catalog-tmp").len(),
        1,
        "the output is being written to a temporary file"
    );
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("still running 10 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = signalled.elapsed();
    let output = child.wait_with_output().unwrap();
    assert!(took < Duration::from_secs(1), "exited {took:?} after SIGINT");
    assert_eq!(status.code(), Some(130), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("interrupted"));
    assert_eq!(fs::read(&file).unwrap(), PREVIOUS, "the previous file is intact");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["hf.json"], "no temporary file is left");
}

// ---------------------------------------------------------------------------
// 9. Credentials go only to the provider's own origin.
// ---------------------------------------------------------------------------

const TOKEN: &str = "hf_SENTINEL_scoping_0123456789";

/// Asserts no request to `foreign` carried `key` (in any header or the URL).
fn assert_no_key(foreign: &RawServer, key: &str) {
    for r in foreign.requests() {
        assert_eq!(r.header("authorization"), None, "{}", r.target);
        assert!(
            !contains(&r.head, key.as_bytes()),
            "the key reached the foreign origin: {}",
            String::from_utf8_lossy(&r.head)
        );
    }
}

#[test]
fn a_next_link_to_another_origin_is_followed_without_the_token() {
    let foreign = RawServer::start(|req| respond(hub_page(req, 300)));
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        let mut page = hub_page(req, 300);
        // Page 1 links to the same cursor on the other origin.
        let next = with_cursor(&req.url(), 100).to_string();
        let next = next.replacen(
            &format!("http://{}", req.header("host").unwrap()),
            &foreign_origin,
            1,
        );
        page.headers.retain(|(k, _)| k != "Link");
        respond(page.header("Link", format!("<{next}>; rel=\"next\"")))
    });
    let out = catalog()
        .env("CATALOG_HUG_URL", home.url(HUB))
        .env("HF_TOKEN", TOKEN)
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 1);
    assert_eq!(
        home.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_no_key(&foreign, TOKEN);
    // Observed: followed without the token (the README's behaviour).
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(foreign.count(), 2, "pages 2 and 3 come from the other origin");
    assert_eq!(ids(&ndjson(&out.stdout)), hub_ids(300));
    assert!(!contains(&out.stderr, TOKEN.as_bytes()));
}

#[test]
fn a_redirect_to_another_origin_is_followed_without_the_token() {
    // Every page of the home origin redirects to the foreign one, whose Links
    // point back home: each page crosses origins.
    let home_origin: Arc<Mutex<String>> = Arc::default();
    let back = home_origin.clone();
    let foreign = RawServer::start(move |req| {
        let mut page = hub_page(req, 300);
        let own = format!("http://{}", req.header("host").unwrap());
        for (k, v) in &mut page.headers {
            if k == "Link" {
                *v = v.replacen(&own, &back.lock().unwrap(), 1);
            }
        }
        respond(page)
    });
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        respond(Response::new(302).header("Location", format!("{foreign_origin}{}", req.target)))
    });
    *home_origin.lock().unwrap() = home.origin();
    let out = catalog()
        .env("CATALOG_HUG_URL", home.url(HUB))
        .env("HF_TOKEN", TOKEN)
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 3);
    assert!(home
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(format!("Bearer {TOKEN}").as_str())));
    assert_no_key(&foreign, TOKEN);
    // Observed: followed without the token.
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(foreign.count(), 3);
    assert_eq!(ids(&ndjson(&out.stdout)), hub_ids(300));
}

/// A provider `name` (key in `header`) whose listing redirects to another
/// origin serving `body`: the key must not follow.
fn assert_header_key_not_redirected(
    name: &str,
    key_env: &str,
    header: &str,
    path: &str,
    body: serde_json::Value,
) {
    let key = format!("SENTINEL-{name}-0123456789");
    let foreign = RawServer::start(move |_| respond(Response::json(200, &body)));
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        respond(Response::new(302).header("Location", format!("{foreign_origin}{}", req.target)))
    });
    let out = catalog()
        .env(format!("CATALOG_{}_URL", name.to_uppercase()), home.url(path))
        .env(key_env, &key)
        .args(["fetch", "-p", name, "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 1);
    assert_eq!(home.requests()[0].header(header), Some(key.as_str()));
    assert_eq!(foreign.count(), 1);
    for r in foreign.requests() {
        assert_eq!(r.header(header), None, "{name}");
    }
    assert_no_key(&foreign, &key);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(ndjson(&out.stdout).len(), 2, "{name}");
}

#[test]
fn an_x_goog_api_key_does_not_follow_a_redirect_to_another_origin() {
    assert_header_key_not_redirected(
        "google",
        "GEMINI_API_KEY",
        "x-goog-api-key",
        "/v1beta/models",
        json!({"models": [{"name": "models/a"}, {"name": "models/b"}]}),
    );
}

#[test]
fn an_x_portkey_api_key_does_not_follow_a_redirect_to_another_origin() {
    assert_header_key_not_redirected(
        "portkey",
        "PORTKEY_API_KEY",
        "x-portkey-api-key",
        "/v1/models",
        json!({"data": [{"id": "@a/x"}, {"id": "@b/y"}], "total": 2}),
    );
}

// ---------------------------------------------------------------------------
// 10. Sentinel keys never leak.
// ---------------------------------------------------------------------------

/// Every key variable (the non-key variables of `ENV_VARS` left out).
fn key_vars() -> Vec<&'static str> {
    crate::common::ENV_VARS
        .iter()
        .copied()
        .filter(|v| {
            !matches!(
                *v,
                "HF_ENDPOINT" | "RUST_LOG" | "CATALOG_CACHE_DIR" | "CATALOG_CONFIG"
            )
        })
        .collect()
}

fn sentinel(var: &str) -> String {
    format!("sk-SENTINEL-{var}")
}

/// Answers by the first path segment, echoing the request head back where a
/// careless server would.
fn hostile(req: &RawRequest) -> Action {
    let echo = String::from_utf8_lossy(&req.head).replace("\r\n", " | ");
    let path = req.path();
    let kind = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match kind {
        "e401" => respond(Response::json(401, &json!({"error": format!("bad key: {echo}")}))),
        "e403" => respond(Response::new(403).body(format!("forbidden for {echo}"))),
        "e500" => respond(Response::new(500).body(format!("{echo} crashed"))),
        "garbage" => respond(
            Response::new(200)
                .header("Content-Type", "application/json")
                .body(format!("\u{0}\u{1}garbage {echo}")),
        ),
        "html" => respond(
            Response::new(200)
                .header("Content-Type", "text/html")
                .body(format!("<html>{echo}</html>")),
        ),
        "e429" => respond(Response::new(429).header("Retry-After", "100000").body(echo)),
        "ok" => respond(Response::json(
            200,
            &json!({"data": [{"id": "ok/model-1"}, {"id": "ok/model-2"}]}),
        )),
        // Page 1 of the Hub, then a 500 echoing the request: a checkpoint stays.
        "hubthen500" if req.query("cursor").is_none() => respond(hub_page(req, 300)),
        "hubthen500" => respond(Response::new(500).body(format!("{echo} crashed"))),
        _ => Action::Reset,
    }
}

#[test]
fn sentinel_keys_never_appear_in_output_logs_errors_or_files() {
    let server = RawServer::start(hostile);
    // Each provider's server fails its own way; two succeed (in part), so
    // that the output file, the cache and its checkpoints get written too.
    let plan = [
        ("openrouter", "e401"),
        ("portkey", "e500"),
        ("featherless", "garbage"),
        ("deepinfra", "html"),
        ("hug", "hubthen500"),
        ("chutes", "ok"),
        ("groq", "e401"),
        ("together", "e403"),
        ("fireworks", "e429"),
        ("google", "e401"),
        ("xai", "reset"),
        ("nebius", "e500"),
        ("cerebras", "html"),
        ("novita", "e401"),
    ];
    let work = fresh_dir("sentinel");
    let cache = work.join("cache");
    let snaps = work.join("snaps");
    let out_file = work.join("out.ndjson");
    let with_env = |mut cmd: assert_cmd::Command| {
        for var in key_vars() {
            cmd.env(var, sentinel(var));
        }
        for (name, kind) in plan {
            cmd.env(
                format!("CATALOG_{}_URL", name.to_uppercase()),
                server.url(&format!("/{kind}/{name}/models")),
            );
        }
        cmd.env("CATALOG_CACHE_DIR", &cache);
        cmd
    };
    let runs: Vec<(Vec<String>, Option<i32>)> = vec![
        (
            vec![
                "fetch",
                "--all",
                "-v",
                "-v",
                "--retries",
                "1",
                "--timeout",
                "2",
                "-o",
            ]
            .into_iter()
            .map(str::to_owned)
            .chain([out_file.to_string_lossy().into_owned()])
            .collect(),
            Some(3),
        ),
        (
            ["fetch", "--all", "-f", "ndjson", "-vv", "--retries", "0"]
                .map(str::to_owned)
                .to_vec(),
            Some(3),
        ),
        (
            ["count", "--all", "-vv", "--retries", "1", "--refresh"]
                .map(str::to_owned)
                .to_vec(),
            Some(3),
        ),
        (
            ["count", "--all", "-f", "json", "--retries", "0", "--refresh"]
                .map(str::to_owned)
                .to_vec(),
            Some(3),
        ),
        (["providers"].map(str::to_owned).to_vec(), Some(0)),
        (
            ["providers", "-f", "json", "-vv"].map(str::to_owned).to_vec(),
            Some(0),
        ),
        (
            vec!["snapshot", "--all", "-vv", "--retries", "0", "--dir"]
                .into_iter()
                .map(str::to_owned)
                .chain([snaps.to_string_lossy().into_owned()])
                .collect(),
            Some(3),
        ),
        (["fetch", "--help"].map(str::to_owned).to_vec(), Some(0)),
        (["count", "--help"].map(str::to_owned).to_vec(), Some(0)),
        (["snapshot", "--help"].map(str::to_owned).to_vec(), Some(0)),
        (["--help"].map(str::to_owned).to_vec(), Some(0)),
        (["cache", "ls"].map(str::to_owned).to_vec(), Some(0)),
    ];
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    let started = Instant::now();
    for (args, code) in &runs {
        let out = with_env(catalog()).args(args).output().unwrap();
        assert_eq!(out.status.code(), *code, "{args:?}: {}", stderr_of(&out));
        texts.push((format!("stdout of {args:?}"), out.stdout));
        texts.push((format!("stderr of {args:?}"), out.stderr));
    }
    assert!(started.elapsed() < Duration::from_secs(40));
    let files = files_under(&work);
    eprintln!("files written: {files:#?}");
    assert!(
        files.iter().any(|f| f.starts_with(&cache)),
        "the cache was written"
    );
    let written = ids(&ndjson(&fs::read(&out_file).unwrap()));
    assert!(written.contains(&"ok/model-1".to_owned()), "{written:?}");
    assert!(written.contains(&hub_id(99)), "hug's first page is written");
    assert!(out_file.exists(), "the output file was written");
    for f in &files {
        texts.push((f.display().to_string(), fs::read(f).unwrap()));
    }
    // The test means something only if the keys were sent and echoed.
    let heads: Vec<u8> = server.requests().iter().flat_map(|r| r.head.clone()).collect();
    for var in [
        "HUG_API_KEY",
        "GROQ_API_KEY",
        "GEMINI_API_KEY",
        "PORTKEY_API_KEY",
        "OPENROUTER_API_KEY",
    ] {
        assert!(contains(&heads, sentinel(var).as_bytes()), "{var} was sent");
    }
    assert!(
        texts.iter().any(|(_, t)| contains(t, b"[redacted]")),
        "an echoed key was redacted somewhere"
    );
    let mut leaks = Vec::new();
    for var in key_vars() {
        let s = sentinel(var);
        for (what, text) in &texts {
            if contains(text, s.as_bytes()) {
                leaks.push(format!("{s} in {what}"));
            }
        }
    }
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
}

#[test]
fn a_key_echoed_at_the_error_excerpt_boundary_does_not_leak_in_part() {
    // The error excerpt keeps 200 characters of the body and only then is the
    // key redacted: a key cut by the excerpt escapes redaction.
    let key = "gsk_SENTINEL_boundary_0123456789abcdefghijklmnopqrstuv";
    let server = RawServer::start(move |req| {
        let auth = req.header("authorization").unwrap_or("").to_owned();
        // "x..x Bearer <key>": the excerpt ends two characters before the key does.
        let pad = 200 - 1 - "Bearer ".len() - (key.len() - 2);
        respond(Response::new(401).body(format!("{} {auth}", "x".repeat(pad))))
    });
    let out = catalog()
        .env("CATALOG_GROQ_URL", server.url("/openai/v1/models"))
        .env("GROQ_API_KEY", key)
        .args(["fetch", "-p", "groq"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    let stderr = stderr_of(&out);
    let part = &key[..key.len() - 2];
    assert!(!stderr.contains(part), "a key prefix leaked:\n{stderr}");
    // Nor any long prefix at all.
    assert!(!stderr.contains(&key[..16]), "a key prefix leaked:\n{stderr}");
}

#[test]
fn a_key_reflected_into_the_next_link_is_not_logged_or_cached() {
    let key = "hf_SENTINEL_reflected_0123456789";
    let server = RawServer::start(move |req| {
        if req.n == 1 {
            let mut page = hub_page(req, 300);
            // The server reflects the caller's token into its next link.
            let token = req
                .header("authorization")
                .unwrap_or("")
                .trim_start_matches("Bearer ")
                .to_owned();
            for (k, v) in &mut page.headers {
                if k == "Link" {
                    *v = v.replacen(">;", &format!("&echo={token}>;"), 1);
                }
            }
            respond(page)
        } else {
            respond(Response::new(500).body("down"))
        }
    });
    let work = fresh_dir("reflected");
    let out = catalog()
        .env("CATALOG_HUG_URL", server.url(HUB))
        .env("HF_TOKEN", key)
        .env("CATALOG_CACHE_DIR", work.join("cache"))
        .args(["fetch", "-p", "hug", "-f", "ndjson", "-v", "--retries", "0", "-o"])
        .arg(work.join("out.ndjson"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    // The next page was asked for, with the reflected key scrubbed from the URL.
    let second = &server.requests()[1].target;
    assert!(
        second.contains("cursor=c100") && !second.contains(key),
        "{second}"
    );
    let mut leaks = Vec::new();
    if contains(&out.stderr, key.as_bytes()) {
        let lines: Vec<&str> = std::str::from_utf8(&out.stderr)
            .unwrap()
            .lines()
            .filter(|l| l.contains(key))
            .collect();
        leaks.push(format!("stderr: {lines:?}"));
    }
    for f in files_under(&work) {
        if contains(&fs::read(&f).unwrap(), key.as_bytes()) {
            leaks.push(f.display().to_string());
        }
    }
    assert!(leaks.is_empty(), "the key leaked into:\n{}", leaks.join("\n"));
}

// ---------------------------------------------------------------------------
// 11. Control characters and ANSI escapes from providers.
// ---------------------------------------------------------------------------

const EVIL_HUB_ID: &str = "evil\u{1b}[31mred\u{7}";
const EVIL_TITLE_ID: &str = "org/t\u{1b}]0;owned\u{7}x";
const EVIL_GROQ_ID: &str = "g\u{1b}[1mbold\u{1b}[0m";
const EVIL_GROQ_NAME: &str = "N\u{1b}[2J\u{7}ame";

fn evil_servers() -> (RawServer, RawServer, RawServer) {
    let hub = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!([
                {"id": EVIL_HUB_ID, "author": "a\u{1b}[5mb", "pipeline_tag": "text\u{1b}[31m-generation"},
                {"id": EVIL_TITLE_ID, "tags": ["\u{1b}[41mtag\u{7}"]},
                {"id": "org/bad\u{1b}[31m", "downloads": "\u{1b}[2J\u{7}"},
            ]),
        ))
    });
    let groq = RawServer::start(|_| {
        respond(Response::json(
            200,
            &json!({"data": [{"id": EVIL_GROQ_ID, "name": EVIL_GROQ_NAME, "owned_by": "\u{1b}[0m\u{7}"}]}),
        ))
    });
    let chutes = RawServer::start(|_| {
        respond(Response::new(404).body("no such \u{1b}[31mlisting\u{7} here\u{1b}]0;pwned\u{7}"))
    });
    (hub, groq, chutes)
}

fn evil_cmd(hub: &RawServer, groq: &RawServer, chutes: &RawServer) -> assert_cmd::Command {
    let mut cmd = catalog();
    cmd.env("CATALOG_HUG_URL", hub.url(HUB))
        .env("CATALOG_GROQ_URL", groq.url("/openai/v1/models"))
        .env("CATALOG_CHUTES_URL", chutes.url("/v1/models"))
        .env("GROQ_API_KEY", "gsk-test");
    cmd
}

fn assert_no_terminal_controls(what: &str, bytes: &[u8]) {
    assert!(
        !bytes.contains(&0x1b) && !bytes.contains(&0x07),
        "{what} carries ESC or BEL:\n{}",
        String::from_utf8_lossy(bytes).escape_debug()
    );
}

#[test]
fn escape_sequences_from_providers_never_reach_the_terminal_but_stay_exact_in_data() {
    let (hub, groq, chutes) = evil_servers();

    // NDJSON: exact ids, JSON-escaped; stderr clean.
    let out = evil_cmd(&hub, &groq, &chutes)
        .args(["fetch", "-p", "hug,groq,chutes", "-f", "ndjson", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "chutes fails: {}", stderr_of(&out));
    assert_no_terminal_controls("fetch stderr", &out.stderr);
    assert!(!out.stdout.contains(&0x1b), "JSON escapes control characters");
    assert!(contains(&out.stdout, br"evil\u001b[31mred\u0007"));
    let records = ndjson(&out.stdout);
    assert_eq!(ids(&records), [EVIL_HUB_ID, EVIL_TITLE_ID, EVIL_GROQ_ID]);
    assert_eq!(records[2]["name"], EVIL_GROQ_NAME);
    let stderr = stderr_of(&out);
    assert!(
        summary_line(&stderr, "hug").contains("(1 malformed models skipped)"),
        "{stderr}"
    );
    assert!(summary_line(&stderr, "chutes").contains("HTTP 404"), "{stderr}");

    // CSV keeps the exact bytes.
    let out = evil_cmd(&hub, &groq, &chutes)
        .args(["fetch", "-p", "hug,groq", "-f", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_no_terminal_controls("csv stderr", &out.stderr);
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let csv_ids: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(csv_ids, [EVIL_HUB_ID, EVIL_TITLE_ID, EVIL_GROQ_ID]);
    assert_eq!(&rows[2][2], EVIL_GROQ_NAME);

    // count: the table on stdout and everything on stderr are clean.
    for format in ["table", "json"] {
        let out = evil_cmd(&hub, &groq, &chutes)
            .args(["count", "-p", "hug,groq,chutes", "--refresh", "-f", format, "-v"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
        assert_no_terminal_controls(&format!("count -f {format} stdout"), &out.stdout);
        assert_no_terminal_controls(&format!("count -f {format} stderr"), &out.stderr);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if format == "table" {
            assert!(summary_line(&text, "hug").contains(" 2 "), "{text}");
            assert!(summary_line(&text, "groq").contains(" 1 "), "{text}");
            assert!(
                summary_line(&text, "chutes").contains("failed: HTTP 404"),
                "{text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 12. Bad input fails fast, before any request.
// ---------------------------------------------------------------------------

#[test]
fn bad_input_exits_2_before_any_request() {
    let server = RawServer::start(|req| respond(hub_page(req, 10)));
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("old.ndjson");
    fs::write(&existing, "").unwrap();
    let missing = dir.path().join("missing.ndjson");
    let a_file = dir.path().join("plain-file");
    fs::write(&a_file, "x").unwrap();
    let p = |s: &std::path::Path| s.to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, Option<&str>, &str)> = vec![
        (
            vec!["fetch".into(), "-p".into(), "hugg".into()],
            None,
            "unknown provider \"hugg\"",
        ),
        (
            vec!["fetch".into(), "--all".into(), "-p".into(), "hug".into()],
            None,
            "cannot be used with",
        ),
        (
            ["fetch", "-p", "hug", "--refresh", "--offline"]
                .map(str::to_owned)
                .to_vec(),
            None,
            "cannot be used with",
        ),
        (
            ["count", "-p", "hug", "--refresh", "--offline"]
                .map(str::to_owned)
                .to_vec(),
            None,
            "cannot be used with",
        ),
        (
            ["fetch", "-p", "hug", "--limit", "0"].map(str::to_owned).to_vec(),
            None,
            "--limit",
        ),
        (
            ["fetch", "-p", "hug", "--batch-size", "5000"]
                .map(str::to_owned)
                .to_vec(),
            None,
            "--batch-size",
        ),
        (
            ["fetch", "-p", "hug", "--timeout", "0"]
                .map(str::to_owned)
                .to_vec(),
            None,
            "--timeout",
        ),
        (
            vec![
                "fetch".into(),
                "-p".into(),
                "hug".into(),
                "-o".into(),
                p(dir.path()),
            ],
            None,
            "is a directory",
        ),
        (
            ["fetch", "-p", "hug", "-o", "/nonexistent-dir/x.json"]
                .map(str::to_owned)
                .to_vec(),
            None,
            "does not exist",
        ),
        (
            ["fetch", "-p", "hug", "-f", "yaml"].map(str::to_owned).to_vec(),
            None,
            "'yaml'",
        ),
        (
            ["fetch", "-p", "hug"].map(str::to_owned).to_vec(),
            Some("not-a-url"),
            "CATALOG_HUG_URL=\"not-a-url\" is not a URL",
        ),
        (
            ["count", "--all"].map(str::to_owned).to_vec(),
            Some("not-a-url"),
            "CATALOG_HUG_URL",
        ),
        (
            vec!["diff".into(), p(&missing), p(&existing)],
            None,
            "missing.ndjson is not a readable file",
        ),
        (
            vec![
                "snapshot".into(),
                "-p".into(),
                "hug".into(),
                "--dir".into(),
                p(&a_file),
            ],
            None,
            "is not a directory",
        ),
        (
            ["fetch", "-p", "groq"].map(str::to_owned).to_vec(),
            None,
            "set GROQ_API_KEY",
        ),
    ];
    for (args, url, message) in &cases {
        let started = Instant::now();
        let out = catalog()
            .env(
                "CATALOG_HUG_URL",
                url.map_or_else(|| server.url(HUB), str::to_owned),
            )
            .env("CATALOG_GROQ_URL", server.url("/groq"))
            .args(args)
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: expected {message:?} in {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} was not fast"
        );
        assert_eq!(server.count(), 0, "{args:?} sent a request");
    }
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "nothing was written: {names:?}");
}
