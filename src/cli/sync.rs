//! `llmcost sync`.

use super::UsageError;
use super::alerts::PendingAlerts;
use super::output::{duration_arg, print_json, time_arg};
use crate::config::Settings;
use crate::domain::{RunStatus, RunTrigger};
use crate::sources::Source;
use crate::store::Store;
use crate::sync::{self, Inclusion, SyncInput, SyncReport, SyncRequest};
use clap::Args;
use rust_decimal::Decimal;
use std::io::IsTerminal;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  llmcost sync                                  # network, endpoints included
  llmcost sync --dry-run                        # show what would change
  llmcost sync --no-endpoints --json            # catalog only, machine-readable
  llmcost sync --offline                        # the bundled snapshot
  llmcost sync --source all                     # OpenRouter, LiteLLM, genai-prices, models.dev
  llmcost sync --source litellm --url https://example.com/model_prices.json
  llmcost sync --from-file models.json --observed-at 2026-07-17
  llmcost sync --require-params structured_outputs,response_format --output-modalities text
  llmcost sync --min-interval 1h               # from cron: skip if synced within the hour
  llmcost sync --wait --lock-ttl 2m            # wait for a sync running elsewhere";

/// Which upstream to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    /// OpenRouter's models and provider endpoints.
    Openrouter,
    /// LiteLLM's price file.
    Litellm,
    /// pydantic's genai-prices data.
    GenaiPrices,
    /// models.dev's api.json.
    ModelsDev,
    /// The overrides file (--overrides / LLMCOST_OVERRIDES / `overrides` in the config).
    Overrides,
    /// Every source, one after another (each its own transaction); overrides when configured.
    All,
}

impl SourceArg {
    fn sources(list: &[SourceArg], with_overrides: bool) -> Vec<Source> {
        let mut out: Vec<Source> = Vec::new();
        for s in list {
            let add: &[Source] = match s {
                SourceArg::Openrouter => &[Source::Openrouter],
                SourceArg::Litellm => &[Source::Litellm],
                SourceArg::GenaiPrices => &[Source::GenaiPrices],
                SourceArg::ModelsDev => &[Source::ModelsDev],
                SourceArg::Overrides => &[Source::Overrides],
                SourceArg::All if with_overrides => {
                    &[Source::Openrouter, Source::Litellm, Source::GenaiPrices, Source::ModelsDev, Source::Overrides]
                }
                SourceArg::All => &Source::ALL,
            };
            for source in add {
                if !out.contains(source) {
                    out.push(*source);
                }
            }
        }
        out
    }
}

/// Arguments of `llmcost sync`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXAMPLES)]
pub struct SyncArgs {
    /// The sources to sync (comma-separated, or `all`).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "openrouter")]
    pub source: Vec<SourceArg>,
    /// The URL of a price list's data file (with a single price-list source).
    #[arg(long, value_name = "URL", conflicts_with_all = ["offline", "from_file"])]
    pub url: Option<String>,
    /// Use the catalog bundled in the binary instead of the network.
    #[arg(long, conflicts_with = "from_file")]
    pub offline: bool,
    /// Import a saved `GET /models` response (envelope or bare array).
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
    /// Record the data as observed at this time (RFC 3339, date or unix seconds), for
    /// importing saved catalogs in order; must be after every recorded change.
    #[arg(long, value_name = "TIME")]
    pub observed_at: Option<String>,
    /// OpenRouter API base URL.
    #[arg(long, env = "LLMCOST_OPENROUTER_URL", value_name = "URL")]
    pub openrouter_url: Option<String>,
    /// Skip per-provider endpoints.
    #[arg(long)]
    pub no_endpoints: bool,
    /// Include models of every output modality (images, audio, video, embeddings).
    #[arg(long)]
    pub all_modalities: bool,
    /// Endpoint requests in flight at once.
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Retries on 429, 5xx and timeouts.
    #[arg(long, value_name = "N")]
    pub retries: Option<usize>,
    /// Show what would change; write nothing to the catalog.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply even a fetch far smaller than the catalog, and ignore 304/identical-content shortcuts.
    #[arg(long)]
    pub force: bool,
    /// Refuse fetches with fewer than this fraction of the active listings.
    #[arg(long, value_name = "RATIO")]
    pub min_ratio: Option<Decimal>,
    /// Flag price changes beyond this percent as alerts.
    #[arg(long, value_name = "PERCENT")]
    pub alert_threshold: Option<Decimal>,
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    /// Required supported parameters (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub require_params: Vec<String>,
    /// Allowed input modalities (comma-separated; `text` = text-only input).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub input_modalities: Vec<String>,
    /// Allowed output modalities (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub output_modalities: Vec<String>,
    /// Only these authors (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub authors: Vec<String>,
    /// Never these authors.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub exclude_authors: Vec<String>,
    /// Only endpoints of these providers.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub providers: Vec<String>,
    /// Never endpoints of these providers.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub exclude_providers: Vec<String>,
    /// Free models: include, exclude or only.
    #[arg(long, value_enum, value_name = "WHICH")]
    pub free: Option<Inclusion>,
    /// Variable-priced (router) models: include, exclude or only.
    #[arg(long, value_enum, value_name = "WHICH")]
    pub variable: Option<Inclusion>,
    /// Wait for a sync running elsewhere on this database instead of failing at once.
    #[arg(long)]
    pub wait: bool,
    /// How long the sync lease lasts without renewal: a crashed holder blocks others this
    /// long (default 5m).
    #[arg(long, value_name = "DURATION")]
    pub lock_ttl: Option<String>,
    /// Skip the sync (successfully) when the last sync of the source finished less than
    /// this long ago; --force overrides.
    #[arg(long, value_name = "DURATION")]
    pub min_interval: Option<String>,
    /// Then export the catalog into the application's table (see `llmcost export`).
    #[arg(long)]
    pub export: bool,
    /// Where `--export` writes.
    #[command(flatten)]
    pub export_target: super::export::TargetArgs,
}

