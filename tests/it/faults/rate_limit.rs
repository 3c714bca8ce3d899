//! Rate limits: the server-stated wait, then the same cursor.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::hub_ids;
use crate::common::raw::{hub_page, RawServer, Response};
use crate::common::{hub_fetch, ids, ndjson};

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

/// `min_gap` is the wait asked for less a few milliseconds: the mock notes
/// a request when it gets to it, which on a loaded machine shortens the gap
/// it sees (a client that did not wait shows a gap of about 1 ms).
fn assert_waits_then_resumes(headers: Vec<(&'static str, String)>, min_gap: Duration) {
    let server = hub_429_at_2(headers.clone());
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
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
        Duration::from_millis(45),
    );
}

#[test]
fn a_429_with_retry_after_seconds_waits_then_resumes() {
    assert_waits_then_resumes(vec![("Retry-After", "6".into())], Duration::from_millis(54));
}

#[test]
fn a_429_with_retry_after_http_date_waits_then_resumes() {
    // 5 whole seconds ahead is more than 4 s from now, 40 ms scaled.
    assert_waits_then_resumes(vec![("Retry-After", http_date_in(5))], Duration::from_millis(35));
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
    let out = hub_fetch(&server)
        .args(["-f", "ndjson", "--max-wait", "60"])
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

/// A 300-model Hub whose every page (200) carries `ratelimit`.
fn hub_announcing(ratelimit: &'static str) -> RawServer {
    RawServer::start(move |req| respond(hub_page(req, 300).header("RateLimit", ratelimit)))
}

#[test]
fn an_absurd_ratelimit_window_on_a_200_neither_panics_nor_loses_the_first_page() {
    for ratelimit in [
        "\"api\";r=0;t=18446744073709551615",
        "\"api\";r=5;t=18446744073709551615",
    ] {
        let server = hub_announcing(ratelimit);
        let started = Instant::now();
        let out = hub_fetch(&server)
            .args(["-f", "ndjson", "--max-wait", "5", "--batch-size", "100"])
            .assert()
            .code(3)
            .get_output()
            .clone();
        assert!(started.elapsed() < Duration::from_secs(20), "{ratelimit}: waited");
        let stderr = stderr_of(&out);
        assert!(!stderr.contains("panicked"), "{ratelimit}: {stderr}");
        let line = summary_line(&stderr, "hug");
        assert!(line.contains("failed after 100 models"), "{ratelimit}: {line}");
        assert!(line.contains("more than --max-wait 5s"), "{ratelimit}: {line}");
        assert_eq!(ids(&ndjson(stdout_of(&out))), hub_ids(100), "{ratelimit}");
    }
}

#[test]
fn a_quota_window_on_a_200_longer_than_max_wait_fails_instead_of_sleeping() {
    // With a key the Hub is not spaced by a delay; the window alone would
    // hold the next request for 100,000 s.
    let server = hub_announcing("\"api\";r=0;t=100000");
    let started = Instant::now();
    let out = hub_fetch(&server)
        .env("HF_TOKEN", "hf_test")
        .args(["-f", "ndjson", "--max-wait", "5"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no wait was attempted"
    );
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(line.contains("failed after 100 models"), "{line}");
    // What is left of the window when the wait is weighed: at the tests'
    // time scale a real millisecond is 0.1 s of it, so a loaded machine
    // that takes up to a second to get there sees up to 100 s less.
    assert!((99_900..=100_001).contains(&asked_wait(&line)), "{line}");
    assert_eq!(server.count(), 1, "the second page is never asked for");
}

#[test]
fn without_bars_a_long_wait_is_said_in_one_line_naming_the_provider_and_the_cause() {
    // stderr is a pipe here: no bars, so the 90 s window is a line of its own.
    let server = hub_429_at_2(vec![("Retry-After", "90".into())]);
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("waiting"))
            .collect::<Vec<_>>(),
        ["hug: waiting 90 s for the rate-limit window"],
        "{stderr}"
    );
    // A short wait (6 s) is not worth a line.
    let server = hub_429_at_2(vec![("Retry-After", "6".into())]);
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!stderr_of(&out).contains("waiting"), "{}", stderr_of(&out));
    // -q: no wait lines (warnings stay).
    let server = hub_429_at_2(vec![("Retry-After", "90".into())]);
    let out = hub_fetch(&server)
        .args(["-f", "ndjson", "-q"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!stderr_of(&out).contains("waiting"), "{}", stderr_of(&out));
}
