//! Turns the parsed command line into a validated configuration. Everything
//! that can be wrong with the user's input is found here, before any request:
//! one small function per subcommand, and one for what the harvesting
//! commands (`fetch`, `count`, `snapshot`) share.

mod select;
mod settings;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ValueEnum as _;

pub use settings::{Defaults, Settings};

use crate::cache::{parse_duration, Cache, CacheConfig};
use crate::cli::{
    self, CacheArgs, Cli, DiffFormat, DisplayArgs, ListFormat, Modes, Records, Selection, SortKey,
    SummaryFormat,
};
use crate::error::UsageError;
use crate::filter::{parse_fields, Filter};
use crate::harvest::{HarvestOptions, Limit, Target};
use crate::http::RetryPolicy;
use crate::mapping::HubMapping;
use crate::output::{Destination, Format};
use crate::pipeline::{AsOf, Db, Run, Selected};
use crate::providers::{HubFilters, ProviderSpec};
use crate::store::{Bound, Location, RunInfo};
use crate::term::sanitize;

/// A validated command.
#[derive(Debug)]
pub enum Config {
    /// `catalog fetch`.
    Fetch(FetchConfig),
    /// `catalog count`.
    Count(CountConfig),
    /// `catalog ls`.
    Ls(LsConfig),
    /// `catalog show`.
    Show(ShowConfig),
    /// `catalog compare`.
    Compare(CompareConfig),
    /// `catalog providers`.
    Providers(ProvidersConfig),
    /// `catalog snapshot`.
    Snapshot(SnapshotConfig),
    /// `catalog diff`.
    Diff(DiffConfig),
    /// `catalog changes`.
    Changes(ChangesConfig),
    /// `catalog history`.
    History(HistoryConfig),
    /// `catalog cache ls`.
    CacheList {
        /// The cache.
        cache: Cache,
        /// Output format.
        format: SummaryFormat,
    },
    /// `catalog completions SHELL`.
    Completions(clap_complete::Shell),
    /// `catalog man`.
    Man,
    /// `catalog cache clear`.
    CacheClear {
        /// The cache.
        cache: Cache,
        /// Only this provider (its table name).
        provider: Option<String>,
    },
}

/// What a harvesting command tells people on stderr (the engine prints
/// nothing of its own).
#[derive(Debug, Clone, Default)]
pub struct Show {
    /// Progress bars (when stderr is a terminal).
    pub progress: bool,
    /// The per-provider summary.
    pub summary: bool,
    /// Said before the harvest starts.
    pub warnings: Vec<String>,
}

/// `catalog fetch`, validated.
#[derive(Debug)]
pub struct FetchConfig {
    /// The harvest.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// Output format.
    pub format: Format,
    /// Output destination.
    pub destination: Destination,
    /// Fields written, in order (`None`: all).
    pub fields: Option<Vec<crate::record::Field>>,
    /// Defuse spreadsheet formulas in CSV cells.
    pub csv_safe: bool,
}

/// `catalog count`, validated.
#[derive(Debug)]
pub struct CountConfig {
    /// The harvest.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// Output format.
    pub format: SummaryFormat,
    /// Count by model (`--group-by canonical`) rather than by provider.
    pub group_by: Option<cli::GroupBy>,
}

/// `catalog ls`, validated.
#[derive(Debug)]
pub struct LsConfig {
    /// The harvest.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// `None` for the table, else the records in this format.
    pub format: Option<Format>,
    /// Columns (or fields written), in order; `None`: the default columns,
    /// or every field.
    pub fields: Option<Vec<crate::record::Field>>,
    /// Row order (`None`: as harvested).
    pub sort: Option<SortKey>,
    /// The sort's own direction turned around.
    pub reverse: bool,
    /// At most this many models.
    pub rows: Option<u64>,
    /// Keep each model's rows together (`--group-by canonical`).
    pub group_by: Option<cli::GroupBy>,
}

/// `catalog show`, validated.
#[derive(Debug)]
pub struct ShowConfig {
    /// The harvest of the model's provider.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// The provider's table name.
    pub provider: String,
    /// The model id, as the provider writes it.
    pub id: String,
    /// Field lines or JSON.
    pub format: SummaryFormat,
}

/// `catalog compare`, validated.
#[derive(Debug)]
pub struct CompareConfig {
    /// The harvest of the providers compared.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// The model as given: a provider's id, a Hugging Face id or a canonical id.
    pub model: String,
    /// `--tokens IN:OUT`: the workload whose cost is shown and ordered by.
    pub tokens: Option<(u64, u64)>,
    /// `None` for the table, else the rows in this format.
    pub format: Option<Format>,
}

/// `catalog snapshot`, validated.
#[derive(Debug)]
pub struct SnapshotConfig {
    /// The harvest.
    pub run: Run,
    /// What stderr shows.
    pub show: Show,
    /// Directory of the snapshots.
    pub dir: PathBuf,
    /// Format.
    pub format: Format,
    /// gzip the file.
    pub gzip: bool,
}

/// `catalog diff`, validated.
#[derive(Debug)]
pub struct DiffConfig {
    /// Older file.
    pub old: PathBuf,
    /// Newer file.
    pub new: PathBuf,
    /// Output format.
    pub format: DiffFormat,
    /// What to report.
    pub only: crate::diff::Only,
    /// `--db A B`: two points of the history database instead of files.
    pub db: Option<DiffDb>,
}

