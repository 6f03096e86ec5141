//! `llmcost alerts`, and the delivery of a sync's alerts before the process exits.

use super::UsageError;
use super::output::print_json;
use crate::alerts::{Alert, AlertSettings, Delivery, Notifier, alerts_from_report, is_alert_failure};
use crate::config::Settings;
use crate::sync::{SyncError, SyncReport};
use clap::{Args, Subcommand};
use std::time::Duration;
use tokio::task::JoinHandle;

const EXAMPLES: &str = "\
Examples:
  llmcost alerts test                   # a sample of each alert to every [[alerts.webhooks]] target
  llmcost alerts test --target slack    # to the target named `slack` only

Configuration (llmcost.toml):
  [[alerts.webhooks]]
  name = \"slack\"
  url = \"https://hooks.slack.com/services/T000/B000/XXXX\"   # a secret: never printed
  format = \"slack\"                                          # or json (the default)
  events = [\"price_change\", \"new_model\", \"removed_model\", \"sync_failed\"]";

/// Arguments of `llmcost alerts`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct AlertsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AlertsCommand,
}

/// The `alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Send a sample alert of each kind, marked as a test, to the configured webhooks.
    Test(TestArgs),
}

/// Arguments of `llmcost alerts test`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TestArgs {
    /// Only the webhook with this name.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// Machine-readable outcomes on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `llmcost alerts`.
pub async fn run(settings: &Settings, args: AlertsArgs) -> anyhow::Result<()> {
    match args.command {
        AlertsCommand::Test(args) => test(&settings.alerts, args).await,
    }
}

async fn test(settings: &AlertSettings, args: TestArgs) -> anyhow::Result<()> {
    if settings.webhooks.is_empty() {
        return Err(
            UsageError("no webhooks configured: add [[alerts.webhooks]] with a url to the config".into()).into()
        );
    }
    let mut settings = settings.clone();
    if let Some(name) = &args.target {
        let known: Vec<String> = settings.webhooks.iter().map(|t| t.label()).collect();
        settings.webhooks.retain(|t| t.name.as_deref() == Some(name.as_str()));
        if settings.webhooks.is_empty() {
            return Err(UsageError(format!("no webhook named {name:?}; configured: {}", known.join(", "))).into());
        }
    }
    let notifier = Notifier::new(&settings)?;
    let samples = Alert::samples();
    let deliveries = notifier.deliver(&samples).await;
    let skipped: Vec<String> =
        notifier.targets().iter().filter(|t| t.select(&samples).is_empty()).map(|t| t.label()).collect();
    if args.json {
        print_json(&serde_json::json!({ "deliveries": deliveries, "skipped": skipped }))?;
    } else {
        for d in &deliveries {
            let attempts = format!("{} attempt{}", d.attempts, if d.attempts == 1 { "" } else { "s" });
            match &d.error {
                None => println!(
                    "delivered  {}: {} sample alerts, HTTP {}, {attempts}, {} ms",
                    d.target,
                    d.alerts,
                    d.status.map_or_else(|| "?".into(), |s| s.to_string()),
                    d.elapsed_ms
                ),
                Some(error) => println!("failed     {}: {error} ({attempts})", d.target),
            }
        }
        for label in &skipped {
            println!("skipped    {label}: its events list is empty");
        }
    }
    let failed = deliveries.iter().filter(|d| !d.delivered).count();
    if failed > 0 {
        return Err(anyhow::anyhow!("{failed} of {} webhooks failed", deliveries.len()));
    }
    Ok(())
}

/// A sync's alert deliveries in flight: started after each source's sync, awaited before
/// the process exits, and reported as warnings only. They never change the sync's outcome.
pub(super) struct PendingAlerts {
    notifier: Option<Notifier>,
    handles: Vec<JoinHandle<Vec<Delivery>>>,
    quiet: bool,
}

impl PendingAlerts {
    /// Deliveries to the configured webhooks; none configured (or a bad one) means none.
    pub(super) fn new(settings: &Settings, quiet: bool) -> Self {
        let notifier = if settings.alerts.webhooks.is_empty() {
            None
        } else {
            match Notifier::new(&settings.alerts) {
                Ok(n) => Some(n),
                Err(e) => {
                    // A broken alert setting must not stop the catalog from syncing.
                    if !quiet {
                        eprintln!("warning: alerts disabled: {e}");
                    }
                    None
                }
            }
        };
        Self { notifier, handles: Vec::new(), quiet }
    }

    /// Send the alerts of a sync that has committed (none for dry runs and no-ops).
    pub(super) fn synced(&mut self, report: &SyncReport) {
        if let Some(n) = &self.notifier {
            let alerts = alerts_from_report(report);
            if !alerts.is_empty() {
                self.handles.push(n.dispatch(alerts));
            }
        }
    }

    /// Send the alert of a failed sync.
    pub(super) fn failed(&mut self, source: &str, err: &SyncError) {
        if let Some(n) = self.notifier.as_ref().filter(|_| is_alert_failure(err)) {
            self.handles.push(n.dispatch(vec![Alert::sync_failed(source, &err.to_string())]));
        }
    }

    /// Wait for every delivery (bounded by the notifier's budget) and warn about failures.
    pub(super) async fn finish(self) {
        let Some(notifier) = self.notifier else { return };
        // Deliveries give up on their own within the budget; the margin only guards
        // against a receiver that never lets go.
        let deadline = tokio::time::Instant::now() + notifier.budget() + Duration::from_secs(5);
        for handle in self.handles {
            let deliveries = match tokio::time::timeout_at(deadline, handle).await {
                Ok(Ok(deliveries)) => deliveries,
                Ok(Err(e)) => {
                    tracing::warn!("alert delivery task failed: {e}");
                    continue;
                }
                Err(_) => {
                    if !self.quiet {
                        eprintln!("warning: alert delivery did not finish in time; given up");
                    }
                    continue;
                }
            };
            for d in deliveries.iter().filter(|d| !d.delivered) {
                if !self.quiet {
                    eprintln!(
                        "warning: {} alert(s) not delivered to {} after {} attempt(s): {}",
                        d.alerts,
                        d.target,
                        d.attempts,
                        d.error.as_deref().unwrap_or("unknown error")
                    );
                }
            }
        }
    }
}
