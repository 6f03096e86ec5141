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
    // A random sample: the size asked, each record once, in time order; over many draws every
    // record turns up (a fixed choice would fail this with certainty).
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let q = UsageQuery { limit: Some(2), random: true, ..Default::default() };
        let sample = store.usage_records(&q).await.expect("sample");
        assert_eq!(sample.len(), 2);
        assert!(sample[0].record.at < sample[1].record.at, "time order, no repeats");
        seen.extend(sample.iter().map(|r| r.record.at));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1_000, 2_000, 3_000]);

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

both_backends!(usage_totals_summed_in_sql_report_exactly_what_the_records_do, |db: TestDb| async move {
    use llmcost::track::{GroupBy, UsageReport};
    const DAY: i64 = 86_400_000;
    let store = store::open(db.url()).await.expect("open");
    let day0 = 20_400 * DAY;
    let models = ["openai/gpt-4o-mini", "anthropic/claude-sonnet-5", "x/unknown"];
    let costs = [Some("0.00002415"), Some("0.000000075000000000000001"), None, Some("0.5"), Some("1.25")];
    let sources =
        [CostSource::Reported, CostSource::Engine, CostSource::Unpriced, CostSource::Generation, CostSource::Engine];
    // Four records share every key and day each time, so the totals are fewer than the records.
    let rows: Vec<UsageRecord> = (0..1_200i64)
        .map(|n| {
            let i = n / 4;
            let k = usize::try_from(i).expect("index");
            let mut r = record(day0 + i * 7_200_000 + n % 4, models[k % 3], costs[k % 5], sources[k % 5]);
            r.request_id = format!("gen-{n}");
            r.status = if i % 11 == 0 { 502 } else { 200 };
            if i % 4 == 0 {
                r.tags.app = Some("chat".into());
            }
            if i % 6 == 0 {
                r.tags.user = None;
            }
            if i % 9 == 0 {
                r.model = None; // grouped under the model as sent
            }
            if i % 10 == 0 {
                r.provider = None; // grouped under the upstream
            }
            r.usage.output = u64::try_from(n).expect("count");
            r
        })
        .collect();
    store.insert_usage(&rows).await.expect("insert");
    // A bound inside a day: totals and records must agree on where it cuts.
    let since = Some(day0 + 3 * DAY + 5);
    let records = store.usage_records(&UsageQuery { since, ..Default::default() }).await.expect("records");
    let totals = store.usage_totals(since, None).await.expect("totals");
    assert!(totals.len() * 2 < records.len(), "{} totals for {} records", totals.len(), records.len());
    for by in [GroupBy::Model, GroupBy::Provider, GroupBy::Tag, GroupBy::App, GroupBy::User, GroupBy::Day] {
        let from_records = serde_json::to_value(UsageReport::build(&records, since, by)).expect("json");
        let from_totals = serde_json::to_value(UsageReport::from_totals(&totals, since, by)).expect("json");
        assert_eq!(from_totals, from_records, "grouped by {by:?}");
    }
    let everything = store.usage_totals(None, None).await.expect("all");
    let report = UsageReport::from_totals(&everything, None, GroupBy::Model);
    assert_eq!(report.total.requests, 1_200);
    // 240 of each amount: 240 × (0.00002415 + 0.000000075000000000000001 + 0.5 + 1.25).
    assert_eq!(report.total.cost_usd.to_string(), "420.00581400000000000000024");
});
