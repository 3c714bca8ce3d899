//! `catalog snapshot`: timestamped files written only when the data changed,
//! deterministic bytes (gzip included), and nothing written on failure.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::common::hub::{FakeHub, Faults};
use crate::common::{fresh_dir, hub_catalog, hub_server, hub_url, ids, ndjson, SCHEMA_FIELDS};
use wiremock::MockServer;

/// Every schema field of a snapshot record, in order: the record without `fetched_at`.
/// The schema without `fetched_at` (a snapshot's name holds the time).
fn snapshot_fields() -> Vec<&'static str> {
    SCHEMA_FIELDS.into_iter().filter(|f| *f != "fetched_at").collect()
}

/// `catalog snapshot --dir DIR -p hug` against the fake Hub, plus `extra` flags.
fn snapshot(server: &MockServer, dir: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut c = hub_catalog(server);
    c.arg("snapshot")
        .arg("--dir")
        .arg(dir)
        .args(["-p", "hug", "--no-progress"])
        .args(extra);
    c
}

/// Runs a snapshot expecting `code`; returns stderr.
fn run(server: &MockServer, dir: &Path, extra: &[&str], code: i32) -> String {
    let out = snapshot(server, dir, extra)
        .assert()
        .code(code)
        .get_output()
        .clone();
    String::from_utf8(out.stderr).unwrap()
}

/// Every entry of `dir` (hidden ones included), sorted by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// `catalog-YYYYMMDDTHHMMSSZ.<ext>`, optionally with a `-N` collision number
/// after the stamp when `collision_ok`.
fn is_snapshot_name(name: &str, ext: &str, collision_ok: bool) -> bool {
    let Some(rest) = name.strip_prefix("catalog-") else {
        return false;
    };
    let Some(stem) = rest.strip_suffix(&format!(".{ext}")) else {
        return false;
    };
    let stamp = match stem.split_once('_') {
        Some((stamp, n)) if collision_ok => {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            stamp
        }
        Some(_) => return false,
        None => stem,
    };
    let b = stamp.as_bytes();
    b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && stamp[..4] >= *"2025"
}

