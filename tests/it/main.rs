//! The integration tests, in one binary (one link of the crate and its test
//! dependencies): one module per area, the shared helpers in `common`.

mod common;

// The OpenAI-shape adapter on the recorded listings of the providers without an adapter of their own.
mod adapters;
// The on-disk cache, incremental Hub harvests and resumable harvests.
mod cache;
// `catalog compare` (every provider of one model, cheapest first, a workload's cost) and `ls --group-by canonical`.
mod compare;
// The command line as a user meets it: formats, atomic files, pipes, exit codes, `count`, `providers`.
mod cli;
// `catalog diff`: added, removed and changed models between catalog files, and refused inputs.
mod diff;
// Config-file providers, `--fields`, `--filter`, gzip output, the man page, `--version`.
mod ecosystem;
// Fault injection and security: flaky, hanging, lying and hostile servers, signals, credentials, secrets.
mod faults;
// `ls` and `show`: the catalog as a table and one model's fields, for people.
mod human;
// The Hugging Face Hub harvest against a fake Hub: cursors, limits, auth, pacing, rate limits, retries.
mod hub;
// The Hub's inference-provider mapping (canonical_by hf_mapping): fetched beside the providers, cached, and its absence.
mod mapping;
// The `-v` request log: one line per response or failed request, URLs cut to a terminal's width.
mod logs;
// Every built-in provider at once: `fetch --all` and `count --all` against mocks of all of them.
mod providers;
// The README's recipes, run as written with bash, jq and sqlite3 against mocks of every provider.
mod recipes;
// What a person sees in a real terminal (a pseudo-terminal read back through a terminal emulator).
mod screen;
// The terminal: completion scripts that ask `catalog` for candidates (provider names from the
// table and the config file), `--help`'s sections and environment variables.
mod shell;
// The history database (`--db`), `catalog changes` and `catalog history`, on real SQLite files.
mod store;
// `catalog snapshot`: files written only on change, deterministic bytes, nothing written on failure.
mod snapshot;
// Conditional requests (ETag, Last-Modified, body hash): unchanged providers served from the cache; --track-metrics.
mod validators;
