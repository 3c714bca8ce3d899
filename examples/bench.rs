//! Benchmark of the real harvest path (`Config::from_cli` → `commands::fetch::run`)
//! against a fast local mock of the Hugging Face Hub and of the API providers.
//!
//! ```sh
//! cargo run --release --example bench -- --models 50000 --batch 100 --auth
//! cargo run --release --example bench -- --models 10000 --latency-ms 50 --auth
//! cargo run --release --example bench -- --models 2000 --delay-ms 500 --latency-ms 50
//! cargo run --release --example bench -- --models 12000 --auth --quota 50/3
//! cargo run --release --example bench -- --providers 14 --models 1000 --batch 1000 --latency-ms 300
//! cargo run --release --example bench -- --scenario all          # the fixed suite, as a table
//! cargo run --release --example bench -- --scenario hf-compare --rounds 5   # huggingface_hub vs catalog
//! cargo run --release --example bench -- --scenario hf-compare --rounds 5 --ideal   # the same, ideal mock
//! cargo run --example bench -- --models 5000                     # short mode (CI, debug build)
//! cargo build --release --bin catalog && cargo run --release --example bench -- --scenario db --rounds 5
//! ```
//!
//! The `db-*` scenarios run the real `catalog` binary (build it first) as a
//! child process against the mock, and measure each run with `wait4`:
//!
//! ```sh
//! cargo run --release --example bench -- --scenario db-sync --rounds 5    # NDJSON vs --db, 50,000 models
//! cargo run --release --example bench -- --scenario db-resync             # 1 % changed, then nothing
//! cargo run --release --example bench -- --scenario db-query --rounds 7   # 500,000 models, 10 runs (--pg URL: also on PostgreSQL)
//! cargo run --release --example bench -- --scenario full-hub              # 2,200,000 models, --limit all, quota 1000/60 s
//! ```
//!
//! The mock runs in a child process (this binary re-executed with `--serve`,
//! printing its port), so `getrusage(RUSAGE_SELF)` and `VmHWM` of this process
//! measure the client alone. It is a small HTTP/1.1 keep-alive server on
//! loopback. By default it serves like the real Hub behind its CDN: bodies
//! gzipped for a client that sends `Accept-Encoding: gzip` (each distinct page
//! compressed once), Hub items that vary like real ones (tag counts, missing
//! `pipeline_tag` / `library_name`, non-ASCII tags, a JSON escape now and
//! then; drawn from the model number, so deterministic and cheap for millions
//! of ids), and each body delivered in pieces (`--chunk 16384
//! --chunk-every-us 1000`, about 100 Mbit/s) so that a page trickles in.
//! `--ideal` is the mock of earlier figures: copies of one fixed-width
//! template item patched in place, uncompressed, in one write. The provider
//! listings are the recorded fixtures. `--scenario all` runs each row in a
//! fresh process, so every row's peak RSS and CPU are its own.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use catalog::cli::Cli;
use catalog::config::{Config, Env};
use catalog::harvest::Status;
use catalog::progress::Progress;

/// Benchmark of `catalog fetch` against a local mock.
#[derive(Debug, Clone, Parser)]
#[command(name = "bench")]
struct Opts {
    /// Models the mock Hub lists (and the harvest's --limit).
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(1..=8_000_000))]
    models: u64,
    /// Page size asked for (--batch-size); in hf-compare, the mock's page cap.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    batch: u64,
    /// Mock latency: each response is answered this many ms after its request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Harvest the Hub with a token (HF_TOKEN): no fixed delay.
    #[arg(long)]
    auth: bool,
    /// Harvest K built-in providers at once (14: all of them, the Hub included).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=14))]
    providers: u64,
    /// --delay-ms passed to catalog (spacing of anonymous requests).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Hub quota: Q requests per W seconds (fixed window), e.g. 50/3; 429 beyond it.
    #[arg(long, value_name = "Q/W")]
    quota: Option<String>,
    /// hub (as the flags say), all (the fixed suite), hf-compare (huggingface_hub vs catalog).
    #[arg(long, default_value = "hub")]
    scenario: String,
    /// hf-compare: rounds, each client once a round, compared by their medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=50))]
    rounds: u64,
    /// db-*: the catalog binary to run [default: `catalog` next to this
    /// bench's directory, i.e. target/<profile>/catalog].
    #[arg(long, value_name = "PATH")]
    catalog: Option<PathBuf>,
    /// db-*: also run the scenarios against this PostgreSQL database (an
    /// empty, throwaway one); skipped with the reason if the binary refuses it.
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
    /// db-query: models in the database it builds.
    #[arg(long, default_value_t = 500_000)]
    query_models: u64,
    /// db-query: runs of history it records (each after the first changes 3 % of the models).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=33))]
    history_runs: u64,
    /// db-query: keep the database it builds here, or, if the file exists,
    /// query it as it is (no build).
    #[arg(long, value_name = "PATH")]
    query_db: Option<PathBuf>,
    /// The ideal mock of earlier figures: uniform items, never gzipped,
    /// each response in one write (the realistic mock is the default).
    #[arg(long)]
    ideal: bool,
    /// Bytes of a response body per write (0: the whole response in one
    /// write) [default: 16384, about 100 Mbit/s with --chunk-every-us 1000;
    /// --ideal: 0].
    #[arg(long, value_name = "BYTES")]
    chunk: Option<usize>,
    /// Microseconds between two writes of a body (see --chunk).
    #[arg(long, value_name = "US", default_value_t = 1000)]
    chunk_every_us: u64,
    /// Never gzip a body, even when the client accepts it.
    #[arg(long)]
    no_gzip: bool,
    /// Hub items are copies of one template instead of varying like real ones.
    #[arg(long)]
    uniform: bool,
    /// full-hub: models of the whole Hub the mock lists.
    #[arg(long, default_value_t = 2_200_000, value_parser = clap::value_parser!(u64).range(1000..=8_000_000))]
    hub_models: u64,
    /// full-hub: requests after which the resume check's run is killed
    /// (kill -9) [default: 40 % of the pages].
    #[arg(long, value_name = "N")]
    kill_after: Option<u64>,
    /// Run the mock server (internal).
    #[arg(long, hide = true)]
    serve: bool,
    /// Largest page the mock serves (internal; the Hub's is 1000).
    #[arg(long, hide = true, default_value_t = 1000)]
    page_cap: u64,
    /// Use this already running mock instead of starting one (internal).
    #[arg(long, hide = true)]
    mock_port: Option<u16>,
}

fn main() -> anyhow::Result<()> {
    // What the `catalog` binary does first (src/main.rs says why), so the
    // harvest is measured as it runs there.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; no thread has started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    let opts = Opts::parse();
    if opts.serve {
        return serve(&opts);
    }
    match opts.scenario.as_str() {
        "hub" | "providers" => {
            let mut o = opts.clone();
            if o.scenario == "providers" && o.providers == 0 {
                o.providers = 14;
            }
            let figures = run_scenario(&o)?;
            for (k, v) in &figures {
                println!("{k} {v}");
            }
            // Figures never fail a run (timing is noise); an incomplete harvest does.
            if figures.iter().any(|(k, v)| k == "complete" && v != "true") {
                bail!("the harvest did not write every model the mock listed");
            }
            Ok(())
        }
        "all" => suite(&opts),
        "hf-compare" => hf_compare(&opts),
        "db-sync" => db::sync(&opts),
        "db-resync" => db::resync(&opts),
        "db-query" => db::query(&opts),
        "full-hub" => db::full_hub(&opts),
        "cli" => db::cli(&opts),
        "targets" => targets(&opts),
        "db" => {
            db::sync(&opts)?;
            db::resync(&opts)?;
            db::query(&opts)
        }
        other => bail!(
            "unknown --scenario {other:?}: hub, providers, all, hf-compare, full-hub, cli, db-sync, db-resync, db-query, db or targets"
        ),
    }
}

// ---------------------------------------------------------------------------
// The mock (child process)
// ---------------------------------------------------------------------------

/// lastModified of model 0; model n is n seconds older.
const BASE_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
/// Room left before each body for the response head, so head and body go out
/// in one write without copying the body.
const HEADROOM: usize = 2048;

/// One Hub item (~470 bytes, like tests/fixtures/hf-list-default.json) with
/// fixed-width placeholders: `!` _id (hex), `@` org digit, `#` model number,
/// `$` likes, `%` downloads, `^` lastModified.
const ITEM: &str = concat!(
    r#"{"_id":"!!!!!!!!!!!!!!!!!!!!!!!!","id":"org@/model-#######","likes":$$$,"trendingScore":0,"#,
    r#""private":false,"downloads":%%%%%%%,"tags":["transformers","safetensors","llama","text-generation","#,
    r#""conversational","custom_code","license:apache-2.0","autotrain_compatible","endpoints_compatible","#,
    r#""region:us"],"pipeline_tag":"text-generation","library_name":"transformers","#,
    r#""createdAt":"2025-11-04T08:25:31.000Z","lastModified":"^^^^^^^^^^^^^^^^^^^^^^^^","#,
    r#""modelId":"org@/model-#######"}"#
);

/// The Hub page template: `[` + 1000 items joined by `,`, and where each
/// item's variable fields are.
struct Template {
    bytes: Vec<u8>,
    item_len: usize,
    fields: Vec<(u8, usize, usize)>,
    /// Where the item's pipeline_tag value is (`/__mutate` rewrites it).
    task_off: usize,
}

/// pipeline_tag of a mutated model: as long as `text-generation`, so the
/// template's widths hold.
const MUTATED_TASK: &[u8] = b"mask-generation";

impl Template {
    fn new(items: usize) -> Template {
        let item = ITEM.as_bytes();
        let mut fields = Vec::new();
        let mut i = 0;
        while i < item.len() {
            let c = item[i];
            if b"!@#$%^".contains(&c) {
                let start = i;
                while i < item.len() && item[i] == c {
                    i += 1;
                }
                fields.push((c, start, i - start));
            } else {
                i += 1;
            }
        }
        let mut bytes = Vec::with_capacity(1 + items * (item.len() + 1));
        bytes.push(b'[');
        for k in 0..items {
            if k > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(item);
        }
        let key = br#""pipeline_tag":""#;
        let task_off = item
            .windows(key.len())
            .position(|w| w == key)
            .expect("the item has a pipeline_tag")
            + key.len();
        assert_eq!(&item[task_off..task_off + MUTATED_TASK.len()], b"text-generation");
        Template {
            bytes,
            item_len: item.len(),
            fields,
            task_off,
        }
    }

    /// Appends `[` + models `start..start+count` + `]` to `out`; models
    /// whose number modulo 100 is below `mutated` have [`MUTATED_TASK`].
    fn page(&self, out: &mut Vec<u8>, start: u64, count: usize, mutated: u64) {
        if count == 0 {
            out.extend_from_slice(b"[]");
            return;
        }
        let base = out.len();
        out.extend_from_slice(&self.bytes[..count * (self.item_len + 1)]);
        out.push(b']');
        for k in 0..count {
            let at = base + 1 + k * (self.item_len + 1);
            let item = &mut out[at..at + self.item_len];
            let n = start + k as u64;
            for &(kind, off, len) in &self.fields {
                let dst = &mut item[off..off + len];
                match kind {
                    b'!' => put_hex(dst, n),
                    b'@' => put_dec(dst, n % 7),
                    b'#' => put_dec(dst, n),
                    b'$' => put_dec(dst, 100 + n % 900),
                    b'%' => put_dec(dst, 9_000_000 - n),
                    _ => put_time(dst, BASE_TIME - n as i64),
                }
            }
            if n % 100 < mutated {
                item[self.task_off..self.task_off + MUTATED_TASK.len()].copy_from_slice(MUTATED_TASK);
            }
        }
    }
}

fn put_dec(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn put_hex(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut().rev() {
        *b = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
    }
}

/// `YYYY-MM-DDTHH:MM:SS.000Z` into 24 bytes (Howard Hinnant's civil date).
fn put_time(dst: &mut [u8], secs: i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    dst.copy_from_slice(b"0000-00-00T00:00:00.000Z");
    for (range, v) in [
        (0..4, y),
        (5..7, m),
        (8..10, d),
        (11..13, rem / 3600),
        (14..16, rem % 3600 / 60),
        (17..19, rem % 60),
    ] {
        put_dec(&mut dst[range], v as u64);
    }
}

/// A non-Hub provider served by the mock: its catalog name and the recorded
/// fixture pages it answers with. Its key and URL variables come from the
/// built-in table.
struct Prov {
    name: &'static str,
    pages: &'static [&'static str],
}

