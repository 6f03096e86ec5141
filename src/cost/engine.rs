//! Pricing one request: resolve the offer's prices for the request's time and prompt size,
//! then bill every bucket of its usage, line by line. The rules are in the [module
//! documentation](super).
#![deny(clippy::float_arithmetic)]

use super::condition::Condition;
use super::usage::{Bucket, Usage};
use super::{CostError, exact};
use crate::domain::{Component, Price, PriceValue, TierScope, Unit};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What one request cost: one line per billed quantity, and their exact sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostBreakdown {
    /// The billed quantities, in bucket order (and, within a bucket, tier order).
    pub lines: Vec<CostLine>,
    /// The sum of the lines' amounts, exact and unrounded (USD).
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
    pub amount: Decimal,
    /// The tier of the price used (0 for the base price).
    pub min_prompt_tokens: i64,
    /// The condition of the price used (empty when unconditional).
    pub condition: String,
    /// Why the line is priced the way it is (fallbacks, excess bands, unlisted prices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    let table = PriceTable::resolve(prices, at)?;
    let billing = Billing::new(discount)?;
    let prompt = usage.prompt_tokens();
    let mut lines = Vec::new();
    for bucket in Bucket::ALL {
        let quantity = usage.quantity(bucket);
        if quantity > 0 {
            lines.extend(bill_bucket(&table, &billing, bucket, quantity, prompt)?);
        }
    }
    let total = lines.iter().try_fold(Decimal::ZERO, |sum, line| exact::add(sum, line.amount, "the total"))?;
    Ok(CostBreakdown { lines, total: total.normalize() })
}

/// The price of one component at one tier, after choosing between its time windows.
#[derive(Debug, Clone)]
struct TierPrice {
    value: PriceValue,
    scope: TierScope,
    condition: String,
}

/// The offer's prices that apply at the request's time: component → tier → price.
struct PriceTable(BTreeMap<Component, BTreeMap<i64, TierPrice>>);

impl PriceTable {
    /// Validate every price and keep, per component and tier, the one that applies at `at`:
    /// a window containing `at`, else the unconditional price.
    fn resolve(prices: &[Price], at: Timestamp) -> Result<Self, CostError> {
        let mut seen = BTreeSet::new();
        let mut unconditional: BTreeMap<(Component, i64), TierPrice> = BTreeMap::new();
        let mut windowed: BTreeMap<(Component, i64), TierPrice> = BTreeMap::new();
        for price in prices {
            validate(price)?;
            if !seen.insert(&price.key) {
                return Err(invalid(price, "listed twice"));
            }
            let condition = Condition::parse(&price.key.condition)?;
            let slot = (price.key.component, price.key.min_prompt_tokens);
            let tier_price =
                TierPrice { value: price.value, scope: price.scope, condition: price.key.condition.clone() };
            match condition {
                Condition::Always => {
                    unconditional.insert(slot, tier_price);
                }
                Condition::UtcWindow { .. } if condition.applies_at(at) => {
                    if let Some(other) = windowed.insert(slot, tier_price) {
                        return Err(CostError::AmbiguousWindow {
                            component: slot.0,
                            min_prompt_tokens: slot.1,
                            first: other.condition,
                            second: price.key.condition.clone(),
                        });
                    }
                }
                Condition::UtcWindow { .. } => {}
            }
        }
        let mut table: BTreeMap<Component, BTreeMap<i64, TierPrice>> = BTreeMap::new();
        for ((component, tier), price) in unconditional.into_iter().chain(windowed) {
            // Windowed prices come second, so they replace the unconditional ones.
            table.entry(component).or_default().insert(tier, price);
        }
        Ok(PriceTable(table))
    }

