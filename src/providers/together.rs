//! Together `GET /v1/models`: a bare array of models of every type (chat,
//! language, code, embedding, rerank, moderation, image, video, audio,
//! transcribe) side by side.
//!
//! Every model carries the same `pricing{hourly,input,output,base,finetune}`
//! object, but what its numbers mean depends on `type`:
//! - chat, language, code, moderation: USD per 1M input / output tokens;
//! - embedding, rerank: `input` is USD per 1M input tokens; `output` repeats
//!   it, though these models generate no tokens, so it is not a price;
//! - audio (text to speech): `input` is USD per 1M input characters
//!   (`cartesia/sonic*` at 65, `hexgrad/Kokoro-82M` at 4, `output: 0`);
//! - image, video: 0 everywhere, though they are billed per image or video:
//!   the listing does not state their price;
//! - transcribe: numbers in no stated unit (per audio minute in reality).
//!
//! `0/0` on a token-billed model means "not on serverless" (dedicated
//! endpoints only, billed by the hour), not free: only Together's free
//! serverless endpoints, whose ids end in `-Free`, cost nothing.

use serde::Deserialize;
use serde_json::Value;

use super::adapt::hf_repo_id;
use super::{parse_items, text, tokens, unix, ParseCtx, ParsedPage};
use crate::record::{CompactString, Price, Record, StrList, Unit};

#[derive(Deserialize)]
struct Model {
    id: CompactString,
    #[serde(default)]
    display_name: Option<CompactString>,
    #[serde(default)]
    organization: Option<CompactString>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default, rename = "type")]
    kind: Option<CompactString>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    pricing: Option<Pricing>,
}

#[derive(Deserialize)]
struct Pricing {
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    output: Option<Value>,
}

/// What a model's `type` says it does, and so in which unit it is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `chat`, `language`, `code`.
    Text,
    /// `moderation` (Llama Guard and the like: generative classifiers).
    Moderation,
    /// `embedding`.
    Embedding,
    /// `rerank`.
    Rerank,
    /// `image`.
    Image,
    /// `video`.
    Video,
    /// `audio`: text to speech.
    Speech,
    /// `transcribe`: speech to text.
    Transcription,
}

impl Kind {
    fn of(kind: &str) -> Option<Kind> {
        let is = |name: &str| kind.eq_ignore_ascii_case(name);
        Some(if is("chat") || is("language") || is("code") {
            Kind::Text
        } else if is("moderation") {
            Kind::Moderation
        } else if is("embedding") {
            Kind::Embedding
        } else if is("rerank") {
            Kind::Rerank
        } else if is("image") {
            Kind::Image
        } else if is("video") {
            Kind::Video
        } else if is("audio") {
            Kind::Speech
        } else if is("transcribe") {
            Kind::Transcription
        } else {
            return None;
        })
    }

    /// The Hugging Face pipeline tag.
    fn task(self) -> &'static str {
        match self {
            Kind::Text => "text-generation",
            Kind::Moderation => "text-classification",
            Kind::Embedding => "feature-extraction",
            Kind::Rerank => "text-ranking",
            Kind::Image => "text-to-image",
            Kind::Video => "text-to-video",
            Kind::Speech => "text-to-speech",
            Kind::Transcription => "automatic-speech-recognition",
        }
    }

    /// Input and output modalities (a reranker's scores are none of them).
    fn modalities(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Text | Kind::Moderation => (&["text"], &["text"]),
            Kind::Embedding => (&["text"], &["embeddings"]),
            Kind::Rerank => (&["text"], &[]),
            Kind::Image => (&["text"], &["image"]),
            Kind::Video => (&["text"], &["video"]),
            Kind::Speech => (&["text"], &["audio"]),
            Kind::Transcription => (&["audio"], &["text"]),
        }
    }
}

/// Together's free serverless endpoints (`...-Turbo-Free`,
/// `...-Llama-70B-free`) are the only models whose 0/0 means free.
fn is_free_endpoint(id: &str) -> bool {
    id.len() >= 5 && id.is_char_boundary(id.len() - 5) && id[id.len() - 5..].eq_ignore_ascii_case("-free")
}

/// The Hugging Face repository a `link` names: `https://huggingface.co/<owner>/<repo>`
/// or `https://huggingface.co/api/models/<owner>/<repo>`; nothing for other sites.
fn hf_link(link: &str) -> Option<CompactString> {
    let path = link.trim().strip_prefix("https://huggingface.co/")?;
    let path = path.strip_prefix("api/models/").unwrap_or(path);
    hf_repo_id(path.strip_suffix('/').unwrap_or(path))
}

