//! The price book: every offer of every model with its full price history, indexed so a
//! request's cost is one lookup and one exact calculation. Built from the store once, then
//! pure and read-only.
//!
//! # Which offer prices a request
//! 0. The user's negotiated price (overrides file) for the model, from the provider asked
//!    for, wins; without a provider it wins unless the id names another seller's offer.
//! 1. An id that names an offer (a variant listing `openai/gpt-oss-20b:free`, or a price
//!    list's id such as `azure/gpt-4o`) is priced by that offer, unless a provider is given.
//! 2. With a provider, among the model's active offers sold or served by it: the one listed
//!    under the id as sent, else by source (openrouter, litellm, genai-prices, models-dev),
//!    plain listings before variants, shorter listing ids first. None: an error listing the
//!    providers that do offer the model.
//! 3. Without a provider: the model's OpenRouter listing, else its first-party offer (sold by
//!    the model's author), else the first offer by the order above.
//!
//! A request at time T is priced with the prices valid at T; an offer with no price at T is
//! an error, never 0.

use super::{CostBreakdown, CostError, CostLine, PricePlan, Usage, price_request};
use crate::domain::{CatalogState, Component, ModelId, Price, UnixMs};
use crate::identity::{ModelIndex, Resolution, Rule, normalize};
use crate::sources::overrides::{Discount, SOURCE as OVERRIDES};
use crate::store::PriceRecord;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// Sources in order of preference when several offer a model: the user's overrides win.
pub const SOURCE_PREFERENCE: [&str; 5] = ["overrides", "openrouter", "litellm", "genai-prices", "models-dev"];

fn source_rank(source: &str) -> usize {
    SOURCE_PREFERENCE.iter().position(|s| *s == source).unwrap_or(SOURCE_PREFERENCE.len())
}

/// One offer with its whole price history.
#[derive(Debug, Clone)]
pub struct BookOffer {
    /// The model offered.
    model: String,
    /// The offer's key.
    pub key: String,
    /// The source that states it.
    pub source: String,
    /// Who bills.
    pub seller: String,
    /// The serving endpoint, for aggregator endpoints.
    pub served_by: Option<String>,
    /// The serving provider.
    pub provider: Option<String>,
    /// The id the seller lists it under.
    pub listing_id: String,
    /// Variant (`free`, `batch`, ...).
    pub variant: Option<String>,
    /// Active now.
    pub is_active: bool,
    /// Fraction taken off every price.
    pub discount: Option<Decimal>,
    /// The prices valid now.
    current: Vec<Price>,
    /// The prices valid now, validated and indexed for pricing (built once).
    plan: Result<PricePlan, CostError>,
    /// Every price interval, oldest first.
    history: Vec<PriceRecord>,
    /// When each current price (component, tier, condition) became valid: the latest open
    /// interval of each key, found once instead of per priced line.
    since: Vec<(Component, i64, String, UnixMs)>,
    /// `seller`, `provider` and `served_by` normalised once, for matching a provider.
    normalized: (String, Option<String>, Option<String>),
}

impl BookOffer {
    /// Whether the offer is sold or served by `provider` (normalised).
    fn sells_or_serves(&self, provider: &str) -> bool {
        let (seller, own_provider, served_by) = &self.normalized;
        seller == provider || own_provider.as_deref() == Some(provider) || served_by.as_deref() == Some(provider)
    }

    fn preference(&self) -> (bool, usize, bool, usize, &str) {
        (
            !self.is_active,
            source_rank(&self.source),
            self.variant.is_some() || self.served_by.is_some(),
            self.listing_id.len(),
            self.listing_id.as_str(),
        )
    }

    /// The open intervals' starts, latest first per key (what a reverse search of the
    /// history finds first).
    fn current_starts(history: &[PriceRecord]) -> Vec<(Component, i64, String, UnixMs)> {
        let mut since: Vec<(Component, i64, String, UnixMs)> = Vec::new();
        for r in history.iter().rev().filter(|r| r.valid_to.is_none()) {
            let k = &r.price.key;
            if !since
                .iter()
                .any(|(c, m, cond, _)| *c == k.component && *m == k.min_prompt_tokens && *cond == k.condition)
            {
                since.push((k.component, k.min_prompt_tokens, k.condition.clone(), r.valid_from));
            }
        }
        since
    }

