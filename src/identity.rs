//! Model identity: which canonical model an id means, however a client or a price list
//! spells it (`openai/gpt-4o`, `gpt-4o`, `azure/gpt-4o`, `claude-3-5-sonnet-20241022`,
//! `bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0`).
//!
//! Rules, tried in order; the first that gives exactly one model wins, and a rule that
//! gives several models is ambiguous, which is never resolved by guessing:
//! 1. **exact**: the id is a model id or a recorded alias (variant listing, canonical slug,
//!    moving `~…-latest`, or a price list's own id);
//! 2. **normalised**: ids compared after [`normalize`] (lower case; `.`, `_`, `@`, space → `-`),
//!    so `anthropic/claude-3-5-sonnet` finds `anthropic/claude-3.5-sonnet`;
//! 3. **slug**: routing prefixes dropped (`azure/`, `bedrock/us-east-1/`, `us.`, `vertex_ai/`,
//!    Bedrock's `-v2:0` suffix), the remaining slug compared with every model's slug,
//!    narrowed by the author when one is known;
//! 4. **undated**: a trailing date (`-20241022`, `-2024-08-06`) removed and rules 1-3 tried
//!    again: a dated snapshot the catalog does not list separately is that model.
//!
//! A dated id the catalog lists as its own model (OpenRouter's `openai/gpt-4o-2024-08-06`)
//! is that model, by rule 1, never its undated sibling.

use crate::domain::{CatalogState, ModelId};
use std::collections::{BTreeSet, HashMap};

/// Lower case, with `.`, `_`, `@` and spaces as `-` (`Claude-3.5_Sonnet` → `claude-3-5-sonnet`).
pub fn normalize(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        match c {
            '.' | '_' | '@' | ' ' => out.push('-'),
            // ASCII first: `to_lowercase` is the same for it, and its iterator costs ~10 ns a char.
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Which rule resolved an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A model id or recorded alias.
    Exact,
    /// Equal after normalisation.
    Normalized,
    /// Equal slug, routing prefixes dropped.
    Slug,
    /// Equal once a trailing date is removed.
    Undated,
}

/// What an id means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one model, by the rule given.
    Known(ModelId, Rule),
    /// Several models fit equally well.
    Ambiguous(Vec<ModelId>),
    /// No model fits.
    Unknown,
}

/// An id taken apart: the author when the id shows one, and the model's own slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdParts {
    /// `anthropic` in `anthropic/claude-…` or `bedrock/anthropic.claude-…`.
    pub author: Option<String>,
    /// The slug without routing prefixes or Bedrock version suffixes.
    pub slug: String,
}

/// Bedrock cross-region prefixes (`us.anthropic.claude-…`).
const REGION_PREFIXES: [&str; 6] = ["us.", "eu.", "apac.", "global.", "us-gov.", "jp."];

/// Take a raw id apart. `authors` are the known model authors: a path segment or a Bedrock
/// `author.` prefix counts as an author only when it is one, so regions, sizes and account
/// paths (`azure/us/…`, `low/1024-x-1024/…`, `accounts/fireworks/models/…`) never do.
pub fn split_id(raw: &str, authors: &BTreeSet<String>) -> IdParts {
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    let mut slug = segments.last().copied().unwrap_or(raw).to_string();
    let mut author = None;
    // The nearest preceding segment that is a known author.
    for seg in segments.iter().rev().skip(1) {
        let n = normalize(seg);
        if authors.contains(&n) {
            author = Some(n);
            break;
        }
    }
    for prefix in REGION_PREFIXES {
        if let Some(rest) = slug.strip_prefix(prefix) {
            slug = rest.to_string();
            break;
        }
    }
    // Bedrock names models `author.slug`.
    if let Some((prefix, rest)) = slug.split_once('.') {
        let n = normalize(prefix);
        if authors.contains(&n) && !rest.is_empty() {
            author = Some(n);
            slug = rest.to_string();
        }
    }
    // Bedrock version suffixes: `-v2:0`, `-1:0`, `-v1`.
    let all_digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if let Some((head, tail)) = slug.rsplit_once(':') {
        if all_digits(tail) {
            slug = head.to_string();
            if let Some((head, version)) = slug.rsplit_once('-') {
                if all_digits(version) && version.len() <= 2 {
                    slug = head.to_string();
                }
            }
        }
    }
    if let Some(idx) = slug.rfind("-v") {
        if all_digits(&slug[idx + 2..]) {
            slug.truncate(idx);
        }
    }
    IdParts { author, slug: normalize(&slug) }
}