/// `catalog diff --db A B`, validated.
#[derive(Debug)]
pub struct DiffDb {
    /// The database.
    pub location: Location,
    /// The older point.
    pub old: Bound,
    /// The newer point.
    pub new: Bound,
    /// Every provider, in the table's order: the order of a side given as a
    /// date (a run's side is in the run's own order).
    pub table: Vec<String>,
}

/// `catalog changes`, validated.
#[derive(Debug)]
pub struct ChangesConfig {
    /// The database.
    pub location: Location,
    /// From the catalog at this point (`None`: 24 hours ago).
    pub since: Option<Bound>,
    /// To the catalog at this point (`None`: now).
    pub until: Option<Bound>,
    /// Only these providers (table names; empty: all).
    pub providers: Vec<String>,
    /// What to report.
    pub only: crate::diff::Only,
    /// Output format.
    pub format: cli::ChangesFormat,
}

/// `catalog history`, validated.
#[derive(Debug)]
pub struct HistoryConfig {
    /// The database.
    pub location: Location,
    /// Provider (table name).
    pub provider: String,
    /// Model id.
    pub id: String,
    /// Only this field's values.
    pub field: Option<crate::record::Field>,
    /// Output format.
    pub format: cli::ChangesFormat,
}

/// `catalog providers`, validated.
#[derive(Debug)]
pub struct ProvidersConfig {
    /// Every provider, resolved (endpoint after overrides, key source).
    pub targets: Vec<Target>,
    /// Output format.
    pub format: SummaryFormat,
}

/// Where configuration reads the environment from (tests pass a map).
pub trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Config {
    /// Validates the command line against the provider table and environment.
    ///
    /// # Errors
    /// A [`UsageError`] saying what is wrong and how to fix it.
    pub fn from_cli(cli: Cli, env: &dyn Env) -> Result<Config, UsageError> {
        // The documentation commands need no table: a broken config file
        // must not stop `catalog man`.
        match cli.command {
            cli::Command::Completions { shell } => return Ok(Config::Completions(shell)),
            cli::Command::Man => return Ok(Config::Man),
            _ => {}
        }
        let settings = Settings::load(cli.config.as_deref(), env)?;
        Config::with_settings(cli, &settings, env)
    }

    /// As [`Config::from_cli`], with given settings.
    ///
    /// # Errors
    /// See [`Config::from_cli`].
    pub(crate) fn with_settings(cli: Cli, settings: &Settings, env: &dyn Env) -> Result<Config, UsageError> {
        match cli.command {
            cli::Command::Fetch(a) => fetch(a, settings, env).map(Config::Fetch),
            cli::Command::Count(a) => count(a, settings, env).map(Config::Count),
            cli::Command::Ls(a) => ls(a, settings, env).map(Config::Ls),
            cli::Command::Show(a) => show(a, settings, env).map(Config::Show),
            cli::Command::Compare(a) => compare(a, settings, env).map(Config::Compare),
            cli::Command::Snapshot(a) => snapshot(a, settings, env).map(Config::Snapshot),
            cli::Command::Diff(a) => diff(a, settings, env).map(Config::Diff),
            cli::Command::Changes(a) => changes(a, settings, env).map(Config::Changes),
            cli::Command::History(a) => history(a, settings, env).map(Config::History),
            cli::Command::Providers(a) => providers(a, settings, env).map(Config::Providers),
            cli::Command::Completions { shell } => Ok(Config::Completions(shell)),
            cli::Command::Man => Ok(Config::Man),
            cli::Command::Cache(cli::CacheCommand::Ls { cache_dir, format }) => Ok(Config::CacheList {
                cache: open_cache(cache_dir)?,
                format,
            }),
            cli::Command::Cache(cli::CacheCommand::Clear { provider, cache_dir }) => Ok(Config::CacheClear {
                provider: match provider {
                    Some(name) => Some(select::find(&name, &settings.table)?.name.clone()),
                    None => None,
                },
                cache: open_cache(cache_dir)?,
            }),
        }
    }

    /// Whether the command draws progress bars (decided before it starts,
    /// as logging goes through them).
    #[must_use]
    pub fn shows_progress(&self) -> bool {
        match self {
            Config::Fetch(f) => f.show.progress,
            Config::Count(c) => c.show.progress,
            Config::Ls(l) => l.show.progress,
            Config::Show(s) => s.show.progress,
            Config::Compare(c) => c.show.progress,
            Config::Snapshot(s) => s.show.progress,
            _ => false,
        }
    }

    /// Whether the command writes its data to stdout while it harvests
    /// (`count` writes its table after the bars are gone).
    #[must_use]
    pub fn writes_data_to_stdout(&self) -> bool {
        matches!(self, Config::Fetch(f) if matches!(f.destination, Destination::Stdout))
    }
}

