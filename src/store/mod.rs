//! Storage: one trait, one implementation per backend, each with its own migrations.
//!
//! The backend is chosen by the URL scheme (`sqlite:` or `postgres:`). SQL lives here and
//! nowhere else; callers speak in domain types. Both backends share one SQL text
//! (`sql.rs`); each has its own connection set-up and migrations folder.

mod codec;
mod postgres;
mod sql;
mod sqlite;
mod usage;

pub use postgres::{PgStore, connect_options as pg_connect_options};
pub use sqlite::SqliteStore;
pub use usage::UsageStore;

use crate::domain::{
    BenchmarkRecord, BenchmarkWrites, CatalogState, ChangeEvent, ChangeKind, ChangeSet, Model, Offer, Price, SyncRun,
    UnixMs,
};
use async_trait::async_trait;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (the database was edited by hand?).
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// The URL names a backend this build does not support.
    #[error("unsupported database URL scheme {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    Unsupported(String),
    /// The sync lease was taken over (it expired while this process was stalled).
    #[error("lost the sync lease held as {holder}: another sync took over after it expired; nothing was applied")]
    LeaseLost {
        /// Who this process held it as.
        holder: String,
    },
    /// The database could not be reached or created (the message never holds the password).
    #[error("cannot open the database: {0}")]
    Connect(String),
    /// The database file's directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// What started it (`cli`, `schedule`, `api`).
    pub trigger: String,
    /// The source it syncs.
    pub source: String,
    /// `host:pid` of this process.
    pub holder: String,
    /// Start time.
    pub started_at: UnixMs,
}

/// How a run ended.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Final status (`succeeded`, `failed`, `dry_run`, `no_change`).
    pub status: String,
    /// Where the data came from.
    pub origin: Option<String>,
    /// End time.
    pub finished_at: UnixMs,
    /// Wall time.
    pub duration_ms: i64,
    /// Models received (after filtering).
    pub models_seen: Option<i64>,
    /// Offers received (after filtering).
    pub offers_seen: Option<i64>,
    /// Models added.
    pub added: i64,
    /// Models removed.
    pub removed: i64,
    /// Price changes.
    pub repriced: i64,
    /// All events.
    pub changes: i64,
    /// Alerts.
    pub alerts: i64,
    /// Why it failed.
    pub error: Option<String>,
}

/// What was last fetched from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchState {
    /// The URL (or `snapshot:…` / `file:…` for local inputs).
    pub url: String,
    /// `ETag` to send as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified` to send as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// SHA-256 of the body.
    pub content_hash: String,
    /// Digest of the options (filters, endpoints) that shaped what was applied.
    pub fingerprint: String,
}

/// A price with its validity interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PriceRecord {
    /// The price.
    #[serde(flatten)]
    pub price: Price,
    /// Valid from (unix ms, inclusive).
    pub valid_from: UnixMs,
    /// Valid until (unix ms, exclusive); `None` while current.
    pub valid_to: Option<UnixMs>,
}

/// An offer with its lifecycle and the prices valid at the time asked for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OfferRecord {
    /// The offer (its `prices` field is empty: see `prices`).
    pub offer: Offer,
    /// Active at the time asked for.
    pub is_active: bool,
    /// First seen.
    pub first_seen: UnixMs,
    /// Last seen.
    pub last_seen: UnixMs,
    /// Prices valid at the time asked for.
    pub prices: Vec<PriceRecord>,
}

/// A model with its lifecycle and offers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelRecord {
    /// The model's attributes (as last synced).
    pub model: Model,
    /// Active at the time asked for.
    pub is_active: bool,
    /// First seen.
    pub first_seen: UnixMs,
    /// Last seen.
    pub last_seen: UnixMs,
    /// Its offers.
    pub offers: Vec<OfferRecord>,
    /// Other ids that mean it (active aliases).
    pub aliases: Vec<String>,
}

