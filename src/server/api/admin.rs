//! Admin API (bearer token): trigger syncs as jobs, poll them, read the sync status and
//! history, clean up stuck runs.

use crate::server::error::{ApiError, ApiResult};
use crate::server::jobs::Job;
use crate::server::state::{AppState, SyncOptions};
use crate::sources::Source;
use crate::store::LeaseHolder;
use crate::sync::lease::{Cleanup, SYNC_LEASE, cleanup_stuck_runs};
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// The admin token the admin routes check (`None`: the admin API is disabled).
#[derive(Clone)]
pub struct AdminToken(pub Option<std::sync::Arc<crate::config::Secret>>);

/// Query parameters that would carry a credential in the URL (and so into logs).
const CREDENTIAL_PARAMS: [&str; 5] = ["token", "access_token", "api_key", "apikey", "key"];

/// Middleware: the admin bearer token, compared in constant time. Missing → 401, wrong →
/// 403, a credential in the query string → 401 even if right (URLs end up in logs).
pub async fn require_admin(State(token): State<AdminToken>, request: Request, next: Next) -> Response {
    let Some(token) = token.0 else {
        return ApiError {
            status: StatusCode::FORBIDDEN,
            code: "admin_disabled",
            message: "the admin API is disabled: set LLMCOST_ADMIN_TOKEN".into(),
        }
        .into_response();
    };
    let in_query = request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|kv| CREDENTIAL_PARAMS.contains(&kv.split('=').next().unwrap_or("").to_ascii_lowercase().as_str()))
    });
    if in_query {
        return unauthorized("token_in_query", "send the admin token in the Authorization header, never in the URL");
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    match presented {
        None => unauthorized("unauthorized", "an admin bearer token is required: Authorization: Bearer TOKEN"),
        Some(p) if bool::from(p.as_bytes().ct_eq(token.expose().as_bytes())) => next.run(request).await,
        Some(_) => ApiError { status: StatusCode::FORBIDDEN, code: "forbidden", message: "wrong admin token".into() }
            .into_response(),
    }
}

fn unauthorized(code: &'static str, message: &str) -> Response {
    let mut response = ApiError { status: StatusCode::UNAUTHORIZED, code, message: message.into() }.into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"llmcost admin\""));
    response
}

/// What to sync.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    /// Sources (`openrouter`, `litellm`, `genai-prices`, `models-dev`, `overrides`, or `all`);
    /// default `["openrouter"]`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Compute the changes, apply none.
    #[serde(default)]
    pub dry_run: bool,
    /// Past the drop guard, the no-change shortcuts and the minimum interval.
    #[serde(default)]
    pub force: bool,
    /// Answer `202` with the job at once (default) or wait and answer with its result.
    #[serde(default = "yes")]
    pub background: bool,
    /// Fetch provider endpoints (default: as configured).
    pub endpoints: Option<bool>,
    /// Every output modality (default: as configured).
    pub all_modalities: Option<bool>,
}

fn yes() -> bool {
    true
}

fn sources_of(names: &[String]) -> Result<Vec<Source>, ApiError> {
    if names.is_empty() {
        return Ok(vec![Source::Openrouter]);
    }
    let mut out = Vec::new();
    for name in names {
        let add: Vec<Source> = if name == "all" {
            Source::ALL.to_vec()
        } else {
            let source: Source = serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| ApiError::bad_request(format!("unknown source {name:?}")))?;
            vec![source]
        };
        for s in add {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

fn checked_sources(state: &AppState, names: &[String]) -> Result<Vec<Source>, ApiError> {
    let sources = sources_of(names)?;
    if sources.contains(&Source::Overrides) && state.settings.overrides.is_none() {
        return Err(ApiError::bad_request("no overrides file is configured"));
    }
    Ok(sources)
}

/// Accept a sync job of these sources (`all`, or names; empty: OpenRouter) and run it in the
/// background: what `POST /api/v1/sync` and the dashboard's "sync now" both do.
pub(crate) fn start_job(state: &AppState, names: &[String], opts: SyncOptions) -> Result<Job, ApiError> {
    let sources = checked_sources(state, names)?;
    let job = state.jobs.accept(&sources, &opts);
    state.jobs.spawn(state.clone(), job.id, sources, opts);
    Ok(job)
}

/// Start a sync job (`202` + job; or, with `background: false`, the finished job).
#[utoipa::path(post, path = "/api/v1/sync", tag = "admin", request_body = SyncBody, security(("bearer" = [])),
    responses((status = 202, body = Job), (status = 200, body = Job), (status = 400, body = crate::server::error::ErrorBody),
        (status = 401, body = crate::server::error::ErrorBody), (status = 403, body = crate::server::error::ErrorBody)))]
