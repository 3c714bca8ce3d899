//! Cross-provider identity: the `canonical_id` every record of the same
//! model weights shares, and `canonical_by`, the evidence it was decided on.
//!
//! The layers, strongest first (see the README's "Identity" section):
//!
//! 0. `hf_mapping`: the Hugging Face Hub's inference-provider mapping, which
//!    the providers themselves maintain ([`hub`] reads it; [`Evidence`]
//!    carries it): the repository a provider says one of its ids serves.
//! 1. `hf_id`: a Hugging Face repository id the provider states
//!    (`hugging_face_id` from the payload, a Together `link`, or the id
//!    itself where the table says ids are repository ids).
//! 2. `provider_id`: the provider's own `owner/name` id.
//! 3. `normalized`: a bare name (`gemma-3-27b-it`, Fireworks'
//!    `llama-v3p3-70b-instruct`, a Groq alias).
//!
//! Whatever the layer, the key is the same function of a model name
//! ([`normalize`]), so the layers meet: `meta-llama/Llama-3.3-70B-Instruct`
//! stated as an HF id and `accounts/fireworks/models/llama-v3p3-70b-instruct`
//! both become `llama3.3-70b-instruct`.
//!
//! Which suffix is a serving variant on which provider is the provider
//! table's business (`id_prefixes`, `serving_suffixes`, `id_aliases`,
//! `hf_id_verify`), never a provider name tested here. Precision first:
//! a rule that cannot tell two models apart is not added.

pub(crate) mod hub;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::{CompactString, Record};

/// How a record's `canonical_id` was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanonicalBy {
    /// The Hub's inference-provider mapping: the repository the provider
    /// registered on the Hub for this id.
    HfMapping,
    /// A Hugging Face repository id the provider states.
    HfId,
    /// The provider's own `owner/name` id.
    ProviderId,
    /// A bare model name, normalized.
    Normalized,
}

impl CanonicalBy {
    /// The value as written in the output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CanonicalBy::HfMapping => "hf_mapping",
            CanonicalBy::HfId => "hf_id",
            CanonicalBy::ProviderId => "provider_id",
            CanonicalBy::Normalized => "normalized",
        }
    }
}

impl fmt::Display for CanonicalBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One provider's identity rules, from its table entry.
#[derive(Debug, Clone, Default)]
pub struct IdentityRules {
    /// Deployment prefixes cut from ids (`accounts/*/models/`, `@deepinfra/`);
    /// one `*` matches one path segment.
    pub id_prefixes: Vec<String>,
    /// Suffixes naming a serving variant of the same weights (Together
    /// `-Turbo`, Nebius `-fast`, OpenRouter `:free`), matched case-sensitively;
    /// `PREFIX*SUFFIX` scopes one to ids starting with `PREFIX`
    /// (`@deepinfra/*-Turbo` on Portkey).
    pub serving_suffixes: Vec<String>,
    /// Suffixes that are the provider's documented alias of another name
    /// (`-versatile` = `-instruct` on Groq): (suffix, replacement).
    pub id_aliases: Vec<(String, String)>,
    /// A stated HF id is trusted only when it names the id's own model
    /// (the same numbers, no word the id lacks): for listings that link some
    /// models to a relative's repository (Together).
    pub hf_id_verify: bool,
}

/// What is known besides the record itself: the Hub's inference-provider
/// mapping, by provider (the tool's name) and id.
#[derive(Debug, Default, Clone)]
pub struct Evidence {
    /// Provider → its ids, lowercased → the repository they serve; `None`
    /// when the mapping names two different models for one id (it then
    /// decides nothing).
    mapped: HashMap<String, HashMap<String, Option<CompactString>>>,
}

impl Evidence {
    /// The Hugging Face repository the Hub's mapping names for `(provider,
    /// id)`: published for that provider only, so it decides nothing for
    /// another (Portkey's `@together/…` ids included). Ids compare ignoring
    /// case.
    #[must_use]
    pub fn mapped(&self, provider: &str, id: &str) -> Option<&str> {
        let ids = self.mapped.get(provider)?;
        let hit = ids.get(id).or_else(|| ids.get(&id.to_lowercase()))?;
        hit.as_deref()
    }

    /// Adds what the mapping says of `provider`'s ids: (provider id,
    /// repository) pairs, live entries only.
    pub(crate) fn add<'a>(&mut self, provider: &str, entries: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let ids = self.mapped.entry(provider.to_owned()).or_default();
        for (id, repo) in entries {
            let repo = CompactString::from(repo);
            match ids.entry(id.to_lowercase()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Some(repo));
                }
                // The same id under two tasks names one model; two models
                // (by their key) for one id is a mapping that cannot decide.
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let same = o
                        .get()
                        .as_deref()
                        .is_some_and(|had| normalize(had) == normalize(&repo));
                    if !same {
                        o.insert(None);
                    }
                }
            }
        }
    }
}

