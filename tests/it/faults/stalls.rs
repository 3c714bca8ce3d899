//! Servers that never answer, stall mid-body, or trickle.

use std::time::{Duration, Instant};

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::hub_ids;
use crate::common::hub::FakeHub;
use crate::common::raw::{hub_page, Action, RawServer};
use crate::common::RunExt as _;
use crate::common::{hub_catalog, hub_server, ids, ndjson, providers};

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_and_the_other_provider_is_still_written() {
    let hang = RawServer::start(|_| Action::Hang);
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let started = Instant::now();
    let out = hub_catalog(&server)
        .env("CATALOG_CHUTES_URL", hang.url("/v1/models"))
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
    let out = hub_catalog(&hub)
        .env("CATALOG_GROQ_URL", format!("{}{}", groq.uri(), spec.path))
        .env("GROQ_API_KEY", "gsk-test")
        // The Hub's mapping of Groq is asked elsewhere than of this Hub,
        // whose requests are counted: a closed port, so it fails aside.
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
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
    let server = RawServer::start(|req| Action::trickle(hub_page(req, 20), 5, Duration::from_millis(250)));
    let started = Instant::now();
    let out = hub_catalog(&server)
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

/// Six configured providers on one server; `p1` and `p2` never answer.
fn six_providers() -> (RawServer, std::path::PathBuf) {
    let server = RawServer::start(|req| {
        if req.target.starts_with("/p1/") || req.target.starts_with("/p2/") {
            Action::Hang
        } else {
            respond(crate::common::raw::Response::json(
                200,
                &serde_json::json!({"data": [{"id": "m"}]}),
            ))
        }
    });
    let dir = crate::common::fresh_dir("jobs");
    let config = dir.join("config.toml");
    let mut text = String::new();
    for n in 1..=6 {
        text.push_str(&format!(
            "[providers.p{n}]\nurl = \"{}\"\n",
            server.url(&format!("/p{n}/v1/models"))
        ));
    }
    std::fs::write(&config, text).unwrap();
    (server, config)
}

fn first_request_of(server: &RawServer, provider: &str) -> Instant {
    server
        .requests()
        .iter()
        .find(|r| r.target.starts_with(&format!("/{provider}/")))
        .unwrap_or_else(|| panic!("{provider} was never asked"))
        .at
}

#[test]
fn jobs_bounds_the_providers_harvested_at_once_and_keeps_their_order() {
    let (server, config) = six_providers();
    let out = crate::common::catalog()
        .arg("--config")
        .arg(&config)
        .args([
            "fetch",
            "-p",
            "p1,p2,p3,p4,p5,p6",
            "--jobs",
            "2",
            "--timeout",
            "1",
            "--retries",
            "0",
        ])
        .args(["-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    // p3 starts only when one of the first two (hanging until the 1 s
    // timeout) has ended.
    let waited = first_request_of(&server, "p3") - first_request_of(&server, "p1");
    assert!(
        waited >= Duration::from_millis(900),
        "p3 started {waited:?} after p1"
    );
    let providers: Vec<String> = ndjson(stdout_of(&out))
        .iter()
        .map(|r| r["provider"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(providers, ["p3", "p4", "p5", "p6"], "{}", stderr_of(&out));

    // By default all six start at once.
    let (server, config) = six_providers();
    crate::common::catalog()
        .arg("--config")
        .arg(&config)
        .args([
            "fetch",
            "-p",
            "p1,p2,p3,p4,p5,p6",
            "--timeout",
            "1",
            "--retries",
            "0",
        ])
        .assert()
        .code(3);
    let waited = first_request_of(&server, "p3") - first_request_of(&server, "p1");
    assert!(
        waited < Duration::from_millis(900),
        "p3 started {waited:?} after p1"
    );
}

#[test]
fn a_provider_that_cannot_be_reached_fails_after_one_retry_in_one_line() {
    // Nothing listens on port 9 of loopback: the connection is refused.
    let out = crate::common::catalog()
        .env("CATALOG_HUG_URL", "http://127.0.0.1:9/api/models")
        .env("CATALOG_TEST_TIME_SCALE", "1")
        .args(["fetch", "-p", "hug", "--delay-ms", "0", "-v"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    let line = summary_line(&stderr, "hug");
    assert!(
        line.contains("cannot reach 127.0.0.1:9 (Connection refused (os error 111); 2 attempts); offline?"),
        "{line}"
    );
    assert!(line.contains("HF_ENDPOINT or CATALOG_<NAME>_URL"), "{line}");
    assert_eq!(stderr.matches("retrying").count(), 1, "one retry: {stderr}");
}

#[test]
fn a_reader_that_stops_reading_never_times_out_the_page_still_coming() {
    use std::io::Read as _;
    use std::process::Stdio;
    // Pages of 100 that each take 0.6 s to arrive go to the output one by
    // one (each waits out the hold for company). A reader that stops reading
    // fills the pipe and the writer's channel; the page then on its way must
    // still be read as it comes, not left unpolled past --timeout 1 and
    // failed (there are no retries to hide it).
    let server = RawServer::start(|req| Action::trickle(hub_page(req, 1000), 3, Duration::from_millis(200)));
    let mut child = crate::common::hub_fetch_std(&server)
        .args(["-f", "ndjson", "--timeout", "1", "--retries", "0", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(ids(&ndjson(&out)), hub_ids(1000));
    assert_eq!(server.count(), 10, "{stderr}");
}
