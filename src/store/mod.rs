//! The history database (`--db`): a second sink of the harvest pipeline,
//! and the reader behind `catalog changes` and `catalog history`.
//!
//! Every harvest that writes is a `run`; each provider of it a
//! `provider_fetch`; each model's catalog attributes are kept as slowly
//! changing versions in `model_version`, valid from the fetch that first saw
//! them until the fetch that saw them change or vanish. The schema is in
//! `migrations/`; the SQL sticks to what SQLite and PostgreSQL share so the
//! server backend is a second [`Backend`], not a second design.
//!
//! Records reach the database through [`Sink`], owned by the pipeline's
//! consumer thread: each provider's records are staged as they stream by,
//! then written set-based in one transaction when the provider ends. A
//! database that fails never stops the file output: the sink keeps the first
//! error and the command reports it after the file is committed.

/// The statuses of a fetch that recorded its provider's catalog, as an SQL
/// list: `ok` and `partial` wrote what they saw, `unchanged` confirmed what
/// the fetch before it saw. What `--as-of`, `diff --db` and `changes` read a
/// catalog from; defined once so the backends' queries cannot disagree.
macro_rules! holds_catalog {
    () => {
        "('ok', 'partial', 'unchanged')"
    };
}

mod postgres;
mod spill;
mod sqlite;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::error::UsageError;
use crate::http::Secret;
use crate::record::{Field, Record, Timestamp};

pub(crate) use postgres::PgUrl;

/// Where the history database is (`--db`, `CATALOG_DB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    Postgres(PgUrl),
}

impl Location {
    /// Resolves `--db [URL]`: `None` for the default location (`catalog_db`,
    /// the value of `CATALOG_DB`, else `catalog/catalog.db` in the user data
    /// directory). The caller reads the variable: the store knows no
    /// configuration.
    ///
    /// # Errors
    /// An unsupported or malformed URL, or no default location on this
    /// platform.
    pub(crate) fn resolve(url: Option<&str>, catalog_db: Option<String>) -> Result<Location, UsageError> {
        let text = match url {
            Some(u) if !u.trim().is_empty() => u.to_owned(),
            _ => match catalog_db {
                Some(v) => v,
                None => {
                    let dir = dirs::data_dir().ok_or_else(|| {
                        UsageError::new(
                            "no data directory is known for this platform: pass --db PATH or set CATALOG_DB",
                        )
                    })?;
                    return Ok(Location::Sqlite(dir.join("catalog").join("catalog.db")));
                }
            },
        };
        Location::parse(&text)
    }

    fn parse(text: &str) -> Result<Location, UsageError> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PgUrl::parse(text).map(Location::Postgres);
        }
        let path = if let Some(rest) = text.strip_prefix("sqlite:") {
            // sqlite:///abs/path and sqlite://rel are spelled both ways.
            rest.strip_prefix("//").unwrap_or(rest)
        } else {
            if let Some((scheme, _)) = text.split_once("://") {
                if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') {
                    return Err(UsageError::new(format!(
                        "--db: unknown database URL scheme {scheme:?}; use a path, sqlite:PATH or postgres://"
                    )));
                }
            }
            text
        };
        if path.is_empty() {
            return Err(UsageError::new("--db: the SQLite URL names no file"));
        }
        let path = PathBuf::from(path);
        if path.is_dir() {
            return Err(UsageError::new(format!(
                "--db {} is a directory; name the database file in it",
                path.display()
            )));
        }
        Ok(Location::Sqlite(path))
    }

    /// How errors name the database.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(u) => u.to_string(),
        }
    }

    /// Opens (creating and migrating as needed) for writing or reading.
    fn open(&self, create: bool) -> anyhow::Result<Box<dyn Backend>> {
        match self {
            Location::Sqlite(p) => Ok(Box::new(sqlite::Sqlite::open(p, create)?)),
            Location::Postgres(u) => Ok(Box::new(postgres::Postgres::open(u, create)?)),
        }
    }

    /// Opens an existing database for the query commands.
    ///
    /// # Errors
    /// A missing or unreadable database, named.
    pub(crate) fn reader(&self) -> anyhow::Result<Reader> {
        if let Location::Sqlite(p) = self {
            if !p.exists() {
                return Err(UsageError::new(format!(
                    "database {} does not exist; record into it first with `catalog fetch --db {}`",
                    p.display(),
                    p.display()
                ))
                .into());
            }
        }
        let backend = self
            .open(false)
            .with_context(|| format!("database {}", self.display()))?;
        Ok(Reader { backend })
    }
}

/// The fields a model version holds: the output schema without the volatile
/// counters, the fetch time and the listing URL (provenance, kept per fetch).
///
/// Not `canonical_id`/`canonical_by` either: they are this tool's derivation,
/// which changes when the identity rules do, not the provider's data. Kept
/// here, a rule change would write a new version of every model (and show
/// as a change in `changes`); records read back are given them again by the
/// current rules.
const ATTR_FIELDS: [Field; 21] = [
    Field::Provider,
    Field::Id,
    Field::Name,
    Field::OwnedBy,
    Field::Created,
    Field::ContextLength,
    Field::MaxOutputTokens,
    Field::InputModalities,
    Field::OutputModalities,
    Field::Task,
    Field::PriceInput,
    Field::PriceOutput,
    Field::PriceCacheRead,
    Field::HuggingFaceId,
    Field::Tags,
    Field::PriceCacheWrite,
    Field::PriceOther,
    Field::Capabilities,
    Field::Quantization,
    Field::KnowledgeCutoff,
    Field::ExpiresAt,
];

/// The recorded field called `name` (`--field`).
pub(crate) fn attr_field(name: &str) -> Option<Field> {
    ATTR_FIELDS
        .into_iter()
        .find(|f| f.name() == name && !matches!(f, Field::Provider | Field::Id))
}

/// The names [`attr_field`] accepts.
pub(crate) fn attr_field_names() -> Vec<&'static str> {
    ATTR_FIELDS
        .iter()
        .filter(|f| !matches!(f, Field::Provider | Field::Id))
        .map(|f| f.name())
        .collect()
}

/// A record as a version row of this fetch: the record and its place.
pub(crate) struct Staged<'a> {
    record: &'a Record,
    /// Its place in the harvest (0 first).
    seq: u64,
}

