//! The harvest pipeline shared by `fetch`, `count` and `snapshot`.
//!
//! Each provider is planned first: served from the cache, or fetched live
//! (fresh, resumed from a checkpoint, or incrementally on top of the cached
//! harvest). Live harvests run concurrently; one consumer thread takes their
//! pages in the requested provider order, writes them to the output and to the
//! provider's cache entry, and commits the entry only when the harvest
//! succeeded. A single-provider run therefore streams with flat memory; later
//! providers wait in their channels while earlier ones are written.

use std::collections::{HashMap, HashSet};
use std::io;

use anyhow::Context as _;
use futures::FutureExt as _;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::cache::{parser_id, Cache, CacheConfig, Checkpoint, Entry, EntryWriter, Fingerprint, Key};
use crate::filter::Filter;
use crate::harvest::{harvest, Delivery, FirstResponse, HarvestOptions, Outcome, Start, Status, Target};
use crate::http::{display_url, Http, RetryPolicy};
use crate::identity::{self, Evidence, IdentityRules};
use crate::mapping::HubMapping;
use crate::output::RecordWriter;
use crate::progress::{End, Progress};
use crate::record::{CompactString, Record, Timestamp};
use crate::store::{Bound, FetchEnd, How, Location, Recorded, RunInfo, Sink as DbSink};
use crate::term::{count, human_age};

/// What the engine runs: built complete by [`crate::config`], presentation
/// aside.
#[derive(Debug)]
pub struct Run {
    /// The selected providers, in output order.
    pub providers: Vec<Selected>,
    /// Harvest settings.
    pub harvest: HarvestOptions,
    /// Retry settings.
    pub policy: RetryPolicy,
    /// Cache use.
    pub cache: CacheConfig,
    /// Only records matching this are written or counted.
    pub filter: Option<Filter>,
    /// Providers harvested at once (`--jobs`).
    pub jobs: usize,
    /// The history database every harvested record is also written to (`--db`).
    pub db: Option<Db>,
    /// Read the catalog from the history database as it was at this point
    /// instead of harvesting it (`--as-of`).
    pub as_of: Option<AsOf>,
    /// The Hub's inference-provider mapping, when a selected provider has a
    /// partner name on the Hub (`None`: no such provider).
    pub hub_mapping: Option<HubMapping>,
}

/// `--as-of`: where and when.
#[derive(Debug, Clone)]
pub struct AsOf {
    /// The database.
    pub location: Location,
    /// The point.
    pub bound: Bound,
    /// Leave out the providers with nothing recorded (`--all`) rather than
    /// fail them (named with `-p`).
    pub recorded_only: bool,
}

/// What the database side of a run came to: the run recorded, or the
/// error that cost its history (`None`: no `--db`).
pub(crate) type DbResult = Option<anyhow::Result<Recorded>>;

/// Where and as what a run is recorded in the history database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The database.
    pub location: Location,
    /// The run's row.
    pub info: RunInfo,
}

/// One selected provider.
#[derive(Debug)]
pub enum Selected {
    /// To be harvested (or served from the cache).
    Fetch(Target),
    /// Selected by `--all` but its listing needs a key that is not set.
    Skipped(Target),
}

/// Deliveries that may wait in a provider's channel to the writer: one (the
/// harvest asks for the next page only when the channel has room again, so
/// at most one delivery waits while the next is fetched and parsed, and one
/// is being written). The provider being written is slowed by a slow reader
/// (a pipe into jq) instead of filling memory; the others fetch this far
/// ahead and then wait their turn. A delivery is counted in models, not
/// pages, so the peak is the same whatever the page size: with 4 pages of
/// 1000 in flight, a long harvest's peak grew by the megabytes of whichever
/// pages happened to queue up while the writer lagged.
const DELIVERIES_IN_FLIGHT: usize = 1;

/// Records a harvest gathers before handing them to the writer (pages of 100
/// go five at a time, unless they come slower than [`crate::harvest::HOLD`]).
/// Each hand-off wakes the writer thread, and the harvest again when the
/// writer makes room; waking a thread on the other core is dear in a VM.
/// 50,000 Hub models in pages of 100 (`perf stat`, 21 rounds of each in
/// turn): 122.3 ms of CPU at 200 a delivery, 115.2 at 500, 112.2 at 1,000;
/// peak 10.7, 11.2 and 12.2 MiB, and with `--db` 15.1, 14.9 and 16.0 MiB
/// (16.3 at most), past that sink's 16 MiB budget at 1,000.
const MODELS_PER_DELIVERY: u64 = 500;

/// Hands a delivery to the writer's channel; `false` once nobody listens.
/// The next page is asked for only once the channel has room again: at
/// pages of 1000 (room for one), when the writer has taken this one.
/// Otherwise a third page was parsed and held, waiting to be queued, while
/// the writer wrote the first and the second waited. The last delivery is
/// not waited for: the harvest, and its time, end with it.
async fn deliver(tx: &mpsc::Sender<Msg>, provider: &str, d: Delivery) -> bool {
    let last = d.next.is_none();
    if tx.send(Msg::Page(d)).await.is_err() {
        return false;
    }
    if last {
        return true;
    }
    // A writer taking its next delivery does so in microseconds; one that
    // has not after this long is held up downstream, and the wait says so.
    let quick = std::time::Duration::from_millis(100);
    match tokio::time::timeout(quick, tx.reserve()).await {
        Ok(room) => room.is_ok(),
        Err(_) => {
            tracing::debug!("{provider}: the next page waits for the writer (its queue is full)");
            tx.reserve().await.is_ok()
        }
    }
}

