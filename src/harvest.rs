//! One provider's harvest: request pages, follow its pagination, normalize,
//! de-duplicate, stop at the limit, and hand records on page by page.

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use url::Url;

use crate::cache::{sha256_hex, Fingerprint};
use crate::dedup::IdSet;
use crate::error::FetchError;
use crate::http::{display_url, Credential, Http, Notify, Pacer, Validators, Wait};
use crate::paging::{self, next_url, LoopGuard, PageState};
use crate::providers::{HubFilters, ParseCtx, ProviderSpec};
use crate::record::{CompactString, Record, Timestamp, MAX_LINE};

/// A provider ready to harvest: its table entry, resolved URL and key.
#[derive(Debug, Clone)]
pub struct Target {
    /// The table entry.
    pub spec: ProviderSpec,
    /// The listing URL after overrides.
    pub url: Url,
    /// The key, when one is set.
    pub credential: Option<Credential>,
    /// The env var the key came from.
    pub key_source: Option<String>,
}

pub use crate::limit::Limit;

/// Settings of one harvest.
#[derive(Debug, Clone, Default)]
pub struct HarvestOptions {
    /// Maximum models (`None`: the provider's default, else unlimited).
    pub limit: Option<Limit>,
    /// Page size (`None`: the provider's default).
    pub batch_size: Option<u32>,
    /// Minimum spacing of anonymous requests (`None`: the provider's default).
    pub delay: Option<Duration>,
    /// Hub filters.
    pub hub: HubFilters,
    /// Keep each provider's original object.
    pub raw: bool,
    /// Pages a harvest may take before it fails (`None`: [`MAX_PAGES`]).
    pub max_pages: Option<u64>,
}

/// The default ceiling of pages per harvest: 100 times the whole Hub in
/// pages of 1000, far beyond any real listing, short of forever.
pub const MAX_PAGES: u64 = 100_000;

/// How a harvest ended.
#[derive(Debug)]
pub struct Outcome {
    /// Provider name.
    pub provider: String,
    /// Models handed on (after de-duplication and the limit).
    pub models: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Malformed models skipped.
    pub skipped: u64,
    /// Duplicate ids dropped.
    pub duplicates: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// What happened.
    pub status: Status,
    /// How the records were obtained, when not simply fetched (cache,
    /// stale copy, incremental merge).
    pub note: Option<String>,
    /// What the listing's first response said about itself (`None`: no
    /// request was answered, or the harvest resumed past page 1).
    pub first: Option<Box<FirstResponse>>,
    /// `unchanged since 2026-12-01 09:12 UTC (304)`: the listing was as
    /// cached, and its records were served from the cache.
    pub unchanged: Option<String>,
}

/// The first response of a listing: its status, validators and body hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstResponse {
    /// 200 (or another 2xx), or 304.
    pub status: u16,
    /// Its `ETag` / `Last-Modified` (a 304 without them keeps the stored ones).
    pub validators: Validators,
    /// SHA-256 of the body (for a 304: of the body it confirms).
    pub body_sha256: String,
    /// Whether it proved the listing unchanged since the cached harvest.
    pub unchanged: Option<Unchanged>,
}

/// How a listing was found unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchanged {
    /// `304 Not Modified` to a conditional request.
    NotModified,
    /// A body with the stored SHA-256.
    SameBody,
}

impl Unchanged {
    /// `304`, `same body`: how the summary says it.
    #[must_use]
    pub fn says(self) -> &'static str {
        match self {
            Unchanged::NotModified => "304",
            Unchanged::SameBody => "same body",
        }
    }
}

/// The result of one provider.
#[derive(Debug)]
pub enum Status {
    /// Every page was fetched (or the limit was reached).
    Ok,
    /// Not attempted: its listing needs a key and none is set.
    Skipped {
        /// The env vars any of which would enable it.
        key_env: Vec<String>,
    },
    /// Failed; records handed on before the failure stay handed on.
    Failed(String),
}

