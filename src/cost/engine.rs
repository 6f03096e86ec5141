//! Pricing one request: resolve the offer's prices for the request's time and prompt size,
//! then bill every bucket of its usage, line by line. The rules are in the [module
//! documentation](super).
#![deny(clippy::float_arithmetic)]

use super::CostError;
use super::condition::Condition;
use super::exact::{self, Small};
use super::usage::{Bucket, Usage};
use crate::domain::{Component, Price, PriceValue, TierScope, Unit};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// What one request cost: one line per billed quantity, and their exact sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostBreakdown {
    /// The billed quantities, in bucket order (and, within a bucket, tier order).
    pub lines: Vec<CostLine>,
    /// The sum of the lines' amounts, exact and unrounded (USD).
    #[serde(serialize_with = "normalized")]
    pub total: Decimal,
}

/// One billed quantity: how many units of a bucket, at which price, for how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    /// The usage bucket billed.
    pub bucket: Bucket,
    /// The component whose price was used (differs from the bucket's own on a fallback).
    pub component: Component,
    /// How many units were billed at this price.
    pub quantity: u64,
    /// What one unit is.
    pub unit: Unit,
    /// The listed price per unit (USD), before the discount.
    pub unit_price: Decimal,
    /// The discount applied (a fraction), if the offer has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<Decimal>,
    /// `quantity × unit_price × (1 − discount)`, exact (USD).
    #[serde(serialize_with = "normalized")]
    pub amount: Decimal,
    /// The tier of the price used (0 for the base price).
    pub min_prompt_tokens: i64,
    /// The condition of the price used (empty when unconditional).
    pub condition: String,
    /// Why the line is priced the way it is (fallbacks, excess bands, unlisted prices).
    /// Borrowed when the note is one of the fixed texts, so a line costs no allocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Cow<'static, str>>,
}

/// Price one request exactly.
///
/// `prices` are the prices of one offer valid at `at` (base prices, tiers and time windows
/// mixed); `discount` is the offer's fraction off the listed prices.
pub fn price_request(
    prices: &[Price],
    discount: Option<Decimal>,
    usage: &Usage,
    at: Timestamp,
) -> Result<CostBreakdown, CostError> {
    PricePlan::new(prices, discount)?.price(usage, at)
}

/// One price of a component at one tier: unconditional, or for a UTC time-of-day window.
#[derive(Debug, Clone)]
struct TierPrice {
    value: PriceValue,
    scope: TierScope,
    condition: String,
    window: Condition,
}

/// An offer's prices, validated and indexed once, ready to price any number of requests:
/// component → tier → its unconditional price and its windowed prices.
#[derive(Debug, Clone)]
pub struct PricePlan {
    tiers: BTreeMap<Component, BTreeMap<i64, Vec<TierPrice>>>,
    billing: Billing,
    /// For offers with one flat price per component (no tiers, no windows): each bucket's
    /// price, chosen once, so pricing is arithmetic only.
    flat: Option<[Option<FlatPrice>; Bucket::ALL.len()]>,
}

/// A bucket's price in a flat plan: the component that prices it and the note a fallback needs.
#[derive(Debug, Clone)]
struct FlatPrice {
    component: Component,
    value: PriceValue,
    /// The fixed price for [`Small`] arithmetic, when it is not negative.
    small: Option<Small>,
    note: Option<Cow<'static, str>>,
}

/// Each bucket's price when every component has exactly one unconditional base price.
fn flat_prices(tiers: &BTreeMap<Component, BTreeMap<i64, Vec<TierPrice>>>) -> Option<[Option<FlatPrice>; 14]> {
    let flat = tiers.values().all(|t| {
        t.len() == 1 && t.get(&0).is_some_and(|prices| prices.len() == 1 && prices[0].window == Condition::Always)
    });
    if !flat {
        return None;
    }
    Some(Bucket::ALL.map(|bucket| {
        let chain = bucket.price_chain();
        let own = chain[0];
        chain.iter().find_map(|&component| {
            let price = tiers.get(&component)?.get(&0)?.first()?;
            Some(FlatPrice {
                component,
                value: price.value,
                small: match price.value {
                    PriceValue::Fixed(d) => Small::of(d),
                    PriceValue::Variable => None,
                },
                note: (component != own).then(|| fallback_note(own, component)),
            })
        })
    }))
}

