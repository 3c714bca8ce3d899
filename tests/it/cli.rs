//! The command line as a user meets it: formats parsed back, atomic files,
//! pipes, exit codes, bad input, `count` and `providers`.

use crate::common::RunExt as _;

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::hub::FakeHub;
use crate::common::{catalog, hub_catalog, hub_fetch, hub_server, hub_url, ids, ndjson, SCHEMA_FIELDS};
use predicates::prelude::*;

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_array_of_records_in_schema_order() {
    let hub = FakeHub::new(3);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server).args(["fetch", "-p", "hug"]).ok_stdout();
    let records: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(ids(&records), hub.ids());
    let r = &records[0];
    assert_eq!(r["provider"], "hug");
    assert_eq!(r["id"], "org0/model-000000");
    assert_eq!(r["owned_by"], "org0");
    assert_eq!(r["created"], "2025-11-04T08:25:31Z");
    assert_eq!(r["task"], "text-generation");
    assert_eq!(r["downloads"], 1_000_000);
    assert_eq!(r["hugging_face_id"], "org0/model-000000");
    assert!(r["price_input"].is_null() && r["context_length"].is_null() && r["name"].is_null());
    let text = String::from_utf8(out).unwrap();
    let first_line = text.lines().nth(1).unwrap();
    let positions: Vec<usize> = SCHEMA_FIELDS
        .iter()
        .map(|k| first_line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of order: {first_line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_output_has_the_header_and_round_trips_awkward_ids() {
    let server = wiremock::MockServer::start().await;
    let body = serde_json::json!([
        {"id": "odd/na,me \"quoted\"", "downloads": 5, "tags": ["a", "b"], "pipeline_tag": "text-to-image"},
        {"id": "ünï/çødé", "likes": 2},
    ]);
    wiremock::Mock::given(wiremock::matchers::path("/api/models"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("models.csv");
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header[..3], ["provider", "id", "name"]);
    assert_eq!(header, crate::common::SCHEMA_FIELDS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "odd/na,me \"quoted\"");
    assert_eq!(&rows[0][7], "text");
    assert_eq!(&rows[0][8], "image");
    assert_eq!(&rows[0][16], "a;b");
    assert_eq!(&rows[1][1], "ünï/çødé");
    assert_eq!(&rows[1][10], "", "unknown price is an empty cell, not 0");
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_is_inferred_from_the_file_extension() {
    let hub = FakeHub::new(120);
    let server = hub_server(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.ndjson", "b.jsonl"] {
        let file = dir.path().join(name);
        hub_fetch(&server).args(["-o"]).arg(&file).assert().success();
        assert_eq!(ids(&ndjson(&fs::read(&file).unwrap())), hub.ids(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_adds_the_providers_original_object() {
    let hub = FakeHub::new(1);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--raw", "-f", "ndjson"])
        .ok_stdout();
    let r = &ndjson(&out)[0];
    assert_eq!(r["raw"]["modelId"], "org0/model-000000");
    assert_eq!(r["raw"]["library_name"], "transformers");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_is_replaced_whole_and_no_temporary_file_is_left() {
    let hub = FakeHub::new(50);
    let server = hub_server(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.json");
    fs::write(&file, "previous good content").unwrap();
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success();
    let records: Vec<serde_json::Value> = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(records.len(), 50);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["hf.json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_harvest_leaves_the_previous_file_intact() {
    // Page 2 takes 30 s to come: the process is killed while waiting for it.
    let hub = FakeHub::new(200).with_latency(Duration::from_millis(1500));
    let server = hub_server(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.ndjson");
    fs::write(&file, "{\"id\":\"previous\"}\n").unwrap();
    let mut child = crate::common::catalog_std()
        .env("CATALOG_HUG_URL", hub_url(&server))
        .env("CATALOG_TEST_TIME_SCALE", "0.01")
        .args(["fetch", "-p", "hug", "--no-progress", "-o"])
        .arg(&file)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first page has been served, then kill -9.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while hub.seen().len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "{\"id\":\"previous\"}\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_the_run_quietly_with_success() {
    let hub = FakeHub::new(5000);
    let server = hub_server(hub.clone()).await;
    let mut child = crate::common::catalog_std()
        .env("CATALOG_HUG_URL", hub_url(&server))
        .env("CATALOG_TEST_TIME_SCALE", "0.01")
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "1000",
            "-f",
            "ndjson",
            "--no-progress",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here, closing the pipe like `| head -1`.
    assert!(first.contains("org0/model-000000"));
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_output_fails_before_any_request() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o", "/nonexistent-dir/sub/out.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "output directory /nonexistent-dir/sub does not exist",
        ));
    let dir = tempfile::tempdir().unwrap();
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory"));
    assert!(hub.seen().is_empty(), "no request may be sent");
}

#[test]
fn bad_numbers_are_usage_errors() {
    for args in [
        &["--limit", "0"][..],
        &["--limit", "-5"],
        &["--limit", "many"],
        &["--batch-size", "0"],
        &["--batch-size", "1001"],
        &["--timeout", "0"],
    ] {
        catalog().args(["fetch", "-p", "hug"]).args(args).assert().code(2);
    }
    // No limit has its own word, which the refusal of 0 names.
    catalog()
        .args(["fetch", "-p", "hug", "--limit", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`all` for every model"));
}

#[test]
fn an_unknown_provider_lists_the_valid_names_and_the_closest() {
    catalog()
        .args(["fetch", "-p", "hugg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown provider \"hugg\" (did you mean hug?)",
        ))
        .stderr(predicate::str::contains("openrouter, portkey, featherless"));
}

#[test]
fn a_provider_needing_a_key_asked_by_name_names_the_variable() {
    catalog()
        .args(["fetch", "-p", "groq"])
        .assert()
        .code(2)
        .stderr("error: groq needs an API key to list its models: set GROQ_API_KEY\n");
}

#[test]
fn a_malformed_url_override_is_a_usage_error() {
    catalog()
        .env("CATALOG_HUG_URL", "::not a url")
        .args(["count", "-p", "hug"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("CATALOG_HUG_URL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn count_prints_an_aligned_table_with_the_total() {
    let hub = FakeHub::new(230);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .args(["count", "-p", "hug", "--delay-ms", "0"])
        .ok_stdout();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("provider  models  seconds  status"),
        "{text}"
    );
    assert!(lines[1].starts_with("hug          230"), "{text}");
    assert!(lines[1].ends_with("ok"), "{text}");
    assert_eq!(lines[2], "total        230");
}

#[tokio::test(flavor = "multi_thread")]
async fn count_json_gives_per_provider_counts_and_the_distinct_total() {
    let hub = FakeHub::new(120);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .args(["count", "-p", "hug", "-f", "json", "--limit", "100"])
        .ok_stdout();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v, serde_json::json!({"providers": {"hug": 100}, "total": 100}));
}

#[test]
fn providers_lists_every_provider_and_whether_its_key_is_set_never_the_key() {
    let out = catalog()
        .env("GROQ_API_KEY", "gsk_sentinel_value")
        .args(["providers"])
        .ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("gsk_sentinel_value"));
    let groq = text.lines().find(|l| l.starts_with("groq ")).unwrap();
    assert!(
        groq.contains("required") && groq.contains("set (GROQ_API_KEY)"),
        "{groq}"
    );
    let hug = text.lines().find(|l| l.starts_with("hug ")).unwrap();
    assert!(
        hug.contains("optional") && hug.contains("not set") && hug.contains("HUG_API_KEY, HF_TOKEN"),
        "{hug}"
    );
    assert_eq!(text.lines().count(), 15, "a header and 14 providers:\n{text}");

    let out = catalog().args(["providers", "-f", "json"]).ok_stdout();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(list.len(), 14);
    assert_eq!(list[4]["name"], "hug");
    assert_eq!(list[4]["aliases"], serde_json::json!(["huggingface", "hf"]));
    assert_eq!(list[4]["needs_key"], false);
}

#[test]
fn help_documents_exit_codes_and_hides_key_values() {
    catalog()
        .env("HF_TOKEN", "hf_sentinel_value")
        .args(["fetch", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("3 partial").and(predicate::str::contains("hf_sentinel_value").not()),
        );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_safe_defuses_cells_a_spreadsheet_would_run_as_formulas() {
    let server = wiremock::MockServer::start().await;
    let body = serde_json::json!([{"id": "=cmd|' /C calc'!A0", "pipeline_tag": "text-generation"}, {"id": "org/plain"}]);
    wiremock::Mock::given(wiremock::matchers::path("/api/models"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let run = |safe: bool| {
        let mut cmd = hub_catalog(&server);
        cmd.args(["fetch", "-p", "hug", "-f", "csv", "--fields", "id"]);
        if safe {
            cmd.arg("--csv-safe");
        }
        String::from_utf8(cmd.ok_stdout()).unwrap()
    };
    assert_eq!(
        run(false),
        "id\n=cmd|' /C calc'!A0\norg/plain\n",
        "exact data by default"
    );
    assert_eq!(run(true), "id\n'=cmd|' /C calc'!A0\norg/plain\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_ends_with_the_total_and_where_it_went_in_words_that_agree() {
    let server = hub_server(FakeHub::new(1)).await;
    let dir = crate::common::fresh_dir("summary");
    let file = dir.join("one.ndjson");
    let out = hub_fetch(&server)
        .arg("-o")
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let size = fs::metadata(&file).unwrap().len();
    assert!(stderr.contains("hug  1 model, 1 page,"), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert_eq!(
        last,
        format!("total 1 model from 1 provider → {} ({size} B)", file.display())
    );
    let out = hub_fetch(&server)
        .args(["-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().last().unwrap(),
        "total 1 model from 1 provider → stdout"
    );
}

#[test]
fn fetch_and_count_give_the_same_total_and_fetch_names_a_failed_providers_records_apart() {
    use crate::common::raw::{hub_page, Action, RawServer, Response};
    // Page 1 of 250 models, then the listing breaks for good.
    let hub = RawServer::start(|req| {
        if req.query("cursor").is_some() {
            Action::Respond(Response::new(500).body("down"))
        } else {
            Action::Respond(hub_page(req, 250))
        }
    });
    let out = hub_catalog(&hub)
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "100",
            "--retries",
            "0",
            "-f",
            "ndjson",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(ndjson(&out.stdout).len(), 100, "the first page is written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().last().unwrap(),
        "total 0 models from 0 providers, and 100 models from failed providers → stdout",
        "{stderr}"
    );
    let counted = hub_catalog(&hub)
        .args([
            "count",
            "-p",
            "hug",
            "--batch-size",
            "100",
            "--retries",
            "0",
            "-f",
            "json",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&counted.stdout).unwrap();
    assert_eq!(v["total"], 0, "{v}");
}
