//! Identifiers: model ids as OpenRouter names them, and the natural key of an offer.

use std::fmt;

/// Why an id was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseIdError {
    /// The id was empty.
    #[error("model id is empty")]
    Empty,
    /// The id contained whitespace or a control character.
    #[error("model id {0:?} contains whitespace or control characters")]
    BadCharacter(String),
}

/// Canonical model id (`author/slug`), without any variant suffix such as `:free`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ModelId(String);

impl ModelId {
    /// Validate a model id as it arrives from an upstream or a user.
    pub fn parse(raw: &str) -> Result<Self, ParseIdError> {
        if raw.is_empty() {
            return Err(ParseIdError::Empty);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ParseIdError::BadCharacter(raw.to_string()));
        }
        Ok(Self(raw.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The author part (`openai` in `openai/gpt-4o`), when the id has one.
    pub fn author(&self) -> Option<&str> {
        self.0.split_once('/').map(|(a, _)| a)
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Split an OpenRouter listing id into its base model id and variant:
/// `openai/gpt-oss-20b:free` → (`openai/gpt-oss-20b`, `Some("free")`).
///
/// Only the last `:` after the final `/` separates a variant, so ids such as
/// `fish-audio/s2.1-pro-free:free` split as expected.
pub fn listing_parts(listing_id: &str) -> (&str, Option<&str>) {
    let slash = listing_id.rfind('/').map(|i| i + 1).unwrap_or(0);
    match listing_id[slash..].rfind(':') {
        Some(i) if i + 1 < listing_id.len() - slash => {
            let at = slash + i;
            (&listing_id[..at], Some(&listing_id[at + 1..]))
        }
        _ => (listing_id, None),
    }
}

/// Natural key of an offer: `source|seller|listing|served_by`.
///
/// Stable across syncs and backends, so prices and events can refer to it directly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct OfferKey(String);

impl OfferKey {
    /// Build the key from its parts; `served_by` is empty for the seller's own listing.
    pub fn new(source: &str, seller: &str, listing_id: &str, served_by: Option<&str>) -> Self {
        Self(format!("{source}|{seller}|{listing_id}|{}", served_by.unwrap_or("")))
    }

    /// Wrap a key read back from the store.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfferKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_variants_only_after_the_last_slash() {
        assert_eq!(listing_parts("openai/gpt-oss-20b:free"), ("openai/gpt-oss-20b", Some("free")));
        assert_eq!(listing_parts("fish-audio/s2.1-pro-free:free"), ("fish-audio/s2.1-pro-free", Some("free")));
        assert_eq!(listing_parts("openai/gpt-4o"), ("openai/gpt-4o", None));
        assert_eq!(listing_parts("odd:author/model"), ("odd:author/model", None));
        assert_eq!(listing_parts("trailing/colon:"), ("trailing/colon:", None));
    }

    #[test]
    fn rejects_empty_and_whitespace_ids() {
        assert_eq!(ModelId::parse(""), Err(ParseIdError::Empty));
        assert!(ModelId::parse("a b").is_err());
        assert_eq!(ModelId::parse("openai/gpt-4o").map(|m| m.author().map(str::to_string)), Ok(Some("openai".into())));
    }
}
