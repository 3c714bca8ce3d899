use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::providers::{builtin, ParseCtx, ProviderSpec};
use crate::record::Timestamp;

fn spec(name: &str) -> ProviderSpec {
    builtin().into_iter().find(|p| p.name == name).unwrap()
}

/// A record of `provider` with `id` (and a stated HF id), given its key by
/// the built-in table's rules.
fn key_of(provider: &str, id: &str, hf: Option<&str>) -> Option<(String, CanonicalBy)> {
    let mut r = Record::new(Arc::from(provider), id, Arc::from("s"), Timestamp(0));
    r.hugging_face_id = hf.map(Into::into);
    canonical(&r, &spec(provider).identity_rules(), &Evidence::default()).map(|(k, by)| (k.to_string(), by))
}

fn key(provider: &str, id: &str) -> String {
    key_of(provider, id, None).unwrap().0
}

fn n(name: &str) -> String {
    normalize(name).unwrap().to_string()
}

// Normalization rules: one positive and one negative case each.

#[test]
fn case_does_not_matter() {
    assert_eq!(n("Qwen/Qwen3-32B"), n("qwen/qwen3-32b"));
    assert_ne!(n("Qwen/Qwen3-32B"), n("qwen/qwen3-14b"));
}

#[test]
fn the_organization_is_not_part_of_the_key() {
    assert_eq!(n("deepseek/deepseek-r1-0528"), n("deepseek-ai/DeepSeek-R1-0528"));
    assert_eq!(n("z-ai/glm-4.5"), n("zai-org/GLM-4.5"));
    assert_eq!(n("gemma-3-27b-it"), n("google/gemma-3-27b-it"));
    assert_ne!(
        n("deepseek/deepseek-r1"),
        n("deepseek/deepseek-r1-distill-llama-70b")
    );
}

#[test]
fn a_separator_between_a_letter_and_a_digit_goes() {
    assert_eq!(n("qwen/qwen-2.5-72b-instruct"), n("Qwen/Qwen2.5-72B-Instruct"));
    assert_eq!(n("qwen-3-32b"), n("Qwen/Qwen3-32B"));
    assert_eq!(n("FLUX.1-schnell"), n("FLUX-1-schnell"));
    assert_eq!(n("FLUX.1.1-pro"), n("FLUX-1.1-pro"));
    // A separator between two numbers stays: 3 then 27B is not 3.27B.
    assert_ne!(n("gemma-3-27b-it"), n("gemma-3.27b-it"));
    assert_ne!(n("FLUX.1-pro"), n("FLUX.1.1-pro"));
}

#[test]
fn underscores_are_dots_between_digits_and_dashes_between_words() {
    assert_eq!(
        n("nvidia/Llama-3_3-Nemotron-Super-49B-v1"),
        n("nvidia/Llama-3.3-Nemotron-Super-49B-v1")
    );
    assert_ne!(
        n("nvidia/Llama-3_3-Nemotron-Super-49B-v1"),
        n("nvidia/Llama-3.3-Nemotron-Super-49B-v1.5")
    );
    assert_eq!(n("all_minilm_l6"), n("all-MiniLM-L6"));
}

#[test]
fn fireworks_vxpy_is_version_x_dot_y() {
    assert_eq!(
        n("llama-v3p3-70b-instruct"),
        n("meta-llama/Llama-3.3-70B-Instruct")
    );
    assert_eq!(n("qwen2p5-vl-32b-instruct"), n("Qwen/Qwen2.5-VL-32B-Instruct"));
    assert_ne!(
        n("llama-v3p1-70b-instruct"),
        n("meta-llama/Llama-3.3-70B-Instruct")
    );
    // A `p` that is not between digits is a letter.
    assert_eq!(n("deepseek-v3p"), "deepseek-v3p");
    assert_eq!(n("openai/clip-vit-large-patch14"), "clip-vit-large-patch14");
    assert_eq!(n("p3p-v2p"), "p3p-v2p");
    assert_eq!(n("phi-3p5-mini"), n("microsoft/Phi-3.5-mini"));
}

