//! Bad input fails fast, before any request.

use crate::common::hub_url;
use std::fs;
use std::time::{Duration, Instant};

use super::{respond, stderr_of};
use crate::common::catalog;
use crate::common::raw::{hub_page, RawServer};

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
                url.map_or_else(|| hub_url(&server), str::to_owned),
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