impl Outcome {
    /// Whether the provider failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed(_))
    }

    /// An outcome for a provider that was not attempted.
    #[must_use]
    pub fn skipped(target: &Target) -> Outcome {
        Outcome {
            status: Status::Skipped {
                key_env: target.spec.key_env.clone(),
            },
            ..Outcome::new(&target.spec.name)
        }
    }

    /// An outcome with nothing done yet.
    #[must_use]
    pub fn new(provider: &str) -> Outcome {
        Outcome {
            provider: provider.to_owned(),
            models: 0,
            pages: 0,
            skipped: 0,
            duplicates: 0,
            elapsed: Duration::ZERO,
            status: Status::Ok,
            note: None,
            first: None,
            unchanged: None,
        }
    }
}

/// Where a harvest starts: from scratch, or from a checkpoint.
#[derive(Debug)]
pub struct Start {
    /// The page to request first (`None`: the listing's first page).
    pub url: Option<Url>,
    /// Pages already done.
    pub pages: u64,
    /// Ids already delivered (not delivered again).
    pub seen: SeenIds,
    /// The fetch time written into records.
    pub fetched_at: Timestamp,
    /// Incremental harvest: stop after the first page whose models were all
    /// last modified before this time.
    pub stop_older_than: Option<Timestamp>,
    /// The cached harvest of a single-page listing: its validators make the
    /// request conditional, and a 304 or a body with its hash means the
    /// listing is unchanged (nothing is parsed or handed on).
    pub known: Option<Box<Fingerprint>>,
}

impl Start {
    /// A fresh harvest starting now.
    #[must_use]
    pub fn fresh() -> Start {
        Start {
            url: None,
            pages: 0,
            seen: SeenIds::default(),
            fetched_at: Timestamp::now(),
            stop_older_than: None,
            known: None,
        }
    }
}

/// The ids a harvest delivered before it was interrupted, taken in from its
/// checkpoint one by one into the harvest's own index (about a byte a model
/// past the first 32,768): a checkpoint of a million models costs no
/// million ids in memory.
#[derive(Debug, Default)]
pub struct SeenIds(Box<IdSet>);

impl SeenIds {
    /// Adds an id delivered before.
    ///
    /// # Errors
    /// The index's temporary file could not be read.
    pub fn insert(&mut self, id: &str) -> std::io::Result<()> {
        self.0.insert(id_hash(id)).map(drop)
    }

    /// How many there are.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The hash a harvest's index keeps of an id (the same in every run: a
/// checkpoint's ids and a resumed harvest's must meet). foldhash's quality
/// variant: uniform over all 64 bits, as the index's filter and its
/// predicted places need, and several times faster than SipHash on ids.
fn id_hash(id: &str) -> u64 {
    foldhash::quality::FixedState::with_seed(0x0069_645f_6861_7368).hash_one(id)
}

/// Consecutive pages handed on by a harvest (one, unless the caller's
/// `deliver_at` gathers several).
#[derive(Debug, Default)]
pub struct Delivery {
    /// New records of the pages (after de-duplication and the limit), each
    /// page's in its own vector: joining them moved every record once more
    /// (4.7 % of a Hub harvest's profile samples in pages of 100, in
    /// `memmove`).
    pub pages_records: Vec<Vec<Record>>,
    /// The URL of the page after them, when the harvest goes on (a resumable point).
    pub next: Option<String>,
    /// How many pages these are.
    pub pages: u64,
}

impl Delivery {
    /// The records, in listing order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.pages_records.iter().flatten()
    }

    /// The records, in listing order, taken.
    pub fn into_records(self) -> impl Iterator<Item = Record> {
        self.pages_records.into_iter().flatten()
    }

    fn models(&self) -> usize {
        self.pages_records.iter().map(Vec::len).sum()
    }
}

/// Progress of a harvest, as it goes.
pub trait Observer: Notify {
    /// A page was fetched; totals so far.
    fn page(&self, models: u64, pages: u64);
}

impl Target {
    /// The effective limit: the option, else the provider's default;
    /// `None` for every model.
    #[must_use]
    pub fn limit(&self, opts: &HarvestOptions) -> Option<u64> {
        match opts.limit {
            Some(Limit::All) => None,
            Some(Limit::Models(n)) => Some(n),
            None => self.spec.limit,
        }
    }

    /// The page size of the first request.
    #[must_use]
    pub fn page_size(&self, opts: &HarvestOptions) -> Option<u64> {
        paging::page_size(
            self.spec.paging,
            opts.batch_size,
            self.spec.page_size,
            self.limit(opts),
        )
    }

