//! The request-cost engine: what one request cost, exactly, from its token usage and the
//! prices of the offer that served it. Pure: no I/O, no database, no clock.
//!
//! # Usage
//!
//! [`Usage`] normalises a provider's `usage` object into buckets in which **every token is
//! counted exactly once**: `input` holds only the prompt tokens billed at the plain input rate
//! (cache reads, cache writes, audio and image prompt tokens are taken out of it), `output` only
//! the completion tokens that are not reasoning, audio or image tokens. Parsers exist for OpenAI
//! chat completions, OpenRouter, the OpenAI Responses API, Anthropic and Gemini, and
//! [`Usage::detect`] picks one from the keys. An unrecognised shape, a negative count, or details
//! larger than their total are errors, never a zero usage.
//!
//! # Units
//!
//! Prices are exact decimal USD per unit: per token for token components, per image, per request
//! and per search otherwise ([`crate::domain::Component::unit`]). `amount = quantity ×
//! unit_price × (1 − discount)`, computed exactly: a product or sum that does not fit in
//! `Decimal`'s 28 significant digits is [`CostError::Overflow`], never rounded.
//!
//! # Rules
//!
//! - **Tiers.** A component's *eligible* prices are those whose `min_prompt_tokens` is at most
//!   [`Usage::prompt_tokens`]; the highest eligible tier that lists the component decides:
//!   - [`TierScope::WholeRequest`](crate::domain::TierScope::WholeRequest) (OpenRouter
//!     `overrides`): every token of the component is billed at that tier's rate. A component the
//!     tier does not list keeps its base (or lower tier) rate.
//!   - [`TierScope::Excess`](crate::domain::TierScope::Excess): the component's own tokens are
//!     split into bands at the thresholds; only the tokens beyond a tier's threshold are billed at
//!     its rate and the first ones at the lower tiers' rates, band by band (a lower whole-request
//!     tier bills all the tokens below the band above it). One line per band.
//! - **Time windows.** A price whose condition is `utc:HHMM-HHMM` applies, instead of the
//!   unconditional price of the same component and tier, when the request's UTC time of day is in
//!   `[start, end)`; a window with `start > end` wraps past midnight (`utc:1000-0100`). A window
//!   that does not contain the request time is ignored. Two windows of one component and tier
//!   that both contain it are [`CostError::AmbiguousWindow`]; any other condition is
//!   [`CostError::UnknownCondition`], never ignored.
//! - **Fallbacks** for a token bucket whose component has no eligible price (stated in the line's
//!   `note`): cache read → input; cache write → input; 1-hour cache write → 5-minute cache write →
//!   input; reasoning → output; audio input → input; audio output → output; image output tokens
//!   ([`Component::ImageOutputToken`] → [`Component::ImageToken`]) → output. Image *input* tokens are billed at the input price
//!   (the domain has no per-token image-input component).
//!   A token bucket with nothing to fall back to is [`CostError::Unpriced`].
//! - **Per-item charges.** No request fee listed means 0, without a line. Input images, output
//!   images and web searches with no listed price are charged 0 with a line noting
//!   "no price listed (0)" (OpenRouter omits zero prices).
//! - **Variable prices** (OpenRouter `-1`) needed for a non-zero quantity are
//!   [`CostError::Variable`]: such a request is priced from its reported cost or from the model it
//!   was routed to, never by multiplying by -1 and never as 0.
//! - **Discount** (a fraction in `[0, 1]`, offer-level) multiplies every line and is shown in it.
//! - Invalid price lists are errors: a key listed twice, a negative tier or a negative price.

#![deny(clippy::float_arithmetic)]

mod batch;
mod book;
mod condition;
mod engine;
mod exact;
mod raw_usage;
mod usage;

#[cfg(test)]
mod tests;

pub use batch::{BatchPricer, BatchWriter, Priced, price_line_reference};
pub use book::{BookOffer, PriceBook, Quote, QuoteError, QuoteLine, Resolved, SOURCE_PREFERENCE};
pub use condition::Condition;
pub use engine::{CostBreakdown, CostLine, PricePlan, price_request};
pub(crate) use usage::cost_from_text;
pub use usage::{Bucket, Usage, UsageShape};

use crate::domain::Component;
use rust_decimal::Decimal;

/// Why a usage could not be read or a request could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    /// The JSON is not a usage shape we know.
    #[error("unrecognised usage shape: {0}")]
    UnknownShape(String),
    /// A usage field has a value we cannot accept (negative, fractional, not a number).
    #[error("usage field {field}: {reason}")]
    InvalidField {
        /// The field's path, e.g. `prompt_tokens_details.cached_tokens`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Token details add up to more than the total they are part of.
    #[error("usage details {details} add up to {sum}, more than {total} ({value})")]
    DetailsExceedTotal {
        /// The total field, e.g. `prompt_tokens`.
        total: String,
        /// Its value.
        value: u64,
        /// The detail fields, e.g. `cached_tokens + audio_tokens`.
        details: String,
        /// Their sum.
        sum: u64,
    },
    /// A price condition we do not understand.
    #[error("unknown price condition {0:?} (expected \"\" or utc:HHMM-HHMM)")]
    UnknownCondition(String),
    /// A price list that cannot be applied as given.
    #[error("invalid price {key}: {reason}")]
    InvalidPrice {
        /// The price's label (component, tier, condition).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A discount outside `[0, 1]`.
    #[error("discount {0} is not a fraction between 0 and 1")]
    InvalidDiscount(Decimal),
    /// Two time windows of one component and tier both contain the request time.
    #[error("{component} ≥{min_prompt_tokens}: windows {first} and {second} both apply")]
    AmbiguousWindow {
        /// The component.
        component: Component,
        /// The tier.
        min_prompt_tokens: i64,
        /// One window.
        first: String,
        /// The other window.
        second: String,
    },
    /// Tokens to bill and no price for them (nor for any fallback).
    #[error("no price for {component}: {quantity} {bucket} to bill")]
    Unpriced {
        /// The component that has no price.
        component: Component,
        /// The usage bucket that needs it.
        bucket: Bucket,
        /// How many units are unpriced.
        quantity: u64,
    },
    /// A variable price is needed: the cost depends on where the request was routed.
    #[error(
        "{component} has a variable price: price the request from its reported cost or from the model it was routed to"
    )]
    Variable {
        /// The component priced variably.
        component: Component,
    },
    /// A computation that does not fit exactly in `Decimal`.
    #[error("{0} cannot be computed exactly within Decimal's 28 significant digits")]
    Overflow(String),
}
