//! Google Gemini API `models.list`: `{"models":[...],"nextPageToken":"..."}`
//! with camelCase fields and ids written as resource names (`models/gemini-2.5-flash`).
//! There are no prices, no owners and no creation times.
//!
//! What a model does follows from `supportedGenerationMethods` and, where a
//! method serves several kinds of model, from the family its id names:
//!
//! | methods | family (id) | task | output |
//! |---|---|---|---|
//! | `embedContent` | | feature-extraction | embeddings |
//! | `predict` | `imagen-*` | text-to-image | image |
//! | `predictLongRunning` | `veo-*` | text-to-video | video |
//! | `generateContent` | `*-tts` | text-to-speech | audio |
//! | `generateContent` | `*-image*`, `nano-banana-*` | text-to-image | text, image |
//! | `generateContent` | `lyria-*` (music) | unknown | audio |
//! | `generateContent`, `generateAnswer` | any other | text-generation | text |
//! | `bidiGenerateContent` only (Live API) | `*-native-audio-*` | unknown | audio |
//!
//! `outputTokenLimit` caps what `generateContent` (and the Live and answer
//! methods) write; embedders (`1`, the vector) and the `predict` image and
//! video models (`8192`) have no token output, so there it is unknown. Input
//! modalities are never stated, so they stay unknown.

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
    #[serde(default)]
    thinking: Option<bool>,
}

/// What a model's methods and family say it does.
struct Kind {
    task: Option<&'static str>,
    output: &'static [&'static str],
    /// Whether `outputTokenLimit` is a limit on generated tokens.
    token_output: bool,
}

fn kind(id: &str, methods: &StrList) -> Kind {
    let has = |m: &str| methods.iter().any(|x| x == m);
    let generates = has("generateContent") || has("generateAnswer");
    let kind = |task, output, token_output| Kind {
        task,
        output,
        token_output,
    };
    if has("embedContent") {
        kind(Some("feature-extraction"), &["embeddings"], false)
    } else if has("predict") && id.starts_with("imagen") {
        kind(Some("text-to-image"), &["image"], false)
    } else if has("predictLongRunning") && id.starts_with("veo") {
        kind(Some("text-to-video"), &["video"], false)
    } else if generates && id.ends_with("-tts") {
        kind(Some("text-to-speech"), &["audio"], true)
    } else if generates && (id.contains("-image") || id.starts_with("nano-banana")) {
        kind(Some("text-to-image"), &["text", "image"], true)
    } else if generates && id.starts_with("lyria") {
        kind(None, &["audio"], true)
    } else if generates {
        kind(Some("text-generation"), &["text"], true)
    } else if has("bidiGenerateContent") {
        let output: &[&str] = if id.contains("native-audio") {
            &["audio"]
        } else {
            &[]
        };
        kind(None, output, true)
    } else {
        kind(None, &[], false)
    }
}

