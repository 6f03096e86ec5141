//! Prices: one component of one offer, per tier and condition, with an exact value.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What is being paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Prompt (input) tokens not read from or written to a cache.
    Input,
    /// Completion (output) tokens.
    Output,
    /// Prompt tokens read from the cache.
    CacheRead,
    /// Prompt tokens written to the cache (5-minute lifetime).
    CacheWrite,
    /// Prompt tokens written to the cache with a 1-hour lifetime.
    CacheWrite1h,
    /// Reasoning tokens, when priced apart from output.
    Reasoning,
    /// Audio input tokens.
    AudioInput,
    /// Audio output tokens.
    AudioOutput,
    /// Audio input tokens read from the cache.
    AudioCacheRead,
    /// Image tokens.
    ImageToken,
    /// Generated image tokens (OpenRouter `image_output`: billed per output image token,
    /// as real bills show, although its API reference says "per output image").
    ImageOutputToken,
    /// Each input image.
    ImageInput,
    /// Each output image.
    ImageOutput,
    /// A flat fee per request.
    Request,
    /// Each web search.
    WebSearch,
}

/// What one unit of a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One token.
    Token,
    /// One image.
    Image,
    /// One request.
    Request,
    /// One web search.
    Search,
}

impl Component {
    /// Every component, in display order.
    pub const ALL: [Component; 15] = [
        Component::Input,
        Component::Output,
        Component::CacheRead,
        Component::CacheWrite,
        Component::CacheWrite1h,
        Component::Reasoning,
        Component::AudioInput,
        Component::AudioOutput,
        Component::AudioCacheRead,
        Component::ImageToken,
        Component::ImageOutputToken,
        Component::ImageInput,
        Component::ImageOutput,
        Component::Request,
        Component::WebSearch,
    ];

    /// The stable name used in storage, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Input => "input",
            Component::Output => "output",
            Component::CacheRead => "cache_read",
            Component::CacheWrite => "cache_write",
            Component::CacheWrite1h => "cache_write_1h",
            Component::Reasoning => "reasoning",
            Component::AudioInput => "audio_input",
            Component::AudioOutput => "audio_output",
            Component::AudioCacheRead => "audio_cache_read",
            Component::ImageToken => "image_token",
            Component::ImageOutputToken => "image_output_token",
            Component::ImageInput => "image_input",
            Component::ImageOutput => "image_output",
            Component::Request => "request",
            Component::WebSearch => "web_search",
        }
    }

    /// The unit one price of this component is for.
    pub fn unit(self) -> Unit {
        match self {
            Component::ImageInput | Component::ImageOutput => Unit::Image,
            Component::Request => Unit::Request,
            Component::WebSearch => Unit::Search,
            _ => Unit::Token,
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Component {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Component::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Component::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown price component {s:?} (expected one of {})", names.join(", "))
        })
    }
}

impl Unit {
    /// The stable name used in storage and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Token => "token",
            Unit::Image => "image",
            Unit::Request => "request",
            Unit::Search => "search",
        }
    }
}

/// Whether a context-length tier reprices the whole request or only the tokens above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierScope {
    /// Once the prompt reaches the tier, every token is billed at the tier's rate
    /// (OpenRouter `overrides`, and the base tier of every source).
    WholeRequest,
    /// Only the tokens beyond the tier's threshold are billed at its rate.
    Excess,
}

impl TierScope {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            TierScope::WholeRequest => "whole",
            TierScope::Excess => "excess",
        }
    }

    /// Parse the stored name.
    pub fn from_stored(s: &str) -> Self {
        if s == "excess" { TierScope::Excess } else { TierScope::WholeRequest }
    }
}

/// Identity of one price within an offer: component × tier × condition.
///
/// The validity intervals of one key never overlap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PriceKey {
    /// What is paid for.
    pub component: Component,
    /// The tier applies from this many prompt tokens; 0 is the base price.
    pub min_prompt_tokens: i64,
    /// A condition under which the price applies (e.g. `utc:1000-0100`, a UTC
    /// time-of-day window); empty when unconditional.
    pub condition: String,
}

impl PriceKey {
    /// The unconditional base price of a component.
    pub fn base(component: Component) -> Self {
        Self { component, min_prompt_tokens: 0, condition: String::new() }
    }

    /// A short label for display: `input`, `input ≥128000`, `input [utc:1000-0100]`.
    pub fn label(&self) -> String {
        let mut s = self.component.as_str().to_string();
        if self.min_prompt_tokens > 0 {
            s.push_str(&format!(" ≥{}", self.min_prompt_tokens));
        }
        if !self.condition.is_empty() {
            s.push_str(&format!(" [{}]", self.condition));
        }
        s
    }
}

/// A price's value: an exact amount in USD per unit, or variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "usd", rename_all = "snake_case")]
pub enum PriceValue {
    /// A fixed price in USD per unit.
    Fixed(Decimal),
    /// Not fixed in advance: billed at whatever the request is routed to (OpenRouter `-1`).
    Variable,
}

impl PriceValue {
    /// Whether two values are the same price (rounding noise is not a change).
    pub fn same_as(&self, other: &PriceValue) -> bool {
        match (self, other) {
            (PriceValue::Fixed(a), PriceValue::Fixed(b)) => super::same_price(*a, *b),
            (PriceValue::Variable, PriceValue::Variable) => true,
            _ => false,
        }
    }

    /// The fixed amount, if there is one.
    pub fn fixed(&self) -> Option<Decimal> {
        match self {
            PriceValue::Fixed(d) => Some(*d),
            PriceValue::Variable => None,
        }
    }
}

impl fmt::Display for PriceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceValue::Fixed(d) => write!(f, "{d}"),
            PriceValue::Variable => f.write_str("variable"),
        }
    }
}

/// One price of one offer as a source states it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Component, tier and condition.
    pub key: PriceKey,
    /// The amount (USD per unit) or variable.
    pub value: PriceValue,
    /// How the tier applies.
    pub scope: TierScope,
}
