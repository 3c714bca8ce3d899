//! `catalog changes`: what the history database says changed between two
//! points, printed as `catalog diff` prints two files' differences.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::ChangesFormat;
use crate::config::ChangesConfig;
use crate::diff::{self, Change, Kind, Summary};
use crate::report::ExitCode;
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
    // Added and changed models first, then removed ones, as `diff` orders
    // them (and as its JSON document needs them): two passes over the
    // database rather than the removed ones held in memory.
    for removed in [false, true] {
        reader
            .transitions(x0, x1, &cfg.providers, &mut |t| {
                if t.new.is_none() != removed {
                    return Ok(());
                }
                let Some(change) =
                    diff::between(&t.provider, &t.id, t.old.as_deref(), t.new.as_deref(), &cfg.only)
                        .with_context(|| {
                            format!("a stored version of {} {} is not a record", t.provider, t.id)
                        })?
                else {
                    return Ok(());
                };
                summary.add(&change);
                match cfg.format {
                    ChangesFormat::Table => writeln!(out, "{}", table_line(&change))?,
                    ChangesFormat::Ndjson => write_json_line(&mut out, &change)?,
                    ChangesFormat::Json => doc.push(&mut out, &change)?,
                    ChangesFormat::Csv => csv_rows(&mut out, &change)?,
                }
                Ok(())
            })
            .with_context(|| format!("database {}", cfg.location.display()))?;
    }
    match cfg.format {
        ChangesFormat::Table => writeln!(out, "{summary}")?,
        ChangesFormat::Json => doc.finish(&mut out, &summary)?,
        ChangesFormat::Ndjson | ChangesFormat::Csv => {}
    }
    out.flush()?;
    Ok(ExitCode::Ok)
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
