//! OpenRouter `GET /api/v1/models`: `{"data":[...]}` whose prices are decimal
//! strings, each key in its own unit (USD per token for `prompt`, per image
//! for `image`, per search for `web_search`, ...), with `"-1"` for router
//! models whose price depends on the model they route to.
//!
//! The `pricing` keys and where they go:
//!
//! | key | record field | unit written |
//! |---|---|---|
//! | `prompt`, `completion` | `price_input`, `price_output` | USD per 1M tokens |
//! | `input_cache_read` | `price_cache_read` | USD per 1M tokens |
//! | `input_cache_write` | `price_cache_write` | USD per 1M tokens (the default, 5-minute cache) |
//! | `input_cache_write_1h` | `price_other.cache_write_1h` | USD per 1M tokens |
//! | `image` | `price_other.image_input` | USD per input image |
//! | `image_output` (else `image_token`) | `price_other.image_output_tokens` | USD per 1M generated image tokens |
//! | `audio`, `audio_output` | `price_other.audio_input`, `audio_output` | USD per 1M audio tokens |
//! | `input_audio_cache` | `price_other.audio_cache_read` | USD per 1M cached audio tokens |
//! | `internal_reasoning` | `price_other.reasoning` | USD per 1M reasoning tokens |
//! | `web_search`, `request` | `price_other.web_search`, `request` | USD per search, per request |
//! | `overrides` | (left out) | tiered long-context prices, not the base price |
//!
//! Two kinds of model use `prompt` for something other than tokens: a
//! text-to-speech model with a `completion` of 0 is priced per character of
//! input (`price_other.characters`), and a transcription model with a
//! `completion` of 0 per unit of audio time, minute, second or hour depending
//! on the model, which the listing does not say (unknown). And a model whose
//! every price is 0 is free only if it is a `:free` variant or billed in
//! tokens (text or embedding output): video, rerank and music models list
//! `0`/`0` because the listing has no field for the unit they are billed in.

use serde::Deserialize;
use serde_json::Value;

use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Field, Price, Record, StrList, Unit};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    name: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    hugging_face_id: Option<CompactString>,
    #[serde(default)]
    architecture: Option<Architecture>,
    #[serde(default)]
    pricing: Option<Pricing>,
    #[serde(default)]
    top_provider: Option<TopProvider>,
    #[serde(default)]
    supported_parameters: Option<Vec<CompactString>>,
    #[serde(default)]
    knowledge_cutoff: Option<CompactString>,
    #[serde(default)]
    expiration_date: Option<CompactString>,
}

#[derive(Deserialize)]
struct Architecture {
    #[serde(default)]
    input_modalities: Option<StrList>,
    #[serde(default)]
    output_modalities: Option<StrList>,
}

/// The price keys OpenRouter sends; `overrides` (tiered long-context prices)
/// and `discount` are not the base price and are left out.
#[derive(Deserialize)]
struct Pricing {
    #[serde(default)]
    prompt: Option<Value>,
    #[serde(default)]
    completion: Option<Value>,
    #[serde(default)]
    input_cache_read: Option<Value>,
    #[serde(default)]
    input_cache_write: Option<Value>,
    #[serde(default)]
    input_cache_write_1h: Option<Value>,
    #[serde(default)]
    image: Option<Value>,
    #[serde(default)]
    image_token: Option<Value>,
    #[serde(default)]
    image_output: Option<Value>,
    #[serde(default)]
    audio: Option<Value>,
    #[serde(default)]
    audio_output: Option<Value>,
    #[serde(default)]
    input_audio_cache: Option<Value>,
    #[serde(default)]
    internal_reasoning: Option<Value>,
    #[serde(default)]
    web_search: Option<Value>,
    #[serde(default)]
    request: Option<Value>,
}

#[derive(Deserialize)]
struct TopProvider {
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
}

/// USD per token (or per character, per image token: a decimal string, or a
/// number) to USD per 1M; `"-1"` is unknown.
fn per_million(value: Option<&Value>) -> Option<Price> {
    value.and_then(|v| Price::from_json(v, 6))
}

/// USD per item (image, search, request) as it is.
fn per_item(value: Option<&Value>) -> Option<Price> {
    value.and_then(|v| Price::from_json(v, 0))
}

/// The author part of `author/slug`; the `~` of alias ids (`~openai/gpt-latest`) is dropped.
fn author(id: &str) -> Option<CompactString> {
    let (owner, _) = id.split_once('/')?;
    let owner = owner.trim_start_matches('~');
    (!owner.is_empty()).then(|| owner.into())
}

