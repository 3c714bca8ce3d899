//! Writing records: JSON, NDJSON or CSV, to stdout or atomically to a file.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::UsageError;
use crate::record::{Field, Record};
use crate::reserve::Reserving;

/// A writer that must be finished to be complete (a gzip stream writes its
/// trailer then).
pub trait Finish: Write {
    /// Flushes and completes the stream.
    ///
    /// # Errors
    /// I/O errors.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

impl Finish for fs::File {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

impl Finish for io::Stdout {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

impl<W: Write> Finish for flate2::write::GzEncoder<W> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        (*self).finish()?.flush()
    }
}

impl Finish for Reserving {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

/// Wraps `inner` in gzip when `gzip`.
#[must_use]
pub(crate) fn maybe_gzip<W: Finish + Send + 'static>(inner: W, gzip: bool) -> Box<dyn Finish + Send> {
    if gzip {
        // Level 6 and no timestamp in the header: identical input gives
        // identical bytes.
        Box::new(
            flate2::GzBuilder::new()
                .mtime(0)
                .write(inner, flate2::Compression::default()),
        )
    } else {
        Box::new(inner)
    }
}

/// A data format: the one type behind `-f`, `defaults.format` in the config
/// file, `-o` extensions and snapshot file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// The file extension this tool writes the format with.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }

    /// Infers the format from a file name (`.json`, `.ndjson`, `.jsonl`,
    /// `.csv`, each optionally followed by `.gz`).
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        match Path::new(name).extension()?.to_str()? {
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Where the data goes.
#[derive(Debug)]
pub enum Destination {
    /// Standard output.
    Stdout,
    /// A file, replaced atomically when the run completes.
    File(PathBuf),
}

/// An open destination: stdout, or a temporary file beside the target that
/// is renamed over it by [`Sink::commit`]. Dropping an uncommitted sink
/// removes the temporary file, so the previous file stays intact.
#[derive(Debug)]
pub enum Sink {
    /// Standard output.
    Stdout(io::Stdout),
    /// The temporary file and the final path.
    File {
        /// The temporary file in the target's directory.
        temp: NamedTempFile,
        /// Where it goes on commit.
        path: PathBuf,
    },
    /// A device, a FIFO or a terminal, written as it is: nothing to rename
    /// over, and replacing it would destroy it.
    Through(fs::File),
}

impl Destination {
    /// Opens the destination. For a file this creates the temporary file at
    /// once, so an unwritable directory is reported before any request.
    ///
    /// # Errors
    /// A [`UsageError`] naming the path and the problem.
    pub fn open(&self) -> Result<Sink, UsageError> {
        match self {
            Destination::Stdout => Ok(Sink::Stdout(io::stdout())),
            Destination::File(given) => {
                // Checked on the path as given: `/dev/stdout` is a link into
                // /proc whose target is no path at all.
                if let Some(through) = write_through(given)? {
                    return Ok(Sink::Through(through));
                }
                let path = &resolve_links(given);
                if path.is_dir() {
                    return Err(UsageError::new(format!(
                        "output {} is a directory; give a file name",
                        path.display()
                    )));
                }
                let name = path
                    .file_name()
                    .ok_or_else(|| UsageError::new(format!("output {} has no file name", path.display())))?;
                let dir = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if !dir.is_dir() {
                    return Err(UsageError::new(format!(
                        "output directory {} does not exist; create it first",
                        dir.display()
                    )));
                }
                let temp = temp_in(&dir, &name.to_string_lossy())
                    .map_err(|e| UsageError::new(format!("cannot write to {}: {e}", dir.display())))?;
                Ok(Sink::File {
                    temp,
                    path: path.clone(),
                })
            }
        }
    }
}

impl Sink {
    /// A writer into the sink (for a file, a second handle of the temporary
    /// file, gzip-compressed when the name ends in `.gz`).
    ///
    /// # Errors
    /// When the file handle cannot be duplicated.
    pub fn writer(&self) -> io::Result<Box<dyn Finish + Send>> {
        Ok(match self {
            Sink::Stdout(_) => Box::new(io::stdout()),
            Sink::File { temp, path } => {
                let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
                maybe_gzip(Reserving::new(temp.as_file().try_clone()?), gz)
            }
            Sink::Through(file) => Box::new(file.try_clone()?),
        })
    }

    /// The file a commit would replace, when there is one (not stdout, not a
    /// device).
    pub(crate) fn replaces(&self) -> Option<&Path> {
        match self {
            Sink::File { path, .. } => path.is_file().then_some(path.as_path()),
            _ => None,
        }
    }

    /// Makes the output visible: flushes stdout, or syncs the temporary file
    /// and renames it over the target.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut s) => s.flush().map_err(Into::into),
            Sink::File { temp, path } => publish(temp, &path, true),
            Sink::Through(mut f) => f.flush().map_err(Into::into),
        }
    }
}

