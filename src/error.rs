//! Typed errors of the library. Every message names what failed and, where the
//! user can act, what to do next. None ever carries a key: URLs in errors come
//! from [`crate::http::display_url`], which drops credentials and queries.

use std::time::Duration;

/// Why one provider's harvest failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a non-success status that was not retried or
    /// kept failing after the retries.
    #[error("HTTP {status} from {url}{hint}{detail}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The URL requested (no secrets).
        url: String,
        /// A hint on what to do, starting with "; " (or empty).
        hint: String,
        /// A short excerpt of the body, starting with ": " (or empty).
        detail: String,
    },
    /// The provider could not be reached at all (its name does not resolve,
    /// or the connection is refused) on its first request.
    #[error(
        "cannot reach {host} ({reason}; {attempts} attempts); offline? behind a proxy (HTTPS_PROXY)? \
         for a mirror or a local server set HF_ENDPOINT or CATALOG_<NAME>_URL"
    )]
    Unreachable {
        /// Host and port.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// The innermost cause (`Connection refused`, a DNS failure).
        reason: String,
    },
    /// The request could not be completed (connect, TLS, timeout, reset).
    #[error("request to {url} failed after {attempts} attempt(s): {reason}")]
    Transport {
        /// The URL requested (no secrets).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The underlying error, without its URL.
        reason: String,
    },
    /// The body is not a listing of the expected shape.
    #[error("page {page} from {url} is not a valid {shape} listing: {reason}")]
    Decode {
        /// 1-based page number.
        page: u64,
        /// The URL requested (no secrets).
        url: String,
        /// The adapter's name.
        shape: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The server asked to wait longer than `--max-wait`.
    #[error(
        "rate limited by {url}: the server asks to wait {}s, more than --max-wait {}s; \
         retry later{hint}",
        wait.as_secs(), max_wait.as_secs()
    )]
    WaitTooLong {
        /// The URL requested (no secrets).
        url: String,
        /// The wait the server asked for.
        wait: Duration,
        /// The configured cap.
        max_wait: Duration,
        /// A hint (e.g. set a token), starting with " or " (or empty).
        hint: String,
    },
    /// Pagination went in circles or beyond any sane bound.
    #[error("pagination does not end: {reason} (at {url})")]
    Pagination {
        /// The URL requested (no secrets).
        url: String,
        /// What was seen.
        reason: String,
    },
    /// The temporary file that holds the ids of a large harvest failed.
    #[error(
        "the index of models already delivered (a temporary file in {dir}) failed: {reason}; \
         point TMPDIR at a writable directory with free space"
    )]
    Index {
        /// The temporary directory.
        dir: String,
        /// The I/O error.
        reason: String,
    },
    /// The response body exceeded the size cap.
    #[error("response from {url} is larger than {cap} bytes; refusing to read it")]
    TooLarge {
        /// The URL requested (no secrets).
        url: String,
        /// The cap in bytes.
        cap: usize,
    },
}

/// A user error found before any request is sent (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// Wraps a message.
    pub fn new(msg: impl Into<String>) -> Self {
        UsageError(msg.into())
    }
}
