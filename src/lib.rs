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

pub mod cache;
pub mod cli;
pub mod config;
pub mod diff;
pub mod error;
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
