//! The history database: `fetch --db` and `snapshot --db` against mock
//! providers, into real SQLite files and a real PostgreSQL server (a
//! throwaway cluster, one database per test), read back with rusqlite and
//! psql, and the `changes` and `history` commands over them. Every case runs
//! on both backends (`store::sqlite::...` and `store::postgres::...`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::db::{num, on_both, v, Db, Kind};
use crate::common::hub::{hub_id, FakeHub, Faults};
use crate::common::pg::{self, PASSWORD};
use crate::common::providers::{fixture, mount, mount_hub, url_env, PROVIDERS};
use crate::common::{catalog, catalog_std, fresh_dir, ndjson};

/// Groq's key in these tests: it must never reach the database.
const GROQ_KEY: &str = "gsk-store-test-secret-4242";

const OPENROUTER_PATH: &str = "/openrouter/api/v1/models";

/// The recorded OpenRouter listing, changed by `edit`.
fn openrouter(edit: impl FnOnce(&mut Vec<Value>)) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("openrouter-models-all.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let data = doc["data"].as_array_mut().unwrap();
    edit(data);
    serde_json::to_vec(&doc).unwrap()
}

fn model<'a>(data: &'a mut [Value], id: &str) -> &'a mut Value {
    data.iter_mut().find(|m| m["id"] == id).unwrap()
}

/// Serves OpenRouter (this body, or this status), Groq (with its key) and
/// `hub` on `server`, replacing whatever it served before.
async fn serve(server: &MockServer, openrouter: Result<Vec<u8>, u16>, hub: FakeHub) {
    server.reset().await;
    let response = match openrouter {
        Ok(body) => ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        Err(status) => ResponseTemplate::new(status).set_body_string("{\"error\":\"down\"}"),
    };
    Mock::given(method("GET"))
        .and(path(OPENROUTER_PATH))
        .respond_with(response)
        .mount(server)
        .await;
    let groq = PROVIDERS.iter().find(|p| p.name == "groq").unwrap();
    mount(server, groq, Some(GROQ_KEY)).await;
    mount_hub(server, hub).await;
}

/// A mock server and a database for one test.
struct Setup {
    server: MockServer,
    dir: PathBuf,
    db: Db,
}

impl Setup {
    /// `None`: the backend is not available here (reason printed).
    async fn new(hub: FakeHub, kind: Kind) -> Option<Setup> {
        let dir = fresh_dir("store");
        let db = Db::new(kind, &dir)?;
        let server = MockServer::start().await;
        serve(&server, Ok(openrouter(|_| {})), hub).await;
        Some(Setup { server, dir, db })
    }

    /// `catalog fetch -p openrouter,groq,hug --db DB -o DIR/<out>` plus `extra`.
    fn fetch(&self, out: &str, extra: &[&str]) -> std::process::Command {
        let mut cmd = catalog_std();
        cmd.envs(url_env(&self.server))
            .env("GROQ_API_KEY", GROQ_KEY)
            .args([
                "fetch",
                "-p",
                "openrouter,groq,hug",
                "-q",
                "--delay-ms",
                "0",
                "--db",
            ])
            .arg(self.db.arg())
            .arg("-o")
            .arg(self.dir.join(out))
            .args(extra);
        cmd
    }

    /// Runs [`Setup::fetch`] and expects `code`.
    fn sync(&self, out: &str, extra: &[&str], code: i32) -> String {
        let o = self.fetch(out, extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(code), "stderr: {stderr}");
        stderr
    }

    fn count(&self, sql: &str) -> i64 {
        v(&self.db.one(sql)[0]).parse().unwrap()
    }

    /// `catalog <args> --db DB`'s stdout, expecting exit 0.
    fn query(&self, args: &[&str]) -> String {
        let o = catalog()
            .args(args)
            .arg("--db")
            .arg(self.db.arg())
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// `catalog diff` of two outputs of this test, with `extra` flags.
    fn diff(&self, a: &str, b: &str, extra: &[&str]) -> String {
        let o = catalog()
            .arg("diff")
            .arg(self.dir.join(a))
            .arg(self.dir.join(b))
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    }
}

/// Current versions per provider.
fn current(s: &Setup, provider: &str) -> i64 {
    s.count(&format!(
        "SELECT COUNT(*) FROM model_version WHERE provider = '{provider}' AND valid_to IS NULL"
    ))
}

fn lines_sorted(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
    v.sort();
    v
}

on_both!(
    a_first_sync_records_every_fetched_model_with_its_attributes,
    an_identical_second_sync_writes_no_version,
    a_changed_price_writes_one_version_and_changes_prints_it_as_diff_does,
    history_lists_each_version_with_its_validity,
    added_and_removed_models_are_recorded_and_listed_as_diff_lists_them,
    a_failed_partial_or_limited_fetch_closes_nothing,
    a_run_killed_mid_sync_leaves_a_consistent_database,
    two_syncs_into_one_database_at_once_both_succeed,
    snapshot_records_its_harvest_too,
    fetch_as_of_a_run_rebuilds_what_that_run_wrote_without_a_request,
    as_of_a_date_before_the_first_run_is_an_error_and_a_date_after_is_the_last_run,
    count_and_ls_as_of_a_run_show_the_catalog_and_price_of_then,
    as_of_refuses_harvest_flags,
    diff_db_and_changes_of_two_runs_print_what_diff_of_their_files_prints,
    changes_over_several_runs_compare_their_ends_only,
    a_run_with_db_names_its_run_id_which_changes_since_takes,
    a_listing_order_stored_in_parts_rebuilds_in_the_harvests_order,
    a_field_that_becomes_known_is_a_change_in_changes_and_history_as_in_diff,
    hashes_of_an_older_rule_write_no_version_and_are_replaced,
);

async fn a_first_sync_records_every_fetched_model_with_its_attributes(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(30), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    let written = ndjson(&std::fs::read(s.dir.join("a.ndjson")).unwrap());
    assert_eq!(written.len(), 549 + 20 + 30);
    assert_eq!(current(&s, "openrouter"), 549);
    assert_eq!(current(&s, "groq"), 20);
    assert_eq!(current(&s, "hug"), 30);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM model_version WHERE valid_to IS NOT NULL"),
        0
    );

