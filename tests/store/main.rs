//! The store contract: every test here runs on SQLite and on a real PostgreSQL database,
//! and the same sync story must read back identically from both.

#[path = "../support/databases.rs"]
mod databases;

use databases::{Backend, TestDb};
use llmcost::config::OpenRouterSettings;
use llmcost::domain::{CatalogState, PriceValue, RunTrigger};
use llmcost::sources::{Source, openrouter};
use llmcost::store::{self, ChangeQuery, Lease, LeaseClaim, NewRun, RunOutcome, Store, StoreError};
use llmcost::sync::{self, DiffOptions, Filter, LockSettings, SyncInput, SyncRequest};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

/// Milliseconds of a date.
fn day(date: &str) -> i64 {
    llmcost::domain::parse_time(date).expect("date")
}

fn request(source: Source, file: &str, observed_at: &str) -> SyncRequest {
    SyncRequest {
        trigger: RunTrigger::Cli,
        source,
        input: SyncInput::File(fixture(file)),
        url: None,
        openrouter: OpenRouterSettings { endpoints: false, ..OpenRouterSettings::default() },
        api_key: None,
        filter: Filter::default(),
        dry_run: false,
        force: false,
        min_ratio: Decimal::new(5, 1),
        alert_threshold_percent: Decimal::from(30),
        observed_at: Some(day(observed_at)),
        progress: false,
        lock: LockSettings::default(),
        min_interval: None,
    }
}

/// Three OpenRouter catalogs in date order, then LiteLLM's price file; everything the store
/// can say afterwards, as JSON (run timings and holders left out: they differ per run).
async fn story(store: &dyn Store) -> Value {
    for (source, file, at) in [
        (Source::Openrouter, "openrouter/models_2026-07-17.json", "2026-07-17"),
        (Source::Openrouter, "openrouter/models_2026-08-08.json", "2026-08-08"),
        (Source::Openrouter, "openrouter/models_2026-08-14.json", "2026-08-14"),
        (Source::Litellm, "litellm/model_prices_and_context_window_backup_litellm-1.109.1.json", "2026-08-15"),
    ] {
        let report = sync::run(store, &request(source, file, at)).await.expect("sync");
        assert!(report.run_id.is_some());
    }
    let runs: Vec<Value> = store
        .runs(100)
        .await
        .expect("runs")
        .into_iter()
        .map(|r| json!([r.id, r.source, r.status, r.origin, r.models_seen, r.added, r.removed, r.repriced, r.changes]))
        .collect();
    let changes = store.changes(&ChangeQuery { limit: 1_000_000, ..ChangeQuery::default() }).await.expect("changes");
    let mut status = serde_json::to_value(store.status().await.expect("status")).expect("json");
    for key in ["last_run", "last_success"] {
        status[key] = status[key]["id"].clone();
    }
    json!({
        "now": store.catalog(None).await.expect("catalog"),
        "as_of_aug_1": store.catalog(Some(day("2026-08-01"))).await.expect("catalog as of"),
        "intervals": store.price_intervals().await.expect("intervals"),
        "history": store.price_history("openai/gpt-4o", None).await.expect("history"),
        "changes": changes,
        "runs": runs,
        "status": status,
        "resolve": [
            store.resolve("gpt-4o").await.expect("resolve"),
            store.resolve("openai/gpt-4o").await.expect("resolve"),
            store.resolve("no-such-model").await.expect("resolve"),
        ],
        "last_finished": store.last_finished_sync("openrouter").await.expect("last").is_some(),
        "benchmarks": store.benchmark_history(None).await.expect("benchmarks"),
    })
}

