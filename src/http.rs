//! HTTP: the one place where retries, backoff, rate-limit pacing, redirects,
//! credential scoping and body caps are decided.
//!
//! * Transient failures (connect errors, timeouts, 408, 429, 5xx) are retried
//!   with capped exponential backoff and jitter; a server-stated wait
//!   (`RateLimit` `r=0;t=N`, `Retry-After`) replaces the backoff.
//! * A [`Pacer`] spaces request starts: a fixed minimum interval for anonymous
//!   callers that overlaps the request instead of following it, and, when the
//!   server announces its quota (`RateLimit: "api";r=R;t=T`), spreads the
//!   remaining requests over the window so the 429 never comes.
//! * Credentials go only to the origin (scheme, host, port) they belong to:
//!   a next-page URL or redirect elsewhere is followed without them.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::StatusCode;
use serde::Deserialize;
use url::{Origin, Url};

use crate::error::FetchError;

/// Cap on one response body (decompressed).
pub(crate) const MAX_BODY: usize = 64 << 20;
/// Redirects followed for one request before giving up.
const MAX_REDIRECTS: usize = 10;
/// First backoff step; doubled per attempt up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_secs(1);
/// Largest backoff step when the server states no wait.
const MAX_BACKOFF: Duration = Duration::from_secs(16);
/// Waits at least this long are reported to the user.
const NOTABLE_WAIT: Duration = Duration::from_secs(2);
/// Longest wait a server may state (`RateLimit` `t`, `Retry-After`) that is
/// taken as stated; anything longer is read as this. It is beyond any
/// `--max-wait`, so such a provider fails, naming the wait; and no clock
/// arithmetic can overflow on a hostile `t=18446744073709551615`.
const LONGEST_STATED_WAIT: Duration = Duration::from_secs(7 * 86_400);

/// Multiplier for every real delay (pacing, backoff, rate-limit waits).
///
/// Read once from `CATALOG_TEST_TIME_SCALE`; tests set it below 1 to run
/// minute-long schedules in milliseconds. Users have no reason to set it.
#[must_use]
pub fn time_scale() -> f64 {
    static SCALE: OnceLock<f64> = OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var("CATALOG_TEST_TIME_SCALE")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1.0)
            .unwrap_or(1.0)
    })
}

fn scaled(d: Duration) -> Duration {
    d.mul_f64(time_scale())
}

/// A secret that never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key.
    #[must_use]
    pub fn new(key: String) -> Self {
        Secret(key)
    }
    /// The key itself, for building the request only.
    #[must_use]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
    /// Replaces every occurrence of the key in `text` (servers sometimes echo it).
    #[must_use]
    pub(crate) fn redact(&self, text: &str) -> String {
        let key = self.0.as_str();
        if key.is_empty() {
            return text.to_owned();
        }
        if key.len() >= 8 {
            return text.replace(key, "[redacted]");
        }
        // A short key is replaced only where it stands alone, so that a
        // two-letter key does not blank out every word it occurs in.
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(key) {
            let (before, after) = (&rest[..at], &rest[at + key.len()..]);
            let alone = !before.ends_with(word) && !after.starts_with(word);
            out.push_str(before);
            out.push_str(if alone { "[redacted]" } else { key });
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

impl Secret {
    /// Whether `text` holds the key (where [`Secret::redact`] would replace it).
    #[must_use]
    pub(crate) fn found_in(&self, text: &str) -> bool {
        !self.0.is_empty() && self.redact(text) != text
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A key, how it is sent, and the only origin it may be sent to.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The key.
    pub key: Secret,
    /// Header or query style.
    pub auth: Auth,
    /// The listing's origin.
    pub origin: Origin,
}

/// Retry and timeout settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt for transient failures.
    pub retries: u32,
    /// Connect and read timeout of one request.
    pub timeout: Duration,
    /// Longest single wait accepted from a server (rate-limit windows).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(600),
        }
    }
}

/// Why a harvest is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// For the server's rate-limit window (a 429, or a quota used up).
    RateLimit,
    /// Spreading the requests left over the server's quota window.
    Pacing,
    /// Backing off before retrying a transient failure (network, 5xx).
    Retry,
}

/// What the pacer or the retry loop tells the user about.
pub trait Notify: Send + Sync {
    /// A wait is starting (nominal duration, before test scaling).
    fn waiting(&self, wait: Duration, why: Wait);
    /// A transient failure is being retried.
    fn retrying(&self, attempt: u32, reason: &str);
}

/// The rate-limit window the server announced.
#[derive(Debug, Clone, Copy)]
struct Quota {
    remaining: u64,
    reset_at: Instant,
    /// What a wait for `reset_at` is, when `remaining` is 0.
    why: Wait,
}

/// Spaces the request starts of one provider.
#[derive(Debug)]
pub struct Pacer {
    min_interval: Duration,
    last_start: Option<Instant>,
    quota: Option<Quota>,
    /// The provider has answered at least once (a connect failure after that
    /// is retried like any transient fault).
    answered: bool,
    /// The window the server's `RateLimit` items describe: the remaining
    /// count of the last one, the earliest reset any of them implied, and
    /// the reset a response proved (see [`Pacer::observe`]).
    window: Option<(u64, Instant, Option<Instant>)>,
}

impl Pacer {
    /// A pacer whose request starts are at least `min_interval` apart.
    #[must_use]
    pub fn new(min_interval: Duration) -> Self {
        Pacer {
            min_interval: scaled(min_interval),
            last_start: None,
            quota: None,
            answered: false,
            window: None,
        }
    }

    /// Waits until the next request may start. `pages_left` (an upper bound of
    /// the requests still needed; `None`: unknown) decides whether the quota
    /// must be spread.
    ///
    /// # Errors
    /// The wait the quota asks for (nominal), when it is longer than
    /// `max_wait`: nothing is waited then.
    pub async fn turn(
        &mut self,
        pages_left: Option<u64>,
        max_wait: Duration,
        notify: &dyn Notify,
    ) -> Result<(), Duration> {
        let now = Instant::now();
        let (at, why) = self.next_start(now, pages_left);
        if at > now {
            let wait = at - now;
            let nominal = wait.div_f64(time_scale().max(f64::MIN_POSITIVE));
            // The spacing the user asked for (`--delay-ms`) is theirs, and so
            // is the backoff (at most MAX_BACKOFF); a quota's wait is the
            // server's, and bounded like any other.
            if matches!(why, Some(Wait::RateLimit | Wait::Pacing)) && nominal > max_wait {
                return Err(nominal);
            }
            if let Some(why) = why.filter(|_| nominal >= NOTABLE_WAIT) {
                notify.waiting(nominal, why);
            }
            if nominal >= Duration::from_millis(100) {
                tracing::debug!(wait_ms = nominal.as_millis(), "pacing the next request");
            }
            tokio::time::sleep(wait).await;
        }
        self.last_start = Some(Instant::now());
        Ok(())
    }

