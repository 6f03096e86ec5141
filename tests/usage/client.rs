//! The cost-tracking client: the cost from `usage.cost`, else `/generation`, else the engine;
//! the run's total; and `llmcost chat --json`.

use crate::databases::Backend;
use crate::helpers::{catalog_db, recorded, text_response};
use llmcost::config::Secret;
use llmcost::cost::PriceBook;
use llmcost::track::{ChatRequest, CostSource, CostTrackingClient};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

async fn book() -> Arc<PriceBook> {
    let (_db, store) = catalog_db(Backend::Sqlite, "client_book").await.expect("db");
    let state = store.load_state().await.expect("state");
    Arc::new(PriceBook::new(&state, store.price_intervals().await.expect("intervals")))
}

fn without_cost(mut response: Value, id: &str) -> Vec<u8> {
    response["id"] = json!(id);
    let usage = response["usage"].as_object_mut().expect("usage");
    for k in ["cost", "is_byok", "cost_details"] {
        usage.remove(k);
    }
    serde_json::to_vec(&response).expect("json")
}

fn ask() -> ChatRequest {
    ChatRequest {
        model: "openai/gpt-4o-mini".into(),
        system: Some("Be brief".into()),
        prompt: "Why TypeScript?".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn costs_come_from_usage_then_generation_then_the_engine_and_add_up() {
    let server = MockServer::start().await;
    let base = format!("{}/api/v1", server.uri());
    let client = CostTrackingClient::new(
        &base,
        Secret::new("sk-or-v1-secret".into()),
        Some("openrouter".into()),
        Some(book().await),
    )
    .expect("client")
    .generation_retries(5, Duration::from_millis(20));
    assert!(!format!("{client:?}").contains("sk-or-v1-secret"));

    // 1. The response carries usage.cost.
    let mock = Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(text_response(), "application/json"))
        .up_to_n_times(1)
        .mount_as_scoped(&server)
        .await;
    let out = client.chat(&ask()).await.expect("chat");
    drop(mock);
    let cost = out.cost.clone().expect("cost");
    assert_eq!((cost.source, cost.total_usd), (CostSource::Reported, Some(d("0.00002415"))));
    assert_eq!(
        cost.breakdown.iter().map(|l| (l.bucket.as_str(), l.quantity)).collect::<Vec<_>>(),
        vec![("input", 29), ("output", 33)]
    );
    assert!(out.text().expect("text").starts_with("TypeScript enhances"));
    let sent = server.received_requests().await.expect("requests");
    let headers = &sent[0].headers;
    assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer sk-or-v1-secret"));
    assert!(headers.get("x-title").is_some() && headers.get("http-referer").is_some());

    // 2. No usage.cost: OpenRouter's /generation, asked until it is ready.
    let id = "gen-1764926740-2URsEndpDLg4aKhrce5p";
    let _chat = Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(without_cost(recorded("Text+Image → Text"), id), "application/json"),
        )
        .up_to_n_times(1)
        .mount_as_scoped(&server)
        .await;
    let _not_yet = Mock::given(method("GET"))
        .and(path("/api/v1/generation"))
        .and(query_param("id", id))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "Generation not found"}})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount_as_scoped(&server)
        .await;
    let _ready = Mock::given(method("GET"))
        .and(path("/api/v1/generation"))
        .and(query_param("id", id))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"data":{{"id":"{id}","total_cost":0.00554115,"tokens_prompt":36861}}}}"#),
            "application/json",
        ))
        .mount_as_scoped(&server)
        .await;
    let out = client.chat(&ask()).await.expect("chat");
    let cost = out.cost.expect("cost");
    assert_eq!((cost.source, cost.total_usd), (CostSource::Generation, Some(d("0.00554115"))));
    drop((_chat, _not_yet, _ready));

    // 3. Neither: the engine.
    let _chat = Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(without_cost(recorded("Text → Text"), "chatcmpl-1"), "application/json"),
        )
        .mount_as_scoped(&server)
        .await;
    let out = client.chat(&ask()).await.expect("chat");
    let cost = out.cost.expect("cost");
    assert_eq!((cost.source, cost.total_usd.map(|c| c.normalize())), (CostSource::Engine, Some(d("0.00002415"))));

    assert_eq!(client.total(), (d("0.00558945"), 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_status_and_never_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "No auth credentials found", "code": 401}})),
        )
        .mount(&server)
        .await;
    let client =
        CostTrackingClient::new(&format!("{}/api/v1", server.uri()), Secret::new("sk-secret-1".into()), None, None)
            .expect("client");
    let err = client.chat(&ask()).await.expect_err("401");
    let text = err.to_string();
    assert!(text.contains("401") && !text.contains("sk-secret-1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_json_output_has_response_usage_and_cost() {
    let (db, _store) = catalog_db(Backend::Sqlite, "client_cli").await.expect("db");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(text_response(), "application/json"))
        .mount(&server)
        .await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "chat", "--provider", &format!("{}/api/v1", server.uri())])
        .args(["--model", "openai/gpt-4o-mini", "--json", "Why TypeScript?"])
        .env("OPENAI_API_KEY", "sk-proj-never-shown")
        .env_remove("OPENROUTER_API_KEY")
        .output()
        .await
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains("sk-proj-never-shown") && !stderr.contains("sk-proj-never-shown"));
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["response"], recorded("Text → Text"));
    assert_eq!(v["usage"]["input"], 29);
    assert_eq!(v["usage"]["output"], 33);
    assert_eq!(v["cost"]["total_usd"], "0.00002415");
    assert_eq!(v["cost"]["source"], "reported");
    assert_eq!(
        v["cost"]["breakdown"][0],
        json!({"bucket": "input", "quantity": 29, "unit_price": "0.00000015", "amount": "0.00000435"})
    );
    assert_eq!(
        v["cost"]["breakdown"][1],
        json!({"bucket": "output", "quantity": 33, "unit_price": "0.0000006", "amount": "0.0000198"})
    );

    // The text form: the answer on stdout, the cost on stderr; and the request was recorded.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "chat", "--provider", &format!("{}/api/v1", server.uri())])
        .args(["--model", "openai/gpt-4o-mini", "Why TypeScript?"])
        .output()
        .await
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("TypeScript enhances"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cost: $0.00002415 (reported by the provider"));
    let usage = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "usage", "--json"])
        .output()
        .await
        .expect("run");
    let report: Value = serde_json::from_slice(&usage.stdout).expect("json");
    assert_eq!(report["total"]["requests"], 2);
    assert_eq!(report["total"]["cost_usd"], "0.0000483");
}
