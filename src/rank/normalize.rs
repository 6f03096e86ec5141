//! Normalising benchmark scores to 0–1 per series (min–max over the scored models).

use crate::domain::{BenchmarkKey, BenchmarkScore};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// The normalisation rule, in words (shown in rankings as `how`).
pub const NORMALISATION_RULE: &str = "min-max per (benchmark, category, metric) over every active model of the \
     catalog scored on it: (score - min) / (max - min), best 1, worst 0; 1 for every model when all tie";

/// The range of one series over the scored models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScoreRange {
    /// The lowest score.
    #[schema(value_type = String)]
    pub min: Decimal,
    /// The highest score.
    #[schema(value_type = String)]
    pub max: Decimal,
    /// How many models are scored on the series.
    pub models: usize,
}

/// Min–max normalisation of every series seen.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    ranges: HashMap<BenchmarkKey, ScoreRange>,
}

impl Normalizer {
    /// Learn each series' range from the scores of every model to compare.
    pub fn new<'a>(scores: impl IntoIterator<Item = &'a BenchmarkScore>) -> Self {
        let mut ranges: HashMap<BenchmarkKey, ScoreRange> = HashMap::new();
        for s in scores {
            match ranges.get_mut(&s.key) {
                Some(r) => {
                    r.min = r.min.min(s.score);
                    r.max = r.max.max(s.score);
                    r.models += 1;
                }
                None => {
                    ranges.insert(s.key.clone(), ScoreRange { min: s.score, max: s.score, models: 1 });
                }
            }
        }
        Self { ranges }
    }

    /// The range of a series, if any model is scored on it.
    pub fn range(&self, key: &BenchmarkKey) -> Option<&ScoreRange> {
        self.ranges.get(key)
    }

    /// Every series with its range.
    pub fn ranges(&self) -> impl Iterator<Item = (&BenchmarkKey, &ScoreRange)> {
        self.ranges.iter()
    }

    /// A score scaled to 0–1 within its series; `None` for a series never seen.
    pub fn normalize(&self, key: &BenchmarkKey, score: Decimal) -> Option<Decimal> {
        let r = self.ranges.get(key)?;
        let span = r.max - r.min;
        if span.is_zero() {
            return Some(Decimal::ONE);
        }
        let clamped = score.clamp(r.min, r.max);
        (clamped - r.min).checked_div(span)
    }
}
