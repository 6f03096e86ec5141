//! Test harness: a temporary SQLite catalog, a wiremock OpenRouter serving the recorded
//! fixtures, and the real `llmcost` binary.

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqlitePoolOptions;
use std::path::{Path, PathBuf};
use std::process::Output;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../support/openrouter_mock.rs"]
mod openrouter_mock;
pub use openrouter_mock::EndpointsFromCatalog;

/// The recorded fixtures folder.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter").join(name)
}

/// The bytes of a recorded fixture.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture exists")
}

/// The models of a `GET /models` fixture (envelope or bare array).
pub fn fixture_models(name: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&fixture_bytes(name)).expect("fixture is JSON");
    match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => a,
            _ => panic!("no data array"),
        },
        _ => panic!("unexpected fixture shape"),
    }
}

/// One test's world: a database file in a temp dir and a mock upstream.
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub server: MockServer,
}

impl TestApp {
    pub async fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir"), server: MockServer::start().await }
    }

    pub fn db_url(&self) -> String {
        format!("sqlite:{}", self.dir.path().join("llmcost.db").display())
    }

    /// The OpenRouter API base of the mock.
    pub fn api_base(&self) -> String {
        format!("{}/api/v1", self.server.uri())
    }

    /// Serve `GET /api/v1/models` with a fixture's exact bytes (optionally with an ETag).
    pub async fn serve_models(&self, fixture_name: &str, etag: Option<&str>) {
        let mut resp = ResponseTemplate::new(200).set_body_raw(fixture_bytes(fixture_name), "application/json");
        if let Some(tag) = etag {
            resp = resp.insert_header("ETag", tag);
        }
        Mock::given(method("GET")).and(path("/api/v1/models")).respond_with(resp).mount(&self.server).await;
    }

    /// Serve every listing's endpoints, derived from a models fixture (see [`EndpointsFromCatalog`]).
    pub async fn serve_endpoints(&self, fixture_name: &str) {
        Mock::given(method("GET"))
            .and(path_regex(r"^/api/v1/models/.+/endpoints$"))
            .respond_with(EndpointsFromCatalog::new(fixture_name))
            .mount(&self.server)
            .await;
    }

    /// Run the real binary against this app's database and mock.
    pub async fn llmcost(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
            .args(args)
            .env("LLMCOST_DB", self.db_url())
            .env("LLMCOST_OPENROUTER_URL", self.api_base())
            .env_remove("OPENROUTER_API_KEY")
            .env_remove("LLMCOST_CONFIG")
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .output()
            .await
            .expect("binary runs")
    }

    /// Run the binary and expect success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.llmcost(args).await;
        assert!(
            out.status.success(),
            "llmcost {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Run the binary with `--json` and parse stdout.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args).await).expect("JSON output")
    }

    async fn pool(&self) -> sqlx::SqlitePool {
        SqlitePoolOptions::new().max_connections(1).connect(&self.db_url()).await.expect("open db")
    }

    /// Every catalog table, row by row, as text: equal dumps mean an unchanged catalog.
    pub async fn catalog_dump(&self) -> String {
        self.dump(&[
            ("providers", "slug"),
            ("models", "id"),
            ("offers", "key"),
            ("aliases", "alias"),
            ("prices", "id"),
            ("change_events", "id"),
            ("fetch_state", "url"),
        ])
        .await
    }

    /// Some tables, row by row, as text.
    pub async fn dump(&self, tables: &[(&str, &str)]) -> String {
        let pool = self.pool().await;
        let mut dump = String::new();
        for (table, order) in tables {
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.expect("query");
            dump.push_str(&format!("== {table} ({})\n", rows.len()));
            for r in rows {
                let cols: Vec<String> = (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .map(|v| v.unwrap_or_else(|| "NULL".into()))
                            .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                            .or_else(|_| r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                            .unwrap_or_else(|_| "?".into())
                    })
                    .collect();
                dump.push_str(&cols.join("|"));
                dump.push('\n');
            }
        }
        pool.close().await;
        dump
    }

    /// Run rows as (status, origin, error).
    pub async fn runs(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let pool = self.pool().await;
        let rows = sqlx::query("SELECT status, origin, error FROM sync_runs ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("query");
        pool.close().await;
        rows.iter().map(|r| (r.get("status"), r.get("origin"), r.get("error"))).collect()
    }

    /// How many rows a table has.
    pub async fn count(&self, table: &str) -> i64 {
        let pool = self.pool().await;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.expect("count");
        pool.close().await;
        n
    }
}
