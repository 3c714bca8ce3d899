//! Every provider, directly: `fetch --all` and `count --all` against mock
//! listings of all 14 providers served from their recorded fixtures.

use crate::common::RunExt as _;

use std::collections::BTreeMap;

use crate::common::hub::FakeHub;
use crate::common::providers::{mount, mount_hub, spec, url_env, HUB_PATH, PROVIDERS};
use crate::common::{catalog, ndjson};
use wiremock::MockServer;

/// Keys for every provider whose listing needs one, except nebius, which is
/// left without a key to be skipped. Each goes in the provider's first key
/// variable of the built-in table.
const KEYS: &[(&str, &str)] = &[
    ("portkey", "pk-test"),
    ("groq", "gsk-test"),
    ("together", "tg-test"),
    ("fireworks", "fw-test"),
    ("google", "gm-test"),
    ("xai", "xai-test"),
    ("cerebras", "cb-test"),
    ("novita", "nv-test"),
];

/// Models each mocked provider serves.
const EXPECTED: &[(&str, u64)] = &[
    ("openrouter", 549),
    ("portkey", 3),
    ("featherless", 1),
    ("deepinfra", 154),
    ("hug", 120),
    ("chutes", 62),
    ("groq", 20),
    ("together", 131),
    ("fireworks", 27),
    ("google", 5),
    ("xai", 3),
    ("cerebras", 2),
    ("novita", 5),
];

async fn all_providers(wrong_key_for: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    for p in PROVIDERS {
        let key = KEYS.iter().find(|(n, _)| *n == p.name).map(|(_, k)| *k);
        let key = if wrong_key_for == Some(p.name) {
            Some("the-expected-key")
        } else {
            key
        };
        mount(&server, p, key).await;
    }
    mount_hub(&server, FakeHub::new(120)).await;
    server
}

fn with_mocks(server: &MockServer) -> assert_cmd::Command {
    let mut cmd = catalog();
    cmd.envs(url_env(server));
    for (name, key) in KEYS {
        cmd.env(&spec(name).key_env[0], key);
    }
    cmd
}

