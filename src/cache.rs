//! The on-disk cache: one entry per provider and per set of query parameters
//! that change the result, each a single NDJSON file.
//!
//! An entry is written as `<stem>.partial` while its harvest runs and renamed
//! to `<stem>.ndjson` only when the harvest succeeds, so a failed or killed run
//! never replaces a good entry. The first line is a fixed-size JSON header
//! (format version, key, fetch time, model count), rewritten in place at the
//! end, so `count` reads one line and no records. After each page of a paged
//! listing, `<stem>.cursor` records the next page's URL and the byte length of
//! the records so far: that is the checkpoint `--resume` continues from.
//! Keys are never written: records and URLs carry none.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::Validators;
use crate::providers::HubFilters;
use crate::record::{Record, Timestamp};

/// How a harvest uses the cache.
#[derive(Debug, Clone, Default)]
pub struct CacheConfig {
    /// The cache (`None` with `--no-cache`).
    pub cache: Option<Cache>,
    /// Serve entries younger than this.
    pub max_age: Option<std::time::Duration>,
    /// Never read entries.
    pub refresh: bool,
    /// Only read entries, stale ones included.
    pub offline: bool,
    /// Fall back to the last good entry when a provider fails.
    pub stale_ok: bool,
    /// Continue interrupted harvests from their checkpoints.
    pub resume: bool,
    /// Incremental harvest, where the provider's shape has a modification
    /// sort (the Hub).
    pub incremental: bool,
}

/// Version of the entry format; entries of another version are ignored.
/// 3: records carry `canonical_id`/`canonical_by`, which entries written
/// before them lack (served, they would count as models without an id).
pub(crate) const FORMAT_VERSION: u32 = 3;
/// Bytes of the header line, newline included.
const HEADER_LEN: usize = 4096;

/// What identifies a cached harvest: everything that changes its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The listing URL (no secrets).
    pub url: String,
    /// Effective model limit.
    pub limit: Option<u64>,
    /// Effective page size.
    pub page_size: Option<u64>,
    /// Hub filters (`search`, `author`, `sort`, `pipeline_tag`).
    #[serde(default)]
    pub filters: Vec<(String, String)>,
}

impl Key {
    /// The key of a harvest.
    #[must_use]
    pub fn new(url: String, limit: Option<u64>, page_size: Option<u64>, hub: &HubFilters) -> Key {
        let filters = [
            ("search", &hub.search),
            ("author", &hub.author),
            ("sort", &hub.sort),
            ("pipeline_tag", &hub.pipeline_tag),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
        .collect();
        Key {
            url,
            limit,
            page_size,
            filters,
        }
    }

    /// The file stem: provider name and a stable hash of the key.
    #[must_use]
    pub fn stem(&self, provider: &str) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        // FNV-1a: stable across Rust versions, unlike the std hasher.
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{provider}-{hash:016x}")
    }
}

/// The first line of an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Format version; 0 while the entry is being written.
    pub catalog_cache: u32,
    /// Provider name.
    pub provider: String,
    /// The harvest's key.
    pub key: Key,
    /// When the harvest started.
    pub fetched_at: Timestamp,
    /// Models in the entry.
    pub models: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Whether records keep the provider's original object.
    pub raw: bool,
    /// What the response that filled the entry said about itself: its
    /// validators and body hash, which make the next request conditional
    /// (entries written before they were kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Box<Fingerprint>>,
}

/// A listing's first response, as a cache entry keeps it and
/// `provider_fetch` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `ETag` and `Last-Modified`, as the server sent them.
    #[serde(flatten)]
    pub validators: Validators,
    /// SHA-256 of the body (lower-case hex): of the whole listing for a
    /// single-page provider, of page 1 only for a paged one.
    pub body_sha256: String,
    /// When the body was last actually received: the fetch whose records
    /// the entry holds (a 304 or an identical body keeps it).
    pub since: Timestamp,
    /// Which parser made the records ([`parser_id`]): a body parsed by
    /// another catalog version or provider definition is parsed again.
    pub parser: String,
}

/// Names the code and provider definition that turn a body into records:
/// this catalog's version and the provider's definition (price unit,
/// unreliable fields, ...), hashed.
#[must_use]
pub(crate) fn parser_id(spec_debug: &str) -> String {
    let text = format!("{}\n{spec_debug}", env!("CARGO_PKG_VERSION"));
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}+{hash:016x}", env!("CARGO_PKG_VERSION"))
}