fn fetch(a: cli::FetchArgs, settings: &Settings, env: &dyn Env) -> Result<FetchConfig, UsageError> {
    let destination = match a.output.as_deref() {
        None => Destination::Stdout,
        Some(p) if p == Path::new("-") => Destination::Stdout,
        Some(p) => Destination::File(p.to_path_buf()),
    };
    let configured = settings.defaults.format;
    let format = match (a.format, &destination) {
        (Some(f), _) => f,
        (None, Destination::File(p)) => Format::from_path(p).or(configured).unwrap_or(Format::Json),
        (None, Destination::Stdout) => configured.unwrap_or(Format::Json),
    };
    if a.raw && format == Format::Csv {
        return Err(UsageError::new(
            "--raw needs json or ndjson output; CSV has no place for nested objects",
        ));
    }
    let fields = parse_fields(&a.fields).map_err(UsageError::new)?;
    let common = Common {
        selection: &a.selection,
        harvest: &a.harvest,
        records: &a.select,
        cache: &a.cache,
        modes: Some(&a.modes),
        display: &a.display,
        raw: a.raw,
        store: Some((&a.store, "fetch")),
        as_of: a.as_of.as_of.as_deref().map(|w| (w, a.store.db.as_deref())),
    };
    let (run, show) = harvest_args(&common, None, settings, env)?;
    Ok(FetchConfig {
        run,
        show,
        format,
        destination,
        fields,
        csv_safe: a.csv_safe,
    })
}

fn count(a: cli::CountArgs, settings: &Settings, env: &dyn Env) -> Result<CountConfig, UsageError> {
    let common = Common::browse(
        &a.selection,
        &a.harvest,
        &a.select,
        &a.cache,
        &a.display,
        &a.as_of,
        &a.db,
    );
    let (run, mut show) = harvest_args(&common, Some(BROWSE_MAX_AGE), settings, env)?;
    // The counts on stdout are the summary.
    show.summary = false;
    Ok(CountConfig {
        run,
        show,
        format: a.format,
        group_by: a.group_by,
    })
}

/// How old a cached harvest `count`, `ls` and `show` answer from: looking
/// is cheap to be an hour old; fetch and snapshot always ask.
const BROWSE_MAX_AGE: Duration = Duration::from_secs(3600);

fn ls(a: cli::LsArgs, settings: &Settings, env: &dyn Env) -> Result<LsConfig, UsageError> {
    let fields = parse_fields(&a.fields).map_err(UsageError::new)?;
    let common = Common::browse(
        &a.selection,
        &a.harvest,
        &a.select,
        &a.cache,
        &a.display,
        &a.as_of,
        &a.db,
    );
    let (run, show) = harvest_args(&common, Some(BROWSE_MAX_AGE), settings, env)?;
    Ok(LsConfig {
        run,
        show,
        format: list_format(a.format),
        fields,
        sort: a.order,
        reverse: a.reverse,
        rows: a.rows,
        group_by: a.group_by,
    })
}

fn show(a: cli::ShowArgs, settings: &Settings, env: &dyn Env) -> Result<ShowConfig, UsageError> {
    let model = a.model.trim();
    let (spec, id) = match &a.provider {
        Some(name) => (select::find(name, &settings.table)?, model),
        None => split_model(model, settings)?,
    };
    if id.is_empty() {
        return Err(UsageError::new(format!(
            "{} names no model: write PROVIDER/ID, e.g. openrouter/openai/gpt-4o",
            sanitize(&format!("{model:?}"))
        )));
    }
    let selection = Selection {
        providers: vec![spec.name.clone()],
        all: false,
    };
    let mut harvest = a.harvest;
    // The Hub lists its 50,000 models 100 a page, half a second apart
    // without a key; its search finds the one model in one request. A Hub
    // filter or a --limit given asks for that listing instead.
    if spec.shape.takes_hub_filters()
        && harvest.search.is_none()
        && harvest.author.is_none()
        && harvest.pipeline_tag.is_none()
        && harvest.limit.is_none()
    {
        harvest.search = Some(id.to_owned());
    }
    let common = Common {
        selection: &selection,
        harvest: &harvest,
        records: &Records { filter: Vec::new() },
        cache: &a.cache,
        modes: None,
        display: &a.display,
        raw: a.raw,
        store: None,
        as_of: None,
    };
    let (run, show) = harvest_args(&common, Some(BROWSE_MAX_AGE), settings, env)?;
    Ok(ShowConfig {
        run,
        show,
        provider: spec.name.clone(),
        id: id.to_owned(),
        format: a.format,
    })
}

fn compare(a: cli::CompareArgs, settings: &Settings, env: &dyn Env) -> Result<CompareConfig, UsageError> {
    let model = a.model.trim();
    if !model.chars().any(char::is_alphanumeric) {
        return Err(UsageError::new(format!(
            "{} names no model: give a provider's id, a Hugging Face id or a canonical id",
            sanitize(&format!("{model:?}"))
        )));
    }
    let tokens = a.tokens.as_deref().map(parse_tokens).transpose()?;
    // Without -p, every provider: the Hub's listing aside (below).
    let named = !a.selection.providers.is_empty() || a.selection.all;
    let selection = Selection {
        providers: a.selection.providers.clone(),
        all: !named || a.selection.all,
    };
    let common = Common::browse(
        &selection, &a.harvest, &a.select, &a.cache, &a.display, &a.as_of, &a.db,
    );
    let (mut run, show) = harvest_args(&common, Some(BROWSE_MAX_AGE), settings, env)?;
    if !named {
        // The Hub lists repositories, not offers (no price, no serving):
        // its 50,000 models would cost minutes and compare nothing. `-p hug`
        // or `--all` asks it all the same.
        run.providers.retain(|p| match p {
            Selected::Fetch(t) | Selected::Skipped(t) => !t.spec.shape.takes_hub_filters(),
        });
    }
    Ok(CompareConfig {
        run,
        show,
        model: model.to_owned(),
        tokens,
        format: list_format(a.format),
    })
}

