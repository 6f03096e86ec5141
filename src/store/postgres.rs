//! The PostgreSQL store: one catalog shared by many instances. Money is `NUMERIC`.

use super::sql::sql_store;
use super::usage::usage_sql;
use super::{StoreError, StoreResult, pause_before_commit, redact_password};
use sqlx::Postgres;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./src/store/migrations/postgres");

/// The catalog in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    pause_before_commit: Option<Duration>,
}

impl PgStore {
    /// Open a `postgres://` URL, creating the database when it does not exist, and migrate.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let hide = |e: sqlx::Error| StoreError::Connect(redact_password(url, &e.to_string()));
        let opts = connect_options(url).map_err(hide)?.application_name("llmcost");
        let connect = || {
            PgPoolOptions::new().max_connections(5).acquire_timeout(Duration::from_secs(30)).connect_with(opts.clone())
        };
        let pool = match connect().await {
            Ok(pool) => pool,
            // Create a missing database (another instance may do so at the same moment:
            // only a failure to connect afterwards is an error).
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
                if let Err(e) = Postgres::create_database(url).await {
                    tracing::debug!(error = %e, "create database (another process may have created it)");
                }
                connect().await.map_err(hide)?
            }
            Err(e) => return Err(hide(e)),
        };
        // sqlx serialises concurrent migrations with an advisory lock.
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, pause_before_commit: pause_before_commit() })
    }

    /// The connection pool (for tests that inspect the database directly).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Connection options from a URL. On loopback without an explicit `sslmode`, TLS is off:
/// it protects nothing between two processes of one host, and sqlx's TLS connections stall
/// on delayed ACKs (no `TCP_NODELAY`), making every query ~40 ms slower.
pub fn connect_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let opts = PgConnectOptions::from_str(url)?;
    let explicit = reqwest::Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "sslmode"));
    let host = opts.get_host();
    let local = host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]" || host.starts_with('/');
    Ok(if local && !explicit { opts.ssl_mode(sqlx::postgres::PgSslMode::Disable) } else { opts })
}

sql_store!(PgStore, sqlx::Postgres, now_ms = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
usage_sql!(PgStore, sqlx::Postgres, "CAST(SUM(cost) AS TEXT)");

#[cfg(test)]
mod tests {
    use crate::store::redact_password as redact;

    #[test]
    fn loopback_skips_tls_unless_asked() {
        use sqlx::postgres::PgSslMode;
        let mode = |url: &str| super::connect_options(url).expect("url").get_ssl_mode();
        assert!(matches!(mode("postgres://u@127.0.0.1:5432/db"), PgSslMode::Disable));
        assert!(matches!(mode("postgres://u@localhost/db"), PgSslMode::Disable));
        assert!(matches!(mode("postgres://u@127.0.0.1/db?sslmode=require"), PgSslMode::Require));
        assert!(matches!(mode("postgres://u@db.example.com/db"), PgSslMode::Prefer));
    }

    #[test]
    fn redact_masks_the_password() {
        let msg = "error connecting to postgres://app:s3cret@db/x: s3cret rejected";
        assert_eq!(
            redact("postgres://app:s3cret@db/x", msg),
            "error connecting to postgres://app:***@db/x: *** rejected"
        );
        assert_eq!(redact("postgres://app@db/x", "plain"), "plain");
    }
}
