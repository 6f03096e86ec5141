//! `llmcost route MODEL`.

use super::UsageError;
use super::output::{print_json, table};
use super::show::resolve;
use crate::rank::{DEFAULT_MIN_UPTIME, RouteQuery, parse_tokens, route};
use crate::store::Store;
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost route deepseek/deepseek-v4-pro
  llmcost route openai/gpt-oss-20b:free             # the free listing's providers
  llmcost route moonshotai/kimi-k3 --tokens 20000,800 --json

Among healthy endpoints (status 0, uptime over 30 minutes at least --min-uptime), each is
chosen with probability proportional to 1 / cost², cost being the exact cost of the request.";

/// Arguments of `llmcost route`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct RouteArgs {
    /// Model id, alias, or a variant listing (`…:free`).
    pub model: String,
    /// Input and output tokens of the request priced (default 1000,1000).
    #[arg(long, value_name = "IN,OUT", default_value = "1000,1000")]
    pub tokens: String,
    /// Route the model's free listing.
    #[arg(long)]
    pub free: bool,
    /// Lowest uptime (percent, last 30 minutes) of a healthy endpoint.
    #[arg(long, value_name = "PERCENT", default_value_t = DEFAULT_MIN_UPTIME)]
    pub min_uptime: f64,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost route`.
pub async fn run(store: &dyn Store, args: RouteArgs) -> anyhow::Result<()> {
    let (input_tokens, output_tokens) = parse_tokens(&args.tokens).map_err(|e| UsageError(format!("--tokens: {e}")))?;
    if !(0.0..=100.0).contains(&args.min_uptime) {
        return Err(UsageError("--min-uptime must be a percentage between 0 and 100".into()).into());
    }
    let id = resolve(store, &args.model).await?;
    let records = store.catalog(None).await?;
    let record = records
        .iter()
        .find(|r| r.model.id.as_str() == id)
        .ok_or_else(|| UsageError(format!("model {id} is not in the catalog")))?;
    let listing = (args.model != id && record.offers.iter().any(|o| o.offer.listing_id == args.model))
        .then(|| args.model.clone());
    let query = RouteQuery {
        listing,
        free: args.free,
        input_tokens,
        output_tokens,
        min_uptime: args.min_uptime,
        ..RouteQuery::default()
    };
    let routing = route(record, &query).map_err(|e| UsageError(e.to_string()))?;
    if args.json {
        return print_json(&routing);
    }
    let mut t =
        table(&["PROVIDER", "INPUT $/M", "OUTPUT $/M", "DISCOUNT", "REQUEST $", "STATUS", "UPTIME 30M", "P", "NOTE"]);
    let money = |d: Option<rust_decimal::Decimal>| d.map_or_else(|| "-".into(), |d| format!("${d}"));
    for o in &routing.offers {
        t.add_row(vec![
            o.provider.clone(),
            money(o.input_per_million),
            money(o.output_per_million),
            o.discount
                .map_or_else(String::new, |d| format!("{}%", (d * rust_decimal::Decimal::ONE_HUNDRED).normalize())),
            money(o.request_cost),
            o.status.map_or_else(|| "-".into(), |s| s.to_string()),
            o.uptime_30m.map_or_else(|| "-".into(), |u| format!("{u:.1}%")),
            o.probability.round_dp(4).to_string(),
            o.excluded.clone().unwrap_or_default(),
        ]);
    }
    println!(
        "Routing of {} ({} input + {} output tokens):\n{t}",
        routing.listing_id, routing.input_tokens, routing.output_tokens
    );
    match (&routing.cheapest, routing.expected_cost) {
        (Some(cheapest), Some(expected)) => {
            println!("cheapest healthy provider: {cheapest}; expected cost of the request: ${expected}")
        }
        _ => println!("no healthy provider: requests to {} would fail", routing.listing_id),
    }
    println!("healthy: {}", routing.how.healthy);
    println!("probability: {}", routing.how.probability);
    Ok(())
}