/// The 13 built-in API providers, OpenAI-shaped ones first; `--providers 14`
/// adds the Hub (`hug`). Written by hand (the order is the bench's, the
/// fixtures are the mock's); [`builtin_specs`] checks it against the table.
const PROVIDERS: &[Prov] = &[
    Prov {
        name: "groq",
        pages: &["groq-models.json"],
    },
    Prov {
        name: "together",
        pages: &["together-models.json"],
    },
    Prov {
        name: "fireworks",
        pages: &["fireworks-models.json"],
    },
    Prov {
        name: "nebius",
        pages: &["nebius-models.json"],
    },
    Prov {
        name: "cerebras",
        pages: &["cerebras-models-docs.json"],
    },
    Prov {
        name: "chutes",
        pages: &["chutes-models.json"],
    },
    Prov {
        name: "featherless",
        pages: &["featherless-models-docs.json"],
    },
    Prov {
        name: "portkey",
        pages: &["portkey-models.json"],
    },
    Prov {
        name: "openrouter",
        pages: &["openrouter-models-all.json"],
    },
    Prov {
        name: "deepinfra",
        pages: &["deepinfra-openai-models.json"],
    },
    Prov {
        name: "xai",
        pages: &["xai-language-models.json"],
    },
    Prov {
        name: "novita",
        pages: &["novita-models-excerpt.json"],
    },
    Prov {
        name: "google",
        pages: &["google-models-page1.json", "google-models-page2.json"],
    },
];

/// The built-in table's entry for each of [`PROVIDERS`], in that order;
/// an error unless they are exactly the table's providers but the Hub.
/// The environment that points built-in provider `i` of [`PROVIDERS`] at
/// the mock on `port`: its URL variable and a key.
fn provider_env(
    i: usize,
    p: &Prov,
    spec: &catalog::providers::ProviderSpec,
    port: u16,
) -> [(String, String); 2] {
    [
        (spec.url_env(), format!("http://127.0.0.1:{port}/p{i}/v1/models")),
        (spec.key_env[0].clone(), format!("bench-{}-key", p.name)),
    ]
}

fn builtin_specs() -> anyhow::Result<Vec<catalog::providers::ProviderSpec>> {
    let table = catalog::providers::builtin();
    let mut listed: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    let mut api: Vec<&str> = table
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| *n != "hug")
        .collect();
    listed.sort_unstable();
    api.sort_unstable();
    if listed != api {
        bail!("the bench's PROVIDERS {listed:?} are not the built-in API providers {api:?}");
    }
    Ok(PROVIDERS
        .iter()
        .filter_map(|p| table.iter().find(|s| s.name == p.name).cloned())
        .collect())
}

fn fixture(name: &str) -> anyhow::Result<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// Items in a fixture page (a bare array, or `data` / `models`).
fn fixture_items(name: &str) -> anyhow::Result<u64> {
    let bytes = fixture(name)?;
    let text = std::str::from_utf8(&bytes)?.trim_start_matches('\u{feff}');
    let v: serde_json::Value = serde_json::from_str(text)?;
    let list = v
        .as_array()
        .or_else(|| v.get("data").and_then(|d| d.as_array()))
        .or_else(|| v.get("models").and_then(|d| d.as_array()));
    Ok(list.map_or(0, |l| l.len() as u64))
}

/// How the mock delivers its responses: the realistic defaults, or `--ideal`.
#[derive(Debug, Clone, Copy)]
struct Serving {
    /// Gzip bodies for clients that send `Accept-Encoding: gzip`, as the
    /// Hub does behind its CDN.
    gzip: bool,
    /// Hub items vary like real ones ([`varied_item`]) instead of being
    /// copies of [`ITEM`].
    varied: bool,
    /// Bytes of body per write; 0: the whole response in one write.
    chunk: usize,
    /// Time between two writes of one body.
    every: Duration,
}

impl Serving {
    fn of(o: &Opts) -> Serving {
        Serving {
            gzip: !o.ideal && !o.no_gzip,
            varied: !o.ideal && !o.uniform,
            chunk: o.chunk.unwrap_or(if o.ideal { 0 } else { 16 * 1024 }),
            every: Duration::from_micros(o.chunk_every_us),
        }
    }

    /// The flags that give the same serving to a child (mock or sub-run).
    fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--chunk".to_owned(),
            self.chunk.to_string(),
            "--chunk-every-us".to_owned(),
            self.every.as_micros().to_string(),
        ];
        if !self.gzip {
            a.push("--no-gzip".into());
        }
        if !self.varied {
            a.push("--uniform".into());
        }
        a
    }

    fn label(&self) -> String {
        let items = if self.varied {
            "varied items"
        } else {
            "uniform items"
        };
        let gzip = if self.gzip { "gzip when asked" } else { "no gzip" };
        let pace = if self.chunk == 0 {
            "one write".to_owned()
        } else {
            format!(
                "{} KiB every {} us (~{:.0} Mbit/s)",
                self.chunk as f64 / 1024.0,
                self.every.as_micros(),
                self.rate().unwrap_or(0.0) * 8.0 / 1e6
            )
        };
        format!("{items}, {gzip}, {pace}")
    }

    /// Bytes per second a paced body arrives at (`None`: as fast as loopback).
    fn rate(&self) -> Option<f64> {
        (self.chunk > 0 && !self.every.is_zero()).then(|| self.chunk as f64 / self.every.as_secs_f64())
    }
}

/// A 64-bit mix of `n` (splitmix64's finalizer): every varied field of a
/// model is drawn from it, so page n is the same bytes on every request
/// and run, and no table of models is kept.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Organisations of varied models (the rest are users `user<k>`).
const ORGS: &[&str] = &[
    "meta-llama",
    "Qwen",
    "mistralai",
    "google",
    "microsoft",
    "unsloth",
    "TheBloke",
    "bartowski",
    "mlx-community",
    "sentence-transformers",
    "deepseek-ai",
    "stabilityai",
    "facebook",
    "nvidia",
    "lmstudio-community",
    "NousResearch",
    "allenai",
    "BAAI",
    "intfloat",
    "timm",
    "Helsinki-NLP",
    "openai-community",
    "cardiffnlp",
    "Salesforce",
    "EleutherAI",
    "moonshotai",
    "MiniMaxAI",
];
const NAMES: &[&str] = &[
    "Llama-3.1-8B-Instruct",
    "Qwen2.5-7B",
    "bert-base-uncased",
    "whisper-large-v3",
    "Mistral-7B-v0.3",
    "gemma-2-9b-it",
    "all-MiniLM-L6-v2",
    "stable-diffusion-xl-base-1.0",
    "phi-4",
    "DeepSeek-R1-Distill-Qwen-1.5B",
    "roberta-large",
    "t5-small",
    "clip-vit-large-patch14",
    "vit-base-patch16-224",
    "wav2vec2-large-xlsr-53",
    "Kimi-K2-Thinking",
    "opus-mt-en-de",
    "gpt2",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "-GGUF",
    "-AWQ",
    "-finetuned-imdb",
    "-lora",
    "-4bit",
    "-mlx",
    "-sft",
    "-dpo",
];
/// pipeline_tag, and the tags a model of that task tends to carry.
const TASKS: &[&str] = &[
    "text-generation",
    "text-generation",
    "text-generation",
    "text-classification",
    "token-classification",
    "fill-mask",
    "feature-extraction",
    "sentence-similarity",
    "automatic-speech-recognition",
    "image-classification",
    "text-to-image",
    "image-text-to-text",
    "text2text-generation",
    "translation",
    "summarization",
    "question-answering",
    "object-detection",
    "reinforcement-learning",
    "audio-classification",
    "text-to-speech",
    "zero-shot-classification",
    "image-segmentation",
];
const LIBRARIES: &[&str] = &[
    "transformers",
    "transformers",
    "transformers",
    "diffusers",
    "sentence-transformers",
    "gguf",
    "peft",
    "mlx",
    "timm",
    "pytorch",
    "keras",
    "onnx",
    "stable-baselines3",
    "ml-agents",
    "spacy",
];
const ARCHS: &[&str] = &[
    "llama",
    "qwen2",
    "mistral",
    "bert",
    "gemma2",
    "whisper",
    "t5",
    "roberta",
    "vit",
    "clip",
    "gpt2",
    "deepseek_v3",
    "kimi_k2",
    "minimax_m2",
    "phi3",
    "wav2vec2",
    "marian",
];
const LANGS: &[&str] = &[
    "en",
    "zh",
    "fr",
    "de",
    "es",
    "ja",
    "ko",
    "ru",
    "multilingual",
    "ar",
    "vi",
];
const LICENSES: &[&str] = &[
    "license:apache-2.0",
    "license:mit",
    "license:other",
    "license:cc-by-4.0",
    "license:llama3.1",
    "license:cc-by-nc-4.0",
    "license:openrail",
    "license:gemma",
];
/// How a model names the models it derives from, one round of tags each.
const BASE_MODEL: &[&str] = &[
    "base_model:",
    "base_model:finetune:",
    "base_model:quantized:",
    "base_model:adapter:",
    "base_model:merge:",
];
/// Tags with non-ASCII letters (the Hub sends them as UTF-8, unescaped).
const NON_ASCII: &[&str] = &[
    "한국어",
    "español",
    "日本語",
    "中文",
    "français",
    "Русский",
    "tiếng-việt",
    "العربية",
];
/// Tags with JSON escapes in them, as the Hub would write them.
const ESCAPED: &[&str] = &[r#"note:\"quoted\""#, r#"path:C:\\models"#, r#"tab:a\tb"#];

/// Appends model `n` as the Hub lists it, varying like real items: tag
/// counts from 0 to 28 (9 on average), no `pipeline_tag` for one model in five, no
/// `library_name` for one in seven, ids of 12 to 60 bytes, non-ASCII tags
/// in one model of 40 and a JSON escape in one of 2,000. Models whose
/// number modulo 100 is below `mutated` have [`MUTATED_TASK`].
fn varied_item(out: &mut Vec<u8>, n: u64, mutated: u64) {
    let h = mix(n);
    let pick = |list: &[&'static str], salt: u32| list[(h.rotate_left(salt) % list.len() as u64) as usize];
    let digits = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    let mut org_buf = String::new();
    let org: &str = if h % 5 < 2 {
        pick(ORGS, 7)
    } else {
        org_buf.push_str("user");
        org_buf.push_str(itoa::Buffer::new().format((h >> 20) % 100_000));
        &org_buf
    };
    let id = |out: &mut Vec<u8>| {
        out.extend_from_slice(org.as_bytes());
        out.push(b'/');
        out.extend_from_slice(pick(NAMES, 13).as_bytes());
        out.extend_from_slice(pick(SUFFIXES, 17).as_bytes());
        out.push(b'-');
        digits(out, n);
    };
    out.extend_from_slice(b"{\"_id\":\"");
    let mut hex = [0u8; 24];
    put_hex(&mut hex[..16], h);
    put_hex(&mut hex[16..], n);
    out.extend_from_slice(&hex);
    out.extend_from_slice(b"\",\"id\":\"");
    id(out);
    out.extend_from_slice(b"\",\"author\":\"");
    out.extend_from_slice(org.as_bytes());
    out.extend_from_slice(b"\",\"likes\":");
    digits(out, if h.is_multiple_of(3) { 0 } else { (h >> 8) % 5000 });
    out.extend_from_slice(b",\"trendingScore\":");
    digits(out, (h >> 24) % 40);
    out.extend_from_slice(b",\"private\":false,\"downloads\":");
    digits(out, 9_000_000 - n.min(9_000_000));
    let task = if n % 100 < mutated {
        Some(std::str::from_utf8(MUTATED_TASK).expect("ASCII"))
    } else {
        (!h.is_multiple_of(5)).then(|| pick(TASKS, 29))
    };
    let library = (!h.is_multiple_of(7)).then(|| pick(LIBRARIES, 37));
    out.extend_from_slice(b",\"tags\":[");
    let mut first = true;
    let mut tag = |out: &mut Vec<u8>, parts: &[&[u8]]| {
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(b'"');
        for p in parts {
            out.extend_from_slice(p);
        }
        out.push(b'"');
    };
    // The smaller of two draws: most models carry a few tags, some many.
    let count = ((h >> 40) % 29).min((h >> 52) % 29);
    if count > 0 {
        if let Some(l) = library {
            tag(out, &[l.as_bytes()]);
        }
        let gguf = h & 1 << 50 != 0 && library != Some("gguf");
        tag(out, &[if gguf { b"gguf" } else { b"safetensors" }]);
        tag(out, &[pick(ARCHS, 41).as_bytes()]);
        if let Some(t) = task {
            tag(out, &[t.as_bytes()]);
        }
        let extra = count.saturating_sub(4);
        // Six kinds in turn; a kind's later rounds give other values, so a
        // model's tags stay distinct, as the Hub's are.
        for k in 0..extra {
            let (kind, round) = (k % 6, k / 6);
            let v = mix(h ^ k);
            let num = |v: u64| itoa::Buffer::new().format(v).to_owned();
            match (kind, round) {
                (0, r) => tag(out, &[LANGS[((h >> 5) + r) as usize % LANGS.len()].as_bytes()]),
                (2, r) => tag(
                    out,
                    &[
                        b"dataset:",
                        pick(ORGS, 3).as_bytes(),
                        b"/corpus-",
                        num(r).as_bytes(),
                    ],
                ),
                (3, r) => tag(
                    out,
                    &[
                        BASE_MODEL[r as usize % BASE_MODEL.len()].as_bytes(),
                        pick(ORGS, 11).as_bytes(),
                        b"/",
                        pick(NAMES, 19).as_bytes(),
                    ],
                ),
                (4, 0) => tag(out, &[b"conversational"]),
                (5, 0) => tag(out, &[b"custom_code"]),
                (4, 1) => tag(out, &[b"text-generation-inference"]),
                _ => tag(
                    out,
                    &[
                        b"arxiv:",
                        num(2300 + v % 300).as_bytes(),
                        b".",
                        num(10_000 + (v >> 16) % 89_999).as_bytes(),
                    ],
                ),
            }
        }
        tag(out, &[pick(LICENSES, 43).as_bytes()]);
        if h % 40 == 1 {
            tag(out, &[pick(NON_ASCII, 47).as_bytes()]);
        }
        if n % 2000 == 1999 {
            tag(
                out,
                &[ESCAPED[(n / 2000 % ESCAPED.len() as u64) as usize].as_bytes()],
            );
        }
        tag(out, &[b"autotrain_compatible"]);
        tag(out, &[b"endpoints_compatible"]);
        tag(out, &[b"region:us"]);
    }
    out.push(b']');
    if let Some(t) = task {
        out.extend_from_slice(b",\"pipeline_tag\":\"");
        out.extend_from_slice(t.as_bytes());
        out.push(b'"');
    }
    if let Some(l) = library {
        out.extend_from_slice(b",\"library_name\":\"");
        out.extend_from_slice(l.as_bytes());
        out.push(b'"');
    }
    let mut time = [0u8; 24];
    put_time(&mut time, BASE_TIME - n as i64 - (h >> 33) as i64 % 30_000_000);
    out.extend_from_slice(b",\"createdAt\":\"");
    out.extend_from_slice(&time);
    put_time(&mut time, BASE_TIME - n as i64);
    out.extend_from_slice(b"\",\"lastModified\":\"");
    out.extend_from_slice(&time);
    out.extend_from_slice(b"\",\"modelId\":\"");
    id(out);
    out.extend_from_slice(b"\"}");
}

/// Appends `[` + varied models `start..start+count` + `]` to `out`.
fn varied_page(out: &mut Vec<u8>, start: u64, count: usize, mutated: u64) {
    out.push(b'[');
    for k in 0..count as u64 {
        if k > 0 {
            out.push(b',');
        }
        varied_item(out, start + k, mutated);
    }
    out.push(b']');
}

/// Gzip of `body` (flate2's default level, as a CDN compresses).
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc =
        flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::default());
    enc.write_all(body).expect("writing to a Vec");
    enc.finish().expect("writing to a Vec")
}