/// SHA-256 of `body`, lower-case hex.
#[must_use]
pub(crate) fn sha256_hex(body: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(body);
    let mut hex = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A committed cache entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its file.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// File size in bytes.
    pub size: u64,
}

impl Entry {
    /// Time since the harvest started.
    #[must_use]
    pub fn age(&self) -> Duration {
        age_since(self.header.fetched_at)
    }
}

/// Time since `t`; `Duration::MAX` when `t` is in the future (a clock that
/// was wrong, a copied file): its age is unknown, so it is never fresh.
fn age_since(t: Timestamp) -> Duration {
    let secs = Timestamp::now().0.saturating_sub(t.0);
    if secs < -CLOCK_SKEW {
        return Duration::MAX;
    }
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// Seconds a time may lie ahead of this machine's clock before it is taken
/// to be wrong (clocks of two machines sharing a cache differ a little).
pub(crate) const CLOCK_SKEW: i64 = 300;

/// Where an interrupted harvest stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The next page's URL.
    pub next: String,
    /// Pages done.
    pub pages: u64,
    /// Models written.
    pub models: u64,
    /// Byte length of the partial file up to the last complete page.
    pub bytes: u64,
    /// When the harvest started (kept so a resumed run writes the same records).
    pub fetched_at: Timestamp,
    /// Whether records keep the provider's original object.
    pub raw: bool,
    /// The harvest's key (for `cache ls`; checkpoints written before it
    /// was added have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
}

impl Checkpoint {
    /// Time since the harvest started.
    #[must_use]
    pub fn age(&self) -> Duration {
        age_since(self.fetched_at)
    }
}

/// A checkpoint in the cache directory, as `cache ls` lists it.
#[derive(Debug, Clone)]
pub struct KeptCheckpoint {
    /// Provider name.
    pub provider: String,
    /// Where the harvest stopped.
    pub checkpoint: Checkpoint,
    /// The partial entry the checkpoint continues.
    pub path: PathBuf,
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// Human-readable durations (`90s`, `15m`, `1h`, `2d`, or seconds).
///
/// # Errors
/// A message saying what is accepted.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; use e.g. 90s, 15m, 1h, 2d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("{text:?} is not a duration; use e.g. 90s, 15m, 1h, 2d")),
    };
    Ok(Duration::from_secs(secs))
}

