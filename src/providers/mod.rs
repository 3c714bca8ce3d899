//! The provider table and the response adapters.
//!
//! Providers are data: `providers.toml` (embedded) lists each one's listing URL,
//! key, auth style, pagination and response [`Shape`]. A shape is one small
//! adapter module that turns a page body into [`Record`]s. Most providers speak
//! the OpenAI-style `{"data":[...]}` list and need no code at all.

mod deepinfra;
mod google;
mod huggingface;
mod novita;
mod openai;
mod openrouter;
mod xai;

pub use crate::paging::Paging;
pub use huggingface::HubFilters;

use std::marker::PhantomData;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::record::{CompactString, Record, Timestamp};

/// The embedded built-in table.
const BUILTIN: &str = include_str!("providers.toml");

/// The response adapter a provider's listing is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// OpenAI-style `{"object":"list","data":[...]}` or a bare array.
    Openai,
    /// Hugging Face Hub `/api/models`.
    Huggingface,
    /// OpenRouter `/api/v1/models` (per-token decimal-string prices).
    Openrouter,
    /// DeepInfra `/v1/openai/models` (`metadata` object).
    Deepinfra,
    /// Google Gemini API `models.list`.
    Google,
    /// xAI `/v1/language-models`.
    Xai,
    /// Novita `/openai/v1/models`.
    Novita,
}

impl Shape {
    /// The shape's name as written in the table.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Shape::Openai => "openai",
            Shape::Huggingface => "huggingface",
            Shape::Openrouter => "openrouter",
            Shape::Deepinfra => "deepinfra",
            Shape::Google => "google",
            Shape::Xai => "xai",
            Shape::Novita => "novita",
        }
    }

    /// Whether the Hub's filters (`--search`, `--author`, `--sort`,
    /// `--pipeline-tag`) and `--incremental` apply to this shape.
    #[must_use]
    pub(crate) fn takes_hub_filters(self) -> bool {
        self == Shape::Huggingface
    }

    /// The sort key an incremental harvest asks for, where the shape has one.
    #[must_use]
    pub(crate) fn incremental_sort(self) -> Option<&'static str> {
        match self {
            Shape::Huggingface => Some(huggingface::INCREMENTAL_SORT),
            _ => None,
        }
    }

    /// Adds the shape's own first-page parameters (the Hub's filters, sort
    /// and expanded fields) to a listing URL's query.
    pub(crate) fn first_page_params(
        self,
        q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
        hub: &HubFilters,
    ) {
        if self == Shape::Huggingface {
            huggingface::first_page_params(q, hub);
        }
    }

    /// Parses one page body into records.
    ///
    /// # Errors
    /// When the body is not a listing of this shape at all (not JSON, HTML, a
    /// wrong top-level type). A single malformed model is skipped and counted.
    pub fn parse(self, body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
        match self {
            Shape::Openai => openai::parse(body, ctx),
            Shape::Huggingface => huggingface::parse(body, ctx),
            Shape::Openrouter => openrouter::parse(body, ctx),
            Shape::Deepinfra => deepinfra::parse(body, ctx),
            Shape::Google => google::parse(body, ctx),
            Shape::Xai => xai::parse(body, ctx),
            Shape::Novita => novita::parse(body, ctx),
        }
    }
}

/// Unit of the `pricing` numbers of an OpenAI-shape listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    /// USD per token (OpenRouter style); multiplied by 10^6.
    UsdPerToken,
    /// USD per million tokens; taken as is.
    UsdPerMillion,
}

impl PriceUnit {
    /// The power of ten that converts this unit to USD per 1M tokens.
    #[must_use]
    pub(crate) fn shift(self) -> i32 {
        match self {
            PriceUnit::UsdPerToken => 6,
            PriceUnit::UsdPerMillion => 0,
        }
    }
}

/// How the key is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>`.
    Header(String),
    /// `?<param>=<key>`.
    Query(String),
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Auth::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Auth {
    fn parse(s: &str) -> Result<Auth, String> {
        let valid = |n: &str| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        match s.split_once(':') {
            None if s == "bearer" => Ok(Auth::Bearer),
            Some(("header", h)) if valid(h) => Ok(Auth::Header(h.to_ascii_lowercase())),
            Some(("query", q)) if valid(q) => Ok(Auth::Query(q.to_owned())),
            _ => Err(format!(
                "unknown auth {s:?}: expected \"bearer\", \"header:NAME\" or \"query:NAME\""
            )),
        }
    }
}

