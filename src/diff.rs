//! `catalog diff`: compares two catalog files keyed by (provider, id).
//!
//! The older file is loaded into a map of the compared fields only; the newer
//! one is streamed against it, so memory is proportional to one file. Inputs
//! may be JSON arrays, NDJSON or CSV as this tool writes them, gzip or not.
//! Hostile inputs (huge lines, invalid UTF-8, deep nesting) are refused with an
//! error naming the file and line.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::record::{Price, PriceOther, Unit};

/// Longest NDJSON line or CSV record accepted: what this tool may write.
use crate::record::MAX_LINE;

/// A bad input file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub(crate) struct InputError {
    /// The file.
    pub path: String,
    /// What is wrong, with the line where known.
    pub reason: String,
}

/// The compared fields of one record. Not `canonical_id`/`canonical_by`:
/// this tool's derivation, which changes with its rules, not the catalog;
/// files with and without them compare alike.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct Slim {
    provider: String,
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    input_modalities: Vec<String>,
    #[serde(default)]
    output_modalities: Vec<String>,
    #[serde(default)]
    price_input: Option<Price>,
    #[serde(default)]
    price_output: Option<Price>,
    #[serde(default)]
    price_cache_read: Option<Price>,
    // Record v2 fields: `None` when the file does not have the field at all
    // (written by an older version), so that comparing an old file with a
    // new one reports what changed, not what the old file lacked.
    #[serde(default, deserialize_with = "present")]
    price_cache_write: Option<Option<Price>>,
    #[serde(default, deserialize_with = "present")]
    price_other: Option<PriceOther>,
    #[serde(default, deserialize_with = "present")]
    capabilities: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    quantization: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    knowledge_cutoff: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<String>>,
}

impl Slim {
    /// A stored version's fields: the history database leaves `null`
    /// members out of its attributes (schema version 4), and every version
    /// it holds was a whole record, so a field absent there is null.
    fn absent_is_null(mut self) -> Self {
        self.price_cache_write.get_or_insert(None);
        self.price_other.get_or_insert_with(PriceOther::default);
        self.capabilities.get_or_insert_with(Vec::new);
        self.quantization.get_or_insert(None);
        self.knowledge_cutoff.get_or_insert(None);
        self.expires_at.get_or_insert(None);
        self
    }
}

/// A field that is there, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Which changes to report (`--only`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    added: bool,
    removed: bool,
    /// Field groups of changed models to report.
    fields: Vec<Group>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Price,
    Context,
    Output,
    Modalities,
    Name,
    Capabilities,
    /// Quantization, knowledge cutoff, retirement date.
    Details,
}

const ALL_GROUPS: [Group; 7] = [
    Group::Price,
    Group::Context,
    Group::Output,
    Group::Modalities,
    Group::Name,
    Group::Capabilities,
    Group::Details,
];

impl Default for Only {
    fn default() -> Self {
        Only {
            added: true,
            removed: true,
            fields: ALL_GROUPS.to_vec(),
        }
    }
}

impl Only {
    /// Parses `--only` values; empty means everything.
    ///
    /// # Errors
    /// An unknown kind, with the accepted ones.
    pub fn parse(items: &[String]) -> Result<Only, String> {
        if items.is_empty() {
            return Ok(Only::default());
        }
        let mut only = Only {
            added: false,
            removed: false,
            fields: Vec::new(),
        };
        for item in items {
            match item.trim() {
                "added" => only.added = true,
                "removed" => only.removed = true,
                "changed" => only.fields.extend(ALL_GROUPS),
                "price" => only.fields.push(Group::Price),
                "context" => only.fields.push(Group::Context),
                "output" => only.fields.push(Group::Output),
                "modalities" => only.fields.push(Group::Modalities),
                "name" => only.fields.push(Group::Name),
                "capabilities" => only.fields.push(Group::Capabilities),
                "details" => only.fields.push(Group::Details),
                other => {
                    return Err(format!(
                        "--only: unknown kind {other:?}; use added, removed, changed, price, context, output, modalities, name, capabilities, details"
                    ))
                }
            }
        }
        Ok(only)
    }
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FieldChange {
    /// Field name (`price_input`, `context_length`, `price_other.image_input`, ...).
    pub field: Cow<'static, str>,
    /// Old value.
    pub old: serde_json::Value,
    /// New value.
    pub new: serde_json::Value,
    /// Relative change of a price, as text (`+25%`), when both are known and the old is not 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

/// What happened to one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// Only in the new file.
    Added,
    /// Only in the old file.
    Removed,
    /// In both, with different values.
    Changed,
}

/// One model's difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Change {
    /// Kind of change.
    pub change: Kind,
    /// Provider.
    pub provider: String,
    /// Model id.
    pub id: String,
    /// Field changes (changed models only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// Counts of a diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    /// Models added.
    pub added: u64,
    /// Models removed.
    pub removed: u64,
    /// Models changed.
    pub changed: u64,
    /// Of the changed, those with a price change.
    pub price_changed: u64,
}

