//! `catalog diff`: prints what [`crate::diff`] finds between two files, as a
//! table, one JSON document or NDJSON; exits like diff(1).

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::DiffFormat;
use crate::config::DiffConfig;
use crate::diff::{self, Change, Kind};
use crate::report::ExitCode;
use crate::term::{sanitize, write_json_line};

/// Runs `catalog diff`: [`ExitCode::Ok`] when the files hold the same
/// models, [`ExitCode::Differ`] when they differ.
///
/// # Errors
/// A [`crate::diff::InputError`] for a bad input file (exit 2), or an I/O
/// error writing stdout.
pub(super) fn run(cfg: &DiffConfig) -> anyhow::Result<ExitCode> {
    match &cfg.db {
        None => compare(&cfg.old, &cfg.new, cfg),
        Some(db) => {
            // Each point's catalog is written out as the file its run wrote
            // (its records, in its order), then compared as files are: one
            // comparison, one set of renderers.
            // A database that cannot be read is bad input (exit 2), as a
            // bad file is: exit 1 says "they differ".
            let name = db.location.display();
            let bad = |e: anyhow::Error| -> anyhow::Error {
                if e.downcast_ref::<crate::error::UsageError>().is_some() {
                    e
                } else {
                    diff::InputError {
                        path: format!("database {name}"),
                        reason: format!("{e:#}"),
                    }
                    .into()
                }
            };
            let reader = db.location.reader().map_err(bad)?;
            let old = side(&reader, "diff --db", &db.old, &db.table).map_err(bad)?;
            let new = side(&reader, "diff --db", &db.new, &db.table).map_err(bad)?;
            compare(old.path(), new.path(), cfg)
        }
    }
}

/// The catalog at `bound`, in a temporary NDJSON file: a run's providers in
/// the order it wrote them, or, at a time, every provider recorded by then in
/// the table's order.
fn side(
    reader: &crate::store::Reader,
    flag: &str,
    bound: &crate::store::Bound,
    table: &[String],
) -> anyhow::Result<tempfile::NamedTempFile> {
    let point = reader.point(flag, bound)?;
    let providers = match bound {
        crate::store::Bound::Run(n) => reader.run_providers(*n)?,
        crate::store::Bound::Time(_) => {
            let recorded = reader.providers_at(point.fetch)?;
            let mut ordered: Vec<String> = table.iter().filter(|p| recorded.contains(p)).cloned().collect();
            ordered.extend(recorded.into_iter().filter(|p| !table.contains(p)));
            ordered
        }
    };
    let file = tempfile::NamedTempFile::new().context("a temporary file for diff --db")?;
    let mut out = io::BufWriter::new(file.as_file());
    for provider in &providers {
        reader.catalog_at(point.fetch, provider, &mut |r| {
            serde_json::to_writer(&mut out, &r)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
    }
    out.flush()?;
    drop(out);
    Ok(file)
}

fn compare(old: &std::path::Path, new: &std::path::Path, cfg: &DiffConfig) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed: Option<io::Error> = None;
    let mut doc = JsonDoc::default();
    let summary = diff::diff(old, new, &cfg.only, |change| {
        if failed.is_some() {
            return;
        }
        let result = match cfg.format {
            DiffFormat::Table => writeln!(out, "{}", table_line(&change)),
            DiffFormat::Ndjson => write_json_line(&mut out, &change),
            DiffFormat::Json => doc.push(&mut out, &change),
        };
        failed = result.err();
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    match cfg.format {
        DiffFormat::Table => writeln!(out, "{summary}")?,
        DiffFormat::Ndjson => {}
        DiffFormat::Json => doc.finish(&mut out, &summary)?,
    }
    out.flush()?;
    Ok(if summary.any() {
        ExitCode::Differ
    } else {
        ExitCode::Ok
    })
}

/// Renders a change for people (control characters neutralized).
/// `-f json`, written as the changes come: `{"added":[...],"changed":[...],
/// "removed":[...],"summary":{...}}`. Added models go out at once; changed
/// ones, which arrive among them, wait in a temporary file rather than in
/// memory; removed ones come last of all and go out at once too.
#[derive(Default)]
pub(super) struct JsonDoc {
    added: usize,
    changed: Option<(io::BufWriter<std::fs::File>, usize)>,
    /// Removed models written so far; `Some` once the "removed" array is open.
    removed: Option<usize>,
}

impl JsonDoc {
    /// Keys in sorted order, as serde_json writes a map.
    fn element(out: &mut impl Write, first: bool, change: &Change) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &serde_json::to_value(change)?)?;
        Ok(())
    }

    pub(super) fn push(&mut self, out: &mut impl Write, change: &Change) -> io::Result<()> {
        match change.change {
            Kind::Added => {
                if self.added == 0 {
                    out.write_all(b"{\"added\":[")?;
                }
                Self::element(out, self.added == 0, change)?;
                self.added += 1;
            }
            Kind::Changed => {
                if self.changed.is_none() {
                    self.changed = Some((io::BufWriter::new(tempfile::tempfile()?), 0));
                }
                let (file, n) = self.changed.as_mut().expect("opened above");
                Self::element(file, *n == 0, change)?;
                *n += 1;
            }
            Kind::Removed => {
                if self.removed.is_none() {
                    self.close_added_and_changed(out)?;
                    out.write_all(b",\"removed\":[")?;
                    self.removed = Some(0);
                }
                let n = self.removed.as_mut().expect("opened above");
                Self::element(out, *n == 0, change)?;
                *n += 1;
            }
        }
        Ok(())
    }

    fn close_added_and_changed(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.added == 0 {
            out.write_all(b"{\"added\":[")?;
        }
        out.write_all(b"],\"changed\":[")?;
        if let Some((file, _)) = self.changed.take() {
            let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
            io::Seek::rewind(&mut file)?;
            io::copy(&mut file, out)?;
        }
        out.write_all(b"]")
    }

    pub(super) fn finish(mut self, out: &mut impl Write, summary: &diff::Summary) -> io::Result<()> {
        if self.removed.is_none() {
            self.close_added_and_changed(out)?;
            out.write_all(b",\"removed\":[")?;
        }
        out.write_all(b"],\"summary\":")?;
        serde_json::to_writer(&mut *out, &serde_json::to_value(summary)?)?;
        out.write_all(b"}\n")
    }
}

pub(super) fn table_line(c: &Change) -> String {
    let mut line = match c.change {
        Kind::Added => format!("added    {}  {}", c.provider, c.id),
        Kind::Removed => format!("removed  {}  {}", c.provider, c.id),
        Kind::Changed => format!("changed  {}  {} ", c.provider, c.id),
    };
    for (i, f) in c.fields.iter().enumerate() {
        let _ = write!(
            line,
            "{}{} {} -> {}{}",
            if i == 0 { " " } else { "; " },
            f.field,
            show(&f.old),
            show(&f.new),
            f.change.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()
        );
    }
    sanitize(line.trim_end())
}

/// A field's value for people: `unknown` for null, lists as `[a,b]`.
pub(super) fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "unknown".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}
