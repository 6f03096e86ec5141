//! The `llmcost` command line: one module per subcommand, sharing output helpers.

mod alerts;
mod benchmarks;
mod changes;
mod chat;
mod compare;
mod cost;
mod export;
mod history;
mod models;
mod output;
mod proxy;
mod rank;
mod route;
mod runs;
mod serve;
mod show;
mod status;
mod sync;
mod usage;
mod verify;

use crate::config::Settings;
use crate::store::{self, Store};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the span fields (request id, route).
    Json,
}

/// A mistake in how the command was called: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

const EXAMPLES: &str = "\
Examples:
  llmcost sync                       # fetch OpenRouter (bundled snapshot when offline)
  llmcost models --sort price --limit 20
  llmcost show anthropic/claude-sonnet-5
  llmcost compare openai/gpt-4o
  llmcost history openai/gpt-5.6-sol --since 90d
  llmcost changes --since 7d --kind price_changed
  llmcost cost openai/gpt-4o --input 12000 --cached 8000 --output 900
  llmcost rank --category coding --free          # the best free model for coding
  llmcost route deepseek/deepseek-v4-pro --tokens 20000,800
  llmcost benchmarks import evals.csv
  llmcost status
  llmcost export --to postgres://app@db/app
  llmcost alerts test                # a sample alert to every configured webhook
  llmcost proxy --upstream https://openrouter.ai/api/v1 --budget app:search=daily:5
  llmcost usage --since 7d --by model
  llmcost chat --model openai/gpt-4o-mini 'Hello'
  llmcost verify --sample 100

Environment:
  LLMCOST_DB              database URL (default: sqlite file in the platform data dir)
  LLMCOST_CONFIG          config file (default: ./llmcost.toml when present)
  LLMCOST_OVERRIDES       overrides file (negotiated prices, custom models, discounts)
  LLMCOST_OPENROUTER_URL  OpenRouter API base URL
  LLMCOST_EXPORT_TO       the application's database for `export` and `sync --export`
  OPENROUTER_API_KEY      sent as a bearer token (optional for the catalog)
  RUST_LOG                log filter (e.g. llmcost=debug)

Exit codes: 0 ok, 1 failure, 2 usage error.";

/// Exact LLM model catalog: prices, price history and changes, synced from OpenRouter.
#[derive(Debug, Parser)]
#[command(name = "llmcost", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Database URL (sqlite:PATH or postgres://USER@HOST/DB).
    #[arg(long, global = true, env = "LLMCOST_DB", value_name = "URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Config file (TOML) with [openrouter], [sync], [filter], [export] and [alerts] sections.
    #[arg(long, global = true, env = "LLMCOST_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Overrides file (TOML): negotiated prices, custom models and discounts.
    #[arg(long, global = true, env = "LLMCOST_OVERRIDES", value_name = "PATH")]
    pub overrides: Option<PathBuf>,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log lines as text or as one JSON object per line (for log shippers).
    #[arg(long, global = true, value_enum, default_value = "text", env = "LLMCOST_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch the catalog and record what changed.
    Sync(Box<sync::SyncArgs>),
    /// List models with their prices.
    Models(models::ModelsArgs),
    /// Everything known about one model.
    Show(show::ShowArgs),
    /// A model's prices at every provider and source side by side, with disagreements.
    Compare(compare::CompareArgs),
    /// A model's price history.
    History(history::HistoryArgs),
    /// The exact cost of a request (or a batch of them) from its token usage.
    Cost(cost::CostArgs),
    /// What changed in the catalog.
    Changes(changes::ChangesArgs),
    /// Recent sync runs.
    Runs(runs::RunsArgs),
    /// Upsert the catalog into an application's own table (llm_models).
    Export(export::ExportArgs),
    /// Serve the REST API, admin sync jobs, the scheduler and metrics.
    Serve(serve::ServeArgs),
    /// The state of the catalog and the last sync.
    Status(status::StatusArgs),
    /// Webhook alerts on price changes, new and removed models and failed syncs.
    Alerts(alerts::AlertsArgs),
    /// Rank models by cost efficiency, benchmark performance and both, with the Pareto frontier.
    Rank(rank::RankArgs),
    /// How requests to a model spread over its providers, and what one is expected to cost.
    Route(route::RouteArgs),
    /// Benchmark scores: list them (normalised) or import more from CSV/JSON.
    Benchmarks(benchmarks::BenchmarksArgs),
    /// A transparent OpenAI-compatible proxy that records every request's usage and cost.
    Proxy(proxy::ProxyArgs),
    /// Recorded spend and tokens by model, provider, tag or day.
    Usage(usage::UsageArgs),
    /// Ask a model and see what the answer cost.
    Chat(chat::ChatArgs),
    /// Check recorded provider costs against the catalog's prices.
    Verify(verify::VerifyArgs),
}

impl Cli {
    /// The runtime's worker threads when the command sets them (`proxy --workers`).
    pub fn worker_threads(&self) -> Option<usize> {
        match &self.command {
            Command::Proxy(args) => Some(args.workers.max(1)),
            _ => None,
        }
    }
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(db) = cli.db.clone() {
        settings.db = Some(db);
    }
    if let Some(path) = cli.overrides.clone() {
        settings.overrides = Some(path);
    }
    let url = settings.database_url()?;
    let store = store::open(&url).await?;
    let command = match cli.command {
        Command::Serve(args) => return serve::run(store, settings, args).await,
        Command::Proxy(args) => return proxy::run(store, settings, args).await,
        other => other,
    };
    let store: &dyn Store = store.as_ref();
    match command {
        Command::Sync(args) => sync::run(store, settings, *args, cli.quiet).await,
        Command::Models(args) => models::run(store, args).await,
        Command::Show(args) => show::run(store, args).await,
        Command::Compare(args) => compare::run(store, args).await,
        Command::History(args) => history::run(store, args).await,
        Command::Cost(args) => cost::run(store, &settings, args).await,
        Command::Changes(args) => changes::run(store, args).await,
        Command::Runs(args) => runs::run(store, args).await,
        Command::Export(args) => export::run(store, &settings, args).await,
        Command::Serve(_) | Command::Proxy(_) => Ok(()),
        Command::Usage(args) => usage::run(store, args).await,
        Command::Chat(args) => chat::run(store, &settings, args).await,
        Command::Verify(args) => verify::run(store, &settings, args).await,
        Command::Status(args) => status::run(store, &url, args).await,
        Command::Alerts(args) => alerts::run(&settings, args).await,
        Command::Rank(args) => rank::run(store, args).await,
        Command::Route(args) => route::run(store, args).await,
        Command::Benchmarks(args) => benchmarks::run(store, args).await,
    }
}