/// Remove a trailing date (`-20241022`, `-2024-08-06`); `None` when there is none.
pub fn undated(slug: &str) -> Option<&str> {
    let bytes = slug.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let n = bytes.len();
    if n > 9 && bytes[n - 9] == b'-' && digits(&bytes[n - 8..]) && bytes[n - 8] == b'2' {
        return Some(&slug[..n - 9]);
    }
    if n > 11
        && bytes[n - 11] == b'-'
        && digits(&bytes[n - 10..n - 6])
        && bytes[n - 6] == b'-'
        && digits(&bytes[n - 5..n - 3])
        && bytes[n - 3] == b'-'
        && digits(&bytes[n - 2..])
    {
        return Some(&slug[..n - 11]);
    }
    None
}

/// Every id the catalog knows, indexed for the rules above.
#[derive(Debug, Clone, Default)]
pub struct ModelIndex {
    exact: HashMap<String, ModelId>,
    normalized: HashMap<String, BTreeSet<ModelId>>,
    slugs: HashMap<String, BTreeSet<ModelId>>,
    authors: BTreeSet<String>,
}

impl ModelIndex {
    /// Index the models and active aliases of a stored catalog.
    pub fn from_state(state: &CatalogState) -> Self {
        let mut index = Self::default();
        for m in state.models.values() {
            index.add_model(&m.model.id);
        }
        for a in state.aliases.values().filter(|a| a.is_active) {
            index.add_alias(&a.alias.alias, &a.alias.model_id);
        }
        index
    }

    /// Know a model by its id.
    pub fn add_model(&mut self, id: &ModelId) {
        self.exact.insert(id.to_string(), id.clone());
        self.normalized.entry(normalize(id.as_str())).or_default().insert(id.clone());
        if let Some((author, slug)) = id.as_str().split_once('/') {
            self.authors.insert(normalize(author));
            self.slugs.entry(normalize(slug)).or_default().insert(id.clone());
        }
    }

    /// Know another id of a model. An alias never replaces a model id.
    pub fn add_alias(&mut self, alias: &str, model: &ModelId) {
        self.exact.entry(alias.to_string()).or_insert_with(|| model.clone());
        self.normalized.entry(normalize(alias)).or_default().insert(model.clone());
        if let Some((_, slug)) = alias.split_once('/') {
            self.slugs.entry(normalize(slug)).or_default().insert(model.clone());
        }
    }

    /// The known model authors (normalised).
    pub fn authors(&self) -> &BTreeSet<String> {
        &self.authors
    }

    /// What `raw` means; `author_hint` narrows slug matches when the id shows no author.
    pub fn resolve(&self, raw: &str, author_hint: Option<&str>) -> Resolution {
        if let Some(id) = self.exact.get(raw) {
            return Resolution::Known(id.clone(), Rule::Exact);
        }
        let parts = split_id(raw, &self.authors);
        let author = parts.author.clone().or_else(|| author_hint.map(normalize));
        match self.by_parts(raw, author.as_deref(), &parts.slug) {
            Resolution::Unknown => {}
            found => return found,
        }
        if let Some(slug) = undated(&parts.slug) {
            return match self.by_parts(slug, author.as_deref(), slug) {
                Resolution::Known(id, _) => Resolution::Known(id, Rule::Undated),
                other => other,
            };
        }
        Resolution::Unknown
    }

    fn by_parts(&self, raw: &str, author: Option<&str>, slug: &str) -> Resolution {
        if let Some(a) = author {
            let full = format!("{a}/{slug}");
            if let Some(set) = self.normalized.get(&full) {
                if let Some(r) = single(set, Rule::Normalized) {
                    return r;
                }
            }
        }
        if let Some(set) = self.normalized.get(&normalize(raw)) {
            if let Some(r) = single(set, Rule::Normalized) {
                return r;
            }
        }
        let Some(set) = self.slugs.get(slug) else {
            return Resolution::Unknown;
        };
        let narrowed: BTreeSet<ModelId> = match author {
            Some(a) => set.iter().filter(|m| m.author().map(normalize).as_deref() == Some(a)).cloned().collect(),
            None => set.clone(),
        };
        match narrowed.len() {
            1 => single(&narrowed, Rule::Slug).unwrap_or(Resolution::Unknown),
            0 if author.is_some() => Resolution::Unknown,
            0 => Resolution::Unknown,
            _ => Resolution::Ambiguous(narrowed.into_iter().collect()),
        }
    }
}

