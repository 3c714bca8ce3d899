//! The README's recipes, run as written against mocks of every provider.
//!
//! Each recipe is a ```sh block preceded by `<!-- recipe: NAME -->` in
//! README.md. This test runs them with bash, `catalog` first on the PATH, jq
//! and sqlite3 from the system, so the README cannot drift from the tool.
//! The offline recipes run the built `examples/mock.rs` itself: there
//! `cargo run --example mock --` stands for the mock and `cargo run --` for
//! `catalog`, as the README writes them for a clone of the repository.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::common::hub::FakeHub;
use crate::common::providers::{builtin, mount, mount_hub, spec, url_env, KeyCheck, PROVIDERS};
use crate::common::{cleared_vars, fresh_dir, TIME_SCALE};
use wiremock::MockServer;

fn recipes() -> BTreeMap<String, String> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut found = BTreeMap::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("<!-- recipe: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(lines.next(), Some("```sh"), "recipe {name} must be a ```sh block");
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        found.insert(name.to_owned(), body.join("\n"));
    }
    found
}

struct Bench {
    _server: MockServer,
    hub: FakeHub,
    env: Vec<(String, String)>,
    bin: PathBuf,
}

async fn bench() -> Bench {
    for tool in ["jq", "sqlite3", "bash"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "{tool} is needed by the README recipes (.ci/run installs it)");
    }
    let server = MockServer::start().await;
    let demo_keys: Vec<(String, String)> = PROVIDERS
        .iter()
        .map(|p| (spec(p.name).key_env[0].clone(), format!("demo-{}-key", p.name)))
        .collect();
    for p in PROVIDERS {
        mount(&server, p, Some(&format!("demo-{}-key", p.name))).await;
    }
    let hub = FakeHub::new(300);
    mount_hub(&server, hub.clone()).await;
    let mut env = url_env(&server);
    env.extend(demo_keys);
    env.push(("CATALOG_TEST_TIME_SCALE".into(), "0.01".into()));
    env.push((
        "CATALOG_CACHE_DIR".into(),
        fresh_dir("cache").display().to_string(),
    ));
    env.push((
        "XDG_CONFIG_HOME".into(),
        fresh_dir("config").display().to_string(),
    ));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_catalog"));
    Bench {
        _server: server,
        hub,
        env,
        bin,
    }
}

