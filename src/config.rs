//! Turns the parsed command line into a validated configuration. Everything
//! that can be wrong with the user's input is found here, before any request.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::cache::{parse_duration, Cache};
use crate::cli::{
    self, CacheArgs, Cli, DataFormat, DiffFormat, Harvest, HubModes, HubSort, Selection, SummaryFormat,
};
use crate::error::UsageError;
use crate::filter::{parse_fields, Filter};
use crate::harvest::{HarvestOptions, HubFilters, Target};
use crate::http::{Credential, RetryPolicy, Secret};
use crate::output::{Destination, Format};
use crate::providers::{self, Defaults, ProviderSpec, Shape};

/// A validated command.
#[derive(Debug)]
pub enum Config {
    /// `catalog fetch`.
    Fetch(FetchConfig),
    /// `catalog count`.
    Count(CountConfig),
    /// `catalog providers`.
    Providers(ProvidersConfig),
    /// `catalog snapshot`.
    Snapshot(SnapshotConfig),
    /// `catalog diff`.
    Diff(DiffConfig),
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
        /// Only this provider.
        provider: Option<String>,
    },
}

/// How a harvest command uses the cache.
#[derive(Debug, Clone, Default)]
pub struct CacheConfig {
    /// The cache (`None` with `--no-cache`).
    pub cache: Option<Cache>,
    /// Serve entries younger than this.
    pub max_age: Option<Duration>,
    /// Never read entries.
    pub refresh: bool,
    /// Only read entries, stale ones included.
    pub offline: bool,
    /// Fall back to the last good entry when a provider fails.
    pub stale_ok: bool,
    /// Continue interrupted harvests from their checkpoints.
    pub resume: bool,
    /// Hugging Face incremental harvest.
    pub incremental: bool,
}

/// `catalog snapshot`, validated.
#[derive(Debug)]
pub struct SnapshotConfig {
    /// The harvest.
    pub run: RunConfig,
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
}

/// What a harvest command runs.
#[derive(Debug)]
pub struct RunConfig {
    /// Providers to fetch, in output order.
    pub targets: Vec<Target>,
    /// Providers selected by `--all` but skipped for a missing key.
    pub skipped: Vec<Target>,
    /// Names of the selected providers (run and skipped) in output order.
    pub order: Vec<String>,
    /// Harvest settings.
    pub harvest: HarvestOptions,
    /// Retry settings.
    pub policy: RetryPolicy,
    /// Show progress bars (when stderr is a terminal).
    pub progress: bool,
    /// Print the per-provider summary.
    pub summary: bool,
    /// Warnings to print before starting.
    pub warnings: Vec<String>,
    /// Cache use.
    pub cache: CacheConfig,
    /// Only records matching this are written or counted.
    pub filter: Option<Filter>,
}

/// `catalog fetch`, validated.
#[derive(Debug)]
pub struct FetchConfig {
    /// The harvest.
    pub run: RunConfig,
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
    pub run: RunConfig,
    /// Output format.
    pub format: SummaryFormat,
}

/// `catalog providers`, validated.
#[derive(Debug)]
pub struct ProvidersConfig {
    /// Every provider with its resolved endpoint and key state.
    pub providers: Vec<ProviderInfo>,
    /// Output format.
    pub format: SummaryFormat,
}

/// One line of `catalog providers`.
#[derive(Debug, serde::Serialize)]
pub struct ProviderInfo {
    /// Name.
    pub name: String,
    /// Other accepted names.
    pub aliases: Vec<String>,
    /// Listing URL in effect (after overrides).
    pub endpoint: String,
    /// Env vars that may hold the key.
    pub key_env: Vec<String>,
    /// Which of them is set now (never its value).
    pub key_set: Option<String>,
    /// Whether listing needs a key.
    pub needs_key: bool,
    /// The env var that overrides the endpoint.
    pub url_env: String,
}

