//! A local mock of every provider, for trying `catalog` offline.
//!
//! Serves the recorded listings in `tests/fixtures/` for the 13 API providers
//! and a synthetic Hugging Face Hub (pages with `Link` cursors, `RateLimit`
//! headers, and the real Hub's habit of ignoring `offset`), all on one port.
//!
//! ```sh
//! cargo run --example mock -- --port 8787 --hub-models 5000 > mock.env &
//! sleep 2; . ./mock.env        # points CATALOG_<NAME>_URL at the mock, sets demo keys
//! catalog fetch --all -o all.json
//! ```
//!
//! The exports go to stdout; the mock runs until Ctrl-C.

// The mock serves through the test helpers; the rest of them (request logs,
// lookups) it has no use for.
#[allow(dead_code, reason = "the mock uses only part of the test helpers")]
#[path = "../tests/it/common/hub.rs"]
mod hub;
#[allow(dead_code, reason = "the mock uses only part of the test helpers")]
#[path = "../tests/it/common/providers.rs"]
mod providers;

use std::io::Write as _;

use hub::{FakeHub, Faults};
use providers::{mount, mount_hub, url_env, PROVIDERS};
use wiremock::MockServer;

/// (provider, key variable) for every built-in provider whose listing needs
/// a key: the mock expects `demo-<provider>-key` in it.
fn demo_keys() -> Vec<(&'static str, &'static str)> {
    providers::builtin()
        .iter()
        .filter(|spec| spec.needs_key)
        .map(|spec| (spec.name.as_str(), spec.key_env[0].as_str()))
        .collect()
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse().unwrap_or_else(|_| panic!("{name} takes a number"))
        })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: mock [--port 8787] [--hub-models 5000] [--hub-quota 500]");
        return;
    }
    let port = u16::try_from(arg(&args, "--port", 8787)).expect("--port is a TCP port");
    let hub_models = usize::try_from(arg(&args, "--hub-models", 5000)).expect("--hub-models fits memory");
    let quota = arg(&args, "--hub-quota", 500);

    let listener =
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("port {port}: {e}"));
    let server = MockServer::builder().listener(listener).start().await;
    let demo_keys = demo_keys();
    for p in PROVIDERS {
        let key = demo_keys
            .iter()
            .find(|(n, _)| *n == p.name)
            .map(|(n, _)| format!("demo-{n}-key"));
        mount(&server, p, key.as_deref()).await;
    }
    let hub = FakeHub::new(hub_models).with_faults(Faults {
        quota: Some((quota, 300)),
        ..Faults::default()
    });
    mount_hub(&server, hub).await;

    let mut out = std::io::stdout().lock();
    for (var, value) in url_env(&server) {
        writeln!(out, "export {var}={value}").unwrap();
    }
    for (name, var) in &demo_keys {
        writeln!(out, "export {var}=demo-{name}-key").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    eprintln!(
        "mock providers on {} (Hub: {hub_models} models); Ctrl-C to stop",
        server.uri()
    );
    tokio::signal::ctrl_c().await.unwrap();
}
