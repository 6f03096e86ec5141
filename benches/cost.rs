//! Cost benchmarks: one request priced with its offer already chosen, one priced from a raw
//! client id (resolution included), usage parsing, and one batch line read, priced and written.
//! Batch throughput of the real binary: `python3 bench/cost_batch.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use llmcost::cost::{BatchPricer, BatchWriter, PriceBook, PricePlan, Usage, price_line_reference, price_request};
use llmcost::domain::CatalogState;
use llmcost::sources::openrouter::{parse_models, to_catalog};
use llmcost::store::PriceRecord;
use std::hint::black_box;

/// The real 2026-08-14 OpenRouter catalog as a price book (every price valid since 0).
fn book() -> (PriceBook, CatalogState) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/models_2026-08-14.json");
    let body = std::fs::read(path).expect("fixture");
    let state = CatalogState::applied(to_catalog(&parse_models(&body).expect("parses")).expect("maps"), 0);
    let intervals = state
        .offers
        .values()
        .flat_map(|o| {
            o.prices.iter().map(|(key, p)| {
                let price = llmcost::domain::Price { key: key.clone(), value: p.value, scope: p.scope };
                (o.offer.key.to_string(), PriceRecord { price, valid_from: 0, valid_to: None })
            })
        })
        .collect();
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
    // The ids clients send, one per resolution rule (exact, slug, normalised, undated), and a provider.
    for (name, id, provider) in [
        ("cost_from_raw_client_id_gpt-4o", "gpt-4o", None),
        ("cost_from_raw_client_id_azure", "azure/gpt-4o", None),
        ("cost_from_raw_client_id_anthropic", "anthropic/claude-sonnet-5", None),
        ("cost_from_raw_client_id_normalized", "Anthropic/Claude-Sonnet-5", None),
        ("cost_from_raw_client_id_dated", "claude-sonnet-5-20260101", None),
        ("cost_from_raw_client_id_provider", "moonshotai/kimi-k3", Some("openrouter")),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| book.quote(black_box(id), black_box(&usage), provider, None, None).expect("prices"))
        });
    }
    let body: serde_json::Value = serde_json::from_str(
        r#"{"prompt_tokens":5489,"completion_tokens":15000,"prompt_tokens_details":{"cached_tokens":96,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":14397},"cost":0.2412078}"#,
    )
    .expect("JSON");
    c.bench_function("usage_detect_openrouter", |b| b.iter(|| Usage::detect(black_box(&body)).expect("usage")));

    // A line of `cost --batch` (a recorded OpenRouter usage): read, priced and written as JSON.
    let line = format!(r#"{{"model":"moonshotai/kimi-k3","usage":{body}}}"#);
    let (mut pricer, mut writer, mut out) = (BatchPricer::new(&book), BatchWriter::new(), Vec::new());
    c.bench_function("batch_line", |b| {
        b.iter(|| {
            out.clear();
            let priced = pricer.price(black_box(&line)).expect("prices");
            writer.cost(&mut out, 1, &priced);
        })
    });
    // The same line the plain way: a `Value`, a quote, `serde_json` output.
    c.bench_function("batch_line_reference", |b| {
        b.iter(|| {
            out.clear();
            let quote = price_line_reference(&book, black_box(&line)).expect("prices");
            serde_json::to_writer(&mut out, &quote).expect("serialisable");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
