//! The application's table, on PostgreSQL or SQLite: create it when absent, read the
//! columns llmcost owns, and write a plan in one transaction. Table and column names come
//! from the config, so they are validated identifiers, always quoted.

use super::{Cell, ExportPlan, ExportRow, Field, Kind, plan};
use crate::store::redact_password;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Connection, Postgres, QueryBuilder, Row, Sqlite};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row statement.
const BATCH: usize = 500;

/// Why the target table could not be written. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The export settings are invalid.
    #[error("invalid export settings: {0}")]
    Config(String),
    /// The target database failed (the message never holds the URL's password).
    #[error("export target: {0}")]
    Db(String),
    /// The table exists but lacks what the export needs.
    #[error("export target table {table}: {problem}")]
    Schema {
        /// The table.
        table: String,
        /// What is wrong.
        problem: String,
    },
}

/// The writes of a plan on one backend, in the open transaction `$tx`: batched inserts,
/// one update per changed row (owned columns only), batched deactivations. `$bind!(builder,
/// method, cell)` binds a cell as the backend stores it.
macro_rules! write_plan {
    ($target:expr, $tx:expr, $plan:expr, $db:ty, $rows_per_insert:expr, $bind:ident) => {{
        let (table, key) = (&$target.quoted_table, quote(&$target.fields[0].1));
        for chunk in $plan.inserts.chunks($rows_per_insert) {
            let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO {table} ({}) ", $target.column_list()));
            qb.push_values(chunk, |mut b, row| {
                for cell in &row.cells {
                    $bind!(b, push_bind, cell);
                }
            });
            qb.build().execute(&mut *$tx).await?;
        }
        for update in &$plan.updates {
            let mut qb = QueryBuilder::<$db>::new(format!("UPDATE {table} SET "));
            let mut set = qb.separated(", ");
            for ((_, column), cell) in $target.fields.iter().zip(&update.row.cells).skip(1) {
                set.push(format!("{} = ", quote(column)));
                $bind!(set, push_bind_unseparated, cell);
            }
            qb.push(format!(" WHERE {key} = ")).push_bind(update.model_id.clone());
            qb.build().execute(&mut *$tx).await?;
        }
        for chunk in $plan.deactivations.chunks(BATCH) {
            let mut qb = QueryBuilder::<$db>::new($target.deactivate_prefix());
            let mut ids = qb.separated(", ");
            for id in chunk {
                ids.push_bind(id.clone());
            }
            qb.push(")");
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}

/// Bind a cell on PostgreSQL: money as NUMERIC, JSON as JSONB.
macro_rules! bind_pg {
    ($b:ident, $method:ident, $cell:expr) => {
        match $cell.clone() {
            Cell::Text(v) => $b.$method(v),
            Cell::Money(v) => $b.$method(v),
            Cell::Int(v) => $b.$method(v),
            Cell::Json(v) => $b.$method(sqlx::types::Json(v)),
            Cell::Bool(v) => $b.$method(v),
        }
    };
}

/// Bind a cell on SQLite: money as exact decimal text, JSON as text.
macro_rules! bind_sqlite {
    ($b:ident, $method:ident, $cell:expr) => {
        match sqlite_value($cell) {
            SqliteValue::Text(v) => $b.$method(v),
            SqliteValue::Int(v) => $b.$method(v),
            SqliteValue::Bool(v) => $b.$method(v),
        }
    };
}

/// Check a configured table or column name: letters, digits and `_`, not starting with a digit.
pub fn check_identifier(name: &str) -> Result<(), TableError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63;
    if ok { Ok(()) } else { Err(TableError::Config(format!("{name:?} is not a plain SQL identifier"))) }
}

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The application's database and table.
pub struct ExportTarget {
    pool: TargetPool,
    table: String,
    quoted_table: String,
    fields: Vec<(Field, String)>,
    /// Kept only to mask its password in errors (no `Debug`: never printed).
    url: String,
}

enum TargetPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl ExportTarget {
    /// Connect to `url` (`postgres://…` or `sqlite:PATH`) for `table` (`name` or `schema.name`).
    pub async fn open(url: &str, table: &str, fields: &[(Field, String)]) -> Result<Self, TableError> {
        let parts: Vec<&str> = table.split('.').collect();
        if parts.len() > 2 {
            return Err(TableError::Config(format!("table {table:?}: use name or schema.name")));
        }
        for p in &parts {
            check_identifier(p)?;
        }
        let quoted_table = parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join(".");
        let db_err = |e: sqlx::Error| TableError::Db(redact_password(url, &e.to_string()));
        let pool = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = crate::store::pg_connect_options(url).map_err(db_err)?.application_name("llmcost-export");
            TargetPool::Postgres(
                PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await
                    .map_err(db_err)?,
            )
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(db_err)?
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(10));
            TargetPool::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.map_err(db_err)?)
        } else {
            let scheme = url.split_once(':').map_or(url, |(s, _)| s);
            return Err(TableError::Config(format!(
                "export target scheme {scheme:?}: use postgres://… or sqlite:PATH"
            )));
        };
        Ok(Self { pool, table: table.to_string(), quoted_table, fields: fields.to_vec(), url: url.to_string() })
    }

    fn db_err(&self, e: sqlx::Error) -> TableError {
        TableError::Db(redact_password(&self.url, &e.to_string()))
    }

    fn schema_err(&self, problem: String) -> TableError {
        TableError::Schema { table: self.table.clone(), problem }
    }

    /// Plan against the rows present and (unless `dry_run`) apply, in one transaction that
    /// keeps other writers of the table out. Returns the plan and whether the table was
    /// (or, in a dry run, would be) created.
    pub async fn plan_and_apply(
        &self,
        wanted: Vec<ExportRow>,
        dry_run: bool,
    ) -> Result<(ExportPlan, bool), TableError> {
        match &self.pool {
            TargetPool::Postgres(pool) => self.postgres(pool, wanted, dry_run).await.map_err(|e| self.wrap(e)),
            TargetPool::Sqlite(pool) => self.sqlite(pool, wanted, dry_run).await.map_err(|e| self.wrap(e)),
        }
    }

    fn wrap(&self, e: Failure) -> TableError {
        match e {
            Failure::Db(e) => self.db_err(e),
            Failure::Table(t) => t,
        }
    }

    fn column_list(&self) -> String {
        self.fields.iter().map(|(_, c)| quote(c)).collect::<Vec<_>>().join(", ")
    }

    fn create_sql(&self, pg: bool) -> String {
        let mut cols: Vec<String> = self
            .fields
            .iter()
            .map(|(field, column)| {
                let ty = match (field.kind(), pg) {
                    (Kind::Text, _) => "TEXT",
                    (Kind::Money, true) => "NUMERIC",
                    // SQLite would turn NUMERIC into a float: exact decimal text instead.
                    (Kind::Money, false) => "TEXT",
                    (Kind::Int, _) => "BIGINT",
                    (Kind::Json, true) => "JSONB NOT NULL DEFAULT '{}'",
                    (Kind::Json, false) => "TEXT NOT NULL DEFAULT '{}'",
                    (Kind::Bool, _) => "BOOLEAN NOT NULL DEFAULT TRUE",
                };
                let key = if *field == Field::ModelId { " PRIMARY KEY" } else { "" };
                format!("{} {ty}{key}", quote(column))
            })
            .collect();
        // Owned by the application: created for it, never written by llmcost.
        if !self.fields.iter().any(|(_, c)| c.eq_ignore_ascii_case("is_default")) {
            cols.push(format!("{} BOOLEAN NOT NULL DEFAULT FALSE", quote("is_default")));
        }
        format!("CREATE TABLE {} ({})", self.quoted_table, cols.join(", "))
    }

    fn check_columns(&self, present: &[String]) -> Result<(), TableError> {
        let missing: Vec<&str> = self
            .fields
            .iter()
            .map(|(_, c)| c.as_str())
            .filter(|c| !present.iter().any(|p| p.eq_ignore_ascii_case(c)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(self.schema_err(format!(
            "has no column {} (export.columns maps to it); add it or change the mapping",
            missing.join(", ")
        )))
    }

    async fn postgres(
        &self,
        pool: &PgPool,
        wanted: Vec<ExportRow>,
        dry_run: bool,
    ) -> Result<(ExportPlan, bool), Failure> {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let regclass: Option<String> =
            sqlx::query_scalar("SELECT to_regclass($1)::text").bind(&self.quoted_table).fetch_one(&mut *tx).await?;
        let created = regclass.is_none();
        if created {
            sqlx::query(AssertSqlSafe(self.create_sql(true))).execute(&mut *tx).await?;
        } else {
            // Writers wait; readers of the application go on.
            sqlx::query(AssertSqlSafe(format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", self.quoted_table)))
                .execute(&mut *tx)
                .await?;
            let columns: Vec<String> = sqlx::query_scalar(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 \
                 AND NOT attisdropped",
            )
            .bind(&self.quoted_table)
            .fetch_all(&mut *tx)
            .await?;
            self.check_columns(&columns)?;
        }
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {} FROM {}", self.column_list(), self.quoted_table)))
            .fetch_all(&mut *tx)
            .await?;
        let present = rows.iter().map(|r| self.read_pg(r)).collect::<Result<BTreeMap<_, _>, _>>()?;
        let plan = plan(wanted, &present, &self.fields);
        if dry_run {
            tx.rollback().await?;
            return Ok((plan, created));
        }
        write_plan!(self, tx, plan, Postgres, BATCH, bind_pg);
        tx.commit().await?;
        Ok((plan, created))
    }

    async fn sqlite(
        &self,
        pool: &SqlitePool,
        wanted: Vec<ExportRow>,
        dry_run: bool,
    ) -> Result<(ExportPlan, bool), Failure> {
        let mut conn = pool.acquire().await?;
        // IMMEDIATE: take the write lock before reading, so another export waits.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let name = self.table.rsplit('.').next().unwrap_or(&self.table).to_string();
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1)").bind(&name).fetch_all(&mut *tx).await?;
        let created = columns.is_empty();
        if created {
            sqlx::query(AssertSqlSafe(self.create_sql(false))).execute(&mut *tx).await?;
        } else {
            self.check_columns(&columns)?;
        }
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {} FROM {}", self.column_list(), self.quoted_table)))
            .fetch_all(&mut *tx)
            .await?;
        let present = rows.iter().map(|r| self.read_sqlite(r)).collect::<Result<BTreeMap<_, _>, _>>()?;
        let plan = plan(wanted, &present, &self.fields);
        if dry_run {
            tx.rollback().await?;
            return Ok((plan, created));
        }
        // SQLite takes fewer bound parameters per statement than PostgreSQL.
        write_plan!(self, tx, plan, Sqlite, BATCH / 5, bind_sqlite);
        tx.commit().await?;
        Ok((plan, created))
    }

    fn deactivate_prefix(&self) -> String {
        let active = self.fields.iter().find(|(f, _)| *f == Field::IsActive).map_or("is_active", |(_, c)| c);
        format!("UPDATE {} SET {} = FALSE WHERE {} IN (", self.quoted_table, quote(active), quote(&self.fields[0].1))
    }

    fn read_pg(&self, r: &PgRow) -> Result<(String, Vec<Cell>), Failure> {
        let mut cells = Vec::with_capacity(self.fields.len());
        for (i, (field, column)) in self.fields.iter().enumerate() {
            let bad = |e: sqlx::Error| self.schema_err(format!("column {column} cannot hold {:?}: {e}", field.kind()));
            cells.push(match field.kind() {
                Kind::Text => Cell::Text(r.try_get(i).map_err(bad)?),
                Kind::Money => Cell::Money(r.try_get::<Option<Decimal>, _>(i).map_err(bad)?),
                Kind::Int => Cell::Int(r.try_get(i).map_err(bad)?),
                Kind::Json => Cell::Json(
                    r.try_get::<Option<sqlx::types::Json<Value>>, _>(i).map_err(bad)?.map_or(Value::Null, |j| j.0),
                ),
                Kind::Bool => Cell::Bool(r.try_get::<Option<bool>, _>(i).map_err(bad)?.unwrap_or(false)),
            });
        }
        key_of(cells).ok_or_else(|| self.schema_err("a row has no model id".into()).into())
    }

    fn read_sqlite(&self, r: &SqliteRow) -> Result<(String, Vec<Cell>), Failure> {
        let mut cells = Vec::with_capacity(self.fields.len());
        for (i, (field, column)) in self.fields.iter().enumerate() {
            let bad = |e: String| self.schema_err(format!("column {column}: {e}"));
            cells.push(match field.kind() {
                Kind::Text => Cell::Text(r.try_get(i).map_err(|e| bad(e.to_string()))?),
                Kind::Money => Cell::Money(match r.try_get::<Option<String>, _>(i) {
                    Ok(text) => {
                        text.map(|t| Decimal::from_str_exact(&t).map_err(|e| bad(format!("{t:?}: {e}")))).transpose()?
                    }
                    // An integer column is exact too; a float one is not.
                    Err(_) => r
                        .try_get::<Option<i64>, _>(i)
                        .map_err(|e| bad(format!("not exact decimal text: {e}")))?
                        .map(Decimal::from),
                }),
                Kind::Int => Cell::Int(r.try_get(i).map_err(|e| bad(e.to_string()))?),
                Kind::Json => Cell::Json(match r.try_get::<Option<String>, _>(i).map_err(|e| bad(e.to_string()))? {
                    Some(text) => serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?,
                    None => Value::Null,
                }),
                Kind::Bool => {
                    Cell::Bool(r.try_get::<Option<bool>, _>(i).map_err(|e| bad(e.to_string()))?.unwrap_or(false))
                }
            });
        }
        key_of(cells).ok_or_else(|| self.schema_err("a row has no model id".into()).into())
    }
}

/// A row's key and cells (the key is the first field).
fn key_of(cells: Vec<Cell>) -> Option<(String, Vec<Cell>)> {
    match cells.first() {
        Some(Cell::Text(Some(id))) => Some((id.clone(), cells)),
        _ => None,
    }
}

enum SqliteValue {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// A cell as SQLite stores it: money as exact decimal text, JSON as text.
fn sqlite_value(cell: &Cell) -> SqliteValue {
    match cell {
        Cell::Text(v) => SqliteValue::Text(v.clone()),
        Cell::Money(v) => SqliteValue::Text(v.map(|d| d.to_string())),
        Cell::Int(v) => SqliteValue::Int(*v),
        Cell::Json(v) => SqliteValue::Text(Some(v.to_string())),
        Cell::Bool(v) => SqliteValue::Bool(*v),
    }
}

/// A failure inside the transaction: the database's, or ours.
enum Failure {
    Db(sqlx::Error),
    Table(TableError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<TableError> for Failure {
    fn from(e: TableError) -> Self {
        Failure::Table(e)
    }
}
