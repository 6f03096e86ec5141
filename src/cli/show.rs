//! `llmcost show MODEL`.

use super::UsageError;
use super::output::{num, price, print_json, table, time, time_arg};
use crate::domain::{Component, PriceKey, UnixMs};
use crate::store::{ChangeQuery, ModelRecord, Store, StoredChange};
use clap::Args;
use serde::Serialize;

const EXAMPLES: &str = "\
Examples:
  llmcost show openai/gpt-5.6-sol
  llmcost show openai/gpt-oss-20b:free          # variants and aliases resolve to their model
  llmcost show ~anthropic/claude-opus-latest --json
  llmcost show moonshotai/kimi-k3 --as-of 2026-08-01";

/// Arguments of `llmcost show`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ShowArgs {
    /// Model id or alias.
    pub model: String,
    /// The model as it was at this time.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ShowView<'a> {
    #[serde(flatten)]
    record: &'a ModelRecord,
    recent_changes: &'a [StoredChange],
}

/// Find a model by id or alias, or fail with a usage error naming close candidates.
pub async fn resolve(store: &dyn Store, id: &str) -> anyhow::Result<String> {
    if let Some(m) = store.resolve(id).await? {
        return Ok(m);
    }
    let needle = id.trim_start_matches('~').to_lowercase();
    let mut candidates: Vec<String> = store
        .catalog(None)
        .await?
        .into_iter()
        .map(|r| r.model.id.to_string())
        .filter(|m| m.to_lowercase().contains(&needle) || needle.contains(&m.to_lowercase()))
        .collect();
    candidates.truncate(10);
    let hint = if candidates.is_empty() {
        "Try: llmcost models SEARCH".to_string()
    } else {
        format!("Did you mean one of: {}?", candidates.join(", "))
    };
    Err(UsageError(format!("unknown model {id:?}. {hint}")).into())
}

/// The record of the model an id means, as it was at `as_of` (now when `None`).
pub async fn model_record(
    store: &dyn Store,
    raw: &str,
    as_of: Option<UnixMs>,
) -> anyhow::Result<(String, ModelRecord)> {
    let id = resolve(store, raw).await?;
    let record = store
        .catalog(as_of)
        .await?
        .into_iter()
        .find(|r| r.model.id.as_str() == id)
        .ok_or_else(|| UsageError(format!("{id} did not exist at that time")))?;
    Ok((id, record))
}

/// Run `llmcost show`.
pub async fn run(store: &dyn Store, args: ShowArgs) -> anyhow::Result<()> {
    let as_of = time_arg("--as-of", args.as_of.as_deref())?;
    let (id, record) = model_record(store, &args.model, as_of).await?;
    let changes = store.changes(&ChangeQuery { model: Some(id.clone()), limit: 10, ..ChangeQuery::default() }).await?;
    if args.json {
        return print_json(&ShowView { record: &record, recent_changes: &changes });
    }
    print_record(&record);
    if !changes.is_empty() {
        println!("\nRecent changes:");
        for c in &changes {
            println!("  {}  {}", time(c.at), c.event.describe());
        }
    }
    Ok(())
}

fn print_record(r: &ModelRecord) {
    let m = &r.model;
    println!("{}  {}{}", m.id, m.name, if r.is_active { "" } else { "  (inactive)" });
    if let Some(d) = &m.description {
        println!("  {d}");
    }
    let line = |k: &str, v: String| println!("  {k:<20} {v}");
    line("context", num(m.context_length));
    line("max output", num(m.max_completion_tokens));
    line("modalities", format!("{} -> {}", m.input_modalities.join("+"), m.output_modalities.join("+")));
    if let Some(t) = &m.tokenizer {
        line("tokenizer", t.clone());
    }
    line("parameters", m.supported_parameters.join(", "));
    if let Some(reasoning) = &m.reasoning {
        line("reasoning", reasoning.to_string());
    }
    for (k, v) in [
        ("canonical slug", &m.canonical_slug),
        ("hugging face", &m.hugging_face_id),
        ("knowledge cutoff", &m.knowledge_cutoff),
        ("expires", &m.expiration_date),
    ] {
        if let Some(v) = v {
            line(k, v.clone());
        }
    }
    if let Some(b) = &m.benchmarks {
        line("benchmarks", b.to_string());
    }
    if !r.aliases.is_empty() {
        line("aliases", r.aliases.join(", "));
    }
    line("first seen", time(r.first_seen));
    line("last seen", time(r.last_seen));

    let mut t = table(&[
        "OFFER",
        "QUANT",
        "CONTEXT",
        "INPUT $/M",
        "OUTPUT $/M",
        "CACHE READ $/M",
        "DISCOUNT",
        "STATUS",
        "UPTIME 1D",
    ]);
    let mut offers: Vec<_> = r.offers.iter().collect();
    offers.sort_by_key(|o| {
        (!o.is_active, o.offer.served_by.is_some(), o.offer.listing_id.clone(), o.offer.served_by.clone())
    });
    for o in &offers {
        let base = |c| o.prices.iter().find(|p| p.price.key == PriceKey::base(c)).map(|p| p.price.value);
        let name = match &o.offer.served_by {
            Some(tag) => format!("  {} @ {tag}", o.offer.listing_id),
            None => o.offer.listing_id.clone(),
        };
        t.add_row(vec![
            if o.is_active { name } else { format!("{name} (inactive)") },
            o.offer.quantization.clone().unwrap_or_default(),
            num(o.offer.context_length),
            price(Component::Input, base(Component::Input)),
            price(Component::Output, base(Component::Output)),
            price(Component::CacheRead, base(Component::CacheRead)),
            o.offer.discount.map(|d| d.normalize().to_string()).unwrap_or_default(),
            o.offer.health.status.map(|s| if s == 0 { "ok".into() } else { s.to_string() }).unwrap_or_default(),
            o.offer.health.uptime_1d.map(|u| format!("{u:.1}%")).unwrap_or_default(),
        ]);
    }
    println!("\nOffers:\n{t}");
    if let Some(line) = super::compare::disagreement_line(&crate::compare::compare(r, &Default::default())) {
        println!("{line}");
    }

    let mut details = table(&["OFFER", "PRICE", "VALUE", "SCOPE", "SINCE"]);
    let mut any = false;
    for o in offers.iter().filter(|o| o.is_active && o.offer.served_by.is_none()) {
        for p in &o.prices {
            let k = &p.price.key;
            if matches!(k.component, Component::Input | Component::Output)
                && k.min_prompt_tokens == 0
                && k.condition.is_empty()
            {
                continue;
            }
            any = true;
            details.add_row(vec![
                o.offer.listing_id.clone(),
                k.label(),
                price(k.component, Some(p.price.value)),
                p.price.scope.as_str().to_string(),
                time(p.valid_from),
            ]);
        }
    }
    if any {
        println!("\nOther prices, tiers and windows:\n{details}");
    }
}