impl<'a> Staged<'a> {
    fn new(record: &'a Record, seq: u64) -> Staged<'a> {
        Staged { record, seq }
    }

    /// Appends its attributes as stored (without their null members) to
    /// `out`, and returns their hash: XXH3-64 of those bytes.
    ///
    /// Written by hand, as the output is: through serde's data model this
    /// was the most expensive step of a first sync after SQLite itself (a
    /// call per key, value and string piece), 0.3 s of 50,000 Hub models.
    /// Databases written before hold FNV-1a of the form with nulls, taken a
    /// byte at a time after a second pass that cut the nulls: writing,
    /// cutting and hashing were 8 % of a first sync's samples. A stored hash
    /// is only a shortcut, though: a version whose hash differs is compared
    /// by its attributes before a new one is written ([`same_attrs`]), so a
    /// hash of an older rule costs one comparison, once, not a version.
    fn write_attrs(&self, out: &mut Vec<u8>) -> i64 {
        let start = out.len();
        crate::json::write_fields_without_nulls(out, self.record, &ATTR_FIELDS);
        attr_hash(&out[start..])
    }

    /// Its attributes as stored and their hash ([`Staged::write_attrs`]).
    #[cfg(test)]
    fn attrs(&self) -> (String, i64) {
        let mut stored = Vec::with_capacity(1024);
        let hash = self.write_attrs(&mut stored);
        let stored = String::from_utf8(stored).expect("JSON text of a record, cut between members, is UTF-8");
        (stored, hash)
    }
}

/// The hash of a version's attributes as stored (see [`Staged::write_attrs`]).
fn attr_hash(stored: &[u8]) -> i64 {
    i64::from_ne_bytes(xxhash_rust::xxh3::xxh3_64(stored).to_ne_bytes())
}

/// Whether a stored version's attributes, `stored` (as any version of this
/// tool wrote them: before schema version 4 with their null members), are
/// `attrs`, as [`Staged::write_attrs`] writes them now. `scratch` is reused.
/// Asked only when the hashes differ, which they do for every model once
/// after the hash rule changed.
fn same_attrs(stored: &[u8], attrs: &[u8], scratch: &mut Vec<u8>) -> bool {
    if stored == attrs {
        return true;
    }
    scratch.clear();
    without_nulls_into(stored, scratch);
    scratch == attrs
}

/// `json`, a JSON object as serde_json writes it (no whitespace), without
/// its members whose value is `null`: a field the record does not know reads
/// back as null all the same (`->>` in SQL, and every reader here), and a
/// Hub model's attributes are a third smaller (ten unknown prices and
/// limits), which is a third less to write, checkpoint and read.
#[cfg(test)]
fn without_nulls(json: &str) -> String {
    let mut out = Vec::new();
    without_nulls_into(json.as_bytes(), &mut out);
    String::from_utf8(out).expect("cut between members of UTF-8 text")
}

/// Appends [`without_nulls`] of `json` to `out`. The text is cut only
/// next to ASCII punctuation outside strings, so UTF-8 stays UTF-8.
fn without_nulls_into(json: &[u8], out: &mut Vec<u8>) {
    let b = json;
    let start = out.len();
    let kept = |out: &mut Vec<u8>| {
        out.truncate(start);
        out.extend_from_slice(json);
    };
    // Members at depth 1 are copied whole, or skipped when their value is
    // exactly `null`; anything unexpected is kept as it is.
    if b.first() != Some(&b'{') {
        return kept(out);
    }
    let mut depth = 0u32;
    // Where the current top-level member starts.
    let mut member = 1;
    let mut first = true;
    out.push(b'{');
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            // A string: jump to its closing quote (most of the bytes are in
            // strings: tags, names).
            b'"' => {
                i += 1;
                loop {
                    let Some(at) = memchr::memchr2(b'"', b'\\', &b[i..]) else {
                        return kept(out);
                    };
                    i += at;
                    if b[i] == b'\\' {
                        i += 2;
                    } else {
                        break;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            c @ (b',' | b'}') if depth == 0 => {
                let m = &json[member..i];
                if !m.is_empty() && !m.ends_with(b":null") {
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(m);
                    first = false;
                }
                member = i + 1;
                if c == b'}' {
                    out.push(b'}');
                    if i + 1 != b.len() {
                        kept(out);
                    }
                    return;
                }
            }
            _ => {}
        }
        i += 1;
    }
    kept(out);
}

/// FNV-1a, 64 bits: what [`OrderHash`] computes as the ids stream past.
#[cfg(test)]
fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// A listing order's hash: FNV-1a, 64 bits, of the JSON array of its ids
/// (the text `serde_json::to_string(&ids)` would be), taken as the ids
/// stream past, without holding them or their text. Stable across Rust
/// versions and platforms (the standard hasher is not), as a stored hash
/// must be; a few bytes a model, so its speed does not matter.
struct OrderHash {
    fnv: u64,
    ids: u64,
    buf: Vec<u8>,
}

impl OrderHash {
    fn new() -> OrderHash {
        OrderHash {
            fnv: 0xcbf2_9ce4_8422_2325,
            ids: 0,
            buf: Vec::with_capacity(128),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.fnv ^= u64::from(b);
            self.fnv = self.fnv.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn push(&mut self, id: &str) -> serde_json::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push(if self.ids == 0 { b'[' } else { b',' });
        serde_json::to_writer(&mut buf, id)?;
        self.feed(&buf);
        self.buf = buf;
        self.ids += 1;
        Ok(())
    }

    /// The hash, as a signed integer; `None` for an order of no ids.
    fn finish(mut self) -> Option<i64> {
        if self.ids == 0 {
            return None;
        }
        self.feed(b"]");
        Some(i64::from_ne_bytes(self.fnv.to_ne_bytes()))
    }
}

/// What the consumer knows of one provider when it ends.
#[derive(Debug)]
pub(crate) struct FetchEnd<'a> {
    /// Provider name.
    pub provider: &'a str,
    /// Listing URL (without credentials).
    pub url: Option<&'a str>,
    /// How its records were obtained.
    pub how: How,
    /// The harvest's error, if it failed.
    pub error: Option<String>,
    /// Whether Hub filters narrowed the listing: such a fetch proves nothing
    /// about the models it did not see.
    pub narrowed: bool,
    /// The harvest's `--limit`: a fetch that reached it is cut short too.
    pub limit: Option<u64>,
    /// The harvest's wall time.
    pub elapsed: Duration,
    /// The listing was found unchanged (a 304 or the stored body hash): its
    /// records are the cached harvest's, confirmed current.
    pub unchanged: bool,
    /// The listing's first response: status, validators, body hash.
    pub response: Option<&'a crate::harvest::FirstResponse>,
}

/// Where a provider's records came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// A live harvest (resumed and incremental ones included).
    Live,
    /// A cache entry (`--max-age`, `--offline`): an older observation; not
    /// recorded as versions.
    Cached,
    /// A failed harvest replaced by its stale cached copy (`--stale-ok`).
    Recovered,
}

/// What a backend writes for one provider fetch.
struct FetchRow<'a> {
    run_id: i64,
    provider: &'a str,
    status: &'static str,
    complete: bool,
    models_seen: u64,
    url: Option<&'a str>,
    started_at: String,
    duration_ms: u64,
    error: Option<String>,
    http_status: Option<u16>,
    etag: Option<&'a str>,
    last_modified: Option<&'a str>,
    body_sha256: Option<&'a str>,
    /// The records' `fetched_at`, as written (`None`: no record).
    fetched_at: Option<String>,
}