impl Cache {
    /// A cache in `dir` (created when first written).
    #[must_use]
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// The platform's cache directory for catalog: `$XDG_CACHE_HOME/catalog`,
    /// `~/.cache/catalog`, `~/Library/Caches/catalog`, `%LOCALAPPDATA%\catalog`.
    #[must_use]
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("catalog"))
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, stem: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{stem}.{ext}"))
    }

    /// The committed entry of a harvest, if there is a usable one. Entries of
    /// another format version or unreadable ones are ignored with a warning.
    #[must_use]
    pub fn lookup(&self, provider: &str, key: &Key) -> Option<Entry> {
        let path = self.path(&key.stem(provider), "ndjson");
        if !path.exists() {
            return None;
        }
        match read_entry(&path) {
            Ok(entry) if entry.header.key == *key && entry.header.provider == provider => {
                if entry.age() == Duration::MAX {
                    tracing::warn!(
                        "cache entry {} is dated {}, in the future: taken as stale",
                        path.display(),
                        entry.header.fetched_at
                    );
                }
                Some(entry)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("ignoring cache entry {}: {e}", path.display());
                None
            }
        }
    }

    /// Every committed entry, sorted by provider then age.
    #[must_use]
    pub fn list(&self) -> Vec<Entry> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<Entry> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
            .filter_map(|p| match read_entry(&p) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!("ignoring cache entry {}: {e}", p.display());
                    None
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            (a.header.provider.as_str(), a.age()).cmp(&(b.header.provider.as_str(), b.age()))
        });
        entries
    }

    /// Every usable checkpoint (one whose partial entry holds the records
    /// it names), sorted by provider then age.
    #[must_use]
    pub fn checkpoints(&self) -> Vec<KeptCheckpoint> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut kept: Vec<KeptCheckpoint> = dir
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (provider, ext) = entry_name(&name)?;
                if ext != "cursor" {
                    return None;
                }
                let cursor = e.path();
                let cp: Checkpoint = serde_json::from_str(&fs::read_to_string(&cursor).ok()?)
                    .map_err(|err| tracing::warn!("ignoring checkpoint {}: {err}", cursor.display()))
                    .ok()?;
                let path = cursor.with_extension("partial");
                let len = fs::metadata(&path).ok()?.len();
                (len >= cp.bytes).then(|| KeptCheckpoint {
                    provider: provider.to_owned(),
                    checkpoint: cp,
                    path,
                })
            })
            .collect();
        kept.sort_by(|a, b| {
            (a.provider.as_str(), a.checkpoint.age()).cmp(&(b.provider.as_str(), b.checkpoint.age()))
        });
        kept
    }

    /// Removes entries and checkpoints (of one provider, or all). Returns how
    /// many files were removed.
    ///
    /// # Errors
    /// I/O errors other than a missing directory.
    pub fn clear(&self, provider: Option<&str>) -> io::Result<usize> {
        let dir = match fs::read_dir(&self.dir) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for path in dir.filter_map(Result::ok).map(|e| e.path()) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some((owner, ext)) = entry_name(name) else {
                continue;
            };
            if provider.is_some_and(|p| p != owner) {
                continue;
            }
            // A file that only looks like an entry by its name is not ours.
            if ext != "cursor" && !starts_with_header(&path) {
                continue;
            }
            fs::remove_file(&path)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Reads an entry's records in order, dropping `raw` unless asked for.
    ///
    /// # Errors
    /// I/O errors and corrupt lines.
    pub fn read<F>(&self, entry: &Entry, keep_raw: bool, each: F) -> io::Result<()>
    where
        F: FnMut(Record) -> io::Result<()>,
    {
        read_records(&entry.path, None, keep_raw, each)
    }

    /// Opens an entry's file, to read its records later from this very file
    /// even when another run replaces or removes the entry meanwhile.
    ///
    /// # Errors
    /// I/O errors (the entry is gone already).
    pub fn open(&self, entry: &Entry) -> io::Result<File> {
        File::open(&entry.path)
    }

    /// Reads the records of an entry opened with [`Cache::open`].
    ///
    /// # Errors
    /// I/O errors and corrupt lines.
    pub fn read_open<F>(&self, file: &File, entry: &Entry, keep_raw: bool, each: F) -> io::Result<()>
    where
        F: FnMut(Record) -> io::Result<()>,
    {
        let mut file = file;
        file.seek(SeekFrom::Start(0))?;
        records_from(
            BufReader::with_capacity(READ_BUF, file),
            &entry.path,
            keep_raw,
            each,
        )
    }

    /// The checkpoint of an interrupted harvest, if one is usable.
    #[must_use]
    pub fn checkpoint(&self, provider: &str, key: &Key) -> Option<Checkpoint> {
        let stem = key.stem(provider);
        let text = fs::read_to_string(self.path(&stem, "cursor")).ok()?;
        let cp: Checkpoint = serde_json::from_str(&text)
            .map_err(|e| tracing::warn!("ignoring checkpoint of {provider}: {e}"))
            .ok()?;
        let len = fs::metadata(self.path(&stem, "partial")).ok()?.len();
        (len >= cp.bytes).then_some(cp)
    }

    /// Reads the records a checkpoint covers.
    ///
    /// # Errors
    /// I/O errors and corrupt lines.
    pub fn read_checkpoint<F>(&self, provider: &str, key: &Key, cp: &Checkpoint, each: F) -> io::Result<()>
    where
        F: FnMut(Record) -> io::Result<()>,
    {
        read_records(
            &self.path(&key.stem(provider), "partial"),
            Some(cp.bytes),
            true,
            each,
        )
    }

    /// The ids of the records a checkpoint covers, without reading the
    /// records whole (a resumed harvest needs only its index of them back:
    /// 879,000 of them before the whole Hub's harvest goes on).
    ///
    /// # Errors
    /// I/O errors and lines that are not a record's JSON with an `id`.
    pub fn read_checkpoint_ids<F>(
        &self,
        provider: &str,
        key: &Key,
        cp: &Checkpoint,
        mut each: F,
    ) -> io::Result<()>
    where
        F: FnMut(&str) -> io::Result<()>,
    {
        #[derive(serde::Deserialize)]
        struct Id<'a> {
            #[serde(borrow)]
            id: std::borrow::Cow<'a, str>,
        }
        let path = self.path(&key.stem(provider), "partial");
        let reader = BufReader::with_capacity(READ_BUF, File::open(&path)?.take(cp.bytes));
        each_line(reader, |line| {
            let record: Id<'_> = serde_json::from_slice(line).map_err(|e| corrupt(&path, &e))?;
            each(&record.id)
        })
    }

    /// Starts writing the entry of a harvest, or continues a checkpoint.
    /// `None` when another run holds the entry (it is then not cached twice).
    ///
    /// # Errors
    /// I/O errors creating the directory or the file.
    pub fn writer(
        &self,
        provider: &str,
        key: &Key,
        fetched_at: Timestamp,
        raw: bool,
        resume: Option<&Checkpoint>,
    ) -> io::Result<Option<EntryWriter>> {
        fs::create_dir_all(&self.dir)?;
        crate::output::remove_stale_temps(&self.dir);
        let stem = key.stem(provider);
        let partial = self.path(&stem, "partial");
        let file = loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&partial)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
            // Another run may have committed (renamed) this very file
            // between our open and our lock: then the lock is on its
            // finished entry, which must not be truncated. Open again.
            if still_named(&file, &partial) {
                break file;
            }
        };
        let mut header = Header {
            catalog_cache: FORMAT_VERSION,
            provider: provider.to_owned(),
            key: key.clone(),
            fetched_at,
            models: 0,
            pages: 0,
            raw,
            response: None,
        };
        let bytes = match resume {
            Some(cp) => {
                file.set_len(cp.bytes)?;
                header.models = cp.models;
                header.pages = cp.pages;
                header.fetched_at = cp.fetched_at;
                cp.bytes
            }
            None => {
                file.set_len(0)?;
                let _ = fs::remove_file(self.path(&stem, "cursor"));
                (&file).write_all(&padded(b"{\"catalog_cache\":0}")?)?;
                HEADER_LEN as u64
            }
        };
        let mut file = file;
        file.seek(SeekFrom::Start(bytes))?;
        Ok(Some(EntryWriter {
            out: BufWriter::with_capacity(256 * 1024, file),
            partial,
            cursor: self.path(&stem, "cursor"),
            entry: self.path(&stem, "ndjson"),
            header,
            bytes,
            line: Vec::with_capacity(1024),
        }))
    }
}

