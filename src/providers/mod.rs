//! The provider table and the response adapters.
//!
//! Providers are data: `providers.toml` (embedded) lists each one's listing URL,
//! key, auth style, pagination and response [`Shape`]. A shape is one small
//! adapter module that turns a page body into [`Record`]s. Most providers speak
//! the OpenAI-style `{"data":[...]}` list and need no code at all.

mod adapt;
mod deepinfra;
mod google;
mod huggingface;
mod novita;
mod openai;
mod openrouter;
mod together;
mod xai;

pub use crate::http::Auth;
pub use crate::paging::{PageHints, Paging};
#[cfg(test)]
use adapt::hf_repo_id;
#[cfg(test)]
use adapt::split_items;
pub(crate) use adapt::{parse_items, strip_bom, text, tokens, unix};
pub use adapt::{ParseCtx, ParsedPage};
pub use huggingface::HubFilters;

use indexmap::IndexMap;
use serde::Deserialize;
use url::Url;

use crate::record::Field;

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
    /// Together `/v1/models` (a bare array with `type`, `link`, `pricing`).
    Together,
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
            Shape::Together => "together",
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
        let mut page = self.parse_shape(body, ctx)?;
        if !ctx.unreliable.is_empty() {
            for r in &mut page.records {
                for &field in ctx.unreliable.iter() {
                    r.clear(field);
                }
            }
        }
        let evidence = crate::identity::Evidence::default();
        for r in &mut page.records {
            crate::identity::assign(r, &ctx.identity, &evidence);
        }
        Ok(page)
    }

    fn parse_shape(self, body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
        match self {
            Shape::Openai => openai::parse(body, ctx),
            Shape::Huggingface => huggingface::parse(body, ctx),
            Shape::Openrouter => openrouter::parse(body, ctx),
            Shape::Deepinfra => deepinfra::parse(body, ctx),
            Shape::Google => google::parse(body, ctx),
            Shape::Xai => xai::parse(body, ctx),
            Shape::Novita => novita::parse(body, ctx),
            Shape::Together => together::parse(body, ctx),
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
    /// Suffixes some ids carry that name a serving variant, not part of the
    /// repository (Nebius `-fast`): removed before an id becomes a
    /// `hugging_face_id` (with `hf_ids`).
    #[serde(default)]
    pub hf_id_suffixes: Vec<String>,
    /// Identity (`canonical_id`): deployment prefixes of ids
    /// (`accounts/*/models/`, `@deepinfra/`), cut before the id is
    /// normalized.
    #[serde(default)]
    pub id_prefixes: Vec<String>,
    /// Identity: id suffixes naming a serving variant of the same weights
    /// (`-Turbo`, `:free`), case-sensitive; `PREFIX*SUFFIX` scopes one to ids
    /// starting with `PREFIX`. `hf_id_suffixes` count as serving suffixes too.
    #[serde(default)]
    pub serving_suffixes: Vec<String>,
    /// Identity: id suffixes the provider documents as aliases of another
    /// name (`-versatile` = `-instruct`).
    #[serde(default)]
    pub id_aliases: IndexMap<String, String>,
    /// Identity: a stated Hugging Face id is trusted only when it names the
    /// id's own model (the listing links some models to a relative's repo).
    #[serde(default)]
    pub hf_id_verify: bool,
    /// Identity: the provider's name as a Hugging Face inference provider
    /// (`fireworks-ai`), whose mapping of its ids to Hub repositories the Hub
    /// publishes (`/api/partners/NAME/models`): the strongest evidence.
    #[serde(default)]
    pub hub_partner: Option<String>,
    /// Record fields this listing fills with placeholders (the response time
    /// as `created`, the serving engine as `owned_by`): written as unknown.
    #[serde(default, deserialize_with = "field_names")]
    pub unreliable: Vec<Field>,
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

fn field_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Field>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|name| {
            Field::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown record field {name:?}")))
        })
        .collect()
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
    /// The table's identity rules for this provider.
    #[must_use]
    pub fn identity_rules(&self) -> crate::identity::IdentityRules {
        crate::identity::IdentityRules {
            id_prefixes: self.id_prefixes.clone(),
            serving_suffixes: self
                .serving_suffixes
                .iter()
                .chain(&self.hf_id_suffixes)
                .cloned()
                .collect(),
            id_aliases: self
                .id_aliases
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            hf_id_verify: self.hf_id_verify,
        }
    }

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

    /// Its key variables as a person reads them: `GROQ_API_KEY`, or
    /// `HUG_API_KEY or HF_TOKEN or ...`.
    #[must_use]
    pub(crate) fn key_vars(&self) -> String {
        self.key_env.join(" or ")
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