/// Versions written by one fetch.
#[derive(Debug, Default, Clone, Copy)]
struct Applied {
    added: u64,
    closed: u64,
}

/// The run row's content.
struct RunRow {
    started_at: String,
    tool_version: &'static str,
    command: &'static str,
    args: String,
    host: Option<String>,
}

/// One version of a model, read back.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    /// The fetch that first saw it, its run and time.
    pub from: Point,
    /// The fetch that saw it change or vanish (`None`: current).
    pub to: Option<Point>,
    /// The attributes, as stored.
    pub attrs: String,
}

/// A fetch as a point in time.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    /// Fetch id.
    pub fetch: i64,
    /// Its run.
    pub run: i64,
    /// When it was written (RFC 3339).
    pub at: String,
}

/// One model whose state differs between two points: its attributes at
/// each (`None`: absent).
pub(crate) struct Transition {
    pub provider: String,
    pub id: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The two range scans of [`Backend::transitions`], matched. A model whose
/// state differs between x0 and x1 had its version valid at x0 end in (x0,
/// x1] ("ended": [`TRANSITIONS_ENDED`]), or its version valid at x1 begin
/// there ("began": [`TRANSITIONS_BEGAN`]), or both: two scans of the
/// `valid_to` and `valid_from` indexes instead of a lookup of both versions
/// of every touched model. A model added and removed inside the window is in
/// neither, as it should be.
#[derive(Default)]
struct Pairing {
    ended: FastMap<(String, String), String>,
}

impl Pairing {
    /// A version valid at x0 that ended in the window (read first, all of them).
    fn ended(&mut self, provider: String, id: String, attrs: String) {
        self.ended.insert((provider, id), attrs);
    }

    /// A version valid at x1 that began in the window, with what it replaced.
    fn began(&mut self, provider: String, id: String, attrs: String) -> Transition {
        let key = (provider, id);
        let old = self.ended.remove(&key);
        Transition {
            provider: key.0,
            id: key.1,
            old,
            new: Some(attrs),
        }
    }

    /// The versions that ended with nothing after them: removed models.
    fn removed(self) -> impl Iterator<Item = Transition> {
        self.ended.into_iter().map(|((provider, id), attrs)| Transition {
            provider,
            id,
            old: Some(attrs),
            new: None,
        })
    }
}

/// [`Pairing`]'s first scan (`?1` x0, `?2` x1, then the provider filter;
/// `$N` on PostgreSQL).
const TRANSITIONS_ENDED: &str = "valid_to > ?1 AND valid_to <= ?2 AND valid_from <= ?1";
/// [`Pairing`]'s second scan.
const TRANSITIONS_BEGAN: &str =
    "valid_from > ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)";

/// Where a `--since`/`--until` bound falls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// The state at this time.
    Time(Timestamp),
    /// Before (for `--since`) or after (for `--until`) this run.
    Run(i64),
}

/// The operations the history needs from a database: SQLite
/// (`sqlite.rs`) and PostgreSQL (`postgres.rs`).
trait Backend: Send {
    fn begin_run(&mut self, run: &RunRow) -> anyhow::Result<i64>;
    fn finish_run(&mut self, run_id: i64, at: &str) -> anyhow::Result<()>;
    /// Empties the staging area for a new provider.
    fn begin_stage(&mut self) -> anyhow::Result<()>;
    fn stage(&mut self, row: &Staged<'_>) -> anyhow::Result<()>;
    /// In one transaction: the fetch row, and with `versions` the staged
    /// records' new versions (closing what changed and, when `close_missing`,
    /// what is no longer listed), and with `metrics` their `downloads` and
    /// `likes` as `model_metric` rows of this fetch.
    fn commit_fetch(
        &mut self,
        row: &FetchRow<'_>,
        versions: bool,
        close_missing: bool,
        metrics: bool,
        finished_at: &str,
    ) -> anyhow::Result<Applied>;
    /// The last fetch id at a bound; `since` says which side of a run.
    fn cutoff(&self, bound: &Bound, since: bool) -> anyhow::Result<i64>;
    fn last_fetch(&self) -> anyhow::Result<i64>;
    /// Models whose state differs between fetch `x0` and fetch `x1`.
    fn transitions(
        &self,
        x0: i64,
        x1: i64,
        providers: &[String],
        each: &mut dyn FnMut(Transition) -> anyhow::Result<()>,
    ) -> anyhow::Result<()>;
    fn versions(&self, provider: &str, id: &str) -> anyhow::Result<Vec<Version>>;
    /// Fetch `x` as a point in time, if there is such a fetch.
    fn point(&self, x: i64) -> anyhow::Result<Option<Point>>;
    /// The highest run id (0: none).
    fn last_run(&self) -> anyhow::Result<i64>;
    /// The providers run `run` wrote records of (ok, partial or cached),
    /// in the order it wrote them.
    fn run_providers(&self, run: i64) -> anyhow::Result<Vec<String>>;
    /// The providers with a recorded observation (an ok or partial fetch) at
    /// or before fetch `x`, by name.
    fn providers_at(&self, x: i64) -> anyhow::Result<Vec<String>>;
    /// One provider's catalog as it stood at fetch `x`: `None` when no fetch
    /// of it at or before `x` recorded anything.
    fn provider_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<ProviderAt>>;
    /// How many models the provider had at fetch `x` (`None` as for
    /// [`Backend::provider_at`]), counted in the database.
    fn count_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<u64>>;
    /// The provider's last stored listing order at or before fetch `x`:
    /// its parts, in order (each a JSON array of ids).
    fn listing_order(&self, x: i64, provider: &str) -> anyhow::Result<Option<Vec<String>>>;
    /// [`Backend::listing_order`] handed to `each` part by part; `false`
    /// when none is stored. A backend that can read the parts one at a time
    /// holds one (about 300 KB), not all of them.
    fn each_order_part(
        &self,
        x: i64,
        provider: &str,
        each: &mut dyn FnMut(&str) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let Some(parts) = self.listing_order(x, provider)? else {
            return Ok(false);
        };
        parts.iter().try_for_each(|p| each(p))?;
        Ok(true)
    }
    /// Whether a version of the provider began after fetch `x0`, up to `x1`.
    fn began(&self, x0: i64, x1: i64, provider: &str) -> anyhow::Result<bool>;
}

/// [`Backend::began`], in SQL both backends read (`?N` for `$N` in
/// PostgreSQL): one seek of the `valid_from` index.
const BEGAN: &str = "SELECT EXISTS (SELECT 1 FROM model_version
    WHERE valid_from > ?1 AND valid_from <= ?2 AND provider = ?3)";

