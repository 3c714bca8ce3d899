//! `--filter` and `--fields`: the record selections people ask for most,
//! applied before writing (the cache always keeps whole, unfiltered records).

use crate::record::{Field, Record, CAPABILITIES, FIELDS};
use crate::term::edit_distance;

/// One condition of `--filter`.
#[derive(Debug, Clone, PartialEq)]
enum Cond {
    /// `task=text-generation`
    Task(String),
    /// `modality=image`: an input or output modality.
    Modality(String),
    /// `free`: input and output prices known and 0, and every other stated
    /// price (cache, other units) 0 too.
    Free,
    /// `capability=tools`
    Capability(String),
    /// `max-price-input=1.0` (USD per 1M; unknown prices do not pass).
    MaxPriceInput(f64),
    /// `max-price-output=2`
    MaxPriceOutput(f64),
    /// `min-context=128000` (unknown contexts do not pass).
    MinContext(u64),
    /// `owned-by=meta-llama`
    OwnedBy(String),
    /// `canonical=llama3.3-70b-instruct`: the exact `canonical_id` (keys are
    /// lowercase; the value is lowercased).
    Canonical(String),
}

/// Every condition must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    conds: Vec<Cond>,
}

/// The `--filter` syntax, for messages.
pub(crate) const FILTER_HELP: &str =
    "task=TASK, modality=M, capability=C, free, max-price-input=USD, max-price-output=USD, min-context=TOKENS, owned-by=ORG, canonical=KEY";

/// The condition names, for did-you-mean.
const CONDITIONS: [&str; 9] = [
    "task",
    "modality",
    "capability",
    "free",
    "max-price-input",
    "max-price-output",
    "min-context",
    "owned-by",
    "canonical",
];

impl Filter {
    /// Parses `--filter` values (each may hold several, comma-separated).
    ///
    /// # Errors
    /// A message naming the bad condition and the accepted ones.
    pub fn parse(items: &[String]) -> Result<Option<Filter>, String> {
        let mut conds = Vec::new();
        for item in items
            .iter()
            .flat_map(|i| i.split(','))
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (key, value) = item
                .split_once('=')
                .map_or((item, ""), |(k, v)| (k.trim(), v.trim()));
            let number = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .ok_or_else(|| format!("--filter {item}: {v:?} is not a non-negative number"))
            };
            let need = |v: &str| -> Result<String, String> {
                if v.is_empty() {
                    Err(format!("--filter {item}: needs a value ({key}=...)"))
                } else {
                    Ok(v.to_ascii_lowercase())
                }
            };
            conds.push(match key {
                "task" => Cond::Task(need(value)?),
                "modality" => Cond::Modality(need(value)?),
                "free" if value.is_empty() => Cond::Free,
                "capability" => {
                    let c = need(value)?;
                    if !CAPABILITIES.contains(&c.as_str()) {
                        return Err(format!(
                            "--filter {item}: unknown capability; capabilities are {}",
                            CAPABILITIES.join(", ")
                        ));
                    }
                    Cond::Capability(c)
                }
                "max-price-input" => Cond::MaxPriceInput(number(value)?),
                "max-price-output" => Cond::MaxPriceOutput(number(value)?),
                "min-context" => Cond::MinContext(
                    value
                        .parse()
                        .map_err(|_| format!("--filter {item}: {value:?} is not a whole number"))?,
                ),
                "owned-by" => Cond::OwnedBy(need(value)?),
                "canonical" => Cond::Canonical(need(value)?),
                _ => {
                    let closest = CONDITIONS
                        .iter()
                        .min_by_key(|c| edit_distance(key, c))
                        .filter(|c| edit_distance(key, c) <= 3)
                        .map(|c| format!(" (did you mean {c}?)"))
                        .unwrap_or_default();
                    return Err(format!(
                        "--filter: unknown condition {item:?}{closest}; use {FILTER_HELP}"
                    ));
                }
            });
        }
        Ok((!conds.is_empty()).then_some(Filter { conds }))
    }

    /// Whether the record passes every condition.
    #[must_use]
    pub fn matches(&self, r: &Record) -> bool {
        let price_at_most =
            |p: Option<crate::record::Price>, max: f64| p.is_some_and(|p| p.usd_per_million() <= max);
        self.conds.iter().all(|c| match c {
            Cond::Task(t) => r.task.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(t)),
            Cond::Modality(m) => {
                r.input_modalities.contains_ignore_case(m) || r.output_modalities.contains_ignore_case(m)
            }
            Cond::Free => r.is_free(),
            Cond::Capability(c) => r.capabilities.contains_ignore_case(c),
            Cond::MaxPriceInput(max) => price_at_most(r.price_input, *max),
            Cond::MaxPriceOutput(max) => price_at_most(r.price_output, *max),
            Cond::MinContext(min) => r.context_length.is_some_and(|c| c >= *min),
            Cond::OwnedBy(o) => r.owned_by.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(o)),
            Cond::Canonical(k) => r.canonical_id.as_deref() == Some(k.as_str()),
        })
    }
}

