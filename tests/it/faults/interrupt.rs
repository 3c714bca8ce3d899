//! SIGINT, SIGTERM and SIGHUP during a slow harvest.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{respond, stderr_of, PREVIOUS};
use crate::common::hub::hub_ids;
use crate::common::raw::{hub_page, names_ending, Action, RawServer};
use crate::common::{catalog, fresh_dir, hub_fetch_std, ids, ndjson};

#[test]
fn sigint_exits_130_within_a_second_keeping_the_previous_file_and_no_temp_file() {
    stops_cleanly_on(libc::SIGINT, 130, "interrupted");
}

#[test]
fn sigterm_from_cron_systemd_or_timeout_exits_143_as_cleanly() {
    stops_cleanly_on(libc::SIGTERM, 143, "terminated");
}

#[test]
fn sighup_exits_129_as_cleanly() {
    stops_cleanly_on(libc::SIGHUP, 129, "hung up");
}

fn stops_cleanly_on(signal: libc::c_int, code: i32, says: &str) {
    // Page 1 never comes.
    let server = RawServer::start(|_| Action::Hang);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.json");
    fs::write(&file, PREVIOUS).unwrap();
    let mut child = hub_fetch_std(&server)
        .args(["--no-progress", "-o"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.count() < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.count(), 1, "the harvest is waiting for page 1");
    assert_eq!(
        names_ending(dir.path(), ".catalog-tmp").len(),
        1,
        "the output is being written to a temporary file"
    );
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) takes no pointers and touches no memory of ours; `pid`
    // is our own child, not yet waited for, so it cannot name a recycled process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("still running 10 s after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = signalled.elapsed();
    let output = child.wait_with_output().unwrap();
    assert!(
        took < Duration::from_secs(1),
        "exited {took:?} after signal {signal}"
    );
    assert_eq!(status.code(), Some(code), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("{says}: stopped; the output was left as it was")),
        "{stderr}"
    );
    // No page was read: no checkpoint, and no command to continue. (A page
    // read is handed on, checkpoint and all, once it has waited
    // `harvest::HOLD` for the next: the tests below.)
    assert!(
        stderr.contains("nothing can be resumed: no checkpoint was kept"),
        "{stderr}"
    );
    assert!(!stderr.contains("--resume"), "{stderr}");
    assert_eq!(fs::read(&file).unwrap(), PREVIOUS, "the previous file is intact");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["hf.json"], "no temporary file is left");
}

/// Sends `signal` to `child` once `ready` holds (within 10 s), and returns
/// its output.
fn signal_when(
    mut child: std::process::Child,
    signal: libc::c_int,
    ready: impl Fn() -> bool,
) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(ready(), "the harvest did not get there");
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: as above: our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running 10 s after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// Whether `cache` holds a checkpoint of `pages` pages.
fn checkpointed(cache: &std::path::Path, pages: u64) -> bool {
    fs::read_dir(cache).is_ok_and(|d| {
        d.filter_map(Result::ok).any(|e| {
            e.path().extension().is_some_and(|x| x == "cursor")
                && fs::read_to_string(e.path()).is_ok_and(|t| t.contains(&format!("\"pages\":{pages},")))
        })
    })
}