both_backends!(sync_story_keeps_history_and_invariants, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let told = story(store.as_ref()).await;
    // Every price key has at most one open interval, and intervals never overlap.
    let mut by_key: std::collections::BTreeMap<String, Vec<(i64, Option<i64>)>> = Default::default();
    for (offer, r) in store.price_intervals().await.expect("intervals") {
        let k = format!("{offer} {:?}", r.price.key);
        by_key.entry(k).or_default().push((r.valid_from, r.valid_to));
    }
    for (key, mut spans) in by_key {
        spans.sort();
        assert!(spans.iter().filter(|(_, to)| to.is_none()).count() <= 1, "{key}: two open intervals");
        for w in spans.windows(2) {
            assert!(w[0].1.is_some_and(|to| to <= w[1].0), "{key}: overlapping {w:?}");
        }
    }
    assert!(told["changes"].as_array().expect("changes").len() > 100);
    assert_eq!(told["runs"].as_array().expect("runs").len(), 4);
    assert_eq!(told["resolve"][2], Value::Null);
    assert_eq!(told["resolve"][1], "openai/gpt-4o");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_tell_the_same_story() {
    let Some(pg) = TestDb::new(Backend::Postgres, "sqlite_and_postgres_tell_the_same_story").await else { return };
    let lite = TestDb::new(Backend::Sqlite, "story").await.expect("sqlite");
    let from_sqlite = story(store::open(lite.url()).await.expect("open sqlite").as_ref()).await;
    let from_postgres = story(store::open(pg.url()).await.expect("open postgres").as_ref()).await;
    for key in [
        "now",
        "as_of_aug_1",
        "intervals",
        "history",
        "changes",
        "runs",
        "status",
        "resolve",
        "last_finished",
        "benchmarks",
    ] {
        assert_eq!(from_sqlite[key], from_postgres[key], "backends disagree on {key}");
    }
}

/// A one-model change set from the recorded excerpt, with its first price replaced.
fn change_set_with_price(amount: &str) -> (llmcost::domain::ChangeSet, String) {
    let body = std::fs::read(fixture("openrouter/models_2026-09-16_excerpt.json")).expect("fixture");
    let mut catalog = openrouter::to_catalog(&openrouter::parse_models(&body).expect("parse")).expect("catalog");
    catalog.models.truncate(1);
    let id = catalog.models[0].id.clone();
    catalog.offers.retain(|o| o.model_id == id);
    catalog.aliases.retain(|a| a.model_id == id);
    catalog.offers[0].prices[0].value = PriceValue::Fixed(Decimal::from_str(amount).expect("decimal"));
    catalog.offers[0].discount = Some(Decimal::from_str("0.0000000000000000000000000001").expect("decimal"));
    let key = catalog.offers[0].key.to_string();
    let opts = DiffOptions { alert_threshold_percent: Decimal::from(30) };
    (sync::diff(&CatalogState::default(), &catalog, &opts), key)
}

async fn new_run(store: &dyn Store) -> i64 {
    let run = NewRun { trigger: "cli".into(), source: "openrouter".into(), holder: "test:1".into(), started_at: 1 };
    store.begin_run(&run).await.expect("begin run")
}

fn succeeded() -> RunOutcome {
    RunOutcome { status: "succeeded".into(), finished_at: 2, ..RunOutcome::default() }
}

both_backends!(money_round_trips_to_the_last_digit, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    for (i, amount) in ["0.000000075000000000000001", "0.0000025000", "12345678901234.5678901234"].iter().enumerate() {
        let (changes, key) = change_set_with_price(amount);
        let run = new_run(store.as_ref()).await;
        let at = 1_000 + i64::try_from(i).expect("small") * 1_000;
        if i == 0 {
            store.apply(run, at, &changes, None, &succeeded(), None).await.expect("apply");
        } else {
            let current = store.load_state().await.expect("state");
            let (incoming, _) = change_set_with_price(amount);
            // Re-pricing: close the open interval of the first price and open the new one.
            let mut repriced = llmcost::domain::ChangeSet::default();
            let offer = &current.offers[&key];
            let (pk, _) = offer.prices.iter().next().expect("a price");
            repriced.close_prices.push((key.clone(), pk.clone()));
            let new_price = incoming.open_prices.iter().find(|(k, p)| *k == key && p.key == *pk).expect("price");
            repriced.open_prices.push(new_price.clone());
            store.apply(run, at, &repriced, None, &succeeded(), None).await.expect("apply");
        }
        let state = store.load_state().await.expect("state");
        let offer = &state.offers[&key];
        let stored = offer.prices.values().next().expect("price").value;
        match stored {
            PriceValue::Fixed(d) => assert_eq!(d.to_string(), *amount, "amount changed on the way through"),
            PriceValue::Variable => panic!("became variable"),
        }
        assert_eq!(offer.offer.discount.map(|d| d.to_string()).as_deref(), Some("0.0000000000000000000000000001"));
    }
    // Each re-pricing closed the previous interval at the new one's start.
    let intervals: Vec<_> = store.price_intervals().await.expect("intervals");
    let first_key = intervals[0].1.price.key.clone();
    let spans: Vec<_> =
        intervals.iter().filter(|(_, r)| r.price.key == first_key).map(|(_, r)| (r.valid_from, r.valid_to)).collect();
    assert_eq!(spans, vec![(1_000, Some(2_000)), (2_000, Some(3_000)), (3_000, None)]);
});

