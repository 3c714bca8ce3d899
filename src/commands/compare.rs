//! `catalog compare MODEL`: every provider's record of one model (by
//! canonical id), cheapest first, with its prices, context and what it can
//! do; with `--tokens IN:OUT`, what that workload costs at each.

use std::collections::BTreeSet;
use std::io::{self, Write as _};

use super::ls::{cell, header, is_number};
use crate::config::CompareConfig;
use crate::error::UsageError;
use crate::harvest::Status;
use crate::identity::normalize;
use crate::output::{Finish, RecordWriter};
use crate::pipeline::{self, Selected, Sink};
use crate::progress::Progress;
use crate::record::{CompactString, Field, Price, Record};
use crate::report::Report;
use crate::term::{count, edit_distance, sanitize, table};

/// The fields of `-f json|ndjson|csv` (then `cost` with `--tokens`); the
/// table shows them but the canonical id and its evidence, which are one
/// for every row (stderr names it), and has `cost $` after `id`.
const FIELDS: [Field; 12] = [
    Field::Provider,
    Field::Id,
    Field::CanonicalId,
    Field::CanonicalBy,
    Field::PriceInput,
    Field::PriceOutput,
    Field::PriceCacheRead,
    Field::PriceCacheWrite,
    Field::ContextLength,
    Field::MaxOutputTokens,
    Field::Quantization,
    Field::Capabilities,
];

/// Canonical ids a model that is not found gets suggested, at most.
const SUGGESTIONS: usize = 3;

/// Without `--tokens`, offers are ordered by the price of 1M input and 1M
/// output tokens: input + output price.
const PER_MILLION_EACH: (u64, u64) = (1_000_000, 1_000_000);

/// Runs `catalog compare`.
///
/// # Errors
/// A [`UsageError`] when no provider serves the model (with the closest
/// canonical ids), or when stdout cannot be written.
pub(super) async fn run(cfg: CompareConfig, progress: &Progress) -> anyhow::Result<Report> {
    super::fetch::warn(&cfg.show, progress);
    let providers: Vec<String> = cfg
        .run
        .providers
        .iter()
        .map(|p| match p {
            Selected::Fetch(t) | Selected::Skipped(t) => t.spec.name.clone(),
        })
        .collect();
    let offers = Offers::new(&cfg.model, &providers);
    let (outcomes, offers, _) = pipeline::run_into(&cfg.run, progress, offers).await?;
    let report = Report { outcomes };
    let (keys, mut rows) = offers.resolve();
    // A provider that failed or was skipped may serve the model too.
    let say_not_ok = |progress: &Progress| {
        if cfg.show.summary {
            super::fetch::say_not_ok(&report, progress);
        }
    };
    if rows.is_empty() {
        let message = offers_not_found(&cfg.model, &keys, &offers, &report);
        if report.failed() {
            // What the failed providers did not deliver may hold it: their
            // failure (exit 3), not a wrong name.
            say_not_ok(progress);
            progress.println(&message);
            super::fetch::hint_stale_ok(&cfg.run, &report, progress);
            return Ok(report);
        }
        return Err(UsageError::new(message).into());
    }
    let workload = cfg.tokens.unwrap_or(PER_MILLION_EACH);
    // Stable: equal costs keep the harvest's order; unknown ones go last.
    rows.sort_by(|a, b| match (cost(a, workload), cost(b, workload)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    match cfg.format {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(render(&rows, cfg.tokens).as_bytes())?;
            out.flush()?;
        }
        Some(format) => {
            let stdout: Box<dyn Finish + Send> = Box::new(io::stdout());
            let mut writer = RecordWriter::new(format, stdout).with_fields(FIELDS.to_vec());
            if cfg.tokens.is_some() {
                writer = writer.with_extra("cost");
            }
            for r in &rows {
                let cost = cfg.tokens.and_then(|t| cost_text(r, t));
                writer.write_with(r, cost.as_deref())?;
            }
            writer.close()?;
        }
    }
    if cfg.show.summary {
        let served: BTreeSet<&str> = rows.iter().map(|r| &*r.provider).collect();
        let keys: Vec<&str> = keys.iter().map(CompactString::as_str).collect();
        let mut line = format!(
            "{}: {} from {}",
            keys.join(", "),
            count(rows.len() as u64, "offer", "offers"),
            count(served.len() as u64, "provider", "providers")
        );
        match cfg.tokens {
            Some((i, o)) => line.push_str(&format!(
                "; cost $ is USD for {i} input and {o} output tokens: {i}/1e6 * in $/1M + {o}/1e6 * out $/1M"
            )),
            None => line.push_str("; cheapest first by in $/1M + out $/1M"),
        }
        progress.println(&sanitize(&line));
    }
    say_not_ok(progress);
    super::fetch::hint_stale_ok(&cfg.run, &report, progress);
    Ok(report)
}

/// What the workload `(input, output)` tokens costs at `r`'s prices, in USD
/// (they are USD per 1M tokens); `None` when a price it needs is unknown. A
/// price of 0 is free, and a part of no tokens costs nothing at any price.
fn cost(r: &Record, (input, output): (u64, u64)) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "token counts are far below 2^53")]
    let part = |tokens: u64, price: Option<Price>| match tokens {
        0 => Some(0.0),
        n => price.map(|p| n as f64 / 1e6 * p.usd_per_million()),
    };
    Some(part(input, r.price_input)? + part(output, r.price_output)?)
}

