//! `POST /api/v1/cost`: the exact cost of one request or a batch, from token usage as the
//! provider reported it.

use crate::cost::{PriceBook, Quote, Usage};
use crate::server::error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest batch in one request.
const MAX_BATCH: usize = 10_000;

/// One request to price.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostRequest {
    /// The model id as the client sent it (any alias or provider spelling).
    pub model: String,
    /// The usage object as OpenAI, OpenRouter, Anthropic or Gemini returned it.
    #[schema(value_type = Object)]
    pub usage: Value,
    /// Who billed it (`openrouter`, `openai`, `azure`, a provider endpoint, ...).
    pub provider: Option<String>,
    /// When it was made (RFC 3339, date, or unix seconds): the prices valid then apply.
    #[schema(value_type = Option<String>)]
    pub at: Option<Value>,
    /// Service mode: `batch`, `priority` or `flex`.
    pub mode: Option<String>,
}

/// One request, or a batch of them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CostBody {
    /// Many requests.
    Batch {
        /// The requests, priced independently.
        requests: Vec<CostRequest>,
    },
    /// One request.
    One(CostRequest),
}

/// The result for one request of a batch: its quote, or `{"error": {...}}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CostResult<'a> {
    /// Its cost.
    Priced(Quote<'a>),
    /// Why it could not be priced.
    Failed(ErrorBody),
}

/// The results of a batch, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CostBatch<'a> {
    /// One result per request: a quote, or `{"error": {"code", "message"}}`.
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<CostResult<'a>>,
    /// The sum of the priced requests (USD).
    #[schema(value_type = String)]
    pub total_usd: Decimal,
    /// Requests that could not be priced.
    pub failed: usize,
}

/// A single result or a batch's.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CostResponse<'a> {
    /// One request's cost.
    One(Quote<'a>),
    /// A batch.
    Batch(CostBatch<'a>),
}

fn price<'a>(book: &'a PriceBook, r: &CostRequest) -> Result<Quote<'a>, ApiError> {
    let usage = Usage::detect(&r.usage).map_err(|e| ApiError::bad_request(format!("usage: {e}")))?;
    let at = crate::domain::parse_time_value(r.at.as_ref()).map_err(|e| ApiError::bad_request(format!("at: {e}")))?;
    book.quote(&r.model, &usage, r.provider.as_deref(), at, r.mode.as_deref())
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// The exact cost of a request (or each of a batch) with one line per component.
#[utoipa::path(post, path = "/api/v1/cost", tag = "cost", request_body = CostBody, responses(
    (status = 200, description = "One request: its quote (model, offer, lines, total_usd). A batch: CostBatch.", body = Object),
    (status = 400, body = ErrorBody),
    (status = 422, description = "Unknown, ambiguous or unpriced model", body = ErrorBody)))]
pub async fn cost(
    State(state): State<AppState>,
    body: Result<Json<CostBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let snapshot = state.cache.get().await?;
    match body {
        // Serialized here: quotes borrow from the snapshot.
        CostBody::One(r) => Ok(Json(CostResponse::One(price(&snapshot.book, &r)?)).into_response()),
        CostBody::Batch { requests } => {
            if requests.len() > MAX_BATCH {
                return Err(ApiError::bad_request(format!("at most {MAX_BATCH} requests per batch")));
            }
            let mut total = Decimal::ZERO;
            let mut failed = 0;
            let results = requests
                .iter()
                .map(|r| match price(&snapshot.book, r) {
                    Ok(q) => {
                        total += q.total_usd;
                        CostResult::Priced(q)
                    }
                    Err(e) => {
                        failed += 1;
                        CostResult::Failed(ErrorBody { error: ErrorDetail { code: e.code.into(), message: e.message } })
                    }
                })
                .collect();
            Ok(Json(CostResponse::Batch(CostBatch { results, total_usd: total.normalize(), failed })).into_response())
        }
    }
}