    let row = s.db.one(
        "SELECT price_input, price_output, price_cache_read, context_length, attrs FROM current_model
         WHERE provider = 'openrouter' AND model_id = 'openai/gpt-4o'",
    );
    assert_eq!(
        (num(&row[0]), num(&row[1]), num(&row[2]), v(&row[3])),
        (2.5, 10.0, 1.25, "128000")
    );
    let attrs: Value = serde_json::from_str(v(&row[4])).unwrap();
    assert_eq!(attrs["name"], "OpenAI: GPT-4o");
    assert_eq!(attrs["price_input"], 2.5);
    // Volatile counters and provenance are not attributes.
    for volatile in ["downloads", "likes", "fetched_at", "source"] {
        assert!(attrs.get(volatile).is_none(), "{volatile} in {attrs}");
    }
    let whisper = s.db.one(
        "SELECT context_length FROM current_model WHERE provider = 'groq' AND model_id = 'whisper-large-v3-turbo'",
    );
    assert_eq!(v(&whisper[0]), "448");

    // One run, one complete ok fetch per provider, counted.
    let fetches =
        s.db.rows("SELECT provider, status, complete, models_seen, versions_added FROM provider_fetch ORDER BY fetch_id");
    let ok = |p: &str, n: &str| {
        [p, "ok", "1", n, n]
            .into_iter()
            .map(|x| Some(x.to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fetches,
        [ok("openrouter", "549"), ok("groq", "20"), ok("hug", "30")]
    );
    let run = s.db.one("SELECT command, args, finished_at FROM run");
    assert_eq!(v(&run[0]), "fetch");
    assert!(
        v(&run[1]).starts_with("[\"fetch\",\"-p\",\"openrouter,groq,hug\""),
        "{run:?}"
    );
    assert!(run[2].is_some());
    match &s.db {
        Db::Sqlite(path) => {
            // The key is nowhere in the file (WAL included, once checkpointed).
            drop(
                Connection::open(path)
                    .unwrap()
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"),
            );
            let bytes = std::fs::read(path).unwrap();
            assert!(!bytes.windows(GROQ_KEY.len()).any(|w| w == GROQ_KEY.as_bytes()));
        }
        Db::Postgres { cluster, name, .. } => {
            // Neither the key nor the URL's password is anywhere in the database.
            let dump = cluster.dump(name);
            assert!(dump.contains("OpenAI: GPT-4o"), "the dump holds the data");
            assert!(!dump.contains(GROQ_KEY));
            assert!(!dump.contains(PASSWORD), "the --db password was stored");
            assert!(v(&run[1]).contains("postgres:redacted@127.0.0.1"), "{run:?}");
        }
    }
}

async fn an_identical_second_sync_writes_no_version(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(30), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    s.sync("b.ndjson", &[], 0);
    assert_eq!(s.count("SELECT COUNT(*) FROM model_version"), 549 + 20 + 30);
    assert_eq!(
        s.count("SELECT SUM(versions_added) + SUM(versions_closed) FROM provider_fetch WHERE run_id = 2"),
        0
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM provider_fetch WHERE run_id = 2 AND status = 'ok'"),
        3
    );
    assert_eq!(s.query(&["changes", "--since", "2"]), "no differences\n");
}

/// Two syncs, the second with gpt-4o's input price up from 2.5 to 3.125.
async fn price_change(kind: Kind) -> Option<Setup> {
    let s = Setup::new(FakeHub::new(30), kind).await?;
    s.sync("a.ndjson", &[], 0);
    let body = openrouter(|data| model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000003125".into());
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    s.sync("b.ndjson", &[], 0);
    Some(s)
}

async fn a_changed_price_writes_one_version_and_changes_prints_it_as_diff_does(kind: Kind) {
    let Some(s) = price_change(kind).await else {
        return;
    };
    assert_eq!(s.count("SELECT COUNT(*) FROM model_version"), 549 + 20 + 30 + 1);
    let versions = s.db.rows(
        "SELECT price_input, valid_from, valid_to FROM model_version
         WHERE provider = 'openrouter' AND model_id = 'openai/gpt-4o' ORDER BY valid_from",
    );
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(num(&versions[0][0]), 2.5);
    assert_eq!(num(&versions[1][0]), 3.125);
    // The old one ends where the new one starts, and the new one is current.
    assert_eq!(versions[0][2], versions[1][1]);
    assert_eq!(versions[1][2], None);

    let changes = s.query(&["changes", "--since", "2"]);
    assert_eq!(
        changes,
        "changed  openrouter  openai/gpt-4o  price_input 2.5 -> 3.125 (+25%)\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    assert_eq!(changes, s.diff("a.ndjson", "b.ndjson", &[]));
    assert_eq!(
        s.query(&["changes", "--since", "2", "-f", "ndjson"]),
        s.diff("a.ndjson", "b.ndjson", &["-f", "ndjson"])
    );
    assert_eq!(
        s.query(&["changes", "--since", "2", "-f", "json"]),
        s.diff("a.ndjson", "b.ndjson", &["-f", "json"])
    );
    // A window that ends before the change has none; one on another provider neither.
    assert_eq!(
        s.query(&["changes", "--since", "1", "--until", "1", "-p", "openrouter"])
            .lines()
            .count(),
        550
    );
    assert_eq!(
        s.query(&["changes", "--since", "2", "-p", "groq"]),
        "no differences\n"
    );
    assert_eq!(
        s.query(&["changes", "--since", "2", "--only", "added"]),
        "no differences\n"
    );
    // The SQL view says the same.
    let row =
        s.db.one("SELECT field, old_value, new_value, pct FROM model_change WHERE run_id = 2");
    assert_eq!(
        (v(&row[0]), num(&row[1]), num(&row[2]), num(&row[3])),
        ("price_input", 2.5, 3.125, 25.0)
    );
    s.db.assert_references_hold();
}

async fn history_lists_each_version_with_its_validity(kind: Kind) {
    let Some(s) = price_change(kind).await else {
        return;
    };
    let table = s.query(&["history", "openrouter/openai/gpt-4o"]);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows[0].starts_with("valid_from"), "{table}");
    let first: Vec<&str> = rows[1].split_whitespace().collect();
    let second: Vec<&str> = rows[2].split_whitespace().collect();
    // The first version ends when the second begins.
    assert_eq!(first[1], second[0], "{table}");
    // Times as RFC 3339 UTC with milliseconds, on both backends.
    assert_eq!(first[0].len(), "2026-12-01T10:00:00.000Z".len(), "{table}");
    assert!(
        first[0].ends_with('Z') && first[0].as_bytes()[10] == b'T',
        "{table}"
    );
    assert_eq!(&first[2..], ["1", "first", "seen"], "{table}");
    assert_eq!(
        &second[1..],
        ["current", "2", "price_input", "2.5", "->", "3.125", "(+25%)"],
        "{table}"
    );

    let csv = s.query(&[
        "history",
        "openrouter/openai/gpt-4o",
        "--field",
        "price_input",
        "-f",
        "csv",
    ]);
    let values: Vec<&str> = csv.lines().map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(values, ["price_input", "2.5", "3.125"]);
    let json: Value =
        serde_json::from_str(&s.query(&["history", "openrouter/openai/gpt-4o", "-f", "json"])).unwrap();
    assert_eq!(json[0]["record"]["price_input"], 2.5);
    assert_eq!(json[0]["record"]["name"], "OpenAI: GPT-4o");
    assert_eq!(json[1]["valid_to"], Value::Null);

    let unknown = catalog()
        .args(["history", "openrouter/no/such-model", "--db"])
        .arg(s.db.arg())
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("has no version of openrouter no/such-model"));
}

async fn added_and_removed_models_are_recorded_and_listed_as_diff_lists_them(kind: Kind) {
    let hub = FakeHub::new(30);
    let Some(s) = Setup::new(hub.clone(), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    let body = openrouter(|data| {
        let mut copy = model(data, "openai/gpt-4o").clone();
        copy["id"] = "openai/gpt-4o-next".into();
        data.retain(|m| m["id"] != "qwen/qwen3.8-27b");
        data.push(copy);
    });
    hub.add("neworg/fresh-model");
    serve(&s.server, Ok(body), hub.clone()).await;
    s.sync("b.ndjson", &[], 0);

    assert_eq!(current(&s, "openrouter"), 549);
    assert_eq!(current(&s, "hug"), 31);
    let closed =
        s.db.one("SELECT model_id, valid_to FROM model_version WHERE valid_to IS NOT NULL");
    assert_eq!(v(&closed[0]), "qwen/qwen3.8-27b");
    let changes = s.query(&["changes", "--since", "2"]);
    assert_eq!(
        lines_sorted(&changes),
        [
            "2 added, 1 removed, 0 changed (0 with price changes)",
            "added    hug  neworg/fresh-model",
            "added    openrouter  openai/gpt-4o-next",
            "removed  openrouter  qwen/qwen3.8-27b",
        ]
    );
    assert_eq!(
        lines_sorted(&changes),
        lines_sorted(&s.diff("a.ndjson", "b.ndjson", &[]))
    );
    assert_eq!(
        lines_sorted(&s.query(&["changes", "--since", "2", "-f", "ndjson"])),
        lines_sorted(&s.diff("a.ndjson", "b.ndjson", &["-f", "ndjson"]))
    );
    let kinds =
        s.db.rows("SELECT kind, model_id FROM model_change WHERE run_id = 2 ORDER BY kind, model_id");
    let pair = |k: &str, m: &str| vec![Some(k.to_owned()), Some(m.to_owned())];
    assert_eq!(
        kinds,
        [
            pair("added", "neworg/fresh-model"),
            pair("added", "openai/gpt-4o-next"),
            pair("removed", "qwen/qwen3.8-27b")
        ]
    );
    s.db.assert_references_hold();
}

async fn a_failed_partial_or_limited_fetch_closes_nothing(kind: Kind) {
    // Hub pages of 100: requests 1-3 are the first sync, 4-6 the second.
    let hub = FakeHub::new(250).with_faults(Faults {
        fail_requests: vec![(5, 400)],
        ..Faults::default()
    });
    let Some(s) = Setup::new(hub.clone(), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    serve(&s.server, Err(500), hub.clone()).await;
    // OpenRouter answers 500 (retried, then failed); the Hub fails on its second page.
    s.sync("b.ndjson", &["--retries", "0"], 3);
    assert_eq!(current(&s, "openrouter"), 549);
    assert_eq!(current(&s, "hug"), 250);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM model_version WHERE valid_to IS NOT NULL"),
        0
    );
    let fetch = |p: &str| {
        s.db.one(&format!(
            "SELECT status, complete, models_seen, error FROM provider_fetch WHERE run_id = 2 AND provider = '{p}'"
        ))
    };
    let f = fetch("openrouter");
    assert_eq!((v(&f[0]), v(&f[1]), v(&f[2])), ("failed", "0", "0"));
    assert!(v(&f[3]).contains("500"), "{f:?}");
    let f = fetch("hug");
    assert_eq!((v(&f[0]), v(&f[1]), v(&f[2])), ("partial", "0", "100"));
    assert_eq!(s.query(&["changes", "--since", "2"]), "no differences\n");

    // A --limit that cuts the listing short is complete for nobody either.
    serve(&s.server, Ok(openrouter(|_| {})), FakeHub::new(250)).await;
    s.sync("c.ndjson", &["--limit", "10"], 0);
    assert_eq!(current(&s, "openrouter"), 549);
    assert_eq!(current(&s, "hug"), 250);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM provider_fetch WHERE run_id = 3 AND complete = 1"),
        0
    );
}

/// Polls `cond` every 20 ms for up to `secs` seconds.
fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

async fn a_run_killed_mid_sync_leaves_a_consistent_database(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(300), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    // The second run's Hub is slow: 30 pages of 10, 200 ms each.
    let body = openrouter(|data| model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000003".into());
    serve(
        &s.server,
        Ok(body),
        FakeHub::new(300).with_latency(Duration::from_millis(200)),
    )
    .await;
    let mut child = s
        .fetch("b.ndjson", &["--batch-size", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once OpenRouter and Groq are recorded, while the Hub streams.
    let recorded = wait_for(20, || {
        s.count("SELECT COUNT(*) FROM provider_fetch WHERE run_id = 2 AND provider = 'groq'") == 1
    });
    assert!(recorded, "the second run never recorded groq");
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    if let Db::Sqlite(path) = &s.db {
        let check: String = Connection::open(path)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    // The killed run is unfinished; its Hub fetch left no trace.
    assert_eq!(s.db.one("SELECT finished_at FROM run WHERE run_id = 2"), [None]);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM provider_fetch WHERE run_id = 2 AND provider = 'hug'"),
        0
    );
    assert_eq!(current(&s, "hug"), 300);
    // What it committed is whole: gpt-4o's new price, the old version closed.
    assert_eq!(current(&s, "openrouter"), 549);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM model_version WHERE provider = 'openrouter'"),
        550
    );
    // Every closed version ends after it began, at a recorded fetch.
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM model_version v WHERE valid_to IS NOT NULL
             AND (valid_to <= valid_from OR NOT EXISTS (SELECT 1 FROM provider_fetch f WHERE f.fetch_id = v.valid_to))"
        ),
        0
    );

    // The next run goes on from there.
    serve(&s.server, Ok(openrouter(|_| {})), FakeHub::new(300)).await;
    s.sync("c.ndjson", &[], 0);
    assert_eq!(
        s.query(&["changes", "--since", "3"]),
        "changed  openrouter  openai/gpt-4o  price_input 3 -> 2.5 (-16.7%)\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    assert_eq!(
        s.query(&["history", "openrouter/openai/gpt-4o"]).lines().count(),
        4
    );
}

async fn two_syncs_into_one_database_at_once_both_succeed(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(200).with_latency(Duration::from_millis(20)), kind).await else {
        return;
    };
    // Both start on a database with no schema yet: they migrate it once.
    let mut a = s.fetch("a.ndjson", &[]).stderr(Stdio::piped()).spawn().unwrap();
    let mut b = s.fetch("b.ndjson", &[]).stderr(Stdio::piped()).spawn().unwrap();
    let (ra, rb) = (a.wait().unwrap(), b.wait().unwrap());
    let err = |c: &mut std::process::Child| {
        let mut text = String::new();
        std::io::Read::read_to_string(c.stderr.as_mut().unwrap(), &mut text).unwrap();
        text
    };
    assert!(ra.success(), "{}", err(&mut a));
    assert!(rb.success(), "{}", err(&mut b));
    assert_eq!(
        s.count("SELECT COUNT(*) FROM run WHERE finished_at IS NOT NULL"),
        2
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM provider_fetch WHERE status = 'ok'"),
        6
    );
    // The same data twice: one version of each model, not two.
    assert_eq!(s.count("SELECT COUNT(*) FROM model_version"), 549 + 20 + 200);
    assert_eq!(current(&s, "hug"), 200);
    // Each migration applied once.
    assert_eq!(
        s.db.one("SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_version"),
        [Some("4".to_owned()), Some("4".to_owned()), Some("4".to_owned())]
    );
    if kind == Kind::Postgres {
        // Fetch ids grow in commit order: with the server's clock, times too.
        assert_eq!(
            s.count(
                "SELECT COUNT(*) FROM provider_fetch a JOIN provider_fetch b
                 ON a.fetch_id < b.fetch_id WHERE a.finished_at > b.finished_at"
            ),
            0
        );
    }
}

async fn snapshot_records_its_harvest_too(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(12), kind).await else {
        return;
    };
    let snaps = s.dir.join("snaps");
    catalog()
        .envs(url_env(&s.server))
        .args(["snapshot", "-p", "hug", "-q", "--delay-ms", "0", "--dir"])
        .arg(&snaps)
        .arg("--db")
        .arg(s.db.arg())
        .assert()
        .success();
    assert_eq!(
        s.count("SELECT COUNT(*) FROM current_model WHERE provider = 'hug'"),
        12
    );
    assert_eq!(s.count("SELECT COUNT(*) FROM run WHERE command = 'snapshot'"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_database_is_an_error_naming_it_and_the_output_is_still_written() {
    let s = Setup::new(FakeHub::new(30), Kind::Sqlite).await.unwrap();
    // A regular file where its directory should be: unwritable even as root.
    let blocker = s.dir.join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let db = blocker.join("catalog.db");
    let o = catalog_std()
        .envs(url_env(&s.server))
        .env("GROQ_API_KEY", GROQ_KEY)
        .args([
            "fetch",
            "-p",
            "openrouter,groq,hug",
            "-q",
            "--delay-ms",
            "0",
            "-o",
        ])
        .arg(s.dir.join("out.ndjson"))
        .arg(format!("--db={}", db.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("database {}", db.display())), "{stderr}");
    let written = ndjson(&std::fs::read(s.dir.join("out.ndjson")).unwrap());
    assert_eq!(written.len(), 549 + 20 + 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgres_server_is_an_error_naming_it_without_its_password() {
    let s = Setup::new(FakeHub::new(30), Kind::Sqlite).await.unwrap();
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://harvester:{PASSWORD}@127.0.0.1:{port}/catalog?sslmode=disable");
    let o = catalog_std()
        .envs(url_env(&s.server))
        .env("GROQ_API_KEY", GROQ_KEY)
        .args([
            "fetch",
            "-p",
            "openrouter,groq,hug",
            "--delay-ms",
            "0",
            "-v",
            "-o",
        ])
        .arg(s.dir.join("out.ndjson"))
        .args(["--db", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "database postgres://harvester:***@127.0.0.1:{port}/catalog?sslmode=disable"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("connecting"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains(PASSWORD));
    let written = ndjson(&std::fs::read(s.dir.join("out.ndjson")).unwrap());
    assert_eq!(written.len(), 549 + 20 + 30);
    // The query commands say the same.
    let o = catalog().args(["changes", "--db", &url]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("postgres://harvester:***@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_db_names_a_postgres_server_for_fetch_and_changes() {
    let Some(s) = Setup::new(FakeHub::new(3), Kind::Postgres).await else {
        return;
    };
    let url = s.db.arg();
    catalog()
        .envs(url_env(&s.server))
        .env("CATALOG_DB", &url)
        .args(["fetch", "-p", "hug", "-q", "--delay-ms", "0", "--db", "-o"])
        .arg(s.dir.join("x.ndjson"))
        .assert()
        .success();
    assert_eq!(s.count("SELECT COUNT(*) FROM current_model"), 3);
    let o = catalog()
        .env("CATALOG_DB", &url)
        .args(["changes", "--since", "1", "-f", "csv"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1 + 3);
    // A server database with no history yet is named, not created, by a reader.
    let Db::Postgres { cluster, .. } = &s.db else {
        unreachable!()
    };
    let (empty, _) = cluster.database("empty");
    let o = catalog()
        .args(["history", "hug/x", "--db", &empty])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("holds no catalog history"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn db_without_a_path_uses_catalog_db_or_the_data_directory() {
    let s = Setup::new(FakeHub::new(3), Kind::Sqlite).await.unwrap();
    let data = fresh_dir("xdg-data");
    let run = |env: &[(&str, &Path)]| {
        let mut cmd = catalog();
        cmd.envs(url_env(&s.server))
            .env("XDG_DATA_HOME", &data)
            .args(["fetch", "-p", "hug", "-q", "--delay-ms", "0", "-o"])
            .arg(s.dir.join("x.ndjson"))
            .arg("--db");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.assert().success();
    };
    run(&[]);
    let default = data.join("catalog/catalog.db");
    let n: i64 = Connection::open(&default)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM current_model", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    let chosen = s.dir.join("chosen.db");
    run(&[("CATALOG_DB", &chosen)]);
    assert!(chosen.is_file());
    // `changes` finds the same database the same way.
    let o = catalog()
        .env("CATALOG_DB", &chosen)
        .args(["changes", "--since", "1", "-f", "csv"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1 + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn sslmode_require_encrypts_and_verify_full_checks_the_certificate() {
    let Some(s) = Setup::new(FakeHub::new(3), Kind::Postgres).await else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    // `tlsonly` refuses connections without TLS (pg_hba.conf).
    cluster.psql("postgres", "CREATE DATABASE tlsonly");
    let url = |mode: &str| {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/tlsonly?sslmode={mode}",
            cluster.port
        )
    };
    let fetch = |mode: &str| {
        catalog()
            .envs(url_env(&s.server))
            .args(["fetch", "-p", "hug", "-q", "--delay-ms", "0", "-o"])
            .arg(s.dir.join(format!("{mode}.ndjson")))
            .args(["--db", &url(mode)])
            .output()
            .unwrap()
    };
    let plain = fetch("disable");
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert_eq!(plain.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no encryption"), "{stderr}");
    let tls = fetch("require");
    assert!(tls.status.success(), "{}", String::from_utf8_lossy(&tls.stderr));
    assert_eq!(
        cluster.psql("tlsonly", "SELECT COUNT(*) FROM current_model"),
        [[Some("3".to_owned())]]
    );
    // The test server's certificate is self-signed: no web PKI root vouches for it.
    let verified = fetch("verify-full");
    let stderr = String::from_utf8_lossy(&verified.stderr);
    assert_eq!(verified.status.code(), Some(1), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// Two syncs between which OpenRouter changed the input price of a model
/// listed early and one listed late (their harvest order is not their id
/// order), dropped one model and listed a new one third.
async fn several_changes(kind: Kind) -> Option<Setup> {
    let s = Setup::new(FakeHub::new(30), kind).await?;
    s.sync("a.ndjson", &[], 0);
    let body = openrouter(|data| {
        model(data, "qwen/qwen3.8-27b")["pricing"]["prompt"] = "0.000001".into();
        model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000003125".into();
        data.retain(|m| m["id"] != "mistralai/voxtral-mini-3b-2507");
        let mut new = data[0].clone();
        new["id"] = "acme/new-model".into();
        data.insert(2, new);
    });
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    s.sync("b.ndjson", &[], 0);
    Some(s)
}

/// `catalog <args> --db DB` run to its end: (code, stdout, stderr).
fn run_db(s: &Setup, args: &[&str]) -> (Option<i32>, String, String) {
    let o = catalog_std()
        .envs(url_env(&s.server))
        .args(args)
        .arg("--db")
        .arg(s.db.arg())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// A file's records as `--as-of` rebuilds them: volatile counters unknown.
fn without_counters(mut records: Vec<Value>) -> Vec<Value> {
    for r in &mut records {
        r["downloads"] = Value::Null;
        r["likes"] = Value::Null;
    }
    records
}

async fn fetch_as_of_a_run_rebuilds_what_that_run_wrote_without_a_request(kind: Kind) {
    let Some(s) = several_changes(kind).await else {
        return;
    };
    // `--as-of` derives canonical ids again, with the Hub's mapping from the
    // cache (it asks no server): the cache of a user who fetched Groq.
    let cache = s.dir.join("cache");
    let primed = catalog_std()
        .envs(url_env(&s.server))
        .env("GROQ_API_KEY", GROQ_KEY)
        .args(["fetch", "-p", "groq", "-q", "-o"])
        .arg(s.dir.join("primed.ndjson"))
        .arg("--cache-dir")
        .arg(&cache)
        .status()
        .unwrap();
    assert!(primed.success());
    let cache = cache.to_str().unwrap();
    let before = s.server.received_requests().await.unwrap().len();
    for (run, file) in [("1", "a.ndjson"), ("2", "b.ndjson")] {
        let (code, out, err) = run_db(
            &s,
            &[
                "fetch",
                "--as-of",
                run,
                "-p",
                "openrouter,groq,hug",
                "-f",
                "ndjson",
                "-q",
                "--cache-dir",
                cache,
            ],
        );
        assert_eq!(code, Some(0), "{err}");
        let file = without_counters(ndjson(&std::fs::read(s.dir.join(file)).unwrap()));
        let rebuilt = ndjson(out.as_bytes());
        assert_eq!(rebuilt.len(), file.len());
        // Every attribute, fetched_at and source included, in the harvest's order.
        for (a, b) in rebuilt.iter().zip(&file) {
            assert_eq!(a, b);
        }
    }
    // The Hub had downloads and likes, which the history does not keep.
    let b = ndjson(&std::fs::read(s.dir.join("b.ndjson")).unwrap());
    assert!(b
        .iter()
        .any(|r| r["provider"] == "hug" && r["downloads"].is_u64()));
    assert_eq!(s.server.received_requests().await.unwrap().len(), before);
}

async fn as_of_a_date_before_the_first_run_is_an_error_and_a_date_after_is_the_last_run(kind: Kind) {
    let Some(s) = price_change(kind).await else {
        return;
    };
    let (code, out, err) = run_db(&s, &["count", "--as-of", "2001-01-01", "-p", "openrouter"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("nothing recorded at or before 2001-01-01T00:00:00Z"),
        "{err}"
    );
    assert!(err.contains("the first fetch was recorded at 20"), "{err}");
    let (code, _, err) = run_db(&s, &["count", "--as-of", "3", "-p", "openrouter"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("there is no run 3 (the runs recorded are 1 to 2)"),
        "{err}"
    );
    // Far later: the catalog as the last run left it.
    let (code, out, err) = run_db(
        &s,
        &["ls", "--as-of", "2999-01-01", "-p", "openrouter", "-f", "ndjson"],
    );
    assert_eq!(code, Some(0), "{err}");
    let gpt = ndjson(out.as_bytes())
        .into_iter()
        .find(|r| r["id"] == "openai/gpt-4o")
        .unwrap();
    assert_eq!(gpt["price_input"], 3.125);
}

async fn count_and_ls_as_of_a_run_show_the_catalog_and_price_of_then(kind: Kind) {
    let Some(s) = several_changes(kind).await else {
        return;
    };
    let before = s.server.received_requests().await.unwrap().len();
    let (code, out, err) = run_db(
        &s,
        &["count", "--as-of", "1", "-p", "openrouter,groq,hug", "-f", "json"],
    );
    assert_eq!(code, Some(0), "{err}");
    let counts: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(counts["providers"]["openrouter"], 549);
    assert_eq!(counts["providers"]["groq"], 20);
    assert_eq!(counts["providers"]["hug"], 30);
    assert_eq!(counts["total"], 599);
    let (_, out, _) = run_db(&s, &["count", "--as-of", "2", "-p", "openrouter", "-f", "json"]);
    // One removed, one added.
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["total"], 549);

    let price = |run: &str| {
        let (code, out, err) = run_db(
            &s,
            &[
                "ls",
                "--as-of",
                run,
                "-p",
                "openrouter",
                "--fields",
                "id,price_input",
            ],
        );
        assert_eq!(code, Some(0), "{err}");
        out.lines()
            .find(|l| l.split_whitespace().next() == Some("openai/gpt-4o"))
            .map(|l| l.split_whitespace().nth(1).unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(price("1"), "2.5");
    assert_eq!(price("2"), "3.125");
    // --filter works on what the database gives.
    let (_, out, _) = run_db(
        &s,
        &[
            "ls",
            "--as-of",
            "1",
            "-p",
            "openrouter",
            "--filter",
            "max-price-input=0",
            "-f",
            "ndjson",
        ],
    );
    let free = ndjson(out.as_bytes());
    assert!(!free.is_empty());
    assert!(free.iter().all(|r| r["price_input"] == 0.0), "{free:?}");
    assert_eq!(s.server.received_requests().await.unwrap().len(), before);
}

async fn as_of_refuses_harvest_flags(kind: Kind) {
    let Some(s) = price_change(kind).await else {
        return;
    };
    for flag in [
        &["--refresh"][..],
        &["--limit", "5"],
        &["--offline"],
        &["--resume"],
    ] {
        let mut args = vec!["fetch", "--as-of", "1", "-p", "openrouter"];
        args.extend_from_slice(flag);
        let (code, _, err) = run_db(&s, &args);
        assert_eq!(code, Some(2), "{flag:?}: {err}");
        assert!(err.contains(&format!("drop {}", flag[0])), "{err}");
    }
}

async fn diff_db_and_changes_of_two_runs_print_what_diff_of_their_files_prints(kind: Kind) {
    let Some(s) = several_changes(kind).await else {
        return;
    };
    for format in ["table", "json", "ndjson"] {
        let from_db = catalog()
            .args(["diff", "--db", "1", "2", "-f", format])
            .env("CATALOG_DB", s.db.arg())
            .output()
            .unwrap();
        let from_files = catalog()
            .arg("diff")
            .arg(s.dir.join("a.ndjson"))
            .arg(s.dir.join("b.ndjson"))
            .args(["-f", format])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(from_db.stdout).unwrap(),
            String::from_utf8(from_files.stdout.clone()).unwrap(),
            "{format}: {}",
            String::from_utf8_lossy(&from_db.stderr)
        );
        assert_eq!(from_db.status.code(), Some(1));
        assert_eq!(from_files.status.code(), Some(1));
        // changes gives them in the same order too (its exit code is 0).
        assert_eq!(
            s.query(&["changes", "--since", "2", "-f", format]),
            String::from_utf8(from_files.stdout.clone()).unwrap(),
            "changes -f {format}"
        );
    }
    let table = s.diff("a.ndjson", "b.ndjson", &[]);
    assert_eq!(
        table,
        // Harvest order (qwen, the new model, gpt-4o), not id order.
        "changed  openrouter  qwen/qwen3.8-27b  price_input 0.45 -> 1 (+122.2%)\n\
         added    openrouter  acme/new-model\n\
         changed  openrouter  openai/gpt-4o  price_input 2.5 -> 3.125 (+25%)\n\
         removed  openrouter  mistralai/voxtral-mini-3b-2507\n\
         1 added, 1 removed, 2 changed (2 with price changes)\n"
    );
    // The same point twice: no differences, exit 0, as for one file twice.
    let o = catalog()
        .arg("diff")
        .arg(format!("--db={}", s.db.arg().to_string_lossy()))
        .args(["2", "2"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "no differences\n");
    assert_eq!(o.status.code(), Some(0));
    // A run that is not there is bad input, not "they differ".
    let o = catalog()
        .args(["diff", "--db", "1", "9"])
        .env("CATALOG_DB", s.db.arg())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("there is no run 9 (the runs recorded are 1 to 2)"),
        "{err}"
    );
}

/// A window of two runs: gpt-4o's price changed in each (one change, from
/// the first price to the last), acme/new-model added in the first and
/// removed in the second (no change at all), as `diff` of the ends says.
async fn changes_over_several_runs_compare_their_ends_only(kind: Kind) {
    let Some(s) = several_changes(kind).await else {
        return;
    };
    let body = openrouter(|data| {
        model(data, "qwen/qwen3.8-27b")["pricing"]["prompt"] = "0.000001".into();
        model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000004".into();
        data.retain(|m| m["id"] != "mistralai/voxtral-mini-3b-2507");
    });
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    s.sync("c.ndjson", &[], 0);
    let expected = "changed  openrouter  qwen/qwen3.8-27b  price_input 0.45 -> 1 (+122.2%)\n\
         changed  openrouter  openai/gpt-4o  price_input 2.5 -> 4 (+60%)\n\
         removed  openrouter  mistralai/voxtral-mini-3b-2507\n\
         0 added, 1 removed, 2 changed (2 with price changes)\n";
    assert_eq!(s.diff("a.ndjson", "c.ndjson", &[]), expected);
    assert_eq!(s.query(&["changes", "--since", "2"]), expected);
    // The last run alone: gpt-4o's second change and the new model's removal.
    assert_eq!(
        s.query(&["changes", "--since", "3"]),
        "changed  openrouter  openai/gpt-4o  price_input 3.125 -> 4 (+28%)\n\
         removed  openrouter  acme/new-model\n\
         0 added, 1 removed, 1 changed (1 with price changes)\n"
    );
}

async fn a_run_with_db_names_its_run_id_which_changes_since_takes(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(30), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    let body = openrouter(|data| model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000003125".into());
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    let o = catalog_std()
        .envs(url_env(&s.server))
        .args(["fetch", "-p", "openrouter", "--no-progress", "-o"])
        .arg(s.dir.join("b.ndjson"))
        .arg(format!("--db={}", s.db.arg().to_string_lossy()))
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(0), "{err}");
    let line = format!("recorded as run 2 in {}", s.db.shown());
    assert_eq!(err.lines().filter(|l| *l == line).count(), 1, "{err}");
    assert_eq!(
        s.query(&["changes", "--since", "2"]),
        "changed  openrouter  openai/gpt-4o  price_input 2.5 -> 3.125 (+25%)\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    // Not with -q (the syncs above): nothing but errors.
    let quiet = s.sync("c.ndjson", &[], 0);
    assert!(!quiet.contains("recorded as run"), "{quiet}");
}

async fn a_listing_order_stored_in_parts_rebuilds_in_the_harvests_order(kind: Kind) {
    // 25,000 Hub models: three parts of at most 10,000 ids. The Hub lists
    // them in an order that is not their ids' (org0/model-000000,
    // org1/model-000001, ...), so a part read out of place shows.
    let hub = FakeHub::new(25_000);
    let Some(s) = Setup::new(hub.clone(), kind).await else {
        return;
    };
    s.sync("a.ndjson", &["--limit", "25000"], 0);
    assert_eq!(
        s.db.one("SELECT COUNT(*), MIN(part), MAX(part) FROM listing_order WHERE provider = 'hug'"),
        [Some("3".to_owned()), Some("0".to_owned()), Some("2".to_owned())]
    );
    assert_eq!(
        s.count("SELECT models_current FROM provider_fetch WHERE provider = 'hug'"),
        25_000
    );
    let (code, out, err) = run_db(&s, &["fetch", "--as-of", "1", "-p", "hug", "-f", "ndjson", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let file: Vec<Value> = without_counters(ndjson(&std::fs::read(s.dir.join("a.ndjson")).unwrap()))
        .into_iter()
        .filter(|r| r["provider"] == "hug")
        .collect();
    let rebuilt = ndjson(out.as_bytes());
    assert_eq!(rebuilt.len(), 25_000);
    assert_eq!(rebuilt[10_000]["id"], "org4/model-010000");
    assert!(rebuilt == file, "the rebuilt listing differs from the harvest's");
    // The same order again: no new row.
    s.sync("b.ndjson", &["--limit", "25000"], 0);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM listing_order WHERE provider = 'hug'"),
        3
    );
    let (code, out, _) = run_db(&s, &["count", "-p", "hug", "--as-of", "2", "-f", "json"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("25000"), "{out}");
    // Two models changed, in the first part and early in the last: `changes`
    // places them by the stored order, read part by part, as `diff` places
    // them (a place counted from its own part would put the second first).
    // (Touched as well: an incremental harvest asks only for models
    // modified since the last one.)
    for i in [20_003, 5_000] {
        hub.retag(&hub_id(i));
        hub.touch(&hub_id(i));
    }
    s.sync("c.ndjson", &["--limit", "25000"], 0);
    let expected = "changed  hug  org2/model-005000  input_modalities [text] -> [audio]\n\
         changed  hug  org4/model-020003  input_modalities [text] -> [audio]\n\
         0 added, 0 removed, 2 changed (0 with price changes)\n";
    assert_eq!(s.diff("b.ndjson", "c.ndjson", &[]), expected);
    assert_eq!(s.query(&["changes", "--since", "3"]), expected);
    // Two models no longer listed, one in the last part and one in the
    // first: `changes` places removed models by the older order, read part
    // by part, as `diff` does.
    hub.remove(&hub_id(20_001));
    hub.remove(&hub_id(3));
    s.sync("d.ndjson", &["--limit", "25000"], 0);
    let expected = "removed  hug  org3/model-000003\n\
         removed  hug  org2/model-020001\n\
         0 added, 2 removed, 0 changed (0 with price changes)\n";
    assert_eq!(s.diff("c.ndjson", "d.ndjson", &[]), expected);
    assert_eq!(s.query(&["changes", "--since", "4"]), expected);
}

/// gpt-4o's payload has no `input_cache_write` (its record: `null`); the
/// second sync's has one. The stored versions leave null members out, and
/// an absent field there is still null, not "not in this file's schema".
async fn a_field_that_becomes_known_is_a_change_in_changes_and_history_as_in_diff(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(30), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    let body = openrouter(|data| {
        model(data, "openai/gpt-4o")["pricing"]["input_cache_write"] = "0.000003125".into();
    });
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    s.sync("b.ndjson", &[], 0);
    let expected = "changed  openrouter  openai/gpt-4o  price_cache_write unknown -> 3.125\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n";
    assert_eq!(s.diff("a.ndjson", "b.ndjson", &[]), expected);
    assert_eq!(s.query(&["changes", "--since", "2"]), expected);
    let history = s.query(&["history", "openrouter/openai/gpt-4o"]);
    let rows: Vec<&str> = history.lines().collect();
    assert_eq!(rows.len(), 3, "{history}");
    assert!(
        rows[2].ends_with("price_cache_write unknown -> 3.125"),
        "{history}"
    );
}

/// A database written by an older version of catalog: every stored hash of
/// another rule (as an older catalog stored FNV-1a of the form with nulls),
/// and one model's attributes with a null member, as before version 4. A
/// hash is only a hint: the sync that follows writes a version for the one
/// model that changed, none for the others, and stores the hashes of today.
async fn hashes_of_an_older_rule_write_no_version_and_are_replaced(kind: Kind) {
    let Some(s) = Setup::new(FakeHub::new(30), kind).await else {
        return;
    };
    s.sync("a.ndjson", &[], 0);
    s.db.rows("UPDATE model_version SET attr_hash = 7");
    s.db.rows(match kind {
        Kind::Sqlite => {
            "UPDATE model_version SET attrs = json_insert(attrs, '$.price_cache_write', json('null'))
             WHERE provider = 'openrouter' AND model_id = 'openai/gpt-4o-mini'"
        }
        Kind::Postgres => {
            "UPDATE model_version SET attrs = attrs || '{\"price_cache_write\": null}'::jsonb
             WHERE provider = 'openrouter' AND model_id = 'openai/gpt-4o-mini'"
        }
    });
    let with_null = s.db.one(
        "SELECT attrs FROM model_version WHERE provider = 'openrouter' AND model_id = 'openai/gpt-4o-mini'",
    );
    assert!(v(&with_null[0]).contains("null"), "{with_null:?}");

    let body = openrouter(|data| model(data, "openai/gpt-4o")["pricing"]["prompt"] = "0.000003125".into());
    serve(&s.server, Ok(body), FakeHub::new(30)).await;
    s.sync("b.ndjson", &[], 0);
    assert_eq!(
        s.db.one("SELECT SUM(versions_added), SUM(versions_closed) FROM provider_fetch WHERE run_id = 2"),
        [Some("1".to_owned()), Some("1".to_owned())]
    );
    assert_eq!(
        s.query(&["changes", "--since", "2"]),
        "changed  openrouter  openai/gpt-4o  price_input 2.5 -> 3.125 (+25%)\n\
         0 added, 0 removed, 1 changed (1 with price changes)\n"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM model_version WHERE valid_to IS NULL AND attr_hash = 7"),
        0,
        "every current version has today's hash"
    );
    assert_eq!(
        s.count("SELECT COUNT(DISTINCT attr_hash) FROM model_version WHERE valid_to IS NULL"),
        549 + 20 + 30
    );
    // And an unchanged sync after it writes nothing.
    s.sync("c.ndjson", &[], 0);
    assert_eq!(
        s.count("SELECT SUM(versions_added) + SUM(versions_closed) FROM provider_fetch WHERE run_id = 3"),
        0
    );
}