fn override_list(target: &mut Vec<String>, flag: Vec<String>) {
    if !flag.is_empty() {
        *target = flag.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    }
}

fn request(mut settings: Settings, args: SyncArgs, source: Source, progress: bool) -> anyhow::Result<SyncRequest> {
    let or = &mut settings.openrouter;
    if let Some(url) = args.openrouter_url {
        or.url = url;
    }
    or.endpoints &= !args.no_endpoints;
    or.all_modalities |= args.all_modalities;
    if let Some(n) = args.concurrency {
        or.concurrency = n;
    }
    if let Some(t) = args.timeout {
        or.timeout_secs = t;
    }
    if let Some(r) = args.retries {
        or.retries = r;
    }
    let f = &mut settings.filter;
    override_list(&mut f.require_parameters, args.require_params);
    override_list(&mut f.input_modalities, args.input_modalities);
    override_list(&mut f.output_modalities, args.output_modalities);
    override_list(&mut f.authors, args.authors);
    override_list(&mut f.exclude_authors, args.exclude_authors);
    override_list(&mut f.providers, args.providers);
    override_list(&mut f.exclude_providers, args.exclude_providers);
    if let Some(free) = args.free {
        f.free = free;
    }
    if let Some(v) = args.variable {
        f.variable = v;
    }
    let min_ratio = args.min_ratio.unwrap_or(settings.sync.min_ratio);
    if min_ratio.is_sign_negative() || min_ratio > Decimal::ONE {
        return Err(UsageError(format!("--min-ratio {min_ratio} must be between 0 and 1")).into());
    }
    let lock_ttl = args.lock_ttl.as_deref().map(|d| duration_arg("--lock-ttl", d)).transpose()?;
    let min_interval = args.min_interval.as_deref().map(|d| duration_arg("--min-interval", d)).transpose()?;
    let observed_at = time_arg("--observed-at", args.observed_at.as_deref())?;
    if source == Source::Overrides {
        if let Some(path) = &args.from_file {
            settings.overrides = Some(path.clone());
        }
    }
    let mut req = SyncRequest::configured(&settings, source, RunTrigger::Cli).map_err(UsageError)?;
    if source != Source::Overrides {
        req.input = match (args.offline, args.from_file) {
            (true, _) => SyncInput::Offline,
            (false, Some(path)) => SyncInput::File(path),
            (false, None) => SyncInput::Network,
        };
    }
    req.url = args.url;
    req.dry_run = args.dry_run;
    req.force = args.force;
    req.min_ratio = min_ratio;
    req.alert_threshold_percent = args.alert_threshold.unwrap_or(settings.sync.alert_threshold_percent);
    req.observed_at = observed_at;
    req.progress = progress;
    req.lock.wait = args.wait;
    req.lock.ttl = lock_ttl.unwrap_or(req.lock.ttl);
    req.min_interval = min_interval.or(req.min_interval);
    Ok(req)
}

/// Run `llmcost sync`, then wait for its alerts: they go out after each source's commit,
/// and their failures are warnings that never change the outcome.
pub async fn run(store: &dyn Store, settings: Settings, args: SyncArgs, quiet: bool) -> anyhow::Result<()> {
    let mut alerts = PendingAlerts::new(&settings, quiet);
    let result = run_sources(store, settings, args, quiet, &mut alerts).await;
    alerts.finish().await;
    result
}