/// One provider as described by the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// The name used on the command line and in output (filled from the table key).
    #[serde(skip)]
    pub name: String,
    /// Other accepted names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Full listing URL, query included.
    pub url: Url,
    /// An env var holding a base URL that replaces the scheme, host and port.
    #[serde(default)]
    pub base_env: Option<String>,
    /// Response adapter.
    #[serde(default = "default_shape")]
    pub shape: Shape,
    /// Env vars that may hold the key, first non-empty wins (a string or a list).
    #[serde(default, deserialize_with = "one_or_many")]
    pub key_env: Vec<String>,
    /// How the key is sent.
    #[serde(default = "default_auth")]
    pub auth: Auth,
    /// The listing refuses anonymous callers.
    #[serde(default)]
    pub needs_key: bool,
    /// Pagination style.
    #[serde(default = "default_paging")]
    pub paging: Paging,
    /// Default page size for paginated listings.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Query parameter carrying the page size.
    #[serde(default)]
    pub page_size_param: Option<String>,
    /// Default maximum number of models per run.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Minimum spacing of anonymous requests, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Unit of `pricing` numbers (openai shape).
    #[serde(default)]
    pub price_unit: Option<PriceUnit>,
    /// The ids are Hugging Face repository ids.
    #[serde(default)]
    pub hf_ids: bool,
    /// Static query parameters added to the listing URL.
    #[serde(default)]
    pub query: IndexMap<String, String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

fn default_shape() -> Shape {
    Shape::Openai
}
fn default_auth() -> Auth {
    Auth::Bearer
}
fn default_paging() -> Paging {
    Paging::None
}

impl ProviderSpec {
    /// The env var that overrides this provider's full listing URL.
    #[must_use]
    pub fn url_env(&self) -> String {
        let upper: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("CATALOG_{upper}_URL")
    }

    /// The query parameter carrying the page size.
    #[must_use]
    pub(crate) fn size_param(&self) -> &str {
        self.page_size_param
            .as_deref()
            .unwrap_or(self.paging.size_param())
    }

    /// Whether `name` designates this provider (its name or an alias).
    #[must_use]
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.iter().any(|a| a == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    providers: IndexMap<String, ProviderSpec>,
}

/// Parses a provider table in the TOML format of `providers.toml`.
///
/// # Errors
/// A TOML or schema error, with its line, or an invalid provider name.
pub fn parse_table(text: &str) -> Result<Vec<ProviderSpec>, String> {
    let file: TableFile = toml::from_str(text).map_err(|e| e.to_string())?;
    table_from(file.providers)
}

/// Checks the `[providers.NAME]` entries of a table or config file and
/// gives each its name.
pub(crate) fn table_from(entries: IndexMap<String, ProviderSpec>) -> Result<Vec<ProviderSpec>, String> {
    entries
        .into_iter()
        .map(|(name, mut spec)| {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "provider name {name:?} must be lower-case letters, digits, '-' or '_'"
                ));
            }
            if !matches!(spec.url.scheme(), "http" | "https") || spec.url.host_str().is_none() {
                return Err(format!(
                    "provider {name}: url must be an http:// or https:// URL with a host"
                ));
            }
            if !spec.query.is_empty() {
                spec.url.query_pairs_mut().extend_pairs(&spec.query);
            }
            spec.name = name;
            Ok(spec)
        })
        .collect()
}

/// The built-in providers, in `--all` order.
#[must_use]
pub fn builtin() -> Vec<ProviderSpec> {
    parse_table(BUILTIN).expect("the embedded provider table is valid (tested)")
}

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
            expected_items: 0,
        }
    }

    /// A record for `id` with the run's provider, source and time.
    #[must_use]
    pub fn record(&self, id: impl Into<CompactString>) -> Record {
        Record::new(self.provider.clone(), id, self.source.clone(), self.fetched_at)
    }
}

