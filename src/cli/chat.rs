//! `llmcost chat`: ask a model through an OpenAI-compatible API and see what the answer cost.

use super::UsageError;
use super::output::print_json;
use crate::config::{Secret, Settings};
use crate::store::Store;
use crate::track::{ChatRequest, CostSource, CostTrackingClient, Endpoint, UsageRecord, UsageTags};
use clap::Args;
use std::io::Read;
use std::sync::Arc;

const EXAMPLES: &str = "\
Examples:
  llmcost chat --model openai/gpt-4o-mini 'Explain static typing in one sentence'
  echo 'Summarise: ...' | llmcost chat --model anthropic/claude-sonnet-5 --json
  llmcost chat --provider openai --model gpt-4o-mini --system 'Be terse' 'Hi'
  llmcost chat --provider http://127.0.0.1:4000/v1 --model openai/gpt-4o-mini 'Hi'

The answer goes to stdout, its cost to stderr (with --json, both to stdout as
{response, usage, cost: {total_usd, breakdown, source}}). The cost is the response's usage.cost
when present, else OpenRouter's /generation figure, else the engine's price from the catalog.
Keys: OPENROUTER_API_KEY (OpenRouter), OPENAI_API_KEY (OpenAI; for a URL, either).";

/// Arguments of `llmcost chat`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ChatArgs {
    /// The model id as the API names it.
    #[arg(long, short)]
    pub model: String,
    /// `openrouter` (default), `openai`, or an OpenAI-compatible API base URL.
    #[arg(long, default_value = "openrouter")]
    pub provider: String,
    /// A system prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// The prompt (read from stdin when absent).
    pub prompt: Option<String>,
    /// JSON output: {response, usage, cost}.
    #[arg(long)]
    pub json: bool,
    /// Do not look up or compute the cost (and record nothing).
    #[arg(long)]
    pub no_track_cost: bool,
    /// Tag the recorded usage with this application name.
    #[arg(long)]
    pub app: Option<String>,
}

fn key(var: &str) -> Option<Secret> {
    std::env::var(var).ok().and_then(Secret::new)
}

/// Run `llmcost chat`.
pub async fn run(store: &dyn Store, settings: &Settings, args: ChatArgs) -> anyhow::Result<()> {
    let (base, api_key, provider) = match args.provider.as_str() {
        "openrouter" => (settings.openrouter.url.clone(), key("OPENROUTER_API_KEY"), Some("openrouter".to_string())),
        "openai" => ("https://api.openai.com/v1".to_string(), key("OPENAI_API_KEY"), Some("openai".to_string())),
        url if url.starts_with("http://") || url.starts_with("https://") => {
            (url.to_string(), key("OPENAI_API_KEY").or_else(|| key("OPENROUTER_API_KEY")), None)
        }
        other => {
            return Err(
                UsageError(format!("--provider {other:?}: expected openrouter, openai or an http(s) URL")).into()
            );
        }
    };
    let prompt = match args.prompt {
        Some(p) => p,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
    };
    if prompt.trim().is_empty() {
        return Err(UsageError("no prompt: pass it as an argument or on stdin".into()).into());
    }
    let book = if args.no_track_cost {
        None
    } else {
        match super::cost::price_book(store, settings.overrides.as_deref()).await {
            Ok(b) => Some(Arc::new(b)),
            Err(e) => {
                tracing::warn!(error = %e, "no catalog: the engine cannot price the answer");
                None
            }
        }
    };
    let client =
        CostTrackingClient::new(&base, api_key.clone(), provider.clone(), book)?.track_cost(!args.no_track_cost);
    let started = std::time::Instant::now();
    let at = super::output::now();
    let outcome = client.chat(&ChatRequest { model: args.model.clone(), system: args.system, prompt }).await?;
    if let Some(cost) = &outcome.cost {
        let usage = outcome.usage.clone().unwrap_or_default();
        let record = UsageRecord {
            at,
            request_id: outcome.response.get("id").and_then(|v| v.as_str()).unwrap_or("chat").to_string(),
            endpoint: Endpoint::ChatCompletions,
            model_requested: Some(args.model.clone()),
            model: outcome.response.get("model").and_then(|v| v.as_str()).map(str::to_string),
            offer_key: None,
            provider: outcome.response.get("provider").and_then(|v| v.as_str()).map(str::to_string),
            upstream: provider
                .or_else(|| reqwest::Url::parse(&base).ok().and_then(|u| u.host_str().map(str::to_string))),
            streamed: false,
            status: 200,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            provider_cost: cost.total_usd.filter(|_| cost.source.is_provider()),
            engine_cost: cost.engine_usd,
            cost: cost.total_usd,
            cost_source: cost.source,
            pricing_error: cost.note.clone(),
            usage,
            tags: UsageTags {
                app: args.app.clone().or_else(|| Some("llmcost-chat".into())),
                key_hash: api_key.as_ref().map(|k| UsageTags::hash_key(k.expose())),
                ..Default::default()
            },
        };
        if let Err(e) = store.insert_usage(&[record]).await {
            tracing::warn!(error = %e, "could not record the usage");
        }
    }
    if args.json {
        return print_json(&outcome);
    }
    println!("{}", outcome.text().unwrap_or_default());
    if let Some(cost) = &outcome.cost {
        let source = match cost.source {
            CostSource::Reported => "reported by the provider (usage.cost)",
            CostSource::Generation => "reported by OpenRouter's /generation",
            CostSource::Engine => "computed from the catalog's prices",
            CostSource::Unpriced => "unknown",
        };
        let total = cost.total_usd.map_or_else(|| "unknown".into(), |t| format!("${t}"));
        eprintln!("cost: {total} ({source})");
        for line in &cost.breakdown {
            eprintln!("  {:<20} {:>9} × ${} = ${}", line.bucket, line.quantity, line.unit_price, line.amount);
        }
        if let Some(note) = &cost.note {
            eprintln!("  note: {note}");
        }
    }
    Ok(())
}
