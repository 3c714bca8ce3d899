//! Hugging Face Hub `GET /api/models`: a bare array of repositories.
//!
//! Pages in the Hub's plain form are read by [`scan`]; any other page goes
//! through serde_json, with the same [`Model`] and the same normalization.

mod scan;

use std::borrow::Cow;

use serde::Deserialize;

use super::{parse_items, text, ParseCtx, ParsedPage};
use crate::record::{CompactString, Record, StrList, Timestamp};

/// Hub query filters (`--search`, `--author`, `--sort`, `--pipeline-tag`),
/// sent only to providers of this shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubFilters {
    /// `search`: substring of the repo id.
    pub search: Option<String>,
    /// `author`: user or organization.
    pub author: Option<String>,
    /// `sort` key (always descending on the Hub).
    pub sort: Option<String>,
    /// `pipeline_tag`: task.
    pub pipeline_tag: Option<String>,
}

/// The Hub fields asked for: what the record uses, nothing heavier.
const FIELDS: [&str; 8] = [
    "author",
    "createdAt",
    "downloads",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "tags",
];

/// The sort key of an incremental harvest: newest modification first, so
/// the harvest can stop at the first page older than the cached one.
pub(super) const INCREMENTAL_SORT: &str = "lastModified";

/// The first page's query beyond the page size: filters, sort, and the
/// fields to expand (the Link cursor carries them on from there).
pub(super) fn first_page_params(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    hub: &HubFilters,
) {
    for (k, v) in [
        ("search", &hub.search),
        ("author", &hub.author),
        ("pipeline_tag", &hub.pipeline_tag),
    ] {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    q.append_pair("sort", hub.sort.as_deref().unwrap_or("downloads"));
    for field in FIELDS {
        q.append_pair("expand[]", field);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Model<'a> {
    id: CompactString,
    #[serde(default)]
    author: Option<CompactString>,
    // Borrowed from the page: parsed, never kept.
    #[serde(default, borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    last_modified: Option<Cow<'a, str>>,
    #[serde(default)]
    downloads: Option<u64>,
    #[serde(default)]
    likes: Option<u64>,
    #[serde(default)]
    tags: StrList,
    #[serde(default, rename = "pipeline_tag")]
    pipeline_tag: Option<CompactString>,
}

/// Parses one page of the Hub listing.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    if !ctx.raw {
        let mut page = ParsedPage::default();
        page.records.reserve(ctx.expected_items);
        if scan::models(body, |m| page.add(to_record(m, ctx))).is_some() {
            page.warn_skipped(ctx);
            return Ok(page);
        }
    }
    parse_items(body, ctx, to_record)
}

fn to_record(m: Model<'_>, ctx: &ParseCtx) -> Option<Record> {
    let mut r: Record = ctx.record(m.id)?;
    r.owned_by = text(m.author).or_else(|| r.id.split_once('/').map(|(o, _)| o.into()));
    r.created = m.created_at.as_deref().and_then(Timestamp::parse);
    r.last_modified = m.last_modified.as_deref().and_then(Timestamp::parse);
    r.task = text(m.pipeline_tag);
    if let Some(task) = &r.task {
        let (input, output) = modalities(task);
        r.input_modalities = input;
        r.output_modalities = output;
    }
    r.hugging_face_id = Some(r.id.clone());
    r.downloads = m.downloads;
    r.likes = m.likes;
    r.tags = m.tags;
    Some(r)
}

