//! The bill check: a planted mismatch between the provider's cost and the catalog's prices is
//! flagged with both numbers and the price rows used; matching costs pass; checks are stored.

use crate::databases::Backend;
use crate::helpers::catalog_db;
use llmcost::cost::Usage;
use llmcost::track::{CostSource, Endpoint, UsageRecord, UsageTags};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

fn billed(at: i64, cost: &str) -> UsageRecord {
    let cost = Decimal::from_str(cost).expect("decimal");
    UsageRecord {
        at,
        request_id: format!("gen-{at}"),
        endpoint: Endpoint::ChatCompletions,
        model_requested: Some("openai/gpt-4o-mini".into()),
        model: Some("openai/gpt-4o-mini".into()),
        offer_key: None,
        provider: Some("OpenAI".into()),
        upstream: Some("openrouter".into()),
        streamed: false,
        status: 200,
        latency_ms: 800,
        usage: Usage { input: 29, output: 33, reported_cost: Some(cost), ..Usage::default() },
        cost: Some(cost),
        cost_source: CostSource::Reported,
        provider_cost: Some(cost),
        engine_cost: None,
        pricing_error: None,
        tags: UsageTags::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_flags_a_planted_mismatch() {
    let (db, store) = catalog_db(Backend::Sqlite, "verify").await.expect("db");
    let at = llmcost::domain::parse_time("2025-12-05T09:21:16Z").expect("time");
    // Two true bills (as OpenRouter recorded them) and one planted overcharge.
    store
        .insert_usage(&[billed(at, "0.00002415"), billed(at + 1, "0.00003"), billed(at + 2, "0.00002415")])
        .await
        .expect("insert");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "verify"])
        .output()
        .await
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("checked 3 recorded costs: 2 match, 1 do not"), "{stdout}");
    assert!(stdout.contains("0.00003") && stdout.contains("0.00002415") && stdout.contains("0.00000585"), "{stdout}");
    assert!(stdout.contains("input 29 × 0.00000015") && stdout.contains("output 33 × 0.0000006"), "{stdout}");
    assert!(stderr.contains("1 of 3 recorded costs do not match"), "{stderr}");

    let json = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "verify", "--json", "--newest", "2"])
        .output()
        .await
        .expect("run");
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["checked"], 2);
    let m = &v["mismatches"][0];
    assert_eq!((m["provider_cost"].as_str(), m["engine_cost"].as_str()), (Some("0.00003"), Some("0.00002415")));
    assert_eq!(m["price_rows"][0]["valid_from"], llmcost::domain::parse_time("2025-11-01").expect("t"));

    // A random sample of two: two different records, whichever they are.
    let sampled = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "verify", "--json", "--sample", "2"])
        .output()
        .await
        .expect("run");
    let v: Value = serde_json::from_slice(&sampled.stdout).expect("json");
    assert_eq!(v["checked"], 2);

    let stored = store.verifications(10).await.expect("read");
    assert_eq!(stored.len(), 7);
    assert!((2..=3).contains(&stored.iter().filter(|v| !v.matched).count()));
    // Within a tolerance the overcharge passes.
    let ok = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["--db", db.url(), "verify", "--tolerance", "0.00001"])
        .output()
        .await
        .expect("run");
    assert!(ok.status.success());
}
