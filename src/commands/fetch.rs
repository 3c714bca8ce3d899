//! `catalog fetch`: every record to the output, then the summary on stderr.

use crate::config::{FetchConfig, Show};
use crate::output::RecordWriter;
use crate::pipeline;
use crate::progress::Progress;
use crate::report::Report;

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
    let (outcomes, writer) = pipeline::run(&cfg.run, progress, Some(writer)).await?;
    if let Some(w) = writer {
        w.close()?;
    }
    sink.commit()?;
    let report = Report { outcomes };
    if cfg.show.summary {
        for line in report.summary_lines() {
            progress.println(&line);
        }
    }
    Ok(report)
}

/// Says the configuration's warnings before a harvest starts.
pub(super) fn warn(show: &Show, progress: &Progress) {
    for w in &show.warnings {
        progress.println(&format!("warning: {w}"));
    }
}
