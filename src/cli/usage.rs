//! `llmcost usage`: recorded spend and tokens, grouped.

use super::output::{print_json, since, table};
use crate::store::Store;
use crate::track::{GroupBy, UsageReport};
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost usage                          # the last 30 days by model
  llmcost usage --since 7d --by app
  llmcost usage --since 2026-08-01 --by day --csv > spend.csv";

/// Arguments of `llmcost usage`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct UsageArgs {
    /// Records at or after this time: `7d`, `24h`, a date or RFC 3339 time.
    #[arg(long, default_value = "30d")]
    pub since: String,
    /// How to group.
    #[arg(long, value_enum, default_value = "model")]
    pub by: GroupBy,
    /// JSON output.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV output.
    #[arg(long)]
    pub csv: bool,
}

/// Run `llmcost usage`.
pub async fn run(store: &dyn Store, args: UsageArgs) -> anyhow::Result<()> {
    let since = since(Some(&args.since))?;
    let totals = store.usage_totals(since, None).await?;
    let report = UsageReport::from_totals(&totals, since, args.by);
    if args.json {
        return print_json(&report);
    }
    let header = ["group", "requests", "failed", "prompt tokens", "completion tokens", "cost (USD)", "unpriced"];
    let row = |g: &crate::track::UsageGroup| {
        vec![
            g.key.clone(),
            g.requests.to_string(),
            g.failed.to_string(),
            g.prompt_tokens.to_string(),
            g.completion_tokens.to_string(),
            g.cost_usd.to_string(),
            g.unpriced.to_string(),
        ]
    };
    if args.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record(header)?;
        for g in report.groups.iter().chain([&report.total]) {
            w.write_record(row(g))?;
        }
        w.flush()?;
        return Ok(());
    }
    let mut t = table(&header);
    for g in report.groups.iter().chain([&report.total]) {
        t.add_row(row(g));
    }
    println!("{t}");
    Ok(())
}
