//! Real databases for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL
//! database on the local server, created per test and dropped afterwards.
//!
//! The PostgreSQL server is `LLMCOST_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached the PostgreSQL
//! tests say so on the terminal and skip, unless `LLMCOST_REQUIRE_POSTGRES` is set (CI sets
//! it), in which case they fail.

#![allow(dead_code)]

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server used for PostgreSQL tests (its maintenance database).
pub fn postgres_admin_url() -> String {
    std::env::var("LLMCOST_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A fresh database of this backend, or `None` (after saying so) when PostgreSQL is not
    /// reachable and not required.
    pub async fn new(backend: Backend, test: &str) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite:{}", dir.path().join("llmcost.db").display());
                Some(Self { backend, url, pg_name: None, _dir: Some(dir) })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = match PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) if std::env::var_os("LLMCOST_REQUIRE_POSTGRES").is_none() => {
                        // Straight to the terminal: the test harness captures `eprintln!`.
                        let _ = writeln!(
                            std::io::stderr(),
                            "SKIPPED {test} on PostgreSQL: cannot reach {admin} ({e}); \
                             set LLMCOST_TEST_POSTGRES_URL, or LLMCOST_REQUIRE_POSTGRES=1 to fail instead"
                        );
                        return None;
                    }
                    Err(e) => panic!("LLMCOST_REQUIRE_POSTGRES is set but {admin} is unreachable: {e}"),
                };
                let name = format!(
                    "llmcost_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    jiff::Timestamp::now().as_microsecond() % 1_000_000
                );
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
                Some(Self { backend, url: format!("{base}/{name}"), pg_name: Some(name), _dir: None })
            }
        }
    }

    /// Its URL, for `--db` or `store::open`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        // Drop runs outside any async context we can borrow: use a short-lived runtime on
        // its own thread.
        let admin = postgres_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Define one async test per backend: `both_backends!(name, |db: TestDb| async move { … })`
/// makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = TestDb::new(Backend::Sqlite, stringify!($name)).await {
                    ($body)(db).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = TestDb::new(Backend::Postgres, stringify!($name)).await {
                    ($body)(db).await;
                }
            }
        }
    };
}