/// [`cost`] as written: the float's noise rounded off the way prices are
/// (12 significant digits), `0.748` rather than `0.7480000000000001`.
fn cost_text(r: &Record, workload: (u64, u64)) -> Option<String> {
    cost(r, workload)
        .and_then(|usd| Price::from_f64(usd, 0))
        .map(|p| p.to_string())
}

/// The table: `ls`'s columns and headers, the cost after the id.
fn render(rows: &[Record], tokens: Option<(u64, u64)>) -> String {
    let columns: Vec<Field> = FIELDS
        .into_iter()
        .filter(|f| !matches!(f, Field::CanonicalId | Field::CanonicalBy))
        .collect();
    let mut lines = Vec::with_capacity(rows.len() + 1);
    let mut head: Vec<String> = columns.iter().map(|&f| header(f).to_owned()).collect();
    let mut right: Vec<bool> = columns.iter().map(|&f| is_number(f)).collect();
    if tokens.is_some() {
        head.insert(2, "cost $".to_owned());
        right.insert(2, true);
    }
    lines.push(head);
    for r in rows {
        let mut row: Vec<String> = columns.iter().map(|&f| cell(r, f)).collect();
        if let Some(t) = tokens {
            row.insert(2, cost_text(r, t).unwrap_or_else(|| "-".to_owned()));
        }
        lines.push(row);
    }
    table(&lines, &right)
}

/// The message for a model no provider serves: what was looked for, among
/// how much, and the closest canonical ids.
fn offers_not_found(model: &str, keys: &BTreeSet<CompactString>, offers: &Offers, report: &Report) -> String {
    let answered = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Ok))
        .count();
    let mut msg = format!("no provider serves {model:?}");
    if let Some(key) = keys.iter().next() {
        msg.push_str(&format!(
            ": no record has it as its id or {key:?} as its canonical id"
        ));
    }
    msg.push_str(&format!(
        " (among {} of {})",
        count(offers.seen, "model", "models"),
        count(answered as u64, "provider", "providers")
    ));
    let near = offers.near(keys);
    if !near.is_empty() {
        msg.push_str(&format!(" (did you mean {}?)", near.join(", ")));
    }
    msg.push_str("; `catalog ls --all --group-by canonical` lists the canonical ids");
    sanitize(&msg)
}

/// Every keyed record, and the canonical ids of the records MODEL names.
struct Offers {
    model: String,
    /// `PROVIDER/ID`, when MODEL starts with a selected provider's name.
    scoped: Option<(String, String)>,
    records: Vec<Record>,
    /// The canonical ids of the records whose id is MODEL.
    named: BTreeSet<CompactString>,
    seen: u64,
}

impl Offers {
    fn new(model: &str, providers: &[String]) -> Offers {
        let scoped = model
            .split_once('/')
            .filter(|(p, id)| !id.is_empty() && providers.iter().any(|name| name == p))
            .map(|(p, id)| (p.to_owned(), id.to_owned()));
        Offers {
            model: model.to_owned(),
            scoped,
            records: Vec::new(),
            named: BTreeSet::new(),
            seen: 0,
        }
    }

    /// The canonical ids compared and their records, in harvest order. A
    /// record whose id is MODEL decides (a provider's id spells the model
    /// its own way: `llama-3.3-70b-versatile`); else MODEL's own key does
    /// (an HF id or a canonical id is keyed like every layer keys them).
    fn resolve(&self) -> (BTreeSet<CompactString>, Vec<Record>) {
        let keys = if self.named.is_empty() {
            normalize(&self.model).into_iter().collect()
        } else {
            self.named.clone()
        };
        let rows = self
            .records
            .iter()
            .filter(|r| r.canonical_id.as_ref().is_some_and(|k| keys.contains(k)))
            .cloned()
            .collect();
        (keys, rows)
    }

