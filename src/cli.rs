//! The command line as typed: clap types only, no logic. [`crate::config`]
//! turns it into a validated configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// The exit codes, for `catalog --help`.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  every requested provider succeeded (providers skipped for a missing key included)
  1  runtime error: e.g. the output could not be written
  2  usage error: bad flag, unknown provider, unwritable output, missing key
  3  partial: at least one provider failed; the others' records were written
  130, 143, 129  stopped by Ctrl-C, SIGTERM, SIGHUP (the previous output file is kept)"
    };
}

/// The environment variables read, in short (`-h`).
macro_rules! env_short {
    () => {
        "\
Environment (each one explained with --help):
  keys: HF_TOKEN, OPENROUTER_API_KEY, GROQ_API_KEY, ... (`catalog providers` lists them);
  CATALOG_<NAME>_URL, HF_ENDPOINT, CATALOG_CONFIG, CATALOG_CACHE_DIR, CATALOG_DB, NO_COLOR, RUST_LOG"
    };
}

/// Every environment variable read (`--help`). The keys are the built-in
/// table's (`providers.toml`); a test holds the two together.
macro_rules! env_long {
    () => {
        "\
Environment:
  Keys (of each provider, the first one set is used; `catalog providers` shows which):
    openrouter   OPENROUTER_API_KEY
    portkey      PORTKEY_API_KEY (required)
    featherless  FEATHERLESS_API_KEY
    deepinfra    DEEPINFRA_API_KEY, DEEPINFRA_TOKEN
    hug          HUG_API_KEY, HF_TOKEN, HUGGING_FACE_HUB_TOKEN
    chutes       CHUTES_API_KEY
    groq         GROQ_API_KEY (required)
    together     TOGETHER_API_KEY (required)
    fireworks    FIREWORKS_API_KEY (required)
    google       GEMINI_API_KEY, GOOGLE_API_KEY (required)
    xai          XAI_API_KEY (required)
    nebius       NEBIUS_API_KEY (required)
    cerebras     CEREBRAS_API_KEY (required)
    novita       NOVITA_API_KEY (required)
    a provider of the config file: its key_env
  CATALOG_<NAME>_URL  a provider's listing URL in place of its own (CATALOG_GROQ_URL, ...);
                      the provider's key is sent there
  HF_ENDPOINT         the Hub's base URL (a mirror), as for huggingface_hub
  CATALOG_CONFIG      the config file when --config is not given
  CATALOG_CACHE_DIR   the cache directory when --cache-dir is not given
  CATALOG_DB          the history database of --db without a path, changes and history
  XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, HOME
                      where the config file, the cache and the database are by default:
                      $XDG_CONFIG_HOME/catalog/config.toml, $XDG_CACHE_HOME/catalog,
                      $XDG_DATA_HOME/catalog/catalog.db
                      (unset: under ~/.config, ~/.cache, ~/.local/share; on macOS, ~/Library)
  TMPDIR              temporary files: a long harvest's index of ids, diff -f json's changes
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
                      the proxy for requests (lower case too)
  COLUMNS, LINES      on a terminal, its width and height in place of what it says (bars,
                      tables, log lines)
  NO_COLOR            no colour with --color auto
  RUST_LOG            the log filter when no -v is given, e.g. RUST_LOG=catalog=debug
  CATALOG_COMPLETE    set by the completion scripts, to ask for candidates
  CATALOG_TEST_*      for the test suite only"
    };
}

macro_rules! fetch_examples {
    () => {
        "\
Examples:
  catalog fetch -p hug --limit 1000 -o hf.json
  catalog fetch --all -f ndjson | jq -c 'select(.price_input == 0)'
  catalog fetch -p openrouter,groq -o models.csv

"
    };
}

macro_rules! fetch_exit_codes {
    () => {
        "\
Exit codes:
  0 ok, 1 runtime error, 2 usage error, 3 partial (a provider failed, the rest were written)"
    };
}