    /// When the current price of a key became valid (0 when no open interval has it).
    fn current_since(&self, component: Component, min_prompt_tokens: i64, condition: &str) -> UnixMs {
        self.since
            .iter()
            .find(|(c, m, cond, _)| *c == component && *m == min_prompt_tokens && same_text(cond, condition))
            .map_or(0, |(.., since)| *since)
    }

    /// The prices valid at `at` (the current ones when `at` is `None`), with their start.
    fn prices_at(&self, at: Option<UnixMs>) -> Vec<(Price, UnixMs)> {
        match at {
            None => self
                .current
                .iter()
                .map(|p| {
                    let since = self.current_since(p.key.component, p.key.min_prompt_tokens, &p.key.condition);
                    (p.clone(), since)
                })
                .collect(),
            Some(t) => self
                .history
                .iter()
                .filter(|r| r.valid_from <= t && r.valid_to.is_none_or(|end| end > t))
                .map(|r| (r.price.clone(), r.valid_from))
                .collect(),
        }
    }
}

/// `a == b`, without calling `memcmp` for two empty strings (the usual unconditional price):
/// an empty `String`'s pointer is dangling, and glibc's AVX-512 `memcmp` does a masked load
/// from it that costs a microcode assist of ~150 ns on some CPUs.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// Why a request could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// No model has that id.
    #[error("unknown model {id:?}{}", hint(candidates))]
    UnknownModel {
        /// The id as sent.
        id: String,
        /// Ids that look alike.
        candidates: Vec<String>,
    },
    /// Several models fit the id equally well.
    #[error("model id {id:?} is ambiguous: it could be {}", candidates.join(", "))]
    Ambiguous {
        /// The id as sent.
        id: String,
        /// The models it could mean.
        candidates: Vec<String>,
    },
    /// The model has no (active) offer from that provider.
    #[error("{model} is not offered by {provider:?}; offered by: {}", available.join(", "))]
    NoOffer {
        /// The model.
        model: String,
        /// The provider asked for.
        provider: String,
        /// Providers that do offer it.
        available: Vec<String>,
    },
    /// The model has no offer at all.
    #[error("{0} has no priced offer")]
    Unpriced(String),
    /// The offer had no price at the time asked for.
    #[error("{offer} has no price at {at} (its first price is from {first})")]
    NoPriceAt {
        /// The offer.
        offer: String,
        /// The time asked for.
        at: String,
        /// Its first recorded price.
        first: String,
    },
    /// The engine refused the request.
    #[error(transparent)]
    Cost(#[from] CostError),
}

fn hint(candidates: &[String]) -> String {
    if candidates.is_empty() { String::new() } else { format!("; did you mean {}?", candidates.join(", ")) }
}

fn time_text(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// One priced line with the time its price became valid.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteLine {
    /// The engine's line.
    #[serde(flatten)]
    pub line: CostLine,
    /// When the price used became valid (unix ms).
    pub price_valid_from: UnixMs,
}

/// A priced request: which model and offer, and the exact cost. Its text is borrowed from
/// the price book, so a quote copies no id.
#[derive(Debug, Clone, Serialize)]
pub struct Quote<'a> {
    /// The model.
    pub model: &'a str,
    /// How the id was resolved.
    pub resolved_by: Rule,
    /// The offer's key.
    pub offer: &'a str,
    /// The source of the prices.
    pub source: &'a str,
    /// Who bills.
    pub seller: &'a str,
    /// The serving endpoint, if any.
    pub served_by: Option<&'a str>,
    /// The offer's listing id.
    pub listing_id: &'a str,
    /// The time priced.
    pub at: jiff::Timestamp,
    /// Total in USD, exact.
    #[serde(serialize_with = "super::engine::normalized")]
    pub total_usd: Decimal,
    /// Where the user's overrides changed the price (a negotiated price, a discount).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    /// One line per component and tier.
    pub lines: Vec<QuoteLine>,
}

