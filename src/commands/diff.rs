//! `catalog diff`: prints what [`crate::diff`] finds between two files, as a
//! table, one JSON document or NDJSON; exits like diff(1).

use std::fmt::Write as _;
use std::io::{self, Write};

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
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed: Option<io::Error> = None;
    let mut collected: Vec<Change> = Vec::new();
    let summary = diff::diff(&cfg.old, &cfg.new, &cfg.only, |change| {
        if failed.is_some() {
            return;
        }
        let result = match cfg.format {
            DiffFormat::Table => writeln!(out, "{}", table_line(&change)),
            DiffFormat::Ndjson => write_json_line(&mut out, &change),
            DiffFormat::Json => {
                collected.push(change);
                Ok(())
            }
        };
        failed = result.err();
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    match cfg.format {
        DiffFormat::Table => writeln!(out, "{summary}")?,
        DiffFormat::Ndjson => {}
        DiffFormat::Json => {
            let pick = |k: Kind| collected.iter().filter(|c| c.change == k).collect::<Vec<_>>();
            let doc = serde_json::json!({
                "added": pick(Kind::Added),
                "removed": pick(Kind::Removed),
                "changed": pick(Kind::Changed),
                "summary": summary,
            });
            write_json_line(&mut out, &doc)?;
        }
    }
    out.flush()?;
    Ok(if summary.any() {
        ExitCode::Differ
    } else {
        ExitCode::Ok
    })
}

/// Renders a change for people (control characters neutralized).
fn table_line(c: &Change) -> String {
    let mut line = match c.change {
        Kind::Added => format!("added    {}  {}", c.provider, c.id),
        Kind::Removed => format!("removed  {}  {}", c.provider, c.id),
        Kind::Changed => format!("changed  {}  {} ", c.provider, c.id),
    };
    for (i, f) in c.fields.iter().enumerate() {
        let show = |v: &serde_json::Value| match v {
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
        };
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
