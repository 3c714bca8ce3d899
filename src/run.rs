//! Running the commands: fan the providers out concurrently, stream their
//! records to the writer in the requested order, and report.

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::Context as _;
use tokio::sync::mpsc;

use crate::cli::SummaryFormat;
use crate::config::{CountConfig, FetchConfig, ProvidersConfig, RunConfig};
use crate::harvest::{harvest, Outcome, Status};
use crate::http::Http;
use crate::output::{write_json_line, RecordWriter};
use crate::progress::Progress;
use crate::record::Record;

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

/// Runs the selected harvests concurrently; `consume` receives one channel per
/// provider, in output order, on a blocking thread.
async fn run_harvests<T, C>(cfg: &RunConfig, progress: &Progress, consume: C) -> anyhow::Result<(Report, T)>
where
    T: Send + 'static,
    C: FnOnce(Vec<mpsc::UnboundedReceiver<Vec<Record>>>) -> anyhow::Result<T> + Send + 'static,
{
    for w in &cfg.warnings {
        progress.println(&format!("warning: {w}"));
    }
    let http = Http::new(cfg.policy).context("starting the HTTP client")?;
    let mut receivers = Vec::new();
    let mut tasks = Vec::new();
    for target in &cfg.targets {
        let (tx, rx) = mpsc::unbounded_channel::<Vec<Record>>();
        receivers.push(rx);
        let bar = progress.bar(&target.spec.name, target.limit(&cfg.harvest));
        let (http, target, opts) = (http.clone(), target.clone(), cfg.harvest.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = harvest(&http, &target, &opts, &bar, |batch| tx.send(batch).is_ok()).await;
            bar.finish(&match &outcome.status {
                Status::Ok => "done".to_owned(),
                Status::Failed(_) => "failed".to_owned(),
                Status::Skipped { .. } => "skipped".to_owned(),
            });
            outcome
        }));
    }
    let consumer = tokio::task::spawn_blocking(move || consume(receivers));
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.context("a harvest task panicked")?);
    }
    let consumed = consumer.await.context("the writer panicked")??;
    progress.clear();
    // Skipped providers are reported in selection order among the others.
    let mut done = outcomes.into_iter();
    let ordered = cfg
        .order
        .iter()
        .filter_map(|name| match cfg.skipped.iter().find(|s| &s.spec.name == name) {
            Some(t) => Some(Outcome::skipped(t)),
            None => done.next(),
        })
        .collect();
    Ok((Report { outcomes: ordered }, consumed))
}

/// `catalog fetch`: writes every record, then the summary on stderr.
///
/// # Errors
/// When the output cannot be opened or written (a closed pipe included; the
/// caller treats `BrokenPipe` as success).
pub async fn fetch(cfg: FetchConfig, progress: &Progress) -> anyhow::Result<Report> {
    let mut sink = cfg.destination.open()?;
    let format = cfg.format;
    let (report, sink) = run_harvests(&cfg.run, progress, move |receivers| {
        {
            let mut writer = RecordWriter::new(format, sink.writer())?;
            for mut rx in receivers {
                while let Some(batch) = rx.blocking_recv() {
                    for record in &batch {
                        writer.write(record)?;
                    }
                }
            }
            writer.finish()?;
        }
        Ok(sink)
    })
    .await?;
    sink.commit()?;
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
    let (report, ()) = run_harvests(&cfg.run, progress, |receivers| {
        // Counting needs no records: drain each channel as it fills.
        for mut rx in receivers {
            while rx.blocking_recv().is_some() {}
        }
        Ok(())
    })
    .await?;
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
    let rows: Vec<[String; 4]> = report
        .outcomes
        .iter()
        .map(|o| {
            let (models, status) = match &o.status {
                Status::Ok => (o.models.to_string(), "ok".to_owned()),
                Status::Skipped { key_env } => {
                    ("-".to_owned(), format!("skipped: set {}", key_env.join(" or ")))
                }
                Status::Failed(e) => ("-".to_owned(), format!("failed: {e}")),
            };
            let secs = if matches!(o.status, Status::Skipped { .. }) {
                "-".to_owned()
            } else {
                format!("{:.1}", o.elapsed.as_secs_f64())
            };
            [o.provider.clone(), models, secs, status]
        })
        .collect();
    let total: u64 = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Ok))
        .map(|o| o.models)
        .sum();
    let header = [
        "provider".to_owned(),
        "models".to_owned(),
        "seconds".to_owned(),
        "status".to_owned(),
    ];
    let footer = [
        "total".to_owned(),
        total.to_string(),
        String::new(),
        String::new(),
    ];
    let w0 = rows
        .iter()
        .chain([&header, &footer])
        .map(|r| r[0].len())
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .chain([&header, &footer])
        .map(|r| r[1].len())
        .max()
        .unwrap_or(0);
    let w2 = rows
        .iter()
        .chain([&header])
        .map(|r| r[2].len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in std::iter::once(&header)
        .chain(&rows)
        .chain(std::iter::once(&footer))
    {
        let line = format!("{:<w0$}  {:>w1$}  {:>w2$}  {}", r[0], r[1], r[2], r[3]);
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
            let rows: Vec<[String; 5]> = cfg
                .providers
                .iter()
                .map(|p| {
                    [
                        p.name.clone(),
                        if p.needs_key { "required" } else { "optional" }.to_owned(),
                        match &p.key_set {
                            Some(k) => format!("set ({k})"),
                            None => "not set".to_owned(),
                        },
                        p.key_env.join(", "),
                        p.endpoint.clone(),
                    ]
                })
                .collect();
            let header = ["provider", "key", "key status", "key env", "endpoint"].map(str::to_owned);
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    rows.iter()
                        .chain(std::iter::once(&header))
                        .map(|r| r[i].len())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for r in std::iter::once(&header).chain(&rows) {
                let line = format!(
                    "{:<a$}  {:<b$}  {:<c$}  {:<d$}  {}",
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    a = widths[0],
                    b = widths[1],
                    c = widths[2],
                    d = widths[3]
                );
                writeln!(out, "{}", sanitize(line.trim_end()))?;
            }
            out.flush()?;
        }
    }
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
