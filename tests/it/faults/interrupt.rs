//! SIGINT, SIGTERM and SIGHUP during a slow harvest.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{respond, stderr_of, PREVIOUS};
use crate::common::hub_fetch_std;
use crate::common::raw::{hub_page, names_ending, Action, RawServer};

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
    // Page 1 arrives, page 2 never does.
    let server = RawServer::start(|req| {
        if req.n == 1 {
            respond(hub_page(req, 300))
        } else {
            Action::Hang
        }
    });
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
    while server.count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.count(), 2, "the harvest is waiting for page 2");
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
    assert!(stderr_of(&output).contains(says), "{}", stderr_of(&output));
    assert_eq!(fs::read(&file).unwrap(), PREVIOUS, "the previous file is intact");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["hf.json"], "no temporary file is left");
}
