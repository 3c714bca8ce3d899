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

// The mock serves what the tests serve; it has no use for their request logs.
#[allow(
    dead_code,
    reason = "the example uses only the serving half of the test helpers"
)]
#[path = "../tests/it/common/hub.rs"]
mod hub;
#[path = "../tests/it/common/providers.rs"]
mod providers;

use std::io::Write as _;

use hub::{FakeHub, Faults};
use providers::{mount, mount_hub, url_env, PROVIDERS};
use wiremock::MockServer;

/// Demo keys the mock expects, one per provider whose listing needs a key.
const DEMO_KEYS: &[(&str, &str)] = &[
    ("portkey", "PORTKEY_API_KEY"),
    ("groq", "GROQ_API_KEY"),
    ("together", "TOGETHER_API_KEY"),
    ("fireworks", "FIREWORKS_API_KEY"),
    ("google", "GEMINI_API_KEY"),
    ("xai", "XAI_API_KEY"),
    ("nebius", "NEBIUS_API_KEY"),
    ("cerebras", "CEREBRAS_API_KEY"),
    ("novita", "NOVITA_API_KEY"),
];

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
    for p in PROVIDERS {
        let key = DEMO_KEYS
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
    for (name, var) in DEMO_KEYS {
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
