//! Rankings: cost efficiency, performance, composite and the Pareto frontier.

use super::RankError;
use super::category::Category;
use super::normalize::{NORMALISATION_RULE, Normalizer, ScoreRange};
use super::routing::{is_model_free, is_offer_free};
use crate::catalog::{base_price, primary_offer};
use crate::domain::{BenchmarkKey, BenchmarkScore, Component, per_million};
use crate::store::{ModelRecord, OfferRecord};
use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Decimal places of the scores shown (sorting uses the unrounded values).
const SCORE_DP: u32 = 6;

/// How cost and performance are weighed in the composite; always sums to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Weights {
    /// Weight of cost efficiency.
    #[schema(value_type = String)]
    pub cost: Decimal,
    /// Weight of performance.
    #[schema(value_type = String)]
    pub performance: Decimal,
}

impl Default for Weights {
    fn default() -> Self {
        Self { cost: dec!(0.4), performance: dec!(0.6) }
    }
}

impl Weights {
    /// Weights scaled to sum to 1; both must be non-negative and not both zero.
    pub fn new(cost: Decimal, performance: Decimal) -> Result<Self, RankError> {
        let invalid = |reason: &str| RankError::InvalidWeights {
            given: format!("cost={cost},performance={performance}"),
            reason: reason.to_string(),
        };
        if cost.is_sign_negative() && !cost.is_zero() || performance.is_sign_negative() && !performance.is_zero() {
            return Err(invalid("weights must not be negative"));
        }
        let sum = cost.checked_add(performance).ok_or_else(|| invalid("weights too large"))?;
        if sum.is_zero() {
            return Err(invalid("weights must not both be zero"));
        }
        let cost = (cost / sum).normalize();
        Ok(Self { cost, performance: (Decimal::ONE - cost).normalize() })
    }
}

impl FromStr for Weights {
    type Err = RankError;
    /// `cost=0.4,performance=0.6` (either may be left out: it is then 0; `perf` is accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| RankError::InvalidWeights { given: s.to_string(), reason };
        let (mut cost, mut performance) = (None, None);
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| invalid(format!("{part:?} is not NAME=NUMBER")))?;
            let value = Decimal::from_str(value.trim())
                .or_else(|_| Decimal::from_scientific(value.trim()))
                .map_err(|_| invalid(format!("{:?} is not a number", value.trim())))?;
            let slot = match name.trim().to_lowercase().as_str() {
                "cost" => &mut cost,
                "performance" | "perf" => &mut performance,
                other => return Err(invalid(format!("unknown weight {other:?} (expected cost, performance)"))),
            };
            if slot.replace(value).is_some() {
                return Err(invalid(format!("{} given twice", name.trim())));
            }
        }
        if cost.is_none() && performance.is_none() {
            return Err(invalid("expected cost=NUMBER,performance=NUMBER".into()));
        }
        Weights::new(cost.unwrap_or_default(), performance.unwrap_or_default()).map_err(|e| match e {
            RankError::InvalidWeights { reason, .. } => invalid(reason),
            other => other,
        })
    }
}

impl fmt::Display for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cost={},performance={}", self.cost, self.performance)
    }
}

/// What to rank and how.
#[derive(Debug, Clone, Default)]
pub struct RankQuery {
    /// Which performance to rank by.
    pub category: Category,
    /// Cost against performance.
    pub weights: Weights,
    /// Only models with a free offer, priced at it (0).
    pub free: bool,
    /// Only models served by at least this many distinct providers.
    pub min_providers: usize,
    /// Only models supporting every one of these request parameters.
    pub supports: Vec<String>,
    /// At most this many ranked models (the frontier and unscored lists are never cut).
    pub limit: Option<usize>,
}

