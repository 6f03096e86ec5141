//! The scheduler inside `serve`: each entry syncs one source every interval or on a cron
//! expression (UTC); stuck runs are cleaned up periodically. Every sync takes the
//! database's lease, and interval entries skip when any instance synced the source within
//! half the interval, so N replicas sync once.

use super::state::{AppState, SyncOptions};
use crate::domain::{RunTrigger, UnixMs, parse_duration};
use crate::sources::Source;
use crate::sync::SyncError;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One scheduled sync (an entry of `[[serve.schedule]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledSync {
    /// The source.
    pub source: Source,
    /// Run every this long (`6h`), starting at startup.
    #[serde(default)]
    pub every: Option<String>,
    /// Or on this cron expression (5 fields, UTC), e.g. `0 3 * * 0`.
    #[serde(default)]
    pub cron: Option<String>,
    /// Fetch provider endpoints (default: as `[openrouter]` says).
    #[serde(default)]
    pub endpoints: Option<bool>,
    /// Every output modality (default: as `[openrouter]` says).
    #[serde(default)]
    pub all_modalities: Option<bool>,
    /// Skip when the source synced this recently (default: half of `every`; none for cron).
    #[serde(default)]
    pub min_interval: Option<String>,
}

/// The default schedule: OpenRouter's catalog every 6 hours, and a full sync with every
/// provider endpoint and every modality weekly (Sunday 03:00 UTC).
pub fn default_schedule() -> Vec<ScheduledSync> {
    vec![
        ScheduledSync {
            source: Source::Openrouter,
            every: Some("6h".into()),
            cron: None,
            endpoints: Some(false),
            all_modalities: Some(false),
            min_interval: None,
        },
        ScheduledSync {
            source: Source::Openrouter,
            every: None,
            cron: Some("0 3 * * 0".into()),
            endpoints: Some(true),
            all_modalities: Some(true),
            min_interval: None,
        },
    ]
}

enum When {
    Every(Duration),
    Cron(Box<croner::Cron>),
}

struct Entry {
    label: String,
    source: Source,
    when: When,
    opts: SyncOptions,
    next: UnixMs,
}

/// A parsed schedule.
pub struct Schedule {
    entries: Vec<Entry>,
    cleanup_every: Duration,
}

fn now_ms() -> UnixMs {
    jiff::Timestamp::now().as_millisecond()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl When {
    fn next_after(&self, after: UnixMs) -> Option<UnixMs> {
        match self {
            When::Every(d) => Some(after.saturating_add(ms(*d))),
            When::Cron(cron) => {
                let t = jiff::Timestamp::from_millisecond(after).ok()?.to_zoned(jiff::tz::TimeZone::UTC);
                cron.find_next_occurrence(&t, false).ok().map(|z| z.timestamp().as_millisecond())
            }
        }
    }
}

impl Schedule {
    /// Parse the configured entries; errors name the entry.
    pub fn parse(entries: &[ScheduledSync], cleanup_every: &str) -> Result<Self, String> {
        let now = now_ms();
        let mut out = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let label = format!("schedule[{i}] {}", e.source.name());
            let (when, default_min, next) = match (&e.every, &e.cron) {
                (Some(every), None) => {
                    let d = parse_duration(every).map_err(|m| format!("{label}: every {m}"))?;
                    (When::Every(d), Some(d / 2), now)
                }
                (None, Some(expr)) => {
                    let cron: croner::Cron = expr.parse().map_err(|err| format!("{label}: cron {expr:?}: {err}"))?;
                    let when = When::Cron(Box::new(cron));
                    let next = when.next_after(now).ok_or_else(|| format!("{label}: cron {expr:?} never fires"))?;
                    (when, None, next)
                }
                _ => return Err(format!("{label}: give exactly one of `every` or `cron`")),
            };
            let min_interval = match &e.min_interval {
                Some(m) => Some(parse_duration(m).map_err(|err| format!("{label}: min_interval {err}"))?),
                None => default_min,
            };
            let opts = SyncOptions {
                endpoints: e.endpoints,
                all_modalities: e.all_modalities,
                min_interval,
                ..SyncOptions::default()
            };
            out.push(Entry { label, source: e.source, when, opts, next });
        }
        let cleanup_every = parse_duration(cleanup_every).map_err(|e| format!("serve.cleanup_every {e}"))?;
        Ok(Self { entries: out, cleanup_every })
    }
}

/// When each entry runs next, for `/sync/status`.
#[derive(Default)]
pub struct ScheduleStatus {
    next: Mutex<Vec<(String, UnixMs)>>,
}

impl ScheduleStatus {
    /// The soonest next run, if the scheduler is on.
    pub fn next_run(&self) -> Option<(String, UnixMs)> {
        self.next.lock().ok()?.iter().min_by_key(|(_, t)| *t).cloned()
    }

    fn set(&self, entries: &[Entry]) {
        if let Ok(mut next) = self.next.lock() {
            *next = entries.iter().map(|e| (e.label.clone(), e.next)).collect();
        }
    }
}

/// Run the schedule until `shutdown`; a sync in progress is finished, not cut.
pub async fn run(state: AppState, mut schedule: Schedule, shutdown: CancellationToken) {
    let mut next_cleanup = now_ms();
    loop {
        state.schedule.set(&schedule.entries);
        let due = schedule.entries.iter().map(|e| e.next).chain([next_cleanup]).min().unwrap_or(next_cleanup);
        let wait = Duration::from_millis(u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let now = now_ms();
        if next_cleanup <= now {
            match crate::sync::lease::cleanup_stuck_runs(state.store.as_ref()).await {
                Ok(crate::sync::lease::Cleanup::Abandoned { runs }) if !runs.is_empty() => {
                    tracing::warn!(count = runs.len(), "scheduler: marked stuck runs abandoned");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler: stuck-run cleanup failed"),
            }
            next_cleanup = now.saturating_add(ms(schedule.cleanup_every));
        }
        for entry in schedule.entries.iter_mut().filter(|e| e.next <= now) {
            if shutdown.is_cancelled() {
                return;
            }
            match state.sync(entry.source, &entry.opts, RunTrigger::Schedule).await {
                Ok(r) => tracing::info!(entry = entry.label, status = r.status.as_str(), "scheduled sync done"),
                Err(SyncError::Locked { holder, .. }) => {
                    tracing::info!(entry = entry.label, holder, "scheduled sync skipped: another instance is syncing");
                }
                Err(e) => tracing::error!(entry = entry.label, error = %e, "scheduled sync failed"),
            }
            entry.next = entry.when.next_after(now_ms()).unwrap_or(i64::MAX);
        }
    }
}
