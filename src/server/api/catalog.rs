//! Read API: models, one model, its price history, change events, providers, sync runs.

use super::etagged;
use crate::catalog::{ModelQuery, ModelSummary, SortKey, select_summaries, summarize};
use crate::domain::{ChangeKind, parse_since, parse_time};
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use crate::store::{ChangeQuery, ModelRecord, PriceInterval, StoredChange};
use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest page of models.
const MAX_LIMIT: usize = 1000;

/// Filters, order and page of `GET /api/v1/models` (the same as `llmcost models`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelsParams {
    /// Case-insensitive text in the id or name.
    pub q: Option<String>,
    /// Only this author (`openai`).
    pub author: Option<String>,
    /// Only models with a free offer.
    #[serde(default)]
    pub free: bool,
    /// Only models supporting every one of these parameters (comma-separated).
    pub supports: Option<String>,
    /// Only models taking this input modality.
    pub input_modality: Option<String>,
    /// Only models producing this output modality.
    pub output_modality: Option<String>,
    /// Only models with at least this context window.
    pub min_context: Option<i64>,
    /// Only models whose input costs at most this many USD per million tokens.
    #[param(value_type = Option<String>)]
    pub max_input_per_million: Option<Decimal>,
    /// Include deactivated models.
    #[serde(default)]
    pub include_inactive: bool,
    /// Order: id, name, price, output, context, date.
    #[param(value_type = Option<String>)]
    pub sort: Option<SortKey>,
    /// Reverse the order.
    #[serde(default)]
    pub desc: bool,
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Models skipped before the page.
    pub offset: Option<usize>,
    /// The catalog as it was at this time (RFC 3339, date, or unix seconds).
    pub as_of: Option<String>,
}

/// A page of models.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelsPage {
    /// The models of this page.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<ModelSummary>,
    /// Models matching the filters, all pages.
    pub total: usize,
    /// Page size.
    pub limit: usize,
    /// Models skipped.
    pub offset: usize,
    /// The catalog version served (the newest applied sync run).
    pub catalog_version: i64,
}

fn bad_time(name: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("{name}: {e}"))
}

/// List models.
#[utoipa::path(get, path = "/api/v1/models", tag = "catalog", params(ModelsParams), responses(
    (status = 200, body = ModelsPage), (status = 304, description = "Not modified (If-None-Match)"),
    (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn list_models(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    query: Result<Query<ModelsParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = query?;
    let limit = p.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let offset = p.offset.unwrap_or(0);
    let query = ModelQuery {
        search: p.q,
        author: p.author,
        free: p.free,
        supports: p
            .supports
            .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        input_modality: p.input_modality,
        output_modality: p.output_modality,
        min_context: p.min_context,
        max_input_per_million: p.max_input_per_million,
        include_inactive: p.include_inactive,
        sort: p.sort.unwrap_or_default(),
        desc: p.desc,
        limit: None,
    };
    let snapshot = state.cache.get().await?;
    let page = |all: Vec<&ModelSummary>| ModelsPage {
        total: all.len(),
        data: all.into_iter().skip(offset).take(limit).cloned().collect(),
        limit,
        offset,
        catalog_version: snapshot.version,
    };
    let body = match p.as_of {
        None => page(select_summaries(&snapshot.summaries, &query)),
        Some(t) => {
            let at = parse_time(&t).map_err(|e| bad_time("as_of", e))?;
            let records = state.store.catalog(Some(at)).await?;
            let summaries: Vec<ModelSummary> = records.iter().map(summarize).collect();
            page(select_summaries(&summaries, &query))
        }
    };
    Ok(etagged(&headers, snapshot.version, &uri.to_string(), &body))
}

/// One model with its offers, prices, tiers and benchmarks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelDetail {
    /// The model, its offers at every provider and source, and their current prices.
    #[schema(value_type = Object)]
    pub model: ModelRecord,
    /// Its newest change events.
    #[schema(value_type = Vec<Object>)]
    pub recent_changes: Vec<StoredChange>,
    /// The catalog version served.
    pub catalog_version: i64,
}

/// The `as_of` of a model request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// The model as it was at this time.
    pub as_of: Option<String>,
}

async fn resolve(state: &AppState, id: &str) -> ApiResult<String> {
    state.store.resolve(id).await?.ok_or_else(|| ApiError::not_found(format!("no model {id:?} (nor an alias of one)")))
}

/// One model (`author/slug`, or an alias such as a variant listing).
#[utoipa::path(get, path = "/api/v1/models/{author}/{slug}", tag = "catalog",
    params(("author" = String, Path, description = "Author (`openai`)"), ("slug" = String, Path, description = "Model slug (`gpt-4o`)"), AsOfParams),
    responses((status = 200, body = ModelDetail), (status = 404, body = crate::server::error::ErrorBody)))]
pub async fn get_model(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    query: Result<Query<AsOfParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Path((author, slug)) = path?;
    let Query(p) = query?;
    let id = resolve(&state, &format!("{author}/{slug}")).await?;
    let snapshot = state.cache.get().await?;
    let model = match &p.as_of {
        None => snapshot.by_id.get(&id).map(|&i| snapshot.records[i].clone()),
        Some(t) => {
            let at = parse_time(t).map_err(|e| bad_time("as_of", e))?;
            state.store.catalog(Some(at)).await?.into_iter().find(|r| r.model.id.as_str() == id)
        }
    }
    .ok_or_else(|| ApiError::not_found(format!("model {id} is not in the catalog at that time")))?;
    let query = ChangeQuery { model: Some(id.clone()), limit: 20, ..ChangeQuery::default() };
    let recent_changes = state.store.changes(&query).await?;
    let body = ModelDetail { model, recent_changes, catalog_version: snapshot.version };
    Ok(etagged(&headers, snapshot.version, &uri.to_string(), &body))
}

