//! What a run did, and the exit code that says it: one place decides both.

use std::fmt::Write as _;

use crate::harvest::{Outcome, Status};
use crate::term::{count, paint, sanitize, Tone};

/// How a run ended; [`ExitCode::code`] is the number the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every requested provider succeeded (or `diff` found no difference).
    Ok,
    /// A runtime error (e.g. the output could not be written).
    Runtime,
    /// A usage error.
    Usage,
    /// At least one provider failed; the others were written.
    Partial,
    /// `catalog diff` found differences.
    Differ,
    /// Interrupted (SIGINT, Ctrl-C).
    Interrupted,
    /// Asked to stop (SIGTERM: `timeout`, systemd, `kill`).
    Terminated,
    /// Its terminal went away (SIGHUP).
    HungUp,
}

impl ExitCode {
    /// The process exit status. `Differ` shares 1 with `Runtime`, as with
    /// diff(1), where scripts expect it.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Runtime | ExitCode::Differ => 1,
            ExitCode::Usage => 2,
            ExitCode::Partial => 3,
            // 128 + the signal's number, as shells report it.
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
            ExitCode::HungUp => 129,
        }
    }
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

    /// Whether any provider failed.
    pub(crate) fn failed(&self) -> bool {
        self.outcomes.iter().any(Outcome::failed)
    }

    /// Distinct (provider, id) records: each provider's records are already
    /// distinct and providers never share a key.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.outcomes.iter().map(|o| o.models).sum()
    }

    /// The models of the providers that succeeded (what `count` reports as
    /// the total: a failed provider's partial count is not a count).
    pub(crate) fn total_ok(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::Ok))
            .map(|o| o.models)
            .sum()
    }

    /// One summary line per provider (for stderr); with `colour`, each
    /// provider's name in the colour of how it ended.
    pub(crate) fn summary_lines(&self, colour: bool) -> Vec<String> {
        let width = self.outcomes.iter().map(|o| o.provider.len()).max().unwrap_or(0);
        self.outcomes
            .iter()
            .map(|o| {
                let mut line = String::new();
                let done = match &o.unchanged {
                    // `20 models, unchanged since 2026-12-01 09:12 UTC (304), 0.1 s`
                    Some(unchanged) => format!(
                        "{}, {unchanged}, {:.1} s",
                        count(o.models, "model", "models"),
                        o.elapsed.as_secs_f64()
                    ),
                    None => format!(
                        "{}, {}, {:.1} s",
                        count(o.models, "model", "models"),
                        count(o.pages, "page", "pages"),
                        o.elapsed.as_secs_f64()
                    ),
                };
                let tone = match &o.status {
                    Status::Ok => {
                        line.push_str(&done);
                        Tone::Good
                    }
                    Status::Skipped { .. } => {
                        line.push_str(&skip_reason(&o.status));
                        Tone::Warn
                    }
                    Status::Failed(e) => {
                        let _ = write!(line, "failed after {done}: {e}");
                        Tone::Bad
                    }
                };
                if let Some(note) = &o.note {
                    let _ = write!(line, " [{note}]");
                }
                if o.skipped > 0 {
                    let _ = write!(
                        line,
                        " ({} skipped)",
                        count(o.skipped, "malformed model", "malformed models")
                    );
                }
                if o.duplicates > 0 {
                    let _ = write!(line, " ({} duplicate ids dropped)", o.duplicates);
                }
                // Sanitized before painting: the colour codes are ours.
                let name = format!("{:width$}", sanitize(&o.provider));
                format!("{}  {}", paint(colour, tone, &name), sanitize(&line))
            })
            .collect()
    }
}

impl Report {
    /// `total 1,234 models from 3 providers → DEST`: the models of the
    /// providers that succeeded, the same total `count` gives; the records a
    /// failed provider handed on before it failed are named apart.
    pub(crate) fn total_line(&self, dest: &str) -> String {
        let ok = || self.outcomes.iter().filter(|o| matches!(o.status, Status::Ok));
        let providers = ok().filter(|o| o.models > 0).count() as u64;
        let mut line = format!(
            "total {} from {}",
            count(self.total_ok(), "model", "models"),
            count(providers, "provider", "providers")
        );
        let partial = self.total() - self.total_ok();
        if partial > 0 {
            let _ = write!(
                line,
                ", and {} from failed providers",
                count(partial, "model", "models")
            );
        }
        sanitize(&format!("{line} → {dest}"))
    }
}

/// `skipped: set GROQ_API_KEY` (empty for other statuses).
pub(crate) fn skip_reason(status: &Status) -> String {
    match status {
        Status::Skipped { key_env } => format!("skipped: set {}", key_env.join(" or ")),
        _ => String::new(),
    }
}
