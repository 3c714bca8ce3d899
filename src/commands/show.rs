//! `catalog show PROVIDER/ID`: every field of one model, one `field  value`
//! line each with its unit, or the record as JSON.

use std::io::{self, IsTerminal as _, Write as _};

use crate::cli::SummaryFormat;
use crate::config::ShowConfig;
use crate::error::UsageError;
use crate::output::{Finish, Format, RecordWriter};
use crate::pipeline::{self, Selected, Sink};
use crate::progress::Progress;
use crate::record::{CompactString, Field, Price, Record, StrList};
use crate::report::{skip_reason, Report};
use crate::term::{count, edit_distance, layout, sanitize};

/// Suggestions a model that is not found gets, at most.
const SUGGESTIONS: usize = 3;

/// Runs `catalog show`.
///
/// # Errors
/// A [`UsageError`] when the provider has no such model (with the closest
/// ids), or when stdout cannot be written.
pub(super) async fn run(cfg: ShowConfig, progress: &Progress) -> anyhow::Result<Report> {
    super::fetch::warn(&cfg.show, progress);
    let (outcomes, find, _) = pipeline::run_into(&cfg.run, progress, Find::new(&cfg.id)).await?;
    let report = Report { outcomes };
    let outcome = report.outcomes.first();
    let Some(record) = find.found else {
        if let Some(o) = outcome.filter(|o| o.failed()) {
            // The model may be in what the provider did not deliver: that is
            // the provider's failure (exit 3), not a wrong name.
            for line in report.summary_lines(progress.colour()) {
                progress.println(&line);
            }
            progress.println(&sanitize(&format!(
                "{:?} is not among the {} {} gave before it failed",
                cfg.id,
                count(find.seen, "model", "models"),
                o.provider
            )));
            super::fetch::hint_stale_ok(&cfg.run, &report, progress);
            return Ok(report);
        }
        let skipped = outcome.map(|o| skip_reason(&o.status)).filter(|s| !s.is_empty());
        return Err(UsageError::new(not_found(&cfg, &find, skipped.as_deref())).into());
    };
    match cfg.format {
        SummaryFormat::Json => {
            // One object, written by the output's own writer as `fetch` would.
            let stdout: Box<dyn Finish + Send> = Box::new(io::stdout());
            let mut writer = RecordWriter::new(Format::Ndjson, stdout);
            writer.write(&record)?;
            writer.close()?;
        }
        SummaryFormat::Table => {
            let mut out = io::stdout().lock();
            out.write_all(render(&record, io::stdout().is_terminal()).as_bytes())?;
            out.flush()?;
        }
    }
    if cfg.show.summary {
        super::fetch::say_not_ok(&report, progress);
    }
    Ok(report)
}

/// The message for a model the provider does not list: the closest ids, and
/// why the listing may be short of it.
fn not_found(cfg: &ShowConfig, find: &Find, skipped: Option<&str>) -> String {
    let mut msg = format!("{} has no model {:?}", cfg.provider, cfg.id);
    if let Some(reason) = skipped {
        msg.push_str(&format!(" ({reason})"));
        return sanitize(&msg);
    }
    msg.push_str(&format!(
        " among {} it listed",
        count(find.seen, "model", "models")
    ));
    if !find.near.is_empty() {
        let near: Vec<String> = find
            .near
            .iter()
            .map(|(_, id)| format!("{}/{id}", cfg.provider))
            .collect();
        msg.push_str(&format!(" (did you mean {}?)", near.join(", ")));
    }
    if cfg.run.harvest.hub.search.as_deref() == Some(cfg.id.as_str()) {
        msg.push_str(&format!(
            "; the Hub was searched for it: `catalog ls -p {} --search PART` lists the models whose id contains PART",
            cfg.provider
        ));
        return sanitize(&msg);
    }
    let limit = cfg.run.providers.iter().find_map(|p| match p {
        Selected::Fetch(t) => t.limit(&cfg.run.harvest),
        Selected::Skipped(_) => None,
    });
    match limit {
        Some(limit) if find.seen >= limit => msg.push_str(&format!(
            "; the harvest stops at --limit {limit}: raise it to look further"
        )),
        _ => msg.push_str(&format!("; `catalog ls -p {}` lists them", cfg.provider)),
    }
    sanitize(&msg)
}

/// Looks for one id in the harvest, and remembers the closest others.
struct Find {
    id: String,
    lower: String,
    found: Option<Record>,
    /// The closest ids so far, best first: (score, id).
    near: Vec<(usize, CompactString)>,
    seen: u64,
}

