//! Novita `GET /openai/v1/models`: `{"data":[...]}` whose prices are integers
//! in units of 0.0001 USD per 1M tokens (`3900` is $0.39) and whose owner is
//! the placeholder `"unknown"` (unknown).
//!
//! `max_output_tokens` is the listing's own output limit, not a copy of the
//! context: in the recorded listing it differs from `context_size` in 30 of 50
//! models (16,000 of 123,000, 65,536 of 262,144, ...) and equals it in 20,
//! where the whole window may be generated. Three models state an output limit
//! larger than their context window (32,000 of 4,096), which no request can
//! reach: there the limit is unknown.

use serde::Deserialize;

use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, StrList};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    title: Option<CompactString>,
    #[serde(default)]
    display_name: Option<CompactString>,
    #[serde(default)]
    owned_by: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    context_size: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(default)]
    input_token_price_per_m: Option<f64>,
    #[serde(default)]
    output_token_price_per_m: Option<f64>,
    #[serde(default)]
    cached_input_token_price_per_m: Option<f64>,
    #[serde(default)]
    tags: Option<StrList>,
    #[serde(default)]
    features: Option<StrList>,
    #[serde(default)]
    input_modalities: Option<StrList>,
    #[serde(default)]
    output_modalities: Option<StrList>,
    #[serde(default)]
    model_type: Option<CompactString>,
}

/// Units of 0.0001 USD per 1M tokens to USD per 1M tokens.
fn ten_thousandths(value: Option<f64>) -> Option<Price> {
    value.and_then(|v| Price::from_f64(v, -4))
}

/// The task a `model_type` names.
fn task(model_type: &str) -> Option<&'static str> {
    match model_type {
        "chat" => Some("text-generation"),
        "embedding" => Some("feature-extraction"),
        "rerank" => Some("text-ranking"),
        _ => None,
    }
}

/// The capability a `features` entry states (`vision` is an input modality).
fn capability(feature: &str) -> Option<&'static str> {
    match feature {
        "function-calling" => Some("tools"),
        "structured-outputs" => Some("structured_outputs"),
        _ => None,
    }
}

/// A modality in the record's spelling.
fn modality(name: &str) -> &str {
    match name {
        "speech" => "audio",
        other => other,
    }
}

/// `fp8` for an id that names its weights' format (`qwen/qwen3-32b-fp8`).
fn quantization(id: &str) -> Option<CompactString> {
    let (_, suffix) = id.rsplit_once('-')?;
    suffix.eq_ignore_ascii_case("fp8").then(|| "fp8".into())
}