fn run(b: &Bench, script: &str, cwd: &Path, extra: &[(&str, String)]) -> (String, String) {
    let path = format!(
        "{}:{}:{}",
        cwd.display(),
        b.bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-o")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(cwd);
    for var in cleared_vars() {
        cmd.env_remove(var);
    }
    cmd.envs(b.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.envs(extra.iter().map(|(k, v)| (*k, v.as_str())));
    cmd.env("PATH", path);
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "recipe failed ({:?}):\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

#[test]
fn the_readme_has_the_recipes_this_test_runs() {
    let names: Vec<String> = recipes().into_keys().collect();
    assert_eq!(
        names,
        [
            "cheapest",
            "compare",
            "compare-cost",
            "cron",
            "db-cheapest",
            "db-cron",
            "db-new-this-week",
            "db-price-history",
            "free",
            "long-context",
            "offline",
            "offline-background",
            "sqlite"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_recipes_print_what_they_promise() {
    let b = bench().await;
    let r = recipes();
    let dir = fresh_dir("recipes");

    let (out, _) = run(&b, &r["free"], &dir, &[]);
    let free: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // OpenRouter's 22 `:free` variants and its free router; the 8 models of
    // the recorded Chutes listing whose USD and TAO prices are both 0.
    assert_eq!(free.len(), 31, "{out}");
    assert!(free
        .iter()
        .all(|m| m.as_object().unwrap().len() == 2 && m["provider"].is_string()));
    assert!(free
        .iter()
        .filter(|m| m["provider"] == "openrouter")
        .all(|m| m["id"].as_str().unwrap().ends_with(":free") || m["id"] == "openrouter/free"));

    let (out, _) = run(&b, &r["long-context"], &dir, &[]);
    assert!(!out.is_empty());
    for line in out.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "{line}");
        assert!(cols[2].parse::<u64>().unwrap() >= 1_000_000, "{line}");
    }

    let (out, _) = run(&b, &r["cheapest"], &dir, &[]);
    let prices: Vec<f64> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        prices.len() >= 2,
        "the model is served by several providers:\n{out}"
    );
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "cheapest first:\n{out}");

    let (out, _) = run(&b, &r["compare-cost"], &dir, &[]);
    let costs: Vec<Option<f64>> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().ok())
        .collect();
    let known: Vec<f64> = costs.iter().map_while(|c| *c).collect();
    assert!(known.len() >= 2, "several providers price the model:\n{out}");
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "cheapest first:\n{out}");
    assert!(
        costs[known.len()..].iter().all(Option::is_none),
        "unknown last:\n{out}"
    );

    let (out, _) = run(&b, &r["compare"], &dir, &[]);
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.contains("openrouter=") && first.contains("deepinfra="),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sqlite_recipe_loads_every_provider() {
    let b = bench().await;
    let dir = fresh_dir("recipes");
    let (out, _) = run(&b, &recipes()["sqlite"], &dir, &[]);
    let counts: BTreeMap<String, u64> = out
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('|').collect();
            (cols[0].to_owned(), cols[1].parse().unwrap())
        })
        .collect();
    assert_eq!(counts["openrouter"], 549);
    assert_eq!(counts["hug"], 300);
    assert_eq!(counts["deepinfra"], 154);
    assert_eq!(counts.len(), 14);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cron_recipe_keeps_snapshots_and_mails_only_changes() {
    let b = bench().await;
    let dir = fresh_dir("recipes");
    let snaps = fresh_dir("snapshots");
    // A stand-in for mail(1) that records what it was given.
    let mail = dir.join("mail");
    std::fs::write(
        &mail,
        "#!/bin/sh\necho \"subject: $2\" >> \"$MAIL_LOG\"\ncat >> \"$MAIL_LOG\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&mail).status().unwrap();
    let log = dir.join("mail.log");
    let extra = [
        ("CATALOG_SNAPSHOTS", snaps.display().to_string()),
        ("MAIL_LOG", log.display().to_string()),
    ];
    let script = &recipes()["cron"];

    run(&b, script, &dir, &extra);
    assert!(!log.exists(), "nothing to compare on the first run");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(&b, script, &dir, &extra);
    assert!(!log.exists(), "unchanged data: no new snapshot, no mail");

    b.hub.add("fresh/model-of-the-hour");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(&b, script, &dir, &extra);
    let mailed = std::fs::read_to_string(&log).unwrap();
    assert!(
        mailed.contains("subject: 1 added, 0 removed, 0 changed (0 with price changes)"),
        "{mailed}"
    );
    assert!(
        mailed.contains("added    hug  fresh/model-of-the-hour"),
        "{mailed}"
    );
    let files = std::fs::read_dir(&snaps).unwrap().filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".ndjson.gz")
    });
    assert_eq!(files.count(), 2);
}

/// The mock example, built by this test's own cargo (a no-op after
/// `cargo test`, which builds the examples; `cargo test --test it` does not),
/// so the test never runs a stale one.
fn mock_binary() -> &'static Path {
    static MOCK: OnceLock<PathBuf> = OnceLock::new();
    MOCK.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--frozen", "--example", "mock", "--message-format=json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit());
        // What cargo sets for a test process is not the developer's
        // environment: passed on, it would make the nested build rebuild
        // dependencies whose build scripts watch it (ring watches
        // CARGO_MANIFEST_DIR), and the next outer build rebuild them back.
        for (var, _) in std::env::vars_os() {
            let var = var.to_string_lossy().into_owned();
            if var == "OUT_DIR"
                || [
                    "CARGO_MANIFEST_",
                    "CARGO_PKG_",
                    "CARGO_CRATE_",
                    "CARGO_BIN_",
                    "CARGO_PRIMARY_",
                    "CARGO_TARGET_TMPDIR",
                ]
                .iter()
                .any(|p| var.starts_with(p))
            {
                cmd.env_remove(var);
            }
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "cargo build --example mock failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "mock")
            .and_then(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the mock's executable")
    })
}

