//! The sync pipeline: fetch → parse → filter → diff against the stored catalog → apply in
//! one transaction → change events. The diff and filter are pure; I/O happens here.

mod diff;
mod filter;
pub mod lease;

pub use diff::{DiffOptions, DropGuard, check_drop, diff};
pub use filter::{Filter, Inclusion, is_free};
pub use lease::LockSettings;

use crate::config::{OpenRouterSettings, Secret, Settings};
use crate::domain::{Catalog, ChangeEvent, ChangeKind, RunOrigin, RunStatus, RunTrigger, UnixMs, parse_duration};
use crate::sources::http::{FetchError, Fetched, HttpClient, RetryPolicy, Validators};
use crate::sources::price_list::PriceListEntry;
use crate::sources::{self, Source, openrouter, snapshot};
use crate::store::{FetchState, Lease, NewRun, RunOutcome, Store, StoreError};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::header::{HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where a sync takes its data from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncInput {
    /// The upstream API, falling back to the bundled snapshot when the network is unreachable
    /// and the store holds nothing newer.
    Network,
    /// The bundled snapshot only.
    Offline,
    /// A saved response (`GET /models` for OpenRouter, the data file of a price list).
    File(PathBuf),
}

/// Everything one sync needs to know.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// What started it.
    pub trigger: RunTrigger,
    /// The source to sync.
    pub source: Source,
    /// Where the data comes from.
    pub input: SyncInput,
    /// The URL of a price list's data (default: where the source publishes it).
    pub url: Option<String>,
    /// OpenRouter settings.
    pub openrouter: OpenRouterSettings,
    /// OpenRouter API key (optional for the catalog).
    pub api_key: Option<Secret>,
    /// The tracked set.
    pub filter: Filter,
    /// Compute and show the changes; apply none.
    pub dry_run: bool,
    /// Skip the drop guard and the conditional/identical-content shortcuts.
    pub force: bool,
    /// The drop guard's minimum ratio of fetched to active listings.
    pub min_ratio: Decimal,
    /// Price changes beyond this percent are alerts.
    pub alert_threshold_percent: Decimal,
    /// Record the data as observed at this time instead of now (for importing saved
    /// catalogs in order).
    pub observed_at: Option<UnixMs>,
    /// Draw a progress bar on the terminal.
    pub progress: bool,
    /// How the sync lease is taken.
    pub lock: LockSettings,
    /// Skip the sync when the last one of this source finished less than this long ago
    /// (unless `force`).
    pub min_interval: Option<Duration>,
}

impl SyncRequest {
    /// A sync of `source` as the settings configure it: from the network (the overrides
    /// file for overrides), no dry run, no force.
    pub fn configured(settings: &Settings, source: Source, trigger: RunTrigger) -> Result<Self, String> {
        let input = match (source, &settings.overrides) {
            (Source::Overrides, Some(path)) => SyncInput::File(path.clone()),
            (Source::Overrides, None) => {
                return Err(
                    "no overrides file: pass --overrides PATH, set LLMCOST_OVERRIDES, or `overrides` in the config"
                        .into(),
                );
            }
            _ => SyncInput::Network,
        };
        let lock_ttl = parse_duration(&settings.sync.lock_ttl).map_err(|e| format!("sync.lock_ttl {e}"))?;
        let min_interval = settings
            .sync
            .min_interval
            .as_deref()
            .map(|d| parse_duration(d).map_err(|e| format!("sync.min_interval {e}")))
            .transpose()?;
        Ok(Self {
            trigger,
            source,
            input,
            url: None,
            openrouter: settings.openrouter.clone(),
            api_key: std::env::var("OPENROUTER_API_KEY").ok().and_then(Secret::new),
            filter: settings.filter.clone(),
            dry_run: false,
            force: false,
            min_ratio: settings.sync.min_ratio,
            alert_threshold_percent: settings.sync.alert_threshold_percent,
            observed_at: None,
            progress: false,
            lock: LockSettings { ttl: lock_ttl, wait: false },
            min_interval,
        })
    }
}

