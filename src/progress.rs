//! Progress bars on stderr: one line per provider, drawn by one renderer.
//!
//! The renderer owns the lines it drew and nothing else. It remembers how
//! many lines are on the screen and, to redraw, moves up over exactly those
//! and clears to the end of the screen. Every line is cut to one column less
//! than the terminal is wide, so no line ever wraps and the count stays
//! right, and never more lines than the terminal has rows, so moving up
//! never leaves the bars' own area: what the user had on the screen before
//! the command is never touched. Log lines and messages are printed through
//! the renderer ([`Progress::println`], [`LogWriter`]): it takes its bars
//! away, prints the line (which stays), and draws them again below it.
//!
//! A ticker thread redraws ten times a second while a bar is live, so
//! spinners turn, elapsed times tick and waits count down.
//!
//! Bars are only drawn when stderr is a terminal and nothing else is drawing
//! on the same screen at the same time: the data on stdout when stdout is
//! that terminal, or a pipe's reader (`| head`, `| jq`), which writes to the
//! terminal at moments the renderer cannot know, and whose lines a redraw
//! would erase.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::harvest::Observer;
use crate::http::{Notify, Wait};
use crate::term::{self, Size};

/// How often live bars are redrawn.
const TICK: Duration = Duration::from_millis(100);
/// The widest bar, in cells.
const BAR_WIDTH: usize = 30;
/// Where the provider names are right-aligned.
const NAME_WIDTH: usize = 12;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The set of bars of one run (or nothing, when bars are not shown).
#[derive(Clone)]
pub struct Progress {
    screen: Option<Arc<Mutex<Screen>>>,
    /// Whether people-facing lines may be coloured (decided once, from
    /// `--color`, `NO_COLOR` and whether stderr is a terminal).
    colour: bool,
    /// Without bars, whether a long wait is said in a line of its own (so
    /// a run that sits out a rate-limit window says why, in a terminal or
    /// a cron log).
    says_waits: bool,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("visible", &self.screen.is_some())
            .finish()
    }
}

impl Progress {
    /// Bars on stderr when `enabled`, stderr is a terminal, and stdout is
    /// not on the screen too (`data_on_stdout`: the command writes its data
    /// to stdout while the bars are up).
    #[must_use]
    pub fn new(enabled: bool, data_on_stdout: bool) -> Self {
        let shared = data_on_stdout && stdout_may_share_the_screen();
        if !enabled {
            return Progress::hidden();
        }
        if shared || term::size(term::Stream::Stderr).is_none() {
            return Progress {
                says_waits: true,
                ..Progress::hidden()
            };
        }
        Progress::drawing(
            Box::new(io::stderr()),
            Box::new(|| term::size(term::Stream::Stderr)),
        )
    }

    /// No bars at all.
    #[must_use]
    pub fn hidden() -> Self {
        Progress {
            screen: None,
            colour: false,
            says_waits: false,
        }
    }

    /// The same, with lines for people coloured by status when `on`.
    #[must_use]
    pub fn with_colour(mut self, on: bool) -> Self {
        self.colour = on;
        self
    }

    /// Whether lines for people may be coloured.
    #[must_use]
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// Bars drawn into `out`, for a terminal of `size()` (tests give a
    /// buffer and a fixed size).
    fn drawing(out: Box<dyn Write + Send>, size: Box<dyn Fn() -> Option<Size> + Send>) -> Self {
        let screen = Arc::new(Mutex::new(Screen {
            out,
            size,
            bars: Vec::new(),
            drawn: 0,
            ticking: false,
        }));
        Progress {
            screen: Some(screen),
            colour: false,
            says_waits: false,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Screen) -> R) -> Option<R> {
        let screen = self.screen.as_ref()?;
        let mut s = screen.lock().unwrap_or_else(PoisonError::into_inner);
        Some(f(&mut s))
    }

    /// A bar for one provider: determinate when the limit is known.
    #[must_use]
    pub fn bar(&self, provider: &str, limit: Option<u64>) -> Bar {
        let Some(screen) = &self.screen else {
            return Bar {
                at: None,
                says_waits: self.says_waits.then(|| term::sanitize(provider)),
            };
        };
        let (index, start_ticker) = self
            .with(|s| {
                s.bars.push(State::new(provider, limit));
                let start = !s.ticking;
                s.ticking = true;
                (s.bars.len() - 1, start)
            })
            .unwrap_or((0, false));
        if start_ticker {
            tick(Arc::downgrade(screen));
        }
        Bar {
            at: Some((Arc::clone(screen), index)),
            says_waits: None,
        }
    }