/// The price a cost efficiency was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PriceUsed {
    /// The listing whose price is used (`openai/gpt-4o`, `…:free`).
    pub listing_id: String,
    /// Its source (`openrouter`, `litellm`, ...).
    pub source: String,
    /// Listed input price, USD per million tokens.
    #[schema(value_type = String)]
    pub listed_input_per_million: Decimal,
    /// The offer's discount (a fraction), if any.
    #[schema(value_type = Option<String>)]
    pub discount: Option<Decimal>,
    /// The input price used, USD per million tokens: listed × (1 − discount).
    #[schema(value_type = String)]
    pub input_per_million: Decimal,
}

/// One normalised benchmark score behind a performance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScoreInput {
    /// Benchmark, category and metric.
    #[serde(flatten)]
    pub key: BenchmarkKey,
    /// The score as published.
    #[schema(value_type = String)]
    pub score: Decimal,
    /// The score scaled to 0–1 within its series.
    #[schema(value_type = String)]
    pub normalized: Decimal,
    /// Who published it.
    pub source: String,
}

/// A ranked model and how each of its numbers was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RankedModel {
    /// Position by composite (1 is best).
    pub rank: usize,
    /// Model id.
    #[schema(value_type = String)]
    pub id: Arc<str>,
    /// Display name.
    #[schema(value_type = String)]
    pub name: Arc<str>,
    /// `1 / (1 + input_per_million / 10)`.
    #[schema(value_type = String)]
    pub cost_efficiency: Decimal,
    /// Mean of `inputs[].normalized`.
    #[schema(value_type = String)]
    pub performance: Decimal,
    /// `w_cost × cost_efficiency + w_perf × performance`.
    #[schema(value_type = String)]
    pub composite: Decimal,
    /// Whether nothing beats it on both price and performance.
    pub on_frontier: bool,
    /// The price behind the cost efficiency.
    #[schema(value_type = PriceUsed)]
    pub price: Arc<PriceUsed>,
    /// The scores behind the performance.
    #[schema(value_type = Vec<ScoreInput>)]
    pub inputs: Arc<[ScoreInput]>,
    /// Distinct providers serving it.
    pub providers: usize,
    /// Whether it has a free offer.
    pub free: bool,
}

/// A model that could not be ranked, and why (never ranked as 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnscoredModel {
    /// Model id.
    #[schema(value_type = String)]
    pub id: Arc<str>,
    /// Display name.
    #[schema(value_type = String)]
    pub name: Arc<str>,
    /// Why it is not ranked.
    #[schema(value_type = String)]
    pub reason: Arc<str>,
    /// Its input price used (USD per million), when it has one.
    #[schema(value_type = Option<String>)]
    pub input_per_million: Option<Decimal>,
}

/// A point of the Pareto frontier, cheapest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FrontierPoint {
    /// Model id.
    #[schema(value_type = String)]
    pub id: Arc<str>,
    /// Input price used, USD per million tokens.
    #[schema(value_type = String)]
    pub input_per_million: Decimal,
    /// Its performance.
    #[schema(value_type = String)]
    pub performance: Decimal,
}

/// A benchmark series feeding the category, with the range it is normalised over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FeedView {
    /// Benchmark, category and metric.
    #[serde(flatten)]
    pub key: BenchmarkKey,
    /// Its range over the catalog.
    #[serde(flatten)]
    pub range: ScoreRange,
}

/// The rules behind the numbers, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct How {
    /// How cost efficiency is computed.
    pub cost_efficiency: &'static str,
    /// How scores are normalised.
    pub normalization: &'static str,
    /// How performance is computed, and what feeds the category.
    pub performance: String,
    /// How the composite is computed.
    pub composite: String,
    /// What the frontier is.
    pub frontier: &'static str,
}

/// A ranking of the catalog for one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rankings {
    /// The category ranked by.
    pub category: String,
    /// The weights used (summing to 1).
    pub weights: Weights,
    /// The rules.
    pub how: How,
    /// The series feeding the category.
    pub feeds: Vec<FeedView>,
    /// Ranked models, best composite first.
    pub ranked: Vec<RankedModel>,
    /// How many models were ranked before `limit`.
    pub total_ranked: usize,
    /// The Pareto frontier of price against performance, cheapest first.
    pub frontier: Vec<FrontierPoint>,
    /// Models that pass the filters but cannot be ranked.
    pub unscored: Vec<UnscoredModel>,
}