/// What a consumer writes records to (nothing for `count`).
pub(crate) type Output = Option<RecordWriter<Box<dyn crate::output::Finish + Send>>>;

/// Where the consumer hands the records that pass the filter, in output
/// order: a writer ([`Output`]), or a command that keeps some of them (`ls`
/// sorts them, `show` looks for one).
pub(crate) trait Sink: Send + 'static {
    /// Takes one record.
    ///
    /// # Errors
    /// An error of the output; it ends the run.
    fn put(&mut self, r: &Record) -> io::Result<()>;

    /// Whether records are wanted at all: without them (`count` with no
    /// filter) a cached entry is counted from its header, not read.
    fn wants_records(&self) -> bool {
        true
    }
}

impl Sink for Output {
    fn put(&mut self, r: &Record) -> io::Result<()> {
        match self {
            Some(w) => w.write(r),
            None => Ok(()),
        }
    }

    fn wants_records(&self) -> bool {
        self.is_some()
    }
}

enum Msg {
    Page(Delivery),
    Done {
        ok: bool,
        pages: u64,
        /// The harvest's failure, for the database.
        error: Option<String>,
        elapsed: std::time::Duration,
        /// The listing's first response (validators, body hash, unchanged).
        first: Option<FirstResponse>,
    },
}

enum Source {
    Cached { entry: Entry, note: String },
    Missing { reason: String },
    Live(Box<Live>),
}

struct Live {
    rx: mpsc::Receiver<Msg>,
    state: Pending,
}

/// The cached harvest an incremental harvest builds on.
struct Base {
    entry: Entry,
    /// Each cached model's last modification.
    modified: HashMap<CompactString, Option<Timestamp>>,
}

struct Job {
    name: String,
    key: Key,
    source: Source,
    /// The listing URL, for the database.
    url: String,
    /// Hub filters narrow the listing: absent models are not removed ones.
    narrowed: bool,
    /// The Hub's mapping speaks of this provider's records.
    mapped: bool,
}

/// What the consumer did for one provider.
#[derive(Debug, Default)]
struct Served {
    models: Option<u64>,
    note: Option<String>,
    failed: Option<String>,
    /// Age of the stale copy that stood in for a failed harvest (`--stale-ok`).
    recovered: Option<std::time::Duration>,
    /// A live harvest's failure and wall time, and its limit.
    harvest: Option<(Option<String>, std::time::Duration)>,
    limit: Option<u64>,
    /// The first response, for the database.
    first: Option<FirstResponse>,
    /// `unchanged since ...`, for the summary.
    unchanged: Option<String>,
}

/// A provider's place in the run, in output order.
enum Slot {
    /// Nothing to do (skipped for a missing key).
    Done(Outcome),
    /// Served by the consumer; `task` is its live harvest, if any.
    Job(Option<tokio::task::JoinHandle<Outcome>>),
}

/// Runs every selected provider and feeds `output` (and the database, with
/// `--db`); returns the outcomes in selection order, the output for the
/// caller to finish, and the database's error: that one does not stop the
/// run, so that the output is still committed.
///
/// # Errors
/// When the output cannot be written (a closed pipe included).
pub(crate) async fn run(
    cfg: &Run,
    progress: &Progress,
    output: Output,
) -> anyhow::Result<(Vec<Outcome>, Output, DbResult)> {
    run_into(cfg, progress, output).await
}

