//! Progress bars on stderr: one per provider, hidden when stderr is not a
//! terminal or the user asked for quiet. Log lines are printed through the
//! bars (see [`LogWriter`]) so they never tear them.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::harvest::Observer;
use crate::http::{Notify, Wait};

/// The set of bars of one run.
#[derive(Debug, Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Visible bars when `enabled` and stderr is a terminal.
    #[must_use]
    pub fn new(enabled: bool) -> Self {
        let multi = (enabled && console_is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    /// No bars at all.
    #[must_use]
    pub fn hidden() -> Self {
        Progress { multi: None }
    }

    /// A bar for one provider: determinate when the limit is known.
    #[must_use]
    pub fn bar(&self, provider: &str, limit: Option<u64>) -> Bar {
        let Some(multi) = &self.multi else {
            return Bar { bar: None };
        };
        let bar = match limit {
            Some(n) => {
                let b = ProgressBar::new(n);
                b.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>12} [{bar:30}] {pos}/{len} models {msg} {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template("{prefix:>12} {spinner} {pos} models {msg} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(Duration::from_millis(120));
                b
            }
        };
        let bar = multi.add(bar);
        bar.set_prefix(provider.to_owned());
        Bar { bar: Some(bar) }
    }

    /// A writer for log lines that suspends the bars while it prints.
    #[must_use]
    pub fn log_writer(&self) -> LogWriter {
        LogWriter {
            multi: self.multi.clone(),
            buf: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Prints a line on stderr without tearing the bars.
    pub fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => crate::term::say(line),
        }
    }

    /// Removes every bar.
    pub fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

fn console_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

/// One provider's bar (or nothing).
#[derive(Debug, Clone)]
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(b) = &self.bar {
            f(b);
        }
    }

    /// Ends the bar with a final message.
    pub fn finish(&self, msg: &str) {
        self.with(|b| {
            // A listing shorter than the limit ends full, not part-way.
            b.set_length(b.position());
            b.finish_with_message(msg.to_owned());
        });
    }
}

impl Notify for Bar {
    fn waiting(&self, wait: Duration, why: Wait) {
        let secs = wait.as_secs_f64().round();
        let reason = match why {
            Wait::RateLimit => "for the rate-limit window",
            Wait::Pacing => "to spread the requests over the quota",
            Wait::Retry => "before retrying",
        };
        self.with(|b| b.set_message(format!("waiting {secs} s {reason}")));
    }
    fn retrying(&self, attempt: u32, reason: &str) {
        self.with(|b| b.set_message(format!("retry {attempt}: {reason}")));
    }
}

impl Observer for Bar {
    fn page(&self, models: u64, pages: u64) {
        self.with(|b| {
            b.set_position(models);
            b.set_message(format!("{pages} pages"));
        });
    }
}

/// A `tracing` writer that prints whole lines through the progress bars.
#[derive(Debug, Clone)]
pub struct LogWriter {
    multi: Option<MultiProgress>,
    buf: Arc<Mutex<Vec<u8>>>,
}

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buf = self.buf.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        buf.extend_from_slice(data);
        while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            match &self.multi {
                Some(m) => {
                    let _ = m.println(text);
                }
                None => {
                    let _ = writeln!(io::stderr(), "{text}");
                }
            }
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
            multi: self.multi.clone(),
            buf: Arc::new(Mutex::new(Vec::new())),
        }
    }
}
