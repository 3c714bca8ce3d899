//! The adapters' toolkit: what a shape needs to turn a page body into
//! records (the run's context, the page wrappers, item-by-item fallback,
//! value normalizers).

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{PriceUnit, ProviderSpec};
use crate::identity::IdentityRules;
use crate::paging::PageHints;
use crate::record::{CompactString, Field, Record, Timestamp};

/// What an adapter needs besides the body.
#[derive(Debug, Clone)]
pub struct ParseCtx {
    /// Provider name written into each record.
    pub provider: Arc<str>,
    /// Listing URL written into each record.
    pub source: Arc<str>,
    /// Fetch time written into each record.
    pub fetched_at: Timestamp,
    /// Keep the original object in `raw`.
    pub raw: bool,
    /// Unit of `pricing` numbers (openai shape).
    pub price_unit: Option<PriceUnit>,
    /// Ids are Hugging Face repository ids.
    pub hf_ids: bool,
    /// Serving-variant suffixes of ids (`-fast`) that are not part of the
    /// repository id; see [`ParseCtx::hf_id`].
    pub hf_id_suffixes: Arc<[String]>,
    /// Fields the listing fills with placeholders, cleared from every record.
    pub unreliable: Arc<[Field]>,
    /// The table's identity rules (`canonical_id`).
    pub identity: Arc<IdentityRules>,
    /// Models a page is expected to hold (the page size asked for), so a
    /// page's records are allocated once; 0 when unknown.
    pub expected_items: usize,
}

impl ParseCtx {
    /// A context for `provider`'s listing at `source`, fetched at `fetched_at`,
    /// with no raw objects, no price unit and no Hugging Face ids.
    #[must_use]
    pub fn new(provider: &str, source: &str, fetched_at: Timestamp) -> ParseCtx {
        ParseCtx {
            provider: Arc::from(provider),
            source: Arc::from(source),
            fetched_at,
            raw: false,
            price_unit: None,
            hf_ids: false,
            hf_id_suffixes: Arc::from([]),
            unreliable: Arc::from([]),
            identity: Arc::new(IdentityRules::default()),
            expected_items: 0,
        }
    }

    /// A context for a provider of the table: its price unit, Hugging Face
    /// ids, placeholder fields and identity rules.
    #[must_use]
    pub fn for_spec(spec: &ProviderSpec, source: &str, fetched_at: Timestamp) -> ParseCtx {
        ParseCtx {
            price_unit: spec.price_unit,
            hf_ids: spec.hf_ids,
            hf_id_suffixes: Arc::from(spec.hf_id_suffixes.as_slice()),
            unreliable: Arc::from(spec.unreliable.as_slice()),
            identity: Arc::new(spec.identity_rules()),
            ..ParseCtx::new(&spec.name, source, fetched_at)
        }
    }

    /// A record for `id` with the run's provider, source and time (and its
    /// Hugging Face id, where the table says ids are repository ids); `None`
    /// for an empty id, which no request could name: every adapter starts
    /// here, so that rule is kept once.
    #[must_use]
    pub fn record(&self, id: impl Into<CompactString>) -> Option<Record> {
        let id = id.into();
        if id.is_empty() {
            return None;
        }
        let mut r = Record::new(self.provider.clone(), id, self.source.clone(), self.fetched_at);
        if self.hf_ids {
            r.hugging_face_id = self.hf_id(&r.id);
        }
        Some(r)
    }

    /// The Hugging Face repository `id` names, on a listing whose ids are
    /// repository ids: the id without its serving-variant suffix (the first
    /// of `hf_id_suffixes` it ends with), when it has the `owner/name` form.
    #[must_use]
    pub(crate) fn hf_id(&self, id: &str) -> Option<CompactString> {
        let repo = self
            .hf_id_suffixes
            .iter()
            .find_map(|s| id.strip_suffix(s.as_str()).filter(|_| !s.is_empty()))
            .unwrap_or(id);
        hf_repo_id(repo)
    }
}

/// One parsed page.
#[derive(Debug, Default)]
pub struct ParsedPage {
    /// Models of the page, in the provider's order.
    pub records: Vec<Record>,
    /// Models skipped because they did not match the shape.
    pub skipped: usize,
    /// Number of model objects on the page (parsed or skipped).
    pub items: usize,
    /// Pagination facts.
    pub hints: PageHints,
}