/// [`run`] into any [`Sink`].
///
/// # Errors
/// See [`run`].
pub(crate) async fn run_into<S: Sink>(
    cfg: &Run,
    progress: &Progress,
    output: S,
) -> anyhow::Result<(Vec<Outcome>, S, DbResult)> {
    if let Some(as_of) = cfg.as_of.clone() {
        let providers: Vec<(String, IdentityRules)> = cfg
            .providers
            .iter()
            .map(|p| match p {
                Selected::Fetch(t) | Selected::Skipped(t) => (t.spec.name.clone(), t.spec.identity_rules()),
            })
            .collect();
        let filter = cfg.filter.clone();
        // Only the cached mapping: `--as-of` asks no server.
        let evidence = match wanted_mapping(cfg, &output) {
            Some(m) => {
                let (evidence, warning) = crate::mapping::load(m, cfg.policy).await;
                if let Some(w) = warning {
                    progress.println(&format!("warning: {w}"));
                }
                evidence
            }
            None => Evidence::default(),
        };
        let (outcomes, output) = tokio::task::spawn_blocking(move || {
            read_as_of(&as_of, &providers, filter.as_ref(), &evidence, output)
        })
        .await
        .context("the database reader panicked")??;
        return Ok((outcomes, output, None));
    }
    let http = Http::new(cfg.policy).context("starting the HTTP client")?;
    let cache = cfg.cache.cache.clone();
    // The mapping is asked beside the providers; the writer waits for it
    // only when it reaches the first record of a provider it speaks of.
    let (hub, mapping_task) = match wanted_mapping(cfg, &output) {
        Some(m) => {
            let (m, policy) = (m.clone(), cfg.policy);
            let (tx, rx) = oneshot::channel();
            let task = tokio::spawn(async move {
                let _ = tx.send(crate::mapping::load(&m, policy).await);
            });
            (Hub::Pending(rx, progress.clone()), Some(task))
        }
        None => (Hub::Ready(Evidence::default()), None),
    };
    // Harvests start in output order, at most `jobs` at a time: the one the
    // writer waits for always runs (it started before any later one), so a
    // later harvest blocked on its full channel can never hold it up.
    let permits = Arc::new(Semaphore::new(cfg.jobs.max(1)));
    let mut starts: Vec<oneshot::Sender<OwnedSemaphorePermit>> = Vec::new();
    let mut jobs = Vec::new();
    let mut slots = Vec::with_capacity(cfg.providers.len());
    for selected in &cfg.providers {
        let target = match selected {
            Selected::Skipped(t) => {
                slots.push(Slot::Done(Outcome::skipped(t)));
                continue;
            }
            Selected::Fetch(t) => t,
        };
        let name = target.spec.name.clone();
        let url = display_url(&target.url);
        let narrowed = target.spec.shape.takes_hub_filters()
            && (cfg.harvest.hub.search.is_some()
                || cfg.harvest.hub.author.is_some()
                || cfg.harvest.hub.pipeline_tag.is_some());
        let mapped = mapping_task.is_some() && target.spec.hub_partner.is_some();
        match plan(cfg, target, cache.as_ref())? {
            Plan::Skip => slots.push(Slot::Done(Outcome::skipped(target))),
            Plan::Serve(key, source) => {
                jobs.push(Job {
                    name,
                    key,
                    source,
                    url,
                    narrowed,
                    mapped,
                });
                slots.push(Slot::Job(None));
            }
            Plan::Fetch {
                key,
                opts,
                start,
                live,
            } => {
                if let Some(cp) = &live.resume {
                    progress.println(&format!(
                        "{name}: resumed from page {} ({})",
                        cp.pages + 1,
                        count(cp.models, "model", "models")
                    ));
                }
                let (tx, rx) = mpsc::channel(DELIVERIES_IN_FLIGHT);
                let bar = progress.bar(&name, target.limit(&opts));
                jobs.push(Job {
                    name,
                    key,
                    source: Source::Live(Box::new(Live { rx, state: *live })),
                    url,
                    narrowed,
                    mapped,
                });
                let (http, target) = (http.clone(), target.clone());
                let deliver_at = usize::try_from(MODELS_PER_DELIVERY).unwrap_or(0);
                let (go, turn) = oneshot::channel();
                starts.push(go);
                slots.push(Slot::Job(Some(tokio::spawn(async move {
                    // Held for the whole harvest; `Err` only when the run
                    // is being torn down.
                    let Ok(_permit) = turn.await else {
                        return Outcome::new(&target.spec.name);
                    };
                    let (sender, provider) = (&tx, target.spec.name.as_str());
                    let harvesting = harvest(&http, &target, &opts, start, deliver_at, &bar, move |d| {
                        deliver(sender, provider, d)
                    });
                    // A bug in one provider's harvest fails that provider;
                    // the others are still written.
                    let outcome = match std::panic::AssertUnwindSafe(harvesting).catch_unwind().await {
                        Ok(outcome) => outcome,
                        Err(panic) => {
                            let what = panic
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_owned())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_default();
                            let mut o = Outcome::new(&target.spec.name);
                            o.status = Status::Failed(format!("internal error, please report it: {what}"));
                            o
                        }
                    };
                    // The bar shows the harvest, not the writer's queue: it
                    // ends now, even when the writer is still busy with an
                    // earlier provider. A closed channel means the consumer
                    // went away (closed pipe, stopped run) and cut it short.
                    bar.end(if outcome.failed() {
                        End::Failed
                    } else if tx.is_closed() {
                        End::Stopped
                    } else {
                        End::Done
                    });
                    let _ = tx
                        .send(Msg::Done {
                            ok: !outcome.failed(),
                            pages: outcome.pages,
                            error: match &outcome.status {
                                Status::Failed(e) => Some(e.clone()),
                                _ => None,
                            },
                            elapsed: outcome.elapsed,
                            first: outcome.first.as_deref().cloned(),
                        })
                        .await;
                    outcome
                }))));
            }
        }
    }

    tokio::spawn(async move {
        for go in starts {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let _ = go.send(permit);
        }
    });
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let raw = cfg.harvest.raw;
    let filter = cfg.filter.clone();
    let db = cfg.db.clone().map(|db| {
        let secrets = cfg
            .providers
            .iter()
            .filter_map(|p| match p {
                Selected::Fetch(t) | Selected::Skipped(t) => t.credential.as_ref().map(|c| c.key.clone()),
            })
            .collect();
        (db, secrets)
    });
    let consumer = tokio::task::spawn_blocking(move || {
        consume(jobs, cache.as_ref(), raw, filter.as_ref(), hub, output, db)
    });

    let mut fetched = Vec::with_capacity(slots.len());
    for slot in slots {
        fetched.push(match slot {
            Slot::Done(o) => Ok(o),
            Slot::Job(Some(t)) => Err(Some(t.await.context("a harvest task panicked")?)),
            Slot::Job(None) => Err(None),
        });
    }
    let (served, output, sink) = consumer.await.context("the writer panicked")??;
    // Not waited for when no record needed it (its providers failed).
    if let Some(task) = mapping_task {
        task.abort();
    }
    progress.clear();

    // The consumer served the jobs in slot order.
    let mut served = served.into_iter().zip(names);
    let outcomes = fetched
        .into_iter()
        .map(|slot| match slot {
            Ok(done) => done,
            Err(live) => {
                let (s, name) = served.next().expect("the consumer serves every job");
                merge(&name, s, live)
            }
        })
        .collect::<Vec<Outcome>>();
    let db_result = match sink {
        Some(sink) => {
            let skipped: Vec<(String, String)> = outcomes
                .iter()
                .filter(|o| matches!(o.status, Status::Skipped { .. }))
                .map(|o| (o.provider.clone(), crate::report::skip_reason(&o.status)))
                .collect();
            tokio::task::spawn_blocking(move || sink.finish(&skipped))
                .await
                .context("the database writer panicked")
                .map(Some)?
        }
        None => None,
    };
    Ok((outcomes, output, db_result))
}

