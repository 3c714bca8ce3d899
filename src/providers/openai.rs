//! The OpenAI-style list, `{"object":"list","data":[...]}` (or a bare array),
//! spoken by most providers. Each provider names the same facts differently,
//! so every known spelling is read and the first one present wins:
//!
//! - Groq: `context_window`, `max_completion_tokens`, `name`, modalities
//!   (`speech`, `transcription`), `supported_features`, `hugging_face_id`,
//!   `pricing{prompt,completion,input_cache_read,image,request}`;
//! - Chutes: `max_model_len`, `root`, `quantization`, and its prices as
//!   `pricing{prompt,completion}`, `price{input{usd},output{usd}}` or (the
//!   older shape) one `price{usd}`;
//! - Nebius (`?verbose=true`): `pricing`, `architecture.modality`,
//!   `supported_features`, `quantization`;
//! - Fireworks: `kind`, `supports_chat`, `supports_image_input`,
//!   `supports_tools`, ids `accounts/<owner>/models/<name>`.
//!
//! Prices are read only where the table gives the listing's `price_unit`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, Record, StrList, Unit, CAPABILITIES};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    name: Option<CompactString>,
    #[serde(default)]
    display_name: Option<CompactString>,
    #[serde(default)]
    title: Option<CompactString>,
    #[serde(default)]
    owned_by: Option<CompactString>,
    #[serde(default)]
    organization: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    context_window: Option<u64>,
    #[serde(default)]
    max_model_len: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    max_output_length: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    input_modalities: Option<StrList>,
    #[serde(default)]
    output_modalities: Option<StrList>,
    /// Nebius verbose: `{"modality":"text+image->text"}` (or OpenRouter-style
    /// modality lists).
    #[serde(default)]
    architecture: Option<Value>,
    /// Together's model type, passed through as the task while Together's
    /// listing is parsed here.
    #[serde(default, rename = "type")]
    model_type: Option<CompactString>,
    /// Fireworks: `HF_BASE_MODEL`, `HF_PEFT_ADDON`, `FLUMINA_BASE_MODEL`, ...
    #[serde(default)]
    kind: Option<CompactString>,
    #[serde(default)]
    supports_chat: Option<bool>,
    #[serde(default)]
    supports_image_input: Option<bool>,
    #[serde(default)]
    supports_tools: Option<bool>,
    #[serde(default)]
    supported_features: Option<Value>,
    #[serde(default)]
    pricing: Option<Value>,
    /// Chutes: `{usd, tao}` or `{input:{usd,tao}, output:{usd,tao}}`.
    #[serde(default)]
    price: Option<Value>,
    #[serde(default)]
    hugging_face_id: Option<CompactString>,
    /// Chutes (vLLM/SGLang): the repository the served model was loaded from.
    #[serde(default)]
    root: Option<CompactString>,
    #[serde(default)]
    quantization: Option<CompactString>,
    #[serde(default)]
    tags: Option<StrList>,
}

/// Parses one page of an OpenAI-style listing.
///
/// A model the listing marks `active: false` (Groq) is kept: it is listed,
/// and the record has no field that would say it is paused.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id.clone())?;
        r.created = unix(m.created);
        r.context_length = tokens(m.context_length.or(m.context_window).or(m.max_model_len));
        r.max_output_tokens = tokens(
            m.max_completion_tokens
                .or(m.max_output_length)
                .or(m.max_output_tokens),
        );
        read_modalities(&mut r, &m);
        r.task = text(m.model_type.clone()).or_else(|| task(&m, &r));
        if let Some(unit) = ctx.price_unit {
            read_prices(&mut r, &m, unit.shift());
        }
        r.capabilities = capabilities(m.supported_features.as_ref(), m.supports_tools);
        if let Some(hf) = text(m.hugging_face_id) {
            r.hugging_face_id = Some(hf);
        } else if ctx.hf_ids {
            if let Some(hf) = m.root.as_deref().and_then(|root| ctx.hf_id(root)) {
                r.hugging_face_id = Some(hf);
            }
        }
        r.name = text(m.display_name).or(text(m.name)).or(text(m.title));
        r.owned_by = text(m.owned_by)
            .or(text(m.organization))
            .or_else(|| account(&m.id));
        r.quantization = text(m.quantization);
        r.tags = m.tags.unwrap_or_default();
        Some(r)
    })
}

/// The account of a Fireworks resource id, `accounts/<owner>/models/<name>`.
fn account(id: &str) -> Option<CompactString> {
    let (owner, rest) = id.strip_prefix("accounts/")?.split_once('/')?;
    (!owner.is_empty() && !rest.is_empty()).then(|| owner.into())
}

/// A provider's modality word in the schema's spelling: `speech` is `audio`,
/// a transcription is `text`, `embedding` is `embeddings`; other words are
/// kept as the listing writes them.
fn modality(word: &str) -> CompactString {
    let word = word.trim();
    let known = [
        ("text", "text"),
        ("transcription", "text"),
        ("image", "image"),
        ("images", "image"),
        ("audio", "audio"),
        ("speech", "audio"),
        ("video", "video"),
        ("embedding", "embeddings"),
        ("embeddings", "embeddings"),
    ];
    known
        .iter()
        .find(|(k, _)| word.eq_ignore_ascii_case(k))
        .map_or_else(|| word.into(), |(_, v)| (*v).into())
}

