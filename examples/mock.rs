//! A local mock of every provider, for trying `catalog` offline.
//!
//! Serves the recorded listings in `tests/fixtures/` for the 13 API providers
//! and a synthetic Hugging Face Hub (pages with `Link` cursors, `RateLimit`
//! headers, and the real Hub's habit of ignoring `offset`), all on one port of
//! 127.0.0.1 (any free one unless `--port` says).
//!
//! ```sh
//! cargo run --example mock -- -- bash                 # a shell pointed at the mock; `exit` stops it
//! cargo run --example mock -- -- catalog count --all  # or one command
//! cargo run --example mock -- --env-file mock.env &   # or in the background: mock.env appears once it listens
//! ```
//!
//! Nothing is announced before the server listens with every provider
//! mounted: a command given after `--` starts only then, the env file is
//! written only then, and only then does stderr get the line
//! `READY http://127.0.0.1:PORT ...` (the only line starting with `READY`).
//! Building the mock takes minutes the first time, so a fixed `sleep` before
//! the first request is never enough; waiting on one of these always is.
//!
//! The endpoints are set as `CATALOG_<NAME>_URL` variables, and only those:
//! in the command's environment, or as `export` lines in the env file (written
//! to a temporary file and renamed, so it never exists half-written; removed
//! again on Ctrl-C or SIGTERM), or on stdout when neither is given. Never in
//! the caller's own shell, and never a key: the mock accepts any non-empty key
//! for the providers whose listing needs one. A command run by the mock gets a
//! placeholder key (`mock-key`) for each such provider none of whose key
//! variables is set, so `catalog count --all` there covers every provider; a
//! key that is set is left as it is (and goes to the mock on 127.0.0.1).
//!
//! With a command the mock exits with its status; otherwise it runs until
//! Ctrl-C or SIGTERM.

// The mock serves through the test helpers; the rest of them (request logs,
// lookups) it has no use for.
#[allow(dead_code, reason = "the mock uses only part of the test helpers")]
#[path = "../tests/it/common/hub.rs"]
mod hub;
#[allow(dead_code, reason = "the mock uses only part of the test helpers")]
#[path = "../tests/it/common/providers.rs"]
mod providers;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use hub::{FakeHub, Faults};
use providers::{builtin, mount, mount_any_key, mount_hub, spec, url_env, PROVIDERS};
use wiremock::MockServer;

const USAGE: &str =
    "usage: mock [--port N] [--hub-models 5000] [--hub-quota 500] [--env-file PATH] [-- COMMAND [ARG]...]";

/// The key a command run by the mock gets for a keyed provider whose key is unset.
const PLACEHOLDER_KEY: &str = "mock-key";

struct Options {
    /// 0: any free port.
    port: u16,
    hub_models: usize,
    hub_quota: u64,
    env_file: Option<PathBuf>,
    command: Vec<OsString>,
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let mut opts = Options {
        port: 0,
        hub_models: 5000,
        hub_quota: 500,
        env_file: None,
        command: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = arg.to_string_lossy().into_owned();
        if name == "--" {
            opts.command = args.collect();
            if opts.command.is_empty() {
                return Err("`--` must be followed by a command".into());
            }
            break;
        }
        let mut value = || args.next().ok_or_else(|| format!("{name} takes a value"));
        let number = |v: OsString| -> Result<u64, String> {
            v.to_string_lossy()
                .parse()
                .map_err(|_| format!("{name} takes a number"))
        };
        match name.as_str() {
            "--port" => {
                opts.port = u16::try_from(number(value()?)?).map_err(|_| "--port is a TCP port")?;
            }
            "--hub-models" => {
                opts.hub_models = usize::try_from(number(value()?)?).map_err(|_| "--hub-models too large")?;
            }
            "--hub-quota" => opts.hub_quota = number(value()?)?,
            "--env-file" => opts.env_file = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {name:?}")),
        }
    }
    Ok(opts)
}

/// The env file's text: one `export` line per endpoint variable.
fn exports(endpoints: &[(String, String)]) -> String {
    endpoints
        .iter()
        .map(|(var, url)| format!("export {var}='{url}'\n"))
        .collect()
}

