//! `catalog count`: the per-provider counts and the total on stdout.

use std::io;

use crate::config::CountConfig;
use crate::harvest::Status;
use crate::pipeline;
use crate::progress::Progress;
use crate::report::{skip_reason, Report};
use crate::term::Summary;

/// Runs `catalog count`.
///
/// # Errors
/// When stdout cannot be written.
pub(super) async fn run(cfg: CountConfig, progress: &Progress) -> anyhow::Result<Report> {
    super::fetch::warn(&cfg.show, progress);
    let (outcomes, _, _) = pipeline::run(&cfg.run, progress, None).await?;
    let report = Report { outcomes };
    summary(&report)?.render(cfg.format, io::stdout().lock())?;
    Ok(report)
}

fn summary(report: &Report) -> serde_json::Result<Summary> {
    let mut rows = vec![["provider", "models", "seconds", "status"]
        .map(str::to_owned)
        .to_vec()];
    let mut providers = serde_json::Map::new();
    let mut failed = serde_json::Map::new();
    let mut skipped = serde_json::Map::new();
    for o in &report.outcomes {
        let (models, secs, status) = match &o.status {
            Status::Ok => {
                providers.insert(o.provider.clone(), o.models.into());
                (
                    o.models.to_string(),
                    format!("{:.1}", o.elapsed.as_secs_f64()),
                    o.note
                        .as_ref()
                        .or(o.unchanged.as_ref())
                        .map_or("ok".to_owned(), |n| format!("ok ({n})")),
                )
            }
            Status::Skipped { key_env } => {
                skipped.insert(o.provider.clone(), format!("set {}", key_env.join(" or ")).into());
                ("-".to_owned(), "-".to_owned(), skip_reason(&o.status))
            }
            Status::Failed(e) => {
                failed.insert(o.provider.clone(), e.clone().into());
                (
                    "-".to_owned(),
                    format!("{:.1}", o.elapsed.as_secs_f64()),
                    format!("failed: {e}"),
                )
            }
        };
        rows.push(vec![o.provider.clone(), models, secs, status]);
    }
    let total = report.total_ok();
    rows.push(vec![
        "total".into(),
        total.to_string(),
        String::new(),
        String::new(),
    ]);
    let mut json = serde_json::json!({ "providers": providers, "total": total });
    if !failed.is_empty() {
        json["failed"] = failed.into();
    }
    if !skipped.is_empty() {
        json["skipped"] = skipped.into();
    }
    Ok(Summary {
        rows,
        right: &[false, true, true],
        footer: None,
        json: serde_json::value::to_raw_value(&json)?,
    })
}
