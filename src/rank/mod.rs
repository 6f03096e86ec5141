//! Model intelligence: rankings of cost against quality, the Pareto frontier, and provider
//! routing. Pure functions over catalog records and benchmark scores, returning serialisable
//! views (the CLI, the API and the dashboard all show the same structs).
//!
//! # Rules
//!
//! - **Normalisation** ([`Normalizer`]): per (benchmark, category, metric), min–max over every
//!   active model of the catalog scored on it: `(score − min) / (max − min)`, so the best model is
//!   1 and the worst 0; when all scored models tie (or only one is scored) each gets 1. The range
//!   is taken over the whole catalog, never the filtered view, so a filter does not change a
//!   model's score.
//! - **Cost efficiency**: `1 / (1 + p / 10)` where `p` is the input price in USD per million
//!   tokens of the model's primary offer (the price `llmcost models` shows) after that offer's
//!   discount; with `--free`, the price of its free offer. A variable or missing price leaves the
//!   model unscored.
//! - **Performance** for a [`Category`]: the mean of the model's normalised scores on the
//!   benchmarks feeding the category. A model with no such score is *unscored* (listed apart,
//!   never as 0).
//! - **Composite**: `w_cost × cost_efficiency + w_perf × performance`, with the weights
//!   ([`Weights`], default 0.4 / 0.6) scaled to sum to 1.
//! - **Pareto frontier**: the ranked models that no other ranked model beats on both price and
//!   performance (cheaper or equal *and* better or equal, one of them strictly).
//! - **Routing** ([`route`]): among healthy provider endpoints of a listing, each is chosen with
//!   probability proportional to the inverse square of its effective request cost (see
//!   [`routing`](route) for health and ties at zero).
//!
//! Every number is an exact `Decimal`; nothing here uses floating point arithmetic.

#![deny(clippy::float_arithmetic)]

mod category;
mod normalize;
mod rankings;
mod routing;

#[cfg(test)]
mod tests;

pub use category::Category;
pub use normalize::{NORMALISATION_RULE, Normalizer, ScoreRange};
pub use rankings::{
    FeedView, FrontierPoint, How, PriceUsed, RankIndex, RankQuery, RankedModel, Rankings, ScoreInput, UnscoredModel,
    Weights, rank,
};
pub use routing::{
    DEFAULT_MIN_UPTIME, RouteQuery, RoutedOffer, Routing, RoutingHow, free_listing, is_model_free, parse_tokens, route,
};

use crate::domain::{BenchmarkKey, BenchmarkRecord, BenchmarkScore, scores_from_openrouter};
use crate::store::ModelRecord;
use std::collections::HashMap;

/// The scores to rank with, one per model and series: the stored ones (synced and imported;
/// of two sources for one series, the newer interval wins), and for series the store does not
/// hold for a model, those its catalog entry carries (OpenRouter's `benchmarks`, before a sync
/// has recorded them).
pub fn catalog_scores(records: &[ModelRecord], stored: Vec<BenchmarkRecord>) -> Vec<BenchmarkScore> {
    let mut best: HashMap<(String, BenchmarkKey), BenchmarkRecord> = HashMap::with_capacity(stored.len());
    for r in stored {
        let id = (r.score.model_id.clone(), r.score.key.clone());
        match best.get(&id) {
            Some(b) if (b.valid_from, &b.score.source) >= (r.valid_from, &r.score.source) => {}
            _ => {
                best.insert(id, r);
            }
        }
    }
    let mut out: Vec<BenchmarkScore> = Vec::with_capacity(best.len());
    for record in records {
        if let Some(json) = &record.model.benchmarks {
            for s in scores_from_openrouter(&record.model.id, json) {
                if !best.contains_key(&(s.model_id.clone(), s.key.clone())) {
                    out.push(s);
                }
            }
        }
    }
    out.extend(best.into_values().map(|r| r.score));
    out.sort_by(|a, b| (&a.model_id, &a.key).cmp(&(&b.model_id, &b.key)));
    out
}

/// Why a ranking or routing request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    /// `--weights` is malformed or its weights are negative or all zero.
    #[error("invalid weights {given:?}: {reason}")]
    InvalidWeights {
        /// What was given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The model has no provider endpoints for the listing asked for.
    #[error("no provider endpoints known for {listing}: sync with endpoints (the default) to fetch them")]
    NoEndpoints {
        /// The listing id.
        listing: String,
    },
    /// The listing asked for is not one of the model's.
    #[error("{model} has no listing {listing:?} (listings: {known})")]
    UnknownListing {
        /// The model.
        model: String,
        /// The listing asked for.
        listing: String,
        /// The model's listings, comma-separated.
        known: String,
    },
}
