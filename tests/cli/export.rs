//! `llmcost export` into an application's table on PostgreSQL and SQLite: inserts, an
//! idempotent second run, deactivation, columns the application owns, `--as-of`.

use crate::both_backends;
use crate::databases::{Backend, TestDb};
use crate::helpers::{TestApp, fixture};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Run SQL on the application's database; every column comes back as text.
async fn sql(db: &TestDb, query: &str) -> Vec<Vec<Option<String>>> {
    let q = AssertSqlSafe(query.to_string());
    let to_text = |r: &dyn Fn(usize) -> Option<String>, n: usize| (0..n).map(r).collect::<Vec<_>>();
    match db.backend {
        Backend::Postgres => {
            let pool = PgPoolOptions::new().max_connections(1).connect(db.url()).await.expect("connect");
            let rows = sqlx::query(q).fetch_all(&pool).await.expect("query");
            pool.close().await;
            rows.iter().map(|r| to_text(&|i| r.try_get::<Option<String>, _>(i).expect("text"), r.len())).collect()
        }
        Backend::Sqlite => {
            let opts = SqliteConnectOptions::from_str(db.url()).expect("url").create_if_missing(true);
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("connect");
            let rows = sqlx::query(q).fetch_all(&pool).await.expect("query");
            pool.close().await;
            rows.iter().map(|r| to_text(&|i| r.try_get::<Option<String>, _>(i).expect("text"), r.len())).collect()
        }
    }
}

/// The application's table: model_id → (input $/M, is_active, is_default, app_note).
type Table = BTreeMap<String, (Option<Decimal>, bool, bool, Option<String>)>;

/// Whether the application's table exists.
async fn table_exists(db: &TestDb) -> bool {
    let q = match db.backend {
        Backend::Postgres => "SELECT to_regclass('llm_models')::text",
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE name = 'llm_models'",
    };
    sql(db, q).await.first().is_some_and(|r| r[0].is_some())
}

/// The table as (model_id → (input $/M, is_active, is_default, app_note)).
async fn table(db: &TestDb, with_note: bool) -> Table {
    let flag = |v: &Option<String>| matches!(v.as_deref(), Some("true" | "1"));
    let note = if with_note { "app_note" } else { "NULL" };
    sql(
        db,
        &format!(
            "SELECT model_id, CAST(cost_per_million_input AS TEXT), CAST(is_active AS TEXT), \
             CAST(is_default AS TEXT), {note} FROM llm_models"
        ),
    )
    .await
    .into_iter()
    .map(|r| {
        let id = r[0].clone().expect("id");
        (id, (r[1].as_deref().map(|d| d.parse().expect("decimal")), flag(&r[2]), flag(&r[3]), r[4].clone()))
    })
    .collect()
}

/// Input $/M per model as `models` shows it (now, or as of a time).
async fn listed_prices(app: &TestApp, as_of: Option<&str>) -> BTreeMap<String, Option<Decimal>> {
    let mut args = vec!["models"];
    if let Some(t) = as_of {
        args.extend(["--as-of", t]);
    }
    let models = app.json(&args).await;
    models
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| m["is_active"] == true)
        .map(|m| {
            let usd = m["input"]["usd"].as_str().map(|u| u.parse::<Decimal>().expect("usd") * Decimal::from(1_000_000));
            (m["id"].as_str().expect("id").to_string(), usd.map(|d| d.normalize()))
        })
        .collect()
}

fn active_prices(t: &Table) -> BTreeMap<String, Option<Decimal>> {
    t.iter().filter(|(_, r)| r.1).map(|(id, r)| (id.clone(), r.0.map(|d| d.normalize()))).collect()
}