impl Find {
    fn new(id: &str) -> Find {
        Find {
            id: id.to_owned(),
            lower: id.to_lowercase(),
            found: None,
            near: Vec::new(),
            seen: 0,
        }
    }

    /// How far `candidate` is from the id asked for: 0 when it differs only
    /// in case, 1 when one is the other with an owner in front
    /// (`openai/gpt-4o` for `gpt-4o`), else the edit distance; `None` when
    /// too far to be what was meant (more than a third of the id, or 3).
    fn score(&self, candidate: &str) -> Option<usize> {
        let given = self.lower.as_str();
        let cand = candidate.to_lowercase();
        if cand == given {
            return Some(0);
        }
        let owned = |long: &str, short: &str| long.strip_suffix(short).is_some_and(|p| p.ends_with('/'));
        if owned(&cand, given) || owned(given, &cand) {
            return Some(1);
        }
        let n = given.chars().count();
        let worst = n.div_ceil(3).max(3);
        // The edit distance is at least the difference in length: most ids
        // are ruled out without computing it.
        if cand.chars().count().abs_diff(n) > worst {
            return None;
        }
        let d = edit_distance(given, &cand);
        (d <= worst).then_some(d)
    }
}

impl Sink for Find {
    fn put(&mut self, r: &Record) -> io::Result<()> {
        self.seen += 1;
        if self.found.is_some() {
            return Ok(());
        }
        if r.id == self.id {
            self.found = Some(r.clone());
            return Ok(());
        }
        if let Some(score) = self.score(&r.id) {
            // Kept sorted; among equals the first listed wins.
            let at = self.near.partition_point(|(s, _)| *s <= score);
            if at < SUGGESTIONS {
                self.near.insert(at, (score, r.id.clone()));
                self.near.truncate(SUGGESTIONS);
            }
        }
        Ok(())
    }
}

/// `field  value` lines. Nothing is cut to the terminal's width: this is
/// where a value is read whole (a long one wraps).
fn render(r: &Record, terminal: bool) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for field in Field::ALL {
        if field == Field::PriceOther && !r.price_other.is_empty() {
            for (unit, price) in r.price_other.iter() {
                rows.push(vec![
                    format!("price_other.{}", unit.name()),
                    format!("{price} USD per {}", unit.per()),
                ]);
            }
            continue;
        }
        rows.push(vec![field.name().to_owned(), value(r, field)]);
    }
    if let Some(raw) = &r.raw {
        // Into a pipe, raw is one compact line like every other field, for
        // grep and cut; on a terminal it is indented to be read, each line
        // under the values (and each sanitized on its own: a line break is
        // a control character).
        let text = reformat(raw.get(), terminal);
        for (i, line) in text.lines().enumerate() {
            let label = if i == 0 { "raw" } else { "" };
            rows.push(vec![label.to_owned(), line.to_owned()]);
        }
    }
    layout(&rows, &[], None)
}

/// A field's value for people, with its unit; unknown is `-`.
fn value(r: &Record, field: Field) -> String {
    fn text<T: std::fmt::Display>(v: Option<T>) -> String {
        v.map_or_else(|| "-".to_owned(), |v| v.to_string())
    }
    let tokens = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| format!("{n} tokens"));
    let usd =
        |p: Option<Price>, per: &str| p.map_or_else(|| "-".to_owned(), |p| format!("{p} USD per {per}"));
    let list = |l: &StrList| {
        if l.is_empty() {
            "-".to_owned()
        } else {
            l.join(", ")
        }
    };
    match field {
        Field::Provider => r.provider.to_string(),
        Field::Id => r.id.to_string(),
        Field::Name => text(r.name.as_ref()),
        Field::OwnedBy => text(r.owned_by.as_ref()),
        Field::Created => text(r.created),
        Field::ContextLength => tokens(r.context_length),
        Field::MaxOutputTokens => tokens(r.max_output_tokens),
        Field::InputModalities => list(&r.input_modalities),
        Field::OutputModalities => list(&r.output_modalities),
        Field::Task => text(r.task.as_ref()),
        Field::PriceInput => usd(r.price_input, "1M input tokens"),
        Field::PriceOutput => usd(r.price_output, "1M output tokens"),
        Field::PriceCacheRead => usd(r.price_cache_read, "1M cached input tokens read"),
        Field::HuggingFaceId => text(r.hugging_face_id.as_ref()),
        // Only the Hub counts downloads, over its last 30 days.
        Field::Downloads => r
            .downloads
            .map_or_else(|| "-".to_owned(), |n| format!("{n} in the last 30 days")),
        Field::Likes => text(r.likes),
        Field::Tags => list(&r.tags),
        Field::Source => r.source.to_string(),
        Field::FetchedAt => r.fetched_at.to_string(),
        Field::PriceCacheWrite => usd(r.price_cache_write, "1M tokens written to the prompt cache"),
        // Stated units get a line each (see `render`).
        Field::PriceOther => "-".to_owned(),
        Field::Capabilities => list(&r.capabilities),
        Field::Quantization => text(r.quantization.as_ref()),
        Field::KnowledgeCutoff => text(r.knowledge_cutoff.as_ref()),
        Field::ExpiresAt => text(r.expires_at.as_ref()),
        Field::CanonicalId => text(r.canonical_id.as_ref()),
        Field::CanonicalBy => text(r.canonical_by.as_ref()),
    }
}

