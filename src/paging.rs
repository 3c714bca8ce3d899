//! Pagination: every rule for the first page, the next page and when a
//! listing is going in circles. The harvest loop asks; this module knows.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use reqwest::header::{HeaderMap, LINK};
use serde::Deserialize;
use url::Url;

use crate::error::FetchError;
use crate::http::display_url;

/// How a provider's listing is paginated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paging {
    /// One request returns everything.
    None,
    /// `Link: <url>; rel="next"` response header, followed verbatim (Hugging Face).
    Link,
    /// `limit` + `offset` query parameters until the body's `total` is reached.
    Offset,
    /// `page` + page-size parameters until the body's `total_pages` is reached.
    Page,
    /// Page-size + `pageToken` parameters until the body has no `nextPageToken`.
    Token,
}

impl Paging {
    /// The query parameter carrying the page size, unless the table names one.
    #[must_use]
    pub(crate) fn size_param(self) -> &'static str {
        match self {
            Paging::Token => "pageSize",
            Paging::Page => "per_page",
            _ => "limit",
        }
    }
}

/// Consecutive pages without a single new model (all repeats or all
/// malformed) after which a listing is taken to be going in circles.
const MAX_BARREN_PAGES: u32 = 5;

/// Adds the first page's paging parameters to a listing URL's query: its
/// size under `size_param`, and the first offset or page number.
pub(crate) fn first_page(
    paging: Paging,
    size_param: &str,
    size: Option<u64>,
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
) {
    if let Some(size) = size {
        q.append_pair(size_param, &size.to_string());
    }
    match paging {
        Paging::Offset => {
            q.append_pair("offset", "0");
        }
        Paging::Page => {
            q.append_pair("page", "1");
        }
        _ => {}
    }
}

/// The page size of the first request: `asked`, else the table's default,
/// else 100; never more than a Link-paged listing's limit, since its
/// cursor keeps the first page's size.
pub(crate) fn page_size(
    paging: Paging,
    asked: Option<u32>,
    default: Option<u32>,
    limit: Option<u64>,
) -> Option<u64> {
    if paging == Paging::None {
        return None;
    }
    let size = u64::from(asked.or(default).unwrap_or(100));
    Some(match (paging, limit) {
        (Paging::Link, Some(limit)) => size.min(limit),
        _ => size,
    })
}

/// Pagination facts read from a page body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageHints {
    /// Total number of models in the listing (`total`).
    pub total: Option<u64>,
    /// Total number of pages (`pagination.total_pages`).
    pub total_pages: Option<u64>,
    /// Token of the next page (`nextPageToken`).
    pub next_token: Option<String>,
}

/// `current` with query parameter `name` set to `value` (replacing it).
fn with_param(current: &Url, name: &str, value: &str) -> Url {
    let mut next = current.clone();
    let pairs: Vec<(String, String)> = current
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    next
}

/// Where a listing stands after a page: what the next-page rules read.
pub(crate) struct PageState<'a> {
    /// The page just fetched.
    pub(crate) url: &'a Url,
    /// Its response headers (`Link`).
    pub(crate) headers: &'a HeaderMap,
    /// What its body said about the listing (totals, tokens).
    pub(crate) hints: &'a PageHints,
    /// Pages fetched so far.
    pub(crate) pages: u64,
    /// Items (models, valid or not) fetched so far.
    pub(crate) items: u64,
    /// The page size asked for.
    pub(crate) page_size: Option<u64>,
}

