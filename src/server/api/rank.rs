//! Model intelligence API: rankings of cost against quality, and provider routing.

use super::etagged;
use crate::rank::{
    Category, DEFAULT_MIN_UPTIME, RankQuery, Rankings, RouteQuery, Routing, Weights, parse_tokens, route,
};
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

/// Largest page of ranked models.
const MAX_LIMIT: usize = 5000;

/// Filters and weights of `GET /api/v1/rankings` (the same as `llmcost rank`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingsParams {
    /// What performance to rank by: overall (default), intelligence (reasoning), coding, agentic,
    /// design, or a benchmark category (website, svg, agents/fullstack, imported ones).
    pub category: Option<String>,
    /// `cost=0.4,performance=0.6` (non-negative, scaled to sum to 1).
    pub weights: Option<String>,
    /// Only models with a free offer (`:free` variants, zero-priced text models), priced at it.
    #[serde(default)]
    pub free: bool,
    /// Only models served by at least this many distinct providers.
    pub min_providers: Option<usize>,
    /// Only models supporting every one of these parameters (comma-separated).
    pub supports: Option<String>,
    /// At most this many ranked models (default all, at most 5000).
    pub limit: Option<usize>,
}

/// Rankings with the catalog version served.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RankingsPage {
    /// The rankings.
    #[serde(flatten)]
    pub rankings: Rankings,
    /// The catalog version served (the newest applied sync run).
    pub catalog_version: i64,
}

/// Models ranked by cost efficiency, benchmark performance and their composite, with the
/// Pareto frontier of price against performance and the models that cannot be scored.
#[utoipa::path(get, path = "/api/v1/rankings", tag = "intelligence", params(RankingsParams), responses(
    (status = 200, body = RankingsPage), (status = 304, description = "Not modified (If-None-Match)"),
    (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn rankings(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    query: Result<Query<RankingsParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = query?;
    let weights = match &p.weights {
        Some(w) => w.parse::<Weights>().map_err(|e| ApiError::bad_request(format!("weights: {e}")))?,
        None => Weights::default(),
    };
    let category = match &p.category {
        Some(c) => c.parse::<Category>().map_err(|e| ApiError::bad_request(format!("category: {e}")))?,
        None => Category::default(),
    };
    if p.limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let query = RankQuery {
        category,
        weights,
        free: p.free,
        min_providers: p.min_providers.unwrap_or(0),
        supports: p
            .supports
            .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        limit: p.limit,
    };
    let snapshot = state.cache.get().await?;
    let body = RankingsPage { rankings: snapshot.rank(&query), catalog_version: snapshot.version };
    Ok(etagged(&headers, snapshot.version, &uri.to_string(), &body))
}

/// The reference request and health threshold of a routing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoutingParams {
    /// Input and output tokens of the request priced, `IN,OUT` (default `1000,1000`).
    pub tokens: Option<String>,
    /// Route the model's free listing.
    #[serde(default)]
    pub free: bool,
    /// Lowest uptime (percent, last 30 minutes) of a healthy endpoint (default 90).
    pub min_uptime: Option<f64>,
}

/// How requests to a model spread over its providers: each endpoint's effective price, health
/// and selection probability (inverse square of the price among healthy endpoints), the
/// cheapest provider and the expected cost of a request. A variant listing
/// (`openai/gpt-oss-20b:free`) routes that listing.
#[utoipa::path(get, path = "/api/v1/models/{author}/{slug}/routing", tag = "intelligence",
    params(("author" = String, Path, description = "Author (`openai`)"),
        ("slug" = String, Path, description = "Model slug, or a variant listing's (`gpt-oss-20b:free`)"), RoutingParams),
    responses((status = 200, body = Routing), (status = 400, body = crate::server::error::ErrorBody),
        (status = 404, body = crate::server::error::ErrorBody), (status = 422, body = crate::server::error::ErrorBody)))]
pub async fn routing(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    query: Result<Query<RoutingParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Path((author, slug)) = path?;
    let Query(p) = query?;
    let (input_tokens, output_tokens) = match &p.tokens {
        Some(t) => parse_tokens(t).map_err(|e| ApiError::bad_request(format!("tokens: {e}")))?,
        None => (1000, 1000),
    };
    let min_uptime = p.min_uptime.unwrap_or(DEFAULT_MIN_UPTIME);
    if !(0.0..=100.0).contains(&min_uptime) {
        return Err(ApiError::bad_request("min_uptime must be a percentage between 0 and 100"));
    }
    let raw = format!("{author}/{slug}");
    let snapshot = state.cache.get().await?;
    let id = match state.store.resolve(&raw).await? {
        Some(id) => id,
        None => return Err(ApiError::not_found(unknown_model(&snapshot.records, &raw))),
    };
    let record = snapshot
        .by_id
        .get(&id)
        .map(|&i| &snapshot.records[i])
        .ok_or_else(|| ApiError::not_found(format!("model {id} is not in the catalog")))?;
    let listing = (raw != id && record.offers.iter().any(|o| o.offer.listing_id == raw)).then_some(raw);
    let query = RouteQuery { listing, free: p.free, input_tokens, output_tokens, min_uptime, ..RouteQuery::default() };
    let body = route(record, &query).map_err(|e| ApiError::unprocessable(e.to_string()))?;
    Ok(etagged(&headers, snapshot.version, &uri.to_string(), &body))
}

/// "No model X", with up to ten ids that contain it (or that it contains) as candidates.
fn unknown_model(records: &[crate::store::ModelRecord], raw: &str) -> String {
    let needle = raw.to_lowercase();
    let slug = needle.rsplit('/').next().unwrap_or(&needle).to_string();
    let candidates: Vec<&str> = records
        .iter()
        .map(|r| r.model.id.as_str())
        .filter(|m| {
            let m = m.to_lowercase();
            m.contains(&slug) || needle.contains(&m)
        })
        .take(10)
        .collect();
    if candidates.is_empty() {
        format!("no model {raw:?} (nor an alias of one)")
    } else {
        format!("no model {raw:?} (nor an alias of one); candidates: {}", candidates.join(", "))
    }
}