/// Quantization suffixes: the same weights in another number format
/// (`Llama-4-Maverick-…-Instruct-FP8`, `flux-1-dev-fp8`). Compared after
/// lowercasing.
const QUANTIZATIONS: [&str; 8] = [
    "-fp8", "-bf16", "-fp16", "-fp4", "-int8", "-int4", "-awq", "-gptq",
];

/// Repository renames of one model family by its own vendor:
/// `Meta-Llama-3.1-8B-Instruct` was renamed `Llama-3.1-8B-Instruct`.
/// Applied to the normalized name, before a version number.
const RENAMES: [(&str, &str); 1] = [("meta-llama", "llama")];

/// Sets the record's `canonical_id` and `canonical_by`.
pub fn assign(r: &mut Record, rules: &IdentityRules, evidence: &Evidence) {
    match canonical(r, rules, evidence) {
        Some((key, by)) => {
            r.canonical_id = Some(key);
            r.canonical_by = Some(by);
        }
        None => {
            r.canonical_id = None;
            r.canonical_by = None;
        }
    }
}

/// Lets the Hub's mapping decide a record whose other layers were applied
/// already (when its listing was parsed, or read from the cache): the
/// strongest evidence replaces them where it speaks. Returns whether it did.
pub(crate) fn remap(r: &mut Record, evidence: &Evidence) -> bool {
    match mapped_key(r, evidence) {
        Some(key) => {
            r.canonical_id = Some(key);
            r.canonical_by = Some(CanonicalBy::HfMapping);
            true
        }
        None => false,
    }
}

/// The key of the repository the Hub's mapping names for the record:
/// `normalize(hfModelId)`, so that it meets the other layers' keys.
fn mapped_key(r: &Record, evidence: &Evidence) -> Option<CompactString> {
    evidence.mapped(&r.provider, &r.id).and_then(normalize)
}

/// The record's canonical key and the evidence it rests on; `None` when the
/// id names no model (nothing alphanumeric left once the table's cuts apply).
#[must_use]
pub fn canonical(
    r: &Record,
    rules: &IdentityRules,
    evidence: &Evidence,
) -> Option<(CompactString, CanonicalBy)> {
    if let Some(key) = mapped_key(r, evidence) {
        return Some((key, CanonicalBy::HfMapping));
    }
    let id = cut_prefix(&r.id, &rules.id_prefixes);
    let served = cut_serving(&r.id, id, &rules.serving_suffixes);
    let aliased = alias(served, &rules.id_aliases);
    if let Some(hf) = r.hugging_face_id.as_deref() {
        // An HF id made from the id (the table's `hf_ids`) carries the id's
        // serving suffix when the table did not cut it: cut it the same way.
        let from_id = hf.eq_ignore_ascii_case(id) || hf.eq_ignore_ascii_case(served);
        let repo = if from_id { served } else { hf };
        let trusted =
            from_id || !rules.hf_id_verify || names_same_model(hf, served) || names_same_model(hf, id);
        if trusted {
            if let Some(key) = normalize(repo) {
                return Some((key, CanonicalBy::HfId));
            }
        }
    }
    let by = if aliased.contains('/') {
        CanonicalBy::ProviderId
    } else {
        CanonicalBy::Normalized
    };
    normalize(&aliased).map(|key| (key, by))
}

/// `id` without the first of `prefixes` it starts with (`*` = one segment).
fn cut_prefix<'a>(id: &'a str, prefixes: &[String]) -> &'a str {
    prefixes
        .iter()
        .find_map(|p| strip_glob_prefix(id, p))
        .unwrap_or(id)
}

fn strip_glob_prefix<'a>(id: &'a str, pattern: &str) -> Option<&'a str> {
    match pattern.split_once('*') {
        None => id.strip_prefix(pattern).filter(|rest| !rest.is_empty()),
        Some((head, tail)) => {
            let rest = id.strip_prefix(head)?;
            let (segment, after) = rest.split_once(tail)?;
            (!segment.is_empty() && !segment.contains('/') && !after.is_empty()).then_some(after)
        }
    }
}

/// `id` (already without its prefix) without its serving-variant suffixes,
/// repeatedly (`-fp8-tput`); `full` is the id as the provider wrote it, for
/// the scoped `PREFIX*SUFFIX` entries.
fn cut_serving<'a>(full: &str, mut id: &'a str, suffixes: &[String]) -> &'a str {
    loop {
        let cut = suffixes.iter().find_map(|s| {
            let (scope, suffix) = s.split_once('*').unwrap_or(("", s));
            if !full.starts_with(scope) || suffix.is_empty() {
                return None;
            }
            id.strip_suffix(suffix).filter(|rest| !rest.is_empty())
        });
        match cut {
            Some(rest) => id = rest,
            None => return id,
        }
    }
}