    /// When the next request may start, and why it waits beyond the spacing
    /// (`None`: the spacing alone).
    fn next_start(&self, now: Instant, pages_left: Option<u64>) -> (Instant, Option<Wait>) {
        let paced = self.last_start.map_or(now, |t| t + self.min_interval);
        let Some(q) = self.quota.filter(|q| q.reset_at > now) else {
            return (paced, None);
        };
        if q.remaining == 0 {
            return if q.reset_at > paced {
                (q.reset_at, Some(q.why))
            } else {
                (paced, None)
            };
        }
        // With no limit (`--limit all`) the requests still needed are
        // unknown: spreading would stretch the last window's few requests
        // over the whole window, so they go back to back, and a used-up
        // quota (`remaining == 0`, above) waits for the reset instead of
        // running into a 429. Spreading never ends a window sooner.
        if pages_left.is_some_and(|p| p > q.remaining) {
            // More requests are needed than the window allows: spread the
            // remaining ones evenly instead of running into a 429.
            let window = q.reset_at - now;
            #[allow(clippy::cast_possible_truncation, reason = "remaining is small")]
            let spread = window / (q.remaining.min(u64::from(u32::MAX)) as u32);
            let spaced = self.last_start.map_or(now, |t| t + spread);
            if spaced > paced {
                return (spaced, Some(Wait::Pacing));
            }
        }
        (paced, None)
    }

    /// Takes in the quota a response announced (see [`Announced::paced`]).
    pub(crate) fn observe(&mut self, announced: Option<&Announced>) {
        self.answered = true;
        if let Some((remaining, reset, fixed, length)) = announced
            .filter(|a| a.paced)
            .and_then(|a| Some((a.remaining, a.reset?, a.fixed, a.length)))
        {
            let implied = later(scaled(reset));
            // A fixed window never ends more than its length after a
            // response, so a response whose `t` is the whole length (the
            // first of a window, from a server that rounds `t` up, as the
            // bench's mock does) proves that its "now + t" is at or past
            // the reset, whatever the rounding.
            // (A `t` cut down to the longest wait proves nothing.)
            let proved = (fixed && reset < LONGEST_STATED_WAIT && length == Some(reset)).then_some(implied);
            // The same window while the count goes down; a count that went
            // up, or a reset passed, is a new one. Only a fixed window's
            // reset stays put: in another kind a later response may name a
            // later reset and mean it.
            let (earliest, proved) = match self.window {
                Some((left, at, was)) if fixed && remaining <= left && at > Instant::now() => {
                    (at.min(implied), was.or(proved))
                }
                _ => (implied, proved),
            };
            self.window = Some((remaining, earliest, proved));
            let reset_at = if remaining == 0 {
                // `t` is whole seconds, rounded one way or the other: each
                // response's "now + t" lies within a second of the true
                // reset, on a side the rounding decides. The earliest of
                // them plus one second is past it either way (with `t`
                // rounded up it is a second late; rounded down it is the
                // reset, within the responses' spacing). One response alone
                // gives its own "now + t" plus one second, as before. A
                // proved reset, when earlier, saves that second: on the
                // whole Hub's 2,200 pages, a second a window of 1,000.
                let either_way = earliest + scaled(Duration::from_secs(1));
                proved.map_or(either_way, |p| p.min(either_way))
            } else {
                implied
            };
            self.quota = Some(Quota {
                remaining,
                reset_at,
                why: Wait::RateLimit,
            });
        }
    }

    fn hold_until(&mut self, wait: Duration, why: Wait) {
        self.quota = Some(Quota {
            remaining: 0,
            reset_at: later(scaled(wait.min(LONGEST_STATED_WAIT))),
            why,
        });
    }
}

/// `d` from now, or as far as the clock goes.
fn later(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d).unwrap_or_else(|| now + LONGEST_STATED_WAIT)
}

/// The quota a response announces, read once per response: for the pacer
/// and for the `-v` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Announced {
    /// Requests left in the window.
    pub(crate) remaining: u64,
    /// Requests the window allows, when stated.
    pub(crate) limit: Option<u64>,
    /// Time until the window resets, when stated (at most
    /// [`LONGEST_STATED_WAIT`]).
    pub(crate) reset: Option<Duration>,
    /// Stated in the IETF `RateLimit` header, remaining and reset both: the
    /// form the pacer spreads requests by and waits for. The `x-ratelimit-*`
    /// headers are shown only (their windows and units differ by provider).
    pub(crate) paced: bool,
    /// The window is a fixed one (`RateLimit-Policy: "fixed window";...`,
    /// as the Hub states): its reset stays put while its count goes down.
    pub(crate) fixed: bool,
    /// The window's length (the policy's `w`), when stated.
    pub(crate) length: Option<Duration>,
}

impl Announced {
    /// The quota in `headers`: `RateLimit: "api";r=<remaining>;t=<seconds>`
    /// (IETF draft 9, as the Hugging Face Hub sends it; the first policy item
    /// with both values wins) with the limit `q` of the same policy in
    /// `RateLimit-Policy: "fixed window";"api";q=500;w=300`; else
    /// `x-ratelimit-remaining-requests` / `-limit-requests` /
    /// `-reset-requests` (OpenAI, Groq), `x-ratelimit-remaining` / `-limit` /
    /// `-reset`, or the same without `x-`. A reset is seconds, a Unix time
    /// (seconds or milliseconds), or a duration such as `2m59.56s`.
    #[must_use]
    pub(crate) fn parse(headers: &HeaderMap, now: SystemTime) -> Option<Announced> {
        Self::ietf(headers).or_else(|| Self::x_ratelimit(headers, now))
    }

    fn ietf(headers: &HeaderMap) -> Option<Announced> {
        let value = headers.get("ratelimit")?.to_str().ok()?;
        let (name, remaining, reset) = value.split(',').find_map(|item| {
            let mut name = None;
            let mut r = None;
            let mut t = None;
            for (i, param) in item.split(';').enumerate() {
                match param.trim().split_once('=') {
                    Some(("r", v)) => r = v.trim().parse::<u64>().ok(),
                    Some(("t", v)) => t = v.trim().parse::<u64>().ok(),
                    None if i == 0 => name = Some(param.trim()),
                    _ => {}
                }
            }
            Some((name, r?, t?))
        })?;
        let policy = headers.get("ratelimit-policy").and_then(|v| v.to_str().ok());
        // The policy item named like the RateLimit item, else the first.
        let fixed = policy.is_some_and(|policy| {
            let items: Vec<&str> = policy.split(',').collect();
            let named = |item: &&&str| name.is_some_and(|n| item.split(';').any(|p| p.trim() == n));
            items.iter().find(named).or(items.first()).is_some_and(|item| {
                item.split(';')
                    .any(|p| p.trim().eq_ignore_ascii_case("\"fixed window\""))
            })
        });
        // A parameter (`q`, `w`) of the policy item named like the RateLimit
        // item, else of the first item that has it.
        let items: Vec<&str> = policy.map(|p| p.split(',').collect()).unwrap_or_default();
        let param = |key: &str| {
            let value = |item: &str| {
                item.split(';').find_map(|p| match p.trim().split_once('=') {
                    Some((k, v)) if k == key => v.trim().parse::<u64>().ok(),
                    _ => None,
                })
            };
            let named = |item: &str| name.is_some_and(|n| item.split(';').any(|p| p.trim() == n));
            items
                .iter()
                .find(|item| named(item))
                .and_then(|item| value(item))
                .or_else(|| items.iter().find_map(|item| value(item)))
        };
        Some(Announced {
            remaining,
            limit: param("q"),
            reset: Some(Duration::from_secs(reset).min(LONGEST_STATED_WAIT)),
            paced: true,
            fixed,
            length: param("w").map(|w| Duration::from_secs(w).min(LONGEST_STATED_WAIT)),
        })
    }

