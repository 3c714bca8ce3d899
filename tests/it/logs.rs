//! The `-v` request log: one line per response (method, URL, status, size,
//! time, quota), one per failed request, whole URLs in files and at `-vv`,
//! URLs cut to the terminal's width on a terminal.

use std::io::Read as _;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use wiremock::MockServer;

use crate::common::hub::{hub_id, hub_model, hub_page_of, FakeHub, Faults};
use crate::common::raw::{Action, RawServer, Response};
use crate::common::{catalog, hub_fetch, hub_fetch_std, hub_server};

/// The test's own copy of the size wording (`512 B`, `34.6 KiB`).
fn size_text(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

/// The response lines of a run's stderr (`GET ... → ...`), `\r` dropped.
fn response_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| l.starts_with("DEBUG GET "))
        .collect()
}

/// A line's URL and what follows the arrow.
fn split(line: &str) -> (&str, &str) {
    line.strip_prefix("DEBUG GET ")
        .and_then(|l| l.split_once(" → "))
        .unwrap_or_else(|| panic!("not a response line: {line}"))
}

/// `outcome` is `<status>, <size>, <ms> ms<rest>`: returns (head, ms, rest).
fn millis(outcome: &str) -> (&str, u64, &str) {
    let (before, rest) = outcome.split_once(" ms").expect("a time in ms");
    let (head, ms) = before.rsplit_once(", ").expect("a time after the size");
    (head, ms.parse().expect("whole milliseconds"), rest)
}

/// A fake Hub of 250 models that states its quota (500 per 300 s) on every
/// response and answers each request after `latency`.
async fn quota_hub(latency: Duration) -> (FakeHub, MockServer) {
    let hub = FakeHub::new(250)
        .with_faults(Faults {
            quota: Some((500, 300)),
            ..Faults::default()
        })
        .with_latency(latency);
    let server = hub_server(hub.clone()).await;
    (hub, server)
}

/// The body length of the page `url` asks for of the fake Hub of 250.
fn page_len(url: &url::Url) -> usize {
    hub_page_of(url, 250, |i| hub_model(&hub_id(i), i)).0.len()
}