/// One price interval of an offer, for history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PriceInterval {
    /// The offer.
    pub offer_key: String,
    /// The listing id of the offer.
    pub listing_id: String,
    /// The serving provider, for endpoint offers.
    pub served_by: Option<String>,
    /// The price and its interval.
    #[serde(flatten)]
    pub record: PriceRecord,
}

/// A recorded change event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredChange {
    /// Event number.
    pub id: i64,
    /// The run that made it.
    pub run_id: i64,
    /// When (unix ms).
    pub at: UnixMs,
    /// What changed.
    #[serde(flatten)]
    pub event: ChangeEvent,
}

/// Which change events to list.
#[derive(Debug, Clone, Default)]
pub struct ChangeQuery {
    /// Only events at or after this time.
    pub since: Option<UnixMs>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<ChangeKind>,
    /// Only this model.
    pub model: Option<String>,
    /// Only alerts.
    pub alerts_only: bool,
    /// Only events of this run.
    pub run_id: Option<i64>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// Counts for `llmcost status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreStatus {
    /// Active models.
    pub models_active: i64,
    /// Deactivated models.
    pub models_inactive: i64,
    /// Active offers.
    pub offers_active: i64,
    /// Deactivated offers.
    pub offers_inactive: i64,
    /// Price intervals recorded.
    pub price_intervals: i64,
    /// Change events recorded.
    pub change_events: i64,
    /// The newest run.
    pub last_run: Option<SyncRun>,
    /// The newest run that applied data.
    pub last_success: Option<SyncRun>,
}

/// A claim on a named lease in the database: one sync at a time across every process
/// and host that shares the database.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The lease's name (one per catalog).
    pub name: String,
    /// Who claims it: `host:pid#n`, unique per claim.
    pub holder: String,
    /// How long a claim or renewal lasts, in milliseconds of the database's clock.
    pub ttl_ms: i64,
}

/// Who holds a lease, since when, until when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeaseHolder {
    /// `host:pid#n`.
    pub holder: String,
    /// When this holder took it (unix ms, database clock).
    pub since: UnixMs,
    /// When it lapses unless renewed.
    pub expires_at: UnixMs,
}

/// The outcome of claiming a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseClaim {
    /// It is ours (taken, renewed, or taken over after it expired).
    Held(LeaseHolder),
    /// Someone else holds it (`None`: released just now; try again).
    Busy(Option<LeaseHolder>),
}

