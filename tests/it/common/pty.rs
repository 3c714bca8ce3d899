//! A real pseudo-terminal with a screen emulator: the binary runs with the
//! pty as its terminal, and the test reads the screen a person would see.

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A shell script running in a terminal of its own.
pub struct Terminal {
    screen: Arc<Mutex<vt100::Parser>>,
    child: Child,
    reader: Option<JoinHandle<()>>,
}

/// Runs `script` with `sh -c` in a `cols` x `rows` terminal (stdin, stdout
/// and stderr all on it, as in an interactive shell), with the hermetic
/// environment of [`super::catalog_std`] and the binary as `$CATALOG`.
pub fn run(script: &str, envs: &[(String, String)], cols: u16, rows: u16) -> Terminal {
    let hermetic = super::catalog_std();
    let mut cmd = Command::new("sh");
    for (k, v) in hermetic.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    // The terminal's own size, not the test runner's.
    cmd.env_remove("COLUMNS")
        .env_remove("LINES")
        .env("TERM", "xterm-256color");
    cmd.env("CATALOG", hermetic.get_program());
    cmd.envs(envs.iter().map(|(k, v)| (k, v)));
    cmd.arg("-c").arg(script);

    let (master, slave) = open(cols, rows);
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let child = cmd.spawn().expect("sh runs");
    // `cmd` holds the last copies of the slave side: once it is gone, the
    // master reads end-of-file when the script and its children exit.
    drop(cmd);

    let screen = Arc::new(Mutex::new(vt100::Parser::new(
        std::num::NonZeroU16::new(rows).unwrap(),
        std::num::NonZeroU16::new(cols).unwrap(),
        0,
    )));
    let parser = Arc::clone(&screen);
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let mut buf = [0u8; 4096];
        // A pty's master fails with EIO once the slave side is closed.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            parser.lock().unwrap().process(&buf[..n]);
        }
    });
    Terminal {
        screen,
        child,
        reader: Some(reader),
    }
}

fn open(cols: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the integers we own; the
    // name, termios and size pointers are null or point at live values.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

impl Terminal {
    /// The screen's text now, one string per row (trailing blanks trimmed).
    pub fn rows(&self) -> Vec<String> {
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        let (_, cols) = screen.size();
        screen
            .rows(0, cols.get())
            .map(|r| r.trim_end().to_owned())
            .collect()
    }

    /// The colour of the first character of the first row starting with
    /// `prefix` (`None`: no such row).
    pub fn colour_of(&self, prefix: &str) -> Option<vt100::Color> {
        let row = self.rows().iter().position(|r| r.starts_with(prefix))?;
        let parser = self.screen.lock().unwrap();
        let cell = parser.screen().cell(u16::try_from(row).unwrap(), 0)?;
        Some(cell.fgcolor())
    }

    /// Waits until the script ends, keeping the terminal for questions.
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the script did not end:\n{}", self.rows().join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        status
    }

    /// Waits until some row satisfies `found` (the screen is returned), or
    /// panics with the screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, found: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let rows = self.rows();
            if rows.iter().any(|r| found(r)) {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} on the screen:\n{}",
                rows.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the script to end; its status and the final screen.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.wait();
        (status, self.rows())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