    /// A writer for log lines that prints them through the bars.
    #[must_use]
    pub fn log_writer(&self) -> LogWriter {
        LogWriter {
            progress: self.clone(),
            buf: Vec::new(),
        }
    }

    /// Prints a line on stderr above the bars; it stays when they go.
    pub fn println(&self, line: &str) {
        if self.with(|s| s.print(line)).is_none() {
            term::say(line);
        }
    }

    /// Removes every bar from the screen; what was printed stays.
    pub fn clear(&self) {
        self.with(|s| {
            let mut frame = Vec::new();
            s.erase(&mut frame);
            s.bars.clear();
            s.flush(&frame);
        });
    }

    /// The bars as the next frame would draw them (for tests).
    #[cfg(test)]
    fn lines(&self, now: Instant) -> Vec<String> {
        self.with(|s| {
            let size = (s.size)().unwrap_or(Size { cols: 80, rows: 24 });
            s.layout(size, now)
        })
        .unwrap_or_default()
    }
}

/// Whether stdout is a terminal, a pipe or a socket: somewhere whose text
/// may land on the user's screen while the bars are drawn.
fn stdout_may_share_the_screen() -> bool {
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        // `/dev/stdout` is this process's fd 1 whatever it points at.
        if let Ok(meta) = std::fs::metadata("/proc/self/fd/1").or_else(|_| std::fs::metadata("/dev/stdout")) {
            let t = meta.file_type();
            return t.is_fifo() || t.is_socket();
        }
    }
    false
}

/// The redraw loop: runs while the screen exists and has live bars.
fn tick(screen: Weak<Mutex<Screen>>) {
    let spawned = std::thread::Builder::new()
        .name("progress".into())
        .spawn(move || loop {
            std::thread::sleep(TICK);
            let Some(screen) = screen.upgrade() else {
                return;
            };
            let mut s = screen.lock().unwrap_or_else(PoisonError::into_inner);
            if s.bars.is_empty() {
                s.ticking = false;
                return;
            }
            s.redraw();
        });
    if spawned.is_err() {
        // No thread: the bars are still drawn on every println.
        tracing::debug!("no progress ticker thread");
    }
}

/// What is on the screen and what is to be drawn.
struct Screen {
    out: Box<dyn Write + Send>,
    size: Box<dyn Fn() -> Option<Size> + Send>,
    bars: Vec<State>,
    /// Lines of bars on the screen now; the cursor is at the end of the last.
    drawn: usize,
    ticking: bool,
}

impl Screen {
    /// Moves the cursor back to the start of the bars' first line and clears
    /// from there to the end of the screen.
    fn erase(&mut self, frame: &mut Vec<u8>) {
        if self.drawn == 0 {
            return;
        }
        frame.push(b'\r');
        if self.drawn > 1 {
            let _ = write!(frame, "\x1b[{}A", self.drawn - 1);
        }
        frame.extend_from_slice(b"\x1b[J");
        self.drawn = 0;
    }