macro_rules! count_examples {
    () => {
        "\
Examples:
  catalog count --all
  catalog count -p hug --limit 5000 -f json

"
    };
}

macro_rules! count_exit_codes {
    () => {
        "\
Exit codes:
  0 ok, 1 runtime error, 2 usage error, 3 partial (a provider failed)"
    };
}

macro_rules! snapshot_examples {
    () => {
        "\
Writes DIR/catalog-YYYYMMDDTHHMMSSZ.ndjson (or .json/.csv, + .gz with --gzip) atomically,
without the fetched_at field so unchanged data gives identical files. When the content equals
the newest snapshot in DIR nothing is written. stderr gets a one-line summary of the changes.
No snapshot is written when a provider fails (use --stale-ok to fill it from the cache).

Examples:
  catalog snapshot --dir /var/lib/catalog --all --gzip
  catalog snapshot --dir snaps -p hug --incremental

"
    };
}

macro_rules! snapshot_exit_codes {
    () => {
        "\
Exit codes:
  0 written or unchanged, 1 runtime error, 2 usage error, 3 a provider failed (nothing written)"
    };
}

macro_rules! ls_text {
    () => {
        concat!(
            "Columns by default: provider, id, context (tokens), in $/1M and out $/1M (USD per 1M input\n",
            "and output tokens), capabilities; `-` is unknown. On a terminal the table is cut to its width.\n",
            "--sort: prices cheapest first; context, created and downloads largest/newest first; id A to Z;\n",
            "unknown values last (--reverse turns the order around, unknown still last).\n\n",
            "Examples:\n",
            "  catalog ls -p openrouter --sort price_input -n 20\n",
            "  catalog ls --all --filter capability=tools,min-context=128000 --sort context\n",
            "  catalog ls -p groq --fields id,context_length,max_output_tokens,price_input\n",
            "  catalog ls --all --group-by canonical --sort price_input\n",
            "  catalog ls -p hug --hub-sort trendingScore --limit 100 -n 10 --fields id,downloads,likes\n\n"
        )
    };
}

macro_rules! ls_exit_codes {
    () => {
        "Exit codes:\n  0 ok, 1 runtime error, 2 usage error, 3 partial (a provider failed; the others are listed)"
    };
}

macro_rules! show_text {
    () => {
        concat!(
            "MODEL is PROVIDER/ID (the provider is the part before the first /), or the id alone with\n",
            "-p NAME. Served from the cache when fresh, like ls and count.\n\n",
            "Examples:\n",
            "  catalog show openrouter/openai/gpt-4o\n",
            "  catalog show hug/meta-llama/Llama-3.3-70B-Instruct --raw\n",
            "  catalog show -p groq llama-3.3-70b-versatile -f json | jq .price_input\n\n"
        )
    };
}

macro_rules! compare_text {
    () => {
        concat!(
            "MODEL is any provider's id of the model (llama-3.3-70b-versatile), a Hugging Face id\n",
            "(meta-llama/Llama-3.3-70B-Instruct) or a canonical id (llama3.3-70b-instruct): the record with\n",
            "that id decides the canonical id, else MODEL's own key does. Every record with that canonical\n",
            "id is a row, cheapest first: by the cost of --tokens IN:OUT (IN/1e6 * in $/1M + OUT/1e6 *\n",
            "out $/1M, in USD), else by in $/1M + out $/1M; unknown prices last, never 0. Without -p every\n",
            "provider but the Hub's repository listing (hug) is asked, and --all asks hug too (those needing\n",
            "a key are skipped without it).\n",
            "Served from the cache when fresh, like ls.\n\n",
            "Examples:\n",
            "  catalog compare meta-llama/Llama-3.3-70B-Instruct\n",
            "  catalog compare llama-3.3-70b-versatile --tokens 1000000:200000\n",
            "  catalog compare deepseek-r1-0528 --filter capability=tools -f json\n\n"
        )
    };
}