/// `id` with the first alias suffix it ends with replaced (borrowed when
/// none applies: the case of nearly every record).
fn alias<'a>(id: &'a str, aliases: &[(String, String)]) -> Cow<'a, str> {
    for (suffix, with) in aliases {
        if let Some(rest) = id.strip_suffix(suffix.as_str()).filter(|r| !r.is_empty()) {
            return Cow::Owned(format!("{rest}{with}"));
        }
    }
    Cow::Borrowed(id)
}

/// The canonical key of a model name or repository id: the name without its
/// organization, lowercased, its quantization suffixes cut, with one spelling
/// of versions and separators. `None` when nothing alphanumeric is left.
///
/// * `_` and `.` between letters are `-`; `_` between digits is `.`
///   (`Llama-3_3` = `Llama-3.3`);
/// * a separator between a letter and a version number goes (`qwen-2.5` =
///   `qwen2.5`, `FLUX.1` = `FLUX-1` = `flux1`); one before a size
///   (`maverick-17b`), between a digit and a letter or between two numbers
///   stays (`gemma-3-27b` is not `gemma3.27b`);
/// * `vXpY` and `XpY` are `X.Y` (Fireworks: `llama-v3p3` = `llama-3.3`);
/// * a version's trailing `.0` goes (`Seedream-4.0` = `Seedream-4`);
/// * `meta-llama-` is `llama-` (Meta's own rename).
#[must_use]
pub fn normalize(name: &str) -> Option<CompactString> {
    // This runs for every record: its working copies live in buffers kept
    // by each thread, so that a call allocates at most the key it returns
    // (none for a key of up to 24 bytes, kept inline). It made three
    // allocations a record before.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
    }
    SCRATCH.with_borrow_mut(|scratch| normalize_in(name, scratch))
}

/// The working copies of [`normalize`].
#[derive(Default)]
struct Scratch {
    lower: String,
    versions: String,
    out: Vec<u8>,
}

fn normalize_in(name: &str, scratch: &mut Scratch) -> Option<CompactString> {
    // Bytes, not chars: only ASCII letters, digits and separators are kept,
    // and a byte of a non-ASCII character is none of those, exactly as its
    // char is not. This runs once a record: it was 10.6 % of a Hub
    // harvest's instructions with `rsplit`, every suffix tried on every
    // name, and passes of their own for a `.0` and for a letter or digit,
    // which the loop that builds the key now notes as it goes (21 % fewer).
    let Scratch { lower, versions, out } = scratch;
    let last = memchr::memrchr(b'/', name.as_bytes()).map_or(name, |slash| &name[slash + 1..]);
    lower.clear();
    lower.push_str(last);
    lower.make_ascii_lowercase();
    let mut name = lower.as_str();
    // Every quantization suffix ends in one of these bytes.
    while name
        .as_bytes()
        .last()
        .is_some_and(|b| matches!(b, b'8' | b'6' | b'4' | b'q'))
    {
        match QUANTIZATIONS
            .iter()
            .find_map(|q| name.strip_suffix(q))
            .filter(|r| !r.is_empty())
        {
            Some(rest) => name = rest,
            None => break,
        }
    }
    let name = fireworks_versions(name, versions);
    let b = name.as_bytes();
    // The key is never longer than the name: written at `w` into a buffer
    // of the name's length (a `push` a byte, with its capacity test, and a
    // test a class through `is_ascii_*` were a third of this function).
    out.clear();
    out.resize(b.len(), 0);
    let mut w = 0;
    // The class of the last byte written (0: none yet), whether a letter or
    // digit was, and whether a `.` was (only then can a `.0` need dropping).
    let (mut prev, mut alnum, mut dot) = (0u8, false, false);
    for (i, &c) in b.iter().enumerate() {
        let class = CLASS[usize::from(c)];
        if class & ALNUM != 0 {
            out[w] = c;
            w += 1;
            (prev, alnum) = (class, true);
            continue;
        }
        if class != SEPARATOR || prev & ALNUM == 0 {
            continue;
        }
        let Some(&n) = b.get(i + 1) else { continue };
        let next = CLASS[usize::from(n)];
        if next & ALNUM == 0 {
            continue;
        }
        let sep = if prev == DIGIT && next == DIGIT {
            if c == b'-' {
                b'-'
            } else {
                dot = true;
                b'.'
            }
        } else if prev == LETTER && next == DIGIT && is_version(&b[i + 1..]) {
            // `qwen-2.5`, `FLUX.1`: no separator before a version;
            // one before a size stays (`maverick-17b`).
            continue;
        } else {
            b'-'
        };
        out[w] = sep;
        w += 1;
        prev = SEPARATOR;
    }
    out.truncate(w);
    if !alnum {
        return None;
    }
    if dot {
        drop_point_zero(out);
    }
    for (from, to) in RENAMES {
        if let Some(rest) = out.strip_prefix(from.as_bytes()) {
            if rest.first().is_some_and(u8::is_ascii_digit) {
                out.splice(..from.len(), to.bytes());
            }
        }
    }
    // Only ASCII bytes were pushed.
    std::str::from_utf8(out).ok().map(CompactString::from)
}

