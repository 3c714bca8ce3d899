//! Unchanged providers cost almost nothing: a single-page listing's ETag /
//! Last-Modified and body hash are kept with its cached harvest and in
//! `provider_fetch`; the next run asks conditionally, and a 304 or an
//! identical body serves the cached records as `unchanged`. And
//! `--track-metrics`: downloads and likes as a time series. Every case runs
//! on both backends (`validators::sqlite::...`, `validators::postgres::...`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::Digest as _;

use crate::common::db::{on_both, v, Db, Kind};

use crate::common::hub::{hub_id, FakeHub};
use crate::common::providers::{fixture, spec};
use crate::common::raw::{Action, RawRequest, RawServer, Response};
use crate::common::{catalog_std, fresh_dir, hub_server, ndjson};

const PATH: &str = "/openrouter/api/v1/models";

/// The recorded OpenRouter listing, as served.
fn listing() -> Vec<u8> {
    std::fs::read(fixture("openrouter-models-all.json")).unwrap()
}

fn sha256(body: &[u8]) -> String {
    sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the mock OpenRouter answers: this body with these headers, or 304
/// when the request's `If-None-Match` is `etag` (`None`: never).
#[derive(Clone)]
struct Answer {
    body: Vec<u8>,
    etag: Option<String>,
    not_modified_for: Option<String>,
    /// 304 to every request, validators or not (a broken server).
    always_304: bool,
}

impl Answer {
    fn new(body: Vec<u8>, etag: Option<&str>) -> Answer {
        Answer {
            body,
            etag: etag.map(str::to_owned),
            not_modified_for: etag.map(str::to_owned),
            always_304: false,
        }
    }

    fn respond(&self, req: &RawRequest) -> Action {
        let inm = req.header("if-none-match");
        if self.always_304 || (inm.is_some() && inm == self.not_modified_for.as_deref()) {
            let mut r = Response::new(304);
            if let Some(e) = &self.etag {
                r = r.header("ETag", e.clone());
            }
            return Action::Respond(r);
        }
        let mut r = Response::new(200)
            .header("Content-Type", "application/json")
            .body(self.body.clone());
        if let Some(e) = &self.etag {
            r = r.header("ETag", e.clone());
        }
        Action::Respond(r)
    }
}

/// A raw OpenRouter whose answer a test changes between runs, one cache
/// directory and one database for all of a test's runs.
struct Setup {
    server: RawServer,
    answer: Arc<Mutex<Answer>>,
    dir: PathBuf,
    cache: PathBuf,
    db: Db,
}

impl Setup {
    /// `None`: the backend is not available here (reason printed).
    fn new(answer: Answer, kind: Kind) -> Option<Setup> {
        let dir = fresh_dir("validators");
        let db = Db::new(kind, &dir)?;
        let answer = Arc::new(Mutex::new(answer));
        let shared = answer.clone();
        let server = RawServer::start(move |req| shared.lock().unwrap().respond(req));
        Some(Setup {
            server,
            answer,
            cache: dir.join("cache"),
            db,
            dir,
        })
    }

    fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    /// `catalog fetch -p openrouter --db DB -o DIR/<out>` plus `extra`;
    /// expects `code`, returns stderr.
    fn run(&self, out: &str, extra: &[&str], code: i32) -> String {
        let o = catalog_std()
            .env(spec("openrouter").url_env(), self.server.url(PATH))
            .env("CATALOG_CACHE_DIR", &self.cache)
            .args(["fetch", "-p", "openrouter", "--no-progress", "--db"])
            .arg(self.db.arg())
            .arg("-o")
            .arg(self.dir.join(out))
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(code), "stderr: {stderr}");
        stderr
    }

    fn out(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }

    /// The `n`th request's If-None-Match.
    fn inm(&self, n: usize) -> Option<String> {
        self.server.requests()[n - 1]
            .header("if-none-match")
            .map(str::to_owned)
    }

    /// (status, models_seen, versions_added, versions_closed, http_status,
    /// etag, body_sha256) of a run's OpenRouter fetch.
    #[allow(clippy::type_complexity)]
    fn fetch_row(&self, run: i64) -> (String, i64, i64, i64, Option<i64>, Option<String>, Option<String>) {
        let row = self.db.one(&format!(
            "SELECT status, models_seen, versions_added, versions_closed, http_status, etag, body_sha256
             FROM provider_fetch WHERE run_id = {run} AND provider = 'openrouter'"
        ));
        let int = |x: &Option<String>| v(x).parse::<i64>().unwrap();
        (
            v(&row[0]).to_owned(),
            int(&row[1]),
            int(&row[2]),
            int(&row[3]),
            row[4].as_ref().map(|x| x.parse().unwrap()),
            row[5].clone(),
            row[6].clone(),
        )
    }

    fn count(&self, sql: &str) -> i64 {
        v(&self.db.one(sql)[0]).parse().unwrap()
    }
}

