//! The SQLite backend's staging area: one provider's records of this run,
//! spilled as version rows to an anonymous temporary file while the harvest
//! runs, and read back once, in order of id, by the transaction that applies
//! them; their ids, in listing order, go to a second file for the order.
//!
//! A file of our own rather than a temporary table: the table was a second
//! B-tree of every row (and an index on its id) written page by page through
//! SQLite's small page cache, then read back in random order; at 50,000 Hub
//! models that was most of a first sync's cost. A file costs a buffered
//! write and read, and takes no lock on the database however long the
//! harvest.
//!
//! In order of id because the indexes the rows go into are keyed by id: a
//! listing in its own order (the Hub's by downloads) inserts into them at
//! random, and once they outgrow the page cache every insert spills a dirty
//! page and reads an evicted one back. Rows are sorted in runs of
//! [`RUN_BYTES`] as they come, and the runs merged when read.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::os::unix::fs::FileExt as _;

use super::Staged;

/// A staged record, read back (borrowing the reader's buffer), its texts
/// as `S`: `&str` from [`Rows::next_row`], which checks them, and the same
/// bytes unchecked from [`decode_raw`], for binding a row read before.
pub(super) struct RowOf<S> {
    /// Its place in the listing (0 first).
    pub seq: u64,
    pub model_id: S,
    pub hash: i64,
    pub name: Option<S>,
    pub owned_by: Option<S>,
    pub task: Option<S>,
    pub hugging_face_id: Option<S>,
    pub context_length: Option<i64>,
    pub max_output_tokens: Option<i64>,
    pub price_input: Option<f64>,
    pub price_output: Option<f64>,
    pub price_cache_read: Option<f64>,
    pub price_cache_write: Option<f64>,
    pub quantization: Option<S>,
    pub knowledge_cutoff: Option<S>,
    pub expires_at: Option<S>,
    pub attrs: S,
    pub downloads: Option<i64>,
    pub likes: Option<i64>,
}

/// A row read by [`Rows::next_row`]: its texts checked as UTF-8.
pub(super) type Row<'a> = RowOf<&'a str>;

/// A row's texts as the bytes staged, for a row [`Rows::next_row`] has
/// checked already: the attributes are most of a row, and they were
/// checked again when the row was bound (`from_utf8` was 6.9 % of a first
/// sync's apply).
pub(super) type RawRow<'a> = RowOf<&'a [u8]>;

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How many bytes of rows are sorted in memory at a time: about 750 Hub
/// models. A 50,000-model listing is some 70 runs, read back through a
/// 4 KiB buffer each (a 2,200,000-model one some 3,000: 12 MiB of buffers).
const RUN_BYTES: usize = 1 << 19;

/// The writing side, between `begin_stage` and `commit_fetch`.
pub(super) struct Spill {
    out: BufWriter<File>,
    /// Where the runs written so far end in `out`.
    runs: Vec<u64>,
    written: u64,
    /// The current run: its rows, one after the other, and where each is.
    run: Vec<u8>,
    rows: Vec<(u32, u32)>,
    /// The ids in listing order.
    order: BufWriter<File>,
    seq: u64,
}

