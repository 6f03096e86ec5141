//! `llmcost serve`: the read API, the cost API, admin sync jobs, the scheduler, metrics and
//! health, in one process. Built as in zero-to-production: [`Application::build`] binds
//! (port 0 in tests) and [`Application::run_until_stopped`] serves until shutdown.

mod api;
mod cache;
mod dashboard;
mod error;
mod jobs;
mod metrics;
mod scheduler;
mod state;

pub use cache::{CatalogCache, CatalogSnapshot};
pub use error::{ApiError, ErrorBody};
pub use metrics::Metrics;
pub use scheduler::{ScheduledSync, default_schedule};

use crate::config::{Secret, Settings};
use crate::store::Store;
use axum::Router;
use axum::http::{Request, StatusCode};
use scheduler::{Schedule, ScheduleStatus};
use serde::{Deserialize, Serialize};
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The `[serve]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeSettings {
    /// Address to listen on.
    pub bind: String,
    /// Run the scheduler.
    pub scheduler: bool,
    /// Scheduled syncs (`[[serve.schedule]]`).
    pub schedule: Vec<ScheduledSync>,
    /// How often runs left `running` by dead processes are marked abandoned.
    pub cleanup_every: String,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// How long shutdown waits for a running sync to finish, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            scheduler: true,
            schedule: default_schedule(),
            cleanup_every: "15m".into(),
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 60,
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The settings are invalid.
    #[error("invalid serve settings: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The shortest admin token accepted.
const MIN_TOKEN_LEN: usize = 16;

#[derive(OpenApi)]
#[openapi(
    info(title = "llmcost", description = "Exact LLM model catalog, price history, change events and request cost."),
    modifiers(&BearerAuth),
    tags((name = "catalog", description = "The catalog: models, prices, history, changes, providers, runs"),
        (name = "cost", description = "Exact request cost"),
        (name = "intelligence", description = "Rankings of cost against quality, and provider routing"),
        (name = "usage", description = "Recorded usage and spend, budgets"),
        (name = "admin", description = "Sync jobs and status (bearer token)"),
        (name = "ops", description = "Health and metrics"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every API route with its OpenAPI description, from one handler list so the router and
/// the document cannot drift apart.
fn api_router(admin_token: api::admin::AdminToken) -> OpenApiRouter<AppState> {
    let admin = OpenApiRouter::new()
        .routes(routes!(api::admin::start_sync))
        .routes(routes!(api::admin::get_job))
        .routes(routes!(api::admin::sync_status))
        .routes(routes!(api::admin::sync_history))
        .routes(routes!(api::admin::cleanup))
        .layer(axum::middleware::from_fn_with_state(admin_token, api::admin::require_admin));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::catalog::list_models))
        .routes(routes!(api::catalog::get_model))
        .routes(routes!(api::catalog::model_history))
        .routes(routes!(api::catalog::list_changes))
        .routes(routes!(api::catalog::list_providers))
        .routes(routes!(api::catalog::list_runs))
        .routes(routes!(api::cost::cost))
        .routes(routes!(api::rank::rankings))
        .routes(routes!(api::rank::routing))
        .routes(routes!(api::usage::usage_report))
        .routes(routes!(api::usage::usage_budgets))
        .routes(routes!(api::ops::healthz))
        .routes(routes!(api::ops::readyz))
        .routes(routes!(api::ops::metrics))
        .merge(admin)
}

/// The OpenAPI document of the API (what `/api/v1/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router(api::admin::AdminToken(None)).split_for_parts().1;
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}

fn app_state(
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    admin_token: Option<Secret>,
    discounts: Vec<crate::sources::overrides::Discount>,
    notifier: crate::alerts::Notifier,
) -> AppState {
    AppState {
        notifier,
        cache: Arc::new(cache::CatalogCache::new(store.clone(), discounts)),
        store,
        jobs: Arc::new(jobs::Jobs::default()),
        metrics: metrics::Metrics::install(),
        settings,
        admin_token: admin_token.map(Arc::new),
        schedule: Arc::new(ScheduleStatus::default()),
    }
}

/// The whole HTTP app with its layers: request ids, tracing, metrics, limits, timeouts.
fn app(state: AppState, serve: &ServeSettings) -> Router {
    let router =
        api_router(api::admin::AdminToken(state.admin_token.clone())).split_for_parts().0.with_state(state.clone());
    let doc = Arc::new(openapi());
    let router = router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    );
    let router = router.merge(dashboard::router(state));
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method_not_allowed",
                message: "method not allowed".into(),
            }
        })
        .layer(axum::extract::DefaultBodyLimit::max(serve.max_body_bytes))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(RequestBodyLimitLayer::new(serve.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(serve.request_timeout_secs.max(1)),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The path only: a query string could carry something sensitive.
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// A bound, ready-to-serve application.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
    schedule: Option<Schedule>,
    grace: Duration,
}

impl Application {
    /// Validate settings, bind the address and assemble the app. The admin API needs
    /// `admin_token` (at least 16 characters); without one its routes answer 403.
    pub async fn build(
        store: Arc<dyn Store>,
        settings: Settings,
        admin_token: Option<Secret>,
    ) -> Result<Self, ServeError> {
        if let Some(t) = &admin_token {
            if t.expose().len() < MIN_TOKEN_LEN {
                return Err(ServeError::Config(format!(
                    "LLMCOST_ADMIN_TOKEN must be at least {MIN_TOKEN_LEN} characters"
                )));
            }
        } else {
            tracing::warn!("LLMCOST_ADMIN_TOKEN is not set: the admin API (/api/v1/sync*) is disabled");
        }
        let serve = settings.serve.clone();
        let schedule = if serve.scheduler {
            Some(Schedule::parse(&serve.schedule, &serve.cleanup_every).map_err(ServeError::Config)?)
        } else {
            None
        };
        let discounts = match &settings.overrides {
            Some(path) => {
                crate::sources::overrides::load(path).map_err(|e| ServeError::Config(e.to_string()))?.discounts
            }
            None => Vec::new(),
        };
        let listener = tokio::net::TcpListener::bind(&serve.bind)
            .await
            .map_err(|source| ServeError::Bind { addr: serve.bind.clone(), source })?;
        let notifier = crate::alerts::Notifier::new(&settings.alerts).map_err(|e| ServeError::Config(e.to_string()))?;
        let state = app_state(store, Arc::new(settings), admin_token, discounts, notifier);
        let router = app(state.clone(), &serve);
        Ok(Self { listener, router, state, schedule, grace: Duration::from_secs(serve.shutdown_grace_secs) })
    }

    /// The bound address (the real port when built on port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` is cancelled; then stop accepting, let the scheduler and any
    /// running sync job finish (up to the grace period), and return.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), ServeError> {
        let scheduler = self.schedule.map(|s| tokio::spawn(scheduler::run(self.state.clone(), s, shutdown.clone())));
        let stop = shutdown.clone();
        axum::serve(self.listener, self.router).with_graceful_shutdown(async move { stop.cancelled().await }).await?;
        let jobs_done = self.state.jobs.drain(self.grace).await;
        if let Some(handle) = scheduler {
            if tokio::time::timeout(self.grace, handle).await.is_err() {
                tracing::warn!(
                    "a scheduled sync did not finish within the grace period; its run will be marked abandoned"
                );
            }
        }
        if !jobs_done {
            tracing::warn!("a sync job did not finish within the grace period; its run will be marked abandoned");
        }
        Ok(())
    }
}