/// The words in the schema's spelling, each once, in the listing's order.
fn modalities<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> StrList {
    let mut out: Vec<CompactString> = Vec::new();
    for w in words {
        let m = modality(w.as_ref());
        if !m.is_empty() && !out.contains(&m) {
            out.push(m);
        }
    }
    out.into_iter().collect()
}

/// The listing's modality lists; else Nebius' `architecture`; else what the
/// Fireworks flags say.
fn read_modalities(r: &mut Record, m: &Model) {
    let list = |l: &Option<StrList>| l.as_ref().map(|l| modalities(l.iter()));
    let mut input = list(&m.input_modalities).unwrap_or_default();
    let mut output = list(&m.output_modalities).unwrap_or_default();
    if let Some(Value::Object(a)) = &m.architecture {
        let strings = |key: &str| {
            a.get(key)
                .and_then(Value::as_array)
                .map(|items| modalities(items.iter().filter_map(Value::as_str)))
        };
        if input.is_empty() {
            input = strings("input_modalities").unwrap_or_default();
        }
        if output.is_empty() {
            output = strings("output_modalities").unwrap_or_default();
        }
        // "text+image->text"
        if let Some((i, o)) = a
            .get("modality")
            .and_then(Value::as_str)
            .and_then(|s| s.split_once("->"))
        {
            if input.is_empty() {
                input = modalities(i.split('+'));
            }
            if output.is_empty() {
                output = modalities(o.split('+'));
            }
        }
    }
    if input.is_empty() {
        if let Some(image) = m.supports_image_input {
            input = if image {
                modalities(["text", "image"])
            } else {
                modalities(["text"])
            };
        }
    }
    if output.is_empty() {
        if flumina(m) {
            output = modalities(["image"]);
        } else if m.supports_chat == Some(true) {
            output = modalities(["text"]);
        }
    }
    r.input_modalities = input;
    r.output_modalities = output;
}

/// A Fireworks Flumina model: its image-generation platform (FLUX).
fn flumina(m: &Model) -> bool {
    m.kind
        .as_deref()
        .is_some_and(|k| k.to_ascii_uppercase().starts_with("FLUMINA"))
}

/// Whether the model only speaks (text to speech): audio out, no text out.
fn speaks(r: &Record) -> bool {
    r.output_modalities.iter().any(|m| m == "audio") && !r.output_modalities.iter().any(|m| m == "text")
}

/// Whether the model makes images and no text.
fn makes_images(r: &Record) -> bool {
    r.output_modalities.iter().any(|m| m == "image") && !r.output_modalities.iter().any(|m| m == "text")
}

/// The task, where the listing says it: Fireworks' `kind` and `supports_chat`,
/// or modalities that name one (speech out, transcription, embeddings out,
/// image out). Text in and text out says nothing more (Groq's prompt guards
/// are classifiers).
fn task(m: &Model, r: &Record) -> Option<CompactString> {
    let has = |l: &StrList, w: &str| l.iter().any(|m| m == w);
    let (input, output) = (&r.input_modalities, &r.output_modalities);
    let kind = m.kind.as_deref().map(str::to_ascii_uppercase);
    let task = if flumina(m) {
        if m.supports_image_input == Some(true) {
            "image-to-image"
        } else {
            "text-to-image"
        }
    } else if kind.as_deref() == Some("EMBEDDING_MODEL") {
        "feature-extraction"
    } else if m.supports_chat == Some(true) {
        "text-generation"
    } else if speaks(r) && has(input, "text") {
        "text-to-speech"
    } else if m
        .output_modalities
        .as_ref()
        .is_some_and(|l| l.iter().any(|w| w.eq_ignore_ascii_case("transcription")))
        || (input.len() == 1 && has(input, "audio") && output.len() == 1 && has(output, "text"))
    {
        "automatic-speech-recognition"
    } else if output.len() == 1 && has(output, "embeddings") {
        "feature-extraction"
    } else if output.len() == 1 && has(output, "image") && has(input, "text") && !has(input, "image") {
        "text-to-image"
    } else {
        return None;
    };
    Some(task.into())
}

/// The first of `keys` present in `p`, as a price shifted by `shift`.
fn first(p: &Map<String, Value>, keys: &[&str], shift: i32) -> Option<Price> {
    keys.iter()
        .find_map(|k| p.get(*k))
        .and_then(|v| Price::from_json(v, shift))
}

