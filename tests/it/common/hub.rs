//! The synthetic Hugging Face Hub listing, defined once: what its models look
//! like, how a page is cut and how its cursor is written. Served by a fake Hub
//! `/api/models` for wiremock here, and by the raw servers of `raw.rs`.
//!
//! The fake Hub pages with `Link` cursors exactly like the real Hub, including
//! its quirk of ignoring `offset` (a client that pages with `offset` gets the
//! first page again and again). Fault knobs make it fail the way real servers
//! do.
//!
//! Shared by the tests and by `examples/mock.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wiremock::{Request, Respond, ResponseTemplate};

/// lastModified of model 0 of a synthetic listing; model n is n seconds older.
const BASE_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// The Hub's millisecond form of an RFC 3339 time.
fn rfc3339(secs: i64) -> String {
    catalog::record::Timestamp(secs).to_string().replace('Z', ".000Z")
}

// ---------------------------------------------------------------------------
// The synthetic listing: what its models and pages look like, for the fake
// Hub below and for the raw servers of the fault tests alike.
// ---------------------------------------------------------------------------

/// The id of model `i` of a synthetic listing.
pub fn hub_id(i: usize) -> String {
    format!("org{}/model-{i:06}", i % 7)
}

/// The ids of a synthetic listing of `total` models, in listing order.
pub fn hub_ids(total: usize) -> Vec<String> {
    (0..total).map(hub_id).collect()
}

/// A synthetic model as `/api/models` lists it, modified `n` seconds
/// before the newest model of the listing.
pub fn hub_model(id: &str, n: usize) -> serde_json::Value {
    hub_model_modified(id, n, BASE_TIME - n as i64)
}

/// A synthetic model last modified at `modified` (Unix seconds). Its figures
/// depend on `n`, the model's stable index, never on its place in a page.
fn hub_model_modified(id: &str, n: usize, modified: i64) -> serde_json::Value {
    serde_json::json!({
        "_id": format!("{n:024x}"),
        "id": id,
        "likes": n % 100,
        "trendingScore": 0,
        "private": false,
        "downloads": 1_000_000 - n,
        "tags": ["transformers", "safetensors", "text-generation"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "createdAt": "2025-11-04T08:25:31.000Z",
        "lastModified": rfc3339(modified),
        "modelId": id,
    })
}

/// A query parameter of `url` (decoded).
fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with its cursor set to model `index`. The cursor is opaque to
/// clients; here it is `c<index>`.
pub fn with_cursor(url: &url::Url, index: usize) -> url::Url {
    let mut next = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "cursor")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("cursor", &format!("c{index}"));
    next
}

/// The page `url` asks for of a listing of `total` models, paged like the
/// real Hub: `limit` models (1 to 1000, 1000 when absent) from the cursor
/// on. Returns the JSON array of `model(i)` for each index of the page and,
/// while models remain, the `Link` header to the next page on `url`'s origin.
pub fn hub_page_of(
    url: &url::Url,
    total: usize,
    model: impl Fn(usize) -> serde_json::Value,
) -> (Vec<u8>, Option<String>) {
    let size = query(url, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let start = query(url, "cursor")
        .and_then(|c| c.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()))
        .unwrap_or(0)
        .min(total);
    let end = (start + size).min(total);
    let mut body = Vec::with_capacity((end - start) * 400 + 2);
    body.push(b'[');
    for i in start..end {
        if i > start {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, &model(i)).expect("a JSON value serializes");
    }
    body.push(b']');
    let link = (end < total).then(|| format!("<{}>; rel=\"next\"", with_cursor(url, end)));
    (body, link)
}

/// A request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Full URL.
    pub url: url::Url,
    /// `Authorization` header, if any.
    pub authorization: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

/// How the fake Hub misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer request number n (1-based) with this status, once each.
    pub fail_requests: Vec<(u64, u16)>,
    /// Answer every n-th request with 503.
    pub fail_every: Option<u64>,
    /// Answer request number n with 429 and `RateLimit: r=0;t=<secs>`.
    pub rate_limit_at: Option<(u64, u64)>,
    /// Enforce this quota per fixed window, announced in `RateLimit` headers:
    /// (requests, window seconds). Requests over it get 429 with `r=0`.
    pub quota: Option<(u64, u64)>,
}

/// The fake Hub.
#[derive(Debug, Clone)]
pub struct FakeHub {
    /// (id, lastModified as Unix seconds), in downloads order.
    models: Arc<Mutex<Vec<(String, i64)>>>,
    faults: Faults,
    requests: Arc<AtomicU64>,
    seen: Arc<Mutex<Vec<Seen>>>,
    latency: Duration,
    time_scale: f64,
    window: Arc<Mutex<(Option<Instant>, u64)>>,
    throttled: Arc<AtomicU64>,
    /// Models whose `pipeline_tag` became `automatic-speech-recognition`.
    retagged: Arc<Mutex<Vec<String>>>,
}

