//! The provider table in effect (built-in plus the user's config file) and
//! the user's defaults.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use super::Env;
use crate::cli::{DELAYS_MS, PAGE_SIZES};
use crate::error::UsageError;
use crate::output::Format;
use crate::providers::{self, ProviderSpec};

/// Defaults a user config file may set (`[defaults]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Output format of `fetch` when neither `-f` nor the `-o` extension says.
    #[serde(default)]
    pub format: Option<Format>,
    /// Models per provider when `--limit` is not given.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Page size when `--batch-size` is not given.
    #[serde(default)]
    pub batch_size: Option<u32>,
    /// Cache age accepted when `--max-age` is not given.
    #[serde(default)]
    pub max_age: Option<String>,
    /// The providers `--all` means, in order.
    #[serde(default)]
    pub all: Option<Vec<String>>,
}

/// A config file: `[defaults]` and `[providers.NAME]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    providers: IndexMap<String, ProviderSpec>,
}

/// The config file's numbers, held to the same ranges as the command line's
/// flags: a `limit = 0` or `page_size = 0` would harvest nothing and say
/// nothing, a huge `delay_ms` would hang.
fn check_ranges(file: &ConfigFile) -> Result<(), String> {
    let within = |what: &str, v: Option<u64>, (lo, hi): (u64, u64)| match v {
        Some(v) if !(lo..=hi).contains(&v) => Err(format!("{what} = {v} is out of range ({lo}..={hi})")),
        _ => Ok(()),
    };
    let pages = (
        u64::try_from(*PAGE_SIZES.start()).unwrap_or(1),
        u64::try_from(*PAGE_SIZES.end()).unwrap_or(1000),
    );
    let delays = (*DELAYS_MS.start(), *DELAYS_MS.end());
    let d = &file.defaults;
    if d.limit == Some(0) {
        return Err("defaults.limit = 0 would harvest nothing; use 1 or more".into());
    }
    within("defaults.batch_size", d.batch_size.map(u64::from), pages)?;
    for (name, p) in &file.providers {
        if p.limit == Some(0) {
            return Err(format!(
                "providers.{name}.limit = 0 would harvest nothing; use 1 or more"
            ));
        }
        within(
            &format!("providers.{name}.page_size"),
            p.page_size.map(u64::from),
            pages,
        )?;
        within(&format!("providers.{name}.delay_ms"), p.delay_ms, delays)?;
    }
    Ok(())
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
        let bad = |e: String| UsageError::new(format!("config {}: {e}", path.display()));
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        check_ranges(&file).map_err(bad)?;
        let mine = providers::table_from(file.providers).map_err(bad)?;
        for p in mine {
            if let Some(b) = settings
                .table
                .iter()
                .find(|b| b.answers_to(&p.name) || p.aliases.iter().any(|a| b.answers_to(a)))
            {
                return Err(bad(format!(
                    "provider {:?} clashes with the built-in {}; choose another name",
                    p.name, b.name
                )));
            }
            settings.all.push(p.name.clone());
            settings.table.push(p);
        }
        if let Some(all) = &file.defaults.all {
            for name in all {
                if !settings.table.iter().any(|p| &p.name == name) {
                    return Err(bad(format!("defaults.all names unknown provider {name:?}")));
                }
            }
            settings.all.clone_from(all);
        }
        settings.defaults = file.defaults;
        Ok(settings)
    }
}
