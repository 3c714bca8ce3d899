//! What a person sees: the binary in a real pseudo-terminal, the screen read
//! back through a terminal emulator. Bars must leave the lines printed
//! before them alone, leave nothing behind, count waits down, and never draw
//! over a pipe reader's output.

use std::time::Duration;

use wiremock::MockServer;

use crate::common::hub::FakeHub;
use crate::common::providers::{mount, mount_hub, spec, url_env, PROVIDERS};
use crate::common::pty;
use crate::common::raw::{hub_page, Action, RawServer, Response};
use crate::common::{fresh_dir, hub_url};

/// Keys for the keyed providers the mocks serve.
const KEYS: &[(&str, &str)] = &[
    ("portkey", "pk-test"),
    ("groq", "gsk-test"),
    ("together", "tg-test"),
    ("fireworks", "fw-test"),
    ("google", "gm-test"),
    ("xai", "xai-test"),
    ("cerebras", "cb-test"),
    ("novita", "nv-test"),
];

/// Every provider mocked; the Hub answers each page after `hub_latency`, so
/// the bars are up long enough to be drawn (and redrawn) many times.
async fn mocks(hub_latency: Duration) -> (MockServer, Vec<(String, String)>) {
    let server = MockServer::start().await;
    for p in PROVIDERS {
        let key = KEYS.iter().find(|(n, _)| *n == p.name).map(|(_, k)| *k);
        mount(&server, p, key).await;
    }
    mount_hub(&server, FakeHub::new(600).with_latency(hub_latency)).await;
    let mut env = url_env(&server);
    for (name, key) in KEYS {
        env.push((spec(name).key_env[0].clone(), (*key).to_owned()));
    }
    (server, env)
}

fn out_file(env: &mut Vec<(String, String)>) {
    let out = fresh_dir("screen").join("out.ndjson");
    env.push(("OUT".to_owned(), out.display().to_string()));
}

/// Whether a row is (a piece of) a progress bar.
fn is_bar(row: &str) -> bool {
    row.contains("] ") && row.contains(" models ")
        || row.chars().any(|c| ('\u{2800}'..='\u{28FF}').contains(&c))
}

const BEFORE: &str = "printf 'before %s\\n' 1 2 3 4 5; ";