/// Distinct providers serving a model (active endpoint offers).
fn provider_count(record: &ModelRecord) -> usize {
    record
        .offers
        .iter()
        .filter(|o| o.is_active && o.offer.served_by.is_some())
        .filter_map(|o| o.offer.provider.as_deref().or(o.offer.served_by.as_deref()))
        .collect::<BTreeSet<_>>()
        .len()
}

/// The offer and input price a model is ranked at.
fn price_used(record: &ModelRecord, free: bool) -> Result<PriceUsed, Arc<str>> {
    let offer: &OfferRecord = if free {
        record
            .offers
            .iter()
            .filter(|o| o.is_active && o.offer.served_by.is_none() && is_offer_free(record, o))
            .min_by_key(|o| o.offer.listing_id.as_str())
            .ok_or("no free offer")?
    } else {
        primary_offer(record).ok_or("no active offer")?
    };
    let listed = match base_price(offer, Component::Input) {
        Some(v) => v.fixed().ok_or("variable input price")?,
        None => return Err("no input price".into()),
    };
    let listed_pm = per_million(listed);
    let discount = offer.offer.discount.filter(|d| !d.is_zero());
    let input_per_million = match discount {
        Some(d) => listed_pm.checked_mul(Decimal::ONE - d).ok_or("input price out of range")?.normalize(),
        None => listed_pm,
    };
    Ok(PriceUsed {
        listing_id: offer.offer.listing_id.clone(),
        source: offer.offer.source.clone(),
        listed_input_per_million: listed_pm,
        discount,
        input_per_million,
    })
}

/// `1 / (1 + p / 10)`.
fn cost_efficiency(input_per_million: Decimal) -> Option<Decimal> {
    let denominator = Decimal::ONE.checked_add(input_per_million.checked_div(Decimal::TEN)?)?;
    Decimal::ONE.checked_div(denominator)
}

/// Which candidates are on the Pareto frontier of (price ↓, performance ↑): a model is
/// dominated when another is cheaper-or-equal and better-or-equal, one of them strictly.
fn frontier_flags(points: &[(Decimal, Decimal)]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    // Price ascending, performance descending: anything that can dominate comes first.
    order.sort_by(|&a, &b| points[a].0.cmp(&points[b].0).then(points[b].1.cmp(&points[a].1)));
    let mut flags = vec![false; points.len()];
    let mut best_cheaper: Option<Decimal> = None; // best performance among strictly cheaper models
    let mut i = 0;
    while i < order.len() {
        let price = points[order[i]].0;
        let group_end = order[i..].iter().position(|&k| points[k].0 != price).map_or(order.len(), |n| i + n);
        let group_best = points[order[i]].1;
        for &k in &order[i..group_end] {
            let perf = points[k].1;
            let beaten_by_cheaper = best_cheaper.is_some_and(|b| b >= perf);
            let beaten_at_same_price = group_best > perf;
            flags[k] = !beaten_by_cheaper && !beaten_at_same_price;
        }
        best_cheaper = Some(best_cheaper.map_or(group_best, |b| b.max(group_best)));
        i = group_end;
    }
    flags
}

/// Rank the active models of a catalog by cost efficiency, performance and their composite
/// (rules in the [module documentation](super)). `scores` are the current benchmark scores of
/// any models; those of models not in `catalog` (or inactive) are ignored. To rank one catalog
/// many times, build a [`RankIndex`] once.
pub fn rank(catalog: &[ModelRecord], scores: &[BenchmarkScore], query: &RankQuery) -> Rankings {
    RankIndex::new(catalog, scores).rank(catalog, query)
}

/// A model's price with its cost efficiency (`None`: the price is out of range).
#[derive(Debug, Clone)]
struct Priced {
    price: Arc<PriceUsed>,
    cost: Option<Decimal>,
}

