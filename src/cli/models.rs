//! `llmcost models`.

use super::output::{date_secs, num, price, print_json, table, time_arg};
use crate::catalog::{ModelQuery, SortKey, select};
use crate::domain::Component;
use crate::store::Store;
use clap::Args;
use rust_decimal::Decimal;

const EXAMPLES: &str = "\
Examples:
  llmcost models claude                         # search ids and names
  llmcost models --sort price --limit 20        # the cheapest
  llmcost models --free --supports tools
  llmcost models --author openai --sort date --desc
  llmcost models --as-of 2026-07-01 --csv > catalog.csv";

/// Arguments of `llmcost models`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ModelsArgs {
    /// Text to find in ids and names (case-insensitive).
    pub search: Option<String>,
    /// Only this author (`openai`).
    #[arg(long)]
    pub author: Option<String>,
    /// Only models with a free offer.
    #[arg(long)]
    pub free: bool,
    /// Only models supporting these parameters (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub supports: Vec<String>,
    /// Only models taking this input modality.
    #[arg(long, value_name = "MODALITY")]
    pub input: Option<String>,
    /// Only models producing this output modality.
    #[arg(long, value_name = "MODALITY")]
    pub output: Option<String>,
    /// Only models with at least this context window.
    #[arg(long, value_name = "TOKENS")]
    pub min_context: Option<i64>,
    /// Only models whose input costs at most this many USD per million tokens.
    #[arg(long, value_name = "USD")]
    pub max_price: Option<Decimal>,
    /// Include deactivated models.
    #[arg(long)]
    pub all: bool,
    /// The catalog as it was at this time (RFC 3339, date or unix seconds).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Order by.
    #[arg(long, value_enum, default_value = "id")]
    pub sort: SortKey,
    /// Reverse the order.
    #[arg(long)]
    pub desc: bool,
    /// At most this many.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// JSON on stdout.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV on stdout (prices per million tokens).
    #[arg(long)]
    pub csv: bool,
}

/// Run `llmcost models`.
pub async fn run(store: &dyn Store, args: ModelsArgs) -> anyhow::Result<()> {
    let as_of = time_arg("--as-of", args.as_of.as_deref())?;
    let records = store.catalog(as_of).await?;
    let query = ModelQuery {
        search: args.search,
        author: args.author,
        free: args.free,
        supports: args.supports,
        input_modality: args.input,
        output_modality: args.output,
        min_context: args.min_context,
        max_input_per_million: args.max_price,
        include_inactive: args.all,
        sort: args.sort,
        desc: args.desc,
        limit: args.limit,
    };
    let rows = select(&records, &query);
    if args.json {
        return print_json(&rows);
    }
    if args.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record([
            "id",
            "name",
            "active",
            "context_length",
            "input_per_million",
            "output_per_million",
            "created",
            "variants",
            "providers",
            "free",
        ])?;
        for r in &rows {
            let per_m = |v: Option<crate::domain::PriceValue>| match v {
                Some(crate::domain::PriceValue::Fixed(d)) => crate::domain::per_million(d).to_string(),
                Some(crate::domain::PriceValue::Variable) => "variable".into(),
                None => String::new(),
            };
            w.write_record([
                r.id.clone(),
                r.name.clone(),
                r.is_active.to_string(),
                r.context_length.map(|c| c.to_string()).unwrap_or_default(),
                per_m(r.input),
                per_m(r.output),
                date_secs(r.created),
                r.variants.join(" "),
                r.providers.to_string(),
                r.free.to_string(),
            ])?;
        }
        w.flush()?;
        return Ok(());
    }
    if rows.is_empty() {
        println!("No models match. Has the catalog been synced? Try: llmcost sync");
        return Ok(());
    }
    let mut t = table(&["MODEL", "NAME", "CONTEXT", "INPUT $/M", "OUTPUT $/M", "CREATED", "VARIANTS", "PROVIDERS"]);
    for r in &rows {
        let id = if r.is_active { r.id.clone() } else { format!("{} (inactive)", r.id) };
        t.add_row(vec![
            id,
            r.name.clone(),
            num(r.context_length),
            price(Component::Input, r.input),
            price(Component::Output, r.output),
            date_secs(r.created),
            r.variants.join(" "),
            r.providers.to_string(),
        ]);
    }
    println!("{t}");
    println!("{} models", rows.len());
    Ok(())
}
