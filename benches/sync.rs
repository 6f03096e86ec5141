//! In-process benchmarks of the sync's pure stages: parsing and mapping a catalog, and
//! diffing it against a stored one, at growing sizes (time should grow linearly).
//! End-to-end figures with the real binary and SQLite: `python3 bench/sync.py`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use llmcost::domain::CatalogState;
use llmcost::sources::openrouter::{parse_models, to_catalog};
use llmcost::sync::{DiffOptions, diff};
use serde_json::Value;
use std::hint::black_box;

/// The real 2026-08-08 catalog replicated under new ids to `n` listings.
fn synthetic(n: usize) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/models_2026-08-08.json");
    let models: Vec<Value> = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    let listings: Vec<&Value> = models.iter().filter(|m| !m["id"].as_str().unwrap_or("~").starts_with('~')).collect();
    let out: Vec<Value> = (0..n)
        .map(|i| {
            let mut m = listings[i % listings.len()].clone();
            let id = m["id"].as_str().unwrap_or_default().to_string();
            let (base, variant) = id.split_once(':').map_or((id.as_str(), None), |(b, v)| (b, Some(v)));
            let copy = i / listings.len();
            m["id"] = Value::String(format!("{base}-{copy}{}", variant.map(|v| format!(":{v}")).unwrap_or_default()));
            m["canonical_slug"] = Value::String(format!("{base}-{copy}-canonical"));
            m
        })
        .collect();
    serde_json::to_vec(&out).expect("serialises")
}

/// The state a store would hold after applying `body`.
fn stored(body: &[u8]) -> CatalogState {
    CatalogState::applied(to_catalog(&parse_models(body).expect("parses")).expect("maps"), 0)
}

fn bench(c: &mut Criterion) {
    let opts = DiffOptions { alert_threshold_percent: 30.into() };
    let mut parse = c.benchmark_group("parse_and_map");
    parse.sample_size(10);
    for n in [400, 4_000, 40_000] {
        let body = synthetic(n);
        parse.throughput(Throughput::Elements(n as u64));
        parse.bench_with_input(BenchmarkId::from_parameter(n), &body, |b, body| {
            b.iter(|| to_catalog(&parse_models(black_box(body)).expect("parses")).expect("maps"))
        });
    }
    parse.finish();

    let mut group = c.benchmark_group("diff_no_change");
    group.sample_size(10);
    for n in [400, 4_000, 40_000] {
        let body = synthetic(n);
        let state = stored(&body);
        let catalog = to_catalog(&parse_models(&body).expect("parses")).expect("maps");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &(state, catalog), |b, (state, catalog)| {
            b.iter(|| diff(black_box(state), black_box(catalog), &opts))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("diff_first_sync");
    group.sample_size(10);
    for n in [400, 4_000, 40_000] {
        let body = synthetic(n);
        let catalog = to_catalog(&parse_models(&body).expect("parses")).expect("maps");
        let empty = CatalogState::default();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &catalog, |b, catalog| {
            b.iter(|| diff(black_box(&empty), black_box(catalog), &opts))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
