//! `catalog diff OLD NEW`: added, removed and changed models between two
//! catalog files of any format the tool writes, and refusal of bad inputs.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::common::hub::FakeHub;
use crate::common::providers::{mount, spec, PROVIDERS};
use crate::common::{catalog, fresh_dir, hub_server, hub_url};
use serde_json::{json, Value};

/// A model with every compared field set.
fn model(provider: &str, id: &str) -> Value {
    json!({
        "provider": provider,
        "id": id,
        "name": id,
        "context_length": 128000,
        "max_output_tokens": 16384,
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "price_input": 2,
        "price_output": 10,
        "price_cache_read": null,
    })
}

/// `v` with `field` set to `value`.
fn with(mut v: Value, field: &str, value: Value) -> Value {
    v[field] = value;
    v
}

fn write_ndjson(dir: &Path, name: &str, records: &[Value]) -> PathBuf {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).unwrap());
        text.push('\n');
    }
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Runs `catalog diff OLD NEW extra...`, expecting `code`; returns (stdout, stderr).
fn diff(old: &Path, new: &Path, extra: &[&str], code: i32) -> (String, String) {
    let out = catalog()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The old and new files of the main example: every kind of change.
fn example(dir: &Path) -> (PathBuf, PathBuf) {
    let old = [
        with(model("openrouter", "openai/gpt-4o"), "name", json!("GPT-4o")),
        model("openrouter", "gone/b"),
        model("groq", "gone/a"),
        with(model("groq", "llama"), "name", json!("Llama")),
        model("openrouter", "stable/same"),
    ];
    let new = [
        with(
            with(model("groq", "llama"), "name", json!("Llama 3")),
            "input_modalities",
            json!(["text", "image"]),
        ),
        model("openrouter", "new/x"),
        with(
            with(
                with(model("openrouter", "openai/gpt-4o"), "name", json!("GPT-4o")),
                "price_input",
                json!(2.5),
            ),
            "context_length",
            json!(256000),
        ),
        model("openrouter", "stable/same"),
        model("groq", "another/new"),
    ];
    (
        write_ndjson(dir, "old.ndjson", &old),
        write_ndjson(dir, "new.ndjson", &new),
    )
}

#[test]
fn identical_files_report_no_differences_and_exit_0() {
    let dir = fresh_dir("diff");
    let (old, _) = example(&dir);
    let copy = dir.join("copy.ndjson");
    fs::copy(&old, &copy).unwrap();
    let (stdout, stderr) = diff(&old, &copy, &[], 0);
    assert_eq!(stdout, "no differences\n");
    assert_eq!(stderr, "");
    let (stdout, _) = diff(&old, &old, &["-f", "json"], 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v,
        json!({"added": [], "removed": [], "changed": [],
               "summary": {"added": 0, "removed": 0, "changed": 0, "price_changed": 0}})
    );
    let (stdout, _) = diff(&old, &old, &["-f", "ndjson"], 0);
    assert_eq!(stdout, "");
}

#[test]
fn table_lists_added_and_changed_in_new_order_then_removed_in_old_order() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, stderr) = diff(&old, &new, &[], 1);
    assert_eq!(stderr, "");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "changed  groq  llama  input_modalities [text] -> [text,image]; name Llama -> Llama 3",
            "added    openrouter  new/x",
            "changed  openrouter  openai/gpt-4o  price_input 2 -> 2.5 (+25%); context_length 128000 -> 256000",
            "added    groq  another/new",
            "removed  openrouter  gone/b",
            "removed  groq  gone/a",
            "2 added, 2 removed, 2 changed (1 with price changes)",
        ]
    );
}

