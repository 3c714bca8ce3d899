//! Novita `GET /openai/v1/models`: `{"data":[...]}` whose prices are integers
//! in units of 0.0001 USD per 1M tokens (`3900` is $0.39) and whose owner is
//! usually the placeholder `"unknown"`.

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

/// Parses Novita's model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.name = text(m.display_name).or(text(m.title));
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        r.context_length = tokens(m.context_size);
        r.max_output_tokens = tokens(m.max_output_tokens);
        r.input_modalities = m.input_modalities.unwrap_or_default();
        r.output_modalities = m.output_modalities.unwrap_or_default();
        r.task = text(m.model_type);
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
    use crate::record::Timestamp;

    fn ctx() -> ParseCtx {
        ParseCtx::new("novita", "https://api.novita.ai/openai/v1/models", Timestamp(0))
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

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
        assert_eq!(page.records[0].context_length, Some(8192));
        assert!(page.records[0].tags.is_empty());
    }

    #[test]
    fn newer_fields_give_name_output_limit_cache_price_modalities_and_task() {
        let body = br#"{"data":[{"id":"meta-llama/llama-3.3-70b-instruct","title":"meta-llama/llama-3.3-70b-instruct","display_name":"Llama 3.3 70B Instruct","owned_by":"unknown","created":1733560109,"context_size":131072,"max_output_tokens":120000,"input_token_price_per_m":3900,"output_token_price_per_m":3900,"cached_input_token_price_per_m":1950,"tags":[],"input_modalities":["text"],"output_modalities":["text"],"model_type":"chat"}]}"#;
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
        assert_eq!(r.task.as_deref(), Some("chat"));
    }
}
