//! Provider routing the way OpenRouter describes it: among the healthy endpoints of a listing,
//! each is chosen with probability proportional to the inverse square of its price.
//!
//! - **Price** of an endpoint: the exact cost of the reference request (`input` and `output`
//!   tokens, default 1,000 each) by the cost engine, after the endpoint's discount.
//! - **Healthy**: status 0 (or not reported) and uptime over the last 30 minutes at least
//!   `min_uptime` percent (default [`DEFAULT_MIN_UPTIME`]; or not reported). Unhealthy endpoints,
//!   and endpoints the engine cannot price (variable prices), are listed with the reason and
//!   probability 0.
//! - **Probability**: `w_i = (c_min / c_i)²` over the healthy endpoints (`c_min` the cheapest),
//!   `p_i = w_i / Σw`, rounded to 12 decimal places by the largest-remainder method so the
//!   probabilities sum to exactly 1. When some healthy endpoints are free (cost 0), the weight
//!   of a free endpoint is unbounded: they share the traffic equally and the others get 0.
//! - **Expected cost**: `Σ p_i × c_i`, exact.

use super::RankError;
use crate::catalog::base_price;
use crate::cost::{Usage, price_request};
use crate::domain::{Component, Price, per_million};
use crate::store::{ModelRecord, OfferRecord};
use crate::sync::is_free;
use rust_decimal::Decimal;
use serde::Serialize;

/// Default lowest uptime (percent, last 30 minutes) of a healthy endpoint.
pub const DEFAULT_MIN_UPTIME: f64 = 90.0;

/// Decimal places of a selection probability.
const PROBABILITY_DP: u32 = 12;

/// Whether an offer is free: a `:free` variant, or a zero-priced offer of a text model.
pub(crate) fn is_offer_free(record: &ModelRecord, o: &OfferRecord) -> bool {
    let all_zero = !o.prices.is_empty() && o.prices.iter().all(|p| p.price.value.fixed().is_some_and(|d| d.is_zero()));
    is_free(Some(&record.model), o.offer.variant.as_deref(), all_zero)
}

/// Whether a model has an active free offer (`:free` variant or zero-priced text model).
pub fn is_model_free(record: &ModelRecord) -> bool {
    record.offers.iter().any(|o| o.is_active && is_offer_free(record, o))
}

/// The listing to route a model's free tier through: its active free listing (a `:free`
/// variant first, else a zero-priced plain listing).
pub fn free_listing(record: &ModelRecord) -> Option<&str> {
    record
        .offers
        .iter()
        .filter(|o| o.is_active && o.offer.served_by.is_none() && is_offer_free(record, o))
        .min_by_key(|o| (o.offer.variant.as_deref() != Some("free"), o.offer.listing_id.as_str()))
        .map(|o| o.offer.listing_id.as_str())
}

/// `IN,OUT` token counts of a reference request (`1000,500`).
pub fn parse_tokens(raw: &str) -> Result<(u64, u64), String> {
    let (i, o) = raw.split_once(',').ok_or_else(|| format!("{raw:?} is not IN,OUT (e.g. 1000,500)"))?;
    let count = |s: &str| s.trim().parse::<u64>().map_err(|_| format!("{:?} is not a token count", s.trim()));
    Ok((count(i)?, count(o)?))
}

/// What to route.
#[derive(Debug, Clone)]
pub struct RouteQuery {
    /// The listing to route (`openai/gpt-oss-20b:free`); default: the model's plain listing.
    pub listing: Option<String>,
    /// Route the model's free listing instead.
    pub free: bool,
    /// Input tokens of the reference request.
    pub input_tokens: u64,
    /// Output tokens of the reference request.
    pub output_tokens: u64,
    /// Lowest uptime (percent, last 30 minutes) of a healthy endpoint.
    pub min_uptime: f64,
    /// When the request is made (time-of-day prices).
    pub at: jiff::Timestamp,
}

impl Default for RouteQuery {
    fn default() -> Self {
        Self {
            listing: None,
            free: false,
            input_tokens: 1000,
            output_tokens: 1000,
            min_uptime: DEFAULT_MIN_UPTIME,
            at: jiff::Timestamp::now(),
        }
    }
}

