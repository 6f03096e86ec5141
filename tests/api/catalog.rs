//! The read API and `POST /cost`.

#[allow(unused_imports)]
use crate::databases::{Backend, TestDb};
use crate::helpers::{TestApp, error_of};
use serde_json::{Value, json};

async fn synced() -> TestApp {
    let app = TestApp::spawn().await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;
    app
}

#[tokio::test]
async fn models_filter_sort_paginate_and_carry_etags() {
    let app = synced().await;
    let all = app.get_json("/api/v1/models?limit=1000").await;
    let total = all["total"].as_u64().expect("total");
    assert!(total > 300, "{total}");
    assert_eq!(all["data"].as_array().expect("data").len() as u64, total);

    let page = app.get_json("/api/v1/models?limit=10&offset=10&sort=price").await;
    assert_eq!(page["data"].as_array().expect("data").len(), 10);
    assert_eq!(page["total"], total);
    let cheap = app.get_json("/api/v1/models?limit=20&sort=price").await;
    assert_eq!(cheap["data"][10]["id"], page["data"][0]["id"], "pages continue one another");

    let tools = app.get_json("/api/v1/models?supports=tools,structured_outputs&author=openai&limit=1000").await;
    for m in tools["data"].as_array().expect("data") {
        assert!(m["id"].as_str().expect("id").starts_with("openai/"));
        let params = m["supported_parameters"].as_array().expect("params");
        assert!(params.contains(&json!("tools")) && params.contains(&json!("structured_outputs")));
    }
    assert!(tools["total"].as_u64().expect("n") > 0);
    let search = app.get_json("/api/v1/models?q=gpt-4o&limit=5").await;
    assert!(search["data"].as_array().expect("data").iter().all(|m| m["id"].as_str().expect("id").contains("gpt-4o")));

    // ETag: the same request with If-None-Match is 304 with no body.
    let r = app.get("/api/v1/models?limit=5").await;
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    let again =
        app.client.get(app.url("/api/v1/models?limit=5")).header("If-None-Match", &etag).send().await.expect("req");
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
    // A different query has a different tag.
    let other = app.get("/api/v1/models?limit=6").await;
    assert_ne!(other.headers()["etag"], etag.as_str());

    // A sync that changes the catalog invalidates it.
    app.upstream.reset().await;
    app.serve_models("models_2026-09-16_excerpt.json").await;
    let r = app.admin(reqwest::Method::POST, "/api/v1/sync", Some(json!({"background": false, "force": true}))).await;
    assert_eq!(r.status(), 200);
    let after =
        app.client.get(app.url("/api/v1/models?limit=5")).header("If-None-Match", &etag).send().await.expect("req");
    assert_eq!(after.status(), 200, "the catalog changed: the old tag no longer matches");
    let v: Value = after.json().await.expect("json");
    assert!(v["total"].as_u64().expect("total") < total);

    for bad in [
        "/api/v1/models?limit=0",
        "/api/v1/models?limit=5000",
        "/api/v1/models?sort=weight",
        "/api/v1/models?as_of=yesterday-ish",
    ] {
        let (code, _) = error_of(app.get(bad).await, 400).await;
        assert_eq!(code, "bad_request", "{bad}");
    }
}