/// Prices in the listing's unit (`shift` to USD per 1M): `pricing` (Groq,
/// Nebius, newer Chutes, Together), else Chutes' `price`.
fn read_prices(r: &mut Record, m: &Model, shift: i32) {
    let tts = speaks(r);
    if let Some(Value::Object(p)) = &m.pricing {
        if tts {
            // Speech is billed per input character (Groq's Orpheus: $22 per
            // 1M characters is `"prompt":"0.000022"`); a token price, or the
            // cached-input figure beside it, would be in no unit the record has.
            r.price_other
                .set(Unit::Characters, first(p, &["prompt", "input"], shift));
        } else {
            r.price_input = first(p, &["prompt", "input"], shift);
            r.price_output = first(p, &["completion", "output"], shift);
            r.price_cache_read = first(p, &["input_cache_read", "cache_read", "cached_input"], shift);
            r.price_cache_write = first(p, &["input_cache_write", "cache_write"], shift);
        }
        // USD per image (the generated one, for a model that makes images;
        // else an input image) and per request, as they stand; `"0"` (what
        // Groq sends for every model) is no price of its own.
        let image = if makes_images(r) {
            Unit::ImageOutput
        } else {
            Unit::ImageInput
        };
        for (key, unit) in [("image", image), ("request", Unit::Request)] {
            let price = p.get(key).and_then(|v| Price::from_json(v, 0));
            r.price_other.set(unit, price.filter(|p| !p.is_zero()));
        }
        // A model billed in another unit is not free for its zero token
        // prices: they say nothing.
        let zero = |p: Option<Price>| p.is_some_and(Price::is_zero);
        if zero(r.price_input) && zero(r.price_output) && r.price_other.iter().any(|(_, p)| !p.is_zero()) {
            (r.price_input, r.price_output) = (None, None);
            r.price_cache_read = r.price_cache_read.filter(|p| !p.is_zero());
            r.price_cache_write = r.price_cache_write.filter(|p| !p.is_zero());
        }
    }
    if tts || r.price_input.is_some() || r.price_output.is_some() || !r.price_other.is_empty() {
        return;
    }
    if let Some(Value::Object(p)) = &m.price {
        let usd = |v: Option<&Value>| {
            v.and_then(|v| v.get("usd"))
                .and_then(|v| Price::from_json(v, shift))
        };
        match p.get("usd").and_then(|v| Price::from_json(v, shift)) {
            // The older shape: one figure per 1M tokens, billed alike for
            // the prompt and the completion (the split into `input` and
            // `output` came later).
            Some(both) => (r.price_input, r.price_output) = (Some(both), Some(both)),
            None => {
                r.price_input = usd(p.get("input"));
                r.price_output = usd(p.get("output"));
            }
        }
    }
}

/// The listing's feature words (`supported_features`: Groq, Chutes, Nebius)
/// and flags (`supports_tools`: Fireworks) in the capability vocabulary, in
/// its order. The words are the vocabulary's own; `function_calling`,
/// `tool_calling` and `tool_use` are `tools`; any other word is left out.
fn capabilities(features: Option<&Value>, supports_tools: Option<bool>) -> StrList {
    let mut have = [false; CAPABILITIES.len()];
    let mut mark = |word: &str| {
        let word = match word.trim().to_ascii_lowercase().as_str() {
            "function_calling" | "function-calling" | "tool_calling" | "tool_use" => "tools".to_owned(),
            w => w.to_owned(),
        };
        if let Some(i) = CAPABILITIES.iter().position(|c| *c == word) {
            have[i] = true;
        }
    };
    if let Some(Value::Array(words)) = features {
        words.iter().filter_map(Value::as_str).for_each(&mut mark);
    }
    if supports_tools == Some(true) {
        mark("tools");
    }
    CAPABILITIES
        .iter()
        .zip(have)
        .filter_map(|(c, on)| on.then_some(*c))
        .collect()
}

#[cfg(test)]
mod tests {

    use serde_json::{json, Value};

    use super::*;
    use crate::providers::{builtin, PriceUnit, Shape};
    use crate::record::Timestamp;

    fn ctx(name: &str, price_unit: Option<PriceUnit>, hf_ids: bool) -> ParseCtx {
        ParseCtx {
            price_unit,
            hf_ids,
            ..ParseCtx::new(name, "https://example.test/v1/models", Timestamp(0))
        }
    }

    /// The context a harvest builds from the provider's built-in table entry.
    fn table_ctx(name: &str) -> ParseCtx {
        let spec = builtin().into_iter().find(|p| p.name == name).unwrap();
        ParseCtx::for_spec(&spec, spec.url.as_str(), Timestamp(0))
    }

    /// `body` parsed as the table says `name`'s listing is, placeholders cleared.
    fn records(name: &str, body: &[u8]) -> Vec<Record> {
        let page = Shape::Openai.parse(body, &table_ctx(name)).unwrap();
        assert_eq!(page.skipped, 0, "{name}");
        page.records
    }

    fn model<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    use crate::providers::adapt::testing::facts as fields;

    /// The expected fields: those in `known` as given, every other one unknown.
    fn expect(known: Value) -> Value {
        let mut all = json!({
            "id": null, "name": null, "owned_by": null, "created": null,
            "context_length": null, "max_output_tokens": null,
            "input_modalities": [], "output_modalities": [], "task": null,
            "price_input": null, "price_output": null, "price_cache_read": null,
            "hugging_face_id": null, "downloads": null, "likes": null, "tags": [],
            "price_cache_write": null, "price_other": {}, "capabilities": [],
            "quantization": null, "knowledge_cutoff": null, "expires_at": null,
        });
        for (k, v) in known.as_object().unwrap() {
            assert!(all.get(k).is_some(), "no field {k}");
            all[k] = v.clone();
        }
        all
    }

