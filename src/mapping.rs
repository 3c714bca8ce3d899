//! The Hub's inference-provider mapping for a run: fetched once, beside the
//! providers, for the selected providers the table names a `hub_partner` of,
//! and cached like a provider's listing.
//!
//! It is enrichment, not a provider: a run without it (offline with no
//! cached copy, an HTTP error, a timeout, a body that is no mapping) goes on
//! with the other layers of [`crate::identity`] and says so in one warning;
//! the exit code does not change.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::cache::{Cache, CacheConfig, Key};
use crate::http::{display_url, Credential, Http, Notify, Pacer, RetryPolicy, Wait};
use crate::identity::hub::{self, Entry};
use crate::identity::Evidence;
use crate::record::{Record, Timestamp};

/// What the cache files its entries under (`catalog cache ls` shows it),
/// one entry per partner.
const CACHE_NAME: &str = "hub-mapping";

/// The longest a request for the mapping may take, and wait: the writer
/// holds a partner provider's records until the mapping is there, so a
/// hanging Hub must not hold them for the run's whole `--timeout`.
const MAX_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a run asks for the Hub's mapping, and for which providers.
#[derive(Debug, Clone)]
pub struct HubMapping {
    /// The Hub's base URL: `HF_ENDPOINT`, or the Hub provider's listing URL
    /// without its `/api/models`.
    pub base: Url,
    /// The Hub's token, sent to the Hub's origin only.
    pub credential: Option<Credential>,
    /// Each selected provider with a partner name on the Hub: (provider,
    /// partner), in selection order.
    pub partners: Vec<(String, String)>,
    /// How the cache is used (the run's; read only, stale included, with
    /// `--as-of`).
    pub cache: CacheConfig,
}

impl HubMapping {
    /// `{base}/api/partners/{partner}/models?status=live`.
    fn url(&self, partner: &str) -> Url {
        let mut url = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}/api/partners/{partner}/models"));
        url.set_query(Some("status=live"));
        url
    }
}

/// The mapping of every partner of `m`, and the warning to print when some
/// of it could not be had (what, and why).
pub(crate) async fn load(m: &HubMapping, policy: RetryPolicy) -> (Evidence, Option<String>) {
    let policy = RetryPolicy {
        retries: policy.retries.min(1),
        timeout: policy.timeout.min(MAX_TIMEOUT),
        max_wait: policy.max_wait.min(MAX_TIMEOUT),
    };
    let http = if m.cache.offline {
        None
    } else {
        match Http::new(policy) {
            Ok(h) => Some(h),
            Err(e) => {
                return (
                    Evidence::default(),
                    Some(unavailable(m, &format!("no HTTP client: {e}"))),
                )
            }
        }
    };
    // One request per partner, all at once; a partner two providers share
    // (a config file's) is asked once.
    let mut partners: Vec<&str> = m.partners.iter().map(|(_, p)| p.as_str()).collect();
    partners.sort_unstable();
    partners.dedup();
    let results =
        futures::future::join_all(partners.iter().map(|partner| one(http.as_ref(), m, partner))).await;
    let by_partner: BTreeMap<&str, Result<Vec<Entry>, String>> = partners.into_iter().zip(results).collect();
    let mut evidence = Evidence::default();
    // Cause → the providers it cost their mapping, and the cause as said
    // for one of them. Causes are compared with the partner's name out of
    // the URL, so one shared by several (a 404 from a mirror) is said once,
    // naming `<partner>`.
    let mut failed: Vec<(String, Vec<&str>, String)> = Vec::new();
    for (provider, partner) in &m.partners {
        match &by_partner[partner.as_str()] {
            Ok(entries) => evidence.add(
                provider,
                entries
                    .iter()
                    .map(|e| (e.provider_id.as_str(), e.hf_model.as_str())),
            ),
            Err(cause) => {
                let shared = cause.replace(&format!("/partners/{partner}/"), "/partners/<partner>/");
                match failed.iter_mut().find(|(c, _, _)| *c == shared) {
                    Some((_, providers, _)) => providers.push(provider),
                    None => failed.push((shared, vec![provider], cause.clone())),
                }
            }
        }
    }
    let warning = (!failed.is_empty()).then(|| {
        let what: Vec<String> = failed
            .iter()
            .map(|(shared, providers, one)| {
                let cause = if providers.len() == 1 { one } else { shared };
                format!("{} ({cause})", providers.join(", "))
            })
            .collect();
        said(&what.join("; "))
    });
    (evidence, warning)
}

