//! The Hub's inference-provider mapping (`canonical_by: hf_mapping`) against
//! mocks: Groq and Fireworks serve their recorded listings (`groq-models.json`,
//! `fireworks-87b0af4.json`) and the fake Hub beside them serves each
//! partner's mapping from `hf-partners-<partner>.json` (built from the
//! documented shape: `tests/fixtures/identity/README.md`).

use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::providers::{mapping_path, mount, spec, url_env, PROVIDERS};
use crate::common::{catalog, fresh_dir, ndjson, RunExt as _};

const KEYS: [(&str, &str); 2] = [("groq", "gsk-test"), ("fireworks", "fw-test")];

/// Groq and Fireworks with their keys, and their mappings beside the fake
/// Hub's path (`mount` serves a partner's mapping with its listing).
async fn mocks() -> MockServer {
    let server = MockServer::start().await;
    for (name, key) in KEYS {
        let p = PROVIDERS.iter().find(|p| p.name == name).unwrap();
        mount(&server, p, Some(key)).await;
    }
    server
}

/// `catalog` with every provider pointed at `server`, the keys set and a
/// cache of its own.
fn run(server: &MockServer, cache: &std::path::Path) -> Command {
    let mut cmd = catalog();
    cmd.envs(url_env(server)).env("CATALOG_CACHE_DIR", cache);
    for (name, key) in KEYS {
        cmd.env(&spec(name).key_env[0], key);
    }
    cmd
}

/// The record `id` of `provider` among `records`.
fn record<'a>(records: &'a [Value], provider: &str, id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["provider"] == provider && r["id"] == id)
        .unwrap_or_else(|| panic!("no {provider} {id}"))
}

fn key_of(records: &[Value], provider: &str, id: &str) -> (String, String) {
    let r = record(records, provider, id);
    (
        r["canonical_id"].as_str().unwrap().to_owned(),
        r["canonical_by"].as_str().unwrap().to_owned(),
    )
}

/// The key of Groq's `llama-3.3-70b-versatile` in an NDJSON output.
fn groq_llama(stdout: &[u8]) -> (String, String) {
    key_of(&ndjson(stdout), "groq", "llama-3.3-70b-versatile")
}

fn pair(key: &str, by: &str) -> (String, String) {
    (key.to_owned(), by.to_owned())
}

