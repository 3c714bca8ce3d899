//! Shared test helpers: a hermetic `catalog` command and mock providers.

pub mod db;
pub mod hub;
pub mod pg;
pub mod providers;
pub mod pty;
pub mod raw;

pub use providers::fixture;

use std::path::PathBuf;

use assert_cmd::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

/// The record's fields in schema order, as the README documents them (the
/// tests' own copy, so a change to the code's list shows up here).
pub const SCHEMA_FIELDS: [&str; 27] = [
    "provider",
    "id",
    "name",
    "owned_by",
    "created",
    "context_length",
    "max_output_tokens",
    "input_modalities",
    "output_modalities",
    "task",
    "price_input",
    "price_output",
    "price_cache_read",
    "hugging_face_id",
    "downloads",
    "likes",
    "tags",
    "source",
    "fetched_at",
    "price_cache_write",
    "price_other",
    "capabilities",
    "quantization",
    "knowledge_cutoff",
    "expires_at",
    "canonical_id",
    "canonical_by",
];

/// The env vars the tool reads besides those the provider table names,
/// cleared like the table's.
const TOOL_VARS: &[&str] = &[
    "RUST_LOG",
    "CATALOG_CACHE_DIR",
    "CATALOG_CONFIG",
    "CATALOG_TEST_PANIC",
    "CATALOG_COMPLETE",
    "CATALOG_DB",
];

/// Every key variable of every built-in provider, in table order.
pub fn key_vars() -> Vec<&'static str> {
    providers::builtin()
        .iter()
        .flat_map(|spec| spec.key_env.iter().map(String::as_str))
        .collect()
}

/// Every env var the tool reads, cleared so the developer's own keys and
/// overrides never leak into a test: each built-in provider's key variables
/// and base-URL variable (`HF_ENDPOINT`), and the tool's own settings. (The
/// providers' `CATALOG_<NAME>_URL` overrides are set, not cleared.)
pub fn cleared_vars() -> Vec<&'static str> {
    let bases = providers::builtin()
        .iter()
        .filter_map(|spec| spec.base_env.as_deref());
    key_vars()
        .into_iter()
        .chain(bases)
        .chain(TOOL_VARS.iter().copied())
        .collect()
}

/// Delays in tests run at 1/100 of real time.
pub const TIME_SCALE: &str = "0.01";

/// The real binary with a clean environment: no keys, no overrides, every
/// built-in URL pointed at a closed local port so nothing can reach the network.
pub fn catalog() -> Command {
    Command::from_std(catalog_std())
}

/// [`catalog`] as a `std::process::Command`, for tests that spawn, signal
/// or kill the process.
pub fn catalog_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("catalog"));
    for var in cleared_vars() {
        cmd.env_remove(var);
    }
    for spec in providers::builtin() {
        cmd.env(spec.url_env(), "http://127.0.0.1:9/unreachable");
    }
    cmd.env("CATALOG_TEST_TIME_SCALE", TIME_SCALE);
    cmd.env("NO_COLOR", "1");
    cmd.env("CATALOG_CACHE_DIR", fresh_dir("cache"));
    cmd.env("XDG_CONFIG_HOME", fresh_dir("config"));
    // `--db` without a path writes under the data directory: never the
    // developer's own.
    cmd.env("XDG_DATA_HOME", fresh_dir("data"));
    cmd
}

/// A new empty directory under cargo's per-target test scratch space.
///
/// The directories are kept after the run (a failed test's files are there
/// to look at); the first call of a run removes those of test runs that are
/// no longer running (`NAME-PID-N` with no process PID), or they pile up:
/// 75,000 of them, 16 GB, had collected on a developer's machine.
pub fn fresh_dir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    SWEPT.call_once(|| {
        for entry in std::fs::read_dir(&scratch).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.rsplit('-').nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    });
    let dir = scratch.join(format!(
        "{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A server with a Hub listing at `/api/models`: the fake Hub on wiremock,
/// or a raw server.
pub trait HubListing {
    /// The listing's URL.
    fn hub_url(&self) -> String;
}

impl HubListing for MockServer {
    fn hub_url(&self) -> String {
        format!("{}/api/models", self.uri())
    }
}

impl HubListing for raw::RawServer {
    fn hub_url(&self) -> String {
        self.url("/api/models")
    }
}

/// The Hub listing's URL on `server`.
pub fn hub_url(server: &impl HubListing) -> String {
    server.hub_url()
}

/// [`catalog`] with the Hub pointed at `server`.
pub fn hub_catalog(server: &impl HubListing) -> Command {
    let mut cmd = catalog();
    cmd.env("CATALOG_HUG_URL", server.hub_url());
    cmd
}

/// `catalog fetch -p hug --delay-ms 0` against the Hub on `server`: the
/// hermetic command most Hub tests start from.
pub fn hub_fetch(server: &impl HubListing) -> Command {
    Command::from_std(hub_fetch_std(server))
}

/// [`hub_fetch`] as a `std::process::Command`, to spawn, signal or kill.
pub fn hub_fetch_std(server: &impl HubListing) -> std::process::Command {
    let mut cmd = catalog_std();
    cmd.env("CATALOG_HUG_URL", server.hub_url())
        .args(["fetch", "-p", "hug", "--delay-ms", "0"]);
    cmd
}

/// A wiremock server whose `/api/models` is the given fake Hub.
pub async fn hub_server(hub: hub::FakeHub) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models"))
        .respond_with(hub)
        .mount(&server)
        .await;
    server
}

/// Parses NDJSON output into JSON values, one per line.
pub fn ndjson(stdout: &[u8]) -> Vec<serde_json::Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad NDJSON line {l:?}: {e}")))
        .collect()
}

/// The `id` fields of records.
pub fn ids(records: &[serde_json::Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs a command that must succeed and hands back its stdout.
pub trait RunExt {
    /// Asserts success (printing stderr otherwise) and returns stdout.
    fn ok_stdout(&mut self) -> Vec<u8>;
}

impl RunExt for Command {
    fn ok_stdout(&mut self) -> Vec<u8> {
        self.assert().success().get_output().stdout.clone()
    }
}
