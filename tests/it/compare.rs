//! `catalog compare` and `ls --group-by canonical` against mocks of every
//! provider serving its recorded listing (and the Hub's mapping of each
//! partner beside the fake Hub). The figures are those of the fixtures:
//! Llama 3.3 70B Instruct is `meta-llama/llama-3.3-70b-instruct` on
//! OpenRouter (`openrouter-models-all.json`: prompt 0.0000001 and completion
//! 0.00000032 USD per token, so 0.1 and 0.32 USD per 1M), DeepInfra's
//! `-Turbo` (`deepinfra-openai-models.json`: input_tokens 0.1, output_tokens
//! 0.32 per 1M), Together's `-Turbo` (`together-70bc7d5.json`: input 0.88,
//! output 0.88 per 1M), and Groq, Fireworks and Nebius (twice) with no price
//! in their fixtures.

use assert_cmd::Command;
use serde_json::{json, Value};
use wiremock::MockServer;

use crate::common::providers::{mount, spec, url_env, PROVIDERS};
use crate::common::{catalog, fresh_dir, ndjson, RunExt as _};

/// Every provider but the Hub, each keyed provider with a key.
async fn mocks() -> MockServer {
    let server = MockServer::start().await;
    for p in PROVIDERS {
        let key = spec(p.name).needs_key.then_some("test-key");
        mount(&server, p, key).await;
    }
    server
}

/// `catalog ARGS...` against `server`, with the keys and a cache of its own.
fn run(server: &MockServer, args: &[&str]) -> Command {
    let mut cmd = catalog();
    cmd.envs(url_env(server));
    for p in PROVIDERS.iter().filter(|p| spec(p.name).needs_key) {
        cmd.env(&spec(p.name).key_env[0], "test-key");
    }
    cmd.args(args);
    cmd
}

fn stdout(server: &MockServer, args: &[&str]) -> String {
    String::from_utf8(run(server, args).ok_stdout()).unwrap()
}