on_both!(
    a_304_to_the_stored_etag_serves_the_cached_records_as_unchanged,
    an_identical_body_without_validators_is_unchanged_by_its_hash_and_not_parsed,
    a_changed_body_after_an_etag_is_an_ok_fetch_with_new_versions,
    a_304_without_a_cached_copy_never_empties_the_output,
    track_metrics_records_each_models_downloads_and_likes_per_fetch,
    an_unchanged_fetch_counts_for_as_of_and_diff_db_like_the_fetch_it_confirmed,
);

const ETAG: &str = "W/\"a27-vndQfbspAL31/eKATEOf36LyR8k\"";

async fn a_304_to_the_stored_etag_serves_the_cached_records_as_unchanged(kind: Kind) {
    let Some(s) = Setup::new(Answer::new(listing(), Some(ETAG)), kind) else {
        return;
    };
    let hash = sha256(&listing());
    s.run("a.ndjson", &[], 0);
    assert_eq!(s.inm(1), None, "the first run has nothing to be conditional on");
    assert_eq!(
        s.fetch_row(1),
        (
            "ok".into(),
            549,
            549,
            0,
            Some(200),
            Some(ETAG.into()),
            Some(hash.clone())
        )
    );

    let stderr = s.run("b.ndjson", &[], 0);
    assert_eq!(s.server.count(), 2);
    assert_eq!(
        s.inm(2).as_deref(),
        Some(ETAG),
        "the exact stored ETag, weak prefix included"
    );
    // The same records, byte for byte: fetched_at is the time they were
    // received, by the first run.
    assert_eq!(s.out("a.ndjson"), s.out("b.ndjson"));
    assert_eq!(ndjson(&s.out("b.ndjson")).len(), 549);
    assert_eq!(
        s.fetch_row(2),
        (
            "unchanged".into(),
            549,
            0,
            0,
            Some(304),
            Some(ETAG.into()),
            Some(hash.clone())
        )
    );
    let line = stderr
        .lines()
        .find(|l| l.starts_with("openrouter"))
        .unwrap_or_else(|| panic!("no summary line: {stderr}"));
    assert!(
        line.starts_with("openrouter  549 models, unchanged since 20"),
        "{line}"
    );
    assert!(line.contains(" UTC (304), "), "{line}");
    assert_eq!(s.count("SELECT COUNT(*) FROM model_version"), 549);

    // --refresh asks too: a 304 is current data. The entry it refreshed
    // still names the first fetch's time.
    let again = s.run("c.ndjson", &["--refresh"], 0);
    assert_eq!(s.inm(3).as_deref(), Some(ETAG));
    assert_eq!(s.out("a.ndjson"), s.out("c.ndjson"));
    let since = |text: &str| text.split("unchanged since ").nth(1).map(|t| t[..20].to_owned());
    assert_eq!(since(&again), since(&stderr));
    assert_eq!(s.fetch_row(3).0, "unchanged");
}

