//! Running the commands: fan the providers out concurrently, stream their
//! records to the writer in the requested order, and report.

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::Context as _;

use crate::cache::{human_age, Cache};
use crate::cli::{DiffFormat, SummaryFormat};
use crate::config::{CountConfig, DiffConfig, FetchConfig, ProvidersConfig};
use crate::diff;
use crate::harvest::{Outcome, Status};
use crate::output::{write_json_line, RecordWriter};
use crate::pipeline;
use crate::progress::Progress;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Every requested provider succeeded.
    Ok = 0,
    /// A runtime error (e.g. the output could not be written).
    Runtime = 1,
    /// A usage error.
    Usage = 2,
    /// At least one provider failed; the others were written.
    Partial = 3,
    /// Interrupted (SIGINT).
    Interrupted = 130,
}

/// What a harvest command did, provider by provider, in output order.
#[derive(Debug)]
pub struct Report {
    /// One outcome per selected provider (skipped ones included).
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// 3 when any provider failed, else 0.
    #[must_use]
    pub fn exit_code(&self) -> ExitCode {
        if self.outcomes.iter().any(Outcome::failed) {
            ExitCode::Partial
        } else {
            ExitCode::Ok
        }
    }

    /// Distinct (provider, id) records: each provider's records are already
    /// distinct and providers never share a key.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.outcomes.iter().map(|o| o.models).sum()
    }

    /// One summary line per provider (for stderr).
    #[must_use]
    pub fn summary_lines(&self) -> Vec<String> {
        let width = self.outcomes.iter().map(|o| o.provider.len()).max().unwrap_or(0);
        self.outcomes
            .iter()
            .map(|o| {
                let mut line = format!("{:width$}  ", o.provider);
                match &o.status {
                    Status::Ok => {
                        let _ = write!(
                            line,
                            "{} models, {}, {:.1} s",
                            o.models,
                            pages(o.pages),
                            o.elapsed.as_secs_f64()
                        );
                    }
                    Status::Skipped { key_env } => {
                        let _ = write!(line, "skipped: set {}", key_env.join(" or "));
                    }
                    Status::Failed(e) => {
                        let _ = write!(
                            line,
                            "failed after {} models, {}, {:.1} s: {e}",
                            o.models,
                            pages(o.pages),
                            o.elapsed.as_secs_f64()
                        );
                    }
                }
                if let Some(note) = &o.note {
                    let _ = write!(line, " [{note}]");
                }
                if o.skipped > 0 {
                    let _ = write!(line, " ({} malformed models skipped)", o.skipped);
                }
                if o.duplicates > 0 {
                    let _ = write!(line, " ({} duplicate ids dropped)", o.duplicates);
                }
                sanitize(&line)
            })
            .collect()
    }
}

fn pages(n: u64) -> String {
    if n == 1 {
        "1 page".to_owned()
    } else {
        format!("{n} pages")
    }
}

/// Neutralizes control characters (ANSI escapes included) in text meant for a
/// terminal; provider data must not drive the user's terminal.
#[must_use]
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// `catalog fetch`: writes every record, then the summary on stderr.
///
/// # Errors
/// When the output cannot be opened or written (a closed pipe included; the
/// caller treats `BrokenPipe` as success).
pub async fn fetch(cfg: FetchConfig, progress: &Progress) -> anyhow::Result<Report> {
    let sink = cfg.destination.open()?;
    let mut writer = RecordWriter::new(cfg.format, sink.writer()?)?.csv_safe(cfg.csv_safe);
    if let Some(fields) = cfg.fields {
        writer = writer.with_fields(fields);
    }
    let (outcomes, writer) = pipeline::run(&cfg.run, progress, Some(writer)).await?;
    if let Some(w) = writer {
        w.finish()?.finish()?;
    }
    sink.commit()?;
    let report = Report { outcomes };
    if cfg.run.summary {
        for line in report.summary_lines() {
            progress.println(&line);
        }
    }
    Ok(report)
}

/// `catalog count`: the per-provider counts and the distinct total on stdout.
///
/// # Errors
/// When stdout cannot be written.
pub async fn count(cfg: CountConfig, progress: &Progress) -> anyhow::Result<Report> {
    let (outcomes, _) = pipeline::run(&cfg.run, progress, None).await?;
    let report = Report { outcomes };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cfg.format {
        SummaryFormat::Json => write_json_line(&mut out, &count_json(&report))?,
        SummaryFormat::Table => {
            out.write_all(count_table(&report).as_bytes())?;
            out.flush()?;
        }
    }
    Ok(report)
}

fn count_json(report: &Report) -> serde_json::Value {
    let mut providers = serde_json::Map::new();
    let mut failed = serde_json::Map::new();
    let mut skipped = serde_json::Map::new();
    for o in &report.outcomes {
        match &o.status {
            Status::Ok => {
                providers.insert(o.provider.clone(), o.models.into());
            }
            Status::Failed(e) => {
                failed.insert(o.provider.clone(), e.clone().into());
            }
            Status::Skipped { key_env } => {
                skipped.insert(o.provider.clone(), format!("set {}", key_env.join(" or ")).into());
            }
        }
    }
    let total: u64 = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Ok))
        .map(|o| o.models)
        .sum();
    let mut v = serde_json::json!({ "providers": providers, "total": total });
    if !failed.is_empty() {
        v["failed"] = failed.into();
    }
    if !skipped.is_empty() {
        v["skipped"] = skipped.into();
    }
    v
}

