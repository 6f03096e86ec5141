//! `llmcost proxy`: the usage-recording OpenAI-compatible proxy.

use super::UsageError;
use crate::config::Settings;
use crate::proxy::{Proxy, Route};
use crate::store::Store;
use crate::track::Budgets;
use crate::track::budget::parse_budget_flag;
use clap::Args;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const EXAMPLES: &str = "\
Examples:
  llmcost proxy --upstream https://openrouter.ai/api/v1
  llmcost proxy --upstream https://api.openai.com/v1 --route anthropic/=https://openrouter.ai/api/v1
  llmcost proxy --api-key-env OPENROUTER_API_KEY --budget app:search=daily:5 --budget user:alice=monthly:50
  OPENAI_BASE_URL=http://127.0.0.1:4000/v1 my-tool ...     # point any OpenAI client at it

Requests may carry x-llmcost-tag, x-llmcost-app and x-llmcost-user headers (not forwarded);
budgets apply to them and to key:HASH (the first 16 hex digits of the API key's SHA-256).
The proxy answers /healthz, /metrics and /api/v1/usage/budgets itself; [proxy] and [budgets]
in the config file hold the same settings.";

/// Arguments of `llmcost proxy`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ProxyArgs {
    /// Address to listen on (default: [proxy] bind, else 127.0.0.1:4000).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// The upstream API base URL (default: [proxy] upstream, else OpenRouter).
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// An upstream for models whose id starts with PREFIX (repeatable; longest prefix wins).
    #[arg(long, value_name = "PREFIX=URL")]
    pub route: Vec<Route>,
    /// The environment variable with the proxy's own API key, sent when a client sends none.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// A spend limit: SELECTOR=daily:USD or SELECTOR=monthly:USD (SELECTOR: app:, user:, key:, tag:).
    #[arg(long, value_name = "SELECTOR=PERIOD:USD")]
    pub budget: Vec<String>,
    /// Do not add stream_options.include_usage to streamed chat requests.
    #[arg(long)]
    pub no_stream_usage: bool,
    /// Threads serving requests. One gives the lowest added latency and forwards ~20,000 req/s
    /// on a 2-core machine; more serve more on a busy many-core host.
    #[arg(long, value_name = "N", default_value_t = 1, env = "LLMCOST_PROXY_WORKERS")]
    pub workers: usize,
    /// A PEM file of root certificates to trust for https upstreams, besides the system's.
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<std::path::PathBuf>,
}

/// Run `llmcost proxy` until SIGINT or SIGTERM.
pub async fn run(store: Box<dyn Store>, mut settings: Settings, args: ProxyArgs) -> anyhow::Result<()> {
    let proxy = &mut settings.proxy;
    if let Some(bind) = args.bind {
        proxy.bind = bind;
    }
    if let Some(upstream) = args.upstream {
        proxy.upstream = upstream;
    }
    proxy.routes.extend(args.route);
    if args.api_key_env.is_some() {
        proxy.api_key_env = args.api_key_env;
    }
    proxy.inject_stream_usage &= !args.no_stream_usage;
    if args.upstream_ca.is_some() {
        proxy.upstream_ca = args.upstream_ca;
    }
    let flags = args.budget.iter().map(|b| parse_budget_flag(b)).collect::<Result<Vec<_>, _>>().map_err(UsageError)?;
    let budgets = Budgets::new(&settings.budgets, flags).map_err(UsageError)?;
    let discounts = match &settings.overrides {
        Some(path) => crate::sources::overrides::load(path)?.discounts,
        None => Vec::new(),
    };
    let store: Arc<dyn Store> = Arc::from(store);
    let proxy = Proxy::build(store, &settings.proxy, budgets, discounts).await?;
    eprintln!("llmcost proxy on http://{} -> {}", proxy.local_addr()?, settings.proxy.upstream);
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        super::serve::wait_for_signal().await;
        tracing::info!("shutting down: finishing requests and flushing usage records");
        signal.cancel();
    });
    let written = proxy.run_until_stopped(shutdown).await?;
    tracing::info!(written, "usage records written");
    Ok(())
}
