//! The normalized model record every provider maps into, and the small value
//! types it is made of (prices in exact decimal units, RFC 3339 timestamps).

use std::sync::Arc;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Short strings (up to 24 bytes: most ids, tags and modalities) stored inline,
/// without a heap allocation; longer ones on the heap like a `String`.
pub use compact_str::CompactString;

mod price;
mod strlist;
mod time;

pub use price::{Price, PriceOther, Unit};
pub use strlist::StrList;
pub use time::Timestamp;

pub use crate::identity::CanonicalBy;

/// Declares [`Field`] from one list, so that [`Field::ALL`] and [`Field::name`]
/// cannot leave a field out or put it in another order.
macro_rules! schema {
    ($($(#[doc = $doc:literal])* $field:ident = $name:literal,)*) => {
        /// One field of the output schema.
        ///
        /// The `match`es that write a record's fields (its `Serialize` impl, the
        /// hand-written JSON writer, CSV) have no catch-all arm: a new field
        /// does not compile until each of them writes it.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Field {
            $($(#[doc = $doc])* $field,)*
        }

        impl Field {
            /// Every field, in output order: JSON keys, CSV columns.
            pub const ALL: [Field; [$($name),*].len()] = [$(Field::$field),*];

            /// The JSON key, CSV header cell and `--fields` name.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Field::$field => $name,)*
                }
            }

            /// `,"name":`, what the JSON writer puts before the field's
            /// value (without the comma for an object's first member): one
            /// copy instead of four pieces, written 27 times a record.
            pub(crate) const fn json_key(self) -> &'static str {
                match self {
                    $(Field::$field => concat!(",\"", $name, "\":"),)*
                }
            }

            /// [`Field::json_key`] in a block of [`PADDED_KEY`] bytes, and
            /// its length: copied whole, a fixed size, it is a pair of moves
            /// instead of a call to `memcpy`.
            pub(crate) const fn json_key_padded(self) -> &'static ([u8; PADDED_KEY], usize) {
                match self {
                    $(Field::$field => &const { pad_key(concat!(",\"", $name, "\":")) },)*
                }
            }
        }
    };
}

/// The room a padded JSON key takes ([`Field::json_key_padded`]): the
/// longest, `,"max_output_tokens":`, is 21 bytes.
pub(crate) const PADDED_KEY: usize = 32;

const fn pad_key(key: &str) -> ([u8; PADDED_KEY], usize) {
    let b = key.as_bytes();
    assert!(b.len() <= PADDED_KEY, "a JSON key longer than PADDED_KEY");
    let mut out = [0u8; PADDED_KEY];
    let mut i = 0;
    while i < b.len() {
        out[i] = b[i];
        i += 1;
    }
    (out, b.len())
}

schema! {
    /// [`Record::provider`]
    Provider = "provider",
    /// [`Record::id`]
    Id = "id",
    /// [`Record::name`]
    Name = "name",
    /// [`Record::owned_by`]
    OwnedBy = "owned_by",
    /// [`Record::created`]
    Created = "created",
    /// [`Record::context_length`]
    ContextLength = "context_length",
    /// [`Record::max_output_tokens`]
    MaxOutputTokens = "max_output_tokens",
    /// [`Record::input_modalities`]
    InputModalities = "input_modalities",
    /// [`Record::output_modalities`]
    OutputModalities = "output_modalities",
    /// [`Record::task`]
    Task = "task",
    /// [`Record::price_input`]
    PriceInput = "price_input",
    /// [`Record::price_output`]
    PriceOutput = "price_output",
    /// [`Record::price_cache_read`]
    PriceCacheRead = "price_cache_read",
    /// [`Record::hugging_face_id`]
    HuggingFaceId = "hugging_face_id",
    /// [`Record::downloads`]
    Downloads = "downloads",
    /// [`Record::likes`]
    Likes = "likes",
    /// [`Record::tags`]
    Tags = "tags",
    /// [`Record::source`]
    Source = "source",
    /// [`Record::fetched_at`]
    FetchedAt = "fetched_at",
    /// [`Record::price_cache_write`]
    PriceCacheWrite = "price_cache_write",
    /// [`Record::price_other`]
    PriceOther = "price_other",
    /// [`Record::capabilities`]
    Capabilities = "capabilities",
    /// [`Record::quantization`]
    Quantization = "quantization",
    /// [`Record::knowledge_cutoff`]
    KnowledgeCutoff = "knowledge_cutoff",
    /// [`Record::expires_at`]
    ExpiresAt = "expires_at",
    /// [`Record::canonical_id`]
    CanonicalId = "canonical_id",
    /// [`Record::canonical_by`]
    CanonicalBy = "canonical_by",
}