/// A hash map for the ids of one query (hundreds of thousands of lookups):
/// foldhash is several times faster than the standard SipHash on short
/// keys, and is seeded per process all the same.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`FastMap`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The most ids one part of a stored listing order holds (about 300 KB of
/// Hub ids): what a sync holds of a new order at once.
const ORDER_PART: usize = 10_000;

/// A provider's last listing order at or before a fetch, part by part
/// (?1 provider, ?2 fetch; `$1`, `$2` on PostgreSQL).
const ORDER_PARTS_SQLITE: &str = "SELECT ids FROM listing_order
    WHERE provider = ?1
      AND fetch_id = (SELECT MAX(fetch_id) FROM listing_order WHERE provider = ?1 AND fetch_id <= ?2)
    ORDER BY part";

/// Calls `each` with every id of a stored order and its place, reading the
/// parts' JSON in place (an id is copied only when it has escapes).
fn each_id(parts: &[String], mut each: impl FnMut(usize, std::borrow::Cow<'_, str>)) -> anyhow::Result<()> {
    let mut at = 0usize;
    parts
        .iter()
        .try_for_each(|part| each_id_of(part, &mut at, &mut each))
}

/// [`each_id`] for one part, whose first id is at place `*at`; moves `*at`
/// past its last.
fn each_id_of(
    part: &str,
    at: &mut usize,
    mut each: impl FnMut(usize, std::borrow::Cow<'_, str>),
) -> anyhow::Result<()> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    /// An id, borrowed from the stored text unless it has escapes.
    #[derive(serde::Deserialize)]
    struct Id<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
    struct Each<'f, F>(&'f mut F, &'f mut usize);
    impl<'de, F: FnMut(usize, std::borrow::Cow<'de, str>)> Visitor<'de> for Each<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of ids")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(Id(id)) = seq.next_element()? {
                (self.0)(*self.1, id);
                *self.1 += 1;
            }
            Ok(())
        }
    }
    // Ids without escapes (nearly all) are read off the text directly: a
    // listing order of 500,000 ids is parsed by every `changes`.
    if memchr::memchr(b'\\', part.as_bytes()).is_none() {
        let first = *at;
        if let Some(n) = plain_ids(part, |i, id| each(first + i, std::borrow::Cow::Borrowed(id))) {
            *at += n;
            return Ok(());
        }
    }
    let mut de = serde_json::Deserializer::from_str(part);
    de.deserialize_seq(Each(&mut each, at))
        .and_then(|()| de.end())
        .context("a stored listing order is not a list of ids")
}

/// The ids of a JSON array of strings without escapes (`["a","b"]`, or with
/// spaces as PostgreSQL's `json_agg` writes it), each with its place, and
/// how many there were; `None`, having called `each` for none of them, when
/// the text is anything else (for the JSON parser to read or refuse).
fn plain_ids(text: &str, mut each: impl FnMut(usize, &str)) -> Option<usize> {
    let b = text.as_bytes();
    let skip = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    // Where each id starts and ends, found before any is handed on.
    let mut spans = Vec::with_capacity(ORDER_PART);
    let mut i = skip(0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip(i + 1);
    if b.get(i) == Some(&b']') {
        return (skip(i + 1) == b.len()).then_some(0);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let end = start + memchr::memchr(b'"', &b[start..])?;
        // A control character is not JSON; the parser says so.
        if b[start..end].iter().any(|&c| c < 0x20) {
            return None;
        }
        spans.push((start, end));
        i = skip(end + 1);
        match b.get(i) {
            Some(b',') => i = skip(i + 1),
            Some(b']') if skip(i + 1) == b.len() => break,
            _ => return None,
        }
    }
    for (n, &(start, end)) in spans.iter().enumerate() {
        each(n, &text[start..end]);
    }
    Some(spans.len())
}

/// A listing order as the hashes of its ids, in order: read while another
/// connection reads the versions that changed, so before the ids it will be
/// asked about are known; 8 bytes an id instead of a copy of each (an order
/// of 500,000 Hub ids is 20 MB of text), and one pass over them once those
/// ids are known.
#[derive(Default)]
pub(crate) struct Places {
    hashes: Vec<u64>,
}

impl Places {
    /// Adds the ids of the order's next part.
    fn extend(&mut self, part: &str) -> anyhow::Result<()> {
        let hashes = &mut self.hashes;
        hashes.reserve(ORDER_PART);
        let mut at = hashes.len();
        each_id_of(part, &mut at, |_, id| hashes.push(Places::key(&id)))
    }

    #[cfg(test)]
    fn of(parts: &[String]) -> anyhow::Result<Places> {
        let mut places = Places::default();
        parts.iter().try_for_each(|p| places.extend(p))?;
        Ok(places)
    }

    fn key(id: &str) -> u64 {
        use std::hash::BuildHasher as _;
        foldhash::fast::FixedState::with_seed(0x636174616c6f67).hash_one(id)
    }

    /// Where each of `ids` is listed; `None` when two of them have one hash,
    /// or one hash is listed twice (then [`Reader::positions`] says exactly).
    /// An id the order does not list is taken for a listed one only when
    /// their 64-bit hashes are equal (about one in 4 x 10^13 against 500,000
    /// ids), and is then only shown in another place.
    pub(crate) fn find<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Option<FastMap<&'a str, usize>> {
        let mut wanted: FastMap<u64, (&'a str, Option<usize>)> = FastMap::default();
        for id in ids {
            if let Some((other, _)) = wanted.insert(Places::key(id), (id, None)) {
                if other != id {
                    return None;
                }
            }
        }
        for (i, h) in self.hashes.iter().enumerate() {
            if let Some((_, at)) = wanted.get_mut(h) {
                if at.replace(i).is_some() {
                    return None;
                }
            }
        }
        Some(
            wanted
                .into_values()
                .filter_map(|(id, at)| Some((id, at?)))
                .collect(),
        )
    }
}

/// A fetch's provenance, for the records rebuilt from it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub fetch: i64,
    /// The records' `fetched_at` (else, for fetches recorded before schema
    /// version 3, its start).
    pub fetched_at: String,
    pub url: Option<String>,
}

