//! Fitting people's habits: providers from a config file, `--fields`,
//! `--filter`, gzip output, the man page, `--version`.

use crate::common::RunExt as _;

use std::fs;
use std::io::Read;

use crate::common::hub::FakeHub;
use crate::common::providers::{mount, url_env, PROVIDERS};
use crate::common::{catalog, fixture, fresh_dir, hub_catalog, hub_fetch, hub_server, ids, ndjson};
use predicates::prelude::*;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An OpenAI-style listing of two models, as a vLLM or LiteLLM proxy serves it.
fn lab_listing() -> serde_json::Value {
    serde_json::json!({"object": "list", "data": [
        {"id": "lab/llama-70b", "object": "model", "created": 1_700_000_000, "owned_by": "lab", "context_length": 131_072},
        {"id": "lab/embedder", "object": "model", "created": 1_700_000_100, "owned_by": "lab"},
    ]})
}

/// A config file declaring `mylab` at `url`, plus extra TOML.
fn config_file(url: &str, extra: &str) -> std::path::PathBuf {
    let dir = fresh_dir("config");
    let path = dir.join("config.toml");
    fs::write(
        &path,
        format!(
            "[providers.mylab]\nurl = \"{url}\"\nshape = \"openai\"\nkey_env = \"MYLAB_API_KEY\"\n\
             auth = \"header:x-api-key\"\nneeds_key = false\nquery = {{ verbose = \"true\" }}\n{extra}"
        ),
    )
    .unwrap();
    path
}

