//! Reading the catalog: one summary line per model, filtering and sorting, as the CLI
//! (and later the API) show it. Pure functions over store records.

use crate::cost::SOURCE_PREFERENCE;
use crate::domain::{Component, PriceKey, PriceValue, UnixMs};
use crate::store::{ModelRecord, OfferRecord};
use crate::sync::is_free;
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Ordering;

/// One model as a catalog line.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// Canonical id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Active (now, or at the time asked for).
    pub is_active: bool,
    /// Context window.
    pub context_length: Option<i64>,
    /// Largest completion.
    pub max_completion_tokens: Option<i64>,
    /// Input price per token of the primary offer.
    pub input: Option<PriceValue>,
    /// Output price per token of the primary offer.
    pub output: Option<PriceValue>,
    /// The listing the prices come from.
    pub priced_by: Option<String>,
    /// When the source first listed it (unix seconds).
    pub created: Option<i64>,
    /// First seen by llmcost.
    pub first_seen: UnixMs,
    /// Variants on offer (`free`, `batch`, ...).
    pub variants: Vec<String>,
    /// Active provider endpoints.
    pub providers: usize,
    /// Whether some active offer is free (a `:free` variant, or a zero-priced text model).
    pub free: bool,
    /// The free tier's rate-limit notes: the source's per-request limits, when it gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_limits: Option<crate::domain::JsonText>,
    /// Whether the primary price is variable.
    pub variable: bool,
    /// Input modalities.
    pub input_modalities: Vec<String>,
    /// Output modalities.
    pub output_modalities: Vec<String>,
    /// Supported request parameters.
    pub supported_parameters: Vec<String>,
}

/// The offer whose prices represent a model: its active plain listing from the most
/// trusted source (overrides, OpenRouter, LiteLLM, genai-prices, models.dev), else its
/// first active variant listing by id.
pub fn primary_offer(record: &ModelRecord) -> Option<&OfferRecord> {
    fn rank(o: &OfferRecord) -> (bool, usize, &str) {
        let source = SOURCE_PREFERENCE.iter().position(|s| *s == o.offer.source).unwrap_or(SOURCE_PREFERENCE.len());
        (o.offer.variant.is_some(), source, o.offer.listing_id.as_str())
    }
    record.offers.iter().filter(|o| o.is_active && o.offer.served_by.is_none()).min_by_key(|o| rank(o))
}

/// The base (untiered, unconditional) price of a component of an offer.
pub fn base_price(offer: &OfferRecord, component: Component) -> Option<PriceValue> {
    let key = PriceKey::base(component);
    offer.prices.iter().find(|p| p.price.key == key).map(|p| p.price.value)
}

fn offer_is_free(record: &ModelRecord, o: &OfferRecord) -> bool {
    let all_zero = o.prices.iter().all(|p| p.price.value.fixed().is_some_and(|d| d.is_zero()));
    is_free(Some(&record.model), o.offer.variant.as_deref(), all_zero && !o.prices.is_empty())
}

/// Summarise one model.
pub fn summarize(record: &ModelRecord) -> ModelSummary {
    let primary = primary_offer(record);
    let input = primary.and_then(|o| base_price(o, Component::Input));
    let output = primary.and_then(|o| base_price(o, Component::Output));
    let mut variants: Vec<String> = record
        .offers
        .iter()
        .filter(|o| o.is_active && o.offer.served_by.is_none())
        .filter_map(|o| o.offer.variant.clone())
        .collect();
    variants.sort();
    variants.dedup();
    let m = &record.model;
    ModelSummary {
        id: m.id.to_string(),
        name: m.name.clone(),
        is_active: record.is_active,
        context_length: m.context_length,
        max_completion_tokens: m.max_completion_tokens,
        variable: matches!(input, Some(PriceValue::Variable)) || matches!(output, Some(PriceValue::Variable)),
        input,
        output,
        priced_by: primary.map(|o| o.offer.listing_id.clone()),
        created: m.created,
        first_seen: record.first_seen,
        variants,
        providers: record.offers.iter().filter(|o| o.is_active && o.offer.served_by.is_some()).count(),
        free: record.offers.iter().any(|o| o.is_active && offer_is_free(record, o)),
        free_limits: m
            .per_request_limits
            .clone()
            .filter(|_| record.offers.iter().any(|o| o.is_active && offer_is_free(record, o))),
        input_modalities: m.input_modalities.clone(),
        output_modalities: m.output_modalities.clone(),
        supported_parameters: m.supported_parameters.clone(),
    }
}

