//! `catalog ls` and `catalog show`, the catalog for people, against mocks of
//! OpenRouter, DeepInfra and Featherless serving their recorded listings.
//! The values asserted are those of the fixtures: `deepinfra-openai-models.json`
//! (154 models, 67 of them without a token price), `featherless-models-docs.json`
//! (one model, no prices) and `openrouter-models-all.json` (549 models).
//!
//! stdout is a pipe here, never a terminal: the fitting of tables to a
//! terminal's width is tested on `term::layout` itself.

use assert_cmd::Command;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::hub::{hub_id, FakeHub};
use crate::common::providers::{mount, url_env, PROVIDERS};
use crate::common::{catalog, hub_catalog, hub_server, ids, ndjson, RunExt as _, SCHEMA_FIELDS};

/// OpenRouter, DeepInfra and Featherless, which list without a key.
async fn mocks() -> MockServer {
    let server = MockServer::start().await;
    for name in ["openrouter", "deepinfra", "featherless"] {
        let p = PROVIDERS.iter().find(|p| p.name == name).unwrap();
        mount(&server, p, None).await;
    }
    server
}

/// `catalog ARGS...` with every provider pointed at `server`.
fn run(server: &MockServer, args: &[&str]) -> Command {
    let mut cmd = catalog();
    cmd.envs(url_env(server)).args(args);
    cmd
}

fn stdout(server: &MockServer, args: &[&str]) -> String {
    String::from_utf8(run(server, args).ok_stdout()).unwrap()
}

/// The table's rows (header included) split into cells. The default columns
/// hold no spaces of their own (capabilities are comma-separated).
fn cells(table: &str) -> Vec<Vec<&str>> {
    table.lines().map(|l| l.split_whitespace().collect()).collect()
}

