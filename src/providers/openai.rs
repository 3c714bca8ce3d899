//! The OpenAI-style list, `{"object":"list","data":[...]}` (or a bare array),
//! spoken by most providers. Each provider names the same facts differently,
//! so every known spelling is read and the first one present wins.

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
    #[serde(default, rename = "type")]
    kind: Option<CompactString>,
    #[serde(default)]
    supports_image_input: Option<bool>,
    #[serde(default)]
    pricing: Option<Value>,
    #[serde(default)]
    tags: Option<StrList>,
}

/// Parses one page of an OpenAI-style listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.name = text(m.display_name).or(text(m.name)).or(text(m.title));
        r.owned_by = text(m.owned_by).or(text(m.organization));
        r.created = unix(m.created);
        r.context_length = tokens(m.context_length.or(m.context_window).or(m.max_model_len));
        r.max_output_tokens = tokens(
            m.max_completion_tokens
                .or(m.max_output_length)
                .or(m.max_output_tokens),
        );
        r.input_modalities = m.input_modalities.unwrap_or_default();
        r.output_modalities = m.output_modalities.unwrap_or_default();
        if r.input_modalities.is_empty() {
            if let Some(image) = m.supports_image_input {
                r.input_modalities = if image {
                    ["text", "image"].into_iter().collect()
                } else {
                    ["text"].into_iter().collect()
                };
            }
        }
        r.task = text(m.kind);
        if let (Some(unit), Some(Value::Object(p))) = (ctx.price_unit, &m.pricing) {
            let price = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| p.get(*k))
                    .and_then(|v| Price::from_json(v, unit.shift()))
            };
            r.price_input = price(&["prompt", "input"]);
            r.price_output = price(&["completion", "output"]);
            r.price_cache_read = price(&["input_cache_read", "cache_read", "cached_input"]);
        }
        r.tags = m.tags.unwrap_or_default();
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::PriceUnit;
    use crate::record::Timestamp;

    fn ctx(name: &str, price_unit: Option<PriceUnit>, hf_ids: bool) -> ParseCtx {
        ParseCtx {
            price_unit,
            hf_ids,
            ..ParseCtx::new(name, "https://example.test/v1/models", Timestamp(0))
        }
    }

    #[test]
    fn groq_context_window_and_max_completion_tokens_are_read() {
        let page = parse(
            include_bytes!("../../tests/fixtures/groq-models.json"),
            &ctx("groq", None, false),
        )
        .unwrap();
        assert_eq!(page.records.len(), 20);
        let qwen = page.records.iter().find(|r| r.id == "qwen/qwen3-32b").unwrap();
        assert_eq!(qwen.context_length, Some(131_072));
        assert_eq!(qwen.max_output_tokens, Some(40_960));
        assert_eq!(qwen.owned_by.as_deref(), Some("Alibaba Cloud"));
        assert_eq!(qwen.created.unwrap().0, 1_748_396_646);
        assert_eq!(qwen.price_input, None);
        assert_eq!(qwen.hugging_face_id, None);
    }

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
}