/// Together's own names, which the listing also writes as the organization of
/// third-party models it serves (`cartesia/sonic*` by "Together",
/// `arize-ai/qwen-2-1.5b-instruct` by "Togethercomputer").
fn is_together(name: &str) -> bool {
    ["together", "together ai", "togethercomputer"]
        .iter()
        .any(|t| name.eq_ignore_ascii_case(t))
}

/// The organization, unless it is Together's own name on a model outside its
/// `togethercomputer/` namespace: there it names the host, not the owner.
fn owner(organization: Option<CompactString>, id: &str) -> Option<CompactString> {
    let org = text(organization)?;
    let namespace = id.split_once('/').map_or("", |(ns, _)| ns);
    if is_together(&org) && !namespace.eq_ignore_ascii_case("togethercomputer") {
        return None;
    }
    Some(org)
}

/// Writes the prices `pricing` states for a model of `kind`, in their units.
fn set_prices(r: &mut Record, kind: Option<Kind>, pricing: &Pricing) {
    let read = |v: &Option<Value>| v.as_ref().and_then(|v| Price::from_json(v, 0));
    let (input, output) = (read(&pricing.input), read(&pricing.output));
    let zero = |p: Option<Price>| p.is_some_and(Price::is_zero);
    if zero(input) && zero(output) {
        // Free on a free serverless endpoint; otherwise not stated (media
        // billed per image or video) or not serverless (dedicated only).
        if is_free_endpoint(&r.id) {
            r.price_input = input;
            r.price_output = output;
        }
        return;
    }
    match kind {
        Some(Kind::Text | Kind::Moderation) => {
            r.price_input = input;
            r.price_output = output;
        }
        // Nothing is generated, so `output` (a copy of `input`) is no price.
        Some(Kind::Embedding | Kind::Rerank) => r.price_input = input,
        // Text to speech is billed per character, stated under `input` with
        // `output: 0`; a nonzero `output` (Orpheus's 0.27/0.85, the very pair
        // of the transcription models) is in no stated unit.
        Some(Kind::Speech) => {
            if output.is_none() || zero(output) {
                r.price_other.set(Unit::Characters, input);
            }
        }
        // Per image, per video, per audio minute: not what the listing states.
        Some(Kind::Image | Kind::Video | Kind::Transcription) | None => {}
    }
}

