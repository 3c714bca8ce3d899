//! Records written as JSON text by hand.
//!
//! This is the hot path of every harvest: each model is written once to the
//! output and once to the cache. Going through serde's data model costs a
//! call per key, per value and per string piece; here a record is appended to
//! a byte buffer in one pass. The bytes are exactly what `serde_json` writes
//! for [`Record`]'s `Serialize` views ([`Record::selected`],
//! [`Record::cache_form`]), which stay the reference: the tests below compare
//! the two on records full of quotes, control characters and non-ASCII text.

use crate::escape::string;
use crate::record::{CanonicalBy, Field, Price, PriceOther, Record, Timestamp, PADDED_KEY};

/// Appends `r` as one JSON object: the fields `fields` in that order, then
/// `raw` when the record has it, then `last_modified` when `modified` (the
/// cache form).
pub(crate) fn write_record(out: &mut Vec<u8>, r: &Record, fields: &[Field], modified: bool) {
    write_object::<true>(out, r, fields, true, modified);
}

/// Appends the fields `fields` of `r`, in that order, as one JSON object and
/// nothing else (no `raw`): the bytes `serde_json` writes for
/// [`Record::selected`] of the record without its `raw`. The reference of
/// [`write_fields_without_nulls`].
#[cfg(test)]
pub(crate) fn write_fields(out: &mut Vec<u8>, r: &Record, fields: &[Field]) {
    write_object::<true>(out, r, fields, false, false);
}

/// [`write_fields`] without the members whose value is `null`: the form a
/// version's attributes are stored in. The bytes are [`write_fields`]'s with
/// those members cut (the tests below), written in one pass instead of
/// written whole and cut in a second.
pub(crate) fn write_fields_without_nulls(out: &mut Vec<u8>, r: &Record, fields: &[Field]) {
    write_object::<false>(out, r, fields, false, false);
}

/// `NULLS`: whether members whose value is `null` are written.
fn write_object<const NULLS: bool>(
    out: &mut Vec<u8>,
    r: &Record,
    fields: &[Field],
    with_raw: bool,
    modified: bool,
) {
    out.push(b'{');
    let mut first = true;
    for &field in fields {
        let (member, was_first) = (out.len(), first);
        field_key(out, &mut first, field);
        let value = out.len();
        match field {
            Field::Provider => string(out, &r.provider),
            Field::Id => string(out, &r.id),
            Field::Name => opt_string(out, r.name.as_deref()),
            Field::OwnedBy => opt_string(out, r.owned_by.as_deref()),
            Field::Created => opt_time(out, r.created),
            Field::ContextLength => opt_u64(out, r.context_length),
            Field::MaxOutputTokens => opt_u64(out, r.max_output_tokens),
            Field::InputModalities => out.extend_from_slice(r.input_modalities.as_json().as_bytes()),
            Field::OutputModalities => out.extend_from_slice(r.output_modalities.as_json().as_bytes()),
            Field::Task => opt_string(out, r.task.as_deref()),
            Field::PriceInput => opt_price(out, r.price_input),
            Field::PriceOutput => opt_price(out, r.price_output),
            Field::PriceCacheRead => opt_price(out, r.price_cache_read),
            Field::HuggingFaceId => opt_string(out, r.hugging_face_id.as_deref()),
            Field::Downloads => opt_u64(out, r.downloads),
            Field::Likes => opt_u64(out, r.likes),
            Field::Tags => out.extend_from_slice(r.tags.as_json().as_bytes()),
            Field::Source => string(out, &r.source),
            Field::FetchedAt => fetched_at(out, r.fetched_at),
            Field::PriceCacheWrite => opt_price(out, r.price_cache_write),
            Field::PriceOther => price_other(out, &r.price_other),
            Field::Capabilities => out.extend_from_slice(r.capabilities.as_json().as_bytes()),
            Field::Quantization => opt_string(out, r.quantization.as_deref()),
            Field::KnowledgeCutoff => opt_string(out, r.knowledge_cutoff.as_deref()),
            Field::ExpiresAt => opt_string(out, r.expires_at.as_deref()),
            Field::CanonicalId => opt_string(out, r.canonical_id.as_deref()),
            Field::CanonicalBy => opt_string(out, r.canonical_by.map(CanonicalBy::as_str)),
        }
        // Every writer puts an unknown value down as exactly `null`; a
        // string "null" has its quotes.
        if !NULLS && &out[value..] == b"null" {
            out.truncate(member);
            first = was_first;
        }
    }
    if let Some(raw) = r.raw.as_ref().filter(|_| with_raw) {
        key(out, &mut first, ",\"raw\":");
        out.extend_from_slice(raw.get().as_bytes());
    }
    if modified {
        key(out, &mut first, ",\"last_modified\":");
        opt_time(out, r.last_modified);
    }
    out.push(b'}');
}