fn per_provider(records: &[serde_json::Value]) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = Vec::new();
    for r in records {
        let p = r["provider"].as_str().unwrap();
        match counts.last_mut() {
            Some((name, n)) if name == p => *n += 1,
            _ => counts.push((p.to_owned(), 1)),
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_all_asks_every_provider_directly_and_skips_those_without_a_key() {
    let server = all_providers(None).await;
    let assert = with_mocks(&server)
        .args(["fetch", "--all", "-f", "ndjson", "--delay-ms", "0"])
        .assert()
        .success();
    let records = ndjson(&assert.get_output().stdout);
    // Grouped by provider, in table order, each provider complete.
    let expected: Vec<(String, u64)> = EXPECTED.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect();
    assert_eq!(per_provider(&records), expected);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("nebius       skipped: set NEBIUS_API_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("openrouter   549 models, 1 page"), "{stderr}");
    assert!(stderr.contains("google       5 models, 2 pages"), "{stderr}");
    assert!(stderr.contains("portkey      3 models, 2 pages"), "{stderr}");

    // Keyless listings were asked without any credential.
    let requests = server.received_requests().await.unwrap();
    for path in [
        "/openrouter/api/v1/models",
        "/deepinfra/v1/openai/models",
        "/chutes/v1/models",
        HUB_PATH,
    ] {
        let reqs: Vec<_> = requests.iter().filter(|r| r.url.path() == path).collect();
        assert!(!reqs.is_empty(), "{path} was not asked");
        assert!(
            reqs.iter().all(|r| !r.headers.contains_key("authorization")),
            "{path} got a key"
        );
    }
    // Keys went in each provider's own header (the mocks answer 401 otherwise).
    let google = requests
        .iter()
        .find(|r| r.url.path() == "/google/v1beta/models")
        .unwrap();
    assert_eq!(google.headers.get("x-goog-api-key").unwrap(), "gm-test");
    assert!(!google.headers.contains_key("authorization"));
    let portkey = requests
        .iter()
        .find(|r| r.url.path() == "/portkey/v1/models")
        .unwrap();
    assert_eq!(portkey.headers.get("x-portkey-api-key").unwrap(), "pk-test");
    // No request at all for the skipped provider.
    assert!(requests.iter().all(|r| r.url.path() != "/nebius/v1/models"));
}

#[tokio::test(flavor = "multi_thread")]
async fn normalized_values_come_through_end_to_end() {
    let server = all_providers(None).await;
    let out = with_mocks(&server)
        .args(["fetch", "-p", "openrouter,xai,novita,groq,google", "-f", "ndjson"])
        .ok_stdout();
    let records = ndjson(&out);
    let by_key: BTreeMap<(String, String), &serde_json::Value> = records
        .iter()
        .map(|r| {
            (
                (
                    r["provider"].as_str().unwrap().to_owned(),
                    r["id"].as_str().unwrap().to_owned(),
                ),
                r,
            )
        })
        .collect();
    let get = |p: &str, id: &str| by_key[&(p.to_owned(), id.to_owned())];
    let grok = get("xai", "grok-3");
    assert_eq!(
        (grok["price_input"].as_f64(), grok["price_output"].as_f64()),
        (Some(3.0), Some(15.0))
    );
    assert_eq!(grok["price_cache_read"].as_f64(), Some(0.75));
    assert_eq!(get("groq", "qwen/qwen3-32b")["context_length"], 131_072);
    assert_eq!(get("groq", "qwen/qwen3-32b")["max_output_tokens"], 40_960);
    assert_eq!(
        get("novita", "meta-llama/llama-3-8b-instruct")["price_input"].as_f64(),
        Some(0.063)
    );
    assert!(
        get("openrouter", "openrouter/auto")["price_input"].is_null(),
        "variable price is unknown"
    );
    assert_eq!(get("google", "gemini-2.5-flash")["context_length"], 1_048_576);
    // Exact decimal: "0.00000045" USD per token is 0.45 per 1M, printed as such.
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"price_input\":0.45,"));
    assert!(!text.contains("0.44999999"));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_provider_leaves_the_others_written_and_exits_3() {
    let server = all_providers(Some("groq")).await;
    let assert = with_mocks(&server)
        .args(["fetch", "--all", "-f", "ndjson", "--delay-ms", "0"])
        .assert()
        .code(3);
    let records = ndjson(&assert.get_output().stdout);
    let expected: Vec<(String, u64)> = EXPECTED
        .iter()
        .filter(|(n, _)| *n != "groq")
        .map(|(n, c)| ((*n).to_owned(), *c))
        .collect();
    assert_eq!(per_provider(&records), expected);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let groq_line = stderr.lines().find(|l| l.starts_with("groq ")).unwrap();
    assert!(
        groq_line.contains("failed") && groq_line.contains("HTTP 401"),
        "{groq_line}"
    );
    assert!(groq_line.contains("the key was refused"), "{groq_line}");
    assert!(!stderr.contains("gsk-test"), "the key must never be printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn count_all_reports_each_provider_and_the_distinct_total() {
    let server = all_providers(None).await;
    let out = with_mocks(&server)
        .args(["count", "--all", "-f", "json", "--delay-ms", "0"])
        .ok_stdout();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let expected: serde_json::Map<String, serde_json::Value> = EXPECTED
        .iter()
        .map(|(n, c)| ((*n).to_owned(), (*c).into()))
        .collect();
    assert_eq!(v["providers"], serde_json::Value::Object(expected));
    assert_eq!(v["total"], EXPECTED.iter().map(|(_, c)| c).sum::<u64>());
    assert_eq!(v["skipped"]["nebius"], "set NEBIUS_API_KEY");

    let table = with_mocks(&server)
        .args(["count", "--all", "--delay-ms", "0"])
        .ok_stdout();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("deepinfra") && l.contains(" 154 ")),
        "{table}"
    );
    let total: Vec<&str> = table.lines().last().unwrap().split_whitespace().collect();
    assert_eq!(total, ["total", "1082"], "{table}");
}

/// Every number (or numeric string) under a price key of a provider's own
/// object (`pricing`, `price`, `*_price`, `*_price_per_m`, ...), with where
/// it was found.
fn stated_prices(v: &serde_json::Value, under_price: bool, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let price = under_price || k.to_ascii_lowercase().contains("pric");
                stated_prices(x, price, &format!("{path}.{k}"), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                stated_prices(x, under_price, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Number(n) if under_price => out.push((path.to_owned(), n.as_f64().unwrap())),
        serde_json::Value::String(s) if under_price => {
            if let Ok(n) = s.trim().parse::<f64>() {
                out.push((path.to_owned(), n));
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_model_filter_free_returns_is_free_in_the_providers_own_payload() {
    let server = all_providers(None).await;
    let out = with_mocks(&server)
        .env(&spec("nebius").key_env[0], "nb-test")
        .args([
            "fetch",
            "--all",
            "--filter",
            "free",
            "--raw",
            "-f",
            "ndjson",
            "--delay-ms",
            "0",
        ])
        .ok_stdout();
    let records = ndjson(&out);
    for r in &records {
        let raw = &r["raw"];
        let mut prices = Vec::new();
        stated_prices(raw, false, "", &mut prices);
        let who = format!("{} {}", r["provider"], r["id"]);
        assert!(!prices.is_empty(), "{who}: free without a stated price: {raw}");
        assert!(
            prices.iter().all(|(_, p)| *p == 0.0),
            "{who}: not free, the payload says {prices:?}"
        );
        // Together lists image, video and dedicated models at 0 in every
        // price: that is no price, not a free one.
        assert!(r["provider"] != "together", "{who}: {raw}");
    }
    let per: BTreeMap<String, usize> = records.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r["provider"].as_str().unwrap().to_owned()).or_default() += 1;
        m
    });
    // OpenRouter: its 22 `:free` variants and its free router; Chutes: the 8
    // models whose USD and TAO prices are 0; Novita (the excerpt): none.
    assert_eq!(
        per,
        BTreeMap::from([("chutes".to_owned(), 8), ("openrouter".to_owned(), 23)]),
        "{per:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn count_group_by_canonical_counts_the_providers_serving_each_model() {
    let server = all_providers(None).await;
    let out = with_mocks(&server)
        .args(["count", "--all", "--group-by", "canonical", "-f", "json"])
        .ok_stdout();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let models = doc["models"].as_array().unwrap();
    let served = |key: &str| -> Vec<String> {
        let m = models
            .iter()
            .find(|m| m["canonical_id"] == key)
            .unwrap_or_else(|| panic!("no {key} in {doc}"));
        m["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect()
    };
    // Llama 3.3 70B Instruct under five spellings: Together's -Turbo, Groq's
    // -versatile, Fireworks' llama-v3p3-70b-instruct, OpenRouter's and
    // DeepInfra's meta-llama/... ids (the recorded listings' own ids).
    let llama = served("llama3.3-70b-instruct");
    for p in ["deepinfra", "fireworks", "groq", "openrouter", "together"] {
        assert!(llama.contains(&p.to_owned()), "{p} serves it: {llama:?}");
    }
    // Most served first: no later row has more providers than an earlier one.
    let counts: Vec<usize> = models
        .iter()
        .map(|m| m["providers"].as_array().unwrap().len())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // Every record is keyed over these listings.
    assert_eq!(doc["unkeyed"], 0);
    // The table says the same, with a footer.
    let table = String::from_utf8(
        with_mocks(&server)
            .args(["count", "--all", "--group-by", "canonical"])
            .ok_stdout(),
    )
    .unwrap();
    let row = table
        .lines()
        .find(|l| l.starts_with("llama3.3-70b-instruct "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("deepinfra,fireworks,groq"), "{row}");
    assert!(
        table
            .lines()
            .last()
            .unwrap()
            .contains(" models from 13 providers"),
        "{table}"
    );
}