/// Keep the prices of one service mode: a mode's own price (condition `batch`, ...) replaces
/// the standard price of the same component and tier; other modes' prices are dropped.
/// Time-of-day windows apply in every mode.
fn select_mode(prices: Vec<(Price, UnixMs)>, mode: Option<&str>) -> Vec<(Price, UnixMs)> {
    let is_mode = |c: &str| !c.is_empty() && !c.starts_with("utc:");
    let wanted = |c: &str| mode.is_some_and(|m| m == c);
    let overridden: Vec<(crate::domain::Component, i64)> = prices
        .iter()
        .filter(|(p, _)| wanted(&p.key.condition))
        .map(|(p, _)| (p.key.component, p.key.min_prompt_tokens))
        .collect();
    prices
        .into_iter()
        .filter_map(|(mut p, since)| {
            if wanted(&p.key.condition) {
                p.key.condition.clear();
                Some((p, since))
            } else {
                let replaced =
                    p.key.condition.is_empty() && overridden.contains(&(p.key.component, p.key.min_prompt_tokens));
                (!is_mode(&p.key.condition) && !replaced).then_some((p, since))
            }
        })
        .collect()
}

/// Every offer's prices, ready to price requests.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    index: ModelIndex,
    offers: HashMap<String, Vec<BookOffer>>,
    alias_offers: HashMap<String, String>,
    model_ids: Vec<String>,
    discounts: Vec<Discount>,
}

impl PriceBook {
    /// Build from the stored catalog and every price interval (offer key, interval).
    pub fn new(state: &CatalogState, intervals: Vec<(String, PriceRecord)>) -> Self {
        let mut history: HashMap<String, Vec<PriceRecord>> = HashMap::new();
        for (key, record) in intervals {
            history.entry(key).or_default().push(record);
        }
        let mut offers: HashMap<String, Vec<BookOffer>> = HashMap::new();
        for s in state.offers.values() {
            let o = &s.offer;
            let mut hist = history.remove(o.key.as_str()).unwrap_or_default();
            hist.sort_by_key(|r| r.valid_from);
            let since = BookOffer::current_starts(&hist);
            let normalized =
                (normalize(&o.seller), o.provider.as_deref().map(normalize), o.served_by.as_deref().map(normalize));
            offers.entry(o.model_id.to_string()).or_default().push(BookOffer {
                model: o.model_id.to_string(),
                key: o.key.to_string(),
                source: o.source.clone(),
                seller: o.seller.clone(),
                served_by: o.served_by.clone(),
                provider: o.provider.clone(),
                listing_id: o.listing_id.clone(),
                variant: o.variant.clone(),
                is_active: s.is_active,
                discount: o.discount,
                current: s
                    .prices
                    .iter()
                    .map(|(k, c)| Price { key: k.clone(), value: c.value, scope: c.scope })
                    .collect(),
                plan: Err(CostError::UnknownShape(String::new())),
                history: hist,
                since,
                normalized,
            });
        }
        for list in offers.values_mut() {
            list.sort_by(|a, b| a.preference().cmp(&b.preference()));
            for o in list.iter_mut() {
                // Mode prices (`batch`, ...) need a mode: the standard plan leaves them out.
                let standard: Vec<Price> = select_mode(o.current.iter().map(|p| (p.clone(), 0)).collect(), None)
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect();
                o.plan = PricePlan::new(&standard, o.discount);
            }
        }
        let mut aliases: Vec<_> = state.aliases.values().filter(|a| a.is_active).collect();
        aliases.sort_by_key(|a| (source_rank(&a.alias.source), a.alias.alias.clone()));
        let mut alias_offers = HashMap::new();
        for a in aliases {
            if let Some(k) = &a.alias.offer_key {
                alias_offers.entry(a.alias.alias.clone()).or_insert_with(|| k.to_string());
            }
        }
        // Listing ids name their offers too.
        for list in offers.values() {
            for o in list.iter().filter(|o| o.served_by.is_none()) {
                alias_offers.entry(o.listing_id.clone()).or_insert_with(|| o.key.clone());
            }
        }
        let mut model_ids: Vec<String> = state.models.keys().cloned().collect();
        model_ids.sort();
        Self { index: ModelIndex::from_state(state), offers, alias_offers, model_ids, discounts: Vec::new() }
    }

    /// Apply the overrides file's discounts when pricing.
    pub fn with_discounts(mut self, discounts: Vec<Discount>) -> Self {
        self.discounts = discounts;
        self
    }

