//! The read commands over a synced catalog, and exit codes.

use crate::helpers::{TestApp, fixture};
use serde_json::Value;

async fn synced() -> TestApp {
    let app = TestApp::new().await;
    let old = fixture("models_2026-07-17.json");
    let new = fixture("models_2026-08-08.json");
    app.ok(&["sync", "--from-file", old.to_str().expect("path"), "--observed-at", "2026-07-17"]).await;
    app.ok(&["sync", "--from-file", new.to_str().expect("path"), "--observed-at", "2026-08-08"]).await;
    app
}

#[tokio::test]
async fn models_sorts_filters_and_exports() {
    let app = synced().await;
    let cheapest = app.json(&["models", "--sort", "price", "--limit", "5", "--author", "openai"]).await;
    let prices: Vec<rust_decimal::Decimal> =
        cheapest.as_array().expect("array").iter().filter_map(|m| m["input"]["usd"].as_str()?.parse().ok()).collect();
    assert!(prices.len() >= 2);
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    assert!(
        cheapest.as_array().expect("array").iter().all(|m| m["id"].as_str().is_some_and(|i| i.starts_with("openai/")))
    );

    let free = app.json(&["models", "--free"]).await;
    assert!(!free.as_array().expect("array").is_empty());
    assert!(free.as_array().expect("array").iter().all(|m| m["free"] == true));

    let csv = app.ok(&["models", "--csv", "--limit", "3"]).await;
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("id,name,active,context_length,input_per_million"));

    let table = app.ok(&["models", "claude"]).await;
    assert!(table.contains("anthropic/"), "{table}");
    assert!(table.contains("INPUT $/M"));
}

#[tokio::test]
async fn show_resolves_aliases_and_lists_tiers() {
    let app = synced().await;
    let shown = app.json(&["show", "~anthropic/claude-opus-latest"]).await;
    assert!(shown["model"]["id"].as_str().is_some_and(|id| id.starts_with("anthropic/claude-opus")));
    let text = app.ok(&["show", "qwen/qwen3.7-flash"]).await;
    assert!(text.contains("input ≥32000") && text.contains("input ≥256000"), "{text}");
    let out = app.llmcost(&["show", "nobody/nothing"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown model"));
}

#[tokio::test]
async fn history_shows_closed_and_open_intervals() {
    let app = synced().await;
    let changes = app.json(&["changes", "--since", "2026-08-01", "--kind", "price_changed", "--limit", "1"]).await;
    let model = changes[0]["model_id"].as_str().expect("a re-priced model").to_string();
    let history = app.json(&["history", &model]).await;
    let rows = history.as_array().expect("array");
    assert!(rows.iter().any(|r| r["valid_to"].is_null()), "an open interval");
    assert!(rows.iter().any(|r| r["valid_to"].is_i64()), "a closed interval");
    let text = app.ok(&["history", &model]).await;
    assert!(text.contains("2026-08-08 00:00:00"), "{text}");
}

#[tokio::test]
async fn changes_filters_by_kind_and_alerts() {
    let app = synced().await;
    let alerts = app.json(&["changes", "--since", "2026-01-01", "--alerts"]).await;
    assert!(alerts.as_array().expect("array").iter().all(|e| e["is_alert"] == true));
    let added = app.json(&["changes", "--since", "2026-08-01", "--kind", "model_added,model_removed"]).await;
    assert!(!added.as_array().expect("array").is_empty());
    assert!(
        added.as_array().expect("array").iter().all(|e| e["kind"] == "model_added" || e["kind"] == "model_removed")
    );
}

#[tokio::test]
async fn runs_and_status_report_the_syncs() {
    let app = synced().await;
    let runs = app.json(&["runs"]).await;
    assert_eq!(runs.as_array().map(Vec::len), Some(2));
    assert_eq!(runs[0]["origin"], "file");
    let status: Value = app.json(&["status"]).await;
    assert!(status["models_active"].as_i64().is_some_and(|n| n > 300));
    assert_eq!(status["last_success"]["id"], 2);
}

#[tokio::test]
async fn usage_errors_exit_with_2() {
    let app = TestApp::new().await;
    for args in [
        vec!["models", "--sort", "bogus"],
        vec!["changes", "--since", "yesterday"],
        vec!["sync", "--min-ratio", "2"],
        vec!["frobnicate"],
    ] {
        let out = app.llmcost(&args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let help = app.ok(&["sync", "--help"]).await;
    assert!(help.contains("Examples:"));
}
