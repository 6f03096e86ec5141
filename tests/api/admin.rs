//! The admin API: tokens, jobs from 202 to done, status, history, cleanup.

use crate::databases::{Backend, TestDb};
use crate::helpers::{TOKEN, TestApp, error_of, test_settings};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::MockServer;

#[tokio::test]
async fn admin_routes_reject_no_token_a_wrong_one_and_one_in_the_url() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::POST, "/api/v1/sync"),
        (Method::GET, "/api/v1/sync/jobs/1"),
        (Method::GET, "/api/v1/sync/status"),
        (Method::GET, "/api/v1/sync/history"),
        (Method::POST, "/api/v1/sync/cleanup"),
    ] {
        let none = app.client.request(method.clone(), app.url(path)).send().await.expect("req");
        assert_eq!(
            none.headers().get("www-authenticate").map(|v| v.to_str().expect("ascii")),
            Some("Bearer realm=\"llmcost admin\"")
        );
        assert_eq!(error_of(none, 401).await.0, "unauthorized", "{path}");
        let wrong = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth("not-the-token-at-all")
            .send()
            .await
            .expect("req");
        assert_eq!(error_of(wrong, 403).await.0, "forbidden", "{path}");
        // Even the right token is refused in the query string: URLs end up in logs.
        let in_url = app
            .client
            .request(method.clone(), format!("{}?token={TOKEN}", app.url(path)))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("req");
        assert_eq!(error_of(in_url, 401).await.0, "token_in_query", "{path}");
    }
    assert!(app.upstream.received_requests().await.unwrap_or_default().is_empty(), "nothing was synced");
}

#[tokio::test]
async fn without_a_token_the_admin_api_is_off_and_a_short_token_refuses_to_start() {
    let upstream = MockServer::start().await;
    let settings = test_settings(&upstream);
    let db = TestDb::new(Backend::Sqlite, "no-token").await.expect("db");
    let app = TestApp::spawn_with(db, upstream, settings.clone(), None).await;
    let r = app.admin(Method::POST, "/api/v1/sync", Some(json!({}))).await;
    assert_eq!(error_of(r, 403).await.0, "admin_disabled");
    assert_eq!(app.get("/healthz").await.status(), 200, "the rest serves");

    let store: std::sync::Arc<dyn llmcost::store::Store> =
        std::sync::Arc::from(llmcost::store::open(app.db.url()).await.expect("store"));
    let short = llmcost::config::Secret::new("short".into());
    let err = llmcost::server::Application::build(store, settings, short).await.err().expect("refused");
    assert!(err.to_string().contains("at least 16 characters"), "{err}");
}