/// Parses one page of the Gemini model listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let id = m.name.strip_prefix("models/").unwrap_or(&m.name).trim();
        let mut r = ctx.record(id)?;
        let methods = m.supported_generation_methods.unwrap_or_default();
        let kind = kind(id, &methods);
        r.name = text(m.display_name);
        r.context_length = tokens(m.input_token_limit);
        if kind.token_output {
            r.max_output_tokens = tokens(m.output_token_limit);
        }
        r.task = kind.task.map(Into::into);
        r.output_modalities = kind.output.iter().collect();
        let mut capabilities = Vec::new();
        if m.thinking == Some(true) {
            capabilities.push("reasoning");
        }
        // Explicit context caching (`cachedContents`).
        if methods.iter().any(|x| x == "createCachedContent") {
            capabilities.push("prompt_caching");
        }
        r.capabilities = capabilities.into_iter().collect();
        r.tags = methods;
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Timestamp};

    fn ctx() -> ParseCtx {
        ParseCtx::new(
            "google",
            "https://generativelanguage.googleapis.com/v1beta/models",
            Timestamp(0),
        )
    }

    fn recorded() -> Vec<Record> {
        let body = include_bytes!("../../tests/fixtures/google-f27d44d.json");
        let page = super::super::Shape::Google.parse(body, &ctx()).unwrap();
        assert_eq!((page.items, page.skipped), (48, 0));
        assert_eq!(page.hints.next_token, None);
        page.records
    }

    fn find<'a>(records: &'a [Record], id: &str) -> &'a Record {
        records.iter().find(|r| r.id == id).unwrap()
    }

    /// Fields no Gemini listing states, for any model.
    fn nothing_unstated(r: &Record) {
        assert_eq!((r.owned_by.as_ref(), r.created), (None, None), "{}", r.id);
        assert!(r.input_modalities.is_empty(), "{}", r.id);
        assert!(r.price_input.is_none() && r.price_output.is_none(), "{}", r.id);
        assert!(
            r.price_cache_read.is_none() && r.price_cache_write.is_none(),
            "{}",
            r.id
        );
        assert!(r.price_other.is_empty(), "{}", r.id);
        assert_eq!(r.hugging_face_id, None, "{}", r.id);
        assert_eq!(r.quantization, None, "{}", r.id);
        assert_eq!((r.knowledge_cutoff.as_ref(), r.expires_at.as_ref()), (None, None));
    }

    #[test]
    fn the_recorded_listing_has_48_models_and_no_prices() {
        let records = recorded();
        assert_eq!(records.len(), 48);
        // No price at all, so no model can pass for free.
        records.iter().for_each(nothing_unstated);
        let tasks = |task: &str| records.iter().filter(|r| r.task.as_deref() == Some(task)).count();
        assert_eq!(tasks("text-generation"), 26);
        assert_eq!(tasks("feature-extraction"), 2);
        assert_eq!(tasks("text-to-image"), 7);
        assert_eq!(tasks("text-to-video"), 5);
        assert_eq!(tasks("text-to-speech"), 2);
        // Lyria (music) and the four Live API models.
        assert_eq!(records.iter().filter(|r| r.task.is_none()).count(), 6);
    }

    #[test]
    fn gemini_2_5_flash_field_by_field() {
        let records = recorded();
        let r = find(&records, "gemini-2.5-flash");
        assert_eq!(r.name.as_deref(), Some("Gemini 2.5 Flash"));
        assert_eq!(
            (r.context_length, r.max_output_tokens),
            (Some(1_048_576), Some(65_536))
        );
        assert_eq!(r.task.as_deref(), Some("text-generation"));
        assert_eq!(r.output_modalities, ["text"]);
        // `thinking: true` and `createCachedContent`.
        assert_eq!(r.capabilities, ["reasoning", "prompt_caching"]);
        assert_eq!(
            r.tags,
            [
                "generateContent",
                "countTokens",
                "createCachedContent",
                "batchGenerateContent"
            ]
        );
        nothing_unstated(r);

        // No `thinking`, no cache method.
        let g = find(&records, "gemma-3-27b-it");
        assert_eq!(g.name.as_deref(), Some("Gemma 3 27B"));
        assert_eq!(
            (g.context_length, g.max_output_tokens),
            (Some(131_072), Some(8192))
        );
        assert_eq!(g.task.as_deref(), Some("text-generation"));
        assert_eq!(g.output_modalities, ["text"]);
        assert!(g.capabilities.is_empty());
        nothing_unstated(g);
    }

    #[test]
    fn embedders_have_no_output_limit() {
        let records = recorded();
        let r = find(&records, "gemini-embedding-001");
        assert_eq!(r.name.as_deref(), Some("Gemini Embedding 001"));
        // `outputTokenLimit: 1` in the listing: the vector, not a token limit.
        assert_eq!((r.context_length, r.max_output_tokens), (Some(2048), None));
        assert_eq!(r.task.as_deref(), Some("feature-extraction"));
        assert_eq!(r.output_modalities, ["embeddings"]);
        assert!(r.capabilities.is_empty());
        assert_eq!(
            r.tags,
            [
                "embedContent",
                "countTextTokens",
                "countTokens",
                "asyncBatchEmbedContent"
            ]
        );
        nothing_unstated(r);
        let two = find(&records, "gemini-embedding-2-preview");
        assert_eq!((two.context_length, two.max_output_tokens), (Some(8192), None));
    }

    #[test]
    fn imagen_and_veo_have_a_prompt_limit_and_no_output_limit() {
        let records = recorded();
        let i = find(&records, "imagen-4.0-generate-001");
        assert_eq!(i.name.as_deref(), Some("Imagen 4"));
        // `outputTokenLimit: 8192` on a model that writes images.
        assert_eq!((i.context_length, i.max_output_tokens), (Some(480), None));
        assert_eq!(i.task.as_deref(), Some("text-to-image"));
        assert_eq!(i.output_modalities, ["image"]);
        assert!(i.capabilities.is_empty());
        assert_eq!(i.tags, ["predict"]);
        nothing_unstated(i);

        let v = find(&records, "veo-3.1-generate-preview");
        assert_eq!(v.name.as_deref(), Some("Veo 3.1"));
        assert_eq!((v.context_length, v.max_output_tokens), (Some(480), None));
        assert_eq!(v.task.as_deref(), Some("text-to-video"));
        assert_eq!(v.output_modalities, ["video"]);
        assert_eq!(v.tags, ["predictLongRunning"]);
        nothing_unstated(v);

        let predicted = records
            .iter()
            .filter(|r| r.tags.iter().any(|m| m.starts_with("predict")))
            .collect::<Vec<_>>();
        assert_eq!(predicted.len(), 8);
        assert!(predicted.iter().all(|r| r.max_output_tokens.is_none()));
    }

    #[test]
    fn generate_content_image_and_speech_models_keep_their_token_limit() {
        let records = recorded();
        let n = find(&records, "gemini-3-pro-image-preview");
        assert_eq!(n.name.as_deref(), Some("Nano Banana Pro"));
        // Images are generated as tokens through generateContent.
        assert_eq!(
            (n.context_length, n.max_output_tokens),
            (Some(131_072), Some(32_768))
        );
        assert_eq!(n.task.as_deref(), Some("text-to-image"));
        assert_eq!(n.output_modalities, ["text", "image"]);
        assert_eq!(n.capabilities, ["reasoning"]);
        nothing_unstated(n);
        let alias = find(&records, "nano-banana-pro-preview");
        assert_eq!(alias.task.as_deref(), Some("text-to-image"));

        let t = find(&records, "gemini-2.5-pro-preview-tts");
        assert_eq!(t.name.as_deref(), Some("Gemini 2.5 Pro Preview TTS"));
        assert_eq!(
            (t.context_length, t.max_output_tokens),
            (Some(8192), Some(16_384))
        );
        assert_eq!(t.task.as_deref(), Some("text-to-speech"));
        assert_eq!(t.output_modalities, ["audio"]);
        assert!(t.capabilities.is_empty());
        nothing_unstated(t);
    }

    #[test]
    fn live_and_music_models_have_no_task() {
        let records = recorded();
        let a = find(&records, "gemini-2.5-flash-native-audio-preview-12-2025");
        assert_eq!(
            a.name.as_deref(),
            Some("Gemini 2.5 Flash Native Audio Preview 12-2025")
        );
        assert_eq!(
            (a.context_length, a.max_output_tokens),
            (Some(131_072), Some(8192))
        );
        assert_eq!(a.task, None);
        assert_eq!(a.output_modalities, ["audio"]);
        assert_eq!(a.capabilities, ["reasoning"]);
        assert_eq!(a.tags, ["countTokens", "bidiGenerateContent"]);
        let live = find(&records, "gemini-3.1-flash-live-preview");
        assert_eq!(
            (live.task.as_ref(), live.output_modalities.is_empty()),
            (None, true)
        );
        let lyria = find(&records, "lyria-3-pro-preview");
        assert_eq!(lyria.task, None);
        assert_eq!(lyria.output_modalities, ["audio"]);
    }

    #[test]
    fn thinking_is_reasoning() {
        let records = recorded();
        let reasoning = records
            .iter()
            .filter(|r| r.capabilities.iter().any(|c| c == "reasoning"))
            .count();
        assert_eq!(reasoning, 21);
        let aqa = find(&records, "aqa");
        assert_eq!(aqa.task.as_deref(), Some("text-generation"));
        assert_eq!(
            (aqa.context_length, aqa.max_output_tokens),
            (Some(7168), Some(1024))
        );
        assert!(aqa.capabilities.is_empty());
    }

    /// The hand-made two-page listing, kept because no recording has a
    /// `nextPageToken`.
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
        // `outputTokenLimit: 1`: the vector, not a limit on generated tokens.
        assert_eq!(embed.max_output_tokens, None);
        assert_eq!(embed.task.as_deref(), Some("feature-extraction"));
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
