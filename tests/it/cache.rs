//! The on-disk cache, incremental Hub harvests and resumable harvests.

use crate::common::RunExt as _;

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::hub::{FakeHub, Faults};
use crate::common::{catalog, fresh_dir, hub_catalog, hub_fetch, hub_fetch_std, hub_server, ids, ndjson};
use predicates::prelude::*;
use wiremock::MockServer;

/// `catalog` against the fake Hub on `server`, caching in `cache`.
fn cmd(server: &MockServer, cache: &Path) -> assert_cmd::Command {
    let mut c = hub_catalog(server);
    c.env("CATALOG_CACHE_DIR", cache);
    c
}

/// [`hub_fetch`] caching in `cache`.
fn fetch(server: &MockServer, cache: &Path) -> assert_cmd::Command {
    let mut c = hub_fetch(server);
    c.env("CATALOG_CACHE_DIR", cache);
    c
}

fn without_fetched_at(records: &[serde_json::Value]) -> Vec<serde_json::Value> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("fetched_at");
            r
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn count_after_fetch_answers_from_the_cache_without_network() {
    let hub = FakeHub::new(250);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    fetch(&server, &cache).args(["-q"]).assert().success();
    assert_eq!(hub.seen().len(), 3);
    let out = cmd(&server, &cache).args(["count", "-p", "hug"]).ok_stdout();
    let text = String::from_utf8(out).unwrap();
    let hug: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(hug[..5], ["hug", "250", "0.0", "ok", "(from"], "{text}");
    assert_eq!(hub.seen().len(), 3, "count sent no request");
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_asks_the_provider_unless_max_age_allows_the_cache() {
    let hub = FakeHub::new(50);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    assert_eq!(hub.seen().len(), 2, "fetch reads the present by default");
    let out = cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--max-age", "1h"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(hub.seen().len(), 2, "served from the cache");
    assert_eq!(ids(&ndjson(&out.stdout)), hub.ids());
    assert!(String::from_utf8_lossy(&out.stderr).contains("from cache"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_entry_or_refresh_fetches_again() {
    let hub = FakeHub::new(20);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["count", "-p", "hug"])
        .assert()
        .success();
    cmd(&server, &cache)
        .args(["count", "-p", "hug"])
        .assert()
        .success();
    assert_eq!(hub.seen().len(), 1, "a miss fetches, a hit does not");
    cmd(&server, &cache)
        .args(["count", "-p", "hug", "--max-age", "0s"])
        .assert()
        .success();
    assert_eq!(hub.seen().len(), 2, "an entry older than --max-age is refetched");
    cmd(&server, &cache)
        .args(["count", "-p", "hug", "--refresh"])
        .assert()
        .success();
    assert_eq!(hub.seen().len(), 3, "--refresh ignores the cache");
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_serves_stale_entries_and_fails_clearly_without_one() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    let out = cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "--offline", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ndjson(&out.stdout).len(), 30);
    assert!(String::from_utf8_lossy(&out.stderr).contains("offline: cached copy"));
    assert_eq!(hub.seen().len(), 1);

    // openrouter has no entry: it fails, naming the way out; hug is still written.
    let out = cmd(&server, &cache)
        .args(["fetch", "-p", "hug,openrouter", "--offline", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(ndjson(&out.stdout).len(), 30);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no cached copy of openrouter; run once without --offline to fill the cache"));
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_ok_uses_the_last_good_copy_and_a_failure_never_overwrites_it() {
    let hub = FakeHub::new(40);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();

    // The same server (the listing URL is part of the cache key) now fails.
    server.reset().await;
    wiremock::Mock::given(wiremock::matchers::path("/api/models"))
        .respond_with(wiremock::ResponseTemplate::new(500))
        .mount(&server)
        .await;

    let out = cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-f", "ndjson", "--retries", "0"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(ndjson(&out.stdout).is_empty());

    let out = cmd(&server, &cache)
        .args([
            "fetch",
            "-p",
            "hug",
            "-f",
            "ndjson",
            "--retries",
            "0",
            "--stale-ok",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(&out.stdout)), hub.ids(), "the last good copy, whole");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("failed (HTTP 500") && stderr.contains("served the cached copy from"),
        "{stderr}"
    );

    let out = cmd(&server, &cache)
        .args(["count", "-p", "hug", "--offline", "-f", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["providers"]["hug"], 40, "the failed runs left the entry intact");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_entry_is_ignored_with_a_warning() {
    let hub = FakeHub::new(10);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    for e in fs::read_dir(&cache).unwrap() {
        fs::write(e.unwrap().path(), "{\"catalog_cache\":1, trunc").unwrap();
    }
    cmd(&server, &cache)
        .args(["count", "-p", "hug", "-f", "json"])
        .assert()
        .success()
        .stdout("{\"providers\":{\"hug\":10},\"total\":10}\n")
        .stderr(predicate::str::contains("ignoring cache entry"));
    assert_eq!(hub.seen().len(), 2, "the corrupt entry was not used");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_harvest_leaves_the_previous_entry_intact() {
    let cache = fresh_dir("cache");
    let slow = FakeHub::new(300).with_latency(Duration::from_millis(1500));
    let slow_server = hub_server(slow.clone()).await;
    fetch(&slow_server, &cache)
        .args(["-q", "--limit", "200"])
        .assert()
        .success();
    let before = slow.seen().len();
    let mut child = hub_fetch_std(&slow_server)
        .env("CATALOG_CACHE_DIR", &cache)
        .env("CATALOG_TEST_TIME_SCALE", "0.01")
        .args(["-q", "--limit", "200", "--refresh"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while slow.seen().len() < before + 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let out = cmd(&slow_server, &cache)
        .args(["count", "-p", "hug", "--offline", "-f", "json", "--limit", "200"])
        .ok_stdout();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"providers\":{\"hug\":200},\"total\":200}\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_key_is_ever_written_into_the_cache() {
    let hub = FakeHub::new(120);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .env("HF_TOKEN", "hf_SENTINEL_never_stored")
        .args(["fetch", "-p", "hug", "-q", "--raw"])
        .assert()
        .success();
    let mut files = 0;
    for e in fs::read_dir(&cache).unwrap() {
        let text = fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("hf_SENTINEL_never_stored"));
        files += 1;
    }
    assert_eq!(files, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_ls_lists_entries_and_clear_removes_them() {
    let hub = FakeHub::new(15);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    let out = cmd(&server, &cache).args(["cache", "ls"]).ok_stdout();
    let text = String::from_utf8(out).unwrap();
    let line = text.lines().nth(1).unwrap();
    assert!(
        line.starts_with("hug ") && line.contains(" 15 ") && line.contains("limit=50000"),
        "{text}"
    );
    let out = cmd(&server, &cache)
        .args(["cache", "ls", "-f", "json"])
        .ok_stdout();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[0]["models"], 15);
    cmd(&server, &cache)
        .args(["cache", "clear", "-p", "hf"])
        .assert()
        .success()
        .stderr(predicate::str::contains("removed 1 cache files"));
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn incremental_fetches_only_the_changed_pages_and_merges_to_a_full_fetch() {
    let hub = FakeHub::new(1000);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    let first = fetch(&server, &cache)
        .args(["--incremental", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&first)), hub.ids_by_last_modified());
    assert_eq!(hub.seen().len(), 10);
    assert!(hub.seen()[0].url.query().unwrap().contains("sort=lastModified"));

    for id in ["new/one", "new/two", "new/three"] {
        hub.add(id);
    }
    hub.touch("org3/model-000500");
    hub.touch("org4/model-000900");
    let out = fetch(&server, &cache)
        .args(["--incremental", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    // Page 1 holds the 5 changed models; page 2 is all older: the stop.
    assert_eq!(hub.seen().len(), 12, "only two pages were fetched");
    let merged = ndjson(&out.stdout);
    assert_eq!(ids(&merged), hub.ids_by_last_modified());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("incremental: 3 new, 2 updated, 195 unchanged, 803 reused from the cache"),
        "{stderr}"
    );

    // The merged result equals a full fetch of the same listing.
    let full = fetch(&server, &fresh_dir("cache"))
        .args(["--sort", "lastModified", "-f", "ndjson"])
        .ok_stdout();
    assert_eq!(without_fetched_at(&merged), without_fetched_at(&ndjson(&full)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_harvest_resumes_after_its_last_page_and_equals_an_uninterrupted_run() {
    let hub = FakeHub::new(600).with_faults(Faults {
        fail_requests: vec![(4, 500)],
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    let partial = fetch(&server, &cache)
        .args(["-f", "ndjson", "--retries", "0"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    assert_eq!(ndjson(&partial).len(), 300, "three pages before the failure");

    let resumed = fetch(&server, &cache)
        .args(["-f", "ndjson", "--resume"])
        .ok_stdout();
    let seen = hub.seen();
    assert_eq!(seen.len(), 7, "4 requests, then pages 4 to 6 only");
    assert!(
        seen[4].url.query().unwrap().contains("cursor=c300"),
        "resumed at page 4: {}",
        seen[4].url
    );
    let resumed = ndjson(&resumed);
    assert_eq!(ids(&resumed), hub.ids());
    // One fetch time for the whole harvest, as in an uninterrupted run.
    assert!(resumed
        .iter()
        .all(|r| r["fetched_at"] == resumed[0]["fetched_at"]));

    let clean = FakeHub::new(600);
    let clean_server = hub_server(clean.clone()).await;
    let full = fetch(&clean_server, &fresh_dir("cache"))
        .args(["-f", "ndjson"])
        .ok_stdout();
    let strip = |v: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        without_fetched_at(&v)
            .into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("source");
                r
            })
            .collect()
    };
    assert_eq!(strip(resumed), strip(ndjson(&full)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_harvest_resumes_from_its_checkpoint() {
    let cache = fresh_dir("cache");
    // Each page takes 300 ms; kill -9 once page 2's checkpoint is on disk,
    // while page 3 is on its way.
    let slow = FakeHub::new(500).with_latency(Duration::from_millis(300));
    let slow_server = hub_server(slow.clone()).await;
    let mut child = hub_fetch_std(&slow_server)
        .env("CATALOG_CACHE_DIR", &cache)
        .env("CATALOG_TEST_TIME_SCALE", "0.01")
        .args(["-q"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let checkpointed = |pages: &str| {
        fs::read_dir(&cache).unwrap().filter_map(Result::ok).any(|e| {
            e.path().extension().is_some_and(|x| x == "cursor")
                && fs::read_to_string(e.path()).is_ok_and(|t| t.contains(pages))
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !(checkpointed("\"pages\":2,") && slow.seen().len() >= 3) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let resumed = fetch(&slow_server, &cache)
        .args(["-f", "ndjson", "--resume"])
        .ok_stdout();
    assert_eq!(ids(&ndjson(&resumed)), slow.ids());
    let seen = slow.seen();
    let resumed_at = seen[3].url.query().unwrap().to_owned();
    assert!(
        resumed_at.contains("cursor=c200"),
        "resumed at the page after the last whole one: {resumed_at}"
    );
    assert_eq!(seen.len(), 6, "pages 1-2, the killed page 3, then 3-5");
}

/// A page-numbered listing (featherless: `page=N`) resumed after a failure:
/// the checkpoint must count the pages it covers, even when several pages
/// were handed to the writer together, or the page numbers after the
/// resumed one would repeat or skip pages.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_numbered_harvest_resumes_at_the_right_page_and_loses_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use wiremock::{matchers, Mock, Request, ResponseTemplate};

    const MODELS: usize = 650;
    let server = MockServer::start().await;
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v1/models"))
        .respond_with(move |req: &Request| {
            // The 4th request of the first run fails; nothing else does.
            if counter.fetch_add(1, Ordering::SeqCst) == 3 {
                return ResponseTemplate::new(500);
            }
            let param = |name: &str| -> usize {
                req.url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map_or(0, |(_, v)| v.parse().unwrap())
            };
            let (page, per_page) = (param("page").max(1), param("per_page"));
            let data: Vec<serde_json::Value> = ((page - 1) * per_page..(page * per_page).min(MODELS))
                .map(|i| serde_json::json!({ "id": format!("org/m{i:04}"), "object": "model" }))
                .collect();
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "data": data }))
        })
        .mount(&server)
        .await;
    let cache = fresh_dir("cache");
    let run = |extra: &[&str]| {
        let mut c = catalog();
        c.env("CATALOG_FEATHERLESS_URL", format!("{}/v1/models", server.uri()))
            .env("CATALOG_CACHE_DIR", &cache)
            .args([
                "fetch",
                "-p",
                "featherless",
                "-f",
                "ndjson",
                "--batch-size",
                "100",
            ])
            .args(["--retries", "0"])
            .args(extra);
        c
    };

    let partial = run(&[]).assert().code(3).get_output().stdout.clone();
    assert_eq!(ndjson(&partial).len(), 300, "pages 1 to 3 before the failure");

    let resumed = ndjson(&run(&["--resume"]).ok_stdout());
    let expected: Vec<String> = (0..MODELS).map(|i| format!("org/m{i:04}")).collect();
    assert_eq!(ids(&resumed), expected, "every model once, in order");
    let pages_asked: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .skip(4)
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .map_or(1, |(_, v)| v.parse().unwrap())
        })
        .collect();
    assert_eq!(pages_asked, [4, 5, 6, 7], "resumed at page 4, then on from there");
}

/// Damages the last record line of every cache entry in `cache`, keeping
/// its header valid (a disk error, an edit by hand).
fn damage_last_record(cache: &Path) {
    for e in fs::read_dir(cache).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "ndjson") {
            let text = fs::read_to_string(&path).unwrap();
            let cut = text.trim_end().rfind('\n').unwrap() + 1;
            fs::write(&path, format!("{}{{\"id\": broken\n", &text[..cut])).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_line_fails_that_provider_offline_and_never_the_run() {
    let hub = FakeHub::new(10);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    damage_last_record(&cache);
    let out = cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "--offline", "-f", "ndjson"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failed after 9 models"), "{stderr}");
    assert!(stderr.contains("the cached copy is damaged"), "{stderr}");
    assert!(stderr.contains("run without --offline"), "{stderr}");
    assert_eq!(ndjson(&out.stdout).len(), 9, "the lines before the damage");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_harvest_over_a_damaged_entry_fetches_everything() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    fetch(&server, &cache)
        .args(["--incremental", "-q"])
        .assert()
        .success();
    damage_last_record(&cache);
    let out = fetch(&server, &cache)
        .args(["--incremental", "-f", "ndjson"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(&out.stdout)), hub.ids());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the cached harvest cannot be read"), "{stderr}");
}

#[test]
fn cache_clear_removes_only_this_tools_entries_of_exactly_that_provider() {
    let cache = fresh_dir("cache");
    let header = "{\"catalog_cache\":2,\"provider\":\"x\"}\n";
    for (name, text) in [
        ("cerebras-0123456789abcdef.ndjson", header),
        ("cerebras-0123456789abcdef.cursor", "{\"next\":\"x\"}"),
        ("cerebras-eu-fedcba9876543210.ndjson", header),
        ("my-results.ndjson", "{\"id\":\"mine\"}\n"),
        ("notes.partial", "my notes"),
        ("hug-0123456789abcdef.ndjson", "{\"id\":\"not an entry\"}\n"),
    ] {
        fs::write(cache.join(name), text).unwrap();
    }
    catalog()
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["cache", "clear", "-p", "cerebras"])
        .assert()
        .success()
        .stderr(predicate::str::contains("removed 2 cache files"));
    let mut left: Vec<String> = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "cerebras-eu-fedcba9876543210.ndjson",
            "hug-0123456789abcdef.ndjson",
            "my-results.ndjson",
            "notes.partial"
        ]
    );
    catalog()
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["cache", "clear"])
        .assert()
        .success()
        .stderr(predicate::str::contains("removed 1 cache files"));
    assert!(cache.join("my-results.ndjson").exists() && cache.join("notes.partial").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_temp_file_left_by_a_killed_run_is_cleaned_up() {
    let hub = FakeHub::new(10);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    fs::create_dir_all(&cache).unwrap();
    // A pid no process has: the run that made the file is gone.
    let dead = (4_000_000..4_194_304)
        .find(|p| !Path::new("/proc").join(p.to_string()).exists())
        .unwrap();
    let left = cache.join(format!(".hug-0123456789abcdef.cursor.{dead}.AbCdEf.catalog-tmp"));
    fs::write(&left, "{\"next\":").unwrap();
    fetch(&server, &cache).args(["-q"]).assert().success();
    assert!(!left.exists(), "the dead run's checkpoint temp file is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_dated_in_the_future_is_never_fresh() {
    let hub = FakeHub::new(10);
    let server = hub_server(hub.clone()).await;
    let cache = fresh_dir("cache");
    cmd(&server, &cache)
        .args(["fetch", "-p", "hug", "-q"])
        .assert()
        .success();
    for e in fs::read_dir(&cache).unwrap() {
        let path = e.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let at = text.find("\"fetched_at\":\"").unwrap() + "\"fetched_at\":\"".len();
        let dated = format!("{}2099{}", &text[..at], &text[at + 4..]);
        fs::write(&path, dated).unwrap();
    }
    let before = hub.seen().len();
    cmd(&server, &cache)
        .args(["count", "-p", "hug", "-f", "json"])
        .assert()
        .success()
        .stderr(predicate::str::contains("in the future: taken as stale"));
    assert!(
        hub.seen().len() > before,
        "count fetched again instead of trusting the entry"
    );
}

/// A directory on a 16 KiB tmpfs (root only), unmounted when dropped.
struct TinyDisk(std::path::PathBuf);

impl TinyDisk {
    fn mount(what: &str) -> Option<TinyDisk> {
        let dir = fresh_dir(what);
        fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and must run this test: cannot mount a tmpfs"
            );
            println!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_cache_disk_costs_the_cached_copy_never_the_output() {
    let Some(disk) = TinyDisk::mount("full-cache") else {
        return;
    };
    // Enough models for more than one delivery to the cache writer, so the
    // disk fills while the entry is being streamed, not only at its close.
    let hub = FakeHub::new(2500);
    let server = hub_server(hub.clone()).await;
    for extra in [&[][..], &["--stale-ok"][..]] {
        let out = cmd(&server, &disk.0)
            .args(["fetch", "-p", "hug", "-f", "ndjson"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        assert_eq!(ids(&ndjson(&out.stdout)), hub.ids(), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("the cache cannot be written"),
            "{extra:?}: {stderr}"
        );
    }
}

#[test]
fn stale_ok_serves_the_last_entry_while_another_run_writes_a_new_one() {
    use crate::common::raw::{hub_page, Action, RawServer, Response};
    // Request 1 fills the cache; request 2 (a run still harvesting) never
    // ends; request 3 (the run with --stale-ok) fails.
    let server = RawServer::start(|req| match req.n {
        1 => Action::Respond(hub_page(req, 10)),
        2 => Action::Hang,
        _ => Action::Respond(Response::json(500, &serde_json::json!({"error": "down"}))),
    });
    let cache = fresh_dir("cache");
    let run = || {
        let mut c = hub_fetch_std(&server);
        c.env("CATALOG_CACHE_DIR", &cache);
        c
    };
    let seeded = run()
        .args(["-q", "-o"])
        .arg(cache.join("seed.ndjson"))
        .status()
        .unwrap();
    assert!(seeded.success());
    let mut busy = run()
        .args(["-q", "--timeout", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.count() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.count(), 2, "the other run is harvesting");
    let out = run()
        .args(["--stale-ok", "--retries", "0", "-f", "ndjson"])
        .output()
        .unwrap();
    busy.kill().unwrap();
    let _ = busy.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(ndjson(&out.stdout).len(), 10, "{stderr}");
    assert!(stderr.contains("served the cached copy"), "{stderr}");
}