/// The one entry of `after` not in `before`.
fn new_entry(before: &[String], after: &[String]) -> String {
    let added: Vec<&String> = after.iter().filter(|n| !before.contains(n)).collect();
    assert_eq!(added.len(), 1, "exactly one new file: {before:?} -> {after:?}");
    added[0].clone()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

fn path_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn first_snapshot_writes_one_stamped_ndjson_file_without_fetched_at() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    let stderr = run(&server, &dir, &[], 0);

    let files = listing(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = &files[0];
    assert!(is_snapshot_name(name, "ndjson", false), "{name}");
    assert!(
        stderr.contains(&format!("wrote {name}: first snapshot, 30 models")),
        "{stderr}"
    );

    let text = fs::read_to_string(path_in(&dir, name)).unwrap();
    let records = ndjson(text.as_bytes());
    assert_eq!(records.len(), 30);
    assert_eq!(ids(&records), hub.ids());
    for (line, record) in text.lines().zip(&records) {
        let obj = record.as_object().unwrap();
        assert!(!obj.contains_key("fetched_at"), "{line}");
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut expected = snapshot_fields();
        expected.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, expected, "{line}");
        // Fields in schema order.
        let positions: Vec<usize> = snapshot_fields()
            .iter()
            .map(|f| line.find(&format!("\"{f}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    }
    assert_eq!(records[0]["provider"], "hug");
    assert_eq!(records[0]["id"], "org0/model-000000");
    assert_eq!(records[0]["source"], hub_url(&server));
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_data_writes_no_new_snapshot() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &[], 0);
    let first = listing(&dir);
    let bytes = fs::read(path_in(&dir, &first[0])).unwrap();

    let stderr = run(&server, &dir, &[], 0);
    assert!(
        stderr.contains(&format!("unchanged since {}: no new snapshot written", first[0])),
        "{stderr}"
    );
    assert_eq!(listing(&dir), first, "no new file, no temporary file left");
    assert_eq!(fs::read(path_in(&dir, &first[0])).unwrap(), bytes);
    assert_eq!(hub.seen().len(), 2, "each run asked the Hub");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_modified_on_the_hub_without_listed_changes_gives_no_new_snapshot() {
    // lastModified is not part of the record: touching a model changes nothing written.
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &[], 0);
    let first = listing(&dir);
    hub.touch("org3/model-000010");
    let stderr = run(&server, &dir, &[], 0);
    assert!(stderr.contains("no new snapshot written"), "{stderr}");
    assert_eq!(listing(&dir), first);
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_data_writes_a_second_snapshot_with_a_one_line_summary() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &[], 0);
    let before = listing(&dir);
    let first = before[0].clone();

    hub.add("neworg/fresh-model");
    let stderr = run(&server, &dir, &[], 0);
    let after = listing(&dir);
    assert_eq!(after.len(), 2, "{after:?}");
    let second = new_entry(&before, &after);
    assert!(is_snapshot_name(&second, "ndjson", true), "{second}");
    assert!(
        stderr.contains(&format!(
            "wrote {second}: 1 added, 0 removed, 0 changed (0 with price changes) since {first}"
        )),
        "{stderr}"
    );
    let records = ndjson(&fs::read(path_in(&dir, &second)).unwrap());
    assert_eq!(records.len(), 31);
    assert_eq!(ids(&records), hub.ids());
    assert_eq!(records[30]["id"], "neworg/fresh-model");
    // The first snapshot is left as it was.
    assert_eq!(ndjson(&fs::read(path_in(&dir, &first)).unwrap()).len(), 30);

    // The next run compares with the newest snapshot, not the first.
    let stderr = run(&server, &dir, &[], 0);
    assert!(
        stderr.contains(&format!("unchanged since {second}: no new snapshot written")),
        "{stderr}"
    );
    assert_eq!(listing(&dir), after);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_smaller_catalog_is_summarized_as_removed_models() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &["--limit", "30"], 0);
    let before = listing(&dir);
    let stderr = run(&server, &dir, &["--limit", "27"], 0);
    let after = listing(&dir);
    let second = new_entry(&before, &after);
    assert!(
        stderr.contains(&format!(
            "wrote {second}: 0 added, 3 removed, 0 changed (0 with price changes) since {}",
            before[0]
        )),
        "{stderr}"
    );
}

/// Writes a snapshot in `flags`' format, moves it away, writes again from
/// the same data and returns (file name, first bytes, second bytes).
async fn written_twice(flags: &[&str], ext: &str) -> (String, Vec<u8>, Vec<u8>) {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    let stderr = run(&server, &dir, flags, 0);
    let files = listing(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(is_snapshot_name(&files[0], ext, false), "{files:?}");
    assert!(stderr.contains("first snapshot, 30 models"), "{stderr}");
    let first = fs::read(path_in(&dir, &files[0])).unwrap();
    fs::remove_file(path_in(&dir, &files[0])).unwrap();

    let stderr = run(&server, &dir, flags, 0);
    assert!(stderr.contains("first snapshot, 30 models"), "{stderr}");
    let again = listing(&dir);
    assert_eq!(again.len(), 1, "{again:?}");
    let second = fs::read(path_in(&dir, &again[0])).unwrap();

    // And with the file in place, the same data writes nothing.
    let stderr = run(&server, &dir, flags, 0);
    assert!(
        stderr.contains(&format!("unchanged since {}: no new snapshot written", again[0])),
        "{stderr}"
    );
    assert_eq!(listing(&dir), again);
    (again[0].clone(), first, second)
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_snapshots_of_the_same_data_are_byte_identical() {
    let (_, a, b) = written_twice(&["-f", "ndjson"], "ndjson").await;
    assert_eq!(a, b);
    assert_eq!(ndjson(&a).len(), 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_snapshots_of_the_same_data_are_byte_identical() {
    let (_, a, b) = written_twice(&["-f", "json"], "json").await;
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let records = v.as_array().unwrap();
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| r.get("fetched_at").is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_snapshots_of_the_same_data_are_byte_identical() {
    let (_, a, b) = written_twice(&["-f", "csv"], "csv").await;
    assert_eq!(a, b);
    let text = String::from_utf8(a).unwrap();
    assert_eq!(text.lines().next().unwrap(), snapshot_fields().join(","));
    assert_eq!(text.lines().count(), 31, "header and 30 rows");
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_snapshots_of_the_same_data_are_byte_identical_and_decompress_to_ndjson() {
    let (name, a, b) = written_twice(&["--gzip"], "ndjson.gz").await;
    assert!(name.ends_with(".ndjson.gz"), "{name}");
    assert_eq!(a[..2], [0x1f, 0x8b], "a gzip stream");
    assert_eq!(a, b, "gzip output is deterministic (no timestamp in the header)");
    let records = ndjson(&gunzip(&a));
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| r.get("fetched_at").is_none()));
    assert_eq!(records[29]["id"], "org1/model-000029");
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_csv_and_json_snapshots_are_byte_identical_too() {
    for (format, ext) in [("csv", "csv.gz"), ("json", "json.gz")] {
        let (name, a, b) = written_twice(&["-f", format, "--gzip"], ext).await;
        assert!(name.ends_with(&format!(".{ext}")), "{name}");
        assert_eq!(a, b, "{format}");
        let plain = gunzip(&a);
        match format {
            "csv" => assert_eq!(String::from_utf8(plain).unwrap().lines().count(), 31),
            _ => {
                let v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
                assert_eq!(v.as_array().unwrap().len(), 30);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_format_is_compared_only_with_snapshots_of_the_same_format() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &[], 0);
    let one = listing(&dir);

    let stderr = run(&server, &dir, &["--gzip"], 0);
    assert!(stderr.contains("first snapshot, 30 models"), "{stderr}");
    let two = listing(&dir);
    let gz = new_entry(&one, &two);
    assert!(is_snapshot_name(&gz, "ndjson.gz", true), "{gz}");

    let stderr = run(&server, &dir, &["-f", "csv"], 0);
    assert!(stderr.contains("first snapshot, 30 models"), "{stderr}");
    let three = listing(&dir);
    assert!(is_snapshot_name(&new_entry(&two, &three), "csv", true));

    // Plain NDJSON again: compared with the NDJSON file, unchanged.
    let stderr = run(&server, &dir, &[], 0);
    assert!(
        stderr.contains(&format!("unchanged since {}: no new snapshot written", one[0])),
        "{stderr}"
    );
    assert_eq!(listing(&dir), three);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_provider_writes_no_snapshot_and_exits_3() {
    let hub = FakeHub::new(30).with_faults(Faults {
        fail_requests: vec![(1, 404)],
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    let stderr = run(&server, &dir, &[], 3);
    assert!(stderr.contains("snapshot not written"), "{stderr}");
    assert!(
        listing(&dir).is_empty(),
        "no file, no temporary file: {:?}",
        listing(&dir)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_failing_midway_keeps_the_previous_snapshot_as_the_newest() {
    // Page 2 of 3 fails on the second run: the 10 models of page 1 must not
    // become a snapshot that looks like 20 removals.
    let hub = FakeHub::new(30).with_faults(Faults {
        fail_requests: vec![(5, 404)],
        ..Faults::default()
    });
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &["--batch-size", "10"], 0);
    assert_eq!(hub.seen().len(), 3);
    let before = listing(&dir);
    let bytes = fs::read(path_in(&dir, &before[0])).unwrap();

    let stderr = run(&server, &dir, &["--batch-size", "10"], 3);
    assert!(
        stderr.contains("snapshot not written: a provider failed"),
        "{stderr}"
    );
    assert_eq!(listing(&dir), before);
    assert_eq!(fs::read(path_in(&dir, &before[0])).unwrap(), bytes);

    // Once the Hub answers again, the data is the same as before.
    let stderr = run(&server, &dir, &["--batch-size", "10"], 0);
    assert!(
        stderr.contains(&format!("unchanged since {}", before[0])),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dir_naming_a_regular_file_is_a_usage_error() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    let scratch = fresh_dir("snap");
    let file = scratch.join("not-a-dir");
    fs::write(&file, "keep me").unwrap();
    let stderr = run(&server, &file, &[], 2);
    assert!(stderr.contains("is not a directory"), "{stderr}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");
    assert!(hub.seen().is_empty(), "refused before any request");
    assert_eq!(listing(&scratch), ["not-a-dir"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_dir_is_created() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap").join("a/b");
    let stderr = run(&server, &dir, &[], 0);
    assert!(stderr.contains("first snapshot, 5 models"), "{stderr}");
    let files = listing(&dir);
    assert_eq!(files.len(), 1);
    assert!(is_snapshot_name(&files[0], "ndjson", false));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn snapshot_files_get_the_same_permissions_as_fetch_output() {
    use std::os::unix::fs::PermissionsExt as _;
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    run(&server, &dir, &[], 0);
    let snap = listing(&dir).remove(0);
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-q", "-o"])
        .arg(dir.join("fetched.ndjson"))
        .assert()
        .success();
    let mode = |name: &str| fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("fetched.ndjson"), 0o644);
    assert_eq!(
        mode(&snap),
        0o644,
        "{snap} is readable like any other output file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_previous_snapshot_does_not_turn_a_written_snapshot_into_a_usage_error() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    let old = "catalog-20200101T000000Z.ndjson";
    fs::write(dir.join(old), "not json\n").unwrap();
    let out = snapshot(&server, &dir, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let files = listing(&dir);
    assert_eq!(files.len(), 2, "the new snapshot was written: {files:?}");
    assert_ne!(out.status.code(), Some(2), "not a usage error: {stderr}");
    assert!(stderr.contains(old), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_previous_gzip_snapshot_is_named_in_the_message() {
    let hub = FakeHub::new(5);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snap");
    let old = "catalog-20200101T000000Z.ndjson.gz";
    // A gzip header cut short, as a full disk or a copy interrupted would leave it.
    fs::write(dir.join(old), [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    let out = snapshot(&server, &dir, &["--gzip"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(old),
        "the message names the damaged file: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_named_in_the_future_is_not_the_previous_one() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snapshots");
    run(&server, &dir, &[], 0);
    let first = listing(&dir);
    assert_eq!(first.len(), 1);
    // A file from a machine whose clock was wrong, holding other data.
    fs::write(
        dir.join("catalog-20990101T000000Z.ndjson"),
        "{\"provider\":\"hug\",\"id\":\"x\"}\n",
    )
    .unwrap();
    let stderr = run(&server, &dir, &[], 0);
    assert!(
        stderr.contains("ignoring snapshot catalog-20990101T000000Z.ndjson"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("unchanged since {}", first[0])),
        "compared with the true previous snapshot: {stderr}"
    );
    assert_eq!(listing(&dir).len(), 2, "no duplicate written");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_snapshots_into_one_directory_keep_exactly_one_file_of_the_same_data() {
    let hub = FakeHub::new(200);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snapshots");
    fs::create_dir_all(&dir).unwrap();
    let runs: Vec<std::process::Child> = (0..3)
        .map(|_| {
            let mut c = crate::common::catalog_std();
            c.env("CATALOG_HUG_URL", hub_url(&server))
                .arg("snapshot")
                .arg("--dir")
                .arg(&dir)
                .args(["-p", "hug", "--no-progress", "--delay-ms", "0"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files = listing(&dir);
    assert_eq!(files.len(), 1, "one snapshot of the same data: {files:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_named_like_a_snapshot_does_not_hang_snapshot() {
    let hub = FakeHub::new(30);
    let server = hub_server(hub.clone()).await;
    let dir = fresh_dir("snapshots");
    fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("catalog-20200101T000000Z.ndjson");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let started = std::time::Instant::now();
    let stderr = run(&server, &dir, &[], 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(stderr.contains("first snapshot"), "{stderr}");
}
