//! `GET /api/v1/usage` (recorded spend and tokens, grouped) and `GET /api/v1/usage/budgets`
//! (each budget's limit and spend) over the usage records the proxy and the client store.

use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use crate::track::{BudgetStatus, Budgets, GroupBy, UsageReport};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

/// Which records to report and how to group them.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// Records at or after this time: a duration back from now (`7d`, `24h`) or a time (RFC 3339, date). Default: 30d.
    pub since: Option<String>,
    /// Group by `model` (default), `provider`, `tag`, `app`, `user` or `day`.
    pub by: Option<GroupBy>,
}

/// Spend and tokens over the range, grouped.
#[utoipa::path(get, path = "/api/v1/usage", tag = "usage", params(UsageParams), responses(
    (status = 200, body = UsageReport), (status = 400, body = crate::server::error::ErrorBody)))]
pub async fn usage_report(
    State(state): State<AppState>,
    query: Result<Query<UsageParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<UsageReport>> {
    let Query(p) = query?;
    let now = jiff::Timestamp::now().as_millisecond();
    let since = crate::domain::parse_since(p.since.as_deref().unwrap_or("30d"), now)
        .map_err(|e| ApiError::bad_request(format!("since: {e}")))?;
    let totals = state.store.usage_totals(Some(since), None).await?;
    Ok(Json(UsageReport::from_totals(&totals, Some(since), p.by.unwrap_or(GroupBy::Model))))
}

/// Every configured budget with its spend.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetsView {
    /// One entry per budget (`app:search`), with its daily and monthly limits and spend.
    pub budgets: Vec<BudgetStatus>,
}

/// Each configured budget's limits and what has been spent against them today and this month.
#[utoipa::path(get, path = "/api/v1/usage/budgets", tag = "usage", responses(
    (status = 200, body = BudgetsView), (status = 500, body = crate::server::error::ErrorBody)))]
pub async fn usage_budgets(State(state): State<AppState>) -> ApiResult<Json<BudgetsView>> {
    let budgets = Budgets::new(&state.settings.budgets, Vec::new()).map_err(ApiError::internal)?;
    let now = jiff::Timestamp::now().as_millisecond();
    budgets.seed(state.store.as_ref(), now).await?;
    Ok(Json(BudgetsView { budgets: budgets.status(now) }))
}
