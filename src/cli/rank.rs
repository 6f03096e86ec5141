//! `llmcost rank`.

use super::UsageError;
use super::output::{print_json, table};
use crate::rank::{Category, RankQuery, Weights, catalog_scores, rank};
use crate::store::Store;
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost rank                                   # overall, 40% cost / 60% performance
  llmcost rank --category coding --free          # the best free model for coding
  llmcost rank --min-providers 2 --limit 10      # offered by more than one provider
  llmcost rank --category website --weights cost=0.2,performance=0.8 --json

Categories: overall, intelligence (reasoning), coding, agentic, design, or any benchmark
category (website, svg, agents/fullstack, imported ones). Scores are normalised to 0-1 per
benchmark series by min-max over the catalog; `--json` shows every input.";

/// Arguments of `llmcost rank`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct RankArgs {
    /// What performance to rank by.
    #[arg(long, default_value = "overall", value_name = "NAME")]
    pub category: String,
    /// Weights of cost efficiency and performance (scaled to sum to 1).
    #[arg(long, default_value = "cost=0.4,performance=0.6", value_name = "cost=W,performance=W")]
    pub weights: String,
    /// Only models with a free offer (`:free` variants, zero-priced text models), priced at it.
    #[arg(long)]
    pub free: bool,
    /// Only models served by at least this many distinct providers.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub min_providers: usize,
    /// Only models supporting these parameters (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub supports: Vec<String>,
    /// At most this many ranked models.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Also list the unscored models.
    #[arg(long)]
    pub unscored: bool,
    /// JSON on stdout (every score with its inputs).
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost rank`.
pub async fn run(store: &dyn Store, args: RankArgs) -> anyhow::Result<()> {
    let weights: Weights = args.weights.parse().map_err(|e| UsageError(format!("--weights: {e}")))?;
    let category: Category = args.category.parse().map_err(|e| UsageError(format!("--category: {e}")))?;
    let records = store.catalog(None).await?;
    let scores = catalog_scores(&records, store.benchmark_scores(None).await?);
    let query = RankQuery {
        category,
        weights,
        free: args.free,
        min_providers: args.min_providers,
        supports: args.supports,
        limit: args.limit,
    };
    let r = rank(&records, &scores, &query);
    if args.json {
        return print_json(&r);
    }
    if r.ranked.is_empty() {
        println!(
            "No model could be ranked for {} ({} unscored). Has the catalog been synced? Try: llmcost sync",
            r.category,
            r.unscored.len()
        );
    } else {
        let mut t = table(&["#", "MODEL", "INPUT $/M", "COST", "PERF", "COMPOSITE", "FRONTIER", "SCORES"]);
        for m in &r.ranked {
            t.add_row(vec![
                m.rank.to_string(),
                m.id.to_string(),
                format!("${}", m.price.input_per_million),
                m.cost_efficiency.round_dp(3).to_string(),
                m.performance.round_dp(3).to_string(),
                m.composite.round_dp(3).to_string(),
                if m.on_frontier { "*".into() } else { String::new() },
                m.inputs.len().to_string(),
            ]);
        }
        println!("Rankings by {} (weights {}):\n{t}", r.category, r.weights);
        println!(
            "{} ranked{}; {} on the cost/quality frontier (*); {} unscored.",
            r.total_ranked,
            if r.ranked.len() < r.total_ranked { format!(", {} shown", r.ranked.len()) } else { String::new() },
            r.frontier.len(),
            r.unscored.len()
        );
        println!("cost = {}", r.how.cost_efficiency);
        println!("performance = {}", r.how.performance);
        println!("normalisation: {}", r.how.normalization);
    }
    if args.unscored && !r.unscored.is_empty() {
        let mut t = table(&["UNSCORED MODEL", "INPUT $/M", "WHY"]);
        for u in &r.unscored {
            t.add_row(vec![
                u.id.to_string(),
                u.input_per_million.map_or_else(|| "-".into(), |p| format!("${p}")),
                u.reason.to_string(),
            ]);
        }
        println!("{t}");
    }
    Ok(())
}