impl PricePlan {
    /// Validate an offer's prices (no key twice, no negative tier or price, known conditions)
    /// and its discount.
    pub fn new(prices: &[Price], discount: Option<Decimal>) -> Result<Self, CostError> {
        let mut seen = BTreeSet::new();
        let mut tiers: BTreeMap<Component, BTreeMap<i64, Vec<TierPrice>>> = BTreeMap::new();
        for price in prices {
            validate(price)?;
            if !seen.insert(&price.key) {
                return Err(invalid(price, "listed twice"));
            }
            let window = Condition::parse(&price.key.condition)?;
            let slot = tiers.entry(price.key.component).or_default().entry(price.key.min_prompt_tokens).or_default();
            let tier_price =
                TierPrice { value: price.value, scope: price.scope, condition: price.key.condition.clone(), window };
            // The unconditional price first, then the windows.
            match window {
                Condition::Always => slot.insert(0, tier_price),
                Condition::UtcWindow { .. } => slot.push(tier_price),
            }
        }
        let flat = flat_prices(&tiers);
        Ok(Self { tiers, billing: Billing::new(discount)?, flat })
    }

    /// Price one request made at `at`.
    pub fn price(&self, usage: &Usage, at: Timestamp) -> Result<CostBreakdown, CostError> {
        if let Some(flat) = &self.flat {
            return self.price_flat(flat, usage);
        }
        self.price_searching(usage, at)
    }

    /// The general path: every tier, window and fallback searched per bucket.
    pub(super) fn price_searching(&self, usage: &Usage, at: Timestamp) -> Result<CostBreakdown, CostError> {
        let prompt = usage.prompt_tokens();
        let mut lines = Vec::with_capacity(4);
        for bucket in Bucket::ALL {
            let quantity = usage.quantity(bucket);
            if quantity > 0 {
                self.bill_bucket(&mut lines, bucket, quantity, prompt, at)?;
            }
        }
        let total = lines.iter().try_fold(Decimal::ZERO, |sum, line| exact::add(sum, line.amount, "the total"))?;
        Ok(CostBreakdown { lines, total: total.normalize() })
    }

    /// Price a request with a flat plan: the same lines as the general path, without its search.
    fn price_flat(&self, flat: &[Option<FlatPrice>; 14], usage: &Usage) -> Result<CostBreakdown, CostError> {
        match self.price_flat_small(flat, usage) {
            Some(priced) => priced,
            None => self.price_flat_exact(flat, usage),
        }
    }

    /// [`Self::price_flat_exact`] in [`Small`] arithmetic: the same lines and total, or `None`
    /// as soon as a step would not fit as it stands (then the exact path starts over).
    #[inline]
    fn price_flat_small(
        &self,
        flat: &[Option<FlatPrice>; 14],
        usage: &Usage,
    ) -> Option<Result<CostBreakdown, CostError>> {
        let mut lines = Vec::with_capacity(4);
        let mut total = Small::ZERO;
        for (bucket, price) in Bucket::ALL.into_iter().zip(flat) {
            let quantity = usage.quantity(bucket);
            if quantity == 0 {
                continue;
            }
            let Some(price) = price else {
                if let Err(e) = self.unpriced(&mut lines, bucket, quantity) {
                    return Some(Err(e));
                }
                continue;
            };
            let (PriceValue::Fixed(unit_price), Some(small_price)) = (price.value, price.small) else {
                return match price.value {
                    PriceValue::Variable => Some(Err(CostError::Variable { component: price.component })),
                    PriceValue::Fixed(_) => None,
                };
            };
            let listed = Small::count(quantity).mul(small_price)?;
            let amount = match (self.billing.discount, self.billing.small_factor) {
                (None, _) => listed,
                (Some(_), Some(factor)) => listed.mul(factor)?,
                (Some(_), None) => return None,
            };
            total = total.add(amount)?;
            lines.push(CostLine {
                bucket,
                component: price.component,
                quantity,
                unit: price.component.unit(),
                unit_price,
                discount: self.billing.discount,
                amount: amount.decimal(),
                min_prompt_tokens: 0,
                condition: String::new(),
                note: price.note.clone(),
            });
        }
        Some(Ok(CostBreakdown { lines, total: total.decimal() }))
    }

    /// The flat plan in `Decimal` arithmetic, for amounts that [`Small`] cannot hold as they stand.
    fn price_flat_exact(&self, flat: &[Option<FlatPrice>; 14], usage: &Usage) -> Result<CostBreakdown, CostError> {
        let mut lines = Vec::with_capacity(4);
        let mut total = Decimal::ZERO;
        for (bucket, price) in Bucket::ALL.into_iter().zip(flat) {
            let quantity = usage.quantity(bucket);
            if quantity == 0 {
                continue;
            }
            let Some(price) = price else {
                self.unpriced(&mut lines, bucket, quantity)?;
                continue;
            };
            let PriceValue::Fixed(unit_price) = price.value else {
                return Err(CostError::Variable { component: price.component });
            };
            let amount = self.billing.amount(quantity, unit_price)?;
            total = exact::add(total, amount, "the total")?;
            lines.push(CostLine {
                bucket,
                component: price.component,
                quantity,
                unit: price.component.unit(),
                unit_price,
                discount: self.billing.discount,
                amount,
                min_prompt_tokens: 0,
                condition: String::new(),
                note: price.note.clone(),
            });
        }
        Ok(CostBreakdown { lines, total })
    }

