//! Adapters through the library's public API on hand-made listings
//! (Together, Fireworks, Nebius, Chutes, Portkey), built from their documented
//! response shapes: hand-made because each covers a shape or a case the
//! recorded listings (the adapters' primary fixtures, in their unit tests) do
//! not have.

use catalog::providers::{ParseCtx, ParsedPage, PriceUnit, Shape};
use catalog::record::{Price, Record, Timestamp};

fn ctx(provider: &str, price_unit: Option<PriceUnit>, hf_ids: bool) -> ParseCtx {
    ParseCtx {
        price_unit,
        hf_ids,
        ..ParseCtx::new(provider, "https://example.test/v1/models", Timestamp(0))
    }
}

fn parse(body: &[u8], ctx: &ParseCtx) -> ParsedPage {
    let page = Shape::Openai.parse(body, ctx).unwrap();
    assert_eq!(page.skipped, 0);
    page
}

fn find<'a>(page: &'a ParsedPage, id: &str) -> &'a Record {
    page.records.iter().find(|r| r.id == id).unwrap()
}

fn price(p: Option<Price>) -> Option<String> {
    p.map(|p| p.to_string())
}

#[test]
fn together_bare_array_is_read_with_usd_per_million_prices() {
    let body = include_bytes!("../fixtures/together-models.json");
    let page = Shape::Together
        .parse(body, &ctx("together", None, false))
        .unwrap();
    assert_eq!((page.records.len(), page.skipped), (4, 0));
    assert_eq!(page.hints.total, None);

    let llama = find(&page, "meta-llama/Llama-3.3-70B-Instruct-Turbo");
    assert_eq!(llama.name.as_deref(), Some("Meta Llama 3.3 70B Instruct Turbo"));
    assert_eq!(llama.owned_by.as_deref(), Some("Meta"));
    assert_eq!(llama.created.unwrap().0, 1_733_443_881);
    assert_eq!(llama.context_length, Some(131_072));
    assert_eq!(llama.task.as_deref(), Some("text-generation"));
    assert_eq!(price(llama.price_input).as_deref(), Some("0.88"));
    assert_eq!(price(llama.price_output).as_deref(), Some("0.88"));
    assert_eq!(llama.price_cache_read, None);
    // Ids are not Hugging Face ids, but `link` names the Hub repository.
    assert_eq!(
        llama.hugging_face_id.as_deref(),
        Some("meta-llama/Llama-3.3-70B-Instruct")
    );

    let tasks: Vec<_> = page.records.iter().map(|r| r.task.as_deref()).collect();
    assert_eq!(
        tasks,
        [
            Some("text-generation"),
            Some("text-generation"),
            Some("text-to-image"),
            Some("feature-extraction")
        ]
    );
    // An embedding model has an input price and generates nothing.
    let bge = find(&page, "BAAI/bge-large-en-v1.5");
    assert_eq!(price(bge.price_input).as_deref(), Some("0.02"));
    assert_eq!(bge.price_output, None);
}

#[test]
fn together_image_model_has_unknown_context_and_unknown_prices() {
    let body = include_bytes!("../fixtures/together-models.json");
    let page = Shape::Together
        .parse(body, &ctx("together", None, false))
        .unwrap();
    let flux = find(&page, "black-forest-labs/FLUX.1-schnell");
    assert_eq!(flux.name.as_deref(), Some("FLUX.1 [schnell]"));
    assert_eq!(flux.owned_by.as_deref(), Some("Black Forest Labs"));
    // `context_length: 0` is unknown, not zero.
    assert_eq!(flux.context_length, None);
    // `input: 0` on a model billed per image states no price: unknown, not free.
    assert_eq!(flux.price_input, None);
    assert_eq!(flux.price_output, None);
    assert!(flux.price_other.is_empty());
}

#[test]
fn together_prices_do_not_depend_on_a_price_unit() {
    let body = include_bytes!("../fixtures/together-models.json");
    let prices = |unit| {
        let page = Shape::Together
            .parse(body, &ctx("together", unit, false))
            .unwrap();
        page.records
            .iter()
            .map(|r| (price(r.price_input), price(r.price_output)))
            .collect::<Vec<_>>()
    };
    assert_eq!(prices(None), prices(Some(PriceUnit::UsdPerToken)));
    assert_eq!(prices(None)[0], (Some("0.88".into()), Some("0.88".into())));
}