    /// Every number the payload model states under `pricing` or `price`.
    fn payload_prices(m: &Value) -> Vec<f64> {
        fn walk(v: &Value, out: &mut Vec<f64>) {
            match v {
                Value::Number(n) => out.push(n.as_f64().unwrap()),
                Value::String(s) => out.push(s.parse().unwrap()),
                Value::Object(o) => o.values().for_each(|v| walk(v, out)),
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                Value::Null | Value::Bool(_) => {}
            }
        }
        let mut out = Vec::new();
        for key in ["pricing", "price"] {
            if let Some(v) = m.get(key) {
                walk(v, &mut out);
            }
        }
        out
    }

    /// Free records are exactly the models whose payload states prices and
    /// states them all as 0; returns how many there are.
    fn free_means_free(name: &str, body: &[u8]) -> usize {
        let payload: Value = serde_json::from_slice(body).unwrap();
        let models = payload["data"].as_array().unwrap();
        let records = records(name, body);
        assert_eq!(records.len(), models.len());
        for (m, r) in models.iter().zip(&records) {
            assert_eq!(m["id"], r.id.as_str());
            let prices = payload_prices(m);
            let free_in_payload = !prices.is_empty() && prices.iter().all(|p| *p == 0.0);
            assert_eq!(r.is_free(), free_in_payload, "{name} {}", r.id);
        }
        records.iter().filter(|r| r.is_free()).count()
    }

    const GROQ: &[u8] = include_bytes!("../../tests/fixtures/groq-0056f5a.json");
    const CHUTES: &[u8] = include_bytes!("../../tests/fixtures/chutes-87b0af4.json");
    const NEBIUS: &[u8] = include_bytes!("../../tests/fixtures/nebius-43f6582.json");
    const FIREWORKS: &[u8] = include_bytes!("../../tests/fixtures/fireworks-87b0af4.json");

    // Groq (the newer listing, with prices and Hugging Face ids).

    #[test]
    fn groq_listing_has_its_14_models() {
        assert_eq!(records("groq", GROQ).len(), 14);
    }

    #[test]
    fn groq_per_token_price_strings_are_usd_per_million() {
        let groq = records("groq", GROQ);
        assert_eq!(
            fields(model(&groq, "openai/gpt-oss-120b")),
            expect(json!({
                "id": "openai/gpt-oss-120b", "name": "GPT OSS 120B", "owned_by": "OpenAI",
                "created": "2025-08-05T15:37:04Z",
                "context_length": 131_072, "max_output_tokens": 65_536,
                "input_modalities": ["text"], "output_modalities": ["text"],
                // "0.00000015", "0.0000006", "0.000000075" per token.
                "price_input": 0.15, "price_output": 0.6, "price_cache_read": 0.075,
                "hugging_face_id": "openai/gpt-oss-120b",
                "capabilities": ["tools", "reasoning", "structured_outputs", "json_mode"],
            }))
        );
        assert_eq!(
            fields(model(&groq, "qwen/qwen3.8-27b")),
            expect(json!({
                "id": "qwen/qwen3.8-27b", "name": "Qwen/Qwen3.8-27B", "owned_by": "Alibaba Cloud",
                "created": "2026-08-17T16:40:46Z",
                "context_length": 131_042, "max_output_tokens": 16_384,
                "input_modalities": ["text", "image"], "output_modalities": ["text"],
                // `"image": "0"`: images are billed as tokens, no price of their own.
                "price_input": 0.8, "price_output": 4, "price_cache_read": 0.4,
                // No `hugging_face_id` in the listing; the name is not one.
                "capabilities": ["tools", "reasoning", "json_mode"],
            }))
        );
    }

    #[test]
    fn groq_speech_models_are_priced_per_character_and_never_free() {
        let groq = records("groq", GROQ);
        assert_eq!(
            fields(model(&groq, "canopylabs/orpheus-v1-english")),
            expect(json!({
                "id": "canopylabs/orpheus-v1-english", "name": "Canopy Labs Orpheus V1 English",
                "owned_by": "Canopy Labs", "created": "2025-12-19T23:18:36Z",
                "context_length": 4000, "max_output_tokens": 50_000,
                "input_modalities": ["text"], "output_modalities": ["audio"],
                "task": "text-to-speech",
                // "prompt": "0.000022" USD per character; no token price, and
                // the cached-input figure has no unit in the record.
                "price_other": {"characters": 22},
            }))
        );
        let arabic = model(&groq, "canopylabs/orpheus-arabic-saudi");
        assert_eq!(fields(arabic)["price_other"], json!({"characters": 40}));
        assert_eq!((arabic.price_input, arabic.price_cache_read), (None, None));
        assert!(!arabic.is_free());
    }