/// Parses the Together listing. Its units are fixed by the model's `type`,
/// so the table's `price_unit` is not used.
pub(super) fn parse(body: &[u8], ctx: &ParseCtx) -> Result<ParsedPage, String> {
    parse_items(body, ctx, |m: Model, ctx| {
        let mut r = ctx.record(m.id)?;
        r.name = text(m.display_name);
        r.owned_by = owner(m.organization, &r.id);
        r.created = unix(m.created);
        r.context_length = tokens(m.context_length);
        if let Some(hf) = m.link.as_deref().and_then(hf_link) {
            r.hugging_face_id = Some(hf);
        }
        let kind = m.kind.as_deref().and_then(Kind::of);
        if let Some(kind) = kind {
            r.task = Some(kind.task().into());
            let (input, output) = kind.modalities();
            r.input_modalities = input.iter().copied().collect::<StrList>();
            r.output_modalities = output.iter().copied().collect::<StrList>();
        }
        if let Some(pricing) = &m.pricing {
            set_prices(&mut r, kind, pricing);
        }
        Some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;

    const RECORDING: &[u8] = include_bytes!("../../tests/fixtures/together-70bc7d5.json");

    fn ctx() -> ParseCtx {
        ParseCtx::new("together", "https://api.together.xyz/v1/models", Timestamp(0))
    }

    fn recording() -> ParsedPage {
        let page = parse(RECORDING, &ctx()).unwrap();
        assert_eq!(page.skipped, 0);
        page
    }

    fn find<'a>(page: &'a ParsedPage, id: &str) -> &'a Record {
        page.records.iter().find(|r| r.id == id).unwrap()
    }

    fn price(p: Option<Price>) -> Option<String> {
        p.map(|p| p.to_string())
    }

    /// The model objects of the recording, for checks against the payload.
    fn payload() -> Vec<Value> {
        serde_json::from_slice(RECORDING).unwrap()
    }

    /// Every price a record states, in any unit.
    fn stated_prices(r: &Record) -> Vec<Price> {
        [
            r.price_input,
            r.price_output,
            r.price_cache_read,
            r.price_cache_write,
        ]
        .into_iter()
        .flatten()
        .chain(r.price_other.iter().map(|(_, p)| p))
        .collect()
    }

    fn is_free(r: &Record) -> bool {
        r.price_input.is_some_and(Price::is_zero)
            && r.price_output.is_some_and(Price::is_zero)
            && stated_prices(r).into_iter().all(Price::is_zero)
    }

    #[test]
    fn the_recording_has_131_models_in_its_order() {
        let page = recording();
        assert_eq!(page.records.len(), 131);
        assert_eq!(page.items, 131);
        assert_eq!(page.hints.total, None);
        assert_eq!(page.records[0].id, "cartesia/sonic");
        assert_eq!(page.records[130].id, "deepseek-ai/DeepSeek-V3.1");
    }

    #[test]
    fn a_serverless_chat_model_has_per_million_token_prices_and_its_hub_repo() {
        let page = recording();
        let m = find(&page, "meta-llama/Llama-3.3-70B-Instruct-Turbo");
        assert_eq!(m.name.as_deref(), Some("Meta Llama 3.3 70B Instruct Turbo"));
        assert_eq!(m.owned_by.as_deref(), Some("Meta"));
        assert_eq!(m.created, Some(Timestamp(1_733_466_629)));
        assert_eq!(m.context_length, Some(131_072));
        assert_eq!(m.max_output_tokens, None);
        assert_eq!(m.task.as_deref(), Some("text-generation"));
        assert_eq!(m.input_modalities, ["text"]);
        assert_eq!(m.output_modalities, ["text"]);
        assert_eq!(price(m.price_input).as_deref(), Some("0.88"));
        assert_eq!(price(m.price_output).as_deref(), Some("0.88"));
        assert_eq!(m.price_cache_read, None);
        assert_eq!(m.price_cache_write, None);
        assert!(m.price_other.is_empty());
        assert!(m.capabilities.is_empty());
        assert_eq!(m.quantization, None);
        assert_eq!(m.knowledge_cutoff, None);
        assert_eq!(m.expires_at, None);
        // `link` names the base repository, not the id.
        assert_eq!(
            m.hugging_face_id.as_deref(),
            Some("meta-llama/Llama-3.3-70B-Instruct")
        );
    }

    #[test]
    fn float_noise_in_chat_prices_is_rounded_away() {
        let page = recording();
        let m = find(&page, "meta-llama/Llama-4-Scout-17B-16E-Instruct");
        // 0.18000000000000002 and 0.5900000000000001 in the payload.
        assert_eq!(price(m.price_input).as_deref(), Some("0.18"));
        assert_eq!(price(m.price_output).as_deref(), Some("0.59"));
        assert_eq!(m.context_length, Some(1_048_576));
        assert_eq!(m.name.as_deref(), Some("Llama 4 Scout Instruct (17Bx16E)"));
    }

    #[test]
    fn a_base_language_model_is_text_generation() {
        let page = recording();
        let m = find(&page, "meta-llama/Llama-3-70b-hf");
        assert_eq!(m.name.as_deref(), Some("Meta Llama 3 70B HF"));
        assert_eq!(m.owned_by.as_deref(), Some("Meta"));
        assert_eq!(m.created, Some(Timestamp(1_713_429_267)));
        assert_eq!(m.context_length, Some(8192));
        assert_eq!(m.task.as_deref(), Some("text-generation"));
        assert_eq!(m.input_modalities, ["text"]);
        assert_eq!(m.output_modalities, ["text"]);
        assert_eq!(price(m.price_input).as_deref(), Some("0.9"));
        assert_eq!(price(m.price_output).as_deref(), Some("0.9"));
        assert_eq!(m.hugging_face_id.as_deref(), Some("meta-llama/Meta-Llama-3-70B"));
    }

    #[test]
    fn dedicated_only_chat_models_have_unknown_prices_not_zero() {
        let page = recording();
        let m = find(&page, "ServiceNow-AI/Apriel-1.5-15b-Thinker");
        assert_eq!(m.name.as_deref(), Some("Apriel 1.5 15B Thinker"));
        assert_eq!(m.owned_by.as_deref(), Some("Servicenow AI"));
        assert_eq!(m.created, Some(Timestamp(1_759_435_628)));
        assert_eq!(m.context_length, Some(131_072));
        assert_eq!(m.task.as_deref(), Some("text-generation"));
        assert_eq!((m.price_input, m.price_output), (None, None));
        assert!(m.price_other.is_empty());
        // The `api/models/` form of a Hub link.
        assert_eq!(
            m.hugging_face_id.as_deref(),
            Some("ServiceNow-AI/Apriel-1.5-15b-Thinker")
        );
        // All five chat models at 0/0 in the recording, none of them `-Free`.
        let models = payload();
        let zero_chat: Vec<&str> = models
            .iter()
            .filter(|m| m["type"] == "chat" && m["pricing"]["input"] == 0 && m["pricing"]["output"] == 0)
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            zero_chat,
            [
                "togethercomputer/MoA-1",
                "togethercomputer/MoA-1-Turbo",
                "ServiceNow-AI/Apriel-1.5-15b-Thinker",
                "google/gemma-2b-it-Ishan",
                "ServiceNow-AI/Apriel-1.6-15b-Thinker"
            ]
        );
        for id in zero_chat {
            let r = find(&page, id);
            assert_eq!((r.price_input, r.price_output), (None, None), "{id}");
        }
    }

    #[test]
    fn paid_image_and_video_models_are_never_free() {
        let page = recording();
        let flux = find(&page, "black-forest-labs/FLUX.1-schnell");
        assert_eq!(flux.name.as_deref(), Some("FLUX.1 Schnell"));
        assert_eq!(flux.owned_by.as_deref(), Some("Black Forest Labs"));
        // `created: 0` is unknown; there is no `context_length` at all.
        assert_eq!(flux.created, None);
        assert_eq!(flux.context_length, None);
        assert_eq!(flux.task.as_deref(), Some("text-to-image"));
        assert_eq!(flux.input_modalities, ["text"]);
        assert_eq!(flux.output_modalities, ["image"]);
        assert_eq!((flux.price_input, flux.price_output), (None, None));
        assert!(flux.price_other.is_empty());
        assert_eq!(
            flux.hugging_face_id.as_deref(),
            Some("black-forest-labs/FLUX.1-schnell")
        );

        let veo = find(&page, "google/veo-3.0");
        assert_eq!(veo.name.as_deref(), Some("Google Veo 3.0"));
        assert_eq!(veo.owned_by.as_deref(), Some("Google"));
        assert_eq!(veo.created, Some(Timestamp(1_759_884_899)));
        assert_eq!(veo.context_length, None);
        assert_eq!(veo.task.as_deref(), Some("text-to-video"));
        assert_eq!(veo.input_modalities, ["text"]);
        assert_eq!(veo.output_modalities, ["video"]);
        assert_eq!((veo.price_input, veo.price_output), (None, None));
        assert!(veo.price_other.is_empty());
        // No `link`.
        assert_eq!(veo.hugging_face_id, None);

        let media: Vec<&Record> = page
            .records
            .iter()
            .filter(|r| matches!(r.task.as_deref(), Some("text-to-image" | "text-to-video")))
            .collect();
        assert_eq!(media.len(), 51);
        assert!(media.iter().all(|r| stated_prices(r).is_empty()));
    }

    #[test]
    fn text_to_speech_is_priced_per_million_characters() {
        let page = recording();
        let sonic = find(&page, "cartesia/sonic-2");
        assert_eq!(sonic.name.as_deref(), Some("Cartesia Sonic 2"));
        // "Together" is the host's name on Cartesia's model.
        assert_eq!(sonic.owned_by, None);
        assert_eq!(sonic.created, None);
        assert_eq!(sonic.context_length, None);
        assert_eq!(sonic.task.as_deref(), Some("text-to-speech"));
        assert_eq!(sonic.input_modalities, ["text"]);
        assert_eq!(sonic.output_modalities, ["audio"]);
        assert_eq!((sonic.price_input, sonic.price_output), (None, None));
        assert_eq!(
            sonic.price_other.to_string(),
            "characters=65",
            "USD per 1M characters"
        );
        // `link` is cartesia.ai, not the Hub.
        assert_eq!(sonic.hugging_face_id, None);

        let kokoro = find(&page, "hexgrad/Kokoro-82M");
        assert_eq!(kokoro.name.as_deref(), Some("Kokoro 82M"));
        assert_eq!(kokoro.owned_by.as_deref(), Some("Hexgrad"));
        assert_eq!(kokoro.created, Some(Timestamp(1_758_585_307)));
        assert_eq!((kokoro.price_input, kokoro.price_output), (None, None));
        assert_eq!(
            price(kokoro.price_other.get(Unit::Characters)).as_deref(),
            Some("4")
        );
        assert_eq!(kokoro.hugging_face_id.as_deref(), Some("hexgrad/Kokoro-82M"));

        let per_char: Vec<&str> = page
            .records
            .iter()
            .filter(|r| r.price_other.get(Unit::Characters).is_some())
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            per_char,
            [
                "cartesia/sonic",
                "cartesia/sonic-2",
                "cartesia/sonic-3",
                "hexgrad/Kokoro-82M"
            ]
        );
    }

    #[test]
    fn a_speech_model_with_an_output_price_has_no_price_in_a_stated_unit() {
        let page = recording();
        let m = find(&page, "canopylabs/orpheus-3b-0.1-ft");
        assert_eq!(m.name.as_deref(), Some("Orpheus 3B 0.1 FT"));
        assert_eq!(m.owned_by.as_deref(), Some("Canopy Labs"));
        assert_eq!(m.task.as_deref(), Some("text-to-speech"));
        // 0.27/0.85: neither per token nor, with an output price, per character.
        assert!(stated_prices(m).is_empty());
        assert_eq!(m.hugging_face_id.as_deref(), Some("canopylabs/orpheus-3b-0.1-ft"));
    }

    #[test]
    fn transcription_prices_are_in_no_stated_unit_and_left_unknown() {
        let page = recording();
        let m = find(&page, "openai/whisper-large-v3");
        assert_eq!(m.name.as_deref(), Some("Whisper large-v3"));
        assert_eq!(m.owned_by.as_deref(), Some("OpenAI"));
        assert_eq!(m.created, Some(Timestamp(1_748_454_089)));
        assert_eq!(m.context_length, None);
        assert_eq!(m.task.as_deref(), Some("automatic-speech-recognition"));
        assert_eq!(m.input_modalities, ["audio"]);
        assert_eq!(m.output_modalities, ["text"]);
        // The payload says 0.27/0.85 (`input`/`output`) for an audio model.
        assert!(stated_prices(m).is_empty());
        assert_eq!(m.hugging_face_id.as_deref(), Some("openai/whisper-large-v3"));
        let voxtral = find(&page, "mistralai/Voxtral-Mini-3B-2507");
        assert_eq!(voxtral.task.as_deref(), Some("automatic-speech-recognition"));
        assert!(stated_prices(voxtral).is_empty());
    }

    #[test]
    fn embeddings_have_an_input_price_and_no_output_price() {
        let page = recording();
        let m = find(&page, "BAAI/bge-base-en-v1.5");
        assert_eq!(m.name.as_deref(), Some("BAAI-Bge-Base-1.5"));
        assert_eq!(m.owned_by.as_deref(), Some("BAAI"));
        assert_eq!(m.created, Some(Timestamp(1_749_601_524)));
        assert_eq!(m.context_length, Some(512));
        assert_eq!(m.task.as_deref(), Some("feature-extraction"));
        assert_eq!(m.input_modalities, ["text"]);
        assert_eq!(m.output_modalities, ["embeddings"]);
        // `output: 0.008` repeats the input price; nothing is generated.
        assert_eq!(price(m.price_input).as_deref(), Some("0.008"));
        assert_eq!(m.price_output, None);
        assert!(m.price_other.is_empty());
        assert_eq!(m.hugging_face_id.as_deref(), Some("BAAI/bge-base-en-v1.5"));

        // `link: ""` and no `context_length`.
        let large = find(&page, "BAAI/bge-large-en-v1.5");
        assert_eq!(price(large.price_input).as_deref(), Some("0.016"));
        assert_eq!(large.price_output, None);
        assert_eq!(large.context_length, None);
        assert_eq!(large.hugging_face_id, None);

        // Together's own model keeps "Together" as its owner.
        let m2 = find(&page, "togethercomputer/m2-bert-80M-32k-retrieval");
        assert_eq!(m2.owned_by.as_deref(), Some("Together"));
        assert_eq!(m2.context_length, Some(32_768));
        assert_eq!(price(m2.price_input).as_deref(), Some("0.008"));
        assert_eq!(m2.price_output, None);
    }

    #[test]
    fn rerankers_have_an_input_price_and_no_output() {
        let page = recording();
        let m = find(&page, "mixedbread-ai/Mxbai-Rerank-Large-V2");
        assert_eq!(m.name.as_deref(), Some("Mxbai Rerank Large V2"));
        assert_eq!(m.owned_by.as_deref(), Some("Mixedbread AI"));
        assert_eq!(m.created, Some(Timestamp(1_747_942_382)));
        assert_eq!(m.context_length, Some(32_768));
        assert_eq!(m.task.as_deref(), Some("text-ranking"));
        assert_eq!(m.input_modalities, ["text"]);
        assert!(m.output_modalities.is_empty());
        assert_eq!(price(m.price_input).as_deref(), Some("0.1"));
        assert_eq!(m.price_output, None);
        assert_eq!(
            m.hugging_face_id.as_deref(),
            Some("mixedbread-ai/mxbai-rerank-large-v2")
        );
    }

    #[test]
    fn moderation_models_generate_their_verdict_and_keep_both_prices() {
        let page = recording();
        let m = find(&page, "meta-llama/Llama-Guard-4-12B");
        assert_eq!(m.name.as_deref(), Some("Llama Guard 4 12B"));
        assert_eq!(m.owned_by.as_deref(), Some("Meta"));
        assert_eq!(m.created, Some(Timestamp(1_746_038_486)));
        assert_eq!(m.context_length, Some(1_048_576));
        assert_eq!(m.task.as_deref(), Some("text-classification"));
        assert_eq!(m.input_modalities, ["text"]);
        assert_eq!(m.output_modalities, ["text"]);
        assert_eq!(price(m.price_input).as_deref(), Some("0.2"));
        assert_eq!(price(m.price_output).as_deref(), Some("0.2"));
        assert_eq!(m.hugging_face_id.as_deref(), Some("meta-llama/Llama-Guard-4-12B"));
    }

    #[test]
    fn together_as_the_organization_of_a_third_party_model_is_unknown() {
        let page = recording();
        let arize = find(&page, "arize-ai/qwen-2-1.5b-instruct");
        assert_eq!(arize.owned_by, None, "\"Togethercomputer\" hosts it");
        assert_eq!(arize.name.as_deref(), Some("Arize AI Qwen 2 1.5B Instruct"));
        assert_eq!(
            arize.hugging_face_id.as_deref(),
            Some("togethercomputer/arize-ai-qwen-2-1.5b-instruct")
        );
        let moa = find(&page, "togethercomputer/MoA-1");
        assert_eq!(moa.owned_by.as_deref(), Some("Together AI"));
        // A GitHub link is no Hub repository.
        assert_eq!(moa.hugging_face_id, None);
        // Missing and empty organizations are unknown too.
        assert_eq!(find(&page, "scb10x/scb10x-typhoon-2-1-gemma3-12b").owned_by, None);
        assert_eq!(find(&page, "Qwen/Qwen2.5-14B-Instruct").owned_by, None);

        let models = payload();
        let placeholders: Vec<&str> = models
            .iter()
            .filter(|m| m["organization"].as_str().is_some_and(is_together))
            .map(|m| m["id"].as_str().unwrap())
            .filter(|id| find(&page, id).owned_by.is_none())
            .collect();
        assert_eq!(
            placeholders,
            [
                "cartesia/sonic",
                "cartesia/sonic-2",
                "cartesia/sonic-3",
                "arize-ai/qwen-2-1.5b-instruct"
            ]
        );
    }

    #[test]
    fn hugging_face_ids_come_only_from_hub_links() {
        let page = recording();
        let with_hub_link = payload()
            .iter()
            .filter(|m| m["link"].as_str().is_some_and(|l| l.contains("huggingface.co")))
            .count();
        assert_eq!(with_hub_link, 77);
        let with_id = page
            .records
            .iter()
            .filter(|r| r.hugging_face_id.is_some())
            .count();
        assert_eq!(with_id, 77);
        assert_eq!(hf_link("https://www.cartesia.ai"), None);
        assert_eq!(hf_link("https://github.com/togethercomputer/MoA"), None);
        assert_eq!(hf_link("https://huggingface.co/api/models/a/b/tree/main"), None);
        assert_eq!(hf_link("https://huggingface.co/a/b/").as_deref(), Some("a/b"));
    }

    #[test]
    fn zero_times_and_contexts_are_unknown() {
        let page = recording();
        // Ten models say `created: 0`.
        assert_eq!(page.records.iter().filter(|r| r.created.is_none()).count(), 10);
        assert!(page.records.iter().all(|r| r.created != Some(Timestamp(0))));
        assert!(page.records.iter().all(|r| r.context_length != Some(0)));
        let m = find(&page, "togethercomputer/MoA-1-Turbo");
        assert_eq!((m.created, m.context_length), (None, Some(32_768)));
    }

    #[test]
    fn every_type_has_its_task() {
        let page = recording();
        for (m, r) in payload().iter().zip(&page.records) {
            let task = match m["type"].as_str().unwrap() {
                "chat" | "language" => "text-generation",
                "embedding" => "feature-extraction",
                "rerank" => "text-ranking",
                "moderation" => "text-classification",
                "image" => "text-to-image",
                "video" => "text-to-video",
                "audio" => "text-to-speech",
                "transcribe" => "automatic-speech-recognition",
                other => panic!("type {other}"),
            };
            assert_eq!(r.task.as_deref(), Some(task), "{}", r.id);
        }
    }

    #[test]
    fn free_records_are_free_in_the_payload() {
        let page = recording();
        for (m, r) in payload().iter().zip(&page.records) {
            assert_eq!(m["id"], r.id.as_str());
            if is_free(r) {
                assert!(is_free_endpoint(&r.id), "{}", r.id);
                assert_eq!(m["pricing"]["input"], 0, "{}", r.id);
                assert_eq!(m["pricing"]["output"], 0, "{}", r.id);
            }
        }
        // The recording has no `-Free` endpoint, hence no free model; no
        // price of any kind is 0.
        assert!(page.records.iter().all(|r| !is_free(r)));
        assert!(page.records.iter().flat_map(stated_prices).all(|p| !p.is_zero()));
    }

    #[test]
    fn free_serverless_endpoints_are_free() {
        // Hand-made: the recording holds no `-Free` endpoint (Together lists
        // them only while it offers them); these follow the recording's shape.
        let body = br#"[
          {"id":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free","object":"model","created":1733466629,
           "type":"chat","running":false,"display_name":"Meta Llama 3.3 70B Instruct Turbo Free",
           "organization":"Meta","link":"https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct",
           "context_length":131072,"pricing":{"hourly":0,"input":0,"output":0,"base":0,"finetune":0}},
          {"id":"deepseek-ai/DeepSeek-R1-Distill-Llama-70B-free","object":"model","created":0,
           "type":"chat","running":false,"display_name":"DeepSeek R1 Distill Llama 70B Free",
           "organization":"DeepSeek","context_length":8192,
           "pricing":{"hourly":0,"input":0,"output":0,"base":0,"finetune":0}},
          {"id":"black-forest-labs/FLUX.1-schnell-Free","object":"model","created":0,"type":"image",
           "running":false,"display_name":"FLUX.1 [schnell] Free","organization":"Black Forest Labs",
           "pricing":{"hourly":0,"input":0,"output":0,"base":0,"finetune":0}},
          {"id":"acme/chat-free-preview","object":"model","created":0,"type":"chat","running":false,
           "display_name":"Not a free endpoint","organization":"Acme",
           "pricing":{"hourly":0,"input":0,"output":0,"base":0,"finetune":0}}
        ]"#;
        let page = parse(body, &ctx()).unwrap();
        assert_eq!(page.records.len(), 4);
        for r in &page.records[..3] {
            assert!(is_free(r), "{}", r.id);
            assert!(r.price_other.is_empty());
        }
        assert_eq!(page.records[2].task.as_deref(), Some("text-to-image"));
        let not_free = &page.records[3];
        assert_eq!((not_free.price_input, not_free.price_output), (None, None));
    }

    #[test]
    fn unknown_types_have_no_task_and_no_prices() {
        // Hand-made: every type of the recording is known; a new one must not
        // have its numbers read in a unit it may not be in.
        let body = br#"[{"id":"acme/new-thing","type":"hologram","pricing":{"input":3,"output":5}}]"#;
        let page = parse(body, &ctx()).unwrap();
        let r = &page.records[0];
        assert_eq!(r.task, None);
        assert!(r.input_modalities.is_empty() && r.output_modalities.is_empty());
        assert!(stated_prices(r).is_empty());
    }
}