/// The file a path names once symbolic links are followed (a link is
/// replaced through, never replaced itself); a dangling link names the file
/// it points to.
fn resolve_links(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // A bound: a loop of links is no file.
    for _ in 0..40 {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            break;
        };
        if !meta.file_type().is_symlink() {
            break;
        }
        let Ok(target) = fs::read_link(&path) else { break };
        path = match path.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    path
}

/// An existing path that is not a regular file (a character or block
/// device, a FIFO, a socket): opened to be written as it is.
fn write_through(path: &Path) -> Result<Option<fs::File>, UsageError> {
    let Ok(meta) = fs::metadata(path) else {
        return Ok(None);
    };
    if meta.is_file() || meta.is_dir() {
        return Ok(None);
    }
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map(Some)
        .map_err(|e| UsageError::new(format!("cannot write to {}: {e}", path.display())))
}

/// Suffix of every temporary file this tool writes beside its outputs.
const TEMP_SUFFIX: &str = ".catalog-tmp";

/// A temporary file in `dir` named `.<name>.<pid>.<random>.catalog-tmp`.
/// Temporary files left by runs that were killed (their process is gone) are
/// removed first, so they never accumulate.
///
/// # Errors
/// When the directory is not writable.
pub(crate) fn temp_in(dir: &Path, name: &str) -> io::Result<NamedTempFile> {
    remove_stale_temps(dir);
    temp_named(dir, name)
}

/// [`temp_in`] without the clean-up, for a file made again and again (a
/// checkpoint on every page).
pub(crate) fn temp_named(dir: &Path, name: &str) -> io::Result<NamedTempFile> {
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.{}.", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    // Held while the run lives (the kernel drops it when the process ends,
    // however it ends): what tells another run, perhaps in another PID
    // namespace on a shared volume, that this file is in use. A file system
    // without locks still works, with the PID and age checks alone.
    let _ = temp.as_file().try_lock();
    Ok(temp)
}