/// The row of the model `id`.
fn row<'a>(rows: &'a [Vec<&'a str>], id: &str) -> &'a [&'a str] {
    rows.iter()
        .find(|r| r[1] == id)
        .unwrap_or_else(|| panic!("no row for {id} in {rows:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_lists_each_model_with_its_context_and_prices_per_million_tokens() {
    let server = mocks().await;
    let text = stdout(&server, &["ls", "-p", "deepinfra,featherless"]);
    let rows = cells(&text);
    assert_eq!(
        rows[0],
        [
            "provider",
            "id",
            "context",
            "in",
            "$/1M",
            "out",
            "$/1M",
            "capabilities"
        ],
        "{text}"
    );
    assert_eq!(rows.len(), 1 + 154 + 1, "{text}");
    // 16.5 and 82.5 USD per 1M tokens as DeepInfra states them; 2.6 is its
    // 2.5999999999999996, 0.95 and 0.27 as written; unknown is `-`.
    assert_eq!(
        row(&rows, "anthropic/claude-4-opus"),
        [
            "deepinfra",
            "anthropic/claude-4-opus",
            "200000",
            "16.5",
            "82.5",
            "-"
        ]
    );
    assert_eq!(
        row(&rows, "Qwen/Qwen3.5-27B"),
        ["deepinfra", "Qwen/Qwen3.5-27B", "262144", "0.26", "2.6", "-"]
    );
    assert_eq!(
        row(&rows, "MiniMaxAI/MiniMax-M2.5"),
        [
            "deepinfra",
            "MiniMaxAI/MiniMax-M2.5",
            "196608",
            "0.27",
            "0.95",
            "prompt_caching,reasoning"
        ]
    );
    assert_eq!(
        row(&rows, "intfloat/multilingual-e5-large-instruct"),
        [
            "deepinfra",
            "intfloat/multilingual-e5-large-instruct",
            "-",
            "-",
            "-",
            "-"
        ]
    );
    assert_eq!(
        rows.last().unwrap(),
        &[
            "featherless",
            "vicgalle/Roleplay-Llama-3-8B",
            "8192",
            "-",
            "-",
            "-"
        ]
    );
    // Aligned: every row's prices end in the same column as the header's.
    let lines: Vec<&str> = text.lines().collect();
    let end = lines[0].find("out $/1M").unwrap() + "out $/1M".len();
    for line in &lines[1..] {
        assert!(
            line[..end].ends_with(|c: char| c.is_ascii_digit() || c == '-'),
            "{line:?}"
        );
        assert_eq!(&line[end..end + 2], "  ", "{line:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_n_shows_the_first_models_and_says_how_many_more_on_stderr() {
    let server = mocks().await;
    let out = run(&server, &["ls", "-p", "deepinfra", "-n", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let shown: Vec<&str> = cells(&text)[1..].iter().map(|r| r[1]).collect();
    // The listing's own first five.
    assert_eq!(
        shown,
        [
            "Qwen/Qwen3.5-27B",
            "Qwen/Qwen2.5-72B-Instruct",
            "google/gemma-4-26B-A4B-it",
            "MiniMaxAI/MiniMax-M2.5",
            "intfloat/multilingual-e5-large-instruct",
        ]
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "149 more models not shown (5 of 154; -n sets how many)\n"
    );
    // Nothing hidden, nothing said.
    let out = run(&server, &["ls", "-p", "featherless", "-n", "5"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_sort_price_input_is_cheapest_first_with_unknown_prices_last() {
    let server = mocks().await;
    let text = stdout(
        &server,
        &["ls", "-p", "featherless,deepinfra", "--sort", "price_input"],
    );
    let rows = cells(&text);
    let prices: Vec<&str> = rows[1..].iter().map(|r| r[3]).collect();
    assert_eq!(prices.len(), 155);
    let known: Vec<f64> = prices
        .iter()
        .take_while(|p| **p != "-")
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(known.len(), 155 - 67, "{text}");
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "{known:?}");
    assert!(
        prices[known.len()..].iter().all(|p| *p == "-"),
        "unknown last: {text}"
    );
    assert_eq!(&rows[1][1..4], ["Qwen/Qwen3.5-0.8B", "262144", "0.01"]);
    // Featherless came first in -p but has no price: it is among the last.
    assert!(rows[1..known.len() + 1].iter().all(|r| r[0] == "deepinfra"));

    // --reverse: dearest first, unknown still last; -n keeps the first rows
    // of the whole order, ties in listing order.
    let text = stdout(
        &server,
        &[
            "ls",
            "-p",
            "featherless,deepinfra",
            "--sort",
            "price_input",
            "--reverse",
            "-n",
            "3",
        ],
    );
    let top: Vec<(&str, &str)> = cells(&text)[1..].iter().map(|r| (r[1], r[3])).collect();
    assert_eq!(
        top,
        [
            ("anthropic/claude-4-opus", "16.5"),
            ("anthropic/claude-4-sonnet", "3.3"),
            ("anthropic/claude-3-7-sonnet-latest", "3.3"),
        ]
    );
    let text = stdout(
        &server,
        &[
            "ls",
            "-p",
            "featherless,deepinfra",
            "--sort",
            "context",
            "--reverse",
        ],
    );
    let last = cells(&text).last().unwrap().clone();
    assert_eq!(
        last[2], "-",
        "unknown contexts last whatever the direction: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_into_a_pipe_cuts_nothing_whatever_columns_says() {
    let server = mocks().await;
    let out = run(&server, &["ls", "-p", "openrouter"])
        .env("COLUMNS", "60")
        .ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains('…'), "{text}");
    let wide = text.lines().filter(|l| l.chars().count() > 60).count();
    assert!(wide > 500, "{wide} lines wider than 60");
    let rows = cells(&text);
    assert_eq!(
        row(&rows, "qwen/qwen3.8-27b"),
        [
            "openrouter",
            "qwen/qwen3.8-27b",
            "262144",
            "0.45",
            "3.2",
            "tools,reasoning,structured_outputs,json_mode,prompt_caching"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_fields_chooses_the_columns_with_their_units() {
    let server = mocks().await;
    let text = stdout(
        &server,
        &[
            "ls",
            "-p",
            "openrouter",
            "--fields",
            "id,price_cache_read,created,max_output_tokens",
            "-n",
            "1",
        ],
    );
    assert_eq!(
        text,
        "id                cache read $/1M  created     max output\n\
         qwen/qwen3.8-27b             0.05  2026-08-14      131072\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_json_ndjson_and_csv_write_the_selected_records_as_fetch_does() {
    let server = mocks().await;
    let listed = ndjson(
        run(
            &server,
            &[
                "ls",
                "-p",
                "deepinfra",
                "--sort",
                "price_input",
                "-n",
                "2",
                "-f",
                "ndjson",
            ],
        )
        .ok_stdout()
        .as_slice(),
    );
    assert_eq!(ids(&listed), ["Qwen/Qwen3.5-0.8B", "Qwen/Qwen3.5-2B"]);
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), SCHEMA_FIELDS.len());
    let fetched = ndjson(&run(&server, &["fetch", "-p", "deepinfra", "-f", "ndjson", "-q"]).ok_stdout());
    for r in &listed {
        let mut same = fetched.iter().find(|f| f["id"] == r["id"]).unwrap().clone();
        same["fetched_at"] = r["fetched_at"].clone();
        assert_eq!(*r, same);
    }

    let array: Value = serde_json::from_slice(
        &run(
            &server,
            &[
                "ls",
                "-p",
                "deepinfra",
                "--sort",
                "price_input",
                "--reverse",
                "-n",
                "1",
                "-f",
                "json",
                "--fields",
                "id,price_input,price_output",
            ],
        )
        .ok_stdout(),
    )
    .unwrap();
    assert_eq!(
        array,
        json!([{"id": "anthropic/claude-4-opus", "price_input": 16.5, "price_output": 82.5}])
    );

    let csv = stdout(
        &server,
        &[
            "ls",
            "-p",
            "featherless",
            "-f",
            "csv",
            "--fields",
            "provider,id,context_length,price_input",
        ],
    );
    assert_eq!(
        csv,
        "provider,id,context_length,price_input\nfeatherless,vicgalle/Roleplay-Llama-3-8B,8192,\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_answers_from_a_fresh_cache_without_asking_the_provider() {
    let server = mocks().await;
    let cache = crate::common::fresh_dir("ls-cache");
    let first = run(&server, &["ls", "-p", "featherless"])
        .env("CATALOG_CACHE_DIR", &cache)
        .ok_stdout();
    let asked = server.received_requests().await.unwrap().len();
    assert_eq!(asked, 2, "the listing, and the Hub's mapping of featherless-ai");
    let again = run(&server, &["ls", "-p", "featherless"])
        .env("CATALOG_CACHE_DIR", &cache)
        .ok_stdout();
    assert_eq!(again, first);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        asked,
        "served from the cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_sort_key_field_or_filter_is_a_usage_error_before_any_request() {
    let server = mocks().await;
    for (args, says) in [
        (
            &["ls", "-p", "deepinfra", "--sort", "price"][..],
            "invalid value 'price' for '--sort <KEY>'",
        ),
        (
            &["ls", "-p", "deepinfra", "--fields", "id,cost"][..],
            "--fields: unknown field \"cost\"",
        ),
        (
            &["ls", "-p", "deepinfra", "--filter", "chep"][..],
            "--filter: unknown condition \"chep\"",
        ),
        (&["ls", "-p", "deepinfra", "--reverse"][..], "--sort"),
        (
            &["show", "gpt-4o"][..],
            "\"gpt-4o\" names no provider: write PROVIDER/ID",
        ),
        (&["show", "openai/gpt-4o"][..], "unknown provider \"openai\""),
        (&["show", "deepinfra/"][..], "names no model"),
    ] {
        let out = run(&server, args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn show_prints_every_field_of_one_model_with_its_unit() {
    let server = mocks().await;
    // The provider is the part before the first slash; the id keeps its own.
    let text = stdout(&server, &["show", "openrouter/qwen/qwen3.8-27b"]);
    let lines: Vec<(&str, &str)> = text
        .lines()
        .map(|l| {
            let (field, value) = l.split_once(' ').unwrap();
            (field, value.trim_start())
        })
        .collect();
    let fields: Vec<&str> = lines.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields, SCHEMA_FIELDS,
        "one line per field, in schema order:\n{text}"
    );
    let value = |field: &str| lines.iter().find(|(f, _)| *f == field).unwrap().1;
    // openrouter-models-all.json: "0.00000045" and "0.0000032" USD per token,
    // created 1786722910, 262144 and 131072 tokens.
    for (field, expected) in [
        ("provider", "openrouter"),
        ("id", "qwen/qwen3.8-27b"),
        ("name", "Qwen: Qwen3.8 27B"),
        ("created", "2026-08-14T15:55:10Z"),
        ("context_length", "262144 tokens"),
        ("max_output_tokens", "131072 tokens"),
        ("input_modalities", "text, image, video"),
        ("price_input", "0.45 USD per 1M input tokens"),
        ("price_output", "3.2 USD per 1M output tokens"),
        ("price_cache_read", "0.05 USD per 1M cached input tokens read"),
        ("hugging_face_id", "Qwen/Qwen3.8-27B"),
        ("downloads", "-"),
        ("price_cache_write", "-"),
        ("price_other", "-"),
        (
            "capabilities",
            "tools, reasoning, structured_outputs, json_mode, prompt_caching",
        ),
        ("knowledge_cutoff", "-"),
    ] {
        assert_eq!(value(field), expected, "{field}");
    }
    assert_eq!(
        value("source"),
        format!("{}/openrouter/api/v1/models", server.uri())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn show_of_an_unknown_id_exits_2_naming_the_closest_ids() {
    let server = mocks().await;
    let out = run(&server, &["show", "openrouter/qwen/qwen3.8-27B"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: openrouter has no model \"qwen/qwen3.8-27B\" among 549 models it listed (did you mean \
         openrouter/qwen/qwen3.8-27b, openrouter/qwen/qwen3.6-27b, openrouter/qwen/qwen3.5-27b?); \
         `catalog ls -p openrouter` lists them\n"
    );
    // An id without its owner finds the one with it.
    let out = run(&server, &["show", "-p", "openrouter", "gpt-4o"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("(did you mean openrouter/openai/gpt-4o"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn show_json_and_raw_give_the_record_and_the_providers_own_object() {
    let server = mocks().await;
    let out = run(
        &server,
        &[
            "show",
            "-p",
            "deepinfra",
            "anthropic/claude-4-opus",
            "-f",
            "json",
            "--raw",
        ],
    )
    .ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON object: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["id"], "anthropic/claude-4-opus");
    assert_eq!(v["price_input"], 16.5);
    assert_eq!(v["context_length"], 200_000);
    assert_eq!(
        v["raw"]["metadata"]["pricing"],
        json!({"input_tokens": 16.5, "output_tokens": 82.5})
    );

    // Into a pipe the raw object is one compact line, the provider's keys in
    // its own order.
    let text = stdout(&server, &["show", "deepinfra/anthropic/claude-4-opus", "--raw"]);
    let raw = text.lines().last().unwrap();
    // Labels are as wide as the longest, max_output_tokens.
    let start = format!(
        "{:<17}  {{\"id\":\"anthropic/claude-4-opus\",\"object\":\"model\",\"created\":0,",
        "raw"
    );
    assert!(raw.starts_with(&start), "{raw}");
    assert!(raw.ends_with("\"pricing\":{\"input_tokens\":16.5,\"output_tokens\":82.5},\"tags\":[\"vision\",\"reasoning_effort\"]}}"), "{raw}");
    assert_eq!(text.lines().count(), SCHEMA_FIELDS.len() + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_in_ids_never_reach_the_terminal_from_ls_or_show() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/featherless/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "evil\u{1b}]0;pwned\u{7}/m\u{202e}x", "context_length": 8192},
        ]})))
        .mount(&server)
        .await;
    let shown = "evil\u{FFFD}]0;pwned\u{FFFD}/m\u{FFFD}x";
    let text = stdout(
        &server,
        &["ls", "-p", "featherless", "--fields", "id,context_length"],
    );
    assert_eq!(text, format!("{:<18}  context\n{shown}     8192\n", "id"));
    // The did-you-mean quotes the provider's id: sanitized too.
    let out = run(&server, &["show", "featherless/evil]0;pwned/mx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("(did you mean featherless/{shown}?)")),
        "{stderr:?}"
    );
    assert!(!stderr.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{stderr:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn show_asks_the_hub_for_the_one_model_with_its_search() {
    let server = hub_server(FakeHub::new(50)).await;
    let id = hub_id(3);
    let text = String::from_utf8(
        hub_catalog(&server)
            .args(["show", &format!("hf/{id}"), "--delay-ms", "0"])
            .ok_stdout(),
    )
    .unwrap();
    let line = |field: &str| {
        text.lines()
            .find(|l| l.split(' ').next() == Some(field))
            .map(|l| l[field.len()..].trim_start().to_owned())
    };
    assert_eq!(line("provider").as_deref(), Some("hug"), "{text}");
    assert_eq!(line("id"), Some(id.clone()));
    assert_eq!(line("downloads").as_deref(), Some("999997 in the last 30 days"));
    assert_eq!(line("likes").as_deref(), Some("3"));
    assert_eq!(line("created").as_deref(), Some("2025-11-04T08:25:31Z"));
    assert_eq!(
        line("tags").as_deref(),
        Some("transformers, safetensors, text-generation")
    );
    let asked = server.received_requests().await.unwrap();
    assert_eq!(asked.len(), 1, "one request");
    let search = asked[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "search")
        .map(|(_, v)| v.into_owned());
    assert_eq!(search, Some(id.clone()));

    // With --limit the listing is what is asked for, as for ls.
    let server = hub_server(FakeHub::new(50)).await;
    hub_catalog(&server)
        .args(["show", &format!("hug/{id}"), "--delay-ms", "0", "--limit", "20"])
        .assert()
        .success();
    let asked = server.received_requests().await.unwrap();
    assert!(
        asked
            .iter()
            .all(|r| r.url.query_pairs().all(|(k, _)| k != "search")),
        "{asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_fails_is_named_on_stderr_and_the_exit_code_is_3() {
    let server = MockServer::start().await;
    let featherless = PROVIDERS.iter().find(|p| p.name == "featherless").unwrap();
    mount(&server, featherless, None).await;
    Mock::given(path("/deepinfra/v1/openai/models"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let out = run(&server, &["ls", "-p", "deepinfra,featherless", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let rows: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(rows.len(), 2, "the header and featherless's model: {rows:?}");
    assert!(
        rows[1].starts_with("featherless  vicgalle/Roleplay-Llama-3-8B"),
        "{rows:?}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("deepinfra    failed after 0 models"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    assert!(
        !stderr.contains("featherless"),
        "a provider that answered needs no line: {stderr}"
    );

    // show cannot tell a wrong id from a missing listing: 3, not 2.
    let out = run(
        &server,
        &["show", "deepinfra/anthropic/claude-4-opus", "--retries", "0"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "\"anthropic/claude-4-opus\" is not among the 0 models deepinfra gave before it failed"
        ),
        "{stderr}"
    );
}
