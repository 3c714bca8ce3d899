//! Sentinel keys never leak.

use std::fs;
use std::time::{Duration, Instant};

use catalog::providers::ProviderSpec;
use serde_json::json;

use super::{respond, stderr_of};
use crate::common::hub::hub_id;
use crate::common::providers::builtin;
use crate::common::raw::{contains, files_under, hub_page, Action, RawRequest, RawServer, Response};
use crate::common::{catalog, fresh_dir, hub_catalog, ids, key_vars, ndjson};

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

/// The [`hostile`] server kind each built-in provider is pointed at. Written
/// by hand: [`plan`] checks it covers exactly the built-in table.
const KINDS: &[(&str, &str)] = &[
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

/// Every built-in provider, in table order, with its server kind.
fn plan() -> Vec<(&'static ProviderSpec, &'static str)> {
    let plan: Vec<(&ProviderSpec, &str)> = builtin()
        .iter()
        .map(|spec| {
            let (_, kind) = KINDS
                .iter()
                .find(|(name, _)| *name == spec.name)
                .unwrap_or_else(|| panic!("KINDS has no server for the built-in {}", spec.name));
            (spec, *kind)
        })
        .collect();
    assert_eq!(
        plan.len(),
        KINDS.len(),
        "KINDS names a provider the table does not have"
    );
    plan
}

#[test]
fn sentinel_keys_never_appear_in_output_logs_errors_or_files() {
    let server = RawServer::start(hostile);
    // Each provider's server fails its own way; two succeed (in part), so
    // that the output file, the cache and its checkpoints get written too.
    let plan = plan();
    let work = fresh_dir("sentinel");
    let cache = work.join("cache");
    let snaps = work.join("snaps");
    let out_file = work.join("out.ndjson");
    let with_env = |mut cmd: assert_cmd::Command| {
        for var in key_vars() {
            cmd.env(var, sentinel(var));
        }
        for (spec, kind) in &plan {
            cmd.env(
                spec.url_env(),
                server.url(&format!("/{kind}/{}/models", spec.name)),
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
            ["fetch", "--all", "-f", "ndjson", "-v", "--retries", "0"]
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
    // The response lines of -v and -vv were there to leak: a 401 echoing
    // the key, the Hub's pages and the 500 after them, a reset connection.
    for level in ["-v", "-vv"] {
        let (_, stderr) = texts
            .iter()
            .find(|(what, _)| {
                what.starts_with("stderr of") && what.contains(&format!("\"{level}\", \"--retries\", \"0\""))
            })
            .unwrap_or_else(|| panic!("no fetch run at {level}"));
        let stderr = String::from_utf8_lossy(stderr);
        for part in [
            "/e401/openrouter/models → 401, ",
            "/hubthen500/hug/models?limit=100&",
            "&cursor=c100 → 500, ",
            "/reset/xai/models → failed after ",
        ] {
            assert!(
                stderr
                    .lines()
                    .any(|l| l.starts_with("DEBUG GET http://") && l.contains(part)),
                "{level}: no response line with {part}:\n{stderr}"
            );
        }
    }
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
    let out = hub_catalog(&server)
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

#[test]
fn a_key_sent_in_the_query_never_shows_in_response_or_failure_lines() {
    // A configured provider that takes its key as `?key=`: the first attempt's
    // connection is reset (reqwest's error names the URL it sent, key and
    // all), the second is answered.
    let key = "q_SENTINEL_query_0123456789";
    let server = RawServer::start(|req| {
        if req.n % 2 == 1 {
            Action::Reset
        } else {
            respond(Response::json(200, &json!({"data": [{"id": "lab/model-1"}]})))
        }
    });
    let dir = fresh_dir("query-key");
    let config = dir.join("config.toml");
    fs::write(
        &config,
        format!(
            "[providers.qlab]\nurl = \"{}\"\nkey_env = \"QLAB_KEY\"\nauth = \"query:key\"\nneeds_key = true\n",
            server.url("/v1/models")
        ),
    )
    .unwrap();
    for level in ["-v", "-vv"] {
        let out = catalog()
            .env("CATALOG_CONFIG", &config)
            .env("QLAB_KEY", key)
            .args(["fetch", "-p", "qlab", "-f", "ndjson", level])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let sent = server.requests().last().unwrap().target.clone();
        assert!(sent.contains(key), "the key went in the query: {sent}");
        let stderr = stderr_of(&out);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("DEBUG GET ")).collect();
        let url = server.url("/v1/models");
        assert_eq!(lines.len(), 2, "{level}: {stderr}");
        assert!(
            lines[0].starts_with(&format!("DEBUG GET {url} → failed after ")),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(&format!("DEBUG GET {url} → 200, ")),
            "{}",
            lines[1]
        );
        assert!(!stderr.contains(key), "{level} leaked the key:\n{stderr}");
    }
}