/// One provider's versions valid at a fetch, and what says how to order and
/// date them.
pub(crate) struct ProviderAt {
    /// The last complete fetch at or before the point: it saw every model
    /// valid then.
    pub complete: Option<Seen>,
    /// The model ids in the order of the last stored listing order at or
    /// before the point (JSON arrays, to be read one after the other).
    pub order: Option<Vec<String>>,
    /// (id, attrs, the fetch that wrote the version), by id.
    pub versions: Vec<(String, String, Seen)>,
}

/// Now, as stored: RFC 3339 UTC with milliseconds (sortable as text).
fn now_text() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    stamp(d)
}

fn stamp(since_epoch: Duration) -> String {
    let secs = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let t = Timestamp(secs).to_string();
    format!("{}.{:03}Z", t.trim_end_matches('Z'), since_epoch.subsec_millis())
}

/// The pipeline's side of the database, owned by the consumer thread.
pub(crate) struct Sink {
    name: String,
    backend: Option<Box<dyn Backend>>,
    run_id: i64,
    error: Option<anyhow::Error>,
    /// Staging the current provider's records.
    staging: bool,
    staged: u64,
    /// The current provider's records' `fetched_at`.
    fetched_at: Option<Timestamp>,
    started_at: String,
    /// Keys of the run's providers: removed from anything stored, whatever
    /// the harvest already did.
    secrets: Vec<Secret>,
    /// Record `downloads` and `likes` in `model_metric` (`--track-metrics`).
    metrics: bool,
}

/// What the command line says about the run, for its row.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// `fetch` or `snapshot`.
    pub command: &'static str,
    /// The arguments, as typed.
    pub args: Vec<String>,
    /// `--track-metrics`: also record downloads and likes.
    pub track_metrics: bool,
}

impl RunInfo {
    /// This process's command line.
    #[must_use]
    pub fn from_process(command: &'static str) -> RunInfo {
        RunInfo {
            command,
            args: std::env::args().skip(1).collect(),
            track_metrics: false,
        }
    }
}

/// An argument without the password of a URL in it (`--db
/// postgres://user:password@host/db`, or `?password=` in its query).
fn without_password(arg: &str) -> String {
    let (flag, value) = match arg.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (Some(f), v),
        _ => (None, arg),
    };
    let value = match url::Url::parse(value) {
        Ok(u) if u.password().is_some() || postgres::has_query_password(&u) => {
            postgres::redact_url(u, "redacted")
        }
        _ => value.to_owned(),
    };
    match flag {
        Some(f) => format!("{f}={value}"),
        None => value,
    }
}

fn host_name() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
    }
    std::env::var("HOSTNAME").ok()
}

impl Sink {
    /// Opens the database and records the run. Never fails: an error is
    /// kept, stops the database side only, and is reported by [`Sink::finish`].
    pub(crate) fn open(location: &Location, info: &RunInfo, secrets: Vec<Secret>) -> Sink {
        let mut sink = Sink {
            name: location.display(),
            backend: None,
            run_id: 0,
            error: None,
            staging: false,
            staged: 0,
            fetched_at: None,
            started_at: now_text(),
            secrets,
            metrics: info.track_metrics,
        };
        let args: Vec<String> = info
            .args
            .iter()
            .map(|a| sink.redact(&without_password(a)))
            .collect();
        let opened = location.open(true).and_then(|mut b| {
            let run = RunRow {
                started_at: sink.started_at.clone(),
                tool_version: env!("CARGO_PKG_VERSION"),
                command: info.command,
                args: serde_json::to_string(&args)?,
                host: host_name(),
            };
            let id = b.begin_run(&run)?;
            Ok((b, id))
        });
        match opened {
            Ok((b, id)) => {
                sink.backend = Some(b);
                sink.run_id = id;
            }
            Err(e) => sink.fail(e),
        }
        sink
    }

    fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |t, s| s.redact(&t))
    }

    fn fail(&mut self, e: anyhow::Error) {
        tracing::warn!("database {}: {e:#}; the file output goes on", self.name);
        if self.error.is_none() {
            self.error = Some(e);
        }
        self.backend = None;
    }

    /// A provider's records start.
    pub(crate) fn begin(&mut self) {
        self.staged = 0;
        self.fetched_at = None;
        self.staging = false;
        if let Some(b) = self.backend.as_mut() {
            match b.begin_stage() {
                Ok(()) => self.staging = true,
                Err(e) => self.fail(e),
            }
        }
    }

    /// Stops staging the current provider's records (a stale copy is being
    /// served in place of a failed harvest).
    pub(crate) fn pause(&mut self) {
        self.staging = false;
    }

    /// One record of the current provider.
    pub(crate) fn stage(&mut self, r: &Record) {
        if !self.staging {
            return;
        }
        let Some(b) = self.backend.as_mut() else {
            return;
        };
        let done = b.stage(&Staged::new(r, self.staged));
        match done {
            Ok(()) => {
                self.staged += 1;
                self.fetched_at.get_or_insert(r.fetched_at);
            }
            Err(e) => self.fail(e),
        }
    }

    /// The current provider ended: its fetch row and versions, in one
    /// transaction.
    pub(crate) fn end(&mut self, end: &FetchEnd<'_>) {
        let staging = std::mem::replace(&mut self.staging, false);
        let Some(b) = self.backend.as_mut() else {
            return;
        };
        let failed = end.error.is_some() || end.how == How::Recovered;
        let status = match end.how {
            How::Cached => "cached",
            _ if !failed && end.unchanged => "unchanged",
            _ if !failed => "ok",
            _ if self.staged > 0 => "partial",
            _ => "failed",
        };
        // A cached copy is an older observation: it could undo a newer
        // version another run recorded. Only live records become versions.
        let versions = staging && end.how != How::Cached;
        let cut = end.narrowed || end.limit.is_some_and(|l| self.staged >= l);
        // An unchanged listing is as complete as the fetch that got it.
        let complete = matches!(status, "ok" | "unchanged") && !cut;
        let error = end.error.as_deref().map(|e| {
            let e = self.secrets.iter().fold(e.to_owned(), |t, s| s.redact(&t));
            if end.how == How::Recovered {
                format!("{e} (served the stale cached copy instead; not recorded)")
            } else {
                e
            }
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let row = FetchRow {
            run_id: self.run_id,
            provider: end.provider,
            status,
            complete,
            models_seen: self.staged,
            url: end.url,
            started_at: stamp(now.saturating_sub(end.elapsed)),
            duration_ms: u64::try_from(end.elapsed.as_millis()).unwrap_or(u64::MAX),
            error,
            http_status: end.response.map(|r| r.status),
            etag: end.response.and_then(|r| r.validators.etag.as_deref()),
            last_modified: end.response.and_then(|r| r.validators.last_modified.as_deref()),
            body_sha256: end.response.map(|r| r.body_sha256.as_str()),
            fetched_at: self.fetched_at.filter(|_| versions).map(|t| t.to_string()),
        };
        let metrics = self.metrics && versions;
        let result = b.commit_fetch(&row, versions, complete, metrics, &now_text());
        match result {
            Ok(applied) => tracing::debug!(
                "database: {}: {} new versions, {} closed",
                end.provider,
                applied.added,
                applied.closed
            ),
            Err(e) => self.fail(e.context(format!("recording {}", end.provider))),
        }
    }

    /// Records the providers that never reached the consumer (skipped for
    /// a missing key) and closes the run. Returns the run, or the database's
    /// error if any happened during the run, naming the database.
    pub(crate) fn finish(mut self, skipped: &[(String, String)]) -> anyhow::Result<Recorded> {
        if let Some(b) = self.backend.as_mut() {
            let now = now_text();
            let mut result = Ok(());
            for (provider, reason) in skipped {
                let row = FetchRow {
                    run_id: self.run_id,
                    provider,
                    status: "skipped",
                    complete: false,
                    models_seen: 0,
                    url: None,
                    started_at: self.started_at.clone(),
                    duration_ms: 0,
                    error: Some(reason.clone()),
                    http_status: None,
                    etag: None,
                    last_modified: None,
                    body_sha256: None,
                    fetched_at: None,
                };
                result = b.commit_fetch(&row, false, false, false, &now).map(|_| ());
                if result.is_err() {
                    break;
                }
            }
            let result = result.and_then(|()| b.finish_run(self.run_id, &now));
            if let Err(e) = result {
                self.fail(e);
            }
        }
        let name = self.name;
        match self.error {
            Some(e) => Err(e.context(format!(
                "database {name}: not recorded (the output file was still written)"
            ))),
            None => Ok(Recorded {
                run: self.run_id,
                name,
            }),
        }
    }
}

/// A run recorded in full.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// Its id (`--as-of RUN`, `changes --since RUN`).
    pub run: i64,
    /// The database, as errors name it.
    pub name: String,
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "recorded as run {} in {}", self.run, self.name)
    }
}

/// The query side, for `changes` and `history`.
pub(crate) struct Reader {
    backend: Box<dyn Backend>,
}

impl Reader {
    /// The fetch-id window `(x0, x1]` between two bounds (`None`: 24 hours
    /// ago, and now).
    pub(crate) fn window(&self, since: Option<&Bound>, until: Option<&Bound>) -> anyhow::Result<(i64, i64)> {
        let day = Bound::Time(Timestamp(Timestamp::now().0 - 86_400));
        let x0 = self.backend.cutoff(since.unwrap_or(&day), true)?;
        let x1 = match until {
            Some(b) => self.backend.cutoff(b, false)?,
            None => self.backend.last_fetch()?,
        };
        Ok((x0, x1.max(x0)))
    }

    /// Models whose state differs between the two fetches, in (provider,
    /// id) order.
    pub(crate) fn transitions(
        &self,
        x0: i64,
        x1: i64,
        providers: &[String],
        each: &mut dyn FnMut(Transition) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.backend.transitions(x0, x1, providers, each)
    }

    /// Every version of one model, oldest first.
    pub(crate) fn versions(&self, provider: &str, id: &str) -> anyhow::Result<Vec<Version>> {
        self.backend.versions(provider, id)
    }

    /// The fetch a `--as-of` (or `diff --db`) point stands for: the last one
    /// at or before the time, or the last of the run.
    ///
    /// # Errors
    /// A run that does not exist, or a point before anything was recorded
    /// (a [`UsageError`]); a database that cannot be read.
    pub(crate) fn point(&self, flag: &str, bound: &Bound) -> anyhow::Result<Point> {
        if let Bound::Run(n) = bound {
            let last = self.backend.last_run()?;
            if *n < 1 || *n > last {
                return Err(UsageError::new(format!(
                    "{flag}: there is no run {n} (the runs recorded are 1 to {last})"
                ))
                .into());
            }
        }
        let x = self.backend.cutoff(bound, false)?;
        match self.backend.point(x)? {
            Some(p) => Ok(p),
            None => {
                let what = match bound {
                    Bound::Run(n) => format!("run {n}"),
                    Bound::Time(t) => t.to_string(),
                };
                let first = match self.backend.point(1)? {
                    Some(p) => format!("the first fetch was recorded at {}", p.at),
                    None => "it holds no fetch yet".to_owned(),
                };
                Err(UsageError::new(format!(
                    "{flag}: the database has nothing recorded at or before {what}; {first}"
                ))
                .into())
            }
        }
    }

    /// The providers a run wrote, in its order.
    pub(crate) fn run_providers(&self, run: i64) -> anyhow::Result<Vec<String>> {
        self.backend.run_providers(run)
    }

