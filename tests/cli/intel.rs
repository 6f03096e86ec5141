//! `llmcost rank`, `llmcost route` and `llmcost benchmarks`.

use crate::helpers::{TestApp, fixture};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("decimal string, got {v}"))).expect("decimal")
}

async fn synced(file: &str) -> TestApp {
    let app = TestApp::new().await;
    let path = fixture(file);
    app.ok(&["sync", "--from-file", path.to_str().expect("path"), "--observed-at", "2026-08-14"]).await;
    app
}

#[tokio::test]
async fn rank_shows_scores_frontier_and_rejects_bad_weights() {
    let app = synced("models_2026-08-14.json").await;
    let r = app.json(&["rank", "--category", "coding", "--limit", "3"]).await;
    assert_eq!(r["ranked"].as_array().map(Vec::len), Some(3));
    assert!(r["ranked"][0]["inputs"].as_array().is_some_and(|i| !i.is_empty()));
    assert!(!r["frontier"].as_array().expect("frontier").is_empty());
    assert!(!r["unscored"].as_array().expect("unscored").is_empty());

    let multi = app.json(&["rank", "--min-providers", "1"]).await;
    // Synced from a file: no provider endpoints, so nothing is served by a provider.
    assert_eq!(multi["ranked"].as_array().map(Vec::len), Some(0));

    let table = app.ok(&["rank", "--category", "coding", "--free", "--limit", "5"]).await;
    assert!(table.contains("Rankings by coding"), "{table}");

    let out = app.llmcost(&["rank", "--weights", "cost=-1,performance=1"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--weights") && err.contains("negative"), "{err}");
}

#[tokio::test]
async fn route_spreads_requests_over_healthy_providers() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-09-16_excerpt.json", None).await;
    app.serve_endpoints("models_2026-09-16_excerpt.json").await;
    app.ok(&["sync"]).await;
    let r = app.json(&["route", "openai/gpt-6-astra", "--tokens", "2000,100"]).await;
    let offers = r["offers"].as_array().expect("offers");
    let total: Decimal = offers.iter().map(|o| dec(&o["probability"])).sum();
    assert_eq!(total, Decimal::ONE);
    assert_eq!(r["cheapest"], "openai");
    // 2,000 × $10/M + 100 × $50/M on the one healthy endpoint.
    assert_eq!(r["expected_cost"], "0.025");
    assert!(offers.iter().any(|o| o["healthy"] == false && o["excluded"].as_str().is_some()));
    let table = app.ok(&["route", "openai/gpt-6-astra"]).await;
    assert!(table.contains("cheapest healthy provider: openai"), "{table}");

    let out = app.llmcost(&["route", "openai/gpt-6"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("openai/gpt-6-astra"), "candidates listed: {err}");
    let out = app.llmcost(&["route", "openai/gpt-6-astra", "--tokens", "many"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn benchmarks_import_resolves_aliases_and_refuses_unknown_models() {
    let app = synced("models_2026-08-14.json").await;
    let before = app.count("benchmark_scores").await;
    assert!(before > 1000, "the sync recorded OpenRouter's benchmarks: {before}");

    let bad = app.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "model,benchmark,category,metric,score,date,source\n\
         openai/gpt-4o,swe-bench,coding,resolved,33.2,2026-08-01,vendor\n\
         nobody/nothing,swe-bench,coding,resolved,10,2026-08-01,vendor\n\
         nobody/nothing,swe-bench,coding,resolved,11,2026-08-02,vendor\n",
    )
    .expect("write");
    let out = app.llmcost(&["benchmarks", "import", bad.to_str().expect("path")]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model ids: nobody/nothing (line 3, 4)"), "{err}");
    assert_eq!(app.count("benchmark_scores").await, before, "nothing imported");

    let good = app.dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"model":"gpt-4o","benchmark":"swe-bench","category":"coding","metric":"resolved","score":"33.2","date":"2026-08-01"},
            {"model":"openai/gpt-4o","benchmark":"swe-bench","category":"coding","metric":"resolved","score":"35.0","date":"2026-08-10"}]"#,
    )
    .expect("write");
    let summary = app.json(&["benchmarks", "import", good.to_str().expect("path")]).await;
    assert_eq!((summary["rows"].as_u64(), summary["opened"].as_u64()), (Some(2), Some(2)));
    // The import is recorded as a run, which moves the catalog's version.
    let ready = app.json(&["runs"]).await;
    let newest = &ready.as_array().expect("runs")[0];
    assert_eq!(newest["id"], summary["run_id"]);
    assert_eq!((newest["source"].as_str(), newest["status"].as_str()), (Some("benchmarks"), Some("succeeded")));
    let history = app.json(&["benchmarks", "list", "openai/gpt-4o", "--history"]).await;
    let swe: Vec<&Value> = history.as_array().expect("rows").iter().filter(|r| r["benchmark"] == "swe-bench").collect();
    assert_eq!(swe.len(), 2);
    assert_eq!(swe[0]["source"], "import:good.json");
    assert!(swe[0]["valid_to"].is_number() && swe[1]["valid_to"].is_null());
    let current = app.json(&["benchmarks", "list", "openai/gpt-4o"]).await;
    let now = current.as_array().expect("rows").iter().find(|r| r["benchmark"] == "swe-bench").expect("swe-bench");
    assert_eq!(now["score"], "35");
    assert!(now["how"].as_str().is_some_and(|h| h.contains("min-max")));
    // Re-importing the same file changes nothing.
    let again = app.json(&["benchmarks", "import", good.to_str().expect("path")]).await;
    assert_eq!(again["opened"].as_u64(), Some(0));
}

#[tokio::test]
async fn history_draws_a_terminal_chart_and_an_svg_with_a_point_per_interval() {
    let app = TestApp::new().await;
    for (file, date) in [("models_2026-07-17.json", "2026-07-17"), ("models_2026-08-14.json", "2026-08-14")] {
        let path = fixture(file);
        app.ok(&["sync", "--from-file", path.to_str().expect("path"), "--observed-at", date]).await;
    }
    let rows = app.json(&["history", "openai/gpt-4o"]).await;
    let intervals = rows.as_array().expect("rows").iter().filter(|r| r["value"]["kind"] == "fixed").count();
    assert!(intervals >= 2, "{rows}");
    let chart = app.ok(&["history", "openai/gpt-4o", "--plot"]).await;
    assert!(chart.contains("┤") && chart.contains("└"), "{chart}");
    assert!(chart.contains("openai/gpt-4o input"), "{chart}");
    let svg = app.dir.path().join("gpt-4o.svg");
    let out = app.ok(&["history", "openai/gpt-4o", "--svg", svg.to_str().expect("path")]).await;
    assert!(out.contains("Wrote the price history"), "{out}");
    let image = std::fs::read_to_string(&svg).expect("svg written");
    assert!(image.starts_with("<svg"));
    assert_eq!(image.matches(r#"class="point""#).count(), intervals);
}