    fn x_ratelimit(headers: &HeaderMap, now: SystemTime) -> Option<Announced> {
        for prefix in ["x-ratelimit", "ratelimit"] {
            for suffix in ["-requests", ""] {
                let get = |what: &str| {
                    headers
                        .get(format!("{prefix}-{what}{suffix}"))
                        .and_then(|v| v.to_str().ok())
                        .map(str::trim)
                };
                let Some(remaining) = get("remaining").and_then(|v| v.parse::<u64>().ok()) else {
                    continue;
                };
                return Some(Announced {
                    remaining,
                    limit: get("limit").and_then(|v| v.parse::<u64>().ok()),
                    reset: get("reset").and_then(|v| parse_reset(v, now)),
                    paced: false,
                    fixed: false,
                    length: None,
                });
            }
        }
        None
    }
}

/// An `x-ratelimit-reset` value: seconds from now, a Unix time in seconds or
/// milliseconds (no delay is a billion seconds long), or a Go-style duration
/// (`1h2m3s`, `2m59.56s`, `250ms`).
fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let longest = LONGEST_STATED_WAIT.as_secs_f64();
    if let Ok(n) = value.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        let epoch = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs_f64();
        let secs = if n >= 1e12 {
            n / 1000.0 - epoch
        } else if n >= 1e9 {
            n - epoch
        } else {
            n
        };
        return Some(Duration::from_secs_f64(secs.clamp(0.0, longest)));
    }
    let mut total = 0.0;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        total += n * match &rest[..unit] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        rest = &rest[unit..];
    }
    if value.is_empty() || !total.is_finite() {
        return None;
    }
    Some(Duration::from_secs_f64(total.min(longest)))
}

/// Parses `Retry-After` in both forms: delay-seconds and HTTP-date.
#[must_use]
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(LONGEST_STATED_WAIT));
    }
    let at = parse_http_date(value)?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_STATED_WAIT),
    )
}

/// Parses an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let mut parts = s.split_whitespace();
    let _weekday = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    let ts = crate::record::Timestamp::parse(&format!("{year:04}-{month:02}-{day:02}T{time}Z"))?;
    let secs = u64::try_from(ts.0).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// A URL fit for messages: no user info. Keys sent as query parameters are
/// added only to the request, never to the URLs this function sees.
#[must_use]
pub(crate) fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Characters a log line spends before its message (`DEBUG `).
const LOG_PREFIX: usize = 6;
/// The shortest a shortened URL gets, however narrow the terminal.
const MIN_LOG_URL: usize = 40;

/// The one `-v` line of a response (or of a request that got none):
/// `GET huggingface.co/api/models?limit=100&… → 200, 412.3 KiB, 180 ms,
/// quota 487/500, reset 212 s`. `outcome` (what follows the arrow) is only
/// built when the line is logged; a key is redacted from it, and the URL
/// goes through [`display_url`] like every URL shown.
fn log_exchange(url: &Url, cred: Option<&Credential>, outcome: impl FnOnce() -> String) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let outcome = outcome();
    let outcome = cred.map_or(outcome.clone(), |c| c.key.redact(&outcome));
    let taken = "GET  → ".chars().count() + outcome.chars().count();
    tracing::debug!("GET {} → {outcome}", log_url(url, taken));
}

/// `200, 412.3 KiB, 180 ms, quota 487/500, reset 212 s`: the status, the
/// body's size as read (decompressed: a gzip body is inflated by
/// [`Http::read_body`], and that is what is parsed and capped at
/// [`MAX_BODY`]), the time
/// from sending the request to the body's end, and the quota when the
/// response states one.
fn answered(status: StatusCode, bytes: usize, started: Instant, quota: Option<&Announced>) -> String {
    let mut line = format!(
        "{}, {}, {} ms",
        status.as_u16(),
        crate::term::human_bytes(bytes as u64),
        millis(started)
    );
    if let Some(q) = quota {
        match q.limit {
            Some(limit) => line.push_str(&format!(", quota {}/{limit}", q.remaining)),
            None => line.push_str(&format!(", quota {} left", q.remaining)),
        }
        if let Some(reset) = q.reset {
            line.push_str(&format!(", reset {} s", reset.as_secs_f64().ceil()));
        }
    }
    line
}

fn millis(since: Instant) -> u128 {
    since.elapsed().as_millis()
}

/// A URL as a log line shows it. Whole when stderr is not a terminal (a
/// file or a pipe keeps everything) and at `-vv` (`catalog=trace`); on a
/// terminal, host, path and query, cut with `…` so that the line, whose
/// other parts take `taken` characters, fits the terminal's width.
fn log_url(url: &Url, taken: usize) -> String {
    let full = display_url(url);
    if tracing::enabled!(tracing::Level::TRACE) {
        return full;
    }
    let Some(size) = crate::term::size(crate::term::Stream::Stderr) else {
        return full;
    };
    let bare = full.split_once("://").map_or(full.as_str(), |(_, rest)| rest);
    let room = size.cols.saturating_sub(LOG_PREFIX + taken).max(MIN_LOG_URL);
    shorten(bare, room)
}

/// `text` cut to at most `max` characters, the last of them `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Removes a key the server copied into a URL it handed us (a next-page link
/// or a redirect): query parameters holding it are dropped, so it is never
/// logged or written into a checkpoint.
///
/// # Errors
/// When the key appears elsewhere in the URL (path, host), which cannot be
/// scrubbed; the URL is then refused.
pub(crate) fn scrub(url: &mut Url, cred: Option<&Credential>) -> Result<(), FetchError> {
    let Some(c) = cred else { return Ok(()) };
    let key = c.key.expose();
    if key.len() < 4
        || !url.as_str().contains(key) && !url.query().is_some_and(|_| decoded_query_contains(url, key))
    {
        return Ok(());
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| !v.contains(key) && !k.contains(key))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    if url.as_str().contains(key) {
        return Err(FetchError::Pagination {
            url: c.key.redact(url.as_str()),
            reason: "the server put the API key into a URL it asked us to follow".into(),
        });
    }
    Ok(())
}

fn decoded_query_contains(url: &Url, key: &str) -> bool {
    url.query_pairs().any(|(k, v)| k.contains(key) || v.contains(key))
}

/// One successful response: a 2xx, or a 304 to a conditional request.
#[derive(Debug)]
pub struct Page {
    /// The status: 2xx, or 304 (only when validators were sent).
    pub status: u16,
    /// The URL that answered (after redirects).
    pub url: Url,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

/// A response's validators (`ETag`, `Last-Modified`), kept to make the
/// next request for the same URL conditional. Neither is a secret; nothing
/// of the request (its `Authorization` included) is ever part of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Validators {
    /// `ETag`, as sent (weak ones keep their `W/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Longest validator value kept: longer ones are not worth their room in
/// a cache entry's fixed-size header.
const MAX_VALIDATOR: usize = 256;

impl Validators {
    /// The validators of a response's headers (printable ones no longer
    /// than [`MAX_VALIDATOR`]).
    #[must_use]
    pub fn of(headers: &HeaderMap) -> Validators {
        let get = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= MAX_VALIDATOR)
                .map(str::to_owned)
        };
        Validators {
            etag: get(ETAG),
            last_modified: get(LAST_MODIFIED),
        }
    }

    /// Neither validator.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    fn apply(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(v) = self.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(IF_NONE_MATCH, v);
        }
        // If-Modified-Since only without an ETag (RFC 9110 13.1.3: a server
        // ignores it when If-None-Match is present).
        if self.etag.is_none() {
            if let Some(v) = self
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                request = request.header(IF_MODIFIED_SINCE, v);
            }
        }
        request
    }
}

