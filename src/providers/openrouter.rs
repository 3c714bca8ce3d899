//! OpenRouter `GET /api/v1/models`: `{"data":[...]}` whose prices are decimal
//! strings in USD per token (`"0.00000045"`), with `"-1"` for router models
//! whose price depends on the model they route to.

use serde::Deserialize;
use serde_json::Value;

use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, StrList};

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
}

#[derive(Deserialize)]
struct Architecture {
    #[serde(default)]
    input_modalities: Option<StrList>,
    #[serde(default)]
    output_modalities: Option<StrList>,
}

#[derive(Deserialize)]
struct Pricing {
    #[serde(default)]
    prompt: Option<Value>,
    #[serde(default)]
    completion: Option<Value>,
    #[serde(default)]
    input_cache_read: Option<Value>,
}

#[derive(Deserialize)]
struct TopProvider {
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
}

/// USD per token (a decimal string, or a number) to USD per 1M tokens; `"-1"` is unknown.
fn per_token(value: Option<Value>) -> Option<Price> {
    value.and_then(|v| Price::from_json(&v, 6))
}

/// The author part of `author/slug`; the `~` of alias ids (`~openai/gpt-latest`) is dropped.
fn author(id: &str) -> Option<CompactString> {
    let (owner, _) = id.split_once('/')?;
    let owner = owner.trim_start_matches('~');
    (!owner.is_empty()).then(|| owner.into())
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
        if let Some(a) = m.architecture {
            r.input_modalities = a.input_modalities.unwrap_or_default();
            r.output_modalities = a.output_modalities.unwrap_or_default();
        }
        if let Some(p) = m.pricing {
            r.price_input = per_token(p.prompt);
            r.price_output = per_token(p.completion);
            r.price_cache_read = per_token(p.input_cache_read);
        }
        r.hugging_face_id = text(m.hugging_face_id);
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Timestamp};

    fn ctx() -> ParseCtx {
        ParseCtx::new(
            "openrouter",
            "https://openrouter.ai/api/v1/models?output_modalities=all",
            Timestamp(0),
        )
    }

    fn page() -> Vec<Record> {
        let body = include_bytes!("../../tests/fixtures/openrouter-models-all.json");
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (549, 0));
        page.records
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    #[test]
    fn all_549_models_of_the_real_listing_are_read() {
        let records = page();
        assert_eq!(records.len(), 549);
        assert_eq!(records[0].id, "qwen/qwen3.8-27b");
        assert!(records.iter().all(|r| r.task.is_none()));
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
    fn router_models_have_unknown_prices_and_the_free_router_is_free() {
        let records = page();
        let auto = find(&records, "openrouter/auto");
        assert_eq!((auto.price_input, auto.price_output), (None, None));
        assert_eq!(auto.name.as_deref(), Some("Auto Router"));
        assert_eq!(auto.context_length, Some(2_000_000));
        assert_eq!(auto.max_output_tokens, None);
        assert_eq!(auto.output_modalities, ["text", "image"]);
        let free = find(&records, "openrouter/free");
        assert_eq!(price(free.price_input).as_deref(), Some("0"));
        assert_eq!(price(free.price_output).as_deref(), Some("0"));
        let unknown = records.iter().filter(|r| r.price_input.is_none()).count();
        assert_eq!(unknown, 5);
        let free = records
            .iter()
            .filter(|r| r.price_input.is_some_and(|p| p.usd_per_million() == 0.0))
            .count();
        assert_eq!(free, 83);
    }

    #[test]
    fn owner_is_the_id_prefix_without_the_alias_tilde() {
        let records = page();
        let gpt4o = find(&records, "openai/gpt-4o");
        assert_eq!(gpt4o.owned_by.as_deref(), Some("openai"));
        assert_eq!(gpt4o.name.as_deref(), Some("OpenAI: GPT-4o"));
        assert_eq!(gpt4o.created.unwrap().0, 1_715_558_400);
        assert_eq!(
            (gpt4o.context_length, gpt4o.max_output_tokens),
            (Some(128_000), Some(16_384))
        );
        assert_eq!(gpt4o.input_modalities, ["text", "image", "file"]);
        assert_eq!(gpt4o.output_modalities, ["text"]);
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
        assert_eq!(whisper.output_modalities, ["transcription"]);
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