/// The buffer entries are read through. A resumed harvest reads its
/// checkpoint's ids and replays its records while its first pages come in,
/// so two of these are alive at its busiest moment; the kernel reads ahead
/// of a sequential reader whatever the buffer's size.
const READ_BUF: usize = 64 * 1024;

fn padded(json: &[u8]) -> io::Result<Vec<u8>> {
    if json.len() >= HEADER_LEN {
        return Err(io::Error::other("cache header too long"));
    }
    let mut line = json.to_vec();
    line.resize(HEADER_LEN - 1, b' ');
    line.push(b'\n');
    Ok(line)
}

fn read_entry(path: &Path) -> io::Result<Entry> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut first = vec![0; HEADER_LEN];
    file.read_exact(&mut first)
        .map_err(|_| io::Error::other("truncated header"))?;
    let header: Header = serde_json::from_slice(first.trim_ascii_end())
        .map_err(|e| io::Error::other(format!("unreadable header: {e}")))?;
    if header.catalog_cache != FORMAT_VERSION {
        return Err(io::Error::other(format!(
            "format version {} (this catalog writes {FORMAT_VERSION})",
            header.catalog_cache
        )));
    }
    Ok(Entry {
        path: path.to_path_buf(),
        header,
        size,
    })
}

fn read_records<F>(path: &Path, up_to: Option<u64>, keep_raw: bool, each: F) -> io::Result<()>
where
    F: FnMut(Record) -> io::Result<()>,
{
    let file = File::open(path)?;
    let len = up_to.unwrap_or(u64::MAX);
    records_from(
        BufReader::with_capacity(READ_BUF, file.take(len)),
        path,
        keep_raw,
        each,
    )
}

