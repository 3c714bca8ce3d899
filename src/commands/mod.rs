//! The subcommands, one file each. [`execute`] runs a validated [`Config`] to
//! its end and decides the exit code: the one place where errors become
//! messages and numbers.

mod cache;
mod changes;
mod compare;
mod count;
mod diff;
mod docs;
pub mod fetch;
mod group;
mod history;
mod interrupt;
mod ls;
mod providers;
mod show;
pub mod snapshot;

pub use docs::{complete_if_asked, COMPLETE_VAR};

use std::io;
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::spawn_blocking;

use crate::config::Config;
use crate::diff::InputError;
use crate::error::UsageError;
use crate::progress::Progress;
use crate::report::ExitCode;
use crate::term::{sanitize, say};

/// Runs one command.
///
/// # Errors
/// Whatever stops the command as a whole (a provider's failure is not one:
/// it is in the report, and the exit code says partial).
pub async fn run(config: Config, progress: &Progress) -> anyhow::Result<ExitCode> {
    match config {
        Config::Fetch(cfg) => fetch::run(cfg, progress).await.map(|r| r.exit_code()),
        Config::Count(cfg) => count::run(cfg, progress).await.map(|r| r.exit_code()),
        Config::Ls(cfg) => ls::run(cfg, progress).await.map(|r| r.exit_code()),
        Config::Show(cfg) => show::run(cfg, progress).await.map(|r| r.exit_code()),
        Config::Compare(cfg) => compare::run(cfg, progress).await.map(|r| r.exit_code()),
        Config::Snapshot(cfg) => snapshot::run(cfg, progress).await.map(|r| r.report.exit_code()),
        Config::Providers(cfg) => providers::run(&cfg).map(|()| ExitCode::Ok),
        // Sync, and blocking on PostgreSQL: off the runtime's one thread,
        // which drives the connection meanwhile.
        Config::Diff(cfg) => spawn_blocking(move || diff::run(&cfg))
            .await
            .context("diff panicked")?,
        Config::Changes(cfg) => spawn_blocking(move || changes::run(&cfg))
            .await
            .context("changes panicked")?,
        Config::History(cfg) => spawn_blocking(move || history::run(&cfg))
            .await
            .context("history panicked")?,
        Config::Completions(shell) => docs::completions(shell).map(|()| ExitCode::Ok),
        Config::Man => docs::man().map(|()| ExitCode::Ok),
        Config::CacheList { cache, format } => cache::list(&cache, format).map(|()| ExitCode::Ok),
        Config::CacheClear { cache, provider } => {
            cache::clear(&cache, provider.as_deref()).map(|()| ExitCode::Ok)
        }
    }
}

/// The async runtime every command runs on: one thread, with blocking work
/// (writing the output, the database, the query commands) on the blocking
/// pool's threads.
///
/// Why one: the harvests are waits on the network and short bursts of
/// parsing; a scheduler of two workers woke the idle one to look for work
/// at every page and handed tasks between them. 50,000 Hub models in pages
/// of 100 on the realistic mock: CPU 0.964 and 0.968 of the two workers'
/// (`perf stat` task-clock, 15 and 21 alternating pairs, 14 and 18 lower),
/// 821 context switches a run against 1,028; one worker of the
/// multi-threaded scheduler changed nothing (1.009). The bench runs the
/// library on this same runtime.
///
/// # Errors
/// When the runtime cannot be made (no threads, no epoll).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// Runs `config` on a new async runtime until it ends or Ctrl-C, and turns
/// the end into an exit code (printing the error, if any, on stderr).
#[must_use]
pub fn execute(config: Config, progress: &Progress) -> ExitCode {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            say(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::Runtime;
        }
    };
    let stop = interrupt::Stop::of(&config);
    let result = runtime.block_on(async {
        tokio::select! {
            r = run(config, progress) => Ok(r),
            stop = stop_signal() => Err(stop),
        }
    });
    // Dropping the runtime cancels what is still in flight; an uncommitted
    // output file is removed by its drop, leaving any previous file in place.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Err((code, what)) => {
            progress.clear();
            let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
            for line in stop.lines(what, &args) {
                say(&line);
            }
            code
        }
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            progress.clear();
            fail(&e)
        }
    }
}

/// The first of Ctrl-C, SIGTERM and SIGHUP (what a terminal, cron, systemd
/// and `timeout` send): each stops the run the same way, with its own code.
async fn stop_signal() -> (ExitCode, &'static str) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => (ExitCode::Interrupted, "interrupted"),
                _ = term.recv() => (ExitCode::Terminated, "terminated"),
                _ = hup.recv() => (ExitCode::HungUp, "hung up"),
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    (ExitCode::Interrupted, "interrupted")
}

/// The exit code of an error, after saying it on stderr: a closed pipe is
/// success (`catalog fetch | head` is how a reader says it has enough), bad
/// input is a usage error, anything else a runtime error.
#[must_use]
pub fn fail(e: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::Ok;
    }
    if let Some(u) = e.downcast_ref::<UsageError>() {
        say(&format!("error: {u}"));
        return ExitCode::Usage;
    }
    if let Some(bad) = e.downcast_ref::<InputError>() {
        // The reason may quote the file's own bytes.
        say(&format!("error: {}", sanitize(&bad.to_string())));
        return ExitCode::Usage;
    }
    say(&format!("error: {e:#}"));
    ExitCode::Runtime
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