#[tokio::test]
async fn a_background_job_goes_from_202_to_done_and_shows_in_status_and_history() {
    let app = TestApp::spawn().await;
    app.serve_models("models_2026-08-14.json").await;
    let r = app.admin(Method::POST, "/api/v1/sync", Some(json!({"sources": ["openrouter"]}))).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().expect("location").to_string();
    let job: Value = r.json().await.expect("job");
    assert_eq!(location, format!("/api/v1/sync/jobs/{}", job["id"]));
    assert!(job["status"] == "queued" || job["status"] == "running", "{job}");

    let mut done = Value::Null;
    for _ in 0..200 {
        done = app.admin(Method::GET, &location, None).await.json().await.expect("job");
        if done["status"] == "succeeded" || done["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["results"][0]["source"], "openrouter");
    assert_eq!(done["results"][0]["report"]["status"], "succeeded");
    assert!(done["results"][0]["report"]["models_added"].as_u64().expect("added") > 300);
    assert!(done["finished_at"].as_i64().expect("finished") >= done["started_at"].as_i64().expect("started"));

    let status: Value = app.admin(Method::GET, "/api/v1/sync/status", None).await.json().await.expect("status");
    assert_eq!(status["last_success"]["status"], "succeeded");
    assert!(status["models_active"].as_i64().expect("n") > 300);
    assert_eq!(status["lock_holder"], Value::Null, "nobody syncs now");
    assert_eq!(status["next_scheduled"], Value::Null, "the scheduler is off in this app");

    let history: Value =
        app.admin(Method::GET, "/api/v1/sync/history?limit=5", None).await.json().await.expect("history");
    assert_eq!(history[0]["trigger"], "api");
    error_of(app.admin(Method::GET, "/api/v1/sync/history?limit=0", None).await, 400).await;
    error_of(app.admin(Method::GET, "/api/v1/sync/jobs/999", None).await, 404).await;
    let bad = app.admin(Method::POST, "/api/v1/sync", Some(json!({"sources": ["nowhere"]}))).await;
    assert!(error_of(bad, 400).await.1.contains("nowhere"));
    let typo = app.admin(Method::POST, "/api/v1/sync", Some(json!({"dryrun": true}))).await;
    assert_eq!(error_of(typo, 422).await.0, "invalid_body", "unknown fields are refused, not ignored");

    // A dry run computes and applies nothing.
    let dry: Value = app
        .admin(Method::POST, "/api/v1/sync", Some(json!({"background": false, "dry_run": true, "force": true})))
        .await
        .json()
        .await
        .expect("job");
    assert_eq!(dry["results"][0]["report"]["status"], "dry_run");

    // A failing upstream fails the job, not the server.
    app.upstream.reset().await;
    let failed: Value = app
        .admin(Method::POST, "/api/v1/sync", Some(json!({"background": false, "force": true})))
        .await
        .json()
        .await
        .expect("job");
    assert_eq!(failed["status"], "failed");
    assert!(failed["results"][0]["error"].as_str().expect("error").contains("404"), "{failed}");
}

#[tokio::test]
async fn cleanup_abandons_only_runs_no_live_sync_owns() {
    let app = TestApp::spawn().await;
    let run = llmcost::store::NewRun {
        trigger: "cli".into(),
        source: "openrouter".into(),
        holder: "dead-host:1".into(),
        started_at: 1,
    };
    let id = app.store.begin_run(&run).await.expect("run");
    let r: Value = app.admin(Method::POST, "/api/v1/sync/cleanup", None).await.json().await.expect("cleanup");
    assert_eq!(r["outcome"], "abandoned");
    assert_eq!(r["runs"][0]["id"], id);
    assert_eq!(r["runs"][0]["status"], "abandoned");

    // While a live process holds the lease, nothing is touched.
    let lease = llmcost::store::Lease { name: "sync".into(), holder: "live-host:2#1".into(), ttl_ms: 60_000 };
    app.store.claim_lease(&lease).await.expect("claim");
    let running = app.store.begin_run(&run).await.expect("run");
    let r: Value = app.admin(Method::POST, "/api/v1/sync/cleanup", None).await.json().await.expect("cleanup");
    assert_eq!(r["outcome"], "sync_running");
    assert_eq!(r["holder"]["holder"], "live-host:2#1");
    let status: Value = app.admin(Method::GET, "/api/v1/sync/status", None).await.json().await.expect("status");
    assert_eq!(status["lock_holder"]["holder"], "live-host:2#1");
    let runs = app.store.runs(10).await.expect("runs");
    assert_eq!(runs.iter().find(|r| r.id == running).expect("run").status, "running");
}

#[tokio::test]
async fn alerts_reach_a_webhook_that_fails_once_then_succeeds_without_holding_up_the_sync() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let upstream = MockServer::start().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST")).and(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let mut settings = test_settings(&upstream);
    let url = llmcost::config::Secret::new(format!("{}/hook", receiver.uri())).expect("url");
    settings.alerts.webhooks = vec![llmcost::alerts::WebhookTarget::new(url, llmcost::alerts::WebhookFormat::Json)];
    settings.alerts.backoff_ms = 10;
    let db = TestDb::new(Backend::Sqlite, "alerts").await.expect("db");
    let app = TestApp::spawn_with(db, upstream, settings, Some(TOKEN)).await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;
    let mut received = Vec::new();
    for _ in 0..100 {
        received = receiver.received_requests().await.unwrap_or_default();
        if received.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(received.len(), 2, "one failure, one retry that succeeded");
    assert_eq!(received[0].body, received[1].body, "the retry resends the same alerts");
    let body: Value = serde_json::from_slice(&received[1].body).expect("JSON alert");
    assert_eq!(body["event"], "llmcost.alerts");
    assert!(body["alerts"].as_array().expect("alerts").iter().any(|a| a["kind"] == "new_model"), "{body}");
}