#[test]
fn price_changes_read_as_rounded_percentages() {
    let dir = fresh_dir("diff");
    let base = model("deepinfra", "m");
    let old = write_ndjson(
        &dir,
        "old.ndjson",
        &[
            base.clone(),
            with(model("deepinfra", "n"), "price_cache_read", json!(3)),
        ],
    );
    let new = write_ndjson(
        &dir,
        "new.ndjson",
        &[
            with(
                with(
                    with(base, "price_output", json!(8)),
                    "max_output_tokens",
                    json!(32768),
                ),
                "output_modalities",
                json!(["text", "audio"]),
            ),
            with(model("deepinfra", "n"), "price_cache_read", json!(3.1)),
        ],
    );
    let (stdout, _) = diff(&old, &new, &[], 1);
    assert_eq!(
        stdout,
        "changed  deepinfra  m  price_output 10 -> 8 (-20%); max_output_tokens 16384 -> 32768; \
         output_modalities [text] -> [text,audio]\n\
         changed  deepinfra  n  price_cache_read 3 -> 3.1 (+3.3%)\n\
         0 added, 0 removed, 2 changed (2 with price changes)\n"
    );
}

#[test]
fn an_unknown_or_zero_old_price_has_no_percentage() {
    let dir = fresh_dir("diff");
    let old = write_ndjson(
        &dir,
        "old.ndjson",
        &[with(
            with(model("chutes", "a"), "price_input", Value::Null),
            "price_output",
            json!(0),
        )],
    );
    let new = write_ndjson(
        &dir,
        "new.ndjson",
        &[with(
            with(model("chutes", "a"), "price_input", json!(3)),
            "price_output",
            json!(3),
        )],
    );
    let (stdout, _) = diff(&old, &new, &[], 1);
    assert_eq!(
        stdout,
        "changed  chutes  a  price_input unknown -> 3; price_output 0 -> 3\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    let (stdout, _) = diff(&old, &new, &["-f", "ndjson"], 1);
    let v: Value = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(
        v,
        json!({"change": "changed", "provider": "chutes", "id": "a", "fields": [
            {"field": "price_input", "old": null, "new": 3},
            {"field": "price_output", "old": 0, "new": 3},
        ]})
    );

    // The other way: a known price becoming unknown, and becoming free.
    let (stdout, _) = diff(&new, &old, &[], 1);
    assert_eq!(
        stdout.lines().next().unwrap(),
        "changed  chutes  a  price_input 3 -> unknown; price_output 3 -> 0 (-100%)"
    );
}

#[test]
fn json_format_groups_changes_with_concrete_values_and_a_summary() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, _) = diff(&old, &new, &["-f", "json"], 1);
    assert_eq!(stdout.lines().count(), 1, "one JSON document: {stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v,
        json!({
            "added": [
                {"change": "added", "provider": "openrouter", "id": "new/x"},
                {"change": "added", "provider": "groq", "id": "another/new"},
            ],
            "removed": [
                {"change": "removed", "provider": "openrouter", "id": "gone/b"},
                {"change": "removed", "provider": "groq", "id": "gone/a"},
            ],
            "changed": [
                {"change": "changed", "provider": "groq", "id": "llama", "fields": [
                    {"field": "input_modalities", "old": ["text"], "new": ["text", "image"]},
                    {"field": "name", "old": "Llama", "new": "Llama 3"},
                ]},
                {"change": "changed", "provider": "openrouter", "id": "openai/gpt-4o", "fields": [
                    {"field": "price_input", "old": 2, "new": 2.5, "change": "+25%"},
                    {"field": "context_length", "old": 128000, "new": 256000},
                ]},
            ],
            "summary": {"added": 2, "removed": 2, "changed": 2, "price_changed": 1},
        })
    );
}

