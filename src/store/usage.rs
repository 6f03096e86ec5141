//! Usage records and bill checks: their own trait (a supertrait of [`Store`](super::Store)) and
//! SQL, shared by both backends like `sql.rs`. Money columns go through [`Money`]: TEXT in
//! SQLite, NUMERIC in PostgreSQL.

use super::StoreResult;
use crate::domain::UnixMs;
use crate::track::{StoredUsage, UsageQuery, UsageRecord, UsageTotals, Verification};
use async_trait::async_trait;

/// Reading and writing usage records and their verifications.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Insert records in one transaction (multi-row statements).
    async fn insert_usage(&self, records: &[UsageRecord]) -> StoreResult<()>;
    /// Records matching a query.
    async fn usage_records(&self, query: &UsageQuery) -> StoreResult<Vec<StoredUsage>>;
    /// The records in `[since, until)` summed per UTC day, model, provider, tags and cost
    /// source, in SQL (money summed exactly).
    async fn usage_totals(&self, since: Option<UnixMs>, until: Option<UnixMs>) -> StoreResult<Vec<UsageTotals>>;
    /// Store the outcome of bill checks, in one transaction.
    async fn insert_verifications(&self, verifications: &[Verification]) -> StoreResult<()>;
    /// Stored bill checks, newest first.
    async fn verifications(&self, limit: i64) -> StoreResult<Vec<Verification>>;
}

/// Rows per multi-row INSERT. Only these sizes are ever sent, so each table has at most five
/// statement texts: sqlx caches a prepared statement per text and connection, and a writer
/// flushing batches of every size from 1 to 2,000 otherwise fills that cache with hundreds of
/// large statements (over 60 MB in the proxy under load). 256 rows × 33 parameters stays under
/// SQLite's 32,766-parameter limit.
const STATEMENT_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

/// `items` cut into consecutive slices whose lengths are all in [`STATEMENT_ROWS`], largest first.
pub(super) fn statement_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let rows = STATEMENT_ROWS.into_iter().find(|&n| n <= items.len())?;
        let (chunk, rest) = items.split_at(rows);
        items = rest;
        Some(chunk)
    })
}

/// The sum of comma-separated exact amounts (`""`: zero).
pub(super) fn sum_listed(listed: &str) -> StoreResult<rust_decimal::Decimal> {
    let mut sum = rust_decimal::Decimal::ZERO;
    for amount in listed.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let amount = rust_decimal::Decimal::from_str_exact(amount)
            .map_err(|e| super::StoreError::Corrupt(format!("usage_records.cost: {amount:?}: {e}")))?;
        sum = sum
            .checked_add(amount)
            .ok_or_else(|| super::StoreError::Corrupt("usage_records.cost: the sum overflows".into()))?;
    }
    Ok(sum)
}

