//! `catalog changes`: what the history database says changed between two
//! points, printed as `catalog diff` prints two files' differences.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::ChangesFormat;
use crate::config::ChangesConfig;
use crate::diff::{self, Change, Kind, Summary};
use crate::report::ExitCode;
use crate::store::{FastMap, FastSet, Places, Transition};
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
    let db = || format!("database {}", cfg.location.display());
    // The listing orders at x1 are read on a second connection while this
    // one reads the versions that changed: a Hub order of 500,000 ids took
    // as long to read as the versions did.
    let side = cfg.location.reader()?;
    let (all, newer) = std::thread::scope(|scope| {
        let newer = scope.spawn(move || -> anyhow::Result<FastMap<String, Places>> {
            let providers = if cfg.providers.is_empty() {
                side.providers_at(x1)?
            } else {
                cfg.providers.clone()
            };
            let mut newer = FastMap::default();
            for p in providers {
                // A window without an added or changed model of the
                // provider reads no order (an hourly cron's usual case).
                if side.began(x0, x1, &p)? {
                    if let Some(places) = side.places(x1, &p)? {
                        newer.insert(p, places);
                    }
                }
            }
            Ok(newer)
        });
        let mut all = Vec::new();
        let read = reader.transitions(x0, x1, &cfg.providers, &mut |t| {
            all.push(t);
            Ok(())
        });
        let newer = newer
            .join()
            .map_err(|_| anyhow::anyhow!("reading the listing orders panicked"))?;
        read.with_context(db)?;
        anyhow::Ok((all, newer.with_context(db)?))
    })?;
    // Each provider's added and changed models, placed in its order at x1.
    let mut located: FastMap<&str, FastMap<&str, usize>> = FastMap::default();
    for (provider, places) in &newer {
        let ids = all
            .iter()
            .filter(|t| t.new.is_some() && t.provider == *provider)
            .map(|t| t.id.as_str());
        if let Some(found) = places.find(ids) {
            located.insert(provider.as_str(), found);
        }
    }
    let order = provider_order(&reader, cfg, x1).with_context(db)?;
    let rank = |p: &str| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
    // The ids whose places the orders read above do not give: removed
    // models (at x0), and those of a provider whose order or changes have
    // two ids of one hash.
    let mut wanted: FastMap<(&str, bool), FastSet<&str>> = FastMap::default();
    for t in &all {
        let removed = t.new.is_none();
        if removed || !located.contains_key(t.provider.as_str()) {
            wanted
                .entry((t.provider.as_str(), removed))
                .or_default()
                .insert(t.id.as_str());
        }
    }
    let mut exact: FastMap<(&str, bool), FastMap<String, usize>> = FastMap::default();
    for (&(provider, removed), ids) in &wanted {
        let at = if removed { x0 } else { x1 };
        exact.insert(
            (provider, removed),
            reader.positions(at, provider, ids).with_context(db)?,
        );
    }
    let place = |t: &Transition| {
        let removed = t.new.is_none();
        match located.get(t.provider.as_str()).filter(|_| !removed) {
            Some(places) => places.get(t.id.as_str()).copied(),
            None => exact
                .get(&(t.provider.as_str(), removed))
                .and_then(|p| p.get(&t.id).copied()),
        }
        .unwrap_or(usize::MAX)
    };
    // Sorted by reference: keys borrowed from the transitions, no copies.
    let mut keyed: Vec<_> = all
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let key = (
                t.new.is_none(),
                rank(&t.provider),
                t.provider.as_str(),
                place(t),
                t.id.as_str(),
            );
            (key, i)
        })
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let sorted: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    // Compared in the order they were read (their versions' attributes lie
    // in memory in that order), written in the sorted one.
    let mut cs = compared(&all, &cfg.only)?;
    for change in sorted.into_iter().filter_map(|i| cs[i].take()) {
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

/// What each transition changed (`None`: nothing `--only` asks for), in
/// their order. Reading two versions' attributes is most of the work of a
/// large window, and each pair is independent: the pairs are compared on
/// the machine's cores, in consecutive slices.
fn compared(all: &[Transition], only: &diff::Only) -> anyhow::Result<Vec<Option<Change>>> {
    // Below a few thousand pairs a thread costs more than it saves.
    compared_from(all, only, 4096)
}

/// [`compared`], on several threads from `parallel_at` pairs.
fn compared_from(
    all: &[Transition],
    only: &diff::Only,
    parallel_at: usize,
) -> anyhow::Result<Vec<Option<Change>>> {
    let one = |t: &Transition| {
        diff::between_stored(&t.provider, &t.id, t.old.as_deref(), t.new.as_deref(), only)
            .with_context(|| format!("a stored version of {} {} is not a record", t.provider, t.id))
    };
    if all.len() < parallel_at {
        return all.iter().map(one).collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(2, 4);
    let slice = all.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .chunks(slice)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<anyhow::Result<Vec<_>>>()))
            .collect();
        let mut out = Vec::with_capacity(all.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("comparing versions panicked"))??,
            );
        }
        Ok(out)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_compared_on_several_threads_keep_their_order_and_results() {
        let t = |i: u32, old: &str, new: &str| Transition {
            provider: "p".into(),
            id: format!("m{i}"),
            old: Some(format!(r#"{{"provider":"p","id":"m{i}",{old}}}"#)),
            new: Some(format!(r#"{{"provider":"p","id":"m{i}",{new}}}"#)),
        };
        let all: Vec<Transition> = (0..9)
            .map(|i| match i % 3 {
                0 => t(i, r#""price_input":1"#, &format!(r#""price_input":{}"#, i + 2)),
                1 => t(i, r#""name":"a""#, r#""name":"a""#),
                _ => t(i, r#""context_length":8"#, r#""context_length":16"#),
            })
            .collect();
        let only = diff::Only::default();
        let one_thread = compared_from(&all, &only, usize::MAX).unwrap();
        let threads = compared_from(&all, &only, 1).unwrap();
        assert_eq!(threads, one_thread);
        let ids: Vec<Option<String>> = threads.iter().map(|c| c.as_ref().map(|c| c.id.clone())).collect();
        assert_eq!(ids[0].as_deref(), Some("m0"));
        assert_eq!(ids[1], None, "nothing compared changed");
        assert_eq!(ids[8].as_deref(), Some("m8"));
        assert_eq!(threads.iter().flatten().count(), 6);
        // A pair that is not a record is an error naming the model, on
        // either path.
        let mut bad = all;
        bad[7].new = Some("[".into());
        for at in [1, usize::MAX] {
            let e = compared_from(&bad, &only, at).unwrap_err();
            assert!(e.to_string().contains("p m7"), "{e}");
        }
    }
}