/// The field names, in output order. This is also the CSV header.
pub const FIELDS: [&str; Field::ALL.len()] = {
    let mut names = [""; Field::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Field::ALL[i].name();
        i += 1;
    }
    names
};

/// The longest record line this tool writes (output, cache) and reads back
/// (`diff`, the cache): one limit, so that it can always read what it wrote.
/// A listing's body is capped at the same size.
pub(crate) const MAX_LINE: usize = 64 << 20;

/// The capability vocabulary (`capabilities`): what each provider's own flags
/// are mapped to (the README's schema says from which field).
pub const CAPABILITIES: [&str; 6] = [
    "tools",
    "reasoning",
    "structured_outputs",
    "json_mode",
    "web_search",
    "prompt_caching",
];

/// One model served by one provider, normalized.
///
/// Unknown values are `None` (written as `null`), never `0`, `""` or `false`.
/// Prices are USD per one million tokens.
#[derive(Debug, Clone)]
pub struct Record {
    /// Provider name as used on the command line (`hug`, `openrouter`, ...).
    pub provider: Arc<str>,
    /// The model id exactly as the provider's API expects it.
    pub id: CompactString,
    /// Human-readable name, when the provider gives one.
    pub name: Option<CompactString>,
    /// Organization or account that owns the model.
    pub owned_by: Option<CompactString>,
    /// Creation time, seconds since the Unix epoch (written as RFC 3339 UTC).
    pub created: Option<Timestamp>,
    /// Maximum context window in tokens.
    pub context_length: Option<u64>,
    /// Maximum number of generated tokens.
    pub max_output_tokens: Option<u64>,
    /// Input modalities (`text`, `image`, `audio`, ...).
    pub input_modalities: StrList,
    /// Output modalities.
    pub output_modalities: StrList,
    /// Task (Hugging Face `pipeline_tag`, or the provider's model type).
    pub task: Option<CompactString>,
    /// USD per 1M input tokens.
    pub price_input: Option<Price>,
    /// USD per 1M output tokens.
    pub price_output: Option<Price>,
    /// USD per 1M cached input tokens read.
    pub price_cache_read: Option<Price>,
    /// The Hugging Face repository this model is, when known.
    pub hugging_face_id: Option<CompactString>,
    /// Downloads (Hugging Face: last 30 days).
    pub downloads: Option<u64>,
    /// Likes (Hugging Face).
    pub likes: Option<u64>,
    /// Free-form tags.
    pub tags: StrList,
    /// The listing URL the record came from (never carries a secret).
    pub source: Arc<str>,
    /// When the listing was fetched.
    pub fetched_at: Timestamp,
    /// USD per 1M tokens written to the prompt cache.
    pub price_cache_write: Option<Price>,
    /// Prices in units other than tokens, by [`Unit`].
    pub price_other: PriceOther,
    /// What the model supports, from [`CAPABILITIES`].
    pub capabilities: StrList,
    /// The weights' numeric format as served (`fp8`, `bf16`, ...).
    pub quantization: Option<CompactString>,
    /// The training data's cutoff date, as the provider states it.
    pub knowledge_cutoff: Option<CompactString>,
    /// When the provider retires the model (a date).
    pub expires_at: Option<CompactString>,
    /// One lowercase key shared by every record of the same model weights,
    /// whichever provider serves them (see [`crate::identity`]); derived by
    /// this tool, not stated by the provider.
    pub canonical_id: Option<CompactString>,
    /// The evidence `canonical_id` was decided on.
    pub canonical_by: Option<CanonicalBy>,
    /// The provider's original JSON object (`--raw`).
    pub raw: Option<Box<RawValue>>,
    /// Last modification on the provider's side (Hugging Face `lastModified`).
    /// Kept in the cache for incremental harvests; not part of the output schema.
    pub last_modified: Option<Timestamp>,
}

