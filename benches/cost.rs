//! Cost benchmarks: one request priced with its offer already chosen, one priced from a raw
//! client id (resolution included), and usage parsing. Batch throughput of the real binary:
//! `python3 bench/cost_batch.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use llmcost::cost::{PriceBook, PricePlan, Usage, price_request};
use llmcost::domain::{CatalogState, CurrentPrice, StoredAlias, StoredModel, StoredOffer};
use llmcost::sources::openrouter::{parse_models, to_catalog};
use llmcost::store::PriceRecord;
use std::hint::black_box;

/// The real 2026-08-14 OpenRouter catalog as a price book (every price valid since 0).
fn book() -> (PriceBook, CatalogState) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/models_2026-08-14.json");
    let body = std::fs::read(path).expect("fixture");
    let catalog = to_catalog(&parse_models(&body).expect("parses")).expect("maps");
    let mut state = CatalogState::default();
    let mut intervals = Vec::new();
    for m in catalog.models {
        state.models.insert(m.id.to_string(), StoredModel { model: m, is_active: true });
    }
    for mut o in catalog.offers {
        let prices = o
            .prices
            .drain(..)
            .map(|p| {
                intervals.push((o.key.to_string(), PriceRecord { price: p.clone(), valid_from: 0, valid_to: None }));
                (p.key, CurrentPrice { value: p.value, scope: p.scope, valid_from: 0 })
            })
            .collect();
        state.offers.insert(o.key.to_string(), StoredOffer { offer: o, is_active: true, prices });
    }
    for a in catalog.aliases {
        state.aliases.insert(a.state_key(), StoredAlias { alias: a, is_active: true });
    }
    (PriceBook::new(&state, intervals), state)
}

fn bench(c: &mut Criterion) {
    let (book, state) = book();
    let usage = Usage { input: 4_000, cache_read: 8_000, output: 900, reasoning: 300, ..Usage::default() };
    let offer = state
        .offers
        .values()
        .find(|o| o.offer.listing_id == "moonshotai/kimi-k3" && o.offer.served_by.is_none())
        .expect("kimi-k3 is listed");
    let prices: Vec<_> = offer
        .prices
        .iter()
        .map(|(k, p)| llmcost::domain::Price { key: k.clone(), value: p.value, scope: p.scope })
        .collect();
    let at = jiff::Timestamp::now();

    let plan = PricePlan::new(&prices, None).expect("valid prices");
    c.bench_function("cost_resolved_offer", |b| b.iter(|| plan.price(black_box(&usage), at).expect("prices")));
    c.bench_function("cost_unplanned_prices", |b| {
        b.iter(|| price_request(black_box(&prices), None, black_box(&usage), at).expect("prices"))
    });
    c.bench_function("cost_from_raw_client_id", |b| {
        b.iter(|| book.quote(black_box("moonshotai/kimi-k3"), black_box(&usage), None, None, None).expect("prices"))
    });
    c.bench_function("cost_from_raw_client_id_slug", |b| {
        b.iter(|| book.quote(black_box("kimi-k3"), black_box(&usage), None, None, None).expect("prices"))
    });
    let body: serde_json::Value = serde_json::from_str(
        r#"{"prompt_tokens":5489,"completion_tokens":15000,"prompt_tokens_details":{"cached_tokens":96,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":14397},"cost":0.2412078}"#,
    )
    .expect("JSON");
    c.bench_function("usage_detect_openrouter", |b| b.iter(|| Usage::detect(black_box(&body)).expect("usage")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
