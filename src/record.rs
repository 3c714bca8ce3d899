//! The normalized model record every provider maps into, and the small value
//! types it is made of (prices in exact decimal units, RFC 3339 timestamps).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Short strings (up to 24 bytes: most ids, tags and modalities) stored inline,
/// without a heap allocation; longer ones on the heap like a `String`.
pub use compact_str::CompactString;

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

/// A list of strings (tags, modalities) held as its JSON text, `["text","image"]`,
/// in one [`CompactString`].
///
/// A list of up to 24 bytes of JSON (`["text"]`, `["image","text"]`) needs no
/// allocation; a longer one needs one. Writing a record copies the text as
/// it is, and a Hub tag array that is already in this form (the usual case)
/// is taken over from the page without being split into strings at all. The
/// text is always exactly what `serde_json` writes for the same list.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StrList(CompactString);

impl StrList {
    /// The empty list.
    #[must_use]
    pub const fn new() -> StrList {
        StrList(CompactString::const_new("[]"))
    }

    /// Takes JSON text that is already in the canonical form: an array of
    /// strings with no whitespace between tokens and no escapes (so nothing
    /// `serde_json` would write differently). `None` for anything else.
    #[must_use]
    pub fn from_json(text: &str) -> Option<StrList> {
        let b = text.as_bytes();
        if b == b"[]" {
            return Some(StrList::new());
        }
        if b.len() < 4 || !b.starts_with(b"[\"") || !b.ends_with(b"\"]") {
            return None;
        }
        let inner = &b[2..b.len() - 2];
        let mut i = 0;
        while i < inner.len() {
            match inner[i] {
                // A quote inside may only be a separator: `","`.
                b'"' if inner.get(i + 1) == Some(&b',') && inner.get(i + 2) == Some(&b'"') => i += 3,
                b'"' | b'\\' | 0x00..=0x1f => return None,
                _ => i += 1,
            }
        }
        Some(StrList(CompactString::from(text)))
    }

    /// Text the caller has already checked to be in canonical form.
    pub(crate) fn from_canonical(text: &str) -> StrList {
        debug_assert!(StrList::from_json(text).is_some(), "{text}");
        StrList(CompactString::from(text))
    }

    /// The list as JSON text.
    #[must_use]
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The items, unescaped.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.items().into_iter()
    }

    fn items(&self) -> Vec<Cow<'_, str>> {
        let text = self.as_json();
        if text == "[]" {
            return Vec::new();
        }
        if !text.contains('\\') {
            // No escapes: items cannot contain a quote, so `","` only separates.
            return text[2..text.len() - 2]
                .split("\",\"")
                .map(Cow::Borrowed)
                .collect();
        }
        serde_json::from_str::<Vec<String>>(text)
            .expect("a StrList holds valid JSON")
            .into_iter()
            .map(Cow::Owned)
            .collect()
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// Whether the list has no items.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_json() == "[]"
    }

    /// Whether an item equals `s`, ignoring ASCII case.
    #[must_use]
    pub fn contains_ignore_case(&self, s: &str) -> bool {
        self.iter().any(|x| x.eq_ignore_ascii_case(s))
    }

    /// The items joined by `sep` (CSV cells).
    #[must_use]
    pub fn join(&self, sep: &str) -> String {
        self.items().join(sep)
    }
}

impl Default for StrList {
    fn default() -> Self {
        StrList::new()
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Self {
        // Built in place, so a short list stays inline with no allocation;
        // an item that needs escaping moves the rest to the escaping path.
        let mut text = CompactString::const_new("[");
        let mut items = items.into_iter();
        let mut first = true;
        while let Some(item) = items.next() {
            let s = item.as_ref();
            if crate::escape::needs_escape(s.as_bytes()) {
                let mut bytes = text.into_string().into_bytes();
                if !first {
                    bytes.push(b',');
                }
                crate::escape::string(&mut bytes, s);
                for rest in items {
                    bytes.push(b',');
                    crate::escape::string(&mut bytes, rest.as_ref());
                }
                bytes.push(b']');
                return StrList(CompactString::from_utf8(bytes).expect("JSON text of strings is UTF-8"));
            }
            text.push_str(if first { "\"" } else { ",\"" });
            text.push_str(s);
            text.push('"');
            first = false;
        }
        text.push(']');
        StrList(text)
    }
}

impl fmt::Debug for StrList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for StrList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().map(|s| Cow::Borrowed(*s)))
    }
}