/// An OpenRouter modality in the record's vocabulary: `speech` is audio, a
/// transcription is text; `file` (documents) and `rerank` (scores) have no
/// word in it and are left out (the task says what a reranker does).
fn modality(raw: &str) -> Option<&'static str> {
    Some(match raw.to_ascii_lowercase().as_str() {
        "text" | "transcription" => "text",
        "image" => "image",
        "audio" | "speech" => "audio",
        "video" => "video",
        "embeddings" => "embeddings",
        _ => return None,
    })
}

/// The modalities in the vocabulary, in the listing's order, each once.
fn modalities(raw: &StrList) -> StrList {
    let mut out: Vec<&'static str> = Vec::new();
    for m in raw.iter().filter_map(|m| modality(&m)) {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out.into_iter().collect()
}

/// The task where the output modality names it; image, video and mixed
/// outputs (text-to-X or X-to-X alike) are left unknown.
fn task(outputs: &StrList) -> Option<CompactString> {
    let has = |m: &str| outputs.contains_ignore_case(m);
    let task = if has("embeddings") {
        "feature-extraction"
    } else if has("rerank") {
        "text-ranking"
    } else if has("transcription") {
        "automatic-speech-recognition"
    } else if has("speech") {
        "text-to-speech"
    } else if outputs.len() == 1 && has("text") {
        "text-generation"
    } else {
        return None;
    };
    Some(task.into())
}

/// What a model's `prompt` price is per.
#[derive(Debug, PartialEq, Eq)]
enum PromptUnit {
    /// Tokens, as documented.
    Token,
    /// Characters of text to speak: text-to-speech models with no
    /// `completion` price (Deepgram Aura-2's `0.00003` is its $0.030 per 1,000
    /// characters).
    Character,
    /// Audio time to transcribe, in a unit the listing does not name:
    /// `whisper-1`'s `0.006` is per minute, `whisper-large-v3`'s `0.0000075`
    /// per second, `grok-stt-1.0`'s `0.1` per hour.
    AudioTime,
}

fn prompt_unit(outputs: &StrList, prompt: Option<Price>, completion: Option<Price>) -> PromptUnit {
    // A token-priced audio model also prices its output (`gpt-4o-transcribe`,
    // `gemini-3.1-flash-tts-preview`); `0`/`0` is a free variant, priced in nothing.
    let per_unit = prompt.is_some_and(|p| !p.is_zero()) && completion.is_some_and(Price::is_zero);
    if per_unit && outputs.contains_ignore_case("speech") {
        PromptUnit::Character
    } else if per_unit && outputs.contains_ignore_case("transcription") {
        PromptUnit::AudioTime
    } else {
        PromptUnit::Token
    }
}

/// Every pricing key into its unit (see the module docs).
fn prices(r: &mut Record, p: &Pricing, outputs: &StrList) {
    let prompt = per_million(p.prompt.as_ref());
    let completion = per_million(p.completion.as_ref());
    match prompt_unit(outputs, prompt, completion) {
        PromptUnit::Token => {
            r.price_input = prompt;
            r.price_output = completion;
        }
        PromptUnit::Character => r.price_other.set(Unit::Characters, prompt),
        PromptUnit::AudioTime => {}
    }
    r.price_cache_read = per_million(p.input_cache_read.as_ref());
    r.price_cache_write = per_million(p.input_cache_write.as_ref());
    let other = &mut r.price_other;
    other.set(Unit::CacheWrite1h, per_million(p.input_cache_write_1h.as_ref()));
    other.set(Unit::ImageInput, per_item(p.image.as_ref()));
    // The two keys carry the same per-token price wherever both are sent.
    let image_output = p.image_output.as_ref().or(p.image_token.as_ref());
    other.set(Unit::ImageOutputTokens, per_million(image_output));
    other.set(Unit::AudioInput, per_million(p.audio.as_ref()));
    other.set(Unit::AudioOutput, per_million(p.audio_output.as_ref()));
    other.set(Unit::AudioCacheRead, per_million(p.input_audio_cache.as_ref()));
    other.set(Unit::Reasoning, per_million(p.internal_reasoning.as_ref()));
    other.set(Unit::WebSearch, per_item(p.web_search.as_ref()));
    other.set(Unit::Request, per_item(p.request.as_ref()));
}

/// Every stated price is 0 (and at least one is stated).
fn all_zero(r: &Record) -> bool {
    let tokens = [
        r.price_input,
        r.price_output,
        r.price_cache_read,
        r.price_cache_write,
    ];
    let mut stated = tokens
        .into_iter()
        .flatten()
        .chain(r.price_other.iter().map(|(_, p)| p))
        .peekable();
    stated.peek().is_some() && stated.all(Price::is_zero)
}

/// Whether a model's prices of 0 mean it is free: a `:free` variant, or a
/// model billed in the tokens the listing prices (text or embedding output,
/// like the `openrouter/free` router). Video, rerank, image and music models
/// list `0` because the listing has no field for what they are billed in.
fn zero_means_free(id: &str, outputs: &StrList) -> bool {
    id.ends_with(":free")
        || (!outputs.is_empty()
            && outputs
                .iter()
                .all(|m| m.eq_ignore_ascii_case("text") || m.eq_ignore_ascii_case("embeddings")))
}

/// What `supported_parameters` and the prices say the model supports, in the
/// vocabulary's order. A cache price means the provider bills cached prompt
/// reads or writes, so prompts are cached (automatically, or on request with
/// `cache_control`); there is no parameter for it.
fn capabilities(params: &[CompactString], r: &Record) -> StrList {
    let has = |name: &str| params.iter().any(|p| p == name);
    [
        ("tools", has("tools")),
        ("reasoning", has("reasoning") || has("include_reasoning")),
        ("structured_outputs", has("structured_outputs")),
        ("json_mode", has("response_format")),
        ("web_search", has("web_search_options")),
        (
            "prompt_caching",
            r.price_cache_read.is_some() || r.price_cache_write.is_some(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// The retirement date; far-future placeholders (`2098-12-31`) mean none.
fn expiry(date: Option<CompactString>) -> Option<CompactString> {
    let date = text(date)?;
    let year: u32 = date.get(..4)?.parse().ok()?;
    (year < 2090).then_some(date)
}

/// Parses one page of the OpenRouter listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.name = text(m.name);
        r.owned_by = author(&r.id);
        r.created = unix(m.created);
        let top = m.top_provider;
        r.context_length =
            tokens(m.context_length).or_else(|| tokens(top.as_ref().and_then(|t| t.context_length)));
        r.max_output_tokens = tokens(top.and_then(|t| t.max_completion_tokens));
        let (inputs, outputs) = m
            .architecture
            .map(|a| {
                (
                    a.input_modalities.unwrap_or_default(),
                    a.output_modalities.unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        r.input_modalities = modalities(&inputs);
        r.output_modalities = modalities(&outputs);
        r.task = task(&outputs);
        if let Some(p) = &m.pricing {
            prices(&mut r, p, &outputs);
            if all_zero(&r) && !zero_means_free(&r.id, &outputs) {
                for f in [
                    Field::PriceInput,
                    Field::PriceOutput,
                    Field::PriceCacheRead,
                    Field::PriceCacheWrite,
                    Field::PriceOther,
                ] {
                    r.clear(f);
                }
            }
        }
        r.capabilities = capabilities(m.supported_parameters.as_deref().unwrap_or_default(), &r);
        r.hugging_face_id = text(m.hugging_face_id);
        r.knowledge_cutoff = text(m.knowledge_cutoff);
        r.expires_at = expiry(m.expiration_date);
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::record::{Timestamp, CAPABILITIES};

    /// The full `?output_modalities=all` response: 549 models.
    const LISTING: &[u8] = include_bytes!("../../tests/fixtures/openrouter-models-all.json");

    fn ctx() -> ParseCtx {
        ParseCtx::new(
            "openrouter",
            "https://openrouter.ai/api/v1/models?output_modalities=all",
            Timestamp(0),
        )
    }

    fn page() -> Vec<Record> {
        let page = parse(LISTING, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (549, 0));
        page.records
    }

    /// The listing's model objects, as sent.
    fn listing() -> Vec<Value> {
        let v: Value = serde_json::from_slice(LISTING).unwrap();
        v["data"].as_array().unwrap().clone()
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    use crate::providers::adapt::testing::facts;

    /// The listing's own prices of a model, `overrides` aside.
    fn stated(m: &Value) -> Vec<(String, String)> {
        m["pricing"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "overrides")
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn all_549_models_of_the_real_listing_are_read() {
        let records = page();
        assert_eq!(records.len(), 549);
        assert_eq!(records[0].id, "qwen/qwen3.8-27b");
    }

    #[test]
    fn per_token_decimal_strings_become_exact_usd_per_million() {
        let records = page();
        let qwen = find(&records, "qwen/qwen3.8-27b");
        assert_eq!(price(qwen.price_input).as_deref(), Some("0.45"));
        assert_eq!(price(qwen.price_output).as_deref(), Some("3.2"));
        assert_eq!(price(qwen.price_cache_read).as_deref(), Some("0.05"));

        let gpt4o = find(&records, "openai/gpt-4o");
        assert_eq!(price(gpt4o.price_input).as_deref(), Some("2.5"));
        assert_eq!(price(gpt4o.price_output).as_deref(), Some("10"));
        assert_eq!(price(gpt4o.price_cache_read).as_deref(), Some("1.25"));

        let remm = find(&records, "undi95/remm-slerp-l2-13b");
        assert_eq!(price(remm.price_input).as_deref(), Some("0.45"));
        assert_eq!(price(remm.price_output).as_deref(), Some("0.65"));
        assert_eq!(remm.price_cache_read, None);
    }

    #[test]
    fn a_chat_model_has_every_field_the_listing_states() {
        let records = page();
        assert_eq!(
            facts(find(&records, "openai/gpt-4o")),
            json!({
                "id": "openai/gpt-4o",
                "name": "OpenAI: GPT-4o",
                "owned_by": "openai",
                "created": "2024-05-13T00:00:00Z",
                "context_length": 128_000,
                "max_output_tokens": 16_384,
                // `file` (documents) has no word in the vocabulary.
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 2.5,
                "price_output": 10,
                "price_cache_read": 1.25,
                "hugging_face_id": null,
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": null,
                "price_other": {},
                "capabilities": ["tools", "structured_outputs", "json_mode", "web_search", "prompt_caching"],
                "quantization": null,
                "knowledge_cutoff": "2023-10-31",
                "expires_at": null,
            })
        );
    }

    #[test]
    fn cache_writes_have_their_own_prices_and_long_context_overrides_are_not_the_base_price() {
        let records = page();
        // `overrides` above 200k prompt tokens: prompt 0.000006, completion
        // 0.0000225, ... are not written.
        assert_eq!(
            facts(find(&records, "anthropic/claude-sonnet-4")),
            json!({
                "id": "anthropic/claude-sonnet-4",
                "name": "Anthropic: Claude Sonnet 4",
                "owned_by": "anthropic",
                "created": "2025-05-22T16:12:51Z",
                "context_length": 1_000_000,
                "max_output_tokens": 64_000,
                "input_modalities": ["image", "text"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 3,
                "price_output": 15,
                "price_cache_read": 0.3,
                // `""` in the listing.
                "hugging_face_id": null,
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": 3.75,
                "price_other": {"cache_write_1h": 6, "web_search": 0.01},
                "capabilities": ["tools", "reasoning", "prompt_caching"],
                "quantization": null,
                "knowledge_cutoff": "2025-01-31",
                "expires_at": null,
            })
        );
    }

    #[test]
    fn image_audio_reasoning_and_search_prices_land_in_their_units() {
        let records = page();
        assert_eq!(
            facts(find(&records, "google/gemini-2.5-pro")),
            json!({
                "id": "google/gemini-2.5-pro",
                "name": "Google: Gemini 2.5 Pro",
                "owned_by": "google",
                "created": "2025-06-17T14:12:24Z",
                "context_length": 1_048_576,
                "max_output_tokens": 65_536,
                "input_modalities": ["text", "image", "audio", "video"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 1.25,
                "price_output": 10,
                "price_cache_read": 0.125,
                "hugging_face_id": null,
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": 0.375,
                "price_other": {
                    // `image` is USD per input image as OpenRouter states it.
                    "image_input": 0.00000125,
                    "audio_input": 1.25,
                    "audio_cache_read": 0.125,
                    "reasoning": 10,
                    "web_search": 0.014,
                },
                "capabilities": ["tools", "reasoning", "structured_outputs", "json_mode", "prompt_caching"],
                "quantization": null,
                "knowledge_cutoff": "2025-01-31",
                "expires_at": null,
            })
        );
        let audio = find(&records, "openai/gpt-audio");
        assert_eq!(price(audio.price_input).as_deref(), Some("2.5"));
        assert_eq!(price(audio.price_output).as_deref(), Some("10"));
        assert_eq!(audio.price_other.to_string(), "audio_input=32;audio_output=64");
        assert_eq!(audio.output_modalities, ["text", "audio"]);
        assert_eq!(audio.task, None, "text and audio out: no one task");
        assert_eq!(audio.capabilities, ["tools", "structured_outputs", "json_mode"]);
    }

    #[test]
    fn paid_image_models_are_never_free() {
        let records = page();
        assert_eq!(
            facts(find(&records, "bytedance-seed/seedream-5-0-pro")),
            json!({
                "id": "bytedance-seed/seedream-5-0-pro",
                "name": "ByteDance Seed: Seedream 5.0 Pro",
                "owned_by": "bytedance-seed",
                "created": "2026-08-12T23:42:19Z",
                // `0` in the listing.
                "context_length": null,
                "max_output_tokens": null,
                "input_modalities": ["text", "image"],
                "output_modalities": ["image"],
                "task": null,
                // `prompt` and `completion` are stated as 0: the model is billed
                // per image and per generated image token instead.
                "price_input": 0,
                "price_output": 0,
                "price_cache_read": null,
                "hugging_face_id": null,
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": null,
                "price_other": {"image_input": 0.003, "image_output_tokens": 10.7784431138},
                "capabilities": [],
                "quantization": null,
                "knowledge_cutoff": null,
                "expires_at": null,
            })
        );
        // FLUX.2 states only `image_output` ($0.03 per megapixel of 4,096 tokens).
        let flux = find(&records, "black-forest-labs/flux.2-pro");
        assert_eq!(flux.price_other.to_string(), "image_output_tokens=7.32421875");
        assert_eq!(
            (flux.context_length, flux.max_output_tokens),
            (Some(46_864), None)
        );
        let recraft = find(&records, "recraft/recraft-v4");
        assert_eq!(
            recraft.price_other.to_string(),
            "image_output_tokens=9.58083832335"
        );

        // Every model with a non-zero price in any unit is not free, and the
        // 29 with token prices of 0 carry that price in `price_other`.
        let mut zero_token_paid = 0;
        for m in listing() {
            let paid = stated(&m).iter().any(|(_, v)| v.parse::<f64>().unwrap() > 0.0);
            let r = find(&records, m["id"].as_str().unwrap());
            if paid {
                assert!(!r.is_free(), "{}", r.id);
                if r.price_input.is_some_and(Price::is_zero) && r.price_output.is_some_and(Price::is_zero) {
                    assert!(r.price_other.iter().any(|(_, p)| !p.is_zero()), "{}", r.id);
                    zero_token_paid += 1;
                }
            }
        }
        assert_eq!(zero_token_paid, 29);
    }

    #[test]
    fn every_free_record_is_a_free_model_of_the_listing() {
        let records = page();
        let models = listing();
        let by_id: std::collections::HashMap<&str, &Value> =
            models.iter().map(|m| (m["id"].as_str().unwrap(), m)).collect();
        let mut n = 0;
        for r in records.iter().filter(|r| r.is_free()) {
            let m = by_id[r.id.as_str()];
            assert!(stated(m).iter().all(|(_, v)| v == "0"), "{}", r.id);
            // OpenRouter's free variants, and its router among them.
            assert!(r.id.ends_with(":free") || r.id == "openrouter/free", "{}", r.id);
            n += 1;
        }
        assert_eq!(n, 23);
        let free_variants = by_id
            .values()
            .filter(|m| m["id"].as_str().unwrap().ends_with(":free"))
            .count();
        assert_eq!(free_variants, 22, "and every one of them is free");

        let variant = find(&records, "nvidia/nemotron-nano-12b-v2-vl:free");
        assert!(variant.is_free());
        assert_eq!(
            facts(variant),
            json!({
                "id": "nvidia/nemotron-nano-12b-v2-vl:free",
                "name": "NVIDIA: Nemotron Nano 12B 2 VL (free)",
                "owned_by": "nvidia",
                "created": "2025-10-28T18:19:25Z",
                "context_length": 128_000,
                "max_output_tokens": 128_000,
                "input_modalities": ["image", "text", "video"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 0,
                "price_output": 0,
                "price_cache_read": null,
                "hugging_face_id": "nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-BF16",
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": null,
                "price_other": {},
                "capabilities": ["tools", "reasoning"],
                "quantization": null,
                "knowledge_cutoff": null,
                "expires_at": "2026-08-24",
            })
        );
    }

    #[test]
    fn video_rerank_and_music_models_listed_at_zero_have_unknown_prices() {
        let records = page();
        // 31 models list `0`/`0` and nothing else without being free: 23 video,
        // 6 rerank and 2 music models, billed per second, per search or per song.
        let unpriced: Vec<&Record> = records
            .iter()
            .zip(listing())
            .filter(|(r, m)| stated(m).iter().all(|(_, v)| v == "0") && !r.is_free())
            .map(|(r, _)| r)
            .collect();
        assert_eq!(unpriced.len(), 31);
        assert!(unpriced
            .iter()
            .all(|r| r.price_input.is_none() && r.price_output.is_none() && r.price_other.is_empty()));
        let veo = find(&records, "google/veo-3.1");
        assert_eq!((veo.price_input, veo.price_output), (None, None));
        assert_eq!(veo.output_modalities, ["video"]);
        assert_eq!(veo.task, None);
        let rerank = find(&records, "cohere/rerank-v3.5");
        assert_eq!(
            facts(rerank),
            json!({
                "id": "cohere/rerank-v3.5",
                "name": "Cohere: Rerank v3.5",
                "owned_by": "cohere",
                "created": "2026-04-05T19:09:18Z",
                "context_length": 4096,
                "max_output_tokens": null,
                "input_modalities": ["text"],
                // `rerank` has no word in the vocabulary; the task says it.
                "output_modalities": [],
                "task": "text-ranking",
                "price_input": null,
                "price_output": null,
                "price_cache_read": null,
                "hugging_face_id": null,
                "downloads": null,
                "likes": null,
                "tags": [],
                "price_cache_write": null,
                "price_other": {},
                "capabilities": ["structured_outputs", "json_mode"],
                "quantization": null,
                "knowledge_cutoff": null,
                "expires_at": null,
            })
        );
        let lyria = find(&records, "google/lyria-3-pro-preview");
        assert_eq!((lyria.price_input, lyria.price_output), (None, None));
        // A free reranker stays free.
        assert!(find(&records, "nvidia/llama-nemotron-rerank-vl-1b-v2:free").is_free());
    }

    #[test]
    fn speech_models_are_priced_per_character_and_transcription_per_unstated_audio_time() {
        let records = page();
        let aura = find(&records, "deepgram/aura-2");
        assert_eq!((aura.price_input, aura.price_output), (None, None));
        // `0.00003` per character: $30 per 1M characters.
        assert_eq!(aura.price_other.to_string(), "characters=30");
        assert_eq!(aura.output_modalities, ["audio"]);
        assert_eq!(aura.task.as_deref(), Some("text-to-speech"));
        assert_eq!(
            find(&records, "minimax/speech-2.8-hd").price_other.to_string(),
            "characters=100"
        );
        // Priced per token, in and out: kept as tokens.
        let tts = find(&records, "google/gemini-3.1-flash-tts-preview");
        assert_eq!(price(tts.price_input).as_deref(), Some("1"));
        assert_eq!(price(tts.price_output).as_deref(), Some("20"));
        assert!(tts.price_other.is_empty());
        let per_char = records
            .iter()
            .filter(|r| r.price_other.get(Unit::Characters).is_some())
            .count();
        assert_eq!(per_char, 15);

        // `whisper-1`'s 0.006 is per minute, `whisper-large-v3`'s 0.0000075 per
        // second: the unit is not in the listing, so the price is unknown.
        let whisper = find(&records, "openai/whisper-1");
        assert_eq!((whisper.price_input, whisper.price_output), (None, None));
        assert!(whisper.price_other.is_empty());
        assert_eq!(whisper.input_modalities, ["audio"]);
        assert_eq!(whisper.output_modalities, ["text"]);
        assert_eq!(whisper.task.as_deref(), Some("automatic-speech-recognition"));
        assert_eq!(find(&records, "openai/whisper-large-v3").price_input, None);
        let transcribe = find(&records, "openai/gpt-4o-transcribe");
        assert_eq!(price(transcribe.price_input).as_deref(), Some("2.5"));
        assert_eq!(price(transcribe.price_output).as_deref(), Some("10"));
        let unknown_time = records
            .iter()
            .filter(|r| r.task.as_deref() == Some("automatic-speech-recognition") && r.price_input.is_none())
            .count();
        assert_eq!(unknown_time, 17);
    }

    #[test]
    fn router_models_have_unknown_prices_and_the_free_router_is_free() {
        let records = page();
        let auto = find(&records, "openrouter/auto");
        assert_eq!((auto.price_input, auto.price_output), (None, None));
        assert_eq!(auto.name.as_deref(), Some("Auto Router"));
        assert_eq!(auto.context_length, Some(2_000_000));
        assert_eq!(auto.max_output_tokens, None);
        assert_eq!(auto.output_modalities, ["text", "image"]);
        let router = find(&records, "openrouter/free");
        assert!(router.is_free());
        assert_eq!(price(router.price_input).as_deref(), Some("0"));
        assert_eq!(price(router.price_output).as_deref(), Some("0"));
        // 5 routers at "-1", 31 models priced in a unit the listing lacks, 17
        // transcription models priced per audio time, 15 speech models per character.
        let unknown = records.iter().filter(|r| r.price_input.is_none()).count();
        assert_eq!(unknown, 5 + 31 + 17 + 15);
        // 23 free models and the 29 image models billed in image units.
        let zero = records
            .iter()
            .filter(|r| r.price_input.is_some_and(Price::is_zero))
            .count();
        assert_eq!(zero, 23 + 29);
    }

    #[test]
    fn every_pricing_key_of_the_listing_is_written() {
        let records = page();
        let count = |f: &dyn Fn(&Record) -> bool| records.iter().filter(|r| f(r)).count();
        let unit = |u: Unit| count(&|r: &Record| r.price_other.get(u).is_some());
        assert_eq!(count(&|r: &Record| r.price_cache_read.is_some()), 249);
        assert_eq!(count(&|r: &Record| r.price_cache_write.is_some()), 72);
        assert_eq!(unit(Unit::CacheWrite1h), 32);
        assert_eq!(unit(Unit::ImageInput), 37);
        // 43 `image_output`, the 28 `image_token` among them with the same value.
        assert_eq!(unit(Unit::ImageOutputTokens), 43);
        assert_eq!(unit(Unit::AudioInput), 35);
        assert_eq!(unit(Unit::AudioOutput), 2);
        assert_eq!(unit(Unit::AudioCacheRead), 27);
        assert_eq!(unit(Unit::Reasoning), 30);
        assert_eq!(unit(Unit::WebSearch), 160);
        for m in listing() {
            let p = &m["pricing"];
            if let Some(token) = p.get("image_token") {
                assert_eq!(Some(token), p.get("image_output"), "{}", m["id"]);
            }
        }
    }

    #[test]
    fn supported_parameters_become_capabilities() {
        let records = page();
        let count = |c: &str| {
            records
                .iter()
                .filter(|r| r.capabilities.contains_ignore_case(c))
                .count()
        };
        assert_eq!(count("tools"), 347);
        assert_eq!(count("reasoning"), 285);
        assert_eq!(count("structured_outputs"), 357);
        // `response_format`.
        assert_eq!(count("json_mode"), 424);
        // `web_search_options`.
        assert_eq!(count("web_search"), 19);
        // A cache read or write price: 249 + 4 with a write price only.
        assert_eq!(count("prompt_caching"), 253);
        assert!(records
            .iter()
            .all(|r| r.capabilities.iter().all(|c| CAPABILITIES.contains(&&*c))));
        let glm = find(&records, "z-ai/glm-4.5");
        assert_eq!(
            glm.capabilities,
            ["tools", "reasoning", "json_mode", "prompt_caching"]
        );
    }

    #[test]
    fn knowledge_cutoffs_and_retirement_dates_are_kept_and_the_far_future_placeholder_is_none() {
        let records = page();
        let glm = find(&records, "z-ai/glm-4.5");
        assert_eq!(glm.expires_at.as_deref(), Some("2026-12-31"));
        assert_eq!(glm.knowledge_cutoff.as_deref(), Some("2024-12-31"));
        assert_eq!(glm.hugging_face_id.as_deref(), Some("zai-org/GLM-4.5"));
        assert_eq!(
            (
                price(glm.price_input),
                price(glm.price_output),
                price(glm.price_cache_read)
            ),
            (Some("0.6".into()), Some("2.2".into()), Some("0.11".into()))
        );
        // `2098-12-31` in the listing.
        assert_eq!(find(&records, "z-ai/glm-5-turbo").expires_at, None);
        assert_eq!(find(&records, "z-ai/glm-5v-turbo").expires_at, None);
        let expiring = records.iter().filter(|r| r.expires_at.is_some()).count();
        assert_eq!(expiring, 2);
        let with_cutoff = records.iter().filter(|r| r.knowledge_cutoff.is_some()).count();
        assert_eq!(with_cutoff, 194);
    }

    #[test]
    fn modalities_are_written_in_the_vocabulary() {
        let records = page();
        let mut raw: Vec<String> = listing()
            .iter()
            .flat_map(|m| {
                let a = &m["architecture"];
                let inputs = a["input_modalities"].as_array().unwrap().clone();
                inputs
                    .into_iter()
                    .chain(a["output_modalities"].as_array().unwrap().clone())
            })
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        raw.sort();
        raw.dedup();
        assert_eq!(
            raw,
            [
                "audio",
                "embeddings",
                "file",
                "image",
                "rerank",
                "speech",
                "text",
                "transcription",
                "video"
            ]
        );
        let vocabulary = ["text", "image", "audio", "video", "embeddings"];
        for r in &records {
            for m in r.input_modalities.iter().chain(r.output_modalities.iter()) {
                assert!(vocabulary.contains(&&*m), "{}: {m}", r.id);
            }
        }
        let embed = find(&records, "openai/text-embedding-3-small");
        assert_eq!(embed.output_modalities, ["embeddings"]);
        assert_eq!(embed.task.as_deref(), Some("feature-extraction"));
        assert_eq!(price(embed.price_input).as_deref(), Some("0.02"));
        assert_eq!(price(embed.price_output).as_deref(), Some("0"));
    }

    #[test]
    fn owner_is_the_id_prefix_without_the_alias_tilde() {
        let records = page();
        let alias = find(&records, "~openai/gpt-latest");
        assert_eq!(alias.owned_by.as_deref(), Some("openai"));
        assert!(records.iter().all(|r| r.owned_by.is_some()));
    }

    #[test]
    fn hugging_face_ids_are_kept_and_empty_ones_are_unknown() {
        let records = page();
        let remm = find(&records, "undi95/remm-slerp-l2-13b");
        assert_eq!(remm.hugging_face_id.as_deref(), Some("Undi95/ReMM-SLERP-L2-13B"));
        // `""` in the listing.
        assert_eq!(find(&records, "anthropic/claude-sonnet-4").hugging_face_id, None);
        // `null` in the listing.
        assert_eq!(find(&records, "openai/gpt-4o").hugging_face_id, None);
        let with_hf = records.iter().filter(|r| r.hugging_face_id.is_some()).count();
        assert_eq!(with_hf, 190);
    }

    #[test]
    fn model_context_wins_over_the_top_provider_and_null_or_zero_limits_are_unknown() {
        let records = page();
        // The model's own window (1M) is larger than its top provider's (200k).
        assert_eq!(
            find(&records, "anthropic/claude-sonnet-4").context_length,
            Some(1_000_000)
        );
        // 177 `null` plus the two Seedream image models' `0`.
        let no_limit = records.iter().filter(|r| r.max_output_tokens.is_none()).count();
        assert_eq!(no_limit, 179);
        assert_eq!(
            find(&records, "bytedance-seed/seedream-5-0-lite").max_output_tokens,
            None
        );
        // Audio, image and video models list a context of 0.
        let no_context = records.iter().filter(|r| r.context_length.is_none()).count();
        assert_eq!(no_context, 54);
        let whisper = find(&records, "openai/whisper-1");
        assert_eq!((whisper.context_length, whisper.max_output_tokens), (None, None));
    }

    /// Hand-made: no recording has a `request` price, an `image_token` without
    /// `image_output`, a `"-1"` outside `prompt`/`completion` or a `discount`.
    #[test]
    fn keys_the_recording_lacks_land_in_their_units_too() {
        let body = br#"{"data":[
            {"id":"a/per-request","pricing":{"prompt":"0.000001","completion":"0.000002","request":"0.005","web_search":"-1","discount":0.5}},
            {"id":"a/image-tokens","architecture":{"input_modalities":["text"],"output_modalities":["image"]},
             "pricing":{"prompt":"0","completion":"0","image_token":"0.00004"}},
            {"id":"a/no-price","architecture":{"output_modalities":["image"]},"pricing":{"prompt":"0","completion":"0","image":"0"}},
            {"id":"a/far","expiration_date":"9999-12-31","knowledge_cutoff":""}
        ]}"#;
        let page = parse(body, &ctx()).unwrap();
        let [req, img, none, far] = &page.records[..] else {
            panic!()
        };
        assert_eq!(price(req.price_input).as_deref(), Some("1"));
        assert_eq!(price(req.price_output).as_deref(), Some("2"));
        // The undiscounted price; `"-1"` is unknown.
        assert_eq!(req.price_other.to_string(), "request=0.005");
        assert_eq!(img.price_other.to_string(), "image_output_tokens=40");
        assert!(!img.is_free());
        // Image output at 0 and nothing else: priced in a unit not listed.
        assert_eq!((none.price_input, none.price_output), (None, None));
        assert!(none.price_other.is_empty());
        assert_eq!(
            (far.expires_at.as_deref(), far.knowledge_cutoff.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn a_model_with_a_wrong_typed_field_is_skipped_and_counted() {
        let body = br#"{"data":[{"id":"a/b","context_length":"big"},{"id":"~c/d","created":0,"pricing":{"prompt":"0.000001","completion":"-1"}}]}"#;
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.records.len(), page.skipped), (1, 1));
        let r = &page.records[0];
        assert_eq!(r.owned_by.as_deref(), Some("c"));
        assert_eq!(r.created, None);
        assert_eq!(price(r.price_input).as_deref(), Some("1"));
        assert_eq!(r.price_output, None);
    }
}