    /// The model an id means.
    pub fn resolve_model(&self, raw: &str) -> Result<(ModelId, Rule), QuoteError> {
        match self.index.resolve(raw, None) {
            Resolution::Known(id, rule) => Ok((id, rule)),
            Resolution::Ambiguous(c) => Err(QuoteError::Ambiguous {
                id: raw.to_string(),
                candidates: c.into_iter().map(|m| m.to_string()).collect(),
            }),
            Resolution::Unknown => Err(QuoteError::UnknownModel { id: raw.to_string(), candidates: self.suggest(raw) }),
        }
    }

    /// Up to five model ids that contain the id's slug.
    fn suggest(&self, raw: &str) -> Vec<String> {
        let slug = normalize(raw.rsplit('/').next().unwrap_or(raw));
        let stem = slug.split(':').next().unwrap_or(&slug);
        if stem.len() < 3 {
            return Vec::new();
        }
        self.model_ids.iter().filter(|m| normalize(m).contains(stem)).take(5).cloned().collect()
    }

    /// The offer that prices a request for `raw` (see the module rules).
    pub fn offer(&self, raw: &str, provider: Option<&str>) -> Result<(ModelId, Rule, &BookOffer), QuoteError> {
        let (model, rule) = self.resolve_model(raw)?;
        let offers = self.offers.get(model.as_str()).map(Vec::as_slice).unwrap_or_default();
        let named = self.alias_offers.get(raw).and_then(|k| offers.iter().find(|o| &o.key == k));
        let provider = provider.map(|p| (p, normalize(p)));
        // The user's negotiated price wins over every catalog.
        let negotiated = offers.iter().find(|o| {
            o.is_active && o.source == OVERRIDES && provider.as_ref().is_none_or(|(_, p)| o.sells_or_serves(p))
        });
        if let Some(o) = negotiated {
            // ... unless the id names another seller's offer (`azure/gpt-4o`).
            let names_other_seller =
                provider.is_none() && raw != model.as_str() && named.is_some_and(|n| n.normalized.0 != o.normalized.0);
            if !names_other_seller {
                return Ok((model, rule, o));
            }
        }
        let chosen = match &provider {
            None => named
                .or_else(|| {
                    offers.iter().find(|o| {
                        o.is_active && o.source == "openrouter" && o.served_by.is_none() && o.variant.is_none()
                    })
                })
                .or_else(|| {
                    let author = normalize(model.author().unwrap_or_default());
                    offers.iter().find(|o| o.is_active && o.normalized.0 == author)
                })
                .or_else(|| offers.iter().find(|o| o.is_active)),
            Some((p, normalized)) => {
                let candidates = || offers.iter().filter(|o| o.is_active && o.sells_or_serves(normalized));
                let found = candidates().find(|o| o.listing_id == raw).or_else(|| candidates().next());
                if found.is_none() {
                    let mut available: Vec<String> = offers
                        .iter()
                        .filter(|o| o.is_active)
                        .map(|o| o.served_by.clone().unwrap_or_else(|| o.seller.clone()))
                        .collect();
                    available.sort();
                    available.dedup();
                    return Err(QuoteError::NoOffer { model: model.to_string(), provider: p.to_string(), available });
                }
                found
            }
        };
        let offer = chosen.ok_or_else(|| QuoteError::Unpriced(model.to_string()))?;
        Ok((model, rule, offer))
    }

    /// Resolve `raw` (and an optional provider) to the offer that prices it and the overrides
    /// that apply: all of a quote that does not depend on the request's usage, time or mode,
    /// so a batch resolves each distinct id once.
    pub fn resolve(&self, raw: &str, provider: Option<&str>) -> Result<Resolved<'_>, QuoteError> {
        let (_, rule, offer) = self.offer(raw, provider)?;
        let discount = self.discounts.iter().find(|d| d.covers(&offer.model, &offer.seller));
        let overridden = match (offer.source == OVERRIDES, discount) {
            (true, _) => Some(format!("negotiated price from the overrides file ({})", offer.seller)),
            (false, Some(d)) => Some(format!(
                "{}% discount on {} from the overrides file",
                (d.fraction * Decimal::ONE_HUNDRED).normalize(),
                d.provider
            )),
            (false, None) => None,
        };
        Ok(Resolved { rule, offer, discount, overridden })
    }

    /// Price a request: `raw` as the client sent it, an optional provider, the time of the
    /// request (now when `None`) and its service mode (`batch`, `priority`, `flex`; the
    /// standard prices when `None`).
    pub fn quote(
        &self,
        raw: &str,
        usage: &Usage,
        provider: Option<&str>,
        at: Option<UnixMs>,
        mode: Option<&str>,
    ) -> Result<Quote<'_>, QuoteError> {
        self.resolve(raw, provider)?.quote(usage, at, mode)
    }
}