    fn draw(&mut self, frame: &mut Vec<u8>) {
        let size = (self.size)().unwrap_or(Size { cols: 80, rows: 24 });
        let lines = self.layout(size, Instant::now());
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                frame.push(b'\n');
            }
            frame.extend_from_slice(line.as_bytes());
        }
        self.drawn = lines.len();
    }

    fn redraw(&mut self) {
        let mut frame = Vec::new();
        self.erase(&mut frame);
        self.draw(&mut frame);
        self.flush(&frame);
    }

    fn print(&mut self, line: &str) {
        let mut frame = Vec::new();
        self.erase(&mut frame);
        frame.extend_from_slice(line.as_bytes());
        frame.push(b'\n');
        if !self.bars.is_empty() {
            self.draw(&mut frame);
        }
        self.flush(&frame);
    }

    /// One write per frame, so a frame is never interleaved with itself.
    fn flush(&mut self, frame: &[u8]) {
        if frame.is_empty() {
            return;
        }
        let _ = self.out.write_all(frame);
        let _ = self.out.flush();
    }

    /// The lines of the bars, each cut to fit in one row, at most one row
    /// less than the terminal has (live bars first when they do not all fit).
    fn layout(&self, size: Size, now: Instant) -> Vec<String> {
        let room = size.rows.saturating_sub(1).max(1);
        let width = size.cols.saturating_sub(1).max(1);
        let fit = |s: String| fit(&s, width);
        if self.bars.len() <= room {
            return self.bars.iter().map(|b| fit(b.line(width, now))).collect();
        }
        let live: Vec<&State> = self.bars.iter().filter(|b| b.end.is_none()).collect();
        let shown = room - 1;
        let mut lines: Vec<String> = live.iter().take(shown).map(|b| fit(b.line(width, now))).collect();
        let hidden = self.bars.len() - lines.len();
        let done = self.bars.iter().filter(|b| b.end.is_some()).count();
        lines.push(fit(format!(
            "{:>NAME_WIDTH$} {} more ({done} finished)",
            "…", hidden
        )));
        lines
    }
}

/// Cuts `s` to `width` display columns (as the tables measure them), with
/// no ellipsis: a bar line cut short still reads as a bar.
fn fit(s: &str, width: usize) -> String {
    if term::text_width(s) <= width {
        return s.to_owned();
    }
    let mut used = 0;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// How a bar ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every page was fetched (or the limit was reached).
    Done,
    /// The provider failed.
    Failed,
    /// Cut short: the output was closed or the run was stopped.
    Stopped,
}

/// A wait in progress.
#[derive(Debug, Clone)]
struct Waiting {
    until: Instant,
    why: Wait,
}

/// One provider's bar.
#[derive(Debug, Clone)]
struct State {
    name: String,
    limit: Option<u64>,
    models: u64,
    pages: u64,
    started: Instant,
    waiting: Option<Waiting>,
    /// The last retry: its number and reason, until the next page arrives.
    retry: Option<(u32, String)>,
    end: Option<(End, Instant)>,
}

impl State {
    fn new(name: &str, limit: Option<u64>) -> Self {
        State {
            name: term::sanitize(name),
            limit,
            models: 0,
            pages: 0,
            started: Instant::now(),
            waiting: None,
            retry: None,
            end: None,
        }
    }

    /// The bar's line at `now`, for a terminal `width` cells wide.
    fn line(&self, width: usize, now: Instant) -> String {
        let name = format!("{:>NAME_WIDTH$}", self.name);
        let elapsed = clock(
            self.end
                .map_or(now, |(_, at)| at)
                .saturating_duration_since(self.started),
        );
        let models = match (self.end, self.limit) {
            // A listing that ended below the limit ends full, with its count.
            (Some((End::Done, _)), _) | (_, None) => term::count(self.models, "model", "models"),
            (_, Some(limit)) => format!("{}/{limit} models", self.models),
        };
        let status = self.status(now);
        let rest = format!("{models}  {status}  {elapsed}");
        match self.limit {
            None if self.end.is_none() => {
                let frame = frame_at(now.saturating_duration_since(self.started));
                format!("{name} {frame} {rest}")
            }
            None => format!("{name} {rest}"),
            Some(limit) => {
                // The bar gives way first when the terminal is narrow.
                let room = width.saturating_sub(name.len() + rest.chars().count() + 4);
                let cells = room.min(BAR_WIDTH);
                if cells < 5 {
                    return format!("{name} {rest}");
                }
                let filled = match self.end {
                    Some((End::Done, _)) => cells,
                    _ => fraction(self.models, limit, cells),
                };
                let mut bar = "=".repeat(filled);
                if filled < cells {
                    bar.push('>');
                    bar.push_str(&" ".repeat(cells - filled - 1));
                }
                format!("{name} [{bar}] {rest}")
            }
        }
    }