impl FakeHub {
    /// A Hub with `n` models, `org{i % 7}/model-{i:06}` for i in 0..n.
    pub fn new(n: usize) -> Self {
        FakeHub {
            models: Arc::new(Mutex::new(
                (0..n).map(|i| (hub_id(i), BASE_TIME - i as i64)).collect(),
            )),
            faults: Faults::default(),
            requests: Arc::new(AtomicU64::new(0)),
            seen: Arc::new(Mutex::new(Vec::new())),
            latency: Duration::ZERO,
            time_scale: 1.0,
            window: Arc::new(Mutex::new((None, 0))),
            throttled: Arc::new(AtomicU64::new(0)),
            retagged: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Runs the quota window at this fraction of real time (as the client
    /// does under `CATALOG_TEST_TIME_SCALE`).
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// Requests answered 429 because the quota was exhausted.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }

    /// Counts a request against the fixed window: (remaining, seconds to reset).
    fn spend(&self, quota: u64, window_secs: u64) -> (Option<u64>, u64) {
        let window = Duration::from_secs(window_secs).mul_f64(self.time_scale);
        let mut w = self.window.lock().unwrap();
        let now = Instant::now();
        let start = match w.0 {
            Some(start) if now - start < window => start,
            _ => {
                *w = (Some(now), 0);
                now
            }
        };
        w.1 += 1;
        let left = (window - (now - start)).div_f64(self.time_scale.max(1e-9));
        let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        (quota.checked_sub(w.1), reset)
    }

    /// With fault knobs.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// With a delay before each answer.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// All model ids, in the default (downloads) order.
    pub fn ids(&self) -> Vec<String> {
        self.models
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// All model ids, most recently modified first (`sort=lastModified`).
    pub fn ids_by_last_modified(&self) -> Vec<String> {
        self.sorted(true).into_iter().map(|(id, _, _)| id).collect()
    }

    /// Adds a model modified now (after every other).
    pub fn add(&self, id: &str) {
        let mut m = self.models.lock().unwrap();
        let newest = m.iter().map(|(_, t)| *t).max().unwrap_or(BASE_TIME);
        m.push((id.to_owned(), newest + 1));
    }

    /// Takes a model out of the listing.
    pub fn remove(&self, id: &str) {
        self.models.lock().unwrap().retain(|(i, _)| i != id);
    }

    /// Changes a model's `pipeline_tag` in place: its record's task and input
    /// modalities change.
    pub fn retag(&self, id: &str) {
        self.retagged.lock().unwrap().push(id.to_owned());
    }

    /// Marks a model as modified now (after every other).
    pub fn touch(&self, id: &str) {
        let mut m = self.models.lock().unwrap();
        let newest = m.iter().map(|(_, t)| *t).max().unwrap_or(BASE_TIME);
        let model = m.iter_mut().find(|(i, _)| i == id).expect("a known model");
        model.1 = newest + 1;
    }

    /// (id, lastModified, stable index) in listing order.
    fn sorted(&self, by_modified: bool) -> Vec<(String, i64, usize)> {
        let mut m: Vec<(String, i64, usize)> = self
            .models
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, (id, t))| (id.clone(), *t, i))
            .collect();
        if by_modified {
            m.sort_by_key(|(_, t, _)| std::cmp::Reverse(*t));
        }
        m
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn page(&self, url: &url::Url) -> ResponseTemplate {
        let models = self.sorted(query(url, "sort").as_deref() == Some("lastModified"));
        let retagged = self.retagged.lock().unwrap().clone();
        let (body, link) = hub_page_of(url, models.len(), |i| {
            let (id, modified, n) = &models[i];
            let mut model = hub_model_modified(id, *n, *modified);
            if retagged.contains(id) {
                model["pipeline_tag"] = "automatic-speech-recognition".into();
            }
            model
        });
        let response = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        match link {
            Some(link) => response.insert_header("Link", link.as_str()),
            None => response,
        }
    }
}

impl Respond for FakeHub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        self.seen.lock().unwrap().push(Seen {
            url: request.url.clone(),
            authorization: request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            at: Instant::now(),
        });
        let f = &self.faults;
        let ratelimit = |r: u64, t: u64| format!("\"api\";r={r};t={t}");
        let quota = f.quota.map(|(q, w)| (q, w, self.spend(q, w)));
        let mut response = if let Some((q, w, (None, t))) = quota {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429)
                .insert_header("RateLimit", ratelimit(0, t).as_str())
                .insert_header(
                    "RateLimit-Policy",
                    format!("\"fixed window\";\"api\";q={q};w={w}").as_str(),
                );
        } else if let Some((_, status)) = f.fail_requests.iter().find(|(k, _)| *k == n) {
            ResponseTemplate::new(*status).set_body_string("{\"error\":\"injected failure\"}")
        } else if f.fail_every.is_some_and(|k| n.is_multiple_of(k)) {
            ResponseTemplate::new(503).set_body_string("{\"error\":\"Service Unavailable\"}")
        } else if let Some((_, t)) = f.rate_limit_at.filter(|(k, _)| *k == n) {
            ResponseTemplate::new(429)
                .insert_header("RateLimit", ratelimit(0, t).as_str())
                .insert_header("RateLimit-Policy", "\"fixed window\";\"api\";q=500;w=300")
                .set_body_string("{}")
        } else {
            // wiremock's URL lacks the port; the Link must point back here.
            let mut url = request.url.clone();
            if let Some(host) = request.headers.get("host").and_then(|h| h.to_str().ok()) {
                if let Ok(with_host) =
                    url::Url::parse(&format!("http://{host}{}", &url[url::Position::BeforePath..]))
                {
                    url = with_host;
                }
            }
            self.page(&url)
        };
        if let Some((q, w)) = f.quota {
            response = response
                .insert_header("RateLimit", ratelimit(q.saturating_sub(n), w).as_str())
                .insert_header(
                    "RateLimit-Policy",
                    format!("\"fixed window\";\"api\";q={q};w={w}").as_str(),
                );
        }
        response.set_delay(self.latency)
    }
}
