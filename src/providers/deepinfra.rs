//! DeepInfra `GET /v1/openai/models`: an OpenAI-style list whose facts live in a
//! `metadata` object (`null` for non-LLM models such as image or embedding
//! models). Prices are USD per 1M tokens, as floats with binary noise
//! (`2.5999999999999996`); `created` is always `0` and `owned_by` always
//! `"deepinfra"` (the table clears it: it is the host, not the owner).
//!
//! `metadata.max_tokens` is the context window, not an output limit: it equals
//! `context_length` in every model that has both (78 of 78 in the recorded
//! listing, 88 of 88 in the older one). The listing states no output limit.

use serde::Deserialize;

use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, StrList};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    owned_by: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    pricing: Option<Pricing>,
    #[serde(default)]
    tags: Option<StrList>,
}

#[derive(Deserialize)]
struct Pricing {
    #[serde(default)]
    input_tokens: Option<f64>,
    #[serde(default)]
    output_tokens: Option<f64>,
    #[serde(default)]
    cache_read_tokens: Option<f64>,
}

/// USD per 1M tokens with the float noise rounded away.
fn per_million(value: Option<f64>) -> Option<Price> {
    value.and_then(|v| Price::from_f64(v, 0))
}

/// The capability a `metadata.tags` entry states, if it is one.
///
/// `reasoning_effort` is not `reasoning`: it says the request accepts that
/// parameter, and the listing gives it to models that do not think
/// (`google/gemini-1.5-flash`, `Qwen/Qwen3-235B-A22B-Instruct-2507`,
/// `Qwen/Qwen3-Next-80B-A3B-Instruct`); it stays a tag only.
fn capability(tag: &str) -> Option<&'static str> {
    match tag {
        "prompt_cache" => Some("prompt_caching"),
        "reasoning" => Some("reasoning"),
        _ => None,
    }
}

/// `fp8` for an id that names its weights' format (`...-Instruct-FP8`).
fn quantization(id: &str) -> Option<CompactString> {
    let (_, suffix) = id.rsplit_once('-')?;
    suffix.eq_ignore_ascii_case("fp8").then(|| "fp8".into())
}