/// What a sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The run's id (`None` when skipped: no run was recorded).
    pub run_id: Option<i64>,
    /// The source synced.
    pub source: String,
    /// How it ended.
    pub status: RunStatus,
    /// Where the data came from.
    pub origin: RunOrigin,
    /// Why the bundled snapshot was used instead of the network, if it was.
    pub fallback_reason: Option<String>,
    /// The time the changes are recorded at.
    pub at: UnixMs,
    /// Models received (after filtering).
    pub models_seen: usize,
    /// Offers received (after filtering), listings and endpoints.
    pub offers_seen: usize,
    /// Listings whose provider endpoints were fetched.
    pub endpoints_fetched: usize,
    /// Models added.
    pub models_added: usize,
    /// Models removed (deactivated).
    pub models_removed: usize,
    /// Models reactivated.
    pub models_reactivated: usize,
    /// Offers added.
    pub offers_added: usize,
    /// Offers removed (deactivated).
    pub offers_removed: usize,
    /// Price changes (per component and tier).
    pub prices_changed: usize,
    /// Changes beyond the alert threshold.
    pub alerts: usize,
    /// Wall time.
    pub duration_ms: u64,
    /// Runs left `running` by processes that died, marked abandoned by this sync.
    pub abandoned_runs: Vec<i64>,
    /// Why the sync was skipped, if it was.
    pub skipped_reason: Option<String>,
    /// Every change event.
    pub events: Vec<ChangeEvent>,
}

/// Why a sync failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The upstream could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The upstream sent something we cannot accept.
    #[error(transparent)]
    Parse(#[from] openrouter::ParseError),
    /// The drop guard refused the fetch.
    #[error(transparent)]
    Drop(#[from] DropGuard),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A local input could not be read.
    #[error("cannot read {path}: {reason}")]
    Input {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The network is down and the bundled snapshot is older than the stored catalog.
    #[error(
        "{cause}; the stored catalog came from a newer {origin} sync than the bundled snapshot, so nothing was changed. Use --offline to apply the snapshot anyway"
    )]
    StaleFallback {
        /// The network failure.
        cause: FetchError,
        /// Origin of the last applied sync.
        origin: String,
    },
    /// A price list sent something we cannot accept.
    #[error("{source_name}: {message}")]
    PriceList {
        /// The source.
        source_name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Another process holds the sync lease.
    #[error(
        "sync already running on {holder} since {since} (its lease lapses at {expires_at} unless renewed); use --wait to wait for it"
    )]
    Locked {
        /// `host:pid` of the holder.
        holder: String,
        /// When it took the lease.
        since: String,
        /// When the lease lapses unless renewed.
        expires_at: String,
    },
    /// `--observed-at` is not after the newest recorded change.
    #[error("--observed-at {given} is not after the newest recorded price change ({latest}); history is append-only")]
    Clock {
        /// The time given.
        given: String,
        /// The newest change.
        latest: String,
    },
}

fn now_ms() -> UnixMs {
    jiff::Timestamp::now().as_millisecond()
}

fn format_ms(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// `host:pid` of this process, recorded on runs.
pub fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The HTTP client OpenRouter is fetched with: app headers, timeouts, retries, optional key.
pub fn openrouter_client(settings: &OpenRouterSettings, api_key: Option<Secret>) -> Result<HttpClient, FetchError> {
    let mut headers = HeaderMap::new();
    headers.insert("HTTP-Referer", HeaderValue::from_static("https://github.com/llmcost/llmcost"));
    headers.insert("X-Title", HeaderValue::from_static("llmcost"));
    let policy = RetryPolicy { max_retries: settings.retries, ..RetryPolicy::default() };
    HttpClient::new(Duration::from_secs(settings.timeout_secs.max(1)), policy, headers, api_key)
}

/// The body a sync works on, with where it came from.
struct Input {
    body: Vec<u8>,
    origin: RunOrigin,
    state_url: String,
    validators: Validators,
    fallback_reason: Option<String>,
}

enum Acquired {
    Body(Input),
    NotModified,
}

/// Run one sync of a source into the store, holding the database's sync lease throughout.
/// Every outcome, failures included, is recorded as a run; a failure changes nothing else.
pub async fn run(store: &dyn Store, req: &SyncRequest) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let lease = lease::new_lease(req.lock.ttl);
    lease::claim(store, &lease, req.lock.wait).await?;
    let result = run_leased(store, req, &lease, started).await;
    if let Err(e) = store.release_lease(&lease).await {
        tracing::warn!(error = %e, "could not release the sync lease; it lapses on its own");
    }
    result
}