/// `--as-of`: each selected provider's records as the database held them,
/// through the filter into `output`; no request is made.
fn read_as_of<S: Sink>(
    as_of: &AsOf,
    providers: &[(String, IdentityRules)],
    filter: Option<&Filter>,
    evidence: &Evidence,
    mut output: S,
) -> anyhow::Result<(Vec<Outcome>, S)> {
    let name = as_of.location.display();
    let reader = as_of.location.reader()?;
    let point = reader.point("--as-of", &as_of.bound)?;
    let mut outcomes = Vec::with_capacity(providers.len());
    for (provider, rules) in providers {
        let started = std::time::Instant::now();
        let mut passed = 0u64;
        // A count of everything needs no record: the database counts.
        let counted = if filter.is_none() && !output.wants_records() {
            Some(
                reader
                    .count_at(point.fetch, provider)
                    .with_context(|| format!("database {name}"))?,
            )
        } else {
            None
        };
        if let Some(Some(n)) = counted {
            passed = n;
        }
        let found = if let Some(found) = counted {
            found
        } else {
            reader
                .catalog_at(point.fetch, provider, &mut |mut r| {
                    // Not stored (the tool's derivation): by today's rules.
                    identity::assign(&mut r, rules, evidence);
                    if filter.is_none_or(|f| f.matches(&r)) {
                        passed += 1;
                        output.put(&r)?;
                    }
                    Ok(())
                })
                .with_context(|| format!("database {name}"))?
        };
        let mut o = Outcome::new(provider);
        o.elapsed = started.elapsed();
        o.models = passed;
        match found {
            Some(_) => o.note = Some(format!("as of run {}, {}", point.run, point.at)),
            None if as_of.recorded_only => continue,
            None => {
                o.status = Status::Failed(format!(
                    "nothing of {provider} was recorded in {name} at or before run {} ({})",
                    point.run, point.at
                ));
            }
        }
        outcomes.push(o);
    }
    Ok((outcomes, output))
}

fn merge(name: &str, s: Served, live: Option<Outcome>) -> Outcome {
    let mut o = live.unwrap_or_else(|| Outcome::new(name));
    if let Some(m) = s.models {
        o.models = m;
    }
    if let Some(reason) = s.failed {
        if !o.failed() {
            o.status = Status::Failed(reason);
        }
    }
    o.note = s.note;
    o.unchanged = s.unchanged;
    if let Some(age) = s.recovered {
        // The stale copy stands in for the failed harvest; the note says why.
        if let Status::Failed(reason) = std::mem::replace(&mut o.status, Status::Ok) {
            o.note = Some(format!(
                "failed ({reason}); served the cached copy from {} ago instead (--stale-ok)",
                human_age(age)
            ));
        }
    }
    o
}

enum Plan {
    Skip,
    Serve(Key, Source),
    Fetch {
        key: Key,
        opts: HarvestOptions,
        start: Start,
        /// The consumer's side, short of the channel made when the harvest starts.
        live: Box<Pending>,
    },
}

/// A live job's consumer state before its channel exists.
struct Pending {
    writer: Option<EntryWriter>,
    resume: Option<Checkpoint>,
    base: Option<Base>,
    fallback: Option<Entry>,
    limit: Option<u64>,
    /// A single-page listing's cached harvest, opened: served when the
    /// listing turns out unchanged.
    known: Option<Known>,
    /// For a single-page listing, the parser its entry is made by (see
    /// [`Fingerprint::parser`]); `None`: the entry keeps no fingerprint.
    parser: Option<String>,
    /// When this harvest started.
    fetched_at: Timestamp,
}

/// The cached harvest a conditional request refers to, its file held open
/// so that it is there to serve whatever another run does to the cache.
struct Known {
    entry: Entry,
    file: std::fs::File,
    fingerprint: Fingerprint,
}

/// The options `target` is harvested with under `cfg`, the key of its cache
/// entry (and checkpoint), and whether the harvest is incremental.
fn harvest_key(cfg: &Run, target: &Target) -> (HarvestOptions, Key, bool) {
    let mut opts = cfg.harvest.clone();
    let incremental_sort = target
        .spec
        .shape
        .incremental_sort()
        .filter(|_| cfg.cache.incremental);
    let incremental = incremental_sort.is_some();
    if let Some(sort) = incremental_sort {
        opts.hub.sort = Some(sort.into());
    }
    let key = Key::new(
        display_url(&target.url),
        target.limit(&opts),
        target.page_size(&opts),
        &opts.hub,
    );
    (opts, key, incremental)
}

