//! Which providers a command names (`-p`, `--all`), and each one made ready:
//! its URL after overrides and its key from the environment.

use url::Url;

use super::{Env, Settings};
use crate::cli::Selection;
use crate::error::UsageError;
use crate::harvest::Target;
use crate::http::{Credential, Secret};
use crate::pipeline::Selected;
use crate::providers::ProviderSpec;
use crate::term::edit_distance;

/// The selected providers in output order; with `--all`, those whose listing
/// needs a missing key are `Skipped`, named with `-p` they are an error.
/// Offline, keys are not needed: the cache answers.
pub(super) fn providers(
    sel: &Selection,
    offline: bool,
    settings: &Settings,
    env: &dyn Env,
) -> Result<Vec<Selected>, UsageError> {
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
            let spec = find(raw, table)?;
            if !chosen.iter().any(|c| c.name == spec.name) {
                chosen.push(spec);
            }
        }
        chosen
    };
    chosen
        .into_iter()
        .map(|spec| {
            let target = Target::resolve(spec, env)?;
            if spec.needs_key && target.credential.is_none() && !offline {
                if !sel.all {
                    return Err(UsageError::new(format!(
                        "{} needs an API key to list its models: set {}",
                        spec.name,
                        spec.key_vars()
                    )));
                }
                return Ok(Selected::Skipped(target));
            }
            Ok(Selected::Fetch(target))
        })
        .collect()
}

/// The provider a name or alias designates (trimmed, any case).
pub(super) fn find<'a>(raw: &str, table: &'a [ProviderSpec]) -> Result<&'a ProviderSpec, UsageError> {
    let name = raw.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(UsageError::new("empty provider name in -p"));
    }
    table
        .iter()
        .find(|p| p.answers_to(&name))
        .ok_or_else(|| unknown_provider(&name, table))
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
        if let Some((var, key)) = &found {
            // A line break would end the header early: the request would go
            // out with a truncated or empty key, or an injected header.
            if key.trim().chars().any(char::is_control) {
                return Err(UsageError::new(format!(
                    "{var} holds a line break or another control character; set it to the key alone"
                )));
            }
        }
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

/// The listing URL in effect: `CATALOG_<NAME>_URL`, else the table URL with
/// its base replaced by the provider's `base_env` (e.g. `HF_ENDPOINT`).
fn resolve_url(spec: &ProviderSpec, env: &dyn Env) -> Result<Url, UsageError> {
    let url_env = spec.url_env();
    if let Some(v) = env.var(&url_env) {
        return checked_url(&url_env, &v);
    }
    if let Some(base) = base_url(spec, env)? {
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", spec.url.path()));
        url.set_query(spec.url.query());
        return Ok(url);
    }
    Ok(spec.url.clone())
}

/// The provider's `base_env` (`HF_ENDPOINT`), when set.
fn base_url(spec: &ProviderSpec, env: &dyn Env) -> Result<Option<Url>, UsageError> {
    match spec.base_env.as_ref().and_then(|var| Some((var, env.var(var)?))) {
        Some((var, value)) => checked_url(var, &value).map(Some),
        None => Ok(None),
    }
}

/// The base URL of a provider's other APIs (the Hub's `/api/partners/…`
/// beside its `/api/models`): its `base_env` (`HF_ENDPOINT`) when set, else
/// its listing URL in effect without the table's path (a listing URL of
/// another form leaves its origin).
pub(super) fn api_base(spec: &ProviderSpec, env: &dyn Env) -> Result<Url, UsageError> {
    if let Some(base) = base_url(spec, env)? {
        return Ok(base);
    }
    let listing = resolve_url(spec, env)?;
    let mut base = listing.clone();
    base.set_query(None);
    base.set_path(listing.path().strip_suffix(spec.url.path()).unwrap_or(""));
    Ok(base)
}

/// `value` of `var` as an http(s) URL with a host.
fn checked_url(var: &str, value: &str) -> Result<Url, UsageError> {
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
