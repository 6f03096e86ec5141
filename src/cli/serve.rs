//! `llmcost serve`.

use crate::config::{Secret, Settings};
use crate::server::Application;
use crate::store::Store;
use clap::Args;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const EXAMPLES: &str = "\
Examples:
  LLMCOST_ADMIN_TOKEN=$(openssl rand -hex 24) llmcost serve --bind 0.0.0.0:8080
  llmcost serve --no-scheduler                 # API only; syncs come from elsewhere
  curl localhost:8080/api/v1/models?sort=price&limit=5
  curl -X POST localhost:8080/api/v1/cost -d '{\"model\":\"openai/gpt-4o\",\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":200}}'
  curl -H \"Authorization: Bearer $LLMCOST_ADMIN_TOKEN\" -X POST localhost:8080/api/v1/sync -d '{\"sources\":[\"all\"]}'

The schedule, body limits and timeouts come from the [serve] section of the config file.
The OpenAPI document is at /api/v1/openapi.json; metrics at /metrics.";

/// Arguments of `llmcost serve`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ServeArgs {
    /// Address to listen on (default: [serve] bind, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Do not run scheduled syncs.
    #[arg(long)]
    pub no_scheduler: bool,
}

/// Run `llmcost serve` until SIGINT or SIGTERM.
pub async fn run(store: Box<dyn Store>, mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(bind) = args.bind {
        settings.serve.bind = bind;
    }
    settings.serve.scheduler &= !args.no_scheduler;
    let token = std::env::var("LLMCOST_ADMIN_TOKEN").ok().and_then(Secret::new);
    let store: Arc<dyn Store> = Arc::from(store);
    let app = Application::build(store, settings, token).await?;
    tracing::info!(addr = %app.local_addr()?, "llmcost serving");
    eprintln!("llmcost serving on http://{}", app.local_addr()?);
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing requests and any running sync");
        signal.cancel();
    });
    app.run_until_stopped(shutdown).await?;
    Ok(())
}

pub(super) async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