impl Record {
    /// A record with only the identifying fields set and everything else unknown.
    #[must_use]
    pub fn new(
        provider: Arc<str>,
        id: impl Into<CompactString>,
        source: Arc<str>,
        fetched_at: Timestamp,
    ) -> Self {
        Record {
            provider,
            id: id.into(),
            name: None,
            owned_by: None,
            created: None,
            context_length: None,
            max_output_tokens: None,
            input_modalities: StrList::new(),
            output_modalities: StrList::new(),
            task: None,
            price_input: None,
            price_output: None,
            price_cache_read: None,
            hugging_face_id: None,
            downloads: None,
            likes: None,
            tags: StrList::new(),
            source,
            fetched_at,
            price_cache_write: None,
            price_other: PriceOther::new(),
            capabilities: StrList::new(),
            quantization: None,
            knowledge_cutoff: None,
            expires_at: None,
            canonical_id: None,
            canonical_by: None,
            raw: None,
            last_modified: None,
        }
    }

    /// Whether using the model costs nothing: its token prices are stated
    /// and 0, and so is every other price it has (cache, other units). A
    /// model billed per image with 0/0 token prices is not free; neither is
    /// one whose prices are unknown.
    #[must_use]
    pub fn is_free(&self) -> bool {
        let zero = |p: Option<Price>| p.is_some_and(Price::is_zero);
        zero(self.price_input)
            && zero(self.price_output)
            && self.price_cache_read.is_none_or(Price::is_zero)
            && self.price_cache_write.is_none_or(Price::is_zero)
            && self.price_other.iter().all(|(_, p)| p.is_zero())
    }

    /// Makes `field` unknown (identity fields, which are never unknown, stay).
    pub fn clear(&mut self, field: Field) {
        match field {
            Field::Provider | Field::Id | Field::Source | Field::FetchedAt => {}
            Field::Name => self.name = None,
            Field::OwnedBy => self.owned_by = None,
            Field::Created => self.created = None,
            Field::ContextLength => self.context_length = None,
            Field::MaxOutputTokens => self.max_output_tokens = None,
            Field::InputModalities => self.input_modalities = StrList::new(),
            Field::OutputModalities => self.output_modalities = StrList::new(),
            Field::Task => self.task = None,
            Field::PriceInput => self.price_input = None,
            Field::PriceOutput => self.price_output = None,
            Field::PriceCacheRead => self.price_cache_read = None,
            Field::HuggingFaceId => self.hugging_face_id = None,
            Field::Downloads => self.downloads = None,
            Field::Likes => self.likes = None,
            Field::Tags => self.tags = StrList::new(),
            Field::PriceCacheWrite => self.price_cache_write = None,
            Field::PriceOther => self.price_other = PriceOther::new(),
            Field::Capabilities => self.capabilities = StrList::new(),
            Field::Quantization => self.quantization = None,
            Field::KnowledgeCutoff => self.knowledge_cutoff = None,
            Field::ExpiresAt => self.expires_at = None,
            Field::CanonicalId => self.canonical_id = None,
            Field::CanonicalBy => self.canonical_by = None,
        }
    }