    /// The first page's URL: the listing URL plus the paging parameters and
    /// the shape's own (the Hub's filters).
    #[must_use]
    pub fn first_url(&self, opts: &HarvestOptions) -> Url {
        let mut url = self.url.clone();
        {
            let mut q = url.query_pairs_mut();
            paging::first_page(
                self.spec.paging,
                self.spec.size_param(),
                self.page_size(opts),
                &mut q,
            );
            self.spec.shape.first_page_params(&mut q, &opts.hub);
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }
}

/// The longest gathered pages wait for more to join their delivery: a
/// listing that answers slowly (a paced one, a real network) still reaches
/// the output and its checkpoint page by page, while a fast one is handed on
/// in deliveries of `deliver_at`.
pub(crate) const HOLD: Duration = Duration::from_millis(250);

/// Awaits `sending` (a delivery on its way to the writer) while `request`,
/// the next page, goes on being read: a writer held up by a slow reader
/// must not leave the page coming unread until it times out. The page, or
/// `None` once nobody listens (the page is then not waited for).
async fn send_reading<T>(
    sending: impl std::future::Future<Output = bool>,
    mut request: std::pin::Pin<&mut impl std::future::Future<Output = T>>,
) -> Option<T> {
    let mut sending = std::pin::pin!(sending);
    let mut arrived = None;
    let sent = loop {
        tokio::select! {
            sent = &mut sending => break sent,
            page = &mut request, if arrived.is_none() => arrived = Some(page),
        }
    };
    if !sent {
        return None;
    }
    Some(match arrived {
        Some(page) => page,
        None => request.await,
    })
}

/// Harvests one provider, handing each page's new records to `emit` in the
/// provider's order. Never panics on bad data; failures end up in the outcome.
/// `emit` resolves to `false` when nobody listens any more, which ends the
/// harvest; while it is pending (a full channel), no further page is asked
/// for, so a slow reader slows the harvest instead of growing memory.
/// Records are handed on once `deliver_at` have gathered (0: every page on
/// its own), or once the first of them has waited [`HOLD`] for the rest;
/// pages are never split, and the last page goes at once.
pub async fn harvest<F, Fut>(
    http: &Http,
    target: &Target,
    opts: &HarvestOptions,
    mut start: Start,
    deliver_at: usize,
    observer: &dyn Observer,
    mut emit: F,
) -> Outcome
where
    F: FnMut(Delivery) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    // The test suite's way to prove that a bug in one provider's harvest is
    // contained to it; not in release builds.
    #[cfg(debug_assertions)]
    if std::env::var("CATALOG_TEST_PANIC").is_ok_and(|p| p == target.spec.name) {
        panic!("CATALOG_TEST_PANIC asked {} to panic", target.spec.name);
    }
    let spec = &target.spec;
    let mut out = Outcome::new(&spec.name);
    let limit = target.limit(opts);
    let page_size = target.page_size(opts);
    let delay = if target.credential.is_some() {
        Duration::ZERO
    } else {
        opts.delay
            .or(spec.delay_ms.map(Duration::from_millis))
            .unwrap_or(Duration::ZERO)
    };
    let mut pacer = Pacer::new(delay);
    let hinting = TokenHint {
        inner: observer,
        target,
        said: std::sync::atomic::AtomicBool::new(false),
    };
    let ctx = ParseCtx {
        raw: opts.raw,
        // Capped: a page size is a request, not a promise.
        expected_items: page_size.map_or(0, |s| usize::try_from(s.min(1000)).unwrap_or(0)),
        ..ParseCtx::for_spec(spec, &display_url(&target.url), start.fetched_at)
    };
    let index_failed = |e: std::io::Error| FetchError::Index {
        dir: std::env::temp_dir().display().to_string(),
        reason: e.to_string(),
    };
    let mut seen_ids = *std::mem::take(&mut start.seen).0;
    out.models = seen_ids.len();
    out.pages = start.pages;
    let mut guard = LoopGuard::default();
    let mut url = start.url.clone().unwrap_or_else(|| target.first_url(opts));
    let mut fetched_items: u64 = out.models;