async fn an_identical_body_without_validators_is_unchanged_by_its_hash_and_not_parsed(kind: Kind) {
    let Some(s) = Setup::new(Answer::new(listing(), None), kind) else {
        return;
    };
    s.run("a.ndjson", &[], 0);
    // Mark the cached copy: records that come out with the mark were served
    // from the cache, not parsed from the (unmarked) body.
    let entry = std::fs::read_dir(&s.cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .unwrap();
    let text = std::fs::read_to_string(&entry).unwrap();
    assert_eq!(text.matches("\"OpenAI: GPT-4o\"").count(), 1);
    std::fs::write(&entry, text.replace("\"OpenAI: GPT-4o\"", "\"OpenAI: GPT-4X\"")).unwrap();

    let stderr = s.run("b.ndjson", &["-f", "ndjson"], 0);
    assert_eq!(s.inm(2), None, "no validator was sent, none was stored");
    let records = ndjson(&s.out("b.ndjson"));
    assert_eq!(records.len(), 549);
    let gpt = records.iter().find(|r| r["id"] == "openai/gpt-4o").unwrap();
    assert_eq!(gpt["name"], "OpenAI: GPT-4X");
    // The marked record differs from its recorded version, so the unchanged
    // run records it (it is compared like any fetch's): 1 added, 1 closed.
    assert_eq!(
        s.fetch_row(2),
        (
            "unchanged".into(),
            549,
            1,
            1,
            Some(200),
            None,
            Some(sha256(&listing()))
        )
    );
    assert!(
        stderr.contains("unchanged since ") && stderr.contains(" UTC (same body), "),
        "{stderr}"
    );
}

async fn a_changed_body_after_an_etag_is_an_ok_fetch_with_new_versions(kind: Kind) {
    let Some(s) = Setup::new(Answer::new(listing(), Some("\"v1\"")), kind) else {
        return;
    };
    s.run("a.ndjson", &[], 0);
    let mut doc: serde_json::Value = serde_json::from_slice(&listing()).unwrap();
    let gpt = doc["data"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["id"] == "openai/gpt-4o")
        .unwrap();
    gpt["pricing"]["prompt"] = "0.000003125".into();
    let changed = serde_json::to_vec(&doc).unwrap();
    s.answer(Answer::new(changed.clone(), Some("\"v2\"")));
    s.run("b.ndjson", &[], 0);
    assert_eq!(s.inm(2).as_deref(), Some("\"v1\""));
    assert_eq!(
        s.fetch_row(2),
        (
            "ok".into(),
            549,
            1,
            1,
            Some(200),
            Some("\"v2\"".into()),
            Some(sha256(&changed))
        )
    );
    let records = ndjson(&s.out("b.ndjson"));
    let gpt = records.iter().find(|r| r["id"] == "openai/gpt-4o").unwrap();
    assert_eq!(gpt["price_input"], 3.125);
    // The next run is conditional on the new ETag.
    s.run("c.ndjson", &[], 0);
    assert_eq!(s.inm(3).as_deref(), Some("\"v2\""));
    assert_eq!(s.fetch_row(3).0, "unchanged");
    assert_eq!(s.out("b.ndjson"), s.out("c.ndjson"));
}

async fn a_304_without_a_cached_copy_never_empties_the_output(kind: Kind) {
    let Some(s) = Setup::new(Answer::new(listing(), Some(ETAG)), kind) else {
        return;
    };
    s.run("a.ndjson", &[], 0);
    // The cache is gone: the next request is not conditional, and the
    // listing comes whole.
    std::fs::remove_dir_all(&s.cache).unwrap();
    s.run("b.ndjson", &[], 0);
    assert_eq!(s.inm(2), None);
    assert_eq!(ndjson(&s.out("b.ndjson")).len(), 549);
    assert_eq!(s.fetch_row(2).0, "ok");
    // --no-cache has nothing to serve from: never conditional.
    s.run("c.ndjson", &["--no-cache"], 0);
    assert_eq!(s.inm(3), None);
    assert_eq!(ndjson(&s.out("c.ndjson")).len(), 549);

    // A server that answers 304 to a request without validators fails the
    // provider; it never passes for an empty listing.
    let mut broken = Answer::new(listing(), Some(ETAG));
    broken.always_304 = true;
    s.answer(broken);
    let stderr = s.run("d.ndjson", &["--no-cache"], 3);
    assert!(
        stderr.contains("HTTP 304") && stderr.contains("sent no validators"),
        "{stderr}"
    );
    assert_eq!(s.fetch_row(4).0, "failed");
}

/// `catalog fetch -p hug` of `hub` into `db`, plus `extra`.
fn hub_sync(server: &wiremock::MockServer, db: &Db, extra: &[&str]) -> std::process::Output {
    catalog_std()
        .env("CATALOG_HUG_URL", format!("{}/api/models", server.uri()))
        .args([
            "fetch",
            "-p",
            "hug",
            "-q",
            "--delay-ms",
            "0",
            "-o",
            "/dev/null",
            "--db",
        ])
        .arg(db.arg())
        .args(extra)
        .output()
        .unwrap()
}

async fn track_metrics_records_each_models_downloads_and_likes_per_fetch(kind: Kind) {
    let dir = fresh_dir("metrics");
    let Some(db) = Db::new(kind, &dir) else {
        return;
    };
    let server = hub_server(FakeHub::new(30)).await;
    assert!(hub_sync(&server, &db, &[]).status.success());
    let count = |sql: &str| -> i64 { v(&db.one(sql)[0]).parse().unwrap() };
    assert_eq!(count("SELECT COUNT(*) FROM model_metric"), 0, "off by default");

    assert!(hub_sync(&server, &db, &["--track-metrics"]).status.success());
    assert!(hub_sync(&server, &db, &["--track-metrics"]).status.success());
    assert_eq!(
        count("SELECT COUNT(*) FROM model_metric"),
        60,
        "one row per model and fetch"
    );
    db.assert_references_hold();
    // The fake Hub's model n has 1,000,000 - n downloads and n % 100 likes.
    let seventh: Vec<(i64, i64, i64)> = db
        .rows(&format!(
            "SELECT m.fetch_id, m.downloads, m.likes FROM model_metric m
             JOIN provider_fetch f ON f.fetch_id = m.fetch_id
             WHERE m.provider = 'hug' AND m.model_id = '{}'
             ORDER BY m.fetch_id",
            hub_id(7)
        ))
        .iter()
        .map(|r| {
            let int = |x: &Option<String>| v(x).parse::<i64>().unwrap();
            (int(&r[0]), int(&r[1]), int(&r[2]))
        })
        .collect();
    assert_eq!(seventh.len(), 2);
    assert_eq!((seventh[0].1, seventh[0].2), (999_993, 7));
    assert_eq!((seventh[1].1, seventh[1].2), (999_993, 7));
    assert_eq!(
        seventh.iter().map(|r| r.0).collect::<Vec<_>>(),
        [2, 3],
        "the fetches of the second and third runs"
    );
    // Counters are no attributes: the three runs wrote one version each.
    assert_eq!(count("SELECT COUNT(*) FROM model_version"), 30);

    let without_db = catalog_std()
        .args(["fetch", "-p", "hug", "--track-metrics"])
        .output()
        .unwrap();
    assert_eq!(without_db.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without_db.stderr).contains("--db"));
}

async fn an_unchanged_fetch_counts_for_as_of_and_diff_db_like_the_fetch_it_confirmed(kind: Kind) {
    let Some(s) = Setup::new(Answer::new(listing(), Some(ETAG)), kind) else {
        return;
    };
    s.run("a.ndjson", &[], 0);
    s.run("b.ndjson", &[], 0);
    assert_eq!(s.fetch_row(2).0, "unchanged");
    let db = s.db.arg().to_string_lossy().into_owned();
    // Run 2 confirmed run 1's catalog: nothing differs between them.
    let diff = catalog_std()
        .args(["diff", &format!("--db={db}"), "1", "2"])
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    // And the catalog as of run 2 is the one run 2 wrote.
    let rebuilt = catalog_std()
        .args([
            "fetch",
            "-p",
            "openrouter",
            "--as-of",
            "2",
            "-f",
            "ndjson",
            "--db",
        ])
        .arg(s.db.arg())
        .output()
        .unwrap();
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let ids = |b: &[u8]| -> Vec<String> {
        ndjson(b)
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&rebuilt.stdout), ids(&s.out("b.ndjson")));
}