/// How to order the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// By id.
    #[default]
    Id,
    /// By name.
    Name,
    /// By input price (variable and unknown prices last).
    Price,
    /// By output price.
    Output,
    /// By context window.
    Context,
    /// By the date the source listed it.
    Date,
}

/// Which models to list.
#[derive(Debug, Clone, Default)]
pub struct ModelQuery {
    /// Case-insensitive text in the id or name.
    pub search: Option<String>,
    /// Only this author.
    pub author: Option<String>,
    /// Only models with a free offer.
    pub free: bool,
    /// Only models supporting all these parameters.
    pub supports: Vec<String>,
    /// Only models taking this input modality.
    pub input_modality: Option<String>,
    /// Only models producing this output modality.
    pub output_modality: Option<String>,
    /// Only models with at least this context.
    pub min_context: Option<i64>,
    /// Only models whose input costs at most this many USD per million tokens.
    pub max_input_per_million: Option<Decimal>,
    /// Include deactivated models.
    pub include_inactive: bool,
    /// Order.
    pub sort: SortKey,
    /// Reverse the order.
    pub desc: bool,
    /// At most this many.
    pub limit: Option<usize>,
}

fn fixed(v: Option<PriceValue>) -> Option<Decimal> {
    v.and_then(|v| v.fixed())
}

/// Missing values sort last whichever the direction.
fn cmp_opt<T: Ord>(a: Option<T>, b: Option<T>, desc: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            if desc {
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Filter and order the catalog's models.
pub fn select(records: &[ModelRecord], q: &ModelQuery) -> Vec<ModelSummary> {
    let all: Vec<ModelSummary> = records.iter().filter(|r| q.include_inactive || r.is_active).map(summarize).collect();
    select_summaries(&all, q).into_iter().cloned().collect()
}

/// Filter and order summaries already made (a server keeps them between requests).
pub fn select_summaries<'a>(summaries: &'a [ModelSummary], q: &ModelQuery) -> Vec<&'a ModelSummary> {
    let needle = q.search.as_ref().map(|s| s.to_lowercase());
    let mut out: Vec<&ModelSummary> = summaries
        .iter()
        .filter(|s| q.include_inactive || s.is_active)
        .filter(|s| {
            needle.as_ref().is_none_or(|n| s.id.to_lowercase().contains(n) || s.name.to_lowercase().contains(n))
                && q.author.as_ref().is_none_or(|a| s.id.split('/').next() == Some(a.as_str()))
                && (!q.free || s.free)
                && q.supports.iter().all(|p| s.supported_parameters.contains(p))
                && q.input_modality.as_ref().is_none_or(|m| s.input_modalities.contains(m))
                && q.output_modality.as_ref().is_none_or(|m| s.output_modalities.contains(m))
                && q.min_context.is_none_or(|c| s.context_length.is_some_and(|l| l >= c))
                && q.max_input_per_million
                    .is_none_or(|max| fixed(s.input).is_some_and(|p| crate::domain::per_million(p) <= max))
        })
        .collect();
    let desc = q.desc;
    out.sort_by(|a, b| {
        let primary = match q.sort {
            SortKey::Id => {
                if desc {
                    b.id.cmp(&a.id)
                } else {
                    a.id.cmp(&b.id)
                }
            }
            SortKey::Name => {
                let (x, y) = (a.name.to_lowercase(), b.name.to_lowercase());
                if desc { y.cmp(&x) } else { x.cmp(&y) }
            }
            SortKey::Price => cmp_opt(fixed(a.input), fixed(b.input), desc),
            SortKey::Output => cmp_opt(fixed(a.output), fixed(b.output), desc),
            SortKey::Context => cmp_opt(a.context_length, b.context_length, desc),
            SortKey::Date => cmp_opt(a.created, b.created, desc),
        };
        primary.then_with(|| a.id.cmp(&b.id))
    });
    if let Some(n) = q.limit {
        out.truncate(n);
    }
    out
}