    /// A view that serializes the cache form: the output fields, `raw` and
    /// `last_modified`.
    #[must_use]
    pub fn cache_form(&self) -> CacheForm<'_> {
        CacheForm(self)
    }

    /// A view that serializes only the given fields, in that order (`--fields`).
    #[must_use]
    pub fn selected<'a>(&'a self, fields: &'a [Field]) -> Selected<'a> {
        Selected { record: self, fields }
    }

    fn put<S: SerializeStruct>(&self, st: &mut S, field: Field) -> Result<(), S::Error> {
        // No `..`: a field added to the struct does not compile here until it
        // has a `Field`, or is left out of the schema on purpose like these two.
        let Record {
            provider,
            id,
            name,
            owned_by,
            created,
            context_length,
            max_output_tokens,
            input_modalities,
            output_modalities,
            task,
            price_input,
            price_output,
            price_cache_read,
            hugging_face_id,
            downloads,
            likes,
            tags,
            source,
            fetched_at,
            price_cache_write,
            price_other,
            capabilities,
            quantization,
            knowledge_cutoff,
            expires_at,
            canonical_id,
            canonical_by,
            raw: _,
            last_modified: _,
        } = self;
        let key = field.name();
        match field {
            Field::Provider => st.serialize_field(key, &**provider),
            Field::Id => st.serialize_field(key, id),
            Field::Name => st.serialize_field(key, name),
            Field::OwnedBy => st.serialize_field(key, owned_by),
            Field::Created => st.serialize_field(key, created),
            Field::ContextLength => st.serialize_field(key, context_length),
            Field::MaxOutputTokens => st.serialize_field(key, max_output_tokens),
            Field::InputModalities => st.serialize_field(key, input_modalities),
            Field::OutputModalities => st.serialize_field(key, output_modalities),
            Field::Task => st.serialize_field(key, task),
            Field::PriceInput => st.serialize_field(key, price_input),
            Field::PriceOutput => st.serialize_field(key, price_output),
            Field::PriceCacheRead => st.serialize_field(key, price_cache_read),
            Field::HuggingFaceId => st.serialize_field(key, hugging_face_id),
            Field::Downloads => st.serialize_field(key, downloads),
            Field::Likes => st.serialize_field(key, likes),
            Field::Tags => st.serialize_field(key, tags),
            Field::Source => st.serialize_field(key, &**source),
            Field::FetchedAt => st.serialize_field(key, fetched_at),
            Field::PriceCacheWrite => st.serialize_field(key, price_cache_write),
            Field::PriceOther => st.serialize_field(key, price_other),
            Field::Capabilities => st.serialize_field(key, capabilities),
            Field::Quantization => st.serialize_field(key, quantization),
            Field::KnowledgeCutoff => st.serialize_field(key, knowledge_cutoff),
            Field::ExpiresAt => st.serialize_field(key, expires_at),
            Field::CanonicalId => st.serialize_field(key, canonical_id),
            Field::CanonicalBy => st.serialize_field(key, canonical_by),
        }
    }

    fn serialize_fields<S: Serializer>(&self, s: S, modified: bool) -> Result<S::Ok, S::Error> {
        let n = Field::ALL.len() + usize::from(self.raw.is_some()) + usize::from(modified);
        let mut st = s.serialize_struct("Record", n)?;
        for field in Field::ALL {
            self.put(&mut st, field)?;
        }
        if let Some(raw) = &self.raw {
            st.serialize_field("raw", raw)?;
        }
        if modified {
            st.serialize_field("last_modified", &self.last_modified)?;
        }
        st.end()
    }
}

/// See [`Record::selected`].
#[derive(Debug)]
pub struct Selected<'a> {
    record: &'a Record,
    fields: &'a [Field],
}

impl Serialize for Selected<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        let mut st = s.serialize_struct("Record", self.fields.len() + usize::from(r.raw.is_some()))?;
        for &field in self.fields {
            r.put(&mut st, field)?;
        }
        if let Some(raw) = &r.raw {
            st.serialize_field("raw", raw)?;
        }
        st.end()
    }
}

/// See [`Record::cache_form`].
#[derive(Debug)]
pub struct CacheForm<'a>(&'a Record);

impl Serialize for CacheForm<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_fields(s, true)
    }
}

