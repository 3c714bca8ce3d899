//! SIGKILL while writing -o FILE.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{respond, stderr_of, PREVIOUS};
use crate::common::hub::hub_ids;
use crate::common::raw::{clock_random, hub_page, names_ending, Action, RawServer};
use crate::common::{catalog_std, hub_catalog, hub_fetch_std, hub_url, ids, ndjson};

/// A slow 50,000-model Hub: pages of 1000, 100 ms apart at test time.
fn slow_big_hub() -> RawServer {
    RawServer::start(|req| respond(hub_page(req, 50_000)))
}

fn spawn_slow_fetch(server: &RawServer, file: &std::path::Path) -> std::process::Child {
    catalog_std()
        .env("CATALOG_HUG_URL", hub_url(server))
        .args([
            "fetch",
            "-p",
            "hug",
            "--batch-size",
            "1000",
            "--delay-ms",
            "10000",
            "-q",
            "-o",
        ])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_at_random_moments_never_touches_the_previous_file() {
    let server = slow_big_hub();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.ndjson");
    fs::write(&file, PREVIOUS).unwrap();
    let mut delays = Vec::new();
    for _ in 0..5 {
        let delay = Duration::from_millis(20 + clock_random(1200));
        delays.push(delay);
        let mut child = spawn_slow_fetch(&server, &file);
        std::thread::sleep(delay);
        assert!(
            child.try_wait().unwrap().is_none(),
            "the harvest must still be running when killed"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            fs::read(&file).unwrap(),
            PREVIOUS,
            "killed after {delay:?}: the previous file changed"
        );
    }
    assert!(server.count() > 0, "at least one kill landed mid-harvest");
    let temps = names_ending(dir.path(), ".catalog-tmp");
    eprintln!(
        "kills after {delays:?} left {} temporary file(s): {temps:?}",
        temps.len()
    );
    assert!(temps.iter().all(|n| n.starts_with(".hf.ndjson.")), "{temps:?}");
}

#[test]
fn temp_files_left_by_killed_runs_are_cleaned_by_the_next_successful_run() {
    let server = slow_big_hub();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.ndjson");
    fs::write(&file, PREVIOUS).unwrap();
    for _ in 0..3 {
        let before = server.count();
        let mut child = spawn_slow_fetch(&server, &file);
        // Kill once a page has been served: the temporary file exists then.
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.count() < before + 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(fs::read(&file).unwrap(), PREVIOUS);
    }
    let left = names_ending(dir.path(), ".catalog-tmp");
    // A SIGKILL cannot remove its own temporary file (a later run may
    // already have removed those of earlier kills).
    assert!(!left.is_empty(), "the last SIGKILL leaves its temporary file");

    let small = RawServer::start(|req| respond(hub_page(req, 50)));
    hub_catalog(&small)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(ids(&ndjson(&fs::read(&file).unwrap())), hub_ids(50));
    let left = names_ending(dir.path(), ".catalog-tmp");
    assert!(
        left.is_empty(),
        "a successful run leaves the stale temporary files of killed runs: {left:?}"
    );
}

#[test]
fn a_run_never_removes_the_temporary_file_of_a_live_run_in_the_same_directory() {
    // Run A is slow: its page 2 trickles in over 1.5 s. Run B writes another
    // file in the same directory meanwhile; A must still publish its file.
    let slow = RawServer::start(|req| {
        let page = hub_page(req, 200);
        if req.n == 1 {
            return respond(page);
        }
        Action::trickle(page, 2, Duration::from_millis(1500))
    });
    let fast = RawServer::start(|req| respond(hub_page(req, 10)));
    let dir = tempfile::tempdir().unwrap();
    let (a_file, b_file) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
    let a = hub_fetch_std(&slow)
        .args(["--timeout", "5", "-q", "-o"])
        .arg(&a_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(names_ending(dir.path(), ".catalog-tmp").len(), 1, "A is writing");
    hub_catalog(&fast)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&b_file)
        .assert()
        .success();
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(0), "{}", stderr_of(&a));
    assert_eq!(ids(&ndjson(&fs::read(&a_file).unwrap())), hub_ids(200));
    assert_eq!(ids(&ndjson(&fs::read(&b_file).unwrap())), hub_ids(10));
    assert!(names_ending(dir.path(), ".catalog-tmp").is_empty());
}

#[test]
fn a_live_run_in_another_pid_namespace_keeps_its_temporary_file() {
    // A run sharing this directory from another container: its PID does not
    // exist here, but it holds the lock on its temporary file.
    let dir = tempfile::tempdir().unwrap();
    let dead_here = (4_000_000..4_194_304)
        .find(|p| !std::path::Path::new("/proc").join(p.to_string()).exists())
        .unwrap();
    let theirs = dir
        .path()
        .join(format!(".hf.json.{dead_here}.AbCdEf.catalog-tmp"));
    let held = fs::File::create(&theirs).unwrap();
    held.lock().unwrap();
    let server = RawServer::start(|req| respond(hub_page(req, 50)));
    let file = dir.path().join("other.json");
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert!(theirs.exists(), "the live run's file is kept");
    // Once that run is gone (its lock with it), the file is stale.
    drop(held);
    hub_catalog(&server)
        .args(["fetch", "-p", "hug", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert!(!theirs.exists(), "the dead run's file is removed");
}