    fn status(&self, now: Instant) -> String {
        match self.end {
            Some((End::Done, _)) => return format!("done, {}", term::count(self.pages, "page", "pages")),
            Some((End::Failed, _)) => return "failed".to_owned(),
            Some((End::Stopped, _)) => {
                return format!("stopped after {}", term::count(self.pages, "page", "pages"))
            }
            None => {}
        }
        if let Some(w) = self.waiting.as_ref().filter(|w| w.until > now) {
            let left = countdown(w.until.saturating_duration_since(now));
            return wait_words(w.why, left, self.retry.as_ref());
        }
        if let Some((attempt, reason)) = &self.retry {
            return format!("retry {attempt} after {reason}");
        }
        if self.pages == 0 {
            "starting".to_owned()
        } else {
            term::count(self.pages, "page", "pages")
        }
    }
}

/// What a wait is, with the seconds left: the same words on a bar and in a line.
fn wait_words(why: Wait, left: u64, retry: Option<&(u32, String)>) -> String {
    match (why, retry) {
        (Wait::Retry, Some((attempt, reason))) => format!("retry {attempt} in {left} s after {reason}"),
        (Wait::Retry, None) => format!("retrying in {left} s"),
        (Wait::Pacing, _) => format!("pacing for the quota: next request in {left} s"),
        (Wait::RateLimit, _) => format!("waiting {left} s for the rate-limit window"),
    }
}

/// A wait at least this long is said in a line when there are no bars.
const LONG_WAIT: Duration = Duration::from_secs(10);

/// Seconds left of a wait, in real seconds as the user would count them
/// (under the tests' time scale, in the seconds the wait stands for).
fn countdown(left: Duration) -> u64 {
    let scale = crate::http::time_scale();
    let nominal = if scale > 0.0 { left.div_f64(scale) } else { left };
    nominal.as_secs() + u64::from(nominal.subsec_nanos() > 0)
}

fn frame_at(elapsed: Duration) -> char {
    let n = elapsed.as_millis() / TICK.as_millis();
    SPINNER[usize::try_from(n % SPINNER.len() as u128).unwrap_or(0)]
}

fn fraction(pos: u64, len: u64, cells: usize) -> usize {
    if len == 0 {
        return cells;
    }
    let cells64 = u64::try_from(cells).unwrap_or(u64::MAX);
    usize::try_from(pos.min(len).saturating_mul(cells64) / len).unwrap_or(cells)
}

/// `7s`, `1m 05s`, `2h 03m`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// One provider's bar (or nothing).
#[derive(Clone)]
pub struct Bar {
    at: Option<(Arc<Mutex<Screen>>, usize)>,
    /// Without a bar: the provider's name, when long waits are said in lines.
    says_waits: Option<String>,
}

impl std::fmt::Debug for Bar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bar")
            .field("visible", &self.at.is_some())
            .finish()
    }
}

impl Bar {
    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Some((screen, i)) = &self.at {
            let mut s = screen.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(state) = s.bars.get_mut(*i) {
                f(state);
            }
        }
    }

    /// Ends the bar: it stops moving and says how it ended.
    pub fn end(&self, how: End) {
        self.with(|b| {
            b.waiting = None;
            b.end = Some((how, Instant::now()));
        });
    }
}

impl Notify for Bar {
    fn waiting(&self, wait: Duration, why: Wait) {
        if let Some(name) = self.says_waits.as_ref().filter(|_| wait >= LONG_WAIT) {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            term::say(&format!("{name}: {}", wait_words(why, secs, None)));
        }
        let real = wait.mul_f64(crate::http::time_scale());
        self.with(|b| {
            let now = Instant::now();
            b.waiting = Some(Waiting {
                until: now.checked_add(real).unwrap_or(now),
                why,
            });
        });
    }
    fn retrying(&self, attempt: u32, reason: &str) {
        self.with(|b| b.retry = Some((attempt, term::sanitize(reason))));
    }
}

impl Observer for Bar {
    fn page(&self, models: u64, pages: u64) {
        self.with(|b| {
            b.models = models;
            b.pages = pages;
            b.waiting = None;
            b.retry = None;
        });
    }
}

