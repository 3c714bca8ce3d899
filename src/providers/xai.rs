//! xAI `GET /v1/language-models`: `{"models":[...]}` whose token prices are
//! integer USD cents per 100M tokens (`30000` is $3 per 1M tokens) and whose
//! `search_price` is in USD cents per 100M searches (`250000000` is $0.025 a
//! search), per xAI's API reference.
//!
//! | key | record field | unit written |
//! |---|---|---|
//! | `prompt_text_token_price`, `completion_text_token_price` | `price_input`, `price_output` | USD per 1M tokens (÷ 10⁴) |
//! | `cached_prompt_text_token_price` | `price_cache_read` | USD per 1M tokens (÷ 10⁴) |
//! | `search_price` | `price_other.web_search` | USD per search (÷ 10¹⁰) |
//! | `prompt_image_token_price` | (left out) | per input image token: no such unit in the record |

use serde::Deserialize;

use super::{parse_items, text, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, StrList, Unit};

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
    #[serde(default)]
    search_price: Option<f64>,
}

/// Cents per 100M tokens to USD per 1M tokens: divide by 100 twice.
fn cents_per_100m(value: Option<f64>) -> Option<Price> {
    value.and_then(|v| Price::from_f64(v, -4))
}

/// Cents per 100M searches to USD per search: divide by 100, then by 10⁸.
fn cents_per_100m_searches(value: Option<f64>) -> Option<Price> {
    value.and_then(|v| Price::from_f64(v, -10))
}

/// Parses xAI's language-model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.owned_by = text(m.owned_by);
        r.created = unix(m.created);
        r.input_modalities = m.input_modalities.unwrap_or_default();
        r.output_modalities = m.output_modalities.unwrap_or_default();
        // The endpoint lists "chat and image understanding models".
        if r.output_modalities == ["text"] {
            r.task = Some("text-generation".into());
        }
        r.price_input = cents_per_100m(m.prompt_text_token_price);
        r.price_output = cents_per_100m(m.completion_text_token_price);
        r.price_cache_read = cents_per_100m(m.cached_prompt_text_token_price);
        r.price_other
            .set(Unit::WebSearch, cents_per_100m_searches(m.search_price));
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::record::{Record, Timestamp};

    /// xAI's API reference example of the listing: 3 models.
    const LISTING: &[u8] = include_bytes!("../../tests/fixtures/xai-language-models.json");

    fn ctx() -> ParseCtx {
        ParseCtx::new("xai", "https://api.x.ai/v1/language-models", Timestamp(0))
    }

    fn page() -> Vec<Record> {
        let page = parse(LISTING, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (3, 0));
        page.records
    }

    use crate::providers::adapt::testing::facts;

    /// The fields xAI's listing never fills.
    fn unstated(mut v: Value) -> Value {
        let o = v.as_object_mut().unwrap();
        for (k, empty) in [
            ("name", json!(null)),
            ("context_length", json!(null)),
            ("max_output_tokens", json!(null)),
            ("hugging_face_id", json!(null)),
            ("downloads", json!(null)),
            ("likes", json!(null)),
            ("tags", json!([])),
            ("price_cache_write", json!(null)),
            ("capabilities", json!([])),
            ("quantization", json!(null)),
            ("knowledge_cutoff", json!(null)),
            ("expires_at", json!(null)),
        ] {
            o.insert(k.to_owned(), empty);
        }
        v
    }

    #[test]
    fn all_3_models_of_the_reference_listing_are_read() {
        let ids: Vec<_> = page().iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, ["grok-3", "grok-3-mini", "grok-2-vision-1212"]);
    }

    #[test]
    fn cents_per_100m_tokens_become_usd_per_million_and_searches_usd_each() {
        let records = page();
        assert_eq!(
            facts(&records[0]),
            unstated(json!({
                "id": "grok-3",
                "owned_by": "xai",
                "created": "2025-04-04T00:00:00Z",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "task": "text-generation",
                // 30000, 150000 and 7500 cents per 100M tokens.
                "price_input": 3,
                "price_output": 15,
                "price_cache_read": 0.75,
                // 250000000 cents per 100M searches; the image token price 0
                // of a text-only model has no unit here.
                "price_other": {"web_search": 0.025},
            }))
        );
        assert_eq!(
            facts(&records[1]),
            unstated(json!({
                "id": "grok-3-mini",
                "owned_by": "xai",
                "created": "2025-04-04T00:00:00Z",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 0.3,
                "price_output": 0.5,
                "price_cache_read": 0.075,
                "price_other": {"web_search": 0.025},
            }))
        );
    }

    #[test]
    fn a_model_without_cached_or_search_prices_has_them_unknown() {
        let records = page();
        assert_eq!(
            facts(&records[2]),
            unstated(json!({
                "id": "grok-2-vision-1212",
                "owned_by": "xai",
                "created": "2024-12-12T00:00:00Z",
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "task": "text-generation",
                "price_input": 2,
                "price_output": 10,
                "price_cache_read": null,
                // `prompt_image_token_price` 20000 ($2 per 1M input image
                // tokens) has no unit in the record.
                "price_other": {},
            }))
        );
    }

    #[test]
    fn no_model_of_the_listing_is_free() {
        // Every model has non-zero token prices; `prompt_image_token_price: 0`
        // never makes a record free.
        for r in page() {
            assert!(r.price_input.is_some_and(|p| !p.is_zero()), "{}", r.id);
            assert!(r.price_output.is_some_and(|p| !p.is_zero()), "{}", r.id);
        }
    }
}