enum Attempt {
    Done(Page),
    Retry {
        reason: String,
        wait: Option<Duration>,
        fatal: FetchError,
        why: Wait,
    },
    Fail(FetchError),
}

/// How the key is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>`.
    Header(String),
    /// `?<param>=<key>`.
    Query(String),
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Auth::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Auth {
    pub(crate) fn parse(s: &str) -> Result<Auth, String> {
        let valid = |n: &str| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        match s.split_once(':') {
            None if s == "bearer" => Ok(Auth::Bearer),
            Some(("header", h)) if valid(h) => Ok(Auth::Header(h.to_ascii_lowercase())),
            Some(("query", q)) if valid(q) => Ok(Auth::Query(q.to_owned())),
            _ => Err(format!(
                "unknown auth {s:?}: expected \"bearer\", \"header:NAME\" or \"query:NAME\""
            )),
        }
    }
}

/// The shared HTTP client: one connection pool for the whole run.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl Http {
    /// Builds the client.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialized.
    pub fn new(policy: RetryPolicy) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("catalog/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(policy.timeout)
            .read_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // Asked for here and inflated in `read_body`, in one pass over
            // the whole body, rather than by reqwest in 4 KiB pieces.
            .default_headers(HeaderMap::from_iter([(
                ACCEPT_ENCODING,
                HeaderValue::from_static("gzip"),
            )]))
            .https_only(false)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Http { client, policy })
    }

    /// GETs `url`, pacing, retrying and following redirects as described in
    /// the module docs.
    ///
    /// # Errors
    /// A [`FetchError`] once the failure is not transient or retries ran out.
    pub async fn get(
        &self,
        url: &Url,
        cred: Option<&Credential>,
        pacer: &mut Pacer,
        pages_left: Option<u64>,
        notify: &dyn Notify,
    ) -> Result<Page, FetchError> {
        self.get_if(url, cred, pacer, pages_left, notify, None).await
    }

    /// [`Http::get`], conditional on `validators` when given: sends
    /// `If-None-Match` / `If-Modified-Since`, and a `304 Not Modified` is
    /// then a [`Page`] with status 304 and no body. Pacing and retries are
    /// those of any request; a 304 to a request sent without validators is
    /// an error (there is nothing it could refer to).
    ///
    /// # Errors
    /// As [`Http::get`].
    pub async fn get_if(
        &self,
        url: &Url,
        cred: Option<&Credential>,
        pacer: &mut Pacer,
        pages_left: Option<u64>,
        notify: &dyn Notify,
        validators: Option<&Validators>,
    ) -> Result<Page, FetchError> {
        let mut attempt: u32 = 0;
        loop {
            if let Err(wait) = pacer.turn(pages_left, self.policy.max_wait, notify).await {
                return Err(FetchError::WaitTooLong {
                    url: display_url(url),
                    wait,
                    max_wait: self.policy.max_wait,
                    hint: String::new(),
                });
            }
            attempt += 1;
            let (reason, wait, fatal, why) = match self.attempt(url, cred, pacer, attempt, validators).await {
                Attempt::Done(page) => return Ok(page),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry {
                    reason,
                    wait,
                    fatal,
                    why,
                } => (reason, wait, fatal, why),
            };
            if attempt > self.policy.retries {
                return Err(fatal);
            }
            let wait = match wait {
                Some(w) => {
                    if w > self.policy.max_wait {
                        // The caller knows which key would raise the quota
                        // and fills in the hint.
                        return Err(FetchError::WaitTooLong {
                            url: display_url(url),
                            wait: w,
                            max_wait: self.policy.max_wait,
                            hint: String::new(),
                        });
                    }
                    w
                }
                None => backoff(attempt),
            };
            if tracing::enabled!(tracing::Level::DEBUG) {
                // Why is on the line of the failed attempt, just before.
                let next = format!(
                    " in {:.1} s: attempt {} of {}",
                    wait.as_secs_f64(),
                    attempt + 1,
                    self.policy.retries + 1
                );
                let head = "retrying GET ";
                tracing::debug!("{head}{}{next}", log_url(url, head.len() + next.chars().count()));
            }
            notify.retrying(attempt, &reason);
            // The wait is enforced (and announced) by the pacer, so that it
            // also spaces the next request start from this one.
            pacer.hold_until(wait, why);
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        cred: Option<&Credential>,
        pacer: &mut Pacer,
        attempt: u32,
        validators: Option<&Validators>,
    ) -> Attempt {
        let shown = display_url(url);
        let mut current = url.clone();
        let mut hops = 0;
        let (response, started) = loop {
            let mut request = self.request(&current, cred);
            if let Some(v) = validators {
                request = v.apply(request);
            }
            let started = Instant::now();
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    log_exchange(&current, cred, || {
                        format!("failed after {} ms: {}", millis(started), describe(&e))
                    });
                    if e.is_connect() && !pacer.answered && attempt >= 2 {
                        // The provider was never reached: a name that does not
                        // resolve or a refused connection is no passing fault,
                        // and retrying it for half a minute helps nobody.
                        return Attempt::Fail(unreachable(&current, attempt, &e));
                    }
                    return transport(&shown, attempt, &e);
                }
            };
            let status = response.status();
            if status == StatusCode::NOT_MODIFIED {
                // Not a redirect: the answer to a conditional request.
                break (response, started);
            }
            if status.is_redirection() {
                log_exchange(&current, cred, || {
                    format!("{}, {} ms, redirect", status.as_u16(), millis(started))
                });
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| current.join(l).ok());
                match next {
                    Some(mut next) if hops < MAX_REDIRECTS => {
                        if let Err(e) = scrub(&mut next, cred) {
                            return Attempt::Fail(e);
                        }
                        if cred.is_some_and(|c| next.origin() != c.origin) {
                            tracing::debug!(to = %display_url(&next), "redirect leaves the provider's origin: following without credentials");
                        }
                        hops += 1;
                        current = next;
                        continue;
                    }
                    _ => {
                        return Attempt::Fail(FetchError::Status {
                            status: status.as_u16(),
                            url: shown,
                            hint: "; too many redirects or no Location".into(),
                            detail: String::new(),
                        })
                    }
                }
            }
            break (response, started);
        };
        let announced = Announced::parse(response.headers(), SystemTime::now());
        pacer.observe(announced.as_ref());
        let status = response.status();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let body = self.read_body(response, &shown).await;
        log_exchange(&current, cred, || match &body {
            Ok(body) => answered(status, body.len(), started, announced.as_ref()),
            Err(BodyError::TooLarge(_)) => format!(
                "{}, refused after {} ms: the body is over {} MiB",
                status.as_u16(),
                millis(started),
                MAX_BODY >> 20
            ),
            Err(BodyError::Transport(e)) => format!(
                "{}, failed after {} ms reading the body: {}",
                status.as_u16(),
                millis(started),
                describe(e)
            ),
            Err(BodyError::Corrupt(reason)) => format!(
                "{}, failed after {} ms: {reason}",
                status.as_u16(),
                millis(started)
            ),
        });
        if status == StatusCode::NOT_MODIFIED {
            if validators.is_none_or(Validators::is_empty) {
                return Attempt::Fail(FetchError::Status {
                    status: 304,
                    url: shown,
                    hint: "; Not Modified to a request that sent no validators".into(),
                    detail: String::new(),
                });
            }
            return Attempt::Done(Page {
                status: 304,
                url: final_url,
                headers,
                body: Vec::new(),
            });
        }
        if status.is_success() {
            return match body {
                Ok(body) => Attempt::Done(Page {
                    status: status.as_u16(),
                    url: final_url,
                    headers,
                    body,
                }),
                Err(BodyError::TooLarge(e)) => Attempt::Fail(e),
                Err(BodyError::Transport(e)) => transport(&shown, attempt, &e),
                Err(BodyError::Corrupt(reason)) => Attempt::Retry {
                    fatal: FetchError::Transport {
                        url: shown,
                        attempts: attempt,
                        reason: reason.clone(),
                    },
                    reason,
                    wait: None,
                    why: Wait::Retry,
                },
            };
        }
        let detail = excerpt(&body.unwrap_or_default(), cred);
        let fatal = FetchError::Status {
            status: status.as_u16(),
            url: shown,
            hint: status_hint(status, cred.is_some()),
            detail,
        };
        if !is_transient(status) {
            return Attempt::Fail(fatal);
        }
        let wait = server_wait(status, &headers, announced.as_ref());
        Attempt::Retry {
            reason: format!("HTTP {}", status.as_u16()),
            wait,
            fatal,
            why: if status == StatusCode::TOO_MANY_REQUESTS {
                Wait::RateLimit
            } else {
                Wait::Retry
            },
        }
    }

    fn request(&self, url: &Url, cred: Option<&Credential>) -> reqwest::RequestBuilder {
        let Some(c) = cred.filter(|c| url.origin() == c.origin) else {
            return self.client.get(url.clone());
        };
        match &c.auth {
            Auth::Query(param) => {
                let mut with_key = url.clone();
                with_key.query_pairs_mut().append_pair(param, c.key.expose());
                self.client.get(with_key)
            }
            Auth::Bearer => self
                .client
                .get(url.clone())
                .header(AUTHORIZATION, sensitive(&format!("Bearer {}", c.key.expose()))),
            Auth::Header(name) => self
                .client
                .get(url.clone())
                .header(name.as_str(), sensitive(c.key.expose())),
        }
    }

    /// The body, inflated when it is gzip-encoded, at most [`MAX_BODY`]
    /// bytes either way.
    ///
    /// A body arrives in as many pieces as the socket was read in. They are
    /// gathered first, without a copy when there is only one, and a gzip
    /// body is then inflated in one pass into a buffer of its stated size:
    /// no piece-by-piece decoding, no growing buffer.
    async fn read_body(&self, mut response: reqwest::Response, shown: &str) -> Result<Vec<u8>, BodyError> {
        let too_large = || {
            BodyError::TooLarge(FetchError::TooLarge {
                url: shown.to_owned(),
                cap: MAX_BODY,
            })
        };
        let gzipped = is_gzip(response.headers());
        let declared = response.content_length().unwrap_or(0);
        if declared > MAX_BODY as u64 {
            return Err(too_large());
        }
        let mut first: Option<bytes::Bytes> = None;
        let mut rest: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
            let held = first.as_ref().map_or(0, bytes::Bytes::len) + rest.len();
            if held + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            match first.take() {
                None if rest.is_empty() => first = Some(chunk),
                held_first => {
                    if let Some(f) = held_first {
                        #[allow(clippy::cast_possible_truncation, reason = "bounded by MAX_BODY")]
                        rest.reserve_exact((declared as usize).max(f.len() + chunk.len()));
                        rest.extend_from_slice(&f);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
        }
        let raw: &[u8] = first.as_deref().unwrap_or(&rest);
        if !gzipped {
            return Ok(match first {
                Some(f) => Vec::from(f),
                None => rest,
            });
        }
        gunzip(raw, MAX_BODY).map_err(|e| match e {
            Gunzip::TooLarge => too_large(),
            Gunzip::Corrupt(reason) => BodyError::Corrupt(reason),
        })
    }
}

/// Whether a response's body is gzip-encoded (`Content-Encoding: gzip`,
/// or `x-gzip`, its old name). Any other coding is left as it came: only
/// gzip is asked for.
fn is_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(CONTENT_ENCODING).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|c| c.trim().eq_ignore_ascii_case("gzip") || c.trim().eq_ignore_ascii_case("x-gzip"))
        })
    })
}

