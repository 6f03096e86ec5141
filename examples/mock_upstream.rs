//! A fast local OpenAI-compatible upstream for `bench/proxy.py`: answers every
//! `POST …/chat/completions` with one recorded OpenRouter response (gpt-4o-mini, with usage and
//! cost), then runs until killed. Prints nothing; listens on the address given.
//!
//!   cargo run --release --example mock_upstream -- 127.0.0.1:18500

use axum::routing::post;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18500".into());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/chat_completions_2025-12.json");
    let all: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let response = all["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["label"] == "Text → Text"))
        .map(|i| i["response"].clone())
        .ok_or("no Text → Text response in the fixture")?;
    let body = bytes::Bytes::from(serde_json::to_vec(&response)?);
    let answer = move || {
        let body = body.clone();
        async move { ([("content-type", "application/json")], body) }
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(answer.clone()))
        .route("/api/v1/chat/completions", post(answer));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
