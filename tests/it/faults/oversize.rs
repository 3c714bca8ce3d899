//! Oversized bodies and fields.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{respond, stderr_of, stdout_of, summary_line};
use crate::common::hub::hub_model;
use crate::common::raw::{Action, RawServer, Response};
use crate::common::{hub_catalog, ids, ndjson};

const CAP: u64 = 64 << 20;

fn assert_too_large(declare_length: bool) {
    let server = RawServer::start(move |_| Action::Stream {
        response: Response::new(200).header("Content-Type", "application/json"),
        total: 70 << 20,
        declare_length,
        filler: br#"{"id":"org/filler","downloads":1},"#.to_vec(),
    });
    let started = Instant::now();
    let out = hub_catalog(&server)
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
    let out = hub_catalog(&server)
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

#[test]
fn a_model_too_long_for_a_line_is_skipped_and_what_is_written_diff_can_read() {
    // 40 MiB of owner: written whole; with --raw its record would be twice
    // that, beyond the 64 MiB line every reader accepts, so it is skipped.
    let owner = "o".repeat(40 << 20);
    let body = json!([
        hub_model("org/before", 0),
        {"id": "org/big", "author": owner},
        hub_model("org/after", 2),
    ]);
    let server = RawServer::start(move |_| respond(Response::json(200, &body)));
    let dir = crate::common::fresh_dir("oversize");
    let file = dir.join("big.ndjson");
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-q", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        ids(&ndjson(&std::fs::read(&file).unwrap())),
        ["org/before", "org/big", "org/after"]
    );
    crate::common::catalog()
        .arg("diff")
        .arg(&file)
        .arg(&file)
        .assert()
        .code(0);
    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--raw", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(stdout_of(&out))), ["org/before", "org/after"]);
    let line = summary_line(&stderr_of(&out), "hug");
    assert!(line.contains("(1 malformed model skipped)"), "{line}");
}