    #[test]
    fn groq_transcription_models_write_text_and_have_no_price() {
        let groq = records("groq", GROQ);
        assert_eq!(
            fields(model(&groq, "whisper-large-v3-turbo")),
            expect(json!({
                "id": "whisper-large-v3-turbo", "name": "Whisper Large V3 Turbo", "owned_by": "OpenAI",
                "created": "2024-10-08T18:44:48Z",
                "context_length": 448, "max_output_tokens": 448,
                "input_modalities": ["audio"], "output_modalities": ["text"],
                "task": "automatic-speech-recognition",
                "hugging_face_id": "openai/whisper-large-v3-turbo",
            }))
        );
    }

    #[test]
    fn groq_hugging_face_ids_are_the_listings_own() {
        let groq = records("groq", GROQ);
        assert_eq!(
            fields(model(&groq, "allam-2-7b")),
            expect(json!({
                "id": "allam-2-7b", "name": "ALLaM-2-7b", "owned_by": "SDAIA",
                "created": "2025-01-23T22:43:23Z",
                "context_length": 4096, "max_output_tokens": 4096,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "hugging_face_id": "ALLaM-AI/ALLaM-2.0-7B-Instruct",
                "capabilities": ["json_mode"],
            }))
        );
        // Compound has no `pricing` (it bills the models and tools it calls).
        assert_eq!(
            fields(model(&groq, "groq/compound-mini")),
            expect(json!({
                "id": "groq/compound-mini", "name": "Compound Mini", "owned_by": "Groq",
                "created": "2025-09-04T01:35:07Z",
                "context_length": 131_072, "max_output_tokens": 8192,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "hugging_face_id": "groq/compound-beta-mini",
                "capabilities": ["json_mode"],
            }))
        );
        assert_eq!(
            fields(model(&groq, "meta-llama/llama-prompt-guard-2-22m")),
            expect(json!({
                "id": "meta-llama/llama-prompt-guard-2-22m", "name": "Llama Prompt Guard 2 22M",
                "owned_by": "Meta", "created": "2025-05-30T19:08:21Z",
                "context_length": 512, "max_output_tokens": 512,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "price_input": 0.03, "price_output": 0.03, "price_cache_read": 0.015,
            }))
        );
        let with_hf = groq.iter().filter(|r| r.hugging_face_id.is_some()).count();
        assert_eq!(with_hf, 9);
    }

    #[test]
    fn groq_models_with_token_prices_are_not_free() {
        assert_eq!(free_means_free("groq", GROQ), 0);
        let priced = records("groq", GROQ)
            .iter()
            .filter(|r| r.price_input.is_some())
            .count();
        assert_eq!(priced, 7);
    }

    #[test]
    fn groq_older_listing_without_prices_keeps_its_limits() {
        // The older shape (no `pricing`, `name` or `hugging_face_id`):
        // real entries, with the wrapper re-added.
        let groq = records("groq", include_bytes!("../../tests/fixtures/groq-models.json"));
        assert_eq!(groq.len(), 20);
        let qwen = model(&groq, "qwen/qwen3-32b");
        assert_eq!(qwen.context_length, Some(131_072));
        assert_eq!(qwen.max_output_tokens, Some(40_960));
        assert_eq!(qwen.owned_by.as_deref(), Some("Alibaba Cloud"));
        assert_eq!(qwen.created.unwrap().0, 1_748_396_646);
        assert_eq!(qwen.price_input, None);
        assert_eq!(qwen.hugging_face_id, None);
    }

    // Chutes (the older listing: one `price{usd,tao}` per model).

    #[test]
    fn chutes_listing_has_its_62_models() {
        assert_eq!(records("chutes", CHUTES).len(), 62);
    }

    #[test]
    fn chutes_single_usd_price_is_the_input_and_output_price_per_million() {
        let chutes = records("chutes", CHUTES);
        assert_eq!(
            fields(model(&chutes, "deepseek-ai/DeepSeek-R1")),
            expect(json!({
                // `owned_by: "sglang"` (the engine) and `created` (the
                // response time) are placeholders: unknown.
                "id": "deepseek-ai/DeepSeek-R1", "context_length": 163_840,
                "price_input": 0.27216, "price_output": 0.27216,
                "hugging_face_id": "deepseek-ai/DeepSeek-R1",
            }))
        );
        assert_eq!(
            fields(model(&chutes, "Qwen/Qwen3-32B")),
            expect(json!({
                "id": "Qwen/Qwen3-32B", "context_length": 40_960,
                // `0.02721600000000001` in the listing.
                "price_input": 0.027216, "price_output": 0.027216,
                "hugging_face_id": "Qwen/Qwen3-32B",
            }))
        );
        assert_eq!(
            fields(model(&chutes, "unsloth/Llama-3.2-1B-Instruct")),
            expect(json!({
                "id": "unsloth/Llama-3.2-1B-Instruct", "context_length": 16_384,
                // `0.0028000000000000013`, served by vllm.
                "price_input": 0.0028, "price_output": 0.0028,
                "hugging_face_id": "unsloth/Llama-3.2-1B-Instruct",
            }))
        );
        assert_eq!(
            fields(model(&chutes, "nvidia/Llama-3_3-Nemotron-Super-49B-v1")),
            expect(json!({
                "id": "nvidia/Llama-3_3-Nemotron-Super-49B-v1", "context_length": 131_072,
                "price_input": 0.0728, "price_output": 0.0728,
                "hugging_face_id": "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
            }))
        );
    }