/// Implement [`UsageStore`] for `$store` (a struct with a `pool: sqlx::Pool<$db>`).
/// `$cost_sum` is the backend's SQL for the exact sum of `cost` as text: PostgreSQL sums its
/// NUMERIC; SQLite (which would sum TEXT as floats) lists the amounts, comma-separated, for
/// [`sum_listed`] to add up.
macro_rules! usage_sql {
    ($store:ident, $db:ty, $cost_sum:literal) => {
        mod usage_sql {
            use super::$store;
            use crate::cost::Usage;
            use crate::store::codec::Money;
            use crate::store::usage::UsageStore;
            use crate::store::{StoreError, StoreResult};
            use crate::domain::UnixMs;
            use crate::track::{StoredUsage, UsageQuery, UsageRecord, UsageTags, UsageTotals, Verification};
            use async_trait::async_trait;
            use sqlx::{QueryBuilder, Row};

            type Db = $db;
            type DbRow = <Db as sqlx::Database>::Row;

            const COLUMNS: &str = "at, request_id, endpoint, model_requested, model, offer_key, provider, upstream, \
                streamed, status, latency_ms, input_tokens, cache_read_tokens, cache_write_tokens, \
                cache_write_1h_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, \
                image_input_tokens, image_output_tokens, images_in, images_out, web_searches, cost, cost_source, \
                provider_cost, engine_cost, pricing_error, tag, app, user_tag, key_hash";

            fn count(n: u64) -> i64 {
                i64::try_from(n).unwrap_or(i64::MAX)
            }

            fn tokens(r: &DbRow, column: &str) -> StoreResult<u64> {
                let v: i64 = r.try_get(column)?;
                u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("usage_records.{column}: negative {v}")))
            }

            fn money(r: &DbRow, column: &str) -> StoreResult<Option<rust_decimal::Decimal>> {
                Ok(r.try_get::<Option<Money>, _>(column)?.map(|m| m.0))
            }

            fn parsed<T: std::str::FromStr<Err = String>>(r: &DbRow, column: &str) -> StoreResult<T> {
                let text: String = r.try_get(column)?;
                text.parse().map_err(|e| StoreError::Corrupt(format!("usage_records.{column}: {e}")))
            }

            /// The token columns, summed per group.
            const TOKEN_SUMS: &str = "CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
                CAST(SUM(cache_read_tokens) AS BIGINT) AS cache_read_tokens, \
                CAST(SUM(cache_write_tokens) AS BIGINT) AS cache_write_tokens, \
                CAST(SUM(cache_write_1h_tokens) AS BIGINT) AS cache_write_1h_tokens, \
                CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, \
                CAST(SUM(reasoning_tokens) AS BIGINT) AS reasoning_tokens, \
                CAST(SUM(audio_input_tokens) AS BIGINT) AS audio_input_tokens, \
                CAST(SUM(audio_output_tokens) AS BIGINT) AS audio_output_tokens, \
                CAST(SUM(image_input_tokens) AS BIGINT) AS image_input_tokens, \
                CAST(SUM(image_output_tokens) AS BIGINT) AS image_output_tokens, \
                CAST(SUM(images_in) AS BIGINT) AS images_in, \
                CAST(SUM(images_out) AS BIGINT) AS images_out, \
                CAST(SUM(web_searches) AS BIGINT) AS web_searches";

            fn usage_of(r: &DbRow, requests: u64) -> StoreResult<Usage> {
                Ok(Usage {
                    input: tokens(r, "input_tokens")?,
                    cache_read: tokens(r, "cache_read_tokens")?,
                    cache_write: tokens(r, "cache_write_tokens")?,
                    cache_write_1h: tokens(r, "cache_write_1h_tokens")?,
                    output: tokens(r, "output_tokens")?,
                    reasoning: tokens(r, "reasoning_tokens")?,
                    audio_input: tokens(r, "audio_input_tokens")?,
                    audio_output: tokens(r, "audio_output_tokens")?,
                    image_input_tokens: tokens(r, "image_input_tokens")?,
                    image_output_tokens: tokens(r, "image_output_tokens")?,
                    images_in: tokens(r, "images_in")?,
                    images_out: tokens(r, "images_out")?,
                    web_searches: tokens(r, "web_searches")?,
                    requests,
                    reported_cost: None,
                })
            }

            fn tags_of(r: &DbRow) -> StoreResult<UsageTags> {
                Ok(UsageTags {
                    tag: r.try_get("tag")?,
                    app: r.try_get("app")?,
                    user: r.try_get("user_tag")?,
                    key_hash: r.try_get("key_hash")?,
                })
            }

            fn totals_from_row(r: &DbRow) -> StoreResult<UsageTotals> {
                let requests = tokens(r, "requests")?;
                let cost: Option<String> = r.try_get("cost")?;
                Ok(UsageTotals {
                    day: r.try_get::<i64, _>("day")? * 86_400_000,
                    model: r.try_get("model_key")?,
                    provider: r.try_get("provider_key")?,
                    tags: tags_of(r)?,
                    cost_source: parsed(r, "cost_source")?,
                    requests,
                    failed: tokens(r, "failed")?,
                    unpriced: tokens(r, "unpriced")?,
                    usage: usage_of(r, requests)?,
                    cost: crate::store::usage::sum_listed(cost.as_deref().unwrap_or(""))?,
                })
            }

            fn usage_from_row(r: &DbRow) -> StoreResult<StoredUsage> {
                let usage = Usage { reported_cost: money(r, "provider_cost")?, ..usage_of(r, 1)? };
                let status: i32 = r.try_get("status")?;
                let record = UsageRecord {
                    at: r.try_get("at")?,
                    request_id: r.try_get("request_id")?,
                    endpoint: parsed(r, "endpoint")?,
                    model_requested: r.try_get("model_requested")?,
                    model: r.try_get("model")?,
                    offer_key: r.try_get("offer_key")?,
                    provider: r.try_get("provider")?,
                    upstream: r.try_get("upstream")?,
                    streamed: r.try_get("streamed")?,
                    status: u16::try_from(status)
                        .map_err(|_| StoreError::Corrupt(format!("usage_records.status: {status}")))?,
                    latency_ms: r.try_get("latency_ms")?,
                    usage,
                    cost: money(r, "cost")?,
                    cost_source: parsed(r, "cost_source")?,
                    provider_cost: money(r, "provider_cost")?,
                    engine_cost: money(r, "engine_cost")?,
                    pricing_error: r.try_get("pricing_error")?,
                    tags: tags_of(r)?,
                };
                Ok(StoredUsage { id: r.try_get("id")?, record })
            }

            fn verification_from_row(r: &DbRow) -> StoreResult<Verification> {
                let rows: String = r.try_get("price_rows")?;
                Ok(Verification {
                    usage_id: r.try_get("usage_id")?,
                    checked_at: r.try_get("checked_at")?,
                    model: r.try_get("model")?,
                    offer_key: r.try_get("offer_key")?,
                    provider_cost: r.try_get::<Money, _>("provider_cost")?.0,
                    engine_cost: money(r, "engine_cost")?,
                    difference: money(r, "difference")?,
                    matched: r.try_get("matched")?,
                    price_rows: crate::store::codec::from_json("usage_verifications.price_rows", &rows)?,
                    error: r.try_get("error")?,
                })
            }

            #[async_trait]
            impl UsageStore for $store {
                async fn insert_usage(&self, records: &[UsageRecord]) -> StoreResult<()> {
                    if records.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.pool.begin().await?;
                    for chunk in crate::store::usage::statement_chunks(records) {
                        let mut qb = QueryBuilder::<Db>::new(format!("INSERT INTO usage_records ({COLUMNS}) "));
                        qb.push_values(chunk, |mut b, r| {
                            let u = &r.usage;
                            b.push_bind(r.at)
                                .push_bind(r.request_id.clone())
                                .push_bind(r.endpoint.as_str())
                                .push_bind(r.model_requested.clone())
                                .push_bind(r.model.clone())
                                .push_bind(r.offer_key.clone())
                                .push_bind(r.provider.clone())
                                .push_bind(r.upstream.clone())
                                .push_bind(r.streamed)
                                .push_bind(i32::from(r.status))
                                .push_bind(r.latency_ms)
                                .push_bind(count(u.input))
                                .push_bind(count(u.cache_read))
                                .push_bind(count(u.cache_write))
                                .push_bind(count(u.cache_write_1h))
                                .push_bind(count(u.output))
                                .push_bind(count(u.reasoning))
                                .push_bind(count(u.audio_input))
                                .push_bind(count(u.audio_output))
                                .push_bind(count(u.image_input_tokens))
                                .push_bind(count(u.image_output_tokens))
                                .push_bind(count(u.images_in))
                                .push_bind(count(u.images_out))
                                .push_bind(count(u.web_searches))
                                .push_bind(r.cost.map(Money))
                                .push_bind(r.cost_source.as_str())
                                .push_bind(r.provider_cost.map(Money))
                                .push_bind(r.engine_cost.map(Money))
                                .push_bind(r.pricing_error.clone())
                                .push_bind(r.tags.tag.clone())
                                .push_bind(r.tags.app.clone())
                                .push_bind(r.tags.user.clone())
                                .push_bind(r.tags.key_hash.clone());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn usage_records(&self, q: &UsageQuery) -> StoreResult<Vec<StoredUsage>> {
                    let sample = q.random && q.limit.is_some();
                    let mut qb = QueryBuilder::<Db>::new(if sample { "SELECT * FROM (" } else { "" });
                    qb.push(format!("SELECT id, {COLUMNS} FROM usage_records WHERE 1=1"));
                    if let Some(since) = q.since {
                        qb.push(" AND at >= ").push_bind(since);
                    }
                    if let Some(until) = q.until {
                        qb.push(" AND at < ").push_bind(until);
                    }
                    if q.with_provider_cost {
                        qb.push(" AND provider_cost IS NOT NULL");
                    }
                    match q.limit {
                        // random() is the same function in SQLite and PostgreSQL.
                        Some(limit) if sample => {
                            qb.push(" ORDER BY random() LIMIT ").push_bind(limit).push(") AS sample ORDER BY at, id");
                        }
                        Some(limit) => {
                            qb.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(limit);
                        }
                        None => {
                            qb.push(" ORDER BY at, id");
                        }
                    }
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    rows.iter().map(usage_from_row).collect()
                }

                async fn usage_totals(
                    &self,
                    since: Option<UnixMs>,
                    until: Option<UnixMs>,
                ) -> StoreResult<Vec<UsageTotals>> {
                    let mut qb = QueryBuilder::<Db>::new(format!(
                        "SELECT at / 86400000 AS day, COALESCE(model, model_requested) AS model_key, \
                         COALESCE(provider, upstream) AS provider_key, tag, app, user_tag, key_hash, cost_source, \
                         COUNT(*) AS requests, \
                         CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
                         CAST(SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS unpriced, \
                         {TOKEN_SUMS}, {} AS cost FROM usage_records WHERE 1=1",
                        $cost_sum
                    ));
                    if let Some(since) = since {
                        qb.push(" AND at >= ").push_bind(since);
                    }
                    if let Some(until) = until {
                        qb.push(" AND at < ").push_bind(until);
                    }
                    qb.push(" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8");
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    rows.iter().map(totals_from_row).collect()
                }

                async fn insert_verifications(&self, verifications: &[Verification]) -> StoreResult<()> {
                    if verifications.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.pool.begin().await?;
                    for chunk in crate::store::usage::statement_chunks(verifications) {
                        let mut qb = QueryBuilder::<Db>::new(
                            "INSERT INTO usage_verifications (usage_id, checked_at, model, offer_key, provider_cost, \
                             engine_cost, difference, matched, price_rows, error) ",
                        );
                        qb.push_values(chunk, |mut b, v| {
                            b.push_bind(v.usage_id)
                                .push_bind(v.checked_at)
                                .push_bind(v.model.clone())
                                .push_bind(v.offer_key.clone())
                                .push_bind(Money(v.provider_cost))
                                .push_bind(v.engine_cost.map(Money))
                                .push_bind(v.difference.map(Money))
                                .push_bind(v.matched)
                                .push_bind(crate::store::codec::json(&v.price_rows))
                                .push_bind(v.error.clone());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn verifications(&self, limit: i64) -> StoreResult<Vec<Verification>> {
                    let rows = sqlx::query(
                        "SELECT usage_id, checked_at, model, offer_key, provider_cost, engine_cost, difference, \
                         matched, price_rows, error FROM usage_verifications ORDER BY id DESC LIMIT $1",
                    )
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(verification_from_row).collect()
                }
            }
        }
    };
}

pub(super) use usage_sql;

#[cfg(test)]
mod tests {
    use super::{STATEMENT_ROWS, statement_chunks};

    #[test]
    fn chunks_cover_every_item_in_order_with_only_fixed_sizes() {
        for n in [0usize, 1, 3, 4, 5, 63, 64, 65, 255, 256, 257, 1000, 2000, 2001] {
            let items: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = statement_chunks(&items).collect();
            assert_eq!(chunks.concat(), items, "n={n}");
            assert!(chunks.iter().all(|c| STATEMENT_ROWS.contains(&c.len())), "n={n}");
            // Largest first, so a batch costs few statements: 1,000 rows are 3×256 + 3×64 + 2×16 + 2×4.
            assert!(chunks.windows(2).all(|w| w[0].len() >= w[1].len()), "n={n}");
        }
        assert_eq!(statement_chunks(&[0u8; 1000]).count(), 10);
    }
}
