//! Many processes on one catalog: the sync lease, a process killed mid-transaction,
//! abandoned runs, `--wait` and `--min-interval`, on SQLite and PostgreSQL.

use crate::both_backends;
use crate::databases::{Backend, TestDb};
use serde_json::Value;
use std::process::{Output, Stdio};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The binary against `url`, offline, with the catalog recorded as of one fixed date so
/// two databases can be compared row for row.
fn llmcost(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_llmcost"));
    cmd.arg("--db")
        .arg(url)
        .args(args)
        .env_remove("LLMCOST_DB")
        .env_remove("LLMCOST_CONFIG")
        .env_remove("LLMCOST_TEST_PAUSE_BEFORE_COMMIT_MS")
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    cmd
}

const SYNC: &[&str] = &["sync", "--offline", "--observed-at", "2026-08-14T12:00:00Z"];

/// A sync that holds its transaction open for `pause_ms` before committing.
fn paused_sync(url: &str, pause_ms: u64, extra: &[&str]) -> Child {
    let mut args = SYNC.to_vec();
    args.extend_from_slice(extra);
    llmcost(url, &args)
        .env("LLMCOST_TEST_PAUSE_BEFORE_COMMIT_MS", pause_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Read the child's stderr until the line saying its transaction is open and paused.
async fn wait_until_mid_transaction(child: &mut Child) {
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            if line.contains("pausing before commit") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "the sync never reached its commit");
}

async fn run(url: &str, args: &[&str]) -> Output {
    llmcost(url, args).output().await.expect("binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn json(url: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = run(url, &args).await;
    assert!(out.status.success(), "llmcost {args:?} failed: {}", text(&out));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// What a catalog says, for comparing two databases.
async fn catalog(url: &str) -> (Value, Value) {
    (json(url, &["models", "--all"]).await, json(url, &["changes", "--limit", "100000"]).await)
}

both_backends!(two_syncs_started_together_one_syncs_the_other_reports_the_lock, |db: TestDb| async move {
    let url = db.url().to_string();
    // Each holds its transaction open for a while, so the two always overlap.
    let first = paused_sync(&url, 3_000, &[]);
    let second = paused_sync(&url, 3_000, &[]);
    let (a, b) = tokio::join!(first.wait_with_output(), second.wait_with_output());
    let (a, b) = (a.expect("first"), b.expect("second"));
    let outcomes = [a.status.success(), b.status.success()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "exactly one syncs:\n{}\n---\n{}", text(&a), text(&b));
    let loser = if a.status.success() { &b } else { &a };
    assert!(text(loser).contains("sync already running on "), "{}", text(loser));
    assert!(text(loser).contains(" since "), "{}", text(loser));

    let runs = json(&url, &["runs"]).await;
    assert_eq!(runs.as_array().expect("runs").len(), 1, "the refused sync recorded no run: {runs}");
    let single = TestDb::new(db.backend, "single").await.expect("second database");
    let out = run(single.url(), SYNC).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(catalog(&url).await, catalog(single.url()).await, "the catalog is what a single sync makes");
});

both_backends!(a_sync_killed_mid_transaction_changes_nothing_and_its_run_is_abandoned, |db: TestDb| async move {
    let url = db.url().to_string();
    let mut doomed = paused_sync(&url, 120_000, &["--lock-ttl", "3s"]);
    wait_until_mid_transaction(&mut doomed).await;
    doomed.start_kill().expect("SIGKILL");
    doomed.wait().await.expect("reaped");

    // Nothing of its transaction is visible; its run is still marked running.
    assert_eq!(json(&url, &["models", "--all"]).await, Value::Array(vec![]));
    let runs = json(&url, &["runs"]).await;
    assert_eq!(runs[0]["status"], "running", "{runs}");

    // Its lease has not lapsed yet: a new sync is refused…
    let refused = run(&url, SYNC).await;
    assert!(!refused.status.success());
    assert!(text(&refused).contains("sync already running on "), "{}", text(&refused));
    // …and once it lapses, the next sync takes over and records the dead run as abandoned.
    let report = json(&url, &[SYNC, &["--wait"]].concat()).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["abandoned_runs"], serde_json::json!([runs[0]["id"]]));
    let runs = json(&url, &["runs"]).await;
    let dead = runs.as_array().expect("runs").iter().find(|r| r["id"] == report["abandoned_runs"][0]).expect("dead");
    assert_eq!(dead["status"], "abandoned");
    assert!(dead["error"].as_str().expect("error").contains("stopped before finishing"), "{dead}");

    let fresh = TestDb::new(db.backend, "fresh").await.expect("second database");
    assert!(run(fresh.url(), SYNC).await.status.success());
    assert_eq!(catalog(&url).await.0, catalog(fresh.url()).await.0, "consistent: as if the dead sync never ran");
});

both_backends!(wait_queues_behind_a_running_sync, |db: TestDb| async move {
    let url = db.url().to_string();
    let mut holder = paused_sync(&url, 1_500, &[]);
    wait_until_mid_transaction(&mut holder).await;
    let waited = run(&url, &["sync", "--offline", "--wait", "--force", "--observed-at", "2026-08-15"]).await;
    assert!(waited.status.success(), "{}", text(&waited));
    assert!(holder.wait().await.expect("holder").success());
    let runs = json(&url, &["runs"]).await;
    let statuses: Vec<&str> = runs.as_array().expect("runs").iter().map(|r| r["status"].as_str().expect("s")).collect();
    assert_eq!(statuses, ["succeeded", "succeeded"], "both ran, one after the other");
});

both_backends!(min_interval_skips_recent_syncs_unless_forced, |db: TestDb| async move {
    let url = db.url().to_string();
    assert!(run(&url, SYNC).await.status.success());
    let skipped = run(&url, &["sync", "--offline", "--min-interval", "1h"]).await;
    assert!(skipped.status.success(), "a skip is not a failure: {}", text(&skipped));
    assert!(text(&skipped).contains("skipped: the last openrouter sync finished at"), "{}", text(&skipped));
    assert_eq!(json(&url, &["runs"]).await.as_array().expect("runs").len(), 1, "a skip records no run");
    let report = json(&url, &["sync", "--offline", "--min-interval", "1h", "--force"]).await;
    assert_eq!(report["status"], "succeeded");
    let bad = run(&url, &["sync", "--offline", "--min-interval", "soon"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("--min-interval \"soon\""), "{}", text(&bad));
});