/// `None` for the table, else the records' format.
fn list_format(f: ListFormat) -> Option<Format> {
    match f {
        ListFormat::Table => None,
        ListFormat::Json => Some(Format::Json),
        ListFormat::Ndjson => Some(Format::Ndjson),
        ListFormat::Csv => Some(Format::Csv),
    }
}

/// `--tokens IN:OUT`: two token counts (`1000000:200000`).
fn parse_tokens(text: &str) -> Result<(u64, u64), UsageError> {
    let bad = || {
        UsageError::new(format!(
            "--tokens {}: give input and output tokens as IN:OUT, e.g. 1000000:200000",
            sanitize(&format!("{text:?}"))
        ))
    };
    let (input, output) = text.split_once(':').ok_or_else(bad)?;
    let count = |t: &str| {
        let t = t.trim();
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u64>().ok())
            .flatten()
    };
    match (count(input), count(output)) {
        (Some(i), Some(o)) => Ok((i, o)),
        _ => Err(bad()),
    }
}

/// `PROVIDER/ID`: the provider is the part before the first `/` (ids have
/// slashes of their own: `hug/meta-llama/Llama-3.3-70B-Instruct`).
fn split_model<'a, 's>(
    model: &'a str,
    settings: &'s Settings,
) -> Result<(&'s ProviderSpec, &'a str), UsageError> {
    let usage = "write PROVIDER/ID (e.g. openrouter/openai/gpt-4o), or the id alone with -p NAME";
    let Some((head, id)) = model.split_once('/') else {
        return Err(UsageError::new(format!(
            "{} names no provider: {usage}",
            sanitize(&format!("{model:?}"))
        )));
    };
    match select::find(head, &settings.table) {
        Ok(spec) => Ok((spec, id.trim())),
        Err(e) => Err(UsageError::new(format!("{}; {usage}", sanitize(&e.to_string())))),
    }
}

fn snapshot(a: cli::SnapshotArgs, settings: &Settings, env: &dyn Env) -> Result<SnapshotConfig, UsageError> {
    if a.dir.exists() && !a.dir.is_dir() {
        return Err(UsageError::new(format!(
            "--dir {} is not a directory",
            a.dir.display()
        )));
    }
    let common = Common {
        selection: &a.selection,
        harvest: &a.harvest,
        records: &a.select,
        cache: &a.cache,
        modes: Some(&a.modes),
        display: &a.display,
        raw: false,
        store: Some((&a.store, "snapshot")),
        as_of: None,
    };
    let (run, show) = harvest_args(&common, None, settings, env)?;
    Ok(SnapshotConfig {
        run,
        show,
        dir: a.dir,
        format: a.format,
        gzip: a.gzip,
    })
}

fn changes(a: cli::ChangesArgs, settings: &Settings, env: &dyn Env) -> Result<ChangesConfig, UsageError> {
    let only = crate::diff::Only::parse(&a.only).map_err(UsageError::new)?;
    let bound = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| crate::store::parse_bound(flag, t))
            .transpose()
    };
    let providers = a
        .providers
        .iter()
        .map(|name| select::find(name, &settings.table).map(|spec| spec.name.clone()))
        .collect::<Result<_, _>>()?;
    Ok(ChangesConfig {
        location: Location::resolve(a.db.db.as_deref(), env.var("CATALOG_DB"))?,
        since: bound("--since", &a.since)?,
        until: bound("--until", &a.until)?,
        providers,
        only,
        format: a.format,
    })
}

fn history(a: cli::HistoryArgs, settings: &Settings, env: &dyn Env) -> Result<HistoryConfig, UsageError> {
    let Some((provider, id)) = a
        .model
        .split_once('/')
        .filter(|(p, i)| !p.is_empty() && !i.is_empty())
    else {
        return Err(UsageError::new(format!(
            "{:?} is not PROVIDER/ID; e.g. openrouter/openai/gpt-4o",
            a.model
        )));
    };
    let provider = select::find(provider, &settings.table)?.name.clone();
    let field = match a.field.as_deref() {
        None => None,
        Some(name) => Some(crate::store::attr_field(name).ok_or_else(|| {
            UsageError::new(format!(
                "--field: {name:?} is not a recorded field; use one of {}",
                crate::store::attr_field_names().join(", ")
            ))
        })?),
    };
    Ok(HistoryConfig {
        location: Location::resolve(a.db.db.as_deref(), env.var("CATALOG_DB"))?,
        provider,
        id: id.to_owned(),
        field,
        format: a.format,
    })
}

fn diff(a: cli::DiffArgs, settings: &Settings, env: &dyn Env) -> Result<DiffConfig, UsageError> {
    let only = crate::diff::Only::parse(&a.only).map_err(UsageError::new)?;
    if let Some(url) = &a.db {
        let side = |p: &Path| crate::store::parse_bound("diff --db", &p.to_string_lossy());
        let db = DiffDb {
            location: Location::resolve(Some(url), env.var("CATALOG_DB"))?,
            old: side(&a.old)?,
            new: side(&a.new)?,
            table: settings.table.iter().map(|spec| spec.name.clone()).collect(),
        };
        return Ok(DiffConfig {
            old: a.old,
            new: a.new,
            format: a.format,
            only,
            db: Some(db),
        });
    }
    for p in [&a.old, &a.new] {
        // The operating system's reason says what to fix (a typo, a
        // permission, a directory).
        let why = match std::fs::File::open(p) {
            Ok(_) if p.is_file() => continue,
            Ok(_) => "it is not a regular file".to_owned(),
            Err(e) => e.to_string(),
        };
        return Err(UsageError::new(format!(
            "{} is not a readable file: {why}",
            p.display()
        )));
    }
    Ok(DiffConfig {
        old: a.old,
        new: a.new,
        format: a.format,
        only,
        db: None,
    })
}