#[tokio::test(flavor = "multi_thread")]
async fn bars_leave_the_lines_printed_before_them_and_nothing_behind() {
    let (_server, mut env) = mocks(Duration::from_millis(150)).await;
    out_file(&mut env);
    let script =
        format!("{BEFORE}\"$CATALOG\" fetch -p hug,groq,openrouter,together,xai --limit 600 -o \"$OUT\"");
    let term = pty::run(&script, &env, 120, 35);
    // The bars are really drawn (this is not a run without them).
    term.wait_for("hug's bar", Duration::from_secs(30), |r| {
        r.contains("hug [") && is_bar(r)
    });
    let (status, rows) = term.finish();
    let screen = rows.join("\n");
    assert!(status.success(), "{screen}");
    let before: Vec<String> = (1..=5).map(|i| format!("before {i}")).collect();
    assert_eq!(
        rows[..5],
        before[..],
        "the lines printed before the command:\n{screen}"
    );
    assert!(
        !rows.iter().any(|r| is_bar(r)),
        "a bar was left on the screen:\n{screen}"
    );
    for provider in ["hug", "groq", "openrouter", "together", "xai"] {
        let lines = rows
            .iter()
            .filter(|r| r.starts_with(&format!("{provider} ")))
            .count();
        assert_eq!(lines, 1, "{provider}'s summary line, once:\n{screen}");
    }
    assert!(
        rows.iter()
            .any(|r| r.starts_with("hug ") && r.contains("600 models")),
        "{screen}"
    );
    assert!(rows.iter().any(|r| r.starts_with("total ")), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_keeps_what_was_printed_between_the_runs() {
    let (_server, mut env) = mocks(Duration::from_millis(100)).await;
    out_file(&mut env);
    let run = "\"$CATALOG\" fetch -p hug,groq,xai --limit 500 --no-cache -o \"$OUT\"";
    let script = format!("{BEFORE}{run}; echo between the runs; {run}");
    let (status, rows) = pty::run(&script, &env, 100, 40).finish();
    let screen = rows.join("\n");
    assert!(status.success(), "{screen}");
    assert_eq!(rows[0], "before 1", "{screen}");
    assert_eq!(rows[4], "before 5", "{screen}");
    assert_eq!(
        rows.iter().filter(|r| *r == "between the runs").count(),
        1,
        "{screen}"
    );
    let hug = rows.iter().filter(|r| r.starts_with("hug ")).count();
    assert_eq!(hug, 2, "one summary line per run:\n{screen}");
    assert!(!rows.iter().any(|r| is_bar(r)), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_all_leaves_no_unnamed_or_repeated_bar_lines() {
    let (_server, mut env) = mocks(Duration::from_millis(100)).await;
    out_file(&mut env);
    let script = format!("{BEFORE}\"$CATALOG\" fetch --all --limit 600 -o \"$OUT\"");
    let term = pty::run(&script, &env, 120, 40);
    term.wait_for("bars", Duration::from_secs(30), is_bar);
    let (status, rows) = term.finish();
    let screen = rows.join("\n");
    // nebius has no key: skipped, still exit 0.
    assert!(status.success(), "{screen}");
    assert_eq!(
        rows[..5].join(","),
        "before 1,before 2,before 3,before 4,before 5",
        "{screen}"
    );
    assert!(!rows.iter().any(|r| is_bar(r)), "{screen}");
    for p in PROVIDERS.iter().map(|p| p.name).chain(["hug"]) {
        let lines = rows.iter().filter(|r| r.starts_with(&format!("{p} "))).count();
        assert_eq!(lines, 1, "{p}: one summary line:\n{screen}");
    }
    assert!(
        rows.iter()
            .any(|r| r.starts_with("nebius ") && r.contains("skipped")),
        "{screen}"
    );
}

#[test]
fn a_rate_limit_wait_counts_down_on_the_bar() {
    // The first request is told to wait 600 s (6 s at the tests' time scale:
    // room for two looks a second apart on a loaded machine).
    let asked = std::sync::atomic::AtomicBool::new(false);
    let hub = RawServer::start(move |req| {
        if !asked.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Action::Respond(Response::new(429).header("Retry-After", "600"));
        }
        Action::Respond(hub_page(req, 50))
    });
    let env = vec![
        ("CATALOG_HUG_URL".to_owned(), hub_url(&hub)),
        (
            "OUT".to_owned(),
            fresh_dir("screen").join("out.json").display().to_string(),
        ),
    ];
    let term = pty::run(
        "\"$CATALOG\" fetch -p hug --delay-ms 0 --max-wait 1000 -o \"$OUT\"",
        &env,
        120,
        30,
    );
    let waiting = |r: &str| r.contains("waiting ") && r.contains(" s for the rate-limit window");
    let seconds = |rows: &[String]| -> u64 {
        let row = rows.iter().find(|r| waiting(r)).unwrap();
        let at = row.find("waiting ").unwrap() + "waiting ".len();
        row[at..].split(' ').next().unwrap().parse().unwrap()
    };
    let first = term.wait_for("the wait", Duration::from_secs(10), waiting);
    let shown = first.iter().find(|r| waiting(r)).unwrap().clone();
    std::thread::sleep(Duration::from_millis(1000));
    // A second later (longer on a loaded machine, whose redraws may come
    // late) the line has moved on.
    let second = term.wait_for("the wait, a second later", Duration::from_secs(4), |r| {
        waiting(r) && r != shown && r.rsplit(' ').next() != shown.rsplit(' ').next()
    });
    let elapsed = |rows: &[String]| -> String {
        let row = rows.iter().find(|r| waiting(r)).unwrap();
        row.rsplit(' ').next().unwrap().to_owned()
    };
    assert_ne!(
        elapsed(&first),
        elapsed(&second),
        "the elapsed time ticks during a wait"
    );
    let (a, b) = (seconds(&first), seconds(&second));
    // A real second is 100 nominal seconds here.
    assert!(
        a <= 600 && b < a && a - b >= 50,
        "{a} s then {b} s:\n{}\n---\n{}",
        first.join("\n"),
        second.join("\n")
    );
    let (status, rows) = term.finish();
    assert!(status.success(), "{}", rows.join("\n"));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("hug ") && r.contains("50 models")),
        "{}",
        rows.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_to_head_keeps_heads_lines_intact() {
    let (_server, env) = mocks(Duration::from_millis(100)).await;
    let script = "\"$CATALOG\" fetch -p hug,groq --batch-size 10 --limit 300 -f ndjson --fields provider,id,downloads | head -n 3; echo after head";
    let (status, rows) = pty::run(script, &env, 200, 30).finish();
    let screen = rows.join("\n");
    assert!(status.success(), "{screen}");
    // head's three lines, whole and in order. The summary may come before,
    // after or between them: two processes write to one terminal, each a
    // whole line at a time.
    let records: Vec<serde_json::Value> = rows
        .iter()
        .filter(|r| r.starts_with('{'))
        .map(|r| serde_json::from_str(r).unwrap_or_else(|e| panic!("{e}: {r:?}\n{screen}")))
        .collect();
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["org0/model-000000", "org1/model-000001", "org2/model-000002"],
        "{screen}"
    );
    let last = rows.iter().rposition(|r| !r.is_empty()).unwrap();
    assert_eq!(rows[last], "after head", "{screen}");
    assert!(!rows.iter().any(|r| is_bar(r)), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_colours_each_provider_by_how_it_ended_unless_no_color_is_set() {
    let (_server, mut env) = mocks(Duration::ZERO).await;
    out_file(&mut env);
    // groq's key is wrong (401: failed), nebius has none (skipped), the
    // rest are done.
    env.retain(|(k, _)| k != "GROQ_API_KEY");
    env.push(("GROQ_API_KEY".to_owned(), "gsk-wrong".to_owned()));
    let script = "unset NO_COLOR; \"$CATALOG\" fetch --all --limit 10 -o \"$OUT\"";
    let mut term = pty::run(script, &env, 160, 30);
    let status = term.wait();
    let screen = term.rows().join("\n");
    assert_eq!(status.code(), Some(3), "{screen}");
    assert_eq!(
        term.colour_of("hug "),
        Some(vt100::Color::Idx(2)),
        "green:\n{screen}"
    );
    assert_eq!(
        term.colour_of("groq "),
        Some(vt100::Color::Idx(1)),
        "red:\n{screen}"
    );
    assert_eq!(
        term.colour_of("nebius "),
        Some(vt100::Color::Idx(3)),
        "yellow:\n{screen}"
    );

    let script = "NO_COLOR=1 \"$CATALOG\" fetch --all --limit 10 -o \"$OUT\"";
    let mut term = pty::run(script, &env, 160, 30);
    assert_eq!(term.wait().code(), Some(3));
    for p in ["hug ", "groq ", "nebius "] {
        assert_eq!(term.colour_of(p), Some(vt100::Color::Default), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bar_ends_when_its_harvest_does_even_while_the_writer_is_busy_with_another() {
    use wiremock::matchers::{method, path};
    // The Hub comes first in the output and takes seconds. A second listing
    // of the Hub's shape after it finishes at once, its one delivery (its
    // 400 models, under a delivery's 500) filling the queue to the writer,
    // which is still busy with the Hub.
    let (server, mut env) = mocks(Duration::from_millis(300)).await;
    wiremock::Mock::given(method("GET"))
        .and(path("/second/api/models"))
        .respond_with(FakeHub::new(400))
        .mount(&server)
        .await;
    let config = fresh_dir("screen").join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.second]\nurl = \"{}/second/api/models\"\nshape = \"huggingface\"\npaging = \"link\"\npage_size = 100\n",
            server.uri()
        ),
    )
    .unwrap();
    env.push(("CATALOG_CONFIG".to_owned(), config.display().to_string()));
    out_file(&mut env);
    let term = pty::run(
        "\"$CATALOG\" fetch -p hug,second --limit 600 -o \"$OUT\"",
        &env,
        120,
        30,
    );
    let rows = term.wait_for("the second listing done", Duration::from_secs(30), |r| {
        r.trim_start().starts_with("second [") && r.contains("done")
    });
    let hug = rows.iter().find(|r| r.trim_start().starts_with("hug [")).unwrap();
    assert!(
        !hug.contains("done"),
        "the Hub is still going:\n{}",
        rows.join("\n")
    );
    let (status, rows) = term.finish();
    assert!(status.success(), "{}", rows.join("\n"));
    assert!(
        rows.iter().any(|r| r.starts_with("second  400 models")),
        "{}",
        rows.join("\n")
    );
}
