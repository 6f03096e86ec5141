//! The batched usage writer: requests hand their record to a bounded channel and go on; one
//! background task writes what has arrived, gathered for up to [`LINGER`], in multi-row
//! transactions.
//!
//! A request never waits for the database. When the channel is full (the database is slower
//! than the traffic for a while) the record is handed to a small task that waits for room,
//! off the request path, up to [`OVERFLOW_WAIT`]; only a record that still finds no room is
//! dropped, counted and logged. The channel is sized so that a burst of tens of thousands of
//! requests fits without that (tokio allocates its slots lazily, so the size costs memory
//! only when used).
//!
//! Shutdown: the writer ends when every [`UsageWriter`] handle is dropped and the channel is
//! empty, so [`UsageWriter::close`] after the server stopped flushes every record.

use super::UsageRecord;
use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Records the channel holds before the overflow path starts.
pub const DEFAULT_CAPACITY: usize = 65_536;
/// Most records written in one transaction.
pub const DEFAULT_BATCH: usize = 2_000;
/// How long the writer keeps gathering records after the first of a batch arrives.
pub const LINGER: Duration = Duration::from_millis(20);
/// How long an overflowing record waits for room before it is dropped.
pub const OVERFLOW_WAIT: Duration = Duration::from_secs(30);

/// Counters of the writer, shared by every handle.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Records written.
    pub written: AtomicU64,
    /// Records that could not be written (database errors) or found no room.
    pub dropped: AtomicU64,
    /// Transactions committed.
    pub batches: AtomicU64,
    /// The most records ever waiting in the channel at once (how close the backlog came to
    /// the overflow path).
    pub peak_queued: AtomicU64,
}

/// A handle to hand records to the writer (cheap to clone).
#[derive(Clone)]
pub struct UsageWriter {
    tx: mpsc::Sender<UsageRecord>,
    stats: Arc<WriterStats>,
}

/// The background task; await [`WriterTask::finish`] after the last handle is gone.
pub struct WriterTask {
    handle: JoinHandle<()>,
    stats: Arc<WriterStats>,
}

impl UsageWriter {
    /// Start a writer into `store` with a channel of `capacity` records, writing at most
    /// `batch` records per transaction.
    pub fn spawn(store: Arc<dyn Store>, capacity: usize, batch: usize) -> (UsageWriter, WriterTask) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(WriterStats::default());
        let handle = tokio::spawn(run(store, rx, batch.max(1), stats.clone()));
        (UsageWriter { tx, stats: stats.clone() }, WriterTask { handle, stats })
    }

    /// Hand a record over without waiting.
    pub fn record(&self, record: UsageRecord) {
        match self.tx.try_send(record) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(record)) => {
                // Backpressure off the request path: wait for room in a task of its own.
                let (tx, stats) = (self.tx.clone(), self.stats.clone());
                tokio::spawn(async move {
                    if tx.send_timeout(record, OVERFLOW_WAIT).await.is_err() {
                        let dropped = stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::error!(dropped, "usage writer backlog: a usage record was dropped");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(dropped, "usage writer stopped: a usage record was dropped");
            }
        }
    }

    /// Records waiting in the channel now.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// The writer's counters.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Give up this handle; the writer flushes and ends once every handle is gone.
    pub fn close(self) {}
}

impl WriterTask {
    /// Wait (up to `grace`) for the writer to flush everything and end; returns the number of
    /// records written, or `None` when it did not finish in time.
    pub async fn finish(self, grace: Duration) -> Option<u64> {
        match tokio::time::timeout(grace, self.handle).await {
            Ok(_) => Some(self.stats.written.load(Ordering::Relaxed)),
            Err(_) => {
                tracing::warn!("the usage writer did not flush within the grace period");
                None
            }
        }
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<UsageRecord>, batch: usize, stats: Arc<WriterStats>) {
    let mut buf = Vec::with_capacity(batch.min(4096));
    while rx.recv_many(&mut buf, batch).await > 0 {
        // Gather what arrives in the next moments too: one transaction per burst rather than
        // per request, and no wake-up per record, keeps the writer off the requests' cores.
        if buf.len() < batch && !rx.is_closed() {
            tokio::time::sleep(LINGER).await;
            while buf.len() < batch && !rx.is_empty() {
                let room = batch - buf.len();
                rx.recv_many(&mut buf, room).await;
            }
        }
        stats.peak_queued.fetch_max((buf.len() + rx.len()) as u64, Ordering::Relaxed);
        write(store.as_ref(), &buf, &stats).await;
        buf.clear();
    }
}

/// Write one batch, retrying a failed transaction a few times before counting it dropped.
async fn write(store: &dyn Store, batch: &[UsageRecord], stats: &WriterStats) {
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=4 {
        match store.insert_usage(batch).await {
            Ok(()) => {
                stats.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) if attempt < 4 => {
                tracing::warn!(error = %e, attempt, rows = batch.len(), "writing usage records failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            Err(e) => {
                let dropped = stats.dropped.fetch_add(batch.len() as u64, Ordering::Relaxed) + batch.len() as u64;
                tracing::error!(error = %e, rows = batch.len(), dropped, "usage records lost: the database refused them");
            }
        }
    }
}