/// Compressed Hub pages kept by the mock: a page is compressed once per
/// distinct content (first model, count, mutation), up to this many bytes.
const GZ_CACHE_BYTES: usize = 256 << 20;

/// The compressed pages by (first model, count, mutation), and their bytes.
type GzPages = (HashMap<(u64, usize, u64), Arc<Vec<u8>>>, usize);

struct Mock {
    port: u16,
    models: u64,
    page_cap: u64,
    latency: Duration,
    quota: Option<(u64, f64)>,
    serving: Serving,
    template: Template,
    providers: Vec<Vec<Vec<u8>>>,
    window: Mutex<(Option<Instant>, u64)>,
    gz_pages: Mutex<GzPages>,
    requests: AtomicU64,
    throttled: AtomicU64,
    authed: AtomicU64,
    gzipped: AtomicU64,
    bytes: AtomicU64,
    /// Bytes of the bodies before compression.
    plain_bytes: AtomicU64,
    /// Microseconds bodies spent waiting between their pieces (the time
    /// the pacing alone adds to the requests, summed).
    paced_us: AtomicU64,
    /// The same as it happened: from a paced body's first piece written to
    /// its last (pieces can go out later than asked: the link the client
    /// met was this one).
    paced_real_us: AtomicU64,
    /// Percent of the Hub's models served with a changed pipeline_tag
    /// (`/__mutate?pct=M`: those whose number modulo 100 is below M), so a
    /// later harvest sees M % of them changed, always the same ones.
    mutated: AtomicU64,
}

fn parse_quota(q: &str) -> anyhow::Result<(u64, f64)> {
    let (n, w) = q
        .split_once('/')
        .ok_or_else(|| anyhow!("--quota takes Q/W, e.g. 50/3"))?;
    let n: u64 = n.trim().parse().context("--quota Q")?;
    let w: f64 = w.trim().parse().context("--quota W")?;
    if n == 0 || w.is_nan() || w <= 0.0 {
        bail!("--quota needs Q > 0 and W > 0");
    }
    Ok((n, w))
}

/// The child: serves until its stdin closes (the parent exited or is done).
fn serve(opts: &Opts) -> anyhow::Result<()> {
    let quota = opts.quota.as_deref().map(parse_quota).transpose()?;
    let mut providers = Vec::new();
    for p in PROVIDERS {
        providers.push(
            p.pages
                .iter()
                .map(|f| fixture(f))
                .collect::<anyhow::Result<Vec<_>>>()?,
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mock = Arc::new(Mock {
            port,
            models: opts.models,
            page_cap: opts.page_cap.clamp(1, 1000),
            latency: Duration::from_millis(opts.latency_ms),
            quota,
            serving: Serving::of(opts),
            template: Template::new(1000),
            providers,
            window: Mutex::new((None, 0)),
            gz_pages: Mutex::new((HashMap::new(), 0)),
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            authed: AtomicU64::new(0),
            gzipped: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            plain_bytes: AtomicU64::new(0),
            paced_us: AtomicU64::new(0),
            paced_real_us: AtomicU64::new(0),
            mutated: AtomicU64::new(0),
        });
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "PORT {port}")?;
            out.flush()?;
        }
        std::thread::spawn(|| {
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
        loop {
            let (stream, _) = listener.accept().await?;
            let mock = Arc::clone(&mock);
            tokio::spawn(async move {
                let _ = connection(stream, mock).await;
            });
        }
    })
}

/// Whether an `Accept-Encoding` value accepts gzip (`gzip`, `gzip;q=0.5`;
/// not `gzip;q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip"))
            && !parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f64>().ok()) == Some(0.0))
    })
}

/// One keep-alive connection: requests are answered in order.
async fn connection(stream: TcpStream, mock: Arc<Mock>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (rd, mut wr) = stream.into_split();
    let mut rd = tokio::io::BufReader::with_capacity(16 * 1024, rd);
    let mut line = String::new();
    let mut out: Vec<u8> = Vec::new();
    loop {
        line.clear();
        if rd.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let request = line.trim_end().to_owned();
        if request.is_empty() {
            continue;
        }
        let (mut authed, mut close, mut length) = (false, request.ends_with("HTTP/1.0"), 0u64);
        let mut gzip_ok = false;
        loop {
            line.clear();
            if rd.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                let (k, v) = (k.trim(), v.trim());
                if k.eq_ignore_ascii_case("authorization") {
                    authed = true;
                } else if k.eq_ignore_ascii_case("connection") {
                    close = v.eq_ignore_ascii_case("close");
                } else if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("accept-encoding") {
                    gzip_ok = accepts_gzip(v);
                }
            }
        }
        if length > 0 {
            tokio::io::copy(&mut (&mut rd).take(length), &mut tokio::io::sink()).await?;
        }
        let target = request.split(' ').nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let control = path.starts_with("/__");
        let gzip_ok = gzip_ok && mock.serving.gzip && !control;
        let start = mock.handle(path, query, authed, gzip_ok, &mut out);
        if !control && !mock.latency.is_zero() {
            tokio::time::sleep(mock.latency).await;
        }
        let chunk = mock.serving.chunk;
        if control || chunk == 0 || out.len() - HEADROOM <= chunk {
            wr.write_all(&out[start..]).await?;
        } else {
            // The head with the first piece of the body, then a piece every
            // `every`, by the clock: a late piece does not delay the next.
            let t0 = tokio::time::Instant::now();
            let mut at = start;
            let mut k = 0u32;
            while at < out.len() {
                if k > 0 {
                    tokio::time::sleep_until(t0 + mock.serving.every * k).await;
                }
                let end = if k == 0 { HEADROOM + chunk } else { at + chunk }.min(out.len());
                wr.write_all(&out[at..end]).await?;
                at = end;
                k += 1;
            }
            mock.paced_us.fetch_add(
                (mock.serving.every * (k - 1)).as_micros() as u64,
                Ordering::Relaxed,
            );
            mock.paced_real_us
                .fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        if !control {
            mock.bytes
                .fetch_add((out.len() - start) as u64, Ordering::Relaxed);
        }
        if close {
            return Ok(());
        }
    }
}

impl Mock {
    /// Builds the whole response in `out` (body after [`HEADROOM`]); returns
    /// where it starts. `gzip`: the client accepts gzip and the mock serves it.
    fn handle(&self, path: &str, query: &str, authed: bool, gzip: bool, out: &mut Vec<u8>) -> usize {
        out.clear();
        out.resize(HEADROOM, 0);
        match path {
            "/__stats" => {
                let stats = format!(
                    "{{\"requests\":{},\"http_429\":{},\"authed\":{},\"gzipped\":{},\"bytes\":{},\"plain_bytes\":{},\"paced_us\":{},\"paced_real_us\":{}}}",
                    self.requests.load(Ordering::SeqCst),
                    self.throttled.load(Ordering::SeqCst),
                    self.authed.load(Ordering::SeqCst),
                    self.gzipped.load(Ordering::SeqCst),
                    self.bytes.load(Ordering::SeqCst),
                    self.plain_bytes.load(Ordering::SeqCst),
                    self.paced_us.load(Ordering::SeqCst),
                    self.paced_real_us.load(Ordering::SeqCst)
                );
                out.extend_from_slice(stats.as_bytes());
                return head(out, "200 OK", "");
            }
            "/__mutate" => {
                let pct = query
                    .split('&')
                    .find_map(|p| p.strip_prefix("pct="))
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
                    .min(100);
                self.mutated.store(pct, Ordering::SeqCst);
                out.extend_from_slice(format!("{{\"pct\":{pct}}}").as_bytes());
                return head(out, "200 OK", "");
            }
            "/__warm" => {
                // Compresses every page of the given size now, so that a
                // measured run meets a mock serving at its link's pace
                // rather than at the pace it generates and gzips pages.
                let limit = query
                    .split('&')
                    .find_map(|p| p.strip_prefix("limit="))
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(100)
                    .clamp(1, self.page_cap);
                let mut pages = 0u64;
                if self.serving.gzip {
                    let mut scratch = Vec::new();
                    for start in (0..self.models).step_by(limit as usize) {
                        scratch.clear();
                        scratch.resize(HEADROOM, 0);
                        self.hub(&format!("limit={limit}&cursor=c{start}"), true, &mut scratch);
                        pages += 1;
                    }
                }
                out.extend_from_slice(format!("{{\"pages\":{pages}}}").as_bytes());
                return head(out, "200 OK", "");
            }
            "/__reset" => {
                for c in [
                    &self.requests,
                    &self.throttled,
                    &self.authed,
                    &self.gzipped,
                    &self.bytes,
                    &self.plain_bytes,
                    &self.paced_us,
                    &self.paced_real_us,
                ] {
                    c.store(0, Ordering::SeqCst);
                }
                *self.window.lock().unwrap() = (None, 0);
                out.extend_from_slice(b"{}");
                return head(out, "200 OK", "");
            }
            _ => {}
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        if authed {
            self.authed.fetch_add(1, Ordering::Relaxed);
        }
        if path == "/api/models" {
            return self.hub(query, gzip, out);
        }
        let provider = path
            .strip_prefix("/p")
            .and_then(|p| p.strip_suffix("/v1/models"))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| self.providers.get(i));
        match provider {
            Some(pages) => {
                let page = if query.contains("pageToken=") && pages.len() > 1 {
                    &pages[1]
                } else {
                    &pages[0]
                };
                self.body(out, page, gzip, "200 OK", "")
            }
            None => self.body(out, b"{\"error\":\"not found\"}", gzip, "404 Not Found", ""),
        }
    }

    /// Puts `body` (gzipped when `gzip`) and its head into `out`.
    fn body(&self, out: &mut Vec<u8>, body: &[u8], gzip: bool, status: &str, extra: &str) -> usize {
        self.plain_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        if gzip {
            self.gzipped.fetch_add(1, Ordering::Relaxed);
            out.extend_from_slice(&self::gzip(body));
            head(
                out,
                status,
                &format!("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n{extra}"),
            )
        } else {
            out.extend_from_slice(body);
            head(out, status, extra)
        }
    }

