//! Prometheus metrics: HTTP requests by route and status, sync runs, durations and the
//! catalog's size. One process-wide recorder (the `metrics` facade is global); `/metrics`
//! refreshes the catalog gauges from the database before rendering.

use crate::sources::Source;
use crate::store::Store;
use crate::sync::{SyncError, SyncReport};
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Buckets for HTTP latency (seconds): sub-millisecond to seconds.
const HTTP_BUCKETS: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];
/// Buckets for sync durations (seconds).
const SYNC_BUCKETS: [f64; 11] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// The metrics of this process.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Install the process-wide recorder (once) and describe the metrics.
    pub fn install() -> Self {
        let handle = HANDLE
            .get_or_init(|| {
                let builder = PrometheusBuilder::new()
                    .set_buckets_for_metric(
                        Matcher::Full("llmcost_http_request_duration_seconds".into()),
                        &HTTP_BUCKETS,
                    )
                    .and_then(|b| {
                        b.set_buckets_for_metric(Matcher::Full("llmcost_sync_duration_seconds".into()), &SYNC_BUCKETS)
                    });
                let recorder = match builder {
                    Ok(b) => b.build_recorder(),
                    Err(e) => {
                        tracing::warn!(error = %e, "metric buckets rejected; using summaries");
                        PrometheusBuilder::new().build_recorder()
                    }
                };
                let handle = recorder.handle();
                if metrics::set_global_recorder(recorder).is_err() {
                    tracing::warn!("a metrics recorder was already installed; /metrics shows only llmcost's own");
                }
                describe();
                handle
            })
            .clone();
        Self { handle }
    }

    /// Record one sync's outcome.
    pub fn record_sync(&self, source: &str, result: &Result<SyncReport, SyncError>, took: Duration) {
        let status = match result {
            Ok(r) => r.status.as_str(),
            Err(SyncError::Locked { .. }) => "locked",
            Err(_) => "failed",
        };
        metrics::counter!("llmcost_sync_runs_total", "source" => source.to_string(), "status" => status).increment(1);
        metrics::histogram!("llmcost_sync_duration_seconds", "source" => source.to_string()).record(took.as_secs_f64());
        if let Ok(r) = result.as_ref().map_err(|_| ()).and_then(|r| match r.status {
            crate::domain::RunStatus::Succeeded => Ok(r),
            _ => Err(()),
        }) {
            let s = source.to_string();
            metrics::counter!("llmcost_models_added_total", "source" => s.clone()).increment(r.models_added as u64);
            metrics::counter!("llmcost_models_removed_total", "source" => s.clone()).increment(r.models_removed as u64);
            metrics::counter!("llmcost_prices_changed_total", "source" => s).increment(r.prices_changed as u64);
        }
    }

    /// The text format of every metric as recorded (no database refresh).
    pub fn render_local(&self) -> String {
        self.handle.render()
    }

    /// Refresh the catalog gauges from the database, then render the text format.
    pub async fn render(&self, store: &dyn Store) -> String {
        match store.status().await {
            Ok(s) => {
                metrics::gauge!("llmcost_models", "state" => "active").set(s.models_active as f64);
                metrics::gauge!("llmcost_models", "state" => "inactive").set(s.models_inactive as f64);
                metrics::gauge!("llmcost_offers", "state" => "active").set(s.offers_active as f64);
                metrics::gauge!("llmcost_offers", "state" => "inactive").set(s.offers_inactive as f64);
                metrics::gauge!("llmcost_up").set(1.0);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: database unreachable");
                metrics::gauge!("llmcost_up").set(0.0);
            }
        }
        let sources = Source::ALL.iter().copied().chain([Source::Overrides]);
        for source in sources {
            if let Ok(Some(ms)) = store.last_finished_sync(source.name()).await {
                metrics::gauge!("llmcost_last_successful_sync_timestamp_seconds", "source" => source.name())
                    .set(ms as f64 / 1000.0);
            }
        }
        self.handle.render()
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("llmcost_http_requests_total", "HTTP requests by method, route and status.");
    describe_histogram!("llmcost_http_request_duration_seconds", Unit::Seconds, "HTTP request latency by route.");
    describe_counter!("llmcost_sync_runs_total", "Sync runs by source and outcome.");
    describe_histogram!("llmcost_sync_duration_seconds", Unit::Seconds, "Sync wall time by source.");
    describe_gauge!("llmcost_last_successful_sync_timestamp_seconds", "When each source last synced successfully.");
    describe_gauge!("llmcost_models", "Models in the catalog by state.");
    describe_gauge!("llmcost_offers", "Offers in the catalog by state.");
    describe_counter!("llmcost_models_added_total", "Models added by syncs of this process.");
    describe_counter!("llmcost_models_removed_total", "Models removed by syncs of this process.");
    describe_counter!("llmcost_prices_changed_total", "Price changes recorded by syncs of this process.");
    describe_gauge!("llmcost_up", "1 when the database answered the last scrape.");
}

/// Middleware: count and time every request by its route template (not its raw path, so
/// ids do not explode the label set).
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("llmcost_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("llmcost_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
