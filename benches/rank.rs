//! Rankings benchmark: the real 2026-08-14 OpenRouter catalog (414 models, 228 with
//! benchmarks) replicated to 5,000 models, each with two provider endpoints, ranked overall
//! and for coding, over an index built once per catalog version (as the server does).
//! Target: under 5 ms per ranking.

use criterion::{Criterion, criterion_group, criterion_main};
use llmcost::domain::{BenchmarkScore, ModelId, OfferKey, scores_from_openrouter};
use llmcost::rank::{Category, RankIndex, RankQuery, RouteQuery, catalog_scores, rank, route};
use llmcost::sources::openrouter::{parse_models, to_catalog};
use llmcost::store::{ModelRecord, OfferRecord, PriceRecord};
use std::collections::HashMap;
use std::hint::black_box;

/// How many models the generated catalog holds.
const MODELS: usize = 5_000;

/// The real catalog as store records, copied (ids suffixed `-copyN`) up to [`MODELS`] models.
fn catalog() -> (Vec<ModelRecord>, Vec<BenchmarkScore>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/models_2026-08-14.json");
    let body = std::fs::read(path).expect("fixture");
    let catalog = to_catalog(&parse_models(&body).expect("parses")).expect("maps");
    let mut offers_by_model: HashMap<String, Vec<OfferRecord>> = HashMap::new();
    for offer in catalog.offers {
        let prices =
            offer.prices.iter().map(|p| PriceRecord { price: p.clone(), valid_from: 0, valid_to: None }).collect();
        let record = OfferRecord { offer, is_active: true, first_seen: 0, last_seen: 0, prices };
        offers_by_model.entry(record.offer.model_id.to_string()).or_default().push(record);
    }
    let mut records = Vec::with_capacity(MODELS);
    'copies: for copy in 0.. {
        for model in &catalog.models {
            if records.len() == MODELS {
                break 'copies;
            }
            let id = if copy == 0 { model.id.to_string() } else { format!("{}-copy{copy}", model.id) };
            let mut m = model.clone();
            m.id = ModelId::parse(&id).expect("id");
            let mut offers = Vec::new();
            for o in offers_by_model.get(model.id.as_str()).into_iter().flatten() {
                let listing = o.offer.listing_id.replacen(model.id.as_str(), &id, 1);
                for served_by in [None, Some("alpha/fp8"), Some("beta")] {
                    if served_by.is_some() && o.offer.variant.is_some() {
                        continue;
                    }
                    let mut e = o.clone();
                    e.offer.model_id = m.id.clone();
                    e.offer.listing_id = listing.clone();
                    e.offer.served_by = served_by.map(str::to_string);
                    e.offer.provider = served_by.map(|s| s.split('/').next().unwrap_or(s).to_string());
                    e.offer.key = OfferKey::new(&e.offer.source, &e.offer.seller, &listing, served_by);
                    offers.push(e);
                }
            }
            records.push(ModelRecord {
                model: m,
                is_active: true,
                first_seen: 0,
                last_seen: 0,
                offers,
                aliases: vec![],
            });
        }
    }
    let scores: Vec<BenchmarkScore> = records
        .iter()
        .filter_map(|r| r.model.benchmarks.as_ref().map(|b| scores_from_openrouter(&r.model.id, b)))
        .flatten()
        .collect();
    (records, scores)
}

fn bench(c: &mut Criterion) {
    let (records, scores) = catalog();
    assert_eq!(records.len(), MODELS);
    let overall = RankQuery::default();
    let coding = RankQuery { category: Category::Coding, min_providers: 2, ..RankQuery::default() };
    let ranked = rank(&records, &scores, &overall);
    assert!(ranked.total_ranked > 1_500, "{} ranked", ranked.total_ranked);
    // The server builds the index once per catalog version and ranks every query with it.
    let index = RankIndex::new(&records, &scores);
    assert_eq!(index.rank(&records, &overall), ranked);
    c.bench_function("rank_5000_models_overall", |b| b.iter(|| index.rank(black_box(&records), &overall)));
    c.bench_function("rank_5000_models_coding_min_providers", |b| b.iter(|| index.rank(black_box(&records), &coding)));
    let top = RankQuery { limit: Some(50), ..RankQuery::default() };
    c.bench_function("rank_5000_models_top_50", |b| b.iter(|| index.rank(black_box(&records), &top)));
    c.bench_function("rank_index_build_5000", |b| b.iter(|| RankIndex::new(black_box(&records), &scores)));
    c.bench_function("rank_5000_models_cold", |b| b.iter(|| rank(black_box(&records), &scores, &overall)));
    c.bench_function("rank_scores_from_catalog_5000", |b| b.iter(|| catalog_scores(black_box(&records), vec![])));
    let gpt = records.iter().find(|r| r.model.id.as_str() == "openai/gpt-4o").expect("gpt-4o");
    c.bench_function("route_one_model", |b| b.iter(|| route(black_box(gpt), &RouteQuery::default()).expect("routes")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