async fn run_leased(
    store: &dyn Store,
    req: &SyncRequest,
    lease: &Lease,
    started: Instant,
) -> Result<SyncReport, SyncError> {
    // Holding the lease, no live process can be running a sync: any run still marked
    // running belongs to a process that died.
    let abandoned = store.abandon_runs().await?;
    for run in &abandoned {
        tracing::warn!("run #{} of {} by {} was left running; marked abandoned", run.id, run.source, run.holder);
    }
    let abandoned_runs = abandoned.iter().map(|r| r.id).collect();
    if let Some(reason) = too_soon(store, req).await? {
        tracing::info!("{reason}");
        let mut report = SyncReport::empty(req.source, None, RunStatus::Skipped, RunOrigin::Network, None, 0, started);
        report.skipped_reason = Some(reason);
        report.abandoned_runs = abandoned_runs;
        return Ok(report);
    }
    let run_id = store
        .begin_run(&NewRun {
            trigger: req.trigger.as_str().into(),
            source: req.source.name().into(),
            holder: holder(),
            started_at: now_ms(),
        })
        .await?;
    let result = tokio::select! {
        result = run_inner(store, req, run_id, started, lease) => result,
        lost = lease::keep(store, lease) => Err(lost),
    };
    match result {
        Ok(mut report) => {
            report.abandoned_runs = abandoned_runs;
            Ok(report)
        }
        Err(err) => {
            let outcome = RunOutcome {
                status: RunStatus::Failed.as_str().into(),
                finished_at: now_ms(),
                duration_ms: elapsed_ms(started),
                error: Some(err.to_string()),
                ..RunOutcome::default()
            };
            if let Err(store_err) = store.finish_run(run_id, &outcome).await {
                tracing::error!(error = %store_err, "could not record the failed run");
            }
            Err(err)
        }
    }
}

