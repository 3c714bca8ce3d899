//! `catalog history PROVIDER/ID`: every recorded version of one model, with
//! the interval it was valid (the times of the fetches that saw it appear
//! and change or vanish).

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::ChangesFormat;
use crate::config::HistoryConfig;
use crate::diff::{self, Only};
use crate::error::UsageError;
use crate::report::ExitCode;
use crate::store::Version;
use crate::term::{sanitize, table, write_json_line};

use super::diff::show;

/// Runs `catalog history`.
///
/// # Errors
/// A database that cannot be read, a model it never saw, or stdout that
/// cannot be written.
pub(super) fn run(cfg: &HistoryConfig) -> anyhow::Result<ExitCode> {
    let reader = cfg.location.reader()?;
    let versions = reader
        .versions(&cfg.provider, &cfg.id)
        .with_context(|| format!("database {}", cfg.location.display()))?;
    if versions.is_empty() {
        return Err(UsageError::new(format!(
            "database {} has no version of {} {}",
            cfg.location.display(),
            cfg.provider,
            sanitize(&cfg.id)
        ))
        .into());
    }
    let field = cfg.field.map(crate::record::Field::name);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let rows: Vec<Row> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| Row::new(v, i.checked_sub(1).map(|p| &versions[p]), field))
        .collect::<anyhow::Result<_>>()?;
    match cfg.format {
        ChangesFormat::Table => {
            let mut cells = vec![vec![
                "valid_from".to_owned(),
                "valid_to".to_owned(),
                "run".to_owned(),
                field.unwrap_or("change").to_owned(),
            ]];
            for r in &rows {
                cells.push(vec![
                    r.from.clone(),
                    r.to.clone().unwrap_or_else(|| "current".to_owned()),
                    r.run.to_string(),
                    sanitize(&r.what),
                ]);
            }
            out.write_all(table(&cells, &[false, false, true, false]).as_bytes())?;
        }
        ChangesFormat::Json => {
            serde_json::to_writer(&mut out, &rows.iter().map(Row::json).collect::<Vec<_>>())?;
            out.write_all(b"\n")?;
        }
        ChangesFormat::Ndjson => {
            for r in &rows {
                write_json_line(&mut out, &r.json())?;
            }
        }
        ChangesFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["valid_from", "valid_to", "run", field.unwrap_or("change")])?;
            for r in &rows {
                w.write_record([
                    &r.from,
                    r.to.as_deref().unwrap_or_default(),
                    &r.run.to_string(),
                    &r.what,
                ])?;
            }
            w.flush()?;
        }
    }
    out.flush()?;
    Ok(ExitCode::Ok)
}

/// One version, ready to print.
struct Row {
    from: String,
    to: Option<String>,
    run: i64,
    /// The field's value, or what changed since the previous version.
    what: String,
    /// The field's value (`--field`) or the whole record, for JSON.
    value: serde_json::Value,
    field: Option<&'static str>,
}

impl Row {
    fn new(v: &Version, previous: Option<&Version>, field: Option<&'static str>) -> anyhow::Result<Row> {
        let attrs: serde_json::Value =
            serde_json::from_str(&v.attrs).context("a stored version is not a record")?;
        let (what, value) = match field {
            Some(f) => {
                let value = attrs.get(f).cloned().unwrap_or(serde_json::Value::Null);
                (show(&value), value)
            }
            None => (describe(v, previous)?, attrs),
        };
        Ok(Row {
            from: v.from.at.clone(),
            to: v.to.as_ref().map(|p| p.at.clone()),
            run: v.from.run,
            what,
            value,
            field,
        })
    }

    fn json(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("valid_from".into(), self.from.clone().into());
        o.insert("valid_to".into(), self.to.clone().into());
        o.insert("run".into(), self.run.into());
        o.insert(self.field.unwrap_or("record").into(), self.value.clone());
        serde_json::Value::Object(o)
    }
}

/// What a version changed, in `catalog diff`'s words: `first seen`, `added
/// again` after a gap, or the changed fields (old -> new).
fn describe(v: &Version, previous: Option<&Version>) -> anyhow::Result<String> {
    let Some(p) = previous else {
        return Ok("first seen".to_owned());
    };
    if p.to.as_ref().is_none_or(|to| to.fetch != v.from.fetch) {
        return Ok("listed again".to_owned());
    }
    let change = diff::between_stored("", "", Some(&p.attrs), Some(&v.attrs), &Only::default())
        .context("a stored version is not a record")?;
    Ok(match change {
        Some(c) => c
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{} {} -> {}{}",
                    f.field,
                    show(&f.old),
                    show(&f.new),
                    f.change.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        // A field `diff` does not compare (tags, owner, task, ...).
        None => "other attributes".to_owned(),
    })
}