impl Summary {
    /// Whether anything differs.
    #[must_use]
    pub(crate) fn any(&self) -> bool {
        self.added + self.removed + self.changed > 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.any() {
            return f.write_str("no differences");
        }
        write!(
            f,
            "{} added, {} removed, {} changed ({} with price changes)",
            self.added, self.removed, self.changed, self.price_changed
        )
    }
}

/// Compares `old` with `new`, calling `each` for every reported change:
/// added and changed models in the new file's order, then removed models in
/// the old file's order.
///
/// # Errors
/// An [`InputError`] for an unreadable or malformed file.
pub(crate) fn diff(
    old: &Path,
    new: &Path,
    only: &Only,
    mut each: impl FnMut(Change),
) -> Result<Summary, InputError> {
    let mut before: HashMap<(String, String), (usize, Slim)> = HashMap::new();
    let mut index = 0;
    let mut repeated: Option<(usize, String, String)> = None;
    read_catalog(old, |s| {
        index += 1;
        let key = (s.provider.clone(), s.id.clone());
        if repeated.is_none() && before.contains_key(&key) {
            repeated = Some((index, key.0.clone(), key.1.clone()));
        }
        before.insert(key, (index, s));
    })?;
    if let Some(r) = repeated {
        return Err(repeats(old, &r));
    }
    let mut summary = Summary::default();
    // Hashes of the keys seen in the new file (8 bytes a model): a repeated
    // model is refused, not reported as added.
    let hasher = std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default();
    let mut seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut new_index = 0;
    read_catalog(new, |s| {
        new_index += 1;
        if repeated.is_some() {
            return;
        }
        if !seen.insert(std::hash::BuildHasher::hash_one(&hasher, (&s.provider, &s.id))) {
            repeated = Some((new_index, s.provider, s.id));
            return;
        }
        match before.remove(&(s.provider.clone(), s.id.clone())) {
            None => {
                if only.added {
                    summary.added += 1;
                    each(Change {
                        change: Kind::Added,
                        provider: s.provider,
                        id: s.id,
                        fields: Vec::new(),
                    });
                }
            }
            Some((_, old)) => {
                let fields = compare(&old, &s, only);
                if !fields.is_empty() {
                    summary.changed += 1;
                    if fields.iter().any(|f| f.field.starts_with("price_")) {
                        summary.price_changed += 1;
                    }
                    each(Change {
                        change: Kind::Changed,
                        provider: s.provider,
                        id: s.id,
                        fields,
                    });
                }
            }
        }
    })?;
    if let Some(r) = repeated {
        return Err(repeats(new, &r));
    }
    if only.removed {
        let mut gone: Vec<(usize, Slim)> = before.into_values().collect();
        gone.sort_by_key(|(i, _)| *i);
        for (_, s) in gone {
            summary.removed += 1;
            each(Change {
                change: Kind::Removed,
                provider: s.provider,
                id: s.id,
                fields: Vec::new(),
            });
        }
    }
    Ok(summary)
}

/// One model's change between two of its versions in the history
/// database, each its attributes as JSON (`None`: absent), as [`diff`]
/// reports it: `changes` and `history` use the same comparison as two
/// files' diff. A field absent from stored attributes is null (see
/// [`Slim::absent_is_null`]).
///
/// # Errors
/// Attributes that are not a record's JSON.
pub(crate) fn between_stored(
    provider: &str,
    id: &str,
    old: Option<&str>,
    new: Option<&str>,
    only: &Only,
) -> serde_json::Result<Option<Change>> {
    let read = |text| serde_json::from_str(text).map(Slim::absent_is_null);
    let change = |change, fields| Change {
        change,
        provider: provider.to_owned(),
        id: id.to_owned(),
        fields,
    };
    Ok(match (old, new) {
        (None, Some(_)) if only.added => Some(change(Kind::Added, Vec::new())),
        (Some(_), None) if only.removed => Some(change(Kind::Removed, Vec::new())),
        (Some(a), Some(b)) => {
            let (a, b) = (read(a)?, read(b)?);
            let fields = compare(&a, &b, only);
            (!fields.is_empty()).then(|| change(Kind::Changed, fields))
        }
        _ => None,
    })
}