/// For each provider whose listing needs a key and none of whose key
/// variables is set (blank counts as unset, as for `catalog`): its name and
/// first key variable, which the command gets [`PLACEHOLDER_KEY`] in.
fn placeholder_keys(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    builtin()
        .iter()
        .filter(|spec| spec.needs_key && !spec.key_env.iter().any(|var| is_set(var)))
        .map(|spec| (spec.name.as_str(), spec.key_env[0].as_str()))
        .collect()
}

/// Writes `text` to `path` by way of a temporary file beside it, so a reader
/// waiting for `path` never sees it half-written.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "-h" || a == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse(args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("mock: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let listener = match std::net::TcpListener::bind(("127.0.0.1", opts.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock: cannot listen on 127.0.0.1:{}: {e}", opts.port);
            return ExitCode::FAILURE;
        }
    };
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    for p in PROVIDERS {
        if spec(p.name).needs_key {
            mount_any_key(&server, p).await;
        } else {
            mount(&server, p, None).await;
        }
    }
    let hub = FakeHub::new(opts.hub_models).with_faults(Faults {
        quota: Some((opts.hub_quota, 300)),
        ..Faults::default()
    });
    mount_hub(&server, hub).await;
    let endpoints = url_env(&server);
    // From here on every provider answers: only now is anything announced.
    let ready = format!(
        "READY {} (mock providers; Hub: {} models)",
        server.uri(),
        opts.hub_models
    );

    if !opts.command.is_empty() {
        return run_command(&opts.command, &endpoints, &ready).await;
    }
    match &opts.env_file {
        Some(path) => {
            if let Err(e) = write_atomically(path, &exports(&endpoints)) {
                eprintln!("mock: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(exports(&endpoints).as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("{ready}; Ctrl-C to stop");
    stopped().await;
    if let Some(path) = &opts.env_file {
        // Its endpoints die with the mock.
        let _ = std::fs::remove_file(path);
    }
    ExitCode::SUCCESS
}

/// Runs `command` with the endpoints (and placeholder keys) in its
/// environment, and ends with its status.
async fn run_command(command: &[OsString], endpoints: &[(String, String)], ready: &str) -> ExitCode {
    let placeholders =
        placeholder_keys(|var| std::env::var_os(var).is_some_and(|v| !v.to_string_lossy().trim().is_empty()));
    let mut line = format!("{ready}; running {}", command[0].to_string_lossy());
    if !placeholders.is_empty() {
        let names: Vec<&str> = placeholders.iter().map(|(name, _)| *name).collect();
        line.push_str(&format!(" (placeholder keys for {})", names.join(", ")));
    }
    eprintln!("{line}");
    // Ctrl-C reaches the command too (same terminal); the mock outlives it
    // until the command has ended, as a shell does for its child.
    let _sigint = ignore_interrupts();
    let mut child = match std::process::Command::new(&command[0])
        .args(&command[1..])
        .envs(endpoints.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(placeholders.iter().map(|(_, var)| (*var, PLACEHOLDER_KEY)))
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("mock: cannot run {}: {e}", command[0].to_string_lossy());
            return ExitCode::from(127);
        }
    };
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("the wait does not panic");
    match status {
        Ok(status) => exit_code(status),
        Err(e) => {
            eprintln!("mock: waiting for the command: {e}");
            ExitCode::FAILURE
        }
    }
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX));
        }
    }
    ExitCode::from(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// Installs a SIGINT handler that does nothing, at once (not on first poll),
/// for as long as the returned task lives.
fn ignore_interrupts() -> Option<tokio::task::JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut sigint = signal(SignalKind::interrupt()).ok()?;
        Some(tokio::spawn(
            async move { while sigint.recv().await.is_some() {} },
        ))
    }
    #[cfg(not(unix))]
    {
        Some(tokio::spawn(async {
            while tokio::signal::ctrl_c().await.is_ok() {}
        }))
    }
}

/// Ctrl-C, or SIGTERM (`kill`).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
