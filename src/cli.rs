//! The command line as typed: clap types only, no logic. [`crate::config`]
//! turns it into a validated configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  every requested provider succeeded (providers skipped for a missing key included)
  1  runtime error: e.g. the output could not be written
  2  usage error: bad flag, unknown provider, unwritable output, missing key
  3  partial: at least one provider failed; the others' records were written
  130, 143, 129  stopped by Ctrl-C, SIGTERM, SIGHUP (the previous output file is kept)";

/// `--batch-size`, `defaults.batch_size` and a provider's `page_size`.
pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<i64> = 1..=1000;
/// `--delay-ms` and a provider's `delay_ms`.
pub(crate) const DELAYS_MS: std::ops::RangeInclusive<u64> = 0..=3_600_000;

/// Harvest the model catalogs of AI providers into one normalized list.
#[derive(Debug, Parser)]
#[command(
    name = "catalog",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("CATALOG_GIT_REV"), ")"),
    about,
    after_help = EXIT_CODES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// More diagnostics on stderr: -v requests and retries, -vv everything (RUST_LOG also works).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// When to colour stderr: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: ColorChoice,

    /// Config file with your own providers and defaults [default: $CATALOG_CONFIG, else
    /// $XDG_CONFIG_HOME/catalog/config.toml].
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch providers' model lists and write them as JSON, NDJSON or CSV.
    #[command(after_help = concat!(
        "Examples:\n",
        "  catalog fetch -p hug --limit 1000 -o hf.json\n",
        "  catalog fetch --all -f ndjson | jq -c 'select(.price_input == 0)'\n",
        "  catalog fetch -p openrouter,groq -o models.csv\n\n",
        "Exit codes:\n",
        "  0 ok, 1 runtime error, 2 usage error, 3 partial (a provider failed, the rest were written)"
    ))]
    Fetch(FetchArgs),
    /// Count the models of each provider, and the distinct total.
    #[command(after_help = concat!(
        "Examples:\n",
        "  catalog count --all\n",
        "  catalog count -p hug --limit 5000 -f json\n\n",
        "Exit codes:\n",
        "  0 ok, 1 runtime error, 2 usage error, 3 partial (a provider failed)"
    ))]
    Count(CountArgs),
    /// Fetch and write a timestamped snapshot file, unless nothing changed.
    #[command(after_help = concat!(
        "Writes DIR/catalog-YYYYMMDDTHHMMSSZ.ndjson (or .json/.csv, + .gz with --gzip) atomically,\n",
        "without the fetched_at field so unchanged data gives identical files. When the content equals\n",
        "the newest snapshot in DIR nothing is written. stderr gets a one-line summary of the changes.\n",
        "No snapshot is written when a provider fails (use --stale-ok to fill it from the cache).\n\n",
        "Examples:\n",
        "  catalog snapshot --dir /var/lib/catalog --all --gzip\n",
        "  catalog snapshot --dir snaps -p hug --incremental\n\n",
        "Exit codes:\n",
        "  0 written or unchanged, 1 runtime error, 2 usage error, 3 a provider failed (nothing written)"
    ))]
    Snapshot(SnapshotArgs),
    /// Compare two catalog files: added, removed and changed models.
    #[command(after_help = concat!(
        "Inputs may be any format catalog writes (JSON, NDJSON, CSV), gzip-compressed or not.\n\n",
        "Examples:\n",
        "  catalog diff old.ndjson new.ndjson\n",
        "  catalog diff a.json.gz b.json.gz -f ndjson --only price | jq .\n\n",
        "Exit codes (like diff):\n",
        "  0 no differences, 1 differences, 2 bad input or usage"
    ))]
    Diff(DiffArgs),
    /// What changed in the history database: added, removed and changed models.
    #[command(after_help = concat!(
        "Compares the catalog as the database held it at --since with the catalog at --until,\n",
        "and prints what differs as `catalog diff` prints it for two files.\n\n",
        "Examples:\n",
        "  catalog changes --since 24h\n",
        "  catalog changes --since 2026-11-01 --until 2026-12-01 -p openrouter --only price\n",
        "  catalog changes --since 1h -f ndjson | jq -c 'select(.change == \"added\")'\n\n",
        "Exit codes:\n",
        "  0 ok (with or without changes), 1 runtime error, 2 usage error (no such database included)"
    ))]
    Changes(ChangesArgs),
    /// Every recorded version of one model, with the time each was valid.
    #[command(after_help = concat!(
        "Examples:\n",
        "  catalog history openrouter/openai/gpt-4o\n",
        "  catalog history openrouter/openai/gpt-4o --field price_input -f csv\n\n",
        "Exit codes:\n",
        "  0 ok, 1 runtime error, 2 usage error (unknown provider or model included)"
    ))]
    History(HistoryArgs),
    /// Inspect or clear the on-disk cache.
    #[command(
        subcommand,
        after_help = "Examples:\n  catalog cache ls\n  catalog cache ls -f json | jq '.[] | {provider, models, age_seconds}'\n  catalog cache clear -p hug"
    )]
    Cache(CacheCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  catalog completions bash > ~/.local/share/bash-completion/completions/catalog\n  catalog completions zsh > ~/.zfunc/_catalog\n  catalog completions fish > ~/.config/fish/completions/catalog.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  catalog man > ~/.local/share/man/man1/catalog.1 && man catalog")]
    Man,
    /// List the known providers, their endpoints and key variables.
    #[command(
        after_help = "Examples:\n  catalog providers\n  catalog providers -f json | jq '.[] | select(.key_set)'"
    )]
    Providers(ProvidersArgs),
}