macro_rules! compare_exit_codes {
    () => {
        "Exit codes:\n  0 ok, 1 runtime error, 2 usage error or no provider serves MODEL, 3 a provider failed"
    };
}

macro_rules! show_exit_codes {
    () => {
        "Exit codes:\n  0 ok, 1 runtime error, 2 usage error or no such model, 3 the provider failed"
    };
}

/// The heading of the options every command takes, shown after a command's own.
const GLOBAL: &str = "Global options";

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
    after_help = concat!(env_short!(), "\n\n", exit_codes!()),
    after_long_help = concat!(env_long!(), "\n\n", exit_codes!()),
    propagate_version = true,
    max_term_width = 100,
    // Our own -h and -V, under the global heading (clap's would head every
    // command's options).
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// More diagnostics on stderr: -v requests and retries, -vv everything (RUST_LOG also works).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = GLOBAL)]
    pub verbose: u8,

    /// When to colour stderr: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true,
        help_heading = GLOBAL
    )]
    pub color: ColorChoice,

    /// Config file with your own providers and defaults [default: $CATALOG_CONFIG, else
    /// $XDG_CONFIG_HOME/catalog/config.toml].
    #[arg(long, value_name = "PATH", global = true, help_heading = GLOBAL)]
    pub config: Option<PathBuf>,

    /// Print help (-h a summary, --help all of it with the environment variables).
    #[arg(short, long, action = clap::ArgAction::Help, global = true, help_heading = GLOBAL)]
    pub help: Option<bool>,

    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::Version, global = true, help_heading = GLOBAL)]
    pub version: Option<bool>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch providers' model lists and write them as JSON, NDJSON or CSV.
    #[command(
        after_help = concat!(fetch_examples!(), env_short!(), "\n\n", fetch_exit_codes!()),
        after_long_help = concat!(fetch_examples!(), env_long!(), "\n\n", fetch_exit_codes!())
    )]
    Fetch(FetchArgs),
    /// Count the models of each provider, and the distinct total.
    #[command(
        after_help = concat!(count_examples!(), env_short!(), "\n\n", count_exit_codes!()),
        after_long_help = concat!(count_examples!(), env_long!(), "\n\n", count_exit_codes!())
    )]
    Count(CountArgs),
    /// List models as a table for people (from the cache when fresh).
    #[command(
        after_help = concat!(ls_text!(), env_short!(), "\n\n", ls_exit_codes!()),
        after_long_help = concat!(ls_text!(), env_long!(), "\n\n", ls_exit_codes!())
    )]
    Ls(LsArgs),
    /// Show every field of one model, with units.
    #[command(
        after_help = concat!(show_text!(), env_short!(), "\n\n", show_exit_codes!()),
        after_long_help = concat!(show_text!(), env_long!(), "\n\n", show_exit_codes!())
    )]
    Show(ShowArgs),
    /// Every provider serving one model, cheapest first, with prices, context and cost.
    #[command(
        after_help = concat!(compare_text!(), env_short!(), "\n\n", compare_exit_codes!()),
        after_long_help = concat!(compare_text!(), env_long!(), "\n\n", compare_exit_codes!())
    )]
    Compare(CompareArgs),
    /// Fetch and write a timestamped snapshot file, unless nothing changed.
    #[command(
        after_help = concat!(snapshot_examples!(), env_short!(), "\n\n", snapshot_exit_codes!()),
        after_long_help = concat!(snapshot_examples!(), env_long!(), "\n\n", snapshot_exit_codes!())
    )]
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
    /// Maximum models per provider, or `all` for every model the listing has
    /// [default: 50000 for hug, all for the others].
    #[arg(long, value_name = "N|all")]
    pub limit: Option<crate::limit::Limit>,

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
    /// [default: 1h for count, ls, show and compare; fetch and snapshot always ask the providers].
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
    /// Also record the harvest in the history database: a path, sqlite:PATH or postgres://URL
    /// [default: $CATALOG_DB, else $XDG_DATA_HOME/catalog/catalog.db]. Write `--db=URL`
    /// when a value follows that is not the database.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub db: Option<String>,

    /// With --db: also record each model's downloads and likes, a row per model and
    /// fetch in model_metric (about 50,000 rows a Hub sync; off by default).
    #[arg(long, requires = "db")]
    pub track_metrics: bool,
}