fn single(set: &BTreeSet<ModelId>, rule: Rule) -> Option<Resolution> {
    match set.len() {
        1 => set.iter().next().map(|id| Resolution::Known(id.clone(), rule)),
        0 => None,
        _ => Some(Resolution::Ambiguous(set.iter().cloned().collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ModelId {
        ModelId::parse(s).expect("valid id")
    }

    fn index() -> ModelIndex {
        let mut i = ModelIndex::default();
        for m in [
            "openai/gpt-4o",
            "openai/gpt-4o-2024-08-06",
            "openai/gpt-4o-mini",
            "anthropic/claude-3.5-sonnet",
            "anthropic/claude-sonnet-4.5",
            "meta-llama/llama-3.1-8b-instruct",
            "nvidia/llama-3.1-8b-instruct",
            "openai/gpt-oss-120b",
        ] {
            i.add_model(&id(m));
        }
        i.add_alias("anthropic/claude-3.5-sonnet-20241022", &id("anthropic/claude-3.5-sonnet"));
        i.add_alias("openai/gpt-oss-120b:free", &id("openai/gpt-oss-120b"));
        i
    }

    fn known(r: Resolution) -> (String, Rule) {
        match r {
            Resolution::Known(id, rule) => (id.to_string(), rule),
            other => panic!("expected a model, got {other:?}"),
        }
    }

    #[test]
    fn client_ids_resolve_to_one_model() {
        let i = index();
        assert_eq!(known(i.resolve("openai/gpt-4o", None)), ("openai/gpt-4o".into(), Rule::Exact));
        assert_eq!(known(i.resolve("gpt-4o", None)), ("openai/gpt-4o".into(), Rule::Slug));
        assert_eq!(known(i.resolve("azure/gpt-4o", None)), ("openai/gpt-4o".into(), Rule::Slug));
        assert_eq!(known(i.resolve("gpt-4o-2024-08-06", None)).0, "openai/gpt-4o-2024-08-06", "listed dated model");
        assert_eq!(known(i.resolve("gpt-4o-2024-05-13", None)), ("openai/gpt-4o".into(), Rule::Undated));
        assert_eq!(known(i.resolve("claude-3-5-sonnet-20241022", None)).0, "anthropic/claude-3.5-sonnet");
        assert_eq!(
            known(i.resolve("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", None)).0,
            "anthropic/claude-3.5-sonnet"
        );
        assert_eq!(
            known(i.resolve("us.anthropic.claude-sonnet-4-5-20250929-v1:0", None)).0,
            "anthropic/claude-sonnet-4.5"
        );
        assert_eq!(known(i.resolve("bedrock/us-gov-west-1/openai.gpt-oss-120b-1:0", None)).0, "openai/gpt-oss-120b");
        assert_eq!(known(i.resolve("openai/gpt-oss-120b:free", None)), ("openai/gpt-oss-120b".into(), Rule::Exact));
    }

    #[test]
    fn ambiguity_is_an_answer_not_a_guess() {
        let i = index();
        match i.resolve("llama-3.1-8b-instruct", None) {
            Resolution::Ambiguous(c) => assert_eq!(c.len(), 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            known(i.resolve("together_ai/meta-llama/Llama-3.1-8B-Instruct", None)).0,
            "meta-llama/llama-3.1-8b-instruct",
            "the author in the path narrows it"
        );
        assert_eq!(known(i.resolve("llama-3.1-8b-instruct", Some("nvidia"))).0, "nvidia/llama-3.1-8b-instruct");
        assert_eq!(i.resolve("gpt-5-unknown", None), Resolution::Unknown);
        assert_eq!(i.resolve("low/1024-x-1024/gpt-image-1", None), Resolution::Unknown);
    }

    proptest::proptest! {
        /// The ASCII fast path lowers exactly as `char::to_lowercase` does.
        #[test]
        fn normalize_is_unicode_lowercase(id in "\\PC{0,40}", ascii in "[ -~]{0,40}") {
            for s in [id, ascii] {
                let reference: String = s
                    .chars()
                    .flat_map(|c| match c {
                        '.' | '_' | '@' | ' ' => vec!['-'],
                        c => c.to_lowercase().collect(),
                    })
                    .collect();
                proptest::prop_assert_eq!(normalize(&s), reference);
            }
        }
    }

    #[test]
    fn parts_and_dates() {
        let authors: BTreeSet<String> = ["anthropic", "openai"].map(String::from).into();
        assert_eq!(
            split_id("bedrock/us.anthropic.claude-3-haiku-20240307-v1:0", &authors),
            IdParts { author: Some("anthropic".into()), slug: "claude-3-haiku-20240307".into() }
        );
        assert_eq!(
            split_id("azure/us/gpt-5.2-codex", &authors),
            IdParts { author: None, slug: "gpt-5-2-codex".into() }
        );
        assert_eq!(undated("claude-3-haiku-20240307"), Some("claude-3-haiku"));
        assert_eq!(undated("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(undated("gpt-4o"), None);
        assert_eq!(undated("qwen-72b-12345678"), None, "not a date");
    }
}