/// Why a gzip body could not be inflated.
#[derive(Debug, PartialEq, Eq)]
enum Gunzip {
    /// Over [`MAX_BODY`] once inflated.
    TooLarge,
    /// Not gzip, truncated, or failing its checksum.
    Corrupt(String),
}

/// Inflates a gzip body (RFC 1952; several members follow each other), at
/// most `cap` bytes.
fn gunzip(gz: &[u8], cap: usize) -> Result<Vec<u8>, Gunzip> {
    use std::io::Read as _;
    // An empty body stays empty whatever its stated coding (a 204, or a
    // 304 sent with the coding of the body it confirms).
    if gz.is_empty() {
        return Ok(Vec::new());
    }
    // A member ends with its plain size modulo 2^32 (ISIZE): the last
    // member's is the whole size for any body of one member, the Hub's
    // included, so the buffer is allocated once. It is only a hint: a
    // lying trailer costs growth or room, never a wrong body or more than
    // the cap.
    let hint = gz.len().checked_sub(4).map_or(0, |at| {
        u32::from_le_bytes([gz[at], gz[at + 1], gz[at + 2], gz[at + 3]]) as usize
    });
    let size = hint.min(cap);
    if let Some(body) = inflate_member(gz, size) {
        return Ok(body);
    }
    // Several members, a trailer that lied, or a damaged body: the
    // streaming decoder reads any of them, and says what is wrong.
    // One byte more than the body, so that reading to the end finds the
    // end without growing the buffer.
    let mut out = Vec::with_capacity(size + 1);
    let read = flate2::bufread::MultiGzDecoder::new(gz)
        .take(cap as u64 + 1)
        .read_to_end(&mut out);
    match read {
        Err(e) => Err(Gunzip::Corrupt(format!("the gzip body cannot be inflated: {e}"))),
        Ok(_) if out.len() > cap => Err(Gunzip::TooLarge),
        Ok(_) => Ok(out),
    }
}

