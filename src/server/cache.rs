//! The catalog as the read API serves it: loaded once per catalog version and shared by
//! every request. A sync anywhere (this instance or another on the same database) bumps the
//! version; instances check it at most once a second, and at once after their own syncs.

use crate::catalog::{ModelSummary, summarize};
use crate::cost::PriceBook;
use crate::rank::{RankIndex, RankQuery, Rankings};
use crate::store::{ModelRecord, Store, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a checked version is trusted before asking the database again.
const RECHECK: Duration = Duration::from_secs(1);

/// One version of the catalog, ready to serve.
pub struct CatalogSnapshot {
    /// The id of the newest applied run (0: empty catalog).
    pub version: i64,
    /// Every model with offers and current prices.
    pub records: Vec<ModelRecord>,
    /// One summary per record, same order.
    pub summaries: Vec<ModelSummary>,
    /// Index of `records` by model id.
    pub by_id: HashMap<String, usize>,
    /// The price book for `POST /cost`.
    pub book: PriceBook,
    /// The dashboard's filter choices, computed on first use.
    pub facets: std::sync::OnceLock<super::dashboard::CatalogFacets>,
    /// Rankings' normalised scores and prices, ready for any query.
    pub rank_index: RankIndex,
}

impl CatalogSnapshot {
    /// This catalog ranked for `query`.
    pub fn rank(&self, query: &RankQuery) -> Rankings {
        self.rank_index.rank(&self.records, query)
    }
}

/// The shared, lazily refreshed snapshot.
pub struct CatalogCache {
    store: Arc<dyn Store>,
    discounts: Vec<crate::sources::overrides::Discount>,
    current: RwLock<Option<(Arc<CatalogSnapshot>, Instant)>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl CatalogCache {
    /// A cache over `store`, with the overrides file's discounts applied to costs.
    pub fn new(store: Arc<dyn Store>, discounts: Vec<crate::sources::overrides::Discount>) -> Self {
        Self { store, discounts, current: RwLock::new(None), rebuild: tokio::sync::Mutex::new(()) }
    }

    fn fresh(&self) -> Option<Arc<CatalogSnapshot>> {
        let guard = self.current.read().ok()?;
        guard.as_ref().filter(|(_, at)| at.elapsed() < RECHECK).map(|(s, _)| s.clone())
    }

    /// The current snapshot, reloaded when the catalog changed.
    pub async fn get(&self) -> StoreResult<Arc<CatalogSnapshot>> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        // One request re-checks (and reloads) at a time; the others keep serving the snapshot
        // they have rather than wait behind it.
        let _one_at_a_time = match self.rebuild.try_lock() {
            Ok(guard) => guard,
            Err(_) => match self.current.read().ok().and_then(|g| g.as_ref().map(|(s, _)| s.clone())) {
                Some(s) => return Ok(s),
                None => self.rebuild.lock().await,
            },
        };
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let version = self.store.catalog_version().await?;
        let cached = self.current.read().ok().and_then(|g| g.as_ref().map(|(s, _)| s.clone()));
        let snapshot = match cached {
            Some(s) if s.version == version => s,
            _ => Arc::new(self.load(version).await?),
        };
        if let Ok(mut guard) = self.current.write() {
            *guard = Some((snapshot.clone(), Instant::now()));
        }
        Ok(snapshot)
    }

    /// Forget when the version was last checked (after this instance's own sync).
    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.current.write() {
            if let Some((_, at)) = guard.as_mut() {
                *at = Instant::now() - RECHECK;
            }
        }
    }

    async fn load(&self, version: i64) -> StoreResult<CatalogSnapshot> {
        let records = self.store.catalog(None).await?;
        let state = self.store.load_state().await?;
        let intervals = self.store.price_intervals().await?;
        let book = PriceBook::new(&state, intervals).with_discounts(self.discounts.clone());
        let summaries = records.iter().map(summarize).collect();
        let scores = crate::rank::catalog_scores(&records, self.store.benchmark_scores(None).await?);
        let rank_index = RankIndex::new(&records, &scores);
        let by_id = records.iter().enumerate().map(|(i, r)| (r.model.id.to_string(), i)).collect();
        tracing::info!(version, models = records.len(), "catalog loaded for serving");
        Ok(CatalogSnapshot { version, records, summaries, by_id, book, facets: std::sync::OnceLock::new(), rank_index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn while_one_request_reloads_the_others_serve_the_snapshot_they_have() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("cache.db").display());
        let store: Arc<dyn Store> = Arc::from(crate::store::open(&url).await.expect("store"));
        let cache = CatalogCache::new(store, Vec::new());
        let first = cache.get().await.expect("first load");
        cache.invalidate();
        let reloading = cache.rebuild.lock().await;
        let served = tokio::time::timeout(Duration::from_secs(5), cache.get()).await.expect("no wait").expect("get");
        assert!(Arc::ptr_eq(&first, &served));
        drop(reloading);
        let rechecked = cache.get().await.expect("recheck");
        assert_eq!(rechecked.version, first.version);
        assert!(cache.fresh().is_some(), "the recheck is recorded");
    }
}