fn providers(
    a: cli::ProvidersArgs,
    settings: &Settings,
    env: &dyn Env,
) -> Result<ProvidersConfig, UsageError> {
    let targets = settings
        .table
        .iter()
        .map(|spec| Target::resolve(spec, env))
        .collect::<Result<_, _>>()?;
    Ok(ProvidersConfig {
        targets,
        format: a.format,
    })
}

/// The arguments `fetch`, `count` and `snapshot` share.
struct Common<'a> {
    selection: &'a Selection,
    harvest: &'a cli::Harvest,
    records: &'a Records,
    cache: &'a CacheArgs,
    /// `--incremental`, `--resume` (not on `count`).
    modes: Option<&'a Modes>,
    display: &'a DisplayArgs,
    raw: bool,
    /// `--db`, and the command it records (not on `count`).
    store: Option<(&'a cli::StoreArgs, &'static str)>,
    /// `--as-of WHEN`, and the `--db` it reads.
    as_of: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> Common<'a> {
    /// The arguments of the commands that browse the catalog (`count`, `ls`,
    /// `compare`): no `--raw`, no recording, nothing to resume.
    fn browse(
        selection: &'a Selection,
        harvest: &'a cli::Harvest,
        records: &'a Records,
        cache: &'a CacheArgs,
        display: &'a DisplayArgs,
        as_of: &'a cli::AsOfArgs,
        db: &'a cli::ReadDbArgs,
    ) -> Common<'a> {
        Common {
            selection,
            harvest,
            records,
            cache,
            modes: None,
            display,
            raw: false,
            store: None,
            as_of: as_of.as_of.as_deref().map(|w| (w, db.db.as_deref())),
        }
    }
}

/// `--as-of`: checked before anything else, as it harvests nothing.
fn as_of(a: &Common<'_>, when: &str, db: Option<&str>, env: &dyn Env) -> Result<AsOf, UsageError> {
    let h = a.harvest;
    let c = a.cache;
    let modes = a.modes.map_or((false, false), |m| (m.incremental, m.resume));
    let harvest_only = [
        ("--refresh", c.refresh),
        ("--offline", c.offline),
        ("--stale-ok", c.stale_ok),
        ("--max-age", c.max_age.is_some()),
        ("--no-cache", c.no_cache),
        ("--incremental", modes.0),
        ("--resume", modes.1),
        ("--raw", a.raw),
        ("--limit", h.limit.is_some()),
        ("--batch-size", h.batch_size.is_some()),
        ("--delay-ms", h.delay_ms.is_some()),
        ("--search", h.search.is_some()),
        ("--author", h.author.is_some()),
        ("--sort", h.sort.is_some()),
        ("--pipeline-tag", h.pipeline_tag.is_some()),
    ];
    if let Some((flag, _)) = harvest_only.iter().find(|(_, set)| *set) {
        return Err(UsageError::new(format!(
            "--as-of reads the history database and harvests nothing: drop {flag}"
        )));
    }
    Ok(AsOf {
        location: Location::resolve(db, env.var("CATALOG_DB"))?,
        bound: crate::store::parse_bound("--as-of", when)?,
        recorded_only: a.selection.all,
    })
}

