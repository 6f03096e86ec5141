//! Alert delivery against real HTTP receivers (wiremock): retries, what is not retried,
//! Retry-After, filtering, concurrency and the background dispatch.

use llmcost::alerts::{Alert, AlertKind, AlertSettings, Notifier, WebhookFormat, WebhookTarget};
use llmcost::config::Secret;
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK: &str = "/hooks/T0001/B0002/s3cr3t-token";

fn settings(urls: &[(&str, WebhookFormat)]) -> AlertSettings {
    AlertSettings {
        webhooks: urls
            .iter()
            .map(|(url, format)| WebhookTarget::new(Secret::new(url.to_string()).expect("url"), *format))
            .collect(),
        timeout_secs: 5,
        retries: 3,
        backoff_ms: 10,
        ..AlertSettings::default()
    }
}

async fn requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .expect("recording")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

#[tokio::test]
async fn a_failing_receiver_gets_the_batch_on_a_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream hiccup"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(HOOK)).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let url = format!("{}{HOOK}", server.uri());
    let notifier = Notifier::new(&settings(&[(&url, WebhookFormat::Json)])).expect("notifier");

    let deliveries = notifier.deliver(&Alert::samples()).await;
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert!(d.delivered, "{d:?}");
    assert_eq!((d.attempts, d.status, d.alerts), (3, Some(200), 4));
    let bodies = requests(&server).await;
    assert_eq!(bodies.len(), 3, "two failures, then the delivery");
    assert!(bodies.iter().all(|b| *b == bodies[0]), "every attempt sends the same batch");
    assert_eq!(bodies[0]["event"], "llmcost.alerts");
    assert_eq!(bodies[0]["test"], true);
    assert_eq!(bodies[0]["alerts"].as_array().map(Vec::len), Some(4));
    assert!(!d.target.contains("s3cr3t") && !format!("{d:?}").contains("hooks/T0001"), "{d:?}");
}

#[tokio::test]
async fn a_4xx_is_not_retried_and_retries_run_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/bad"))
        .respond_with(ResponseTemplate::new(400).set_body_string("invalid_payload"))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/down")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let bad = format!("{}/bad", server.uri());
    let down = format!("{}/down", server.uri());
    let notifier =
        Notifier::new(&settings(&[(&bad, WebhookFormat::Slack), (&down, WebhookFormat::Json)])).expect("notifier");

    let deliveries = notifier.deliver(&Alert::samples()).await;
    assert_eq!(deliveries.len(), 2);
    let (bad_d, down_d) = (&deliveries[0], &deliveries[1]);
    assert!(!bad_d.delivered);
    assert_eq!((bad_d.attempts, bad_d.status), (1, Some(400)));
    assert_eq!(bad_d.error.as_deref(), Some("HTTP 400: invalid_payload"));
    assert!(!down_d.delivered);
    assert_eq!((down_d.attempts, down_d.status), (4, Some(503)), "the first attempt and 3 retries");
    let received = server.received_requests().await.expect("recording");
    assert_eq!(received.iter().filter(|r| r.url.path() == "/bad").count(), 1);
    assert_eq!(received.iter().filter(|r| r.url.path() == "/down").count(), 4);
    let slack: Value =
        serde_json::from_slice(&received.iter().find(|r| r.url.path() == "/bad").expect("sent").body).expect("JSON");
    assert!(slack["text"].as_str().expect("text").starts_with(":test_tube: *TEST*"), "{slack}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let url = format!("{}/hook", server.uri());
    let notifier = Notifier::new(&settings(&[(&url, WebhookFormat::Json)])).expect("notifier");

    let started = Instant::now();
    let deliveries = notifier.deliver(&Alert::samples()).await;
    assert!(deliveries[0].delivered, "{deliveries:?}");
    assert_eq!(deliveries[0].attempts, 2);
    // The backoff alone would have waited about 10 ms.
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());

    // A Retry-After longer than we wait gives up at once.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let deliveries = notifier.deliver(&Alert::samples()).await;
    assert_eq!((deliveries[0].delivered, deliveries[0].attempts), (false, 1));
    assert!(deliveries[0].error.as_deref().is_some_and(|e| e.contains("Retry-After 3600 s")), "{deliveries:?}");
}

#[tokio::test]
async fn unreachable_receivers_are_retried_and_reported_without_the_url() {
    // A port nothing listens on: connection refused on every attempt.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}{HOOK}");
    let notifier = Notifier::new(&settings(&[(&url, WebhookFormat::Slack)])).expect("notifier");
    let deliveries = notifier.deliver(&Alert::samples()).await;
    let d = &deliveries[0];
    assert_eq!((d.delivered, d.attempts, d.status), (false, 4, None));
    let shown = format!("{d:?} {}", serde_json::to_string(d).expect("serializes"));
    assert!(!shown.contains("s3cr3t") && !shown.contains("T0001"), "{shown}");
    assert_eq!(d.target, format!("http://127.0.0.1:{port}"));
}

#[tokio::test]
async fn targets_get_only_their_kinds_and_dispatch_runs_in_the_background() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(1)))
        .mount(&server)
        .await;
    let mut s = settings(&[
        (&format!("{}/failures", server.uri()), WebhookFormat::Json),
        (&format!("{}/muted", server.uri()), WebhookFormat::Json),
        (&format!("{}/all", server.uri()), WebhookFormat::Json),
    ]);
    s.webhooks[0].events = vec![AlertKind::SyncFailed];
    s.webhooks[1].events = vec![];
    let notifier = Notifier::new(&s).expect("notifier");

    let started = Instant::now();
    let handle = notifier.dispatch(Alert::samples());
    assert!(started.elapsed() < Duration::from_millis(500), "dispatch does not wait");
    let deliveries = handle.await.expect("task");
    assert!(started.elapsed() < Duration::from_millis(1900), "targets are served concurrently");
    assert_eq!(deliveries.iter().map(|d| (d.delivered, d.alerts)).collect::<Vec<_>>(), [(true, 1), (true, 4)]);
    let received = server.received_requests().await.expect("recording");
    assert_eq!(received.len(), 2, "the muted target gets nothing");
    let failures: Value =
        serde_json::from_slice(&received.iter().find(|r| r.url.path() == "/failures").expect("sent").body)
            .expect("JSON");
    assert_eq!(failures["counts"]["sync_failed"], 1);
    assert_eq!(failures["alerts"][0]["kind"], "sync_failed");
    assert_eq!(
        received.iter().find(|r| r.url.path() == "/all").map(|r| r.headers["content-type"].clone()).expect("sent"),
        "application/json"
    );
}

#[tokio::test]
async fn a_receiver_that_times_out_is_tried_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let url = format!("{}/hook", server.uri());
    let mut s = settings(&[(&url, WebhookFormat::Slack)]);
    s.timeout_secs = 1;
    let notifier = Notifier::new(&s).expect("notifier");
    assert_eq!(notifier.budget(), Duration::from_secs(4), "timeout × (retries + 1)");

    let started = Instant::now();
    let deliveries = notifier.deliver(&Alert::samples()).await;
    assert!(deliveries[0].delivered, "{deliveries:?}");
    assert_eq!(deliveries[0].attempts, 2);
    assert!(started.elapsed() < Duration::from_secs(3), "the slow attempt was cut at 1 s: {:?}", started.elapsed());
}