    /// The component's tiers that apply to a prompt of `prompt` tokens, lowest first.
    fn eligible(&self, component: Component, prompt: u64) -> Vec<(i64, &TierPrice)> {
        self.0
            .get(&component)
            .map(|tiers| {
                tiers
                    .iter()
                    .filter(|(min, _)| u64::try_from(**min).is_ok_and(|min| min <= prompt))
                    .map(|(min, price)| (*min, price))
                    .collect()
            })
            .unwrap_or_default()
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
struct Billing {
    discount: Option<Decimal>,
    factor: Decimal,
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
        Ok(Self { discount, factor })
    }

    /// `quantity × unit_price × (1 − discount)`, exactly.
    fn amount(&self, quantity: u64, unit_price: Decimal, what: &str) -> Result<Decimal, CostError> {
        let listed = exact::mul(Decimal::from(quantity), unit_price, what)?;
        Ok(exact::mul(listed, self.factor, what)?.normalize())
    }
}

/// A run of a bucket's units billed at one tier's price.
struct Band<'a> {
    min_prompt_tokens: i64,
    price: &'a TierPrice,
    quantity: u64,
    excess: bool,
}

/// Split `quantity` units over a component's eligible tiers (lowest first); returns the bands
/// (lowest first) and the units no tier prices.
///
/// From the highest tier down: a whole-request tier bills every unit still unbilled; an excess
/// tier bills only the units beyond its threshold and leaves the first ones to the tiers below.
fn split<'a>(tiers: &[(i64, &'a TierPrice)], quantity: u64) -> (Vec<Band<'a>>, u64) {
    let mut bands = Vec::new();
    let mut unbilled = quantity;
    for &(min, price) in tiers.iter().rev() {
        if unbilled == 0 {
            break;
        }
        let threshold = u64::try_from(min).unwrap_or(0);
        let (billed, excess) = match price.scope {
            TierScope::WholeRequest => (unbilled, false),
            TierScope::Excess => (unbilled.saturating_sub(threshold), min > 0),
        };
        if billed > 0 {
            bands.push(Band { min_prompt_tokens: min, price, quantity: billed, excess });
        }
        unbilled -= billed;
    }
    bands.reverse();
    (bands, unbilled)
}

/// The lines of one bucket: its own component's bands, then its fallbacks' for what is left.
fn bill_bucket(
    table: &PriceTable,
    billing: &Billing,
    bucket: Bucket,
    quantity: u64,
    prompt: u64,
) -> Result<Vec<CostLine>, CostError> {
    let chain = bucket.price_chain();
    let own = chain[0];
    let mut lines = Vec::new();
    let mut unbilled = quantity;
    for &component in chain {
        let (bands, left) = split(&table.eligible(component, prompt), unbilled);
        for band in bands {
            lines.push(band_line(billing, bucket, own, component, &band)?);
        }
        unbilled = left;
        if unbilled == 0 {
            return Ok(lines);
        }
    }
    match bucket {
        Bucket::Requests => {}
        _ if bucket.is_per_item() => lines.push(CostLine {
            bucket,
            component: own,
            quantity: unbilled,
            unit: own.unit(),
            unit_price: Decimal::ZERO,
            discount: billing.discount,
            amount: Decimal::ZERO,
            min_prompt_tokens: 0,
            condition: String::new(),
            note: Some("no price listed (0)".into()),
        }),
        _ => {
            return Err(CostError::Unpriced { component: own, bucket, quantity: unbilled });
        }
    }
    Ok(lines)
}

fn band_line(
    billing: &Billing,
    bucket: Bucket,
    own: Component,
    component: Component,
    band: &Band<'_>,
) -> Result<CostLine, CostError> {
    let PriceValue::Fixed(unit_price) = band.price.value else {
        return Err(CostError::Variable { component });
    };
    let what = format!("{} × {component} price", band.quantity);
    let mut notes = Vec::new();
    if component != own {
        notes.push(format!("no {own} price: billed at the {component} price"));
    }
    if band.excess {
        notes.push(format!("excess tier: the {bucket} units beyond {}", band.min_prompt_tokens));
    }
    Ok(CostLine {
        bucket,
        component,
        quantity: band.quantity,
        unit: component.unit(),
        unit_price,
        discount: billing.discount,
        amount: billing.amount(band.quantity, unit_price, &what)?,
        min_prompt_tokens: band.min_prompt_tokens,
        condition: band.price.condition.clone(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}
