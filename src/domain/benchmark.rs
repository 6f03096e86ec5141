//! Benchmark scores: model × benchmark × category × metric → an exact value, from a source.
//!
//! OpenRouter's catalog carries two benchmarks per model, read here into scores:
//! - `artificial_analysis`: `{intelligence_index, coding_index, agentic_index}` become
//!   benchmark `artificial_analysis`, categories `intelligence` / `coding` / `agentic`, metric
//!   `index` (0–100, higher is better);
//! - `design_arena`: `[{arena, category, elo, win_rate, rank}]` become benchmark `design_arena`,
//!   category `ARENA/CATEGORY` (`models/website`, `agents/fullstack`), metric `elo`. The win rate
//!   and rank are derived from the same votes as the Elo and are not kept (they would count the
//!   same evidence twice, and a rank is lower-is-better).
//!
//! Every metric llmcost stores is higher-is-better; imported scores must be too.

use super::{JsonText, ModelId, UnixMs};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The source name of scores read from OpenRouter's catalog.
pub const OPENROUTER_BENCHMARK_SOURCE: &str = "openrouter";

/// Identity of one score series: which benchmark, category and metric.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BenchmarkKey {
    /// The benchmark (`artificial_analysis`, `design_arena`, or an imported one).
    pub benchmark: String,
    /// The category within it (`coding`, `models/website`).
    pub category: String,
    /// What is measured (`index`, `elo`, `pass@1`).
    pub metric: String,
}

impl BenchmarkKey {
    /// A key from its parts.
    pub fn new(benchmark: impl Into<String>, category: impl Into<String>, metric: impl Into<String>) -> Self {
        Self { benchmark: benchmark.into(), category: category.into(), metric: metric.into() }
    }

    /// `benchmark/category/metric`, for display.
    pub fn label(&self) -> String {
        format!("{}/{}/{}", self.benchmark, self.category, self.metric)
    }
}

/// One score of one model, as a source states it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkScore {
    /// The model scored.
    pub model_id: String,
    /// Benchmark, category and metric.
    #[serde(flatten)]
    pub key: BenchmarkKey,
    /// The score, exact as published (higher is better).
    pub score: Decimal,
    /// Who published or imported it (`openrouter`, `import:evals.csv`).
    pub source: String,
}

fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str_exact(&n.to_string())
            .ok()
            .or_else(|| n.as_i64().map(Decimal::from))
            .or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        Value::String(s) => Decimal::from_str_exact(s.trim()).ok(),
        _ => None,
    }
}

/// The scores in an OpenRouter model's `benchmarks` object (see the module documentation);
/// entries without a number are skipped. Sorted by key.
pub fn scores_from_openrouter(model_id: &ModelId, benchmarks: &JsonText) -> Vec<BenchmarkScore> {
    let value = benchmarks.to_value();
    let mut out = Vec::new();
    let mut push = |key: BenchmarkKey, score: Decimal| {
        out.push(BenchmarkScore {
            model_id: model_id.to_string(),
            key,
            score: score.normalize(),
            source: OPENROUTER_BENCHMARK_SOURCE.to_string(),
        });
    };
    if let Some(aa) = value.get("artificial_analysis").and_then(Value::as_object) {
        for (field, category) in
            [("intelligence_index", "intelligence"), ("coding_index", "coding"), ("agentic_index", "agentic")]
        {
            if let Some(score) = aa.get(field).and_then(decimal_of) {
                push(BenchmarkKey::new("artificial_analysis", category, "index"), score);
            }
        }
    }
    if let Some(entries) = value.get("design_arena").and_then(Value::as_array) {
        for e in entries {
            let (Some(arena), Some(category)) =
                (e.get("arena").and_then(Value::as_str), e.get("category").and_then(Value::as_str))
            else {
                continue;
            };
            if let Some(elo) = e.get("elo").and_then(decimal_of) {
                push(BenchmarkKey::new("design_arena", format!("{arena}/{category}"), "elo"), elo);
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out.dedup_by(|a, b| a.key == b.key);
    out
}

/// A score with its validity interval `[valid_from, valid_to)` (unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenchmarkRecord {
    /// The score.
    #[serde(flatten)]
    pub score: BenchmarkScore,
    /// Valid from (inclusive).
    pub valid_from: UnixMs,
    /// Valid until (exclusive); `None` while current.
    pub valid_to: Option<UnixMs>,
}

/// A source's complete set of scores for the models it lists now (what a sync records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchmarkSnapshot {
    /// The scores' source.
    pub source: String,
    /// Every model the source listed: their series missing from `scores` are closed.
    pub models: BTreeSet<String>,
    /// The scores.
    pub scores: Vec<BenchmarkScore>,
}

/// Writes that record benchmark scores: open intervals to close, intervals to insert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchmarkWrites {
    /// Open intervals to close: (the series, as a score of it; the closing time).
    pub close: Vec<(BenchmarkScore, UnixMs)>,
    /// Intervals to insert (a later row of the same import may already close them).
    pub open: Vec<BenchmarkRecord>,
}