/// The full URL the client asked for, as the fake Hub saw it.
fn asked(server: &MockServer, url: &url::Url) -> String {
    format!("{}{}?{}", server.uri(), url.path(), url.query().unwrap_or(""))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_hub_response_is_one_line_with_status_size_time_and_the_quota_it_stated() {
    let (hub, server) = quota_hub(Duration::from_millis(120)).await;
    let out = hub_fetch(&server)
        .args(["--limit", "250", "-f", "ndjson", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = response_lines(&stderr);
    let seen = hub.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(lines.len(), 3, "one line per response:\n{stderr}");
    for (k, (line, req)) in lines.iter().zip(&seen).enumerate() {
        let (url, outcome) = split(line);
        // stderr is no terminal here: the whole URL.
        assert_eq!(url, asked(&server, &req.url), "{line}");
        let (head, ms, rest) = millis(outcome);
        assert_eq!(head, format!("200, {}", size_text(page_len(&req.url))), "{line}");
        assert!((120..5000).contains(&ms), "the 120 ms the server took: {line}");
        // The mock stated r = 500 - n (n the request's number) and t = 300.
        assert_eq!(rest, format!(", quota {}/500, reset 300 s", 499 - k), "{line}");
    }
    assert!(lines[1].contains("&cursor=c100 → "), "{}", lines[1]);
    // No other line repeats a request's URL (no separate request line).
    let mentions = stderr.lines().filter(|l| l.contains("/api/models?")).count();
    assert_eq!(mentions, 3, "{stderr}");
}

#[test]
fn provider_quota_headers_of_the_x_ratelimit_kind_are_shown_too() {
    let body = serde_json::to_vec(&json!({"object": "list", "data": [{"id": "llama-4", "object": "model"}]}))
        .unwrap();
    let len = body.len();
    let server = RawServer::start(move |_| {
        Action::Respond(
            Response::new(200)
                .header("Content-Type", "application/json")
                .header("x-ratelimit-limit-requests", "14400")
                .header("x-ratelimit-remaining-requests", "14399")
                .header("x-ratelimit-reset-requests", "2m59.56s")
                .header("x-ratelimit-remaining-tokens", "5999")
                .body(body.clone()),
        )
    });
    let out = catalog()
        .env("CATALOG_GROQ_URL", server.url("/openai/v1/models"))
        .env("GROQ_API_KEY", "gsk-test")
        .args(["fetch", "-p", "groq", "-f", "ndjson", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The Hub's mapping of Groq is asked too (of the closed Hub port): not
    // this provider's request.
    let lines: Vec<String> = response_lines(&stderr)
        .into_iter()
        .filter(|l| !l.contains("/api/partners/groq/"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let (url, outcome) = split(&lines[0]);
    assert_eq!(url, server.url("/openai/v1/models"));
    let (head, _, rest) = millis(outcome);
    assert_eq!(head, format!("200, {len} B"));
    // 179.56 s, rounded up.
    assert_eq!(rest, ", quota 14399/14400, reset 180 s");
}

#[test]
fn a_request_that_gets_no_response_logs_one_line_with_the_reason_and_its_retry_another() {
    // Nothing listens on port 9 of loopback: each attempt is refused.
    let out = catalog()
        .env("CATALOG_HUG_URL", "http://127.0.0.1:9/api/models")
        .args(["fetch", "-p", "hug", "--delay-ms", "0", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = response_lines(&stderr);
    assert_eq!(lines.len(), 2, "two attempts, one line each:\n{stderr}");
    for line in &lines {
        let (url, outcome) = split(line);
        assert!(
            url.starts_with("http://127.0.0.1:9/api/models?limit=100&"),
            "{line}"
        );
        assert!(outcome.starts_with("failed after "), "{line}");
        assert!(outcome.ends_with("Connection refused (os error 111)"), "{line}");
    }
    let retries: Vec<&str> = stderr.lines().filter(|l| l.contains("retrying")).collect();
    assert_eq!(retries.len(), 1, "{stderr}");
    assert!(
        retries[0].starts_with("DEBUG retrying GET http://127.0.0.1:9/api/models?limit=100&"),
        "{}",
        retries[0]
    );
    assert!(retries[0].ends_with(": attempt 2 of 6"), "{}", retries[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_logs_its_response_then_the_retry_then_the_next_response() {
    let hub = FakeHub::new(50).with_faults(Faults {
        fail_requests: vec![(1, 503)],
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let out = hub_fetch(&server).args(["-f", "ndjson", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("DEBUG GET ") || l.starts_with("DEBUG retrying"))
        .collect();
    assert_eq!(log.len(), 3, "{stderr}");
    let (_, failed) = split(log[0]);
    let body = "{\"error\":\"injected failure\"}".len();
    assert_eq!(millis(failed).0, format!("503, {body} B"), "{}", log[0]);
    assert!(log[1].starts_with("DEBUG retrying GET "), "{}", log[1]);
    assert!(log[1].ends_with(": attempt 2 of 6"), "{}", log[1]);
    let (_, ok) = split(log[2]);
    let (head, _, rest) = millis(ok);
    assert_eq!(head, format!("200, {}", size_text(page_len_of(&hub, 1, 50))));
    assert_eq!(rest, "", "the fake Hub states no quota without the quota fault");
}

/// The body length of the `k`-th request's page (0-based) of a fake Hub of `total`.
fn page_len_of(hub: &FakeHub, k: usize, total: usize) -> usize {
    let url = &hub.seen()[k].url;
    hub_page_of(url, total, |i| hub_model(&hub_id(i), i)).0.len()
}

/// A pseudo-terminal `cols` wide: (the side to read, the side for the child).
fn pty(cols: u16) -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty(3) writes two descriptors into the ints we own and
    // reads the window size we pass; the name and termios may be null.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &raw const size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned
    // here alone.
    unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Runs `cmd` with its stderr on a pseudo-terminal `cols` wide; returns
/// what the terminal showed.
fn on_terminal(mut cmd: std::process::Command, cols: u16) -> String {
    let (mut master, slave) = pty(cols);
    cmd.env_remove("COLUMNS")
        .env_remove("LINES")
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap();
    // The child holds the only other copy of the terminal's slave side now.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        // Linux reports EIO once the last slave descriptor is closed.
        let _ = master.read_to_end(&mut shown);
        shown
    });
    assert_eq!(child.wait().unwrap().code(), Some(0));
    String::from_utf8(reader.join().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_the_url_is_cut_to_fit_the_line_and_at_vv_it_is_whole() {
    let (hub, server) = quota_hub(Duration::ZERO).await;
    let cols = 120;
    let mut cmd = hub_fetch_std(&server);
    cmd.args(["--limit", "100", "--no-progress", "-q", "-v"]);
    let shown = on_terminal(cmd, cols);
    let lines = response_lines(&shown);
    assert_eq!(lines.len(), 1, "{shown}");
    let line = &lines[0];
    let full = asked(&server, &hub.seen()[0].url);
    let bare = full.strip_prefix("http://").unwrap();
    let (url, outcome) = split(line);
    let (head, _, rest) = millis(outcome);
    assert_eq!(head, format!("200, {}", size_text(page_len(&hub.seen()[0].url))));
    assert_eq!(rest, ", quota 499/500, reset 300 s");
    // Host, path and the query's start, cut with … so the line is as wide
    // as the terminal.
    assert!(
        bare.chars().count() > 120,
        "the URL is longer than the terminal: {bare}"
    );
    assert_eq!(line.chars().count(), usize::from(cols), "{line}");
    let kept = url
        .strip_suffix('…')
        .unwrap_or_else(|| panic!("cut with …: {line}"));
    assert!(bare.starts_with(kept), "{url} is the start of {bare}");
    assert!(kept.starts_with(&format!(
        "{}/api/models?limit=100&",
        &server.uri()["http://".len()..]
    )));

    // -vv: the whole URL, terminal or not.
    let mut cmd = hub_fetch_std(&server);
    cmd.args(["--limit", "100", "--no-progress", "-q", "-vv"]);
    let shown = on_terminal(cmd, cols);
    let lines = response_lines(&shown);
    assert_eq!(lines.len(), 1, "{shown}");
    assert_eq!(split(&lines[0]).0, asked(&server, &hub.seen()[1].url));
}