impl Spill {
    pub(super) fn new() -> io::Result<Spill> {
        Ok(Spill {
            out: BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?),
            runs: Vec::new(),
            written: 0,
            run: Vec::new(),
            rows: Vec::new(),
            order: BufWriter::with_capacity(16 * 1024, tempfile::tempfile()?),
            seq: 0,
        })
    }

    pub(super) fn push(&mut self, s: &Staged<'_>) -> io::Result<()> {
        let r = s.record;
        let price = |p: Option<crate::record::Price>| p.map(crate::record::Price::usd_per_million);
        let start = self.run.len();
        let b = &mut self.run;
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&self.seq.to_le_bytes());
        put_str(b, r.id.as_str());
        // The hash, filled in once the attributes are written below.
        let hash_at = b.len();
        b.extend_from_slice(&[0; 8]);
        put_opt_str(b, r.name.as_deref());
        put_opt_str(b, r.owned_by.as_deref());
        put_opt_str(b, r.task.as_deref());
        put_opt_str(b, r.hugging_face_id.as_deref());
        put_opt_int(b, r.context_length.map(int));
        put_opt_int(b, r.max_output_tokens.map(int));
        put_opt_f64(b, price(r.price_input));
        put_opt_f64(b, price(r.price_output));
        put_opt_f64(b, price(r.price_cache_read));
        put_opt_f64(b, price(r.price_cache_write));
        put_opt_str(b, r.quantization.as_deref());
        put_opt_str(b, r.knowledge_cutoff.as_deref());
        put_opt_str(b, r.expires_at.as_deref());
        let at = b.len();
        b.extend_from_slice(&[0; 4]);
        let hash = s.write_attrs(b);
        let n =
            u32::try_from(b.len() - at - 4).map_err(|_| io::Error::other("a staged record over 4 GiB"))?;
        b[at..at + 4].copy_from_slice(&n.to_le_bytes());
        b[hash_at..hash_at + 8].copy_from_slice(&hash.to_le_bytes());
        put_opt_int(b, r.downloads.map(int));
        put_opt_int(b, r.likes.map(int));
        let len =
            u32::try_from(b.len() - start - 4).map_err(|_| io::Error::other("a staged record over 4 GiB"))?;
        b[start..start + 4].copy_from_slice(&len.to_le_bytes());
        let at = u32::try_from(start).map_err(|_| io::Error::other("a staging run over 4 GiB"))?;
        self.rows.push((at, len + 4));
        let id = r.id.as_str();
        self.order
            .write_all(&u32::try_from(id.len()).unwrap_or(u32::MAX).to_le_bytes())?;
        self.order.write_all(id.as_bytes())?;
        self.seq += 1;
        if self.run.len() >= RUN_BYTES {
            self.flush_run()?;
        }
        Ok(())
    }

    /// Writes the current run, its rows in order of id (then of listing:
    /// the sort is stable).
    fn flush_run(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let run = &self.run;
        let id = |&(at, _): &(u32, u32)| {
            let at = at as usize + 4 + 8;
            let n = u32::from_le_bytes(run[at..at + 4].try_into().unwrap_or_default()) as usize;
            &run[at + 4..at + 4 + n]
        };
        self.rows.sort_by(|a, b| id(a).cmp(id(b)));
        for &(at, len) in &self.rows {
            self.out.write_all(&run[at as usize..(at + len) as usize])?;
            self.written += u64::from(len);
        }
        self.runs.push(self.written);
        self.run.clear();
        self.rows.clear();
        Ok(())
    }

    /// The rows written, in order of id, and the listing's ids.
    pub(super) fn into_reader(mut self) -> io::Result<(Rows, Order)> {
        self.flush_run()?;
        let file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        let mut order = self.order.into_inner().map_err(io::IntoInnerError::into_error)?;
        order.rewind()?;
        let mut starts = vec![0];
        starts.extend(self.runs.iter().copied());
        let mut runs = Vec::with_capacity(self.runs.len());
        let mut heap = BinaryHeap::with_capacity(self.runs.len());
        for (i, (&start, &end)) in starts.iter().zip(&self.runs).enumerate() {
            let mut run = Run {
                pos: start,
                end,
                buf: vec![0; 4096],
                lo: 0,
                hi: 0,
                row: Vec::new(),
            };
            if run.advance(&file)? {
                heap.push(Reverse((run.id()?.to_vec(), i)));
            }
            runs.push(run);
        }
        Ok((
            Rows {
                file,
                runs,
                heap,
                last: None,
            },
            Order {
                input: BufReader::with_capacity(16 * 1024, order),
                buf: Vec::new(),
            },
        ))
    }
}

/// One sorted run being read back, 4 KiB at a time.
struct Run {
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    lo: usize,
    hi: usize,
    /// Its current row.
    row: Vec<u8>,
}

impl Run {
    fn take(&mut self, file: &File, mut n: usize, out: &mut Vec<u8>) -> io::Result<()> {
        while n > 0 {
            if self.lo == self.hi {
                let want = usize::try_from(self.end - self.pos)
                    .unwrap_or(usize::MAX)
                    .min(self.buf.len());
                if want == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a truncated staging run",
                    ));
                }
                file.read_exact_at(&mut self.buf[..want], self.pos)?;
                self.pos += want as u64;
                (self.lo, self.hi) = (0, want);
            }
            let k = n.min(self.hi - self.lo);
            out.extend_from_slice(&self.buf[self.lo..self.lo + k]);
            self.lo += k;
            n -= k;
        }
        Ok(())
    }

    /// Reads the next row; `false` at the run's end.
    fn advance(&mut self, file: &File) -> io::Result<bool> {
        if self.lo == self.hi && self.pos == self.end {
            return Ok(false);
        }
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        self.take(file, 4, &mut row)?;
        let n = u32::from_le_bytes(row[..4].try_into().unwrap_or_default()) as usize;
        row.clear();
        self.take(file, n, &mut row)?;
        self.row = row;
        Ok(true)
    }

    /// Its current row's id, as bytes: they order as the text does, and
    /// the row is checked when it is handed out.
    fn id(&self) -> io::Result<&[u8]> {
        let mut c = Cursor { b: &self.row, at: 8 };
        c.bytes()
    }
}

