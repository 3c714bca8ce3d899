//! A raw TCP HTTP/1.1 mock server for the faults wiremock cannot produce:
//! connection resets, a server that accepts and never answers, a body that
//! stalls mid-way, bodies streamed far past a size cap, slow trickles.
//!
//! Each server runs on its own thread with its own Tokio runtime, so it keeps
//! answering while a test blocks on the binary, and it works under `#[test]`
//! as well as `#[tokio::test]`. Every connection carries one request and is
//! closed after the answer (`Connection: close`), so each request is a new
//! connection and a fault never poisons a pooled one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::hub::{hub_id, hub_model, hub_page_of};

/// One request as the raw server read it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// 1-based arrival number on this server.
    pub n: u64,
    /// The request target: path and query, exactly as sent.
    pub target: String,
    /// Header (lower-case name, value) pairs, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The request head as received, byte for byte.
    pub head: Vec<u8>,
    /// When the head was complete.
    pub at: Instant,
}

impl RawRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The full URL, rebuilt from the `Host` header.
    pub fn url(&self) -> url::Url {
        let host = self.header("host").unwrap_or("127.0.0.1");
        url::Url::parse(&format!("http://{host}{}", self.target)).expect("a valid request target")
    }

    /// A query parameter (decoded).
    pub fn query(&self, name: &str) -> Option<String> {
        self.url()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The path without the query.
    pub fn path(&self) -> String {
        self.url().path().to_owned()
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`, which are added.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with this status.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Response::new(status)
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(value).unwrap())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The head (status line and headers) declaring `content_length`, or
    /// chunked transfer coding when `None`.
    fn head(&self, content_length: Option<u64>) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match content_length {
            Some(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
            None => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer with this response, then close.
    Respond(Response),
    /// Reset the connection (RST, `SO_LINGER` 0) without answering.
    Reset,
    /// Keep the connection open and never answer.
    Hang,
    /// Send the head (declaring the full body's length) and the first
    /// `sent` bytes of the body, then go silent with the connection open.
    Stall {
        /// The response whose body is cut.
        response: Response,
        /// Body bytes sent before the silence.
        sent: usize,
    },
    /// Stream a generated body of `total` bytes (`filler` repeated), chunked
    /// or with a `Content-Length`, without holding it in memory. Stops early
    /// when the client goes away.
    Stream {
        /// Status and headers (the body is ignored).
        response: Response,
        /// Bytes to send.
        total: u64,
        /// Declare `Content-Length` rather than chunked coding.
        declare_length: bool,
        /// The bytes repeated to fill the body.
        filler: Vec<u8>,
    },
    /// Send the whole response `chunk` bytes at a time, `every` apart.
    Trickle {
        /// The response.
        response: Response,
        /// Bytes per write.
        chunk: usize,
        /// Pause between writes.
        every: Duration,
    },
}

impl Action {
    /// `response` sent in about `pieces` writes of its body's share (its
    /// head goes with the first), `every` apart.
    pub fn trickle(response: Response, pieces: usize, every: Duration) -> Self {
        let chunk = response.body.len() / pieces + 1;
        Self::Trickle {
            response,
            chunk,
            every,
        }
    }
}

type Handler = dyn Fn(&RawRequest) -> Action + Send + Sync;

/// A raw HTTP server on a loopback port.
pub struct RawServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<RawRequest>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl RawServer {
    /// Starts a server answering every request with `handler`'s action.
    pub fn start(handler: impl Fn(&RawRequest) -> Action + Send + Sync + 'static) -> RawServer {
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let server_log = log.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the raw server");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
                ready_tx.send(listener.local_addr().unwrap()).unwrap();
                let counter = Arc::new(Mutex::new(0u64));
                let accept = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let (handler, log, counter) = (handler.clone(), server_log.clone(), counter.clone());
                        tokio::spawn(async move {
                            serve(stream, &*handler, &log, &counter).await;
                        });
                    }
                };
                tokio::select! {
                    () = accept => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime here cancels hung and stalled connections.
            rt.shutdown_background();
        });
        let addr = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the raw server started");
        RawServer {
            addr,
            log,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// Requests read so far, in arrival order.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.log.lock().unwrap().clone()
    }

    /// Number of requests read so far.
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(buf);
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn parse_head(head: &[u8], n: u64) -> Option<RawRequest> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    // The method goes unread: every client request here is a GET.
    first.next()?;
    let target = first.next()?.to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(RawRequest {
        n,
        target,
        headers,
        head: head.to_vec(),
        at: Instant::now(),
    })
}

async fn serve(mut stream: TcpStream, handler: &Handler, log: &Mutex<Vec<RawRequest>>, counter: &Mutex<u64>) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let request = {
        let mut c = counter.lock().unwrap();
        *c += 1;
        let Some(request) = parse_head(&head, *c) else {
            return;
        };
        log.lock().unwrap().push(request.clone());
        request
    };
    match handler(&request) {
        Action::Respond(r) => {
            let mut bytes = r.head(Some(r.body.len() as u64));
            bytes.extend_from_slice(&r.body);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Action::Reset => {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Action::Hang => {
            hold(stream).await;
        }
        Action::Stall { response, sent } => {
            let mut bytes = response.head(Some(response.body.len() as u64));
            bytes.extend_from_slice(&response.body[..sent.min(response.body.len())]);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            hold(stream).await;
        }
        Action::Stream {
            response,
            total,
            declare_length,
            filler,
        } => {
            let head = response.head(declare_length.then_some(total));
            if stream.write_all(&head).await.is_err() {
                return;
            }
            let block: Vec<u8> = filler.iter().copied().cycle().take(256 * 1024).collect();
            let mut left = total;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                let ok = if declare_length {
                    stream.write_all(&block[..n]).await
                } else {
                    let mut framed = format!("{n:x}\r\n").into_bytes();
                    framed.extend_from_slice(&block[..n]);
                    framed.extend_from_slice(b"\r\n");
                    stream.write_all(&framed).await
                };
                if ok.is_err() {
                    return;
                }
                left -= n as u64;
            }
            if !declare_length {
                let _ = stream.write_all(b"0\r\n\r\n").await;
            }
            let _ = stream.shutdown().await;
        }
        Action::Trickle {
            response,
            chunk,
            every,
        } => {
            let mut bytes = response.head(Some(response.body.len() as u64));
            bytes.extend_from_slice(&response.body);
            for piece in bytes.chunks(chunk.max(1)) {
                if stream.write_all(piece).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
            let _ = stream.shutdown().await;
        }
    }
}

/// Keeps a connection open, silently, until the client goes away or the
/// server stops.
async fn hold(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// A page of the synthetic Hub listing of `total` models
/// ([`super::hub::hub_page_of`]), its `Link` on the origin the `Host` header names.
pub fn hub_page(req: &RawRequest, total: usize) -> Response {
    let (body, link) = hub_page_of(&req.url(), total, |i| hub_model(&hub_id(i), i));
    let response = Response::new(200)
        .header("Content-Type", "application/json")
        .body(body);
    match link {
        Some(link) => response.header("Link", link),
        None => response,
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Names of the files directly in `dir` whose name ends with `suffix`.
pub fn names_ending(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A pseudo-random number in `0..n` from the clock (no RNG dependency).
pub fn clock_random(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    // One round of a 64-bit mix so that close calls still differ.
    let mut x = u64::from(nanos) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) % n.max(1)
}
