//! The overrides file: negotiated prices and custom models win, discounts apply, with history.

use crate::helpers::TestApp;
use rust_decimal::Decimal;
use std::str::FromStr;

fn usd(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("a decimal string")).expect("decimal")
}

const OVERRIDES: &str = r#"
[[price]]
model = "openai/gpt-4o"
provider = "openai"
input = "2.00"
output = "8.00"
note = "2026 enterprise agreement"

[[model]]
id = "acme/support-bot"
name = "ACME support bot"
provider = "openai"
context_length = 128000
input = "0.30"
output = "1.20"

[[discount]]
provider = "azure"
percent = "10"
"#;

#[tokio::test]
async fn overrides_win_say_so_and_keep_history() {
    let app = TestApp::new().await;
    let file = app.dir.path().join("overrides.toml");
    std::fs::write(&file, OVERRIDES).expect("written");
    let file_arg = file.to_str().expect("path");
    app.ok(&["sync", "--offline"]).await;
    app.ok(&["sync", "--source", "litellm", "--offline"]).await;
    let synced = app.json(&["--overrides", file_arg, "sync", "--source", "overrides"]).await;
    assert_eq!((synced["source"].as_str(), synced["origin"].as_str()), (Some("overrides"), Some("file")));

    let negotiated = app.json(&["--overrides", file_arg, "cost", "openai/gpt-4o", "--input", "1000000"]).await;
    assert_eq!(negotiated["source"], "overrides");
    assert_eq!(usd(&negotiated["total_usd"]), Decimal::from(2));
    assert!(negotiated["overridden"].as_str().is_some_and(|n| n.contains("negotiated")));

    let discounted = app.json(&["--overrides", file_arg, "cost", "azure/gpt-4o", "--input", "1000000"]).await;
    assert_eq!(discounted["seller"], "azure");
    assert_eq!(usd(&discounted["total_usd"]), Decimal::from_str("2.25").expect("dec"), "2.5 less 10%");
    assert!(discounted["overridden"].as_str().is_some_and(|n| n.contains("10% discount")));

    let custom = app.json(&["cost", "acme/support-bot", "--input", "1000000", "--output", "1000000"]).await;
    assert_eq!(usd(&custom["total_usd"]), Decimal::from_str("1.5").expect("dec"));
    let shown = app.json(&["show", "acme/support-bot"]).await;
    assert_eq!(shown["model"]["name"], "ACME support bot");

    // A renegotiated price is a price change like any other.
    std::fs::write(&file, OVERRIDES.replace("input = \"2.00\"", "input = \"1.80\"")).expect("written");
    let again = app.json(&["--overrides", file_arg, "sync", "--source", "overrides"]).await;
    let kinds: Vec<&str> =
        again["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["price_changed"]);
    assert_eq!(again["events"][0]["percent"], "-10");

    // Without a file, `sync --source overrides` is a usage error.
    let out = app.llmcost(&["sync", "--source", "overrides"]).await;
    assert_eq!(out.status.code(), Some(2));
}
