//! [`StrList`]: tags and modalities, kept as the JSON text they are written as.

use std::borrow::Cow;
use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize, Serializer};

use crate::escape;

/// A list of strings (tags, modalities) held as its JSON text, `["text","image"]`,
/// in one [`CompactString`].
///
/// A list of up to 24 bytes of JSON (`["text"]`, `["image","text"]`) needs no
/// allocation; a longer one needs one. Writing a record copies the text as
/// it is, and a Hub tag array that is already in this form (the usual case)
/// is taken over from the page without being split into strings at all. The
/// text is always exactly what `serde_json` writes for the same list.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StrList(CompactString);

impl StrList {
    /// The empty list.
    #[must_use]
    pub const fn new() -> StrList {
        StrList(CompactString::const_new("[]"))
    }

    /// Takes JSON text that is already in the canonical form: an array of
    /// strings with no whitespace between tokens and no escapes (so nothing
    /// `serde_json` would write differently). `None` for anything else.
    #[must_use]
    pub fn from_json(text: &str) -> Option<StrList> {
        let b = text.as_bytes();
        if b == b"[]" {
            return Some(StrList::new());
        }
        if b.len() < 4 || !b.starts_with(b"[\"") || !b.ends_with(b"\"]") {
            return None;
        }
        let inner = &b[2..b.len() - 2];
        let mut i = 0;
        while i < inner.len() {
            match inner[i] {
                // A quote inside may only be a separator: `","`.
                b'"' if inner.get(i + 1) == Some(&b',') && inner.get(i + 2) == Some(&b'"') => i += 3,
                b'"' | b'\\' | 0x00..=0x1f => return None,
                _ => i += 1,
            }
        }
        Some(StrList(CompactString::from(text)))
    }

    /// A literal the caller knows to be in canonical form; not copied.
    pub(crate) fn from_static(text: &'static str) -> StrList {
        debug_assert!(StrList::from_json(text).is_some(), "{text}");
        StrList(CompactString::const_new(text))
    }

    /// Text the caller has already checked to be in canonical form.
    pub(crate) fn from_canonical(text: &str) -> StrList {
        debug_assert!(StrList::from_json(text).is_some(), "{text}");
        StrList(CompactString::from(text))
    }

    /// The list as JSON text.
    #[must_use]
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The items, unescaped.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.items().into_iter()
    }

    fn items(&self) -> Vec<Cow<'_, str>> {
        let text = self.as_json();
        if text == "[]" {
            return Vec::new();
        }
        if !text.contains('\\') {
            // No escapes: items cannot contain a quote, so `","` only separates.
            return text[2..text.len() - 2]
                .split("\",\"")
                .map(Cow::Borrowed)
                .collect();
        }
        serde_json::from_str::<Vec<String>>(text)
            .expect("a StrList holds valid JSON")
            .into_iter()
            .map(Cow::Owned)
            .collect()
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// Whether the list has no items.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_json() == "[]"
    }

    /// Whether an item equals `s`, ignoring ASCII case.
    #[must_use]
    pub fn contains_ignore_case(&self, s: &str) -> bool {
        self.iter().any(|x| x.eq_ignore_ascii_case(s))
    }

    /// The items joined by `sep` (CSV cells).
    #[must_use]
    pub fn join(&self, sep: &str) -> String {
        self.items().join(sep)
    }
}

impl Default for StrList {
    fn default() -> Self {
        StrList::new()
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Self {
        // Built in place, so a short list stays inline with no allocation;
        // an item that needs escaping moves the rest to the escaping path.
        let mut text = CompactString::const_new("[");
        let mut items = items.into_iter();
        let mut first = true;
        while let Some(item) = items.next() {
            let s = item.as_ref();
            if escape::needs_escape(s.as_bytes()) {
                let mut bytes = text.into_string().into_bytes();
                if !first {
                    bytes.push(b',');
                }
                escape::string(&mut bytes, s);
                for rest in items {
                    bytes.push(b',');
                    escape::string(&mut bytes, rest.as_ref());
                }
                bytes.push(b']');
                return StrList(CompactString::from_utf8(bytes).expect("JSON text of strings is UTF-8"));
            }
            text.push_str(if first { "\"" } else { ",\"" });
            text.push_str(s);
            text.push('"');
            first = false;
        }
        text.push(']');
        StrList(text)
    }
}

impl fmt::Debug for StrList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for StrList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().map(|s| Cow::Borrowed(*s)))
    }
}

