//! Boot the real application on a random port against a real database, with wiremock as
//! OpenRouter.

use crate::databases::{Backend, TestDb};
use llmcost::config::{Secret, Settings};
use llmcost::server::Application;
use llmcost::store::{self, Store};
use reqwest::{Client, Response};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The admin token of every test app.
pub const TOKEN: &str = "test-admin-token-0123456789";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter").join(name)
}

/// A running app and what it talks to.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub upstream: MockServer,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<()>>,
}

/// Settings for a test app: port 0, the mock upstream, no endpoints, no scheduler.
pub fn test_settings(upstream: &MockServer) -> Settings {
    let mut settings = Settings::default();
    settings.serve.bind = "127.0.0.1:0".into();
    settings.serve.scheduler = false;
    settings.openrouter.url = format!("{}/api/v1", upstream.uri());
    settings.openrouter.endpoints = false;
    settings.openrouter.retries = 0;
    settings
}

impl TestApp {
    /// An app on SQLite with the default test settings.
    pub async fn spawn() -> Self {
        let db = TestDb::new(Backend::Sqlite, "api").await.expect("sqlite");
        let upstream = MockServer::start().await;
        let settings = test_settings(&upstream);
        Self::spawn_with(db, upstream, settings, Some(TOKEN)).await
    }

    /// An app on `db` with these settings and admin token.
    pub async fn spawn_with(db: TestDb, upstream: MockServer, settings: Settings, token: Option<&str>) -> Self {
        let store: Arc<dyn Store> = Arc::from(store::open(db.url()).await.expect("open store"));
        let app = Application::build(store.clone(), settings, token.and_then(|t| Secret::new(t.into())))
            .await
            .expect("build app");
        let address = format!("http://{}", app.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                app.run_until_stopped(shutdown).await.expect("serve");
            }
        });
        Self { address, client: Client::new(), upstream, store, db, shutdown, handle: Some(handle) }
    }

    /// Serve a recorded catalog as OpenRouter's `GET /models`.
    pub async fn serve_models(&self, fixture_name: &str) {
        let body = std::fs::read(fixture(fixture_name)).expect("fixture");
        Mock::given(method("GET"))
            .and(path("/api/v1/models"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&self.upstream)
            .await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json")
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path)).bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    /// Sync through the admin API, waiting for the result.
    pub async fn sync_now(&self) -> Value {
        let r = self.admin(reqwest::Method::POST, "/api/v1/sync", Some(serde_json::json!({"background": false}))).await;
        assert_eq!(r.status(), 200);
        let job: Value = r.json().await.expect("job");
        assert_eq!(job["status"], "succeeded", "{job}");
        job
    }

    /// Stop serving (graceful) and wait; the database stays for inspection.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.expect("server task");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The `{"error": {"code", "message"}}` of a response, checking its status.
pub async fn error_of(r: Response, status: u16) -> (String, String) {
    assert_eq!(r.status(), status);
    let v: Value = r.json().await.expect("JSON error body");
    (
        v["error"]["code"].as_str().expect("code").to_string(),
        v["error"]["message"].as_str().expect("message").to_string(),
    )
}