/// Works out the next page's URL, or `None` when the listing is complete.
pub(crate) fn next_url(paging: Paging, at: &PageState<'_>) -> Result<Option<Url>, FetchError> {
    let current = at.url;
    // Without a stated total, a full page suggests more.
    let full = at.page_size.is_some_and(|s| at.items == s * at.pages);
    Ok(match paging {
        Paging::None => None,
        Paging::Link => match link_next(at.headers) {
            Some(link) => Some(current.join(&link).map_err(|e| FetchError::Pagination {
                url: display_url(current),
                reason: format!("unusable Link URL: {e}"),
            })?),
            None => None,
        },
        Paging::Offset => match at.hints.total {
            Some(total) if at.items < total => Some(with_param(current, "offset", &at.items.to_string())),
            None if full => Some(with_param(current, "offset", &at.items.to_string())),
            _ => None,
        },
        Paging::Page => match at.hints.total_pages {
            Some(total) if at.pages < total => Some(with_param(current, "page", &(at.pages + 1).to_string())),
            None if full => Some(with_param(current, "page", &(at.pages + 1).to_string())),
            _ => None,
        },
        Paging::Token => at
            .hints
            .next_token
            .as_deref()
            .map(|t| with_param(current, "pageToken", t)),
    })
}

/// The `rel="next"` target of an RFC 8288 `Link` header.
#[must_use]
pub(crate) fn link_next(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|value| {
            // Entries are `<target>; params`, comma-separated; a target may
            // itself hold commas, so targets are found by their brackets.
            let mut rest = value;
            while let Some(open) = rest.find('<') {
                let after = &rest[open + 1..];
                let close = after.find('>')?;
                let target = &after[..close];
                let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
                let params = &after[close + 1..params_end];
                let is_next = params.split([';', ',']).any(|p| {
                    let p = p.trim().replace(' ', "").to_ascii_lowercase();
                    p == "rel=\"next\"" || p == "rel=next"
                });
                if is_next {
                    return Some(target.to_owned());
                }
                rest = &after[close + 1..];
            }
            None
        })
}

/// The checks that end a listing going in circles: pages with nothing new,
/// a next page already fetched, or mostly repeated models.
#[derive(Default)]
pub(crate) struct LoopGuard {
    barren: u32,
    /// Hashes, not URLs: a loop check must not grow by a URL a page.
    seen_urls: HashSet<u64>,
    hasher: BuildHasherDefault<DefaultHasher>,
}

impl LoopGuard {
    /// After a page that brought `fresh` new models.
    pub(crate) fn page(&mut self, fresh: usize, url: &Url) -> Result<(), FetchError> {
        self.barren = if fresh == 0 { self.barren + 1 } else { 0 };
        if self.barren >= MAX_BARREN_PAGES {
            return Err(FetchError::Pagination {
                url: display_url(url),
                reason: format!("{} pages in a row brought no new model", self.barren),
            });
        }
        Ok(())
    }

    /// Before following `next` from `url`; `duplicates` of `items` fetched
    /// (`malformed` of them unreadable) were repeats.
    pub(crate) fn advance(
        &mut self,
        url: &Url,
        next: &Url,
        duplicates: u64,
        items: u64,
        malformed: u64,
    ) -> Result<(), FetchError> {
        if !self.seen_urls.insert(self.hasher.hash_one(url.as_str()))
            || self.seen_urls.contains(&self.hasher.hash_one(next.as_str()))
        {
            return Err(FetchError::Pagination {
                url: display_url(next),
                reason: "the next page was already fetched".into(),
            });
        }
        if duplicates > 0 && duplicates > items.saturating_sub(malformed) / 2 {
            return Err(FetchError::Pagination {
                url: display_url(url),
                reason: format!("{duplicates} of {items} models were repeats: the server is not advancing"),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_next_is_found_among_other_rels() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static("<https://a.test/p?x=1>; rel=\"prev\", <https://huggingface.co/api/models?limit=10&cursor=eyJ9%3D>; rel=\"next\""),
        );
        assert_eq!(
            link_next(&h).as_deref(),
            Some("https://huggingface.co/api/models?limit=10&cursor=eyJ9%3D")
        );
        assert_eq!(link_next(&HeaderMap::new()), None);
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(
                "<https://a.test/m?tags=a,b&cursor=x>; rel=\"next\"; title=\"more, please\"",
            ),
        );
        assert_eq!(
            link_next(&h).as_deref(),
            Some("https://a.test/m?tags=a,b&cursor=x")
        );
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static("<https://a.test/first>; rel=\"first\""),
        );
        assert_eq!(link_next(&h), None);
    }
}
