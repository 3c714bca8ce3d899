//! `catalog snapshot`: timestamped catalog files for cron, written only when
//! something changed, with a one-line summary of what did.

use std::fs;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::SnapshotConfig;
use crate::diff::{self, Only};
use crate::output::{maybe_gzip, publish, temp_in, RecordWriter};
use crate::pipeline;
use crate::progress::Progress;
use crate::record::Timestamp;
use crate::report::Report;
use crate::term::sanitize;

/// What a snapshot run did.
#[derive(Debug)]
pub struct SnapshotReport {
    /// Per-provider outcomes.
    pub report: Report,
    /// The file written, if any.
    pub written: Option<PathBuf>,
}

/// `catalog-20261127T070000Z` from a time.
fn stamp(t: Timestamp) -> String {
    let s = t.to_string();
    format!("catalog-{}", s.replace(['-', ':'], ""))
}

/// Snapshot files in `dir`, oldest first: (time stamp, collision number, path).
/// A snapshot named in the future (beyond the clock skew a shared directory
/// may see) is left out with a warning: it would stay "the newest" for ever.
fn snapshots(dir: &Path) -> Vec<(String, u32, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let horizon = stamp(Timestamp(Timestamp::now().0 + crate::cache::CLOCK_SKEW));
    let horizon = horizon.trim_start_matches("catalog-").to_owned();
    let mut found: Vec<(String, u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix("catalog-")?;
            let (stem, _) = rest.split_once('.')?;
            let (ts, n) = match stem.split_once('_') {
                Some((ts, n)) => (ts, n.parse().ok()?),
                None => (stem, 0),
            };
            if ts.len() != 16 || !ts.ends_with('Z') {
                return None;
            }
            // Only a regular file is a snapshot: opening a FIFO named like
            // one would wait for a writer for ever.
            if !e.file_type().is_ok_and(|t| t.is_file()) {
                tracing::warn!("ignoring {name}: named like a snapshot but not a regular file");
                return None;
            }
            if ts > horizon.as_str() {
                tracing::warn!("ignoring snapshot {name}: it is named in the future");
                return None;
            }
            Some((ts.to_owned(), n, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// Whether two files hold the same bytes once decompressed.
fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut a, mut b) = (diff::open(a)?, diff::open(b)?);
    loop {
        let (x, y) = (a.fill_buf()?, b.fill_buf()?);
        if x.is_empty() || y.is_empty() {
            return Ok(x.is_empty() && y.is_empty());
        }
        let n = x.len().min(y.len());
        if x[..n] != y[..n] {
            return Ok(false);
        }
        a.consume(n);
        b.consume(n);
    }
}

/// Runs the harvest and writes the snapshot (see the command's help).
///
/// # Errors
/// I/O errors on the directory or files.
pub async fn run(cfg: SnapshotConfig, progress: &Progress) -> anyhow::Result<SnapshotReport> {
    fs::create_dir_all(&cfg.dir).with_context(|| format!("creating {}", cfg.dir.display()))?;
    let temp = temp_in(&cfg.dir, "catalog-snapshot")
        .with_context(|| format!("cannot write to {}", cfg.dir.display()))?;
    let writer =
        RecordWriter::new(cfg.format, maybe_gzip(temp.as_file().try_clone()?, cfg.gzip)).without_fetched_at();
    super::fetch::warn(&cfg.show, progress);
    let (outcomes, writer, db) = pipeline::run(&cfg.run, progress, Some(writer)).await?;
    if let Some(w) = writer {
        w.close()?;
    }
    let report = Report { outcomes };
    let say = |line: &str| {
        if cfg.show.summary {
            progress.println(line);
        }
    };
    for line in report.summary_lines(progress.colour()) {
        say(&line);
    }
    let db_error = match db {
        Some(Ok(run)) => {
            say(&sanitize(&run.to_string()));
            None
        }
        Some(Err(e)) => Some(e),
        None => None,
    };
    if report.failed() {
        progress.println("snapshot not written: a provider failed (--stale-ok fills in from the cache)");
        return recorded(
            db_error,
            SnapshotReport {
                report,
                written: None,
            },
        );
    }
    let ext = format!("{}{}", cfg.format.extension(), if cfg.gzip { ".gz" } else { "" });
    // From finding the previous snapshot to publishing the new one, one run
    // at a time: two concurrent runs would both compare against the same
    // previous file, or race for one name. The lock is on the directory
    // itself, so no file of ours is added to it.
    let lock = fs::File::open(&cfg.dir).with_context(|| format!("cannot open {}", cfg.dir.display()))?;
    lock.lock()
        .with_context(|| format!("locking {}", cfg.dir.display()))?;
    let previous = snapshots(&cfg.dir)
        .into_iter()
        .rev()
        .map(|(_, _, p)| p)
        .find(|p| p.to_string_lossy().ends_with(&format!(".{ext}")));
    if let Some(prev) = &previous {
        let same = same_content(prev, temp.path()).unwrap_or_else(|e| {
            progress.println(&format!(
                "warning: cannot read {}: {e}; writing a new snapshot",
                prev.display()
            ));
            false
        });
        if same {
            say(&format!(
                "unchanged since {}: no new snapshot written",
                prev.file_name().unwrap_or_default().to_string_lossy()
            ));
            return recorded(
                db_error,
                SnapshotReport {
                    report,
                    written: None,
                },
            );
        }
    }
    let base = stamp(Timestamp::now());
    let mut path = cfg.dir.join(format!("{base}.{ext}"));
    let mut n = 1;
    while fs::symlink_metadata(&path).is_ok() {
        n += 1;
        path = cfg.dir.join(format!("{base}_{n}.{ext}"));
    }
    publish(temp, &path, false)?;
    drop(lock);
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    match &previous {
        Some(prev) => match diff::diff(prev, &path, &Only::default(), |_| {}) {
            Ok(summary) => say(&format!(
                "wrote {name}: {summary} since {}",
                prev.file_name().unwrap_or_default().to_string_lossy()
            )),
            // The new snapshot is good; only the comparison failed.
            Err(e) => progress.println(&format!(
                "wrote {name}; cannot compare with the previous snapshot: {e}"
            )),
        },
        None => say(&format!(
            "wrote {name}: first snapshot, {} models",
            report.total()
        )),
    }
    recorded(
        db_error,
        SnapshotReport {
            report,
            written: Some(path),
        },
    )
}

/// The report, unless the database failed (the files are written by then).
fn recorded(db_error: Option<anyhow::Error>, report: SnapshotReport) -> anyhow::Result<SnapshotReport> {
    match db_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_sort_by_time_then_collision_number() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "catalog-20261127T070000Z_2.ndjson",
            "catalog-20261127T070000Z.ndjson",
            "catalog-20261126T230000Z.ndjson.gz",
            "notes.txt",
        ] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let names: Vec<String> = snapshots(dir.path())
            .into_iter()
            .map(|(_, _, p)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "catalog-20261126T230000Z.ndjson.gz",
                "catalog-20261127T070000Z.ndjson",
                "catalog-20261127T070000Z_2.ndjson"
            ]
        );
        assert_eq!(stamp(Timestamp(1_721_692_800)), "catalog-20240723T000000Z");
    }
}