impl Summary {
    /// Counts one reported change.
    pub(crate) fn add(&mut self, c: &Change) {
        match c.change {
            Kind::Added => self.added += 1,
            Kind::Removed => self.removed += 1,
            Kind::Changed => {
                self.changed += 1;
                if c.fields.iter().any(|f| f.field.starts_with("price_")) {
                    self.price_changed += 1;
                }
            }
        }
    }
}

/// A file that holds one model twice is no catalog this tool wrote.
fn repeats(path: &Path, (n, provider, id): &(usize, String, String)) -> InputError {
    InputError {
        path: path.display().to_string(),
        reason: format!(
            "record {n} repeats the model {provider} {id}: a catalog holds each (provider, id) once"
        ),
    }
}

fn compare(old: &Slim, new: &Slim, only: &Only) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let want = |g: Group| only.fields.contains(&g);
    // Values are compared as they are and made JSON only when they differ:
    // most fields of most pairs are equal (a `changes` of 11,000 models
    // made 300,000 JSON values and names before, to drop nearly all).
    if want(Group::Price) {
        let mut price = |field: Cow<'static, str>, a: Option<Price>, b: Option<Price>| {
            if a == b {
                return;
            }
            let change = match (a, b) {
                (Some(a), Some(b)) if a.usd_per_million() > 0.0 => Some(percent(
                    (b.usd_per_million() - a.usd_per_million()) / a.usd_per_million() * 100.0,
                )),
                _ => None,
            };
            out.push(FieldChange {
                field,
                old: json(&a),
                new: json(&b),
                change,
            });
        };
        price("price_input".into(), old.price_input, new.price_input);
        price("price_output".into(), old.price_output, new.price_output);
        price(
            "price_cache_read".into(),
            old.price_cache_read,
            new.price_cache_read,
        );
        if let (Some(a), Some(b)) = (&old.price_cache_write, &new.price_cache_write) {
            price("price_cache_write".into(), *a, *b);
        }
        if let (Some(a), Some(b)) = (&old.price_other, &new.price_other) {
            if a != b {
                for u in Unit::ALL {
                    let (x, y) = (a.get(u), b.get(u));
                    if x != y {
                        price(format!("price_other.{}", u.name()).into(), x, y);
                    }
                }
            }
        }
    }
    let mut plain = |group: Group, field: &'static str, a: &dyn Field, b: &dyn Field| {
        if want(group) && !a.same(b) {
            out.push(FieldChange {
                field: Cow::Borrowed(field),
                old: a.json(),
                new: b.json(),
                change: None,
            });
        }
    };
    plain(
        Group::Context,
        "context_length",
        &old.context_length,
        &new.context_length,
    );
    plain(
        Group::Output,
        "max_output_tokens",
        &old.max_output_tokens,
        &new.max_output_tokens,
    );
    plain(
        Group::Modalities,
        "input_modalities",
        &old.input_modalities,
        &new.input_modalities,
    );
    plain(
        Group::Modalities,
        "output_modalities",
        &old.output_modalities,
        &new.output_modalities,
    );
    plain(Group::Name, "name", &old.name, &new.name);
    if let (Some(a), Some(b)) = (&old.capabilities, &new.capabilities) {
        plain(Group::Capabilities, "capabilities", a, b);
    }
    for (field, a, b) in [
        ("quantization", &old.quantization, &new.quantization),
        ("knowledge_cutoff", &old.knowledge_cutoff, &new.knowledge_cutoff),
        ("expires_at", &old.expires_at, &new.expires_at),
    ] {
        if let (Some(a), Some(b)) = (a, b) {
            plain(Group::Details, field, a, b);
        }
    }
    out
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A compared field of one type, behind one interface (keeps `compare`
/// table-like): equal as values, and as JSON when it is shown.
trait Field {
    fn same(&self, other: &dyn Field) -> bool;
    fn json(&self) -> serde_json::Value;
    fn any(&self) -> &dyn std::any::Any;
}

impl<T: Serialize + PartialEq + 'static> Field for T {
    fn same(&self, other: &dyn Field) -> bool {
        other.any().downcast_ref::<T>() == Some(self)
    }
    fn json(&self) -> serde_json::Value {
        json(self)
    }
    fn any(&self) -> &dyn std::any::Any {
        self
    }
}

