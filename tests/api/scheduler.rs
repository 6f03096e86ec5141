//! The scheduler: it fires, and two instances on one PostgreSQL database never sync at
//! once (the lease) nor twice in a row (the minimum interval).

use crate::databases::{Backend, TestDb};
use crate::helpers::{TestApp, fixture, test_settings};
use llmcost::server::ScheduledSync;
use llmcost::sources::Source;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn every(period: &str, min_interval: Option<&str>) -> Vec<ScheduledSync> {
    vec![ScheduledSync {
        source: Source::Openrouter,
        every: Some(period.into()),
        cron: None,
        endpoints: Some(false),
        all_modalities: Some(false),
        min_interval: min_interval.map(str::to_string),
    }]
}

/// An upstream answering slowly, so that syncs of two instances would overlap.
async fn slow_upstream() -> MockServer {
    let upstream = MockServer::start().await;
    let body = std::fs::read(fixture("models_2026-08-14.json")).expect("fixture");
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(body, "application/json").set_delay(Duration::from_millis(700)),
        )
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test]
async fn the_scheduler_fires_and_reports_its_next_run() {
    let upstream = slow_upstream().await;
    let mut settings = test_settings(&upstream);
    settings.serve.scheduler = true;
    settings.serve.schedule = every("1h", None);
    let db = TestDb::new(Backend::Sqlite, "scheduler").await.expect("db");
    let mut app = TestApp::spawn_with(db, upstream, settings, Some(crate::helpers::TOKEN)).await;
    let mut runs = Vec::new();
    for _ in 0..100 {
        runs = app.store.runs(10).await.expect("runs");
        if runs.iter().any(|r| r.status == "succeeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs.len(), 1, "fired once at startup");
    assert_eq!(runs[0].trigger, "schedule");
    assert_eq!(runs[0].status, "succeeded");
    let status: serde_json::Value =
        app.admin(reqwest::Method::GET, "/api/v1/sync/status", None).await.json().await.expect("status");
    let next = status["next_scheduled"]["at"].as_i64().expect("next run");
    let in_an_hour = jiff::Timestamp::now().as_millisecond() + 3_600_000;
    assert!((next - in_an_hour).abs() < 60_000, "next run in an hour: {status}");
    app.stop().await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_sync_once_at_a_time() {
    let Some(db) = TestDb::new(Backend::Postgres, "two_instances").await else { return };
    // A second handle on the same database for the second instance.
    let url = db.url().to_string();
    let upstream = slow_upstream().await;
    let mut settings = test_settings(&upstream);
    settings.serve.scheduler = true;
    // Every second, forced past the minimum interval: only the lease keeps them apart.
    settings.serve.schedule = every("1s", Some("1ms"));
    let mut a = TestApp::spawn_with(db, upstream, settings.clone(), None).await;
    let store_b: std::sync::Arc<dyn llmcost::store::Store> =
        std::sync::Arc::from(llmcost::store::open(&url).await.expect("store"));
    let b = llmcost::server::Application::build(store_b, settings, None).await.expect("second instance");
    let stop_b = tokio_util::sync::CancellationToken::new();
    let b_task = tokio::spawn(b.run_until_stopped(stop_b.clone()));

    tokio::time::sleep(Duration::from_secs(6)).await;
    stop_b.cancel();
    b_task.await.expect("b").expect("b served");
    a.stop().await;
    let runs = a.store.runs(1000).await.expect("runs");

    assert!(runs.len() >= 3, "the schedule fired repeatedly: {}", runs.len());
    let holders: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.holder.as_str()).collect();
    assert!(!holders.is_empty());
    // No two runs overlap in time: the lease serialised them across the two instances.
    let mut spans: Vec<(i64, i64)> =
        runs.iter().map(|r| (r.started_at, r.finished_at.expect("every run finished"))).collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping syncs {w:?}");
    }
    assert!(runs.iter().all(|r| r.status == "succeeded" || r.status == "no_change"), "{runs:?}");
}

#[tokio::test]
async fn the_minimum_interval_keeps_a_second_instance_from_syncing_again() {
    let upstream = slow_upstream().await;
    let mut settings = test_settings(&upstream);
    settings.serve.scheduler = true;
    settings.serve.schedule = every("2s", Some("1h"));
    let db = TestDb::new(Backend::Sqlite, "min-interval").await.expect("db");
    let mut app = TestApp::spawn_with(db, upstream, settings, None).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let runs = app.store.runs(100).await.expect("runs");
    app.stop().await;
    assert_eq!(runs.len(), 1, "later ticks were skipped within the hour: {runs:?}");
}