impl BenchmarkWrites {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty() && self.open.is_empty()
    }
}

/// One row of a benchmark import, with its line for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchmarkRow {
    /// The line (CSV) or item number (JSON), from 1.
    pub line: usize,
    /// The score.
    pub score: BenchmarkScore,
    /// The date the score was measured or published (its interval starts then).
    pub at: UnixMs,
}

type SeriesId = (String, BenchmarkKey, String);

fn series(s: &BenchmarkScore) -> SeriesId {
    (s.model_id.clone(), s.key.clone(), s.source.clone())
}

/// What a sync records: a changed score closes its open interval and opens a new one at `at`;
/// a new series opens; a series of a listed model that the source no longer publishes closes.
/// An unchanged score (numerically equal) writes nothing.
pub fn plan_snapshot(current: &[BenchmarkRecord], snapshot: &BenchmarkSnapshot, at: UnixMs) -> BenchmarkWrites {
    let mut writes = BenchmarkWrites::default();
    let open: HashMap<SeriesId, &BenchmarkRecord> = current
        .iter()
        .filter(|r| r.valid_to.is_none() && r.score.source == snapshot.source)
        .map(|r| (series(&r.score), r))
        .collect();
    let mut incoming: BTreeMap<SeriesId, &BenchmarkScore> = BTreeMap::new();
    for s in snapshot.scores.iter().filter(|s| s.source == snapshot.source) {
        incoming.insert(series(s), s);
    }
    for (id, s) in &incoming {
        match open.get(id) {
            Some(r) if r.score.score == s.score => {}
            Some(r) => {
                writes.close.push((r.score.clone(), at));
                writes.open.push(BenchmarkRecord { score: (*s).clone(), valid_from: at, valid_to: None });
            }
            None => writes.open.push(BenchmarkRecord { score: (*s).clone(), valid_from: at, valid_to: None }),
        }
    }
    let mut gone: Vec<&BenchmarkRecord> = open
        .iter()
        .filter(|(id, _)| snapshot.models.contains(&id.0) && !incoming.contains_key(*id))
        .map(|(_, r)| *r)
        .collect();
    gone.sort_by_key(|a| series(&a.score));
    writes.close.extend(gone.into_iter().map(|r| (r.score.clone(), at)));
    writes
}