#[test]
fn a_trailing_point_zero_of_a_version_goes() {
    assert_eq!(n("ByteDance-Seed/Seedream-4.0"), n("ByteDance/Seedream-4"));
    assert_eq!(n("google/veo-3.0-fast"), "veo3-fast");
    assert_ne!(
        n("mistralai/Mixtral-8x7B-Instruct-v0.1"),
        n("mistralai/Mixtral-8x7B-Instruct-v0")
    );
    assert_ne!(n("x-4.05"), n("x-4.5"));
}

#[test]
fn quantization_suffixes_keep_the_key() {
    assert_eq!(
        n("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
        n("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    );
    assert_eq!(n("flux-1-dev-fp8"), n("black-forest-labs/FLUX.1-dev"));
    assert_eq!(n("qwen/qwen3-8b-fp8"), n("Qwen/Qwen3-8B"));
    // A post-train that carries a format is still its own model.
    assert_ne!(n("microsoft/MAI-DS-R1-FP8"), n("deepseek-ai/DeepSeek-R1"));
    // Two formats, every format, and a format alone.
    assert_eq!(n("org/model-7b-awq-int4"), n("org/model-7b"));
    for q in QUANTIZATIONS {
        assert_eq!(n(&format!("model-7b{}", q.to_uppercase())), n("model-7b"), "{q}");
    }
    assert_eq!(n("fp8"), "fp8");
    assert_eq!(n("-fp8"), "fp8");
}

#[test]
fn meta_renamed_meta_llama_to_llama() {
    assert_eq!(
        n("meta-llama/Meta-Llama-3.1-8B-Instruct"),
        n("meta-llama/Llama-3.1-8B-Instruct")
    );
    assert_ne!(
        n("meta-llama/Meta-Llama-3-8B-Instruct"),
        n("meta-llama/Llama-3.1-8B-Instruct")
    );
}

#[test]
fn size_version_instruct_distill_vision_and_dates_stay_apart() {
    for (a, b) in [
        ("llama-3.1-8b-instruct", "llama-3.1-70b-instruct"),
        ("qwen3.5-27b", "qwen3.6-27b"),
        ("Llama-3-70b-hf", "llama-3-70b-instruct"),
        ("deepseek-r1-0528", "deepseek-r1-0528-qwen3-8b"),
        ("qwen3-vl-8b-instruct", "qwen3-8b"),
        ("deepseek-r1", "deepseek-r1-0528"),
        ("qwen3-235b-a22b", "qwen3-235b-a22b-2507"),
        ("krea-2-medium", "krea-2-medium-turbo"),
        ("GLM-4.7", "GLM-4.7-Flash"),
    ] {
        assert_ne!(n(a), n(b), "{a} vs {b}");
    }
}

#[test]
fn nothing_alphanumeric_is_no_key() {
    assert_eq!(normalize("--"), None);
    assert_eq!(normalize("org/"), None);
}

// The table's rules.

#[test]
fn deployment_prefixes_are_cut_where_the_table_lists_them() {
    assert_eq!(
        key("fireworks", "accounts/fireworks/models/deepseek-v3"),
        n("deepseek-ai/DeepSeek-V3")
    );
    assert_eq!(key("fireworks", "accounts/perplexity/models/r1-1776"), "r1-1776");
    assert_eq!(
        key("portkey", "@deepinfra/deepseek-ai/DeepSeek-V3"),
        n("deepseek-ai/DeepSeek-V3")
    );
    assert_eq!(key("portkey", "@cerebras/qwen-3-32b"), n("Qwen/Qwen3-32B"));
    // The prefix is Fireworks' spelling, not a rule of every provider.
    assert_eq!(key("openrouter", "accounts/x/models/m"), "m");
}

#[test]
fn serving_suffixes_are_cut_only_on_the_providers_that_serve_them() {
    let llama = n("meta-llama/Llama-3.3-70B-Instruct");
    assert_eq!(key("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"), llama);
    assert_eq!(key("deepinfra", "meta-llama/Llama-3.3-70B-Instruct-Turbo"), llama);
    assert_eq!(
        key("portkey", "@deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        llama
    );
    assert_eq!(
        key("portkey", "@nebius/meta-llama/Llama-3.3-70B-Instruct-fast"),
        llama
    );
    assert_eq!(
        key("together", "Qwen/Qwen3-235B-A22B-fp8-tput"),
        n("Qwen/Qwen3-235B-A22B")
    );
    assert_eq!(
        key("openrouter", "z-ai/glm-5.2:free"),
        key("openrouter", "z-ai/glm-5.2")
    );
    assert_eq!(
        key("fireworks", "accounts/fireworks/models/deepseek-r1-basic"),
        n("deepseek-ai/DeepSeek-R1")
    );
    // Elsewhere a turbo is another model; upstream repos spell it lowercase.
    assert_ne!(
        key("openrouter", "krea/krea-2-medium-turbo"),
        key("openrouter", "krea/krea-2-medium")
    );
    assert_ne!(
        key("groq", "whisper-large-v3-turbo"),
        key("groq", "whisper-large-v3")
    );
    assert_ne!(
        key("deepinfra", "openai/whisper-large-v3-turbo"),
        n("openai/whisper-large-v3")
    );
    // Scoped to the host: a Nebius suffix on a DeepInfra id is not cut.
    assert_ne!(key("portkey", "@deepinfra/x/m-fast"), "m");
    // The base coder with a serving suffix is still the base coder.
    assert_ne!(
        key("nebius", "Qwen/Qwen2.5-Coder-7B-fast"),
        key("portkey", "@nebius/Qwen/Qwen2.5-Coder-7B-Instruct-fast")
    );
}

#[test]
fn documented_aliases_are_rewritten_on_their_provider_only() {
    assert_eq!(
        key("groq", "llama-3.3-70b-versatile"),
        n("meta-llama/Llama-3.3-70B-Instruct")
    );
    assert_eq!(
        key("groq", "llama-3.1-8b-instant"),
        n("meta-llama/Llama-3.1-8B-Instruct")
    );
    assert_eq!(
        key("openrouter", "x/llama-3.3-70b-versatile"),
        "llama3.3-70b-versatile"
    );
}

#[test]
fn a_stated_hf_id_decides_and_says_so() {
    let (k, by) = key_of(
        "openrouter",
        "deepseek/deepseek-chat",
        Some("deepseek-ai/DeepSeek-V3"),
    )
    .unwrap();
    assert_eq!((k.as_str(), by), ("deepseek-v3", CanonicalBy::HfId));
    let (_, by) = key_of("openrouter", "anthropic/claude-sonnet-4", None).unwrap();
    assert_eq!(by, CanonicalBy::ProviderId);
    let (_, by) = key_of("google", "gemma-3-27b-it", None).unwrap();
    assert_eq!(by, CanonicalBy::Normalized);
}

#[test]
fn an_hf_id_made_from_an_id_loses_the_ids_serving_suffix() {
    let (k, by) = key_of(
        "deepinfra",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        Some("meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    )
    .unwrap();
    assert_eq!(
        (k, by),
        (n("meta-llama/Llama-3.3-70B-Instruct"), CanonicalBy::HfId)
    );
}

#[test]
fn a_verified_link_must_name_the_ids_own_model() {
    // A rename (Meta-Llama → Llama) is the same model.
    let (k, by) = key_of(
        "together",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        Some("meta-llama/Llama-3.1-8B-Instruct"),
    )
    .unwrap();
    assert_eq!(
        (k, by),
        (n("meta-llama/Llama-3.1-8B-Instruct"), CanonicalBy::HfId)
    );
    // FLUX.1-pro linked to the schnell repo, R1-0528 to R1: the id decides.
    let (k, by) = key_of(
        "together",
        "black-forest-labs/FLUX.1-pro",
        Some("black-forest-labs/FLUX.1-schnell"),
    )
    .unwrap();
    assert_eq!((k, by), (n("FLUX.1-pro"), CanonicalBy::ProviderId));
    let (k, _) = key_of(
        "together",
        "deepseek-ai/DeepSeek-R1-0528-tput",
        Some("deepseek-ai/DeepSeek-R1"),
    )
    .unwrap();
    assert_eq!(k, n("deepseek-ai/DeepSeek-R1-0528"));
    // Unverified elsewhere: OpenRouter's field is the provider's own statement.
    let (k, _) = key_of(
        "openrouter",
        "qwen/qwen3-coder",
        Some("Qwen/Qwen3-Coder-480B-A35B-Instruct"),
    )
    .unwrap();
    assert_eq!(k, n("Qwen/Qwen3-Coder-480B-A35B-Instruct"));
}

#[test]
fn the_hub_mapping_decides_for_the_provider_it_was_published_for_only() {
    let mut evidence = Evidence::default();
    evidence.add(
        "fireworks",
        [(
            "accounts/fireworks/models/llama4-scout-instruct-basic",
            "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        )],
    );
    let record =
        |provider: &str, id: &str| Record::new(Arc::from(provider), id, Arc::from("s"), Timestamp(0));
    let fireworks = record(
        "fireworks",
        "accounts/fireworks/models/llama4-scout-instruct-basic",
    );
    let rules = spec("fireworks").identity_rules();
    // Without the mapping the slug lacks the size: no link to the repo.
    let (alone, _) = canonical(&fireworks, &rules, &Evidence::default()).unwrap();
    assert_eq!(alone, "llama4-scout-instruct");
    let (k, by) = canonical(&fireworks, &rules, &evidence).unwrap();
    // The repository's key, as every layer spells it.
    assert_eq!(
        (k.as_str(), by),
        (
            n("meta-llama/Llama-4-Scout-17B-16E-Instruct").as_str(),
            CanonicalBy::HfMapping
        )
    );
    assert_eq!(k, key("deepinfra", "meta-llama/Llama-4-Scout-17B-16E-Instruct"));
    // The same id listed by another provider is not what Fireworks registered.
    let portkey = record("portkey", "accounts/fireworks/models/llama4-scout-instruct-basic");
    let (_, by) = canonical(&portkey, &spec("portkey").identity_rules(), &evidence).unwrap();
    assert_ne!(by, CanonicalBy::HfMapping);
    // Ids compare ignoring case.
    let upper = record(
        "fireworks",
        "accounts/fireworks/models/LLAMA4-scout-instruct-basic",
    );
    assert_eq!(
        canonical(&upper, &rules, &evidence).unwrap().1,
        CanonicalBy::HfMapping
    );
}

#[test]
fn a_cached_record_is_remapped_and_one_the_mapping_does_not_name_keeps_its_key() {
    let mut evidence = Evidence::default();
    evidence.add(
        "groq",
        [("llama-3.3-70b-versatile", "meta-llama/Llama-3.3-70B-Instruct")],
    );
    let mut r = Record::new(
        Arc::from("groq"),
        "llama-3.3-70b-versatile",
        Arc::from("s"),
        Timestamp(0),
    );
    assign(&mut r, &spec("groq").identity_rules(), &Evidence::default());
    assert_eq!(r.canonical_by, Some(CanonicalBy::Normalized));
    assert!(remap(&mut r, &evidence));
    assert_eq!(
        (r.canonical_id.as_deref(), r.canonical_by),
        (Some("llama3.3-70b-instruct"), Some(CanonicalBy::HfMapping))
    );
    let mut other = Record::new(
        Arc::from("groq"),
        "whisper-large-v3",
        Arc::from("s"),
        Timestamp(0),
    );
    assign(&mut other, &spec("groq").identity_rules(), &Evidence::default());
    let before = other.canonical_id.clone();
    assert!(!remap(&mut other, &evidence));
    assert_eq!(other.canonical_id, before);
}

#[test]
fn an_id_the_mapping_gives_two_models_is_decided_by_the_other_layers() {
    let mut evidence = Evidence::default();
    // The same model under two tasks, and an FP8 repo of it: one key.
    evidence.add(
        "together",
        [
            (
                "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
                "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
            ),
            (
                "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
                "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
            ),
            ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1"),
            ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-0528"),
        ],
    );
    assert_eq!(
        evidence.mapped("together", "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
        Some("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8")
    );
    assert_eq!(evidence.mapped("together", "deepseek-ai/DeepSeek-R1"), None);
}

// Precision and recall over the hand-labelled fixture.

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The real recordings of each provider (tests/fixtures/identity/README.md).
const RECORDINGS: [(&str, &str); 15] = [
    ("openrouter", "openrouter-models-all.json"),
    ("together", "together-70bc7d5.json"),
    ("fireworks", "fireworks-87b0af4.json"),
    ("deepinfra", "deepinfra-43f6582.json"),
    ("deepinfra", "deepinfra-openai-models.json"),
    ("groq", "groq-0056f5a.json"),
    ("groq", "groq-models.json"),
    ("nebius", "nebius-43f6582.json"),
    ("novita", "novita-87b0af4.json"),
    ("novita", "novita-models-excerpt.json"),
    ("chutes", "chutes-87b0af4.json"),
    ("google", "google-f27d44d.json"),
    ("portkey", "portkey-models.json"),
    ("hug", "hf-list-default.json"),
    ("cerebras", "cerebras-models-docs.json"),
];

/// The records the real adapter and the table's rules make of a recording,
/// with the Hub's mapping applied when given (as a run applies it).
fn parse_recording(provider: &str, file: &str, evidence: &Evidence) -> Vec<Record> {
    let spec = spec(provider);
    let body = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
    let ctx = ParseCtx::for_spec(&spec, spec.url.as_str(), Timestamp(0));
    let mut records = spec.shape.parse(&body, &ctx).unwrap().records;
    for r in &mut records {
        remap(r, evidence);
    }
    records
}

/// The Hub's mapping of every provider the table names a `hub_partner` of,
/// from its fixture `tests/fixtures/hf-partners-<partner>.json` (built from
/// the documented shape: tests/fixtures/identity/README.md).
fn hub_mapping() -> Evidence {
    let mut evidence = Evidence::default();
    for spec in builtin() {
        let Some(partner) = &spec.hub_partner else {
            continue;
        };
        let body = std::fs::read(format!("{FIXTURES}/hf-partners-{partner}.json")).unwrap();
        let entries = super::hub::parse(&body).unwrap();
        evidence.add(
            &spec.name,
            entries
                .iter()
                .map(|e| (e.provider_id.as_str(), e.hf_model.as_str())),
        );
    }
    evidence
}

type Member = (String, String);

fn member(v: &Value) -> (Member, String) {
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    ((s("provider"), s("id")), s("file"))
}

/// What the labels say of the canonical ids a run gives.
#[derive(Debug, Default)]
struct Score {
    /// Pairs of one group, and how many of them share a key.
    links: usize,
    linked: usize,
    /// Pairs of one group whose two records the mapping decided.
    mapped_links: usize,
    mapped_linked: usize,
    /// Pairs of one group of which one record only the mapping decided.
    half_mapped_links: usize,
    half_mapped_linked: usize,
    /// Records of two groups, or of an `apart` pair, that share a key.
    cross_merges: Vec<String>,
    apart_merges: Vec<String>,
    apart: usize,
    /// Missed links by group label.
    missed: BTreeMap<String, Vec<String>>,
}

impl Score {
    #[allow(clippy::cast_precision_loss)]
    fn percent(part: usize, whole: usize) -> f64 {
        100.0 * part as f64 / whole.max(1) as f64
    }

    fn recall(&self) -> f64 {
        Score::percent(self.linked, self.links)
    }

    /// Linked labelled links against all pairs the labels decide that were
    /// given one key.
    fn precision(&self) -> f64 {
        let merged = self.linked + self.cross_merges.len() + self.apart_merges.len();
        Score::percent(self.linked, merged)
    }

    fn print(&self, title: &str) {
        println!("identity over tests/fixtures/identity/labels.json ({title}):");
        println!(
            "  labelled links {}, linked {}: recall {:.1} %",
            self.links,
            self.linked,
            self.recall()
        );
        println!(
            "  false merges: {} across groups, {} of {} apart pairs: precision {:.1} %",
            self.cross_merges.len(),
            self.apart_merges.len(),
            self.apart,
            self.precision()
        );
        println!(
            "  links the mapping decides at both ends: {} of {} linked; at one end: {} of {}",
            self.mapped_linked, self.mapped_links, self.half_mapped_linked, self.half_mapped_links
        );
        for m in self.cross_merges.iter().chain(&self.apart_merges) {
            println!("  FALSE MERGE {m}");
        }
        println!("  missed links by group ({} groups):", self.missed.len());
        for (label, pairs) in &self.missed {
            println!("    {label}: {} missed, e.g. {}", pairs.len(), pairs[0]);
        }
    }
}

/// Scores the canonical ids of the recordings, with `evidence`, against the
/// labels.
fn score(evidence: &Evidence) -> Score {
    let labels: Value =
        serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/identity/labels.json")).unwrap()).unwrap();
    let mut parsed: HashMap<(String, String), Vec<Record>> = HashMap::new();
    let mut key_of = |m: &Value| -> (Member, Option<String>, bool) {
        let ((provider, id), file) = member(m);
        let records = parsed
            .entry((provider.clone(), file.clone()))
            .or_insert_with(|| parse_recording(&provider, &file, evidence));
        let r = records
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{provider} {id} is not in {file}"));
        let key = r.canonical_id.as_ref().map(ToString::to_string);
        let by_mapping = r.canonical_by == Some(CanonicalBy::HfMapping);
        ((provider, id), key, by_mapping)
    };
    // Every labelled member, its group, key and whether the mapping decided it.
    let mut members: Vec<(Member, usize, Option<String>, bool)> = Vec::new();
    for (g, group) in labels["groups"].as_array().unwrap().iter().enumerate() {
        for m in group["members"].as_array().unwrap() {
            let (who, k, by_mapping) = key_of(m);
            members.push((who, g, k, by_mapping));
        }
    }
    let mut s = Score::default();
    for (i, (a, ga, ka, ma)) in members.iter().enumerate() {
        for (b, gb, kb, mb) in &members[i + 1..] {
            let same = ka.is_some() && ka == kb;
            if ga == gb {
                s.links += 1;
                s.linked += usize::from(same);
                if *ma && *mb {
                    s.mapped_links += 1;
                    s.mapped_linked += usize::from(same);
                } else if *ma || *mb {
                    s.half_mapped_links += 1;
                    s.half_mapped_linked += usize::from(same);
                }
                if !same {
                    let label = labels["groups"][*ga]["label"].as_str().unwrap().to_owned();
                    s.missed.entry(label).or_default().push(format!(
                        "{} {} ({}) / {} {} ({})",
                        a.0,
                        a.1,
                        ka.as_deref().unwrap_or("null"),
                        b.0,
                        b.1,
                        kb.as_deref().unwrap_or("null")
                    ));
                }
            } else if same {
                s.cross_merges.push(format!(
                    "{} {} = {} {} ({})",
                    a.0,
                    a.1,
                    b.0,
                    b.1,
                    ka.as_deref().unwrap()
                ));
            }
        }
    }
    let apart = labels["apart"].as_array().unwrap();
    s.apart = apart.len();
    for pair in apart {
        let (a, ka, _) = key_of(&pair["a"]);
        let (b, kb, _) = key_of(&pair["b"]);
        if let Some(k) = ka.filter(|k| Some(k) == kb.as_ref()) {
            s.apart_merges
                .push(format!("{} {} = {} {} ({k})", a.0, a.1, b.0, b.1));
        }
    }
    s
}

#[test]
fn canonical_ids_over_the_labelled_groups_merge_nothing_wrongly_and_link_most() {
    let s = score(&Evidence::default());
    s.print("without the Hub mapping");
    assert!(
        s.cross_merges.is_empty() && s.apart_merges.is_empty(),
        "false merges"
    );
    assert!(s.recall() >= 90.0, "recall {:.1} % is under 90 %", s.recall());
    assert_eq!(
        s.mapped_links + s.half_mapped_links,
        0,
        "no mapping, no hf_mapping"
    );
}

#[test]
fn with_the_hub_mapping_every_link_it_decides_is_found_and_nothing_merges_wrongly() {
    let without = score(&Evidence::default());
    let s = score(&hub_mapping());
    s.print("with the Hub mapping of tests/fixtures/hf-partners-*.json");
    assert!(
        s.cross_merges.is_empty() && s.apart_merges.is_empty(),
        "false merges"
    );
    assert_eq!(
        s.mapped_linked, s.mapped_links,
        "a link the mapping decides is missed"
    );
    // The figures of the README: what the fixtures' mapping decides and adds.
    assert_eq!(
        (s.mapped_links, s.linked, without.linked),
        (99, 1117, 1086),
        "the mapping's figures changed: update the README's Identity section"
    );
}

#[test]
fn coverage_of_canonical_ids_over_the_recorded_payloads() {
    // provider -> (records, with a key, by kind, sharing their key with
    // another provider's record), without and with the Hub's mapping.
    for (title, evidence) in [
        ("without the Hub mapping", Evidence::default()),
        ("with the Hub mapping fixtures", hub_mapping()),
    ] {
        let mut all: Vec<Record> = Vec::new();
        for (provider, file) in RECORDINGS {
            all.extend(parse_recording(provider, file, &evidence));
        }
        let mut providers_of: HashMap<&str, std::collections::BTreeSet<&str>> = HashMap::new();
        for r in &all {
            if let Some(k) = r.canonical_id.as_deref() {
                providers_of.entry(k).or_default().insert(&r.provider);
            }
        }
        println!("canonical ids over the recorded payloads, {title} (records, with a key, by hf_mapping/hf_id/provider_id/normalized, shared with another provider):");
        let mut rows: BTreeMap<&str, [usize; 7]> = BTreeMap::new();
        for r in &all {
            let row = rows.entry(&r.provider).or_default();
            row[0] += 1;
            if let (Some(k), Some(by)) = (r.canonical_id.as_deref(), r.canonical_by) {
                row[1] += 1;
                row[match by {
                    CanonicalBy::HfMapping => 2,
                    CanonicalBy::HfId => 3,
                    CanonicalBy::ProviderId => 4,
                    CanonicalBy::Normalized => 5,
                }] += 1;
                if providers_of[k].len() > 1 {
                    row[6] += 1;
                }
            }
        }
        for (p, [n, keyed, mapped, hf, pid, norm, shared]) in &rows {
            println!("  {p:<11} {n:>4} records, {keyed:>4} keyed ({mapped} hf_mapping, {hf} hf_id, {pid} provider_id, {norm} normalized), {shared:>4} shared");
        }
        assert!(rows.values().all(|[n, keyed, ..]| n == keyed));
    }
}
