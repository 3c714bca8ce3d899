//! `catalog`: harvest AI providers' model catalogs.
//!
//! ```text
//! catalog fetch -p hug --limit 1000 -o hf.json
//! catalog fetch --all -f ndjson | jq -c 'select(.price_input == 0)'
//! catalog count --all
//! catalog providers
//! ```

use std::io::{self, IsTerminal as _};
use std::process::ExitCode as ProcessExit;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use catalog::cli::{Cli, ColorChoice};
use catalog::config::{Config, ProcessEnv};
use catalog::error::UsageError;
use catalog::progress::Progress;
use catalog::run::{self, ExitCode};

fn main() -> ProcessExit {
    catalog::tune_allocator();
    let cli = Cli::parse();
    let verbose = cli.verbose;
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let code = match Config::from_cli(cli, &ProcessEnv) {
        Ok(config) => execute(config, verbose, color),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::Usage
        }
    };
    ProcessExit::from(code as u8)
}

fn execute(config: Config, verbose: u8, color: bool) -> ExitCode {
    let show_progress = match &config {
        Config::Fetch(f) => f.run.progress,
        Config::Count(c) => c.run.progress,
        Config::Snapshot(s) => s.run.progress,
        _ => false,
    };
    // Log lines are printed through the bars (see `Progress::log_writer`).
    let progress = Progress::new(show_progress);
    init_logging(verbose, color, &progress);

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::Runtime;
        }
    };
    let result = runtime.block_on(async {
        let work = async {
            match config {
                Config::Fetch(cfg) => run::fetch(cfg, &progress).await.map(|r| r.exit_code()),
                Config::Count(cfg) => run::count(cfg, &progress).await.map(|r| r.exit_code()),
                Config::Snapshot(cfg) => catalog::snapshot::snapshot(cfg, &progress)
                    .await
                    .map(|r| r.report.exit_code()),
                Config::Providers(cfg) => run::providers(&cfg).map(|()| ExitCode::Ok),
                Config::Diff(cfg) => run::diff(&cfg),
                Config::Completions(shell) => run::completions(shell).map(|()| ExitCode::Ok),
                Config::Man => run::man().map(|()| ExitCode::Ok),
                Config::CacheList { cache, format } => run::cache_list(&cache, format).map(|()| ExitCode::Ok),
                Config::CacheClear { cache, provider } => {
                    run::cache_clear(&cache, provider.as_deref()).map(|()| ExitCode::Ok)
                }
            }
        };
        tokio::select! {
            r = work => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    // Dropping the runtime cancels what is still in flight; an uncommitted
    // output file is removed by its drop, leaving any previous file in place.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        None => {
            progress.clear();
            eprintln!("interrupted");
            ExitCode::Interrupted
        }
        Some(Ok(code)) => code,
        Some(Err(e)) if is_broken_pipe(&e) => ExitCode::Ok,
        Some(Err(e)) => {
            progress.clear();
            if let Some(u) = e.downcast_ref::<UsageError>() {
                eprintln!("error: {u}");
                return ExitCode::Usage;
            }
            if let Some(bad) = e.downcast_ref::<catalog::diff::InputError>() {
                eprintln!("error: {}", catalog::run::sanitize(&bad.to_string()));
                return ExitCode::Usage;
            }
            eprintln!("error: {e:#}");
            ExitCode::Runtime
        }
    }
}

/// A closed pipe (`catalog fetch | head`) is how the reader says it has
/// enough: exit quietly with success.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn init_logging(verbose: u8, color: bool, progress: &Progress) {
    let default = match verbose {
        0 => "catalog=warn",
        1 => "catalog=debug",
        _ => "debug",
    };
    let filter = if verbose == 0 {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
    } else {
        EnvFilter::new(default)
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress.log_writer())
        .with_target(false)
        .without_time()
        .with_ansi(color)
        .try_init();
}