/// Which providers to ask.
#[derive(Debug, Args)]
#[command(next_help_heading = "Providers")]
pub struct Selection {
    /// Provider(s) to fetch; repeat or separate with commas (see `catalog providers`).
    #[arg(short, long = "provider", value_name = "NAME", value_delimiter = ',')]
    pub providers: Vec<String>,

    /// Every known provider (those needing a key are skipped when it is not set).
    #[arg(long, conflicts_with = "providers")]
    pub all: bool,
}

/// How to harvest.
#[derive(Debug, Args)]
#[command(next_help_heading = "Harvest")]
pub struct Harvest {
    /// Maximum models per provider [default: 50000 for hug, all for the others].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Page size for paginated listings, 1..=1000 [default: 100 for hug].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(PAGE_SIZES))]
    pub batch_size: Option<u32>,

    /// Minimum milliseconds between the starts of anonymous requests [default: 500 for hug].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(DELAYS_MS))]
    pub delay_ms: Option<u64>,

    /// Retries of a request after a transient failure (timeouts, 408, 429, 5xx).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,

    /// Connect and read timeout of one request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Longest wait accepted for a rate-limit window, in seconds; longer fails the provider.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_wait: u64,

    /// Pages one provider may take; a listing that goes on longer fails (an endless listing
    /// would otherwise never end).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: u64,

    /// Providers harvested at once; the others wait their turn, in order.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: u16,

    /// Hugging Face: only models whose id contains this text.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Hugging Face: only models of this user or organization.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,

    /// Hugging Face: sort key (descending).
    #[arg(long, value_enum, value_name = "KEY")]
    pub sort: Option<HubSort>,

    /// Hugging Face: only models of this task, e.g. text-generation.
    #[arg(long, value_name = "TAG")]
    pub pipeline_tag: Option<String>,
}

/// Hugging Face sort keys.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "verbatim")]
pub enum HubSort {
    /// Downloads in the last 30 days.
    #[value(name = "downloads")]
    Downloads,
    /// Likes.
    #[value(name = "likes")]
    Likes,
    /// Last modification.
    #[value(name = "lastModified")]
    LastModified,
    /// Creation.
    #[value(name = "createdAt")]
    CreatedAt,
    /// Trending score.
    #[value(name = "trendingScore")]
    TrendingScore,
}

/// How people-facing output behaves.
#[derive(Debug, Args)]
#[command(next_help_heading = "Display")]
pub struct DisplayArgs {
    /// No progress bars.
    #[arg(long)]
    pub no_progress: bool,

    /// No progress bars and no summary; only errors on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How the cache is used.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cache")]
pub struct CacheArgs {
    /// Cache directory [default: $XDG_CACHE_HOME/catalog or the platform's cache dir].
    #[arg(long, value_name = "DIR", env = "CATALOG_CACHE_DIR", hide_env_values = true)]
    pub cache_dir: Option<PathBuf>,

    /// Serve a provider from a cache entry younger than this (90s, 15m, 1h, 2d)
    /// [default: 1h for count; fetch and snapshot always ask the providers].
    #[arg(long, value_name = "AGE")]
    pub max_age: Option<String>,

    /// Ignore cached entries (still refresh them).
    #[arg(long, conflicts_with_all = ["offline", "max_age"])]
    pub refresh: bool,

    /// Use only the cache, stale entries included; no network.
    #[arg(long)]
    pub offline: bool,

    /// When a provider fails, use its last good cached copy (the summary says so).
    #[arg(long, conflicts_with = "offline")]
    pub stale_ok: bool,

    /// Neither read nor write the cache.
    #[arg(long, conflicts_with_all = ["refresh", "offline", "stale_ok", "max_age"])]
    pub no_cache: bool,
}

/// Recording into the history database.
#[derive(Debug, Args)]
#[command(next_help_heading = "Database")]
pub struct StoreArgs {
    /// Also record the harvest in the history database: a path or sqlite:PATH
    /// [default: $CATALOG_DB, else $XDG_DATA_HOME/catalog/catalog.db]. Write `--db=URL`
    /// when a value follows that is not the database.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub db: Option<String>,
}

/// Incremental and resumable harvests.
#[derive(Debug, Args)]
#[command(next_help_heading = "Incremental")]
pub struct Modes {
    /// Hugging Face: fetch only models modified since the cached harvest (sorted by
    /// lastModified) and merge them into it. Deletions are seen only by full refreshes.
    #[arg(long, conflicts_with_all = ["offline", "no_cache", "sort"])]
    pub incremental: bool,