impl Priced {
    fn of(record: &ModelRecord, free: bool) -> Result<Self, Arc<str>> {
        let price = price_used(record, free)?;
        Ok(Self { cost: cost_efficiency(price.input_per_million), price: Arc::new(price) })
    }
}

/// The built-in categories, whose score lists each model keeps ready.
const BUILT_IN: [Category; 5] =
    [Category::Overall, Category::Intelligence, Category::Coding, Category::Agentic, Category::Design];

/// One of a model's normalised scores, exact (as summed).
#[derive(Debug, Clone)]
struct IndexedScore {
    /// Which series, as an index into [`RankIndex::series`].
    series: usize,
    normalized: Decimal,
    /// As shown (normalised score rounded).
    shown: ScoreInput,
}

/// What a ranking needs of one active model, whatever the query.
#[derive(Debug, Clone)]
struct IndexedModel {
    /// Its position in the catalog.
    position: usize,
    id: Arc<str>,
    name: Arc<str>,
    providers: usize,
    free: bool,
    primary: Result<Priced, Arc<str>>,
    /// Its free offer's price (models with a free offer only).
    free_price: Option<Result<Priced, Arc<str>>>,
    /// Its normalised scores, by series.
    scores: Vec<IndexedScore>,
    /// The scores shown for each of [`BUILT_IN`], ready to share.
    shown: [Arc<[ScoreInput]>; BUILT_IN.len()],
}

impl IndexedModel {
    /// The scores shown for a category (`feeds`: which series feed it).
    fn inputs(&self, category: &Category, feeds: &[bool]) -> Arc<[ScoreInput]> {
        match BUILT_IN.iter().position(|c| c == category) {
            Some(i) => self.shown[i].clone(),
            None => self.scores.iter().filter(|s| feeds[s.series]).map(|s| s.shown.clone()).collect(),
        }
    }
}

/// The query-independent work of ranking one catalog: normalisation over every active model,
/// each model's prices, provider count and normalised scores. Built once per catalog version
/// (the server keeps it with its snapshot), it ranks that catalog for any query without
/// re-reading offers or scores, and its results share their strings with it.
#[derive(Debug, Clone)]
pub struct RankIndex {
    normalizer: Normalizer,
    /// Every series scored, each once, in order.
    series: Vec<BenchmarkKey>,
    models: Vec<IndexedModel>,
    catalog_len: usize,
}

/// Why a model that passed the filters is not ranked (the words are built only for output).
enum Unranked<'a> {
    NoPrice { scored: bool, reason: &'a Arc<str> },
    NoScore(Decimal),
    PriceOutOfRange(Decimal),
}

/// A ranked model before rounding and ordering.
struct Candidate<'a> {
    model: &'a IndexedModel,
    priced: &'a Priced,
    cost: Decimal,
    performance: Decimal,
    composite: Decimal,
}