fn price_other(out: &mut Vec<u8>, other: &PriceOther) {
    out.push(b'{');
    for (i, (unit, price)) in other.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Unit names are plain ASCII: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(unit.name().as_bytes());
        out.extend_from_slice(b"\":");
        opt_price(out, Some(price));
    }
    out.push(b'}');
}

/// A field's `,"name":` ([`Field::json_key`]), without the comma for the
/// object's first member. The other members' keys are copied as blocks of
/// a fixed size ([`Field::json_key_padded`]): 27 copies of a record's
/// keys through `memcpy` calls were 2.2 % of a Hub harvest's instructions.
fn field_key(out: &mut Vec<u8>, first: &mut bool, field: Field) {
    if *first {
        key(out, first, field.json_key());
        return;
    }
    let (padded, len) = field.json_key_padded();
    out.reserve(PADDED_KEY);
    let at = out.len();
    // SAFETY: `reserve` made room for PADDED_KEY bytes past the length;
    // all of them are written before the length grows, by `len` of them
    // (at most PADDED_KEY, checked when the table was built).
    unsafe {
        std::ptr::copy_nonoverlapping(padded.as_ptr(), out.as_mut_ptr().add(at), PADDED_KEY);
        out.set_len(at + len);
    }
}

/// A member's `,"name":` ([`Field::json_key`]'s form), without the comma
/// for the object's first member.
fn key(out: &mut Vec<u8>, first: &mut bool, key: &str) {
    let key = key.as_bytes();
    out.extend_from_slice(if *first { &key[1..] } else { key });
    *first = false;
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"null");
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => null(out),
    }
}

fn opt_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        None => null(out),
    }
}

fn opt_price(out: &mut Vec<u8>, p: Option<Price>) {
    match p {
        // Rare next to strings; serde_json keeps the number format identical.
        Some(p) => serde_json::to_writer(&mut *out, &p).expect("writing to a Vec cannot fail"),
        None => null(out),
    }
}

fn opt_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    match t {
        Some(t) => time(out, t),
        None => null(out),
    }
}

/// [`time`] for `fetched_at`, which is the same in every record of a run:
/// its text is kept from the record before (a third of the timestamps
/// written, each one's digits worked out again).
fn fetched_at(out: &mut Vec<u8>, t: Timestamp) {
    thread_local! {
        static LAST: std::cell::Cell<Option<(Timestamp, [u8; 20])>> = const { std::cell::Cell::new(None) };
    }
    let text = match LAST.get() {
        Some((last, text)) if last == t => Some(text),
        _ => t.rfc3339().inspect(|text| LAST.set(Some((t, *text)))),
    };
    time_as(out, t, text);
}

fn time(out: &mut Vec<u8>, t: Timestamp) {
    time_as(out, t, t.rfc3339());
}

