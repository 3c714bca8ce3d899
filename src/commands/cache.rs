//! `catalog cache ls` and `catalog cache clear`.

use std::io;

use anyhow::Context as _;

use crate::cache::Cache;
use crate::cli::SummaryFormat;
use crate::term::{human_age, human_bytes, say, Summary};

/// `catalog cache ls`.
///
/// # Errors
/// When stdout cannot be written.
pub(super) fn list(cache: &Cache, format: SummaryFormat) -> anyhow::Result<()> {
    let entries = cache.list();
    let mut rows = vec![["provider", "age", "models", "size", "key"]
        .map(str::to_owned)
        .to_vec()];
    let mut json = Vec::with_capacity(entries.len());
    for e in &entries {
        let filters: Vec<String> = e
            .header
            .key
            .filters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let limit = e.header.key.limit.map_or("all".to_owned(), |l| l.to_string());
        rows.push(vec![
            e.header.provider.clone(),
            human_age(e.age()),
            e.header.models.to_string(),
            human_bytes(e.size),
            format!("limit={limit} {}", filters.join(" "))
                .trim_end()
                .to_owned(),
        ]);
        json.push(serde_json::json!({
            "provider": e.header.provider,
            "fetched_at": e.header.fetched_at,
            "age_seconds": (e.age() != std::time::Duration::MAX).then(|| e.age().as_secs()),
            "models": e.header.models,
            "pages": e.header.pages,
            "bytes": e.size,
            "key": e.header.key,
            "path": e.path,
        }));
    }
    Summary {
        rows,
        right: &[false, true, true, true],
        footer: Some(format!("{} entries in {}", entries.len(), cache.dir().display())),
        json: serde_json::value::to_raw_value(&json)?,
    }
    .render(format, io::stdout().lock())?;
    Ok(())
}

/// `catalog cache clear`.
///
/// # Errors
/// When files cannot be removed.
pub(super) fn clear(cache: &Cache, provider: Option<&str>) -> anyhow::Result<()> {
    let n = cache
        .clear(provider)
        .with_context(|| format!("clearing {}", cache.dir().display()))?;
    say(&format!("removed {n} cache files from {}", cache.dir().display()));
    Ok(())
}