#[test]
fn fireworks_image_support_becomes_input_modalities() {
    let body = include_bytes!("../fixtures/fireworks-models.json");
    let page = parse(body, &ctx("fireworks", None, false));
    let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "accounts/fireworks/models/qwen2p5-vl-32b-instruct",
            "accounts/fireworks/models/deepseek-v3p1"
        ]
    );
    let llama = &page.records[0];
    assert_eq!(llama.owned_by.as_deref(), Some("fireworks"));
    assert_eq!(llama.context_length, Some(131_072));
    assert_eq!(llama.input_modalities, ["text"]);
    assert_eq!(llama.created.unwrap().0, 1_721_692_800);
    let vl = &page.records[1];
    assert_eq!(vl.context_length, Some(128_000));
    assert_eq!(vl.input_modalities, ["text", "image"]);
    // `supports_chat: true`: a chat model writes text.
    assert_eq!(vl.output_modalities, ["text"]);
    assert_eq!(vl.task.as_deref(), Some("text-generation"));
    let deepseek = &page.records[2];
    assert_eq!(deepseek.capabilities, ["tools"]);
    // Resource-path ids are not Hugging Face ids, and there are no prices.
    assert!(page
        .records
        .iter()
        .all(|r| r.hugging_face_id.is_none() && r.price_input.is_none()));
}

#[test]
fn nebius_ids_owner_and_creation_time_are_read() {
    let body = include_bytes!("../fixtures/nebius-models.json");
    let page = parse(body, &ctx("nebius", None, false));
    let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "meta-llama/Meta-Llama-3.1-70B-Instruct",
            "Qwen/Qwen3-235B-A22B",
            "deepseek-ai/DeepSeek-V3-0324"
        ]
    );
    assert!(page
        .records
        .iter()
        .all(|r| r.owned_by.as_deref() == Some("system")));
    assert_eq!(
        page.records[0].created.unwrap().to_string(),
        "2024-08-20T00:00:00Z"
    );
    assert_eq!(page.records[0].context_length, None);
}

#[test]
fn chutes_prices_limits_modalities_and_hugging_face_ids() {
    let body = include_bytes!("../fixtures/chutes-models.json");
    let page = parse(body, &ctx("chutes", Some(PriceUnit::UsdPerMillion), true));
    assert_eq!(page.records.len(), 3);

    let r1 = find(&page, "deepseek-ai/DeepSeek-R1");
    assert_eq!(price(r1.price_input).as_deref(), Some("0.4"));
    assert_eq!(price(r1.price_output).as_deref(), Some("1.75"));
    assert_eq!(r1.context_length, Some(163_840));
    assert_eq!(r1.max_output_tokens, Some(65_536));
    assert_eq!(r1.owned_by.as_deref(), Some("sglang"));
    assert_eq!(r1.input_modalities, ["text"]);
    assert_eq!(r1.output_modalities, ["text"]);
    assert_eq!(r1.hugging_face_id.as_deref(), Some("deepseek-ai/DeepSeek-R1"));

    let vl = find(&page, "Qwen/Qwen2.5-VL-32B-Instruct");
    assert_eq!(vl.owned_by.as_deref(), Some("vllm"));
    assert_eq!(vl.input_modalities, ["text", "image"]);
    assert_eq!(
        (vl.context_length, vl.max_output_tokens),
        (Some(16_384), Some(16_384))
    );
    assert_eq!(price(vl.price_input).as_deref(), Some("0.05"));
    assert_eq!(price(vl.price_output).as_deref(), Some("0.22"));

    let gemma = find(&page, "unsloth/gemma-3-4b-it");
    assert_eq!(price(gemma.price_input).as_deref(), Some("0"));
    assert_eq!(gemma.context_length, Some(96_000));
}

#[test]
fn portkey_first_page_with_a_bom_gives_two_ids_and_the_total() {
    let body = include_bytes!("../fixtures/portkey-models-page1.json");
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let page = parse(body, &ctx("portkey", None, false));
    assert_eq!((page.records.len(), page.items), (2, 2));
    assert_eq!(page.hints.total, Some(3));
    let ids: Vec<_> = page.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["@openai/gpt-4o", "@openai/gpt-4o-mini"]);
    assert_eq!(page.records[0].name, None);
    assert_eq!(page.records[0].owned_by, None);
}

#[test]
fn portkey_second_page_completes_the_total() {
    let body = include_bytes!("../fixtures/portkey-models-page2.json");
    let page = parse(body, &ctx("portkey", None, false));
    assert_eq!(page.hints.total, Some(3));
    assert_eq!(page.records.len(), 1);
    assert_eq!(
        page.records[0].id,
        "@deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct"
    );
}
