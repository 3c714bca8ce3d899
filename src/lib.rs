//! `catalog` harvests the model catalogs of AI providers (the Hugging Face Hub,
//! OpenRouter, Groq, Together, Google, ...) from each provider's own listing API,
//! normalizes every model into one [`record::Record`] with one price unit (USD
//! per 1M tokens), and writes the merged list as JSON, NDJSON or CSV.
//!
//! The binary is a thin shell over this library:
//!
//! * [`cli`] is the command line as typed, [`config`] validates it against the
//!   provider table ([`providers`]) and the environment;
//! * [`harvest`] fetches one provider page by page through [`http`], where all
//!   retry, pacing and credential rules live;
//! * [`run`] fans the providers out and streams records to [`output`].
//!
//! Harvesting one provider from code:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use catalog::{config::{Config, Env, ProcessEnv}, cli::Cli};
//! use clap::Parser;
//! let cli = Cli::parse_from(["catalog", "fetch", "-p", "hug", "--limit", "10"]);
//! let Config::Fetch(cfg) = Config::from_cli(cli, &ProcessEnv)? else { unreachable!() };
//! let report = catalog::run::fetch(cfg, &catalog::progress::Progress::hidden()).await?;
//! println!("{} models", report.total());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

/// Process set-up for a long harvest; call it first thing in `main`, before
/// any thread starts.
///
/// With glibc, every thread that allocates may get its own malloc arena, and a
/// record allocated while parsing (on a runtime worker) is freed after writing
/// (on the writer thread). Per-thread arenas then keep growing with the harvest
/// from fragmentation, and every cross-thread free takes another arena's lock.
/// One shared arena keeps the peak flat: measured with `examples/bench.rs`,
/// 1,000,000 models in pages of 1000 peaked at 16.2 MiB of which 3 MiB was this
/// growth, against 12.7 MiB with one arena, and ran faster. Elsewhere this does
/// nothing.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is thread-safe and its
    // argument is a valid parameter/value pair.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

pub mod cache;
pub mod cli;
pub mod config;
mod dedup;
pub mod diff;
pub mod error;
mod escape;
pub mod filter;
pub mod harvest;
pub mod http;
mod json;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod providers;
pub mod record;
pub mod run;
pub mod snapshot;