fn percent(p: f64) -> String {
    // Adding 0.0 turns a rounded -0.0 into 0.0.
    let rounded = (p * 10.0).round() / 10.0 + 0.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:+.0}%")
    } else {
        format!("{rounded:+.1}%")
    }
}

/// Opens a file, transparently gunzipping it.
pub(crate) fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let gz = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(file)
    })
}

/// Reads every record of a catalog file in order.
fn read_catalog(path: &Path, mut each: impl FnMut(Slim)) -> Result<(), InputError> {
    let err = |reason: String| InputError {
        path: path.display().to_string(),
        reason,
    };
    let mut reader = open(path).map_err(|e| err(e.to_string()))?;
    // A UTF-8 byte order mark (spreadsheets write one) is not content.
    if reader
        .fill_buf()
        .map_err(|e| err(e.to_string()))?
        .starts_with(b"\xEF\xBB\xBF")
    {
        reader.consume(3);
    }
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| err(e.to_string()))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                break Some(b);
            }
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    match first {
        None => Ok(()),
        Some(b'[') => read_json_array(reader, &mut each).map_err(|e| err(format!("invalid JSON: {e}"))),
        Some(b'{') => read_ndjson(reader, &mut each).map_err(err),
        Some(_) => read_csv(reader, &mut each).map_err(err),
    }
}

fn read_ndjson(mut reader: Box<dyn BufRead>, each: &mut dyn FnMut(Slim)) -> Result<(), String> {
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("line {n}: {e}"))?;
        if read == 0 {
            break;
        }
        if line.len() > MAX_LINE {
            return Err(format!("line {n} is longer than {MAX_LINE} bytes"));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let slim: Slim = serde_json::from_slice(&line).map_err(|e| format!("line {n}: {e}"))?;
        each(slim);
    }
    Ok(())
}

/// A reader that fails once more than [`MAX_LINE`] bytes were read since
/// the last [`Budget::reset`]: the one size limit of a record, applied to
/// JSON array elements and CSV records as to NDJSON lines (a small gzip can
/// hold a string of gigabytes).
struct Capped<R> {
    inner: R,
    budget: Budget,
}

/// The bytes a [`Capped`] reader has read for the current record.
#[derive(Clone, Default)]
struct Budget(std::rc::Rc<std::cell::Cell<usize>>);

impl Budget {
    fn reset(&self) {
        self.0.set(0);
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.0.get() > MAX_LINE {
            return Err(io::Error::other(format!(
                "a record is longer than {MAX_LINE} bytes"
            )));
        }
        let n = self.inner.read(buf)?;
        self.budget.0.set(self.budget.0.get() + n);
        Ok(n)
    }
}

fn read_json_array(reader: Box<dyn BufRead>, each: &mut dyn FnMut(Slim)) -> Result<(), serde_json::Error> {
    struct Seq<'a>(&'a mut dyn FnMut(Slim), Budget);
    impl<'de> Visitor<'de> for Seq<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of catalog records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(slim) = seq.next_element::<Slim>()? {
                self.1.reset();
                (self.0)(slim);
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Seq<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    // The '[' was peeked, not consumed: the whole array is parsed here, one
    // element at a time, never held whole.
    let budget = Budget::default();
    // serde_json reads a byte at a time: the buffer above the cap keeps
    // that off the cap's (dynamic) reader, which sees 64 KiB at a time.
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::with_capacity(
        64 * 1024,
        Capped {
            inner: reader,
            budget: budget.clone(),
        },
    ));
    Seq(each, budget).deserialize(&mut de)?;
    de.end()
}