both_backends!(a_failed_apply_changes_nothing, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let (changes, _) = change_set_with_price("0.000001");
    let run = new_run(store.as_ref()).await;
    store.apply(run, 1_000, &changes, None, &succeeded(), None).await.expect("apply");
    let before = serde_json::to_value(store.catalog(None).await.expect("catalog")).expect("json");
    // An offer of a model that does not exist violates a foreign key after other writes
    // of the same transaction succeeded.
    let (mut broken, _) = change_set_with_price("0.000002");
    broken.upsert_models.clear();
    for o in &mut broken.upsert_offers {
        o.model_id = llmcost::domain::ModelId::parse("ghost/model").expect("id");
    }
    broken.deactivate_models = vec![changes.upsert_models[0].id.to_string()];
    let run2 = new_run(store.as_ref()).await;
    let err = store.apply(run2, 2_000, &broken, None, &succeeded(), None).await.expect_err("must fail");
    assert!(matches!(err, StoreError::Db(_)), "{err}");
    let after = serde_json::to_value(store.catalog(None).await.expect("catalog")).expect("json");
    assert_eq!(before, after);
    let runs = store.runs(10).await.expect("runs");
    assert_eq!(runs[0].status, "running", "the failed run's outcome was not written either");
});

both_backends!(the_lease_excludes_renews_and_lapses, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let lease = |holder: &str, ttl_ms| Lease { name: "sync".into(), holder: holder.into(), ttl_ms };
    let (a, b) = (lease("host-a:1#1", 60_000), lease("host-b:2#1", 60_000));
    let LeaseClaim::Held(first) = store.claim_lease(&a).await.expect("claim") else { panic!("a should hold it") };
    match store.claim_lease(&b).await.expect("claim") {
        LeaseClaim::Busy(Some(h)) => assert_eq!(h.holder, a.holder),
        other => panic!("b should be refused: {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let LeaseClaim::Held(renewed) = store.claim_lease(&a).await.expect("renew") else { panic!("a renews") };
    assert_eq!(renewed.since, first.since, "renewal keeps the start");
    assert!(renewed.expires_at > first.expires_at, "renewal extends the expiry");
    store.release_lease(&b).await.expect("release by a non-holder is a no-op");
    assert!(matches!(store.claim_lease(&b).await.expect("claim"), LeaseClaim::Busy(Some(_))));
    store.release_lease(&a).await.expect("release");
    assert!(matches!(store.claim_lease(&b).await.expect("claim"), LeaseClaim::Held(_)));
    store.release_lease(&b).await.expect("release");

    // A holder that stops renewing loses the lease once it lapses, and then cannot commit.
    let stalled = lease("host-c:3#1", 150);
    assert!(matches!(store.claim_lease(&stalled).await.expect("claim"), LeaseClaim::Held(_)));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let taker = lease("host-d:4#1", 60_000);
    let LeaseClaim::Held(taken) = store.claim_lease(&taker).await.expect("claim") else { panic!("takeover") };
    assert_eq!(taken.holder, taker.holder);
    let (changes, _) = change_set_with_price("0.000001");
    let run = new_run(store.as_ref()).await;
    let err = store.apply(run, 1_000, &changes, None, &succeeded(), Some(&stalled)).await.expect_err("lost");
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    assert!(store.catalog(None).await.expect("catalog").is_empty(), "nothing was written");
    store.apply(run, 1_000, &changes, None, &succeeded(), Some(&taker)).await.expect("the holder commits");
    assert_eq!(store.catalog(None).await.expect("catalog").len(), 1);
});

both_backends!(runs_left_running_are_abandoned, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    let dead = new_run(store.as_ref()).await;
    let done = new_run(store.as_ref()).await;
    store.finish_run(done, &succeeded()).await.expect("finish");
    let abandoned = store.abandon_runs().await.expect("abandon");
    assert_eq!(abandoned.iter().map(|r| r.id).collect::<Vec<_>>(), vec![dead]);
    let runs = store.runs(10).await.expect("runs");
    let dead_run = runs.iter().find(|r| r.id == dead).expect("dead run");
    assert_eq!(dead_run.status, "abandoned");
    assert!(dead_run.error.as_deref().is_some_and(|e| e.contains("test:1")), "{:?}", dead_run.error);
    assert!(dead_run.finished_at.is_some());
    assert_eq!(runs.iter().find(|r| r.id == done).expect("done").status, "succeeded");
    assert!(store.abandon_runs().await.expect("again").is_empty());
    assert_eq!(store.last_finished_sync("openrouter").await.expect("last"), Some(2));
});

#[test]
fn both_migration_folders_list_the_same_versions() {
    let versions = |backend: &str| -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations").join(backend);
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (versions("sqlite"), versions("postgres"));
    assert!(sqlite.len() >= 3);
    assert_eq!(sqlite, postgres);
}