both_backends!(
    export_inserts_is_idempotent_deactivates_keeps_app_columns_and_rolls_back,
    |target: TestDb| async move {
        let app = TestApp::new().await;
        let july = fixture("models_2026-07-17.json");
        let august = fixture("models_2026-08-14.json");
        app.ok(&["sync", "--from-file", july.to_str().expect("path"), "--observed-at", "2026-07-17"]).await;
        app.ok(&["sync", "--from-file", august.to_str().expect("path"), "--observed-at", "2026-08-14"]).await;
        let export = |extra: &'static [&'static str]| {
            let mut args = vec!["export", "--to", target.url()];
            args.extend_from_slice(extra);
            args
        };

        // A dry run of the first export creates nothing.
        let dry = app.json(&export(&["--dry-run"])).await;
        assert_eq!(dry["created_table"], true);
        assert!(!table_exists(&target).await, "a dry run creates nothing");

        let first = app.json(&export(&[])).await;
        let inserted = first["plan"]["inserts"].as_array().expect("inserts").len();
        assert!(inserted > 300, "{inserted}");
        assert_eq!(first["exported"], inserted);
        sql(&target, "ALTER TABLE llm_models ADD COLUMN app_note TEXT").await;
        let chosen = first["plan"]["inserts"][0]["model_id"].as_str().expect("id").to_string();
        sql(
            &target,
            &format!("UPDATE llm_models SET is_default = TRUE, app_note = 'keep me' WHERE model_id = '{chosen}'"),
        )
        .await;
        let now = table(&target, true).await;
        assert_eq!(active_prices(&now), listed_prices(&app, None).await, "exact per-million prices of every model");

        let second = app.json(&export(&[])).await;
        assert_eq!(second["plan"]["inserts"], Value::Array(vec![]));
        assert_eq!(second["plan"]["updates"], Value::Array(vec![]));
        assert_eq!(second["plan"]["deactivations"], Value::Array(vec![]));
        assert_eq!(table(&target, true).await, now, "a second export changes nothing");

        // Back to the catalog of July: July's prices, August's newcomers deactivated.
        let rolled = app.json(&export(&["--as-of", "2026-07-20"])).await;
        assert!(!rolled["plan"]["deactivations"].as_array().expect("deactivations").is_empty());
        let july_table = table(&target, true).await;
        assert_eq!(active_prices(&july_table), listed_prices(&app, Some("2026-07-20")).await);
        assert_ne!(active_prices(&july_table), active_prices(&now), "the two catalogs differ");

        // A model that disappears from the catalog is deactivated, never deleted.
        let excerpt = fixture("models_2026-09-16_excerpt.json");
        app.ok(&["sync", "--from-file", excerpt.to_str().expect("path"), "--observed-at", "2026-09-16", "--force"])
            .await;
        let gone = app.json(&export(&[])).await;
        let deactivated = gone["plan"]["deactivations"].as_array().expect("deactivations").len();
        assert!(deactivated > 100, "{deactivated}");
        let after = table(&target, true).await;
        let ever: std::collections::BTreeSet<&String> = now.keys().chain(july_table.keys()).collect();
        assert!(ever.iter().all(|id| after.contains_key(*id)), "no row deleted");
        assert_eq!(active_prices(&after), listed_prices(&app, None).await);

        // The application's columns survived every export.
        let row = &after[&chosen];
        assert!(row.2, "is_default survives");
        assert_eq!(row.3.as_deref(), Some("keep me"), "the app's own column survives");
        assert_eq!(after.values().filter(|r| r.2).count(), 1);
    }
);

#[tokio::test]
async fn export_refuses_bad_targets_without_writing() {
    let app = TestApp::new().await;
    app.ok(&["sync", "--offline"]).await;
    let out = app.llmcost(&["export"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no export target"));
    let target = format!("sqlite:{}", app.dir.path().join("app.db").display());
    let bad = app.llmcost(&["export", "--to", &target, "--table", "llm_models; DROP TABLE x"]).await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a plain SQL identifier"));
    // A table without a mapped column is refused, and left as it was.
    let db = TestDb::new(Backend::Sqlite, "bad").await.expect("sqlite");
    sql(&db, "CREATE TABLE llm_models (model_id TEXT PRIMARY KEY, is_active BOOLEAN)").await;
    let refused = app.llmcost(&["export", "--to", db.url()]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has no column display_name"), "{refused:?}");
    assert!(sql(&db, "SELECT * FROM llm_models").await.is_empty());
    let pw = app.llmcost(&["export", "--to", "postgres://app:hunter2@127.0.0.1:1/app"]).await;
    assert!(!pw.status.success());
    let all = format!("{}{}", String::from_utf8_lossy(&pw.stdout), String::from_utf8_lossy(&pw.stderr));
    assert!(!all.contains("hunter2"), "{all}");
}

both_backends!(sync_then_export_in_one_command, |target: TestDb| async move {
    let app = TestApp::new().await;
    let out = app.json(&["sync", "--offline", "--export", "--to", target.url()]).await;
    assert_eq!(out["sync"]["status"], "succeeded");
    let exported = out["export"]["exported"].as_u64().expect("count");
    assert!(exported > 300);
    assert_eq!(table(&target, false).await.len() as u64, exported);
});