#[test]
fn ndjson_format_writes_one_change_per_line() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, _) = diff(&old, &new, &["-f", "ndjson"], 1);
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["change"].as_str().unwrap(), l["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("changed", "llama"),
            ("added", "new/x"),
            ("changed", "openai/gpt-4o"),
            ("added", "another/new"),
            ("removed", "gone/b"),
            ("removed", "gone/a"),
        ],
        "no summary line"
    );
    assert_eq!(
        lines[2]["fields"][0],
        json!({"field": "price_input", "old": 2, "new": 2.5, "change": "+25%"})
    );
    assert_eq!(
        lines[2]["fields"][1],
        json!({"field": "context_length", "old": 128000, "new": 256000})
    );
    assert!(lines[1].get("fields").is_none(), "added models carry no fields");
    assert!(lines[4].get("fields").is_none(), "removed models carry no fields");
}

#[test]
fn only_price_reports_only_price_changes() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, _) = diff(&old, &new, &["--only", "price"], 1);
    assert_eq!(
        stdout,
        "changed  openrouter  openai/gpt-4o  price_input 2 -> 2.5 (+25%)\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
}

#[test]
fn only_added_reports_only_added_models() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, _) = diff(&old, &new, &["--only", "added"], 1);
    assert_eq!(
        stdout,
        "added    openrouter  new/x\n\
         added    groq  another/new\n\
         2 added, 0 removed, 0 changed (0 with price changes)\n"
    );
    let (stdout, _) = diff(&old, &new, &["--only", "removed,context"], 1);
    assert_eq!(
        stdout,
        "changed  openrouter  openai/gpt-4o  context_length 128000 -> 256000\n\
         removed  openrouter  gone/b\n\
         removed  groq  gone/a\n\
         0 added, 2 removed, 1 changed (0 with price changes)\n"
    );
}

#[test]
fn only_a_kind_that_did_not_change_exits_0() {
    let dir = fresh_dir("diff");
    let old = write_ndjson(&dir, "old.ndjson", &[model("groq", "a")]);
    let new = write_ndjson(
        &dir,
        "new.ndjson",
        &[with(model("groq", "a"), "name", json!("Renamed"))],
    );
    let (stdout, _) = diff(&old, &new, &["--only", "price"], 0);
    assert_eq!(stdout, "no differences\n");
    let (stdout, _) = diff(&old, &new, &["--only", "name"], 1);
    assert_eq!(
        stdout,
        "changed  groq  a  name a -> Renamed\n0 added, 0 removed, 1 changed (0 with price changes)\n"
    );
}

#[test]
fn only_an_unknown_kind_is_a_usage_error_naming_the_accepted_kinds() {
    let dir = fresh_dir("diff");
    let (old, new) = example(&dir);
    let (stdout, stderr) = diff(&old, &new, &["--only", "bogus"], 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("unknown kind \"bogus\""), "{stderr}");
    assert!(
        stderr.contains("added, removed, changed, price, context, output, modalities, name"),
        "{stderr}"
    );
}