/// Why a sync should not run yet (`--min-interval`), if it should not.
async fn too_soon(store: &dyn Store, req: &SyncRequest) -> Result<Option<String>, SyncError> {
    let Some(min) = req.min_interval.filter(|_| !req.force) else { return Ok(None) };
    let Some(last) = store.last_finished_sync(req.source.name()).await? else { return Ok(None) };
    let min_ms = i64::try_from(min.as_millis()).unwrap_or(i64::MAX);
    let age = now_ms().saturating_sub(last);
    Ok((age < min_ms).then(|| {
        format!(
            "skipped: the last {} sync finished at {} ({} s ago), within --min-interval {} s; --force syncs anyway",
            req.source.name(),
            format_ms(last),
            age / 1000,
            min.as_secs()
        )
    }))
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// What shaped the applied result besides the body: filters and endpoint settings.
fn fingerprint(req: &SyncRequest) -> String {
    let shape = serde_json::json!({
        "source": req.source.name(),
        "filter": req.filter,
        "endpoints": req.openrouter.endpoints && req.input == SyncInput::Network,
        "all_modalities": req.openrouter.all_modalities,
    });
    sha256_hex(shape.to_string().as_bytes())
}

async fn acquire(store: &dyn Store, req: &SyncRequest, client: &HttpClient, fp: &str) -> Result<Acquired, SyncError> {
    let all = req.openrouter.all_modalities && req.source == Source::Openrouter;
    let snapshot_input = |fallback_reason: Option<String>| -> Result<Input, SyncError> {
        let (body, date) = snapshot::bundled(req.source, all)
            .map_err(|e| SyncError::Input { path: "bundled snapshot".into(), reason: e.to_string() })?;
        Ok(Input {
            body,
            origin: RunOrigin::Snapshot,
            state_url: format!("snapshot:{}/{date}{}", req.source.name(), if all { "/all" } else { "" }),
            validators: Validators::default(),
            fallback_reason,
        })
    };
    match &req.input {
        SyncInput::Offline => Ok(Acquired::Body(snapshot_input(None)?)),
        SyncInput::File(path) => {
            let body = tokio::fs::read(path)
                .await
                .map_err(|e| SyncError::Input { path: path.display().to_string(), reason: e.to_string() })?;
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            Ok(Acquired::Body(Input {
                body,
                origin: RunOrigin::File,
                state_url: format!("file:{}", canonical.display()),
                validators: Validators::default(),
                fallback_reason: None,
            }))
        }
        SyncInput::Network => {
            let url = match req.source {
                Source::Openrouter => openrouter::models_url(&req.openrouter.url, all),
                other => req.url.clone().unwrap_or_else(|| other.default_url().to_string()),
            };
            let previous = store.fetch_state(&url).await?;
            let validators = previous
                .filter(|p| !req.force && p.fingerprint == fp)
                .map(|p| Validators { etag: p.etag, last_modified: p.last_modified });
            match client.get(&url, validators.as_ref()).await {
                Ok(Fetched::NotModified) => Ok(Acquired::NotModified),
                Ok(Fetched::Body { bytes, validators }) => Ok(Acquired::Body(Input {
                    body: bytes.to_vec(),
                    origin: RunOrigin::Network,
                    state_url: url,
                    validators,
                    fallback_reason: None,
                })),
                Err(e) if e.is_unreachable() => {
                    let last = store.last_applied_origin(req.source.name()).await?;
                    match last.as_deref() {
                        None | Some("snapshot") => {
                            let date = snapshot::bundled(req.source, all).map(|(_, d)| d).unwrap_or("?");
                            let reason = format!("{e}; using the bundled snapshot ({date})");
                            tracing::info!("network unreachable: {reason}");
                            Ok(Acquired::Body(snapshot_input(Some(reason))?))
                        }
                        Some(origin) => Err(SyncError::StaleFallback { cause: e, origin: origin.to_string() }),
                    }
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn progress_bar(enabled: bool, len: usize) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{spinner} endpoints {bar:30} {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// Fetch every listing's provider endpoints, a bounded number at a time; the first
/// failure fails the sync (a partial fetch must not look like vanished providers).
async fn fetch_endpoints(client: &HttpClient, req: &SyncRequest, catalog: &mut Catalog) -> Result<(), SyncError> {
    let listings: Vec<String> =
        catalog.offers.iter().filter(|o| o.served_by.is_none()).map(|o| o.listing_id.clone()).collect();
    let bar = progress_bar(req.progress, listings.len());
    let base = req.openrouter.url.clone();
    let results: Vec<(String, Option<Vec<crate::domain::Offer>>)> = futures::stream::iter(listings)
        .map(|listing| {
            let url = openrouter::endpoints_url(&base, &listing);
            let bar = bar.clone();
            async move {
                let fetched = client.get(&url, None).await;
                bar.inc(1);
                match fetched {
                    Ok(Fetched::Body { bytes, .. }) => {
                        let wire = openrouter::parse_endpoints(&bytes)
                            .map_err(|e| openrouter::ParseError::Json(format!("endpoints of {listing}: {e}")))?;
                        let offers = openrouter::endpoint_offers(&listing, &wire)?;
                        Ok::<_, SyncError>((listing, Some(offers)))
                    }
                    // No endpoints known for this listing (router models): leave its
                    // stored endpoint offers alone.
                    Err(FetchError::Status { status: 404, .. }) | Ok(Fetched::NotModified) => Ok((listing, None)),
                    Err(e) => Err(e.into()),
                }
            }
        })
        .buffer_unordered(req.openrouter.concurrency.max(1))
        .try_collect()
        .await?;
    bar.finish_and_clear();
    for (listing, offers) in results {
        if let Some(offers) = offers {
            catalog.offers.extend(offers);
            catalog.endpoints_fetched_for.insert(listing);
        }
    }
    catalog.offers.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(())
}

/// Parse a price list's data into entries.
fn price_list_entries(source: Source, body: &[u8], at: UnixMs) -> Result<Vec<PriceListEntry>, SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::PriceList { source_name: source.name(), message: e.to_string() };
    let now = jiff::Timestamp::from_millisecond(at).map_err(|e| err(&e))?;
    match source {
        Source::Litellm => sources::litellm::parse(body).map_err(|e| err(&e)),
        Source::GenaiPrices => sources::genai_prices::parse(body, now).map_err(|e| err(&e)),
        Source::ModelsDev => sources::models_dev::parse(body).map_err(|e| err(&e)),
        Source::Overrides => {
            let text = std::str::from_utf8(body).map_err(|e| err(&e))?;
            sources::overrides::parse(text).map(|o| o.entries).map_err(|e| err(&e))
        }
        Source::Openrouter => Ok(Vec::new()),
    }
}

async fn run_inner(
    store: &dyn Store,
    req: &SyncRequest,
    run_id: i64,
    started: Instant,
    lease: &Lease,
) -> Result<SyncReport, SyncError> {
    let client = openrouter_client(&req.openrouter, req.api_key.clone())?;
    let fp = fingerprint(req);

    // The sync time: monotonic over recorded history, so intervals never overlap.
    let latest = store.latest_price_change().await?.unwrap_or(i64::MIN);
    let at = match req.observed_at {
        Some(t) if t <= latest => {
            return Err(SyncError::Clock { given: format_ms(t), latest: format_ms(latest) });
        }
        Some(t) => t,
        None => now_ms().max(latest.saturating_add(1)),
    };

    let finish_without_apply = |status: RunStatus, origin: RunOrigin, fallback_reason: Option<String>| async move {
        let outcome = RunOutcome {
            status: status.as_str().into(),
            origin: Some(origin.as_str().into()),
            finished_at: now_ms(),
            duration_ms: elapsed_ms(started),
            ..RunOutcome::default()
        };
        store.finish_run(run_id, &outcome).await?;
        Ok::<_, SyncError>(SyncReport::empty(req.source, Some(run_id), status, origin, fallback_reason, at, started))
    };

    tracing::debug!(elapsed_ms = elapsed_ms(started), "client ready");
    let mut input = match acquire(store, req, &client, &fp).await? {
        Acquired::NotModified => {
            tracing::info!("upstream answered 304 Not Modified; nothing to do");
            return finish_without_apply(RunStatus::NoChange, RunOrigin::Network, None).await;
        }
        Acquired::Body(input) => input,
    };
    tracing::debug!(elapsed_ms = elapsed_ms(started), bytes = input.body.len(), "acquired");
    let content_hash = sha256_hex(&input.body);
    let previous = store.fetch_state(&input.state_url).await?;
    if !req.force && previous.as_ref().is_some_and(|p| p.content_hash == content_hash && p.fingerprint == fp) {
        tracing::info!("upstream content is identical to the last applied sync; nothing to do");
        return finish_without_apply(RunStatus::NoChange, input.origin, input.fallback_reason).await;
    }

    let phase = |name: &str| tracing::debug!(elapsed_ms = elapsed_ms(started), "{name}");
    phase("fetched");
    let current = store.load_state().await?;
    phase("stored catalog loaded");
    let mut catalog = match req.source {
        Source::Openrouter => {
            let wire = openrouter::parse_models(&input.body)?;
            input.body = Vec::new();
            openrouter::to_catalog(&wire)?
        }
        price_list => {
            let entries = price_list_entries(price_list, &input.body, at)?;
            input.body = Vec::new();
            let (catalog, resolutions) = sources::price_list::to_catalog(price_list.name(), &entries, &current);
            tracing::info!(?resolutions, "resolved {} price list ids", entries.len());
            catalog
        }
    };
    req.filter.apply(&mut catalog);
    phase("parsed, mapped and filtered");
    if req.source == Source::Openrouter && req.openrouter.endpoints && input.origin == RunOrigin::Network {
        fetch_endpoints(&client, req, &mut catalog).await?;
        req.filter.apply(&mut catalog);
        phase("endpoints fetched");
    }

    if !req.force {
        check_drop(&current, &catalog, req.min_ratio)?;
    }
    let changes = diff(&current, &catalog, &DiffOptions { alert_threshold_percent: req.alert_threshold_percent });
    phase("diffed");
    for e in changes.events.iter().filter(|e| e.is_alert) {
        tracing::warn!(model = e.model_id, "price alert: {}", e.describe());
    }

    let mut report = SyncReport::empty(
        req.source,
        Some(run_id),
        RunStatus::Succeeded,
        input.origin,
        input.fallback_reason,
        at,
        started,
    );
    report.models_seen = catalog.models.len();
    report.offers_seen = catalog.offers.len();
    report.endpoints_fetched = catalog.endpoints_fetched_for.len();
    report.count(&changes.events);
    // The inputs of the diff are not needed any more: free them before writing.
    drop(catalog);
    drop(current);

    let mut outcome = RunOutcome {
        status: RunStatus::Succeeded.as_str().into(),
        origin: Some(input.origin.as_str().into()),
        models_seen: Some(report.models_seen as i64),
        offers_seen: Some(report.offers_seen as i64),
        added: report.models_added as i64,
        removed: report.models_removed as i64,
        repriced: report.prices_changed as i64,
        changes: changes.events.len() as i64,
        alerts: report.alerts as i64,
        ..RunOutcome::default()
    };
    if req.dry_run {
        report.status = RunStatus::DryRun;
        outcome.status = RunStatus::DryRun.as_str().into();
        outcome.finished_at = now_ms();
        outcome.duration_ms = elapsed_ms(started);
        store.finish_run(run_id, &outcome).await?;
    } else {
        let fetch = FetchState {
            url: input.state_url,
            etag: input.validators.etag,
            last_modified: input.validators.last_modified,
            content_hash,
            fingerprint: fp,
        };
        outcome.finished_at = now_ms();
        outcome.duration_ms = elapsed_ms(started);
        store.apply(run_id, at, &changes, Some(&fetch), &outcome, Some(lease)).await?;
        phase("applied");
    }
    report.events = changes.events;
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

impl SyncReport {
    fn empty(
        source: Source,
        run_id: Option<i64>,
        status: RunStatus,
        origin: RunOrigin,
        fallback_reason: Option<String>,
        at: UnixMs,
        started: Instant,
    ) -> Self {
        Self {
            run_id,
            source: source.name().into(),
            status,
            origin,
            fallback_reason,
            at,
            models_seen: 0,
            offers_seen: 0,
            endpoints_fetched: 0,
            models_added: 0,
            models_removed: 0,
            models_reactivated: 0,
            offers_added: 0,
            offers_removed: 0,
            prices_changed: 0,
            alerts: 0,
            duration_ms: started.elapsed().as_millis() as u64,
            abandoned_runs: Vec::new(),
            skipped_reason: None,
            events: Vec::new(),
        }
    }

    fn count(&mut self, events: &[ChangeEvent]) {
        let n = |k: ChangeKind| events.iter().filter(|e| e.kind == k).count();
        self.models_added = n(ChangeKind::ModelAdded);
        self.models_removed = n(ChangeKind::ModelRemoved);
        self.models_reactivated = n(ChangeKind::ModelReactivated);
        self.offers_added = n(ChangeKind::OfferAdded);
        self.offers_removed = n(ChangeKind::OfferRemoved);
        self.prices_changed = n(ChangeKind::PriceChanged);
        self.alerts = events.iter().filter(|e| e.is_alert).count();
    }
}