/// Runs an offline recipe in a clean environment: no keys, every built-in
/// endpoint at a closed port, so only the mock's variables can make it work
/// and nothing reaches the network if they do not arrive.
fn run_offline(script: &str, cwd: &Path) -> (String, String) {
    let script = script
        .replace("cargo run --example mock --", "mock")
        .replace("cargo run --", "catalog");
    assert!(!script.contains("cargo"), "{script}");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_catalog"));
    let path = format!(
        "{}:{}:{}",
        bin.parent().unwrap().display(),
        mock_binary().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-o")
        .arg("pipefail")
        .arg("-c")
        .arg(&script)
        .current_dir(cwd);
    for var in cleared_vars() {
        cmd.env_remove(var);
    }
    for spec in builtin() {
        cmd.env(spec.url_env(), "http://127.0.0.1:9/unreachable");
    }
    cmd.env("PATH", path)
        .env("CATALOG_TEST_TIME_SCALE", TIME_SCALE)
        .env("CATALOG_CACHE_DIR", fresh_dir("cache"))
        .env("XDG_CONFIG_HOME", fresh_dir("config"))
        .env("NO_COLOR", "1");
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "recipe failed ({:?}):\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

/// `catalog count` lines: provider -> (models, status).
fn count_rows(table: &str) -> BTreeMap<String, (String, String)> {
    table
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("total"))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_owned(), (cols[1].to_owned(), cols[3..].join(" ")))
        })
        .collect()
}

#[test]
fn the_offline_recipe_runs_the_command_against_every_provider_once_the_mock_answers() {
    let dir = fresh_dir("offline");
    let (out, err) = run_offline(&recipes()["offline"], &dir);
    let rows = count_rows(&out);
    assert_eq!(rows.len(), 14, "{out}");
    // Keyed providers included: their keys are unset here, so each got the
    // placeholder, which the mock accepts.
    assert!(rows.values().all(|(_, status)| status == "ok"), "{out}");
    assert_eq!(rows["hug"].0, "5000");
    assert_eq!(rows["openrouter"].0, "549");
    assert_eq!(rows["groq"].0, "20");
    assert!(out.lines().last().unwrap().starts_with("total"), "{out}");
    // Two runs of the mock (count, then the shell that reads no input).
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("READY http://127.0.0.1:"))
            .count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("placeholder keys for portkey, groq, together"),
        "{err}"
    );
}

