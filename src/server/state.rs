//! What every handler shares: the store, the cached catalog, the sync jobs and settings.

use super::cache::CatalogCache;
use super::jobs::Jobs;
use super::metrics::Metrics;
use super::scheduler::ScheduleStatus;
use crate::config::Settings;
use crate::domain::RunTrigger;
use crate::sources::Source;
use crate::store::Store;
use crate::sync::{self, SyncError, SyncReport, SyncRequest};
use std::sync::Arc;

/// The application's shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The catalog store.
    pub store: Arc<dyn Store>,
    /// The catalog as served.
    pub cache: Arc<CatalogCache>,
    /// Admin sync jobs.
    pub jobs: Arc<Jobs>,
    /// Metrics.
    pub metrics: Metrics,
    /// Settings (sync, filter, sources, serve).
    pub settings: Arc<Settings>,
    /// The admin bearer token; `None` disables the admin API.
    pub admin_token: Option<Arc<crate::config::Secret>>,
    /// When the scheduler runs next.
    pub schedule: Arc<ScheduleStatus>,
    /// Webhooks told about alerts after each sync.
    pub notifier: crate::alerts::Notifier,
}

/// How one sync of a job or a scheduled entry runs.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Compute, apply nothing.
    pub dry_run: bool,
    /// Past the drop guard and the no-change shortcuts (and the minimum interval).
    pub force: bool,
    /// Fetch provider endpoints (default: as configured).
    pub endpoints: Option<bool>,
    /// Every output modality (default: as configured).
    pub all_modalities: Option<bool>,
    /// Skip when the source synced this recently.
    pub min_interval: Option<std::time::Duration>,
}

impl AppState {
    /// Sync one source with the configured settings; records metrics and refreshes the
    /// served catalog after an applied sync.
    pub async fn sync(&self, source: Source, opts: &SyncOptions, trigger: RunTrigger) -> Result<SyncReport, SyncError> {
        let mut req = SyncRequest::configured(&self.settings, source, trigger)
            .map_err(|message| SyncError::PriceList { source_name: source.name(), message })?;
        req.dry_run = opts.dry_run;
        req.force = opts.force;
        if let Some(e) = opts.endpoints {
            req.openrouter.endpoints = e;
        }
        if let Some(a) = opts.all_modalities {
            req.openrouter.all_modalities = a;
        }
        if opts.min_interval.is_some() {
            req.min_interval = opts.min_interval;
        }
        let started = std::time::Instant::now();
        let result = sync::run(self.store.as_ref(), &req).await;
        self.metrics.record_sync(source.name(), &result, started.elapsed());
        if matches!(&result, Ok(r) if r.status == crate::domain::RunStatus::Succeeded) {
            self.cache.invalidate();
        }
        // After commit, in the background: a slow or failing webhook never delays or fails
        // the sync (deliveries retry and log on their own).
        let alerts = match &result {
            Ok(report) => crate::alerts::alerts_from_report(report),
            Err(e) if crate::alerts::is_alert_failure(e) => {
                vec![crate::alerts::Alert::sync_failed(source.name(), &e.to_string())]
            }
            Err(_) => Vec::new(),
        };
        if !alerts.is_empty() {
            drop(self.notifier.dispatch(alerts));
        }
        result
    }
}