/// The reading side: one row at a time, in order of id.
pub(super) struct Rows {
    file: File,
    runs: Vec<Run>,
    heap: BinaryHeap<Reverse<(Vec<u8>, usize)>>,
    /// The run whose row was handed out last, to be advanced first, and the
    /// key it was popped with (its buffer, for that run's next key).
    last: Option<(usize, Vec<u8>)>,
}

impl Rows {
    /// The next row, or `None` at the end.
    pub(super) fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        if let Some((i, mut key)) = self.last.take() {
            if self.runs[i].advance(&self.file)? {
                key.clear();
                key.extend_from_slice(self.runs[i].id()?);
                self.heap.push(Reverse((key, i)));
            }
        }
        let Some(Reverse((key, i))) = self.heap.pop() else {
            return Ok(None);
        };
        self.last = Some((i, key));
        decode(&self.runs[i].row).map(Some)
    }

    /// The encoded bytes of the row [`Rows::next_row`] handed out last
    /// ([`decode`] reads them), to be kept past the next one.
    pub(super) fn raw(&self) -> &[u8] {
        self.last.as_ref().map_or(&[], |(i, _)| &self.runs[*i].row)
    }
}

/// The listing's ids in its order, as staged.
pub(super) struct Order {
    input: BufReader<File>,
    buf: Vec<u8>,
}

impl Order {
    /// Starts again from the first id.
    pub(super) fn rewind(&mut self) -> io::Result<()> {
        self.input.rewind()
    }

    /// The next id, or `None` at the end.
    pub(super) fn next_id(&mut self) -> io::Result<Option<&str>> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.buf)?;
        utf8(&self.buf).map(Some)
    }
}

/// A row's fields, each text made by `text` from its bytes.
fn decode_with<'a, S>(b: &'a [u8], text: impl Fn(&'a [u8]) -> io::Result<S>) -> io::Result<RowOf<S>> {
    let mut c = Cursor { b, at: 0 };
    let opt = |c: &mut Cursor<'a>| c.opt_bytes()?.map(&text).transpose();
    Ok(RowOf {
        seq: u64::try_from(c.i64()?).unwrap_or(0),
        model_id: text(c.bytes()?)?,
        hash: c.i64()?,
        name: opt(&mut c)?,
        owned_by: opt(&mut c)?,
        task: opt(&mut c)?,
        hugging_face_id: opt(&mut c)?,
        context_length: c.opt_int()?,
        max_output_tokens: c.opt_int()?,
        price_input: c.opt_f64()?,
        price_output: c.opt_f64()?,
        price_cache_read: c.opt_f64()?,
        price_cache_write: c.opt_f64()?,
        quantization: opt(&mut c)?,
        knowledge_cutoff: opt(&mut c)?,
        expires_at: opt(&mut c)?,
        attrs: text(c.bytes()?)?,
        downloads: c.opt_int()?,
        likes: c.opt_int()?,
    })
}

/// `b` as text, or the staged row is refused.
fn utf8(b: &[u8]) -> io::Result<&str> {
    std::str::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A row's fields, its texts checked.
fn decode(b: &[u8]) -> io::Result<Row<'_>> {
    decode_with(b, utf8)
}

/// A row's fields, its texts as they are: for the bytes of a row
/// [`Rows::next_row`] handed out ([`Rows::raw`]), checked then.
pub(super) fn decode_raw(b: &[u8]) -> io::Result<RawRow<'_>> {
    decode_with(b, Ok)
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    // Lengths as u32: a field of 4 GiB is refused by the row's own length.
    b.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

fn put_opt_str(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            b.push(1);
            put_str(b, s);
        }
        None => b.push(0),
    }
}