    fn hub(&self, query: &str, gzip: bool, out: &mut Vec<u8>) -> usize {
        let mut extra = String::new();
        if let Some((q, w)) = self.quota {
            let window = Duration::from_secs_f64(w);
            let (used, left) = {
                let mut win = self.window.lock().unwrap();
                let now = Instant::now();
                let start = match win.0 {
                    Some(s) if now - s < window => s,
                    _ => {
                        *win = (Some(now), 0);
                        now
                    }
                };
                win.1 += 1;
                (win.1, window - (now - start))
            };
            let t = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let policy = format!("RateLimit-Policy: \"fixed window\";\"api\";q={q};w={w}\r\n");
            if used > q {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                let headers = format!("RateLimit: \"api\";r=0;t={t}\r\n{policy}");
                return self.body(out, b"{}", false, "429 Too Many Requests", &headers);
            }
            extra = format!("RateLimit: \"api\";r={};t={t}\r\n{policy}", q - used);
        }
        let mut size = self.page_cap;
        let mut start = 0u64;
        let mut kept = String::with_capacity(query.len());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if let Some(v) = pair.strip_prefix("cursor=") {
                start = v.strip_prefix('c').and_then(|n| n.parse().ok()).unwrap_or(0);
                continue;
            }
            if let Some(v) = pair.strip_prefix("limit=") {
                if let Ok(l) = v.parse::<u64>() {
                    size = l.clamp(1, self.page_cap);
                }
            }
            if !kept.is_empty() {
                kept.push('&');
            }
            kept.push_str(pair);
        }
        let start = start.min(self.models);
        let end = (start + size).min(self.models);
        if end < self.models {
            let sep = if kept.is_empty() { "" } else { "&" };
            extra.push_str(&format!(
                "Link: <http://127.0.0.1:{}/api/models?{kept}{sep}cursor=c{end}>; rel=\"next\"\r\n",
                self.port
            ));
        }
        let mutated = self.mutated.load(Ordering::Relaxed);
        let count = (end - start) as usize;
        let page = |buf: &mut Vec<u8>| {
            if count == 0 {
                buf.extend_from_slice(b"[]");
            } else if self.serving.varied {
                varied_page(buf, start, count, mutated);
            } else {
                self.template.page(buf, start, count, mutated);
            }
        };
        if !gzip {
            page(out);
            self.plain_bytes
                .fetch_add((out.len() - HEADROOM) as u64, Ordering::Relaxed);
            return head(out, "200 OK", &extra);
        }
        // Compressed once per distinct page: both clients of hf-compare,
        // and every round, ask for the same pages.
        let key = (start, count, mutated);
        let cached = self.gz_pages.lock().unwrap().0.get(&key).cloned();
        let (gz, plain) = match cached {
            Some(gz) => (gz, None),
            None => {
                let mut plain = Vec::new();
                page(&mut plain);
                let gz = Arc::new(self::gzip(&plain));
                let mut cache = self.gz_pages.lock().unwrap();
                if cache.1 + gz.len() <= GZ_CACHE_BYTES {
                    cache.1 += gz.len();
                    cache.0.insert(key, Arc::clone(&gz));
                }
                (gz, Some(plain.len()))
            }
        };
        // The plain size of a cached page is not kept: decompressing it to
        // count is the cost the cache saves, so it is read off the gzip
        // trailer (ISIZE: the plain length modulo 2^32).
        let plain = plain.unwrap_or_else(|| {
            let t = &gz[gz.len() - 4..];
            u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize
        });
        self.plain_bytes.fetch_add(plain as u64, Ordering::Relaxed);
        self.gzipped.fetch_add(1, Ordering::Relaxed);
        out.extend_from_slice(&gz);
        extra.push_str("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
        head(out, "200 OK", &extra)
    }
}

/// Writes the response head right before the body; returns where it starts.
fn head(out: &mut Vec<u8>, status: &str, extra: &str) -> usize {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n{extra}\r\n",
        out.len() - HEADROOM
    );
    if head.len() <= HEADROOM {
        let start = HEADROOM - head.len();
        out[start..HEADROOM].copy_from_slice(head.as_bytes());
        start
    } else {
        out.splice(0..HEADROOM, head.bytes());
        0
    }
}

// ---------------------------------------------------------------------------
// The parent side: the mock child, the measured client run, figures
// ---------------------------------------------------------------------------

struct MockProc {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl MockProc {
    fn start(
        models: u64,
        latency_ms: u64,
        quota: Option<&str>,
        page_cap: u64,
        serving: Serving,
    ) -> anyhow::Result<MockProc> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["--serve", "--models", &models.to_string()])
            .args(["--latency-ms", &latency_ms.to_string()])
            .args(["--page-cap", &page_cap.to_string()])
            .args(serving.args());
        if let Some(q) = quota {
            cmd.args(["--quota", q]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the mock")?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow!("the mock did not report its port: {line:?}"))?;
        Ok(MockProc { child, stdin, port })
    }

    /// Stops the mock; returns its CPU seconds (user+sys).
    fn stop(mut self) -> anyhow::Result<f64> {
        let before = rusage(libc::RUSAGE_CHILDREN);
        drop(self.stdin.take());
        self.child.wait()?;
        let after = rusage(libc::RUSAGE_CHILDREN);
        Ok(after.0 + after.1 - before.0 - before.1)
    }
}

/// A plain GET to the mock's control paths.
fn control(port: u16, path: &str) -> anyhow::Result<serde_json::Value> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok(serde_json::from_str(body)?)
}

/// (user, sys) CPU seconds.
fn rusage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: rusage is a plain C struct of integers and timevals: all-zero
    // bytes are a valid value of it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(who, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

/// A `/proc/self/status` figure in MiB (VmHWM, VmRSS).
fn proc_status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':').map(str::to_owned))
        })
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct MapEnv(HashMap<String, String>);

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

type Figures = Vec<(String, String)>;

fn push(f: &mut Figures, k: &str, v: impl ToString) {
    f.push((k.to_owned(), v.to_string()));
}

/// One measured run of `catalog fetch` against the mock; returns the figures.
fn run_scenario(o: &Opts) -> anyhow::Result<Figures> {
    let quota = o.quota.as_deref().map(parse_quota).transpose()?;
    let own = match o.mock_port {
        Some(_) => None,
        None => Some(MockProc::start(
            o.models,
            o.latency_ms,
            o.quota.as_deref(),
            1000,
            Serving::of(o),
        )?),
    };
    let port = o.mock_port.or(own.as_ref().map(|m| m.port)).expect("a mock");
    if own.is_some() {
        control(port, &format!("/__warm?limit={}", o.batch))?;
        control(port, "/__reset")?;
    }
    let dir = tempfile::tempdir()?;
    let output = dir.path().join("out.ndjson");

    let mut env = HashMap::new();
    // No user config file (providers, defaults) may change what is measured.
    env.insert("XDG_CONFIG_HOME".to_owned(), dir.path().display().to_string());
    let mut names = Vec::new();
    let mut served = 0u64;
    // Counted after the measured run: parsing them here would raise the peak RSS.
    let mut fixtures = Vec::new();
    let hub = o.providers == 0 || o.providers == 14;
    let specs = builtin_specs()?;
    for (i, (p, spec)) in PROVIDERS
        .iter()
        .zip(&specs)
        .enumerate()
        .take(o.providers.min(13) as usize)
    {
        names.push(p.name.to_owned());
        env.extend(provider_env(i, p, spec, port));
        fixtures.extend(p.pages.iter().copied());
    }
    if hub {
        names.push("hug".to_owned());
        env.insert(
            "CATALOG_HUG_URL".into(),
            format!("http://127.0.0.1:{port}/api/models"),
        );
        if o.auth {
            env.insert("HF_TOKEN".into(), "hf_benchmarktoken".into());
        }
        served += o.models;
    }
    let mut args: Vec<String> = ["catalog", "fetch", "-p", &names.join(",")]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    // With several providers, --limit would cap every one of them; the Hub's
    // own default (50,000) or its end of listing stops it instead.
    if o.providers == 0 || o.models > 50_000 {
        args.extend(["--limit".into(), o.models.to_string()]);
    }
    args.extend([
        "--batch-size".into(),
        o.batch.to_string(),
        "-o".into(),
        output.display().to_string(),
        "--no-progress".into(),
        "-q".into(),
        "--no-cache".into(),
        "--delay-ms".into(),
        o.delay_ms.to_string(),
    ]);
    let cli = Cli::try_parse_from(&args).map_err(|e| anyhow!("catalog args {args:?}: {e}"))?;
    let Config::Fetch(cfg) = Config::from_cli(cli, &MapEnv(env)).map_err(|e| anyhow!("config: {e}"))? else {
        bail!("not a fetch");
    };

    let rss_before = proc_status_mib("VmRSS");
    let (u0, s0) = rusage(libc::RUSAGE_SELF);
    let t0 = Instant::now();
    let runtime = catalog::commands::runtime()?;
    let report = runtime.block_on(catalog::commands::fetch::run(cfg, &Progress::hidden()))?;
    drop(runtime);
    let wall = t0.elapsed().as_secs_f64();
    let (u1, s1) = rusage(libc::RUSAGE_SELF);
    let peak = proc_status_mib("VmHWM");

    let stats = control(port, "/__stats")?;
    let stat = |k: &str| stats.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let mut written = 0u64;
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(&output)?);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        written += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buf.len();
        reader.consume(n);
    }
    for page in fixtures {
        served += fixture_items(page)?;
    }
    let mock_cpu = match own {
        Some(m) => Some(m.stop()?),
        None => None,
    };

    // The bound the rules impose, provider by provider; the run's is the
    // slowest. A request takes at least the mock's latency plus the time its
    // body's pieces were spaced by (on average over the run's requests).
    let requests = stat("requests").max(1) as f64;
    let latency = o.latency_ms as f64 / 1000.0 + stat("paced_us") as f64 / 1e6 / requests;
    let delay = o.delay_ms as f64 / 1000.0;
    let mut bound: f64 = 0.0;
    let mut pages_max = 0;
    let mut detail = Vec::new();
    let mut failures = Vec::new();
    for out in &report.outcomes {
        let pages = out.pages as f64;
        let keyed = out.provider != "hug" || o.auth;
        let mut b = if keyed || delay == 0.0 {
            pages * latency
        } else {
            (pages - 1.0).max(0.0) * delay.max(latency) + latency
        };
        if let (Some((q, w)), "hug") = (quota, out.provider.as_str()) {
            // Each full window's requests wait for the next window; those
            // of the last one still follow each other.
            let windows = (out.pages.max(1) - 1) / q;
            let last = (out.pages - windows * q) as f64;
            b = b.max(windows as f64 * w + last * latency);
        }
        bound = bound.max(b);
        pages_max = pages_max.max(out.pages);
        detail.push(format!("{}:{}/{}", out.provider, out.models, out.pages));
        match &out.status {
            Status::Ok => {}
            Status::Failed(e) => failures.push(format!("{}: {e}", out.provider)),
            Status::Skipped { .. } => failures.push(format!("{}: skipped", out.provider)),
        }
    }
    let (user, sys) = (u1 - u0, s1 - s0);

    let mut f = Figures::new();
    push(&mut f, "scenario", scenario_label(o));
    push(&mut f, "models_listed", served);
    push(&mut f, "pages", pages_max);
    push(&mut f, "wall_s", format!("{wall:.3}"));
    push(&mut f, "models_per_s", format!("{:.0}", written as f64 / wall));
    push(&mut f, "cpu_s", format!("{:.3}", user + sys));
    push(&mut f, "cpu_user_s", format!("{user:.3}"));
    push(&mut f, "cpu_sys_s", format!("{sys:.3}"));
    push(&mut f, "peak_rss_mib", format!("{peak:.1}"));
    push(&mut f, "rss_before_fetch_mib", format!("{rss_before:.1}"));
    push(&mut f, "requests", stat("requests"));
    push(&mut f, "http_429", stat("http_429"));
    push(&mut f, "authed_requests", stat("authed"));
    push(&mut f, "mock", Serving::of(o).label());
    push(&mut f, "gzipped_responses", stat("gzipped"));
    push(&mut f, "bytes_served", stat("bytes"));
    push(&mut f, "bytes_plain", stat("plain_bytes"));
    push(&mut f, "paced_s", format!("{:.3}", stat("paced_us") as f64 / 1e6));
    push(
        &mut f,
        "paced_real_s",
        format!("{:.3}", stat("paced_real_us") as f64 / 1e6),
    );
    push(&mut f, "bound_s", format!("{bound:.3}"));
    push(
        &mut f,
        "ratio",
        if bound > 0.0 {
            format!("{:.3}", wall / bound)
        } else {
            "-".to_owned()
        },
    );
    push(&mut f, "models_reported", report.total());
    push(&mut f, "models_written", written);
    push(&mut f, "complete", written == served && failures.is_empty());
    if let Some(c) = mock_cpu {
        push(&mut f, "mock_cpu_s", format!("{c:.3}"));
    }
    if o.providers > 0 {
        push(&mut f, "per_provider_models_pages", detail.join(","));
    }
    if !failures.is_empty() {
        push(&mut f, "failures", failures.join("; ").replace('\n', " "));
    }
    Ok(f)
}