    /// The place of each of `wanted` in the provider's listing at fetch `x`
    /// (empty: no order stored). Only the wanted ids are kept: a listing of
    /// 500,000 Hub models is read borrowed, without a map of all of them.
    pub(crate) fn positions(
        &self,
        x: i64,
        provider: &str,
        wanted: &FastSet<&str>,
    ) -> anyhow::Result<FastMap<String, usize>> {
        let mut places = FastMap::with_capacity_and_hasher(wanted.len(), Default::default());
        let mut at = 0;
        self.backend.each_order_part(x, provider, &mut |part| {
            each_id_of(part, &mut at, |i, id| {
                if wanted.contains(id.as_ref()) {
                    places.insert(id.into_owned(), i);
                }
            })
        })?;
        Ok(places)
    }

    /// `provider`'s listing order at fetch `x` as hashes (see [`Places`]);
    /// `None` when no order is stored.
    pub(crate) fn places(&self, x: i64, provider: &str) -> anyhow::Result<Option<Places>> {
        let mut places = Places::default();
        let stored = self
            .backend
            .each_order_part(x, provider, &mut |part| places.extend(part))?;
        Ok(stored.then_some(places))
    }

    /// Whether a version of `provider` began after fetch `x0`, up to `x1`
    /// (a model added or changed there).
    pub(crate) fn began(&self, x0: i64, x1: i64, provider: &str) -> anyhow::Result<bool> {
        self.backend.began(x0, x1, provider)
    }

    /// The fetch `x` as a point, if it exists.
    pub(crate) fn fetch_point(&self, x: i64) -> anyhow::Result<Option<Point>> {
        self.backend.point(x)
    }

    /// The providers with something recorded at or before fetch `x`.
    pub(crate) fn providers_at(&self, x: i64) -> anyhow::Result<Vec<String>> {
        self.backend.providers_at(x)
    }