#[test]
fn the_background_offline_recipe_waits_for_the_mock_and_sets_only_endpoints() {
    let dir = fresh_dir("offline");
    let (out, err) = run_offline(&recipes()["offline-background"], &dir);
    let rows = count_rows(&out);
    assert_eq!(rows.len(), 14, "{out}");
    for spec in builtin() {
        let (models, status) = &rows[spec.name.as_str()];
        if spec.needs_key {
            // No key in the env file, none set: skipped as against the real one.
            assert_eq!(
                status,
                &format!("skipped: set {}", spec.key_env.join(" or ")),
                "{out}"
            );
        } else {
            assert_eq!(status, "ok", "{out}");
            assert_ne!(models, "0");
        }
    }
    assert_eq!(rows["hug"].0, "5000");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("READY ")).count(),
        1,
        "{err}"
    );
    // Killed, the mock removes the env file whose endpoints died with it.
    let env_file = dir.join("mock.env");
    for _ in 0..100 {
        if !env_file.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!env_file.exists(), "the mock left {}", env_file.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mock_says_ready_only_when_every_provider_answers_and_exports_only_endpoints() {
    let mut mock = Command::new(mock_binary())
        .args(["--hub-models", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(mock.stderr.take().unwrap());
    let mut ready = String::new();
    stderr.read_line(&mut ready).unwrap();
    assert!(ready.starts_with("READY http://127.0.0.1:"), "{ready}");
    // The exports were all written before READY.
    let mut exports = BufReader::new(mock.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..builtin().len() {
        let mut line = String::new();
        exports.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
    }
    let client = reqwest::Client::new();
    for (line, spec) in lines.iter().zip(builtin()) {
        let (var, url) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {line}"));
        // Endpoints only: never a key variable.
        assert_eq!(var, spec.url_env(), "{line}");
        let url = url.trim_matches('\'');
        assert!(
            url.starts_with(ready["READY ".len()..].split(' ').next().unwrap()),
            "{line}"
        );
        // Right after READY every listing answers: keyed ones to any key,
        // and with 401 to none.
        let mocked = PROVIDERS.iter().find(|p| p.name == spec.name);
        let (auth, value) = match mocked.map(|p| p.auth) {
            Some(KeyCheck::Header(name)) => (name, "whatever-key"),
            _ => ("authorization", "Bearer whatever-key"),
        };
        let url = match mocked.and_then(|p| p.pages[0].0) {
            Some((param, value)) => format!("{url}?{param}={value}"),
            None => url.to_owned(),
        };
        let with_key = client.get(&url).header(auth, value).send().await.unwrap();
        assert_eq!(with_key.status(), 200, "{} with a key", spec.name);
        let without = client.get(&url).send().await.unwrap();
        let expected = if spec.needs_key { 401 } else { 200 };
        assert_eq!(without.status(), expected, "{} without a key", spec.name);
    }
    mock.kill().unwrap();
    mock.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut exports, &mut rest).unwrap();
    assert_eq!(rest, "", "one export line per provider, and nothing else");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_recipes_record_the_history_and_answer_from_it() {
    let b = bench().await;
    let dir = fresh_dir("recipes");
    let home = fresh_dir("catalog-home");
    let extra = [
        ("CATALOG_HOME", home.display().to_string()),
        ("CATALOG_DB", home.join("catalog.db").display().to_string()),
    ];
    let r = recipes();
    run(&b, &r["db-cron"], &dir, &extra);
    let log = home.join("changes.ndjson");
    let first = std::fs::read_to_string(&log).unwrap();
    // The first run adds every model it recorded.
    assert!(first.lines().count() > 1000, "{first}");
    assert!(!first.contains("fresh/model-of-the-hour"));
    b.hub.add("fresh/model-of-the-hour");
    run(&b, &r["db-cron"], &dir, &extra);
    // Both runs are within the hour: the second appends the hour's changes
    // again, now with the new model.
    let all = std::fs::read_to_string(&log).unwrap();
    let added: Vec<serde_json::Value> = all[first.len()..]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|c: &serde_json::Value| c["id"] == "fresh/model-of-the-hour")
        .collect();
    assert_eq!(added.len(), 1, "{all}");
    assert_eq!(added[0]["change"], "added");
    assert!(home.join("latest.ndjson.gz").is_file());

    let (out, _) = run(&b, &r["db-cheapest"], &dir, &extra);
    let prices: Vec<f64> = out
        .lines()
        .map(|l| l.split('|').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(prices.len() >= 2, "several providers serve it:\n{out}");
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "cheapest first:\n{out}");

    let (out, _) = run(&b, &r["db-price-history"], &dir, &extra);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].ends_with("|2.5|10"), "{out}");

    let (out, _) = run(&b, &r["db-new-this-week"], &dir, &extra);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].ends_with("|hug|fresh/model-of-the-hour"), "{out}");
}