    // Pages gathered and not yet handed on (see `deliver_at`), and since when.
    let mut pending = Delivery::default();
    let mut held_since: Option<Instant> = None;
    let result: Result<(), FetchError> = async {
        loop {
            let pages_left = match (limit, page_size) {
                (Some(l), Some(s)) if s > 0 => Some(l.saturating_sub(out.models).div_ceil(s)),
                _ => None,
            };
            // Only the listing's first page can be compared with the cache.
            let first = start.url.is_none() && out.pages == start.pages;
            let known = start.known.as_deref().filter(|_| first);
            let conditional = known.map(|k| &k.validators).filter(|v| !v.is_empty());
            let request = http.get_if(
                &url,
                target.credential.as_ref(),
                &mut pacer,
                pages_left,
                &hinting,
                conditional,
            );
            let page = match held_since {
                None => request.await?,
                Some(since) => {
                    // Pages gathered for a delivery go on after `HOLD` even
                    // if this page is slow to come: the output (and the
                    // checkpoint) never lag far behind the harvest.
                    let mut request = std::pin::pin!(request);
                    let due = tokio::time::Instant::from_std(since + HOLD);
                    tokio::select! {
                        biased;
                        page = &mut request => page?,
                        () = tokio::time::sleep_until(due) => {
                            held_since = None;
                            match send_reading(emit(std::mem::take(&mut pending)), request.as_mut()).await {
                                Some(page) => page?,
                                // The consumer is gone.
                                None => return Ok(()),
                            }
                        }
                    }
                }
            };
            out.pages += 1;
            if first {
                let response = first_response(&page, known);
                let unchanged = response.unchanged.is_some();
                out.first = Some(Box::new(response));
                if unchanged {
                    // The cached records stand: nothing to parse.
                    observer.page(0, out.pages);
                    return Ok(());
                }
            }
            let parsed = spec
                .shape
                .parse(&page.body, &ctx)
                .map_err(|reason| FetchError::Decode {
                    page: out.pages,
                    url: display_url(&url),
                    shape: spec.shape.name(),
                    reason,
                })?;
            out.skipped += parsed.skipped as u64;
            fetched_items += parsed.items as u64;
            let older = start
                .stop_older_than
                .is_some_and(|t| all_older(&parsed.records, t));
            // Filtered in place: records are large, moving each one costs.
            let mut fresh = parsed.records;
            let mut index_error = None;
            fresh.retain(|record| {
                if !fits_a_line(record) {
                    out.skipped += 1;
                    tracing::debug!(
                        "{}: skipped a model whose record would be longer than {MAX_LINE} bytes",
                        spec.name
                    );
                    return false;
                }
                if index_error.is_some() || limit.is_some_and(|l| out.models >= l) {
                    return false;
                }
                match seen_ids.insert(id_hash(record.id.as_str())) {
                    Ok(true) => {
                        out.models += 1;
                        true
                    }
                    Ok(false) => {
                        out.duplicates += 1;
                        false
                    }
                    Err(e) => {
                        index_error = Some(e);
                        false
                    }
                }
            });
            if let Some(e) = index_error {
                return Err(index_failed(e));
            }
            observer.page(out.models, out.pages);
            guard.page(fresh.len(), &url)?;
            let done = limit.is_some_and(|l| out.models >= l) || parsed.items == 0 || older;
            let mut next = if done {
                None
            } else {
                let at = PageState {
                    url: &url,
                    headers: &page.headers,
                    hints: &parsed.hints,
                    pages: out.pages,
                    items: fetched_items,
                    page_size,
                };
                next_url(spec.paging, &at)?
            };
            if let Some(n) = next.as_mut() {
                crate::http::scrub(n, target.credential.as_ref())?;
            }
            pending.pages_records.push(fresh);
            pending.pages += 1;
            pending.next = next.as_ref().map(ToString::to_string);
            if next.is_none() || pending.models() >= deliver_at {
                held_since = None;
                if !emit(std::mem::take(&mut pending)).await {
                    // The consumer is gone (closed pipe, cancelled run).
                    return Ok(());
                }
            } else {
                held_since.get_or_insert_with(Instant::now);
            }
            let Some(next) = next else {
                return Ok(());
            };
            guard.advance(&url, &next, out.duplicates, fetched_items, out.skipped)?;
            let ceiling = opts.max_pages.unwrap_or(MAX_PAGES);
            if out.pages >= ceiling {
                return Err(FetchError::Pagination {
                    url: display_url(&next),
                    reason: format!("{ceiling} pages and still going (--max-pages {ceiling})"),
                });
            }
            url = next;
        }
    }
    .await;
    if pending.pages > 0 {
        // The pages read before a failure are handed on, as they would have
        // been one by one.
        emit(std::mem::take(&mut pending)).await;
    }