async fn lab_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(query_param("verbose", "true"))
        .and(header("x-api-key", "lab-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(lab_listing()))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_provider_is_listed_fetched_and_counted_like_a_built_in_one() {
    let server = lab_server().await;
    let config = config_file(&format!("{}/v1/models", server.uri()), "");

    let out = catalog()
        .env("CATALOG_CONFIG", &config)
        .args(["providers", "-f", "json"])
        .ok_stdout();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(list.len(), 15);
    let lab = &list[14];
    assert_eq!(lab["name"], "mylab");
    assert_eq!(
        lab["endpoint"],
        format!("{}/v1/models?verbose=true", server.uri())
    );
    assert_eq!(lab["key_env"], serde_json::json!(["MYLAB_API_KEY"]));

    // --all includes it (the built-ins point at a closed port and fail: exit 3).
    let out = catalog()
        .args(["--config"])
        .arg(&config)
        .env("MYLAB_API_KEY", "lab-key")
        .args(["fetch", "--all", "-f", "ndjson", "--retries", "0"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let records = ndjson(&out);
    assert_eq!(ids(&records), ["lab/llama-70b", "lab/embedder"]);
    assert_eq!(records[0]["provider"], "mylab");
    assert_eq!(records[0]["context_length"], 131_072);
    assert_eq!(records[0]["created"], "2023-11-14T22:13:20Z");

    let out = catalog()
        .env("CATALOG_CONFIG", &config)
        .env("MYLAB_API_KEY", "lab-key")
        .args(["count", "-p", "mylab", "-f", "json"])
        .ok_stdout();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"providers\":{\"mylab\":2},\"total\":2}\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_defaults_set_the_format_the_limit_and_what_all_means() {
    let server = lab_server().await;
    let hub = FakeHub::new(40);
    let hub_srv = hub_server(hub.clone()).await;
    let config = config_file(
        &format!("{}/v1/models", server.uri()),
        "[defaults]\nformat = \"ndjson\"\nlimit = 25\nall = [\"hug\", \"mylab\"]\n",
    );
    let out = hub_catalog(&hub_srv)
        .env("CATALOG_CONFIG", &config)
        .env("MYLAB_API_KEY", "lab-key")
        .args(["fetch", "--all"])
        .ok_stdout();
    let records = ndjson(&out);
    assert_eq!(
        records.len(),
        27,
        "25 Hub models (the configured limit) and 2 of mylab"
    );
    assert_eq!(records[0]["provider"], "hug");
    assert_eq!(records[26]["provider"], "mylab");
}

#[test]
fn a_malformed_config_names_the_file_the_line_and_the_problem() {
    let dir = fresh_dir("config");
    let path = dir.join("bad.toml");
    fs::write(
        &path,
        "[providers.x]\nurl = \"http://127.0.0.1:1/v1/models\"\nshape = \"soap\"\n",
    )
    .unwrap();
    catalog()
        .args(["--config"])
        .arg(&path)
        .arg("providers")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(path.display().to_string()))
        .stderr(predicate::str::contains("line 3"))
        .stderr(predicate::str::contains("unknown variant `soap`"));

    fs::write(
        &path,
        "[providers.groq]\nurl = \"http://127.0.0.1:1/v1/models\"\n",
    )
    .unwrap();
    catalog()
        .args(["--config"])
        .arg(&path)
        .arg("providers")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clashes with the built-in groq"));

    fs::write(
        &path,
        "[providers.x]\nurl = \"http://127.0.0.1:1/\"\nauth = \"basic\"\n",
    )
    .unwrap();
    catalog()
        .args(["--config"])
        .arg(&path)
        .arg("providers")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown auth \"basic\""));

    catalog()
        .args(["--config", "/nonexistent/catalog.toml", "providers"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/catalog.toml"));
}

#[tokio::test(flavor = "multi_thread")]
async fn query_style_auth_sends_the_key_as_a_parameter() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .and(query_param("key", "q-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(lab_listing()))
        .mount(&server)
        .await;
    let dir = fresh_dir("config");
    let config = dir.join("c.toml");
    fs::write(
        &config,
        format!("[providers.qlab]\nurl = \"{}/v1/models\"\nkey_env = [\"QLAB_KEY\"]\nauth = \"query:key\"\nneeds_key = true\n", server.uri()),
    )
    .unwrap();
    let assert = catalog()
        .env("CATALOG_CONFIG", &config)
        .env("QLAB_KEY", "q-key")
        .args(["fetch", "-p", "qlab", "-f", "ndjson"])
        .assert()
        .success();
    let records = ndjson(&assert.get_output().stdout);
    assert_eq!(records.len(), 2);
    // The key went in the query, never into the record's source URL.
    assert_eq!(records[0]["source"], format!("{}/v1/models", server.uri()));
    // Without the key, --all skips it.
    catalog()
        .env("CATALOG_CONFIG", &config)
        .args(["count", "-p", "qlab"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "qlab needs an API key to list its models: set QLAB_KEY",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_choose_and_order_the_columns_in_every_format() {
    let hub = FakeHub::new(3);
    let server = hub_server(hub.clone()).await;
    let out = hub_catalog(&server)
        .args([
            "fetch",
            "-p",
            "hug",
            "-f",
            "ndjson",
            "--fields",
            "id,provider,downloads",
        ])
        .ok_stdout();
    let first = String::from_utf8(out).unwrap().lines().next().unwrap().to_owned();
    assert_eq!(
        first,
        "{\"id\":\"org0/model-000000\",\"provider\":\"hug\",\"downloads\":1000000}"
    );

    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-f", "csv", "--fields", "likes,id"])
        .ok_stdout();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "likes,id\n0,org0/model-000000\n1,org1/model-000001\n2,org2/model-000002\n"
    );

    let out = hub_catalog(&server)
        .args(["fetch", "-p", "hug", "--fields", "task"])
        .ok_stdout();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"task": "text-generation"}, {"task": "text-generation"}, {"task": "text-generation"}])
    );

    catalog()
        .args(["fetch", "-p", "hug", "--fields", "price"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field \"price\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_select_records_before_writing_and_counting() {
    let server = MockServer::start().await;
    let openrouter = PROVIDERS.iter().find(|p| p.name == "openrouter").unwrap();
    mount(&server, openrouter, None).await;
    // The expected counts, computed from the recorded listing itself.
    let listing: serde_json::Value =
        serde_json::from_slice(&fs::read(fixture("openrouter-models-all.json")).unwrap()).unwrap();
    let models = listing["data"].as_array().unwrap();
    // Free: every price the listing states is 0. The video, rerank and music
    // models that list 0 everywhere only because the listing has no field for
    // what they are billed in (not a `:free` variant, output neither text nor
    // embeddings) have unknown prices, and are not free.
    let free = models
        .iter()
        .filter(|m| {
            let pricing = m["pricing"].as_object().unwrap();
            let all_zero = pricing
                .iter()
                .filter(|(k, _)| *k != "overrides")
                .all(|(_, v)| v == "0");
            let tokens = m["architecture"]["output_modalities"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o == "text" || o == "embeddings");
            all_zero && (m["id"].as_str().unwrap().ends_with(":free") || tokens)
        })
        .count();
    assert_eq!(free, 23, "22 :free variants and the free router");
    let million = models
        .iter()
        .filter(|m| m["context_length"].as_u64().is_some_and(|c| c >= 1_000_000))
        .count();
    let images = models
        .iter()
        .filter(|m| {
            let arch = &m["architecture"];
            arch["input_modalities"]
                .as_array()
                .into_iter()
                .chain(arch["output_modalities"].as_array())
                .flatten()
                .any(|x| x == "image")
        })
        .count();
    assert!(free > 0 && million > 0 && images > 0);

    let run = |filter: &str| -> usize {
        let out = catalog()
            .envs(url_env(&server))
            .args(["fetch", "-p", "openrouter", "-f", "ndjson", "--filter", filter])
            .ok_stdout();
        ndjson(&out).len()
    };
    assert_eq!(run("free"), free);
    assert_eq!(run("min-context=1000000"), million);
    assert_eq!(run("modality=image"), images);
    assert!(run("max-price-input=1.0,min-context=128000") > 0);

    let out = catalog()
        .envs(url_env(&server))
        .args(["count", "-p", "openrouter", "-f", "json", "--filter", "free"])
        .ok_stdout();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["providers"]["openrouter"], free);

    catalog()
        .args(["fetch", "-p", "hug", "--filter", "cheap"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown condition \"cheap\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gz_output_name_writes_gzip_that_reads_back() {
    let hub = FakeHub::new(150);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("out");
    for name in ["a.ndjson.gz", "a.json.gz", "a.csv.gz"] {
        let file = dir.join(name);
        hub_fetch(&server).args(["-o"]).arg(&file).assert().success();
        let bytes = fs::read(&file).unwrap();
        assert_eq!(bytes[..2], [0x1f, 0x8b], "{name} is gzip");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        let n = match name {
            "a.ndjson.gz" => ndjson(text.as_bytes()).len(),
            "a.json.gz" => serde_json::from_str::<Vec<serde_json::Value>>(&text)
                .unwrap()
                .len(),
            _ => csv::Reader::from_reader(text.as_bytes()).records().count(),
        };
        assert_eq!(n, 150, "{name}");
    }
    // diff reads gzip input too.
    catalog()
        .arg("diff")
        .arg(dir.join("a.ndjson.gz"))
        .arg(dir.join("a.csv.gz"))
        .assert()
        .success()
        .stdout("no differences\n");
}

#[test]
fn the_man_page_documents_every_command() {
    let out = catalog().arg("man").ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(".ie") && text.contains(".TH catalog 1"));
    for section in [
        "CATALOG FETCH",
        "CATALOG COUNT",
        "CATALOG SNAPSHOT",
        "CATALOG DIFF",
        "CATALOG PROVIDERS",
    ] {
        assert!(text.contains(section), "missing {section}");
    }
    assert!(text.contains("\\-\\-batch\\-size"));
}

#[test]
fn version_names_the_git_revision() {
    let out = catalog().arg("--version").ok_stdout();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(concat!("catalog ", env!("CARGO_PKG_VERSION"), " (")),
        "{text}"
    );
    assert!(text.trim_end().ends_with(')'));
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in [
        &["fetch"][..],
        &["count"],
        &["providers"],
        &["snapshot"],
        &["diff"],
        &["completions"],
        &["man"],
        &["cache"],
        &["cache", "ls"],
        &["cache", "clear"],
    ] {
        catalog()
            .args(cmd)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn config_numbers_are_held_to_the_command_lines_ranges() {
    let dir = fresh_dir("config");
    let path = dir.join("ranges.toml");
    for (text, says) in [
        (
            "[defaults]\nlimit = 0\n",
            "defaults.limit = 0 would harvest nothing",
        ),
        (
            "[defaults]\nbatch_size = 0\n",
            "defaults.batch_size = 0 is out of range (1..=1000)",
        ),
        (
            "[defaults]\nbatch_size = 5000\n",
            "defaults.batch_size = 5000 is out of range (1..=1000)",
        ),
        (
            "[providers.mine]\nurl = \"http://127.0.0.1:1/v1/models\"\npage_size = 0\npaging = \"page\"\n",
            "providers.mine.page_size = 0 is out of range (1..=1000)",
        ),
        (
            "[providers.mine]\nurl = \"http://127.0.0.1:1/v1/models\"\ndelay_ms = 18446744073709551615\n",
            "providers.mine.delay_ms = 18446744073709551615 is out of range (0..=3600000)",
        ),
    ] {
        fs::write(&path, text).unwrap();
        catalog()
            .args(["--config"])
            .arg(&path)
            .args(["count", "--all"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}
