//! The SQLite store: the zero-setup default.

use super::sql::sql_store;
use super::usage::usage_sql;
use super::{StoreError, StoreResult, pause_before_commit};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./src/store/migrations/sqlite");

/// The catalog in a SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    pause_before_commit: Option<Duration>,
}

impl SqliteStore {
    /// Open a `sqlite:` URL, creating the file (and its directory) and migrating.
    ///
    /// Processes opening a new file together race to switch it to WAL, and SQLite answers
    /// the loser "database is locked" at once, without waiting (busy_timeout does not apply
    /// to that switch). So an open that meets a busy file tries again for a while.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let deadline = tokio::time::Instant::now() + OPEN_PATIENCE;
        let mut pause = Duration::from_millis(10);
        loop {
            match Self::open_once(url).await {
                Err(e) if is_busy(&e) && tokio::time::Instant::now() + pause < deadline => {
                    tracing::debug!(error = %e, "database busy while opening; trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                other => return other,
            }
        }
    }

    async fn open_once(url: &str) -> StoreResult<Self> {
        let opts = <SqliteConnectOptions as std::str::FromStr>::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // Long enough to outlast another process's sync transaction on a busy machine.
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let file = opts.get_filename().to_path_buf();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|source| StoreError::Io { path: dir.display().to_string(), source })?;
            }
        }
        let pool = SqlitePoolOptions::new().max_connections(if in_memory { 1 } else { 4 }).connect_with(opts).await?;
        // SQLite has no migration lock: two processes opening a new file at once would both
        // run migration 1. One IMMEDIATE transaction around all of them makes the second
        // wait (busy_timeout) and then find them applied.
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        MIGRATOR.run(&mut *tx).await?;
        tx.commit().await?;
        drop(conn);
        Ok(Self { pool, pause_before_commit: pause_before_commit() })
    }

    /// The connection pool (for tests that inspect the file directly).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// How long opening waits out another process that holds the file.
const OPEN_PATIENCE: Duration = Duration::from_secs(30);

/// Whether SQLite said the file is busy or locked (primary codes 5 and 6, any extended code).
fn is_busy(e: &StoreError) -> bool {
    let db = match e {
        StoreError::Db(sqlx::Error::Database(db)) => db,
        StoreError::Migrate(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db))) => db,
        _ => return false,
    };
    db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

sql_store!(SqliteStore, sqlx::Sqlite, now_ms = "CAST(unixepoch('subsec') * 1000 AS INTEGER)");
usage_sql!(SqliteStore, sqlx::Sqlite, "group_concat(cost, ',')");
