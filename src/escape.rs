//! JSON string escaping, byte for byte what `serde_json` writes.
//!
//! A leaf: the record's string lists, the JSON writer and the Hub scanner
//! all need it, and none of them may need each other for it.

/// A JSON string, escaped exactly as `serde_json` does: `"`, `\` and the
/// control characters below U+0020; everything else is copied as is.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape(bytes) {
        escape(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether any byte is `"`, `\` or below 0x20.
///
/// On x86-64 a string of sixteen bytes or more has its last few tested as
/// the last sixteen bytes again, overlapping: no copy of the tail, which
/// [`first_special`] makes (it stays as it is for the Hub scanner, which
/// reads on into the page and seldom gets there).
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(last) = bytes.len().checked_sub(16) {
        let mut at = 0;
        while at < last {
            // SAFETY: at + 16 <= last + 16 = bytes.len().
            if unsafe { specials(bytes.as_ptr().add(at)) } != 0 {
                return true;
            }
            at += 16;
        }
        // SAFETY: bytes[last..last + 16] is in the slice.
        return unsafe { specials(bytes.as_ptr().add(last)) } != 0;
    }
    first_special(bytes) < bytes.len()
}

/// The bytes of `block` (16 of them, read unaligned) that end a plain run,
/// one bit each. SAFETY of the callers: `block` points at 16 readable bytes.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::cast_possible_wrap, reason = "bytes as SSE2's signed lanes")]
unsafe fn specials(block: *const u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: the caller's; the intrinsics are SSE2, always there on x86-64.
    unsafe {
        let v = _mm_loadu_si128(block.cast::<__m128i>());
        // A byte is below 0x20 when the unsigned minimum with 0x1f is itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        #[allow(clippy::cast_sign_loss, reason = "a 16-bit mask")]
        let mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(control, quote), backslash)) as u32;
        mask
    }
}

/// The index of the first byte that is `"`, `\` or below 0x20 (the end of a
/// JSON string's plain run), or `bytes.len()`.
///
/// On x86-64, sixteen bytes at a time with SSE2 (part of every x86-64 CPU),
/// the last few through a zero-padded copy: most strings of a Hub page (tags,
/// ids, library names) are shorter than sixteen bytes and take one test, where
/// eight bytes at a time took a word test and then a loop over the rest
/// (the Hub scanner's string reads, this scan mostly, were 8 % of a Hub
/// harvest's CPU).
#[cfg(target_arch = "x86_64")]
pub(crate) fn first_special(bytes: &[u8]) -> usize {
    let mut at = 0;
    while at + 16 <= bytes.len() {
        // SAFETY: bytes[at..at + 16] is in the slice.
        let mask = unsafe { specials(bytes.as_ptr().add(at)) };
        if mask != 0 {
            return at + mask.trailing_zeros() as usize;
        }
        at += 16;
    }
    let rest = bytes.len() - at;
    if rest == 0 {
        return at;
    }
    let mut block = [0u8; 16];
    block[..rest].copy_from_slice(&bytes[at..]);
    // SAFETY: `block` is 16 bytes; the zeros past `rest` are masked off.
    let mask = unsafe { specials(block.as_ptr()) } & ((1u32 << rest) - 1);
    if mask == 0 {
        bytes.len()
    } else {
        at + mask.trailing_zeros() as usize
    }
}

/// [`first_special`] elsewhere: eight bytes at a time in a `u64`.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn first_special(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Exact tests on a whole word (Hacker's Delight / "bit twiddling hacks"):
    // some byte is zero, some byte is below n (n <= 128).
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let has_below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH != 0;
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if has_below(v, 0x20)
            || has_zero(v ^ (ONES * u64::from(b'"')))
            || has_zero(v ^ (ONES * u64::from(b'\\')))
        {
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| special(b))
        .unwrap_or(bytes.len() - at)
}

fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if short == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(short);
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_special_byte_is_found_and_told_at_any_offset() {
        for len in 0..40 {
            // Bytes at 0x80 and above (é), and the neighbours of the
            // specials (space, `!`, `#`, `[`, `]`, DEL), are plain.
            let plain = "é !#[]\u{7f}".repeat(len / 2) + &"a".repeat(len % 2);
            assert_eq!(first_special(plain.as_bytes()), plain.len());
            assert!(!needs_escape(plain.as_bytes()), "{plain:?}");
            for at in 0..=plain.len() {
                if !plain.is_char_boundary(at) {
                    continue;
                }
                for special in ["\"", "\\", "\n", "\u{1f}", "\u{0}"] {
                    let text = format!("{}{special}{}", &plain[..at], &plain[at..]);
                    assert_eq!(first_special(text.as_bytes()), at, "{text:?}");
                    assert!(needs_escape(text.as_bytes()), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for s in [
            "",
            "plain",
            "tab\there",
            "q\"uote",
            "back\\slash",
            "\u{0}\u{1f}\u{7f}",
            "12345678\"",
            "1234567\u{1f}",
            "é\n",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
