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

pub use price::Price;
pub use strlist::StrList;
pub use time::Timestamp;

/// The record's field names, in output order. This is also the CSV header.
pub const FIELDS: [&str; 19] = [
    "provider",
    "id",
    "name",
    "owned_by",
    "created",
    "context_length",
    "max_output_tokens",
    "input_modalities",
    "output_modalities",
    "task",
    "price_input",
    "price_output",
    "price_cache_read",
    "hugging_face_id",
    "downloads",
    "likes",
    "tags",
    "source",
    "fetched_at",
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
            raw: None,
            last_modified: None,
        }
    }

    /// A view that serializes the cache form: the output fields, `raw` and
    /// `last_modified`.
    #[must_use]
    pub fn cache_form(&self) -> CacheForm<'_> {
        CacheForm(self)
    }

    /// A view that serializes only the given fields (indices into
    /// [`FIELDS`]), in that order (`--fields`).
    #[must_use]
    pub fn selected<'a>(&'a self, fields: &'a [usize]) -> Selected<'a> {
        Selected { record: self, fields }
    }

    /// Serializes field `i` of [`FIELDS`].
    fn put<S: SerializeStruct>(&self, st: &mut S, i: usize) -> Result<(), S::Error> {
        let name = FIELDS[i];
        match i {
            0 => st.serialize_field(name, &*self.provider),
            1 => st.serialize_field(name, &self.id),
            2 => st.serialize_field(name, &self.name),
            3 => st.serialize_field(name, &self.owned_by),
            4 => st.serialize_field(name, &self.created),
            5 => st.serialize_field(name, &self.context_length),
            6 => st.serialize_field(name, &self.max_output_tokens),
            7 => st.serialize_field(name, &self.input_modalities),
            8 => st.serialize_field(name, &self.output_modalities),
            9 => st.serialize_field(name, &self.task),
            10 => st.serialize_field(name, &self.price_input),
            11 => st.serialize_field(name, &self.price_output),
            12 => st.serialize_field(name, &self.price_cache_read),
            13 => st.serialize_field(name, &self.hugging_face_id),
            14 => st.serialize_field(name, &self.downloads),
            15 => st.serialize_field(name, &self.likes),
            16 => st.serialize_field(name, &self.tags),
            17 => st.serialize_field(name, &*self.source),
            _ => st.serialize_field(name, &self.fetched_at),
        }
    }

    fn serialize_fields<S: Serializer>(&self, s: S, modified: bool) -> Result<S::Ok, S::Error> {
        let n = FIELDS.len() + usize::from(self.raw.is_some()) + usize::from(modified);
        let mut st = s.serialize_struct("Record", n)?;
        for i in 0..FIELDS.len() {
            self.put(&mut st, i)?;
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
    fields: &'a [usize],
}

impl Serialize for Selected<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        let mut st = s.serialize_struct("Record", self.fields.len() + usize::from(r.raw.is_some()))?;
        for &i in self.fields {
            r.put(&mut st, i)?;
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
