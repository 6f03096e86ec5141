//! `llmcost verify`: the bill check of recorded provider costs against the engine.

use super::output::{print_json, since, table, time};
use crate::store::Store;
use crate::track::{UsageQuery, verify};
use clap::Args;
use rust_decimal::Decimal;

const EXAMPLES: &str = "\
Examples:
  llmcost verify                      # every recorded request with a provider cost
  llmcost verify --sample 200 --json  # 200 chosen at random
  llmcost verify --newest 50 --since 1d
  llmcost verify --tolerance 0.000001

Exit code 1 when a mismatch is found.";

/// Arguments of `llmcost verify`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct VerifyArgs {
    /// Check N records that carry a provider cost, chosen at random.
    #[arg(long, value_name = "N", conflicts_with = "newest", value_parser = clap::value_parser!(i64).range(1..))]
    pub sample: Option<i64>,
    /// Check only the N newest records that carry a provider cost.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub newest: Option<i64>,
    /// Only records at or after this time.
    #[arg(long)]
    pub since: Option<String>,
    /// Largest difference (USD) still counted as a match.
    #[arg(long, default_value = "0")]
    pub tolerance: Decimal,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// A failed bill check: exit code 1 after the report.
#[derive(Debug, thiserror::Error)]
#[error("{0} of {1} recorded costs do not match the catalog's prices")]
pub struct Mismatches(usize, usize);

/// Run `llmcost verify`.
pub async fn run(store: &dyn Store, settings: &crate::config::Settings, args: VerifyArgs) -> anyhow::Result<()> {
    let book = super::cost::price_book(store, settings.overrides.as_deref()).await?;
    let query = UsageQuery {
        since: since(args.since.as_deref())?,
        with_provider_cost: true,
        limit: args.sample.or(args.newest),
        random: args.sample.is_some(),
        until: None,
    };
    let records = store.usage_records(&query).await?;
    let now = super::output::now();
    let (report, all) = verify::verify(&book, &records, args.tolerance.abs(), now);
    store.insert_verifications(&all).await?;
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "checked {} recorded costs: {} match, {} do not",
            report.checked,
            report.matched,
            report.mismatches.len()
        );
        if !report.mismatches.is_empty() {
            let at = |id: i64| records.iter().find(|r| r.id == id).map_or_else(String::new, |r| time(r.record.at));
            let mut t =
                table(&["record", "time", "model", "provider cost", "engine cost", "difference", "price rows / error"]);
            for m in &report.mismatches {
                let rows = match &m.error {
                    Some(e) => e.clone(),
                    None => m
                        .price_rows
                        .as_array()
                        .map(|rows| {
                            rows.iter()
                                .map(|r| {
                                    format!(
                                        "{} {} × {} (from {})",
                                        r["component"].as_str().unwrap_or("?"),
                                        r["quantity"],
                                        r["unit_price"].as_str().unwrap_or("?"),
                                        r["valid_from"].as_i64().map_or_else(|| "?".into(), time),
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default(),
                };
                t.add_row(vec![
                    m.usage_id.to_string(),
                    at(m.usage_id),
                    m.model.clone().unwrap_or_default(),
                    m.provider_cost.to_string(),
                    m.engine_cost.map_or_else(|| "-".into(), |c| c.to_string()),
                    m.difference.map_or_else(|| "-".into(), |d| d.to_string()),
                    rows,
                ]);
            }
            println!("{t}");
        }
    }
    if report.mismatches.is_empty() { Ok(()) } else { Err(Mismatches(report.mismatches.len(), report.checked).into()) }
}