/// `catalog fetch -p PROVIDERS -o PATH` against `env`.
fn fetch_to(env: &[(String, String)], providers: &str, path: &Path) {
    catalog()
        .envs(env.iter().cloned())
        .args(["fetch", "-p", providers, "-q", "-o"])
        .arg(path)
        .assert()
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_output_format_of_the_same_hub_data_compares_equal() {
    let hub = FakeHub::new(25);
    let server = hub_server(hub.clone()).await;
    let env = [("CATALOG_HUG_URL".to_owned(), hub_url(&server))];
    let dir = fresh_dir("diff");
    let names = [
        "x.ndjson",
        "x.json",
        "x.csv",
        "x.ndjson.gz",
        "x.json.gz",
        "x.csv.gz",
    ];
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    for f in &files {
        fetch_to(&env, "hug", f);
    }
    for f in &files[3..] {
        assert_eq!(fs::read(f).unwrap()[..2], [0x1f, 0x8b], "{} is gzip", f.display());
    }
    // With the providers' original objects (`--raw`): extra fields are ignored.
    let raw = dir.join("raw.json");
    catalog()
        .envs(env.iter().cloned())
        .args(["fetch", "-p", "hug", "-q", "--raw", "-o"])
        .arg(&raw)
        .assert()
        .success();
    assert!(fs::read_to_string(&raw).unwrap().contains("\"raw\":{"));
    let (stdout, _) = diff(&raw, &files[2], &[], 0);
    assert_eq!(stdout, "no differences\n");
    for a in &files {
        for b in &files {
            let (stdout, _) = diff(a, b, &[], 0);
            assert_eq!(stdout, "no differences\n", "{} vs {}", a.display(), b.display());
        }
    }

    hub.add("neworg/new-model");
    let y_csv = dir.join("y.csv");
    let y_gz = dir.join("y.json.gz");
    fetch_to(&env, "hug", &y_csv);
    fetch_to(&env, "hug", &y_gz);
    for old in &files {
        for new in [&y_csv, &y_gz] {
            let (stdout, _) = diff(old, new, &[], 1);
            assert_eq!(
                stdout,
                "added    hug  neworg/new-model\n1 added, 0 removed, 0 changed (0 with price changes)\n",
                "{} vs {}",
                old.display(),
                new.display()
            );
        }
    }
    let (stdout, _) = diff(&y_gz, &files[2], &[], 1);
    assert_eq!(
        stdout,
        "removed  hug  neworg/new-model\n0 added, 1 removed, 0 changed (0 with price changes)\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn priced_catalogs_compare_equal_across_csv_json_and_ndjson() {
    // Real listings with prices, context lengths and modalities (OpenRouter,
    // DeepInfra, Chutes): the CSV round trip loses nothing the diff compares.
    let server = wiremock::MockServer::start().await;
    let mut env = Vec::new();
    for name in ["openrouter", "deepinfra", "chutes"] {
        let p = PROVIDERS.iter().find(|p| p.name == name).unwrap();
        mount(&server, p, None).await;
        env.push((spec(name).url_env(), format!("{}{}", server.uri(), p.path)));
    }
    let dir = fresh_dir("diff");
    let files: Vec<PathBuf> = ["p.ndjson", "p.json", "p.csv", "p.csv.gz"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    for f in &files {
        fetch_to(&env, "openrouter,deepinfra,chutes", f);
    }
    let records = crate::common::ndjson(&fs::read(&files[0]).unwrap());
    assert!(records.len() > 10, "{} records", records.len());
    assert!(
        records.iter().any(|r| r["price_input"].is_f64()),
        "some fractional prices"
    );
    for a in &files {
        for b in &files {
            let (stdout, _) = diff(a, b, &[], 0);
            assert_eq!(stdout, "no differences\n", "{} vs {}", a.display(), b.display());
        }
    }
}

#[test]
fn a_hand_written_csv_with_prices_and_modalities_equals_the_same_ndjson() {
    let dir = fresh_dir("diff");
    let ndjson = write_ndjson(
        &dir,
        "a.ndjson",
        &[
            with(
                with(
                    model("openrouter", "openai/gpt-4o"),
                    "price_cache_read",
                    json!(1.25),
                ),
                "input_modalities",
                json!(["text", "image", "file"]),
            ),
            with(
                with(model("hug", "org/m"), "price_input", Value::Null),
                "name",
                json!("Name, with \"quotes\""),
            ),
        ],
    );
    let csv = write_bytes(
        &dir,
        "a.csv",
        b"provider,id,name,context_length,max_output_tokens,input_modalities,output_modalities,\
price_input,price_output,price_cache_read\n\
openrouter,openai/gpt-4o,openai/gpt-4o,128000,16384,text;image;file,text,2,10,1.25\n\
hug,org/m,\"Name, with \"\"quotes\"\"\",128000,16384,text,text,,10,\n",
    );
    let (stdout, _) = diff(&ndjson, &csv, &[], 0);
    assert_eq!(stdout, "no differences\n");
    let (stdout, _) = diff(&csv, &ndjson, &[], 0);
    assert_eq!(stdout, "no differences\n");
}

#[test]
fn a_json_array_and_ndjson_of_the_same_records_compare_equal() {
    let dir = fresh_dir("diff");
    let (old, _) = example(&dir);
    let records: Vec<Value> = fs::read_to_string(&old)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let json = write_bytes(
        &dir,
        "old.json",
        serde_json::to_string_pretty(&records).unwrap().as_bytes(),
    );
    let (stdout, _) = diff(&old, &json, &[], 0);
    assert_eq!(stdout, "no differences\n");
}

/// Asserts a refused input: exit 2, nothing compared, a message naming the file.
fn assert_refused(old: &Path, new: &Path, bad: &Path, reason: &str) -> String {
    let (_, stderr) = diff(old, new, &[], 2);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(&bad.display().to_string()),
        "names {}: {stderr}",
        bad.display()
    );
    assert!(stderr.contains(reason), "says {reason:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn a_truncated_json_array_is_refused() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let bad = write_bytes(
        &dir,
        "truncated.json",
        b"[{\"provider\":\"a\",\"id\":\"x\"},{\"provider\":\"a\",\"id\"",
    );
    assert_refused(&good, &bad, &bad, "invalid JSON");
    assert_refused(&bad, &good, &bad, "EOF while parsing");
}

#[test]
fn an_ndjson_line_that_is_not_json_is_refused_naming_the_line() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let bad = write_bytes(
        &dir,
        "bad.ndjson",
        b"{\"provider\":\"a\",\"id\":\"x\"}\n\n{\"provider\":\"a\",\"id\":\"y\"}\nnot json\n",
    );
    assert_refused(&good, &bad, &bad, "line 4:");
    assert_refused(&bad, &good, &bad, "line 4:");
}

#[test]
fn an_ndjson_line_without_provider_or_id_is_refused() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let bad = write_bytes(
        &dir,
        "noid.ndjson",
        b"{\"provider\":\"a\",\"id\":\"x\"}\n{\"provider\":\"a\"}\n",
    );
    assert_refused(&good, &bad, &bad, "line 2: missing field `id`");
}

