//! `-o` writes where the user pointed without destroying what is there: a
//! device or FIFO is written through, a link's target is replaced (the link
//! stays), and a run that got nothing keeps the previous file.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;

use serde_json::json;

use super::{respond, stderr_of, PREVIOUS};
use crate::common::raw::{RawServer, Response};
use crate::common::{fresh_dir, hub_fetch, hub_fetch_std, ids, ndjson};

fn two_models() -> RawServer {
    RawServer::start(|_| respond(Response::json(200, &json!([{"id": "org/a"}, {"id": "org/b"}]))))
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {}",
        path.display()
    );
}

#[test]
fn a_fifo_is_written_through_and_stays_a_fifo() {
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let hub = two_models();
    let dir = fresh_dir("ownership");
    let fifo = dir.join("out.ndjson");
    mkfifo(&fifo);
    // A reader that never blocks: a run that fails to open the FIFO must
    // fail this test, not hang it.
    let mut end = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut text, mut buf) = (Vec::new(), [0u8; 4096]);
            loop {
                match end.read(&mut buf) {
                    Ok(n) if n > 0 => text.extend_from_slice(&buf[..n]),
                    _ if done.load(Ordering::SeqCst) => break,
                    _ => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
            text
        })
    };
    hub_fetch(&hub).arg("-o").arg(&fifo).assert().success();
    done.store(true, Ordering::SeqCst);
    let text = reader.join().unwrap();
    assert_eq!(ids(&ndjson(&text)), ["org/a", "org/b"]);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_device_node_is_written_through_and_stays_a_device() {
    let hub = two_models();
    let dir = fresh_dir("ownership");
    let null = dir.join("null");
    let c = std::ffi::CString::new(null.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path; mknod(2) with the major/minor of /dev/null (1, 3).
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made != 0 {
        let e = std::io::Error::last_os_error();
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run this test: mknod failed: {e}"
        );
        println!("skipped: mknod needs root here ({e})");
        return;
    }
    hub_fetch(&hub).arg("-o").arg(&null).assert().success();
    let meta = fs::symlink_metadata(&null).unwrap();
    assert!(meta.file_type().is_char_device(), "{meta:?}");
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["null"], "no temporary file");
}

#[test]
fn a_link_to_the_standard_output_writes_to_stdout() {
    // What `-o /dev/stdout` is, made in a temporary directory: a link to
    // /proc/self/fd/1, whose target is no file at all. (Never the machine's
    // own /dev/stdout: a regression would replace it for everyone.)
    let hub = two_models();
    let dir = fresh_dir("ownership");
    let link = dir.join("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let out = hub_fetch(&hub)
        .args(["-f", "ndjson", "-o"])
        .arg(&link)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(ids(&ndjson(&out.stdout)), ["org/a", "org/b"]);
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}

#[test]
fn a_symlink_keeps_being_a_link_and_its_target_gets_the_records() {
    let hub = two_models();
    let dir = fresh_dir("ownership");
    let target = dir.join("real.ndjson");
    fs::write(&target, PREVIOUS).unwrap();
    let link = dir.join("latest.ndjson");
    std::os::unix::fs::symlink("real.ndjson", &link).unwrap();
    hub_fetch(&hub).arg("-o").arg(&link).assert().success();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real.ndjson"));
    assert_eq!(ids(&ndjson(&fs::read(&target).unwrap())), ["org/a", "org/b"]);
}

#[test]
fn a_run_in_which_every_provider_failed_keeps_the_previous_file() {
    let failing = RawServer::start(|_| respond(Response::json(500, &json!({"error": "down"}))));
    let dir = fresh_dir("ownership");
    let file = dir.join("models.ndjson");
    fs::write(&file, PREVIOUS).unwrap();
    let out = hub_fetch_std(&failing)
        .args(["--retries", "0", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(fs::read(&file).unwrap(), PREVIOUS, "the good file is kept");
    let stderr = stderr_of(&out);
    assert!(stderr.contains("as it was: no provider gave a model"), "{stderr}");
}

#[test]
fn a_failure_with_a_cached_copy_suggests_stale_ok() {
    let hub = two_models();
    let cache = fresh_dir("ownership-cache");
    hub_fetch(&hub)
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["-q"])
        .assert()
        .success();
    let failing = RawServer::start(|_| respond(Response::json(500, &json!({"error": "down"}))));
    let out = hub_fetch(&failing)
        .env("CATALOG_CACHE_DIR", &cache)
        .args(["--retries", "0"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("hint: --stale-ok serves the last cached copy of hug"),
        "{stderr}"
    );
}