/// Valid JSON text without the whitespace between its tokens, or indented
/// two spaces a level when `pretty`; keys stay in the provider's order,
/// strings as they are.
fn reformat(json: &str, pretty: bool) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    }
    let mut out = String::with_capacity(json.len() + json.len() / 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ' ' | '\t' | '\n' | '\r' => {}
            '{' | '[' => {
                out.push(c);
                while chars
                    .peek()
                    .is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                {
                    chars.next();
                }
                match chars.peek() {
                    // `{}` and `[]` stay on one line.
                    Some(&close @ ('}' | ']')) => {
                        out.push(close);
                        chars.next();
                    }
                    _ if pretty => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                    _ => {}
                }
            }
            '}' | ']' => {
                if pretty {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                if pretty {
                    newline(&mut out, depth);
                }
            }
            ':' if pretty => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Timestamp, Unit};
    use std::sync::Arc;

    #[test]
    fn raw_json_is_compacted_or_indented_keeping_key_order_and_strings() {
        let raw = "{\"z\": 1,\n \"a\": [ ],\"s\":\"a, \\\"b\\\": {c}\" ,\"o\":{\"k\":[1, 2]}}";
        assert_eq!(
            reformat(raw, false),
            r#"{"z":1,"a":[],"s":"a, \"b\": {c}","o":{"k":[1,2]}}"#
        );
        assert_eq!(
            reformat(raw, true),
            "{\n  \"z\": 1,\n  \"a\": [],\n  \"s\": \"a, \\\"b\\\": {c}\",\n  \"o\": {\n    \"k\": [\n      1,\n      2\n    ]\n  }\n}"
        );
    }

    #[test]
    fn every_field_has_a_line_with_its_unit() {
        let mut r = Record::new(Arc::from("p"), "m", Arc::from("https://x.test/m"), Timestamp(0));
        r.context_length = Some(131_072);
        r.price_input = Price::from_decimal("0.45", 0);
        r.price_other
            .set(Unit::ImageInput, Price::from_decimal("0.003", 0));
        r.downloads = Some(42);
        let text = render(&r, false);
        let lines: Vec<&str> = text.lines().collect();
        // The labels are as wide as the longest, `price_other.image_input`.
        let line = |label: &str, value: &str| format!("{label:<23}  {value}");
        assert_eq!(lines.len(), Field::ALL.len(), "{text}");
        for expected in [
            line("context_length", "131072 tokens"),
            line("price_input", "0.45 USD per 1M input tokens"),
            line("price_output", "-"),
            line("price_other.image_input", "0.003 USD per input image"),
            line("downloads", "42 in the last 30 days"),
            line("fetched_at", "1970-01-01T00:00:00Z"),
        ] {
            assert!(lines.contains(&expected.as_str()), "{expected:?} in\n{text}");
        }
    }

    #[test]
    fn the_closest_ids_are_suggested_best_first() {
        let mut f = Find::new("gpt-4o");
        for id in [
            "openai/gpt-4o-mini",
            "openai/gpt-4o",
            "GPT-4O",
            "mistral/large",
            "gpt-4",
        ] {
            let r = Record::new(Arc::from("p"), id, Arc::from("s"), Timestamp(0));
            f.put(&r).unwrap();
        }
        let near: Vec<&str> = f.near.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(near, ["GPT-4O", "openai/gpt-4o", "gpt-4"]);
        assert!(f.found.is_none());
    }
}