#[test]
fn a_csv_without_provider_and_id_columns_is_not_a_catalog_file() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let bad = write_bytes(&dir, "other.csv", b"name,price\nfoo,1\n");
    assert_refused(&good, &bad, &bad, "not a catalog file");
    assert_refused(&bad, &good, &bad, "provider and id columns");
}

#[test]
fn a_csv_with_a_bad_number_is_refused_naming_the_record() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let bad = write_bytes(
        &dir,
        "bad.csv",
        b"provider,id,context_length,price_input\na,x,1000,2\na,y,lots,2\n",
    );
    assert_refused(&good, &bad, &bad, "context_length \"lots\" is not a number");
    let bad = write_bytes(&dir, "price.csv", b"provider,id,price_input\na,x,free\n");
    assert_refused(&good, &bad, &bad, "price \"free\" is not a number");
}

#[test]
fn csv_errors_number_the_same_row_the_same_way_whatever_the_cause() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    // Both files are bad in their first data row (line 2).
    let number = write_bytes(&dir, "number.csv", b"provider,id,context_length\na,x,lots\n");
    let utf8 = write_bytes(&dir, "utf8.csv", b"provider,id,context_length\na,\xff,1\n");
    let (_, number_err) = diff(&good, &number, &[], 2);
    let (_, utf8_err) = diff(&good, &utf8, &[], 2);
    let record = |e: &str| {
        let rest = &e[e.find(".csv: ").unwrap() + 6..];
        rest[..rest.find(':').unwrap()].to_owned()
    };
    assert_eq!(record(&utf8_err), "record 1", "{utf8_err}");
    assert_eq!(record(&number_err), record(&utf8_err), "{number_err}");
}