/// The serialized form, read back (cache entries, `diff` inputs).
#[derive(Deserialize)]
struct RecordForm {
    provider: String,
    id: CompactString,
    #[serde(default)]
    name: Option<CompactString>,
    #[serde(default)]
    owned_by: Option<CompactString>,
    #[serde(default)]
    created: Option<Timestamp>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    input_modalities: StrList,
    #[serde(default)]
    output_modalities: StrList,
    #[serde(default)]
    task: Option<CompactString>,
    #[serde(default)]
    price_input: Option<Price>,
    #[serde(default)]
    price_output: Option<Price>,
    #[serde(default)]
    price_cache_read: Option<Price>,
    #[serde(default)]
    hugging_face_id: Option<CompactString>,
    #[serde(default)]
    downloads: Option<u64>,
    #[serde(default)]
    likes: Option<u64>,
    #[serde(default)]
    tags: StrList,
    #[serde(default)]
    source: String,
    #[serde(default)]
    fetched_at: Option<Timestamp>,
    #[serde(default)]
    price_cache_write: Option<Price>,
    #[serde(default)]
    price_other: PriceOther,
    #[serde(default)]
    capabilities: StrList,
    #[serde(default)]
    quantization: Option<CompactString>,
    #[serde(default)]
    knowledge_cutoff: Option<CompactString>,
    #[serde(default)]
    expires_at: Option<CompactString>,
    #[serde(default)]
    canonical_id: Option<CompactString>,
    #[serde(default)]
    canonical_by: Option<CanonicalBy>,
    #[serde(default)]
    raw: Option<Box<RawValue>>,
    #[serde(default)]
    last_modified: Option<Timestamp>,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = RecordForm::deserialize(d)?;
        Ok(Record {
            provider: Arc::from(f.provider),
            id: f.id,
            name: f.name,
            owned_by: f.owned_by,
            created: f.created,
            context_length: f.context_length,
            max_output_tokens: f.max_output_tokens,
            input_modalities: f.input_modalities,
            output_modalities: f.output_modalities,
            task: f.task,
            price_input: f.price_input,
            price_output: f.price_output,
            price_cache_read: f.price_cache_read,
            hugging_face_id: f.hugging_face_id,
            downloads: f.downloads,
            likes: f.likes,
            tags: f.tags,
            source: Arc::from(f.source),
            fetched_at: f.fetched_at.unwrap_or(Timestamp(0)),
            price_cache_write: f.price_cache_write,
            price_other: f.price_other,
            capabilities: f.capabilities,
            quantization: f.quantization,
            knowledge_cutoff: f.knowledge_cutoff,
            expires_at: f.expires_at,
            canonical_id: f.canonical_id,
            canonical_by: f.canonical_by,
            raw: f.raw,
            last_modified: f.last_modified,
        })
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_fields(s, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `RecordForm` names its fields by hand; one that drifted from
    // `Field::name` would drop its value on the way back from the cache.
    #[test]
    fn every_field_survives_the_cache_form() {
        let mut r = Record::new(Arc::from("p"), "m", Arc::from("s"), Timestamp(1));
        r.name = Some("n".into());
        r.owned_by = Some("o".into());
        r.created = Some(Timestamp(2));
        r.context_length = Some(3);
        r.max_output_tokens = Some(4);
        r.input_modalities = ["text"].into_iter().collect();
        r.output_modalities = ["image"].into_iter().collect();
        r.task = Some("t".into());
        r.price_input = Price::from_decimal("0.5", 0);
        r.price_output = Price::from_decimal("1.5", 0);
        r.price_cache_read = Price::from_decimal("0.25", 0);
        r.hugging_face_id = Some("h".into());
        r.downloads = Some(5);
        r.likes = Some(6);
        r.tags = ["g"].into_iter().collect();
        r.price_cache_write = Price::from_decimal("0.75", 0);
        r.price_other
            .set(Unit::ImageInput, Price::from_decimal("0.01", 0));
        r.capabilities = ["tools"].into_iter().collect();
        r.quantization = Some("fp8".into());
        r.knowledge_cutoff = Some("2024-06-01".into());
        r.expires_at = Some("2026-12-31".into());
        r.canonical_id = Some("llama3.3-70b-instruct".into());
        r.canonical_by = Some(CanonicalBy::HfId);
        r.raw = Some(RawValue::from_string(r#"{"a":1}"#.into()).unwrap());
        r.last_modified = Some(Timestamp(7));
        let text = serde_json::to_string(&r.cache_form()).unwrap();
        assert!(
            !text.contains("null") && !text.contains("[]") && !text.contains("{}"),
            "{text}"
        );
        let back: Record = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&back.cache_form()).unwrap(), text);
    }
}
