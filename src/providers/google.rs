//! Google Gemini API `models.list`: `{"models":[...],"nextPageToken":"..."}`
//! with camelCase fields and ids written as resource names (`models/gemini-2.5-flash`).
//! There are no prices and no creation times.

use serde::Deserialize;

use crate::record::{CompactString, StrList};

use super::{parse_items, text, tokens, ParseCtx, ParsedPage};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Model {
    name: CompactString,
    #[serde(default)]
    display_name: Option<CompactString>,
    #[serde(default)]
    input_token_limit: Option<u64>,
    #[serde(default)]
    output_token_limit: Option<u64>,
    #[serde(default)]
    supported_generation_methods: Option<StrList>,
}

/// Parses one page of the Gemini model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let id = m.name.strip_prefix("models/").unwrap_or(&m.name).trim();
        let mut r = ctx.record(id)?;
        r.name = text(m.display_name);
        r.context_length = tokens(m.input_token_limit);
        r.max_output_tokens = tokens(m.output_token_limit);
        r.tags = m.supported_generation_methods.unwrap_or_default();
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;

    fn ctx() -> ParseCtx {
        ParseCtx::new(
            "google",
            "https://generativelanguage.googleapis.com/v1beta/models",
            Timestamp(0),
        )
    }

    #[test]
    fn first_page_strips_the_models_prefix_and_carries_the_next_token() {
        let body = include_bytes!("../../tests/fixtures/google-models-page1.json");
        let page = parse(body, &ctx()).unwrap();
        let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"]);
        assert_eq!(page.hints.next_token.as_deref(), Some("page-2-token"));
        let flash = &page.records[0];
        assert_eq!(flash.name.as_deref(), Some("Gemini 2.5 Flash"));
        assert_eq!(
            (flash.context_length, flash.max_output_tokens),
            (Some(1_048_576), Some(65_536))
        );
        assert_eq!(
            flash.tags,
            [
                "generateContent",
                "countTokens",
                "createCachedContent",
                "batchGenerateContent"
            ]
        );
        assert_eq!((flash.price_input, flash.created), (None, None));
        assert_eq!(flash.owned_by, None);
        assert_eq!(page.records[2].max_output_tokens, Some(8192));
    }

    #[test]
    fn last_page_has_no_token_and_lists_the_embedding_model() {
        let body = include_bytes!("../../tests/fixtures/google-models-page2.json");
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.records.len(), page.skipped), (2, 0));
        assert_eq!(page.hints.next_token, None);
        let gemma = &page.records[0];
        assert_eq!(gemma.id, "gemma-3-27b-it");
        assert_eq!(gemma.context_length, Some(131_072));
        let embed = &page.records[1];
        assert_eq!(embed.id, "text-embedding-004");
        assert_eq!(embed.name.as_deref(), Some("Text Embedding 004"));
        assert_eq!(embed.context_length, Some(2048));
        // The API's own value for embedders: one output "token", the vector.
        assert_eq!(embed.max_output_tokens, Some(1));
        assert_eq!(embed.tags, ["embedContent"]);
    }

    #[test]
    fn an_empty_token_is_no_token_and_a_nameless_model_is_skipped() {
        let body = br#"{"models":[{"displayName":"x"},{"name":"models/"},{"name":"tunedModels/abc","outputTokenLimit":0}],"nextPageToken":""}"#;
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.records.len(), page.skipped, page.items), (1, 2, 3));
        assert_eq!(page.records[0].id, "tunedModels/abc");
        assert_eq!(page.records[0].max_output_tokens, None);
        assert_eq!(page.hints.next_token, None);
    }
}