/// The provider table (built-in plus the user's) and the user's defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Every provider, built-in first, in `catalog providers` order.
    pub table: Vec<ProviderSpec>,
    /// The user's defaults.
    pub defaults: Defaults,
    /// The providers `--all` means, in order.
    pub all: Vec<String>,
    /// The config file read, if any.
    pub path: Option<PathBuf>,
}

impl Settings {
    /// The built-in table alone.
    #[must_use]
    pub fn builtin() -> Settings {
        let table = providers::builtin();
        let all = table.iter().map(|p| p.name.clone()).collect();
        Settings {
            table,
            defaults: Defaults::default(),
            all,
            path: None,
        }
    }

    /// The built-in table plus the config file: `path`, else `CATALOG_CONFIG`,
    /// else `$XDG_CONFIG_HOME/catalog/config.toml` when it exists.
    ///
    /// # Errors
    /// A named file that is missing, or a malformed file (with its line).
    pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Settings, UsageError> {
        let explicit = path
            .map(Path::to_path_buf)
            .or_else(|| env.var("CATALOG_CONFIG").map(PathBuf::from));
        let path = match explicit {
            Some(p) => Some(p),
            None => env
                .var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(dirs::config_dir)
                .map(|d| d.join("catalog").join("config.toml"))
                .filter(|p| p.is_file()),
        };
        let mut settings = Settings::builtin();
        let Some(path) = path else {
            return Ok(settings);
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| UsageError::new(format!("config {}: {e}", path.display())))?;
        let (mine, defaults) = providers::parse_file(&text)
            .map_err(|e| UsageError::new(format!("config {}: {e}", path.display())))?;
        for p in mine {
            if let Some(b) = settings
                .table
                .iter()
                .find(|b| b.answers_to(&p.name) || p.aliases.iter().any(|a| b.answers_to(a)))
            {
                return Err(UsageError::new(format!(
                    "config {}: provider {:?} clashes with the built-in {}; choose another name",
                    path.display(),
                    p.name,
                    b.name
                )));
            }
            settings.all.push(p.name.clone());
            settings.table.push(p);
        }
        if let Some(all) = &defaults.all {
            for name in all {
                if !settings.table.iter().any(|p| &p.name == name) {
                    return Err(UsageError::new(format!(
                        "config {}: defaults.all names unknown provider {name:?}",
                        path.display()
                    )));
                }
            }
            settings.all.clone_from(all);
        }
        settings.defaults = defaults;
        settings.path = Some(path);
        Ok(settings)
    }
}

