//! The Hugging Face Hub's inference-provider mapping, read: which Hub
//! repository each id of a provider serves, as the provider registered it
//! through the Hub's Model Mapping API.
//!
//! `GET /api/partners/{provider}/models` is documented (hub-docs,
//! `docs/inference-providers/register-as-a-provider.md`, "List the whole
//! mapping") as grouped by task, then keyed by the Hub model id:
//!
//! ```json
//! {"conversational": {"deepseek-ai/DeepSeek-R1": {"providerId": "deepseek-ai/DeepSeek-R1", "status": "live"}}}
//! ```
//!
//! No recorded response was found, so two other plausible shapes are read as
//! well: one object keyed by the Hub model id without the task level, and a
//! list of entries as huggingface.js types them (`InferenceProviderMappingEntry`:
//! `hfModelId`, `providerId`, `status`, `task`, optionally `type` and
//! `adapter`), the form the Hub's `/api/models` gives its own
//! `inferenceProviderMapping`.

use serde_json::{Map, Value};

/// One live entry: the provider's id and the Hub repository it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The id on the provider's side (`accounts/fireworks/models/deepseek-r1`).
    pub(crate) provider_id: String,
    /// The Hub repository (`deepseek-ai/DeepSeek-R1`).
    pub(crate) hf_model: String,
}

/// The live entries of a mapping body. Entries that are not live
/// (`staging` is served to the provider's own organization only), that name
/// a slice of the Hub by tag or a LoRA adapter rather than one model's
/// weights, or that lack an id are left out.
///
/// # Errors
/// When the body is not JSON, or not a mapping in any of the shapes above.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<Entry>, String> {
    let value: Value = serde_json::from_slice(crate::providers::strip_bom(body))
        .map_err(|e| format!("invalid JSON: {e}"))?;
    let mut out = Vec::new();
    match value {
        Value::Array(items) => {
            for item in &items {
                let Some(e) = item.as_object() else {
                    return Err("a list item is not an object".to_owned());
                };
                let hf = e
                    .get("hfModelId")
                    .or_else(|| e.get("hfModel"))
                    .and_then(Value::as_str);
                push(&mut out, hf, e);
            }
        }
        Value::Object(top) => {
            let mut recognized = top.is_empty();
            for (key, value) in &top {
                let Some(inner) = value.as_object() else {
                    continue;
                };
                if inner.contains_key("providerId") {
                    // Keyed by model, no task level.
                    recognized = true;
                    push(&mut out, Some(key), inner);
                    continue;
                }
                // A task: models keyed by their Hub id.
                for (hf, e) in inner {
                    if let Some(e) = e.as_object().filter(|e| e.contains_key("providerId")) {
                        recognized = true;
                        push(&mut out, Some(hf), e);
                    }
                }
                // An empty task is still a task.
                recognized |= inner.is_empty();
            }
            if !recognized {
                let keys: Vec<&str> = top.keys().take(3).map(String::as_str).collect();
                return Err(format!(
                    "not a mapping: no entry with a providerId (keys {})",
                    keys.join(", ")
                ));
            }
        }
        _ => return Err("not a mapping: neither an object nor a list".to_owned()),
    }
    Ok(out)
}