impl PartialEq<[&str]> for StrList {
    fn eq(&self, other: &[&str]) -> bool {
        self.iter().eq(other.iter().map(|s| Cow::Borrowed(*s)))
    }
}

impl Serialize for StrList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = StrList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }

            fn visit_unit<E>(self) -> Result<StrList, E> {
                Ok(StrList::new())
            }

            fn visit_none<E>(self) -> Result<StrList, E> {
                Ok(StrList::new())
            }

            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<StrList, D::Error> {
                d.deserialize_seq(Items)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrList, A::Error> {
                let mut text = Vec::with_capacity(24);
                text.push(b'[');
                let mut first = true;
                while let Some(s) = seq.next_element::<Cow<'de, str>>()? {
                    if !first {
                        text.push(b',');
                    }
                    first = false;
                    crate::escape::string(&mut text, &s);
                }
                text.push(b']');
                Ok(StrList(
                    CompactString::from_utf8(text).map_err(serde::de::Error::custom)?,
                ))
            }
        }
        d.deserialize_option(Items)
    }
}

/// A price in USD per 1M tokens.
///
/// Built only through decimal arithmetic on the provider's own digits, then
/// rounded to 12 significant digits, so `"0.00000045"` USD per token is exactly
/// `0.45` and DeepInfra's `2.5999999999999996` is `2.6`. Negative inputs (the
/// `-1` "variable price" sentinel) are unknown, not free.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Price(f64);

impl Price {
    /// Significant digits kept; more than any real price has, fewer than the
    /// 15-17 where binary float noise lives.
    const SIGNIFICANT: usize = 12;

    /// Parses a decimal string (`"0.00000045"`, `"3900"`, `"1e-6"`) and
    /// multiplies it by `10^shift`. `None` for anything that is not a finite,
    /// non-negative number.
    #[must_use]
    pub fn from_decimal(text: &str, shift: i32) -> Option<Price> {
        let text = text.trim();
        if text.is_empty() || text.starts_with('-') {
            return None;
        }
        // Moving the decimal point is exact on the digits; the single rounding
        // happens when the shifted literal is parsed.
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        if !mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'+')
        {
            return None;
        }
        let literal = format!("{mantissa}e{}", exp.checked_add(shift)?);
        let value: f64 = literal.parse().ok()?;
        Price::round(value)
    }

    /// Converts a JSON number already in some unit, multiplying by `10^shift`.
    #[must_use]
    pub fn from_f64(value: f64, shift: i32) -> Option<Price> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        // Rust prints the shortest string that round-trips, so these digits are
        // what the provider wrote.
        Price::from_decimal(&format!("{value:e}"), shift)
    }

    /// Reads a price from a JSON value that may be a number or a decimal string.
    #[must_use]
    pub fn from_json(value: &serde_json::Value, shift: i32) -> Option<Price> {
        match value {
            serde_json::Value::Number(n) => n.as_f64().and_then(|v| Price::from_f64(v, shift)),
            serde_json::Value::String(s) => Price::from_decimal(s, shift),
            _ => None,
        }
    }

    fn round(value: f64) -> Option<Price> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let rounded: f64 = format!("{value:.prec$e}", prec = Price::SIGNIFICANT - 1)
            .parse()
            .ok()?;
        Some(Price(rounded))
    }

    /// The value in USD per 1M tokens.
    #[must_use]
    pub fn usd_per_million(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shortest round-trip form, the same digits serde_json writes.
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Price::from_f64(v, 0).ok_or_else(|| serde::de::Error::custom(format!("{v} is not a price")))
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Whole prices are written as integers (`0`, `3`) like a person would.
        if self.0.fract() == 0.0 && self.0 < 9.0e15 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked above"
            )]
            return s.serialize_u64(self.0 as u64);
        }
        s.serialize_f64(self.0)
    }
}