    /// The canonical ids closest to `keys`' (the edit distance, at most a
    /// third of the key or 3), closest first.
    fn near(&self, keys: &BTreeSet<CompactString>) -> Vec<String> {
        let Some(wanted) = keys.iter().next() else {
            return Vec::new();
        };
        let worst = wanted.chars().count().div_ceil(3).max(3);
        let candidates: BTreeSet<&str> = self
            .records
            .iter()
            .filter_map(|r| r.canonical_id.as_deref())
            .filter(|k| k.chars().count().abs_diff(wanted.chars().count()) <= worst)
            .collect();
        let mut scored: Vec<(usize, &str)> = candidates
            .into_iter()
            .map(|k| (edit_distance(wanted, k), k))
            .filter(|(d, _)| *d <= worst)
            .collect();
        scored.sort_unstable();
        scored
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, k)| k.to_owned())
            .collect()
    }
}

impl Sink for Offers {
    fn put(&mut self, r: &Record) -> io::Result<()> {
        self.seen += 1;
        let Some(key) = &r.canonical_id else {
            return Ok(());
        };
        let named = r.id == self.model
            || self
                .scoped
                .as_ref()
                .is_some_and(|(p, id)| *r.provider == **p && r.id == *id);
        if named {
            self.named.insert(key.clone());
        }
        self.records.push(r.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::record::Timestamp;

    fn offer(provider: &str, id: &str, key: &str, prices: (Option<&str>, Option<&str>)) -> Record {
        let mut r = Record::new(Arc::from(provider), id, Arc::from("s"), Timestamp(0));
        r.canonical_id = Some(key.into());
        r.price_input = prices.0.and_then(|p| Price::from_decimal(p, 0));
        r.price_output = prices.1.and_then(|p| Price::from_decimal(p, 0));
        r
    }

    #[test]
    fn a_workloads_cost_is_tokens_over_a_million_times_the_price_and_unknown_is_none() {
        let r = offer("groq", "m", "k", (Some("0.59"), Some("0.79")));
        // 1,000,000 / 1e6 * 0.59 + 200,000 / 1e6 * 0.79 = 0.59 + 0.158.
        assert_eq!(cost_text(&r, (1_000_000, 200_000)).as_deref(), Some("0.748"));
        let free = offer("x", "m", "k", (Some("0"), Some("0")));
        assert_eq!(cost_text(&free, (1_000_000, 200_000)).as_deref(), Some("0"));
        let half = offer("x", "m", "k", (Some("0.2"), None));
        assert_eq!(
            cost(&half, (1_000_000, 200_000)),
            None,
            "an unknown price is no price"
        );
        assert_eq!(
            cost_text(&half, (1_000_000, 0)).as_deref(),
            Some("0.2"),
            "no output tokens: the output price does not matter"
        );
    }

    #[test]
    fn the_record_model_names_decides_and_else_models_own_key() {
        let groq = || {
            offer(
                "groq",
                "llama-3.3-70b-versatile",
                "llama3.3-70b-instruct",
                (None, None),
            )
        };
        let mut offers = Offers::new("llama-3.3-70b-versatile", &["groq".to_owned()]);
        for r in [
            groq(),
            offer(
                "together",
                "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                "llama3.3-70b-instruct",
                (None, None),
            ),
            offer(
                "openrouter",
                "x/llama-3.3-70b-versatile-ish",
                "llama3.3-70b-versatile-ish",
                (None, None),
            ),
        ] {
            offers.put(&r).unwrap();
        }
        let (keys, rows) = offers.resolve();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["llama3.3-70b-instruct"]);
        assert_eq!(rows.len(), 2);
        // PROVIDER/ID names a record too; a canonical id is its own key.
        let mut scoped = Offers::new("groq/llama-3.3-70b-versatile", &["groq".to_owned()]);
        scoped.put(&groq()).unwrap();
        assert_eq!(scoped.resolve().1.len(), 1);
        let mut by_key = Offers::new("llama3.3-70b-instruct", &[]);
        by_key.put(&groq()).unwrap();
        assert_eq!(by_key.resolve().1.len(), 1);
        assert_eq!(
            by_key.near(&["llama3.3-70b-instrut".into()].into()),
            ["llama3.3-70b-instruct"]
        );
    }
}
