//! `llmcost changes`.

use super::output::{print_json, since, table, time};
use crate::domain::ChangeKind;
use crate::store::{ChangeQuery, Store};
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost changes                               # the last 7 days
  llmcost changes --since 30d --kind price_changed --alerts
  llmcost changes --kind model_added,model_removed --json
  llmcost changes --run 12";

/// Arguments of `llmcost changes`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ChangesArgs {
    /// Since when (`7d`, `24h`, `2026-08-01`, RFC 3339).
    #[arg(long, default_value = "7d", value_name = "WHEN")]
    pub since: String,
    /// Only these kinds (comma-separated): model_added, model_removed, model_reactivated,
    /// offer_added, offer_removed, offer_reactivated, price_changed, context_changed,
    /// capability_changed, alias_added, alias_retargeted, alias_removed.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub kind: Vec<ChangeKind>,
    /// Only this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only changes of this sync run.
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// Only changes beyond the alert threshold.
    #[arg(long)]
    pub alerts: bool,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 200)]
    pub limit: i64,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost changes`.
pub async fn run(store: &dyn Store, args: ChangesArgs) -> anyhow::Result<()> {
    // A run's changes are wanted whatever their age.
    let since = if args.run.is_some() { None } else { since(Some(&args.since))? };
    let model = match &args.model {
        Some(m) => Some(store.resolve(m).await?.unwrap_or_else(|| m.clone())),
        None => None,
    };
    let rows = store
        .changes(&ChangeQuery {
            since,
            kinds: args.kind,
            model,
            alerts_only: args.alerts,
            run_id: args.run,
            limit: args.limit,
        })
        .await?;
    if args.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        println!("No changes in that period.");
        return Ok(());
    }
    let mut t = table(&["AT (UTC)", "RUN", "CHANGE"]);
    for c in &rows {
        t.add_row(vec![time(c.at), c.run_id.to_string(), c.event.describe()]);
    }
    println!("{t}");
    println!("{} changes", rows.len());
    Ok(())
}