/// Input and output modalities implied by a pipeline tag (`image-text-to-text`
/// is image and text in, text out). Unknown tags give no modalities.
fn modalities(task: &str) -> (StrList, StrList) {
    // The JSON text of each list, as `StrList` holds it: the usual tags then
    // cost no building (which was 3% of a Hub harvest's instructions).
    let fixed: Option<(&'static str, &'static str)> = match task {
        "text-generation"
        | "text2text-generation"
        | "summarization"
        | "translation"
        | "fill-mask"
        | "question-answering"
        | "table-question-answering"
        | "conversational" => Some((r#"["text"]"#, r#"["text"]"#)),
        "text-classification" | "token-classification" | "zero-shot-classification" => {
            Some((r#"["text"]"#, r#"["text"]"#))
        }
        "feature-extraction" | "sentence-similarity" | "text-ranking" => {
            Some((r#"["text"]"#, r#"["embeddings"]"#))
        }
        "automatic-speech-recognition" | "audio-classification" => Some((r#"["audio"]"#, r#"["text"]"#)),
        "image-classification"
        | "object-detection"
        | "image-segmentation"
        | "zero-shot-image-classification"
        | "image-feature-extraction"
        | "depth-estimation" => Some((r#"["image"]"#, r#"["text"]"#)),
        "visual-question-answering" | "document-question-answering" => {
            Some((r#"["image","text"]"#, r#"["text"]"#))
        }
        "video-classification" => Some((r#"["video"]"#, r#"["text"]"#)),
        "unconditional-image-generation" => Some((r#"[]"#, r#"["image"]"#)),
        _ => None,
    };
    if let Some((i, o)) = fixed {
        return (StrList::from_static(i), StrList::from_static(o));
    }
    // The Hub's "<inputs>-to-<outputs>" tags, e.g. "image-text-to-text", "text-to-speech".
    let Some((input, output)) = task.split_once("-to-") else {
        return (StrList::new(), StrList::new());
    };
    let words = |s: &str| -> StrList {
        s.split('-')
            .filter_map(|w| match w {
                "text" | "image" | "audio" | "video" => Some(w),
                "speech" => Some("audio"),
                "3d" => Some("3d"),
                "any" => Some("any"),
                _ => None,
            })
            .collect()
    };
    (words(input), words(output))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;

    /// The Hub's parse context (also used by the scanner's tests).
    pub(super) fn ctx() -> ParseCtx {
        ParseCtx {
            hf_ids: true,
            ..ParseCtx::new("hug", "https://huggingface.co/api/models", Timestamp(0))
        }
    }

    #[test]
    fn real_default_listing_items_are_normalized() {
        let body = include_bytes!("../../tests/fixtures/hf-list-default.json");
        let page = parse(body, &ctx()).unwrap();
        assert_eq!(page.records.len(), 2);
        let kimi = &page.records[0];
        assert_eq!(kimi.id, "moonshotai/Kimi-K2-Thinking");
        assert_eq!(kimi.owned_by.as_deref(), Some("moonshotai"));
        assert_eq!(kimi.created.unwrap().to_string(), "2025-11-04T08:25:31Z");
        assert_eq!(kimi.task.as_deref(), Some("text-generation"));
        assert_eq!(kimi.input_modalities, ["text"]);
        assert_eq!((kimi.downloads, kimi.likes), (Some(5119), Some(578)));
        assert_eq!(
            kimi.hugging_face_id.as_deref(),
            Some("moonshotai/Kimi-K2-Thinking")
        );
        assert_eq!(kimi.tags.len(), 11);
        assert_eq!(kimi.price_input, None);
        assert_eq!(page.records[1].downloads, Some(846_249));
    }

    #[test]
    fn to_tags_give_modalities() {
        let (input, output) = modalities("image-text-to-text");
        assert_eq!(
            (input.as_json(), output.as_json()),
            (r#"["image","text"]"#, r#"["text"]"#)
        );
        let (input, output) = modalities("text-to-speech");
        assert_eq!(
            (input, output),
            (["text"].into_iter().collect(), ["audio"].into_iter().collect())
        );
        assert_eq!(modalities("robotics"), (StrList::new(), StrList::new()));
    }

    #[test]
    fn fixed_tags_give_the_lists_a_built_list_would_be() {
        let list = |v: &[&str]| v.iter().collect::<StrList>();
        for (task, input, output) in [
            ("text-generation", &["text"][..], &["text"][..]),
            ("token-classification", &["text"], &["text"]),
            ("sentence-similarity", &["text"], &["embeddings"]),
            ("audio-classification", &["audio"], &["text"]),
            ("depth-estimation", &["image"], &["text"]),
            ("document-question-answering", &["image", "text"], &["text"]),
            ("video-classification", &["video"], &["text"]),
            ("unconditional-image-generation", &[], &["image"]),
        ] {
            let (i, o) = modalities(task);
            assert_eq!(
                (i.as_json(), o.as_json()),
                (list(input).as_json(), list(output).as_json()),
                "{task}"
            );
            assert_eq!((i, o), (list(input), list(output)), "{task}");
        }
    }

    #[test]
    fn a_model_with_a_wrong_typed_field_is_skipped_and_counted() {
        let body = br#"[{"id":"a/b","downloads":"many"},{"id":"c/d","downloads":3}]"#;
        let page = parse(body, &ctx()).unwrap();
        assert_eq!((page.records.len(), page.skipped, page.items), (1, 1, 2));
        assert_eq!(page.records[0].id, "c/d");
    }
}
