//! The user's overrides file (TOML): negotiated prices, custom models and discounts.
//!
//! ```toml
//! # A negotiated price: an offer of the model sold by `provider`. Prices in USD per million
//! # tokens (per item for `image`, `request`, `web_search`), as strings or numbers.
//! [[price]]
//! model = "openai/gpt-4o"        # any id llmcost resolves
//! provider = "openai"            # who bills you at this price
//! input = "2.00"
//! output = "8.00"
//! cache_read = "1.00"
//! note = "2026 enterprise agreement"
//!
//! # A model no catalog has (a fine-tune, an internal deployment).
//! [[model]]
//! id = "acme/support-bot"
//! name = "ACME support bot"
//! provider = "openai"
//! context_length = 128000
//! input = "0.30"
//! output = "1.20"
//!
//! # A discount on every price a provider bills (optionally for one model), from any source.
//! [[discount]]
//! provider = "azure"
//! model = "openai/gpt-4o"        # optional; all models when absent
//! percent = "12"
//! ```
//!
//! Prices and models are synced like any source (`llmcost sync --source overrides`), with
//! history; when an overrides offer exists for a model (and the provider asked for), it prices
//! the request, and the quote says so. Discounts apply when pricing, to the offers they name.
#![deny(clippy::float_arithmetic)]

use super::price_list::PriceListEntry;
use crate::domain::{Component, Price, PriceKey, PriceValue, TierScope};
use crate::identity::normalize;
use figment::Figment;
use figment::providers::{Format, Toml};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

/// The source name of overrides.
pub const SOURCE: &str = "overrides";

/// Why an overrides file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum OverridesError {
    /// The file is not valid TOML of the expected shape.
    #[error("invalid overrides file: {0}")]
    Invalid(String),
    /// An entry carries a value we cannot accept.
    #[error("overrides {entry}: {reason}")]
    Entry {
        /// Which entry (`price[2]`, `model[0]`, `discount[1]`).
        entry: String,
        /// What is wrong.
        reason: String,
    },
}

/// An exact decimal written as a TOML string or number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Amount {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Amount {
    fn exact(&self) -> Result<Decimal, String> {
        let text = match self {
            Amount::Text(s) => s.trim().to_string(),
            Amount::Int(i) => i.to_string(),
            // TOML floats print as written for every price a person types.
            Amount::Float(f) => f.to_string(),
        };
        Decimal::from_str_exact(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| format!("{text:?} is not a decimal number"))
            .and_then(|d| if d.is_sign_negative() { Err(format!("negative amount {d}")) } else { Ok(d) })
    }
}