/// The warning of a run that could not ask at all.
fn unavailable(m: &HubMapping, cause: &str) -> String {
    let providers: Vec<&str> = m.partners.iter().map(|(p, _)| p.as_str()).collect();
    said(&format!("{} ({cause})", providers.join(", ")))
}

/// The one warning line: which providers lack the mapping and why.
fn said(what: &str) -> String {
    format!(
        "the Hub's inference-provider mapping is unavailable for {what}; their canonical ids come from the other layers"
    )
}

/// One partner's live entries: from a fresh cache entry, else asked of the
/// Hub (and cached), else from a stale entry with `--stale-ok`: the rules
/// of a provider's listing.
async fn one(http: Option<&Http>, m: &HubMapping, partner: &str) -> Result<Vec<Entry>, String> {
    let url = m.url(partner);
    let key = Key {
        url: display_url(&url),
        limit: None,
        page_size: None,
        filters: vec![("partner".to_owned(), partner.to_owned())],
    };
    let cc = &m.cache;
    let cached = cc
        .cache
        .as_ref()
        .and_then(|c| Some((c, c.lookup(CACHE_NAME, &key)?)));
    let Some(http) = http.filter(|_| !cc.offline) else {
        return match &cached {
            Some((c, entry)) => read(c, entry),
            None => Err("no cached copy, and this run asks no server".to_owned()),
        };
    };
    if let (Some((c, entry)), Some(max_age)) = (&cached, cc.max_age) {
        if !cc.refresh && entry.age() < max_age {
            return read(c, entry);
        }
    }
    let fetched_at = Timestamp::now();
    let asked = async {
        let page = http
            .get(
                &url,
                m.credential.as_ref(),
                &mut Pacer::new(Duration::ZERO),
                Some(1),
                &Quiet,
            )
            .await
            .map_err(|e| e.to_string())?;
        hub::parse(&page.body).map_err(|e| format!("{} is no mapping: {e}", display_url(&url)))
    }
    .await;
    match asked {
        Ok(entries) => {
            if let Some(c) = &cc.cache {
                store(c, &key, &url, partner, fetched_at, &entries);
            }
            Ok(entries)
        }
        Err(cause) => match &cached {
            Some((c, entry)) if cc.stale_ok => read(c, entry).map_err(|_| cause),
            _ => Err(cause),
        },
    }
}

/// A cached mapping: one record per entry, its `id` the provider's id and
/// its `hugging_face_id` the repository.
fn read(c: &Cache, entry: &crate::cache::Entry) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::with_capacity(usize::try_from(entry.header.models).unwrap_or(0));
    c.read(entry, false, |r| {
        if let Some(hf) = r.hugging_face_id {
            entries.push(Entry {
                provider_id: r.id.to_string(),
                hf_model: hf.to_string(),
            });
        }
        Ok(())
    })
    .map_err(|e| format!("its cached copy is damaged ({e})"))?;
    Ok(entries)
}

/// Caches what the Hub said; best effort, as for a provider: a cache that
/// cannot be written costs the next run a request, never this one.
fn store(c: &Cache, key: &Key, url: &Url, partner: &str, fetched_at: Timestamp, entries: &[Entry]) {
    let (provider, source): (Arc<str>, Arc<str>) = (Arc::from(partner), Arc::from(display_url(url)));
    let records: Vec<Record> = entries
        .iter()
        .map(|e| {
            let mut r = Record::new(
                provider.clone(),
                e.provider_id.as_str(),
                source.clone(),
                fetched_at,
            );
            r.hugging_face_id = Some(e.hf_model.as_str().into());
            r
        })
        .collect();
    let written = match c.writer(CACHE_NAME, key, fetched_at, false, None) {
        Ok(Some(mut w)) => w.write_page(&records, None).and_then(|()| w.commit(1).map(drop)),
        // Another run is writing it.
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        tracing::warn!("the Hub's mapping for {partner} cannot be cached: {e}");
    }
}

/// Waits and retries of the one request are not worth a line of their own
/// (`-v` logs the request).
struct Quiet;

impl Notify for Quiet {
    fn waiting(&self, _wait: Duration, _why: Wait) {}
    fn retrying(&self, _attempt: u32, _reason: &str) {}
}
