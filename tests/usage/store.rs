//! The usage store on SQLite and PostgreSQL: exact money, every bucket, queries, verifications.

use crate::both_backends;
use crate::databases::{Backend, TestDb};
use llmcost::cost::Usage;
use llmcost::store;
use llmcost::track::{CostSource, Endpoint, UsageQuery, UsageRecord, UsageTags, Verification};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn record(at: i64, model: &str, cost: Option<&str>, source: CostSource) -> UsageRecord {
    let cost = cost.map(|c| Decimal::from_str(c).expect("decimal"));
    UsageRecord {
        at,
        request_id: format!("gen-{at}"),
        endpoint: Endpoint::ChatCompletions,
        model_requested: Some(model.to_string()),
        model: Some(model.to_string()),
        offer_key: Some(format!("openrouter:{model}")),
        provider: Some("OpenAI".into()),
        upstream: Some("openrouter".into()),
        streamed: false,
        status: 200,
        latency_ms: 12,
        usage: Usage {
            input: 29,
            cache_read: 3,
            cache_write: 4,
            cache_write_1h: 5,
            output: 33,
            reasoning: 6,
            audio_input: 7,
            audio_output: 8,
            image_input_tokens: 9,
            image_output_tokens: 10,
            images_in: 11,
            images_out: 12,
            web_searches: 13,
            requests: 1,
            reported_cost: if source.is_provider() { cost } else { None },
        },
        cost,
        cost_source: source,
        provider_cost: if source.is_provider() { cost } else { None },
        engine_cost: Some(Decimal::from_str("0.000000075000000000000001").expect("decimal")),
        pricing_error: None,
        tags: UsageTags {
            tag: Some("nightly".into()),
            app: Some("search".into()),
            user: Some("alice".into()),
            key_hash: Some("0123456789abcdef".into()),
        },
    }
}

both_backends!(usage_records_round_trip_exactly, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let rows = vec![
        record(1_000, "openai/gpt-4o-mini", Some("0.00002415"), CostSource::Reported),
        record(2_000, "openai/gpt-4o-mini", Some("0.000000075000000000000001"), CostSource::Engine),
        record(3_000, "x/unknown", None, CostSource::Unpriced),
    ];
    store.insert_usage(&rows).await.expect("insert");
    let all = store.usage_records(&UsageQuery::default()).await.expect("read");
    assert_eq!(all.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), rows);
    let since = store.usage_records(&UsageQuery { since: Some(2_000), ..Default::default() }).await.expect("read");
    assert_eq!(since.len(), 2);
    let billed =
        store.usage_records(&UsageQuery { with_provider_cost: true, ..Default::default() }).await.expect("read");
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0].record.provider_cost, Some(Decimal::from_str("0.00002415").expect("d")));
    let newest = store.usage_records(&UsageQuery { limit: Some(1), ..Default::default() }).await.expect("read");
    assert_eq!(newest[0].record.at, 3_000);

    let v = Verification {
        usage_id: billed[0].id,
        checked_at: 5_000,
        model: Some("openai/gpt-4o-mini".into()),
        offer_key: Some("openrouter:openai/gpt-4o-mini".into()),
        provider_cost: Decimal::from_str("0.00002415").expect("d"),
        engine_cost: Some(Decimal::from_str("0.00002414").expect("d")),
        difference: Some(Decimal::from_str("0.00000001").expect("d")),
        matched: false,
        price_rows: serde_json::json!([{"component": "input", "unit_price": "0.00000015"}]),
        error: None,
    };
    store.insert_verifications(std::slice::from_ref(&v)).await.expect("insert");
    assert_eq!(store.verifications(10).await.expect("read"), vec![v]);
});

both_backends!(large_batches_commit_in_one_call, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let rows: Vec<UsageRecord> =
        (0..1_234).map(|i| record(i, "openai/gpt-4o-mini", Some("0.00002415"), CostSource::Reported)).collect();
    store.insert_usage(&rows).await.expect("insert");
    assert_eq!(store.usage_records(&UsageQuery::default()).await.expect("read").len(), 1_234);
});

#[tokio::test]
async fn both_migration_folders_list_0005() {
    for backend in ["sqlite", "postgres"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations").join(backend);
        assert!(dir.join("0005_usage.sql").exists(), "{backend}");
    }
    let _ = Backend::Sqlite;
}
