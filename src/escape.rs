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
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    first_special(bytes) < bytes.len()
}

/// The index of the first byte that is `"`, `\` or below 0x20 (the end of a
/// JSON string's plain run), or `bytes.len()`; eight bytes at a time.
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
    fn the_first_special_byte_is_found_at_any_offset() {
        for len in 0..40 {
            let plain = "é".repeat(len / 2) + &"a".repeat(len % 2);
            assert_eq!(first_special(plain.as_bytes()), plain.len());
            for at in 0..=plain.len() {
                if !plain.is_char_boundary(at) {
                    continue;
                }
                for special in ["\"", "\\", "\n", "\u{1f}"] {
                    let text = format!("{}{special}{}", &plain[..at], &plain[at..]);
                    assert_eq!(first_special(text.as_bytes()), at, "{text:?}");
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