/// Parses `--fields` (`raw` is not selectable here: use `--raw`).
///
/// # Errors
/// A message naming the unknown field and the valid ones.
pub(crate) fn parse_fields(items: &[String]) -> Result<Option<Vec<Field>>, String> {
    let mut out = Vec::new();
    for name in items
        .iter()
        .flat_map(|i| i.split(','))
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let field = Field::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
            format!(
                "--fields: unknown field {name:?}; fields are {}",
                FIELDS.join(", ")
            )
        })?;
        if !out.contains(&field) {
            out.push(field);
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Price, Timestamp, Unit};
    use std::sync::Arc;

    fn model() -> Record {
        let mut r = Record::new(Arc::from("p"), "m", Arc::from("s"), Timestamp(0));
        r.task = Some("text-generation".into());
        r.input_modalities = ["text", "image"].into_iter().collect();
        r.price_input = Price::from_decimal("0.5", 0);
        r.price_output = Price::from_decimal("0", 0);
        r.context_length = Some(200_000);
        r
    }

    fn f(s: &str) -> Filter {
        Filter::parse(&[s.to_owned()]).unwrap().unwrap()
    }

    #[test]
    fn conditions_select_as_documented() {
        let m = model();
        assert!(f("task=text-generation").matches(&m));
        assert!(f("modality=IMAGE").matches(&m));
        assert!(!f("modality=audio").matches(&m));
        assert!(f("max-price-input=0.5,min-context=128000").matches(&m));
        assert!(!f("max-price-input=0.49").matches(&m));
        assert!(!f("free").matches(&m), "input is not free");
        let mut unknown = model();
        unknown.price_input = None;
        unknown.context_length = None;
        assert!(
            !f("max-price-input=100").matches(&unknown),
            "unknown is not cheap"
        );
        assert!(!f("min-context=1").matches(&unknown));
    }

    #[test]
    fn a_model_billed_in_another_unit_is_not_free() {
        let mut image = model();
        image.price_input = Price::from_decimal("0", 0);
        assert!(f("free").matches(&image), "0/0 and nothing else is free");
        image
            .price_other
            .set(Unit::ImageInput, Price::from_decimal("0.003", 0));
        assert!(!f("free").matches(&image), "billed per image");
        let mut cached = model();
        cached.price_input = Price::from_decimal("0", 0);
        cached.price_cache_write = Price::from_decimal("0.1", 0);
        assert!(!f("free").matches(&cached), "billed for cache writes");
        let mut unknown = model();
        unknown.price_input = None;
        unknown.price_output = None;
        assert!(!f("free").matches(&unknown), "unknown prices are not free");
    }

    #[test]
    fn capabilities_are_selected_from_the_vocabulary() {
        let mut m = model();
        m.capabilities = ["tools", "reasoning"].into_iter().collect();
        assert!(f("capability=tools").matches(&m));
        assert!(f("capability=REASONING").matches(&m));
        assert!(!f("capability=web_search").matches(&m));
        assert!(Filter::parse(&["capability=flying".into()])
            .unwrap_err()
            .contains("unknown capability; capabilities are tools, reasoning"));
    }

    #[test]
    fn bad_filters_and_fields_are_named() {
        assert!(Filter::parse(&["cheap".into()])
            .unwrap_err()
            .contains("unknown condition \"cheap\""));
        assert!(Filter::parse(&["min-contxt=1000".into()])
            .unwrap_err()
            .contains("unknown condition \"min-contxt=1000\" (did you mean min-context?)"));
        assert!(Filter::parse(&["min-context=lots".into()])
            .unwrap_err()
            .contains("not a whole number"));
        assert_eq!(Filter::parse(&[]).unwrap(), None);
        assert_eq!(
            parse_fields(&["id,provider".into(), "price_input".into()]).unwrap(),
            Some(vec![Field::Id, Field::Provider, Field::PriceInput])
        );
        assert!(parse_fields(&["price".into()])
            .unwrap_err()
            .contains("unknown field \"price\""));
    }

    #[test]
    fn canonical_matches_the_exact_key_only() {
        let f = Filter::parse(&["canonical=Llama3.3-70B-Instruct".to_owned()])
            .unwrap()
            .unwrap();
        let mut r = Record::new(
            std::sync::Arc::from("p"),
            "m",
            std::sync::Arc::from("s"),
            crate::record::Timestamp(0),
        );
        assert!(!f.matches(&r), "no key");
        r.canonical_id = Some("llama3.3-70b-instruct".into());
        assert!(f.matches(&r));
        r.canonical_id = Some("llama3.3-70b-instruct-2".into());
        assert!(!f.matches(&r), "a longer key is another model");
        assert!(Filter::parse(&["canonical=".to_owned()]).is_err());
    }
}