fn put_opt_int(b: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v.to_le_bytes());
        }
        None => b.push(0),
    }
}

fn put_opt_f64(b: &mut Vec<u8>, v: Option<f64>) {
    put_opt_int(b, v.map(|v| i64::from_le_bytes(v.to_le_bytes())));
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a truncated staged row"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn i64(&mut self) -> io::Result<i64> {
        let mut v = [0u8; 8];
        v.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(v))
    }

    fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let mut n = [0u8; 4];
        n.copy_from_slice(self.take(4)?);
        self.take(u32::from_le_bytes(n) as usize)
    }

    fn opt_bytes(&mut self) -> io::Result<Option<&'a [u8]>> {
        Ok(if self.byte()? == 0 {
            None
        } else {
            Some(self.bytes()?)
        })
    }

    fn opt_int(&mut self) -> io::Result<Option<i64>> {
        Ok(if self.byte()? == 0 {
            None
        } else {
            Some(self.i64()?)
        })
    }

    fn opt_f64(&mut self) -> io::Result<Option<f64>> {
        Ok(self.opt_int()?.map(|v| f64::from_le_bytes(v.to_le_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;

    fn record(json: &str) -> Record {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn staged_rows_read_back_by_id_first_listed_first_and_the_ids_in_listing_order() {
        let a = record(
            r#"{"provider":"groq","id":"whisper-large-v3","name":"Whisper","context_length":448,"price_input":0.111,"downloads":7}"#,
        );
        let b = record(r#"{"provider":"groq","id":"llama-3.3-70b-versatile","name":"Llama 3.3 70B"}"#);
        let again = record(r#"{"provider":"groq","id":"whisper-large-v3","name":"Whisper (again)"}"#);
        let mut spill = Spill::new().unwrap();
        for (i, r) in [&a, &b, &again].into_iter().enumerate() {
            spill.push(&Staged::new(r, i as u64)).unwrap();
        }
        let (mut rows, mut order) = spill.into_reader().unwrap();
        let first = rows.next_row().unwrap().unwrap();
        assert_eq!(
            (first.seq, first.model_id, first.name),
            (1, "llama-3.3-70b-versatile", Some("Llama 3.3 70B"))
        );
        assert_eq!(first.context_length, None);
        let second = rows.next_row().unwrap().unwrap();
        assert_eq!(
            (second.seq, second.model_id, second.name),
            (0, "whisper-large-v3", Some("Whisper"))
        );
        assert_eq!(second.context_length, Some(448));
        assert_eq!(second.price_input, Some(0.111));
        assert_eq!(second.downloads, Some(7));
        assert_eq!(second.likes, None);
        assert_eq!(second.hash, Staged::new(&a, 0).attrs().1);
        let third = rows.next_row().unwrap().unwrap();
        assert_eq!((third.seq, third.name), (2, Some("Whisper (again)")));
        assert!(rows.next_row().unwrap().is_none());
        for _ in 0..2 {
            let mut ids = Vec::new();
            while let Some(id) = order.next_id().unwrap() {
                ids.push(id.to_owned());
            }
            assert_eq!(
                ids,
                ["whisper-large-v3", "llama-3.3-70b-versatile", "whisper-large-v3"]
            );
            order.rewind().unwrap();
        }
    }

    #[test]
    fn many_runs_merge_into_one_order_of_id() {
        // Some 6 MiB of rows: several runs, each row read across 4 KiB buffers.
        let tags: Vec<String> = (0..200).map(|i| format!("\"tag-{i}\"")).collect();
        let tags = tags.join(",");
        let mut spill = Spill::new().unwrap();
        let n = 5_000u64;
        for i in 0..n {
            // Listed in an order that is not the ids'.
            let k = (i * 7919) % n;
            let r = record(&format!(
                r#"{{"provider":"hug","id":"org/model-{k:05}","tags":[{tags}]}}"#
            ));
            spill.push(&Staged::new(&r, i)).unwrap();
        }
        assert!(spill.runs.len() > 1, "{} runs", spill.runs.len());
        let (mut rows, _) = spill.into_reader().unwrap();
        let mut seen = 0u64;
        while let Some(r) = rows.next_row().unwrap() {
            assert_eq!(r.model_id, format!("org/model-{seen:05}"));
            assert!(r.attrs.contains("tag-199"));
            seen += 1;
        }
        assert_eq!(seen, n);
    }
}
