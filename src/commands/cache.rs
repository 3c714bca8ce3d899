//! `catalog cache ls` and `catalog cache clear`.

use std::io;
use std::time::Duration;

use anyhow::Context as _;

use crate::cache::{Cache, Key};
use crate::cli::SummaryFormat;
use crate::term::{count, human_age, human_bytes, say, Summary};

/// `catalog cache ls`: the entries, and the checkpoints of interrupted
/// harvests, by provider then age.
///
/// # Errors
/// When stdout cannot be written.
pub(super) fn list(cache: &Cache, format: SummaryFormat) -> anyhow::Result<()> {
    let entries = cache.list();
    let checkpoints = cache.checkpoints();
    let mut listed: Vec<(&str, Duration, Vec<String>, serde_json::Value)> =
        Vec::with_capacity(entries.len() + checkpoints.len());
    for e in &entries {
        listed.push((
            &e.header.provider,
            e.age(),
            vec![
                e.header.provider.clone(),
                human_age(e.age()),
                e.header.models.to_string(),
                human_bytes(e.size),
                key_text(&e.header.key),
            ],
            serde_json::json!({
                "provider": e.header.provider,
                "kind": "entry",
                "fetched_at": e.header.fetched_at,
                "age_seconds": seconds(e.age()),
                "models": e.header.models,
                "pages": e.header.pages,
                "bytes": e.size,
                "key": e.header.key,
                "path": e.path,
            }),
        ));
    }
    for k in &checkpoints {
        let cp = &k.checkpoint;
        let state = format!(
            "(checkpoint after {}: --resume continues it)",
            count(cp.pages, "page", "pages")
        );
        listed.push((
            &k.provider,
            cp.age(),
            vec![
                k.provider.clone(),
                human_age(cp.age()),
                cp.models.to_string(),
                human_bytes(cp.bytes),
                match &cp.key {
                    Some(key) => format!("{} {state}", key_text(key)),
                    None => state,
                },
            ],
            serde_json::json!({
                "provider": k.provider,
                "kind": "checkpoint",
                "fetched_at": cp.fetched_at,
                "age_seconds": seconds(cp.age()),
                "models": cp.models,
                "pages": cp.pages,
                "bytes": cp.bytes,
                "key": cp.key,
                "path": k.path,
                "continued_by": "--resume",
            }),
        ));
    }
    listed.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut rows = vec![["provider", "age", "models", "size", "key"]
        .map(str::to_owned)
        .to_vec()];
    let mut json = Vec::with_capacity(listed.len());
    for (_, _, row, value) in listed {
        rows.push(row);
        json.push(value);
    }
    let mut footer = count(entries.len() as u64, "entry", "entries");
    if !checkpoints.is_empty() {
        footer.push_str(" and ");
        footer.push_str(&count(checkpoints.len() as u64, "checkpoint", "checkpoints"));
    }
    Summary {
        rows,
        right: &[false, true, true, true],
        footer: Some(format!("{footer} in {}", cache.dir().display())),
        json: serde_json::value::to_raw_value(&json)?,
    }
    .render(format, io::stdout().lock())?;
    Ok(())
}

/// `limit=1000 search=llama`: what the entry's harvest was asked for.
fn key_text(key: &Key) -> String {
    let limit = key.limit.map_or("all".to_owned(), |l| l.to_string());
    let mut text = format!("limit={limit}");
    for (k, v) in &key.filters {
        text.push_str(&format!(" {k}={v}"));
    }
    text
}

/// An age in whole seconds; `None` when it is unknown (dated in the future).
fn seconds(age: Duration) -> Option<u64> {
    (age != Duration::MAX).then_some(age.as_secs())
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
