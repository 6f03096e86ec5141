//! Sync runs: one attempt to bring one source in.

use serde::{Deserialize, Serialize};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// The command line.
    Cli,
    /// The scheduler of `llmcost serve`.
    Schedule,
    /// The admin API.
    Api,
}

impl RunTrigger {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Cli => "cli",
            RunTrigger::Schedule => "schedule",
            RunTrigger::Api => "api",
        }
    }
}

/// Where the data of a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOrigin {
    /// Fetched from the upstream over the network.
    Network,
    /// The snapshot bundled in the binary.
    Snapshot,
    /// A saved response given with `--from-file`.
    File,
}

impl RunOrigin {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOrigin::Network => "network",
            RunOrigin::Snapshot => "snapshot",
            RunOrigin::File => "file",
        }
    }
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// In progress.
    Running,
    /// Applied its changes (possibly none).
    Succeeded,
    /// Failed; changed nothing.
    Failed,
    /// Left running by a process that died.
    Abandoned,
    /// A dry run: computed the changes, applied none.
    DryRun,
    /// The upstream was unchanged (304 or identical content): nothing to do.
    NoChange,
    /// Not run: the last sync finished within the minimum interval (never stored).
    Skipped,
}

impl RunStatus {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Abandoned => "abandoned",
            RunStatus::DryRun => "dry_run",
            RunStatus::NoChange => "no_change",
            RunStatus::Skipped => "skipped",
        }
    }

    /// Parse the stored name.
    pub fn from_stored(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "abandoned" => RunStatus::Abandoned,
            "dry_run" => RunStatus::DryRun,
            "no_change" => RunStatus::NoChange,
            _ => return None,
        })
    }
}

/// A recorded sync run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRun {
    /// Run number.
    pub id: i64,
    /// What started it.
    pub trigger: String,
    /// The source synced.
    pub source: String,
    /// Where the data came from (`network`, `snapshot`, `file`), once known.
    pub origin: Option<String>,
    /// How it ended.
    pub status: String,
    /// Start (unix ms).
    pub started_at: i64,
    /// End (unix ms).
    pub finished_at: Option<i64>,
    /// Wall time in milliseconds.
    pub duration_ms: Option<i64>,
    /// Models received from the source (after filtering).
    pub models_seen: Option<i64>,
    /// Offers received from the source (after filtering).
    pub offers_seen: Option<i64>,
    /// Models added.
    pub added: i64,
    /// Models removed.
    pub removed: i64,
    /// Price changes.
    pub repriced: i64,
    /// All change events.
    pub changes: i64,
    /// Changes beyond the alert threshold.
    pub alerts: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// `host:pid` of the process that ran it.
    pub holder: String,
}