/// The object wrapper of a listing page: the models under `data` or
/// `models`, and what it says about pagination.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct Envelope<T> {
    #[serde(default = "Option::default")]
    data: Option<Vec<T>>,
    #[serde(default = "Option::default")]
    models: Option<Vec<T>>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, rename = "nextPageToken")]
    next_page_token: Option<String>,
    #[serde(default)]
    pagination: Option<PaginationBlock>,
}

#[derive(Deserialize)]
struct PaginationBlock {
    #[serde(default)]
    total_pages: Option<u64>,
    #[serde(default)]
    total_items: Option<u64>,
}

impl<T> Envelope<T> {
    /// The models and the pagination facts.
    fn split(self) -> (Option<Vec<T>>, PageHints) {
        let pagination = self.pagination.as_ref();
        let hints = PageHints {
            total: self.total.or_else(|| pagination.and_then(|p| p.total_items)),
            total_pages: pagination.and_then(|p| p.total_pages),
            next_token: self.next_page_token.filter(|t| !t.is_empty()),
        };
        (self.data.or(self.models), hints)
    }
}

/// The body without a UTF-8 byte order mark (some listings send one).
pub(crate) fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// The whole page in one pass, or `None` when anything in it is off.
fn parse_typed<'a, T, F>(body: &'a [u8], ctx: &ParseCtx, map: &F) -> Option<ParsedPage>
where
    T: Deserialize<'a>,
    F: Fn(T, &ParseCtx) -> Option<Record>,
{
    let body = strip_bom(body);
    let mut page = ParsedPage::default();
    match body.iter().find(|b| !b.is_ascii_whitespace())? {
        b'[' => {
            // Each model becomes a record as soon as it is read: no page of
            // intermediate models is built and then moved.
            page.records.reserve(ctx.expected_items);
            let mut de = serde_json::Deserializer::from_slice(body);
            serde::de::DeserializeSeed::deserialize(
                MapItems {
                    ctx,
                    map,
                    page: &mut page,
                    _t: PhantomData,
                },
                &mut de,
            )
            .ok()?;
            de.end().ok()?;
        }
        b'{' => {
            let env: Envelope<T> = serde_json::from_slice(body).ok()?;
            let (models, hints) = env.split();
            page.hints = hints;
            let models = models?;
            page.records.reserve_exact(models.len());
            for m in models {
                page.add(map(m, ctx));
            }
        }
        _ => return None,
    }
    page.warn_skipped(ctx);
    Some(page)
}

impl ParsedPage {
    /// Counts one model object and keeps its record, if it gave one.
    pub(crate) fn add(&mut self, record: Option<Record>) {
        self.items += 1;
        match record {
            Some(r) => self.records.push(r),
            None => self.skipped += 1,
        }
    }

    /// Says how many models had no usable id, once the page is known good: a
    /// page that falls back to the item-by-item path says it there, with each
    /// model's reason.
    pub(crate) fn warn_skipped(&self, ctx: &ParseCtx) {
        if self.skipped > 0 {
            // The summary counts them; the reason is for -v.
            tracing::debug!(
                "{}: skipped {} models without a usable id",
                ctx.provider,
                self.skipped
            );
        }
    }
}

/// A bare JSON array of models, mapped to records while it is read.
struct MapItems<'p, T, F> {
    ctx: &'p ParseCtx,
    map: &'p F,
    page: &'p mut ParsedPage,
    _t: PhantomData<fn() -> T>,
}

impl<'de, T, F> serde::de::DeserializeSeed<'de> for MapItems<'_, T, F>
where
    T: Deserialize<'de>,
    F: Fn(T, &ParseCtx) -> Option<Record>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T, F> serde::de::Visitor<'de> for MapItems<'_, T, F>
where
    T: Deserialize<'de>,
    F: Fn(T, &ParseCtx) -> Option<Record>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of models")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(m) = seq.next_element::<T>()? {
            self.page.add((self.map)(m, self.ctx));
        }
        Ok(())
    }
}

/// Splits a listing body into its model objects, whatever the wrapper: a bare
/// array, `{"data":[...]}` or `{"models":[...]}`. A UTF-8 BOM is ignored.
///
/// # Errors
/// A body that is not JSON, is HTML, or has none of those wrappers.
pub(crate) fn split_items(body: &[u8]) -> Result<(Vec<&RawValue>, PageHints), String> {
    let body = strip_bom(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
            Ok((items, PageHints::default()))
        }
        Some(b'{') => {
            let env: Envelope<&RawValue> =
                serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
            let (items, hints) = env.split();
            match items {
                Some(items) => Ok((items, hints)),
                None => Err("expected a JSON array or an object with a \"data\" or \"models\" array".into()),
            }
        }
        Some(b'<') => Err("expected JSON, got an HTML page".into()),
        Some(_) => Err("expected a JSON array or object".into()),
        None => Err("empty body".into()),
    }
}

