//! `catalog providers`: the provider table in effect, endpoints after
//! overrides, and which key variable is set (never its value).

use std::io;

use serde::Serialize;

use crate::config::ProvidersConfig;
use crate::http::display_url;
use crate::term::Summary;

/// One line of `catalog providers`.
#[derive(Debug, Serialize)]
struct ProviderInfo<'a> {
    name: &'a str,
    aliases: &'a [String],
    /// Listing URL in effect (after overrides).
    endpoint: String,
    /// Env vars that may hold the key.
    key_env: &'a [String],
    /// Which of them is set now.
    key_set: Option<&'a str>,
    /// Whether listing needs a key.
    needs_key: bool,
    /// The env var that overrides the endpoint.
    url_env: String,
}

/// Runs `catalog providers`.
///
/// # Errors
/// When stdout cannot be written.
pub(super) fn run(cfg: &ProvidersConfig) -> anyhow::Result<()> {
    let infos: Vec<ProviderInfo<'_>> = cfg
        .targets
        .iter()
        .map(|t| ProviderInfo {
            name: &t.spec.name,
            aliases: &t.spec.aliases,
            endpoint: display_url(&t.url),
            key_env: &t.spec.key_env,
            key_set: t.key_source.as_deref(),
            needs_key: t.spec.needs_key,
            url_env: t.spec.url_env(),
        })
        .collect();
    let mut rows = vec![["provider", "key", "key status", "key env", "endpoint"]
        .map(str::to_owned)
        .to_vec()];
    for p in &infos {
        rows.push(vec![
            p.name.to_owned(),
            if p.needs_key { "required" } else { "optional" }.to_owned(),
            p.key_set.map_or("not set".to_owned(), |k| format!("set ({k})")),
            p.key_env.join(", "),
            p.endpoint.clone(),
        ]);
    }
    Summary {
        rows,
        right: &[],
        footer: None,
        json: serde_json::value::to_raw_value(&infos)?,
    }
    .render(cfg.format, io::stdout().lock())?;
    Ok(())
}
