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

/// Aligns rows into columns two spaces apart for stdout; `right[i]`
/// right-aligns column `i`. On a terminal the table is fitted to its width
/// (see [`layout`]); into a pipe or a file nothing is cut, as scripts read
/// every byte.
pub(crate) fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    layout(rows, right, size(Stream::Stdout).map(|s| s.cols))
}

/// The narrowest a free-text column is cut to before the next one is (a
/// cut name must still be recognizable).
const MIN_CUT: usize = 8;

/// Aligns rows into columns two spaces apart; `right[i]` right-aligns column
/// `i`; the last column is not padded. Control characters are neutralized,
/// widths are display columns (a CJK character takes two), and trailing
/// spaces are trimmed.
///
/// With `width`, no line is wider: the last column is cut first (down to
/// [`MIN_CUT`]), then whichever left-aligned column is widest, one column at
/// a time, each cut cell ending with `…`. Right-aligned columns are numbers
/// and are never cut (a cut number reads as another number). A table that is
/// still too wide (a terminal a few columns wide) has its lines cut.
pub(crate) fn layout(rows: &[Vec<String>], right: &[bool], width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| sanitize(c)).collect())
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| text_width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let is_right = |i: usize| right.get(i).copied().unwrap_or(false);
    if let Some(width) = width {
        let total = widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
        let mut excess = total.saturating_sub(width);
        if let Some(last) = cols.checked_sub(1).filter(|&i| !is_right(i)) {
            let cut = excess.min(widths[last].saturating_sub(MIN_CUT));
            widths[last] -= cut;
            excess -= cut;
        }
        while excess > 0 {
            // The widest free-text column gives one column; among equals the
            // rightmost, so the leading columns (provider) stay whole longest.
            let Some(i) = (0..cols)
                .filter(|&i| !is_right(i) && widths[i] > MIN_CUT)
                .max_by_key(|&i| (widths[i], i))
            else {
                break;
            };
            widths[i] -= 1;
            excess -= 1;
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = widths[i];
            let cell = cut(cell, w);
            let pad = " ".repeat(w.saturating_sub(text_width(&cell)));
            if is_right(i) {
                line.push_str(&pad);
                line.push_str(&cell);
            } else {
                line.push_str(&cell);
                if i + 1 < row.len() {
                    line.push_str(&pad);
                }
            }
        }
        let line = line.trim_end();
        match width {
            Some(w) => out.push_str(&cut(line, w)),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Display columns `text` takes on a terminal.
pub(crate) fn text_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` in at most `width` display columns: as it is when it fits, else
/// cut and ending with `…`.
pub(crate) fn cut(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text_width(text) <= width {
        return text.into();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        // One column is kept for the ellipsis.
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out.into()
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
            SummaryFormat::Json => {
                write_json_line(&mut out, &self.json)?;
                out.flush()
            }
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
pub(crate) struct Size {
    pub(crate) cols: usize,
    pub(crate) rows: usize,
}

/// Which stream a size is asked of.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// The size of the terminal `stream` is, or `None` when it is not a terminal.
/// `COLUMNS`/`LINES` override what the terminal says (as for `ls`), so a
/// script can ask for a given width.
#[must_use]
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
/// NDJSON diffs and changes). Not flushed: a line each write was 11,000
/// system calls for a day's `changes` of the Hub; the callers flush at the
/// end.
pub(crate) fn write_json_line<T: Serialize>(mut out: impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")
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

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn a_table_fits_the_width_by_cutting_the_last_then_the_widest_text_column() {
        let t = rows(&[
            &["provider", "id", "context", "capabilities"],
            &[
                "openrouter",
                "meta-llama/llama-3.3-70b-instruct",
                "131072",
                "tools,structured_outputs,json_mode",
            ],
            &["hug", "Qwen/Qwen3-0.6B", "-", "-"],
        ]);
        let right = [false, false, true];
        // 10 + 33 + 7 + 34 + 3 gaps of 2 = 90 columns, as they are.
        let whole = layout(&t, &right, None);
        assert_eq!(
            whole.lines().nth(1).unwrap(),
            "openrouter  meta-llama/llama-3.3-70b-instruct   131072  tools,structured_outputs,json_mode"
        );
        let fitted = layout(&t, &right, Some(60));
        let lines: Vec<&str> = fitted.lines().collect();
        // 30 columns too many: the last column gave 26 (down to 8), then
        // the id, the widest left, the other 4; the numbers stay whole.
        assert_eq!(
            lines,
            [
                "provider    id                             context  capabil…",
                "openrouter  meta-llama/llama-3.3-70b-ins…   131072  tools,s…",
                "hug         Qwen/Qwen3-0.6B                      -  -",
            ]
        );
        for line in &lines {
            assert!(text_width(line) <= 60, "{line:?}");
        }
        let narrow = layout(&t, &right, Some(40));
        let lines: Vec<&str> = narrow.lines().collect();
        // The id shrank to the provider's width, and then by one more.
        assert_eq!(lines[1], "openrouter  meta-lla…   131072  tools,s…");
        assert!(lines.iter().all(|l| text_width(l) <= 40), "{narrow}");
    }

    #[test]
    fn numbers_are_never_cut_and_a_hopelessly_narrow_table_has_its_lines_cut() {
        let t = rows(&[
            &["id", "downloads", "likes"],
            &["a-long-model-name", "123456789", "42"],
        ]);
        let fitted = layout(&t, &[false, true, true], Some(20));
        let lines: Vec<&str> = fitted.lines().collect();
        assert_eq!(lines[1], "a-long-…  123456789…");
        assert!(lines.iter().all(|l| text_width(l) == 20), "{fitted}");
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let t = rows(&[&["id", "name"], &["x", "東京東京東京東京東京"]]);
        let fitted = layout(&t, &[], Some(14));
        let line = fitted.lines().nth(1).unwrap();
        assert_eq!(line, "x   東京東京…");
        assert!(text_width(line) <= 14);
        // Without a width nothing is cut.
        assert!(layout(&t, &[], None).contains("東京東京東京東京東京"));
    }

    #[test]
    fn cells_are_sanitized_before_they_are_measured() {
        let t = rows(&[&["a\u{1b}[31m", "b"], &["c", "d"]]);
        assert_eq!(layout(&t, &[], None), "a\u{FFFD}[31m  b\nc       d\n");
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
