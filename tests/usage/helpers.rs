//! Shared set-up: a catalog synced from a recorded OpenRouter snapshot, the recorded chat
//! responses, a mock upstream serving them, and a proxy in front of it.

#![allow(dead_code)]

use crate::databases::{Backend, TestDb};
use llmcost::config::OpenRouterSettings;
use llmcost::domain::RunTrigger;
use llmcost::proxy::{Proxy, ProxySettings};
use llmcost::sources::Source;
use llmcost::store::{self, Store};
use llmcost::sync::{self, Filter, LockSettings, SyncInput, SyncRequest};
use llmcost::track::Budgets;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter").join(name)
}

/// The recorded response labelled `label` in chat_completions_2025-12.json.
pub fn recorded(label: &str) -> Value {
    let all: Value = serde_json::from_slice(&std::fs::read(fixture("chat_completions_2025-12.json")).expect("fixture"))
        .expect("json");
    all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["label"] == label)
        .map(|i| i["response"].clone())
        .expect("label exists")
}

/// The gpt-4o-mini text answer, as OpenRouter sent it (compact JSON).
pub fn text_response() -> Vec<u8> {
    serde_json::to_vec(&recorded("Text → Text")).expect("json")
}

/// The same answer as an OpenRouter SSE stream: one chunk per word of the content, then a
/// final chunk with the usage, then `[DONE]`.
pub fn text_stream() -> Vec<u8> {
    let r = recorded("Text → Text");
    let content = r["choices"][0]["message"]["content"].as_str().expect("content");
    let mut out = String::from(": OPENROUTER PROCESSING\n\n");
    for word in content.split_inclusive(' ') {
        let chunk = serde_json::json!({
            "id": r["id"], "provider": r["provider"], "model": r["model"], "object": "chat.completion.chunk",
            "created": r["created"], "choices": [{"index": 0, "delta": {"role": "assistant", "content": word}, "finish_reason": null}],
        });
        out.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = serde_json::json!({
        "id": r["id"], "provider": r["provider"], "model": r["model"], "object": "chat.completion.chunk",
        "created": r["created"], "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}],
        "usage": r["usage"],
    });
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    out.into_bytes()
}

/// A fresh database of `backend` with OpenRouter's 2026-02-27 catalog, recorded as of 2025-11-01.
pub async fn catalog_db(backend: Backend, name: &str) -> Option<(TestDb, Arc<dyn Store>)> {
    let db = TestDb::new(backend, name).await?;
    let store: Arc<dyn Store> = Arc::from(store::open(db.url()).await.expect("open"));
    let req = SyncRequest {
        trigger: RunTrigger::Cli,
        source: Source::Openrouter,
        input: SyncInput::File(fixture("models_2026-02-27.json")),
        url: None,
        openrouter: OpenRouterSettings { endpoints: false, ..OpenRouterSettings::default() },
        api_key: None,
        filter: Filter::default(),
        dry_run: false,
        force: false,
        min_ratio: Decimal::new(5, 1),
        alert_threshold_percent: Decimal::from(30),
        observed_at: Some(llmcost::domain::parse_time("2025-11-01").expect("date")),
        progress: false,
        lock: LockSettings::default(),
        min_interval: None,
    };
    sync::run(store.as_ref(), &req).await.expect("sync");
    Some((db, store))
}

/// A mock upstream answering `POST /api/v1/chat/completions` with `body`.
pub async fn upstream_with(status: u16, body: Vec<u8>, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

/// A running proxy.
pub struct TestProxy {
    pub address: String,
    pub store: Arc<dyn Store>,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<u64>>,
}

impl TestProxy {
    /// A proxy on port 0 in front of `upstream` (its `/api/v1`), with these budgets.
    pub async fn spawn(store: Arc<dyn Store>, upstream: &str, budgets: Budgets) -> Self {
        let settings = ProxySettings {
            bind: "127.0.0.1:0".into(),
            upstream: format!("{upstream}/api/v1"),
            provider: Some("openrouter".into()),
            ..ProxySettings::default()
        };
        Self::spawn_with(store, settings, budgets).await
    }

    /// A proxy with these settings.
    pub async fn spawn_with(store: Arc<dyn Store>, settings: ProxySettings, budgets: Budgets) -> Self {
        let proxy = Proxy::build(store.clone(), &settings, budgets, Vec::new()).await.expect("build proxy");
        let address = format!("http://{}", proxy.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { proxy.run_until_stopped(shutdown).await.expect("proxy") }
        });
        Self { address, store, shutdown, handle: Some(handle) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stop gracefully; the number of records the writer wrote.
    pub async fn stop(&mut self) -> u64 {
        self.shutdown.cancel();
        match self.handle.take() {
            Some(h) => h.await.expect("proxy task"),
            None => 0,
        }
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The usage rows once at least `n` are written (the writer is asynchronous).
pub async fn rows(store: &Arc<dyn Store>, n: usize) -> Vec<llmcost::track::StoredUsage> {
    for _ in 0..200 {
        let rows = store.usage_records(&llmcost::track::UsageQuery::default()).await.expect("read");
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} usage rows were written");
}

/// No budgets.
pub fn no_budgets() -> Budgets {
    Budgets::new(&Default::default(), Vec::new()).expect("budgets")
}
