//! Transient failures: 5xx every 7th request and connection resets.

use serde_json::json;

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::{hub_ids, FakeHub, Faults};
use crate::common::raw::{hub_page, Action, RawRequest, RawServer, Response};
use crate::common::RunExt as _;
use crate::common::{hub_fetch, hub_server, ids, ndjson};

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
    let out = hub_fetch(&server)
        .args(["--batch-size", "100", "-f", "ndjson"])
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
    let out = hub_fetch(&server)
        .args(["--batch-size", "100", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    // 50 good pages; requests 7, 14, ..., 56 failed: 58 in all.
    assert_eq!(hub.seen().len(), 58);
}

#[test]
fn fifty_thousand_models_in_pages_of_1000_through_5xx_and_resets_arrive_exactly_once_in_order() {
    let server = flaky_hub(50_000);
    let out = hub_fetch(&server)
        .args(["--batch-size", "1000", "-f", "ndjson"])
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

#[test]
fn a_retry_after_a_server_error_is_no_rate_limit_and_no_reason_to_ask_for_a_key() {
    // Three 503s: the third backoff is long enough (2-4 s nominal) to be
    // announced; it is a retry, and says nothing of quotas or keys.
    let server = RawServer::start(|req| {
        if req.n <= 3 {
            respond(Response::json(503, &serde_json::json!({"error": "busy"})))
        } else {
            respond(crate::common::raw::hub_page(req, 20))
        }
    });
    let out = hub_fetch(&server)
        .args(["-f", "ndjson", "-v"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.matches("retrying").count() >= 3, "{stderr}");
    assert!(!stderr.contains("raises the quota"), "{stderr}");
}