pub async fn start_sync(
    State(state): State<AppState>,
    body: Result<Json<SyncBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let opts = SyncOptions {
        dry_run: body.dry_run,
        force: body.force,
        endpoints: body.endpoints,
        all_modalities: body.all_modalities,
        min_interval: None,
    };
    if body.background {
        let job = start_job(&state, &body.sources, opts)?;
        let mut response = (StatusCode::ACCEPTED, Json(job.clone())).into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/sync/jobs/{}", job.id)) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(response);
    }
    let sources = checked_sources(&state, &body.sources)?;
    let job = state.jobs.accept(&sources, &opts);
    let done = state.jobs.run(&state, job.id, sources, opts).await.unwrap_or(job);
    Ok(Json(done).into_response())
}

/// A sync job.
#[utoipa::path(get, path = "/api/v1/sync/jobs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "Job id")),
    responses((status = 200, body = Job), (status = 404, body = crate::server::error::ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    path: Result<Path<u64>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Json<Job>> {
    let Path(id) = path?;
    state.jobs.get(id).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("no job {id} on this instance (jobs live in the instance that accepted them)"))
    })
}

/// The state of syncing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncStatus {
    /// The newest run.
    #[schema(value_type = Option<Object>)]
    pub last_run: Option<crate::domain::SyncRun>,
    /// The newest run that applied data.
    #[schema(value_type = Option<Object>)]
    pub last_success: Option<crate::domain::SyncRun>,
    /// Active models.
    pub models_active: i64,
    /// Deactivated models.
    pub models_inactive: i64,
    /// The next scheduled sync of this instance: (entry, unix ms).
    pub next_scheduled: Option<NextRun>,
    /// Who holds the sync lease now, if anyone.
    pub lock_holder: Option<LeaseHolderView>,
}

/// The next scheduled run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NextRun {
    /// The schedule entry.
    pub entry: String,
    /// When (unix ms).
    pub at: i64,
}

/// The holder of the sync lease.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeaseHolderView {
    /// `host:pid#n`.
    pub holder: String,
    /// Since (unix ms).
    pub since: i64,
    /// Lapses at (unix ms) unless renewed.
    pub expires_at: i64,
}

impl From<LeaseHolder> for LeaseHolderView {
    fn from(h: LeaseHolder) -> Self {
        Self { holder: h.holder, since: h.since, expires_at: h.expires_at }
    }
}

/// Last sync, catalog size, next scheduled run and lock holder.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SyncStatus)))]
pub async fn sync_status(State(state): State<AppState>) -> ApiResult<Json<SyncStatus>> {
    let status = state.store.status().await?;
    let lock_holder = state.store.lease_holder(SYNC_LEASE).await?.map(Into::into);
    Ok(Json(SyncStatus {
        last_run: status.last_run,
        last_success: status.last_success,
        models_active: status.models_active,
        models_inactive: status.models_inactive,
        next_scheduled: state.schedule.next_run().map(|(entry, at)| NextRun { entry, at }),
        lock_holder,
    }))
}

/// How many runs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// At most this many, newest first (default 50, at most 1000).
    pub limit: Option<i64>,
}

/// Sync runs, newest first.
#[utoipa::path(get, path = "/api/v1/sync/history", tag = "admin", security(("bearer" = [])), params(HistoryParams),
    responses((status = 200, body = [Object]), (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn sync_history(
    State(state): State<AppState>,
    query: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<crate::domain::SyncRun>>> {
    let Query(p) = query?;
    super::catalog::runs(&state, p.limit).await
}

/// Mark runs left `running` by dead processes as abandoned (never a live sync's run).
#[utoipa::path(post, path = "/api/v1/sync/cleanup", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Object)))]
pub async fn cleanup(State(state): State<AppState>) -> ApiResult<Json<Cleanup>> {
    cleanup_stuck_runs(state.store.as_ref()).await.map(Json).map_err(ApiError::internal)
}
