//! The SQL every backend shares. `$1` placeholders, `ON CONFLICT` upserts and `RETURNING`
//! work on SQLite and PostgreSQL alike, so one text serves both; what differs (the clock,
//! the column types behind `Money`) is a parameter. A macro rather than generics: sqlx's
//! per-database bounds would otherwise bury every function under where-clauses.

/// Implement [`Store`](super::Store) for `$store` (a struct with a `pool: sqlx::Pool<$db>`).
/// `now_ms` is the SQL expression for the database clock in unix milliseconds.
macro_rules! sql_store {
    ($store:ident, $db:ty, now_ms = $now:literal) => {
        // A module of its own, so the backend file's imports and these never collide.
        mod shared_sql {
        use super::$store;
        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;
        type DbConnection = <Db as sqlx::Database>::Connection;

        use crate::domain::{
            Alias, AliasKind, BenchmarkKey, BenchmarkRecord, BenchmarkScore, BenchmarkWrites, CatalogState, ChangeEvent, ChangeSet, Component, CurrentPrice, JsonText, Model,
            ModelId, Offer, OfferHealth, OfferKey, Price, PriceKey, StoredAlias, StoredModel, StoredOffer, SyncRun,
            TierScope, UnixMs,
        };
        use crate::store::codec::{Money, from_json, json, json_opt, price_columns, price_value};
        use crate::store::{
            ChangeQuery, FetchState, Lease, LeaseClaim, LeaseHolder, ModelRecord, NewRun, OfferRecord,
            PriceInterval, PriceRecord, RunOutcome, Store, StoreError, StoreResult, StoreStatus, StoredChange,
        };
        use async_trait::async_trait;
        use futures::TryStreamExt;
        use sqlx::{QueryBuilder, Row};
        use std::collections::{BTreeMap, HashMap};
        use std::str::FromStr;

        /// Rows per multi-row INSERT (well under either backend's bound-parameter limit).
        const BATCH: usize = 200;

        fn corrupt(e: impl std::fmt::Display) -> StoreError {
            StoreError::Corrupt(e.to_string())
        }

        fn model_from_row(r: &DbRow) -> StoreResult<(Model, bool, UnixMs, UnixMs)> {
            let id: String = r.try_get("id")?;
            let model = Model {
                id: ModelId::parse(&id).map_err(corrupt)?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                canonical_slug: r.try_get("canonical_slug")?,
                hugging_face_id: r.try_get("hugging_face_id")?,
                created: r.try_get("created")?,
                context_length: r.try_get("context_length")?,
                max_completion_tokens: r.try_get("max_completion_tokens")?,
                is_moderated: r.try_get("is_moderated")?,
                modality: r.try_get("modality")?,
                input_modalities: from_json("models.input_modalities", &r.try_get::<String, _>("input_modalities")?)?,
                output_modalities: from_json("models.output_modalities", &r.try_get::<String, _>("output_modalities")?)?,
                tokenizer: r.try_get("tokenizer")?,
                instruct_type: r.try_get("instruct_type")?,
                supported_parameters: from_json(
                    "models.supported_parameters",
                    &r.try_get::<String, _>("supported_parameters")?,
                )?,
                default_parameters: r.try_get::<Option<String>, _>("default_parameters")?.map(JsonText::from_stored),
                supported_voices: r.try_get::<Option<String>, _>("supported_voices")?.map(JsonText::from_stored),
                per_request_limits: r.try_get::<Option<String>, _>("per_request_limits")?.map(JsonText::from_stored),
                reasoning: r.try_get::<Option<String>, _>("reasoning")?.map(JsonText::from_stored),
                benchmarks: r.try_get::<Option<String>, _>("benchmarks")?.map(JsonText::from_stored),
                knowledge_cutoff: r.try_get("knowledge_cutoff")?,
                expiration_date: r.try_get("expiration_date")?,
            };
            Ok((model, r.try_get("is_active")?, r.try_get("first_seen")?, r.try_get("last_seen")?))
        }

        fn offer_from_row(r: &DbRow) -> StoreResult<(Offer, bool, UnixMs, UnixMs)> {
            let model_id: String = r.try_get("model_id")?;
            let offer = Offer {
                key: OfferKey::from_stored(r.try_get("key")?),
                model_id: ModelId::parse(&model_id).map_err(corrupt)?,
                source: r.try_get("source")?,
                seller: r.try_get("seller")?,
                served_by: r.try_get("served_by")?,
                provider: r.try_get("provider")?,
                provider_name: r.try_get("provider_name")?,
                listing_id: r.try_get("listing_id")?,
                variant: r.try_get("variant")?,
                quantization: r.try_get("quantization")?,
                context_length: r.try_get("context_length")?,
                max_completion_tokens: r.try_get("max_completion_tokens")?,
                max_prompt_tokens: r.try_get("max_prompt_tokens")?,
                supported_parameters: from_json(
                    "offers.supported_parameters",
                    &r.try_get::<String, _>("supported_parameters")?,
                )?,
                discount: r.try_get::<Option<Money>, _>("discount")?.map(|m| m.0),
                health: OfferHealth {
                    status: r.try_get("status")?,
                    uptime_5m: r.try_get("uptime_5m")?,
                    uptime_30m: r.try_get("uptime_30m")?,
                    uptime_1d: r.try_get("uptime_1d")?,
                },
                extra: r.try_get::<Option<String>, _>("extra")?.map(JsonText::from_stored),
                prices: Vec::new(),
            };
            Ok((offer, r.try_get("is_active")?, r.try_get("first_seen")?, r.try_get("last_seen")?))
        }

        /// A price row: (offer key, record).
        fn price_from_row(r: &DbRow) -> StoreResult<(String, PriceRecord)> {
            let component: String = r.try_get("component")?;
            let scope: String = r.try_get("tier_scope")?;
            let price = Price {
                key: PriceKey {
                    component: Component::from_str(&component).map_err(corrupt)?,
                    min_prompt_tokens: r.try_get("min_prompt_tokens")?,
                    condition: r.try_get("condition")?,
                },
                value: price_value(r.try_get("amount")?, r.try_get("is_variable")?)?,
                scope: TierScope::from_stored(&scope),
            };
            let record = PriceRecord { price, valid_from: r.try_get("valid_from")?, valid_to: r.try_get("valid_to")? };
            Ok((r.try_get("offer_key")?, record))
        }

        fn run_from_row(r: &DbRow) -> StoreResult<SyncRun> {
            Ok(SyncRun {
                id: r.try_get("id")?,
                trigger: r.try_get("trigger")?,
                source: r.try_get("source")?,
                origin: r.try_get("origin")?,
                status: r.try_get("status")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                duration_ms: r.try_get("duration_ms")?,
                models_seen: r.try_get("models_seen")?,
                offers_seen: r.try_get("offers_seen")?,
                added: r.try_get("added")?,
                removed: r.try_get("removed")?,
                repriced: r.try_get("repriced")?,
                changes: r.try_get("changes")?,
                alerts: r.try_get("alerts")?,
                error: r.try_get("error")?,
                holder: r.try_get("holder")?,
            })
        }

        fn event_from_row(r: &DbRow) -> StoreResult<StoredChange> {
            let kind: String = r.try_get("kind")?;
            Ok(StoredChange {
                id: r.try_get("id")?,
                run_id: r.try_get("run_id")?,
                at: r.try_get("at")?,
                event: ChangeEvent {
                    kind: kind.parse().map_err(corrupt)?,
                    model_id: r.try_get("model_id")?,
                    offer_key: r.try_get("offer_key")?,
                    subject: r.try_get("subject")?,
                    price_key: r.try_get("price_key")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    percent: r.try_get::<Option<Money>, _>("percent")?.map(|m| m.0),
                    is_alert: r.try_get("is_alert")?,
                },
            })
        }

        fn benchmark_from_row(r: &DbRow) -> StoreResult<BenchmarkRecord> {
            Ok(BenchmarkRecord {
                score: BenchmarkScore {
                    model_id: r.try_get("model_id")?,
                    key: BenchmarkKey {
                        benchmark: r.try_get("benchmark")?,
                        category: r.try_get("category")?,
                        metric: r.try_get("metric")?,
                    },
                    score: r.try_get::<Money, _>("score")?.0,
                    source: r.try_get("source")?,
                },
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            })
        }

        /// Close and open benchmark intervals (inside the caller's transaction).
        async fn write_benchmarks(
            conn: &mut DbConnection,
            writes: &BenchmarkWrites,
            run_id: Option<i64>,
        ) -> StoreResult<()> {
            for (s, at) in &writes.close {
                sqlx::query(
                    "UPDATE benchmark_scores SET valid_to = $1 WHERE model_id = $2 AND benchmark = $3 AND category = $4 \
                     AND metric = $5 AND source = $6 AND valid_to IS NULL",
                )
                .bind(at)
                .bind(&s.model_id)
                .bind(&s.key.benchmark)
                .bind(&s.key.category)
                .bind(&s.key.metric)
                .bind(&s.source)
                .execute(&mut *conn)
                .await?;
            }
            for chunk in writes.open.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO benchmark_scores (model_id, benchmark, category, metric, score, source, valid_from, \
                     valid_to, run_id) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.score.model_id.clone())
                        .push_bind(r.score.key.benchmark.clone())
                        .push_bind(r.score.key.category.clone())
                        .push_bind(r.score.key.metric.clone())
                        .push_bind(Money(r.score.score))
                        .push_bind(r.score.source.clone())
                        .push_bind(r.valid_from)
                        .push_bind(r.valid_to)
                        .push_bind(run_id);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Start a run's row (`running`); returns its id.
        async fn insert_run(conn: &mut DbConnection, run: &NewRun) -> StoreResult<i64> {
            let id = sqlx::query_scalar(
                "INSERT INTO sync_runs (trigger, source, status, started_at, holder) VALUES ($1, $2, 'running', $3, $4) \
                 RETURNING id",
            )
            .bind(&run.trigger)
            .bind(&run.source)
            .bind(run.started_at)
            .bind(&run.holder)
            .fetch_one(conn)
            .await?;
            Ok(id)
        }

        const RUN_OUTCOME_SQL: &str = "UPDATE sync_runs SET status = $2, origin = $3, finished_at = $4, duration_ms = $5, \
             models_seen = $6, offers_seen = $7, added = $8, removed = $9, repriced = $10, changes = $11, alerts = $12, \
             error = $13 WHERE id = $1";

        async fn write_outcome(conn: &mut DbConnection, id: i64, o: &RunOutcome) -> StoreResult<()> {
            sqlx::query(RUN_OUTCOME_SQL)
                .bind(id)
                .bind(&o.status)
                .bind(&o.origin)
                .bind(o.finished_at)
                .bind(o.duration_ms)
                .bind(o.models_seen)
                .bind(o.offers_seen)
                .bind(o.added)
                .bind(o.removed)
                .bind(o.repriced)
                .bind(o.changes)
                .bind(o.alerts)
                .bind(&o.error)
                .execute(conn)
                .await?;
            Ok(())
        }

        async fn upsert_models(conn: &mut DbConnection, models: &[Model], at: UnixMs) -> StoreResult<()> {
            for chunk in models.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO models (id, name, description, canonical_slug, hugging_face_id, created, context_length, \
                     max_completion_tokens, is_moderated, modality, input_modalities, output_modalities, tokenizer, \
                     instruct_type, supported_parameters, default_parameters, supported_voices, per_request_limits, \
                     reasoning, benchmarks, knowledge_cutoff, expiration_date, first_seen, last_seen, is_active, updated_at) ",
                );
                qb.push_values(chunk, |mut b, m| {
                    b.push_bind(m.id.to_string())
                        .push_bind(m.name.clone())
                        .push_bind(m.description.clone())
                        .push_bind(m.canonical_slug.clone())
                        .push_bind(m.hugging_face_id.clone())
                        .push_bind(m.created)
                        .push_bind(m.context_length)
                        .push_bind(m.max_completion_tokens)
                        .push_bind(m.is_moderated)
                        .push_bind(m.modality.clone())
                        .push_bind(json(&m.input_modalities))
                        .push_bind(json(&m.output_modalities))
                        .push_bind(m.tokenizer.clone())
                        .push_bind(m.instruct_type.clone())
                        .push_bind(json(&m.supported_parameters))
                        .push_bind(json_opt(&m.default_parameters))
                        .push_bind(json_opt(&m.supported_voices))
                        .push_bind(json_opt(&m.per_request_limits))
                        .push_bind(json_opt(&m.reasoning))
                        .push_bind(json_opt(&m.benchmarks))
                        .push_bind(m.knowledge_cutoff.clone())
                        .push_bind(m.expiration_date.clone())
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(true)
                        .push_bind(at);
                });
                qb.push(
                    " ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, \
                     canonical_slug = excluded.canonical_slug, hugging_face_id = excluded.hugging_face_id, \
                     created = excluded.created, context_length = excluded.context_length, \
                     max_completion_tokens = excluded.max_completion_tokens, is_moderated = excluded.is_moderated, \
                     modality = excluded.modality, input_modalities = excluded.input_modalities, \
                     output_modalities = excluded.output_modalities, tokenizer = excluded.tokenizer, \
                     instruct_type = excluded.instruct_type, supported_parameters = excluded.supported_parameters, \
                     default_parameters = excluded.default_parameters, supported_voices = excluded.supported_voices, \
                     per_request_limits = excluded.per_request_limits, reasoning = excluded.reasoning, \
                     benchmarks = excluded.benchmarks, knowledge_cutoff = excluded.knowledge_cutoff, \
                     expiration_date = excluded.expiration_date, last_seen = excluded.last_seen, is_active = TRUE, \
                     updated_at = excluded.updated_at",
                );
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn upsert_offers(conn: &mut DbConnection, offers: &[Offer], at: UnixMs) -> StoreResult<()> {
            for chunk in offers.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO offers (key, model_id, source, seller, served_by, provider, provider_name, listing_id, \
                     variant, quantization, context_length, max_completion_tokens, max_prompt_tokens, supported_parameters, \
                     discount, status, uptime_5m, uptime_30m, uptime_1d, extra, first_seen, last_seen, is_active, updated_at) ",
                );
                qb.push_values(chunk, |mut b, o| {
                    b.push_bind(o.key.to_string())
                        .push_bind(o.model_id.to_string())
                        .push_bind(o.source.clone())
                        .push_bind(o.seller.clone())
                        .push_bind(o.served_by.clone())
                        .push_bind(o.provider.clone())
                        .push_bind(o.provider_name.clone())
                        .push_bind(o.listing_id.clone())
                        .push_bind(o.variant.clone())
                        .push_bind(o.quantization.clone())
                        .push_bind(o.context_length)
                        .push_bind(o.max_completion_tokens)
                        .push_bind(o.max_prompt_tokens)
                        .push_bind(json(&o.supported_parameters))
                        .push_bind(o.discount.map(Money))
                        .push_bind(o.health.status)
                        .push_bind(o.health.uptime_5m)
                        .push_bind(o.health.uptime_30m)
                        .push_bind(o.health.uptime_1d)
                        .push_bind(json_opt(&o.extra))
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(true)
                        .push_bind(at);
                });
                qb.push(
                    " ON CONFLICT(key) DO UPDATE SET model_id = excluded.model_id, served_by = excluded.served_by, \
                     provider = excluded.provider, provider_name = excluded.provider_name, variant = excluded.variant, \
                     quantization = excluded.quantization, context_length = excluded.context_length, \
                     max_completion_tokens = excluded.max_completion_tokens, max_prompt_tokens = excluded.max_prompt_tokens, \
                     supported_parameters = excluded.supported_parameters, discount = excluded.discount, \
                     status = excluded.status, uptime_5m = excluded.uptime_5m, uptime_30m = excluded.uptime_30m, \
                     uptime_1d = excluded.uptime_1d, extra = excluded.extra, last_seen = excluded.last_seen, \
                     is_active = TRUE, updated_at = excluded.updated_at",
                );
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn upsert_providers(conn: &mut DbConnection, offers: &[Offer], at: UnixMs) -> StoreResult<()> {
            let mut providers: BTreeMap<String, Option<String>> = BTreeMap::new();
            for o in offers {
                providers.entry(o.seller.clone()).or_insert(None);
                if let Some(p) = &o.provider {
                    providers.insert(p.clone(), o.provider_name.clone());
                }
            }
            let rows: Vec<_> = providers.into_iter().collect();
            for chunk in rows.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO providers (slug, name, first_seen, last_seen) ");
                qb.push_values(chunk, |mut b, (slug, name)| {
                    b.push_bind(slug.clone()).push_bind(name.clone()).push_bind(at).push_bind(at);
                });
                qb.push(
                    " ON CONFLICT(slug) DO UPDATE SET name = COALESCE(excluded.name, providers.name), \
                     last_seen = excluded.last_seen",
                );
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn open_prices(
            conn: &mut DbConnection,
            prices: &[(String, Price)],
            at: UnixMs,
            run_id: i64,
        ) -> StoreResult<()> {
            for chunk in prices.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO prices (offer_key, component, unit, min_prompt_tokens, condition, tier_scope, amount, \
                     is_variable, valid_from, valid_to, run_id) ",
                );
                qb.push_values(chunk, |mut b, (key, p)| {
                    let (amount, variable) = price_columns(&p.value);
                    b.push_bind(key.clone())
                        .push_bind(p.key.component.as_str())
                        .push_bind(p.key.component.unit().as_str())
                        .push_bind(p.key.min_prompt_tokens)
                        .push_bind(p.key.condition.clone())
                        .push_bind(p.scope.as_str())
                        .push_bind(amount)
                        .push_bind(variable)
                        .push_bind(at)
                        .push_bind(None::<i64>)
                        .push_bind(run_id);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn insert_events(
            conn: &mut DbConnection,
            events: &[ChangeEvent],
            at: UnixMs,
            run_id: i64,
        ) -> StoreResult<()> {
            for chunk in events.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO change_events (run_id, at, kind, model_id, offer_key, subject, price_key, old_value, \
                     new_value, percent, is_alert) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(run_id)
                        .push_bind(at)
                        .push_bind(e.kind.as_str())
                        .push_bind(e.model_id.clone())
                        .push_bind(e.offer_key.clone())
                        .push_bind(e.subject.clone())
                        .push_bind(e.price_key.clone())
                        .push_bind(e.old_value.clone())
                        .push_bind(e.new_value.clone())
                        .push_bind(e.percent.map(Money))
                        .push_bind(e.is_alert);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn upsert_aliases(conn: &mut DbConnection, aliases: &[Alias], at: UnixMs) -> StoreResult<()> {
            for chunk in aliases.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO aliases (alias, model_id, offer_key, kind, source, first_seen, last_seen, is_active) ",
                );
                qb.push_values(chunk, |mut b, a| {
                    b.push_bind(a.alias.clone())
                        .push_bind(a.model_id.to_string())
                        .push_bind(a.offer_key.as_ref().map(|k| k.to_string()))
                        .push_bind(a.kind.as_str())
                        .push_bind(a.source.clone())
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(true);
                });
                qb.push(
                    " ON CONFLICT(alias, source) DO UPDATE SET model_id = excluded.model_id, offer_key = excluded.offer_key, \
                     kind = excluded.kind, last_seen = excluded.last_seen, is_active = TRUE",
                );
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Run a query and map its rows as they stream in (large catalogs never hold every raw
        /// row and every mapped value at once).
        async fn fetch_mapped<T>(
            query: sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments>,
            pool: &sqlx::Pool<Db>,
            map: fn(&DbRow) -> StoreResult<T>,
        ) -> StoreResult<Vec<T>> {
            let mut rows = query.fetch(pool);
            let mut out = Vec::new();
            while let Some(row) = rows.try_next().await? {
                out.push(map(&row)?);
            }
            Ok(out)
        }

        /// `UPDATE table SET … WHERE key IN (…)` over many keys, in batches.
        async fn update_where_in(
            conn: &mut DbConnection,
            set_sql: &'static str,
            key_column: &'static str,
            keys: &[String],
            at: UnixMs,
        ) -> StoreResult<()> {
            for chunk in keys.chunks(BATCH) {
                let mut qb = QueryBuilder::<Db>::new(set_sql);
                qb.push_bind(at);
                qb.push(" WHERE ");
                qb.push(key_column);
                qb.push(" IN (");
                let mut sep = qb.separated(", ");
                for k in chunk {
                    sep.push_bind(k.clone());
                }
                qb.push(")");
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        impl $store {
            async fn load_rows(
                &self,
                as_of: Option<UnixMs>,
            ) -> StoreResult<(Vec<(Model, bool, UnixMs, UnixMs)>, Vec<(Offer, bool, UnixMs, UnixMs)>, Vec<(String, PriceRecord)>)>
            {
                let t = as_of.unwrap_or(i64::MAX);
                let models_sql = sqlx::query("SELECT * FROM models WHERE first_seen <= $1 ORDER BY id").bind(t);
                let models = fetch_mapped(models_sql, &self.pool, model_from_row).await?;
                let offers_sql = sqlx::query("SELECT * FROM offers WHERE first_seen <= $1 ORDER BY key").bind(t);
                let offers = fetch_mapped(offers_sql, &self.pool, offer_from_row).await?;
                let prices_sql = match as_of {
                    None => sqlx::query("SELECT * FROM prices WHERE valid_to IS NULL"),
                    Some(t) => {
                        sqlx::query("SELECT * FROM prices WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)")
                            .bind(t)
                    }
                };
                let prices = fetch_mapped(prices_sql, &self.pool, price_from_row).await?;
                Ok((models, offers, prices))
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn begin_run(&self, run: &NewRun) -> StoreResult<i64> {
                let mut conn = self.pool.acquire().await?;
                insert_run(&mut conn, run).await
            }

            async fn finish_run(&self, id: i64, outcome: &RunOutcome) -> StoreResult<()> {
                let mut conn = self.pool.acquire().await?;
                write_outcome(&mut conn, id, outcome).await
            }

            async fn fetch_state(&self, url: &str) -> StoreResult<Option<FetchState>> {
                let row = sqlx::query("SELECT * FROM fetch_state WHERE url = $1").bind(url).fetch_optional(&self.pool).await?;
                row.map(|r| {
                    Ok(FetchState {
                        url: r.try_get("url")?,
                        etag: r.try_get("etag")?,
                        last_modified: r.try_get("last_modified")?,
                        content_hash: r.try_get("content_hash")?,
                        fingerprint: r.try_get("fingerprint")?,
                    })
                })
                .transpose()
            }

            async fn last_applied_origin(&self, source: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT origin FROM sync_runs WHERE source = $1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1",
                )
                .bind(source)
                .fetch_optional(&self.pool)
                .await?
                .flatten())
            }

            async fn latest_price_change(&self) -> StoreResult<Option<UnixMs>> {
                Ok(sqlx::query_scalar("SELECT CASE WHEN MAX(valid_to) > MAX(valid_from) THEN MAX(valid_to) ELSE MAX(valid_from) END FROM prices")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn load_state(&self) -> StoreResult<CatalogState> {
                let (models, offers, prices) = self.load_rows(None).await?;
                let mut state = CatalogState::default();
                for (model, is_active, _, _) in models {
                    state.models.insert(model.id.to_string(), StoredModel { model, is_active });
                }
                for (offer, is_active, _, _) in offers {
                    state.offers.insert(offer.key.to_string(), StoredOffer { offer, is_active, prices: BTreeMap::new() });
                }
                for (key, r) in prices {
                    let stored = state
                        .offers
                        .get_mut(&key)
                        .ok_or_else(|| StoreError::Corrupt(format!("price of unknown offer {key}")))?;
                    stored.prices.insert(
                        r.price.key,
                        CurrentPrice { value: r.price.value, scope: r.price.scope, valid_from: r.valid_from },
                    );
                }
                let rows = sqlx::query("SELECT * FROM aliases").fetch_all(&self.pool).await?;
                for r in rows {
                    let model_id: String = r.try_get("model_id")?;
                    let offer_key: Option<String> = r.try_get("offer_key")?;
                    let kind: String = r.try_get("kind")?;
                    let alias = Alias {
                        alias: r.try_get("alias")?,
                        model_id: ModelId::parse(&model_id).map_err(corrupt)?,
                        offer_key: offer_key.map(OfferKey::from_stored),
                        kind: AliasKind::from_stored(&kind),
                        source: r.try_get("source")?,
                    };
                    let is_active = r.try_get("is_active")?;
                    state.aliases.insert(alias.state_key(), StoredAlias { alias, is_active });
                }
                Ok(state)
            }

            async fn apply(
                &self,
                run_id: i64,
                at: UnixMs,
                changes: &ChangeSet,
                fetch: Option<&FetchState>,
                outcome: &RunOutcome,
                lease: Option<&Lease>,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let conn = &mut *tx;
                if let Some(lease) = lease {
                    // Renewing inside the transaction both re-checks that the lease is still
                    // ours and (on PostgreSQL) row-locks it until commit, so nobody can take
                    // it over while these writes are in flight.
                    let renewed = sqlx::query(concat!(
                        "UPDATE sync_lock SET expires_at = ", $now, " + $3 WHERE name = $1 AND holder = $2 \
                         AND expires_at > ", $now
                    ))
                    .bind(&lease.name)
                    .bind(&lease.holder)
                    .bind(lease.ttl_ms)
                    .execute(&mut *conn)
                    .await?;
                    if renewed.rows_affected() == 0 {
                        return Err(StoreError::LeaseLost { holder: lease.holder.clone() });
                    }
                }
                upsert_models(conn, &changes.upsert_models, at).await?;
                update_where_in(conn, "UPDATE models SET is_active = TRUE, updated_at = ", "id", &changes.activate_models, at)
                    .await?;
                upsert_providers(conn, &changes.upsert_offers, at).await?;
                upsert_offers(conn, &changes.upsert_offers, at).await?;
                update_where_in(
                    conn,
                    "UPDATE offers SET is_active = FALSE, updated_at = ",
                    "key",
                    &changes.deactivate_offers,
                    at,
                )
                .await?;
                update_where_in(
                    conn,
                    "UPDATE models SET is_active = FALSE, updated_at = ",
                    "id",
                    &changes.deactivate_models,
                    at,
                )
                .await?;
                for (key, pk) in &changes.close_prices {
                    sqlx::query(
                        "UPDATE prices SET valid_to = $1 WHERE offer_key = $2 AND component = $3 AND min_prompt_tokens = $4 \
                         AND condition = $5 AND valid_to IS NULL",
                    )
                    .bind(at)
                    .bind(key)
                    .bind(pk.component.as_str())
                    .bind(pk.min_prompt_tokens)
                    .bind(&pk.condition)
                    .execute(&mut *conn)
                    .await?;
                }
                open_prices(conn, &changes.open_prices, at, run_id).await?;
                upsert_aliases(conn, &changes.upsert_aliases, at).await?;
                if let Some(snapshot) = &changes.benchmarks {
                    let rows = sqlx::query("SELECT * FROM benchmark_scores WHERE source = $1 AND valid_to IS NULL")
                        .bind(&snapshot.source)
                        .fetch_all(&mut *conn)
                        .await?;
                    let current = rows.iter().map(benchmark_from_row).collect::<StoreResult<Vec<_>>>()?;
                    let writes = crate::domain::plan_snapshot(&current, snapshot, at);
                    write_benchmarks(conn, &writes, Some(run_id)).await?;
                }
                for (source, alias) in &changes.deactivate_aliases {
                    sqlx::query("UPDATE aliases SET is_active = FALSE, last_seen = $1 WHERE alias = $2 AND source = $3")
                        .bind(at)
                        .bind(alias)
                        .bind(source)
                        .execute(&mut *conn)
                        .await?;
                }
                insert_events(conn, &changes.events, at, run_id).await?;
                update_where_in(conn, "UPDATE offers SET last_seen = ", "key", &changes.seen_offers, at).await?;
                update_where_in(conn, "UPDATE models SET last_seen = ", "id", &changes.seen_models, at).await?;
                if let Some(f) = fetch {
                    sqlx::query(
                        "INSERT INTO fetch_state (url, etag, last_modified, content_hash, fingerprint, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, \
                         last_modified = excluded.last_modified, content_hash = excluded.content_hash, \
                         fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
                    )
                    .bind(&f.url)
                    .bind(&f.etag)
                    .bind(&f.last_modified)
                    .bind(&f.content_hash)
                    .bind(&f.fingerprint)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                write_outcome(conn, run_id, outcome).await?;
                if let Some(pause) = self.pause_before_commit {
                    tracing::warn!(?pause, "pausing before commit (LLMCOST_TEST_PAUSE_BEFORE_COMMIT_MS)");
                    tokio::time::sleep(pause).await;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn catalog(&self, as_of: Option<UnixMs>) -> StoreResult<Vec<ModelRecord>> {
                let (models, offers, prices) = self.load_rows(as_of).await?;
                let mut prices_by_offer: HashMap<String, Vec<PriceRecord>> = HashMap::new();
                for (key, r) in prices {
                    prices_by_offer.entry(key).or_default().push(r);
                }
                let mut offers_by_model: HashMap<String, Vec<OfferRecord>> = HashMap::new();
                for (offer, is_active, first_seen, last_seen) in offers {
                    let mut prices = prices_by_offer.remove(offer.key.as_str()).unwrap_or_default();
                    prices.sort_by(|a, b| a.price.key.cmp(&b.price.key));
                    // At a past instant an offer was active exactly when it had a valid price.
                    let is_active = if as_of.is_some() { !prices.is_empty() } else { is_active };
                    offers_by_model.entry(offer.model_id.to_string()).or_default().push(OfferRecord {
                        offer,
                        is_active,
                        first_seen,
                        last_seen,
                        prices,
                    });
                }
                let mut aliases_by_model: HashMap<String, Vec<String>> = HashMap::new();
                let alias_rows =
                    sqlx::query("SELECT alias, model_id FROM aliases WHERE is_active AND first_seen <= $1 ORDER BY alias")
                        .bind(as_of.unwrap_or(i64::MAX))
                        .fetch_all(&self.pool)
                        .await?;
                for r in alias_rows {
                    aliases_by_model.entry(r.try_get("model_id")?).or_default().push(r.try_get("alias")?);
                }
                Ok(models
                    .into_iter()
                    .map(|(model, is_active, first_seen, last_seen)| {
                        let offers = offers_by_model.remove(model.id.as_str()).unwrap_or_default();
                        let aliases = aliases_by_model.remove(model.id.as_str()).unwrap_or_default();
                        let is_active = if as_of.is_some() { offers.iter().any(|o| o.is_active) } else { is_active };
                        ModelRecord { model, is_active, first_seen, last_seen, offers, aliases }
                    })
                    .collect())
            }

            async fn resolve(&self, id: &str) -> StoreResult<Option<String>> {
                let direct: Option<String> =
                    sqlx::query_scalar("SELECT id FROM models WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                if direct.is_some() {
                    return Ok(direct);
                }
                Ok(sqlx::query_scalar(
                    "SELECT model_id FROM aliases WHERE alias = $1 \
                     ORDER BY is_active DESC, source = 'openrouter' DESC, source LIMIT 1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn price_intervals(&self) -> StoreResult<Vec<(String, PriceRecord)>> {
                fetch_mapped(sqlx::query("SELECT * FROM prices ORDER BY id"), &self.pool, price_from_row).await
            }

            async fn price_history(&self, model_id: &str, since: Option<UnixMs>) -> StoreResult<Vec<PriceInterval>> {
                let rows = sqlx::query(
                    "SELECT p.*, o.listing_id, o.served_by FROM prices p JOIN offers o ON o.key = p.offer_key \
                     WHERE o.model_id = $1 AND (p.valid_to IS NULL OR p.valid_to > $2) \
                     ORDER BY o.served_by IS NOT NULL, o.listing_id, o.served_by, p.component, p.min_prompt_tokens, \
                     p.condition, p.valid_from",
                )
                .bind(model_id)
                .bind(since.unwrap_or(i64::MIN))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let (offer_key, record) = price_from_row(r)?;
                        Ok(PriceInterval {
                            offer_key,
                            listing_id: r.try_get("listing_id")?,
                            served_by: r.try_get("served_by")?,
                            record,
                        })
                    })
                    .collect()
            }

            async fn changes(&self, q: &ChangeQuery) -> StoreResult<Vec<StoredChange>> {
                let mut qb = QueryBuilder::<Db>::new("SELECT * FROM change_events WHERE at >= ");
                qb.push_bind(q.since.unwrap_or(i64::MIN));
                if !q.kinds.is_empty() {
                    qb.push(" AND kind IN (");
                    let mut sep = qb.separated(", ");
                    for k in &q.kinds {
                        sep.push_bind(k.as_str());
                    }
                    qb.push(")");
                }
                if let Some(m) = &q.model {
                    qb.push(" AND model_id = ").push_bind(m.clone());
                }
                if q.alerts_only {
                    qb.push(" AND is_alert");
                }
                if let Some(run) = q.run_id {
                    qb.push(" AND run_id = ").push_bind(run);
                }
                qb.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(q.limit);
                qb.build().fetch_all(&self.pool).await?.iter().map(event_from_row).collect()
            }

            async fn runs(&self, limit: i64) -> StoreResult<Vec<SyncRun>> {
                sqlx::query("SELECT * FROM sync_runs ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(run_from_row)
                    .collect()
            }

            async fn status(&self) -> StoreResult<StoreStatus> {
                let count = |sql: &'static str| async move {
                    sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await.map_err(StoreError::from)
                };
                let last_run = sqlx::query("SELECT * FROM sync_runs ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(run_from_row)
                    .transpose()?;
                let last_success = sqlx::query("SELECT * FROM sync_runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(run_from_row)
                    .transpose()?;
                Ok(StoreStatus {
                    models_active: count("SELECT COUNT(*) FROM models WHERE is_active").await?,
                    models_inactive: count("SELECT COUNT(*) FROM models WHERE NOT is_active").await?,
                    offers_active: count("SELECT COUNT(*) FROM offers WHERE is_active").await?,
                    offers_inactive: count("SELECT COUNT(*) FROM offers WHERE NOT is_active").await?,
                    price_intervals: count("SELECT COUNT(*) FROM prices").await?,
                    change_events: count("SELECT COUNT(*) FROM change_events").await?,
                    last_run,
                    last_success,
                })
            }

            async fn benchmark_scores(&self, as_of: Option<UnixMs>) -> StoreResult<Vec<BenchmarkRecord>> {
                let query = match as_of {
                    None => sqlx::query(
                        "SELECT * FROM benchmark_scores WHERE valid_to IS NULL \
                         ORDER BY model_id, benchmark, category, metric, source",
                    ),
                    Some(t) => sqlx::query(
                        "SELECT * FROM benchmark_scores WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) \
                         ORDER BY model_id, benchmark, category, metric, source",
                    )
                    .bind(t),
                };
                fetch_mapped(query, &self.pool, benchmark_from_row).await
            }

            async fn benchmark_history(&self, model_id: Option<&str>) -> StoreResult<Vec<BenchmarkRecord>> {
                let query = sqlx::query(
                    "SELECT * FROM benchmark_scores WHERE $1 IS NULL OR model_id = $1 \
                     ORDER BY model_id, benchmark, category, metric, source, valid_from",
                )
                .bind(model_id);
                fetch_mapped(query, &self.pool, benchmark_from_row).await
            }

            async fn record_benchmarks(&self, writes: &BenchmarkWrites, run: &NewRun, origin: &str) -> StoreResult<i64> {
                let status = if writes.is_empty() { "no_change" } else { "succeeded" };
                let finished_at = jiff::Timestamp::now().as_millisecond();
                let outcome = RunOutcome {
                    status: status.into(),
                    origin: Some(origin.into()),
                    finished_at,
                    duration_ms: (finished_at - run.started_at).max(0),
                    changes: (writes.open.len() + writes.close.len()) as i64,
                    ..RunOutcome::default()
                };
                let mut tx = self.pool.begin().await?;
                let run_id = insert_run(&mut tx, run).await?;
                write_outcome(&mut tx, run_id, &outcome).await?;
                write_benchmarks(&mut tx, writes, Some(run_id)).await?;
                tx.commit().await?;
                Ok(run_id)
            }

            async fn claim_lease(&self, lease: &Lease) -> StoreResult<LeaseClaim> {
                let claimed: Option<(String, i64, i64)> = sqlx::query_as(concat!(
                    "INSERT INTO sync_lock (name, holder, since, expires_at) VALUES ($1, $2, ", $now, ", ", $now,
                    " + $3) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, \
                     expires_at = excluded.expires_at, \
                     since = CASE WHEN sync_lock.holder = excluded.holder THEN sync_lock.since ELSE excluded.since END \
                     WHERE sync_lock.expires_at <= excluded.since OR sync_lock.holder = excluded.holder \
                     RETURNING holder, since, expires_at"
                ))
                .bind(&lease.name)
                .bind(&lease.holder)
                .bind(lease.ttl_ms)
                .fetch_optional(&self.pool)
                .await?;
                let held = |(holder, since, expires_at)| LeaseHolder { holder, since, expires_at };
                if let Some(row) = claimed {
                    return Ok(LeaseClaim::Held(held(row)));
                }
                let current: Option<(String, i64, i64)> =
                    sqlx::query_as("SELECT holder, since, expires_at FROM sync_lock WHERE name = $1")
                        .bind(&lease.name)
                        .fetch_optional(&self.pool)
                        .await?;
                // Released between the two statements: try again next time.
                Ok(current.map_or(LeaseClaim::Busy(None), |row| LeaseClaim::Busy(Some(held(row)))))
            }

            async fn release_lease(&self, lease: &Lease) -> StoreResult<()> {
                sqlx::query("DELETE FROM sync_lock WHERE name = $1 AND holder = $2")
                    .bind(&lease.name)
                    .bind(&lease.holder)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn abandon_runs(&self) -> StoreResult<Vec<SyncRun>> {
                let rows = sqlx::query(concat!(
                    "UPDATE sync_runs SET status = 'abandoned', finished_at = ", $now, ", \
                     error = 'abandoned: ' || holder || ' stopped before finishing this run' \
                     WHERE status = 'running' RETURNING *"
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(run_from_row).collect()
            }

            async fn catalog_version(&self) -> StoreResult<i64> {
                let version: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(id) FROM sync_runs WHERE status = 'succeeded'")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(version.unwrap_or(0))
            }

            async fn lease_holder(&self, name: &str) -> StoreResult<Option<LeaseHolder>> {
                let row: Option<(String, i64, i64)> = sqlx::query_as(concat!(
                    "SELECT holder, since, expires_at FROM sync_lock WHERE name = $1 AND expires_at > ",
                    $now
                ))
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(holder, since, expires_at)| LeaseHolder { holder, since, expires_at }))
            }

            async fn last_finished_sync(&self, source: &str) -> StoreResult<Option<UnixMs>> {
                Ok(sqlx::query_scalar(
                    "SELECT MAX(finished_at) FROM sync_runs WHERE source = $1 \
                     AND status IN ('succeeded', 'no_change')",
                )
                .bind(source)
                .fetch_one(&self.pool)
                .await?)
            }
        }
        }
    };
}

pub(super) use sql_store;
