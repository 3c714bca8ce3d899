//! `catalog ls`: models as a table for people on stdout, or the selected
//! records as `fetch` writes them (`-f json|ndjson|csv`).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::{self, Write as _};

use super::group::Groups;
use crate::cli::SortKey;
use crate::config::LsConfig;
use crate::output::{Finish, RecordWriter};
use crate::pipeline::{self, Sink};
use crate::progress::Progress;
use crate::record::{Field, Price, Record};
use crate::report::Report;
use crate::term::{count, table};

/// The columns without `--fields`: what tells models apart when choosing one.
const DEFAULT_COLUMNS: [Field; 6] = [
    Field::Provider,
    Field::Id,
    Field::ContextLength,
    Field::PriceInput,
    Field::PriceOutput,
    Field::Capabilities,
];

/// Runs `catalog ls`.
///
/// # Errors
/// When stdout cannot be written (a closed pipe included; the caller treats
/// `BrokenPipe` as success).
pub(super) async fn run(cfg: LsConfig, progress: &Progress) -> anyhow::Result<Report> {
    super::fetch::warn(&cfg.show, progress);
    let mut keep = Keep::new(cfg.sort.map(|key| (key, cfg.reverse)), cfg.rows);
    if cfg.group_by.is_some() {
        keep.groups = Some(Groups::default());
    }
    let (outcomes, keep, _) = pipeline::run_into(&cfg.run, progress, keep).await?;
    let report = Report { outcomes };
    let (models, total, groups) = keep.finish();
    match cfg.format {
        None => {
            if !models.is_empty() {
                let columns = cfg.fields.as_deref().unwrap_or(&DEFAULT_COLUMNS);
                let text = match &groups {
                    Some(groups) => render_grouped(&models, columns, groups),
                    None => render(&models, columns),
                };
                let mut out = io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
        Some(format) => {
            let stdout: Box<dyn Finish + Send> = Box::new(io::stdout());
            let mut writer = RecordWriter::new(format, stdout);
            if let Some(fields) = cfg.fields {
                writer = writer.with_fields(fields);
            }
            for r in &models {
                writer.write(r)?;
            }
            writer.close()?;
        }
    }
    if cfg.show.summary {
        super::fetch::say_not_ok(&report, progress);
        let shown = models.len() as u64;
        if total > shown {
            progress.println(&format!(
                "{} not shown ({shown} of {total}; -n sets how many)",
                count(total - shown, "more model", "more models")
            ));
        } else if total == 0 && cfg.format.is_none() {
            progress.println("no models");
        }
    }
    super::fetch::hint_stale_ok(&cfg.run, &report, progress);
    Ok(report)
}

/// The models to list: every one, or with `-n` only as many as are shown
/// (the best so far when sorted), so memory follows `-n`, not the harvest.
/// Grouped by model, every one is kept: which models rank first is known
/// only at the end.
struct Keep {
    order: Option<(SortKey, bool)>,
    rows: Option<usize>,
    kept: Vec<Record>,
    seen: u64,
    /// `--group-by canonical`: the providers of each canonical id.
    groups: Option<Groups>,
}

impl Keep {
    fn new(order: Option<(SortKey, bool)>, rows: Option<u64>) -> Keep {
        Keep {
            order,
            rows: rows.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            kept: Vec::new(),
            seen: 0,
            groups: None,
        }
    }

    /// Sorts what is kept (stably: equal models stay in harvest order) and
    /// drops what `-n` does not show.
    fn settle(&mut self) {
        if let Some((key, reverse)) = self.order {
            self.kept.sort_by(|a, b| compare(key, reverse, a, b));
        }
        if let Some(groups) = &self.groups {
            // Models in the groups' rank, rows without an id last; stable,
            // so --sort (or the harvest) orders the rows of a model.
            let rank: HashMap<&str, usize> = groups
                .ranked()
                .into_iter()
                .enumerate()
                .map(|(i, (key, _))| (key, i))
                .collect();
            self.kept.sort_by_key(|r| {
                r.canonical_id
                    .as_deref()
                    .and_then(|k| rank.get(k).copied())
                    .unwrap_or(usize::MAX)
            });
        }
        if let Some(n) = self.rows {
            self.kept.truncate(n);
        }
    }

    /// The models to show, in order, how many there were, and their groups.
    fn finish(mut self) -> (Vec<Record>, u64, Option<Groups>) {
        self.settle();
        (self.kept, self.seen, self.groups)
    }
}

impl Sink for Keep {
    fn put(&mut self, r: &Record) -> io::Result<()> {
        self.seen += 1;
        if let Some(groups) = self.groups.as_mut() {
            groups.add(r);
            self.kept.push(r.clone());
            return Ok(());
        }
        match (self.order, self.rows) {
            // Unsorted: the first N are the ones shown.
            (None, Some(n)) if self.kept.len() >= n => {}
            (order, rows) => {
                self.kept.push(r.clone());
                // Sorted and limited: every so often only the best N stay.
                // Stable sorting keeps earlier arrivals before later equal
                // ones, so the result is that of one sort of everything.
                if let (Some(_), Some(n)) = (order, rows) {
                    if self.kept.len() >= n.saturating_mul(2).max(1024) {
                        self.settle();
                    }
                }
            }
        }
        Ok(())
    }
}

/// The order of `--sort`: prices cheapest first; context, creation and
/// downloads largest or newest first; ids A to Z ignoring case. `reverse`
/// turns that around. Unknown values come last either way: a model whose
/// price is unknown is neither the cheapest nor the dearest.
fn compare(key: SortKey, reverse: bool, a: &Record, b: &Record) -> Ordering {
    fn known<T>(a: Option<T>, b: Option<T>, reverse: bool, cmp: impl Fn(&T, &T) -> Ordering) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) if reverse => cmp(&a, &b).reverse(),
            (Some(a), Some(b)) => cmp(&a, &b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let usd = |p: Option<Price>| p.map(Price::usd_per_million);
    match key {
        SortKey::PriceInput => known(usd(a.price_input), usd(b.price_input), reverse, f64::total_cmp),
        SortKey::PriceOutput => known(usd(a.price_output), usd(b.price_output), reverse, f64::total_cmp),
        SortKey::Context => known(a.context_length, b.context_length, reverse, |x, y| y.cmp(x)),
        SortKey::Created => known(a.created, b.created, reverse, |x, y| y.cmp(x)),
        SortKey::Downloads => known(a.downloads, b.downloads, reverse, |x, y| y.cmp(x)),
        SortKey::Id => known(Some(&a.id), Some(&b.id), reverse, |x, y| {
            let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<Vec<_>>();
            lower(x).cmp(&lower(y)).then_with(|| x.cmp(y))
        }),
    }
}

/// The table: a header of column names with their units, one row per model.
fn render(models: &[Record], columns: &[Field]) -> String {
    let mut rows = Vec::with_capacity(models.len() + 1);
    rows.push(columns.iter().map(|&f| header(f).to_owned()).collect());
    for r in models {
        rows.push(columns.iter().map(|&f| cell(r, f)).collect());
    }
    let right: Vec<bool> = columns.iter().map(|&f| is_number(f)).collect();
    table(&rows, &right)
}

/// The table grouped by model: the canonical id and how many providers
/// serve it first, then `columns` (without the canonical id, shown already).
fn render_grouped(models: &[Record], columns: &[Field], groups: &Groups) -> String {
    let columns: Vec<Field> = columns
        .iter()
        .copied()
        .filter(|&f| f != Field::CanonicalId)
        .collect();
    let mut rows = Vec::with_capacity(models.len() + 1);
    let mut head = vec![header(Field::CanonicalId).to_owned(), "providers".to_owned()];
    head.extend(columns.iter().map(|&f| header(f).to_owned()));
    rows.push(head);
    for r in models {
        let served = r.canonical_id.as_deref().and_then(|k| groups.get(k));
        let mut row = vec![
            cell(r, Field::CanonicalId),
            served.map_or_else(|| "-".to_owned(), |g| g.providers.len().to_string()),
        ];
        row.extend(columns.iter().map(|&f| cell(r, f)));
        rows.push(row);
    }
    let mut right = vec![false, true];
    right.extend(columns.iter().map(|&f| is_number(f)));
    table(&rows, &right)
}

/// A column's header: short, with the unit of prices (`$/1M` is USD per
/// 1M tokens, the record's price unit).
pub(super) fn header(field: Field) -> &'static str {
    match field {
        Field::ContextLength => "context",
        Field::MaxOutputTokens => "max output",
        Field::InputModalities => "input",
        Field::OutputModalities => "output",
        Field::PriceInput => "in $/1M",
        Field::PriceOutput => "out $/1M",
        Field::PriceCacheRead => "cache read $/1M",
        Field::PriceCacheWrite => "cache write $/1M",
        Field::PriceOther => "other prices",
        Field::HuggingFaceId => "hugging face id",
        Field::KnowledgeCutoff => "knowledge cutoff",
        Field::ExpiresAt => "expires",
        Field::CanonicalId => "canonical id",
        Field::CanonicalBy => "canonical by",
        Field::FetchedAt => "fetched",
        Field::OwnedBy => "owned by",
        other => other.name(),
    }
}

/// Numbers are right-aligned, and never cut to fit.
pub(super) fn is_number(field: Field) -> bool {
    matches!(
        field,
        Field::ContextLength
            | Field::MaxOutputTokens
            | Field::PriceInput
            | Field::PriceOutput
            | Field::PriceCacheRead
            | Field::PriceCacheWrite
            | Field::Downloads
            | Field::Likes
    )
}

/// A model's value in a column; unknown (and an empty list) is `-`. The
/// table sanitizes it.
pub(super) fn cell(r: &Record, field: Field) -> String {
    fn or_dash<T: ToString>(v: Option<T>) -> String {
        v.map_or_else(|| "-".to_owned(), |v| v.to_string())
    }
    let list = |l: &crate::record::StrList| {
        if l.is_empty() {
            "-".to_owned()
        } else {
            l.join(",")
        }
    };
    match field {
        Field::Provider => r.provider.to_string(),
        Field::Id => r.id.to_string(),
        Field::Name => or_dash(r.name.as_ref()),
        Field::OwnedBy => or_dash(r.owned_by.as_ref()),
        // The day is what tells models apart; `show` has the time.
        Field::Created => or_dash(
            r.created
                .map(|t| t.to_string().chars().take(10).collect::<String>()),
        ),
        Field::ContextLength => or_dash(r.context_length),
        Field::MaxOutputTokens => or_dash(r.max_output_tokens),
        Field::InputModalities => list(&r.input_modalities),
        Field::OutputModalities => list(&r.output_modalities),
        Field::Task => or_dash(r.task.as_ref()),
        Field::PriceInput => or_dash(r.price_input),
        Field::PriceOutput => or_dash(r.price_output),
        Field::PriceCacheRead => or_dash(r.price_cache_read),
        Field::HuggingFaceId => or_dash(r.hugging_face_id.as_ref()),
        Field::Downloads => or_dash(r.downloads),
        Field::Likes => or_dash(r.likes),
        Field::Tags => list(&r.tags),
        Field::Source => r.source.to_string(),
        Field::FetchedAt => r.fetched_at.to_string(),
        Field::PriceCacheWrite => or_dash(r.price_cache_write),
        Field::PriceOther if r.price_other.is_empty() => "-".to_owned(),
        Field::PriceOther => r.price_other.to_string(),
        Field::Capabilities => list(&r.capabilities),
        Field::Quantization => or_dash(r.quantization.as_ref()),
        Field::KnowledgeCutoff => or_dash(r.knowledge_cutoff.as_ref()),
        Field::ExpiresAt => or_dash(r.expires_at.as_ref()),
        Field::CanonicalId => or_dash(r.canonical_id.as_ref()),
        Field::CanonicalBy => or_dash(r.canonical_by.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;
    use std::sync::Arc;

    fn model(id: &str, price: Option<&str>) -> Record {
        let mut r = Record::new(Arc::from("p"), id, Arc::from("s"), Timestamp(0));
        r.price_input = price.and_then(|p| Price::from_decimal(p, 0));
        r
    }

    fn ids(models: &[Record]) -> Vec<&str> {
        models.iter().map(|r| r.id.as_str()).collect()
    }

    fn keep(order: Option<(SortKey, bool)>, rows: Option<u64>, models: &[Record]) -> (Vec<Record>, u64) {
        let mut k = Keep::new(order, rows);
        for m in models {
            k.put(m).unwrap();
        }
        let (kept, seen, _) = k.finish();
        (kept, seen)
    }

    #[test]
    fn grouped_rows_keep_a_model_together_most_served_first_and_sorted_within() {
        let keyed = |provider: &str, id: &str, key: Option<&str>, price: Option<&str>| {
            let mut r = model(id, price);
            r.provider = Arc::from(provider);
            r.canonical_id = key.map(Into::into);
            r
        };
        let models = [
            keyed("a", "solo", Some("solo-1"), Some("1")),
            keyed("a", "x-dear", Some("x"), Some("3")),
            keyed("b", "nokey", None, Some("0")),
            keyed("b", "x-cheap", Some("x"), Some("2")),
            keyed("c", "x-free", Some("x"), Some("0")),
        ];
        let mut k = Keep::new(Some((SortKey::PriceInput, false)), Some(4));
        k.groups = Some(Groups::default());
        for m in &models {
            k.put(m).unwrap();
        }
        let (kept, seen, groups) = k.finish();
        assert_eq!(seen, 5);
        assert_eq!(ids(&kept), ["x-free", "x-cheap", "x-dear", "solo"]);
        let text = render_grouped(
            &kept,
            &[Field::Provider, Field::Id, Field::PriceInput],
            &groups.unwrap(),
        );
        assert_eq!(
            text.lines()
                .map(str::split_whitespace)
                .map(Iterator::collect::<Vec<_>>)
                .collect::<Vec<_>>(),
            [
                vec!["canonical", "id", "providers", "provider", "id", "in", "$/1M"],
                vec!["x", "3", "c", "x-free", "0"],
                vec!["x", "3", "b", "x-cheap", "2"],
                vec!["x", "3", "a", "x-dear", "3"],
                vec!["solo-1", "1", "a", "solo", "1"],
            ]
        );
    }

    #[test]
    fn the_best_n_of_a_long_harvest_equal_one_sort_of_everything() {
        // 5,000 models with 7 distinct prices and some unknown: many ties,
        // kept in harvest order, across several compactions.
        let models: Vec<Record> = (0..5000)
            .map(|i| {
                let price = (i % 9 != 0).then(|| format!("{}", i % 7));
                model(&format!("m{i}"), price.as_deref())
            })
            .collect();
        let (top, total) = keep(Some((SortKey::PriceInput, false)), Some(30), &models);
        let mut all = models.clone();
        all.sort_by(|a, b| compare(SortKey::PriceInput, false, a, b));
        assert_eq!(total, 5000);
        assert_eq!(ids(&top), ids(&all[..30]));
        assert_eq!(ids(&top)[..3], ["m7", "m14", "m21"], "price 0, in harvest order");
    }

    #[test]
    fn unknown_prices_come_last_in_either_direction() {
        let models = [model("a", None), model("b", Some("2")), model("c", Some("0.5"))];
        let (up, _) = keep(Some((SortKey::PriceInput, false)), None, &models);
        assert_eq!(ids(&up), ["c", "b", "a"]);
        let (down, _) = keep(Some((SortKey::PriceInput, true)), None, &models);
        assert_eq!(ids(&down), ["b", "c", "a"]);
    }

    #[test]
    fn ids_sort_ignoring_case_and_unsorted_rows_keep_harvest_order() {
        let models = [model("beta", None), model("Alpha", None), model("alpha", None)];
        let (sorted, _) = keep(Some((SortKey::Id, false)), None, &models);
        assert_eq!(ids(&sorted), ["Alpha", "alpha", "beta"]);
        let (first, total) = keep(None, Some(2), &models);
        assert_eq!((ids(&first), total), (vec!["beta", "Alpha"], 3));
    }

    #[test]
    fn unknown_values_and_empty_lists_are_dashes() {
        let mut r = model("x", None);
        r.created = Some(Timestamp(1_715_558_400));
        assert_eq!(cell(&r, Field::PriceInput), "-");
        assert_eq!(cell(&r, Field::Capabilities), "-");
        assert_eq!(cell(&r, Field::PriceOther), "-");
        assert_eq!(cell(&r, Field::Created), "2024-05-13");
        r.capabilities = ["tools", "reasoning"].into_iter().collect();
        assert_eq!(cell(&r, Field::Capabilities), "tools,reasoning");
    }
}