/// An id resolved by [`PriceBook::resolve`]: the model, the offer that prices it and the
/// overrides that apply.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    rule: Rule,
    offer: &'a BookOffer,
    discount: Option<&'a Discount>,
    overridden: Option<String>,
}

impl<'a> Resolved<'a> {
    /// The model.
    pub fn model(&self) -> &'a str {
        &self.offer.model
    }

    /// How the id was resolved.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The offer that prices the request.
    pub fn offer(&self) -> &'a BookOffer {
        self.offer
    }

    /// Where the user's overrides change the price.
    pub fn overridden(&self) -> Option<&str> {
        self.overridden.as_deref()
    }

    /// Price a request of this id: at `at` (now when `None`), in service mode `mode` (the
    /// standard prices when `None`).
    pub fn quote(&self, usage: &Usage, at: Option<UnixMs>, mode: Option<&str>) -> Result<Quote<'a>, QuoteError> {
        let offer = self.offer;
        let now = jiff::Timestamp::now().as_millisecond();
        let when = at.unwrap_or(now);
        let ts = jiff::Timestamp::from_millisecond(when).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        if at.is_none() && mode.is_none() && !offer.current.is_empty() && self.discount.is_none() {
            // The common case: today's standard prices, planned once.
            let CostBreakdown { lines, total } = offer.plan.as_ref().map_err(Clone::clone)?.price(usage, ts)?;
            let lines = lines
                .into_iter()
                .map(|line| {
                    let price_valid_from = offer.current_since(line.component, line.min_prompt_tokens, &line.condition);
                    QuoteLine { line, price_valid_from }
                })
                .collect();
            return Ok(self.quote_of(ts, total, lines));
        }
        let priced = select_mode(offer.prices_at(at), mode);
        if priced.is_empty() {
            return Err(QuoteError::NoPriceAt {
                offer: offer.key.clone(),
                at: time_text(when),
                first: offer.history.first().map_or_else(|| "never".into(), |r| time_text(r.valid_from)),
            });
        }
        let prices: Vec<Price> = priced.iter().map(|(p, _)| p.clone()).collect();
        let combined = match (offer.discount, self.discount) {
            (d, None) => d,
            // Two discounts compound: 1 − (1 − a)(1 − b).
            (d, Some(rule)) => {
                let kept = (Decimal::ONE - d.unwrap_or_default()) * (Decimal::ONE - rule.fraction);
                Some(Decimal::ONE - kept)
            }
        };
        let CostBreakdown { lines, total } = price_request(&prices, combined, usage, ts)?;
        let lines = lines
            .into_iter()
            .map(|line| {
                let price_valid_from = priced
                    .iter()
                    .find(|(p, _)| {
                        p.key.component == line.component
                            && p.key.min_prompt_tokens == line.min_prompt_tokens
                            && same_text(&p.key.condition, &line.condition)
                    })
                    .map_or(0, |(_, since)| *since);
                QuoteLine { line, price_valid_from }
            })
            .collect();
        Ok(self.quote_of(ts, total, lines))
    }

    fn quote_of(&self, at: jiff::Timestamp, total: Decimal, lines: Vec<QuoteLine>) -> Quote<'a> {
        let o = self.offer;
        Quote {
            model: &o.model,
            resolved_by: self.rule,
            offer: &o.key,
            source: &o.source,
            seller: &o.seller,
            served_by: o.served_by.as_deref(),
            listing_id: &o.listing_id,
            at,
            total_usd: total,
            overridden: self.overridden.clone(),
            lines,
        }
    }
}