/// The catalog as the history database held it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Database")]
pub struct AsOfArgs {
    /// The catalog as the history database (--db) held it at this point, with no request
    /// made: a date or RFC 3339 time, a duration back from now (24h, 7d), or a run id (after
    /// that run). Downloads and likes are null (not recorded).
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<String>,
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
    #[arg(short, long, value_enum, help_heading = "Output")]
    pub format: Option<Format>,

    /// Output file, written atomically; `-` or absent for stdout.
    #[arg(short, long, value_name = "PATH", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Add each provider's original object as `raw` (JSON and NDJSON only).
    #[arg(long, help_heading = "Output")]
    pub raw: bool,

    /// Output only these fields, in this order (e.g. id,provider,price_input).
    #[arg(long, value_name = "LIST", value_delimiter = ',', help_heading = "Output")]
    pub fields: Vec<String>,

    /// CSV for spreadsheets: prefix cells starting with =, +, -, @ with ' so they are not run as formulas.
    #[arg(long, help_heading = "Output")]
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

    /// The catalog at a past point.
    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `--db` of `count` and `ls`: only read, with `--as-of`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Database")]
pub struct ReadDbArgs {
    /// The history database --as-of reads: a path or sqlite:PATH [default: $CATALOG_DB, else
    /// $XDG_DATA_HOME/catalog/catalog.db].
    #[arg(long, value_name = "URL", requires = "as_of", num_args = 0..=1, default_missing_value = "")]
    pub db: Option<String>,
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
    #[arg(short, long, value_enum, default_value = "table", help_heading = "Output")]
    pub format: SummaryFormat,

    /// Count by model rather than by provider: `canonical` gives one row per
    /// canonical id with how many providers serve it, most served first.
    #[arg(long, value_enum, value_name = "KEY", help_heading = "Output")]
    pub group_by: Option<GroupBy>,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// The catalog at a past point.
    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// The database it is read from.
    #[command(flatten)]
    pub db: ReadDbArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog ls`.
#[derive(Debug, Args)]
// `--sort` orders the rows here; the Hub's own sort key, which decides which
// models a limited Hub harvest gets, moves to `--hub-sort`.
#[command(mut_arg("sort", |a| a.long("hub-sort")))]
pub struct LsArgs {
    /// Provider selection.
    #[command(flatten)]
    pub selection: Selection,
    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Output format: a table for people, or the records as `fetch` writes them.
    #[arg(short, long, value_enum, default_value = "table", help_heading = "Output")]
    pub format: ListFormat,

    /// Order of the rows (see below); unknown values last.
    #[arg(
        long = "sort",
        id = "order",
        value_enum,
        value_name = "KEY",
        help_heading = "Output"
    )]
    pub order: Option<SortKey>,

    /// Turn the order of --sort around (unknown values stay last).
    #[arg(long, requires = "order", help_heading = "Output")]
    pub reverse: bool,

    /// Show at most N models (stderr says how many more there are).
    #[arg(short = 'n', long = "rows", value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Output")]
    pub rows: Option<u64>,

    /// Columns (or, with -f json/ndjson/csv, fields) in this order, e.g. id,price_input,tags.
    #[arg(long, value_name = "LIST", value_delimiter = ',', help_heading = "Output")]
    pub fields: Vec<String>,

    /// Keep each model's rows together: `canonical` orders the rows by canonical id, the
    /// models most providers serve first (--sort orders the rows within a model), and the
    /// table starts with the canonical id and how many providers serve it.
    #[arg(long, value_enum, value_name = "KEY", help_heading = "Output")]
    pub group_by: Option<GroupBy>,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// The catalog at a past point.
    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// The database it is read from.
    #[command(flatten)]
    pub db: ReadDbArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `ls --sort` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum SortKey {
    /// USD per 1M input tokens, cheapest first.
    PriceInput,
    /// USD per 1M output tokens, cheapest first.
    PriceOutput,
    /// Context window, largest first.
    Context,
    /// Creation time, newest first.
    Created,
    /// Downloads, most first.
    Downloads,
    /// Id, A to Z (ignoring case).
    Id,
}

/// `ls` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// CSV with a header row.
    Csv,
}

/// `catalog show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// PROVIDER/ID, e.g. openrouter/openai/gpt-4o (or the id alone with -p).
    #[arg(value_name = "MODEL")]
    pub model: String,