    /// The flat plan priced in `Decimal` arithmetic only (the reference for the fast path).
    #[cfg(test)]
    pub(super) fn price_flat_reference(&self, usage: &Usage) -> Option<Result<CostBreakdown, CostError>> {
        self.flat.as_ref().map(|flat| self.price_flat_exact(flat, usage))
    }

    /// A bucket no price covers: per-item charges without a listed price are 0 (with a line),
    /// no request fee is nothing, and unpriced tokens are an error.
    fn unpriced(&self, lines: &mut Vec<CostLine>, bucket: Bucket, quantity: u64) -> Result<(), CostError> {
        let own = bucket.price_chain()[0];
        match bucket {
            Bucket::Requests => Ok(()),
            _ if bucket.is_per_item() => {
                lines.push(CostLine {
                    bucket,
                    component: own,
                    quantity,
                    unit: own.unit(),
                    unit_price: Decimal::ZERO,
                    discount: self.billing.discount,
                    amount: Decimal::ZERO,
                    min_prompt_tokens: 0,
                    condition: String::new(),
                    note: Some(Cow::Borrowed("no price listed (0)")),
                });
                Ok(())
            }
            _ => Err(CostError::Unpriced { component: own, bucket, quantity }),
        }
    }

    /// The price of a component at a tier that applies at `at`: a window containing it, else
    /// the unconditional price; `None` when neither applies.
    fn applicable(candidates: &[TierPrice], at: Timestamp) -> Result<Option<&TierPrice>, CostError> {
        let mut windows = candidates.iter().filter(|p| p.window != Condition::Always && p.window.applies_at(at));
        match (windows.next(), windows.next()) {
            (Some(first), Some(second)) => Err(CostError::AmbiguousWindow {
                component: Component::Input,
                min_prompt_tokens: 0,
                first: first.condition.clone(),
                second: second.condition.clone(),
            }),
            (Some(window), None) => Ok(Some(window)),
            (None, _) => Ok(candidates.first().filter(|p| p.window == Condition::Always)),
        }
    }

    /// Bill one bucket: its own component's tiers, highest eligible first, then its fallbacks'
    /// for what is left. Lines come out lowest tier first.
    fn bill_bucket(
        &self,
        lines: &mut Vec<CostLine>,
        bucket: Bucket,
        quantity: u64,
        prompt: u64,
        at: Timestamp,
    ) -> Result<(), CostError> {
        let chain = bucket.price_chain();
        let own = chain[0];
        let mut unbilled = quantity;
        let max_tier = i64::try_from(prompt).unwrap_or(i64::MAX);
        for &component in chain {
            let Some(tiers) = self.tiers.get(&component) else { continue };
            let first_line = lines.len();
            // From the highest tier down: a whole-request tier bills every unit still unbilled;
            // an excess tier bills only the units beyond its threshold.
            for (&min, candidates) in tiers.range(..=max_tier).rev() {
                if unbilled == 0 {
                    break;
                }
                let Some(price) = Self::applicable(candidates, at).map_err(|e| with_slot(e, component, min))? else {
                    continue;
                };
                let threshold = u64::try_from(min).unwrap_or(0);
                let (billed, excess) = match price.scope {
                    TierScope::WholeRequest => (unbilled, false),
                    TierScope::Excess => (unbilled.saturating_sub(threshold), min > 0),
                };
                if billed > 0 {
                    lines.push(self.line(bucket, own, component, min, price, billed, excess)?);
                }
                unbilled -= billed;
            }
            lines[first_line..].reverse();
            if unbilled == 0 {
                return Ok(());
            }
        }
        self.unpriced(lines, bucket, unbilled)
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        bucket: Bucket,
        own: Component,
        component: Component,
        min_prompt_tokens: i64,
        price: &TierPrice,
        quantity: u64,
        excess: bool,
    ) -> Result<CostLine, CostError> {
        let PriceValue::Fixed(unit_price) = price.value else {
            return Err(CostError::Variable { component });
        };
        let note = match (component != own, excess) {
            (false, false) => None,
            (true, false) => Some(fallback_note(own, component)),
            (false, true) => Some(Cow::Owned(format!("excess tier: the {bucket} units beyond {min_prompt_tokens}"))),
            (true, true) => Some(Cow::Owned(format!(
                "no {own} price: billed at the {component} price; excess tier: the {bucket} units beyond {min_prompt_tokens}"
            ))),
        };
        Ok(CostLine {
            bucket,
            component,
            quantity,
            unit: component.unit(),
            unit_price,
            discount: self.billing.discount,
            amount: self.billing.amount(quantity, unit_price)?,
            min_prompt_tokens,
            condition: price.condition.clone(),
            note,
        })
    }
}

