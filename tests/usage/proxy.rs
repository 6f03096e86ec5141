//! The proxy against a mock OpenAI-compatible upstream serving recorded OpenRouter responses:
//! byte-identical answers (plain and streamed), the usage rows and their costs, upstream
//! errors passed through, budgets, shutdown flushing, and no row lost under load.

use crate::databases::Backend;
use crate::helpers::{TestProxy, catalog_db, no_budgets, recorded, rows, text_response, text_stream, upstream_with};
use llmcost::track::budget::parse_budget_flag;
use llmcost::track::{Budgets, CostSource, Endpoint, UsageQuery};
use reqwest::Client;
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn chat_body(stream: bool) -> serde_json::Value {
    json!({"model": "openai/gpt-4o-mini", "stream": stream,
           "messages": [{"role": "user", "content": "Why TypeScript? One sentence."}]})
}

/// (status, content-type, body bytes) of a POST.
async fn post(
    client: &Client,
    url: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> (u16, String, Vec<u8>) {
    let mut req = client.post(url).header("authorization", "Bearer sk-or-test-key").json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_answers_are_byte_identical_and_recorded_with_the_reported_cost() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_plain").await.expect("db");
    let upstream = upstream_with(200, text_response(), "application/json").await;
    let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
    let client = Client::new();
    let direct = post(&client, &format!("{}/api/v1/chat/completions", upstream.uri()), &chat_body(false), &[]).await;
    let proxied =
        post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-app", "search")]).await;
    assert_eq!(proxied, direct);
    assert_eq!(proxied.2, text_response());

    let rows = rows(&store, 1).await;
    let r = &rows[0].record;
    assert_eq!(r.request_id, "gen-1764926476-0N0195qHFzGljvYKVijc");
    assert_eq!(r.endpoint, Endpoint::ChatCompletions);
    assert_eq!(r.model.as_deref(), Some("openai/gpt-4o-mini"));
    assert_eq!(r.provider.as_deref(), Some("OpenAI"));
    assert_eq!((r.usage.input, r.usage.output, r.status, r.streamed), (29, 33, 200, false));
    assert_eq!(r.cost_source, CostSource::Reported);
    assert_eq!(r.cost, Some(d("0.00002415")));
    // The engine agrees with OpenRouter's bill to the last digit: 29 × 0.15/M + 33 × 0.6/M.
    assert_eq!(r.engine_cost.map(|c| c.normalize()), Some(d("0.00002415")));
    assert_eq!(r.tags.app.as_deref(), Some("search"));
    assert_eq!(r.tags.key_hash.as_deref().map(str::len), Some(16));
    // The tag header is the proxy's: it does not go upstream; the key does.
    let received = upstream.received_requests().await.expect("recorded");
    let sent = received.last().expect("one request");
    assert!(sent.headers.get("x-llmcost-app").is_none());
    assert_eq!(sent.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer sk-or-test-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_byte_identical_ask_for_usage_and_are_priced_from_the_last_chunk() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_stream").await.expect("db");
    let upstream = upstream_with(200, text_stream(), "text/event-stream").await;
    let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
    let client = Client::new();
    let direct = post(&client, &format!("{}/api/v1/chat/completions", upstream.uri()), &chat_body(true), &[]).await;
    let proxied = post(&client, &proxy.url("/v1/chat/completions"), &chat_body(true), &[]).await;
    assert_eq!(proxied, direct);
    assert_eq!(proxied.2, text_stream());

    let received = upstream.received_requests().await.expect("recorded");
    let sent: serde_json::Value = serde_json::from_slice(&received[1].body).expect("json body");
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent["messages"], chat_body(true)["messages"]);

    let rows = rows(&store, 1).await;
    let r = &rows[0].record;
    assert!(r.streamed);
    assert_eq!((r.usage.input, r.usage.output), (29, 33));
    assert_eq!((r.cost, r.cost_source), (Some(d("0.00002415")), CostSource::Reported));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_reported_cost_the_engine_prices_the_usage() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_engine").await.expect("db");
    let mut response = recorded("Text+Image → Text");
    let usage = response["usage"].as_object_mut().expect("usage");
    for k in ["cost", "is_byok", "cost_details"] {
        usage.remove(k);
    }
    let upstream = upstream_with(200, serde_json::to_vec(&response).expect("json"), "application/json").await;
    let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
    let (status, ..) = post(&Client::new(), &proxy.url("/v1/chat/completions"), &chat_body(false), &[]).await;
    assert_eq!(status, 200);
    let r = rows(&store, 1).await.remove(0).record;
    assert_eq!(r.cost_source, CostSource::Engine);
    // 36,861 × 0.15/M + 20 × 0.6/M: what OpenRouter billed for this recorded request.
    assert_eq!(r.cost.map(|c| c.normalize()), Some(d("0.00554115")));
    assert_eq!(r.provider_cost, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_pass_through_unchanged_and_are_recorded() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_errors").await.expect("db");
    for (status, body) in [
        (429u16, br#"{"error":{"message":"Rate limit exceeded: free-models-per-min","code":429}}"#.to_vec()),
        (500u16, br#"{"error":{"message":"Internal Server Error","code":500}}"#.to_vec()),
        (400u16, br#"{"error":{"message":"openai/gpt-4o-mini is not a valid model ID","code":400}}"#.to_vec()),
    ] {
        let upstream = upstream_with(status, body.clone(), "application/json").await;
        let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
        let client = Client::new();
        let direct =
            post(&client, &format!("{}/api/v1/chat/completions", upstream.uri()), &chat_body(false), &[]).await;
        let proxied = post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[]).await;
        assert_eq!(proxied, direct);
        assert_eq!((proxied.0, proxied.2), (status, body));
    }
    let rows = rows(&store, 3).await;
    let statuses: Vec<u16> = rows.iter().map(|r| r.record.status).collect();
    assert_eq!(statuses, vec![429, 500, 400]);
    assert!(rows.iter().all(|r| r.record.cost_source == CostSource::Unpriced && r.record.cost.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_502_json_error() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_down").await.expect("db");
    let proxy = TestProxy::spawn(store.clone(), "http://127.0.0.1:9", no_budgets()).await;
    let (status, _, body) = post(&Client::new(), &proxy.url("/v1/chat/completions"), &chat_body(false), &[]).await;
    assert_eq!(status, 502);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["error"]["code"], "upstream_unreachable");
    assert!(!String::from_utf8_lossy(&body).contains("sk-or-test-key"));
    assert_eq!(rows(&store, 1).await[0].record.status, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_trips_at_the_right_request() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_budget").await.expect("db");
    let upstream = upstream_with(200, text_response(), "application/json").await;
    // Each request costs $0.00002415: three fit under $0.00007 (the third ends at $0.00007245).
    let flag = parse_budget_flag("app:search=daily:0.00007").expect("flag");
    let budgets = Budgets::new(&Default::default(), vec![flag]).expect("budgets");
    let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), budgets).await;
    let client = Client::new();
    for i in 1..=3 {
        let (status, ..) =
            post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-app", "search")]).await;
        assert_eq!(status, 200, "request {i}");
    }
    let (status, ct, body) =
        post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-app", "search")]).await;
    assert_eq!((status, ct.as_str()), (429, "application/json"));
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["error"]["code"], "budget_exceeded");
    let message = v["error"]["message"].as_str().expect("message");
    assert!(message.contains("app:search") && message.contains("0.00007245") && message.contains("daily"), "{message}");
    // Refused before going upstream; other apps are not limited.
    assert_eq!(upstream.received_requests().await.expect("recorded").len(), 3);
    let (status, ..) =
        post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-app", "other")]).await;
    assert_eq!(status, 200);
    // The spend is visible.
    let view: serde_json::Value =
        client.get(proxy.url("/api/v1/usage/budgets")).send().await.expect("get").json().await.expect("json");
    assert_eq!(view["budgets"][0]["selector"], "app:search");
    assert_eq!(view["budgets"][0]["daily_spent_usd"], "0.00007245");
    assert_eq!(view["budgets"][0]["exceeded"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_are_seeded_from_recorded_spend() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_seed").await.expect("db");
    let upstream = upstream_with(200, text_response(), "application/json").await;
    let budget = || Budgets::new(&Default::default(), vec![parse_budget_flag("user:al=daily:0.00004").expect("f")]);
    let mut first = TestProxy::spawn(store.clone(), &upstream.uri(), budget().expect("b")).await;
    let client = Client::new();
    for _ in 0..2 {
        let (s, ..) =
            post(&client, &first.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-user", "al")]).await;
        assert_eq!(s, 200);
    }
    first.stop().await;
    // A restarted proxy remembers today's spend.
    let second = TestProxy::spawn(store.clone(), &upstream.uri(), budget().expect("b")).await;
    let (s, ..) =
        post(&client, &second.url("/v1/chat/completions"), &chat_body(false), &[("x-llmcost-user", "al")]).await;
    assert_eq!(s, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_pass_through_paths() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_ops").await.expect("db");
    let upstream = upstream_with(200, text_response(), "application/json").await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/api/v1/models"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(br#"{"data":[]}"#.to_vec(), "application/json"))
        .mount(&upstream)
        .await;
    let proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
    let client = Client::new();
    assert_eq!(client.get(proxy.url("/healthz")).send().await.expect("get").status(), 200);
    let models = client.get(proxy.url("/v1/models")).send().await.expect("get");
    assert_eq!(models.status(), 200);
    assert_eq!(models.bytes().await.expect("body").as_ref(), br#"{"data":[]}"#);
    post(&client, &proxy.url("/v1/chat/completions"), &chat_body(false), &[]).await;
    rows(&store, 1).await;
    let text = client.get(proxy.url("/metrics")).send().await.expect("get").text().await.expect("text");
    assert!(text.contains("llmcost_proxy_tokens_total"), "{text}");
    assert!(text.contains("llmcost_proxy_spend_usd_total"), "{text}");
    assert!(text.contains("llmcost_proxy_records_queued_peak"), "{text}");
    // Only the chat call is a usage row: pass-through paths are not.
    assert_eq!(store.usage_records(&UsageQuery::default()).await.expect("read").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_lose_no_row_and_shutdown_flushes() {
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_load").await.expect("db");
    let upstream = upstream_with(200, text_response(), "application/json").await;
    let mut proxy = TestProxy::spawn(store.clone(), &upstream.uri(), no_budgets()).await;
    let client = Client::builder().pool_max_idle_per_host(2_000).build().expect("client");
    let limit = Arc::new(tokio::sync::Semaphore::new(1_000));
    let url = proxy.url("/v1/chat/completions");
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let (client, url, limit) = (client.clone(), url.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire().await.expect("permit");
                post(&client, &url, &chat_body(false), &[]).await.0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
    // Stop at once: every record still queued is written before the proxy returns.
    let written = proxy.stop().await;
    assert_eq!(written, 10_000);
    let rows = store.usage_records(&UsageQuery::default()).await.expect("read");
    assert_eq!(rows.len(), 10_000);
    let total: Decimal = rows.iter().filter_map(|r| r.record.cost).sum();
    assert_eq!(total.normalize(), d("0.2415"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_chunks_reach_the_client_before_the_upstream_sends_the_next() {
    use futures::StreamExt;
    let (_db, store) = catalog_db(Backend::Sqlite, "proxy_live").await.expect("db");
    // An upstream that sends the first event, then waits until the test has received it
    // through the proxy before sending the rest: a proxy that buffered would hang here.
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let go = Arc::new(tokio::sync::Mutex::new(Some(go_rx)));
    let stream = text_stream();
    let split = stream.windows(2).position(|w| w == b"\n\n").expect("first event") + 2;
    let app = axum::Router::new().route(
        "/api/v1/chat/completions",
        axum::routing::post(move || {
            let (go, stream) = (go.clone(), stream.clone());
            async move {
                let rx = go.lock().await.take().expect("one request");
                let first = bytes::Bytes::copy_from_slice(&stream[..split]);
                let rest = bytes::Bytes::copy_from_slice(&stream[split..]);
                let body = futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
                    futures::stream::once(async move {
                        let _ = rx.await;
                        Ok(rest)
                    }),
                );
                ([("content-type", "text/event-stream")], axum::body::Body::from_stream(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let upstream = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let proxy = TestProxy::spawn(store.clone(), &upstream, no_budgets()).await;
    let response =
        Client::new().post(proxy.url("/v1/chat/completions")).json(&chat_body(true)).send().await.expect("send");
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let first = tokio::time::timeout(Duration::from_secs(5), body.next()).await.expect("first chunk without buffering");
    received.extend_from_slice(&first.expect("chunk").expect("bytes"));
    assert_eq!(received, text_stream()[..split]);
    go_tx.send(()).expect("upstream waiting");
    while let Some(chunk) = body.next().await {
        received.extend_from_slice(&chunk.expect("bytes"));
    }
    assert_eq!(received, text_stream());
    assert_eq!(rows(&store, 1).await[0].record.usage.output, 33);
}