/// The engine's input and what stderr shows, complete: nothing is patched
/// later.
fn harvest_args(
    a: &Common<'_>,
    default_max_age: Option<Duration>,
    settings: &Settings,
    env: &dyn Env,
) -> Result<(Run, Show), UsageError> {
    let h = a.harvest;
    let as_of = match a.as_of {
        Some((when, db)) => Some(as_of(a, when, db, env)?),
        None => None,
    };
    // Read from the database, a provider needs no key.
    let providers = select::providers(a.selection, a.cache.offline || as_of.is_some(), settings, env)?;
    let hub = HubFilters {
        search: h.search.clone(),
        author: h.author.clone(),
        sort: h
            .sort
            .and_then(|s| s.to_possible_value())
            .map(|v| v.get_name().to_owned()),
        pipeline_tag: h.pipeline_tag.clone(),
    };
    let fetched: Vec<&Target> = providers
        .iter()
        .filter_map(|p| match p {
            Selected::Fetch(t) => Some(t),
            Selected::Skipped(_) => None,
        })
        .collect();
    let mut warnings = Vec::new();
    if hub != HubFilters::default() {
        let hubs = fetched
            .iter()
            .filter(|t| t.spec.shape.takes_hub_filters())
            .count();
        if hubs == 0 {
            return Err(UsageError::new(
                "--search, --author, --sort and --pipeline-tag filter the Hugging Face Hub: add -p hug",
            ));
        }
        if hubs < fetched.len() {
            warnings.push(
                "--search, --author, --sort and --pipeline-tag apply to the Hugging Face Hub (hug) only"
                    .to_owned(),
            );
        }
    }
    // Spacing is a wait like any other: none may exceed --max-wait.
    let max_wait_ms = h.max_wait.saturating_mul(1000);
    if let Some(ms) = h.delay_ms.filter(|&ms| ms > max_wait_ms) {
        return Err(UsageError::new(format!(
            "--delay-ms {ms} is longer than --max-wait {}s; raise --max-wait or lower the delay",
            h.max_wait
        )));
    }
    if h.delay_ms.is_none() {
        if let Some(t) = fetched
            .iter()
            .find(|t| t.spec.delay_ms.is_some_and(|ms| ms > max_wait_ms))
        {
            return Err(UsageError::new(format!(
                "{}'s delay_ms {} is longer than --max-wait {}s; raise --max-wait or set --delay-ms",
                t.spec.name,
                t.spec.delay_ms.unwrap_or_default(),
                h.max_wait
            )));
        }
    }
    let harvest = HarvestOptions {
        limit: h.limit.or(settings.defaults.limit.map(Limit::Models)),
        batch_size: h.batch_size.or(settings.defaults.batch_size),
        delay: h.delay_ms.map(Duration::from_millis),
        hub,
        raw: a.raw,
        max_pages: Some(h.max_pages),
    };
    let cache = if as_of.is_some() {
        CacheConfig::default()
    } else {
        cache_config(
            a.cache,
            a.modes,
            default_max_age,
            &settings.defaults,
            &fetched,
            &harvest,
        )?
    };
    let filter = Filter::parse(&a.records.filter).map_err(UsageError::new)?;
    // `--as-of` asks no server: its mapping is the cached one, whatever its age.
    let mapping_cache = match &as_of {
        Some(_) => CacheConfig {
            cache: Some(open_cache(a.cache.cache_dir.clone())?),
            offline: true,
            ..CacheConfig::default()
        },
        None => cache.clone(),
    };
    let hub_mapping = hub_mapping(&fetched, settings, env, mapping_cache)?;
    let run = Run {
        providers,
        harvest,
        policy: RetryPolicy {
            retries: h.retries,
            timeout: Duration::from_secs(h.timeout),
            max_wait: Duration::from_secs(h.max_wait),
        },
        cache,
        filter,
        jobs: usize::from(h.jobs),
        db: match a.store.filter(|_| as_of.is_none()) {
            Some((s, command)) => match &s.db {
                Some(url) => Some(Db {
                    location: Location::resolve(Some(url), env.var("CATALOG_DB"))?,
                    info: RunInfo {
                        track_metrics: s.track_metrics,
                        ..RunInfo::from_process(command)
                    },
                }),
                None => None,
            },
            None => None,
        },
        as_of,
        hub_mapping,
    };
    let show = Show {
        progress: !a.display.no_progress && !a.display.quiet,
        summary: !a.display.quiet,
        warnings,
    };
    Ok((run, show))
}

/// Where the Hub's inference-provider mapping is asked for the selected
/// providers that have a partner name on the Hub: the base of the table's
/// Hub provider (`HF_ENDPOINT`, else its listing URL in effect without
/// `/api/models`), with its token, which goes to that origin only.
fn hub_mapping(
    fetched: &[&Target],
    settings: &Settings,
    env: &dyn Env,
    cache: CacheConfig,
) -> Result<Option<HubMapping>, UsageError> {
    let partners: Vec<(String, String)> = fetched
        .iter()
        .filter_map(|t| Some((t.spec.name.clone(), t.spec.hub_partner.clone()?)))
        .collect();
    if partners.is_empty() {
        return Ok(None);
    }
    let (base, credential) = match settings
        .table
        .iter()
        .find(|spec| spec.shape == crate::providers::Shape::Huggingface)
    {
        Some(spec) => {
            let base = select::api_base(spec, env)?;
            // The Hub's token is for the Hub, wherever HF_ENDPOINT puts it.
            let credential = Target::resolve(spec, env)?
                .credential
                .map(|c| crate::http::Credential {
                    origin: base.origin(),
                    ..c
                });
            (base, credential)
        }
        None => (
            url::Url::parse("https://huggingface.co").expect("a valid URL"),
            None,
        ),
    };
    Ok(Some(HubMapping {
        base,
        credential,
        partners,
        cache,
    }))
}

fn open_cache(dir: Option<PathBuf>) -> Result<Cache, UsageError> {
    let dir = match dir {
        Some(d) => d,
        None => Cache::default_dir().ok_or_else(|| {
            UsageError::new(
                "no cache directory is known for this platform: pass --cache-dir or set CATALOG_CACHE_DIR",
            )
        })?,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(UsageError::new(format!(
            "cache directory {} is not a directory",
            dir.display()
        )));
    }
    Ok(Cache::new(dir))
}