    if let Err(mut e) = result {
        if let FetchError::WaitTooLong { hint, .. } = &mut e {
            if target.credential.is_none() && !spec.key_env.is_empty() {
                *hint = format!(" or set {} for a higher quota", spec.key_vars());
            }
        }
        let msg = e.to_string();
        let msg = match &target.credential {
            Some(c) => c.key.redact(&msg),
            None => msg,
        };
        out.status = Status::Failed(msg);
    }
    out.elapsed = started.elapsed();
    out
}

/// What the first page's response says, compared with the cached harvest.
fn first_response(page: &crate::http::Page, known: Option<&Fingerprint>) -> FirstResponse {
    let mut validators = Validators::of(&page.headers);
    match known {
        Some(k) if page.status == 304 => {
            // A 304 may leave out the validators it confirms.
            if validators.etag.is_none() {
                validators.etag.clone_from(&k.validators.etag);
            }
            if validators.last_modified.is_none() {
                validators.last_modified.clone_from(&k.validators.last_modified);
            }
            FirstResponse {
                status: 304,
                validators,
                body_sha256: k.body_sha256.clone(),
                unchanged: Some(Unchanged::NotModified),
            }
        }
        _ => {
            let body_sha256 = sha256_hex(&page.body);
            let same = known.is_some_and(|k| k.body_sha256 == body_sha256);
            FirstResponse {
                status: page.status,
                validators,
                body_sha256,
                unchanged: same.then_some(Unchanged::SameBody),
            }
        }
    }
}

/// Whether the record's longest form (the cache's, `raw` included) fits in
/// [`MAX_LINE`]. Only a record whose text is already large is written out to
/// be measured; the rest are far below.
fn fits_a_line(r: &Record) -> bool {
    let opt = |s: &Option<CompactString>| s.as_ref().map_or(0, CompactString::len);
    let text = r.id.len()
        + r.source.len()
        + opt(&r.name)
        + opt(&r.owned_by)
        + opt(&r.task)
        + opt(&r.hugging_face_id)
        + opt(&r.quantization)
        + opt(&r.knowledge_cutoff)
        + opt(&r.expires_at)
        + r.tags.as_json().len()
        + r.input_modalities.as_json().len()
        + r.output_modalities.as_json().len()
        + r.capabilities.as_json().len()
        + r.raw.as_ref().map_or(0, |raw| raw.get().len());
    if text < MAX_LINE / 8 {
        return true;
    }
    let mut line = Vec::new();
    crate::json::write_record(&mut line, r, &crate::record::Field::ALL, true);
    line.len() < MAX_LINE
}

/// Whether every record of a page was last modified before `t` (and says when).
fn all_older(records: &[Record], t: Timestamp) -> bool {
    records.iter().all(|r| r.last_modified.is_some_and(|m| m < t))
}

/// Adds, once, a hint that a key raises the quota when anonymous requests wait.
struct TokenHint<'a> {
    inner: &'a dyn Observer,
    target: &'a Target,
    said: std::sync::atomic::AtomicBool,
}

impl Notify for TokenHint<'_> {
    fn waiting(&self, wait: Duration, why: Wait) {
        self.inner.waiting(wait, why);
        if matches!(why, Wait::RateLimit | Wait::Pacing)
            && self.target.credential.is_none()
            && !self.target.spec.key_env.is_empty()
            && !self.said.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(
                "{}: anonymous requests are rate limited; a key in {} raises the quota",
                self.target.spec.name,
                self.target.spec.key_vars()
            );
        }
    }
    fn retrying(&self, attempt: u32, reason: &str) {
        self.inner.retrying(attempt, reason);
    }
}