#[test]
fn invalid_utf8_is_refused_in_every_format() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let nd = write_bytes(&dir, "utf8.ndjson", b"{\"provider\":\"a\",\"id\":\"\xff\xfe\"}\n");
    assert_refused(&good, &nd, &nd, "line 1:");
    let json = write_bytes(&dir, "utf8.json", b"[{\"provider\":\"a\",\"id\":\"\xff\"}]");
    assert_refused(&good, &json, &json, "invalid JSON");
    let csv = write_bytes(&dir, "utf8.csv", b"provider,id\na,\xff\xfe\n");
    let stderr = assert_refused(&good, &csv, &csv, "record 1");
    assert!(stderr.to_lowercase().contains("invalid utf-8"), "{stderr}");
}

#[test]
fn deeply_nested_json_is_refused_without_crashing() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let deep = write_bytes(&dir, "deep.json", "[".repeat(10_000).as_bytes());
    assert_refused(&good, &deep, &deep, "invalid JSON");
    let mut line = b"{\"provider\":\"a\",\"id\":\"x\",\"name\":".to_vec();
    line.extend("[".repeat(100_000).as_bytes());
    line.push(b'\n');
    let deep = write_bytes(&dir, "deep.ndjson", &line);
    assert_refused(&good, &deep, &deep, "line 1:");
    let mut unknown = b"[{\"provider\":\"a\",\"id\":\"x\",\"raw\":".to_vec();
    unknown.extend("{\"a\":".repeat(100_000).as_bytes());
    let deep = write_bytes(&dir, "deep-raw.json", &unknown);
    assert_refused(&good, &deep, &deep, "invalid JSON");
}