/// The records of an entry's text (its header line first).
fn records_from<F>(reader: impl BufRead, path: &Path, keep_raw: bool, mut each: F) -> io::Result<()>
where
    F: FnMut(Record) -> io::Result<()>,
{
    each_line(reader, |line| {
        let mut record: Record = serde_json::from_slice(line).map_err(|e| corrupt(path, &e))?;
        if !keep_raw {
            record.raw = None;
        }
        each(record)
    })
}

/// Each record line of an entry's text, its header line skipped.
fn each_line(mut reader: impl BufRead, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?; // the header
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        each(&line)?;
    }
}

fn corrupt(path: &Path, e: &serde_json::Error) -> io::Error {
    io::Error::other(format!("corrupt cache record in {}: {e}", path.display()))
}

/// Whether `path` still names the open `file` (the same inode).
fn still_named(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// The provider and extension of a file named like one of this tool's
/// entries: `<provider>-<16 hex digits>.<ndjson|partial|cursor>`.
fn entry_name(name: &str) -> Option<(&str, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "ndjson" | "partial" | "cursor") {
        return None;
    }
    let (provider, hash) = stem.rsplit_once('-')?;
    let hex = hash.len() == 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && !provider.is_empty()).then_some((provider, ext))
}

/// Whether the file begins with an entry header.
fn starts_with_header(path: &Path) -> bool {
    let mut head = [0u8; 17];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"{\"catalog_cache\":")
}

/// Writes one entry; see the module docs.
#[derive(Debug)]
pub struct EntryWriter {
    out: BufWriter<File>,
    partial: PathBuf,
    cursor: PathBuf,
    entry: PathBuf,
    header: Header,
    bytes: u64,
    line: Vec<u8>,
}

