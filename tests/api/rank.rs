//! Rankings and provider routing over HTTP.

use crate::helpers::{TOKEN, TestApp, error_of, test_settings};
use crate::openrouter_mock::EndpointsFromCatalog;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("decimal string, got {v}"))).expect("decimal")
}

#[tokio::test]
async fn rankings_explain_every_score_and_list_the_unscored() {
    let app = TestApp::spawn().await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;

    let r = app.get_json("/api/v1/rankings?category=coding&limit=5").await;
    assert_eq!(r["category"], "coding");
    assert_eq!((r["weights"]["cost"].as_str(), r["weights"]["performance"].as_str()), (Some("0.4"), Some("0.6")));
    let ranked = r["ranked"].as_array().expect("ranked");
    assert_eq!(ranked.len(), 5);
    assert!(r["total_ranked"].as_u64().expect("total") > 100);
    let mut last = Decimal::MAX;
    for m in ranked {
        let composite = dec(&m["composite"]);
        assert!(composite <= last, "ordered by composite");
        last = composite;
        // The composite is explained by its parts (rounded to 6 places).
        let expect = Decimal::new(4, 1) * dec(&m["cost_efficiency"]) + Decimal::new(6, 1) * dec(&m["performance"]);
        assert!((expect - composite).abs() <= Decimal::new(1, 6), "{m}");
        assert!(!m["inputs"].as_array().expect("inputs").is_empty());
        assert!(m["price"]["input_per_million"].is_string());
    }
    assert!(!r["frontier"].as_array().expect("frontier").is_empty());
    let unscored = r["unscored"].as_array().expect("unscored");
    assert!(!unscored.is_empty());
    assert!(unscored.iter().all(|u| u["reason"].as_str().is_some_and(|s| !s.is_empty())));
    assert!(r["how"]["normalization"].as_str().expect("how").contains("min-max"));
    assert!(r["feeds"].as_array().expect("feeds").iter().any(|f| f["benchmark"] == "artificial_analysis"));

    let free = app.get_json("/api/v1/rankings?free=true&category=coding").await;
    for m in free["ranked"].as_array().expect("ranked") {
        assert_eq!(m["free"], true);
        assert_eq!(m["cost_efficiency"], "1");
    }
    let heavy = app.get_json("/api/v1/rankings?weights=cost=1,performance=0&limit=1").await;
    assert_eq!(heavy["weights"]["cost"], "1");
    assert_eq!(heavy["ranked"][0]["composite"], heavy["ranked"][0]["cost_efficiency"]);
}

#[tokio::test]
async fn bad_ranking_parameters_are_400_json_errors() {
    let app = TestApp::spawn().await;
    for query in ["weights=cost=-1,performance=1", "weights=cost=0,performance=0", "weights=speed=1", "limit=0"] {
        let (code, message) = error_of(app.get(&format!("/api/v1/rankings?{query}")).await, 400).await;
        assert_eq!(code, "bad_request", "{query}");
        assert!(!message.is_empty());
    }
    let (_, message) = error_of(app.get("/api/v1/rankings?weights=cost=-1,performance=1").await, 400).await;
    assert!(message.contains("negative"), "{message}");
    // An empty catalog ranks nothing rather than failing.
    let empty = app.get_json("/api/v1/rankings").await;
    assert_eq!(empty["ranked"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn routing_weighs_healthy_providers_and_excludes_degraded_ones() {
    let db = crate::databases::TestDb::new(crate::databases::Backend::Sqlite, "routing").await.expect("sqlite");
    let upstream = MockServer::start().await;
    let mut settings = test_settings(&upstream);
    settings.openrouter.endpoints = true;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/models/.+/endpoints$"))
        .respond_with(EndpointsFromCatalog::new("models_2026-09-16_excerpt.json"))
        .mount(&upstream)
        .await;
    let app = TestApp::spawn_with(db, upstream, settings, Some(TOKEN)).await;
    app.serve_models("models_2026-09-16_excerpt.json").await;
    app.sync_now().await;

    let r = app.get_json("/api/v1/models/openai/gpt-5.6-sol/routing?tokens=1000,1000").await;
    assert_eq!(r["listing_id"], "openai/gpt-5.6-sol");
    let offers = r["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 2);
    let total: Decimal = offers.iter().map(|o| dec(&o["probability"])).sum();
    assert_eq!(total, Decimal::ONE);
    // The mock's second endpoint reports status -1: excluded, with its reason.
    let degraded = offers.iter().find(|o| o["provider"] == "deepinfra/fp8").expect("deepinfra");
    assert_eq!((degraded["healthy"].as_bool(), degraded["probability"].as_str()), (Some(false), Some("0")));
    assert!(degraded["excluded"].as_str().expect("reason").contains("status -1"));
    assert_eq!(r["cheapest"], "openai");
    // 1,000 × $2/M + 1,000 × $10/M.
    assert_eq!(r["expected_cost"], "0.012");

    let (code, message) = error_of(app.get("/api/v1/models/openai/gpt-5.6/routing").await, 404).await;
    assert_eq!(code, "not_found");
    assert!(message.contains("candidates: openai/gpt-5.6-sol"), "{message}");
    let (code, _) = error_of(app.get("/api/v1/models/openai/gpt-5.6-sol/routing?tokens=lots").await, 400).await;
    assert_eq!(code, "bad_request");
    let (code, message) = error_of(app.get("/api/v1/models/openai/gpt-5.6-sol/routing?free=true").await, 422).await;
    assert_eq!(code, "unprocessable");
    assert!(message.contains("no free listing"), "{message}");
}

#[tokio::test]
async fn a_benchmark_import_reaches_a_running_server_without_a_sync() {
    let app = TestApp::spawn().await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;
    let before = app.get_json("/api/v1/rankings?category=coding&limit=2").await;
    let feeds = |r: &Value| r["feeds"].as_array().expect("feeds").iter().any(|f| f["benchmark"] == "house-eval");
    assert!(!feeds(&before));

    let ids: Vec<String> =
        before["ranked"].as_array().expect("ranked").iter().map(|m| m["id"].as_str().expect("id").into()).collect();
    let rows: Vec<llmcost::domain::BenchmarkRow> = ids
        .iter()
        .zip(["10", "90"])
        .enumerate()
        .map(|(line, (id, score))| llmcost::domain::BenchmarkRow {
            line,
            score: llmcost::domain::BenchmarkScore {
                model_id: id.clone(),
                key: llmcost::domain::BenchmarkKey::new("house-eval", "coding", "pass"),
                score: Decimal::from_str(score).expect("dec"),
                source: "import:house.csv".into(),
            },
            at: 1_767_225_600_000,
        })
        .collect();
    let stored = app.store.benchmark_history(None).await.expect("history");
    let writes = llmcost::domain::plan_import(&stored, &rows).expect("plan");
    let run = llmcost::store::NewRun {
        trigger: "cli".into(),
        source: "benchmarks".into(),
        holder: "test:1".into(),
        started_at: 1_767_225_600_000,
    };
    let run_id = app.store.record_benchmarks(&writes, &run, "file").await.expect("import");

    // The server checks the catalog's version at most once a second.
    let mut after = Value::Null;
    for _ in 0..40 {
        after = app.get_json("/api/v1/rankings?category=coding&limit=2").await;
        if feeds(&after) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(feeds(&after), "the imported benchmark feeds the rankings: {}", after["feeds"]);
    assert_eq!(after["catalog_version"], run_id);
}
