//! The fast path for Hub listing pages: a scanner that reads the fields the
//! adapter uses straight from the page, without serde's visitor machinery.
//!
//! It takes the plain form the Hub sends (valid UTF-8, strings without
//! escapes, well-typed fields, valid JSON). A model it cannot take (an
//! escape in one of its strings, say: one in 2,000 of the bench's, which at
//! pages of 1000 was four pages in ten) is read by serde_json alone, as the
//! reference reads each model of a page it splits. Anything serde_json
//! would not take either, or a page that is not valid JSON, gives up,
//! returning `None`; the page then goes through serde_json, which stays the
//! reference. A test checks that both read the same records from pages of
//! every shape, and that the Hub's own pages take this path.

use std::borrow::Cow;

use super::Model;
use crate::record::{CompactString, StrList};

/// Nesting the scanner follows in fields it skips (serde_json's limit too).
const MAX_DEPTH: u32 = 128;

/// Calls `each` with every model of a bare-array page, in order, and returns
/// how many there were; `None` when the page needs the general parser (the
/// models already handed over must then be dropped).
pub(super) fn models<'a>(body: &'a [u8], mut each: impl FnMut(Model<'a>)) -> Option<usize> {
    let body = crate::providers::strip_bom(body);
    let text = std::str::from_utf8(body).ok()?;
    let mut s = Scan {
        text,
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    s.eat(b'[')?;
    s.ws();
    let mut n = 0;
    if s.peek()? == b']' {
        s.i += 1;
    } else {
        loop {
            let at = s.i;
            match s.model() {
                Some(m) => each(m),
                None => {
                    // serde_json reads this model on its own, from its
                    // bytes; a model it refuses too leaves the whole page to
                    // the reference, which counts it as skipped.
                    s.i = at;
                    s.skip(0, true)?;
                    each(serde_json::from_str(&text[at..s.i]).ok()?);
                }
            }
            n += 1;
            s.ws();
            match s.next()? {
                b',' => s.ws(),
                b']' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    (s.i == s.b.len()).then_some(n)
}

struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn is_null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    /// A string without escapes, borrowed (`None` at an escape).
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + crate::escape::first_special(&self.b[start..]);
        // The run ends at the closing quote, or at a control character (not
        // allowed in JSON text) or the end of the page.
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        // SAFETY: `start` follows an ASCII quote and `end` is at one (within
        // the text: `get` found it), so both are character boundaries. The
        // checked slice tested both again for every string of the page
        // (2 % of a Hub harvest's instructions).
        Some(unsafe { self.text.get_unchecked(start..end) })
    }

    fn opt_string(&mut self) -> Option<Option<&'a str>> {
        if self.is_null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A non-negative integer that fits `u64`, as serde reads into one.
    fn opt_u64(&mut self) -> Option<Option<u64>> {
        if self.is_null() {
            return Some(None);
        }
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let digits = self.i - start;
        let leading_zero = digits > 1 && self.b[start] == b'0';
        if digits == 0 || leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(Some(n))
    }

    /// An array of strings already in the form a [`StrList`] keeps (no
    /// whitespace; strings without escapes), or null.
    fn opt_list(&mut self) -> Option<StrList> {
        if self.is_null() {
            return Some(StrList::new());
        }
        let start = self.i;
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
        } else {
            loop {
                self.string()?;
                match self.next()? {
                    b',' => {}
                    b']' => break,
                    _ => return None,
                }
            }
        }
        // SAFETY: the list starts at `[` and ends after `]`, ASCII bytes
        // both, within the text: character boundaries.
        Some(StrList::from_canonical(unsafe {
            self.text.get_unchecked(start..self.i)
        }))
    }

    fn model(&mut self) -> Option<Model<'a>> {
        self.eat(b'{')?;
        self.ws();
        let mut id = None;
        let mut m = Model {
            id: CompactString::default(),
            author: None,
            created_at: None,
            last_modified: None,
            downloads: None,
            likes: None,
            tags: StrList::new(),
            pipeline_tag: None,
        };
        let mut seen = 0u8;
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                let key = self.string()?;
                self.ws();
                self.eat(b':')?;
                self.ws();
                // The key is matched once: its bit says which field it is
                // (a second match on the text cost a dozen comparisons more
                // for each of an item's keys).
                let bit: u8 = match key {
                    "id" => 1,
                    "author" => 2,
                    "createdAt" => 4,
                    "lastModified" => 8,
                    "downloads" => 16,
                    "likes" => 32,
                    "tags" => 64,
                    "pipeline_tag" => 128,
                    _ => 0,
                };
                // serde rejects a field given twice; so does this path.
                if seen & bit != 0 {
                    return None;
                }
                seen |= bit;
                match bit {
                    1 => id = Some(CompactString::from(self.string()?)),
                    2 => m.author = self.opt_string()?.map(CompactString::from),
                    4 => m.created_at = self.opt_string()?.map(Cow::Borrowed),
                    8 => m.last_modified = self.opt_string()?.map(Cow::Borrowed),
                    16 => m.downloads = self.opt_u64()?,
                    32 => m.likes = self.opt_u64()?,
                    64 => m.tags = self.opt_list()?,
                    128 => m.pipeline_tag = self.opt_string()?.map(CompactString::from),
                    _ => self.skip(0, false)?,
                }
                self.ws();
                match self.next()? {
                    b',' => self.ws(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        m.id = id?;
        Some(m)
    }

    /// A string, escapes and all, passed over (what they stand for is left
    /// to serde_json, which reads the model after).
    fn escaped_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let end = self.i + crate::escape::first_special(&self.b[self.i..]);
            match self.b.get(end)? {
                b'"' => {
                    self.i = end + 1;
                    return Some(());
                }
                // The escaped byte goes with its backslash (`\"` ends nothing).
                b'\\' => self.i = (end + 2).min(self.b.len()),
                // A control character: not allowed in a JSON string.
                _ => return None,
            }
        }
    }

    /// Skips any JSON value, checking it is well formed; with `escapes`,
    /// strings may hold escapes (checked by serde_json later, not here).
    fn skip(&mut self, depth: u32, escapes: bool) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let string = |s: &mut Self| {
            if escapes {
                s.escaped_string()
            } else {
                s.string().map(drop)
            }
        };
        match self.peek()? {
            b'"' => string(self),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            open @ (b'[' | b'{') => {
                self.i += 1;
                let close = if open == b'[' { b']' } else { b'}' };
                self.ws();
                if self.peek()? == close {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        string(self)?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.skip(depth + 1, escapes)?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let digits = |s: &mut Self| {
            let start = s.i;
            while s.peek().is_some_and(|c| c.is_ascii_digit()) {
                s.i += 1;
            }
            s.i - start
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            (digits(self) > 0).then_some(())?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            (digits(self) > 0).then_some(())?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{parse_items, to_record};
    use super::*;
    use crate::providers::ParsedPage;

    fn fast(body: &[u8]) -> Option<ParsedPage> {
        let ctx = ctx();
        let mut page = ParsedPage::default();
        models(body, |m| page.add(to_record(m, &ctx)))?;
        Some(page)
    }

    /// Each record in its full cache form, to compare pages field by field.
    fn lines(page: &ParsedPage) -> Vec<String> {
        page.records
            .iter()
            .map(|r| serde_json::to_string(&r.cache_form()).unwrap())
            .collect()
    }

    #[test]
    fn the_hubs_own_pages_take_the_fast_path() {
        let body = include_bytes!("../../../tests/fixtures/hf-list-default.json");
        let page = fast(body).expect("a real Hub page takes the fast path");
        let reference = parse_items(body, &ctx(), to_record).unwrap();
        assert_eq!(page.records.len(), 2);
        assert_eq!(lines(&page), lines(&reference));
    }

    #[test]
    fn a_model_with_an_escape_keeps_its_page_on_the_fast_path_and_reads_as_serde_reads_it() {
        // The first real model with a tag holding an escaped quote and one
        // a \u escape: before, the whole page went to serde_json.
        let real =
            std::str::from_utf8(include_bytes!("../../../tests/fixtures/hf-list-default.json")).unwrap();
        let body = real.replacen("\"custom_code\"", "\"say \\\"hi\\\"\",\"caf\\u00e9\"", 1);
        assert_ne!(body, real);
        let page = fast(body.as_bytes()).expect("the page stays on the fast path");
        let reference = parse_items(body.as_bytes(), &ctx(), to_record).unwrap();
        assert_eq!(lines(&page), lines(&reference));
        assert_eq!(page.records.len(), 2);
        let tags: Vec<String> = page.records[0].tags.iter().map(|t| t.into_owned()).collect();
        assert_eq!(tags[5..7], ["say \"hi\"", "café"], "{tags:?}");
        // The second model is the real one, untouched.
        assert_eq!(page.records[1].id, "MiniMaxAI/MiniMax-M2");
    }

    /// A random Hub-like page: known fields of every type (and wrong types),
    /// unknown nested fields, nulls, whitespace, repeats, escapes, non-ASCII.
    fn page(rng: &mut fastrand::Rng) -> String {
        let ws = |rng: &mut fastrand::Rng| if rng.u8(..8) == 0 { " \n\t" } else { "" };
        let word = |rng: &mut fastrand::Rng| {
            const W: &[&str] = &[
                "org/model-7b",
                "a",
                "",
                "é",
                "模型/x",
                "text-generation",
                "q\\\"uote",
                "tab\\t",
            ];
            W[rng.usize(..W.len())].to_owned()
        };
        let string = |rng: &mut fastrand::Rng| format!("\"{}\"", word(rng));
        let number = |rng: &mut fastrand::Rng| {
            const N: &[&str] = &[
                "0",
                "7",
                "123456",
                "-3",
                "1.5",
                "2e3",
                "18446744073709551616",
                "00",
                "0.0",
            ];
            N[rng.usize(..N.len())].to_owned()
        };
        let mut items = Vec::new();
        for _ in 0..rng.usize(0..6) {
            let mut fields: Vec<String> = Vec::new();
            let mut add = |rng: &mut fastrand::Rng, key: &str, value: String| {
                fields.push(format!("{}\"{key}\"{}:{}{value}", ws(rng), ws(rng), ws(rng)));
            };
            if rng.u8(..10) > 0 {
                let id = match rng.u8(..12) {
                    0 => "null".to_owned(),
                    1 => number(rng),
                    _ => string(rng),
                };
                add(rng, "id", id);
            }
            let opt =
                |rng: &mut fastrand::Rng, v: String| if rng.u8(..6) == 0 { "null".to_owned() } else { v };
            for key in ["author", "pipeline_tag", "library_name", "_id", "modelId"] {
                if rng.bool() {
                    let v = if rng.u8(..15) == 0 {
                        number(rng)
                    } else {
                        string(rng)
                    };
                    let v = opt(rng, v);
                    add(rng, key, v);
                }
            }
            for key in ["createdAt", "lastModified"] {
                if rng.bool() {
                    const D: &[&str] = &[
                        "\"2025-11-04T08:25:31.000Z\"",
                        "\"2024-07-23T02:00:00+02:00\"",
                        "\"soon\"",
                    ];
                    let date = D[rng.usize(..D.len())].to_owned();
                    let v = opt(rng, date);
                    add(rng, key, v);
                }
            }
            for key in ["downloads", "likes", "trendingScore"] {
                if rng.bool() {
                    let v = if rng.u8(..15) == 0 {
                        string(rng)
                    } else {
                        number(rng)
                    };
                    let v = opt(rng, v);
                    add(rng, key, v);
                }
            }
            if rng.bool() {
                let v = match rng.u8(..10) {
                    0 => "null".to_owned(),
                    1 => "[1]".to_owned(),
                    2 => "[]".to_owned(),
                    _ => {
                        let tags: Vec<String> = (0..rng.usize(1..5)).map(|_| string(rng)).collect();
                        format!("[{}]", tags.join(&format!(",{}", ws(rng))))
                    }
                };
                add(rng, "tags", v);
            }
            if rng.u8(..4) == 0 {
                let nested = format!(
                    "{{\"a\":[1,{{\"b\":null}},true,false,-0.5e-3],\"c\":{},\"d\":{{}}}}",
                    string(rng)
                );
                add(rng, "cardData", nested);
            }
            if rng.u8(..20) == 0 {
                // A field given twice.
                let v = string(rng);
                add(rng, "id", v);
            }
            rng.shuffle(&mut fields);
            items.push(format!("{{{}}}", fields.join(",")));
        }
        let mut page = format!("{}[{}]{}", ws(rng), items.join(","), ws(rng));
        if rng.u8(..30) == 0 {
            let mut half = page.len() / 2;
            while !page.is_char_boundary(half) {
                half -= 1;
            }
            page.truncate(half);
        }
        page
    }

    #[test]
    fn fast_path_reads_exactly_what_serde_reads_or_steps_aside() {
        let mut rng = fastrand::Rng::with_seed(11);
        let (mut taken, mut declined) = (0, 0);
        for _ in 0..20_000 {
            let body = page(&mut rng);
            let Some(page) = fast(body.as_bytes()) else {
                declined += 1;
                continue;
            };
            taken += 1;
            let reference = parse_items(body.as_bytes(), &ctx(), to_record)
                .unwrap_or_else(|e| panic!("serde refuses what the fast path took: {e}\n{body}"));
            assert_eq!(
                (page.items, page.skipped),
                (reference.items, reference.skipped),
                "{body}"
            );
            assert_eq!(lines(&page), lines(&reference), "{body}");
        }
        // Both branches are exercised, not just one.
        assert!(
            taken > 2_000 && declined > 2_000,
            "taken {taken}, declined {declined}"
        );
    }
}
