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

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, LOCATION, RETRY_AFTER};
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
        }
    }

    /// Waits until the next request may start. `pages_left` (an upper bound of
    /// the requests still needed) decides whether the quota must be spread.
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
        if pages_left.is_none_or(|p| p > q.remaining) {
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

    /// Reads the server's quota from a response.
    pub(crate) fn observe(&mut self, headers: &HeaderMap) {
        self.answered = true;
        if let Some((remaining, reset)) = parse_ratelimit(headers) {
            let mut reset = scaled(Duration::from_secs(reset).min(LONGEST_STATED_WAIT));
            if remaining == 0 {
                // One second more, as the window boundary is rounded.
                reset += scaled(Duration::from_secs(1));
            }
            self.quota = Some(Quota {
                remaining,
                reset_at: later(reset),
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

/// Parses `RateLimit: "api";r=<remaining>;t=<seconds>` (IETF draft 9, as the
/// Hugging Face Hub sends it). The first policy item with both values wins.
#[must_use]
pub(crate) fn parse_ratelimit(headers: &HeaderMap) -> Option<(u64, u64)> {
    let value = headers.get("ratelimit")?.to_str().ok()?;
    value.split(',').find_map(|item| {
        let mut r = None;
        let mut t = None;
        for param in item.split(';') {
            match param.trim().split_once('=') {
                Some(("r", v)) => r = v.trim().parse().ok(),
                Some(("t", v)) => t = v.trim().parse().ok(),
                _ => {}
            }
        }
        Some((r?, t?))
    })
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

/// One successful response.
#[derive(Debug)]
pub struct Page {
    /// The URL that answered (after redirects).
    pub url: Url,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, decompressed.
    pub body: Vec<u8>,
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
            .gzip(true)
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
            let (reason, wait, fatal, why) = match self.attempt(url, cred, pacer, attempt).await {
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
            tracing::debug!(url = %display_url(url), attempt, ?wait, "retrying: {reason}");
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
    ) -> Attempt {
        let shown = display_url(url);
        let mut current = url.clone();
        let mut hops = 0;
        let response = loop {
            let request = self.request(&current, cred);
            tracing::debug!(url = %display_url(&current), attempt, "GET");
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() && !pacer.answered && attempt >= 2 => {
                    // The provider was never reached: a name that does not
                    // resolve or a refused connection is no passing fault,
                    // and retrying it for half a minute helps nobody.
                    return Attempt::Fail(unreachable(&current, attempt, &e));
                }
                Err(e) => return transport(&shown, attempt, &e),
            };
            let status = response.status();
            if status.is_redirection() {
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
            break response;
        };
        pacer.observe(response.headers());
        let status = response.status();
        if status.is_success() {
            let headers = response.headers().clone();
            let final_url = response.url().clone();
            return match self.read_body(response, &shown).await {
                Ok(body) => Attempt::Done(Page {
                    url: final_url,
                    headers,
                    body,
                }),
                Err(BodyError::TooLarge(e)) => Attempt::Fail(e),
                Err(BodyError::Transport(e)) => transport(&shown, attempt, &e),
            };
        }
        let headers = response.headers().clone();
        let detail = excerpt(&self.read_body(response, &shown).await.unwrap_or_default(), cred);
        let fatal = FetchError::Status {
            status: status.as_u16(),
            url: shown,
            hint: status_hint(status, cred.is_some()),
            detail,
        };
        if !is_transient(status) {
            return Attempt::Fail(fatal);
        }
        let wait = server_wait(status, &headers);
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

    async fn read_body(&self, mut response: reqwest::Response, shown: &str) -> Result<Vec<u8>, BodyError> {
        let too_large = || {
            BodyError::TooLarge(FetchError::TooLarge {
                url: shown.to_owned(),
                cap: MAX_BODY,
            })
        };
        let declared = response.content_length().unwrap_or(0);
        if declared > MAX_BODY as u64 {
            return Err(too_large());
        }
        #[allow(clippy::cast_possible_truncation, reason = "bounded by MAX_BODY")]
        let mut body = Vec::with_capacity(declared as usize);
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

enum BodyError {
    TooLarge(FetchError),
    Transport(reqwest::Error),
}

fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

fn transport(shown: &str, attempts: u32, e: &reqwest::Error) -> Attempt {
    // reqwest's message names the URL; ours already does, without secrets.
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
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut root = None;
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        root = Some(s.to_string());
        source = s.source();
    }
    tracing::debug!("{}: {chain}", display_url(url));
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

fn server_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        if let Some((0, reset)) = parse_ratelimit(headers) {
            return Some(Duration::from_secs(reset + 1));
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
    fn ratelimit_header_of_the_hub_is_parsed() {
        assert_eq!(
            parse_ratelimit(&headers(&[("ratelimit", "\"api\";r=499;t=293")])),
            Some((499, 293))
        );
        assert_eq!(
            parse_ratelimit(&headers(&[("ratelimit", "\"api\";r=0;t=55")])),
            Some((0, 55))
        );
        assert_eq!(parse_ratelimit(&headers(&[("ratelimit", "garbage")])), None);
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