/// A table's rows split into cells (the columns shown hold no spaces).
fn cells(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// The (provider, id) of each row after the header.
fn offers(table: &str) -> Vec<(String, String)> {
    cells(table)[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

fn offer(provider: &str, id: &str) -> (String, String) {
    (provider.to_owned(), id.to_owned())
}

/// Llama 3.3 70B Instruct's offers in the fixtures, cheapest first.
fn llama_offers() -> Vec<(String, String)> {
    vec![
        offer("openrouter", "meta-llama/llama-3.3-70b-instruct"),
        offer("deepinfra", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        offer("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        offer("groq", "llama-3.3-70b-versatile"),
        offer("fireworks", "accounts/fireworks/models/llama-v3p3-70b-instruct"),
        offer("nebius", "meta-llama/Llama-3.3-70B-Instruct"),
        offer("nebius", "meta-llama/Llama-3.3-70B-Instruct-fast"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_lists_every_offer_of_a_model_cheapest_first_with_the_workloads_cost() {
    let server = mocks().await;
    let out = run(
        &server,
        &[
            "compare",
            "meta-llama/Llama-3.3-70B-Instruct",
            "--tokens",
            "1000000:200000",
        ],
    )
    .assert()
    .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let rows = cells(&text);
    assert_eq!(
        rows[0],
        [
            "provider",
            "id",
            "cost",
            "$",
            "in",
            "$/1M",
            "out",
            "$/1M",
            "cache",
            "read",
            "$/1M",
            "cache",
            "write",
            "$/1M",
            "context",
            "max",
            "output",
            "quantization",
            "capabilities"
        ]
    );
    assert_eq!(offers(&text), llama_offers());
    // By hand: 1,000,000/1e6 * 0.1 + 200,000/1e6 * 0.32 = 0.1 + 0.064 = 0.164;
    // Together: 1,000,000/1e6 * 0.88 + 200,000/1e6 * 0.88 = 0.88 + 0.176 = 1.056.
    assert_eq!(
        rows[1],
        [
            "openrouter",
            "meta-llama/llama-3.3-70b-instruct",
            "0.164",
            "0.1",
            "0.32",
            "-",
            "-",
            "131072",
            "16384",
            "-",
            "tools,structured_outputs,json_mode"
        ]
    );
    assert_eq!(rows[2][2..5], ["0.164", "0.1", "0.32"]);
    assert_eq!(rows[3][2..5], ["1.056", "0.88", "0.88"]);
    // Unknown prices are no cost and come last, never as 0.
    for row in &rows[4..] {
        assert_eq!(row[2..5], ["-", "-", "-"], "{row:?}");
    }
    assert_eq!(
        rows[4][7..9],
        ["131072", "32768"],
        "Groq's context and max output"
    );
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(
        stderr,
        "llama3.3-70b-instruct: 7 offers from 6 providers; cost $ is USD for 1000000 input and 200000 output tokens: 1000000/1e6 * in $/1M + 200000/1e6 * out $/1M\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn any_providers_id_an_hf_id_or_the_canonical_id_finds_the_same_offers() {
    let server = mocks().await;
    for model in [
        "llama-3.3-70b-versatile",
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
        "groq/llama-3.3-70b-versatile",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "llama3.3-70b-instruct",
        "Meta-Llama/Llama-3.3-70B-instruct",
    ] {
        let text = stdout(&server, &["compare", model, "-q"]);
        assert_eq!(offers(&text), llama_offers(), "{model}");
        // Without --tokens, no cost column: ordered by in + out per 1M.
        assert_eq!(cells(&text)[0][2..4], ["in", "$/1M"], "{model}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_writes_its_rows_as_json_ndjson_and_csv_with_the_cost() {
    let server = mocks().await;
    let args = |f: &'static str| {
        [
            "compare",
            "llama-3.3-70b-versatile",
            "--tokens",
            "1000000:200000",
            "-f",
            f,
            "-q",
        ]
    };
    let rows: Value = serde_json::from_str(&stdout(&server, &args("json"))).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 7);
    assert_eq!(
        rows[2],
        json!({
            "provider": "together",
            "id": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "canonical_id": "llama3.3-70b-instruct",
            "canonical_by": "hf_mapping",
            "price_input": 0.88,
            "price_output": 0.88,
            "price_cache_read": null,
            "price_cache_write": null,
            "context_length": 131072,
            "max_output_tokens": null,
            "quantization": null,
            "capabilities": [],
            "cost": 1.056
        })
    );
    assert_eq!(rows[0]["cost"], 0.164);
    assert_eq!(
        rows[0]["canonical_by"], "hf_id",
        "OpenRouter states the repository"
    );
    assert_eq!(rows[3]["provider"], "groq");
    assert_eq!(rows[3]["cost"], Value::Null);
    assert_eq!(
        rows[3]["canonical_by"], "hf_mapping",
        "Groq's own mapping on the Hub"
    );
    let lines = ndjson(stdout(&server, &args("ndjson")).as_bytes());
    assert_eq!(lines, rows.as_array().unwrap().clone());
    let csv = stdout(&server, &args("csv"));
    let mut csv_lines = csv.lines();
    assert_eq!(
        csv_lines.next(),
        Some("provider,id,canonical_id,canonical_by,price_input,price_output,price_cache_read,price_cache_write,context_length,max_output_tokens,quantization,capabilities,cost")
    );
    assert_eq!(
        csv_lines.next(),
        Some("openrouter,meta-llama/llama-3.3-70b-instruct,llama3.3-70b-instruct,hf_id,0.1,0.32,,,131072,16384,,tools;structured_outputs;json_mode,0.164")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_narrows_the_offers() {
    let server = mocks().await;
    let text = stdout(
        &server,
        &[
            "compare",
            "llama3.3-70b-instruct",
            "--filter",
            "max-price-input=0.5",
            "-q",
        ],
    );
    assert_eq!(offers(&text), llama_offers()[..2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_no_provider_serves_is_a_usage_error_naming_it_and_the_closest_ids() {
    let server = mocks().await;
    let out = run(&server, &["compare", "llama-3.3-70b-instrut"])
        .assert()
        .code(2);
    assert!(out.get_output().stdout.is_empty());
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with(
            "error: no provider serves \"llama-3.3-70b-instrut\": no record has it as its id or \"llama3.3-70b-instrut\" as its canonical id (among "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("(did you mean llama3.3-70b-instruct"), "{stderr}");
    assert!(
        stderr.contains("`catalog ls --all --group-by canonical` lists the canonical ids"),
        "{stderr}"
    );
    let out = run(&server, &["compare", "--", "--"]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("names no model"));
    let out = run(&server, &["compare", "x", "--tokens", "1000000"])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr).contains("give input and output tokens as IN:OUT")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_as_of_reads_the_history_database() {
    let server = mocks().await;
    let dir = fresh_dir("compare-db");
    let db = dir.join("catalog.db");
    let cache = dir.join("cache");
    let db = db.to_str().unwrap();
    let cache = cache.to_str().unwrap();
    run(
        &server,
        &[
            "fetch",
            "-p",
            "openrouter,together,groq",
            "-q",
            "--db",
            db,
            "--cache-dir",
            cache,
            "-o",
        ],
    )
    .arg(dir.join("out.ndjson"))
    .assert()
    .success();
    let before = server.received_requests().await.unwrap().len();
    let text = stdout(
        &server,
        &[
            "compare",
            "llama-3.3-70b-versatile",
            "-p",
            "openrouter,together,groq",
            "--as-of",
            "1",
            "--db",
            db,
            "--cache-dir",
            cache,
            "--tokens",
            "1000000:200000",
            "-q",
        ],
    );
    assert_eq!(
        offers(&text),
        [
            offer("openrouter", "meta-llama/llama-3.3-70b-instruct"),
            offer("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            offer("groq", "llama-3.3-70b-versatile"),
        ]
    );
    assert_eq!(cells(&text)[2][2], "1.056");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        before,
        "no request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_grouped_by_model_keeps_a_models_rows_together_most_served_first() {
    let server = mocks().await;
    let text = stdout(
        &server,
        &[
            "ls",
            "-p",
            "groq,together,fireworks",
            "--group-by",
            "canonical",
            "--sort",
            "price_input",
            "-n",
            "4",
            "--fields",
            "provider,id,price_input",
        ],
    );
    // Models the three serve come first, ties by canonical id; a model's
    // rows by input price (Together's 0.18000000000000002 is 0.18), unknown
    // last.
    assert_eq!(
        cells(&text),
        [
            vec!["canonical", "id", "providers", "provider", "id", "in", "$/1M"],
            vec![
                "llama3.1-8b-instruct",
                "3",
                "together",
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
                "0.18"
            ],
            vec![
                "llama3.1-8b-instruct",
                "3",
                "together",
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
                "0.2"
            ],
            vec!["llama3.1-8b-instruct", "3", "groq", "llama-3.1-8b-instant", "-"],
            vec![
                "llama3.1-8b-instruct",
                "3",
                "fireworks",
                "accounts/fireworks/models/llama-v3p1-8b-instruct",
                "-"
            ],
        ]
    );
    // The records themselves, in that order, for scripts.
    let records = ndjson(
        stdout(
            &server,
            &[
                "ls",
                "-p",
                "groq,together,fireworks",
                "--group-by",
                "canonical",
                "-f",
                "ndjson",
                "-n",
                "5",
            ],
        )
        .as_bytes(),
    );
    let keys: Vec<&str> = records
        .iter()
        .map(|r| r["canonical_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "llama3.1-8b-instruct",
            "llama3.1-8b-instruct",
            "llama3.1-8b-instruct",
            "llama3.1-8b-instruct",
            "llama3.3-70b-instruct"
        ]
    );
}