crate::both_backends!(one_model_history_changes_providers_runs_and_as_of, |db: TestDb| async move {
    let upstream = wiremock::MockServer::start().await;
    let settings = crate::helpers::test_settings(&upstream);
    let app = TestApp::spawn_with(db, upstream, settings, Some(crate::helpers::TOKEN)).await;
    app.serve_models("models_2026-07-17.json").await;
    app.sync_now().await;
    let first_version = app.get_json("/api/v1/models?limit=1").await["catalog_version"].clone();
    app.upstream.reset().await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;

    let m = app.get_json("/api/v1/models/openai/gpt-4o").await;
    assert_eq!(m["model"]["model"]["id"], "openai/gpt-4o");
    assert!(!m["model"]["offers"].as_array().expect("offers").is_empty());
    assert!(!m["recent_changes"].as_array().expect("changes").is_empty());
    assert_ne!(m["catalog_version"], first_version);
    // An alias resolves to its model.
    let alias = app.get_json("/api/v1/models/openai/gpt-4o:batch").await;
    assert_eq!(alias["model"]["model"]["id"], "openai/gpt-4o");
    let (code, message) = error_of(app.get("/api/v1/models/nobody/nothing").await, 404).await;
    assert_eq!(code, "not_found");
    assert!(message.contains("nobody/nothing"));

    let h = app.get_json("/api/v1/models/openai/gpt-4o/history").await;
    assert_eq!(h["model_id"], "openai/gpt-4o");
    assert!(!h["intervals"].as_array().expect("intervals").is_empty());
    error_of(app.get("/api/v1/models/openai/gpt-4o/history?since=never").await, 400).await;

    let changes = app.get_json("/api/v1/changes?kind=model_added,model_removed&limit=500").await;
    let kinds: Vec<&str> =
        changes["data"].as_array().expect("data").iter().map(|e| e["kind"].as_str().expect("k")).collect();
    assert!(kinds.contains(&"model_added") && kinds.iter().all(|k| *k == "model_added" || *k == "model_removed"));
    error_of(app.get("/api/v1/changes?kind=exploded").await, 400).await;
    error_of(app.get("/api/v1/changes?limit=0").await, 400).await;

    let providers = app.get_json("/api/v1/providers").await;
    assert!(providers.as_array().expect("providers").iter().any(|p| p["slug"] == "openrouter"));

    let runs = app.get_json("/api/v1/runs?limit=10").await;
    assert_eq!(runs.as_array().expect("runs").len(), 2);
    error_of(app.get("/api/v1/runs?limit=-1").await, 400).await;

    // As of a time before the second sync: the first catalog.
    let before = app.get_json("/api/v1/models?limit=1000&as_of=2000-01-01").await;
    assert_eq!(before["total"], 0, "nothing existed in 2000");
    let now = app.get_json("/api/v1/models?limit=1").await;
    assert!(now["total"].as_u64().expect("n") > 300);

    let (code, _) = error_of(app.get("/api/v1/nothing-here").await, 404).await;
    assert_eq!(code, "not_found");
});

#[tokio::test]
async fn cost_prices_one_request_or_a_batch_exactly() {
    let app = synced().await;
    let one = json!({"model": "openai/gpt-4o", "usage": {"prompt_tokens": 1000, "completion_tokens": 200,
        "prompt_tokens_details": {"cached_tokens": 400}}});
    let r = app.client.post(app.url("/api/v1/cost")).json(&one).send().await.expect("req");
    assert_eq!(r.status(), 200);
    let q: Value = r.json().await.expect("json");
    // 600 × 2.5/M + 400 × 1.25/M + 200 × 10/M = 0.0015 + 0.0005 + 0.002
    assert_eq!(q["total_usd"], "0.004");
    assert_eq!(q["model"], "openai/gpt-4o");

    let batch = json!({"requests": [one, {"model": "no/such-model", "usage": {"prompt_tokens": 1}},
        {"model": "gpt-4o", "usage": {"input_tokens": 100, "output_tokens": 10}}]});
    let b: Value =
        app.client.post(app.url("/api/v1/cost")).json(&batch).send().await.expect("req").json().await.expect("json");
    assert_eq!(b["failed"], 1);
    assert_eq!(b["results"][1]["error"]["code"], "unprocessable");
    assert_eq!(b["results"][0]["total_usd"], "0.004");
    let third = b["results"][2]["total_usd"].as_str().expect("priced").to_string();
    let sum: rust_decimal::Decimal =
        "0.004".parse::<rust_decimal::Decimal>().expect("d") + third.parse::<rust_decimal::Decimal>().expect("d");
    assert_eq!(b["total_usd"].as_str().expect("total").parse::<rust_decimal::Decimal>().expect("d"), sum);

    let unknown = app
        .client
        .post(app.url("/api/v1/cost"))
        .json(&json!({"model": "no/such", "usage": {"prompt_tokens": 1}}))
        .send()
        .await
        .expect("req");
    let (code, message) = error_of(unknown, 422).await;
    assert_eq!(code, "unprocessable");
    assert!(message.contains("no/such"));
    let bad = app
        .client
        .post(app.url("/api/v1/cost"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    assert_eq!(error_of(bad, 400).await.0, "bad_request");
    let bad_usage = app
        .client
        .post(app.url("/api/v1/cost"))
        .json(&json!({"model": "openai/gpt-4o", "usage": {"tokens": "many"}}))
        .send()
        .await
        .expect("req");
    assert_eq!(error_of(bad_usage, 400).await.0, "bad_request");
    let huge = "x".repeat(5 * 1024 * 1024);
    let too_big = app
        .client
        .post(app.url("/api/v1/cost"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("req");
    assert_eq!(too_big.status(), 413);
}