async fn run_sources(
    store: &dyn Store,
    settings: Settings,
    args: SyncArgs,
    quiet: bool,
    alerts: &mut PendingAlerts,
) -> anyhow::Result<()> {
    let json = args.json;
    let progress = !json && !quiet && std::io::stderr().is_terminal();
    let sources = SourceArg::sources(&args.source, settings.overrides.is_some());
    if sources.len() > 1 && (args.from_file.is_some() || args.observed_at.is_some()) {
        return Err(UsageError("--from-file and --observed-at take a single --source".into()).into());
    }
    if args.url.is_some() && (sources.len() > 1 || sources.first() == Some(&Source::Openrouter)) {
        return Err(UsageError("--url takes a single price-list --source (OpenRouter: --openrouter-url)".into()).into());
    }
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for source in &sources {
        let req = request(settings.clone(), args.clone(), *source, progress)?;
        match sync::run(store, &req).await {
            Ok(report) => {
                if !json {
                    if let Some(reason) = report.fallback_reason.as_ref().filter(|_| !quiet) {
                        eprintln!(
                            "WARNING: NETWORK UNREACHABLE. Synced from the bundled snapshot instead.\n  {reason}"
                        );
                    }
                    print_summary(&report);
                }
                alerts.synced(&report);
                reports.push(report);
            }
            Err(err) => {
                alerts.failed(source.name(), &err);
                if sources.len() == 1 {
                    return Err(err.into());
                }
                eprintln!("error: {} sync failed: {err}", source.name());
                failures.push(source.name());
            }
        }
    }
    let export = if args.export && failures.is_empty() && !args.dry_run {
        Some(super::export::export_to(store, &settings, &args.export_target, None, false).await?)
    } else {
        if args.export && args.dry_run && !quiet {
            eprintln!("--dry-run: nothing synced, so nothing exported");
        }
        None
    };
    if json {
        let sync = match reports.as_slice() {
            [one] if sources.len() == 1 => serde_json::to_value(one)?,
            all => serde_json::to_value(all)?,
        };
        match &export {
            // One JSON document on stdout: the sync report, and the export's beside it.
            Some(e) => print_json(&serde_json::json!({ "sync": sync, "export": e }))?,
            None => print_json(&sync)?,
        }
    } else if let Some(e) = &export {
        super::export::print_report(e)?;
    }
    if !failures.is_empty() {
        return Err(anyhow::anyhow!(
            "{} of {} sources failed: {}; nothing exported",
            failures.len(),
            sources.len(),
            failures.join(", ")
        ));
    }
    Ok(())
}

/// Events listed in the summary; the rest are one `llmcost changes` away.
const SUMMARY_EVENTS: usize = 20;

fn print_summary(r: &SyncReport) {
    for id in &r.abandoned_runs {
        println!("run #{id} was left running by a process that died: marked abandoned");
    }
    let Some(run_id) = r.run_id else {
        println!("{} sync {}", r.source, r.skipped_reason.as_deref().unwrap_or("skipped"));
        return;
    };
    let verb = match r.status {
        RunStatus::DryRun => "dry run (nothing written)",
        RunStatus::NoChange => "no change",
        _ => "succeeded",
    };
    println!("{} sync #{run_id} {verb} in {} ms from {}", r.source, r.duration_ms, r.origin.as_str());
    if r.status == RunStatus::NoChange {
        println!("  upstream unchanged since the last sync (304 or identical content)");
        return;
    }
    println!(
        "  fetched  {} models, {} offers (endpoints for {} listings)",
        r.models_seen, r.offers_seen, r.endpoints_fetched
    );
    println!(
        "  models   +{} added  -{} removed  {} reactivated",
        r.models_added, r.models_removed, r.models_reactivated
    );
    println!("  offers   +{} added  -{} removed", r.offers_added, r.offers_removed);
    println!("  prices   {} changed, {} alerts", r.prices_changed, r.alerts);
    // Alerts first, then removals and re-pricings, additions last; offer additions are
    // implied by model additions and left to `llmcost changes`.
    let rank = |e: &crate::domain::ChangeEvent| {
        use crate::domain::ChangeKind::*;
        match e.kind {
            _ if e.is_alert => 0,
            ModelRemoved | OfferRemoved | ModelReactivated | OfferReactivated => 1,
            PriceChanged | ContextChanged | CapabilityChanged => 2,
            AliasRetargeted | AliasRemoved | AliasAdded => 3,
            ModelAdded => 4,
            OfferAdded => 5,
        }
    };
    let mut interesting: Vec<_> = r.events.iter().filter(|e| rank(e) < 5).collect();
    interesting.sort_by_key(|e| rank(e));
    if !interesting.is_empty() {
        println!("changes:");
        for e in interesting.iter().take(SUMMARY_EVENTS) {
            println!("  {}", e.describe());
        }
        if interesting.len() > SUMMARY_EVENTS {
            let more = interesting.len() - SUMMARY_EVENTS;
            if r.status == RunStatus::DryRun {
                println!("  … and {more} more (use --json to see all)");
            } else {
                println!("  … and {more} more: llmcost changes --run {run_id}");
            }
        }
    }
}
