//! `catalog count`: the per-provider counts and the total on stdout.

use std::io;

use super::group::Groups;
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
    if cfg.group_by.is_some() {
        let (outcomes, groups, _) = pipeline::run_into(&cfg.run, progress, Groups::default()).await?;
        let report = Report { outcomes };
        by_model(&groups, &report)?.render(cfg.format, io::stdout().lock())?;
        return Ok(report);
    }
    let (outcomes, _, _) = pipeline::run(&cfg.run, progress, None).await?;
    let report = Report { outcomes };
    summary(&report)?.render(cfg.format, io::stdout().lock())?;
    Ok(report)
}

/// One row per canonical id: most providers first, then by id.
fn by_model(groups: &Groups, report: &Report) -> serde_json::Result<Summary> {
    let keyed = groups.ranked();
    let mut rows = vec![["canonical_id", "providers", "records", "served by"]
        .map(str::to_owned)
        .to_vec()];
    let mut json = Vec::with_capacity(keyed.len());
    for (key, group) in &keyed {
        let names: Vec<&str> = group.providers.iter().map(String::as_str).collect();
        rows.push(vec![
            (*key).to_owned(),
            names.len().to_string(),
            group.records.to_string(),
            names.join(","),
        ]);
        json.push(serde_json::json!({
            "canonical_id": key,
            "providers": names,
            "records": group.records,
        }));
    }
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.failed())
        .map(|o| o.provider.as_str())
        .collect();
    let mut footer = format!(
        "{} from {}",
        crate::term::count(keyed.len() as u64, "model", "models"),
        crate::term::count(
            report
                .outcomes
                .iter()
                .filter(|o| matches!(o.status, Status::Ok))
                .count() as u64,
            "provider",
            "providers"
        )
    );
    if groups.unkeyed() > 0 {
        footer.push_str(&format!(", and {} without a canonical id", groups.unkeyed()));
    }
    if !failed.is_empty() {
        footer.push_str(&format!("; failed: {}", failed.join(", ")));
    }
    let doc = serde_json::json!({ "models": json, "unkeyed": groups.unkeyed(), "failed": failed });
    Ok(Summary {
        rows,
        right: &[false, true, true],
        footer: Some(footer),
        json: serde_json::value::to_raw_value(&doc)?,
    })
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
