//! A throwaway PostgreSQL cluster for the tests, from the system's binaries:
//! `initdb` into a temporary directory, `pg_ctl start` on a free loopback
//! port with its socket in that directory (as the `postgres` account when
//! the tests run as root), one per test binary run; one database per test.
//!
//! Without PostgreSQL installed the tests that need it skip with a printed
//! reason; with `CI` set a missing or broken server fails them instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A running cluster.
pub struct Cluster {
    bindir: PathBuf,
    /// Holds `data/`, the socket and the log.
    dir: PathBuf,
    pub port: u16,
    /// Run the server's programs as `postgres` (the tests run as root).
    as_postgres: bool,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// The cluster, started on first use; `None` (the reason printed) when this
/// machine has no PostgreSQL and `CI` is not set.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(start) {
        Ok(c) => Some(c),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the PostgreSQL tests: {why}"
            );
            println!("skipped: {why}");
            None
        }
    }
}

/// The directory of `initdb`, `pg_ctl` and `psql`: `pg_config --bindir`,
/// else the newest /usr/lib/postgresql/*/bin (Debian keeps them there).
fn bindir() -> Option<PathBuf> {
    let has_initdb = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if o.status.success() && has_initdb(&d) {
            return Some(d);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_string_lossy().parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has_initdb(d))
        .collect();
    found.sort();
    found.pop().map(|(_, d)| d)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of `postgres`.
fn postgres_account() -> Option<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: a valid C string; the result is read at once, before any other
    // getpw* call on this thread.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: non-null, pointing at libc's static passwd entry.
    unsafe { Some(((*pw).pw_uid, (*pw).pw_gid)) }
}

impl Cluster {
    /// One of the server's programs, as `postgres` when running as root.
    fn program(&self, name: &str) -> Command {
        program(&self.bindir, self.as_postgres, name)
    }

    /// A new, empty database: its `--db` URL (with a password, which the
    /// trust-authenticated server ignores, so tests can look for it).
    pub fn database(&self, what: &str) -> (String, String) {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{what}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        (self.url(&name), name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{name}?sslmode=disable",
            self.port
        )
    }

    /// `psql` on database `db`: `sql`'s rows, fields split, NULL as `None`.
    pub fn psql(&self, db: &str, sql: &str) -> Vec<Vec<Option<String>>> {
        let o = self
            .program("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-F", "\u{1f}", "-R", "\u{1e}", "-P", "null=\u{1a}"])
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
            ])
            .args(["-c", sql])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split('\u{1f}')
                    .map(|f| (f != "\u{1a}").then(|| f.to_owned()))
                    .collect()
            })
            .collect()
    }

    /// `pg_dump` of database `db`: every byte it holds, as SQL text.
    pub fn dump(&self, db: &str) -> String {
        let o = self
            .program("pg_dump")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                db,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }
}

/// The password in every test URL: it must never be stored or printed.
pub const PASSWORD: &str = "pg-test-pw-7731";

fn program(bindir: &Path, as_postgres: bool, name: &str) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bindir.join(name));
        c
    } else {
        Command::new(bindir.join(name))
    }
}

fn start() -> Result<Cluster, String> {
    let bindir = bindir().ok_or("no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin); install the postgresql package")?;
    let as_postgres = is_root();
    let dir = tempfile::Builder::new()
        .prefix("catalog-pg-")
        .tempdir_in(std::env::temp_dir())
        .map_err(|e| e.to_string())?
        .keep();
    if as_postgres {
        let (uid, gid) = postgres_account()
            .ok_or("running as root and there is no postgres account to run the server as")?;
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path.
        if unsafe { libc::chown(c.as_ptr(), uid, gid) } != 0 {
            return Err(format!(
                "chown {}: {}",
                dir.display(),
                std::io::Error::last_os_error()
            ));
        }
    }
    let run = |mut c: Command, what: &str| -> Result<(), String> {
        let o = c
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{what}: {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ))
        }
    };
    let data = dir.join("data");
    let mut initdb = program(&bindir, as_postgres, "initdb");
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(initdb, "initdb")?;
    // TLS with a self-signed certificate; database `tlsonly` refuses
    // connections without it.
    let mut cert = Command::new("runuser");
    if !as_postgres {
        cert = Command::new("env");
    } else {
        cert.args(["-u", "postgres", "--"]);
    }
    cert.args([
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-keyout",
    ])
    .arg(data.join("server.key"))
    .arg("-out")
    .arg(data.join("server.crt"));
    run(cert, "openssl req (a certificate for the test server)")?;
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
    std::fs::write(
        &hba,
        format!("hostnossl tlsonly all 127.0.0.1/32 reject\n{rules}"),
    )
    .map_err(|e| e.to_string())?;
    // A port found free may be taken before the server binds it: retry.
    let mut last = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mut ctl = program(&bindir, as_postgres, "pg_ctl");
        ctl.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c max_connections=300 -c ssl=on",
                dir.display()
            ))
            .arg("start");
        match run(ctl, "pg_ctl start") {
            Ok(()) => {
                let cluster = Cluster {
                    bindir,
                    dir,
                    port,
                    as_postgres,
                };
                cluster.guard();
                return Ok(cluster);
            }
            Err(e) => last = e,
        }
    }
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    Err(format!("{last}\n{log}"))
}

impl Cluster {
    /// Stops the server when this process ends: at exit (panicking tests
    /// included: the harness exits normally), and from a watcher process
    /// should this one be killed.
    fn guard(&self) {
        let stop = format!(
            "{} {} -D {} -m immediate stop >/dev/null 2>&1; rm -rf {}",
            if self.as_postgres {
                "runuser -u postgres --"
            } else {
                ""
            },
            self.bindir.join("pg_ctl").display(),
            self.dir.join("data").display(),
            self.dir.display()
        );
        // The watcher: waits for this process to go, then stops the server.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {} 2>/dev/null; do sleep 1; done; {stop}",
                std::process::id()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        STOP.set(stop).ok();
        extern "C" fn at_exit() {
            if let Some(stop) = STOP.get() {
                let _ = Command::new("sh").arg("-c").arg(stop).status();
            }
        }
        // SAFETY: registering a plain extern "C" function.
        unsafe {
            libc::atexit(at_exit);
        }
    }
}

static STOP: OnceLock<String> = OnceLock::new();
