//! Control characters and ANSI escapes from providers.

use serde_json::json;

use super::{respond, stderr_of, summary_line};
use crate::common::raw::{contains, RawServer, Response};
use crate::common::{hub_catalog, ids, ndjson};

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
    let mut cmd = hub_catalog(hub);
    cmd.env("CATALOG_GROQ_URL", groq.url("/openai/v1/models"))
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
        summary_line(&stderr, "hug").contains("(1 malformed model skipped)"),
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

/// A stderr whose reader is already gone: every write to it fails with EPIPE.
fn closed_stderr() -> std::process::Stdio {
    use std::os::fd::FromRawFd as _;
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just created by pipe(2) and are owned
    // here alone: the read end is closed, the write end handed to the child.
    unsafe {
        libc::close(fds[0]);
        std::process::Stdio::from(std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    }
}

#[test]
fn a_closed_stderr_never_panics_and_the_exit_code_still_says_what_happened() {
    // A usage error: its message cannot be read, the code still says it.
    let status = crate::common::catalog_std()
        .args(["fetch"])
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));

    let hub = RawServer::start(|_| respond(Response::json(200, &json!([{"id": "org/m"}]))));
    let dir = crate::common::fresh_dir("closed-stderr");
    let file = dir.join("out.ndjson");
    let status = crate::common::hub_fetch_std(&hub)
        .args(["-v", "-o"])
        .arg(&file)
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the summary and logs are lost, not the run"
    );
    assert_eq!(ids(&ndjson(&std::fs::read(&file).unwrap())), ["org/m"]);
}
