//! `catalog` harvests the model catalogs of AI providers (the Hugging Face Hub,
//! OpenRouter, Groq, Together, Google, ...) from each provider's own listing API,
//! normalizes every model into one [`record::Record`] with one price unit (USD
//! per 1M tokens), and writes the merged list as JSON, NDJSON or CSV.
//!
//! The binary is a thin shell over this library. From the command line in:
//!
//! * [`cli`] is the command line as typed; [`config`] validates it against the
//!   provider table ([`providers`]) and the environment, and builds each
//!   command's input complete;
//! * [`commands`] holds one module per subcommand and the one mapping from
//!   how a command ended to the exit code ([`report`]);
//! * `pipeline` (the engine) plans each provider (cache, resume,
//!   incremental), runs their harvests concurrently and streams the records in
//!   order to `output` and the `cache`;
//! * [`harvest`] fetches one provider page by page, following `paging`,
//!   through [`http`], where all retry, pacing and credential rules live;
//! * [`record`] is the schema; `json` writes it, `escape` escapes its strings;
//! * [`identity`] gives every record its `canonical_id`, strongest evidence
//!   first: the Hub's inference-provider mapping, which `mapping` fetches and
//!   caches for a run beside the harvests.
//!
//! Harvesting one provider from code:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use catalog::{config::{Config, Env, ProcessEnv}, cli::Cli};
//! use clap::Parser;
//! let cli = Cli::parse_from(["catalog", "fetch", "-p", "hug", "--limit", "10"]);
//! let Config::Fetch(cfg) = Config::from_cli(cli, &ProcessEnv)? else { unreachable!() };
//! let report = catalog::commands::fetch::run(cfg, &catalog::progress::Progress::hidden()).await?;
//! println!("{} models", report.total());
//! # Ok(()) }
//! ```

#![warn(missing_docs, unreachable_pub)]

mod cache;
pub mod cli;
pub mod commands;
pub mod config;
mod dedup;
mod diff;
pub mod error;
mod escape;
mod filter;
pub mod harvest;
pub mod http;
pub mod identity;
mod json;
mod limit;
mod mapping;
mod output;
mod paging;
mod pipeline;
pub mod progress;
pub mod providers;
pub mod record;
pub mod report;
mod reserve;
mod store;
mod term;