/// A body of one gzip member of `size` bytes at most, inflated by
/// libdeflate in one call: its checksum and size checked, into a buffer
/// allocated once. `None` for anything else (more members after the
/// first, a larger body, damage), which the streaming decoder then reads.
///
/// libdeflate's one-shot inflate is the fast path because a Hub page is
/// one member whose size its trailer states: 24.5 µs a page of 100 (10 KB
/// of gzip, 62 KB of JSON) against zlib-rs's 46.5 µs, 259 µs against 394
/// µs a page of 1000 (the same pages, one process, 3,000 and 500 inflates).
fn inflate_member(gz: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let (mut read, mut written) = (0usize, 0usize);
    let done = DECOMPRESSOR.with_borrow_mut(|kept| {
        if kept.is_none() {
            // SAFETY: allocates a decompressor, or returns null.
            let d = unsafe { libdeflate_sys::libdeflate_alloc_decompressor() };
            *kept = std::ptr::NonNull::new(d).map(Decompressor);
        }
        let Some(d) = kept.as_ref().map(|d| d.0.as_ptr()) else {
            return false;
        };
        // SAFETY: the decompressor is this thread's alone and used by one
        // call at a time, as libdeflate allows reusing it; the
        // input is `gz.len()` readable bytes and the output
        // `out.capacity()` writable ones, of which libdeflate reports the
        // `written` it wrote (at most the capacity) on success only.
        let result = unsafe {
            libdeflate_sys::libdeflate_gzip_decompress_ex(
                d,
                gz.as_ptr().cast(),
                gz.len(),
                out.as_mut_ptr().cast(),
                out.capacity(),
                &raw mut read,
                &raw mut written,
            )
        };
        result == libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS
    });
    // A member that ends before the body does is followed by another one
    // (or by garbage): that is for the streaming decoder to read or refuse.
    if !done || read != gz.len() || written > out.capacity() {
        return None;
    }
    // SAFETY: libdeflate wrote `written` bytes from the start of the buffer,
    // within its capacity (checked above).
    unsafe { out.set_len(written) };
    Some(out)
}

/// A libdeflate decompressor, freed with its thread.
struct Decompressor(std::ptr::NonNull<libdeflate_sys::libdeflate_decompressor>);

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

thread_local! {
    /// Each thread's decompressor, kept from one page to the next: made for
    /// every page, its 11 KB of tables were zeroed each time (`memset`,
    /// 6.4 M of the 926 M instructions of 50,000 Hub models in pages of
    /// 100, callgrind).
    static DECOMPRESSOR: std::cell::RefCell<Option<Decompressor>> =
        const { std::cell::RefCell::new(None) };
}

enum BodyError {
    TooLarge(FetchError),
    Transport(reqwest::Error),
    /// A gzip body that does not inflate: a damaged or cut transfer, worth
    /// another attempt like any transport failure.
    Corrupt(String),
}

fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// A transport error and its causes, in one line. reqwest's message names
/// the URL as sent (a query key included); ours already names it, without
/// secrets, so it is cut out.
fn describe(e: &reqwest::Error) -> String {
    let mut reason = e.to_string();
    if let Some(u) = e.url() {
        reason = reason
            .replace(&format!(" ({u})"), "")
            .replace(u.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    reason
}

fn transport(shown: &str, attempts: u32, e: &reqwest::Error) -> Attempt {
    let reason = describe(e);
    let fatal = FetchError::Transport {
        url: shown.to_owned(),
        attempts,
        reason: reason.clone(),
    };
    if e.is_builder() || e.is_redirect() {
        Attempt::Fail(fatal)
    } else {
        Attempt::Retry {
            reason,
            wait: None,
            fatal,
            why: Wait::Retry,
        }
    }
}

/// A provider never reached: one line that says what failed, why and what to
/// try; the whole error chain goes to `-v`.
fn unreachable(url: &Url, attempts: u32, e: &reqwest::Error) -> FetchError {
    // The whole chain is in the failure's `-v` line; the message keeps the root.
    let mut source = std::error::Error::source(e);
    let mut root = None;
    while let Some(s) = source {
        root = Some(s.to_string());
        source = s.source();
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => display_url(url),
    };
    let why = root.unwrap_or_else(|| "no connection".to_owned());
    FetchError::Unreachable {
        host,
        attempts,
        reason: why,
    }
}

/// Statuses worth another attempt.
#[must_use]
pub(crate) fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500..=599)
}

fn server_wait(status: StatusCode, headers: &HeaderMap, announced: Option<&Announced>) -> Option<Duration> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        if let Some(reset) = announced
            .filter(|a| a.paced && a.remaining == 0)
            .and_then(|a| a.reset)
        {
            return Some(reset.saturating_add(Duration::from_secs(1)));
        }
    }
    parse_retry_after(headers, SystemTime::now())
}

fn backoff(attempt: u32) -> Duration {
    let exp = BASE_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(MAX_BACKOFF);
    // Jitter in [cap/2, cap] keeps parallel clients from retrying in lockstep.
    cap.mul_f64(0.5 + fastrand::f64() / 2.0)
}

fn status_hint(status: StatusCode, had_key: bool) -> String {
    match status.as_u16() {
        401 | 403 if had_key => "; the key was refused: check it is valid for this provider".into(),
        401 | 403 => {
            "; this listing needs a key: set the provider's key env var (see `catalog providers`)".into()
        }
        404 => "; check the listing URL (CATALOG_<NAME>_URL / HF_ENDPOINT overrides)".into(),
        429 => "; still rate limited after the retries: retry later or raise --retries".into(),
        _ => String::new(),
    }
}

