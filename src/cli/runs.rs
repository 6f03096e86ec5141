//! `llmcost runs`.

use super::output::{num, print_json, table, time};
use crate::store::Store;
use clap::Args;

/// Arguments of `llmcost runs`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  llmcost runs\n  llmcost runs --limit 100 --json")]
pub struct RunsArgs {
    /// At most this many, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost runs`.
pub async fn run(store: &dyn Store, args: RunsArgs) -> anyhow::Result<()> {
    let runs = store.runs(args.limit).await?;
    if args.json {
        return print_json(&runs);
    }
    if runs.is_empty() {
        println!("No sync has run yet. Try: llmcost sync");
        return Ok(());
    }
    let mut t =
        table(&["RUN", "STARTED (UTC)", "TRIGGER", "ORIGIN", "STATUS", "MS", "MODELS", "+", "-", "PRICES", "ERROR"]);
    for r in &runs {
        t.add_row(vec![
            r.id.to_string(),
            time(r.started_at),
            r.trigger.clone(),
            r.origin.clone().unwrap_or_default(),
            r.status.clone(),
            num(r.duration_ms),
            num(r.models_seen),
            r.added.to_string(),
            r.removed.to_string(),
            r.repriced.to_string(),
            r.error.clone().unwrap_or_default(),
        ]);
    }
    println!("{t}");
    Ok(())
}
