//! xAI `GET /v1/language-models`: `{"models":[...]}` whose prices are integer
//! USD cents per 100M tokens (`30000` is $3 per 1M tokens).

use serde::Deserialize;

use super::{parse_items, text, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, StrList};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    owned_by: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    input_modalities: Option<StrList>,
    #[serde(default)]
    output_modalities: Option<StrList>,
    #[serde(default)]
    prompt_text_token_price: Option<f64>,
    #[serde(default)]
    cached_prompt_text_token_price: Option<f64>,
    #[serde(default)]
    completion_text_token_price: Option<f64>,
}

/// Cents per 100M tokens to USD per 1M tokens: divide by 100 twice.
fn cents_per_100m(value: Option<f64>) -> Option<Price> {
    value.and_then(|v| Price::from_f64(v, -4))
}

/// Parses xAI's language-model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        r.input_modalities = m.input_modalities.unwrap_or_default();
        r.output_modalities = m.output_modalities.unwrap_or_default();
        r.price_input = cents_per_100m(m.prompt_text_token_price);
        r.price_output = cents_per_100m(m.completion_text_token_price);
        r.price_cache_read = cents_per_100m(m.cached_prompt_text_token_price);
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;

    fn ctx() -> ParseCtx {
        ParseCtx::new("xai", "https://api.x.ai/v1/language-models", Timestamp(0))
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    #[test]
    fn cents_per_100m_tokens_become_usd_per_million() {
        let body = include_bytes!("../../tests/fixtures/xai-language-models.json");
        let page = parse(body, &ctx()).unwrap();
        let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["grok-3", "grok-3-mini", "grok-2-vision-1212"]);

        let grok3 = &page.records[0];
        assert_eq!(price(grok3.price_input).as_deref(), Some("3"));
        assert_eq!(price(grok3.price_output).as_deref(), Some("15"));
        assert_eq!(price(grok3.price_cache_read).as_deref(), Some("0.75"));
        assert_eq!(grok3.owned_by.as_deref(), Some("xai"));
        assert_eq!(grok3.created.unwrap().0, 1_743_724_800);
        assert_eq!(grok3.context_length, None);

        let mini = &page.records[1];
        assert_eq!(price(mini.price_input).as_deref(), Some("0.3"));
        assert_eq!(price(mini.price_output).as_deref(), Some("0.5"));
        assert_eq!(price(mini.price_cache_read).as_deref(), Some("0.075"));
    }

    #[test]
    fn a_model_without_a_cached_price_has_it_unknown() {
        let body = include_bytes!("../../tests/fixtures/xai-language-models.json");
        let page = parse(body, &ctx()).unwrap();
        let vision = &page.records[2];
        assert_eq!(price(vision.price_input).as_deref(), Some("2"));
        assert_eq!(price(vision.price_output).as_deref(), Some("10"));
        assert_eq!(vision.price_cache_read, None);
        assert_eq!(vision.input_modalities, ["text", "image"]);
        assert_eq!(vision.output_modalities, ["text"]);
        assert_eq!(vision.created.unwrap().to_string(), "2024-12-12T00:00:00Z");
    }
}