    /// The provider; MODEL is then the id as it is.
    #[arg(short, long = "provider", value_name = "NAME")]
    pub provider: Option<String>,

    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Output format: field and value lines for people, or the record as JSON.
    #[arg(short, long, value_enum, default_value = "table", help_heading = "Output")]
    pub format: SummaryFormat,

    /// Add the provider's original object (`raw`): indented on a terminal, one line into a pipe.
    #[arg(long, help_heading = "Output")]
    pub raw: bool,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The model: any provider's id of it, a Hugging Face id or a canonical id.
    #[arg(value_name = "MODEL")]
    pub model: String,

    /// Provider selection (without -p: every provider but hug; --all: hug too).
    #[command(flatten)]
    pub selection: Selection,

    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// A workload of IN input and OUT output tokens (e.g. 1000000:200000): adds its cost in
    /// USD per provider and orders by it.
    #[arg(long, value_name = "IN:OUT", help_heading = "Output")]
    pub tokens: Option<String>,

    /// Output format: a table for people, or the rows as JSON, NDJSON or CSV.
    #[arg(short, long, value_enum, default_value = "table", help_heading = "Output")]
    pub format: ListFormat,

    /// Record selection.
    #[command(flatten)]
    pub select: Records,

    /// Cache settings.
    #[command(flatten)]
    pub cache: CacheArgs,

    /// The catalog at a past point.
    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// The database it is read from.
    #[command(flatten)]
    pub db: ReadDbArgs,

    /// Progress and summary.
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// `catalog snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Directory of the snapshot files (created if missing).
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub dir: PathBuf,

    /// Provider selection.
    #[command(flatten)]
    pub selection: Selection,

    /// Harvest settings.
    #[command(flatten)]
    pub harvest: Harvest,

    /// Snapshot format.
    #[arg(short, long, value_enum, default_value = "ndjson", help_heading = "Output")]
    pub format: Format,

    /// Compress the snapshot (.gz).
    #[arg(long, help_heading = "Output")]
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
    /// The older catalog file (with --db: a run id or a date, as for --as-of).
    pub old: PathBuf,
    /// The newer catalog file (with --db: a run id or a date).
    pub new: PathBuf,

    /// Compare two points of the history database instead of two files: `--db A B`, or
    /// `--db=URL A B` for another database than $CATALOG_DB or the default.
    #[arg(long, value_name = "URL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub db: Option<String>,

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
    /// The history database: a path, sqlite:PATH or postgres://URL [default: $CATALOG_DB, else
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
    /// stated price 0), max-price-input=USD, max-price-output=USD, min-context=N, owned-by=ORG,
    /// canonical=KEY (the exact canonical_id) (repeat or comma-separate).
    #[arg(long, value_name = "COND")]
    pub filter: Vec<String>,
}

/// What `count --group-by` and `ls --group-by` group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// The record's `canonical_id`: one row per model, whoever serves it.
    Canonical,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SummaryFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for scripts.
    Json,
}
