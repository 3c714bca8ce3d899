//! Credentials go only to the provider's own origin.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::{respond, stderr_of};
use crate::common::hub::{hub_ids, with_cursor};
use crate::common::providers::spec;
use crate::common::raw::{contains, hub_page, RawServer, Response};
use crate::common::{catalog, hub_catalog, ids, ndjson};

const TOKEN: &str = "hf_SENTINEL_scoping_0123456789";

/// Asserts no request to `foreign` carried `key` (in any header or the URL).
fn assert_no_key(foreign: &RawServer, key: &str) {
    for r in foreign.requests() {
        assert_eq!(r.header("authorization"), None, "{}", r.target);
        assert!(
            !contains(&r.head, key.as_bytes()),
            "the key reached the foreign origin: {}",
            String::from_utf8_lossy(&r.head)
        );
    }
}

#[test]
fn a_next_link_to_another_origin_is_followed_without_the_token() {
    let foreign = RawServer::start(|req| respond(hub_page(req, 300)));
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        let mut page = hub_page(req, 300);
        // Page 1 links to the same cursor on the other origin.
        let next = with_cursor(&req.url(), 100).to_string();
        let next = next.replacen(
            &format!("http://{}", req.header("host").unwrap()),
            &foreign_origin,
            1,
        );
        page.headers.retain(|(k, _)| k != "Link");
        respond(page.header("Link", format!("<{next}>; rel=\"next\"")))
    });
    let out = hub_catalog(&home)
        .env("HF_TOKEN", TOKEN)
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 1);
    assert_eq!(
        home.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_no_key(&foreign, TOKEN);
    // Observed: followed without the token (the README's behaviour).
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(foreign.count(), 2, "pages 2 and 3 come from the other origin");
    assert_eq!(ids(&ndjson(&out.stdout)), hub_ids(300));
    assert!(!contains(&out.stderr, TOKEN.as_bytes()));
}

#[test]
fn a_redirect_to_another_origin_is_followed_without_the_token() {
    // Every page of the home origin redirects to the foreign one, whose Links
    // point back home: each page crosses origins.
    let home_origin: Arc<Mutex<String>> = Arc::default();
    let back = home_origin.clone();
    let foreign = RawServer::start(move |req| {
        let mut page = hub_page(req, 300);
        let own = format!("http://{}", req.header("host").unwrap());
        for (k, v) in &mut page.headers {
            if k == "Link" {
                *v = v.replacen(&own, &back.lock().unwrap(), 1);
            }
        }
        respond(page)
    });
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        respond(Response::new(302).header("Location", format!("{foreign_origin}{}", req.target)))
    });
    *home_origin.lock().unwrap() = home.origin();
    let out = hub_catalog(&home)
        .env("HF_TOKEN", TOKEN)
        .args(["fetch", "-p", "hug", "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 3);
    assert!(home
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(format!("Bearer {TOKEN}").as_str())));
    assert_no_key(&foreign, TOKEN);
    // Observed: followed without the token.
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(foreign.count(), 3);
    assert_eq!(ids(&ndjson(&out.stdout)), hub_ids(300));
}

/// A provider `name` whose listing redirects to another origin serving
/// `body`: its key (in its first key variable, sent in `header`) must not
/// follow.
fn assert_header_key_not_redirected(name: &str, header: &str, path: &str, body: serde_json::Value) {
    let key = format!("SENTINEL-{name}-0123456789");
    let foreign = RawServer::start(move |_| respond(Response::json(200, &body)));
    let foreign_origin = foreign.origin();
    let home = RawServer::start(move |req| {
        respond(Response::new(302).header("Location", format!("{foreign_origin}{}", req.target)))
    });
    let out = catalog()
        .env(spec(name).url_env(), home.url(path))
        .env(&spec(name).key_env[0], &key)
        .args(["fetch", "-p", name, "-f", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(home.count(), 1);
    assert_eq!(home.requests()[0].header(header), Some(key.as_str()));
    assert_eq!(foreign.count(), 1);
    for r in foreign.requests() {
        assert_eq!(r.header(header), None, "{name}");
    }
    assert_no_key(&foreign, &key);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(ndjson(&out.stdout).len(), 2, "{name}");
}

#[test]
fn an_x_goog_api_key_does_not_follow_a_redirect_to_another_origin() {
    assert_header_key_not_redirected(
        "google",
        "x-goog-api-key",
        "/v1beta/models",
        json!({"models": [{"name": "models/a"}, {"name": "models/b"}]}),
    );
}

#[test]
fn an_x_portkey_api_key_does_not_follow_a_redirect_to_another_origin() {
    assert_header_key_not_redirected(
        "portkey",
        "x-portkey-api-key",
        "/v1/models",
        json!({"data": [{"id": "@a/x"}, {"id": "@b/y"}], "total": 2}),
    );
}
