//! `GET /api/v1/usage` and `GET /api/v1/usage/budgets` over recorded usage.

use crate::databases::{Backend, TestDb};
use crate::helpers::{TestApp, error_of, test_settings};
use llmcost::cost::Usage;
use llmcost::track::{CostSource, Endpoint, Limits, UsageRecord, UsageTags};
use rust_decimal::Decimal;
use std::str::FromStr;

fn record(at: i64, model: &str, app: &str, cost: &str) -> UsageRecord {
    UsageRecord {
        at,
        request_id: format!("gen-{at}"),
        endpoint: Endpoint::ChatCompletions,
        model_requested: Some(model.into()),
        model: Some(model.into()),
        offer_key: None,
        provider: Some("OpenAI".into()),
        upstream: Some("openrouter".into()),
        streamed: false,
        status: 200,
        latency_ms: 5,
        usage: Usage { input: 29, output: 33, ..Usage::default() },
        cost: Some(Decimal::from_str(cost).expect("decimal")),
        cost_source: CostSource::Engine,
        provider_cost: None,
        engine_cost: Some(Decimal::from_str(cost).expect("decimal")),
        pricing_error: None,
        tags: UsageTags { app: Some(app.into()), ..UsageTags::default() },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_is_reported_grouped_with_exact_sums() {
    let db = TestDb::new(Backend::Sqlite, "api_usage").await.expect("sqlite");
    let upstream = wiremock::MockServer::start().await;
    let mut settings = test_settings(&upstream);
    settings.budgets.insert(
        "app:search".into(),
        Limits { daily_usd: Some(Decimal::from_str("0.0001").expect("d")), monthly_usd: None },
    );
    let app = TestApp::spawn_with(db, upstream, settings, None).await;
    let now = jiff::Timestamp::now().as_millisecond();
    app.store
        .insert_usage(&[
            record(now - 1_000, "openai/gpt-4o-mini", "search", "0.00002415"),
            record(now - 500, "openai/gpt-4o-mini", "search", "0.000000075000000000000001"),
            record(now - 100, "anthropic/claude-sonnet-5", "chat", "0.5"),
        ])
        .await
        .expect("insert");
    let v = app.get_json("/api/v1/usage?since=1d").await;
    assert_eq!(v["by"], "model");
    assert_eq!(v["groups"][0]["key"], "anthropic/claude-sonnet-5");
    assert_eq!(v["groups"][1]["key"], "openai/gpt-4o-mini");
    assert_eq!(v["groups"][1]["requests"], 2);
    assert_eq!(v["groups"][1]["cost_usd"], "0.000024225000000000000001");
    assert_eq!(v["total"]["cost_usd"], "0.500024225000000000000001");
    let by_app = app.get_json("/api/v1/usage?by=app").await;
    assert_eq!(by_app["groups"][0]["key"], "chat");
    let (code, _) = error_of(app.get("/api/v1/usage?by=galaxy").await, 400).await;
    assert_eq!(code, "bad_request");
    let budgets = app.get_json("/api/v1/usage/budgets").await;
    assert_eq!(budgets["budgets"][0]["selector"], "app:search");
    assert_eq!(budgets["budgets"][0]["daily_spent_usd"], "0.000024225000000000000001");
    assert_eq!(budgets["budgets"][0]["exceeded"], false);

    // The dashboard's usage page shows the same exact numbers.
    let page = crate::dashboard::html(&app, "/usage?since=7d").await;
    assert!(page.contains("id=\"total-spend\">$0.500024225000000000000001<"), "{page}");
    assert!(page.contains("<p class=\"big\" id=\"total-requests\">3<"));
    assert_eq!(page.matches("<rect class=\"bar\"").count(), 8, "one bar per day: 7 days back and today");
    let top = &page[page.find("id=\"top-models\"").expect("top models")..];
    let (claude, mini) = (top.find("anthropic/claude-sonnet-5"), top.find("openai/gpt-4o-mini"));
    assert!(claude.is_some() && claude < mini, "by spend, highest first");
    assert!(top.contains("<td class=\"num\">$0.000024225000000000000001</td>"));
    let apps = &page[page.find("id=\"top-apps\"").expect("top apps")..];
    assert!(apps.contains("<td>chat</td>") && apps.contains("<td>search</td>"));
    let budgets = &page[page.find("id=\"budgets\"").expect("budgets table")..];
    assert!(budgets.contains("app:search") && budgets.contains("$0.000024225000000000000001 of $0.0001"));
    assert_eq!(app.get("/usage?since=bogus").await.status(), 400);
}