impl RankIndex {
    /// Index the active models of `catalog` with `scores` (those of other models are ignored).
    pub fn new(catalog: &[ModelRecord], scores: &[BenchmarkScore]) -> Self {
        let active: HashMap<&str, usize> =
            catalog.iter().enumerate().filter(|(_, r)| r.is_active).map(|(i, r)| (r.model.id.as_str(), i)).collect();
        let mut by_position: HashMap<usize, Vec<&BenchmarkScore>> = HashMap::new();
        for s in scores {
            if let Some(&i) = active.get(s.model_id.as_str()) {
                by_position.entry(i).or_default().push(s);
            }
        }
        let normalizer = Normalizer::new(by_position.values().flatten().copied());
        let mut series: Vec<BenchmarkKey> = normalizer.ranges().map(|(k, _)| k.clone()).collect();
        series.sort();
        let series_of: HashMap<&BenchmarkKey, usize> = series.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let feeds: Vec<Vec<bool>> = BUILT_IN.iter().map(|c| series.iter().map(|k| c.feeds(k)).collect()).collect();

        let models = catalog
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_active)
            .map(|(position, record)| {
                let free = is_model_free(record);
                let mut scores: Vec<IndexedScore> = by_position
                    .get(&position)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| {
                        let normalized = normalizer.normalize(&s.key, s.score)?;
                        Some(IndexedScore {
                            series: *series_of.get(&s.key)?,
                            normalized,
                            shown: ScoreInput {
                                key: s.key.clone(),
                                score: s.score,
                                normalized: normalized.round_dp(SCORE_DP).normalize(),
                                source: s.source.clone(),
                            },
                        })
                    })
                    .collect();
                scores.sort_by_key(|s| s.series);
                let shown = std::array::from_fn(|i| {
                    scores.iter().filter(|s| feeds[i][s.series]).map(|s| s.shown.clone()).collect()
                });
                IndexedModel {
                    position,
                    id: Arc::from(record.model.id.as_str()),
                    name: Arc::from(record.model.name.as_str()),
                    providers: provider_count(record),
                    free,
                    primary: Priced::of(record, false),
                    free_price: free.then(|| Priced::of(record, true)),
                    scores,
                    shown,
                }
            })
            .collect();
        Self { normalizer, series, models, catalog_len: catalog.len() }
    }

    /// Rank `catalog`, the catalog this index was built from, for `query`.
    pub fn rank(&self, catalog: &[ModelRecord], query: &RankQuery) -> Rankings {
        debug_assert_eq!(catalog.len(), self.catalog_len, "a RankIndex ranks the catalog it was built from");
        let category = &query.category;
        let feeds: Vec<bool> = self.series.iter().map(|k| category.feeds(k)).collect();
        let weights = query.weights;

        let mut candidates: Vec<Candidate> = Vec::new();
        let mut unranked: Vec<(&IndexedModel, Unranked)> = Vec::new();
        for model in &self.models {
            if !query.supports.is_empty() {
                let Some(record) = catalog.get(model.position) else { continue };
                if !query.supports.iter().all(|p| record.model.supported_parameters.contains(p)) {
                    continue;
                }
            }
            if query.free && !model.free || model.providers < query.min_providers {
                continue;
            }
            let (mut sum, mut n) = (Decimal::ZERO, 0u32);
            for s in model.scores.iter().filter(|s| feeds[s.series]) {
                sum += s.normalized;
                n += 1;
            }
            let priced = match (query.free, &model.free_price) {
                (true, Some(free_price)) => free_price,
                (true, None) => continue, // not free: filtered out above
                (false, _) => &model.primary,
            };
            let priced = match priced {
                Ok(p) => p,
                Err(reason) => {
                    unranked.push((model, Unranked::NoPrice { scored: n > 0, reason }));
                    continue;
                }
            };
            let price = priced.price.input_per_million;
            if n == 0 {
                unranked.push((model, Unranked::NoScore(price)));
                continue;
            }
            let Some(cost) = priced.cost else {
                unranked.push((model, Unranked::PriceOutOfRange(price)));
                continue;
            };
            let performance = sum / Decimal::from(n);
            let composite = weights.cost * cost + weights.performance * performance;
            candidates.push(Candidate { model, priced, cost, performance, composite });
        }

        let points: Vec<(Decimal, Decimal)> =
            candidates.iter().map(|c| (c.priced.price.input_per_million, c.performance)).collect();
        let flags = frontier_flags(&points);
        let round = |d: Decimal| d.round_dp(SCORE_DP).normalize();
        let mut frontier: Vec<FrontierPoint> = candidates
            .iter()
            .zip(&flags)
            .filter(|(_, on)| **on)
            .map(|(c, _)| FrontierPoint {
                id: c.model.id.clone(),
                input_per_million: c.priced.price.input_per_million,
                performance: round(c.performance),
            })
            .collect();
        frontier.sort_by(|a, b| a.input_per_million.cmp(&b.input_per_million).then_with(|| a.id.cmp(&b.id)));

        let mut ranked: Vec<(Candidate, bool)> = candidates.into_iter().zip(flags).collect();
        let total_ranked = ranked.len();
        let by_composite = |(a, _): &(Candidate, bool), (b, _): &(Candidate, bool)| {
            b.composite
                .cmp(&a.composite)
                .then(b.performance.cmp(&a.performance))
                .then_with(|| a.model.id.cmp(&b.model.id))
        };
        // Only the shown models need ordering: select them first, then sort those.
        let shown = query.limit.unwrap_or(usize::MAX).min(total_ranked);
        if shown < total_ranked {
            if shown > 0 {
                ranked.select_nth_unstable_by(shown - 1, by_composite);
            }
            ranked.truncate(shown);
        }
        ranked.sort_unstable_by(by_composite);
        let ranked = ranked
            .into_iter()
            .enumerate()
            .map(|(i, (c, on_frontier))| RankedModel {
                rank: i + 1,
                id: c.model.id.clone(),
                name: c.model.name.clone(),
                cost_efficiency: round(c.cost),
                performance: round(c.performance),
                composite: round(c.composite),
                on_frontier,
                price: c.priced.price.clone(),
                inputs: c.model.inputs(category, &feeds),
                providers: c.model.providers,
                free: c.model.free,
            })
            .collect();

        let no_score: Arc<str> = Arc::from(format!("no {category} benchmark score"));
        let out_of_range: Arc<str> = Arc::from("input price out of range");
        let mut unscored: Vec<UnscoredModel> = unranked
            .into_iter()
            .map(|(model, why)| {
                let (reason, input_per_million) = match why {
                    Unranked::NoPrice { scored: true, reason } => (reason.clone(), None),
                    Unranked::NoPrice { scored: false, reason } => (Arc::from(format!("{no_score}; {reason}")), None),
                    Unranked::NoScore(p) => (no_score.clone(), Some(p)),
                    Unranked::PriceOutOfRange(p) => (out_of_range.clone(), Some(p)),
                };
                UnscoredModel { id: model.id.clone(), name: model.name.clone(), reason, input_per_million }
            })
            .collect();
        unscored.sort_unstable_by(|a, b| a.id.cmp(&b.id));

        let feeds: Vec<FeedView> = self
            .series
            .iter()
            .zip(&feeds)
            .filter(|(_, feeds)| **feeds)
            .filter_map(|(k, _)| Some(FeedView { key: k.clone(), range: self.normalizer.range(k)?.clone() }))
            .collect();
        Rankings {
            category: category.to_string(),
            weights,
            how: How {
                cost_efficiency: "1 / (1 + input USD per million tokens / 10), from the primary offer's input price \
                                  after its discount (the free offer's with --free)",
                normalization: NORMALISATION_RULE,
                performance: format!(
                    "mean of the model's normalised scores on the series feeding {category}: {}",
                    category.describe()
                ),
                composite: format!("{} x cost_efficiency + {} x performance", weights.cost, weights.performance),
                frontier: "ranked models that no other ranked model beats on both: cheaper-or-equal input price and \
                           better-or-equal performance, one of them strictly",
            },
            feeds,
            ranked,
            total_ranked,
            frontier,
            unscored,
        }
    }
}

#[cfg(test)]
mod frontier_tests {
    use super::frontier_flags;
    use rust_decimal::dec;

    #[test]
    fn ties_stay_on_the_frontier_and_equal_price_worse_is_dominated() {
        let pts = [
            (dec!(1), dec!(0.5)),   // frontier
            (dec!(1), dec!(0.5)),   // tie: frontier too
            (dec!(1), dec!(0.4)),   // same price, worse
            (dec!(2), dec!(0.5)),   // dearer, equal: dominated
            (dec!(2), dec!(0.7)),   // dearer, better: frontier
            (dec!(0.5), dec!(0.1)), // cheapest: frontier
        ];
        assert_eq!(frontier_flags(&pts), vec![true, true, false, false, true, true]);
    }
}