fn cache_config(
    a: &CacheArgs,
    modes: Option<&Modes>,
    default_max_age: Option<Duration>,
    defaults: &Defaults,
    fetched: &[&Target],
    harvest: &HarvestOptions,
) -> Result<CacheConfig, UsageError> {
    let (incremental, resume) = modes.map_or((false, false), |m| (m.incremental, m.resume));
    if incremental {
        if fetched.iter().all(|t| t.spec.shape.incremental_sort().is_none()) {
            return Err(UsageError::new(
                "--incremental applies to the Hugging Face Hub: add -p hug",
            ));
        }
        if harvest.hub.sort.is_some() {
            return Err(UsageError::new(
                "--incremental sorts by lastModified; drop --sort",
            ));
        }
    }
    if a.no_cache {
        return Ok(CacheConfig::default());
    }
    let max_age = match (&a.max_age, &defaults.max_age) {
        (Some(text), _) => {
            Some(parse_duration(text).map_err(|e| UsageError::new(format!("--max-age: {e}")))?)
        }
        (None, _) if a.refresh => None,
        (None, Some(text)) => Some(
            parse_duration(text).map_err(|e| UsageError::new(format!("config: defaults.max_age: {e}")))?,
        ),
        (None, None) => default_max_age,
    };
    Ok(CacheConfig {
        cache: Some(open_cache(a.cache_dir.clone())?),
        max_age,
        refresh: a.refresh,
        offline: a.offline,
        stale_ok: a.stale_ok,
        resume,
        incremental,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn config(args: &[&str], env: &[(&'static str, &'static str)]) -> Result<Config, UsageError> {
        let cli = Cli::try_parse_from(std::iter::once("catalog").chain(args.iter().copied())).unwrap();
        Config::with_settings(cli, &Settings::builtin(), &MapEnv(env.iter().copied().collect()))
    }

    /// A harvest's providers by kind, its warnings and options.
    struct Planned {
        targets: Vec<Target>,
        skipped: Vec<Target>,
        warnings: Vec<String>,
        harvest: HarvestOptions,
    }

    fn run(c: Config) -> Planned {
        let (run, show) = match c {
            Config::Fetch(f) => (f.run, f.show),
            Config::Count(c) => (c.run, c.show),
            _ => panic!("not a run"),
        };
        let (mut targets, mut skipped) = (Vec::new(), Vec::new());
        for p in run.providers {
            match p {
                Selected::Fetch(t) => targets.push(t),
                Selected::Skipped(t) => skipped.push(t),
            }
        }
        Planned {
            targets,
            skipped,
            warnings: show.warnings,
            harvest: run.harvest,
        }
    }

    #[test]
    fn limit_all_takes_every_model_of_every_provider_and_zero_is_refused() {
        let r = run(config(&["fetch", "-p", "hug,openrouter", "--limit", "all"], &[]).unwrap());
        assert_eq!(r.harvest.limit, Some(Limit::All));
        for t in &r.targets {
            assert_eq!(t.limit(&r.harvest), None, "{}: no limit", t.spec.name);
        }
        // The Hub's own default stands when --limit is not given.
        let r = run(config(&["fetch", "-p", "hug"], &[]).unwrap());
        assert_eq!(r.targets[0].limit(&r.harvest), Some(50_000));
        let r = run(config(&["fetch", "-p", "hug", "--limit", "ALL"], &[]).unwrap());
        assert_eq!(r.targets[0].limit(&r.harvest), None);
        let r = run(config(&["fetch", "-p", "hug", "--limit", "7"], &[]).unwrap());
        assert_eq!(r.targets[0].limit(&r.harvest), Some(7));
        for (bad, says) in [("0", "use 1 or more, or `all`"), ("many", "or `all`")] {
            let err = Cli::try_parse_from(["catalog", "fetch", "-p", "hug", "--limit", bad]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn unknown_provider_suggests_the_closest_name() {
        let err = config(&["fetch", "-p", "grok"], &[]).unwrap_err().to_string();
        assert!(
            err.contains("unknown provider \"grok\" (did you mean groq?)"),
            "{err}"
        );
        assert!(err.contains("openrouter, portkey"), "{err}");
    }

    #[test]
    fn aliases_and_commas_select_each_provider_once() {
        let r = run(config(&["fetch", "-p", "hf,huggingface", "-p", "HUG,openrouter"], &[]).unwrap());
        let names: Vec<_> = r.targets.iter().map(|t| t.spec.name.as_str()).collect();
        assert_eq!(names, ["hug", "openrouter"]);
    }

    #[test]
    fn keyless_providers_are_skipped_by_all_but_refused_by_name() {
        let r = run(config(&["count", "--all"], &[]).unwrap());
        let skipped: Vec<_> = r.skipped.iter().map(|t| t.spec.name.as_str()).collect();
        assert!(
            skipped.contains(&"groq") && !skipped.contains(&"hug"),
            "{skipped:?}"
        );
        let err = config(&["fetch", "-p", "groq"], &[]).unwrap_err().to_string();
        assert_eq!(err, "groq needs an API key to list its models: set GROQ_API_KEY");
        let r = run(config(&["fetch", "-p", "groq"], &[("GROQ_API_KEY", "k")]).unwrap());
        assert_eq!(r.targets[0].key_source.as_deref(), Some("GROQ_API_KEY"));
    }

    #[test]
    fn hub_key_prefers_hug_api_key_then_hf_token() {
        let r = run(config(
            &["fetch", "-p", "hug"],
            &[("HF_TOKEN", "b"), ("HUGGING_FACE_HUB_TOKEN", "c")],
        )
        .unwrap());
        assert_eq!(r.targets[0].key_source.as_deref(), Some("HF_TOKEN"));
        let r = run(config(
            &["fetch", "-p", "hug"],
            &[("HF_TOKEN", "b"), ("HUG_API_KEY", "a")],
        )
        .unwrap());
        assert_eq!(r.targets[0].key_source.as_deref(), Some("HUG_API_KEY"));
    }

    #[test]
    fn endpoint_overrides_apply_and_are_validated() {
        let r = run(config(
            &["fetch", "-p", "hug"],
            &[("HF_ENDPOINT", "http://127.0.0.1:9/mirror/")],
        )
        .unwrap());
        assert_eq!(r.targets[0].url.as_str(), "http://127.0.0.1:9/mirror/api/models");
        let r = run(config(
            &["fetch", "-p", "hug"],
            &[
                ("HF_ENDPOINT", "http://127.0.0.1:9"),
                ("CATALOG_HUG_URL", "http://127.0.0.1:8/x"),
            ],
        )
        .unwrap());
        assert_eq!(r.targets[0].url.as_str(), "http://127.0.0.1:8/x");
        let err = config(
            &["fetch", "-p", "groq"],
            &[("CATALOG_GROQ_URL", "not a url"), ("GROQ_API_KEY", "k")],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("CATALOG_GROQ_URL=\"not a url\" is not a URL"),
            "{err}"
        );
        let err = config(&["fetch", "-p", "hug"], &[("CATALOG_HUG_URL", "ftp://x/y")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be an http:// or https:// URL"), "{err}");
    }

    #[test]
    fn openrouter_is_asked_for_every_output_modality() {
        let r = run(config(&["fetch", "-p", "openrouter"], &[]).unwrap());
        assert_eq!(
            r.targets[0].url.as_str(),
            "https://openrouter.ai/api/v1/models?output_modalities=all"
        );
    }

    #[test]
    fn format_follows_the_output_extension() {
        for (path, format) in [
            ("a.csv", Format::Csv),
            ("a.jsonl", Format::Ndjson),
            ("a.NDJSON", Format::Ndjson),
            ("a.txt", Format::Json),
        ] {
            match config(&["fetch", "-p", "hug", "-o", path], &[]).unwrap() {
                Config::Fetch(f) => assert_eq!(f.format, format, "{path}"),
                _ => unreachable!(),
            }
        }
        match config(&["fetch", "-p", "hug", "-o", "a.csv", "-f", "ndjson"], &[]).unwrap() {
            Config::Fetch(f) => assert_eq!(f.format, Format::Ndjson),
            _ => unreachable!(),
        }
    }

    #[test]
    fn hub_filters_need_the_hub() {
        let err = config(&["fetch", "-p", "openrouter", "--author", "x"], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("add -p hug"), "{err}");
        let r = run(config(&["fetch", "-p", "openrouter,hug", "--sort", "likes"], &[]).unwrap());
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.harvest.hub.sort.as_deref(), Some("likes"));
    }

    #[test]
    fn raw_is_refused_for_csv() {
        let err = config(&["fetch", "-p", "hug", "--raw", "-o", "x.csv"], &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--raw needs json or ndjson"), "{err}");
    }

    #[test]
    fn a_key_with_a_line_break_is_refused_naming_its_variable() {
        let err = config(
            &["fetch", "-p", "groq"],
            &[("GROQ_API_KEY", "gsk_abc\r\nX-Evil: 1")],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "GROQ_API_KEY holds a line break or another control character; set it to the key alone"
        );
        // A trailing newline (a key pasted from a file) is trimmed, not refused.
        let r = run(config(&["fetch", "-p", "groq"], &[("GROQ_API_KEY", "gsk_abc\n")]).unwrap());
        assert_eq!(r.targets[0].key_source.as_deref(), Some("GROQ_API_KEY"));
    }

    #[test]
    fn a_delay_longer_than_max_wait_is_a_usage_error() {
        let err = config(&["fetch", "-p", "hug", "--delay-ms", "700000"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--delay-ms 700000 is longer than --max-wait 600s"),
            "{err}"
        );
        // The Hub's own 500 ms is shorter than any --max-wait of a second or more.
        let err = config(&["fetch", "-p", "hug", "--max-wait", "0"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("hug's delay_ms 500 is longer than --max-wait 0s"),
            "{err}"
        );
        assert!(config(&["fetch", "-p", "hug", "--max-wait", "1"], &[]).is_ok());
    }

    #[test]
    fn show_takes_the_provider_from_before_the_first_slash_and_searches_the_hub_for_the_id() {
        let Config::Show(s) = config(&["show", "hf/meta-llama/Llama-3.3-70B-Instruct"], &[]).unwrap() else {
            unreachable!()
        };
        assert_eq!(
            (s.provider.as_str(), s.id.as_str()),
            ("hug", "meta-llama/Llama-3.3-70B-Instruct")
        );
        assert_eq!(
            s.run.harvest.hub.search.as_deref(),
            Some("meta-llama/Llama-3.3-70B-Instruct")
        );
        // With -p the whole argument is the id, a provider's name in it or not.
        let Config::Show(s) = config(&["show", "-p", "openrouter", "google/gemini-2.5-pro"], &[]).unwrap()
        else {
            unreachable!()
        };
        assert_eq!(
            (s.provider.as_str(), s.id.as_str()),
            ("openrouter", "google/gemini-2.5-pro")
        );
        assert_eq!(s.run.harvest.hub.search, None, "only the Hub is searched");
        let err = config(&["show", "google/gemini-2.5-pro"], &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "google needs an API key to list its models: set GEMINI_API_KEY or GOOGLE_API_KEY"
        );
        let err = config(&["show", "opnerouter/x"], &[]).unwrap_err().to_string();
        assert!(
            err.starts_with("unknown provider \"opnerouter\" (did you mean openrouter?)"),
            "{err}"
        );
    }

    #[test]
    fn ls_refuses_an_unknown_field_and_names_the_fields() {
        let err = config(&["ls", "-p", "hug", "--fields", "id,prize"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--fields: unknown field \"prize\"; fields are provider, id,"),
            "{err}"
        );
    }

    #[test]
    fn nothing_selected_is_a_usage_error() {
        let err = config(&["count"], &[]).unwrap_err().to_string();
        assert!(err.starts_with("no provider selected: use -p NAME"), "{err}");
    }
}