#[test]
fn an_ndjson_line_over_64_mib_is_refused() {
    // 64 MiB: the longest line `fetch` writes (a listing's body is capped
    // at the same size), so `diff` reads whatever `fetch` wrote.
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let mut line = b"{\"provider\":\"a\",\"id\":\"".to_vec();
    line.resize(line.len() + (64 << 20) + 10, b'x');
    line.extend(b"\"}\n");
    let big = write_bytes(&dir, "big.ndjson", &line);
    assert_refused(&good, &big, &big, "line 1 is longer than 67108864 bytes");
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let missing = dir.join("missing.ndjson");
    let (stdout, stderr) = diff(&good, &missing, &[], 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "error: {} is not a readable file: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    let (_, stderr) = diff(&missing, &good, &[], 2);
    assert!(
        stderr.contains("missing.ndjson is not a readable file"),
        "{stderr}"
    );
    let (_, stderr) = diff(&good, &dir, &[], 2);
    assert!(stderr.contains("is not a readable file"), "a directory: {stderr}");
}

#[test]
fn an_empty_file_is_an_empty_catalog() {
    let dir = fresh_dir("diff");
    let (old, _) = example(&dir);
    let empty = write_bytes(&dir, "empty.ndjson", b"");
    let (stdout, _) = diff(&empty, &old, &["--only", "added"], 1);
    assert!(
        stdout.ends_with("5 added, 0 removed, 0 changed (0 with price changes)\n"),
        "{stdout}"
    );
    let (stdout, _) = diff(&empty, &empty, &[], 0);
    assert_eq!(stdout, "no differences\n");
}

#[test]
fn control_characters_in_ids_are_neutralized_in_the_table() {
    let dir = fresh_dir("diff");
    let old = write_ndjson(&dir, "old.ndjson", &[]);
    let new = write_ndjson(&dir, "new.ndjson", &[model("evil", "x\u{1b}[2Jy\rz")]);
    let (stdout, _) = diff(&old, &new, &[], 1);
    assert_eq!(
        stdout,
        "added    evil  x\u{fffd}[2Jy\u{fffd}z\n1 added, 0 removed, 0 changed (0 with price changes)\n"
    );
    let (stdout, _) = diff(&old, &new, &["-f", "ndjson"], 1);
    let v: Value = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(v["id"], "x\u{1b}[2Jy\rz", "JSON keeps the id exact (escaped)");
}

#[test]
fn large_inputs_with_a_hundred_price_changes() {
    let dir = fresh_dir("diff");
    let line = |i: usize, price: f64| {
        format!(
            "{{\"provider\":\"hug\",\"id\":\"org{}/model-{i:06}\",\"name\":null,\"context_length\":{},\
             \"max_output_tokens\":null,\"input_modalities\":[\"text\"],\"output_modalities\":[\"text\"],\
             \"price_input\":{price},\"price_output\":null,\"price_cache_read\":null}}\n",
            i % 7,
            4096 + i
        )
    };
    let mut old = fs::File::create(dir.join("old.ndjson")).unwrap();
    let mut new = fs::File::create(dir.join("new.ndjson")).unwrap();
    let mut old_text = String::new();
    let mut new_text = String::new();
    for i in 0..50_000 {
        old_text.push_str(&line(i, 1.0));
        new_text.push_str(&line(i, if i % 500 == 7 { 1.5 } else { 1.0 }));
    }
    old.write_all(old_text.as_bytes()).unwrap();
    new.write_all(new_text.as_bytes()).unwrap();
    drop((old, new));
    let (stdout, _) = diff(&dir.join("old.ndjson"), &dir.join("new.ndjson"), &[], 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 101);
    assert_eq!(
        lines[0],
        "changed  hug  org0/model-000007  price_input 1 -> 1.5 (+50%)"
    );
    assert_eq!(
        lines[99],
        "changed  hug  org3/model-049507  price_input 1 -> 1.5 (+50%)"
    );
    assert_eq!(
        lines[100],
        "0 added, 0 removed, 100 changed (100 with price changes)"
    );
}

#[test]
fn changes_of_record_v2_fields_are_reported_each_under_its_name() {
    let dir = fresh_dir("diff");
    let before = with(
        with(
            model("openrouter", "bytedance-seed/seedream-5-0-pro"),
            "price_other",
            json!({"image_input": 0.003, "image_output_tokens": 10.7784431138}),
        ),
        "capabilities",
        json!(["tools"]),
    );
    // A record v2 file states its unknowns.
    let before = with(
        with(before, "price_cache_write", Value::Null),
        "expires_at",
        Value::Null,
    );
    let after = with(
        with(
            with(
                with(before.clone(), "price_other", json!({"image_input": 0.004})),
                "capabilities",
                json!(["tools", "reasoning"]),
            ),
            "price_cache_write",
            json!(3.75),
        ),
        "expires_at",
        json!("2026-12-31"),
    );
    let old = write_ndjson(&dir, "old.ndjson", &[before]);
    let new = write_ndjson(&dir, "new.ndjson", &[after]);
    let (stdout, _) = diff(&old, &new, &[], 1);
    assert_eq!(
        stdout,
        "changed  openrouter  bytedance-seed/seedream-5-0-pro  \
price_cache_write unknown -> 3.75; \
price_other.image_input 0.003 -> 0.004 (+33.3%); \
price_other.image_output_tokens 10.7784431138 -> unknown; \
capabilities [tools] -> [tools,reasoning]; \
expires_at unknown -> 2026-12-31\n\
0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    let (stdout, _) = diff(&old, &new, &["--only", "capabilities"], 1);
    assert!(
        stdout.starts_with("changed  openrouter  bytedance-seed/seedream-5-0-pro  capabilities [tools] -> [tools,reasoning]\n"),
        "{stdout}"
    );
}

#[test]
fn a_csv_of_record_v2_fields_equals_the_same_ndjson() {
    let dir = fresh_dir("diff");
    let ndjson = write_ndjson(
        &dir,
        "a.ndjson",
        &[with(
            with(
                with(
                    model("groq", "canopylabs/orpheus-v1-english"),
                    "price_other",
                    json!({"characters": 22, "request": 0}),
                ),
                "capabilities",
                json!(["tools", "json_mode"]),
            ),
            "quantization",
            json!("fp8"),
        )],
    );
    let csv = write_bytes(
        &dir,
        "a.csv",
        b"provider,id,name,context_length,max_output_tokens,input_modalities,output_modalities,\
price_input,price_output,price_cache_read,price_cache_write,price_other,capabilities,quantization\n\
groq,canopylabs/orpheus-v1-english,canopylabs/orpheus-v1-english,128000,16384,text,text,2,10,,,characters=22;request=0,tools;json_mode,fp8\n",
    );
    let (stdout, _) = diff(&ndjson, &csv, &[], 0);
    assert_eq!(stdout, "no differences\n");
}

#[test]
fn a_file_from_before_record_v2_compares_equal_to_the_same_models_with_v2_fields() {
    let dir = fresh_dir("diff");
    let v1 = write_ndjson(&dir, "v1.ndjson", &[model("groq", "llama-3.3-70b-versatile")]);
    let v2 = write_ndjson(
        &dir,
        "v2.ndjson",
        &[with(
            with(
                with(
                    model("groq", "llama-3.3-70b-versatile"),
                    "capabilities",
                    json!(["tools"]),
                ),
                "price_other",
                json!({}),
            ),
            "quantization",
            Value::Null,
        )],
    );
    // The old file never said anything about these fields: nothing changed.
    let (stdout, _) = diff(&v1, &v2, &[], 0);
    assert_eq!(stdout, "no differences\n");
    // Between two files that both have them, a change is a change.
    let v2b = write_ndjson(
        &dir,
        "v2b.ndjson",
        &[with(
            model("groq", "llama-3.3-70b-versatile"),
            "capabilities",
            json!([]),
        )],
    );
    let (stdout, _) = diff(&v2, &v2b, &[], 1);
    assert!(stdout.contains("capabilities [tools] -> []"), "{stdout}");
}

#[test]
fn a_file_that_holds_a_model_twice_is_refused_naming_the_record() {
    let dir = fresh_dir("diff");
    let twice = write_ndjson(
        &dir,
        "twice.ndjson",
        &[
            model("hug", "org/a"),
            model("hug", "org/b"),
            model("hug", "org/a"),
        ],
    );
    let once = write_ndjson(
        &dir,
        "once.ndjson",
        &[model("hug", "org/a"), model("hug", "org/b")],
    );
    for (old, new) in [(&twice, &once), (&once, &twice), (&twice, &twice)] {
        let (stdout, stderr) = diff(old, new, &[], 2);
        assert!(!stdout.contains("added"), "{stdout}");
        assert!(
            stderr.contains("twice.ndjson: record 3 repeats the model hug org/a"),
            "{stderr}"
        );
    }
}

/// `text` gzip-compressed.
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_small_gzip_holding_a_huge_record_is_refused_in_every_format() {
    // 80 MiB of name in a few hundred KiB of gzip: beyond the 64 MiB a
    // record may have, in a JSON array and in CSV as in NDJSON.
    let dir = fresh_dir("diff");
    let (good, _) = example(&dir);
    let name = "n".repeat(80 << 20);
    let json = format!("[{{\"provider\":\"a\",\"id\":\"x\",\"name\":\"{name}\"}}]");
    let csv = format!("provider,id,name\na,x,{name}\n");
    let ndjson = format!("{{\"provider\":\"a\",\"id\":\"x\",\"name\":\"{name}\"}}\n");
    for (file, text) in [
        ("big.json.gz", json),
        ("big.csv.gz", csv),
        ("big.ndjson.gz", ndjson),
    ] {
        let packed = gzip(text.as_bytes());
        assert!(packed.len() < 1 << 20, "{file}: {} bytes", packed.len());
        let big = write_bytes(&dir, file, &packed);
        let (_, stderr) = diff(&good, &big, &[], 2);
        assert!(stderr.contains("longer than 67108864 bytes"), "{file}: {stderr}");
    }
}
