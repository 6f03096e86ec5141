//! One tracked request as it is stored: what was asked, what it used, what it cost and where
//! that cost came from.

use crate::cost::Usage;
use crate::domain::UnixMs;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a recorded cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The provider's own figure in the response (OpenRouter `usage.cost`).
    Reported,
    /// The provider's own figure from OpenRouter's `/generation` endpoint.
    Generation,
    /// Computed by the cost engine from the usage and the catalog's prices.
    Engine,
    /// No cost: no usage in the response, or no price for the model.
    Unpriced,
}

impl CostSource {
    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Reported => "reported",
            CostSource::Generation => "generation",
            CostSource::Engine => "engine",
            CostSource::Unpriced => "unpriced",
        }
    }

    /// Whether the cost is the provider's own figure (what a bill check compares against).
    pub fn is_provider(self) -> bool {
        matches!(self, CostSource::Reported | CostSource::Generation)
    }
}

impl fmt::Display for CostSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CostSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "reported" => CostSource::Reported,
            "generation" => CostSource::Generation,
            "engine" => CostSource::Engine,
            "unpriced" => CostSource::Unpriced,
            other => return Err(format!("unknown cost source {other:?}")),
        })
    }
}

/// Which kind of API call a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST …/chat/completions`.
    ChatCompletions,
    /// `POST …/responses`.
    Responses,
    /// `POST …/embeddings`.
    Embeddings,
    /// Anything else passed through.
    Other,
}

impl Endpoint {
    /// The endpoint a request path names (`/v1/chat/completions` → chat completions).
    pub fn of_path(path: &str) -> Endpoint {
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Endpoint::ChatCompletions
        } else if path.ends_with("/responses") {
            Endpoint::Responses
        } else if path.ends_with("/embeddings") {
            Endpoint::Embeddings
        } else {
            Endpoint::Other
        }
    }

    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "chat_completions",
            Endpoint::Responses => "responses",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Other => "other",
        }
    }
}

impl FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "chat_completions" => Endpoint::ChatCompletions,
            "responses" => Endpoint::Responses,
            "embeddings" => Endpoint::Embeddings,
            "other" => Endpoint::Other,
            other => return Err(format!("unknown endpoint {other:?}")),
        })
    }
}

/// Who a request is attributed to: free tag, application, user, and a hash of the API key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsageTags {
    /// A free-form tag (`x-llmcost-tag`).
    pub tag: Option<String>,
    /// The application (`x-llmcost-app`).
    pub app: Option<String>,
    /// The end user (`x-llmcost-user`).
    pub user: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the client's API key (never the key).
    pub key_hash: Option<String>,
}

impl UsageTags {
    /// The hash that stands for an API key in records and budgets.
    pub fn hash_key(key: &str) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(key.as_bytes())[..8])
    }
}

/// One tracked request, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRecord {
    /// When the request arrived (unix ms).
    pub at: UnixMs,
    /// The upstream's response id (`gen-…`, `chatcmpl-…`), or one of ours when it had none.
    pub request_id: String,
    /// What kind of call it was.
    pub endpoint: Endpoint,
    /// The model as the client sent it.
    pub model_requested: Option<String>,
    /// The catalog's model id (of the model that answered, when the response names one).
    pub model: Option<String>,
    /// The offer whose prices the engine used.
    pub offer_key: Option<String>,
    /// Who served it (the response's `provider`, else the upstream's provider).
    pub provider: Option<String>,
    /// The upstream it was sent to (its name or host).
    pub upstream: Option<String>,
    /// Whether the response was a stream.
    pub streamed: bool,
    /// The HTTP status the upstream answered.
    pub status: u16,
    /// From arrival to the last byte of the response, in milliseconds.
    pub latency_ms: i64,
    /// Tokens per bucket (all zero when the response carried no usage).
    pub usage: Usage,
    /// The cost recorded (the provider's own when it gave one, else the engine's).
    pub cost: Option<Decimal>,
    /// Where `cost` came from.
    pub cost_source: CostSource,
    /// The provider's own figure, when it gave one.
    pub provider_cost: Option<Decimal>,
    /// The engine's figure, when it could price the request.
    pub engine_cost: Option<Decimal>,
    /// Why the engine could not price it (unknown model, no usage, ...).
    pub pricing_error: Option<String>,
    /// Who it is attributed to.
    pub tags: UsageTags,
}

/// A stored usage record with its row id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredUsage {
    /// Row id.
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub record: UsageRecord,
}

/// Which usage records to read.
#[derive(Debug, Clone, Default)]
pub struct UsageQuery {
    /// At or after this time.
    pub since: Option<UnixMs>,
    /// Before this time.
    pub until: Option<UnixMs>,
    /// Only records that carry the provider's own cost.
    pub with_provider_cost: bool,
    /// At most this many, newest first (`None`: all, oldest first).
    pub limit: Option<i64>,
    /// With `limit`: that many chosen at random instead of the newest, oldest first.
    pub random: bool,
}

/// The outcome of comparing a provider's cost with the engine's for one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// The usage record checked.
    pub usage_id: i64,
    /// When it was checked.
    pub checked_at: UnixMs,
    /// The model priced.
    pub model: Option<String>,
    /// The offer priced.
    pub offer_key: Option<String>,
    /// What the provider charged.
    pub provider_cost: Decimal,
    /// What the engine computes for the same usage at the same time.
    pub engine_cost: Option<Decimal>,
    /// `provider_cost − engine_cost`.
    pub difference: Option<Decimal>,
    /// Whether the two agree (within the tolerance asked for).
    pub matched: bool,
    /// The price rows the engine used: component, tier, unit price, valid from.
    pub price_rows: serde_json::Value,
    /// Why the engine could not price it.
    pub error: Option<String>,
}