    /// One provider's catalog at fetch `x`, record by record, in the order
    /// its harvest listed them (see [`rebuild`]); `None` when nothing of the
    /// provider was recorded by then.
    pub(crate) fn catalog_at(
        &self,
        x: i64,
        provider: &str,
        each: &mut dyn FnMut(Record) -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<u64>> {
        let Some(at) = self.backend.provider_at(x, provider)? else {
            return Ok(None);
        };
        let records = rebuild(provider, at)?;
        let n = records.len() as u64;
        for r in records {
            each(r)?;
        }
        Ok(Some(n))
    }
}

impl Reader {
    /// The number of models [`Reader::catalog_at`] would give, without
    /// rebuilding them: what `count --as-of` without a filter asks.
    pub(crate) fn count_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<u64>> {
        self.backend.count_at(x, provider)
    }
}

/// Records from stored versions, in harvest order.
///
/// * Attributes: the version's `attrs`, as stored.
/// * `downloads`, `likes`: null (volatile counters are not kept).
/// * `fetched_at` and `source`: of the latest fetch known to have seen the
///   model as it is: the last complete fetch of the provider at or before
///   the point when the version was valid then (a complete fetch saw every
///   valid model), else the fetch that wrote the version. A partial fetch
///   that saw it unchanged is not known to have (no per-model row).
/// * Order: the provider's last stored listing order at or before the point;
///   models not in it (unseen by a partial fetch) after, by id.
fn rebuild(provider: &str, at: ProviderAt) -> anyhow::Result<Vec<Record>> {
    let mut position: FastMap<String, usize> = FastMap::default();
    if let Some(parts) = &at.order {
        each_id(parts, |i, id| {
            position.insert(id.into_owned(), i);
        })?;
    }
    let provider: std::sync::Arc<str> = std::sync::Arc::from(provider);
    let mut rows = Vec::with_capacity(at.versions.len());
    for (id, attrs, from) in at.versions {
        let mut r: Record = serde_json::from_str(&attrs)
            .with_context(|| format!("a stored version of {provider} {id} is not a record"))?;
        let seen = match &at.complete {
            Some(c) if c.fetch >= from.fetch => c,
            _ => &from,
        };
        r.provider = provider.clone();
        r.downloads = None;
        r.likes = None;
        r.fetched_at = Timestamp::parse(&seen.fetched_at).unwrap_or(Timestamp(0));
        r.source = std::sync::Arc::from(seen.url.as_deref().unwrap_or_default());
        rows.push((position.get(&id).copied().unwrap_or(usize::MAX), r));
    }
    // Byte order of ids, whatever the database's collation.
    rows.sort_by(|(pa, a), (pb, b)| pa.cmp(pb).then_with(|| a.id.as_bytes().cmp(b.id.as_bytes())));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Parses a `--since`/`--until` value: a duration back from now (`24h`,
/// `7d`), a date or time (`2026-11-27`, RFC 3339), or a run id (`42`).
///
/// # Errors
/// A value that is none of these.
pub(crate) fn parse_bound(flag: &str, text: &str) -> Result<Bound, UsageError> {
    let t = text.trim();
    if let Some(run) = t.strip_prefix("run:").or_else(|| t.strip_prefix("run")) {
        if let Ok(n) = run.trim().parse::<i64>() {
            return Ok(Bound::Run(n));
        }
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map(Bound::Run)
            .map_err(|_| UsageError::new(format!("{flag}: {t} is not a run id")));
    }
    if let Ok(d) = crate::cache::parse_duration(t) {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        return Ok(Bound::Time(Timestamp(Timestamp::now().0.saturating_sub(secs))));
    }
    Timestamp::parse(t).map(Bound::Time).ok_or_else(|| {
        UsageError::new(format!(
            "{flag}: {t:?} is neither a duration (24h, 7d), a date (2026-11-27, RFC 3339) nor a run id (42)"
        ))
    })
}

/// A timestamp as stored, for comparisons with stored times.
fn bound_text(t: Timestamp) -> String {
    stamp(Duration::from_secs(u64::try_from(t.0).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_read_as_hashes_places_the_ids_asked_for_and_declines_a_repeated_one() {
        let places = Places::of(&[r#"["a","b"]"#.to_owned(), r#"["c\"d","e"]"#.to_owned()]).unwrap();
        let found = places.find(["e", "a", "c\"d", "zz"]).unwrap();
        assert_eq!(found.get("a"), Some(&0));
        assert_eq!(found.get("c\"d"), Some(&2));
        assert_eq!(found.get("e"), Some(&3));
        assert_eq!(found.get("zz"), None, "not listed");
        // Asked twice: one place.
        assert_eq!(places.find(["b", "b"]).unwrap().get("b"), Some(&1));
        // An id listed twice has no one place: the exact search decides.
        let twice = Places::of(&[r#"["a","b","a"]"#.to_owned()]).unwrap();
        assert!(twice.find(["a"]).is_none());
        assert_eq!(twice.find(["b"]).unwrap().get("b"), Some(&1));
    }

    #[test]
    fn stored_orders_read_alike_with_and_without_escapes_and_bad_ones_are_refused() {
        let read = |parts: &[&str]| {
            let parts: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            let mut got = Vec::new();
            each_id(&parts, |i, id| got.push((i, id.into_owned()))).map(|()| got)
        };
        let places = |ids: &[&str]| -> Vec<(usize, String)> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| (i, (*id).to_owned()))
                .collect()
        };
        // SQLite's form, PostgreSQL's json_agg form, an escape, an empty part.
        assert_eq!(
            read(&[
                r#"["org/a","b"]"#,
                r#"[ "c d" , "é/e" ]"#,
                r#"["f\"g","h"]"#,
                "[]"
            ])
            .unwrap(),
            places(&["org/a", "b", "c d", "é/e", "f\"g", "h"])
        );
        assert_eq!(read(&[" [ ] "]).unwrap(), places(&[]));
        for bad in [r#"["a",]"#, r#"["a""#, r#"["a"] x"#, "[1]", "{}", "[\"a\u{1}\"]"] {
            assert!(read(&[bad]).is_err(), "{bad:?}");
            // The fast reader hands on nothing of a part it does not take.
            assert_eq!(plain_ids(bad, |_, _| panic!("{bad:?}")), None, "{bad:?}");
        }
    }

    #[test]
    fn the_streamed_hash_is_fnv1a_of_the_json_array() {
        let ids = ["a/b", "c\"d", "é\n"];
        let mut h = OrderHash::new();
        for id in ids {
            h.push(id).unwrap();
        }
        let text = serde_json::to_string(&ids).unwrap();
        assert_eq!(h.finish(), Some(fnv1a(text.as_bytes())));
        assert_eq!(OrderHash::new().finish(), None);
    }

    #[test]
    fn stored_attributes_leave_out_null_members_only() {
        assert_eq!(
            without_nulls(
                r#"{"id":"a","name":null,"tags":["x:null",null],"o":{"k":null},"s":"\\\":null","n":null}"#
            ),
            r#"{"id":"a","tags":["x:null",null],"o":{"k":null},"s":"\\\":null"}"#
        );
        assert_eq!(without_nulls(r#"{"a":null}"#), "{}");
        assert_eq!(without_nulls("{}"), "{}");
        // Not an object as serde_json writes one: kept as it is.
        assert_eq!(without_nulls("[1,null]"), "[1,null]");
        assert_eq!(without_nulls(r#"{"a":1} "#), r#"{"a":1} "#);
    }

    #[test]
    fn a_record_read_back_from_its_stored_attributes_is_the_record() {
        let r: Record = serde_json::from_str(
            r#"{"provider":"together","id":"meta-llama/Llama-3.3-70B-Instruct-Turbo","name":"Llama 3.3 70B",
                "context_length":131072,"price_input":0.88,"price_output":0.88,"tags":["chat"]}"#,
        )
        .unwrap();
        let (attrs, hash) = Staged::new(&r, 0).attrs();
        assert!(!attrs.contains("null"), "{attrs}");
        let back: Record = serde_json::from_str(&attrs).unwrap();
        assert_eq!(
            serde_json::to_string(&back.selected(&ATTR_FIELDS)).unwrap(),
            serde_json::to_string(&r.selected(&ATTR_FIELDS)).unwrap()
        );
        // The hash is of the stored form, and the stored form is the full
        // one without its null members.
        assert_eq!(
            hash,
            i64::from_ne_bytes(xxhash_rust::xxh3::xxh3_64(attrs.as_bytes()).to_ne_bytes())
        );
        let full = serde_json::to_string(&r.selected(&ATTR_FIELDS)).unwrap();
        assert!(full.contains("\"price_cache_read\":null"), "{full}");
        assert_eq!(attrs, without_nulls(&full));
    }

    #[test]
    fn database_urls_name_a_file_or_are_refused() {
        let at = |s: &str| Location::resolve(Some(s), None);
        assert_eq!(at("x.db").unwrap(), Location::Sqlite("x.db".into()));
        assert_eq!(at("sqlite:x.db").unwrap(), Location::Sqlite("x.db".into()));
        assert_eq!(
            at("sqlite:///tmp/x.db").unwrap(),
            Location::Sqlite("/tmp/x.db".into())
        );
        let Location::Postgres(pg) = at("postgres://u:p@h/db").unwrap() else {
            panic!()
        };
        assert_eq!(Location::Postgres(pg).display(), "postgres://u:***@h/db");
        assert!(matches!(at("postgresql://h/db"), Ok(Location::Postgres(_))));
        assert!(at("mysql://h/db").unwrap_err().to_string().contains("\"mysql\""));
        assert!(at("sqlite:").is_err());
    }

    #[test]
    fn bounds_are_durations_dates_or_runs() {
        assert_eq!(parse_bound("--since", "42").unwrap(), Bound::Run(42));
        assert_eq!(parse_bound("--since", "run 7").unwrap(), Bound::Run(7));
        assert_eq!(
            parse_bound("--since", "2026-11-27").unwrap(),
            Bound::Time(Timestamp::parse("2026-11-27").unwrap())
        );
        let Ok(Bound::Time(t)) = parse_bound("--since", "1h") else {
            panic!()
        };
        assert!((Timestamp::now().0 - t.0 - 3600).abs() <= 1);
        assert!(parse_bound("--since", "yesterday").is_err());
    }

    #[test]
    fn stored_times_sort_as_text_and_passwords_are_dropped() {
        assert_eq!(
            stamp(Duration::from_millis(1_721_692_800_007)),
            "2024-07-23T00:00:00.007Z"
        );
        assert_eq!(
            without_password("--db=postgres://me:hunter2@h/db"),
            "--db=postgres://me:redacted@h/db"
        );
        assert_eq!(
            without_password("postgres://h/db?password=hunter2&sslmode=disable"),
            "postgres://h/db?password=redacted&sslmode=disable"
        );
        assert_eq!(without_password("-p"), "-p");
    }
}