/// Where the checkpoints of a run's paged harvests are: taken before the
/// run starts, so that once it is interrupted it can say what `--resume`
/// continues.
#[derive(Debug)]
pub(crate) struct Resumable {
    /// The cache (`None` with `--no-cache`).
    pub(crate) cache: Option<Cache>,
    /// Each paged harvest: provider, key, whether its records keep `raw`.
    harvests: Vec<(String, Key, bool)>,
    /// Some harvest is incremental (it is run again, not resumed).
    pub(crate) incremental: bool,
    /// The run's keys, which a command line to print must not hold.
    pub(crate) secrets: Vec<crate::http::Secret>,
}

impl Resumable {
    /// The paged harvests `cfg` would run.
    pub(crate) fn of(cfg: &Run) -> Resumable {
        let mut r = Resumable {
            cache: cfg.cache.cache.clone(),
            harvests: Vec::new(),
            incremental: false,
            secrets: Vec::new(),
        };
        for selected in &cfg.providers {
            let Selected::Fetch(target) = selected else {
                continue;
            };
            if let Some(c) = &target.credential {
                r.secrets.push(c.key.clone());
            }
            // Offline, nothing is harvested (a checkpoint there is an older
            // run's, and --resume does not go with --offline).
            if cfg.cache.offline || target.spec.paging == crate::providers::Paging::None {
                continue;
            }
            let (opts, key, incremental) = harvest_key(cfg, target);
            r.incremental |= incremental;
            r.harvests.push((target.spec.name.clone(), key, opts.raw));
        }
        r
    }

    /// The checkpoints in the cache now that `--resume` would continue, in
    /// the run's provider order.
    pub(crate) fn kept(&self) -> Vec<(String, Checkpoint)> {
        let Some(cache) = &self.cache else {
            return Vec::new();
        };
        self.harvests
            .iter()
            .filter_map(|(name, key, raw)| {
                let cp = cache.checkpoint(name, key).filter(|cp| cp.raw == *raw)?;
                Some((name.clone(), cp))
            })
            .collect()
    }
}

