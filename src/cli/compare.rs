//! `llmcost compare MODEL`.

use super::output::{price, print_json, table, time, time_arg};
use super::show::model_record;
use crate::compare::{Comparison, Disagreement, OfferRow, Options, compare};
use crate::domain::{Component, Price, PriceValue, TierScope, UnixMs};
use crate::store::Store;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;

const EXAMPLES: &str = "\
Cells marked ≠: sources state different base prices for the same billing party (sellers are
normalised: aws, amazon-bedrock and bedrock_converse are bedrock; OpenRouter endpoints are openrouter).

Examples:
  llmcost compare openai/gpt-4o
  llmcost compare anthropic/claude-sonnet-5 --component input,output,cache_read
  llmcost compare deepseek/deepseek-chat --as-of 2026-08-01 --all
  llmcost compare gpt-4o --json                  # offers, disagreements and ranges";

/// Arguments of `llmcost compare`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct CompareArgs {
    /// Model id or alias.
    pub model: String,
    /// Prices as they were at this time.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Only these components (input,output,cache_read,...).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub component: Vec<Component>,
    /// Also list inactive offers.
    #[arg(long)]
    pub all: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct CompareView<'a> {
    as_of: Option<UnixMs>,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// Run `llmcost compare`.
pub async fn run(store: &dyn Store, args: CompareArgs) -> anyhow::Result<()> {
    let as_of = time_arg("--as-of", args.as_of.as_deref())?;
    let (_, record) = model_record(store, &args.model, as_of).await?;
    let c = compare(&record, &Options { include_inactive: args.all, components: args.component });
    if args.json {
        return print_json(&CompareView { as_of, comparison: &c });
    }
    print_comparison(&c, as_of);
    Ok(())
}

fn header(c: Component) -> String {
    let name = c.as_str().replace('_', " ").to_uppercase();
    if c.unit() == crate::domain::Unit::Token { format!("{name} $/M") } else { name }
}

fn print_comparison(c: &Comparison, as_of: Option<UnixMs>) {
    let when = as_of.map(|t| format!("  (as of {})", time(t))).unwrap_or_default();
    println!("{}  {}{when}", c.model, c.name);
    if c.offers.is_empty() {
        println!("\nNo active offers (--all lists inactive ones).");
        return;
    }
    let mut head: Vec<String> = vec!["OFFER".into(), "LISTING".into()];
    head.extend(c.columns.iter().map(|col| header(*col)));
    head.push("TIERS & CONDITIONS".into());
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut t = table(&head);
    for r in &c.offers {
        let listing = if r.is_active { r.listing() } else { format!("{} (inactive)", r.listing()) };
        let mut row = vec![r.label(), listing];
        for col in &c.columns {
            let cell = price(*col, r.prices.get(col).copied());
            row.push(if r.disputed.contains(col) { format!("{cell} ≠") } else { cell });
        }
        row.push(others(c, r));
        t.add_row(row);
    }
    println!("\n{t}");

    if c.disagreements.is_empty() {
        println!("\nSources agree on every party's base prices.");
    } else {
        println!("\nSources disagree (≠):");
        for d in &c.disagreements {
            println!("  {}", describe(d));
        }
    }
    if !c.ranges.is_empty() {
        println!("\nRange across active offers:");
        let width = c.ranges.iter().map(|r| r.component.as_str().len()).max().unwrap_or(0);
        for r in &c.ranges {
            let who = |offers: &[String]| {
                let first = offers.first().and_then(|k| c.row(k)).map(|o| format!("{} {}", o.label(), o.listing()));
                match (first, offers.len()) {
                    (Some(f), 1) => f,
                    (Some(f), n) => format!("{f} +{}", n - 1),
                    (None, _) => String::new(),
                }
            };
            let (lo, hi) = (Some(PriceValue::Fixed(r.min.usd)), Some(PriceValue::Fixed(r.max.usd)));
            let lo = format!("{} ({})", price(r.component, lo), who(&r.min.offers));
            if r.min.usd == r.max.usd {
                println!("  {:<width$}  {lo}", r.component.as_str());
            } else {
                println!(
                    "  {:<width$}  {lo}  …  {} ({})",
                    r.component.as_str(),
                    price(r.component, hi),
                    who(&r.max.offers)
                );
            }
        }
    }
}

/// A compact name for a component inside a tier group.
fn short(c: Component) -> &'static str {
    match c {
        Component::Input => "in",
        Component::Output => "out",
        Component::CacheRead => "cache",
        Component::CacheWrite => "write",
        Component::CacheWrite1h => "write1h",
        other => other.as_str(),
    }
}

/// Base prices not shown as columns, then tiers and conditions grouped:
/// `web_search $0.01/search; batch: in $1.25 out $5; ≥200001: in $5`.
fn others(c: &Comparison, r: &OfferRow) -> String {
    let mut parts: Vec<String> = r
        .prices
        .iter()
        .filter(|(comp, _)| !c.columns.contains(comp))
        .map(|(comp, v)| format!("{comp} {}", price(*comp, Some(*v))))
        .collect();
    let mut groups: BTreeMap<(&str, i64, bool), Vec<&Price>> = BTreeMap::new();
    for p in &r.tiers {
        let k = &p.key;
        groups.entry((k.condition.as_str(), k.min_prompt_tokens, p.scope == TierScope::Excess)).or_default().push(p);
    }
    for ((condition, min, excess), prices) in groups {
        let mut label: Vec<String> = Vec::new();
        if !condition.is_empty() {
            label.push(condition.to_string());
        }
        if min > 0 {
            label.push(format!("≥{min}"));
        }
        if excess {
            label.push("(excess)".into());
        }
        let values: Vec<String> = prices
            .iter()
            .map(|p| format!("{} {}", short(p.key.component), price(p.key.component, Some(p.value))))
            .collect();
        parts.push(format!("{}: {}", label.join(" "), values.join(" ")));
    }
    parts.join("; ")
}

/// One disagreement for humans: `openai input: litellm $2.5 vs genai-prices $2.75`.
pub(super) fn describe(d: &Disagreement) -> String {
    let sides: Vec<String> = d
        .values
        .iter()
        .map(|s| {
            let prices: Vec<String> = s.prices.iter().map(|v| price(d.component, Some(*v))).collect();
            format!("{} {}", s.source, prices.join(", "))
        })
        .collect();
    format!("{} {}: {}", d.party_label(), d.component, sides.join(" vs "))
}

/// The disagreements of a comparison on one line, for `show`: `None` when the sources agree.
pub(super) fn disagreement_line(c: &Comparison) -> Option<String> {
    const SHOWN: usize = 4;
    if c.disagreements.is_empty() {
        return None;
    }
    let mut line: Vec<String> = c.disagreements.iter().take(SHOWN).map(describe).collect();
    if c.disagreements.len() > SHOWN {
        line.push(format!("… {} more (llmcost compare {})", c.disagreements.len() - SHOWN, c.model));
    }
    Some(format!("Sources disagree: {}", line.join("; ")))
}
