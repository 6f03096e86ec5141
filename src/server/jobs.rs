//! Admin sync jobs: accepted, run in the background (or awaited), and kept in memory for
//! polling. A job lives in the instance that accepted it; the runs it records are in the
//! shared database.

use super::state::{AppState, SyncOptions};
use crate::domain::RunTrigger;
use crate::sources::Source;
use crate::sync::SyncReport;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Finished jobs kept for polling.
const KEPT: usize = 200;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Accepted, not started.
    Queued,
    /// Syncing.
    Running,
    /// Every source synced (or was skipped).
    Succeeded,
    /// At least one source failed.
    Failed,
}

/// One source's result within a job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobSourceResult {
    /// The source.
    pub source: String,
    /// The sync report, when it ran.
    #[schema(value_type = Option<Object>)]
    pub report: Option<SyncReport>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A sync job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Job id.
    pub id: u64,
    /// Where it is.
    pub status: JobStatus,
    /// The sources, in order.
    pub sources: Vec<String>,
    /// A dry run.
    pub dry_run: bool,
    /// Forced.
    pub force: bool,
    /// Accepted (unix ms).
    pub created_at: i64,
    /// Started (unix ms).
    pub started_at: Option<i64>,
    /// Finished (unix ms).
    pub finished_at: Option<i64>,
    /// Per-source results so far.
    pub results: Vec<JobSourceResult>,
}

/// The jobs of this instance.
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    table: Mutex<VecDeque<Job>>,
    running: tokio::sync::Mutex<()>,
    tasks: tokio_util::task::TaskTracker,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Jobs {
    /// A job by id.
    pub fn get(&self, id: u64) -> Option<Job> {
        self.table.lock().ok()?.iter().find(|j| j.id == id).cloned()
    }

    /// The newest jobs, newest first.
    pub fn recent(&self, n: usize) -> Vec<Job> {
        self.table.lock().map(|t| t.iter().rev().take(n).cloned().collect()).unwrap_or_default()
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Ok(mut t) = self.table.lock() {
            if let Some(job) = t.iter_mut().find(|j| j.id == id) {
                f(job);
            }
        }
    }

    /// Accept a job (it does not start until [`Jobs::run`]).
    pub fn accept(&self, sources: &[Source], opts: &SyncOptions) -> Job {
        let job = Job {
            id: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            status: JobStatus::Queued,
            sources: sources.iter().map(|s| s.name().to_string()).collect(),
            dry_run: opts.dry_run,
            force: opts.force,
            created_at: now(),
            started_at: None,
            finished_at: None,
            results: Vec::new(),
        };
        if let Ok(mut t) = self.table.lock() {
            t.push_back(job.clone());
            while t.len() > KEPT {
                t.pop_front();
            }
        }
        job
    }

    /// Run an accepted job to the end; jobs of this instance run one at a time.
    pub async fn run(&self, state: &AppState, id: u64, sources: Vec<Source>, opts: SyncOptions) -> Option<Job> {
        let _one_at_a_time = self.running.lock().await;
        self.update(id, |j| {
            j.status = JobStatus::Running;
            j.started_at = Some(now());
        });
        let mut failed = false;
        for source in sources {
            let result = state.sync(source, &opts, RunTrigger::Api).await;
            failed |= result.is_err();
            let entry = match result {
                Ok(report) => JobSourceResult { source: source.name().into(), report: Some(report), error: None },
                Err(e) => JobSourceResult { source: source.name().into(), report: None, error: Some(e.to_string()) },
            };
            self.update(id, |j| j.results.push(entry));
        }
        self.update(id, |j| {
            j.status = if failed { JobStatus::Failed } else { JobStatus::Succeeded };
            j.finished_at = Some(now());
        });
        self.get(id)
    }

    /// Run an accepted job in the background.
    pub fn spawn(&self, state: AppState, id: u64, sources: Vec<Source>, opts: SyncOptions) {
        self.tasks.spawn(async move {
            state.jobs.run(&state, id, sources, opts).await;
        });
    }

    /// Wait (up to `grace`) for background jobs to finish; used at shutdown.
    pub async fn drain(&self, grace: std::time::Duration) -> bool {
        self.tasks.close();
        tokio::time::timeout(grace, self.tasks.wait()).await.is_ok()
    }
}