/// A `tracing` writer that prints whole lines through the progress bars.
#[derive(Debug, Clone)]
pub struct LogWriter {
    progress: Progress,
    buf: Vec<u8>,
}

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            self.progress.println(&text);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter {
            progress: self.progress.clone(),
            buf: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A screen of `cols` x `rows` that records what the renderer writes.
    fn on_screen(cols: usize, rows: usize) -> (Progress, Arc<Mutex<Vec<u8>>>) {
        #[derive(Clone)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let p = Progress::drawing(
            Box::new(Shared(Arc::clone(&bytes))),
            Box::new(move || Some(Size { cols, rows })),
        );
        (p, bytes)
    }

    #[test]
    fn a_rate_limit_wait_counts_down_and_names_its_cause() {
        let (p, _) = on_screen(120, 30);
        let bar = p.bar("hug", Some(1000));
        bar.waiting(Duration::from_secs(284), Wait::RateLimit);
        let now = Instant::now();
        let first = p.lines(now).remove(0);
        let later = p.lines(now + Duration::from_secs(10)).remove(0);
        assert!(
            first.contains("waiting 284 s for the rate-limit window"),
            "{first}"
        );
        assert!(
            later.contains("waiting 274 s for the rate-limit window"),
            "{later}"
        );
    }

    #[test]
    fn each_wait_names_what_it_waits_for() {
        let (p, _) = on_screen(160, 30);
        let bar = p.bar("groq", None);
        bar.retrying(2, "HTTP 503");
        bar.waiting(Duration::from_secs(4), Wait::Retry);
        assert!(p.lines(Instant::now())[0].contains("retry 2 in 4 s after HTTP 503"));
        bar.retrying(1, "a network error (connection refused)");
        bar.waiting(Duration::from_secs(2), Wait::Retry);
        assert!(
            p.lines(Instant::now())[0].contains("retry 1 in 2 s after a network error (connection refused)")
        );
        bar.waiting(Duration::from_secs(3), Wait::Pacing);
        assert!(p.lines(Instant::now())[0].contains("pacing for the quota: next request in 3 s"));
        bar.page(100, 1);
        assert!(p.lines(Instant::now())[0].contains("100 models  1 page"));
    }

    #[test]
    fn a_listing_cut_short_shows_stopped_not_done() {
        let (p, _) = on_screen(120, 30);
        let bar = p.bar("hug", Some(50_000));
        bar.page(200, 2);
        bar.end(End::Stopped);
        let line = p.lines(Instant::now()).remove(0);
        assert!(line.contains("200/50000 models  stopped after 2 pages"), "{line}");
        let done = p.bar("groq", Some(50_000));
        done.page(87, 1);
        done.end(End::Done);
        let line = p.lines(Instant::now()).remove(1);
        assert!(
            line.contains("[==============================] 87 models  done, 1 page"),
            "{line}"
        );
    }

    #[test]
    fn no_line_is_wider_than_the_terminal() {
        let (p, _) = on_screen(40, 30);
        let bar = p.bar("a-long-provider-name", Some(1000));
        bar.retrying(
            3,
            "a network error (dns error: failed to lookup address information)",
        );
        for line in p.lines(Instant::now()) {
            assert!(line.chars().count() <= 39, "{line}");
        }
    }

    #[test]
    fn more_bars_than_rows_keep_to_the_rows_and_say_how_many_are_hidden() {
        let (p, _) = on_screen(80, 6);
        let bars: Vec<Bar> = (0..14).map(|i| p.bar(&format!("p{i}"), None)).collect();
        bars[0].end(End::Done);
        let lines = p.lines(Instant::now());
        assert_eq!(lines.len(), 5);
        assert!(lines[0].trim_start().starts_with("p1 "), "{lines:?}");
        assert!(lines[4].contains("10 more (1 finished)"), "{lines:?}");
    }

    #[test]
    fn a_redraw_moves_up_over_its_own_lines_only() {
        let (p, bytes) = on_screen(80, 24);
        let _a = p.bar("a", None);
        let _b = p.bar("b", None);
        let _c = p.bar("c", None);
        p.println("first");
        p.println("second");
        p.clear();
        let text = String::from_utf8(bytes.lock().unwrap().clone()).unwrap();
        // First print: nothing drawn yet, so nothing erased. The second
        // erases the three bar lines (up 2), the clear does it once more.
        assert!(text.starts_with("first\n"), "{text:?}");
        assert_eq!(text.matches("\x1b[2A").count(), 2, "{text:?}");
        assert!(!text.contains("\x1b[3A"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2A\x1b[J"), "{text:?}");
    }
}