/// `t`, given its [`Timestamp::rfc3339`] text.
fn time_as(out: &mut Vec<u8>, t: Timestamp, text: Option<[u8; 20]>) {
    match text {
        Some(bytes) => {
            out.push(b'"');
            out.extend_from_slice(&bytes);
            out.push(b'"');
        }
        // Years outside 0..=9999: the general path.
        None => serde_json::to_writer(&mut *out, &t).expect("writing to a Vec cannot fail"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::value::RawValue;

    use super::*;
    use crate::record::CompactString;

    /// Text that exercises every escaping rule, at every offset in a word.
    fn nasty(rng: &mut fastrand::Rng) -> String {
        const PIECES: &[&str] = &[
            "a", "model-7b", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}", "\u{7f}",
            "é", "模型", "😀", "/", "<", "'", " ",
        ];
        let n = rng.usize(0..24);
        (0..n).map(|_| PIECES[rng.usize(..PIECES.len())]).collect()
    }

    fn random_record(rng: &mut fastrand::Rng) -> Record {
        let mut r = Record::new(
            Arc::from(nasty(rng)),
            nasty(rng),
            Arc::from(nasty(rng)),
            Timestamp(rng.i64(-100_000_000_000..300_000_000_000)),
        );
        let text = |rng: &mut fastrand::Rng| rng.bool().then(|| CompactString::from(nasty(rng)));
        let list = |rng: &mut fastrand::Rng| (0..rng.usize(0..4)).map(|_| nasty(rng)).collect();
        let num = |rng: &mut fastrand::Rng| rng.bool().then(|| rng.u64(..));
        let price = |rng: &mut fastrand::Rng| {
            rng.bool()
                .then(|| Price::from_f64(rng.f64() * 10f64.powi(rng.i32(-9..7)), 0))
                .flatten()
        };
        r.name = text(rng);
        r.owned_by = text(rng);
        r.created = rng
            .bool()
            .then(|| Timestamp(rng.i64(-1_000_000_000_000..1_000_000_000_000)));
        r.context_length = num(rng);
        r.max_output_tokens = num(rng);
        r.input_modalities = list(rng);
        r.output_modalities = list(rng);
        r.task = text(rng);
        r.price_input = price(rng);
        r.price_output = price(rng);
        r.price_cache_read = price(rng);
        r.hugging_face_id = text(rng);
        r.downloads = num(rng);
        r.likes = num(rng);
        r.tags = list(rng);
        r.price_cache_write = price(rng);
        for unit in crate::record::Unit::ALL {
            if rng.u8(..4) == 0 {
                r.price_other.set(unit, price(rng));
            }
        }
        r.capabilities = list(rng);
        r.quantization = text(rng);
        r.knowledge_cutoff = text(rng);
        r.expires_at = text(rng);
        r.last_modified = rng.bool().then(|| Timestamp(rng.i64(0..2_000_000_000)));
        if rng.u8(..4) == 0 {
            let raw = serde_json::json!({"id": nasty(rng), "n": rng.u32(..)}).to_string();
            r.raw = Some(RawValue::from_string(raw).unwrap());
        }
        r
    }

    #[test]
    fn hand_written_json_equals_serde_json_for_every_view() {
        let mut rng = fastrand::Rng::with_seed(7);
        let subsets: [&[Field]; 4] = [
            &Field::ALL,
            &[Field::Id, Field::Provider],
            &[Field::Tags, Field::Created, Field::PriceInput, Field::FetchedAt],
            &[],
        ];
        for _ in 0..3000 {
            let r = random_record(&mut rng);
            for fields in subsets {
                let mut fast = Vec::new();
                write_record(&mut fast, &r, fields, false);
                let reference = serde_json::to_vec(&r.selected(fields)).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&reference)
                );
            }
            let mut bare = r.clone();
            bare.raw = None;
            let mut fast = Vec::new();
            write_fields(&mut fast, &r, &Field::ALL);
            assert_eq!(fast, serde_json::to_vec(&bare.selected(&Field::ALL)).unwrap());
            let mut fast = Vec::new();
            write_record(&mut fast, &r, &Field::ALL, true);
            assert_eq!(fast, serde_json::to_vec(&r.cache_form()).unwrap());
        }
    }

    #[test]
    fn fields_without_nulls_are_the_fields_with_their_null_members_cut() {
        let mut rng = fastrand::Rng::with_seed(11);
        // The second list starts with fields that may be null, for the
        // comma of a first member cut.
        let lists: [&[Field]; 2] = [
            &Field::ALL,
            &[Field::Name, Field::Task, Field::Id, Field::Quantization],
        ];
        let mut cut_first = 0;
        for _ in 0..3000 {
            let r = random_record(&mut rng);
            for fields in lists {
                let mut full = Vec::new();
                write_fields(&mut full, &r, fields);
                // The reference: serde_json's members, in order, but for
                // those whose value is null, written again by serde_json.
                let members: indexmap::IndexMap<String, Box<RawValue>> =
                    serde_json::from_slice(&full).unwrap();
                let kept: indexmap::IndexMap<&String, &RawValue> = members
                    .iter()
                    .filter(|(_, v)| v.get() != "null")
                    .map(|(k, v)| (k, &**v))
                    .collect();
                if members.first().is_some_and(|(_, v)| v.get() == "null") {
                    cut_first += 1;
                }
                let mut cut = b"[".to_vec();
                write_fields_without_nulls(&mut cut, &r, fields);
                assert_eq!(cut[0], b'[', "appended after what the buffer held");
                assert_eq!(
                    String::from_utf8_lossy(&cut[1..]),
                    serde_json::to_string(&kept).unwrap()
                );
            }
        }
        assert!(cut_first > 1000, "{cut_first}");
    }
}