fn read_csv(reader: Box<dyn BufRead>, each: &mut dyn FnMut(Slim)) -> Result<(), String> {
    let budget = Budget::default();
    let mut csv = csv::ReaderBuilder::new()
        .buffer_capacity(64 * 1024)
        .from_reader(Capped {
            inner: reader,
            budget: budget.clone(),
        });
    let headers = csv
        .headers()
        .map_err(|e| format!("not a catalog file: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(provider), Some(id)) = (col("provider"), col("id")) else {
        return Err("not a catalog file: expected JSON, NDJSON, or CSV with provider and id columns".into());
    };
    let cols = [
        col("name"),
        col("context_length"),
        col("max_output_tokens"),
        col("input_modalities"),
        col("output_modalities"),
        col("price_input"),
        col("price_output"),
        col("price_cache_read"),
        col("price_cache_write"),
        col("price_other"),
        col("capabilities"),
        col("quantization"),
        col("knowledge_cutoff"),
        col("expires_at"),
    ];
    let mut record = csv::StringRecord::new();
    // Data records are numbered from 1, as the csv reader numbers them.
    let mut n = 0;
    while csv
        .read_record(&mut record)
        .map_err(|e| format!("record {}: {e}", n + 1))?
    {
        n += 1;
        budget.reset();
        if record.as_slice().len() > MAX_LINE {
            return Err(format!("record {n} is longer than {MAX_LINE} bytes"));
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let num = |i: Option<usize>, what: &str| -> Result<Option<u64>, String> {
            cell(i)
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("record {n}: {what} {v:?} is not a number"))
                })
                .transpose()
        };
        let price = |i: Option<usize>| -> Result<Option<Price>, String> {
            cell(i)
                .map(|v| {
                    Price::from_decimal(v, 0)
                        .ok_or_else(|| format!("record {n}: price {v:?} is not a number"))
                })
                .transpose()
        };
        // `unit=value;...`, as the CSV writer writes `price_other`.
        let other = |i: Option<usize>| -> Result<PriceOther, String> {
            let mut o = PriceOther::new();
            for pair in cell(i).into_iter().flat_map(|v| v.split(';')) {
                let (unit, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("record {n}: price_other {pair:?} is not unit=value"))?;
                if let Some(unit) = Unit::parse(unit) {
                    let p = Price::from_decimal(value, 0)
                        .ok_or_else(|| format!("record {n}: price {value:?} is not a number"))?;
                    o.set(unit, Some(p));
                }
            }
            Ok(o)
        };
        let list = |i: Option<usize>| {
            cell(i)
                .map(|v| v.split(';').map(str::to_owned).collect())
                .unwrap_or_default()
        };
        each(Slim {
            provider: record.get(provider).unwrap_or_default().to_owned(),
            id: record.get(id).unwrap_or_default().to_owned(),
            name: cell(cols[0]).map(str::to_owned),
            context_length: num(cols[1], "context_length")?,
            max_output_tokens: num(cols[2], "max_output_tokens")?,
            input_modalities: list(cols[3]),
            output_modalities: list(cols[4]),
            price_input: price(cols[5])?,
            price_output: price(cols[6])?,
            price_cache_read: price(cols[7])?,
            price_cache_write: cols[8].map(|_| price(cols[8])).transpose()?,
            price_other: cols[9].map(|_| other(cols[9])).transpose()?,
            capabilities: cols[10].map(|_| list(cols[10])),
            quantization: cols[11].map(|_| cell(cols[11]).map(str::to_owned)),
            knowledge_cutoff: cols[12].map(|_| cell(cols[12]).map(str::to_owned)),
            expires_at: cols[13].map(|_| cell(cols[13]).map(str::to_owned)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(25.0), "+25%");
        assert_eq!(percent(-12.345), "-12.3%");
        assert_eq!(percent(0.04), "+0%");
        assert_eq!(percent(-0.04), "+0%");
    }

    #[test]
    fn an_absent_field_is_unknown_in_a_stored_version_and_not_compared_in_an_older_file() {
        let old = r#"{"provider":"p","id":"m"}"#;
        let new = r#"{"provider":"p","id":"m","price_cache_write":3.125,"quantization":"fp8"}"#;
        let only = Only::default();
        // An older file had no such fields: nothing to compare.
        let slim = |t: &str| serde_json::from_str::<Slim>(t).unwrap();
        assert!(compare(&slim(old), &slim(new), &only).is_empty());
        // A stored version leaves its nulls out: both became known.
        let c = between_stored("p", "m", Some(old), Some(new), &only)
            .unwrap()
            .unwrap();
        let fields: Vec<(&str, String, String)> = c
            .fields
            .iter()
            .map(|f| (f.field.as_ref(), f.old.to_string(), f.new.to_string()))
            .collect();
        assert_eq!(
            fields,
            [
                ("price_cache_write", "null".to_owned(), "3.125".to_owned()),
                ("quantization", "null".to_owned(), "\"fp8\"".to_owned()),
            ]
        );
        // Both absent: equal.
        assert!(between_stored("p", "m", Some(old), Some(old), &only)
            .unwrap()
            .is_none());
    }

    #[test]
    fn only_accepts_kinds_and_field_groups() {
        assert_eq!(Only::parse(&[]).unwrap(), Only::default());
        let o = Only::parse(&["added".into(), "price".into()]).unwrap();
        assert!(o.added && !o.removed && o.fields == [Group::Price]);
        assert!(Only::parse(&["prices".into()])
            .unwrap_err()
            .contains("unknown kind \"prices\""));
    }
}
