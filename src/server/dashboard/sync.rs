//! The sync status page (`/sync`): recent runs with their durations, the next scheduled run,
//! who holds the sync lease, this instance's jobs; and, for admins, "sync now". Also the
//! admin login and logout forms.

use super::format::{datetime, duration, iso, relative};
use super::{Layout, PageError, PageResult, auth, query_pairs, render};
use crate::server::api::admin::start_job;
use crate::server::jobs::{Job, JobStatus};
use crate::server::state::{AppState, SyncOptions};
use crate::sources::Source;
use crate::sync::lease::SYNC_LEASE;
use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Runs listed.
const RUNS: i64 = 50;

/// Jobs of this instance listed.
const JOBS: usize = 10;

/// One sync run as a table row.
struct RunRow {
    id: i64,
    source: String,
    trigger: String,
    origin: String,
    status: String,
    started: String,
    started_iso: String,
    duration: String,
    models: String,
    changes: i64,
    alerts: i64,
    error: String,
}

/// One job of this instance.
struct JobRow {
    id: u64,
    status: &'static str,
    sources: String,
    created: String,
    finished: String,
    results: Vec<String>,
    highlighted: bool,
}

#[derive(Template)]
#[template(path = "sync.html")]
struct SyncPage {
    layout: Layout,
    last_run: Option<RunRow>,
    last_success: Option<RunRow>,
    models_active: i64,
    models_inactive: i64,
    next_run: Option<(String, String, String)>,
    scheduler: bool,
    lock: Option<(String, String, String)>,
    runs: Vec<RunRow>,
    jobs: Vec<JobRow>,
    /// Sources offered to "sync now", with OpenRouter preselected.
    sources: Vec<(&'static str, bool)>,
}

fn run_row(r: &crate::domain::SyncRun) -> RunRow {
    RunRow {
        id: r.id,
        source: r.source.clone(),
        trigger: r.trigger.clone(),
        origin: r.origin.clone().unwrap_or_default(),
        status: r.status.clone(),
        started: datetime(r.started_at),
        started_iso: iso(r.started_at),
        duration: r.duration_ms.map(duration).unwrap_or_else(|| "—".into()),
        models: r.models_seen.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
        changes: r.changes,
        alerts: r.alerts,
        error: r.error.clone().unwrap_or_default(),
    }
}

fn status_name(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Succeeded => "succeeded",
        JobStatus::Failed => "failed",
    }
}

fn job_row(j: &Job, highlighted: Option<u64>) -> JobRow {
    JobRow {
        id: j.id,
        status: status_name(j.status),
        sources: j.sources.join(", "),
        created: datetime(j.created_at),
        finished: j.finished_at.map(datetime).unwrap_or_default(),
        results: j
            .results
            .iter()
            .map(|r| match (&r.report, &r.error) {
                (_, Some(e)) => format!("{}: failed: {e}", r.source),
                (Some(rep), None) => format!(
                    "{}: {} ({} changes, {} alerts)",
                    r.source,
                    rep.status.as_str().replace('_', " "),
                    rep.events.len(),
                    rep.alerts
                ),
                (None, None) => format!("{}: no report", r.source),
            })
            .collect(),
        highlighted: highlighted == Some(j.id),
    }
}

/// `GET /sync`: sync status.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> PageResult {
    let highlighted =
        query_pairs(raw.as_deref())?.into_iter().find(|(k, _)| k == "job").and_then(|(_, v)| v.parse().ok());
    let status = state.store.status().await?;
    let lock = state.store.lease_holder(SYNC_LEASE).await?;
    let runs = state.store.runs(RUNS).await?;
    let version = state.cache.get().await?.version;
    let now = jiff::Timestamp::now().as_millisecond();
    let layout = Layout::new(&state, &headers, "Sync", "sync").at_version(version);
    let jobs = if layout.admin { state.jobs.recent(JOBS) } else { Vec::new() };
    let page = SyncPage {
        last_run: status.last_run.as_ref().map(run_row),
        last_success: status.last_success.as_ref().map(run_row),
        models_active: status.models_active,
        models_inactive: status.models_inactive,
        next_run: state.schedule.next_run().map(|(entry, at)| (entry, datetime(at), relative(at, now))),
        scheduler: state.settings.serve.scheduler,
        lock: lock.map(|l| (l.holder, datetime(l.since), relative(l.expires_at, now))),
        runs: runs.iter().map(run_row).collect(),
        jobs: jobs.iter().map(|j| job_row(j, highlighted)).collect(),
        sources: std::iter::once("all")
            .chain(Source::ALL.iter().map(|s| s.name()))
            .map(|s| (s, s == Source::Openrouter.name()))
            .collect(),
        layout,
    };
    Ok(render(&page))
}

/// The "sync now" form.
#[derive(Debug, Deserialize)]
pub struct SyncNowForm {
    /// A source name, or `all`.
    #[serde(default)]
    source: String,
    /// Past the drop guard and the no-change shortcuts.
    #[serde(default)]
    force: Option<String>,
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `POST /sync/now` (admin cookie): start a background sync job as the admin API does and
/// show it on `/sync`.
pub async fn now(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SyncNowForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    if !auth::is_admin(&state, &headers) {
        return Err(PageError::forbidden("Only an admin can start a sync: log in with the admin token first."));
    }
    if !auth::same_origin(&headers) {
        return Err(PageError::forbidden("This form must be sent from this site."));
    }
    let Form(form) = form.map_err(|e| PageError::bad_request(e.body_text()))?;
    let source = if form.source.is_empty() { "openrouter".to_string() } else { form.source };
    let opts = SyncOptions { force: form.force.is_some(), ..SyncOptions::default() };
    let job = start_job(&state, &[source], opts).map_err(|e| PageError { status: e.status, message: e.message })?;
    Ok(see_other(&format!("/sync?job={}", job.id)))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    failed: bool,
}

/// `GET /login`: the admin token form.
pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let layout = Layout::new(&state, &headers, "Admin login", "login");
    Ok(render(&LoginPage { layout, failed: false }))
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    /// The admin token (never logged, never echoed).
    #[serde(default)]
    token: String,
}

/// `POST /login`: check the token (constant time) and set the admin cookie.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    if state.admin_token.is_none() {
        return Err(PageError::forbidden("The admin functions are disabled: set LLMCOST_ADMIN_TOKEN."));
    }
    if !auth::same_origin(&headers) {
        return Err(PageError::forbidden("This form must be sent from this site."));
    }
    let Form(form) = form.map_err(|_| PageError::bad_request("The login form could not be read."))?;
    if !auth::token_matches(&state, form.token.trim()) {
        let layout = Layout::new(&state, &headers, "Admin login", "login");
        let mut response = render(&LoginPage { layout, failed: true });
        *response.status_mut() = StatusCode::FORBIDDEN;
        return Ok(response);
    }
    let mut response = see_other("/sync");
    if let Some(cookie) = auth::login_cookie(&state, &headers) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /logout`: forget the admin cookie.
pub async fn logout() -> Response {
    let mut response = see_other("/sync");
    response.headers_mut().insert(header::SET_COOKIE, auth::logout_cookie());
    response
}