    #[test]
    fn chutes_models_priced_zero_in_usd_and_tao_are_free() {
        let chutes = records("chutes", CHUTES);
        assert_eq!(
            fields(model(&chutes, "NousResearch/DeepHermes-3-Llama-3-8B-Preview")),
            expect(json!({
                "id": "NousResearch/DeepHermes-3-Llama-3-8B-Preview", "context_length": 131_072,
                "price_input": 0, "price_output": 0,
                "hugging_face_id": "NousResearch/DeepHermes-3-Llama-3-8B-Preview",
            }))
        );
        assert_eq!(free_means_free("chutes", CHUTES), 8);
    }

    #[test]
    fn chutes_engine_owner_and_response_time_are_unknown() {
        let payload: Value = serde_json::from_slice(CHUTES).unwrap();
        let engines: Vec<&str> = payload["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["owned_by"].as_str().unwrap())
            .collect();
        assert!(engines.iter().all(|e| ["sglang", "vllm"].contains(e)));
        let chutes = records("chutes", CHUTES);
        assert!(chutes.iter().all(|r| r.owned_by.is_none() && r.created.is_none()));
        assert!(chutes
            .iter()
            .all(|r| r.hugging_face_id.as_deref() == Some(r.id.as_str())));
    }

    #[test]
    fn chutes_newer_listing_prefers_pricing_and_reads_quantization_and_features() {
        // Hand-made from the documented newer shape (no recording has it):
        // `pricing` and `price.input/output` side by side, `quantization`,
        // modalities and `supported_features`.
        let chutes = records(
            "chutes",
            include_bytes!("../../tests/fixtures/chutes-models.json"),
        );
        assert_eq!(
            fields(model(&chutes, "deepseek-ai/DeepSeek-R1")),
            expect(json!({
                "id": "deepseek-ai/DeepSeek-R1",
                "context_length": 163_840, "max_output_tokens": 65_536,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "price_input": 0.4, "price_output": 1.75,
                "hugging_face_id": "deepseek-ai/DeepSeek-R1",
                "capabilities": ["tools", "reasoning", "structured_outputs", "json_mode"],
                "quantization": "fp8",
            }))
        );
        let gemma = model(&chutes, "unsloth/gemma-3-4b-it");
        assert!(gemma.is_free());
        assert_eq!(gemma.quantization.as_deref(), Some("bf16"));
    }

    #[test]
    fn chutes_input_and_output_usd_prices_are_read_without_pricing() {
        // Hand-made: the `price{input,output}` half of the newer shape alone,
        // and a `root` that names the repository the model was loaded from.
        let body = br#"{"data":[{"id":"acme/model-tools","root":"acme/model",
            "price":{"input":{"usd":0.2,"tao":0.0005},"output":{"usd":0.8,"tao":0.002}}}]}"#;
        let r = &records("chutes", body)[0];
        assert_eq!(
            fields(r),
            expect(json!({
                "id": "acme/model-tools", "price_input": 0.2, "price_output": 0.8,
                "hugging_face_id": "acme/model",
            }))
        );
    }

    // Nebius (the recording is the plain listing; the table asks for the
    // verbose one).

    #[test]
    fn nebius_listing_has_its_46_models() {
        assert_eq!(records("nebius", NEBIUS).len(), 46);
    }

    #[test]
    fn nebius_fast_variants_name_the_repository_without_the_suffix() {
        let nebius = records("nebius", NEBIUS);
        for (id, hf) in [
            (
                "meta-llama/Meta-Llama-3.1-8B-Instruct-fast",
                "meta-llama/Meta-Llama-3.1-8B-Instruct",
            ),
            (
                "meta-llama/Meta-Llama-3.1-8B-Instruct",
                "meta-llama/Meta-Llama-3.1-8B-Instruct",
            ),
            ("Qwen/Qwen2.5-Coder-7B-fast", "Qwen/Qwen2.5-Coder-7B"),
            ("BAAI/bge-en-icl", "BAAI/bge-en-icl"),
            ("deepseek-ai/DeepSeek-V3.2", "deepseek-ai/DeepSeek-V3.2"),
        ] {
            // "system" and the response time are placeholders; the plain
            // listing says nothing else.
            assert_eq!(
                fields(model(&nebius, id)),
                expect(json!({"id": id, "hugging_face_id": hf})),
                "{id}"
            );
        }
        let fast = nebius.iter().filter(|r| r.id.ends_with("-fast")).count();
        assert_eq!(fast, 8);
        assert!(nebius.iter().all(|r| r.hugging_face_id.is_some()));
    }

    #[test]
    fn nebius_system_owner_and_response_time_are_unknown() {
        let payload: Value = serde_json::from_slice(NEBIUS).unwrap();
        let models = payload["data"].as_array().unwrap();
        let times: Vec<i64> = models.iter().map(|m| m["created"].as_i64().unwrap()).collect();
        // All 46 "creation" times fall within 8 seconds: the response time.
        assert!(times.iter().max().unwrap() - times.iter().min().unwrap() <= 8);
        assert!(models.iter().all(|m| m["owned_by"] == "system"));
        let nebius = records("nebius", NEBIUS);
        assert!(nebius.iter().all(|r| r.owned_by.is_none() && r.created.is_none()));
        assert_eq!(free_means_free("nebius", NEBIUS), 0);
    }

    #[test]
    fn nebius_table_asks_for_the_verbose_listing_with_per_token_prices() {
        let spec = builtin().into_iter().find(|p| p.name == "nebius").unwrap();
        assert_eq!(spec.url.query(), Some("verbose=true"));
        assert_eq!(spec.price_unit, Some(PriceUnit::UsdPerToken));
    }

    #[test]
    fn nebius_verbose_prices_are_usd_per_token_strings() {
        // Hand-made: no verbose listing is recorded. Built from the shape the
        // research notes and third-party clients describe (`pricing` with
        // per-token decimal strings, `architecture.modality`,
        // `supported_features`, `quantization`); the feature words are
        // examples.
        let body = include_bytes!("../../tests/fixtures/nebius-verbose-handmade.json");
        let nebius = records("nebius", body);
        assert_eq!(nebius.len(), 6);
        assert_eq!(
            fields(model(&nebius, "meta-llama/Llama-3.3-70B-Instruct-fast")),
            expect(json!({
                "id": "meta-llama/Llama-3.3-70B-Instruct-fast", "name": "Llama-3.3-70B-Instruct-fast",
                "context_length": 131_072,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "price_input": 0.25, "price_output": 0.75,
                "hugging_face_id": "meta-llama/Llama-3.3-70B-Instruct",
                "capabilities": ["tools", "json_mode"],
                "quantization": "fp8",
            }))
        );
        assert_eq!(
            fields(model(&nebius, "Qwen/Qwen2.5-VL-72B-Instruct")),
            expect(json!({
                "id": "Qwen/Qwen2.5-VL-72B-Instruct", "name": "Qwen2.5-VL-72B-Instruct",
                "context_length": 32_000,
                "input_modalities": ["text", "image"], "output_modalities": ["text"],
                "price_input": 0.25, "price_output": 0.75,
                "hugging_face_id": "Qwen/Qwen2.5-VL-72B-Instruct",
                "quantization": "bf16",
            }))
        );
        assert_eq!(
            fields(model(&nebius, "Qwen/Qwen3-Embedding-8B")),
            expect(json!({
                "id": "Qwen/Qwen3-Embedding-8B", "name": "Qwen3-Embedding-8B",
                "context_length": 32_768,
                "input_modalities": ["text"], "output_modalities": ["embeddings"],
                "task": "feature-extraction",
                "price_input": 0.01, "price_output": 0,
                "hugging_face_id": "Qwen/Qwen3-Embedding-8B",
            }))
        );
        assert_eq!(
            fields(model(&nebius, "deepseek-ai/DeepSeek-R1-0528")),
            expect(json!({
                "id": "deepseek-ai/DeepSeek-R1-0528", "name": "DeepSeek-R1-0528",
                "context_length": 163_840,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "price_input": 0.8, "price_output": 2.4,
                "hugging_face_id": "deepseek-ai/DeepSeek-R1-0528",
                "capabilities": ["tools", "reasoning", "json_mode"],
                "quantization": "fp8",
            }))
        );
    }

    #[test]
    fn paid_image_models_are_never_free() {
        // The hand-made verbose listing's image model: 0 per token, USD per image.
        let body = include_bytes!("../../tests/fixtures/nebius-verbose-handmade.json");
        let nebius = records("nebius", body);
        let flux = model(&nebius, "black-forest-labs/flux-schnell");
        assert_eq!(
            fields(flux),
            expect(json!({
                "id": "black-forest-labs/flux-schnell", "name": "flux-schnell",
                "input_modalities": ["text"], "output_modalities": ["image"],
                "task": "text-to-image",
                // Its zero token prices say nothing: it is billed per image.
                "price_other": {"image_output": 0.0013},
                // The table's reading of the id; Nebius' own short name
                // (the repository is FLUX.1-schnell).
                "hugging_face_id": "black-forest-labs/flux-schnell",
            }))
        );
        assert!(!flux.is_free());
        assert_eq!(free_means_free("nebius", body), 0);
    }

    // Fireworks.

    #[test]
    fn fireworks_listing_has_its_27_models() {
        assert_eq!(records("fireworks", FIREWORKS).len(), 27);
    }

    #[test]
    fn fireworks_chat_models_are_text_generation_with_their_flags() {
        let fw = records("fireworks", FIREWORKS);
        assert_eq!(
            fields(model(&fw, "accounts/perplexity/models/r1-1776")),
            expect(json!({
                "id": "accounts/perplexity/models/r1-1776", "owned_by": "perplexity",
                "created": "2025-02-19T16:36:38Z", "context_length": 163_840,
                "input_modalities": ["text"], "output_modalities": ["text"],
                "task": "text-generation",
            }))
        );
        assert_eq!(
            fields(model(
                &fw,
                "accounts/fireworks/models/llama4-scout-instruct-basic"
            )),
            expect(json!({
                "id": "accounts/fireworks/models/llama4-scout-instruct-basic", "owned_by": "fireworks",
                "created": "2025-04-05T18:37:59Z", "context_length": 10_485_760,
                "input_modalities": ["text", "image"], "output_modalities": ["text"],
                "task": "text-generation", "capabilities": ["tools"],
            }))
        );
        // A LoRA add-on without a context length.
        assert_eq!(
            fields(model(&fw, "accounts/instacart/models/srl-finetune-0417-debug")),
            expect(json!({
                "id": "accounts/instacart/models/srl-finetune-0417-debug", "owned_by": "instacart",
                "created": "2025-04-17T19:01:13Z",
                "input_modalities": ["text"], "output_modalities": ["text"],
                "task": "text-generation",
            }))
        );
        assert_eq!(
            fields(model(
                &fw,
                "accounts/fireworks/models/qwen3-coder-480b-a35b-instruct"
            )),
            expect(json!({
                "id": "accounts/fireworks/models/qwen3-coder-480b-a35b-instruct", "owned_by": "fireworks",
                "created": "2025-07-22T19:04:50Z",
                "input_modalities": ["text"], "output_modalities": ["text"],
                "task": "text-generation", "capabilities": ["tools"],
            }))
        );
        let tools = fw.iter().filter(|r| r.capabilities == ["tools"]).count();
        assert_eq!(tools, 13);
    }

    #[test]
    fn fireworks_flumina_models_make_images() {
        let fw = records("fireworks", FIREWORKS);
        assert_eq!(
            fields(model(&fw, "accounts/fireworks/models/flux-1-dev-fp8")),
            expect(json!({
                "id": "accounts/fireworks/models/flux-1-dev-fp8", "owned_by": "fireworks",
                "created": "2024-10-21T17:48:09Z",
                "input_modalities": ["text"], "output_modalities": ["image"],
                "task": "text-to-image",
            }))
        );
        // Kontext edits the image it is given (the listing says it chats, too).
        assert_eq!(
            fields(model(&fw, "accounts/fireworks/models/flux-kontext-max")),
            expect(json!({
                "id": "accounts/fireworks/models/flux-kontext-max", "owned_by": "fireworks",
                "created": "2025-06-23T21:36:51Z",
                "input_modalities": ["text", "image"], "output_modalities": ["image"],
                "task": "image-to-image",
            }))
        );
        assert_eq!(free_means_free("fireworks", FIREWORKS), 0);
    }

    #[test]
    fn fireworks_owner_comes_from_the_account_when_unstated() {
        let body = br#"{"data":[{"id":"accounts/acme/models/x","kind":"HF_BASE_MODEL"},
            {"id":"accounts//models/y"},{"id":"plain"}]}"#;
        let fw = records("fireworks", body);
        let owners: Vec<_> = fw.iter().map(|r| r.owned_by.as_deref()).collect();
        assert_eq!(owners, [Some("acme"), None, None]);
        // A kind alone names no task.
        assert_eq!(fw[0].task, None);
    }

    // The other providers on this shape.

    #[test]
    fn cerebras_ids_only_listing() {
        let page = parse(
            include_bytes!("../../tests/fixtures/cerebras-models-docs.json"),
            &ctx("cerebras", None, false),
        )
        .unwrap();
        let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["llama3.1-8b", "gpt-oss-120b"]);
        assert_eq!(
            page.records[0].created.unwrap().to_string(),
            "2024-07-23T00:00:00Z"
        );
        assert_eq!(page.records[0].context_length, None);
    }

    #[test]
    fn featherless_context_and_hf_ids() {
        let page = parse(
            include_bytes!("../../tests/fixtures/featherless-models-docs.json"),
            &ctx("featherless", None, true),
        )
        .unwrap();
        let m = &page.records[0];
        assert_eq!(m.id, "vicgalle/Roleplay-Llama-3-8B");
        assert_eq!((m.context_length, m.max_output_tokens), (Some(8192), Some(4096)));
        assert_eq!(m.hugging_face_id.as_deref(), Some("vicgalle/Roleplay-Llama-3-8B"));
        assert_eq!(m.price_input, None);
    }

    #[test]
    fn portkey_real_listing_with_bom_has_215_ids() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(include_bytes!("../../tests/fixtures/portkey-models.json"));
        let page = parse(&body, &ctx("portkey", None, false)).unwrap();
        assert_eq!(page.records.len(), 215);
        assert_eq!(page.hints.total, Some(215));
        assert_eq!(page.records[0].id, "@deepinfra/zai-org/GLM-4.5-Air");
    }

    #[test]
    fn feature_words_outside_the_vocabulary_are_left_out() {
        let features = json!(["function_calling", "JSON_MODE", "vision", "logprobs", "tools"]);
        assert_eq!(capabilities(Some(&features), None), ["tools", "json_mode"]);
        assert_eq!(capabilities(None, Some(false)), [] as [&str; 0]);
        assert_eq!(capabilities(None, Some(true)), ["tools"]);
    }

    #[test]
    fn provider_modality_words_become_the_schema_spelling() {
        assert_eq!(
            modalities(["Speech", "transcription", "text", "embedding", "file"]),
            ["audio", "text", "embeddings", "file"]
        );
    }
}