/// The `since` of a history request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceParams {
    /// Only intervals valid at or after this time (RFC 3339, date, unix seconds, or `90d`).
    pub since: Option<String>,
}

/// A model's price history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PriceHistory {
    /// The model.
    pub model_id: String,
    /// Every price interval of its offers, by offer, component and time.
    #[schema(value_type = Vec<Object>)]
    pub intervals: Vec<PriceInterval>,
}

/// A model's price history: every interval of every offer.
#[utoipa::path(get, path = "/api/v1/models/{author}/{slug}/history", tag = "catalog",
    params(("author" = String, Path, description = "Author"), ("slug" = String, Path, description = "Model slug"), SinceParams),
    responses((status = 200, body = PriceHistory), (status = 400, body = crate::server::error::ErrorBody),
        (status = 404, body = crate::server::error::ErrorBody)))]
pub async fn model_history(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    query: Result<Query<SinceParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Path((author, slug)) = path?;
    let Query(p) = query?;
    let id = resolve(&state, &format!("{author}/{slug}")).await?;
    let since = p
        .since
        .as_deref()
        .map(|s| parse_since(s, jiff::Timestamp::now().as_millisecond()))
        .transpose()
        .map_err(|e| bad_time("since", e))?;
    let version = state.cache.get().await?.version;
    let intervals = state.store.price_history(&id, since).await?;
    Ok(etagged(&headers, version, &uri.to_string(), &PriceHistory { model_id: id, intervals }))
}

/// Filters of `GET /api/v1/changes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Only events at or after this time (RFC 3339, date, unix seconds, or `7d`).
    pub since: Option<String>,
    /// Only these kinds (comma-separated: price_changed, model_added, ...).
    pub kind: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// Only alerts.
    #[serde(default)]
    pub alerts: bool,
    /// Only events of this sync run.
    pub run: Option<i64>,
    /// At most this many, newest first (default 100, at most 10000).
    pub limit: Option<i64>,
}

/// Change events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangesPage {
    /// Events, newest first.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<StoredChange>,
}

/// Change events, newest first.
#[utoipa::path(get, path = "/api/v1/changes", tag = "catalog", params(ChangesParams),
    responses((status = 200, body = ChangesPage), (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn list_changes(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    query: Result<Query<ChangesParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = query?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 10000"));
    }
    let kinds = p
        .kind
        .as_deref()
        .map(|k| k.split(',').map(|x| x.trim().parse::<ChangeKind>()).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("kind: {e}")))?
        .unwrap_or_default();
    let since = p
        .since
        .as_deref()
        .map(|s| parse_since(s, jiff::Timestamp::now().as_millisecond()))
        .transpose()
        .map_err(|e| bad_time("since", e))?;
    let query = ChangeQuery { since, kinds, model: p.model, alerts_only: p.alerts, run_id: p.run, limit };
    let version = state.cache.get().await?.version;
    let data = state.store.changes(&query).await?;
    Ok(etagged(&headers, version, &uri.to_string(), &ChangesPage { data }))
}

/// A provider and what it offers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    /// Slug (`deepinfra`, `openai`, `openrouter`).
    pub slug: String,
    /// Display name, when known.
    pub name: Option<String>,
    /// Active offers it serves or sells.
    pub offers: usize,
    /// Distinct models among them.
    pub models: usize,
}

/// Providers with active offers.
#[utoipa::path(get, path = "/api/v1/providers", tag = "catalog", responses((status = 200, body = [ProviderView])))]
pub async fn list_providers(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let snapshot = state.cache.get().await?;
    let mut by_slug: BTreeMap<String, (Option<String>, usize, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for r in &snapshot.records {
        for o in r.offers.iter().filter(|o| o.is_active) {
            let slug = o.offer.provider.clone().unwrap_or_else(|| o.offer.seller.clone());
            let entry = by_slug.entry(slug).or_default();
            if entry.0.is_none() {
                entry.0.clone_from(&o.offer.provider_name);
            }
            entry.1 += 1;
            entry.2.insert(r.model.id.as_str());
        }
    }
    let body: Vec<ProviderView> = by_slug
        .into_iter()
        .map(|(slug, (name, offers, models))| ProviderView { slug, name, offers, models: models.len() })
        .collect();
    Ok(etagged(&headers, snapshot.version, &uri.to_string(), &body))
}

/// How many runs to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsParams {
    /// At most this many, newest first (default 50, at most 1000).
    pub limit: Option<i64>,
}

/// Sync runs, newest first.
#[utoipa::path(get, path = "/api/v1/runs", tag = "catalog", params(RunsParams),
    responses((status = 200, body = [Object]), (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn list_runs(
    State(state): State<AppState>,
    query: Result<Query<RunsParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<crate::domain::SyncRun>>> {
    let Query(p) = query?;
    runs(&state, p.limit).await
}

/// The newest sync runs (default 50, at most 1000): for the read API and the admin history.
pub(crate) async fn runs(state: &AppState, limit: Option<i64>) -> ApiResult<Json<Vec<crate::domain::SyncRun>>> {
    let limit = limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    Ok(Json(state.store.runs(limit).await?))
}