fn count_table(report: &Report) -> String {
    let mut rows = vec![vec![
        "provider".into(),
        "models".into(),
        "seconds".into(),
        "status".into(),
    ]];
    for o in &report.outcomes {
        let (models, status) = match &o.status {
            Status::Ok => (
                o.models.to_string(),
                o.note.as_ref().map_or("ok".to_owned(), |n| format!("ok ({n})")),
            ),
            Status::Skipped { key_env } => ("-".to_owned(), format!("skipped: set {}", key_env.join(" or "))),
            Status::Failed(e) => ("-".to_owned(), format!("failed: {e}")),
        };
        let secs = if matches!(o.status, Status::Skipped { .. }) {
            "-".to_owned()
        } else {
            format!("{:.1}", o.elapsed.as_secs_f64())
        };
        rows.push(vec![o.provider.clone(), models, secs, status]);
    }
    let total: u64 = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Ok))
        .map(|o| o.models)
        .sum();
    rows.push(vec![
        "total".into(),
        total.to_string(),
        String::new(),
        String::new(),
    ]);
    table(&rows, &[false, true, true])
}

/// Aligns rows into columns two spaces apart; `right[i]` right-aligns column
/// `i`; the last column is left as it is. Control characters are neutralized
/// and trailing spaces trimmed.
fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols.saturating_sub(1))
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            match widths.get(i) {
                Some(&w) if right.get(i).copied().unwrap_or(false) => line.push_str(&format!("{cell:>w$}")),
                Some(&w) => line.push_str(&format!("{cell:<w$}")),
                None => line.push_str(cell),
            }
        }
        out.push_str(&sanitize(line.trim_end()));
        out.push('\n');
    }
    out
}

/// `catalog providers`.
///
/// # Errors
/// When stdout cannot be written.
pub fn providers(cfg: &ProvidersConfig) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cfg.format {
        SummaryFormat::Json => write_json_line(&mut out, &cfg.providers)?,
        SummaryFormat::Table => {
            let mut rows = vec![["provider", "key", "key status", "key env", "endpoint"]
                .map(str::to_owned)
                .to_vec()];
            for p in &cfg.providers {
                rows.push(vec![
                    p.name.clone(),
                    if p.needs_key { "required" } else { "optional" }.to_owned(),
                    p.key_set
                        .as_ref()
                        .map_or("not set".to_owned(), |k| format!("set ({k})")),
                    p.key_env.join(", "),
                    p.endpoint.clone(),
                ]);
            }
            out.write_all(table(&rows, &[]).as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

/// `catalog diff`: exit 0 when the files hold the same models, 1 when they
/// differ.
///
/// # Errors
/// A [`crate::diff::InputError`] for a bad input file (exit 2), or an I/O
/// error writing stdout.
pub fn diff(cfg: &DiffConfig) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed: Option<io::Error> = None;
    let mut collected: Vec<diff::Change> = Vec::new();
    let summary = diff::diff(&cfg.old, &cfg.new, &cfg.only, |change| {
        if failed.is_some() {
            return;
        }
        let result = match cfg.format {
            DiffFormat::Table => writeln!(out, "{}", diff::table_line(&change)),
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
            let pick = |k: diff::Kind| collected.iter().filter(|c| c.change == k).collect::<Vec<_>>();
            let doc = serde_json::json!({
                "added": pick(diff::Kind::Added),
                "removed": pick(diff::Kind::Removed),
                "changed": pick(diff::Kind::Changed),
                "summary": summary,
            });
            write_json_line(&mut out, &doc)?;
        }
    }
    out.flush()?;
    Ok(if summary.any() {
        ExitCode::Runtime
    } else {
        ExitCode::Ok
    })
}

/// `catalog cache ls`.
///
/// # Errors
/// When stdout cannot be written.
pub fn cache_list(cache: &Cache, format: SummaryFormat) -> anyhow::Result<()> {
    let entries = cache.list();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match format {
        SummaryFormat::Json => {
            let list: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "provider": e.header.provider,
                        "fetched_at": e.header.fetched_at,
                        "age_seconds": e.age().as_secs(),
                        "models": e.header.models,
                        "pages": e.header.pages,
                        "bytes": e.size,
                        "key": e.header.key,
                        "path": e.path,
                    })
                })
                .collect();
            write_json_line(&mut out, &list)?;
        }
        SummaryFormat::Table => {
            let mut rows = vec![["provider", "age", "models", "size", "key"]
                .map(str::to_owned)
                .to_vec()];
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
            }
            out.write_all(table(&rows, &[false, true, true, true]).as_bytes())?;
            writeln!(out, "{} entries in {}", entries.len(), cache.dir().display())?;
        }
    }
    Ok(())
}

/// `catalog cache clear`.
///
/// # Errors
/// When files cannot be removed.
pub fn cache_clear(cache: &Cache, provider: Option<&str>) -> anyhow::Result<()> {
    let n = cache
        .clear(provider)
        .with_context(|| format!("clearing {}", cache.dir().display()))?;
    eprintln!("removed {n} cache files from {}", cache.dir().display());
    Ok(())
}

fn human_bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let f = n as f64;
    match n {
        0..=1023 => format!("{n} B"),
        1024..=1_048_575 => format!("{:.1} KiB", f / 1024.0),
        _ => format!("{:.1} MiB", f / 1_048_576.0),
    }
}

/// `catalog completions SHELL`: the completion script on stdout.
///
/// # Errors
/// When stdout cannot be written.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    let mut cmd = crate::cli::Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "catalog", &mut out);
    out.flush()?;
    Ok(())
}

/// `catalog man`: the man page (roff) on stdout.
///
/// # Errors
/// When stdout cannot be written.
pub fn man() -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    let cmd = crate::cli::Cli::command();
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // Each subcommand's options as its own section of the page.
        writeln!(out, ".SH \"CATALOG {}\"", sub.get_name().to_ascii_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone());
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_loses_escape_sequences() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{7}"), "a\u{FFFD}[31mred\u{FFFD}");
    }
}