/// Runs `map` over each model object of `body`, skipping (and counting) the
/// ones that do not deserialize into `T` or that `map` rejects.
///
/// # Errors
/// See [`split_items`].
pub(crate) fn parse_items<'a, T, F>(body: &'a [u8], ctx: &ParseCtx, map: F) -> Result<ParsedPage, String>
where
    T: Deserialize<'a>,
    F: Fn(T, &ParseCtx) -> Option<Record>,
{
    // One pass over the page when every model is well formed (the usual
    // case); only a page with a bad model is split and parsed item by item.
    if !ctx.raw {
        if let Some(page) = parse_typed(body, ctx, &map) {
            return Ok(page);
        }
    }
    let (items, hints) = split_items(body)?;
    let mut page = ParsedPage {
        records: Vec::with_capacity(items.len()),
        skipped: 0,
        items: items.len(),
        hints,
    };
    for item in items {
        let parsed = serde_json::from_str::<T>(item.get())
            .map_err(|e| e.to_string())
            .and_then(|m| map(m, ctx).ok_or_else(|| "no usable id".to_owned()));
        match parsed {
            Ok(mut record) => {
                if ctx.raw {
                    record.raw = Some(compact(item));
                }
                page.records.push(record);
            }
            Err(e) => {
                page.skipped += 1;
                tracing::debug!("{}: skipped a malformed model: {e}", ctx.provider);
            }
        }
    }
    Ok(page)
}

/// The provider's object without the whitespace between its tokens, so that
/// `--raw` keeps NDJSON (and the cache) one record per line whatever the
/// provider's indentation; strings and numbers stay byte for byte.
fn compact(item: &RawValue) -> Box<RawValue> {
    let text = item.get();
    if !text.bytes().any(|b| matches!(b, b'\n' | b'\r' | b'\t' | b' ')) {
        return item.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, '\n' | '\r' | '\t' | ' ') {
            out.push(c);
        }
    }
    // Whitespace between tokens is all that went: still the same JSON.
    RawValue::from_string(out).unwrap_or_else(|_| item.to_owned())
}

/// Normalizes an optional text field: trims, and treats empty and
/// placeholder values (`unknown`, `none`) as unknown.
#[must_use]
pub(crate) fn text(value: Option<CompactString>) -> Option<CompactString> {
    let v = value?;
    let t = v.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("unknown") || t.eq_ignore_ascii_case("none") {
        None
    } else if t.len() == v.len() {
        Some(v)
    } else {
        Some(t.into())
    }
}

/// A Unix time in seconds as a timestamp; `0` and negatives are unknown.
#[must_use]
pub(crate) fn unix(secs: Option<i64>) -> Option<Timestamp> {
    secs.filter(|s| *s > 0).and_then(Timestamp::from_unix)
}

/// A token count; `0` is unknown (no model has a zero context).
#[must_use]
pub(crate) fn tokens(n: Option<u64>) -> Option<u64> {
    n.filter(|n| *n > 0)
}

/// The id as a Hugging Face repository id, when it has the `owner/name` form.
#[must_use]
pub(crate) fn hf_repo_id(id: &str) -> Option<CompactString> {
    let (owner, name) = id.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (ok(owner) && ok(name)).then(|| id.into())
}

/// What the adapters' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use crate::record::Record;

    /// Every field of the record as written, but the three every record of
    /// the run shares (provider, source, fetched_at) and the two the
    /// identity rules derive from the others (`canonical_id`, `canonical_by`:
    /// tested in `crate::identity`).
    pub(crate) fn facts(r: &Record) -> serde_json::Value {
        let mut v = serde_json::to_value(r).unwrap();
        let o = v.as_object_mut().unwrap();
        for shared in ["provider", "source", "fetched_at", "canonical_id", "canonical_by"] {
            o.remove(shared).unwrap();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_objects_lose_their_indentation_but_not_a_byte_of_their_values() {
        let item: Box<RawValue> =
            serde_json::from_str("{\n  \"id\": \"a b\\\" c\",\n\t\"n\": [1, 2.50]\r\n}").unwrap();
        assert_eq!(compact(&item).get(), r#"{"id":"a b\" c","n":[1,2.50]}"#);
        let flat: Box<RawValue> = serde_json::from_str(r#"{"id":"x"}"#).unwrap();
        assert_eq!(compact(&flat).get(), r#"{"id":"x"}"#);
    }
}
