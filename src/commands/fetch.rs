//! `catalog fetch`: every record to the output, then the summary on stderr.

use crate::config::{FetchConfig, Show};
use crate::output::Destination;
use crate::output::RecordWriter;
use crate::pipeline;
use crate::pipeline::Run;
use crate::progress::Progress;
use crate::report::Report;
use crate::term::{human_bytes, sanitize};

/// Runs `catalog fetch`.
///
/// # Errors
/// When the output cannot be opened or written (a closed pipe included; the
/// caller treats `BrokenPipe` as success).
pub async fn run(cfg: FetchConfig, progress: &Progress) -> anyhow::Result<Report> {
    let sink = cfg.destination.open()?;
    let mut writer = RecordWriter::new(cfg.format, sink.writer()?).csv_safe(cfg.csv_safe);
    if let Some(fields) = cfg.fields {
        writer = writer.with_fields(fields);
    }
    warn(&cfg.show, progress);
    let (outcomes, writer, db) = pipeline::run(&cfg.run, progress, Some(writer)).await?;
    if let Some(w) = writer {
        w.close()?;
    }
    let report = Report { outcomes };
    // A run that got nothing must not replace what the last good one wrote.
    let kept = match sink.replaces() {
        Some(path) if report.failed() && report.total() == 0 => Some(path.to_path_buf()),
        _ => None,
    };
    if kept.is_none() {
        sink.commit()?;
    }
    if cfg.show.summary {
        for line in report.summary_lines(progress.colour()) {
            progress.println(&line);
        }
        if kept.is_none() {
            let dest = match &cfg.destination {
                Destination::Stdout => "stdout".to_owned(),
                Destination::File(path) => match std::fs::metadata(path) {
                    Ok(m) if m.is_file() => format!("{} ({})", path.display(), human_bytes(m.len())),
                    _ => path.display().to_string(),
                },
            };
            progress.println(&report.total_line(&dest));
        }
        if let Some(Ok(run)) = &db {
            progress.println(&sanitize(&run.to_string()));
        }
    }
    if let Some(path) = kept {
        progress.println(&format!(
            "kept {} as it was: no provider gave a model",
            sanitize(&path.display().to_string())
        ));
    }
    hint_stale_ok(&cfg.run, &report, progress);
    // The output is committed by now: a database that failed costs the
    // history of this run, never the file.
    if let Some(Err(e)) = db {
        return Err(e);
    }
    Ok(report)
}

/// After a failure, names the failed providers that `--stale-ok` could
/// have served from the cache.
pub(super) fn hint_stale_ok(run: &Run, report: &Report, progress: &Progress) {
    let Some(cache) = run.cache.cache.as_ref().filter(|_| !run.cache.stale_ok) else {
        return;
    };
    let cached: Vec<String> = cache.list().into_iter().map(|e| e.header.provider).collect();
    let could: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.failed() && cached.contains(&o.provider))
        .map(|o| o.provider.as_str())
        .collect();
    if !could.is_empty() {
        progress.println(&format!(
            "hint: --stale-ok serves the last cached copy of {}",
            could.join(", ")
        ));
    }
}

/// Says the summary line of each provider that failed or was skipped: a
/// list that lacks their models says why (the ones that answered need no
/// line).
pub(super) fn say_not_ok(report: &Report, progress: &Progress) {
    for (o, line) in report
        .outcomes
        .iter()
        .zip(report.summary_lines(progress.colour()))
    {
        if !matches!(o.status, crate::harvest::Status::Ok) {
            progress.println(&line);
        }
    }
}

/// Says the configuration's warnings before a harvest starts.
pub(super) fn warn(show: &Show, progress: &Progress) {
    for w in &show.warnings {
        progress.println(&format!("warning: {w}"));
    }
}