/// Everything llmcost keeps, behind one interface for every backend.
#[async_trait]
pub trait Store: UsageStore + Send + Sync {
    /// Record a run as `running`; returns its id.
    async fn begin_run(&self, run: &NewRun) -> StoreResult<i64>;
    /// Record how a run that applied nothing ended (failed, dry run, no change).
    async fn finish_run(&self, id: i64, outcome: &RunOutcome) -> StoreResult<()>;
    /// What was last fetched from `url`.
    async fn fetch_state(&self, url: &str) -> StoreResult<Option<FetchState>>;
    /// The origin (`network`, `file`, `snapshot`) of the newest run of `source` that applied data.
    async fn last_applied_origin(&self, source: &str) -> StoreResult<Option<String>>;
    /// The newest time a price interval starts or ends: syncs must happen after it.
    async fn latest_price_change(&self) -> StoreResult<Option<UnixMs>>;
    /// The catalog as stored now, for a diff.
    async fn load_state(&self) -> StoreResult<CatalogState>;
    /// Apply a sync's writes, its fetch state and its outcome in one transaction. With a
    /// lease, the transaction first checks (and renews) that the lease is still ours, and
    /// fails with [`StoreError::LeaseLost`] otherwise.
    async fn apply(
        &self,
        run_id: i64,
        at: UnixMs,
        changes: &ChangeSet,
        fetch: Option<&FetchState>,
        outcome: &RunOutcome,
        lease: Option<&Lease>,
    ) -> StoreResult<()>;
    /// Take, renew or take over (once expired) a lease.
    async fn claim_lease(&self, lease: &Lease) -> StoreResult<LeaseClaim>;
    /// Give a lease back, if still ours.
    async fn release_lease(&self, lease: &Lease) -> StoreResult<()>;
    /// Mark every run still `running` as `abandoned` (call only while holding the sync
    /// lease: then no live process can own one). Returns the runs marked.
    async fn abandon_runs(&self) -> StoreResult<Vec<SyncRun>>;
    /// When the newest sync of `source` that succeeded or found nothing new finished.
    async fn last_finished_sync(&self, source: &str) -> StoreResult<Option<UnixMs>>;
    /// The id of the newest run that applied data: the catalog's version (it changes
    /// exactly when a sync changes the catalog).
    async fn catalog_version(&self) -> StoreResult<i64>;
    /// Who holds a lease now (unexpired), if anyone.
    async fn lease_holder(&self, name: &str) -> StoreResult<Option<LeaseHolder>>;
    /// Every model with its offers and the prices valid now, or at `as_of`.
    async fn catalog(&self, as_of: Option<UnixMs>) -> StoreResult<Vec<ModelRecord>>;
    /// The model id an id or alias means, if any.
    async fn resolve(&self, id: &str) -> StoreResult<Option<String>>;
    /// Every price interval of every offer: (offer key, interval).
    async fn price_intervals(&self) -> StoreResult<Vec<(String, PriceRecord)>>;
    /// Every price interval of a model's offers that was valid at or after `since`.
    async fn price_history(&self, model_id: &str, since: Option<UnixMs>) -> StoreResult<Vec<PriceInterval>>;
    /// Change events, newest first.
    async fn changes(&self, query: &ChangeQuery) -> StoreResult<Vec<StoredChange>>;
    /// Sync runs, newest first.
    async fn runs(&self, limit: i64) -> StoreResult<Vec<SyncRun>>;
    /// Counts and the latest runs.
    async fn status(&self) -> StoreResult<StoreStatus>;
    /// Benchmark scores valid now (`None`) or at `as_of`, by model and series.
    async fn benchmark_scores(&self, as_of: Option<UnixMs>) -> StoreResult<Vec<BenchmarkRecord>>;
    /// Every benchmark interval of a model (of every model with `None`), by series and time.
    async fn benchmark_history(&self, model_id: Option<&str>) -> StoreResult<Vec<BenchmarkRecord>>;
    /// Record benchmark scores (an import) in one transaction, as a finished run of its own
    /// (`succeeded`, so the catalog's version moves and running servers reload their rankings;
    /// `no_change` when nothing is written). Returns the run's id.
    async fn record_benchmarks(&self, writes: &BenchmarkWrites, run: &NewRun, origin: &str) -> StoreResult<i64>;
}

/// Open (creating and migrating as needed) the store a URL names.
pub async fn open(url: &str) -> StoreResult<Box<dyn Store>> {
    if url.starts_with("sqlite:") {
        return Ok(Box::new(SqliteStore::open(url).await?));
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Ok(Box::new(PgStore::open(url).await?));
    }
    // Only the scheme: the rest of a URL may hold a password.
    let scheme = url.split_once(':').map_or(url, |(s, _)| s);
    Err(StoreError::Unsupported(scheme.to_string()))
}

/// A testing hook: `LLMCOST_TEST_PAUSE_BEFORE_COMMIT_MS` makes `apply` wait that long with
/// its transaction open, so tests can kill a sync mid-transaction.
fn pause_before_commit() -> Option<std::time::Duration> {
    let ms = std::env::var("LLMCOST_TEST_PAUSE_BEFORE_COMMIT_MS").ok()?.parse().ok()?;
    Some(std::time::Duration::from_millis(ms))
}

/// A message about `url` with the URL's password (if any) masked: database errors may
/// quote connection strings.
pub fn redact_password(url: &str, message: &str) -> String {
    match reqwest::Url::parse(url).ok().and_then(|u| u.password().map(str::to_string)) {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message.to_string(),
    }
}
