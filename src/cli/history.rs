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
  llmcost history deepseek/deepseek-v4-pro --providers --json
  llmcost history openai/gpt-4o --plot                 # a chart in the terminal
  llmcost history openai/gpt-4o --svg gpt-4o.svg       # the same chart as an image";

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
    /// Draw the history as a chart in the terminal (one line per component over time).
    #[arg(long, conflicts_with = "json")]
    pub plot: bool,
    /// Write the chart as an SVG image to this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
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
    if args.plot || args.svg.is_some() {
        let series = crate::plot::series_from_history(&rows, super::output::now());
        if let Some(path) = &args.svg {
            let title = format!("Price history of {id}");
            std::fs::write(path, crate::plot::svg_chart(&series, &title))
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            if !args.plot && !args.json {
                println!("Wrote the price history of {id} ({} lines) to {}", series.len(), path.display());
            }
        }
        if args.plot {
            if series.is_empty() {
                println!("No fixed prices of {id} to draw in that period.");
            } else {
                println!("Price history of {id} ({}):", crate::plot::VALUE_UNIT);
                print!("{}", crate::plot::terminal_chart(&series, 72, 16));
            }
            return Ok(());
        }
    }
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