/// Seconds since the Unix epoch, written as RFC 3339 UTC (`2025-11-04T08:25:31Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    #[must_use]
    pub fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Parses RFC 3339 / ISO 8601 (`2025-11-04T08:25:31.000Z`,
    /// `2024-01-01T00:00:00+02:00`, `2024-01-01`). Fractions are dropped.
    #[must_use]
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.trim().as_bytes();
        // Every field is a fixed run of ASCII digits.
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            b.get(r)?.iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        if b.len() == 10 {
            return Some(Timestamp(days * 86_400));
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let offset = match b.get(i) {
            None | Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                let o = oh * 3600 + om * 60;
                if *sign == b'+' {
                    o
                } else {
                    -o
                }
            }
            _ => return None,
        };
        Some(Timestamp(days * 86_400 + h * 3600 + mi * 60 + s - offset))
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` for years 0 to 9999, written digit by digit:
    /// every record carries two timestamps, and the formatting machinery
    /// showed in profiles.
    pub(crate) fn rfc3339(self) -> Option<[u8; 20]> {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a digit")]
                let digit = (v % 10) as u8;
                out[i] = b'0' + digit;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, secs / 3600);
        put(14, 2, secs % 3600 / 60);
        put(17, 2, secs % 60);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.rfc3339() {
            // ASCII digits and separators only.
            return f.write_str(std::str::from_utf8(&bytes).unwrap_or_default());
        }
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time")))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(bytes) => s.serialize_str(std::str::from_utf8(&bytes).unwrap_or_default()),
            None => s.collect_str(self),
        }
    }
}

// Howard Hinnant's days-from-civil algorithms (public domain), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Tagged {
        #[serde(default)]
        tags: StrList,
    }

    fn tags(json: &str) -> Result<StrList, String> {
        serde_json::from_str::<Tagged>(json)
            .map(|t| t.tags)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn string_lists_deserialize_to_their_canonical_json() {
        assert_eq!(tags(r#"{"tags":["a","b"]}"#).unwrap().as_json(), r#"["a","b"]"#);
        assert_eq!(
            tags(r#"{"tags":[ "a" , "b" ]}"#).unwrap().as_json(),
            r#"["a","b"]"#
        );
        assert_eq!(
            tags(r#"{"tags":["\u00e9","q\"t"]}"#).unwrap().as_json(),
            r#"["é","q\"t"]"#
        );
        assert_eq!(tags(r#"{"tags":["é","q\"t"]}"#).unwrap(), ["é", "q\"t"]);
        assert_eq!(tags(r#"{"tags":null}"#).unwrap(), StrList::new());
        assert_eq!(tags(r#"{}"#).unwrap(), StrList::new());
        assert!(tags(r#"{"tags":[1]}"#).is_err());
        assert!(tags(r#"{"tags":"a"}"#).is_err());
    }

    #[test]
    fn string_lists_keep_canonical_json_and_give_back_their_items() {
        let list: StrList = ["text", "image"].into_iter().collect();
        assert_eq!(list.as_json(), r#"["text","image"]"#);
        assert_eq!(list, ["text", "image"]);
        assert_eq!((list.len(), list.is_empty()), (2, false));
        assert!(list.contains_ignore_case("IMAGE"));
        assert_eq!(list.join(";"), "text;image");
        assert_eq!(format!("{list:?}"), r#"["text", "image"]"#);

        let odd: StrList = ["a\"b", "", "c,d", "\u{1}"].into_iter().collect();
        assert_eq!(odd.as_json(), r#"["a\"b","","c,d","\u0001"]"#);
        assert_eq!(odd, ["a\"b", "", "c,d", "\u{1}"]);
        assert_eq!(serde_json::to_string(&odd).unwrap(), odd.as_json());
        let back: StrList = serde_json::from_str(odd.as_json()).unwrap();
        assert_eq!(back, odd);

        assert!(StrList::new().is_empty());
        assert_eq!(StrList::new().len(), 0);
        let one_empty: StrList = [""].into_iter().collect();
        assert_eq!((one_empty.len(), one_empty.as_json()), (1, r#"[""]"#));
    }

    #[test]
    fn only_canonical_json_is_taken_over_as_it_is() {
        for ok in [
            r#"[]"#,
            r#"[""]"#,
            r#"["a"]"#,
            r#"["a","b c","é"]"#,
            r#"["a",""]"#,
        ] {
            let list = StrList::from_json(ok).unwrap_or_else(|| panic!("{ok}"));
            assert_eq!(list.as_json(), ok);
            assert_eq!(
                serde_json::to_string(&list).unwrap(),
                ok,
                "what serde_json writes"
            );
        }
        let not_canonical = [
            r#"[ "a"]"#,
            r#"["a", "b"]"#,
            r#"["a\"b"]"#,
            r#"["\u00e9"]"#,
            r#"[1]"#,
            r#"["a"""#,
            "[\"\t\"]",
            r#"["a""b"]"#,
            r#"["a",1]"#,
            "",
            "[",
            r#"""#,
        ];
        for not in not_canonical {
            assert!(StrList::from_json(not).is_none(), "{not}");
        }
    }

    #[test]
    fn per_token_decimal_string_becomes_exact_per_million_price() {
        assert_eq!(Price::from_decimal("0.00000045", 6).unwrap().to_string(), "0.45");
        assert_eq!(Price::from_decimal("0.0000025", 6).unwrap().to_string(), "2.5");
        assert_eq!(Price::from_decimal("0", 6).unwrap().to_string(), "0");
    }

    #[test]
    fn float_noise_is_rounded_away() {
        assert_eq!(
            Price::from_f64(2.599_999_999_999_999_6, 0).unwrap().to_string(),
            "2.6"
        );
        assert_eq!(
            Price::from_f64(0.789_999_999_999_999_9, 0).unwrap().to_string(),
            "0.79"
        );
    }

    #[test]
    fn integer_sub_units_are_shifted_exactly() {
        assert_eq!(Price::from_f64(3900.0, -4).unwrap().to_string(), "0.39");
        assert_eq!(Price::from_f64(30000.0, -4).unwrap().to_string(), "3");
    }

    #[test]
    fn negative_and_garbage_prices_are_unknown() {
        assert_eq!(Price::from_decimal("-1", 6), None);
        assert_eq!(Price::from_decimal("abc", 6), None);
        assert_eq!(Price::from_decimal("", 6), None);
        assert_eq!(Price::from_f64(f64::NAN, 0), None);
    }

    #[test]
    fn whole_prices_serialize_as_integers() {
        let p = Price::from_decimal("0.000003", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "3");
        let p = Price::from_decimal("0.00000045", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "0.45");
    }

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        let t = Timestamp::parse("2025-11-04T08:25:31.000Z").unwrap();
        assert_eq!(t.to_string(), "2025-11-04T08:25:31Z");
        assert_eq!(Timestamp(1_721_692_800).to_string(), "2024-07-23T00:00:00Z");
        assert_eq!(
            Timestamp::parse("2024-07-23T02:00:00+02:00"),
            Some(Timestamp(1_721_692_800))
        );
        assert_eq!(Timestamp::parse("2024-07-23"), Some(Timestamp(1_721_692_800)));
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(253_402_300_799).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp(253_402_300_800).to_string(), "10000-01-01T00:00:00Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            serde_json::to_string(&Timestamp(1_721_692_800)).unwrap(),
            "\"2024-07-23T00:00:00Z\""
        );
        assert_eq!(Timestamp::parse("not a date"), None);
        assert_eq!(Timestamp::parse("2024-07-2aT00:00:00Z"), None);
        assert_eq!(Timestamp::parse("2024-07-23T00:0+:00Z"), None);
        assert_eq!(Timestamp::parse("+024-07-23"), None);
        assert_eq!(Timestamp::parse("2024-13-01T00:00:00Z"), None);
    }
}
