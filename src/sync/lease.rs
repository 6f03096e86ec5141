//! One sync at a time per database: claim the lease (or wait for it), renew it while the
//! sync runs, give it back after. A process that dies stops renewing, so its lease
//! lapses after the TTL and the next sync takes over.

use super::{SyncError, format_ms, holder};
use crate::store::{Lease, LeaseClaim, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The name of the lease every sync of a catalog takes: syncs of different sources write
/// the same models and aliases, so they exclude each other too.
pub const SYNC_LEASE: &str = "sync";

/// The default time a lease lasts without renewal.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// How a sync takes the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSettings {
    /// How long a claim lasts without renewal (renewed every third of it).
    pub ttl: Duration,
    /// Wait for a running sync to finish instead of failing at once.
    pub wait: bool,
}

impl Default for LockSettings {
    fn default() -> Self {
        Self { ttl: DEFAULT_TTL, wait: false }
    }
}

/// Claims made by this process, so two syncs in one process never share a holder name.
static CLAIMS: AtomicU64 = AtomicU64::new(1);

/// A new, unique claim on the sync lease.
pub fn new_lease(ttl: Duration) -> Lease {
    Lease {
        name: SYNC_LEASE.into(),
        holder: format!("{}#{}", holder(), CLAIMS.fetch_add(1, Ordering::Relaxed)),
        ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1),
    }
}

/// The `host:pid` part of a holder name.
fn process_of(holder: &str) -> &str {
    holder.split_once('#').map_or(holder, |(process, _)| process)
}

/// Take the lease, waiting for it when `wait` is set.
pub async fn claim(store: &dyn Store, lease: &Lease, wait: bool) -> Result<(), SyncError> {
    let mut announced = false;
    loop {
        match store.claim_lease(lease).await? {
            LeaseClaim::Held(_) => return Ok(()),
            LeaseClaim::Busy(None) => continue,
            LeaseClaim::Busy(Some(other)) if wait => {
                if !announced {
                    tracing::info!(
                        "waiting for the sync running on {} since {}",
                        process_of(&other.holder),
                        format_ms(other.since)
                    );
                    announced = true;
                }
                tokio::time::sleep(poll_interval(lease)).await;
            }
            LeaseClaim::Busy(Some(other)) => {
                return Err(SyncError::Locked {
                    holder: process_of(&other.holder).to_string(),
                    since: format_ms(other.since),
                    expires_at: format_ms(other.expires_at),
                });
            }
        }
    }
}

/// How often a waiting sync asks again: often enough to follow a short TTL, rarely
/// enough not to load the database.
fn poll_interval(lease: &Lease) -> Duration {
    Duration::from_millis(u64::try_from(lease.ttl_ms / 10).unwrap_or(1000).clamp(100, 2000))
}

/// Renew the lease every third of its TTL for as long as the caller polls this; resolves
/// only when the lease was lost (taken over after lapsing), with the error to fail with.
pub async fn keep(store: &dyn Store, lease: &Lease) -> SyncError {
    let period = Duration::from_millis(u64::try_from(lease.ttl_ms / 3).unwrap_or(1).max(1));
    loop {
        tokio::time::sleep(period).await;
        match store.claim_lease(lease).await {
            Ok(LeaseClaim::Held(_)) => {}
            Ok(LeaseClaim::Busy(_)) => return StoreError::LeaseLost { holder: lease.holder.clone() }.into(),
            // A passing database hiccup: the next renewal (or the check before commit) decides.
            Err(e) => tracing::warn!(error = %e, "could not renew the sync lease"),
        }
    }
}

/// What a stuck-run cleanup found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Cleanup {
    /// No sync was running: these runs were left `running` by dead processes and are now
    /// marked abandoned (possibly none).
    Abandoned {
        /// The runs marked.
        runs: Vec<crate::domain::SyncRun>,
    },
    /// A live sync holds the lease, so no run is stuck.
    SyncRunning {
        /// Who runs it.
        holder: crate::store::LeaseHolder,
    },
}

/// Mark runs left `running` by processes that died as abandoned. Safe at any time: it takes
/// the sync lease first, so a live sync's run is never touched.
pub async fn cleanup_stuck_runs(store: &dyn Store) -> Result<Cleanup, SyncError> {
    let lease = new_lease(Duration::from_secs(60));
    for _ in 0..3 {
        match store.claim_lease(&lease).await? {
            LeaseClaim::Held(_) => {
                let runs = store.abandon_runs().await;
                store.release_lease(&lease).await?;
                return Ok(Cleanup::Abandoned { runs: runs? });
            }
            LeaseClaim::Busy(Some(holder)) => return Ok(Cleanup::SyncRunning { holder }),
            LeaseClaim::Busy(None) => continue,
        }
    }
    Ok(Cleanup::Abandoned { runs: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_unique_per_claim_and_name_the_process() {
        let (a, b) = (new_lease(DEFAULT_TTL), new_lease(DEFAULT_TTL));
        assert_ne!(a.holder, b.holder);
        assert_eq!(process_of(&a.holder), holder());
        assert_eq!(a.ttl_ms, 300_000);
    }

    #[test]
    fn waiting_polls_within_bounds() {
        assert_eq!(poll_interval(&new_lease(Duration::from_secs(1))), Duration::from_millis(100));
        assert_eq!(poll_interval(&new_lease(Duration::from_secs(10))), Duration::from_secs(1));
        assert_eq!(poll_interval(&new_lease(DEFAULT_TTL)), Duration::from_secs(2));
    }
}
