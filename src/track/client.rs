//! A cost-tracking client for OpenAI-compatible chat APIs (OpenRouter by default): every
//! answer comes with its cost and where that cost came from, and the client keeps the run's
//! total.
//!
//! The cost is the response's own `usage.cost` when present; else OpenRouter's
//! `/generation?id=` figure (asked again until it is final); else the engine's price from the
//! catalog. API keys are sent, never shown: not in errors, not in `Debug`.

use super::{CostSource, ResponseFacts, meter};
use crate::config::Secret;
use crate::cost::{PriceBook, Usage};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a chat request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request could not be sent or its answer not read.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The URL (no key in it).
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The API answered with an error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The API answered something that is not a chat completion.
    #[error("unexpected answer from {url}: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// One chat request: a model, an optional system prompt and the user's prompt.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The model id as the API names it.
    pub model: String,
    /// The system prompt.
    pub system: Option<String>,
    /// The user's prompt.
    pub prompt: String,
}

impl ChatRequest {
    /// The request body.
    pub fn body(&self) -> Value {
        let mut messages = Vec::new();
        if let Some(s) = &self.system {
            messages.push(json!({"role": "system", "content": s}));
        }
        messages.push(json!({"role": "user", "content": self.prompt}));
        json!({"model": self.model, "messages": messages})
    }
}

/// One priced line of a cost breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct CostItem {
    /// The usage bucket (`input`, `output`, `cache_read`, ...).
    pub bucket: String,
    /// Units billed.
    pub quantity: u64,
    /// USD per unit.
    pub unit_price: Decimal,
    /// USD.
    pub amount: Decimal,
}

/// What a request cost and where the figure came from.
#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    /// The cost (USD, exact).
    pub total_usd: Option<Decimal>,
    /// The engine's lines for the same usage (empty when the engine could not price it).
    pub breakdown: Vec<CostItem>,
    /// Where `total_usd` came from.
    pub source: CostSource,
    /// The engine's total, when it differs from or stands in for the provider's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_usd: Option<Decimal>,
    /// Why the engine could not price it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An answer with its usage and cost.
#[derive(Debug, Clone, Serialize)]
pub struct ChatOutcome {
    /// The API's response, as received.
    pub response: Value,
    /// The usage, normalised into buckets.
    pub usage: Option<Usage>,
    /// The cost (`None` when cost tracking is off).
    pub cost: Option<CostReport>,
}

impl ChatOutcome {
    /// The answer's text (the first choice's message content).
    pub fn text(&self) -> Option<&str> {
        self.response.pointer("/choices/0/message/content").and_then(Value::as_str)
    }
}

/// A chat client that prices every answer and keeps the run's total.
pub struct CostTrackingClient {
    http: reqwest::Client,
    base_url: String,
    api_key: Option<Secret>,
    provider: Option<String>,
    book: Option<Arc<PriceBook>>,
    track_cost: bool,
    generation_attempts: usize,
    generation_delay: Duration,
    app_headers: Vec<(&'static str, String)>,
    total: Mutex<(Decimal, u64)>,
}

impl std::fmt::Debug for CostTrackingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostTrackingClient").field("base_url", &self.base_url).field("api_key", &self.api_key).finish()
    }
}