fn is_version(rest: &[u8]) -> bool {
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    rest.get(digits).is_none_or(|c| !c.is_ascii_alphabetic())
}

/// `v3p3` → `3.3` and `2p5` → `2.5` (a digit, `p`, a digit), written into
/// `out`; `name` itself when it has no `p` between two digits.
fn fireworks_versions<'a>(name: &'a str, out: &'a mut String) -> &'a str {
    let b = name.as_bytes();
    // Both forms have a `p` between two digits (`v3p3` too); a name without
    // one (nearly every name: `clip-vit-large-patch14` has a `p`, but not
    // there) is left as it is, without the rewrite's pass.
    if !b
        .windows(3)
        .any(|w| w[1] == b'p' && w[0].is_ascii_digit() && w[2].is_ascii_digit())
    {
        return name;
    }
    out.clear();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let digit_at = |j: usize| b.get(j).is_some_and(u8::is_ascii_digit);
        // `v` + digits + `p` + digit, at the start of a segment.
        if c == b'v' && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) && digit_at(i + 1) {
            let mut j = i + 1;
            while digit_at(j) {
                j += 1;
            }
            if b.get(j) == Some(&b'p') && digit_at(j + 1) {
                out.push_str(&name[i + 1..j]);
                out.push('.');
                i = j + 1;
                continue;
            }
        }
        if c == b'p' && i > 0 && b[i - 1].is_ascii_digit() && digit_at(i + 1) {
            out.push('.');
        } else {
            out.push(c as char);
        }
        i += 1;
    }
    out
}

/// `seedream4.0` → `seedream4`, `veo3.0-fast` → `veo3-fast`; `v0.1` and
/// `4.05` stay.
fn drop_point_zero(s: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let ends = |s: &[u8], j: usize| j >= s.len() || !s[j].is_ascii_digit();
        if s[i] == b'.' && i > 0 && s[i - 1].is_ascii_digit() && s.get(i + 1) == Some(&b'0') && ends(s, i + 2)
        {
            // A `.0` after a version number whose own digits are not `0.`
            // (`v0.0` stays readable as is: rare enough not to matter).
            s.drain(i..i + 2);
            continue;
        }
        i += 1;
    }
}

/// [`normalize`]'s byte classes: a digit, an ASCII letter, a separator
/// between words (`-`, `_`, `.`, space), or nothing the key keeps (0).
const DIGIT: u8 = 1;
const LETTER: u8 = 2;
const ALNUM: u8 = DIGIT | LETTER;
const SEPARATOR: u8 = 4;
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        #[allow(clippy::cast_possible_truncation, reason = "c < 256")]
        let b = c as u8;
        table[c] = match b {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'-' | b'_' | b'.' | b' ' => SEPARATOR,
            _ => 0,
        };
        c += 1;
    }
    table
};

/// The words and numbers of a name, lowercased: `Meta-Llama-3.1-8B` →
/// `meta`, `llama`, `3`, `1`, `8b`.
fn tokens(name: &str) -> Vec<String> {
    let name = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a stated repository `hf` names the model `id` names: every token
/// of `hf` is in `id`, and both have the same tokens with digits (sizes,
/// versions, dates). `Meta-Llama-3.1-8B-Instruct` names
/// `Llama-3.1-8B-Instruct`; `FLUX.1-pro` does not name `FLUX.1-schnell`,
/// nor `DeepSeek-R1-0528` `DeepSeek-R1`.
fn names_same_model(hf: &str, id: &str) -> bool {
    let (h, i) = (tokens(hf), tokens(id));
    let numbers = |v: &[String]| {
        let mut n: Vec<String> = v
            .iter()
            .filter(|t| t.bytes().any(|b| b.is_ascii_digit()))
            .cloned()
            .collect();
        n.sort();
        n
    };
    h.iter().all(|t| i.contains(t)) && numbers(&h) == numbers(&i)
}

#[cfg(test)]
mod tests;
