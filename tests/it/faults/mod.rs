//! Fault injection and security: flaky, hanging, lying and hostile servers,
//! signals while writing, credential scoping and secrets. Every server is on
//! loopback; every wait runs at `CATALOG_TEST_TIME_SCALE` and every network
//! stall is bounded by a small `--timeout`.

use std::process::Output;

use crate::common::raw::{Action, Response};

fn stdout_of(o: &Output) -> &[u8] {
    &o.stdout
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The summary line of `provider` on stderr.
fn summary_line(stderr: &str, provider: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with(&format!("{provider} ")))
        .unwrap_or_else(|| panic!("no summary line for {provider}:\n{stderr}"))
        .to_owned()
}

fn respond(r: Response) -> Action {
    Action::Respond(r)
}

/// What a previous run left in an output file a killed or interrupted run must not touch.
const PREVIOUS: &[u8] = b"{\"id\":\"previous/good\",\"note\":\"written by an earlier run\"}\n";

// 1. 5xx every 7th request and connection resets: nothing lost, nothing repeated.
mod transient;
// 2. Rate limits: the server-stated wait (RateLimit, Retry-After), then the same cursor.
mod rate_limit;
// 3. Servers that never answer, stall mid-body, or trickle.
mod stalls;
// 4. Malformed pages and models.
mod malformed;
// 5. Pagination that never ends.
mod pagination;
// 6. Oversized bodies and fields.
mod oversize;
// 7. SIGKILL while writing `-o FILE`.
mod kill;
// 8. SIGINT, SIGTERM and SIGHUP during a slow harvest.
mod interrupt;
// 9. Credentials go only to the provider's own origin.
mod credentials;
// 10. Sentinel keys never leak.
mod secrets;
// 11. Control characters and ANSI escapes from providers.
mod terminal;
// 12. Bad input fails fast, before any request.
mod bad_input;
// 13. What `-o` points at is never destroyed: devices, FIFOs, links, a good file.
mod ownership;
