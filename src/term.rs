//! People-facing text: what goes to a terminal (or a summary line on stderr)
//! rather than into the data. Provider data must not drive the user's
//! terminal, so every table cell and summary line passes [`sanitize`].

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::cli::SummaryFormat;

/// Neutralizes control characters (ANSI escapes included) and the invisible
/// format characters that reorder or hide text (bidi overrides and isolates,
/// zero-width characters, line separators) in text meant for a terminal.
#[must_use]
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_format(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Unicode format characters a provider could use to make a model id look
/// like another on screen (U+202E turns `gpt-4o` around).
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Writes a line for people on stderr. A closed or broken stderr is ignored:
/// the data on stdout or in `-o` matters more than a message nobody reads,
/// and `eprintln!` would panic there.
///
/// The line and its newline go in one write: another process writing to
/// the same terminal (`| head`) can then put its lines before or after it,
/// never inside it.
pub(crate) fn say(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Aligns rows into columns two spaces apart; `right[i]` right-aligns column
/// `i`; the last column is left as it is. Control characters are neutralized
/// and trailing spaces trimmed.
pub(crate) fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols.saturating_sub(1))
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            match widths.get(i) {
                Some(&w) if right.get(i).copied().unwrap_or(false) => line.push_str(&format!("{cell:>w$}")),
                Some(&w) => line.push_str(&format!("{cell:<w$}")),
                None => line.push_str(cell),
            }
        }
        out.push_str(&sanitize(line.trim_end()));
        out.push('\n');
    }
    out
}

/// What a summary command (`count`, `providers`, `cache ls`) has to say, built
/// once: rows for people and one JSON value for scripts.
pub(crate) struct Summary {
    /// The header row first, then one row per item.
    pub(crate) rows: Vec<Vec<String>>,
    /// Which columns are right-aligned.
    pub(crate) right: &'static [bool],
    /// A line after the table (e.g. where the entries are).
    pub(crate) footer: Option<String>,
    /// The same content for `-f json`, serialized once (a `Value` would
    /// sort the keys of derived structs).
    pub(crate) json: Box<serde_json::value::RawValue>,
}

impl Summary {
    /// Writes the summary in `format` to `out`.
    pub(crate) fn render(&self, format: SummaryFormat, mut out: impl Write) -> io::Result<()> {
        match format {
            SummaryFormat::Json => write_json_line(out, &self.json),
            SummaryFormat::Table => {
                out.write_all(table(&self.rows, self.right).as_bytes())?;
                if let Some(footer) = &self.footer {
                    writeln!(out, "{}", sanitize(footer))?;
                }
                out.flush()
            }
        }
    }
}

/// A terminal's size in columns and rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "its users (bars, tables) come in the next commits")]
pub(crate) struct Size {
    pub(crate) cols: usize,
    pub(crate) rows: usize,
}

/// Which stream a size is asked of.
#[allow(dead_code, reason = "its users (bars, tables) come in the next commits")]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// The size of the terminal `stream` is, or `None` when it is not a terminal.
/// `COLUMNS`/`LINES` override what the terminal says (as for `ls`), so a
/// script can ask for a given width.
#[must_use]
#[allow(dead_code, reason = "its users (bars, tables) come in the next commits")]
pub(crate) fn size(stream: Stream) -> Option<Size> {
    use std::io::IsTerminal;
    let is_tty = match stream {
        Stream::Stdout => io::stdout().is_terminal(),
        Stream::Stderr => io::stderr().is_terminal(),
    };
    if !is_tty {
        return None;
    }
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let asked = window_size(stream);
    Some(Size {
        cols: from_env("COLUMNS").or(asked.map(|s| s.cols)).unwrap_or(80),
        rows: from_env("LINES").or(asked.map(|s| s.rows)).unwrap_or(24),
    })
}

#[cfg(unix)]
#[allow(dead_code, reason = "its users (bars, tables) come in the next commits")]
fn window_size(stream: Stream) -> Option<Size> {
    let fd = match stream {
        Stream::Stdout => libc::STDOUT_FILENO,
        Stream::Stderr => libc::STDERR_FILENO,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; the
    // descriptor is only read from.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &raw mut ws) } == 0;
    (ok && ws.ws_col > 0 && ws.ws_row > 0).then(|| Size {
        cols: usize::from(ws.ws_col),
        rows: usize::from(ws.ws_row),
    })
}

#[cfg(not(unix))]
fn window_size(_: Stream) -> Option<Size> {
    None
}

/// What a coloured piece of text says.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tone {
    /// Done as asked.
    Good,
    /// Failed.
    Bad,
    /// Not done, for a reason the user can act on (a missing key).
    Warn,
}

/// `text` in the colour of `tone` when `on` (SGR codes every terminal
/// knows: green, red, yellow); `text` as it is otherwise.
pub(crate) fn paint(on: bool, tone: Tone, text: &str) -> String {
    if !on {
        return text.to_owned();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
        Tone::Warn => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Levenshtein distance, for did-you-mean suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `1 page`, `3 pages`: a count with its noun, in the right number.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An age for people: `42 s`, `12 min`, `3 h`, `2 d`.
#[must_use]
pub(crate) fn human_age(d: Duration) -> String {
    if d == Duration::MAX {
        return "an unknown time (dated in the future)".to_owned();
    }
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// A size for people: `512 B`, `3.4 KiB`, `12.0 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let f = n as f64;
    match n {
        0..=1023 => format!("{n} B"),
        1024..=1_048_575 => format!("{:.1} KiB", f / 1024.0),
        _ => format!("{:.1} MiB", f / 1_048_576.0),
    }
}

/// Writes any serializable value as one line of JSON (`-f json` summaries,
/// NDJSON diffs).
pub(crate) fn write_json_line<T: Serialize>(mut out: impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_loses_escape_sequences() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{7}"), "a\u{FFFD}[31mred\u{FFFD}");
    }

    #[test]
    fn bidi_and_zero_width_characters_are_neutralized() {
        assert_eq!(
            sanitize("a\u{202E}b\u{2066}c\u{2069}d\u{200B}e"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e"
        );
        assert_eq!(sanitize("Zürich 東京 🙂"), "Zürich 東京 🙂");
    }

    #[test]
    fn ages_read_like_people_say_them() {
        assert_eq!(human_age(Duration::from_secs(7300)), "2 h");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "page", "pages"), "1 page");
        assert_eq!(count(0, "page", "pages"), "0 pages");
        assert_eq!(
            count(2, "malformed model", "malformed models"),
            "2 malformed models"
        );
    }
}