/// Removes the temporary files of runs that are gone (see [`temp_in`]).
pub(crate) fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with('.') || !name.ends_with(TEMP_SUFFIX) {
            continue;
        }
        // `.<name>.<pid>.<random>.catalog-tmp`: the pid is the field before the random part.
        let fields: Vec<&str> = name.trim_end_matches(TEMP_SUFFIX).rsplit('.').collect();
        let pid = fields.get(1).and_then(|p| p.parse::<u32>().ok());
        let stale = match pid {
            Some(pid) if Path::new("/proc/self").exists() => {
                pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
            }
            // Without /proc, only a day's age tells a dead run's file.
            _ => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400),
        };
        // A live run holds a lock on its file: its PID may be absent here
        // only because it runs in another PID namespace.
        let held = fs::File::open(entry.path())
            .map(|f| matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)))
            .unwrap_or(false);
        if stale && !held {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a finished temporary file visible at `path` (replacing it, or
/// failing if it exists when `replace` is false), with the permissions a new
/// file would have rather than the temporary file's private 0600.
///
/// # Errors
/// I/O errors, with the path.
pub(crate) fn publish(temp: NamedTempFile, path: &Path, replace: bool) -> anyhow::Result<()> {
    use anyhow::Context as _;
    crate::reserve::give_back(temp.as_file());
    temp.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        let _ = fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode));
    }
    if replace {
        temp.persist(path)
            .with_context(|| format!("replacing {}", path.display()))?;
    } else {
        temp.persist_noclobber(path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Serializes records one at a time in the chosen format.
pub(crate) struct RecordWriter<W: Write> {
    format: Format,
    /// JSON and NDJSON: records are appended to `buf`, which goes out in
    /// writes of [`RecordWriter::CHUNK`] bytes (no second copy through a
    /// `BufWriter`).
    out: Option<W>,
    csv: Option<csv::Writer<BufWriter<W>>>,
    written: u64,
    /// The fields written, in order.
    fields: Vec<Field>,
    /// A last column that is no record field (`compare`'s `cost`): its name.
    extra: Option<&'static str>,
    started: bool,
    csv_safe: bool,
    /// JSON and NDJSON text not yet handed to `out`.
    buf: Vec<u8>,
}

impl RecordWriter<Box<dyn Finish + Send>> {
    /// Finishes the records and then the stream under them (a gzip trailer).
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn close(self) -> io::Result<()> {
        self.finish()?.finish()
    }
}

impl<W: Write> RecordWriter<W> {
    /// A writer of every field. Nothing is written before the first record
    /// or [`RecordWriter::finish`].
    pub(crate) fn new(format: Format, inner: W) -> Self {
        let (out, csv) = match format {
            Format::Csv => (
                None,
                Some(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(Self::CHUNK, inner))),
            ),
            _ => (Some(inner), None),
        };
        RecordWriter {
            format,
            out,
            csv,
            written: 0,
            fields: Field::ALL.to_vec(),
            extra: None,
            started: false,
            csv_safe: false,
            buf: match format {
                Format::Csv => Vec::new(),
                // Room for a chunk and the record that completes it.
                _ => Vec::with_capacity(Self::CHUNK + 4096),
            },
        }
    }

    /// Bytes handed to the inner writer at a time.
    const CHUNK: usize = 64 * 1024;

    /// CSV cells that a spreadsheet would run as a formula (starting with
    /// `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'`.
    #[must_use]
    pub(crate) fn csv_safe(mut self, on: bool) -> Self {
        self.csv_safe = on;
        self
    }

    /// Writes only these fields, in this order.
    #[must_use]
    pub(crate) fn with_fields(mut self, fields: Vec<Field>) -> Self {
        self.fields = fields;
        self
    }

    /// Adds a last column of this name, whose values [`RecordWriter::write_with`]
    /// is given: a figure about the record that is not one of its fields.
    #[must_use]
    pub(crate) fn with_extra(mut self, name: &'static str) -> Self {
        self.extra = Some(name);
        self
    }

    /// Leaves out `fetched_at` (snapshot files, whose name holds the time):
    /// unchanged data then gives byte-identical files.
    #[must_use]
    pub(crate) fn without_fetched_at(mut self) -> Self {
        self.fields.retain(|&f| f != Field::FetchedAt);
        self
    }

    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        match (self.format, &mut self.out, &mut self.csv) {
            (Format::Json, Some(_), _) => {
                self.buf.push(b'[');
                Ok(())
            }
            (Format::Csv, _, Some(csv)) => csv
                .write_record(self.fields.iter().map(|f| f.name()).chain(self.extra))
                .map_err(csv_io),
            _ => Ok(()),
        }
    }

    /// Writes one record.
    ///
    /// # Errors
    /// I/O errors (a closed pipe is `BrokenPipe`).
    pub(crate) fn write(&mut self, record: &Record) -> io::Result<()> {
        self.write_with(record, None)
    }

    /// Writes one record and, with [`RecordWriter::with_extra`], the last
    /// column's value (a JSON number; `None` is `null`, an empty CSV cell).
    ///
    /// # Errors
    /// I/O errors (a closed pipe is `BrokenPipe`).
    pub(crate) fn write_with(&mut self, record: &Record, extra: Option<&str>) -> io::Result<()> {
        if !self.started {
            self.start()?;
        }
        match (self.format, &mut self.out, &mut self.csv) {
            (Format::Json | Format::Ndjson, Some(out), _) => {
                let buf = &mut self.buf;
                if self.format == Format::Json {
                    buf.extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
                }
                crate::json::write_record(buf, record, &self.fields, false);
                if let Some(name) = self.extra {
                    // Inside the object: its closing brace goes after.
                    buf.pop();
                    buf.extend_from_slice(if self.fields.is_empty() { b"\"" } else { b",\"" });
                    buf.extend_from_slice(name.as_bytes());
                    buf.extend_from_slice(b"\":");
                    buf.extend_from_slice(extra.unwrap_or("null").as_bytes());
                    buf.push(b'}');
                }
                if self.format == Format::Ndjson {
                    buf.push(b'\n');
                }
                if buf.len() >= Self::CHUNK {
                    out.write_all(buf)?;
                    buf.clear();
                }
            }
            (Format::Csv, _, Some(csv)) => {
                let csv_safe = self.csv_safe;
                let last = self.extra.map(|_| extra.unwrap_or_default().to_owned());
                csv.write_record(
                    self.fields
                        .iter()
                        .map(|&f| {
                            let mut cell = csv_cell(record, f);
                            if csv_safe && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                                cell.insert(0, '\'');
                            }
                            cell
                        })
                        .chain(last),
                )
                .map_err(csv_io)?;
            }
            _ => unreachable!("writer built for its format"),
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the output (the JSON `]`), flushes, and hands back the writer.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if !self.started {
            self.start()?;
        }
        if let Some(mut out) = self.out.take() {
            if self.format == Format::Json {
                self.buf
                    .extend_from_slice(if self.written == 0 { b"]\n" } else { b"\n]\n" });
            }
            out.write_all(&self.buf)?;
            return Ok(out);
        }
        let csv = self.csv.take().expect("a CSV writer when there is no other");
        let inner = csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
        inner.into_inner().map_err(io::IntoInnerError::into_error)
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn csv_cell(r: &Record, field: Field) -> String {
    fn opt<T: ToString>(v: Option<&T>) -> String {
        v.map(ToString::to_string).unwrap_or_default()
    }
    match field {
        Field::Provider => r.provider.to_string(),
        Field::Id => r.id.to_string(),
        Field::Name => opt(r.name.as_ref()),
        Field::OwnedBy => opt(r.owned_by.as_ref()),
        Field::Created => opt(r.created.as_ref()),
        Field::ContextLength => opt(r.context_length.as_ref()),
        Field::MaxOutputTokens => opt(r.max_output_tokens.as_ref()),
        Field::InputModalities => r.input_modalities.join(";"),
        Field::OutputModalities => r.output_modalities.join(";"),
        Field::Task => opt(r.task.as_ref()),
        Field::PriceInput => opt(r.price_input.as_ref()),
        Field::PriceOutput => opt(r.price_output.as_ref()),
        Field::PriceCacheRead => opt(r.price_cache_read.as_ref()),
        Field::HuggingFaceId => opt(r.hugging_face_id.as_ref()),
        Field::Downloads => opt(r.downloads.as_ref()),
        Field::Likes => opt(r.likes.as_ref()),
        Field::Tags => r.tags.join(";"),
        Field::Source => r.source.to_string(),
        Field::FetchedAt => r.fetched_at.to_string(),
        Field::PriceCacheWrite => opt(r.price_cache_write.as_ref()),
        Field::PriceOther => r.price_other.to_string(),
        Field::Capabilities => r.capabilities.join(";"),
        Field::Quantization => opt(r.quantization.as_ref()),
        Field::KnowledgeCutoff => opt(r.knowledge_cutoff.as_ref()),
        Field::ExpiresAt => opt(r.expires_at.as_ref()),
        Field::CanonicalId => opt(r.canonical_id.as_ref()),
        Field::CanonicalBy => opt(r.canonical_by.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Price, Timestamp, FIELDS};
    use std::sync::Arc;

    fn record(id: &str) -> Record {
        let mut r = Record::new(
            Arc::from("p"),
            id.to_owned(),
            Arc::from("https://x.test/m"),
            Timestamp(0),
        );
        r.price_input = Price::from_decimal("0.00000045", 6);
        r.input_modalities = ["text", "image"].into_iter().collect();
        r
    }

    fn render(format: Format, records: &[Record]) -> String {
        let mut buf = Vec::new();
        let mut w = RecordWriter::new(format, &mut buf);
        for r in records {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn empty_json_output_is_an_empty_array() {
        assert_eq!(render(Format::Json, &[]), "[]\n");
    }

    #[test]
    fn csv_quotes_commas_quotes_and_keeps_unicode() {
        let text = render(Format::Csv, &[record("a,\"b\"/ü")]);
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), FIELDS);
        let row = rd.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "a,\"b\"/ü");
        assert_eq!(&row[7], "text;image");
        assert_eq!(&row[10], "0.45");
        assert_eq!(&row[11], "");
    }

    #[test]
    fn csv_safe_defuses_formula_cells_only_when_asked() {
        let mut r = record("=HYPERLINK(\"http://x\")");
        r.name = Some("@SUM(A1)".into());
        let plain = render(Format::Csv, std::slice::from_ref(&r));
        assert!(plain.contains(",\"=HYPERLINK(\"\"http://x\"\")\","), "{plain}");
        let mut buf = Vec::new();
        let mut w = RecordWriter::new(Format::Csv, &mut buf).csv_safe(true);
        w.write(&r).unwrap();
        w.finish().unwrap();
        let mut rd = csv::Reader::from_reader(&buf[..]);
        let row = rd.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&row[2], "'@SUM(A1)");
        assert_eq!(&row[0], "p");
    }

    #[test]
    fn an_extra_column_follows_the_fields_in_every_format() {
        let r = record("x");
        let write = |format: Format| {
            let mut buf = Vec::new();
            let mut w = RecordWriter::new(format, &mut buf)
                .with_fields(vec![Field::Id, Field::PriceInput])
                .with_extra("cost");
            w.write_with(&r, Some("0.748")).unwrap();
            w.write_with(&r, None).unwrap();
            w.finish().unwrap();
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(
            write(Format::Ndjson),
            "{\"id\":\"x\",\"price_input\":0.45,\"cost\":0.748}\n{\"id\":\"x\",\"price_input\":0.45,\"cost\":null}\n"
        );
        assert_eq!(write(Format::Csv), "id,price_input,cost\nx,0.45,0.748\nx,0.45,\n");
        let json: serde_json::Value = serde_json::from_str(&write(Format::Json)).unwrap();
        assert_eq!(json[0]["cost"], 0.748);
    }

    #[test]
    fn json_fields_come_in_schema_order() {
        let text = render(Format::Ndjson, &[record("x")]);
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text.trim())
                .unwrap()
                .keys()
                .cloned()
                .collect();
        // serde_json's Map is sorted unless preserve_order is on; compare as sets
        // and check the raw text order separately.
        assert_eq!(keys.len(), FIELDS.len());
        let mut last = 0;
        for f in FIELDS {
            let at = text.find(&format!("\"{f}\":")).unwrap();
            assert!(at >= last, "{f} out of order");
            last = at;
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_output_reserves_blocks_ahead_only_on_ext4_and_keeps_none_past_its_end() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let sink = Destination::File(path.clone()).open().unwrap();
        let mut w = sink.writer().unwrap();
        let piece = vec![b'x'; 64 * 1024];
        for _ in 0..20 {
            w.write_all(&piece).unwrap();
        }
        w.finish().unwrap();
        let len = 20 * 64 * 1024;
        let Sink::File { temp, .. } = &sink else {
            panic!("a file sink")
        };
        let ext4 = crate::reserve::is_ext4(temp.as_file());
        let held = temp.as_file().metadata().unwrap().blocks() * 512;
        if ext4 {
            // 1 MiB, then 1 MiB more once the first was full.
            assert_eq!(held, 2 << 20, "blocks held while writing on ext4");
        } else {
            assert!(held <= len + (64 << 10), "{held} bytes held for {len} written");
        }
        sink.commit().unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), len);
        assert!(
            meta.blocks() * 512 <= len + (64 << 10),
            "{} bytes kept for {len} (ext4: {ext4})",
            meta.blocks() * 512
        );
        assert_eq!(fs::read(&path).unwrap(), piece.repeat(20));
    }
}
