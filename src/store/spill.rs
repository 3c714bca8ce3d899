//! The SQLite backend's staging area: one provider's records of this run,
//! spilled as version rows to an anonymous temporary file while the harvest
//! runs, and read back once, in listing order, by the transaction that
//! applies them.
//!
//! A file of our own rather than a temporary table: the table was a second
//! B-tree of every row (and an index on its id) written page by page through
//! SQLite's small page cache, then read back in random order; at 50,000 Hub
//! models that was most of a first sync's cost. A sequential file costs a
//! buffered write and a buffered read, keeps nothing in memory, and takes no
//! lock on the database however long the harvest.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use super::Staged;

/// A staged record, read back (borrowing the reader's buffer).
pub(super) struct Row<'a> {
    pub model_id: &'a str,
    pub hash: i64,
    pub name: Option<&'a str>,
    pub owned_by: Option<&'a str>,
    pub task: Option<&'a str>,
    pub hugging_face_id: Option<&'a str>,
    pub context_length: Option<i64>,
    pub max_output_tokens: Option<i64>,
    pub price_input: Option<f64>,
    pub price_output: Option<f64>,
    pub price_cache_read: Option<f64>,
    pub price_cache_write: Option<f64>,
    pub quantization: Option<&'a str>,
    pub knowledge_cutoff: Option<&'a str>,
    pub expires_at: Option<&'a str>,
    pub attrs: &'a str,
    pub downloads: Option<i64>,
    pub likes: Option<i64>,
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The writing side, between `begin_stage` and `commit_fetch`.
pub(super) struct Spill {
    out: BufWriter<File>,
    row: Vec<u8>,
}

impl Spill {
    pub(super) fn new() -> io::Result<Spill> {
        Ok(Spill {
            out: BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?),
            row: Vec::with_capacity(1024),
        })
    }

    pub(super) fn push(&mut self, s: &Staged<'_>) -> io::Result<()> {
        let r = s.record;
        let price = |p: Option<crate::record::Price>| p.map(crate::record::Price::usd_per_million);
        let b = &mut self.row;
        b.clear();
        put_str(b, r.id.as_str());
        b.extend_from_slice(&s.hash.to_le_bytes());
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
        put_str(b, &s.attrs);
        put_opt_int(b, r.downloads.map(int));
        put_opt_int(b, r.likes.map(int));
        let len = u32::try_from(b.len()).map_err(|_| io::Error::other("a staged record over 4 GiB"))?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(b)?;
        Ok(())
    }

    /// The rows written, from the first.
    pub(super) fn into_reader(self) -> io::Result<Rows> {
        let mut file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.rewind()?;
        Ok(Rows {
            input: BufReader::with_capacity(64 * 1024, file),
            buf: Vec::with_capacity(1024),
        })
    }
}

/// The reading side: one row at a time, in the order staged.
pub(super) struct Rows {
    input: BufReader<File>,
    buf: Vec<u8>,
}

impl Rows {
    /// Starts again from the first row.
    pub(super) fn rewind(&mut self) -> io::Result<()> {
        self.input.rewind()
    }

    /// The next row, or `None` at the end.
    pub(super) fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.buf)?;
        let mut c = Cursor { b: &self.buf, at: 0 };
        Ok(Some(Row {
            model_id: c.str()?,
            hash: c.i64()?,
            name: c.opt_str()?,
            owned_by: c.opt_str()?,
            task: c.opt_str()?,
            hugging_face_id: c.opt_str()?,
            context_length: c.opt_int()?,
            max_output_tokens: c.opt_int()?,
            price_input: c.opt_f64()?,
            price_output: c.opt_f64()?,
            price_cache_read: c.opt_f64()?,
            price_cache_write: c.opt_f64()?,
            quantization: c.opt_str()?,
            knowledge_cutoff: c.opt_str()?,
            expires_at: c.opt_str()?,
            attrs: c.str()?,
            downloads: c.opt_int()?,
            likes: c.opt_int()?,
        }))
    }
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

    fn str(&mut self) -> io::Result<&'a str> {
        let mut n = [0u8; 4];
        n.copy_from_slice(self.take(4)?);
        let bytes = self.take(u32::from_le_bytes(n) as usize)?;
        std::str::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    fn opt_str(&mut self) -> io::Result<Option<&'a str>> {
        Ok(if self.byte()? == 0 {
            None
        } else {
            Some(self.str()?)
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

    #[test]
    fn a_staged_row_reads_back_as_written_in_order() {
        let mut a: Record = serde_json::from_str(
            r#"{"provider":"groq","id":"llama-3.3-70b-versatile","name":"Llama 3.3 70B","owned_by":"Meta",
                "context_length":131072,"price_input":0.59,"price_output":0.79,"downloads":7}"#,
        )
        .unwrap();
        let b: Record = serde_json::from_str(r#"{"provider":"groq","id":"whisper-large-v3"}"#).unwrap();
        a.likes = None;
        let mut spill = Spill::new().unwrap();
        for (i, r) in [&a, &b].into_iter().enumerate() {
            spill.push(&Staged::new(r, i as u64).unwrap()).unwrap();
        }
        let mut rows = spill.into_reader().unwrap();
        for _ in 0..2 {
            let first = rows.next_row().unwrap().unwrap();
            assert_eq!(first.model_id, "llama-3.3-70b-versatile");
            assert_eq!(first.name, Some("Llama 3.3 70B"));
            assert_eq!(first.context_length, Some(131_072));
            assert_eq!(first.price_input, Some(0.59));
            assert_eq!(first.price_cache_read, None);
            assert_eq!(first.downloads, Some(7));
            assert_eq!(first.likes, None);
            assert_eq!(first.hash, Staged::new(&a, 0).unwrap().hash);
            let second = rows.next_row().unwrap().unwrap();
            assert_eq!(second.model_id, "whisper-large-v3");
            assert_eq!(second.name, None);
            assert!(second.attrs.contains("\"whisper-large-v3\""));
            assert!(rows.next_row().unwrap().is_none());
            rows.rewind().unwrap();
        }
    }
}