/// One provider endpoint, its price, health and share of the traffic.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoutedOffer {
    /// The endpoint tag (`deepinfra/fp8`).
    pub provider: String,
    /// The provider's display name.
    pub provider_name: Option<String>,
    /// Quantization of the served weights.
    pub quantization: Option<String>,
    /// Listed input price, USD per million tokens.
    #[schema(value_type = Option<String>)]
    pub listed_input_per_million: Option<Decimal>,
    /// Listed output price, USD per million tokens.
    #[schema(value_type = Option<String>)]
    pub listed_output_per_million: Option<Decimal>,
    /// The discount (a fraction), if any.
    #[schema(value_type = Option<String>)]
    pub discount: Option<Decimal>,
    /// Input price after the discount, USD per million tokens.
    #[schema(value_type = Option<String>)]
    pub input_per_million: Option<Decimal>,
    /// Output price after the discount, USD per million tokens.
    #[schema(value_type = Option<String>)]
    pub output_per_million: Option<Decimal>,
    /// The reference request's exact cost here (USD), when it can be priced.
    #[schema(value_type = Option<String>)]
    pub request_cost: Option<Decimal>,
    /// Reported status (0 is healthy).
    pub status: Option<i64>,
    /// Reported uptime over the last 30 minutes, percent.
    pub uptime_30m: Option<f64>,
    /// Whether the endpoint takes part in routing.
    pub healthy: bool,
    /// Why it does not, when it does not.
    pub excluded: Option<String>,
    /// Its probability of serving a request (0 when excluded).
    #[schema(value_type = String)]
    pub probability: Decimal,
}

/// The rules behind a routing, in words.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoutingHow {
    /// What makes an endpoint healthy.
    pub healthy: String,
    /// How probabilities are computed.
    pub probability: &'static str,
    /// How the expected cost is computed.
    pub expected_cost: &'static str,
}

/// How requests to a listing spread over its providers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Routing {
    /// The model.
    pub model_id: String,
    /// The listing routed (`…:free` for the free tier).
    pub listing_id: String,
    /// Input tokens of the reference request.
    pub input_tokens: u64,
    /// Output tokens of the reference request.
    pub output_tokens: u64,
    /// Every endpoint, most probable first, then excluded ones.
    pub offers: Vec<RoutedOffer>,
    /// The cheapest healthy endpoint for the reference request.
    pub cheapest: Option<String>,
    /// The probability-weighted cost of the reference request (USD), exact.
    #[schema(value_type = Option<String>)]
    pub expected_cost: Option<Decimal>,
    /// The rules.
    pub how: RoutingHow,
}

fn per_million_after(price: Option<Decimal>, discount: Option<Decimal>) -> Option<Decimal> {
    let listed = per_million(price?);
    match discount {
        Some(d) => listed.checked_mul(Decimal::ONE - d).map(|v| v.normalize()),
        None => Some(listed),
    }
}

/// Split 1 over weights (largest remainder at [`PROBABILITY_DP`] places): the result sums to
/// exactly 1 and each share is within 10⁻¹² of `w_i / Σw`.
fn shares(weights: &[Decimal]) -> Vec<Decimal> {
    let total: Decimal = weights.iter().copied().sum();
    if weights.is_empty() || total.is_zero() {
        return vec![Decimal::ZERO; weights.len()];
    }
    let raw: Vec<Decimal> = weights.iter().map(|w| w.checked_div(total).unwrap_or_default()).collect();
    let mut out: Vec<Decimal> = raw.iter().map(|r| r.trunc_with_scale(PROBABILITY_DP)).collect();
    let unit = Decimal::new(1, PROBABILITY_DP);
    let assigned: Decimal = out.iter().copied().sum();
    let missing_units = ((Decimal::ONE - assigned) / unit).round();
    let mut by_remainder: Vec<usize> = (0..raw.len()).collect();
    by_remainder.sort_by(|&a, &b| (raw[b] - out[b]).cmp(&(raw[a] - out[a])).then(a.cmp(&b)));
    let mut left = missing_units;
    for &i in by_remainder.iter().cycle().take(raw.len().saturating_mul(2)) {
        if left <= Decimal::ZERO {
            break;
        }
        out[i] += unit;
        left -= Decimal::ONE;
    }
    out.into_iter().map(|d| d.normalize()).collect()
}