impl CostTrackingClient {
    /// A client for the API at `base_url` (`https://openrouter.ai/api/v1`); `provider` is the
    /// pricing hint (`openrouter`, `openai`) and `book` the catalog's prices for the engine.
    pub fn new(
        base_url: &str,
        api_key: Option<Secret>,
        provider: Option<String>,
        book: Option<Arc<PriceBook>>,
    ) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("llmcost/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| ClientError::Transport { url: base_url.to_string(), reason: e.to_string() })?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key,
            provider,
            book,
            track_cost: true,
            generation_attempts: 6,
            generation_delay: Duration::from_millis(500),
            app_headers: vec![
                ("HTTP-Referer", "https://github.com/llmcost/llmcost".to_string()),
                ("X-Title", "llmcost".to_string()),
            ],
            total: Mutex::new((Decimal::ZERO, 0)),
        })
    }

    /// Turn cost tracking off (no `/generation` lookups, no engine) or on.
    pub fn track_cost(mut self, on: bool) -> Self {
        self.track_cost = on;
        self
    }

    /// How many times and how often `/generation` is asked before giving up.
    pub fn generation_retries(mut self, attempts: usize, delay: Duration) -> Self {
        self.generation_attempts = attempts.max(1);
        self.generation_delay = delay;
        self
    }

    /// The app attribution headers OpenRouter shows (`HTTP-Referer`, `X-Title`).
    pub fn app(mut self, referer: &str, title: &str) -> Self {
        self.app_headers = vec![("HTTP-Referer", referer.to_string()), ("X-Title", title.to_string())];
        self
    }

    /// The run's total so far (USD) and the number of priced requests.
    pub fn total(&self) -> (Decimal, u64) {
        self.total.lock().map(|t| (t.0.normalize(), t.1)).unwrap_or_default()
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, url);
        if let Some(k) = &self.api_key {
            r = r.bearer_auth(k.expose());
        }
        for (name, value) in &self.app_headers {
            r = r.header(*name, value);
        }
        r
    }

    /// Send one chat request and price its answer.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatOutcome, ClientError> {
        self.chat_body(&req.body()).await
    }

    /// Send any chat-completions body and price its answer.
    pub async fn chat_body(&self, body: &Value) -> Result<ChatOutcome, ClientError> {
        let url = format!("{}/chat/completions", self.base_url);
        let transport =
            |e: reqwest::Error| ClientError::Transport { url: url.clone(), reason: e.without_url().to_string() };
        let resp = self.request(reqwest::Method::POST, &url).json(body).send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            return Err(ClientError::Status { url, status: status.as_u16(), body: text.chars().take(500).collect() });
        }
        let response: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Invalid { url: url.clone(), reason: format!("not JSON: {e}") })?;
        let facts = ResponseFacts::from_json(&bytes);
        let cost = if self.track_cost { Some(self.price(&facts, body).await) } else { None };
        if let Some(total) = cost.as_ref().and_then(|c| c.total_usd) {
            if let Ok(mut t) = self.total.lock() {
                t.0 += total;
                t.1 += 1;
            }
        }
        Ok(ChatOutcome { response, usage: facts.usage, cost })
    }

    async fn price(&self, facts: &ResponseFacts, body: &Value) -> CostReport {
        let model = facts.model.as_deref().or_else(|| body.get("model").and_then(Value::as_str));
        let mut report = CostReport {
            total_usd: None,
            breakdown: Vec::new(),
            source: CostSource::Unpriced,
            engine_usd: None,
            note: None,
        };
        if let (Some(book), Some(usage), Some(model)) = (&self.book, &facts.usage, model) {
            match meter::quote(book, model, self.provider.as_deref(), usage, None) {
                Ok(q) => {
                    report.engine_usd = Some(q.total_usd.normalize());
                    report.breakdown = q
                        .lines
                        .iter()
                        .map(|l| CostItem {
                            bucket: l.line.bucket.to_string(),
                            quantity: l.line.quantity,
                            unit_price: l.line.unit_price.normalize(),
                            amount: l.line.amount.normalize(),
                        })
                        .collect();
                }
                Err(e) => report.note = Some(e.to_string()),
            }
        }
        if let Some(reported) = facts.usage.as_ref().and_then(|u| u.reported_cost) {
            report.total_usd = Some(reported.normalize());
            report.source = CostSource::Reported;
        } else if let Some(cost) = self.generation_cost(facts.id.as_deref()).await {
            report.total_usd = Some(cost.normalize());
            report.source = CostSource::Generation;
        } else if let Some(engine) = report.engine_usd {
            report.total_usd = Some(engine);
            report.source = CostSource::Engine;
        }
        if facts.usage.is_none() && report.note.is_none() {
            report.note = facts.usage_error.clone();
        }
        report
    }

    /// OpenRouter's own cost of a generation: `/generation?id=` until it answers with a
    /// `total_cost` (it is not available the instant the answer is).
    async fn generation_cost(&self, id: Option<&str>) -> Option<Decimal> {
        let id = id.filter(|i| i.starts_with("gen-"))?;
        let url = reqwest::Url::parse_with_params(&format!("{}/generation", self.base_url), &[("id", id)]).ok()?;
        for attempt in 0..self.generation_attempts {
            if attempt > 0 {
                tokio::time::sleep(self.generation_delay).await;
            }
            let resp = match self.request(reqwest::Method::GET, url.as_str()).send().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e.without_url(), "generation lookup failed");
                    continue;
                }
            };
            if !resp.status().is_success() {
                continue;
            }
            let Ok(v) = resp.json::<Value>().await else { continue };
            let cost = v.pointer("/data/total_cost").or_else(|| v.get("total_cost"));
            let text = match cost {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => continue,
            };
            if let Ok(d) = crate::cost::cost_from_text("total_cost", &text) {
                return Some(d);
            }
        }
        None
    }
}