fn plan(cfg: &Run, target: &Target, cache: Option<&Cache>) -> anyhow::Result<Plan> {
    let cc = &cfg.cache;
    let name = target.spec.name.as_str();
    let (opts, key, incremental) = harvest_key(cfg, target);
    let entry = cache
        .and_then(|c| c.lookup(name, &key))
        .filter(|e| !opts.raw || e.header.raw);

    if cc.offline {
        return Ok(match entry {
            Some(entry) => {
                let note = format!("offline: cached copy, {} old", human_age(entry.age()));
                Plan::Serve(key, Source::Cached { entry, note })
            }
            None if target.spec.needs_key && target.credential.is_none() => Plan::Skip,
            None => Plan::Serve(
                key,
                Source::Missing {
                    reason: format!("no cached copy of {name}; run once without --offline to fill the cache"),
                },
            ),
        });
    }
    if let (Some(entry), Some(max_age)) = (&entry, cc.max_age) {
        if !cc.refresh && entry.age() < max_age {
            let note = format!("from cache, {} old", human_age(entry.age()));
            return Ok(Plan::Serve(
                key,
                Source::Cached {
                    entry: entry.clone(),
                    note,
                },
            ));
        }
    }

    let mut start = Start::fresh();
    let resume = match cache {
        Some(c) if cc.resume => c.checkpoint(name, &key).filter(|cp| cp.raw == opts.raw),
        _ => None,
    };
    if cc.resume && resume.is_none() && target.spec.paging != crate::providers::Paging::None {
        tracing::warn!("{name}: no checkpoint to resume from; fetching from the first page");
    }
    let mut resume = resume;
    if let (Some(cp), Some(c)) = (&resume, cache) {
        let mut seen = crate::harvest::SeenIds::default();
        let read = c.read_checkpoint_ids(name, &key, cp, |id| seen.insert(id));
        match (read, url::Url::parse(&cp.next)) {
            (Ok(()), Ok(next)) => {
                start.url = Some(next);
                start.pages = cp.pages;
                start.seen = seen;
                start.fetched_at = cp.fetched_at;
            }
            // A damaged checkpoint costs the pages it saved, never the run.
            (Err(e), _) => {
                tracing::warn!("{name}: the checkpoint cannot be read ({e}); fetching from the first page");
                resume = None;
            }
            (_, Err(e)) => {
                tracing::warn!("{name}: the checkpoint names no URL ({e}); fetching from the first page");
                resume = None;
            }
        }
    }
    let base = match (&entry, cache) {
        (Some(entry), Some(c)) if incremental && resume.is_none() => {
            let mut modified = HashMap::new();
            let mut newest: Option<Timestamp> = None;
            let read = c.read(entry, false, |r| {
                newest = newest.max(r.last_modified);
                modified.insert(r.id, r.last_modified);
                Ok(())
            });
            match read {
                Ok(()) => {
                    start.stop_older_than = newest;
                    Some(Base {
                        entry: entry.clone(),
                        modified,
                    })
                }
                Err(e) => {
                    tracing::warn!(
                        "{name}: the cached harvest cannot be read ({e}); fetching everything instead of the changes"
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let writer = match cache {
        Some(c) => match c.writer(name, &key, start.fetched_at, opts.raw, resume.as_ref()) {
            Ok(Some(w)) => Some(w),
            Ok(None) => {
                tracing::warn!(
                    "{name}: another catalog run is writing its cache entry; this run will not cache it"
                );
                None
            }
            Err(e) => {
                tracing::warn!("{name}: cannot write the cache in {}: {e}", c.dir().display());
                None
            }
        },
        None => None,
    };
    // A single-page listing can be asked conditionally, and compared by
    // its hash: only against an entry this catalog and provider definition
    // made, and never without an entry to serve (a 304 must not become an
    // empty listing). With --refresh too: a 304 is current data.
    let single = target.spec.paging == crate::providers::Paging::None && cache.is_some();
    let parser = single.then(|| parser_id(&format!("{:?}", target.spec)));
    let known = match (&entry, cache, &parser) {
        (Some(e), Some(c), Some(p)) if resume.is_none() && base.is_none() => e
            .header
            .response
            .as_deref()
            .filter(|f| f.parser == *p)
            .cloned()
            .and_then(|fingerprint| match c.open(e) {
                Ok(file) => Some(Known {
                    entry: e.clone(),
                    file,
                    fingerprint,
                }),
                Err(err) => {
                    tracing::debug!("{name}: cache entry gone before it was opened ({err})");
                    None
                }
            }),
        _ => None,
    };
    start.known = known.as_ref().map(|k| Box::new(k.fingerprint.clone()));
    let fallback = if cc.stale_ok { entry } else { None };
    Ok(Plan::Fetch {
        key,
        live: Box::new(Pending {
            writer,
            resume,
            base,
            fallback,
            limit: target.limit(&opts),
            known,
            parser,
            fetched_at: start.fetched_at,
        }),
        opts,
        start,
    })
}

/// The run's mapping of the Hub, as the writer has it.
enum Hub {
    /// Still being fetched; with where to say it is unavailable.
    Pending(oneshot::Receiver<(Evidence, Option<String>)>, Progress),
    /// Here (or known to be unavailable: then empty).
    Ready(Evidence),
}

impl Hub {
    /// The mapping, waited for the first time it is needed: the writer
    /// holds a record the mapping may decide until it is there. Its warning
    /// is said then, so a run whose records never needed it says nothing.
    fn get(&mut self) -> &Evidence {
        if matches!(self, Hub::Pending(..)) {
            let Hub::Pending(rx, progress) = std::mem::replace(self, Hub::Ready(Evidence::default())) else {
                unreachable!("matched above")
            };
            let (evidence, warning) = rx.blocking_recv().unwrap_or_default();
            if let Some(w) = warning {
                progress.println(&format!("warning: {w}"));
            }
            *self = Hub::Ready(evidence);
        }
        match self {
            Hub::Ready(evidence) => evidence,
            Hub::Pending(..) => unreachable!("received above"),
        }
    }
}

/// The mapping `cfg` asks for, when its records are read at all (`count`
/// without a filter counts them, and their canonical ids do not matter).
fn wanted_mapping<'a, S: Sink>(cfg: &'a Run, output: &S) -> Option<&'a HubMapping> {
    cfg.hub_mapping
        .as_ref()
        .filter(|_| output.wants_records() || cfg.filter.is_some())
}

/// Writes the records that pass the filter, and counts them.
struct Emitter<'a, S> {
    output: S,
    filter: Option<&'a Filter>,
    passed: u64,
    /// The database sees every record the harvest gave, before `--filter`:
    /// the history is of the catalog, not of one view of it.
    db: Option<DbSink>,
    hub: Hub,
    /// Whether the Hub's mapping speaks of the current provider's records.
    mapped: bool,
}

impl<S: Sink> Emitter<'_, S> {
    fn emit(&mut self, r: &Record) -> io::Result<()> {
        if let Some(db) = self.db.as_mut() {
            db.stage(r);
        }
        // The mapping is applied here, where every record passes (live,
        // cached, merged or read back), before the filter sees its key.
        if self.mapped && self.hub.get().mapped(&r.provider, &r.id).is_some() {
            let mut r = r.clone();
            identity::remap(&mut r, self.hub.get());
            return self.pass(&r);
        }
        self.pass(r)
    }

    fn pass(&mut self, r: &Record) -> io::Result<()> {
        if self.filter.is_none_or(|f| f.matches(r)) {
            self.passed += 1;
            self.output.put(r)?;
        }
        Ok(())
    }

    /// Whether records must be read at all (to write or to count them).
    fn reads(&self) -> bool {
        self.output.wants_records() || self.filter.is_some()
    }
}

/// Writes a cache entry's records to the output. The outer error is the
/// output's (it ends the run); the inner one is the entry's (a damaged line:
/// it fails only this provider).
fn serve<S: Sink>(
    c: &Cache,
    entry: &Entry,
    raw: bool,
    out: &mut Emitter<'_, S>,
) -> io::Result<Result<(), String>> {
    let mut written: Option<io::Error> = None;
    let read = c.read(entry, raw, |r| {
        out.emit(&r).map_err(|e| {
            let stop = io::Error::new(e.kind(), e.to_string());
            written = Some(e);
            stop
        })
    });
    if let Some(e) = written {
        return Err(e);
    }
    Ok(read.map_err(|e| e.to_string()))
}

/// The consumer: runs on a blocking thread, in selection order.
fn consume<S: Sink>(
    jobs: Vec<Job>,
    cache: Option<&Cache>,
    raw: bool,
    filter: Option<&Filter>,
    hub: Hub,
    output: S,
    db: Option<(Db, Vec<crate::http::Secret>)>,
) -> anyhow::Result<(Vec<Served>, S, Option<DbSink>)> {
    let mut served = Vec::with_capacity(jobs.len());
    let mut out = Emitter {
        output,
        filter,
        passed: 0,
        db: db.map(|(db, secrets)| DbSink::open(&db.location, &db.info, secrets)),
        hub,
        mapped: false,
    };
    for job in jobs {
        out.passed = 0;
        out.mapped = job.mapped;
        let how = match &job.source {
            Source::Live(_) => How::Live,
            _ => How::Cached,
        };
        if let Some(db) = out.db.as_mut() {
            db.begin();
            if how != How::Live {
                db.pause();
            }
        }
        let mut s = match job.source {
            Source::Missing { reason } => Served {
                failed: Some(reason),
                ..Served::default()
            },
            Source::Cached { entry, note } => match cache {
                Some(c) if out.reads() => match serve(c, &entry, raw, &mut out)? {
                    Ok(()) => Served {
                        note: Some(note),
                        ..Served::default()
                    },
                    Err(reason) => Served {
                        failed: Some(format!(
                            "the cached copy is damaged ({reason}); run without --offline or --max-age to fetch it again"
                        )),
                        ..Served::default()
                    },
                },
                _ => {
                    out.passed = entry.header.models;
                    Served {
                        note: Some(note),
                        ..Served::default()
                    }
                }
            },
            Source::Live(live) => consume_live(&job.name, &job.key, *live, cache, raw, &mut out)?,
        };
        // What was written (or would have been, for count) is the count.
        s.models = Some(out.passed);
        if let Some(db) = out.db.as_mut() {
            let (error, elapsed) = s.harvest.clone().unwrap_or_default();
            db.end(&FetchEnd {
                provider: &job.name,
                url: Some(&job.url),
                how: if s.recovered.is_some() {
                    How::Recovered
                } else {
                    how
                },
                error: error.or_else(|| s.failed.clone()),
                narrowed: job.narrowed,
                limit: s.limit,
                elapsed,
                unchanged: s.unchanged.is_some(),
                response: s.first.as_ref(),
            });
        }
        served.push(s);
    }
    Ok((served, out.output, out.db))
}

fn consume_live<S: Sink>(
    name: &str,
    key: &Key,
    live: Live,
    cache: Option<&Cache>,
    raw: bool,
    out: &mut Emitter<'_, S>,
) -> anyhow::Result<Served> {
    let Live {
        mut rx,
        state:
            Pending {
                mut writer,
                resume,
                base,
                fallback,
                limit,
                known,
                parser,
                fetched_at,
            },
    } = live;
    // With a stale copy to fall back on, records wait in the cache entry
    // until the harvest is known to have succeeded.
    let mut buffered = fallback.is_some() && writer.is_some();
    let mut streamed = false;
    if let (Some(cp), Some(c)) = (&resume, cache) {
        if !buffered {
            c.read_checkpoint(name, key, cp, |r| {
                streamed = true;
                out.emit(&r)
            })?;
        }
    }
    let mut fetched_ids: HashSet<CompactString> = HashSet::new();
    let (mut new, mut updated) = (0u64, 0u64);
    let (ok, pages, error, elapsed, first) = loop {
        match rx.blocking_recv() {
            Some(Msg::Page(d)) => {
                if let Some(w) = writer.as_mut() {
                    if let Err(e) = w.write_pages(d.records(), d.next.as_deref(), d.pages) {
                        // The cache is best effort: a full or broken cache
                        // disk costs the cached copy, never the output.
                        tracing::warn!(
                            "{name}: the cache cannot be written ({e}); going on without caching it"
                        );
                        let mut w = writer.take().expect("a writer was there");
                        if buffered {
                            // What waited in the entry goes out now, and the
                            // rest streams.
                            w.read_back(raw, |r| {
                                streamed = true;
                                out.emit(&r)
                            })
                            .with_context(|| format!("reading back the cache entry of {name}"))?;
                            buffered = false;
                        }
                        w.abandon();
                    }
                }
                for r in d.records() {
                    if let Some(b) = &base {
                        fetched_ids.insert(r.id.clone());
                        match b.modified.get(&r.id) {
                            None => new += 1,
                            Some(m) if *m != r.last_modified => updated += 1,
                            Some(_) => {}
                        }
                    }
                    if !buffered {
                        streamed = true;
                        out.emit(r)?;
                    }
                }
            }
            Some(Msg::Done {
                ok,
                pages,
                error,
                elapsed,
                first,
            }) => break (ok, pages, error, elapsed, first),
            // The harvest was cancelled.
            None => {
                break (
                    false,
                    0,
                    Some("cancelled".to_owned()),
                    std::time::Duration::ZERO,
                    None,
                )
            }
        }
    };

    let mut s = Served {
        harvest: Some((error, elapsed)),
        limit,
        first: first.clone(),
        ..Served::default()
    };
    let unchanged = first.as_ref().and_then(|f| f.unchanged);
    if let (true, Some(how), Some(k), Some(c)) = (ok, unchanged, known.as_ref(), cache) {
        let f = first.as_ref().expect("unchanged comes from a first response");
        return serve_unchanged(name, c, k, f, how, writer, parser, raw, out, s);
    }
    if let (Some(w), Some(f), Some(p)) = (writer.as_mut(), first.as_ref(), parser) {
        w.set_response(Some(Fingerprint {
            validators: f.validators.clone(),
            body_sha256: f.body_sha256.clone(),
            since: fetched_at,
            parser: p,
        }));
    }
    if ok {
        if let (Some(b), Some(c)) = (&base, cache) {
            let unchanged = fetched_ids.len() as u64 - new - updated;
            let mut reused = 0u64;
            let mut total = fetched_ids.len() as u64;
            c.read(&b.entry, true, |r| {
                if fetched_ids.contains(&r.id) || limit.is_some_and(|l| total >= l) {
                    return Ok(());
                }
                total += 1;
                reused += 1;
                if let Some(w) = writer.as_mut() {
                    w.write_records(std::slice::from_ref(&r))?;
                }
                if !buffered {
                    let mut r = r;
                    if !raw {
                        r.raw = None;
                    }
                    out.emit(&r)?;
                }
                Ok(())
            })
            .with_context(|| format!("merging the cached harvest of {name}"))?;
            s.models = Some(total);
            s.note = Some(format!(
                "incremental: {new} new, {updated} updated, {unchanged} unchanged, {reused} reused from the cache"
            ));
        }
        if let Some(mut w) = writer.take() {
            if buffered {
                // Out before the commit: a commit that fails costs the
                // cached copy, not the records.
                w.read_back(raw, |r| out.emit(&r))
                    .with_context(|| format!("reading back the cache entry of {name}"))?;
            }
            if let Err(e) = w.commit(pages) {
                tracing::warn!("{name}: the cache entry could not be saved: {e}");
            }
        }
        return Ok(s);
    }
    if let Some(w) = writer.take() {
        w.abandon();
    }
    // The stale copy is not an observation of this run.
    if let Some(db) = out.db.as_mut() {
        db.pause();
    }
    match (fallback, cache) {
        (Some(entry), Some(c)) if !streamed => match serve(c, &entry, raw, out)? {
            Ok(()) => s.recovered = Some(entry.age()),
            Err(reason) => tracing::warn!("{name}: the cached copy is damaged too ({reason})"),
        },
        _ => {}
    }
    Ok(s)
}

/// A single-page listing found unchanged (a 304, or the stored body hash):
/// its records are the cached harvest's, served from the entry opened when
/// the run was planned and copied into a fresh entry (so that `--max-age`
/// counts from now), with the time they were last received kept.
#[allow(clippy::too_many_arguments, reason = "the consumer's state, taken apart once")]
fn serve_unchanged<S: Sink>(
    name: &str,
    c: &Cache,
    known: &Known,
    first: &FirstResponse,
    how: crate::harvest::Unchanged,
    mut writer: Option<EntryWriter>,
    parser: Option<String>,
    raw: bool,
    out: &mut Emitter<'_, S>,
    mut s: Served,
) -> anyhow::Result<Served> {
    let mut written: Option<io::Error> = None;
    let mut models = 0u64;
    let read = c.read_open(&known.file, &known.entry, true, |r| {
        if let Some(w) = writer.as_mut() {
            if let Err(e) = w.write_records(std::slice::from_ref(&r)) {
                tracing::warn!("{name}: the cache cannot be written ({e}); going on without caching it");
                if let Some(w) = writer.take() {
                    w.abandon();
                }
            }
        }
        let mut r = r;
        if !raw {
            r.raw = None;
        }
        models += 1;
        out.emit(&r).map_err(|e| {
            let stop = io::Error::new(e.kind(), e.to_string());
            written = Some(e);
            stop
        })
    });
    if let Some(e) = written {
        return Err(e.into());
    }
    if let Err(e) = read {
        if let Some(w) = writer.take() {
            w.abandon();
        }
        // Without it the next run asks unconditionally.
        let _ = std::fs::remove_file(&known.entry.path);
        s.failed = Some(format!(
            "the listing is unchanged ({}) but its cached copy is damaged ({e}); the copy was removed, so the next run fetches the listing whole",
            how.says()
        ));
        return Ok(s);
    }
    let since = known.fingerprint.since;
    if let Some(mut w) = writer {
        w.set_response(parser.map(|parser| Fingerprint {
            validators: first.validators.clone(),
            body_sha256: first.body_sha256.clone(),
            since,
            parser,
        }));
        if let Err(e) = w.commit(known.entry.header.pages) {
            tracing::warn!("{name}: the cache entry could not be saved: {e}");
        }
    }
    s.models = Some(models);
    s.unchanged = Some(format!("unchanged since {} ({})", minute(since), how.says()));
    Ok(s)
}

/// `2026-12-01 09:12 UTC`.
fn minute(t: Timestamp) -> String {
    let text = t.to_string();
    match text.get(..16) {
        Some(m) => format!("{} UTC", m.replacen('T', " ", 1)),
        None => text,
    }
}