both_backends!(benchmarks_keep_history_like_prices, |db: TestDb| async move {
    let store = store::open(db.url()).await.expect("open");
    sync::run(store.as_ref(), &request(Source::Openrouter, "openrouter/models_2026-08-14.json", "2026-08-14"))
        .await
        .expect("sync");
    let first = store.benchmark_scores(None).await.expect("scores");
    assert!(first.len() > 1000, "{} scores", first.len());
    assert!(first.iter().all(|r| r.valid_from == day("2026-08-14") && r.valid_to.is_none()));

    // The same catalog a week later with one score changed and one model's arena scores gone.
    let mut body: Value =
        serde_json::from_slice(&std::fs::read(fixture("openrouter/models_2026-08-14.json")).expect("fixture"))
            .expect("json");
    let models = body["data"].as_array_mut().expect("data");
    let changed = models.iter().position(|m| m["benchmarks"]["artificial_analysis"].is_object()).expect("aa");
    let changed_id = models[changed]["id"].as_str().expect("id").to_string();
    let old = models[changed]["benchmarks"]["artificial_analysis"]["coding_index"].clone();
    models[changed]["benchmarks"]["artificial_analysis"]["coding_index"] = json!(12.25);
    let dropped = models.iter().position(|m| m["benchmarks"]["design_arena"].is_array()).expect("arena");
    let dropped_id = models[dropped]["id"].as_str().expect("id").to_string();
    models[dropped]["benchmarks"]["design_arena"] = json!([]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("models.json");
    std::fs::write(&path, serde_json::to_vec(&body).expect("json")).expect("write");
    let mut again = request(Source::Openrouter, "unused", "2026-08-21");
    again.input = SyncInput::File(path);
    sync::run(store.as_ref(), &again).await.expect("sync again");

    let history = store.benchmark_history(Some(&changed_id)).await.expect("history");
    let coding: Vec<_> = history
        .iter()
        .filter(|r| r.score.key.benchmark == "artificial_analysis" && r.score.key.category == "coding")
        .collect();
    assert_eq!(coding.len(), 2, "{coding:?}");
    assert_eq!(coding[0].score.score.to_string(), old.to_string());
    assert_eq!(coding[0].valid_to, Some(day("2026-08-21")));
    assert_eq!((coding[1].score.score, coding[1].valid_to), (Decimal::from_str("12.25").expect("dec"), None));
    // Unchanged scores were not written again.
    let all = store.benchmark_history(None).await.expect("all");
    let arena_gone = first.iter().filter(|r| r.score.model_id == dropped_id && r.score.key.benchmark == "design_arena");
    assert_eq!(all.len(), first.len() + 1);
    let now = store.benchmark_scores(None).await.expect("now");
    assert_eq!(now.len(), first.len() - arena_gone.count());
    let before = store.benchmark_scores(Some(day("2026-08-15"))).await.expect("as of");
    assert_eq!(before.len(), first.len());

    // An import appends history, exact to the last digit.
    let row = llmcost::domain::BenchmarkRow {
        line: 2,
        score: llmcost::domain::BenchmarkScore {
            model_id: changed_id.clone(),
            key: llmcost::domain::BenchmarkKey::new("swe-bench", "coding", "resolved"),
            score: Decimal::from_str("48.1234567890123456789").expect("dec"),
            source: "import:test".into(),
        },
        at: day("2026-08-22"),
    };
    let writes = llmcost::domain::plan_import(&now, std::slice::from_ref(&row)).expect("plan");
    let version = store.catalog_version().await.expect("version");
    let import = NewRun { trigger: "cli".into(), source: "benchmarks".into(), holder: "test:1".into(), started_at: 7 };
    let run_id = store.record_benchmarks(&writes, &import, "file").await.expect("import");
    let imported = store.benchmark_history(Some(&changed_id)).await.expect("history");
    let got = imported.iter().find(|r| r.score.key.benchmark == "swe-bench").expect("imported");
    assert_eq!(got.score, row.score);
    // The import is a run of its own and moves the catalog's version: running servers reload
    // their rankings. An import that writes nothing leaves the version alone.
    assert!(run_id > version, "{run_id} after {version}");
    assert_eq!(store.catalog_version().await.expect("version"), run_id);
    let empty = store.record_benchmarks(&Default::default(), &import, "file").await.expect("no change");
    assert_eq!(store.catalog_version().await.expect("version"), run_id);
    let runs = store.runs(2).await.expect("runs");
    let shown: Vec<_> = runs.iter().map(|r| (r.id, r.source.as_str(), r.status.as_str(), r.changes)).collect();
    assert_eq!(shown, [(empty, "benchmarks", "no_change", 0), (run_id, "benchmarks", "succeeded", 1)]);
    assert_eq!(runs[1].origin.as_deref(), Some("file"));
});