#[test]
fn ctrl_c_in_a_paged_harvest_prints_the_command_to_resume_and_that_command_finishes_it() {
    // 400 models in pages of 100; page 3 of the first run never comes, so
    // pages 1 and 2, which have waited for it, are handed on: a checkpoint.
    let server = RawServer::start(|req| {
        if req.n == 3 {
            Action::Hang
        } else {
            respond(hub_page(req, 400))
        }
    });
    let cache = fresh_dir("cache");
    // A name the shell must be given quoted.
    let file = fresh_dir("resume").join("hf it's.ndjson");
    let first = || {
        let mut cmd = hub_fetch_std(&server);
        cmd.env("CATALOG_CACHE_DIR", &cache);
        cmd
    };
    let child = first()
        .args(["--no-progress", "-o"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = signal_when(child, libc::SIGINT, || {
        server.count() >= 3 && checkpointed(&cache, 2)
    });
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("hug: checkpoint kept in the cache after 2 pages (200 models)\n"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "to continue from it, run the same command with --resume:")
        .unwrap_or_else(|| panic!("no command to continue:\n{stderr}"));
    let command = lines[at + 1].strip_prefix("  ").expect("the command, indented");
    assert!(
        command.ends_with(" --resume") && command.matches("--resume").count() == 1,
        "{command}"
    );
    assert!(
        command.contains(r"/hf it'\''s.ndjson' --resume"),
        "the path is quoted: {command}"
    );
    assert!(!file.exists(), "nothing was published");

    // `cache ls` lists the checkpoint, for people and for scripts.
    let ls = catalog()
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["cache", "ls"])
        .output()
        .unwrap();
    let table = String::from_utf8(ls.stdout).unwrap();
    let row: Vec<&str> = table.lines().filter(|l| l.starts_with("hug ")).collect();
    assert_eq!(row.len(), 1, "{table}");
    let cells: Vec<&str> = row[0].split_whitespace().collect();
    assert_eq!(cells[3], "200", "models so far: {table}");
    assert!(
        row[0].ends_with("limit=50000 (checkpoint after 2 pages: --resume continues it)"),
        "{table}"
    );
    assert!(table.contains("0 entries and 1 checkpoint in "), "{table}");
    let ls = catalog()
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["cache", "ls", "-f", "json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let cp = &listed[0];
    assert_eq!(
        (
            &cp["provider"],
            &cp["kind"],
            &cp["pages"],
            &cp["models"],
            &cp["continued_by"]
        ),
        (
            &"hug".into(),
            &"checkpoint".into(),
            &2.into(),
            &200.into(),
            &"--resume".into()
        ),
        "{cp}"
    );
    assert_eq!(cp["key"]["limit"], 50_000);

    // The printed command, run by a shell in the same environment, finishes
    // the harvest from page 3.
    let mut shell = std::process::Command::new("sh");
    for (k, v) in first().get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    let resumed = shell.arg("-c").arg(command).output().unwrap();
    let stderr = stderr_of(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("hug: resumed from page 3 (200 models)\n"),
        "{stderr}"
    );
    assert_eq!(ids(&ndjson(&fs::read(&file).unwrap())), hub_ids(400));
    let asked: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(asked.len(), 5, "{asked:#?}");
    assert!(
        asked[3].ends_with("&cursor=c200"),
        "page 3 again, not page 1: {}",
        asked[3]
    );

    // Done: the entry replaces the checkpoint.
    let ls = catalog()
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["cache", "ls", "-f", "json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    assert_eq!(listed[0]["kind"], "entry", "{listed}");
    assert_eq!(listed[0]["models"], 400);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn ctrl_c_without_the_cache_says_nothing_can_be_resumed() {
    let server = RawServer::start(|req| {
        if req.n == 3 {
            Action::Hang
        } else {
            respond(hub_page(req, 400))
        }
    });
    let child = hub_fetch_std(&server)
        .args(["--no-progress", "--no-cache"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = signal_when(child, libc::SIGINT, || server.count() >= 3);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: stopped; the output was left as it was"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing can be resumed: --no-cache keeps no checkpoint"),
        "{stderr}"
    );
    assert!(!stderr.contains("--resume:"), "{stderr}");
}

#[test]
fn ctrl_c_in_count_names_the_checkpoint_and_that_fetch_resumes_it() {
    let server = RawServer::start(|req| {
        if req.n == 3 {
            Action::Hang
        } else {
            respond(hub_page(req, 400))
        }
    });
    let cache = fresh_dir("cache");
    let child = crate::common::catalog_std()
        .env("CATALOG_HUG_URL", crate::common::hub_url(&server))
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["count", "-p", "hug", "--delay-ms", "0", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = signal_when(child, libc::SIGINT, || {
        server.count() >= 3 && checkpointed(&cache, 2)
    });
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("interrupted: stopped\n"),
        "count writes no file: {stderr}"
    );
    assert!(
        stderr.contains("hug: checkpoint kept in the cache after 2 pages (200 models)\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("count does not resume (run again, it starts over): `catalog fetch` with the same providers and flags and --resume continues it"),
        "{stderr}"
    );
}
