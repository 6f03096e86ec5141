//! `llmcost compare`: one model's prices at every provider and source, with disagreements.

use crate::helpers::TestApp;
use serde_json::Value;
use std::collections::BTreeSet;

async fn all_sources() -> TestApp {
    let app = TestApp::new().await;
    app.ok(&["sync", "--source", "all", "--offline"]).await;
    app
}

/// (party, component) of every disagreement.
fn disputes(v: &Value) -> Vec<(String, String)> {
    v["disagreements"]
        .as_array()
        .expect("disagreements")
        .iter()
        .map(|d| (d["party"].as_str().unwrap_or("").to_string(), d["component"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test]
async fn compares_every_source_and_reports_real_disagreements() {
    let app = all_sources().await;
    let gpt4o = app.json(&["compare", "openai/gpt-4o"]).await;
    assert_eq!(gpt4o["model"], "openai/gpt-4o");
    let offers = gpt4o["offers"].as_array().expect("offers");
    let sources: BTreeSet<&str> = offers.iter().filter_map(|o| o["source"].as_str()).collect();
    assert_eq!(sources, ["genai-prices", "litellm", "models-dev", "openrouter"].into());
    let columns: Vec<&str> = gpt4o["columns"].as_array().expect("columns").iter().filter_map(Value::as_str).collect();
    assert_eq!(columns, ["input", "output", "cache_read", "cache_write"]);
    // The four sources agree on what each party charges for GPT-4o: LiteLLM's EU/US data-zone
    // Azure price ($2.75) sits beside its global one ($2.5), which models.dev also states.
    assert_eq!(disputes(&gpt4o), []);
    let input = gpt4o["ranges"].as_array().expect("ranges").iter().find(|r| r["component"] == "input").expect("input");
    assert_eq!((input["min"]["usd"].as_str(), input["max"]["usd"].as_str()), (Some("0"), Some("0.00000275")));
    assert!(
        input["max"]["offers"].as_array().expect("offers").contains(&Value::from("litellm|azure|azure/eu/gpt-4o|"))
    );

    // Claude Sonnet 5: genai-prices still has Anthropic at $3 / $15, LiteLLM at $2 / $10.
    let sonnet = app.json(&["compare", "anthropic/claude-sonnet-5", "--component", "input,output"]).await;
    let found = disputes(&sonnet);
    for component in ["input", "output"] {
        assert!(found.contains(&("anthropic".to_string(), component.to_string())), "{found:?}");
    }
    let anthropic_input = sonnet["disagreements"]
        .as_array()
        .expect("disagreements")
        .iter()
        .find(|d| d["party"] == "anthropic" && d["component"] == "input")
        .expect("anthropic input");
    let values: Vec<(&str, Vec<&str>)> = anthropic_input["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|s| {
            let prices = s["prices"].as_array().expect("prices").iter().filter_map(|p| p["usd"].as_str()).collect();
            (s["source"].as_str().unwrap_or(""), prices)
        })
        .collect();
    assert_eq!(values, [("litellm", vec!["0.000002"]), ("genai-prices", vec!["0.000003"])]);
    let marked = sonnet["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .find(|o| o["key"] == "genai-prices|anthropic|claude-sonnet-5|")
        .expect("genai-prices offer");
    assert_eq!(marked["disputed"], serde_json::json!(["input", "output"]));

    // The table marks the cells and names the disagreement; `show` surfaces it too.
    let text = app.ok(&["compare", "anthropic/claude-sonnet-5"]).await;
    assert!(text.contains("$3 ≠"), "{text}");
    assert!(text.contains("anthropic input: litellm $2 vs genai-prices $3"), "{text}");
    let shown = app.ok(&["show", "anthropic/claude-sonnet-5"]).await;
    assert!(shown.contains("Sources disagree: "), "{shown}");
    let shown = app.ok(&["show", "openai/gpt-4o"]).await;
    assert!(!shown.contains("Sources disagree"), "{shown}");
}

#[tokio::test]
async fn unknown_models_and_components_are_usage_errors() {
    let app = all_sources().await;
    for args in [vec!["compare", "nobody/no-such-model"], vec!["compare", "openai/gpt-4o", "--component", "tokens"]] {
        let out = app.llmcost(&args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let help = app.ok(&["compare", "--help"]).await;
    assert!(help.contains("Examples:"));
}
