//! The Hugging Face Hub harvest, end to end through the real binary against a
//! fake Hub: cursor pagination, limits, page size, auth, pacing, rate limits,
//! retries and failures.

use crate::common::RunExt as _;

use std::time::Duration;

use crate::common::hub::{FakeHub, Faults};
use crate::common::{catalog, hub_catalog, hub_fetch, hub_server, hub_url, ids, ndjson};
use predicates::prelude::*;

#[tokio::test(flavor = "multi_thread")]
async fn link_cursor_pagination_returns_every_model_once_in_order() {
    let hub = FakeHub::new(250);
    let server = hub_server(hub.clone()).await;
    let out = hub_fetch(&server).args(["-f", "ndjson"]).ok_stdout();
    let records = ndjson(&out);
    // The fake Hub ignores `offset` like the real one: an offset-paging client
    // would get model-000000..99 three times and fail this comparison.
    assert_eq!(ids(&records), hub.ids());
    let seen = hub.seen();
    assert_eq!(seen.len(), 3);
    let cursors: Vec<Option<String>> = seen
        .iter()
        .map(|s| {
            s.url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(cursors, [None, Some("c100".into()), Some("c200".into())]);
    assert!(seen
        .iter()
        .all(|s| !s.url.query().unwrap_or("").contains("offset")));
}

#[tokio::test(flavor = "multi_thread")]
async fn first_request_sends_page_size_sort_and_filters() {
    let hub = FakeHub::new(10);
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .args([
            "fetch",
            "-p",
            "hf",
            "--batch-size",
            "250",
            "--author",
            "org1",
            "--search",
            "model",
        ])
        .args([
            "--pipeline-tag",
            "text-generation",
            "--sort",
            "likes",
            "-f",
            "ndjson",
        ])
        .assert()
        .success();
    let first = &hub.seen()[0].url;
    let q = |k: &str| {
        first
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("limit").as_deref(), Some("250"));
    assert_eq!(q("sort").as_deref(), Some("likes"));
    assert_eq!(q("author").as_deref(), Some("org1"));
    assert_eq!(q("search").as_deref(), Some("model"));
    assert_eq!(q("pipeline_tag").as_deref(), Some("text-generation"));
}

#[tokio::test(flavor = "multi_thread")]
async fn default_page_size_is_100_and_sort_is_downloads() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .args(["fetch", "-p", "hug"])
        .assert()
        .success();
    let first = &hub.seen()[0].url;
    let q = |k: &str| {
        first
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("limit").as_deref(), Some("100"));
    assert_eq!(q("sort").as_deref(), Some("downloads"));
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_stops_requesting_as_soon_as_it_is_reached() {
    let hub = FakeHub::new(1000);
    let server = hub_server(hub.clone()).await;
    let out = hub_fetch(&server)
        .args(["--limit", "150", "-f", "ndjson"])
        .ok_stdout();
    let records = ndjson(&out);
    assert_eq!(ids(&records), hub.ids()[..150]);
    assert_eq!(
        hub.seen().len(),
        2,
        "150 models at 100 per page is two requests, not ten"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_all_harvests_a_listing_longer_than_the_hubs_default_limit_to_its_end() {
    // 50,000 is the Hub's default limit; `all` lifts it.
    let hub = FakeHub::new(50_250);
    let server = hub_server(hub.clone()).await;
    let out = hub_fetch(&server)
        .args(["--limit", "all", "--batch-size", "1000", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    let seen = hub.seen();
    assert_eq!(seen.len(), 51, "every page, the last one short");
    assert!(seen[0].url.query().unwrap().contains("limit=1000"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_stops_reading_holds_the_harvest_one_page_ahead_of_it() {
    // Pages of 1000 (about 600 KB of NDJSON each) into a pipe nobody reads:
    // the writer stalls in the first page, which fills the pipe.
    let hub = FakeHub::new(10_000);
    let server = hub_server(hub.clone()).await;
    let dir = crate::common::fresh_dir("stalled");
    let log = dir.join("stderr");
    let mut child = crate::common::hub_fetch_std(&server)
        .args(["--batch-size", "1000", "-f", "ndjson", "--no-progress"])
        .env("RUST_LOG", "catalog=debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while hub.seen().len() < 2 && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The second page waits in the queue, and no third is asked for (one
    // was, when the harvest went on while the second waited).
    std::thread::sleep(Duration::from_millis(500));
    let asked = hub.seen().len();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(asked, 2, "pages asked for while the writer is stuck in the first");
    // The wait says what it is.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("hug: the next page waits for the writer (its queue is full)"),
        "{log}"
    );
}

/// 1,200 models behind a server-enforced quota of 5 requests per 10 s
/// window (100 ms at test time).
fn quota_5_per_10s() -> FakeHub {
    FakeHub::new(1200)
        .with_faults(Faults {
            quota: Some((5, 10)),
            ..Faults::default()
        })
        .with_time_scale(0.01)
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_all_with_an_announced_quota_waits_for_the_window_instead_of_hitting_429() {
    // Without a limit the pages left are unknown: the window's requests go
    // back to back and the harvest waits at a used-up quota.
    let hub = quota_5_per_10s();
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .env("HF_TOKEN", "t")
        .args(["fetch", "-p", "hug", "--limit", "all", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    assert_eq!(hub.throttled(), 0, "no request beyond the quota");
    assert_eq!(hub.seen().len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_is_asked_for_and_a_gzip_page_is_read_as_its_plain_json() {
    use std::io::Write as _;
    use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

    let plain = include_bytes!("../fixtures/hf-list-default.json");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(plain).unwrap();
    let server = MockServer::start().await;
    // Only a request that accepts gzip gets the page; any other gets a 406.
    Mock::given(matchers::path("/api/models"))
        .and(matchers::header("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(enc.finish().unwrap()),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::path("/api/models"))
        .respond_with(ResponseTemplate::new(406))
        .mount(&server)
        .await;
    let assert = hub_fetch(&server).args(["-f", "ndjson", "-v"]).assert().success();
    let out = assert.get_output();
    assert_eq!(
        ids(&ndjson(&out.stdout)),
        ["moonshotai/Kimi-K2-Thinking", "MiniMaxAI/MiniMax-M2"]
    );
    // The -v line gives the size of the JSON read, not of the gzip sent.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(plain.len() < 1024, "sizes below 1 KiB are shown in bytes");
    let line = format!("→ 200, {} B, ", plain.len());
    assert!(stderr.contains(&line), "{line}: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_below_the_page_size_asks_for_only_that_many() {
    let hub = FakeHub::new(1000);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--limit", "30", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ndjson(&out).len(), 30);
    let seen = hub.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].url.query().unwrap().contains("limit=30"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_is_sent_only_when_a_key_is_set() {
    let hub = FakeHub::new(150);
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .env("HF_TOKEN", "hf_test_token")
        .args(["fetch", "-p", "hug"])
        .assert()
        .success();
    let auth: Vec<_> = hub.seen().iter().map(|s| s.authorization.clone()).collect();
    assert_eq!(
        auth,
        [
            Some("Bearer hf_test_token".to_owned()),
            Some("Bearer hf_test_token".to_owned())
        ]
    );

    let anon = FakeHub::new(150);
    let server = hub_server(anon.clone()).await;
    hub_fetch(&server).assert().success();
    assert!(anon.seen().iter().all(|s| s.authorization.is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn hug_api_key_wins_over_hf_token() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .env("HF_TOKEN", "second")
        .env("HUG_API_KEY", "first")
        .args(["fetch", "-p", "hug"])
        .assert()
        .success();
    assert_eq!(hub.seen()[0].authorization.as_deref(), Some("Bearer first"));
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_requests_start_at_least_delay_apart() {
    let hub = FakeHub::new(400);
    let server = hub_server(hub.clone()).await;
    // --delay-ms 30000 at the test time scale of 1/100 is 300 ms of real
    // time: long enough that the 5% allowed for the mock's own scheduling
    // (it notes a request when it gets to it) is more than a loaded
    // machine's jitter, which reached 6 ms against a 100 ms delay.
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--delay-ms", "30000"])
        .assert()
        .success();
    let seen = hub.seen();
    assert_eq!(seen.len(), 4);
    for pair in seen.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(285), "requests only {gap:?} apart");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hf_endpoint_points_the_hub_at_a_mirror() {
    let hub = FakeHub::new(3);
    let server = hub_server(hub.clone()).await;
    let out = catalog()
        .env_remove("CATALOG_HUG_URL")
        .env("HF_ENDPOINT", server.uri())
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .ok_stdout();
    let records = ndjson(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["source"], format!("{}/api/models", server.uri()));
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_request_waits_for_the_window_and_resumes_at_the_same_cursor() {
    let hub = FakeHub::new(300).with_faults(Faults {
        rate_limit_at: Some((2, 3)),
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let assert = hub_fetch(&server).args(["-f", "ndjson"]).assert().success();
    let records = ndjson(&assert.get_output().stdout);
    assert_eq!(ids(&records), hub.ids(), "nothing lost, nothing duplicated");
    let seen = hub.seen();
    assert_eq!(seen.len(), 4, "3 pages plus the one retried after the 429");
    assert_eq!(seen[1].url, seen[2].url, "the retry asks for the same cursor");
    // t=3 plus one second of margin, at 1/100 time: 40 ms, less what the
    // mock's own scheduling may take off the gap it sees on a loaded machine.
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(35));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("a key in HUG_API_KEY or HF_TOKEN or HUGGING_FACE_HUB_TOKEN raises the quota"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("raises the quota").count(),
        1,
        "said once: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pacing_spreads_the_announced_quota_instead_of_hitting_429() {
    // A quota of 5 requests per 10 s window (100 ms at test time) enforced by
    // the server; 12 pages are needed, so the client must spread them.
    let hub = quota_5_per_10s();
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .env("HF_TOKEN", "t")
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    assert_eq!(hub.throttled(), 0, "paced requests never exceed the quota");
    assert_eq!(hub.seen().len(), 12);
    let seen = hub.seen();
    // 12 requests at 5 per 100 ms window need at least two window resets.
    assert!(seen[11].at - seen[0].at >= Duration::from_millis(200));
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_5xx_failures_are_retried_without_loss() {
    let hub = FakeHub::new(1000).with_faults(Faults {
        fail_every: Some(3),
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let out = hub_fetch(&server).args(["-f", "ndjson"]).ok_stdout();
    assert_eq!(ids(&ndjson(&out)), hub.ids());
    assert_eq!(
        hub.seen().len(),
        14,
        "10 pages + 4 failed attempts (requests 3, 6, 9, 12)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_give_up_after_the_configured_count() {
    let hub = FakeHub::new(10).with_faults(Faults {
        fail_every: Some(1),
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--retries", "2"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("hug").and(predicate::str::contains("HTTP 503")));
    assert_eq!(hub.seen().len(), 3, "one attempt and two retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_error_fails_the_provider_naming_status_and_url() {
    let hub = FakeHub::new(10).with_faults(Faults {
        fail_requests: vec![(1, 404)],
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let assert = hub_catalog(&server)
        .env("HF_TOKEN", "hf_secret_value")
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("hug"), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}?limit=100", hub_url(&server))),
        "{stderr}"
    );
    assert!(!stderr.contains("hf_secret_value"));
    assert_eq!(hub.seen().len(), 1, "4xx is not retried");
    assert!(assert.get_output().stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_longer_than_max_wait_fails_with_the_wait_it_would_have_needed() {
    let hub = FakeHub::new(300).with_faults(Faults {
        rate_limit_at: Some((1, 900)),
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--max-wait", "60"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "asks to wait 901s, more than --max-wait 60s",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_pages_of_malformed_models_stop_with_an_error() {
    struct Garbage;
    impl wiremock::Respond for Garbage {
        fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
            // Every page: one model of the wrong shape, and a fresh cursor.
            let n: u64 = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let host = request.headers.get("host").unwrap().to_str().unwrap().to_owned();
            wiremock::ResponseTemplate::new(200)
                .set_body_json(serde_json::json!([{"id": 42}]))
                .insert_header(
                    "Link",
                    format!("<http://{host}/api/models?cursor={}>; rel=\"next\"", n + 1).as_str(),
                )
        }
    }
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/api/models"))
        .respond_with(Garbage)
        .mount(&server)
        .await;
    hub_fetch(&server)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("5 pages in a row brought no new model"));
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

/// A listing sorted by a key that changes while it is paged brings a model
/// round again much later. Past 32,768 ids the index of delivered ids lives in
/// a temporary file: the repeats must still be caught there.
#[tokio::test(flavor = "multi_thread")]
async fn models_that_come_round_again_after_forty_thousand_others_are_written_once() {
    use wiremock::{matchers, Mock, MockServer, Request, ResponseTemplate};

    const PAGES: usize = 45;
    const PER_PAGE: usize = 1000;
    let server = MockServer::start().await;
    let base = hub_url(&server);
    let page_body = move |page: usize| -> String {
        let mut ids: Vec<String> = (0..PER_PAGE)
            .map(|i| format!("org/m{:06}", page * PER_PAGE + i))
            .collect();
        if page == PAGES - 1 {
            // The last page repeats five models of the first page and five of the 40th.
            for (k, old) in [3, 500, 999, 0, 42, 39_000, 39_001, 39_500, 39_998, 39_999]
                .iter()
                .enumerate()
            {
                ids[k * 7] = format!("org/m{old:06}");
            }
        }
        let items: Vec<serde_json::Value> = ids.iter().map(|id| serde_json::json!({ "id": id })).collect();
        serde_json::Value::Array(items).to_string()
    };
    let link_base = base.clone();
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/models"))
        .respond_with(move |req: &Request| {
            let page: usize = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut response = ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(page_body(page));
            if page + 1 < PAGES {
                response = response.insert_header(
                    "link",
                    format!("<{link_base}?limit={PER_PAGE}&cursor={}>; rel=\"next\"", page + 1).as_str(),
                );
            }
            response
        })
        .mount(&server)
        .await;

    let assert = hub_fetch(&server)
        .args(["-f", "ndjson", "--batch-size", "1000"])
        .args(["--limit", "100000"])
        .assert()
        .success();
    let records = ndjson(&assert.get_output().stdout);
    let ids = ids(&records);
    assert_eq!(ids.len(), PAGES * PER_PAGE - 10);
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no model written twice");
    assert_eq!(ids[0], "org/m000000");
    assert_eq!(ids.last().unwrap(), "org/m044999");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("44990 models, 45 pages"), "{stderr}");
    assert!(stderr.contains("(10 duplicate ids dropped)"), "{stderr}");
}
