//! Mock listings of every built-in provider, served from the recorded
//! fixtures in `tests/fixtures/`, each under `/<name>/...` of one wiremock
//! server. A provider mounted with a key answers 401 unless the key arrives
//! in that provider's own auth header.
//!
//! Shared by the tests and by `examples/mock.rs`.

use std::path::PathBuf;
use std::sync::LazyLock;

use catalog::providers::ProviderSpec;
use wiremock::matchers::{header, header_regex, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::hub::FakeHub;

/// The built-in provider table, parsed once.
pub fn builtin() -> &'static [ProviderSpec] {
    static BUILTIN: LazyLock<Vec<ProviderSpec>> = LazyLock::new(catalog::providers::builtin);
    &BUILTIN
}

/// The built-in provider `name`.
pub fn spec(name: &str) -> &'static ProviderSpec {
    builtin()
        .iter()
        .find(|spec| spec.name == name)
        .unwrap_or_else(|| panic!("{name} is not a built-in provider"))
}

/// How a provider's key is checked.
#[derive(Debug, Clone, Copy)]
pub enum KeyCheck {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>`.
    Header(&'static str),
}

/// One mocked provider: its name, listing path, auth and pages
/// (`(query param that selects the page, fixture file)`).
#[derive(Debug, Clone, Copy)]
pub struct MockProvider {
    /// Provider name.
    pub name: &'static str,
    /// Listing path on the mock server.
    pub path: &'static str,
    /// How the key is sent.
    pub auth: KeyCheck,
    /// Pages: the query parameter (name, value) that selects each, and its fixture.
    pub pages: &'static [(Option<(&'static str, &'static str)>, &'static str)],
}

/// Every built-in provider except `hug` (served by [`FakeHub`]), in table
/// order. Written by hand, as the recorded listings are: [`url_env`] checks
/// that it covers exactly the built-in table.
pub const PROVIDERS: &[MockProvider] = &[
    MockProvider {
        name: "openrouter",
        path: "/openrouter/api/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "openrouter-models-all.json")],
    },
    MockProvider {
        name: "portkey",
        path: "/portkey/v1/models",
        auth: KeyCheck::Header("x-portkey-api-key"),
        pages: &[
            (Some(("offset", "0")), "portkey-models-page1.json"),
            (Some(("offset", "2")), "portkey-models-page2.json"),
        ],
    },
    MockProvider {
        name: "featherless",
        path: "/featherless/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "featherless-models-docs.json")],
    },
    MockProvider {
        name: "deepinfra",
        path: "/deepinfra/v1/openai/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "deepinfra-openai-models.json")],
    },
    MockProvider {
        name: "chutes",
        path: "/chutes/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "chutes-87b0af4.json")],
    },
    MockProvider {
        name: "groq",
        path: "/groq/openai/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "groq-models.json")],
    },
    MockProvider {
        name: "together",
        path: "/together/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "together-70bc7d5.json")],
    },
    MockProvider {
        name: "fireworks",
        path: "/fireworks/inference/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "fireworks-87b0af4.json")],
    },
    MockProvider {
        name: "google",
        path: "/google/v1beta/models",
        auth: KeyCheck::Header("x-goog-api-key"),
        pages: &[
            (None, "google-models-page1.json"),
            (Some(("pageToken", "page-2-token")), "google-models-page2.json"),
        ],
    },
    MockProvider {
        name: "xai",
        path: "/xai/v1/language-models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "xai-language-models.json")],
    },
    MockProvider {
        name: "nebius",
        path: "/nebius/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "nebius-43f6582.json")],
    },
    MockProvider {
        name: "cerebras",
        path: "/cerebras/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "cerebras-models-docs.json")],
    },
    MockProvider {
        name: "novita",
        path: "/novita/openai/v1/models",
        auth: KeyCheck::Bearer,
        pages: &[(None, "novita-models-excerpt.json")],
    },
];

/// Path of the fake Hub's listing.
pub const HUB_PATH: &str = "/hug/api/models";

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fixture file's bytes.
fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixture(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Mounts one provider. With `key`, requests without it get 401.
pub async fn mount(server: &MockServer, p: &MockProvider, key: Option<&str>) {
    mount_with(server, p, key.map_or(Key::Open, Key::Exact)).await;
}

/// Mounts one provider that accepts any non-empty key in its auth header and
/// answers 401 without one (as `examples/mock.rs` serves the providers whose
/// listing needs a key, so a user's own keys or placeholders both work).
#[allow(dead_code, reason = "the mock's, not the tests'")]
pub async fn mount_any_key(server: &MockServer, p: &MockProvider) {
    mount_with(server, p, Key::Any).await;
}

/// What a mocked provider asks of the key.
#[derive(Clone, Copy)]
enum Key<'a> {
    Open,
    Exact(&'a str),
    Any,
}

async fn mount_with(server: &MockServer, p: &MockProvider, key: Key<'_>) {
    for (selector, file) in p.pages {
        let mut mock = Mock::given(method("GET")).and(path(p.path));
        mock = match selector {
            Some((name, value)) => mock.and(query_param(*name, *value)),
            // The first page of a token-paged listing carries no token.
            None if p.pages.len() > 1 => mock.and(query_param_is_missing("pageToken")),
            None => mock,
        };
        mock = match (key, p.auth) {
            (Key::Open, _) => mock,
            (Key::Exact(key), KeyCheck::Bearer) => {
                mock.and(header("authorization", format!("Bearer {key}").as_str()))
            }
            (Key::Exact(key), KeyCheck::Header(name)) => mock.and(header(name, key)),
            (Key::Any, KeyCheck::Bearer) => mock.and(header_regex("authorization", r"^Bearer \S")),
            (Key::Any, KeyCheck::Header(name)) => mock.and(header_regex(name, r"\S")),
        };
        let body = ResponseTemplate::new(200).set_body_raw(fixture_bytes(file), "application/json");
        mock.respond_with(body).with_priority(1).mount(server).await;
    }
    Mock::given(path(p.path))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("{\"error\":\"invalid or missing API key\"}"),
        )
        .with_priority(10)
        .mount(server)
        .await;
    if let Some(partner) = &spec(p.name).hub_partner {
        mount_mapping(server, partner).await;
    }
}

/// Path of a Hub partner's inference-provider mapping, beside the fake Hub
/// (the Hub's base is [`HUB_PATH`] without `/api/models`).
pub fn mapping_path(partner: &str) -> String {
    format!("/hug/api/partners/{partner}/models")
}

/// Serves the Hub's mapping of `partner` from its fixture
/// `hf-partners-<partner>.json` (public: no key asked).
pub async fn mount_mapping(server: &MockServer, partner: &str) {
    let body = fixture_bytes(&format!("hf-partners-{partner}.json"));
    Mock::given(method("GET"))
        .and(path(mapping_path(partner)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

/// Mounts the fake Hub at [`HUB_PATH`].
pub async fn mount_hub(server: &MockServer, hub: FakeHub) {
    Mock::given(method("GET"))
        .and(path(HUB_PATH))
        .respond_with(hub)
        .mount(server)
        .await;
}

/// `CATALOG_<NAME>_URL` settings pointing every built-in provider at its
/// mock on `server`. Panics unless [`PROVIDERS`] and the fake Hub cover
/// exactly the built-in table.
pub fn url_env(server: &MockServer) -> Vec<(String, String)> {
    let table: Vec<&str> = builtin().iter().map(|spec| spec.name.as_str()).collect();
    let mocked: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    let expected: Vec<&str> = table.iter().copied().filter(|name| *name != "hug").collect();
    assert_eq!(
        mocked, expected,
        "PROVIDERS must list every built-in provider but hug, in table order"
    );
    assert!(table.contains(&"hug"), "the fake Hub serves the built-in hug");
    builtin()
        .iter()
        .map(|spec| {
            let path = PROVIDERS
                .iter()
                .find(|p| p.name == spec.name)
                .map_or(HUB_PATH, |p| p.path);
            (spec.url_env(), format!("{}{path}", server.uri()))
        })
        .collect()
}