impl EntryWriter {
    /// Appends one page of records; with `next`, the page is a checkpoint
    /// that `--resume` can continue from.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_page(&mut self, records: &[Record], next: Option<&str>) -> io::Result<()> {
        self.write_pages(records, next, 1)
    }

    /// [`EntryWriter::write_page`] for the records of `pages` consecutive pages.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_pages<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Record>,
        next: Option<&str>,
        pages: u64,
    ) -> io::Result<()> {
        for r in records {
            self.line.clear();
            crate::json::write_record(&mut self.line, r, &crate::record::Field::ALL, true);
            self.line.push(b'\n');
            self.out.write_all(&self.line)?;
            self.bytes += self.line.len() as u64;
            self.header.models += 1;
        }
        self.header.pages += pages;
        if let Some(next) = next {
            // Handing the bytes to the OS is enough for a killed process; the
            // cursor names only bytes already written.
            self.out.flush()?;
            let cp = Checkpoint {
                next: next.to_owned(),
                pages: self.header.pages,
                models: self.header.models,
                bytes: self.bytes,
                fetched_at: self.header.fetched_at,
                raw: self.header.raw,
                key: Some(self.header.key.clone()),
            };
            let dir = self.cursor.parent().unwrap_or(Path::new("."));
            // Named like the tool's other temporary files, so that one left
            // by a killed run is cleaned up by the next.
            let name = self
                .cursor
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("cursor");
            let mut tmp = crate::output::temp_named(dir, name)?;
            serde_json::to_writer(&mut tmp, &cp)?;
            tmp.persist(&self.cursor).map_err(|e| e.error)?;
        }
        Ok(())
    }

    /// Appends records that are not a page of their own (merged from an
    /// older entry by an incremental harvest).
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_records(&mut self, records: &[Record]) -> io::Result<()> {
        self.write_pages(records, None, 0)
    }

    /// Reads back the records written so far, in order (complete lines
    /// only: a write that failed half-way left nothing of its record).
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn read_back<F>(&mut self, keep_raw: bool, each: F) -> io::Result<()>
    where
        F: FnMut(Record) -> io::Result<()>,
    {
        // On a full disk the flush fails: what did not reach the file is
        // still in the buffer, and the two together are every line written.
        let _ = self.out.flush();
        let on_disk = File::open(&self.partial)?;
        let pending = self.out.buffer().to_vec();
        let text = io::Read::chain(on_disk, io::Cursor::new(pending)).take(self.bytes);
        records_from(BufReader::new(text), &self.partial, keep_raw, each)
    }

    /// What the response that filled this entry said (kept in its header).
    pub fn set_response(&mut self, response: Option<Fingerprint>) {
        self.header.response = response.map(Box::new);
    }

    /// Makes the entry the provider's cached copy, replacing the previous one.
    ///
    /// # Errors
    /// I/O errors; the previous entry is then left as it was.
    pub fn commit(mut self, pages: u64) -> io::Result<Entry> {
        self.header.pages = pages;
        self.out.flush()?;
        let mut file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.set_len(self.bytes)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&padded(&serde_json::to_vec(&self.header)?)?)?;
        file.sync_all()?;
        fs::rename(&self.partial, &self.entry)?;
        let _ = fs::remove_file(&self.cursor);
        Ok(Entry {
            path: self.entry,
            header: self.header,
            size: self.bytes,
        })
    }

    /// Gives up: keeps the checkpoint when there is one (for `--resume`),
    /// else removes the partial file.
    pub fn abandon(self) {
        let resumable = self.cursor.exists();
        drop(self.out);
        if !resumable {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The race a second run could lose: it opened the `.partial` of a
    // harvest that then committed it (renamed it to `.ndjson`); its lock
    // would then be on the committed entry, which it must not truncate.
    #[test]
    fn a_partial_renamed_after_it_was_opened_is_not_written_into() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("hug-0123456789abcdef.partial");
        let opened = File::create(&partial).unwrap();
        assert!(still_named(&opened, &partial));
        fs::rename(&partial, dir.path().join("hug-0123456789abcdef.ndjson")).unwrap();
        assert!(!still_named(&opened, &partial), "the path no longer exists");
        let _new = File::create(&partial).unwrap();
        assert!(!still_named(&opened, &partial), "the path names another file");
    }
    use std::sync::Arc;

    fn record(id: &str) -> Record {
        Record::new(
            Arc::from("hug"),
            id.to_owned(),
            Arc::from("https://h.test/api/models"),
            Timestamp(100),
        )
    }

    fn key() -> Key {
        Key::new(
            "https://h.test/api/models".into(),
            Some(10),
            Some(2),
            &HubFilters::default(),
        )
    }

    fn ids(cache: &Cache, entry: &Entry) -> Vec<String> {
        let mut ids = Vec::new();
        cache
            .read(entry, false, |r| {
                ids.push(r.id.to_string());
                Ok(())
            })
            .unwrap();
        ids
    }

    #[test]
    fn a_committed_entry_reads_back_with_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let mut w = cache
            .writer("hug", &key(), Timestamp(100), false, None)
            .unwrap()
            .unwrap();
        w.write_page(&[record("a/1"), record("a/2")], Some("https://h.test/next"))
            .unwrap();
        w.write_page(&[record("a/3")], None).unwrap();
        let entry = w.commit(2).unwrap();
        let found = cache.lookup("hug", &key()).unwrap();
        assert_eq!((found.header.models, found.header.pages), (3, 2));
        assert_eq!(found.header.fetched_at, Timestamp(100));
        assert_eq!(ids(&cache, &entry), ["a/1", "a/2", "a/3"]);
        assert!(
            cache.checkpoint("hug", &key()).is_none(),
            "a finished harvest leaves no checkpoint"
        );
        let other = Key::new(
            "https://h.test/api/models".into(),
            Some(11),
            Some(2),
            &HubFilters::default(),
        );
        assert!(
            cache.lookup("hug", &other).is_none(),
            "another limit is another entry"
        );
    }

    #[test]
    fn an_abandoned_harvest_keeps_the_previous_entry_and_its_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let mut w = cache
            .writer("hug", &key(), Timestamp(100), false, None)
            .unwrap()
            .unwrap();
        w.write_page(&[record("old/1")], None).unwrap();
        w.commit(1).unwrap();

        let mut w = cache
            .writer("hug", &key(), Timestamp(200), false, None)
            .unwrap()
            .unwrap();
        w.write_page(&[record("new/1"), record("new/2")], Some("https://h.test/p2"))
            .unwrap();
        w.abandon();
        let entry = cache.lookup("hug", &key()).unwrap();
        assert_eq!(ids(&cache, &entry), ["old/1"]);
        let cp = cache.checkpoint("hug", &key()).unwrap();
        assert_eq!(
            (cp.next.as_str(), cp.pages, cp.models, cp.fetched_at),
            ("https://h.test/p2", 1, 2, Timestamp(200))
        );

        // Resuming continues the partial file where the checkpoint says.
        let mut w = cache
            .writer("hug", &key(), Timestamp(300), false, Some(&cp))
            .unwrap()
            .unwrap();
        w.write_page(&[record("new/3")], None).unwrap();
        let entry = w.commit(2).unwrap();
        assert_eq!(ids(&cache, &entry), ["new/1", "new/2", "new/3"]);
        assert_eq!(entry.header.fetched_at, Timestamp(200));
    }

    #[test]
    fn checkpoints_are_listed_with_their_key_while_their_records_are_there() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let mut w = cache
            .writer("hug", &key(), Timestamp(100), false, None)
            .unwrap()
            .unwrap();
        w.write_page(&[record("a/1"), record("a/2")], Some("https://h.test/p2"))
            .unwrap();
        w.abandon();
        let kept = cache.checkpoints();
        assert_eq!(kept.len(), 1);
        let k = &kept[0];
        assert_eq!(
            (k.provider.as_str(), k.checkpoint.pages, k.checkpoint.models),
            ("hug", 1, 2)
        );
        assert_eq!(k.checkpoint.key.as_ref(), Some(&key()));
        assert_eq!(k.path, dir.path().join(format!("{}.partial", key().stem("hug"))));
        // A partial entry shorter than its checkpoint says is no checkpoint.
        let f = OpenOptions::new().write(true).open(&k.path).unwrap();
        f.set_len(k.checkpoint.bytes - 1).unwrap();
        assert!(cache.checkpoints().is_empty());
        assert!(cache.checkpoint("hug", &key()).is_none());
    }

    #[test]
    fn corrupt_and_old_entries_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let path = dir.path().join(format!("{}.ndjson", key().stem("hug")));
        fs::write(&path, "garbage").unwrap();
        assert!(cache.lookup("hug", &key()).is_none());
        let old = serde_json::json!({"catalog_cache": 0, "provider": "hug", "key": key(), "fetched_at": "2026-01-01T00:00:00Z", "models": 1, "pages": 1, "raw": false});
        fs::write(&path, padded(old.to_string().as_bytes()).unwrap()).unwrap();
        assert!(cache.lookup("hug", &key()).is_none());
        assert!(cache.list().is_empty());
    }

    #[test]
    fn clear_removes_one_providers_files_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        for p in ["hug", "groq"] {
            let mut w = cache
                .writer(p, &key(), Timestamp(1), false, None)
                .unwrap()
                .unwrap();
            w.write_page(&[record("x/1")], None).unwrap();
            w.commit(1).unwrap();
        }
        assert_eq!(cache.clear(Some("hug")).unwrap(), 1);
        assert_eq!(cache.list().len(), 1);
        assert_eq!(cache.clear(None).unwrap(), 1);
        assert!(cache.list().is_empty());
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("1 hour").is_err() && parse_duration("-1h").is_err());
    }

    #[test]
    fn an_entry_keeps_its_responses_validators_and_hash_and_older_entries_have_none() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let fingerprint = Fingerprint {
            validators: Validators {
                etag: Some("W/\"a27-vndQfbspAL31/eKATEOf36LyR8k\"".into()),
                last_modified: Some("Tue, 01 Dec 2026 09:12:00 GMT".into()),
            },
            body_sha256: sha256_hex(b"{\"data\":[]}"),
            since: Timestamp(100),
            parser: parser_id("spec"),
        };
        let mut w = cache
            .writer("groq", &key(), Timestamp(200), false, None)
            .unwrap()
            .unwrap();
        w.write_page(&[record("a/1")], None).unwrap();
        w.set_response(Some(fingerprint.clone()));
        w.commit(1).unwrap();
        let found = cache.lookup("groq", &key()).unwrap();
        assert_eq!(found.header.response.as_deref(), Some(&fingerprint));
        assert_eq!(found.header.fetched_at, Timestamp(200));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(parser_id("spec"), parser_id("another spec"));

        // A header written before validators were kept still reads.
        let old = serde_json::json!({"catalog_cache": FORMAT_VERSION, "provider": "groq", "key": key(), "fetched_at": "2026-01-01T00:00:00Z", "models": 0, "pages": 1, "raw": false});
        fs::write(&found.path, padded(old.to_string().as_bytes()).unwrap()).unwrap();
        let found = cache.lookup("groq", &key()).unwrap();
        assert_eq!(found.header.response, None);
    }
}