impl Target {
    /// A provider ready to harvest: its URL after overrides
    /// (`CATALOG_<NAME>_URL`, its `base_env`) and its key from the environment.
    ///
    /// # Errors
    /// A malformed URL override.
    pub fn resolve(spec: &ProviderSpec, env: &dyn Env) -> Result<Target, UsageError> {
        let url = resolve_url(spec, env)?;
        let found = spec.key_env.iter().find_map(|k| env.var(k).map(|v| (k, v)));
        Ok(Target {
            credential: found.as_ref().map(|(_, v)| Credential {
                key: Secret::new(v.trim().to_owned()),
                auth: spec.auth.clone(),
                origin: url.origin(),
            }),
            key_source: found.map(|(k, _)| k.clone()),
            spec: spec.clone(),
            url,
        })
    }
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
        let settings = Settings::load(cli.config.as_deref(), env)?;
        Config::with_settings(cli, &settings, env)
    }

    /// As [`Config::from_cli`], with given settings.
    ///
    /// # Errors
    /// See [`Config::from_cli`].
    pub fn with_settings(cli: Cli, settings: &Settings, env: &dyn Env) -> Result<Config, UsageError> {
        let table = settings.table.as_slice();
        let defaults = &settings.defaults;
        match cli.command {
            cli::Command::Fetch(a) => {
                if a.raw && matches!(a.format, Some(DataFormat::Csv)) {
                    return Err(UsageError::new(
                        "--raw needs json or ndjson output; CSV has no place for nested objects",
                    ));
                }
                let destination = match a.output.as_deref() {
                    None => Destination::Stdout,
                    Some(p) if p == Path::new("-") => Destination::Stdout,
                    Some(p) => Destination::File(p.to_path_buf()),
                };
                let configured = defaults.format.as_deref().map(|f| match f {
                    "json" => Ok(Format::Json),
                    "ndjson" => Ok(Format::Ndjson),
                    "csv" => Ok(Format::Csv),
                    other => Err(UsageError::new(format!(
                        "config: defaults.format {other:?} is not json, ndjson or csv"
                    ))),
                });
                let configured = configured.transpose()?;
                let format = match (a.format, &destination) {
                    (Some(f), _) => data_format(f),
                    (None, Destination::File(p)) => {
                        Format::from_path(p).or(configured).unwrap_or(Format::Json)
                    }
                    (None, Destination::Stdout) => configured.unwrap_or(Format::Json),
                };
                if a.raw && format == Format::Csv {
                    return Err(UsageError::new(
                        "--raw needs json or ndjson output; CSV has no place for nested objects",
                    ));
                }
                let fields = parse_fields(&a.fields).map_err(UsageError::new)?;
                let mut run = run_config(&a.selection, &a.harvest, &a.cache, settings, env)?;
                run.cache = cache_config(&a.cache, Some(&a.modes), None, defaults, &run)?;
                run.filter = Filter::parse(&a.select.filter).map_err(UsageError::new)?;
                run.harvest.raw = a.raw;
                run.progress = !a.display.no_progress && !a.display.quiet;
                run.summary = !a.display.quiet;
                Ok(Config::Fetch(FetchConfig {
                    run,
                    format,
                    destination,
                    fields,
                    csv_safe: a.csv_safe,
                }))
            }
            cli::Command::Count(a) => {
                let mut run = run_config(&a.selection, &a.harvest, &a.cache, settings, env)?;
                run.cache = cache_config(&a.cache, None, Some(Duration::from_secs(3600)), defaults, &run)?;
                run.filter = Filter::parse(&a.select.filter).map_err(UsageError::new)?;
                run.progress = !a.display.no_progress && !a.display.quiet;
                run.summary = false;
                Ok(Config::Count(CountConfig {
                    run,
                    format: a.format,
                }))
            }
            cli::Command::Snapshot(a) => {
                if a.dir.exists() && !a.dir.is_dir() {
                    return Err(UsageError::new(format!(
                        "--dir {} is not a directory",
                        a.dir.display()
                    )));
                }
                let mut run = run_config(&a.selection, &a.harvest, &a.cache, settings, env)?;
                run.cache = cache_config(&a.cache, Some(&a.modes), None, defaults, &run)?;
                run.filter = Filter::parse(&a.select.filter).map_err(UsageError::new)?;
                run.progress = !a.display.no_progress && !a.display.quiet;
                run.summary = !a.display.quiet;
                Ok(Config::Snapshot(SnapshotConfig {
                    run,
                    dir: a.dir,
                    format: data_format(a.format),
                    gzip: a.gzip,
                }))
            }
            cli::Command::Diff(a) => {
                let only = crate::diff::Only::parse(&a.only).map_err(UsageError::new)?;
                for p in [&a.old, &a.new] {
                    if !p.is_file() {
                        return Err(UsageError::new(format!("{} is not a readable file", p.display())));
                    }
                }
                Ok(Config::Diff(DiffConfig {
                    old: a.old,
                    new: a.new,
                    format: a.format,
                    only,
                }))
            }
            cli::Command::Completions { shell } => Ok(Config::Completions(shell)),
            cli::Command::Man => Ok(Config::Man),
            cli::Command::Cache(cli::CacheCommand::Ls { cache_dir, format }) => Ok(Config::CacheList {
                cache: open_cache(cache_dir)?,
                format,
            }),
            cli::Command::Cache(cli::CacheCommand::Clear { provider, cache_dir }) => {
                let provider = match provider {
                    Some(name) => {
                        let name = name.trim().to_ascii_lowercase();
                        let spec = table
                            .iter()
                            .find(|p| p.answers_to(&name))
                            .ok_or_else(|| unknown_provider(&name, table))?;
                        Some(spec.name.clone())
                    }
                    None => None,
                };
                Ok(Config::CacheClear {
                    cache: open_cache(cache_dir)?,
                    provider,
                })
            }
            cli::Command::Providers(a) => {
                let providers = table
                    .iter()
                    .map(|spec| {
                        let url = resolve_url(spec, env)?;
                        Ok(ProviderInfo {
                            name: spec.name.clone(),
                            aliases: spec.aliases.clone(),
                            endpoint: crate::http::display_url(&url),
                            key_env: spec.key_env.clone(),
                            key_set: spec.key_env.iter().find(|k| env.var(k).is_some()).cloned(),
                            needs_key: spec.needs_key,
                            url_env: spec.url_env(),
                        })
                    })
                    .collect::<Result<_, UsageError>>()?;
                Ok(Config::Providers(ProvidersConfig {
                    providers,
                    format: a.format,
                }))
            }
        }
    }
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
    modes: Option<&HubModes>,
    default_max_age: Option<Duration>,
    defaults: &Defaults,
    run: &RunConfig,
) -> Result<CacheConfig, UsageError> {
    let (incremental, resume) = modes.map_or((false, false), |m| (m.incremental, m.resume));
    if incremental {
        if run.targets.iter().all(|t| t.spec.shape != Shape::Huggingface) {
            return Err(UsageError::new(
                "--incremental applies to the Hugging Face Hub: add -p hug",
            ));
        }
        if run.harvest.hub.sort.is_some() {
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

fn data_format(f: DataFormat) -> Format {
    match f {
        DataFormat::Json => Format::Json,
        DataFormat::Ndjson => Format::Ndjson,
        DataFormat::Csv => Format::Csv,
    }
}

fn run_config(
    sel: &Selection,
    h: &Harvest,
    cache: &CacheArgs,
    settings: &Settings,
    env: &dyn Env,
) -> Result<RunConfig, UsageError> {
    let table = settings.table.as_slice();
    if !sel.all && sel.providers.is_empty() {
        return Err(UsageError::new(format!(
            "no provider selected: use -p NAME (one of {}) or --all",
            names(table)
        )));
    }
    let chosen: Vec<&ProviderSpec> = if sel.all {
        settings
            .all
            .iter()
            .filter_map(|n| table.iter().find(|p| &p.name == n))
            .collect()
    } else {
        let mut chosen: Vec<&ProviderSpec> = Vec::new();
        for raw in &sel.providers {
            let name = raw.trim().to_ascii_lowercase();
            if name.is_empty() {
                return Err(UsageError::new("empty provider name in -p"));
            }
            let spec = table
                .iter()
                .find(|p| p.answers_to(&name))
                .ok_or_else(|| unknown_provider(&name, table))?;
            if !chosen.iter().any(|c| c.name == spec.name) {
                chosen.push(spec);
            }
        }
        chosen
    };

    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    let order = chosen.iter().map(|s| s.name.clone()).collect();
    for spec in chosen {
        let target = Target::resolve(spec, env)?;
        // Offline, keys are not needed: the cache answers.
        if spec.needs_key && target.credential.is_none() && !cache.offline {
            if sel.all {
                skipped.push(target);
                continue;
            }
            return Err(UsageError::new(format!(
                "{} needs an API key to list its models: set {}",
                spec.name,
                spec.key_env.join(" or ")
            )));
        }
        targets.push(target);
    }

    let hub = HubFilters {
        search: h.search.clone(),
        author: h.author.clone(),
        sort: h.sort.map(|s| hub_sort(s).to_owned()),
        pipeline_tag: h.pipeline_tag.clone(),
    };
    let mut warnings = Vec::new();
    if hub != HubFilters::default() {
        let hubs = targets
            .iter()
            .filter(|t| t.spec.shape == Shape::Huggingface)
            .count();
        if hubs == 0 {
            return Err(UsageError::new(
                "--search, --author, --sort and --pipeline-tag filter the Hugging Face Hub: add -p hug",
            ));
        }
        if hubs < targets.len() {
            warnings.push(
                "--search, --author, --sort and --pipeline-tag apply to the Hugging Face Hub (hug) only"
                    .to_owned(),
            );
        }
    }
    Ok(RunConfig {
        targets,
        skipped,
        order,
        harvest: HarvestOptions {
            limit: h.limit.or(settings.defaults.limit),
            batch_size: h.batch_size.or(settings.defaults.batch_size),
            delay: h.delay_ms.map(Duration::from_millis),
            hub,
            raw: false,
            deliver_at: 0,
        },
        policy: RetryPolicy {
            retries: h.retries,
            timeout: Duration::from_secs(h.timeout),
            max_wait: Duration::from_secs(h.max_wait),
        },
        progress: true,
        summary: true,
        warnings,
        cache: CacheConfig::default(),
        filter: None,
    })
}

fn hub_sort(s: HubSort) -> &'static str {
    match s {
        HubSort::Downloads => "downloads",
        HubSort::Likes => "likes",
        HubSort::LastModified => "lastModified",
        HubSort::CreatedAt => "createdAt",
        HubSort::TrendingScore => "trendingScore",
    }
}

/// The listing URL in effect: `CATALOG_<NAME>_URL`, else the table URL with
/// its base replaced by the provider's `base_env` (e.g. `HF_ENDPOINT`).
fn resolve_url(spec: &ProviderSpec, env: &dyn Env) -> Result<Url, UsageError> {
    let check = |var: &str, value: &str| -> Result<Url, UsageError> {
        let url = Url::parse(value.trim()).map_err(|e| {
            UsageError::new(format!(
                "{var}={value:?} is not a URL ({e}); expected e.g. http://127.0.0.1:8080/v1/models"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(UsageError::new(format!(
                "{var}={value:?} must be an http:// or https:// URL with a host"
            )));
        }
        Ok(url)
    };
    let url_env = spec.url_env();
    if let Some(v) = env.var(&url_env) {
        return check(&url_env, &v);
    }
    if let Some(base_var) = &spec.base_env {
        if let Some(v) = env.var(base_var) {
            let base = check(base_var, &v)?;
            let mut url = base.clone();
            let prefix = base.path().trim_end_matches('/');
            url.set_path(&format!("{prefix}{}", spec.url.path()));
            url.set_query(spec.url.query());
            return Ok(url);
        }
    }
    Ok(spec.url.clone())
}

fn names(table: &[ProviderSpec]) -> String {
    table
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_provider(name: &str, table: &[ProviderSpec]) -> UsageError {
    let closest = table
        .iter()
        .flat_map(|p| {
            std::iter::once(&p.name)
                .chain(&p.aliases)
                .map(move |n| (n, &p.name))
        })
        .map(|(n, canonical)| (edit_distance(name, n), canonical))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3)
        .map(|(_, n)| format!(" (did you mean {n}?)"))
        .unwrap_or_default();
    UsageError::new(format!(
        "unknown provider {name:?}{closest}; known providers: {}",
        names(table)
    ))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
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

    fn run(c: Config) -> RunConfig {
        match c {
            Config::Fetch(f) => f.run,
            Config::Count(c) => c.run,
            _ => panic!("not a run"),
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
    fn nothing_selected_is_a_usage_error() {
        let err = config(&["count"], &[]).unwrap_err().to_string();
        assert!(err.starts_with("no provider selected: use -p NAME"), "{err}");
    }
}