/// The requests `server` received for `partner`'s mapping.
async fn mapping_requests(server: &MockServer, partner: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == mapping_path(partner))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partners_own_mapping_gives_its_records_the_repositorys_key() {
    let server = mocks().await;
    let out = run(&server, &fresh_dir("cache"))
        .args(["fetch", "-p", "groq,fireworks", "-f", "ndjson"])
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    assert_eq!(records.len(), 20 + 27, "no record merged or dropped");
    // Groq's alias and Fireworks' slug without a size: the repositories the
    // providers registered, keyed as every other layer keys them.
    assert_eq!(
        key_of(&records, "groq", "llama-3.3-70b-versatile"),
        pair("llama3.3-70b-instruct", "hf_mapping")
    );
    assert_eq!(
        key_of(
            &records,
            "fireworks",
            "accounts/fireworks/models/llama4-scout-instruct-basic"
        ),
        pair("llama4-scout-17b-16e-instruct", "hf_mapping")
    );
    assert_eq!(
        key_of(&records, "groq", "meta-llama/llama-4-scout-17b-16e-instruct"),
        pair("llama4-scout-17b-16e-instruct", "hf_mapping")
    );
    // A staging entry re-points `deepseek-v3` at V3.1: not served yet, so
    // the live entry decides.
    assert_eq!(
        key_of(&records, "fireworks", "accounts/fireworks/models/deepseek-v3"),
        pair("deepseek-v3", "hf_mapping")
    );
    // Ids the mapping does not name keep the other layers' keys.
    assert_eq!(
        key_of(&records, "groq", "allam-2-7b"),
        pair("allam2-7b", "normalized")
    );
    assert_eq!(
        key_of(&records, "groq", "groq/compound"),
        pair("compound", "provider_id")
    );
    let mapped = records
        .iter()
        .filter(|r| r["canonical_by"] == "hf_mapping")
        .count();
    assert_eq!(
        mapped,
        13 + 19,
        "13 of Groq's 20 ids and 19 of Fireworks' 27 are mapped"
    );
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    // Once per partner, asking for the live entries.
    for partner in ["groq", "fireworks-ai"] {
        let asked = mapping_requests(&server, partner).await;
        assert_eq!(asked.len(), 1, "{partner}");
        assert_eq!(asked[0].url.query(), Some("status=live"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_filter_sees_the_mappings_key() {
    let server = mocks().await;
    let out = run(&server, &fresh_dir("cache"))
        .args([
            "fetch",
            "-p",
            "groq,fireworks",
            "-f",
            "ndjson",
            "--filter",
            "canonical=llama3.3-70b-instruct",
        ])
        .ok_stdout();
    let ids: Vec<(String, String)> = ndjson(&out)
        .iter()
        .map(|r| {
            (
                r["provider"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            pair("groq", "llama-3.3-70b-versatile"),
            pair("fireworks", "accounts/fireworks/models/llama-v3p3-70b-instruct"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_token_goes_to_the_hub_only_and_hf_endpoint_says_where_it_is() {
    // The providers on one origin, the Hub (a mirror under a path) on another.
    let providers = MockServer::start().await;
    let groq = PROVIDERS.iter().find(|p| p.name == "groq").unwrap();
    mount(&providers, groq, Some("gsk-test")).await;
    let hub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mirror/api/partners/groq/models"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            std::fs::read(crate::common::fixture("hf-partners-groq.json")).unwrap(),
            "application/json",
        ))
        .mount(&hub)
        .await;
    let out = catalog()
        .env("CATALOG_GROQ_URL", format!("{}{}", providers.uri(), groq.path))
        .env_remove("CATALOG_HUG_URL")
        .env("HF_ENDPOINT", format!("{}/mirror/", hub.uri()))
        .env("HF_TOKEN", "hf-test-token")
        .env("GROQ_API_KEY", "gsk-test")
        .args(["fetch", "-p", "groq", "-f", "ndjson", "--no-cache"])
        .ok_stdout();
    let records = ndjson(&out);
    assert_eq!(
        key_of(&records, "groq", "llama-3.1-8b-instant"),
        pair("llama3.1-8b-instruct", "hf_mapping")
    );
    let auth = |r: &wiremock::Request| {
        r.headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let to_hub = hub.received_requests().await.unwrap();
    assert_eq!(to_hub.len(), 1);
    assert_eq!(auth(&to_hub[0]).as_deref(), Some("Bearer hf-test-token"));
    for r in providers.received_requests().await.unwrap() {
        assert_eq!(auth(&r).as_deref(), Some("Bearer gsk-test"), "{}", r.url);
        assert!(!r.url.path().contains("partners"), "{}", r.url);
    }
}

/// A run whose Hub answers `hub` for the mapping: every record is there,
/// the exit code is 0, none is decided by the mapping, and stderr holds
/// exactly one line, the warning, which names the cause.
async fn falls_back(hub: ResponseTemplate, extra: &[&str], cause: &str) {
    let server = MockServer::start().await;
    let groq = PROVIDERS.iter().find(|p| p.name == "groq").unwrap();
    mount(&server, groq, Some("gsk-test")).await;
    // Over the fixture the mount serves.
    Mock::given(method("GET"))
        .and(path(mapping_path("groq")))
        .respond_with(hub)
        .with_priority(1)
        .mount(&server)
        .await;
    let out = run(&server, &fresh_dir("cache"))
        .args(["fetch", "-p", "groq", "-f", "ndjson", "-q"])
        .args(extra)
        .assert()
        .code(0);
    let records = ndjson(&out.get_output().stdout);
    assert_eq!(records.len(), 20);
    assert!(records.iter().all(|r| r["canonical_by"] != "hf_mapping"));
    assert_eq!(
        key_of(&records, "groq", "llama-3.3-70b-versatile"),
        pair("llama3.3-70b-instruct", "normalized"),
        "the other layers still link the alias"
    );
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("warning: the Hub's inference-provider mapping is unavailable for groq ("),
        "{stderr}"
    );
    assert!(lines[0].contains(cause), "{cause:?} not in {stderr}");
    assert!(
        lines[0].ends_with("); their canonical ids come from the other layers"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_costs_the_mapping_with_one_warning_not_the_run() {
    falls_back(ResponseTemplate::new(503), &[], "HTTP 503 from http://").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_mapping_costs_it_with_one_warning() {
    falls_back(ResponseTemplate::new(404), &[], "HTTP 404").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_is_no_mapping_costs_it_with_one_warning() {
    falls_back(
        ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
        &[],
        "/hug/api/partners/groq/models?status=live is no mapping: invalid JSON: expected value at line 1 column 1",
    )
    .await;
    falls_back(
        ResponseTemplate::new(200).set_body_raw("{\"error\":\"Provider not found\"}", "application/json"),
        &[],
        "is no mapping: not a mapping: no entry with a providerId (keys error)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_that_does_not_answer_in_time_costs_the_mapping_with_one_warning() {
    falls_back(
        ResponseTemplate::new(200).set_delay(Duration::from_secs(5)),
        &["--timeout", "1"],
        "failed after 2 attempt(s)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_hub_costs_the_mapping_with_one_warning() {
    let server = MockServer::start().await;
    let groq = PROVIDERS.iter().find(|p| p.name == "groq").unwrap();
    mount(&server, groq, Some("gsk-test")).await;
    let out = catalog()
        .env("CATALOG_GROQ_URL", format!("{}{}", server.uri(), groq.path))
        .env("GROQ_API_KEY", "gsk-test")
        .args(["fetch", "-p", "groq", "-f", "ndjson", "-q", "--no-cache"])
        .assert()
        .code(0);
    assert_eq!(ndjson(&out.get_output().stdout).len(), 20);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "warning: the Hub's inference-provider mapping is unavailable for groq (cannot reach 127.0.0.1:9"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mapping_is_cached_like_a_listing_and_served_offline() {
    let server = mocks().await;
    let cache = fresh_dir("cache");
    run(&server, &cache)
        .args(["fetch", "-p", "groq", "-q"])
        .assert()
        .success();
    assert_eq!(mapping_requests(&server, "groq").await.len(), 1);
    // Fresh: ls answers from the cache, the mapping included.
    let out = run(&server, &cache)
        .args([
            "ls",
            "-p",
            "groq",
            "-f",
            "ndjson",
            "--filter",
            "canonical=llama3.1-8b-instruct",
        ])
        .ok_stdout();
    let records = ndjson(&out);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["canonical_by"], "hf_mapping");
    assert_eq!(
        mapping_requests(&server, "groq").await.len(),
        1,
        "served from the cache"
    );
    // Offline: no request at all, the mapping still there.
    let before = server.received_requests().await.unwrap().len();
    let out = run(&server, &cache)
        .args(["fetch", "-p", "groq", "-f", "ndjson", "--offline"])
        .assert()
        .success();
    assert_eq!(
        groq_llama(&out.get_output().stdout),
        pair("llama3.3-70b-instruct", "hf_mapping")
    );
    assert!(!String::from_utf8_lossy(&out.get_output().stderr).contains("warning"));
    assert_eq!(server.received_requests().await.unwrap().len(), before);
    // `cache ls` shows the entry, by partner.
    let listed: Vec<Value> = serde_json::from_slice(
        &run(&server, &cache)
            .args(["cache", "ls", "-f", "json"])
            .ok_stdout(),
    )
    .unwrap();
    let entry = listed
        .iter()
        .find(|e| e["provider"] == "hub-mapping")
        .expect("a hub-mapping entry");
    assert_eq!(entry["models"], 15, "the fixture's 15 live entries");
    assert_eq!(entry["key"]["filters"], serde_json::json!([["partner", "groq"]]));
    // --refresh asks again.
    run(&server, &cache)
        .args(["ls", "-p", "groq", "--refresh", "-q"])
        .assert()
        .success();
    assert_eq!(mapping_requests(&server, "groq").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_without_a_cached_mapping_says_so_once() {
    let server = mocks().await;
    let cache = fresh_dir("cache");
    // The listing is cached, the mapping is not (no partner asked then).
    run(&server, &cache)
        .args(["count", "-p", "groq"])
        .assert()
        .success();
    assert!(
        mapping_requests(&server, "groq").await.is_empty(),
        "a count needs no canonical id"
    );
    let out = run(&server, &cache)
        .args(["fetch", "-p", "groq", "-f", "ndjson", "--offline", "-q"])
        .assert()
        .success();
    assert_eq!(ndjson(&out.get_output().stdout).len(), 20);
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stderr),
        "warning: the Hub's inference-provider mapping is unavailable for groq (no cached copy, and this run asks no server); their canonical ids come from the other layers\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_count_by_model_asks_for_the_mapping_and_a_plain_count_does_not() {
    let server = mocks().await;
    let cache = fresh_dir("cache");
    let out = run(&server, &cache)
        .args([
            "count",
            "-p",
            "groq,fireworks",
            "--group-by",
            "canonical",
            "-f",
            "json",
        ])
        .ok_stdout();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let llama = doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["canonical_id"] == "llama4-scout-17b-16e-instruct")
        .expect("Llama 4 Scout, by its repository");
    assert_eq!(llama["providers"], serde_json::json!(["fireworks", "groq"]));
    assert_eq!(mapping_requests(&server, "groq").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_stale_ok_a_failing_hub_leaves_the_cached_mapping_in_force() {
    let server = mocks().await;
    let cache = fresh_dir("cache");
    run(&server, &cache)
        .args(["fetch", "-p", "groq", "-q"])
        .assert()
        .success();
    // From now on the Hub fails.
    Mock::given(method("GET"))
        .and(path(mapping_path("groq")))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&server)
        .await;
    let out = run(&server, &cache)
        .args(["fetch", "-p", "groq", "-f", "ndjson", "-q", "--stale-ok"])
        .assert()
        .success();
    assert_eq!(
        groq_llama(&out.get_output().stdout),
        pair("llama3.3-70b-instruct", "hf_mapping")
    );
    assert!(
        out.get_output().stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.get_output().stderr)
    );
    // Without it, the failure costs the mapping (the cached copy is not fresh
    // for fetch, which always asks).
    let out = run(&server, &cache)
        .args(["fetch", "-p", "groq", "-f", "ndjson", "-q"])
        .assert()
        .success();
    assert_eq!(
        groq_llama(&out.get_output().stdout),
        pair("llama3.3-70b-instruct", "normalized")
    );
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("HTTP 503"));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_cause_shared_by_several_partners_is_said_once_for_all_of_them() {
    let server = mocks().await;
    for partner in ["groq", "fireworks-ai"] {
        Mock::given(method("GET"))
            .and(path(mapping_path(partner)))
            .respond_with(ResponseTemplate::new(404))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    let out = run(&server, &fresh_dir("cache"))
        .args(["fetch", "-p", "groq,fireworks", "-f", "ndjson", "-q"])
        .assert()
        .code(0);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("warning: the Hub's inference-provider mapping is unavailable for groq, fireworks (HTTP 404 from http://"),
        "{stderr}"
    );
    assert!(lines[0].contains("/api/partners/<partner>/models"), "{stderr}");
}