    /// Continue an interrupted paged harvest from its checkpoint.
    #[arg(long, conflicts_with_all = ["offline", "no_cache", "incremental"])]
    pub resume: bool,
}

/// `catalog fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Provider selection.
    #[command(flatten)]
    pub selection: Selection,
    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Output format [default: from the -o extension, else json].
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,

    /// Output file, written atomically; `-` or absent for stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Add each provider's original object as `raw` (JSON and NDJSON only).
    #[arg(long)]
    pub raw: bool,

    /// Output only these fields, in this order (e.g. id,provider,price_input).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub fields: Vec<String>,

    /// CSV for spreadsheets: prefix cells starting with =, +, -, @ with ' so they are not run as formulas.
    #[arg(long)]
    pub csv_safe: bool,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// Incremental and resumable harvests.
    #[command(flatten)]
    pub modes: Modes,

    /// The history database.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// Provider selection.
    #[command(flatten)]
    pub selection: Selection,
    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: SummaryFormat,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Directory of the snapshot files (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,

    /// Provider selection.
    #[command(flatten)]
    pub selection: Selection,

    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Snapshot format.
    #[arg(short, long, value_enum, default_value = "ndjson")]
    pub format: Format,

    /// Compress the snapshot (.gz).
    #[arg(long)]
    pub gzip: bool,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// Incremental and resumable harvests.
    #[command(flatten)]
    pub modes: Modes,

    /// The history database.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older catalog file.
    pub old: PathBuf,
    /// The newer catalog file.
    pub new: PathBuf,

    /// Output format: a table for people, JSON or NDJSON (one change per line) for scripts.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DiffFormat,

    /// Only these kinds of change: added, removed, changed, or the fields price (all prices),
    /// context, output, modalities, name, capabilities, details (quantization, knowledge
    /// cutoff, expiry) (comma-separated).
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Where the query commands read the history.
#[derive(Debug, Args)]
pub struct DbArg {
    /// The history database: a path or sqlite:PATH [default: $CATALOG_DB, else
    /// $XDG_DATA_HOME/catalog/catalog.db].
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

/// `catalog changes`.
#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// From the catalog at this point: a duration back from now (1h, 24h, 7d), a date or
    /// RFC 3339 time, or a run id (the state before that run) [default: 24h].
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// To the catalog at this point (same forms; a run id: after that run) [default: now].
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only these providers; repeat or separate with commas.
    #[arg(short, long = "provider", value_name = "NAME", value_delimiter = ',')]
    pub providers: Vec<String>,

    /// Only these kinds of change, as for `catalog diff --only`.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: ChangesFormat,

    /// The database.
    #[command(flatten)]
    pub db: DbArg,
}

/// `catalog history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The model, as PROVIDER/ID (e.g. openrouter/openai/gpt-4o).
    #[arg(value_name = "PROVIDER/ID")]
    pub model: String,

    /// Show this field's value in each version (e.g. price_input) instead of what changed.
    #[arg(long, value_name = "FIELD")]
    pub field: Option<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: ChangesFormat,

    /// The database.
    #[command(flatten)]
    pub db: DbArg,
}

/// Formats of `changes` and `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChangesFormat {
    /// Lines for people.
    Table,
    /// One JSON document.
    Json,
    /// One object per line.
    Ndjson,
    /// Header and rows.
    Csv,
}

/// `catalog cache ...`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cache entries: provider, age, models, size.
    #[command(
        after_help = "Examples:\n  catalog cache ls\n  catalog cache ls -f json --cache-dir /var/cache/catalog"
    )]
    Ls {
        /// Cache directory.
        #[arg(long, value_name = "DIR", env = "CATALOG_CACHE_DIR", hide_env_values = true)]
        cache_dir: Option<PathBuf>,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        format: SummaryFormat,
    },
    /// Remove cache entries and checkpoints (all, or one provider's).
    #[command(after_help = "Examples:\n  catalog cache clear\n  catalog cache clear -p openrouter")]
    Clear {
        /// Only this provider's entries.
        #[arg(short, long = "provider", value_name = "NAME")]
        provider: Option<String>,
        /// Cache directory.
        #[arg(long, value_name = "DIR", env = "CATALOG_CACHE_DIR", hide_env_values = true)]
        cache_dir: Option<PathBuf>,
    },
}

/// Diff formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Aligned lines for people.
    Table,
    /// One JSON document.
    Json,
    /// One change per line.
    Ndjson,
}

/// `catalog providers`.
#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: SummaryFormat,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Which records are written or counted (`--filter`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Selection")]
pub struct Records {
    /// Only models matching every condition: task=T, modality=M, capability=C, free (every
    /// stated price 0), max-price-input=USD, max-price-output=USD, min-context=N, owned-by=ORG
    /// (repeat or comma-separate).
    #[arg(long, value_name = "COND")]
    pub filter: Vec<String>,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SummaryFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for scripts.
    Json,
}
