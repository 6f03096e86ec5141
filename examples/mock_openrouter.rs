//! A local OpenRouter for benchmarks: serves a catalog file as `GET /api/v1/models` (with an
//! ETag) and every listing's endpoints, then prints its base URL and runs until killed.
//!
//! `cargo run --release --example mock_openrouter -- fixtures/openrouter/models_2026-08-08.json`

#[path = "../tests/support/openrouter_mock.rs"]
mod openrouter_mock;

use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() {
    let file = std::env::args().nth(1).expect("usage: mock_openrouter CATALOG.json");
    let body = std::fs::read(&file).expect("readable catalog");
    let server = MockServer::start().await;
    let etag = format!("\"{}\"", body.len());
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .and(header("If-None-Match", etag.as_str()))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body.clone(), "application/json")
                .insert_header("ETag", etag.as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/models/.+/endpoints$"))
        .respond_with(openrouter_mock::EndpointsFromCatalog::from_catalog(&body))
        .mount(&server)
        .await;
    println!("{}/api/v1", server.uri());
    std::future::pending::<()>().await;
}
