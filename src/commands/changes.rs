//! `catalog changes`: what the history database says changed between two
//! points, printed as `catalog diff` prints two files' differences.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::ChangesFormat;
use crate::config::ChangesConfig;
use crate::diff::{self, Change, Kind, Summary};
use crate::report::ExitCode;
use crate::store::{FastMap, FastSet};
use crate::term::write_json_line;

use super::diff::{show, table_line, JsonDoc};

/// Runs `catalog changes`. Changes found are no error: the exit code is 0
/// either way (a cron job reads the output, not the status).
///
/// # Errors
/// A database that cannot be read, or stdout that cannot be written.
pub(super) fn run(cfg: &ChangesConfig) -> anyhow::Result<ExitCode> {
    let reader = cfg.location.reader()?;
    let (x0, x1) = reader
        .window(cfg.since.as_ref(), cfg.until.as_ref())
        .with_context(|| format!("database {}", cfg.location.display()))?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let mut doc = JsonDoc::default();
    if cfg.format == ChangesFormat::Csv {
        writeln!(out, "change,provider,id,field,old,new,relative")?;
    }
    // In the order `diff` gives for the two files: added and changed models
    // in the newer catalog's order, then removed ones in the older one's;
    // providers as the last run of the window wrote them (or in -p's
    // order), each one's models in its listing order at that point. The
    // database gives them by (provider, id): they are held (the changes
    // only, not the catalog) and sorted.
    let mut all = Vec::new();
    reader
        .transitions(x0, x1, &cfg.providers, &mut |t| {
            all.push(t);
            Ok(())
        })
        .with_context(|| format!("database {}", cfg.location.display()))?;
    let order =
        provider_order(&reader, cfg, x1).with_context(|| format!("database {}", cfg.location.display()))?;
    let rank = |p: &str| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
    // Each (provider, removed) group's ids, then their places.
    let mut wanted: FastMap<(&str, bool), FastSet<&str>> = FastMap::default();
    for t in &all {
        wanted
            .entry((t.provider.as_str(), t.new.is_none()))
            .or_default()
            .insert(t.id.as_str());
    }
    let mut places: FastMap<(String, bool), FastMap<String, usize>> = FastMap::default();
    for ((provider, removed), ids) in &wanted {
        let at = if *removed { x0 } else { x1 };
        places.insert(
            ((*provider).to_owned(), *removed),
            reader
                .positions(at, provider, ids)
                .with_context(|| format!("database {}", cfg.location.display()))?,
        );
    }
    all.sort_by_cached_key(|t| {
        let removed = t.new.is_none();
        let place = places
            .get(&(t.provider.clone(), removed))
            .and_then(|p| p.get(&t.id).copied())
            .unwrap_or(usize::MAX);
        (
            removed,
            rank(&t.provider),
            t.provider.clone(),
            place,
            t.id.clone(),
        )
    });
    for t in all {
        let Some(change) =
            diff::between_stored(&t.provider, &t.id, t.old.as_deref(), t.new.as_deref(), &cfg.only)
                .with_context(|| format!("a stored version of {} {} is not a record", t.provider, t.id))?
        else {
            continue;
        };
        summary.add(&change);
        match cfg.format {
            ChangesFormat::Table => writeln!(out, "{}", table_line(&change))?,
            ChangesFormat::Ndjson => write_json_line(&mut out, &change)?,
            ChangesFormat::Json => doc.push(&mut out, &change)?,
            ChangesFormat::Csv => csv_rows(&mut out, &change)?,
        }
    }
    match cfg.format {
        ChangesFormat::Table => writeln!(out, "{summary}")?,
        ChangesFormat::Json => doc.finish(&mut out, &summary)?,
        ChangesFormat::Ndjson | ChangesFormat::Csv => {}
    }
    out.flush()?;
    Ok(ExitCode::Ok)
}

/// The providers' order: `-p`'s, else the order the run of fetch `x1` wrote
/// them in, the others after by name.
fn provider_order(
    reader: &crate::store::Reader,
    cfg: &ChangesConfig,
    x1: i64,
) -> anyhow::Result<Vec<String>> {
    if !cfg.providers.is_empty() {
        return Ok(cfg.providers.clone());
    }
    Ok(match reader.fetch_point(x1)? {
        Some(p) => reader.run_providers(p.run)?,
        None => Vec::new(),
    })
}

/// One CSV row per changed field (one for an added or removed model).
fn csv_rows(out: &mut impl Write, c: &Change) -> io::Result<()> {
    let kind = match c.change {
        Kind::Added => "added",
        Kind::Removed => "removed",
        Kind::Changed => "changed",
    };
    let mut w = csv::Writer::from_writer(out);
    if c.fields.is_empty() {
        w.write_record([kind, &c.provider, &c.id, "", "", "", ""])?;
    }
    for f in &c.fields {
        let value = |v: &serde_json::Value| if v.is_null() { String::new() } else { show(v) };
        w.write_record([
            kind,
            &c.provider,
            &c.id,
            &f.field,
            &value(&f.old),
            &value(&f.new),
            f.change.as_deref().unwrap_or_default(),
        ])?;
    }
    w.flush()
}