/// Parses Novita's model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.name = text(m.display_name).or(text(m.title));
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        r.quantization = quantization(&r.id);
        r.context_length = tokens(m.context_size);
        r.max_output_tokens =
            tokens(m.max_output_tokens).filter(|out| r.context_length.is_none_or(|context| *out <= context));
        let chat = m.model_type.as_deref() == Some("chat");
        r.task = m.model_type.as_deref().and_then(task).map(Into::into);
        let features = m.features.unwrap_or_default();
        let vision = features.iter().any(|f| f == "vision");
        // A chat model reads and writes text; `vision` adds images.
        let mut input: Vec<String> = match m.input_modalities {
            Some(list) => list.iter().map(|s| modality(&s).to_owned()).collect(),
            None if chat => vec!["text".into()],
            None => Vec::new(),
        };
        if vision && !input.iter().any(|s| s == "image") {
            if input.is_empty() {
                input.push("text".into());
            }
            input.push("image".into());
        }
        r.input_modalities = input.into_iter().collect();
        r.output_modalities = match m.output_modalities {
            Some(list) => list.iter().map(|s| modality(&s).to_owned()).collect(),
            None if chat => ["text"].into_iter().collect(),
            None => StrList::new(),
        };
        r.capabilities = features.iter().filter_map(|f| capability(&f)).collect();
        r.price_input = ten_thousandths(m.input_token_price_per_m);
        r.price_output = ten_thousandths(m.output_token_price_per_m);
        r.price_cache_read = ten_thousandths(m.cached_input_token_price_per_m);
        r.tags = m.tags.unwrap_or_default();
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Timestamp};

    fn ctx() -> ParseCtx {
        ParseCtx::new("novita", "https://api.novita.ai/openai/v1/models", Timestamp(0))
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    const RECORDED: &[u8] = include_bytes!("../../tests/fixtures/novita-87b0af4.json");

    fn recorded() -> Vec<Record> {
        let page = super::super::Shape::Novita.parse(RECORDED, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (50, 0));
        page.records
    }

    fn payload() -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_slice(RECORDED).unwrap();
        v["data"].as_array().unwrap().clone()
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn the_recorded_listing_has_50_chat_models() {
        let records = recorded();
        assert_eq!(records.len(), 50);
        assert!(records
            .iter()
            .all(|r| r.task.as_deref() == Some("text-generation")));
        assert!(records.iter().all(|r| r.output_modalities == ["text"]));
        // `owned_by` is "unknown" in all 50; `created` is a real time in each.
        assert!(records
            .iter()
            .all(|r| r.owned_by.is_none() && r.created.is_some()));
        assert!(records.iter().all(|r| r.hugging_face_id.is_none()));
    }

    #[test]
    fn deepseek_v3_0324_field_by_field() {
        let records = recorded();
        let r = find(&records, "deepseek/deepseek-v3-0324");
        assert_eq!(r.name.as_deref(), Some("DeepSeek V3 0324"));
        assert_eq!(r.owned_by, None);
        assert_eq!(r.created.unwrap().0, 1_742_909_352);
        // The output limit the listing states is the whole window.
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(163_840), Some(163_840))
        );
        assert_eq!(r.input_modalities, ["text"]);
        assert_eq!(r.output_modalities, ["text"]);
        assert_eq!(r.task.as_deref(), Some("text-generation"));
        // 2800 and 11400 ten-thousandths of a dollar per 1M.
        assert_eq!(price(r.price_input).as_deref(), Some("0.28"));
        assert_eq!(price(r.price_output).as_deref(), Some("1.14"));
        assert_eq!((r.price_cache_read, r.price_cache_write), (None, None));
        assert!(r.price_other.is_empty());
        assert_eq!(r.capabilities, ["tools"]);
        assert!(r.tags.is_empty());
        assert_eq!(
            (r.hugging_face_id.as_ref(), r.quantization.as_ref()),
            (None, None)
        );
        assert_eq!((r.knowledge_cutoff.as_ref(), r.expires_at.as_ref()), (None, None));
    }

    #[test]
    fn a_smaller_output_limit_and_both_capabilities_field_by_field() {
        let records = recorded();
        let r = find(&records, "qwen/qwen3-coder-480b-a35b-instruct");
        assert_eq!(r.name.as_deref(), Some("Qwen3 Coder 480B A35B Instruct"));
        assert_eq!(r.created.unwrap().0, 1_753_233_789);
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(262_144), Some(65_536))
        );
        assert_eq!(r.input_modalities, ["text"]);
        assert_eq!(price(r.price_input).as_deref(), Some("2"));
        assert_eq!(price(r.price_output).as_deref(), Some("2"));
        assert_eq!(r.price_cache_read, None);
        assert_eq!(r.capabilities, ["tools", "structured_outputs"]);

        let l = find(&records, "meta-llama/llama-3.3-70b-instruct");
        assert_eq!(l.name.as_deref(), Some("Llama 3.3 70B Instruct"));
        assert_eq!(l.created.unwrap().0, 1_733_560_109);
        assert_eq!(
            (l.context_length, l.max_output_tokens),
            (Some(131_072), Some(120_000))
        );
        assert_eq!(price(l.price_input).as_deref(), Some("0.13"));
        assert_eq!(price(l.price_output).as_deref(), Some("0.39"));
        assert_eq!(l.capabilities, ["tools"]);
    }

    #[test]
    fn vision_is_image_input_field_by_field() {
        let records = recorded();
        let r = find(&records, "baidu/ernie-4.5-vl-424b-a47b");
        assert_eq!(r.name.as_deref(), Some("ERNIE 4.5 VL 424B A47B"));
        assert_eq!(r.created.unwrap().0, 1_751_258_620);
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(123_000), Some(16_000))
        );
        assert_eq!(r.input_modalities, ["text", "image"]);
        assert_eq!(r.output_modalities, ["text"]);
        assert_eq!(price(r.price_input).as_deref(), Some("0.42"));
        assert_eq!(price(r.price_output).as_deref(), Some("1.25"));
        assert_eq!(r.capabilities, ["tools"]);

        let g = find(&records, "google/gemma-3-27b-it");
        assert_eq!(g.name.as_deref(), Some("Gemma 3 27B"));
        assert_eq!(g.input_modalities, ["text", "image"]);
        assert_eq!(price(g.price_input).as_deref(), Some("0.119"));
        assert_eq!(price(g.price_output).as_deref(), Some("0.2"));
        assert_eq!(g.capabilities, ["structured_outputs"]);

        let vision = records.iter().filter(|r| r.input_modalities.len() == 2).count();
        assert_eq!(vision, 7);
    }

    #[test]
    fn an_fp8_id_states_its_quantization_field_by_field() {
        let records = recorded();
        let r = find(&records, "qwen/qwen3-30b-a3b-fp8");
        assert_eq!(r.name.as_deref(), Some("Qwen3 30B A3B"));
        assert_eq!(r.created.unwrap().0, 1_745_897_181);
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(40_960), Some(20_000))
        );
        assert_eq!(r.input_modalities, ["text"]);
        assert_eq!(price(r.price_input).as_deref(), Some("0.1"));
        assert_eq!(price(r.price_output).as_deref(), Some("0.45"));
        // No `features`: nothing stated.
        assert!(r.capabilities.is_empty());
        assert_eq!(r.quantization.as_deref(), Some("fp8"));
        let fp8 = records.iter().filter(|r| r.quantization.is_some()).count();
        assert_eq!(fp8, 6);
    }

    #[test]
    fn an_output_limit_beyond_the_context_is_unknown() {
        let records = recorded();
        let g = find(&records, "google/gemma-3-1b-it");
        assert_eq!(g.name.as_deref(), Some("Gemma3 1B IT"));
        // 131072 of a 32768 window in the listing.
        assert_eq!((g.context_length, g.max_output_tokens), (Some(32_768), None));
        assert_eq!(price(g.price_input).as_deref(), Some("0"));
        assert_eq!(price(g.price_output).as_deref(), Some("0"));
        let m = find(&records, "gryphe/mythomax-l2-13b");
        assert_eq!((m.context_length, m.max_output_tokens), (Some(4096), None));
        let beyond: Vec<&str> = records
            .iter()
            .filter(|r| r.max_output_tokens.is_none())
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            beyond,
            [
                "Sao10K/L3-8B-Stheno-v3.2",
                "gryphe/mythomax-l2-13b",
                "google/gemma-3-1b-it"
            ]
        );
        // Equal to the context in 20 models: kept, the listing's own limit.
        let equal = records
            .iter()
            .filter(|r| r.max_output_tokens.is_some() && r.max_output_tokens == r.context_length)
            .count();
        assert_eq!(equal, 20);
    }

    #[test]
    fn zero_prices_are_free_per_the_listing() {
        let records = recorded();
        let payload = payload();
        let mut free = Vec::new();
        for r in &records {
            if r.is_free() {
                let m = payload.iter().find(|m| m["id"] == r.id.as_str()).unwrap();
                assert_eq!(m["input_token_price_per_m"], 0, "{}", r.id);
                assert_eq!(m["output_token_price_per_m"], 0, "{}", r.id);
                assert_eq!(m["status"], 1, "{}", r.id);
                free.push(r.id.as_str());
            }
        }
        assert_eq!(
            free,
            [
                "baidu/ernie-4.5-vl-28b-a3b",
                "baidu/ernie-4.5-21B-a3b",
                "baidu/ernie-4.5-0.3b",
                "google/gemma-3-1b-it",
                "qwen/qwen3-4b-fp8",
                "qwen/qwen2.5-7b-instruct",
                "meta-llama/llama-3.2-1b-instruct"
            ]
        );
    }

    /// The older real excerpt, kept for what the full list lacks: non-empty
    /// `tags`, no `display_name` (the name falls back to `title`) and no
    /// `model_type` (task and modalities unknown).
    #[test]
    fn real_excerpt_prices_are_ten_thousandths_of_a_dollar_per_million() {
        let body = include_bytes!("../../tests/fixtures/novita-models-excerpt.json");
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.records.len(), page.skipped), (5, 0));
        let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "meta-llama/llama-3-8b-instruct",
                "meta-llama/llama-3-70b-instruct",
                "meta-llama/llama-3.1-405b-instruct",
                "google/gemma-2-9b-it",
                "Nous-Hermes-2-Mixtral-8x7B-DPO"
            ]
        );
        let prices: Vec<_> = page
            .records
            .iter()
            .map(|r| (price(r.price_input).unwrap(), price(r.price_output).unwrap()))
            .collect();
        assert_eq!(
            prices,
            [
                ("0.063".into(), "0.063".into()),
                ("0.55".into(), "0.76".into()),
                ("3".into(), "5".into()),
                ("0.08".into(), "0.08".into()),
                ("0.27".into(), "0.27".into())
            ]
        );
        assert!(page.records.iter().all(|r| r.price_cache_read.is_none()));
    }

    #[test]
    fn real_excerpt_fields_are_normalized() {
        let body = include_bytes!("../../tests/fixtures/novita-models-excerpt.json");
        let page = parse(body, &ctx()).unwrap();
        let big = &page.records[2];
        assert_eq!(big.name.as_deref(), Some("meta-llama/llama-3.1-405b-instruct"));
        // "unknown" in the listing.
        assert_eq!(big.owned_by, None);
        assert_eq!(big.created.unwrap().0, 1_721_789_620);
        assert_eq!(big.context_length, Some(32_768));
        assert_eq!(big.max_output_tokens, None);
        assert_eq!(big.tags, ["HOT", "UNCENSORED"]);
        assert_eq!(
            (big.task.as_deref(), big.hugging_face_id.as_deref()),
            (None, None)
        );
        assert!(big.input_modalities.is_empty() && big.capabilities.is_empty());
        assert_eq!(page.records[0].context_length, Some(8192));
        assert!(page.records[0].tags.is_empty());
    }

    /// Hand-made: no recording has `cached_input_token_price_per_m` or
    /// stated `input_modalities`/`output_modalities`, which newer listings send.
    #[test]
    fn newer_fields_give_name_output_limit_cache_price_modalities_and_task() {
        let body = br#"{"data":[{"id":"meta-llama/llama-3.3-70b-instruct","title":"meta-llama/llama-3.3-70b-instruct","display_name":"Llama 3.3 70B Instruct","owned_by":"unknown","created":1733560109,"context_size":131072,"max_output_tokens":120000,"input_token_price_per_m":3900,"output_token_price_per_m":3900,"cached_input_token_price_per_m":1950,"tags":[],"input_modalities":["text"],"output_modalities":["text"],"model_type":"chat"},{"id":"x/tts","model_type":"tts","input_modalities":["text"],"output_modalities":["speech"],"features":["vision"]}]}"#;
        let page = parse(body, &ctx()).unwrap();
        let r = &page.records[0];
        assert_eq!(r.name.as_deref(), Some("Llama 3.3 70B Instruct"));
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(131_072), Some(120_000))
        );
        assert_eq!(price(r.price_input).as_deref(), Some("0.39"));
        assert_eq!(price(r.price_output).as_deref(), Some("0.39"));
        assert_eq!(price(r.price_cache_read).as_deref(), Some("0.195"));
        assert_eq!(r.input_modalities, ["text"]);
        assert_eq!(r.output_modalities, ["text"]);
        assert_eq!(r.task.as_deref(), Some("text-generation"));
        // A type outside the vocabulary is no task; `speech` is `audio`.
        let tts = &page.records[1];
        assert_eq!(tts.task, None);
        assert_eq!(tts.input_modalities, ["text", "image"]);
        assert_eq!(tts.output_modalities, ["audio"]);
    }
}