/// `no {own} price: billed at the {via} price`, without an allocation for the fallbacks of
/// [`Bucket::price_chain`].
fn fallback_note(own: Component, via: Component) -> Cow<'static, str> {
    use Component as C;
    Cow::Borrowed(match (own, via) {
        (C::CacheRead, C::Input) => "no cache_read price: billed at the input price",
        (C::CacheWrite, C::Input) => "no cache_write price: billed at the input price",
        (C::CacheWrite1h, C::CacheWrite) => "no cache_write_1h price: billed at the cache_write price",
        (C::CacheWrite1h, C::Input) => "no cache_write_1h price: billed at the input price",
        (C::Reasoning, C::Output) => "no reasoning price: billed at the output price",
        (C::AudioInput, C::Input) => "no audio_input price: billed at the input price",
        (C::AudioOutput, C::Output) => "no audio_output price: billed at the output price",
        (C::ImageOutputToken, C::ImageToken) => "no image_output_token price: billed at the image_token price",
        (C::ImageOutputToken, C::Output) => "no image_output_token price: billed at the output price",
        _ => return Cow::Owned(format!("no {own} price: billed at the {via} price")),
    })
}

/// Serialise an amount without trailing zeros (`0.0100000` → `0.01`).
pub(crate) fn normalized<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&d.normalize(), s)
}

/// Name the component and tier in an ambiguity found while billing.
fn with_slot(e: CostError, component: Component, min_prompt_tokens: i64) -> CostError {
    match e {
        CostError::AmbiguousWindow { first, second, .. } => {
            CostError::AmbiguousWindow { component, min_prompt_tokens, first, second }
        }
        other => other,
    }
}

/// A price list must be applicable as given: no negative tier, no negative price.
fn validate(price: &Price) -> Result<(), CostError> {
    if price.key.min_prompt_tokens < 0 {
        return Err(invalid(price, "negative min_prompt_tokens"));
    }
    match price.value {
        PriceValue::Fixed(d) if d.is_sign_negative() && !d.is_zero() => Err(invalid(price, "negative price")),
        _ => Ok(()),
    }
}

fn invalid(price: &Price, reason: &str) -> CostError {
    CostError::InvalidPrice { key: price.key.label(), reason: reason.to_string() }
}

/// The discount, validated, and the factor every listed amount is multiplied by.
#[derive(Debug, Clone)]
struct Billing {
    discount: Option<Decimal>,
    factor: Decimal,
    /// The factor for [`Small`] arithmetic when there is a discount.
    small_factor: Option<Small>,
}

impl Billing {
    fn new(discount: Option<Decimal>) -> Result<Self, CostError> {
        let factor = match discount {
            None => Decimal::ONE,
            Some(d) if (d.is_sign_negative() && !d.is_zero()) || d > Decimal::ONE => {
                return Err(CostError::InvalidDiscount(d));
            }
            Some(d) => exact::sub(Decimal::ONE, d, "1 − discount")?,
        };
        let small_factor = discount.and_then(|_| Small::of(factor));
        Ok(Self { discount, factor, small_factor })
    }

    /// `quantity × unit_price × (1 − discount)`, exactly.
    fn amount(&self, quantity: u64, unit_price: Decimal) -> Result<Decimal, CostError> {
        // Not normalised here: trailing zeros go when the amount is shown (`normalized`).
        let listed = exact::mul(Decimal::from(quantity), unit_price, "a line amount")?;
        if self.discount.is_none() {
            return Ok(listed);
        }
        exact::mul(listed, self.factor, "a discounted line amount")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fallback_notes_read_as_formatted() {
        for bucket in Bucket::ALL {
            let chain = bucket.price_chain();
            for &via in &chain[1..] {
                let note = fallback_note(chain[0], via);
                assert!(matches!(note, Cow::Borrowed(_)), "{bucket}: {via}");
                assert_eq!(note, format!("no {} price: billed at the {via} price", chain[0]));
            }
        }
        assert_eq!(fallback_note(Component::Input, Component::Output), "no input price: billed at the output price");
    }
}