/// Route a model's requests over the provider endpoints of one of its listings (rules in the
/// module documentation).
pub fn route(record: &ModelRecord, query: &RouteQuery) -> Result<Routing, RankError> {
    let model_id = record.model.id.to_string();
    let listing = match (&query.listing, query.free) {
        (Some(l), _) => l.clone(),
        (None, true) => free_listing(record)
            .map(str::to_string)
            .ok_or_else(|| RankError::NoEndpoints { listing: format!("{model_id} (no free listing)") })?,
        (None, false) => model_id.clone(),
    };
    let mut listings: Vec<&str> = record.offers.iter().map(|o| o.offer.listing_id.as_str()).collect();
    listings.sort_unstable();
    listings.dedup();
    if !listings.contains(&listing.as_str()) {
        return Err(RankError::UnknownListing { model: model_id, listing, known: listings.join(", ") });
    }
    let endpoints: Vec<&OfferRecord> = record
        .offers
        .iter()
        .filter(|o| o.is_active && o.offer.served_by.is_some() && o.offer.listing_id == listing)
        .collect();
    if endpoints.is_empty() {
        return Err(RankError::NoEndpoints { listing });
    }
    let usage = Usage { input: query.input_tokens, output: query.output_tokens, requests: 1, ..Usage::default() };
    let mut offers: Vec<RoutedOffer> = endpoints
        .iter()
        .map(|o| {
            let discount = o.offer.discount.filter(|d| !d.is_zero());
            let prices: Vec<Price> = o.prices.iter().map(|p| p.price.clone()).collect();
            let fixed = |c| base_price(o, c).and_then(|v| v.fixed());
            let cost = price_request(&prices, discount, &usage, query.at);
            let health = o.offer.health;
            let excluded = match (&cost, health.status, health.uptime_30m) {
                (Err(e), _, _) => Some(format!("cannot price the request: {e}")),
                (_, Some(s), _) if s != 0 => Some(format!("status {s} (degraded)")),
                (_, _, Some(u)) if u < query.min_uptime => {
                    Some(format!("uptime {u:.1}% over 30 minutes is below {}%", query.min_uptime))
                }
                _ => None,
            };
            RoutedOffer {
                provider: o.offer.served_by.clone().unwrap_or_default(),
                provider_name: o.offer.provider_name.clone(),
                quantization: o.offer.quantization.clone(),
                listed_input_per_million: fixed(Component::Input).map(per_million),
                listed_output_per_million: fixed(Component::Output).map(per_million),
                discount,
                input_per_million: per_million_after(fixed(Component::Input), discount),
                output_per_million: per_million_after(fixed(Component::Output), discount),
                request_cost: cost.ok().map(|b| b.total.normalize()),
                status: health.status,
                uptime_30m: health.uptime_30m,
                healthy: excluded.is_none(),
                excluded,
                probability: Decimal::ZERO,
            }
        })
        .collect();

    let healthy: Vec<usize> = (0..offers.len()).filter(|&i| offers[i].healthy).collect();
    let costs: Vec<Decimal> = healthy.iter().map(|&i| offers[i].request_cost.unwrap_or_default()).collect();
    let weights: Vec<Decimal> = if costs.iter().any(|c| c.is_zero()) {
        costs.iter().map(|c| if c.is_zero() { Decimal::ONE } else { Decimal::ZERO }).collect()
    } else {
        let cheapest = costs.iter().copied().min().unwrap_or_default();
        costs
            .iter()
            .map(|c| {
                let ratio = cheapest.checked_div(*c).unwrap_or_default();
                ratio.checked_mul(ratio).unwrap_or_default()
            })
            .collect()
    };
    for (&i, p) in healthy.iter().zip(shares(&weights)) {
        offers[i].probability = p;
    }
    let expected_cost = (!healthy.is_empty()).then(|| {
        healthy
            .iter()
            .map(|&i| offers[i].probability.checked_mul(offers[i].request_cost.unwrap_or_default()).unwrap_or_default())
            .sum::<Decimal>()
            .normalize()
    });
    let cheapest = healthy
        .iter()
        .map(|&i| &offers[i])
        .min_by(|a, b| a.request_cost.cmp(&b.request_cost).then_with(|| a.provider.cmp(&b.provider)))
        .map(|o| o.provider.clone());
    offers.sort_by(|a, b| {
        b.healthy
            .cmp(&a.healthy)
            .then(b.probability.cmp(&a.probability))
            .then(a.request_cost.cmp(&b.request_cost))
            .then_with(|| a.provider.cmp(&b.provider))
    });
    Ok(Routing {
        model_id,
        listing_id: listing,
        input_tokens: query.input_tokens,
        output_tokens: query.output_tokens,
        offers,
        cheapest,
        expected_cost,
        how: RoutingHow {
            healthy: format!(
                "status 0 (or not reported) and uptime over the last 30 minutes at least {}% (or not reported); \
                 endpoints that cannot be priced are excluded",
                query.min_uptime
            ),
            probability: "inverse square of the request cost among healthy endpoints: (cheapest / cost)^2, scaled \
                          to sum to exactly 1 (12 decimal places); free endpoints, when any, share equally",
            expected_cost: "sum of probability x request cost over healthy endpoints, exact",
        },
    })
}
