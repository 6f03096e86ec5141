//! The batched writer: nothing lost under 10,000 concurrent requests, everything flushed on
//! shutdown.

use crate::both_backends;
use crate::databases::{Backend, TestDb};
use crate::store::record;
use llmcost::store::{self, Store};
use llmcost::track::{CostSource, UsageQuery, UsageWriter};
use std::sync::Arc;
use std::time::Duration;

both_backends!(ten_thousand_concurrent_records_are_all_written, |db: TestDb| async move {
    let store: Arc<dyn Store> = Arc::from(store::open(db.url()).await.expect("open"));
    // A channel far smaller than the burst: the overflow path must hold the rest.
    let (writer, task) = UsageWriter::spawn(store.clone(), 1_024, 500);
    let tasks: Vec<_> = (0..10_000)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer.record(record(i, "openai/gpt-4o-mini", Some("0.00002415"), CostSource::Reported));
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    writer.close();
    assert_eq!(task.finish(Duration::from_secs(120)).await, Some(10_000));
    let rows = store.usage_records(&UsageQuery::default()).await.expect("read");
    assert_eq!(rows.len(), 10_000);
    let mut ids: Vec<i64> = rows.iter().map(|r| r.record.at).collect();
    ids.dedup();
    assert_eq!(ids.len(), 10_000, "every record once");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_what_is_queued() {
    let db = TestDb::new(Backend::Sqlite, "flush").await.expect("sqlite");
    let store: Arc<dyn Store> = Arc::from(store::open(db.url()).await.expect("open"));
    let (writer, task) = UsageWriter::spawn(store.clone(), 100_000, 10_000);
    for i in 0..5_000 {
        writer.record(record(i, "openai/gpt-4o-mini", None, CostSource::Unpriced));
    }
    // Closing at once: the records still queued must be written before the task ends.
    writer.close();
    assert_eq!(task.finish(Duration::from_secs(60)).await, Some(5_000));
    assert_eq!(store.usage_records(&UsageQuery::default()).await.expect("read").len(), 5_000);
}