/// Parses one page of DeepInfra's OpenAI-compatible listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        r.quantization = quantization(&r.id);
        // Without metadata (image, embedding and other non-LLM models) the
        // listing states nothing but the id: no task, no modality, no price.
        let Some(meta) = m.metadata else {
            return Some(r);
        };
        // `metadata` is what DeepInfra gives its text-generation models, which
        // it serves through this OpenAI-compatible chat API: text in, text out.
        r.task = Some("text-generation".into());
        r.context_length = tokens(meta.context_length).or(tokens(meta.max_tokens));
        let tags = meta.tags.unwrap_or_default();
        r.input_modalities = if tags.iter().any(|t| t == "vision") {
            ["text", "image"].into_iter().collect()
        } else {
            ["text"].into_iter().collect()
        };
        r.output_modalities = ["text"].into_iter().collect();
        r.capabilities = tags.iter().filter_map(|t| capability(&t)).collect();
        if let Some(p) = meta.pricing {
            r.price_input = per_million(p.input_tokens);
            r.price_output = per_million(p.output_tokens);
            r.price_cache_read = per_million(p.cache_read_tokens);
        }
        r.tags = tags;
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::providers::{builtin, Shape};
    use crate::record::{Record, Timestamp};

    /// The context a harvest builds from the built-in table's entry.
    fn ctx() -> ParseCtx {
        let spec = builtin().into_iter().find(|p| p.name == "deepinfra").unwrap();
        ParseCtx {
            hf_ids: spec.hf_ids,
            unreliable: Arc::from(spec.unreliable.as_slice()),
            ..ParseCtx::new("deepinfra", spec.url.as_str(), Timestamp(0))
        }
    }

    const RECORDED: &[u8] = include_bytes!("../../tests/fixtures/deepinfra-43f6582.json");

    fn recorded() -> Vec<Record> {
        let page = Shape::Deepinfra.parse(RECORDED, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (142, 0));
        page.records
    }

    /// The recorded payload's model objects, by id.
    fn payload(id: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(RECORDED).unwrap();
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()
            .clone()
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    #[test]
    fn the_recorded_listing_has_142_models_78_with_metadata() {
        let records = recorded();
        assert_eq!(records.len(), 142);
        let llms = records.iter().filter(|r| r.task.is_some()).count();
        assert_eq!(llms, 78);
        // `created` is always 0 and `owned_by` always "deepinfra" (also on
        // anthropic/claude-4-opus): both unknown.
        assert!(records
            .iter()
            .all(|r| r.created.is_none() && r.owned_by.is_none()));
    }

    #[test]
    fn deepinfra_max_tokens_is_the_context_window_not_an_output_limit() {
        let records = recorded();
        let v: serde_json::Value = serde_json::from_slice(RECORDED).unwrap();
        let mut both = 0;
        for m in v["data"].as_array().unwrap() {
            let meta = &m["metadata"];
            if meta["context_length"].is_u64() && meta["max_tokens"].is_u64() {
                both += 1;
                assert_eq!(meta["context_length"], meta["max_tokens"], "{}", m["id"]);
            }
        }
        assert_eq!(both, 78);
        assert!(records.iter().all(|r| r.max_output_tokens.is_none()));
        let glm = find(&records, "zai-org/GLM-4.7");
        assert_eq!((glm.context_length, glm.max_output_tokens), (Some(202_752), None));
    }

    #[test]
    fn glm_4_7_field_by_field() {
        let records = recorded();
        let r = find(&records, "zai-org/GLM-4.7");
        assert_eq!(r.name, None);
        assert_eq!(r.owned_by, None);
        assert_eq!(r.created, None);
        assert_eq!(r.context_length, Some(202_752));
        assert_eq!(r.max_output_tokens, None);
        assert_eq!(r.input_modalities, ["text"]);
        assert_eq!(r.output_modalities, ["text"]);
        assert_eq!(r.task.as_deref(), Some("text-generation"));
        assert_eq!(price(r.price_input).as_deref(), Some("0.4"));
        assert_eq!(price(r.price_output).as_deref(), Some("1.75"));
        // 0.08000000000000002 in the listing.
        assert_eq!(price(r.price_cache_read).as_deref(), Some("0.08"));
        assert_eq!(r.price_cache_write, None);
        assert!(r.price_other.is_empty());
        assert_eq!(r.capabilities, ["prompt_caching"]);
        assert_eq!(r.tags, ["prompt_cache"]);
        assert_eq!(r.hugging_face_id.as_deref(), Some("zai-org/GLM-4.7"));
        assert_eq!(r.quantization, None);
        assert_eq!((r.knowledge_cutoff.as_ref(), r.expires_at.as_ref()), (None, None));
    }

    #[test]
    fn vision_models_read_images_field_by_field() {
        let records = recorded();
        let r = find(&records, "Qwen/Qwen3-VL-235B-A22B-Instruct");
        assert_eq!(
            (r.name.as_ref(), r.owned_by.as_ref(), r.created),
            (None, None, None)
        );
        assert_eq!((r.context_length, r.max_output_tokens), (Some(262_144), None));
        assert_eq!(r.input_modalities, ["text", "image"]);
        assert_eq!(r.output_modalities, ["text"]);
        assert_eq!(r.task.as_deref(), Some("text-generation"));
        assert_eq!(price(r.price_input).as_deref(), Some("0.2"));
        // 0.8799999999999999 and 0.11000000000000001.
        assert_eq!(price(r.price_output).as_deref(), Some("0.88"));
        assert_eq!(price(r.price_cache_read).as_deref(), Some("0.11"));
        assert_eq!((r.price_cache_write, r.price_other.is_empty()), (None, true));
        // An Instruct (non-thinking) model tagged `reasoning_effort`: not `reasoning`.
        assert_eq!(r.capabilities, ["prompt_caching"]);
        assert_eq!(r.tags, ["vision", "prompt_cache", "reasoning_effort"]);
        assert_eq!(
            r.hugging_face_id.as_deref(),
            Some("Qwen/Qwen3-VL-235B-A22B-Instruct")
        );
        assert_eq!(r.quantization, None);

        let m = find(&records, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8");
        assert_eq!((m.context_length, m.max_output_tokens), (Some(1_048_576), None));
        assert_eq!(m.input_modalities, ["text", "image"]);
        assert_eq!(m.output_modalities, ["text"]);
        assert_eq!(m.task.as_deref(), Some("text-generation"));
        assert_eq!(price(m.price_input).as_deref(), Some("0.15"));
        assert_eq!(price(m.price_output).as_deref(), Some("0.6"));
        assert_eq!(m.price_cache_read, None);
        assert!(m.capabilities.is_empty());
        assert_eq!(m.tags, ["vision"]);
        // The id names the weights' format.
        assert_eq!(m.quantization.as_deref(), Some("fp8"));

        let vision = records
            .iter()
            .filter(|r| r.input_modalities.iter().any(|m| m == "image"))
            .count();
        assert_eq!(vision, 26);
    }

    #[test]
    fn proxied_closed_models_field_by_field() {
        let records = recorded();
        let g = find(&records, "google/gemini-2.5-pro");
        assert_eq!((g.owned_by.as_ref(), g.created), (None, None));
        assert_eq!((g.context_length, g.max_output_tokens), (Some(1_000_000), None));
        assert_eq!(g.input_modalities, ["text", "image"]);
        assert_eq!(g.output_modalities, ["text"]);
        assert_eq!(g.task.as_deref(), Some("text-generation"));
        assert_eq!(price(g.price_input).as_deref(), Some("1.25"));
        assert_eq!(price(g.price_output).as_deref(), Some("10"));
        assert_eq!((g.price_cache_read, g.price_cache_write), (None, None));
        assert!(g.capabilities.is_empty());
        assert_eq!(g.tags, ["vision", "reasoning_effort"]);

        let s = find(&records, "anthropic/claude-3-7-sonnet-latest");
        assert_eq!((s.context_length, s.max_output_tokens), (Some(200_000), None));
        assert_eq!(s.input_modalities, ["text", "image"]);
        // 3.3000000000000003, 16.5 and 0.33000000000000007.
        assert_eq!(price(s.price_input).as_deref(), Some("3.3"));
        assert_eq!(price(s.price_output).as_deref(), Some("16.5"));
        assert_eq!(price(s.price_cache_read).as_deref(), Some("0.33"));
        assert_eq!(s.price_cache_write, None);
        assert_eq!(s.capabilities, ["prompt_caching"]);
    }

    #[test]
    fn float_noise_in_prices_is_rounded_away() {
        let records = recorded();
        // 2.9999999999999996.
        let r1 = find(&records, "deepseek-ai/DeepSeek-R1-0528-Turbo");
        assert_eq!(price(r1.price_input).as_deref(), Some("1"));
        assert_eq!(price(r1.price_output).as_deref(), Some("3"));
        assert_eq!(r1.price_cache_read, None);
        assert!(r1.tags.is_empty() && r1.capabilities.is_empty());
        // 0.12000000000000001 and 0.38999999999999996.
        let qwen25 = find(&records, "Qwen/Qwen2.5-72B-Instruct");
        assert_eq!(price(qwen25.price_input).as_deref(), Some("0.12"));
        assert_eq!(price(qwen25.price_output).as_deref(), Some("0.39"));
        // 0.7899999999999999.
        let v31 = find(&records, "deepseek-ai/DeepSeek-V3.1");
        assert_eq!(price(v31.price_output).as_deref(), Some("0.79"));
    }

    #[test]
    fn single_precision_cache_prices_are_the_vendors_round_prices() {
        let records = recorded();
        let text = std::str::from_utf8(RECORDED).unwrap();
        for (id, raw, cache) in [
            ("MiniMaxAI/MiniMax-M2.5", "0.029999999700000002", "0.03"),
            ("deepseek-ai/DeepSeek-V3.1", "0.1300000002", "0.13"),
            ("Qwen/Qwen3-235B-A22B-Thinking-2507", "0.20000000059999998", "0.2"),
            ("zai-org/GLM-4.6", "0.0799999993", "0.08"),
            ("moonshotai/Kimi-K2.5", "0.070000002", "0.07"),
            ("zai-org/GLM-4.7-Flash", "0.0100000002", "0.01"),
            ("ByteDance/Seed-2.0-mini", "0.020000000000000004", "0.02"),
            ("deepseek-ai/DeepSeek-V3.2", "0.13", "0.13"),
        ] {
            // The digits as the listing writes them, in this model's object.
            let at = text.find(&format!("\"id\": \"{id}\"")).unwrap();
            let object = &text[at..at + text[at..].find("\n    }").unwrap()];
            assert!(
                object.contains(&format!("\"cache_read_tokens\": {raw}\n")),
                "{id}"
            );
            assert_eq!(
                price(find(&records, id).price_cache_read).as_deref(),
                Some(cache),
                "{id}"
            );
        }
        // 0.26 is DeepSeek-V3.2's input price here; the float32 0.260000006
        // is in the older listing (see below).
        let v32 = find(&records, "deepseek-ai/DeepSeek-V3.2");
        assert_eq!(price(v32.price_input).as_deref(), Some("0.26"));
        assert_eq!(price(v32.price_output).as_deref(), Some("0.38"));
    }

    #[test]
    fn models_without_metadata_hold_only_their_id() {
        let records = recorded();
        let bare: Vec<&Record> = records.iter().filter(|r| r.task.is_none()).collect();
        assert_eq!(bare.len(), 64);
        for r in &bare {
            assert_eq!(payload(&r.id)["metadata"], serde_json::Value::Null, "{}", r.id);
            assert!(r.name.is_none() && r.owned_by.is_none() && r.created.is_none());
            assert!(r.context_length.is_none() && r.max_output_tokens.is_none());
            assert!(r.input_modalities.is_empty() && r.output_modalities.is_empty());
            assert!(r.price_input.is_none() && r.price_output.is_none());
            assert!(r.price_cache_read.is_none() && r.price_cache_write.is_none());
            assert!(r.price_other.is_empty() && r.capabilities.is_empty() && r.tags.is_empty());
        }
        // An embedder and an image generator: the id (a repository id) only.
        let bge = find(&records, "BAAI/bge-m3");
        assert_eq!(bge.hugging_face_id.as_deref(), Some("BAAI/bge-m3"));
        assert_eq!((bge.task.as_ref(), bge.quantization.as_ref()), (None, None));
        let flux = find(&records, "black-forest-labs/FLUX-1-dev");
        assert_eq!(
            flux.hugging_face_id.as_deref(),
            Some("black-forest-labs/FLUX-1-dev")
        );
        assert_eq!(flux.task, None);
    }

    #[test]
    fn a_zero_price_is_only_written_where_the_listing_states_zero() {
        let records = recorded();
        let mut free = 0;
        for r in &records {
            if r.is_free() {
                free += 1;
                let p = &payload(&r.id)["metadata"]["pricing"];
                assert_eq!(p["input_tokens"].as_f64(), Some(0.0), "{}", r.id);
                assert_eq!(p["output_tokens"].as_f64(), Some(0.0), "{}", r.id);
            }
        }
        // No model of this listing is free.
        assert_eq!(free, 0);
    }

    /// The older listing (154 models), kept because it has what the recording
    /// lacks: the `reasoning` tag and the float32 cache price 0.260000006.
    #[test]
    fn the_reasoning_tag_is_reasoning_and_reasoning_effort_is_not() {
        let body = include_bytes!("../../tests/fixtures/deepinfra-openai-models.json");
        let page = Shape::Deepinfra.parse(body, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (154, 0));
        let records = page.records;
        assert!(records.iter().all(|r| r.max_output_tokens.is_none()));
        let glm = find(&records, "zai-org/GLM-4.7");
        assert_eq!((glm.context_length, glm.max_output_tokens), (Some(202_752), None));
        assert_eq!(glm.capabilities, ["prompt_caching", "reasoning"]);
        assert_eq!(price(glm.price_cache_read).as_deref(), Some("0.08"));
        let glm51 = find(&records, "zai-org/GLM-5.1");
        assert_eq!(price(glm51.price_cache_read).as_deref(), Some("0.26"));
        // Tagged `reasoning_effort` only: Gemini 1.5 Flash does not think.
        let flash = find(&records, "google/gemini-1.5-flash");
        assert_eq!(flash.tags, ["vision", "reasoning_effort"]);
        assert!(flash.capabilities.is_empty());
        let vision = records
            .iter()
            .filter(|r| r.input_modalities.iter().any(|m| m == "image"))
            .count();
        assert_eq!(vision, 37);
        let reasoning = records
            .iter()
            .filter(|r| r.capabilities.iter().any(|c| c == "reasoning"))
            .count();
        assert_eq!(reasoning, 32);
    }

    #[test]
    fn ids_are_hugging_face_ids_only_when_the_table_says_so() {
        let body = br#"{"object":"list","data":[{"id":"meta-llama/Llama-3.3-70B-Instruct","created":0,"metadata":null}]}"#;
        let page = parse(
            body,
            &ParseCtx {
                hf_ids: false,
                ..ctx()
            },
        )
        .unwrap();
        assert_eq!(page.records[0].hugging_face_id, None);
        let page = parse(body, &ctx()).unwrap();
        assert_eq!(
            page.records[0].hugging_face_id.as_deref(),
            Some("meta-llama/Llama-3.3-70B-Instruct")
        );
    }
}