/// Prices of an override, per million tokens for token components.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prices {
    input: Option<Amount>,
    output: Option<Amount>,
    cache_read: Option<Amount>,
    cache_write: Option<Amount>,
    cache_write_1h: Option<Amount>,
    reasoning: Option<Amount>,
    audio_input: Option<Amount>,
    audio_output: Option<Amount>,
    image: Option<Amount>,
    request: Option<Amount>,
    web_search: Option<Amount>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceOverride {
    model: String,
    provider: String,
    note: Option<String>,
    #[serde(flatten)]
    prices: Prices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelOverride {
    id: String,
    name: Option<String>,
    provider: String,
    context_length: Option<i64>,
    max_output_tokens: Option<i64>,
    #[serde(default)]
    capabilities: Vec<String>,
    note: Option<String>,
    #[serde(flatten)]
    prices: Prices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscountOverride {
    provider: String,
    model: Option<String>,
    percent: Amount,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverridesFile {
    #[serde(default)]
    price: Vec<PriceOverride>,
    #[serde(default)]
    model: Vec<ModelOverride>,
    #[serde(default)]
    discount: Vec<DiscountOverride>,
}

/// A discount rule: a fraction off what a provider bills, for one model or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discount {
    /// The provider billing (normalised).
    pub provider: String,
    /// The model id as written, or `None` for every model.
    pub model: Option<String>,
    /// The fraction taken off (0.12 for 12%).
    pub fraction: Decimal,
}

impl Discount {
    /// Whether the rule covers an offer of `model` billed by `seller`.
    pub fn covers(&self, model: &str, seller: &str) -> bool {
        normalize(seller) == self.provider && self.model.as_deref().is_none_or(|m| m == model)
    }
}

/// What an overrides file says.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Negotiated prices and custom models, as price list entries.
    pub entries: Vec<PriceListEntry>,
    /// Discount rules.
    pub discounts: Vec<Discount>,
}

fn prices(entry: &str, p: &Prices) -> Result<Vec<Price>, OverridesError> {
    let fields: [(Component, &Option<Amount>, bool); 11] = [
        (Component::Input, &p.input, true),
        (Component::Output, &p.output, true),
        (Component::CacheRead, &p.cache_read, true),
        (Component::CacheWrite, &p.cache_write, true),
        (Component::CacheWrite1h, &p.cache_write_1h, true),
        (Component::Reasoning, &p.reasoning, true),
        (Component::AudioInput, &p.audio_input, true),
        (Component::AudioOutput, &p.audio_output, true),
        (Component::ImageInput, &p.image, false),
        (Component::Request, &p.request, false),
        (Component::WebSearch, &p.web_search, false),
    ];
    let mut out = Vec::new();
    for (component, amount, per_million) in fields {
        let Some(amount) = amount else { continue };
        let mut d = amount.exact().map_err(|reason| OverridesError::Entry {
            entry: entry.to_string(),
            reason: format!("{component}: {reason}"),
        })?;
        if per_million {
            let scale = d.scale() + 6;
            d.set_scale(scale).map_err(|_| OverridesError::Entry {
                entry: entry.to_string(),
                reason: format!("{component}: too many decimal places"),
            })?;
        }
        out.push(Price { key: PriceKey::base(component), value: PriceValue::Fixed(d), scope: TierScope::WholeRequest });
    }
    if !out.iter().any(|p| p.key.component == Component::Input)
        || !out.iter().any(|p| p.key.component == Component::Output)
    {
        return Err(OverridesError::Entry {
            entry: entry.to_string(),
            reason: "input and output prices are required".into(),
        });
    }
    Ok(out)
}

fn entry(native_id: &str, provider: &str, p: &Prices, label: &str) -> Result<PriceListEntry, OverridesError> {
    Ok(PriceListEntry {
        source: SOURCE,
        native_id: native_id.to_string(),
        provider: provider.trim().to_ascii_lowercase(),
        author_hint: None,
        name: None,
        mode: None,
        context_length: None,
        max_output_tokens: None,
        input_modalities: vec!["text".into()],
        output_modalities: vec!["text".into()],
        capabilities: Vec::new(),
        release_date: None,
        deprecation_date: None,
        knowledge_cutoff: None,
        prices: prices(label, p)?,
    })
}

/// Parse an overrides file's text.
pub fn parse(text: &str) -> Result<Overrides, OverridesError> {
    let file: OverridesFile =
        Figment::from(Toml::string(text)).extract().map_err(|e| OverridesError::Invalid(e.to_string()))?;
    let mut out = Overrides::default();
    for (i, p) in file.price.iter().enumerate() {
        let mut e = entry(&p.model, &p.provider, &p.prices, &format!("price[{i}]"))?;
        e.name = p.note.clone();
        out.entries.push(e);
    }
    for (i, m) in file.model.iter().enumerate() {
        if !m.id.contains('/') {
            return Err(OverridesError::Entry {
                entry: format!("model[{i}]"),
                reason: format!("id {:?} must be author/slug", m.id),
            });
        }
        let mut e = entry(&m.id, &m.provider, &m.prices, &format!("model[{i}]"))?;
        e.name = m.name.clone().or_else(|| m.note.clone());
        e.author_hint = m.id.split('/').next().map(str::to_string);
        e.context_length = m.context_length;
        e.max_output_tokens = m.max_output_tokens;
        e.capabilities = m.capabilities.clone();
        out.entries.push(e);
    }
    for (i, d) in file.discount.iter().enumerate() {
        let percent =
            d.percent.exact().map_err(|reason| OverridesError::Entry { entry: format!("discount[{i}]"), reason })?;
        if percent > Decimal::ONE_HUNDRED {
            return Err(OverridesError::Entry { entry: format!("discount[{i}]"), reason: "more than 100%".into() });
        }
        out.discounts.push(Discount {
            provider: normalize(d.provider.trim()),
            model: d.model.clone(),
            fraction: percent / Decimal::ONE_HUNDRED,
        });
    }
    Ok(out)
}

/// Read and parse an overrides file.
pub fn load(path: &Path) -> Result<Overrides, OverridesError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| OverridesError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    parse(&text)
}

impl FromStr for Overrides {
    type Err = OverridesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const FILE: &str = r#"
[[price]]
model = "openai/gpt-4o"
provider = "OpenAI"
input = "2.00"
output = 8
cache_read = 1.25
note = "2026 agreement"

[[model]]
id = "acme/support-bot"
name = "ACME support bot"
provider = "openai"
context_length = 128000
input = "0.30"
output = "1.20"
request = "0.001"

[[discount]]
provider = "azure"
percent = "12.5"
"#;

    #[test]
    fn prices_are_per_million_and_exact() {
        let o = parse(FILE).expect("parses");
        assert_eq!(o.entries.len(), 2);
        let gpt = &o.entries[0];
        assert_eq!((gpt.native_id.as_str(), gpt.provider.as_str()), ("openai/gpt-4o", "openai"));
        let value = |e: &PriceListEntry, c| e.prices.iter().find(|p| p.key.component == c).map(|p| p.value);
        assert_eq!(value(gpt, Component::Input), Some(PriceValue::Fixed(dec!(0.000002))));
        assert_eq!(value(gpt, Component::Output), Some(PriceValue::Fixed(dec!(0.000008))));
        assert_eq!(value(gpt, Component::CacheRead), Some(PriceValue::Fixed(dec!(0.00000125))));
        let bot = &o.entries[1];
        assert_eq!(value(bot, Component::Request), Some(PriceValue::Fixed(dec!(0.001))), "per item, not per million");
        assert_eq!(bot.context_length, Some(128_000));
        assert_eq!(o.discounts, [Discount { provider: "azure".into(), model: None, fraction: dec!(0.125) }]);
        assert!(o.discounts[0].covers("openai/gpt-4o", "Azure"));
    }

    #[test]
    fn mistakes_are_named() {
        for (text, needle) in [
            ("[[price]]\nmodel = \"a/b\"\nprovider = \"x\"\ninput = \"1\"\n", "input and output prices are required"),
            ("[[price]]\nmodel = \"a/b\"\nprovider = \"x\"\ninput = \"-1\"\noutput = \"1\"\n", "negative"),
            ("[[price]]\nmodel = \"a/b\"\nprovider = \"x\"\ninput = \"1\"\noutput = \"1\"\ncolour = 3\n", "colour"),
            ("[[model]]\nid = \"nobody\"\nprovider = \"x\"\ninput = \"1\"\noutput = \"1\"\n", "author/slug"),
            ("[[discount]]\nprovider = \"x\"\npercent = \"150\"\n", "more than 100%"),
        ] {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}