/// What an import records, given the stored intervals (`stored`: at least the open ones; with
/// the closed ones too, re-importing a file is a no-op): per series, rows in date order; a row
/// that repeats a stored interval (same start and score), or whose score equals the one valid
/// before it, writes nothing; another closes that interval at its date and opens its own. A row
/// dated at or before the series' current interval start is an error (history is only
/// appended), as are two different scores of one series on one date. Errors name their lines.
pub fn plan_import(stored: &[BenchmarkRecord], rows: &[BenchmarkRow]) -> Result<BenchmarkWrites, Vec<String>> {
    let mut writes = BenchmarkWrites::default();
    let mut errors = Vec::new();
    let recorded: std::collections::HashSet<(SeriesId, UnixMs, Decimal)> =
        stored.iter().map(|r| (series(&r.score), r.valid_from, r.score.score)).collect();
    let current = stored;
    let mut open: HashMap<SeriesId, (Decimal, UnixMs, Option<usize>)> = current
        .iter()
        .filter(|r| r.valid_to.is_none())
        .map(|r| (series(&r.score), (r.score.score, r.valid_from, None)))
        .collect();
    let mut sorted: Vec<&BenchmarkRow> = rows.iter().collect();
    sorted.sort_by(|a, b| series(&a.score).cmp(&series(&b.score)).then(a.at.cmp(&b.at)).then(a.line.cmp(&b.line)));
    for row in sorted {
        let id = series(&row.score);
        if recorded.contains(&(id.clone(), row.at, row.score.score)) {
            continue;
        }
        match open.get(&id).copied() {
            Some((score, _, _)) if score == row.score.score => {}
            Some((_, since, planned)) if row.at <= since => {
                let what = if planned.is_some() { "another row of this file" } else { "the stored score" };
                errors.push(format!(
                    "line {}: {} of {} is dated at or before {what} for the same series (history is only appended)",
                    row.line,
                    row.score.key.label(),
                    row.score.model_id
                ));
            }
            previous => {
                match previous {
                    Some((_, _, Some(index))) => writes.open[index].valid_to = Some(row.at),
                    Some((score, _, None)) => {
                        let mut closed = row.score.clone();
                        closed.score = score;
                        writes.close.push((closed, row.at));
                    }
                    None => {}
                }
                writes.open.push(BenchmarkRecord { score: row.score.clone(), valid_from: row.at, valid_to: None });
                open.insert(id, (row.score.score, row.at, Some(writes.open.len() - 1)));
            }
        }
    }
    if errors.is_empty() { Ok(writes) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(model: &str, value: Decimal) -> BenchmarkScore {
        BenchmarkScore {
            model_id: model.into(),
            key: BenchmarkKey::new("b", "c", "m"),
            score: value,
            source: "s".into(),
        }
    }

    #[test]
    fn a_snapshot_writes_only_changes() {
        let current = vec![
            BenchmarkRecord { score: score("a/x", Decimal::new(500, 1)), valid_from: 1, valid_to: None },
            BenchmarkRecord { score: score("a/y", Decimal::from(7)), valid_from: 1, valid_to: None },
            BenchmarkRecord { score: score("a/z", Decimal::from(9)), valid_from: 1, valid_to: None },
        ];
        let snapshot = BenchmarkSnapshot {
            source: "s".into(),
            models: ["a/x", "a/y", "a/new"].into_iter().map(String::from).collect(),
            scores: vec![score("a/x", Decimal::from(50)), score("a/new", Decimal::ONE)],
        };
        let w = plan_snapshot(&current, &snapshot, 10);
        // a/x: 50.0 = 50, unchanged; a/y: no longer published, closed; a/z: not listed, kept.
        assert_eq!(
            w.open,
            vec![BenchmarkRecord { score: score("a/new", Decimal::ONE), valid_from: 10, valid_to: None }]
        );
        assert_eq!(w.close, vec![(score("a/y", Decimal::from(7)), 10)]);
    }

    #[test]
    fn an_import_appends_history_in_date_order() {
        let current = vec![BenchmarkRecord { score: score("a/x", Decimal::from(5)), valid_from: 10, valid_to: None }];
        let rows = vec![
            BenchmarkRow { line: 2, score: score("a/x", Decimal::from(7)), at: 30 },
            BenchmarkRow { line: 3, score: score("a/x", Decimal::from(6)), at: 20 },
            BenchmarkRow { line: 4, score: score("a/x", Decimal::from(7)), at: 40 },
        ];
        let w = plan_import(&current, &rows).expect("plan");
        assert_eq!(w.close, vec![(score("a/x", Decimal::from(5)), 20)]);
        assert_eq!(
            w.open,
            vec![
                BenchmarkRecord { score: score("a/x", Decimal::from(6)), valid_from: 20, valid_to: Some(30) },
                BenchmarkRecord { score: score("a/x", Decimal::from(7)), valid_from: 30, valid_to: None },
            ]
        );
        let old = vec![BenchmarkRow { line: 9, score: score("a/x", Decimal::from(1)), at: 10 }];
        let errors = plan_import(&current, &old).expect_err("older than stored");
        assert!(errors[0].starts_with("line 9:"), "{errors:?}");
    }

    #[test]
    fn reads_both_openrouter_benchmarks() {
        let raw: Value = serde_json::json!({
            "artificial_analysis": {"intelligence_index": 56, "coding_index": 76.1, "agentic_index": null},
            "design_arena": [
                {"arena": "models", "category": "website", "elo": 1318, "win_rate": 56.6, "rank": 5},
                {"arena": "agents", "category": "fullstack", "elo": 1253.5, "win_rate": 58.1, "rank": 6},
                {"arena": "models", "category": "svg"}
            ]
        });
        let id = ModelId::parse("a/m").expect("id");
        let scores = scores_from_openrouter(&id, &JsonText::from_value(&raw));
        let got: Vec<(String, String)> = scores.iter().map(|s| (s.key.label(), s.score.to_string())).collect();
        assert_eq!(
            got,
            vec![
                ("artificial_analysis/coding/index".to_string(), "76.1".to_string()),
                ("artificial_analysis/intelligence/index".to_string(), "56".to_string()),
                ("design_arena/agents/fullstack/elo".to_string(), "1253.5".to_string()),
                ("design_arena/models/website/elo".to_string(), "1318".to_string()),
            ]
        );
    }
}