fn scenario_label(o: &Opts) -> String {
    let mut s = if o.providers > 0 {
        format!("{} providers (hub {} models)", o.providers, o.models)
    } else {
        format!("hub {} models", o.models)
    };
    s.push_str(&format!(" batch {}", o.batch));
    s.push_str(if o.auth { " auth" } else { " anon" });
    if o.delay_ms > 0 {
        s.push_str(&format!(" delay {}ms", o.delay_ms));
    }
    s.push_str(&format!(" L={}ms", o.latency_ms));
    if let Some(q) = &o.quota {
        s.push_str(&format!(" quota {q}s"));
    }
    s
}

/// Runs this binary again with `args` (one measured scenario in a fresh
/// process) and parses its `key value` lines.
fn subrun(args: &[String]) -> anyhow::Result<HashMap<String, String>> {
    let out = Command::new(std::env::current_exe()?)
        .args(args)
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("bench {args:?} failed: {}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// The fixed suite
// ---------------------------------------------------------------------------

fn suite(o: &Opts) -> anyhow::Result<()> {
    let serving = Serving::of(o);
    let rows: Vec<(&str, Vec<String>)> = vec![
        (
            "50k/100 auth L=0",
            args(&["--models", "50000", "--batch", "100", "--auth"]),
        ),
        (
            "1M/1000 auth L=0",
            args(&["--models", "1000000", "--batch", "1000", "--auth"]),
        ),
        (
            "100 pages auth L=50ms",
            args(&[
                "--models",
                "10000",
                "--batch",
                "100",
                "--auth",
                "--latency-ms",
                "50",
            ]),
        ),
        (
            "20 pages anon delay=500 L=50",
            args(&[
                "--models",
                "2000",
                "--batch",
                "100",
                "--delay-ms",
                "500",
                "--latency-ms",
                "50",
            ]),
        ),
        (
            "120 pages auth quota 50/3s",
            args(&["--models", "12000", "--batch", "100", "--auth", "--quota", "50/3"]),
        ),
        (
            "14 providers L=300ms",
            args(&[
                "--providers",
                "14",
                "--models",
                "1000",
                "--batch",
                "1000",
                "--auth",
                "--latency-ms",
                "300",
            ]),
        ),
        (
            "50k/1000 auth L=0",
            args(&["--models", "50000", "--batch", "1000", "--auth"]),
        ),
    ];
    let mut results = Vec::new();
    println!("mock: {}", serving.label());
    for (name, a) in &rows {
        let mut a = a.clone();
        a.extend(serving.args());
        eprintln!("running: {name} ({})", a.join(" "));
        let r = subrun(&a)?;
        results.push((*name, r));
    }
    let cols = [
        ("models_written", "written"),
        ("pages", "pages"),
        ("wall_s", "wall_s"),
        ("models_per_s", "models/s"),
        ("cpu_s", "cpu_s"),
        ("peak_rss_mib", "rss_MiB"),
        ("requests", "req"),
        ("http_429", "429"),
        ("bound_s", "bound_s"),
        ("ratio", "ratio"),
        ("complete", "complete"),
    ];
    let mut header = format!("{:<30}", "scenario");
    for (_, title) in cols {
        header.push_str(&format!(" {title:>9}"));
    }
    println!("{header}");
    for (name, r) in &results {
        let mut line = format!("{name:<30}");
        for (k, _) in cols {
            line.push_str(&format!(" {:>9}", r.get(k).map_or("?", String::as_str)));
        }
        println!("{line}");
    }
    let num = |i: usize, k: &str| -> f64 {
        results[i]
            .1
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    println!();
    println!("targets (reference only, not asserted):");
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let rss50 = num(0, "peak_rss_mib");
    let rss1m = num(1, "peak_rss_mib");
    println!(
        "  peak RSS 50k <= 16 MiB: {rss50:.1} MiB -> {}",
        verdict(rss50 <= 16.0)
    );
    // Not a verdict: the 1M run's pages are ten times larger, and a page in
    // flight weighs with its size. Flat memory is judged at one page size
    // (the last line).
    println!("  peak RSS 1M (pages of 1000) against 50k (pages of 100): {rss1m:.1} against {rss50:.1} MiB");
    let tput = num(1, "models_per_s");
    // A paced mock's link caps the rate (1,000,000 models of gzip at about
    // 100 Mbit/s take 5 s): then the aim is the link's rate, near enough.
    let link = num(1, "models_written") / num(1, "bound_s");
    let aim = if link.is_finite() && link > 0.0 {
        200_000f64.min(0.9 * link)
    } else {
        200_000.0
    };
    let why = if aim < 200_000.0 {
        format!(" (0.9 x the {link:.0} the mock's link allows)")
    } else {
        String::new()
    };
    println!(
        "  throughput, pages of 1000 >= {aim:.0} models/s{why}: {tput:.0} -> {}",
        verdict(tput >= aim)
    );
    for (i, limit, what) in [
        (2, 1.1, "auth L=50ms 100 pages"),
        (3, 1.05, "anon delay 500ms"),
        (5, 1.3, "14 providers"),
    ] {
        let (wall, bound, ratio) = (num(i, "wall_s"), num(i, "bound_s"), num(i, "ratio"));
        println!(
            "  {what}: wall {wall:.3} s <= {limit} x bound {bound:.3} s: ratio {ratio:.3} -> {}",
            verdict(ratio <= limit)
        );
    }
    println!(
        "  quota 50/3s, 120 pages: {} x 429, wall {:.3} s <= 1.05 x quota bound {:.3} s: ratio {:.3} -> {}",
        num(4, "http_429"),
        num(4, "wall_s"),
        num(4, "bound_s"),
        num(4, "ratio"),
        verdict(num(4, "http_429") == 0.0 && num(4, "ratio") <= 1.05)
    );
    let rss50_1000 = num(6, "peak_rss_mib");
    println!(
        "  peak RSS 1M <= 1.2 x 50k at the same page size, 1000 ({:.1} MiB): {rss1m:.1} MiB -> {}",
        1.2 * rss50_1000,
        verdict(rss1m <= 1.2 * rss50_1000)
    );
    println!("  CPU vs huggingface_hub: run --scenario hf-compare");
    Ok(())
}

// ---------------------------------------------------------------------------
// huggingface_hub vs catalog
// ---------------------------------------------------------------------------

/// `/proc/loadavg`'s three figures: how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The median of sorted figures.
fn median(v: &[f64]) -> f64 {
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn python_hub_version() -> Option<String> {
    let out = Command::new("python3")
        .args(["-c", "import huggingface_hub; print(huggingface_hub.__version__)"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn hf_compare(o: &Opts) -> anyhow::Result<()> {
    let version = match python_hub_version() {
        Some(v) => Some(v),
        None => {
            eprintln!("huggingface_hub is not importable; trying `python3 -m pip install huggingface_hub`");
            let _ = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "huggingface_hub"])
                .status();
            python_hub_version()
        }
    };
    // huggingface_hub sends its total `limit` as the page size (and stops
    // after `limit` items); the Hub caps a page at 1000. Here the mock's cap
    // is --batch, so both clients get pages of --batch items.
    let mock = MockProc::start(
        o.models,
        o.latency_ms,
        o.quota.as_deref(),
        o.batch,
        Serving::of(o),
    )?;
    let port = mock.port;
    // Both clients meet pages already compressed, from the first round on.
    control(port, &format!("/__warm?limit={}", o.batch))?;
    control(port, "/__reset")?;
    let script: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bench_hf_hub.py");
    let catalog_name = format!("catalog {}", env!("CARGO_PKG_VERSION"));
    let python_name = version.as_ref().map(|v| format!("huggingface_hub {v}"));
    if python_name.is_none() {
        eprintln!("huggingface_hub could not be installed: its rows are missing");
    }
    // A shared machine's noise is larger than the difference measured, so the
    // clients take turns, several rounds, and the medians are compared.
    let mut rows: Vec<(String, HashMap<String, String>)> = Vec::new();
    for round in 1..=o.rounds {
        if let Some(name) = &python_name {
            eprintln!(
                "round {round}/{}: {name} list_models(limit={})",
                o.rounds, o.models
            );
            let out = Command::new("python3")
                .arg(&script)
                .args(["--port", &port.to_string(), "--limit", &o.models.to_string()])
                .env("HF_HUB_DISABLE_TELEMETRY", "1")
                .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                .env_remove("HF_TOKEN")
                .env_remove("HUGGING_FACE_HUB_TOKEN")
                .env_remove("HF_HUB_OFFLINE")
                .stderr(Stdio::inherit())
                .output()?;
            if !out.status.success() {
                bail!("{} failed: {}", script.display(), out.status);
            }
            let mut r: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let stats = control(port, "/__stats")?;
            r.insert("requests".into(), stats["requests"].to_string());
            r.insert("gzipped_responses".into(), stats["gzipped"].to_string());
            rows.push((name.clone(), r));
            control(port, "/__reset")?;
        }
        eprintln!("round {round}/{}: {catalog_name} against the same mock", o.rounds);
        let mut a = args(&[
            "--scenario",
            "hub",
            "--models",
            &o.models.to_string(),
            "--batch",
            &o.batch.to_string(),
            "--mock-port",
            &port.to_string(),
        ]);
        if o.auth {
            a.push("--auth".into());
        }
        rows.push((catalog_name.clone(), subrun(&a)?));
        control(port, "/__reset")?;
    }
    let mock_cpu = mock.stop()?;

    println!(
        "mock: {} models, pages of {} (huggingface_hub asks limit={}, capped by the mock like the Hub caps at 1000); {}; load average {}",
        o.models,
        o.batch,
        o.models,
        Serving::of(o).label(),
        load_average()
    );
    // huggingface_hub's CPU moves with the Python and the HTTP packages it
    // runs on (a fresh install may pull newer ones), so the ratio's
    // denominator is only comparable between runs that print the same line.
    if let Some((name, r)) = rows.iter().find(|(n, _)| Some(n) == python_name.as_ref()) {
        println!(
            "{name}: python {}, {}",
            r.get("python").map_or("?", String::as_str),
            r.get("http_stack").map_or("?", String::as_str)
        );
    }
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "client", "models", "requests", "gzipped", "wall_s", "cpu_s", "user_s", "sys_s", "rss_MiB"
    );
    for (name, r) in &rows {
        let g = |k: &str| r.get(k).map_or("?", String::as_str);
        println!(
            "{name:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
            g("models_written"),
            g("requests"),
            g("gzipped_responses"),
            g("wall_s"),
            g("cpu_s"),
            g("cpu_user_s"),
            g("cpu_sys_s"),
            g("peak_rss_mib")
        );
    }
    let cpu_of = |name: &str| -> Vec<f64> {
        let mut v: Vec<f64> = rows
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, r)| r.get("cpu_s")?.parse().ok())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    if let Some(python) = &python_name {
        let (ours, theirs) = (cpu_of(&catalog_name), cpu_of(python));
        let ratio = median(&ours) / median(&theirs);
        println!(
            "cpu_s median over {} rounds: catalog {:.3}, huggingface_hub {:.3}",
            o.rounds,
            median(&ours),
            median(&theirs)
        );
        println!(
            "  target CPU <= 0.10 x huggingface_hub's, {} models in pages of {}: catalog / huggingface_hub (medians) {ratio:.4}; per round {} -> {}",
            o.models,
            o.batch,
            rows.chunks(2)
                .filter_map(|pair| {
                    let c = |i: usize| pair.get(i)?.1.get("cpu_s")?.parse::<f64>().ok();
                    Some(format!("{:.3}", c(1)? / c(0)?))
                })
                .collect::<Vec<_>>()
                .join(" "),
            if ratio <= 0.1 { "met" } else { "MISSED" }
        );
    }
    println!(
        "mock_cpu_s {mock_cpu:.3} (all rounds); load average after: {}",
        load_average()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Every target in one run
// ---------------------------------------------------------------------------

/// The scenarios that hold the targets, in the order `targets` runs them,
/// each with the options it runs under.
const TARGET_RUNS: &[(&str, &[&str])] = &[
    ("all", &[]),
    ("hf-compare", &["--rounds", "11"]),
    ("cli", &["--rounds", "7"]),
    ("db-sync", &["--rounds", "7"]),
    ("db-query", &["--rounds", "5"]),
    ("full-hub", &[]),
];

/// `--scenario targets`: every scenario that holds a target, each in a
/// process of its own (its peak RSS and CPU its own), their output passed
/// through as it comes; then every target's line, figure and verdict, in
/// one list. A scenario that fails is named and the rest still run.
fn targets(o: &Opts) -> anyhow::Result<()> {
    let started = Instant::now();
    let exe = std::env::current_exe()?;
    let mut verdicts: Vec<(&str, String)> = Vec::new();
    let mut failed = Vec::new();
    for (scenario, extra) in TARGET_RUNS {
        println!("== --scenario {scenario} {}", extra.join(" "));
        let mut cmd = Command::new(&exe);
        cmd.args(["--scenario", scenario]).args(*extra);
        if let Some(bin) = &o.catalog {
            cmd.arg("--catalog").arg(bin);
        }
        if let Some(pg) = &o.pg {
            cmd.args(["--pg", pg]);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn()?;
        let before = verdicts.len();
        for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
            let line = line?;
            println!("{line}");
            let t = line.trim();
            if t.ends_with("-> met") || t.ends_with("-> MISSED") {
                verdicts.push((scenario, t.to_owned()));
            }
        }
        let status = child.wait()?;
        if !status.success() {
            failed.push(format!("{scenario} ({status})"));
        } else if verdicts.len() == before {
            // hf-compare without huggingface_hub to compare with, say.
            verdicts.push((
                scenario,
                "target not measured: the scenario printed no verdict (see its output above)".into(),
            ));
        }
    }
    let met = verdicts.iter().filter(|(_, v)| v.ends_with("-> met")).count();
    let missed = verdicts.iter().filter(|(_, v)| v.ends_with("-> MISSED")).count();
    println!();
    println!(
        "targets: {met} met, {missed} missed, {} not measured; {} scenarios in {:.1} min; load after: {}",
        verdicts.len() - met - missed,
        TARGET_RUNS.len(),
        started.elapsed().as_secs_f64() / 60.0,
        load_average()
    );
    for (scenario, v) in &verdicts {
        println!("  [{scenario}] {}", v.strip_prefix("target ").unwrap_or(v));
    }
    if !failed.is_empty() {
        bail!("scenarios that failed: {}", failed.join(", "));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The history database (`--db`): the real binary, measured with wait4
// ---------------------------------------------------------------------------

mod db {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    use anyhow::{bail, Context as _};

    use super::{
        builtin_specs, control, median, parse_quota, provider_env, MockProc, Opts, Serving, PROVIDERS,
    };

    /// One run of the catalog binary: wall, CPU (user+sys) and peak RSS of
    /// that process alone (`wait4` on its pid).
    pub(super) struct Run {
        pub wall: f64,
        pub cpu: f64,
        pub rss_mib: f64,
        pub ok: bool,
        /// Its exit code (`None`: ended by a signal).
        pub code: Option<i32>,
        /// Its stderr (and stdout when captured), for reasons.
        pub stderr: String,
        pub stdout_lines: u64,
    }

    fn catalog_bin(o: &Opts) -> anyhow::Result<PathBuf> {
        let bin = match &o.catalog {
            Some(p) => p.clone(),
            None => {
                let exe = std::env::current_exe()?;
                // target/<profile>/examples/bench -> target/<profile>/catalog
                exe.parent()
                    .and_then(Path::parent)
                    .map(|d| d.join("catalog"))
                    .context("locating the catalog binary")?
            }
        };
        if !bin.is_file() {
            bail!(
                "{} does not exist: build it first (cargo build --release --bin catalog) or pass --catalog PATH",
                bin.display()
            );
        }
        Ok(bin)
    }

    /// The catalog command with an environment of its own: no user config,
    /// cache or data directory, the mock as the Hub, a token (no delay).
    fn command(bin: &Path, home: &Path, port: u16, args: &[String]) -> Command {
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("CATALOG_HUG_URL", format!("http://127.0.0.1:{port}/api/models"))
            .env("HF_TOKEN", "hf_benchmarktoken")
            .args(args);
        cmd
    }

    /// Runs `cmd` to its end; stdout to a file (its lines counted), stderr kept.
    fn measure(mut cmd: Command, scratch: &Path) -> anyhow::Result<Run> {
        let out_path = scratch.join("stdout");
        let err_path = scratch.join("stderr");
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path)?)
            .stderr(std::fs::File::create(&err_path)?);
        let t0 = Instant::now();
        let child = cmd.spawn().context("starting catalog")?;
        let pid = libc::pid_t::try_from(child.id())?;
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is a plain C struct of integers and timevals.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers to a status and an rusage; the pid is our child's,
        // reaped here (the Child is not waited on again).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        let wall = t0.elapsed().as_secs_f64();
        drop(child);
        if r != pid {
            bail!("wait4: {}", std::io::Error::last_os_error());
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        let ok = code == Some(0);
        let stdout_lines = count_lines(&out_path)?;
        Ok(Run {
            wall,
            cpu: secs(ru.ru_utime) + secs(ru.ru_stime),
            // ru_maxrss is in KiB on Linux.
            rss_mib: ru.ru_maxrss as f64 / 1024.0,
            ok,
            code,
            stderr: String::from_utf8_lossy(&std::fs::read(&err_path)?).into_owned(),
            stdout_lines,
        })
    }

    /// Lines of a file, streamed: reading it whole would raise this
    /// process's peak RSS, which a spawned child starts from (Rust spawns
    /// with vfork semantics, and Linux keeps the pre-exec high-water mark).
    fn count_lines(path: &Path) -> anyhow::Result<u64> {
        use std::io::BufRead as _;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
        let mut n = 0u64;
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(n);
            }
            n += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            let len = buf.len();
            reader.consume(len);
        }
    }

    fn fetch_args(models: u64, batch: u64, out: &Path, db: Option<&str>) -> Vec<String> {
        let mut a: Vec<String> = [
            "fetch",
            "-p",
            "hug",
            "--limit",
            &models.to_string(),
            "--batch-size",
            &batch.to_string(),
            "-o",
            &out.display().to_string(),
            "--no-progress",
            "-q",
            "--no-cache",
            "--delay-ms",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if let Some(db) = db {
            a.extend(["--db".to_owned(), db.to_owned()]);
        }
        a
    }

    fn verdict(ok: bool) -> &'static str {
        if ok {
            "met"
        } else {
            "MISSED"
        }
    }

    fn first_line(s: &str) -> &str {
        s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
    }

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    /// `--pg URL`: whether the binary takes it (a 100-model sync into it).
    fn pg_probe(o: &Opts, bin: &Path, port: u16) -> anyhow::Result<Option<String>> {
        let Some(url) = &o.pg else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("probe.ndjson");
        let r = measure(
            command(bin, dir.path(), port, &fetch_args(100, 100, &out, Some(url))),
            dir.path(),
        )?;
        if r.ok {
            Ok(Some(url.clone()))
        } else {
            println!(
                "postgres: skipped: `catalog fetch --db {}` was refused: {}",
                redact_url(url),
                first_line(&r.stderr)
            );
            Ok(None)
        }
    }

    /// Empties the PostgreSQL database (its `public` schema) for a first sync.
    fn pg_reset(url: &str) -> anyhow::Result<()> {
        pg_row(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;").map(drop)
    }

    fn redact_url(url: &str) -> String {
        match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
            _ => url.to_owned(),
        }
    }

    /// Counts of one SQLite history database.
    struct Counts {
        versions: u64,
        current: u64,
        /// versions_added, versions_closed of the newest fetch.
        last_added: u64,
        last_closed: u64,
        last_status: String,
    }

    fn counts(db: &Path) -> anyhow::Result<Counts> {
        let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let one =
            |sql: &str| -> anyhow::Result<u64> { Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
        let (last_added, last_closed, last_status) = c.query_row(
            "SELECT versions_added, versions_closed, status FROM provider_fetch ORDER BY fetch_id DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, String>(2)?)),
        )?;
        Ok(Counts {
            versions: one("SELECT COUNT(*) FROM model_version")?,
            current: one("SELECT COUNT(*) FROM model_version WHERE valid_to IS NULL")?,
            last_added,
            last_closed,
            last_status,
        })
    }

    fn med(v: &[f64]) -> f64 {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        median(&v)
    }

    fn fmt_list(v: &[f64], prec: usize) -> String {
        v.iter()
            .map(|x| format!("{x:.prec$}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// cli: the two targets of commands that read what a harvest left:
    /// `count --all` answered from the cache (14 providers, no request), and
    /// `diff` of two 50,000-model snapshots (1 % of the models changed, 65
    /// removed). Each is the real binary, timed by `wait4`, over `--rounds`.
    pub(super) fn cli(o: &Opts) -> anyhow::Result<()> {
        let bin = catalog_bin(o)?;
        let models = o.models;
        let mock = MockProc::start(models, 0, None, 1000, Serving::of(o))?;
        let port = mock.port;
        control(port, "/__warm?limit=1000")?;
        let dir = tempfile::tempdir()?;
        let home = dir.path();
        println!(
            "cli: count --all from the cache (14 providers, the Hub's {models}), diff of two {models}-model snapshots; {} rounds; load before: {}",
            o.rounds,
            load()
        );
        let specs = builtin_specs()?;
        let with_providers = |mut cmd: Command| {
            for (i, (p, spec)) in PROVIDERS.iter().zip(&specs).enumerate().take(13) {
                cmd.envs(provider_env(i, p, spec, port));
            }
            cmd
        };

        // The cache a `fetch --all` leaves, then counts from it.
        let all = home.join("all.ndjson").display().to_string();
        let limit = models.to_string();
        let a = super::args(&[
            "fetch",
            "--all",
            "--batch-size",
            "1000",
            "--limit",
            &limit,
            "-o",
            &all,
            "--no-progress",
            "-q",
        ]);
        let fill = measure(with_providers(command(&bin, home, port, &a)), home)?;
        if !fill.ok {
            bail!("fetch --all failed: {}", first_line(&fill.stderr));
        }
        control(port, "/__reset")?;
        // The same flags as the fetch: the cache holds a harvest of these.
        let count_args = super::args(&[
            "count",
            "--all",
            "--batch-size",
            "1000",
            "--limit",
            &limit,
            "--no-progress",
            "-q",
        ]);
        let (mut walls, mut rss) = (Vec::new(), Vec::new());
        let mut said = String::new();
        for _ in 0..o.rounds {
            let r = measure(with_providers(command(&bin, home, port, &count_args)), home)?;
            if !r.ok {
                bail!("count --all failed: {}", first_line(&r.stderr));
            }
            walls.push(r.wall * 1000.0);
            rss.push(r.rss_mib);
            said = std::fs::read_to_string(home.join("stdout"))?;
        }
        let asked = control(port, "/__stats")?["requests"]
            .as_u64()
            .unwrap_or(u64::MAX);
        let total = said
            .lines()
            .find_map(|l| l.strip_prefix("total"))
            .map_or("?", str::trim)
            .to_owned();
        let m = med(&walls);
        println!(
            "  target count --all from the cache < 100 ms: median {m:.1} ms (each: {}; total {total} models; {asked} requests to the mock; peak {:.1} MiB) -> {}",
            fmt_list(&walls, 1),
            med(&rss),
            verdict(m < 100.0 && asked == 0)
        );

        // Two snapshots of the Hub: then 1 % of the models changed (their
        // pipeline_tag) and the last 65 gone.
        let snapshot = |name: &str, limit: u64| -> anyhow::Result<PathBuf> {
            let out = home.join(name);
            let r = measure(
                command(&bin, home, port, &fetch_args(limit, 1000, &out, None)),
                home,
            )?;
            if !r.ok {
                bail!("fetch of {name} failed: {}", first_line(&r.stderr));
            }
            Ok(out)
        };
        let old = snapshot("old.ndjson", models)?;
        control(port, "/__mutate?pct=1")?;
        let removed = 65.min(models - 1);
        let new = snapshot("new.ndjson", models - removed)?;
        control(port, "/__mutate?pct=0")?;
        let (old, new) = (old.display().to_string(), new.display().to_string());
        let diff_args = super::args(&["diff", "-f", "ndjson", &old, &new]);
        let (mut walls, mut rss) = (Vec::new(), Vec::new());
        for _ in 0..o.rounds {
            let r = measure(command(&bin, home, port, &diff_args), home)?;
            // diff(1)'s codes: 1 is "they differ".
            if r.code != Some(1) {
                bail!("diff exited {:?}: {}", r.code, first_line(&r.stderr));
            }
            walls.push(r.wall);
            rss.push(r.rss_mib);
        }
        let said = std::fs::read_to_string(home.join("stdout"))?;
        let kind = |k: &str| said.matches(&format!("{{\"change\":\"{k}\"")).count();
        let m = med(&walls);
        println!(
            "  target diff of two {models}-model snapshots < 1 s: median {m:.3} s (each: {}; {} changed, {} removed, {} added; peak {:.1} MiB) -> {}",
            fmt_list(&walls, 3),
            kind("changed"),
            kind("removed"),
            kind("added"),
            med(&rss),
            verdict(m < 1.0 && kind("removed") == removed as usize)
        );
        println!("  load after: {}", load());
        mock.stop()?;
        Ok(())
    }

    /// db-sync: NDJSON to a file (A) vs the same with `--db FILE` (B), a
    /// fresh database each round; rounds alternate which goes first.
    pub(super) fn sync(o: &Opts) -> anyhow::Result<()> {
        let bin = catalog_bin(o)?;
        let mock = MockProc::start(o.models, 0, None, 1000, Serving::of(o))?;
        let port = mock.port;
        let pg = pg_probe(o, &bin, port)?;
        println!(
            "db-sync: {} Hub models, pages of {}, token, L=0; {} rounds, A = NDJSON file, B = NDJSON file + --db; load before: {}",
            o.models,
            o.batch,
            o.rounds,
            load()
        );
        let mut targets: Vec<(String, Option<String>)> = vec![("sqlite".into(), None)];
        if let Some(url) = &pg {
            targets.push(("postgres".into(), Some(url.clone())));
        }
        for (name, url) in targets {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for round in 1..=o.rounds {
                let dir = tempfile::tempdir()?;
                let db_file = dir.path().join("catalog.db");
                let db_arg = url.clone().unwrap_or_else(|| db_file.display().to_string());
                if let Some(url) = &url {
                    // A first sync each round, as SQLite's fresh file is.
                    pg_reset(url)?;
                }
                let legs: [bool; 2] = if round % 2 == 1 {
                    [false, true]
                } else {
                    [true, false]
                };
                for with_db in legs {
                    let out = dir.path().join(if with_db { "b.ndjson" } else { "a.ndjson" });
                    let args = fetch_args(o.models, o.batch, &out, with_db.then_some(db_arg.as_str()));
                    let r = measure(command(&bin, dir.path(), port, &args), dir.path())?;
                    if !r.ok {
                        bail!("catalog {}: failed: {}", args.join(" "), first_line(&r.stderr));
                    }
                    let lines = count_lines(&out)?;
                    if lines != o.models {
                        bail!("catalog wrote {lines} records of {}", o.models);
                    }
                    let mut note = String::new();
                    if with_db && url.is_none() {
                        let c = counts(&db_file)?;
                        note = format!(" versions {} current {}", c.versions, c.current);
                        if c.current != o.models {
                            bail!("the database holds {} current models of {}", c.current, o.models);
                        }
                    }
                    println!(
                        "  {name} round {round} {}: wall {:.3} s cpu {:.3} s rss {:.1} MiB{note}",
                        if with_db { "B --db" } else { "A ndjson" },
                        r.wall,
                        r.cpu,
                        r.rss_mib
                    );
                    if with_db { &mut b } else { &mut a }.push(r);
                }
            }
            let col = |v: &[Run], f: fn(&Run) -> f64| v.iter().map(f).collect::<Vec<_>>();
            let (aw, bw) = (col(&a, |r| r.wall), col(&b, |r| r.wall));
            let (ac, bc) = (col(&a, |r| r.cpu), col(&b, |r| r.cpu));
            let (ar, br) = (col(&a, |r| r.rss_mib), col(&b, |r| r.rss_mib));
            println!(
                "  {name} medians: A wall {:.3} s cpu {:.3} s rss {:.1} MiB | B wall {:.3} s cpu {:.3} s rss {:.1} MiB (max {:.1})",
                med(&aw),
                med(&ac),
                med(&ar),
                med(&bw),
                med(&bc),
                med(&br),
                br.iter().copied().fold(0.0, f64::max)
            );
            let ratio = med(&bw) / med(&aw);
            let per_round: Vec<f64> = aw.iter().zip(&bw).map(|(a, b)| b / a).collect();
            let peak_max = br.iter().copied().fold(0.0, f64::max);
            if name == "sqlite" {
                println!(
                    "  target {name} first sync <= 2x NDJSON time: B/A wall (medians) {ratio:.2} (per round {}) -> {}",
                    fmt_list(&per_round, 2),
                    verdict(ratio <= 2.0)
                );
                println!(
                    "  target {name} first sync peak RSS <= 16 MiB: median {:.1} MiB, max {peak_max:.1} MiB -> {}",
                    med(&br),
                    verdict(br.iter().all(|&r| r <= 16.0))
                );
            } else {
                // The store issue sets these targets on SQLite and asks for
                // the server's figures beside them: no verdict.
                println!(
                    "  {name} first sync (beside SQLite's targets): B/A wall (medians) {ratio:.2} (per round {}); peak RSS median {:.1} MiB, max {peak_max:.1} MiB",
                    fmt_list(&per_round, 2),
                    med(&br)
                );
            }
            println!("  cpu B/A (medians) {:.2}", med(&bc) / med(&ac));
        }
        println!(
            "  load after: {}; this bench's own peak RSS {:.1} MiB (a floor of the children's figures)",
            load(),
            super::proc_status_mib("VmHWM")
        );
        let mock_cpu = mock.stop()?;
        println!("  mock_cpu_s {mock_cpu:.3}");
        Ok(())
    }

    /// db-resync: a first sync, a second with 1 % of the models changed
    /// (`/__mutate?pct=1`), a third with nothing changed; fresh database each round.
    pub(super) fn resync(o: &Opts) -> anyhow::Result<()> {
        let bin = catalog_bin(o)?;
        let mock = MockProc::start(o.models, 0, None, 1000, Serving::of(o))?;
        let port = mock.port;
        let pg = pg_probe(o, &bin, port)?;
        if pg.is_some() {
            println!("db-resync: postgres: not run (version rows are counted with SQLite only)");
        }
        println!(
            "db-resync: {} Hub models, pages of {}; sync 1, sync 2 with 1 % of pipeline_tags changed, sync 3 unchanged; {} rounds; load before: {}",
            o.models,
            o.batch,
            o.rounds,
            load()
        );
        let expect = (0..o.models).filter(|n| n % 100 < 1).count() as u64;
        let mut walls: [Vec<f64>; 3] = Default::default();
        let mut rss: Vec<f64> = Vec::new();
        let mut ok2 = true;
        let mut ok3 = true;
        for round in 1..=o.rounds {
            let dir = tempfile::tempdir()?;
            let db_file = dir.path().join("catalog.db");
            let db_arg = db_file.display().to_string();
            let mut before = 0;
            for (step, pct) in [(0usize, 0u64), (1, 1), (2, 1)] {
                control(port, &format!("/__mutate?pct={pct}"))?;
                let out = dir.path().join("out.ndjson");
                let args = fetch_args(o.models, o.batch, &out, Some(&db_arg));
                let r = measure(command(&bin, dir.path(), port, &args), dir.path())?;
                if !r.ok {
                    bail!("catalog {}: failed: {}", args.join(" "), first_line(&r.stderr));
                }
                let c = counts(&db_file)?;
                let new_rows = c.versions - before;
                before = c.versions;
                println!(
                    "  round {round} sync {}: wall {:.3} s cpu {:.3} s rss {:.1} MiB; new version rows {new_rows} (fetch: status {}, added {}, closed {}); total {} current {}",
                    step + 1,
                    r.wall,
                    r.cpu,
                    r.rss_mib,
                    c.last_status,
                    c.last_added,
                    c.last_closed,
                    c.versions,
                    c.current
                );
                walls[step].push(r.wall);
                rss.push(r.rss_mib);
                match step {
                    1 => ok2 &= new_rows == expect && c.last_closed == expect,
                    2 => ok3 &= new_rows == 0 && c.last_closed == 0,
                    _ => {}
                }
            }
            control(port, "/__mutate?pct=0")?;
        }
        println!(
            "  medians: sync 1 {:.3} s, sync 2 (1 % changed) {:.3} s, sync 3 (unchanged) {:.3} s; peak RSS max {:.1} MiB",
            med(&walls[0]),
            med(&walls[1]),
            med(&walls[2]),
            rss.iter().copied().fold(0.0, f64::max)
        );
        println!(
            "  target second sync with 1 % changed writes ~1 % new version rows ({expect} = {:.2} % of {}): -> {}",
            expect as f64 * 100.0 / o.models as f64,
            o.models,
            verdict(ok2)
        );
        println!(
            "  target unchanged sync writes 0 version rows: -> {}",
            verdict(ok3)
        );
        println!(
            "  note: the mock sends no ETag and --no-cache is used, so sync 3 parses every page (no validator / body-hash skip measured here)"
        );
        println!("  load after: {}", load());
        mock.stop()?;
        Ok(())
    }

    /// db-query: builds a database of `--query-models` models with
    /// `--history-runs` runs (3 % of the models changed in each run after
    /// the first) through `catalog fetch --db`, spreads the runs one day
    /// apart, then times `changes`, `history` and `count --as-of`.
    pub(super) fn query(o: &Opts) -> anyhow::Result<()> {
        let bin = catalog_bin(o)?;
        let models = o.query_models;
        let runs = o.history_runs;
        let mock = MockProc::start(models, 0, None, 1000, Serving::of(o))?;
        let port = mock.port;
        let pg = pg_probe(o, &bin, port)?;
        let dir = tempfile::tempdir()?;
        let db_file = o
            .query_db
            .clone()
            .unwrap_or_else(|| dir.path().join("catalog.db"));
        let db_arg = db_file.display().to_string();
        if db_file.exists() {
            println!("db-query: querying the existing {db_arg} (no build)");
        } else {
            build(&bin, dir.path(), port, models, runs, &db_arg, "sqlite", || {
                let c = counts(&db_file)?;
                Ok((c.last_added, c.last_closed, c.versions))
            })?;
            // Run r of R ends (R - r) days before now, so `--since 24h` covers the
            // last run only, like a daily cron. Timestamps only; nothing else moves.
            {
                let c = rusqlite::Connection::open(&db_file)?;
                let shift = "'-' || ((SELECT MAX(run_id) FROM run) - run_id) || ' days'";
                c.execute_batch(&format!(
                    "UPDATE provider_fetch SET
                    started_at = strftime('%Y-%m-%dT%H:%M:%fZ', started_at, {shift}),
                    finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', finished_at, {shift}),
                    fetched_at = strftime('%Y-%m-%dT%H:%M:%SZ', fetched_at, {shift});
                 UPDATE run SET
                    started_at = strftime('%Y-%m-%dT%H:%M:%fZ', started_at, {shift}),
                    finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', finished_at, {shift});
                 PRAGMA wal_checkpoint(TRUNCATE);"
                ))?;
            }
            println!("  runs backdated one day apart (the last one now)");
            past_the_second();
        }
        let size = std::fs::metadata(&db_file)?.len() as f64 / (1024.0 * 1024.0);
        println!("  sqlite database {size:.0} MiB");

        // A model that changed at least once (the mocks' ids differ).
        let changed = "SELECT model_id FROM model_version WHERE provider = 'hug' AND valid_to IS NOT NULL ORDER BY model_id LIMIT 1";
        let history_id = {
            let c = rusqlite::Connection::open(&db_file)?;
            let id: String = c.query_row(changed, [], |r| r.get(0))?;
            format!("hug/{id}")
        };
        let prev = (runs - 1).to_string();
        let mid = runs.div_ceil(2).to_string();
        // Each with whether it is a target: two runs' changes, twice a day's,
        // are reported beside the targets (a day's changes, one model's past).
        let queries = |db: &str, history_id: &str| -> Vec<(String, Vec<String>, bool)> {
            vec![
                (
                    format!("changes --since {prev} (runs {prev}-{runs})"),
                    super::args(&["changes", "--since", &prev, "-f", "ndjson", "--db", db]),
                    false,
                ),
                (
                    "changes --since 24h".into(),
                    super::args(&["changes", "--since", "24h", "-f", "ndjson", "--db", db]),
                    true,
                ),
                (
                    "changes --since 24h (table)".into(),
                    super::args(&["changes", "--since", "24h", "--db", db]),
                    true,
                ),
                (
                    format!("history {history_id}"),
                    super::args(&["history", history_id, "--db", db]),
                    true,
                ),
                (
                    format!("count -p hug --as-of {mid}"),
                    super::args(&["count", "-p", "hug", "--as-of", &mid, "--db", db]),
                    true,
                ),
            ]
        };
        let rounds = o.rounds.max(3);
        let sqlite = time_queries(&bin, dir.path(), port, &queries(&db_arg, &history_id), rounds)?;
        println!("  queries over {models} models x {runs} runs, {rounds} rounds (process wall, ms):");
        for Timed {
            name,
            target,
            ms,
            lines,
        } in &sqlite
        {
            let m = med(ms);
            let each = format!("each: {}; {lines} output lines", fmt_list(ms, 1));
            if *target {
                println!(
                    "  target sqlite {name} < 150 ms: median {m:.1} ms ({each}) -> {}",
                    verdict(m < 150.0)
                );
            } else {
                println!("  sqlite {name}: median {m:.1} ms ({each})");
            }
        }
        // The same runs recorded on the server, from the same mock, once
        // SQLite's queries are timed (the server's writes would fall inside
        // them): the store issue asks for PostgreSQL's figures beside SQLite's.
        if let Some(url) = &pg {
            pg_reset(url)?;
            build(&bin, dir.path(), port, models, runs, url, "postgres", || {
                let row = pg_row(
                    url,
                    "SELECT versions_added::text, versions_closed::text,
                            (SELECT COUNT(*) FROM model_version)::text
                     FROM provider_fetch ORDER BY fetch_id DESC LIMIT 1",
                )?;
                let n = |i: usize| row.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
                Ok((n(0), n(1), n(2)))
            })?;
            // The same backdating; then VACUUM ANALYZE, so that no autovacuum
            // pass (which a server runs on its own schedule) falls inside the
            // timed queries and the planner sees the tables as they are, and a
            // CHECKPOINT, so that the pages they dirtied are written first.
            let shift = "((SELECT MAX(run_id) FROM run) - run_id) * interval '1 day'";
            for sql in [
                format!(
                    "UPDATE provider_fetch SET started_at = started_at - {shift},
                        finished_at = finished_at - {shift},
                        fetched_at = to_char((fetched_at::timestamptz - {shift}) AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                ),
                format!(
                    "UPDATE run SET started_at = started_at - {shift}, finished_at = finished_at - {shift}"
                ),
                "VACUUM ANALYZE".to_owned(),
                "CHECKPOINT".to_owned(),
            ] {
                pg_row(url, &sql)?;
            }
            past_the_second();
            let size = pg_row(
                url,
                "SELECT (pg_database_size(current_database()) / 1048576)::text",
            )?;
            println!(
                "  runs backdated one day apart (the last one now), VACUUM ANALYZE, CHECKPOINT; postgres database {} MiB",
                size.first().map_or("?", String::as_str)
            );

            let id = pg_row(url, changed)?;
            let history_id = format!("hug/{}", id.first().map_or("", String::as_str));
            let server = time_queries(&bin, dir.path(), port, &queries(url, &history_id), rounds)?;
            // Reported beside the targets, which the store issue sets on SQLite;
            // the output lines must be SQLite's, or the two did not answer the same.
            for (t, lite) in server.iter().zip(&sqlite) {
                println!(
                    "  postgres {}: median {:.1} ms (each: {}; {} output lines{})",
                    t.name,
                    med(&t.ms),
                    fmt_list(&t.ms, 1),
                    t.lines,
                    if t.lines == lite.lines {
                        ", as SQLite's"
                    } else {
                        ", NOT SQLite's count"
                    }
                );
            }
        }
        mock.stop()?;
        println!("  load after: {}", load());
        Ok(())
    }

    /// Waits out the second the runs were backdated in: `--since 24h` counts
    /// from a whole second, and the run before the last, a day and less than
    /// a second older when runs are small, stays out of it only once that
    /// second has passed.
    fn past_the_second() {
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }

    /// Records `runs` runs of the mock's `models` into `db` through
    /// `catalog fetch --db`, 3 % more of the models changed each run;
    /// `counts` gives the last fetch's versions added, closed, and all versions.
    #[allow(clippy::too_many_arguments, reason = "one call per backend")]
    fn build(
        bin: &Path,
        dir: &Path,
        port: u16,
        models: u64,
        runs: u64,
        db: &str,
        backend: &str,
        counts: impl Fn() -> anyhow::Result<(u64, u64, u64)>,
    ) -> anyhow::Result<()> {
        println!(
            "db-query: building {models} models x {runs} runs into {backend} through `catalog fetch --db` (pages of 1000, token), 3 % changed a run; load before: {}",
            load()
        );
        let t_build = Instant::now();
        for run in 1..=runs {
            control(port, &format!("/__mutate?pct={}", 3 * (run - 1)))?;
            let out = dir.join("out.ndjson");
            let args = fetch_args(models, 1000, &out, Some(db));
            let r = measure(command(bin, dir, port, &args), dir)?;
            if !r.ok {
                bail!(
                    "catalog fetch --db ({backend}): failed: {}",
                    first_line(&r.stderr)
                );
            }
            let (added, closed, versions) = counts()?;
            println!(
                "  run {run}: wall {:.3} s cpu {:.3} s rss {:.1} MiB; added {added} closed {closed}; versions {versions}",
                r.wall, r.cpu, r.rss_mib
            );
        }
        println!("  built in {:.1} s", t_build.elapsed().as_secs_f64());
        Ok(())
    }

    /// One query's figures from [`time_queries`].
    struct Timed {
        name: String,
        target: bool,
        /// Process wall times, ms.
        ms: Vec<f64>,
        lines: u64,
    }

    /// Each query `rounds` times, taking turns.
    fn time_queries(
        bin: &Path,
        dir: &Path,
        port: u16,
        queries: &[(String, Vec<String>, bool)],
        rounds: u64,
    ) -> anyhow::Result<Vec<Timed>> {
        let mut out: Vec<_> = queries
            .iter()
            .map(|(name, _, target)| Timed {
                name: name.clone(),
                target: *target,
                ms: Vec::new(),
                lines: 0,
            })
            .collect();
        for _ in 0..rounds {
            for ((name, a, _), row) in queries.iter().zip(&mut out) {
                let r = measure(command(bin, dir, port, a), dir)?;
                if !r.ok {
                    bail!("catalog {name}: failed: {}", first_line(&r.stderr));
                }
                row.ms.push(r.wall * 1000.0);
                row.lines = r.stdout_lines;
            }
        }
        Ok(out)
    }

    /// The first row the statements give on the server, its values as text
    /// (none for statements that return no rows).
    fn pg_row(url: &str, sql: &str) -> anyhow::Result<Vec<String>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .with_context(|| format!("connecting to {}", redact_url(url)))?;
            let task = tokio::spawn(conn);
            let mut row = Vec::new();
            for m in client.simple_query(sql).await.with_context(|| sql.to_owned())? {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    row = (0..r.len()).map(|i| r.get(i).unwrap_or("").to_owned()).collect();
                    break;
                }
            }
            drop(client);
            let _ = task.await;
            anyhow::Ok(row)
        })
    }

    /// What a full-hub output holds, the harvest time aside: its lines, the
    /// SHA-256 of its bytes with every `fetched_at` value blanked (a
    /// resumed harvest keeps the interrupted one's start time, an
    /// uninterrupted one has its own), and the distinct `fetched_at` values.
    struct Digest {
        lines: u64,
        sha256: String,
        fetched_at: std::collections::BTreeSet<String>,
    }

    fn digest(path: &Path) -> anyhow::Result<Digest> {
        use sha2::Digest as _;
        use std::io::BufRead as _;
        let key = b"\"fetched_at\":\"";
        let mut reader = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
        let mut hash = sha2::Sha256::new();
        let mut line = Vec::new();
        let (mut lines, mut fetched_at) = (0u64, std::collections::BTreeSet::new());
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            lines += 1;
            if let Some(at) = line.windows(key.len()).position(|w| w == key) {
                let start = at + key.len();
                let end = start + line[start..].iter().position(|&b| b == b'"').unwrap_or(0);
                if fetched_at.len() < 8 {
                    fetched_at.insert(String::from_utf8_lossy(&line[start..end]).into_owned());
                }
                line[start..end].fill(b'-');
            }
            hash.update(&line);
        }
        let sha256 = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Digest {
            lines,
            sha256,
            fetched_at,
        })
    }

    /// full-hub: the whole Hub (`--hub-models`, 2,200,000) in pages of 1000
    /// with `--limit all` and a token, under a server-enforced quota
    /// (`--quota`, 1000 requests per 60 s), through the real binary with its
    /// cache on (the default: checkpoints): wall time against the bound the
    /// quota imposes, peak RSS, and a resume check (the same harvest killed
    /// with SIGKILL part way, then `--resume`, gives the uninterrupted run's
    /// output).
    pub(super) fn full_hub(o: &Opts) -> anyhow::Result<()> {
        let bin = catalog_bin(o)?;
        let models = o.hub_models;
        let quota = o.quota.clone().unwrap_or_else(|| "1000/60".to_owned());
        let (q, w) = parse_quota(&quota)?;
        let serving = Serving::of(o);
        let mock = MockProc::start(models, o.latency_ms, Some(&quota), 1000, serving)?;
        let port = mock.port;
        let pages = models.div_ceil(1000);
        println!(
            "full-hub: {models} models, pages of 1000, --limit all, token, quota {q} requests per {w} s, L={} ms; mock: {}; load before: {}",
            o.latency_ms,
            serving.label(),
            load()
        );
        let dir = tempfile::tempdir()?;
        let fetch = |out: &Path, resume: bool| -> Vec<String> {
            let mut a = super::args(&[
                "fetch",
                "-p",
                "hug",
                "--limit",
                "all",
                "--batch-size",
                "1000",
                "-o",
                &out.display().to_string(),
                "--no-progress",
                "-q",
            ]);
            if resume {
                a.push("--resume".into());
            }
            a
        };

        // A: uninterrupted.
        let home_a = dir.path().join("a");
        std::fs::create_dir_all(&home_a)?;
        let out_a = home_a.join("hub.ndjson");
        let a = measure(command(&bin, &home_a, port, &fetch(&out_a, false)), &home_a)?;
        if !a.ok {
            bail!("the uninterrupted harvest failed: {}", first_line(&a.stderr));
        }
        let stats = control(port, "/__stats")?;
        let stat = |k: &str| stats.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let digest_a = digest(&out_a)?;
        // The 1.3 GB output and cache entry go before the next run makes its own.
        std::fs::remove_dir_all(&home_a)?;
        let requests = stat("requests").max(1);
        // Each full window's requests wait for the next; the last window's
        // follow each other, each at least the latency plus the time its
        // body took to arrive (the mock's pacing, averaged over the run).
        let per_request = o.latency_ms as f64 / 1000.0 + stat("paced_us") as f64 / 1e6 / requests as f64;
        let windows = (pages - 1) / q;
        let last = pages - windows * q;
        let bound = (pages as f64 * per_request).max(windows as f64 * w + last as f64 * per_request);
        let ratio = a.wall / bound;
        println!(
            "  uninterrupted: {} records, {} requests, {} x 429, {:.1} MB gzip for {:.1} MB of JSON; wall {:.1} s, cpu {:.1} s, peak RSS {:.1} MiB",
            digest_a.lines,
            stat("requests"),
            stat("http_429"),
            stat("bytes") as f64 / 1e6,
            stat("plain_bytes") as f64 / 1e6,
            a.wall,
            a.cpu,
            a.rss_mib
        );
        println!(
            "  target full hub wall <= 1.05 x the quota's bound: wall {:.1} s, bound {bound:.1} s ({windows} windows of {w} s, then {last} requests of {:.1} ms), ratio {ratio:.3} -> {}",
            a.wall,
            per_request * 1000.0,
            verdict(ratio <= 1.05 && stat("http_429") == 0 && digest_a.lines == models)
        );

        // B: the same harvest, killed part way; C: resumed.
        control(port, "/__reset")?;
        let home_b = dir.path().join("b");
        std::fs::create_dir_all(&home_b)?;
        let out_b = home_b.join("hub.ndjson");
        let kill_after = o.kill_after.unwrap_or(pages * 2 / 5).clamp(1, pages - 1);
        let mut cmd = command(&bin, &home_b, port, &fetch(&out_b, false));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().context("starting catalog")?;
        let killed_at = loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let n = control(port, "/__stats")?["requests"].as_u64().unwrap_or(0);
            if n >= kill_after {
                child.kill()?;
                break n;
            }
            if let Some(status) = child.try_wait()? {
                bail!("the harvest to be killed ended first ({status})");
            }
        };
        child.wait()?;
        let c = measure(command(&bin, &home_b, port, &fetch(&out_b, true)), &home_b)?;
        if !c.ok {
            bail!("the resumed harvest failed: {}", first_line(&c.stderr));
        }
        let resumed = c
            .stderr
            .lines()
            .find(|l| l.contains("resumed from page"))
            .unwrap_or("(no resume line)")
            .trim()
            .to_owned();
        let digest_c = digest(&out_b)?;
        std::fs::remove_dir_all(&home_b)?;
        let same = digest_c.lines == digest_a.lines
            && digest_c.sha256 == digest_a.sha256
            && digest_a.fetched_at.len() == 1
            && digest_c.fetched_at.len() == 1;
        println!(
            "  killed (SIGKILL) after {killed_at} requests, then --resume: \"{resumed}\"; wall {:.1} s, cpu {:.1} s, peak RSS {:.1} MiB",
            c.wall, c.cpu, c.rss_mib
        );
        println!(
            "  target resumable: the resumed output equals the uninterrupted one byte for byte but the fetched_at value ({} lines each, sha256 {} and {}; fetched_at {:?} and {:?}) -> {}",
            digest_a.lines,
            &digest_a.sha256[..16],
            &digest_c.sha256[..16],
            digest_a.fetched_at,
            digest_c.fetched_at,
            verdict(same && resumed.contains("resumed from page"))
        );
        let peak = a.rss_mib.max(c.rss_mib);
        println!(
            "  target full hub peak RSS <= 16 MiB: uninterrupted {:.1} MiB, resumed {:.1} MiB -> {}",
            a.rss_mib,
            c.rss_mib,
            verdict(peak <= 16.0)
        );
        println!("  load after: {}", load());
        let mock_cpu = mock.stop()?;
        println!("  mock_cpu_s {mock_cpu:.1}");
        Ok(())
    }
}
