//! DeepInfra `GET /v1/openai/models`: an OpenAI-style list whose facts live in a
//! `metadata` object (`null` for non-LLM models such as image or embedding
//! models). Prices are USD per 1M tokens, as floats with binary noise
//! (`2.5999999999999996`); `created` is always `0`.

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

/// Parses one page of DeepInfra's OpenAI-compatible listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        if let Some(meta) = m.metadata {
            r.context_length = tokens(meta.context_length);
            r.max_output_tokens = tokens(meta.max_tokens);
            if let Some(p) = meta.pricing {
                r.price_input = per_million(p.input_tokens);
                r.price_output = per_million(p.output_tokens);
                r.price_cache_read = per_million(p.cache_read_tokens);
            }
            r.tags = meta.tags.unwrap_or_default();
        }
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Timestamp};

    fn ctx(hf_ids: bool) -> ParseCtx {
        ParseCtx {
            hf_ids,
            ..ParseCtx::new(
                "deepinfra",
                "https://api.deepinfra.com/v1/openai/models",
                Timestamp(0),
            )
        }
    }

    fn page() -> Vec<Record> {
        let body = include_bytes!("../../tests/fixtures/deepinfra-openai-models.json");
        let page = parse(body, &ctx(true)).unwrap();
        assert_eq!((page.items, page.skipped), (154, 0));
        page.records
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    #[test]
    fn all_154_models_are_read_and_66_without_metadata_have_no_facts() {
        let records = page();
        assert_eq!(records.len(), 154);
        let bare: Vec<&Record> = records.iter().filter(|r| r.context_length.is_none()).collect();
        assert_eq!(bare.len(), 66);
        assert!(bare
            .iter()
            .all(|r| r.price_input.is_none() && r.max_output_tokens.is_none() && r.tags.is_empty()));
        let embed = find(&records, "intfloat/multilingual-e5-large-instruct");
        assert_eq!(embed.price_input, None);
        assert_eq!(
            embed.hugging_face_id.as_deref(),
            Some("intfloat/multilingual-e5-large-instruct")
        );
        // `created` is always 0 in this listing: unknown, not 1970.
        assert!(records.iter().all(|r| r.created.is_none()));
        assert!(records.iter().all(|r| r.owned_by.as_deref() == Some("deepinfra")));
    }

    #[test]
    fn metadata_gives_context_output_limit_prices_and_tags() {
        let records = page();
        let glm = find(&records, "zai-org/GLM-4.7");
        assert_eq!(
            (glm.context_length, glm.max_output_tokens),
            (Some(202_752), Some(202_752))
        );
        assert_eq!(price(glm.price_input).as_deref(), Some("0.4"));
        assert_eq!(price(glm.price_output).as_deref(), Some("1.75"));
        assert_eq!(price(glm.price_cache_read).as_deref(), Some("0.08"));
        assert_eq!(glm.tags, ["prompt_cache", "reasoning"]);
        assert_eq!(glm.hugging_face_id.as_deref(), Some("zai-org/GLM-4.7"));

        let gemini = find(&records, "google/gemini-2.5-pro");
        assert_eq!(gemini.context_length, Some(1_000_000));
        assert_eq!(price(gemini.price_input).as_deref(), Some("1.25"));
        assert_eq!(price(gemini.price_output).as_deref(), Some("10"));
        assert_eq!(gemini.price_cache_read, None);
    }

    #[test]
    fn float_noise_in_prices_is_rounded_away() {
        let records = page();
        // 2.5999999999999996 in the listing.
        let qwen = find(&records, "Qwen/Qwen3.5-27B");
        assert_eq!(price(qwen.price_input).as_deref(), Some("0.26"));
        assert_eq!(price(qwen.price_output).as_deref(), Some("2.6"));
        assert_eq!(qwen.tags, ["vision", "reasoning_effort"]);
        // 0.12000000000000001 and 0.38999999999999996.
        let qwen25 = find(&records, "Qwen/Qwen2.5-72B-Instruct");
        assert_eq!(price(qwen25.price_input).as_deref(), Some("0.12"));
        assert_eq!(price(qwen25.price_output).as_deref(), Some("0.39"));
        // 0.7899999999999999 and 0.33000000000000007.
        let v31 = find(&records, "deepseek-ai/DeepSeek-V3.1");
        assert_eq!(price(v31.price_output).as_deref(), Some("0.79"));
        let sonnet = find(&records, "anthropic/claude-3-7-sonnet-latest");
        assert_eq!(price(sonnet.price_input).as_deref(), Some("3.3"));
        assert_eq!(price(sonnet.price_cache_read).as_deref(), Some("0.33"));
    }

    #[test]
    fn single_precision_artifacts_are_the_vendors_round_prices() {
        let records = page();
        // 0.029999999700000002 and 0.13000000020000002: a float32 0.03 and
        // 0.13 (the prices models.dev and the vendors' pages state).
        let minimax = find(&records, "MiniMaxAI/MiniMax-M2.5");
        assert_eq!(price(minimax.price_cache_read).as_deref(), Some("0.03"));
        let v31 = find(&records, "deepseek-ai/DeepSeek-V3.1");
        assert_eq!(price(v31.price_cache_read).as_deref(), Some("0.13"));
    }

    #[test]
    fn ids_are_hugging_face_ids_only_when_the_table_says_so() {
        let body = br#"{"object":"list","data":[{"id":"meta-llama/Llama-3.3-70B-Instruct","created":0,"metadata":null}]}"#;
        let page = parse(body, &ctx(false)).unwrap();
        assert_eq!(page.records[0].hugging_face_id, None);
        let page = parse(body, &ctx(true)).unwrap();
        assert_eq!(
            page.records[0].hugging_face_id.as_deref(),
            Some("meta-llama/Llama-3.3-70B-Instruct")
        );
    }
}
