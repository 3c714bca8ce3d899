//! `catalog`: harvest AI providers' model catalogs.
//!
//! ```text
//! catalog fetch -p hug --limit 1000 -o hf.json
//! catalog fetch --all -f ndjson | jq -c 'select(.price_input == 0)'
//! catalog count --all
//! catalog providers
//! ```

use std::io::{self, IsTerminal as _};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use catalog::cli::{Cli, ColorChoice};
use catalog::commands;
use catalog::config::{Config, ProcessEnv};
use catalog::progress::Progress;

fn main() -> ExitCode {
    tune_allocator();
    // A completion script asking for candidates gets them, and nothing else runs.
    commands::complete_if_asked();
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
        Ok(config) => {
            // Log lines are printed through the bars (see `Progress::log_writer`).
            let progress =
                Progress::new(config.shows_progress(), config.writes_data_to_stdout()).with_colour(color);
            init_logging(verbose, color, &progress);
            commands::execute(config, &progress)
        }
        Err(e) => commands::fail(&e.into()),
    };
    ExitCode::from(code.code())
}

/// With glibc, every thread that allocates may get its own malloc arena, and a
/// record allocated while parsing (on the runtime's thread) is freed after writing
/// (on the writer thread). Per-thread arenas then keep growing with the harvest
/// from fragmentation, and every cross-thread free takes another arena's lock.
/// One shared arena keeps the peak flat: measured with `examples/bench.rs`,
/// 1,000,000 models in pages of 1000 peaked at 16.2 MiB of which 3 MiB was this
/// growth, against 12.7 MiB with one arena, and ran faster. Elsewhere this does
/// nothing. It runs before any thread starts.
///
/// Each page's buffers (the inflated body, its records: ~0.6 MB each at 1000
/// models a page) are freed at the top of the heap, which glibc gave back to
/// the kernel each time (`brk`), only to fault the same pages in again for the
/// next page, and its moving mmap threshold sent some of them to `mmap` until
/// it adapted: 1,177-4,760 page faults and up to 400 `brk` calls in a 500-page
/// harvest, 642-777 and 13 with fixed thresholds. At 1 MiB both, page buffers
/// stay in the heap while larger blocks (the id index's filter, allocated at
/// its 1 MiB whatever its size, src/dedup.rs) are mapped apart and given back
/// when replaced: the whole Hub (2,200,000 models in pages of 1000) peaked at
/// 19.4 MiB, against 21.5 MiB with glibc's defaults and 21.1 MiB with a 4 MiB
/// trim threshold.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is thread-safe and its
    // argument is a valid parameter/value pair.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn init_logging(verbose: u8, color: bool, progress: &Progress) {
    // -vv: every crate's debug lines, and this one's trace level, at which
    // its request lines show whole URLs even on a terminal.
    let default = match verbose {
        0 => "catalog=warn",
        1 => "catalog=debug",
        _ => "debug,catalog=trace",
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
