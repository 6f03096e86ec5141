//! `llmcost history MODEL`.

use super::output::{price, print_json, since, table, time};
use super::show::resolve;
use crate::domain::Component;
use crate::store::Store;
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost history openai/gpt-5.6-sol
  llmcost history moonshotai/kimi-k3 --since 30d --component input
  llmcost history deepseek/deepseek-v4-pro --providers --json";

/// Arguments of `llmcost history`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct HistoryArgs {
    /// Model id or alias.
    pub model: String,
    /// Only intervals valid at or after this (`30d`, `2026-07-01`, RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only this component (input, output, cache_read, ...).
    #[arg(long, value_name = "NAME")]
    pub component: Option<Component>,
    /// Include per-provider endpoint prices.
    #[arg(long)]
    pub providers: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost history`.
pub async fn run(store: &dyn Store, args: HistoryArgs) -> anyhow::Result<()> {
    let since = since(args.since.as_deref())?;
    let id = resolve(store, &args.model).await?;
    let rows: Vec<_> = store
        .price_history(&id, since)
        .await?
        .into_iter()
        .filter(|r| args.providers || r.served_by.is_none())
        .filter(|r| args.component.is_none_or(|c| r.record.price.key.component == c))
        .collect();
    if args.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        println!("No price history for {id} in that period.");
        return Ok(());
    }
    let mut t = table(&["OFFER", "PRICE", "VALUE", "FROM", "TO"]);
    for r in &rows {
        let offer = match &r.served_by {
            Some(tag) => format!("{} @ {tag}", r.listing_id),
            None => r.listing_id.clone(),
        };
        let p = &r.record.price;
        t.add_row(vec![
            offer,
            p.key.label(),
            price(p.key.component, Some(p.value)),
            time(r.record.valid_from),
            r.record.valid_to.map_or_else(|| "now".into(), time),
        ]);
    }
    println!("Price history of {id} (token prices per million tokens, UTC):\n{t}");
    Ok(())
}