/// Pagination facts read from a page body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageHints {
    /// Total number of models in the listing (`total`).
    pub total: Option<u64>,
    /// Total number of pages (`pagination.total_pages`).
    pub total_pages: Option<u64>,
    /// Token of the next page (`nextPageToken`).
    pub next_token: Option<String>,
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

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    models: Option<Vec<&'a RawValue>>,
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

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct TypedEnvelope<T> {
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

/// The whole page in one pass, or `None` when anything in it is off.
fn parse_typed<'a, T, F>(body: &'a [u8], ctx: &ParseCtx, map: &F) -> Option<ParsedPage>
where
    T: Deserialize<'a>,
    F: Fn(T, &ParseCtx) -> Option<Record>,
{
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
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
            let env: TypedEnvelope<T> = serde_json::from_slice(body).ok()?;
            let pagination = env.pagination.as_ref();
            page.hints = PageHints {
                total: env.total.or_else(|| pagination.and_then(|p| p.total_items)),
                total_pages: pagination.and_then(|p| p.total_pages),
                next_token: env.next_page_token.filter(|t| !t.is_empty()),
            };
            let models = env.data.or(env.models)?;
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
            tracing::warn!(
                provider = &*ctx.provider,
                "skipped {} malformed model(s): no usable id",
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
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
            Ok((items, PageHints::default()))
        }
        Some(b'{') => {
            let env: Envelope = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
            let pagination = env.pagination.as_ref();
            let hints = PageHints {
                total: env.total.or_else(|| pagination.and_then(|p| p.total_items)),
                total_pages: pagination.and_then(|p| p.total_pages),
                next_token: env.next_page_token.filter(|t| !t.is_empty()),
            };
            match env.data.or(env.models) {
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
                    record.raw = Some(item.to_owned());
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

/// Normalizes an optional text field: trims, and treats empty and
/// placeholder values (`unknown`, `none`) as unknown.
#[must_use]
pub fn text(value: Option<CompactString>) -> Option<CompactString> {
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
pub fn unix(secs: Option<i64>) -> Option<Timestamp> {
    secs.filter(|s| *s > 0).map(Timestamp)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_lists_the_fourteen_providers_in_order() {
        let names: Vec<String> = builtin().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "openrouter",
                "portkey",
                "featherless",
                "deepinfra",
                "hug",
                "chutes",
                "groq",
                "together",
                "fireworks",
                "google",
                "xai",
                "nebius",
                "cerebras",
                "novita"
            ]
        );
    }

    #[test]
    fn builtin_entries_are_https_with_well_formed_key_vars() {
        for p in builtin() {
            assert_eq!(p.url.scheme(), "https", "{}", p.name);
            assert!(!p.key_env.is_empty(), "{} has no key env var", p.name);
            for k in &p.key_env {
                assert!(k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{k}");
            }
            if p.paging != Paging::None {
                assert!(p.page_size.is_some_and(|s| (1..=1000).contains(&s)), "{}", p.name);
            }
        }
    }

    #[test]
    fn hug_answers_to_its_aliases() {
        let hug = builtin().into_iter().find(|p| p.name == "hug").unwrap();
        assert!(hug.answers_to("hf") && hug.answers_to("huggingface") && hug.answers_to("hug"));
        assert_eq!(hug.url_env(), "CATALOG_HUG_URL");
        assert_eq!(hug.key_env, ["HUG_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]);
    }

    #[test]
    fn auth_styles_parse() {
        assert_eq!(Auth::parse("bearer"), Ok(Auth::Bearer));
        assert_eq!(
            Auth::parse("header:X-Api-Key"),
            Ok(Auth::Header("x-api-key".into()))
        );
        assert_eq!(Auth::parse("query:key"), Ok(Auth::Query("key".into())));
        assert!(Auth::parse("basic").is_err());
        assert!(Auth::parse("header:").is_err());
    }

    #[test]
    fn table_errors_name_the_line() {
        let err =
            parse_table("[providers.x]\nurl = \"https://x.test/v1/models\"\nshape = \"nope\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        let err = parse_table("[providers.Bad]\nurl = \"https://x.test/\"\n").unwrap_err();
        assert!(err.contains("lower-case"), "{err}");
    }

    #[test]
    fn wrappers_are_recognized_and_bom_skipped() {
        let (items, hints) =
            split_items(b"\xEF\xBB\xBF{\"object\":\"list\",\"total\":2,\"data\":[{},{}]}").unwrap();
        assert_eq!((items.len(), hints.total), (2, Some(2)));
        let (items, _) = split_items(b"[{}]").unwrap();
        assert_eq!(items.len(), 1);
        let (items, hints) = split_items(br#"{"models":[{}],"nextPageToken":"abc"}"#).unwrap();
        assert_eq!((items.len(), hints.next_token.as_deref()), (1, Some("abc")));
        assert!(split_items(b"<html>").unwrap_err().contains("HTML"));
        assert!(split_items(br#"{"error":"x"}"#).unwrap_err().contains("\"data\""));
        assert!(split_items(b"[{").unwrap_err().contains("invalid JSON"));
    }

    #[test]
    fn repo_ids_are_recognized() {
        assert_eq!(
            hf_repo_id("meta-llama/Llama-3.1-8B").as_deref(),
            Some("meta-llama/Llama-3.1-8B")
        );
        assert_eq!(hf_repo_id("gpt-4o"), None);
        assert_eq!(hf_repo_id("accounts/fireworks/models/x"), None);
    }
}