/// A short single-line excerpt of an error body for messages. The key is
/// redacted in the whole head of the body before it is cut, so no part of
/// an echoed key survives the cut.
fn excerpt(body: &[u8], cred: Option<&Credential>) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let text = match cred {
        Some(c) => c.key.redact(&head),
        None => head.into_owned(),
    };
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.is_empty() {
        String::new()
    } else {
        format!(": {}", clean.chars().take(200).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_says_what_it_is() {
        let now = Instant::now();
        let mut pacer = Pacer::new(Duration::ZERO);
        assert_eq!(pacer.next_start(now, Some(10)).1, None, "nothing to wait for");
        // A backoff after a failure is a retry, never a rate limit.
        pacer.hold_until(Duration::from_secs(4), Wait::Retry);
        assert_eq!(pacer.next_start(now, Some(10)).1, Some(Wait::Retry));
        // The server's window, used up.
        pacer.hold_until(Duration::from_secs(4), Wait::RateLimit);
        assert_eq!(pacer.next_start(now, Some(10)).1, Some(Wait::RateLimit));
        // More pages left than requests in the window: spreading them.
        pacer.quota = Some(Quota {
            remaining: 2,
            reset_at: now + Duration::from_secs(60),
            why: Wait::RateLimit,
        });
        pacer.last_start = Some(now);
        assert_eq!(pacer.next_start(now, Some(10)).1, Some(Wait::Pacing));
        assert_eq!(pacer.next_start(now, Some(2)).1, None, "the window has room");
        // No limit: the pages left are unknown, and the quota is spent back
        // to back until it is used up.
        assert_eq!(pacer.next_start(now, None), (now, None));
    }

    /// What a fixed window of 3 requests says in a response: `remaining`
    /// left, `t` seconds to the reset, the window's length when stated.
    fn fixed_window(remaining: u64, t: u64, length: Option<u64>) -> Announced {
        Announced {
            remaining,
            limit: Some(3),
            reset: Some(Duration::from_secs(t)),
            paced: true,
            fixed: true,
            length: length.map(Duration::from_secs),
        }
    }

    #[test]
    fn a_used_up_window_is_waited_for_from_the_earliest_reset_its_responses_implied() {
        let paced = |remaining, t| fixed_window(remaining, t, None);
        let mut pacer = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        // Three responses of one window; the first implies the earliest
        // reset (now + 9 s), the last says t=10 as its count reaches 0.
        pacer.observe(Some(&paced(2, 9)));
        pacer.observe(Some(&paced(1, 10)));
        pacer.observe(Some(&paced(0, 10)));
        let after = Instant::now();
        let reset_at = pacer.quota.unwrap().reset_at;
        assert!(reset_at >= before + Duration::from_secs(10), "earliest + 1 s");
        assert!(
            reset_at <= after + Duration::from_secs(10),
            "not the last one's + 1 s"
        );
        // A count that goes up is a new window: its own responses decide.
        pacer.observe(Some(&paced(3, 30)));
        pacer.observe(Some(&paced(0, 30)));
        assert!(pacer.quota.unwrap().reset_at >= before + Duration::from_secs(31));
        // A response alone: its own reset plus one second, as the rounding
        // of t is unknown.
        let mut alone = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        alone.observe(Some(&paced(0, 5)));
        assert!(alone.quota.unwrap().reset_at >= before + Duration::from_secs(6));
        // A window not stated to be fixed: each response's reset stands.
        let mut sliding = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        let unfixed = |r, t| Announced {
            fixed: false,
            ..paced(r, t)
        };
        sliding.observe(Some(&unfixed(2, 9)));
        sliding.observe(Some(&unfixed(0, 10)));
        assert!(sliding.quota.unwrap().reset_at >= before + Duration::from_secs(11));
    }

    #[test]
    fn a_response_stating_the_whole_window_proves_the_reset_and_saves_the_rounding_second() {
        // The Hub's headers for a fixed window of 60 s from a server that
        // rounds `t` up: the window's first response says t=60.
        let hub = |remaining, t| fixed_window(remaining, t, Some(60));
        let mut pacer = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        pacer.observe(Some(&hub(2, 60)));
        pacer.observe(Some(&hub(1, 60)));
        pacer.observe(Some(&hub(0, 60)));
        let after = Instant::now();
        let reset_at = pacer.quota.unwrap().reset_at;
        assert!(
            reset_at >= before + Duration::from_secs(60),
            "not before the proved reset"
        );
        assert!(
            reset_at <= after + Duration::from_secs(60),
            "the proved reset, not the earliest + 1 s"
        );
        // No response of the window said the whole length: the rounding is
        // unknown and the second stays.
        let mut unproved = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        unproved.observe(Some(&hub(2, 59)));
        unproved.observe(Some(&hub(0, 59)));
        assert!(unproved.quota.unwrap().reset_at >= before + Duration::from_secs(60));
        // A new window (the count went up) forgets the old proof.
        let before = Instant::now();
        pacer.observe(Some(&hub(3, 30)));
        pacer.observe(Some(&hub(0, 30)));
        assert!(pacer.quota.unwrap().reset_at >= before + Duration::from_secs(31));
        // Not a fixed window: its length proves nothing.
        let mut sliding = Pacer::new(Duration::ZERO);
        let before = Instant::now();
        sliding.observe(Some(&Announced {
            fixed: false,
            ..hub(0, 60)
        }));
        assert!(sliding.quota.unwrap().reset_at >= before + Duration::from_secs(61));
    }

    #[test]
    fn short_keys_are_redacted_where_they_stand_alone() {
        let k = Secret::new("ab1".into());
        assert_eq!(
            k.redact("key ab1 refused; tab1e"),
            "key [redacted] refused; tab1e"
        );
        assert_eq!(k.redact("token=ab1&x"), "token=[redacted]&x");
        let long = Secret::new("sk-abcdefgh".into());
        assert_eq!(long.redact("xsk-abcdefghx"), "x[redacted]x");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn ratelimit_header_of_the_hub_is_parsed_with_its_policy() {
        let now = SystemTime::now();
        let hub = |r: &str| {
            Announced::parse(
                &headers(&[
                    ("ratelimit", r),
                    ("ratelimit-policy", "\"fixed window\";\"api\";q=500;w=300"),
                ]),
                now,
            )
        };
        assert_eq!(
            hub("\"api\";r=499;t=293"),
            Some(Announced {
                remaining: 499,
                limit: Some(500),
                reset: Some(Duration::from_secs(293)),
                paced: true,
                fixed: true,
                length: Some(Duration::from_secs(300)),
            })
        );
        assert_eq!(
            hub("\"api\";r=0;t=55").map(|a| (a.remaining, a.reset)),
            Some((0, Some(Duration::from_secs(55))))
        );
        assert_eq!(hub("garbage"), None);
        // The policy named like the RateLimit item gives the limit.
        let two = headers(&[
            ("ratelimit", "\"pages\";r=7;t=20"),
            ("ratelimit-policy", "\"api\";q=500;w=300, \"pages\";q=10;w=60"),
        ]);
        assert_eq!(Announced::parse(&two, now).and_then(|a| a.limit), Some(10));
        // Only a policy stated as a fixed window is one.
        assert_eq!(Announced::parse(&two, now).map(|a| a.fixed), Some(false));
        let fixed_pages = headers(&[
            ("ratelimit", "\"pages\";r=7;t=20"),
            (
                "ratelimit-policy",
                "\"api\";q=500;w=300, \"fixed window\";\"pages\";q=10;w=60",
            ),
        ]);
        assert_eq!(Announced::parse(&fixed_pages, now).map(|a| a.fixed), Some(true));
        // A stated reset is read as at most seven days.
        let huge = headers(&[("ratelimit", "\"api\";r=0;t=18446744073709551615")]);
        assert_eq!(
            Announced::parse(&huge, now).and_then(|a| a.reset),
            Some(LONGEST_STATED_WAIT)
        );
    }

    #[test]
    fn x_ratelimit_headers_are_read_for_the_log_but_never_pace() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let groq = headers(&[
            ("x-ratelimit-limit-requests", "14400"),
            ("x-ratelimit-remaining-requests", "14397"),
            ("x-ratelimit-reset-requests", "2m59.56s"),
            ("x-ratelimit-remaining-tokens", "5000"),
        ]);
        let a = Announced::parse(&groq, now).unwrap();
        assert_eq!((a.remaining, a.limit, a.paced), (14397, Some(14400), false));
        assert_eq!(a.reset, Some(Duration::from_secs_f64(179.56)));
        // Seconds, Unix seconds and Unix milliseconds.
        for (reset, secs) in [("30", 30), ("1700000042", 42), ("1700000060000", 60)] {
            let h = headers(&[("x-ratelimit-remaining", "9"), ("x-ratelimit-reset", reset)]);
            let a = Announced::parse(&h, now).unwrap();
            assert_eq!(
                (a.remaining, a.limit, a.reset),
                (9, None, Some(Duration::from_secs(secs))),
                "{reset}"
            );
        }
        let h = headers(&[
            ("ratelimit-remaining", "3"),
            ("ratelimit-limit", "5"),
            ("ratelimit-reset", "soon"),
        ]);
        assert_eq!(
            Announced::parse(&h, now),
            Some(Announced {
                remaining: 3,
                limit: Some(5),
                reset: None,
                paced: false,
                fixed: false,
                length: None,
            })
        );
        // A remaining count only in x-ratelimit-* leaves the pacer alone.
        let mut pacer = Pacer::new(Duration::ZERO);
        pacer.observe(Announced::parse(&groq, now).as_ref());
        assert!(pacer.quota.is_none());
        assert_eq!(parse_reset("250ms", now), Some(Duration::from_millis(250)));
        assert_eq!(parse_reset("1h2m3s", now), Some(Duration::from_secs(3723)));
        assert_eq!(parse_reset("3 minutes", now), None);
        assert_eq!(parse_reset("", now), None);
    }

    #[test]
    fn a_response_line_says_status_size_time_and_quota() {
        let started = Instant::now();
        let quota = Announced {
            remaining: 487,
            limit: Some(500),
            reset: Some(Duration::from_secs(212)),
            paced: true,
            fixed: true,
            length: Some(Duration::from_secs(300)),
        };
        let line = answered(StatusCode::OK, 422_195, started, Some(&quota));
        let (head, tail) = line.split_once(" ms").unwrap();
        assert!(head.starts_with("200, 412.3 KiB, "), "{line}");
        assert_eq!(tail, ", quota 487/500, reset 212 s");
        let no_limit = Announced {
            limit: None,
            reset: None,
            ..quota
        };
        assert!(answered(StatusCode::OK, 10, started, Some(&no_limit)).ends_with(" ms, quota 487 left"));
        assert!(answered(StatusCode::SERVICE_UNAVAILABLE, 0, started, None).starts_with("503, 0 B, "));
    }

    #[test]
    fn shortened_urls_end_in_an_ellipsis_and_keep_their_length() {
        let url = "huggingface.co/api/models?limit=100&sort=downloads&expand%5B%5D=pipeline_tag";
        assert_eq!(shorten(url, 200), url);
        let cut = shorten(url, 40);
        assert_eq!(cut.chars().count(), 40);
        assert_eq!(cut, "huggingface.co/api/models?limit=100&sor…");
        assert_eq!(shorten("é".repeat(10).as_str(), 4), "ééé…");
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21T07:28:00Z
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        for attempt in 1..10 {
            let b = backoff(attempt);
            let full = BASE_BACKOFF.saturating_mul(1 << (attempt - 1)).min(MAX_BACKOFF);
            assert!(b >= full / 2 && b <= full, "attempt {attempt}: {b:?}");
        }
    }

    #[test]
    fn validators_are_read_as_sent_and_overlong_ones_dropped() {
        let v = Validators::of(&headers(&[
            ("etag", "W/\"a27-vndQfbspAL31/eKATEOf36LyR8k\""),
            ("last-modified", "Tue, 01 Dec 2026 09:12:00 GMT"),
        ]));
        assert_eq!(v.etag.as_deref(), Some("W/\"a27-vndQfbspAL31/eKATEOf36LyR8k\""));
        assert_eq!(v.last_modified.as_deref(), Some("Tue, 01 Dec 2026 09:12:00 GMT"));
        let long = format!("\"{}\"", "x".repeat(300));
        assert!(Validators::of(&headers(&[("etag", &long)])).is_empty());
        assert!(Validators::of(&headers(&[("authorization", "Bearer k")])).is_empty());
    }

    fn gz(plain: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(plain).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_bodies_of_one_or_several_members_inflate_to_their_bytes() {
        let page = include_bytes!("../tests/fixtures/hf-list-default.json");
        assert_eq!(gunzip(&gz(page), MAX_BODY).unwrap(), page);
        assert_eq!(gunzip(&gz(b""), MAX_BODY).unwrap(), b"");
        assert_eq!(gunzip(b"", MAX_BODY).unwrap(), b"", "no body at all");
        // Members one after the other are one body (RFC 1952 2.2).
        let mut two = gz(b"[{\"id\":\"a/b\"},");
        two.extend(gz(b"{\"id\":\"c/d\"}]"));
        assert_eq!(gunzip(&two, MAX_BODY).unwrap(), br#"[{"id":"a/b"},{"id":"c/d"}]"#);
    }

    #[test]
    fn a_damaged_cut_or_lying_gzip_body_is_corrupt_or_refused_never_a_wrong_body() {
        let page = include_bytes!("../tests/fixtures/hf-list-default.json");
        let good = gz(page);
        let cut = &good[..good.len() - 9];
        assert!(matches!(gunzip(cut, MAX_BODY), Err(Gunzip::Corrupt(_))));
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 0x55;
        assert!(matches!(gunzip(&flipped, MAX_BODY), Err(Gunzip::Corrupt(_))));
        assert!(
            matches!(gunzip(page, MAX_BODY), Err(Gunzip::Corrupt(_))),
            "not gzip"
        );
        // A trailer stating a wrong size (a hint only) changes nothing but
        // the checksum test, which it fails.
        let mut lying = good.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(gunzip(&lying, MAX_BODY), Err(Gunzip::Corrupt(_))));
        // Past the cap once inflated: refused, whatever the compressed size.
        let bomb = gz(&vec![b' '; 10_000]);
        assert!(bomb.len() < 100);
        assert_eq!(gunzip(&bomb, 9_999), Err(Gunzip::TooLarge));
        assert_eq!(gunzip(&bomb, 10_000).unwrap().len(), 10_000);
    }

    #[test]
    fn a_body_of_one_member_is_inflated_in_one_call_and_anything_else_goes_to_the_streaming_decoder() {
        let page = include_bytes!("../tests/fixtures/hf-list-default.json");
        let good = gz(page);
        assert_eq!(inflate_member(&good, page.len()).as_deref(), Some(&page[..]));
        assert_eq!(inflate_member(&gz(b""), 0).as_deref(), Some(&b""[..]));
        // Room for less than the body (a trailer that understates it, or
        // the cap): not here.
        assert_eq!(inflate_member(&good, page.len() - 1), None);
        // A second member after the first: not here, and read whole there.
        let mut two = good.clone();
        two.extend(gz(b"[]"));
        assert_eq!(inflate_member(&two, page.len() + 2), None);
        let mut both = page.to_vec();
        both.extend(b"[]");
        assert_eq!(gunzip(&two, MAX_BODY).unwrap(), both);
        // Damage: not here either.
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 0x55;
        assert_eq!(inflate_member(&flipped, page.len()), None);
        assert_eq!(inflate_member(&good[..good.len() - 9], page.len()), None);
        // The thread keeps one decompressor for every page: after the
        // damaged bodies above, and between bodies of fixed (a short one)
        // and dynamic Huffman codes, each still inflates to its own bytes.
        for _ in 0..3 {
            assert_eq!(inflate_member(&good, page.len()).as_deref(), Some(&page[..]));
            assert_eq!(inflate_member(&gz(b"[]"), 2).as_deref(), Some(&b"[]"[..]));
        }
    }

    #[test]
    fn only_gzip_codings_are_inflated() {
        for (v, gzipped) in [
            ("gzip", true),
            ("GZIP", true),
            ("x-gzip", true),
            ("identity, gzip", true),
            ("br", false),
            ("identity", false),
        ] {
            assert_eq!(is_gzip(&headers(&[("content-encoding", v)])), gzipped, "{v}");
        }
        assert!(!is_gzip(&HeaderMap::new()));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("sk-sentinel-123".into());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.redact("bad key sk-sentinel-123!"), "bad key [redacted]!");
    }

    #[test]
    fn error_excerpts_are_single_line_and_short() {
        assert_eq!(
            excerpt(b"{\"error\":\n\"nope\"}", None),
            ": {\"error\": \"nope\"}"
        );
        assert_eq!(excerpt(b"", None), "");
        assert_eq!(excerpt(&[b'x'; 1000], None).len(), 202);
        // A key echoed across the cut is redacted before the cut.
        let cred = Credential {
            key: Secret::new("sk-0123456789".into()),
            auth: Auth::Bearer,
            origin: Url::parse("https://a.test/").unwrap().origin(),
        };
        let mut body = vec![b'x'; 195];
        body.extend_from_slice(b" sk-0123456789");
        let e = excerpt(&body, Some(&cred));
        assert!(!e.contains("sk-01") && e.contains("[red"), "{e}");
    }
}
