//! Price lists (LiteLLM, genai-prices, models.dev) in one catalog with OpenRouter.

use crate::helpers::TestApp;
use serde_json::Value;
use std::collections::BTreeSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn litellm_file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/litellm/model_prices_and_context_window_backup_litellm-1.109.1.json"
    );
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON")
}

async fn serve_litellm(app: &TestApp, body: &Value) {
    app.server.reset().await;
    Mock::given(method("GET"))
        .and(path("/litellm.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&app.server)
        .await;
}

#[tokio::test]
async fn every_source_joins_one_catalog_and_resyncs_without_changes() {
    let app = TestApp::new().await;
    let first = app.json(&["sync", "--source", "all", "--offline"]).await;
    let sources: Vec<&str> =
        first.as_array().expect("one report per source").iter().map(|r| r["source"].as_str().unwrap_or("")).collect();
    assert_eq!(sources, ["openrouter", "litellm", "genai-prices", "models-dev"]);
    let again = app.json(&["sync", "--source", "all", "--offline", "--force"]).await;
    for r in again.as_array().expect("reports") {
        assert_eq!(r["status"], "succeeded");
        assert_eq!(r["events"], Value::Array(vec![]), "{}: {}", r["source"], r["events"]);
    }
    let shown = app.json(&["show", "openai/gpt-4o"]).await;
    let offered_by: BTreeSet<&str> = shown["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .map(|o| o["offer"]["source"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(offered_by, ["genai-prices", "litellm", "models-dev", "openrouter"].into());

    // A reseller's id resolves to the model and prices with the reseller's own offer.
    let azure = app.json(&["cost", "azure/gpt-4o", "--input", "1000000"]).await;
    assert_eq!(azure["model"], "openai/gpt-4o");
    assert_eq!((azure["source"].as_str(), azure["seller"].as_str()), (Some("litellm"), Some("azure")));
    let batch = app.json(&["cost", "azure/gpt-4o", "--input", "1000000", "--mode", "batch"]).await;
    let full: rust_decimal::Decimal = azure["total_usd"].as_str().and_then(|s| s.parse().ok()).expect("total");
    let half: rust_decimal::Decimal = batch["total_usd"].as_str().and_then(|s| s.parse().ok()).expect("total");
    assert_eq!(half * rust_decimal::Decimal::TWO, full, "Azure's batch price is half");
}

#[tokio::test]
async fn a_price_list_from_a_url_has_its_own_history() {
    let app = TestApp::new().await;
    app.ok(&["sync", "--offline"]).await;
    let url = format!("{}/litellm.json", app.server.uri());
    let mut file = litellm_file();
    serve_litellm(&app, &file).await;
    let first = app.json(&["sync", "--source", "litellm", "--url", &url]).await;
    assert_eq!(first["origin"], "network");

    file["gpt-4o"]["input_cost_per_token"] = serde_json::json!(3e-06);
    file.as_object_mut().expect("object").remove("azure/gpt-4o");
    serve_litellm(&app, &file).await;
    let second = app.json(&["sync", "--source", "litellm", "--url", &url]).await;
    let events: Vec<(String, String)> = second["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["kind"].as_str().unwrap_or("").to_string(), e["subject"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        events,
        [
            ("offer_removed".to_string(), "azure/gpt-4o".to_string()),
            ("price_changed".to_string(), "gpt-4o".to_string())
        ]
    );
    let changed = &second["events"][1];
    assert_eq!((changed["old_value"].as_str(), changed["new_value"].as_str()), (Some("0.0000025"), Some("0.000003")));
    // The model stays: other sources still offer it.
    let shown = app.json(&["show", "openai/gpt-4o"]).await;
    assert_eq!(shown["is_active"], true);
    // The OpenRouter catalog was never touched by the LiteLLM syncs.
    let runs = app.json(&["runs"]).await;
    assert_eq!(runs.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn url_and_file_options_take_one_source() {
    let app = TestApp::new().await;
    for args in [
        vec!["sync", "--source", "openrouter", "--url", "http://x/y.json"],
        vec!["sync", "--source", "all", "--from-file", "x.json"],
    ] {
        let out = app.llmcost(&args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test]
async fn a_bad_price_list_fails_cleanly_and_changes_nothing() {
    let app = TestApp::new().await;
    app.ok(&["sync", "--source", "litellm", "--offline"]).await;
    let before = app.catalog_dump().await;
    let mut file = litellm_file();
    file["gpt-4o"]["input_cost_per_token"] = serde_json::json!("2.5e-06x");
    let path = app.dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&file).expect("JSON")).expect("written");
    let out = app.llmcost(&["sync", "--source", "litellm", "--from-file", path.to_str().expect("path")]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("litellm: entry \"gpt-4o\": input_cost_per_token"), "{stderr}");
    assert_eq!(app.catalog_dump().await, before);
    assert_eq!(app.runs().await.last().map(|r| r.0.clone()), Some("failed".to_string()));
}