impl PartialEq<[&str]> for StrList {
    fn eq(&self, other: &[&str]) -> bool {
        self.iter().eq(other.iter().map(|s| Cow::Borrowed(*s)))
    }
}

impl Serialize for StrList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = StrList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }

            fn visit_unit<E>(self) -> Result<StrList, E> {
                Ok(StrList::new())
            }

            fn visit_none<E>(self) -> Result<StrList, E> {
                Ok(StrList::new())
            }

            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<StrList, D::Error> {
                d.deserialize_seq(Items)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrList, A::Error> {
                let mut text = Vec::with_capacity(24);
                text.push(b'[');
                let mut first = true;
                while let Some(s) = seq.next_element::<Cow<'de, str>>()? {
                    if !first {
                        text.push(b',');
                    }
                    first = false;
                    escape::string(&mut text, &s);
                }
                text.push(b']');
                Ok(StrList(
                    CompactString::from_utf8(text).map_err(serde::de::Error::custom)?,
                ))
            }
        }
        d.deserialize_option(Items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Tagged {
        #[serde(default)]
        tags: StrList,
    }

    fn tags(json: &str) -> Result<StrList, String> {
        serde_json::from_str::<Tagged>(json)
            .map(|t| t.tags)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn string_lists_deserialize_to_their_canonical_json() {
        assert_eq!(tags(r#"{"tags":["a","b"]}"#).unwrap().as_json(), r#"["a","b"]"#);
        assert_eq!(
            tags(r#"{"tags":[ "a" , "b" ]}"#).unwrap().as_json(),
            r#"["a","b"]"#
        );
        assert_eq!(
            tags(r#"{"tags":["\u00e9","q\"t"]}"#).unwrap().as_json(),
            r#"["é","q\"t"]"#
        );
        assert_eq!(tags(r#"{"tags":["é","q\"t"]}"#).unwrap(), ["é", "q\"t"]);
        assert_eq!(tags(r#"{"tags":null}"#).unwrap(), StrList::new());
        assert_eq!(tags(r#"{}"#).unwrap(), StrList::new());
        assert!(tags(r#"{"tags":[1]}"#).is_err());
        assert!(tags(r#"{"tags":"a"}"#).is_err());
    }

    #[test]
    fn string_lists_keep_canonical_json_and_give_back_their_items() {
        let list: StrList = ["text", "image"].into_iter().collect();
        assert_eq!(list.as_json(), r#"["text","image"]"#);
        assert_eq!(list, ["text", "image"]);
        assert_eq!((list.len(), list.is_empty()), (2, false));
        assert!(list.contains_ignore_case("IMAGE"));
        assert_eq!(list.join(";"), "text;image");
        assert_eq!(format!("{list:?}"), r#"["text", "image"]"#);

        let odd: StrList = ["a\"b", "", "c,d", "\u{1}"].into_iter().collect();
        assert_eq!(odd.as_json(), r#"["a\"b","","c,d","\u0001"]"#);
        assert_eq!(odd, ["a\"b", "", "c,d", "\u{1}"]);
        assert_eq!(serde_json::to_string(&odd).unwrap(), odd.as_json());
        let back: StrList = serde_json::from_str(odd.as_json()).unwrap();
        assert_eq!(back, odd);

        assert!(StrList::new().is_empty());
        assert_eq!(StrList::new().len(), 0);
        let one_empty: StrList = [""].into_iter().collect();
        assert_eq!((one_empty.len(), one_empty.as_json()), (1, r#"[""]"#));
    }

    #[test]
    fn only_canonical_json_is_taken_over_as_it_is() {
        for ok in [
            r#"[]"#,
            r#"[""]"#,
            r#"["a"]"#,
            r#"["a","b c","é"]"#,
            r#"["a",""]"#,
        ] {
            let list = StrList::from_json(ok).unwrap_or_else(|| panic!("{ok}"));
            assert_eq!(list.as_json(), ok);
            assert_eq!(
                serde_json::to_string(&list).unwrap(),
                ok,
                "what serde_json writes"
            );
        }
        let not_canonical = [
            r#"[ "a"]"#,
            r#"["a", "b"]"#,
            r#"["a\"b"]"#,
            r#"["\u00e9"]"#,
            r#"[1]"#,
            r#"["a"""#,
            "[\"\t\"]",
            r#"["a""b"]"#,
            r#"["a",1]"#,
            "",
            "[",
            r#"""#,
        ];
        for not in not_canonical {
            assert!(StrList::from_json(not).is_none(), "{not}");
        }
    }
}