/// Adds `e` when it is a live entry of one model's weights.
fn push(out: &mut Vec<Entry>, hf: Option<&str>, e: &Map<String, Value>) {
    let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::trim);
    let live = text("status") == Some("live");
    let one_model = text("type").is_none_or(|t| t == "single-model") && !e.contains_key("adapter");
    let (Some(hf), Some(id)) = (hf.map(str::trim), text("providerId")) else {
        return;
    };
    // A repository id is `owner/name`; anything else names no weights.
    let repo = hf
        .split_once('/')
        .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty());
    if live && one_model && repo && !id.is_empty() {
        out.push(Entry {
            provider_id: id.to_owned(),
            hf_model: hf.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (provider id, repository), sorted: the order of a JSON object's keys
    /// means nothing.
    fn pairs(body: &str) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = parse(body.as_bytes())
            .unwrap()
            .into_iter()
            .map(|e| (e.provider_id, e.hf_model))
            .collect();
        pairs.sort();
        pairs
    }

    fn pair(id: &str, hf: &str) -> (String, String) {
        (id.to_owned(), hf.to_owned())
    }

    #[test]
    fn the_documented_shape_is_grouped_by_task_then_keyed_by_hub_model() {
        // The example of hub-docs' register-as-a-provider.md, as printed.
        let body = r#"{
            "text-to-image": {
                "black-forest-labs/FLUX.1-Canny-dev": {"providerId": "black-forest-labs/FLUX.1-canny", "status": "live"},
                "black-forest-labs/FLUX.1-Depth-dev": {"providerId": "black-forest-labs/FLUX.1-depth", "status": "live"}
            },
            "conversational": {
                "deepseek-ai/DeepSeek-R1": {"providerId": "deepseek-ai/DeepSeek-R1", "status": "live"}
            },
            "text-generation": {
                "meta-llama/Llama-2-70b-hf": {"providerId": "meta-llama/Llama-2-70b-hf", "status": "live"},
                "mistralai/Mixtral-8x7B-v0.1": {"providerId": "mistralai/Mixtral-8x7B-v0.1", "status": "live"}
            }
        }"#;
        assert_eq!(
            pairs(body),
            [
                pair(
                    "black-forest-labs/FLUX.1-canny",
                    "black-forest-labs/FLUX.1-Canny-dev"
                ),
                pair(
                    "black-forest-labs/FLUX.1-depth",
                    "black-forest-labs/FLUX.1-Depth-dev"
                ),
                pair("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1"),
                pair("meta-llama/Llama-2-70b-hf", "meta-llama/Llama-2-70b-hf"),
                pair("mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-v0.1"),
            ]
        );
    }

    #[test]
    fn a_list_of_entries_reads_like_the_grouped_shape() {
        // huggingface.js' InferenceProviderMappingEntry, as /api/models lists it.
        let body = r#"[
            {"provider": "groq", "hfModelId": "meta-llama/Llama-3.3-70B-Instruct", "providerId": "llama-3.3-70b-versatile", "status": "live", "task": "conversational"},
            {"provider": "groq", "hfModelId": "openai/whisper-large-v3", "providerId": "whisper-large-v3", "status": "staging", "task": "automatic-speech-recognition"}
        ]"#;
        assert_eq!(
            pairs(body),
            [pair(
                "llama-3.3-70b-versatile",
                "meta-llama/Llama-3.3-70B-Instruct"
            )]
        );
        // Keyed by model with no task level, as /api/models/{id} keys providers.
        let flat = r#"{"meta-llama/Llama-3.3-70B-Instruct": {"providerId": "llama-3.3-70b-versatile", "status": "live", "task": "conversational"}}"#;
        assert_eq!(
            pairs(flat),
            [pair(
                "llama-3.3-70b-versatile",
                "meta-llama/Llama-3.3-70B-Instruct"
            )]
        );
    }

    #[test]
    fn only_live_entries_of_one_models_weights_count() {
        let body = r#"{"conversational": {
            "a/staged": {"providerId": "x-1", "status": "staging"},
            "a/unstated": {"providerId": "x-2"},
            "a/lora": {"providerId": "x-3", "status": "live", "adapter": "lora", "adapterWeightsPath": "w.safetensors"},
            "a/tagged": {"providerId": "x-4", "status": "live", "type": "tag-filter"},
            "not-a-repo": {"providerId": "x-5", "status": "live"},
            "a/empty-id": {"providerId": "", "status": "live"},
            "a/single": {"providerId": "x-6", "status": "live", "type": "single-model", "isModelAuthor": false}
        }}"#;
        assert_eq!(pairs(body), [pair("x-6", "a/single")]);
    }

    #[test]
    fn an_empty_mapping_is_empty_and_an_error_body_is_no_mapping() {
        assert_eq!(pairs("{}"), []);
        assert_eq!(pairs("[]"), []);
        assert_eq!(pairs(r#"{"conversational": {}}"#), []);
        let err = parse(br#"{"error": "Provider not found"}"#).unwrap_err();
        assert!(
            err.starts_with("not a mapping: no entry with a providerId (keys error)"),
            "{err}"
        );
        assert!(parse(b"<html>").unwrap_err().starts_with("invalid JSON"));
        assert!(parse(b"\"live\"").is_err());
    }
}
