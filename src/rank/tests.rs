//! Rankings and routing against hand-computed values on a small catalog.

use super::*;
use crate::domain::{
    BenchmarkKey, BenchmarkScore, Component, Model, ModelId, Offer, OfferHealth, OfferKey, Price, PriceKey, PriceValue,
    TierScope,
};
use crate::store::{ModelRecord, OfferRecord, PriceRecord};
use rust_decimal::{Decimal, dec};

fn model(id: &str) -> Model {
    Model {
        id: ModelId::parse(id).expect("id"),
        name: id.to_uppercase(),
        description: None,
        canonical_slug: None,
        hugging_face_id: None,
        created: None,
        context_length: Some(128_000),
        max_completion_tokens: None,
        is_moderated: None,
        modality: None,
        input_modalities: vec!["text".into()],
        output_modalities: vec!["text".into()],
        tokenizer: None,
        instruct_type: None,
        supported_parameters: vec!["tools".into()],
        default_parameters: None,
        supported_voices: None,
        per_request_limits: None,
        reasoning: None,
        benchmarks: None,
        knowledge_cutoff: None,
        expiration_date: None,
    }
}

fn price(component: Component, usd_per_million: Decimal) -> PriceRecord {
    PriceRecord {
        price: Price {
            key: PriceKey::base(component),
            value: PriceValue::Fixed(usd_per_million / Decimal::from(1_000_000)),
            scope: TierScope::WholeRequest,
        },
        valid_from: 0,
        valid_to: None,
    }
}

fn offer(model_id: &str, listing: &str, served_by: Option<&str>, input: Decimal, output: Decimal) -> OfferRecord {
    let (_, variant) = crate::domain::listing_parts(listing);
    OfferRecord {
        offer: Offer {
            key: OfferKey::new("openrouter", "openrouter", listing, served_by),
            model_id: ModelId::parse(model_id).expect("id"),
            source: "openrouter".into(),
            seller: "openrouter".into(),
            served_by: served_by.map(str::to_string),
            provider: served_by.map(|s| s.split('/').next().unwrap_or(s).to_string()),
            provider_name: None,
            listing_id: listing.into(),
            variant: variant.map(str::to_string),
            quantization: None,
            context_length: None,
            max_completion_tokens: None,
            max_prompt_tokens: None,
            supported_parameters: vec![],
            discount: None,
            health: OfferHealth { status: Some(0), uptime_5m: None, uptime_30m: Some(99.5), uptime_1d: None },
            extra: None,
            prices: vec![],
        },
        is_active: true,
        first_seen: 0,
        last_seen: 0,
        prices: vec![price(Component::Input, input), price(Component::Output, output)],
    }
}

fn record(id: &str, offers: Vec<OfferRecord>) -> ModelRecord {
    ModelRecord { model: model(id), is_active: true, first_seen: 0, last_seen: 0, offers, aliases: vec![] }
}

fn score(model: &str, category: &str, value: Decimal) -> BenchmarkScore {
    BenchmarkScore {
        model_id: model.into(),
        key: BenchmarkKey::new("artificial_analysis", category, "index"),
        score: value,
        source: "openrouter".into(),
    }
}

/// a: $1/M; b: $5/M less 20%; c: $20/M at two providers; d: $20/M, worse than c; e: no scores;
/// f: $3/M with a `:free` variant.
fn catalog() -> (Vec<ModelRecord>, Vec<BenchmarkScore>) {
    let mut b = offer("t/b", "t/b", None, dec!(5), dec!(10));
    b.offer.discount = Some(dec!(0.2));
    let records = vec![
        record("t/a", vec![offer("t/a", "t/a", None, dec!(1), dec!(2))]),
        record("t/b", vec![b, offer("t/b", "t/b", Some("x/fp8"), dec!(5), dec!(10))]),
        record(
            "t/c",
            vec![
                offer("t/c", "t/c", None, dec!(20), dec!(40)),
                offer("t/c", "t/c", Some("x/fp8"), dec!(20), dec!(40)),
                offer("t/c", "t/c", Some("y"), dec!(20), dec!(40)),
            ],
        ),
        record("t/d", vec![offer("t/d", "t/d", None, dec!(20), dec!(40))]),
        record("t/e", vec![offer("t/e", "t/e", None, dec!(2), dec!(2))]),
        record(
            "t/f",
            vec![offer("t/f", "t/f", None, dec!(3), dec!(3)), offer("t/f", "t/f:free", None, dec!(0), dec!(0))],
        ),
    ];
    let mut scores = Vec::new();
    for (m, coding, intelligence) in [
        ("t/a", dec!(40), dec!(30)),
        ("t/b", dec!(60), dec!(50)),
        ("t/c", dec!(80), dec!(70)),
        ("t/d", dec!(50), dec!(40)),
        ("t/f", dec!(40), dec!(30)),
    ] {
        scores.push(score(m, "coding", coding));
        scores.push(score(m, "intelligence", intelligence));
    }
    // A score of a model not in the catalog never widens a range.
    scores.push(score("t/gone", "coding", dec!(100)));
    (records, scores)
}

fn coding() -> RankQuery {
    RankQuery { category: Category::Coding, ..RankQuery::default() }
}

#[test]
fn ranks_by_hand_computed_composite() {
    let (records, scores) = catalog();
    let r = rank(&records, &scores, &coding());
    let got: Vec<(&str, String, String, String)> = r
        .ranked
        .iter()
        .map(|m| (&*m.id, m.cost_efficiency.to_string(), m.performance.to_string(), m.composite.to_string()))
        .collect();
    // coding range 40..80; cost = 1/(1 + p/10); composite = 0.4 cost + 0.6 perf.
    let expect = vec![
        ("t/c", "0.333333", "1", "0.733333"),    // 0.4/3 + 0.6
        ("t/b", "0.714286", "0.5", "0.585714"),  // p = 5 × 0.8 = 4: 1/1.4; 0.4/1.4 + 0.3
        ("t/a", "0.909091", "0", "0.363636"),    // 1/1.1
        ("t/f", "0.769231", "0", "0.307692"),    // 1/1.3
        ("t/d", "0.333333", "0.25", "0.283333"), // 0.4/3 + 0.15
    ];
    let expect: Vec<(&str, String, String, String)> =
        expect.into_iter().map(|(a, b, c, d)| (a, b.to_string(), c.to_string(), d.to_string())).collect();
    assert_eq!(got, expect);
    assert_eq!(r.ranked.iter().map(|m| m.rank).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    let b = &r.ranked[1];
    assert_eq!(b.price.listed_input_per_million, dec!(5));
    assert_eq!(b.price.discount, Some(dec!(0.2)));
    assert_eq!(b.price.input_per_million, dec!(4));
    assert_eq!(b.inputs.len(), 1);
    assert_eq!((b.inputs[0].score, b.inputs[0].normalized), (dec!(60), dec!(0.5)));
    assert_eq!(r.feeds.len(), 1);
    assert_eq!((r.feeds[0].range.min, r.feeds[0].range.max, r.feeds[0].range.models), (dec!(40), dec!(80), 5));
}

#[test]
fn pareto_frontier_is_what_nothing_beats_on_both() {
    let (records, scores) = catalog();
    let r = rank(&records, &scores, &coding());
    // a (1, 0) cheapest; f (3, 0) beaten by a; b (4, 0.5); c (20, 1); d (20, 0.25) beaten by c.
    let frontier: Vec<&str> = r.frontier.iter().map(|p| &*p.id).collect();
    assert_eq!(frontier, vec!["t/a", "t/b", "t/c"]);
    let flagged: Vec<&str> = r.ranked.iter().filter(|m| m.on_frontier).map(|m| &*m.id).collect();
    assert_eq!(flagged, vec!["t/c", "t/b", "t/a"]);
}

#[test]
fn unscored_models_are_listed_apart_never_as_zero() {
    let (records, scores) = catalog();
    let r = rank(&records, &scores, &coding());
    assert!(r.ranked.iter().all(|m| &*m.id != "t/e"));
    assert_eq!(r.unscored.len(), 1);
    assert_eq!(&*r.unscored[0].id, "t/e");
    assert_eq!(&*r.unscored[0].reason, "no coding benchmark score");
    assert_eq!(r.unscored[0].input_per_million, Some(dec!(2)));
}

#[test]
fn overall_is_the_mean_of_the_indexes_and_weights_are_scaled() {
    let (records, scores) = catalog();
    let weights: Weights = "cost=1,performance=3".parse().expect("weights");
    assert_eq!((weights.cost, weights.performance), (dec!(0.25), dec!(0.75)));
    let q = RankQuery { weights, ..RankQuery::default() };
    let r = rank(&records, &scores, &q);
    let d = r.ranked.iter().find(|m| &*m.id == "t/d").expect("d");
    // coding (50-40)/40 = 0.25, intelligence (40-30)/40 = 0.25: mean 0.25.
    assert_eq!(d.performance, dec!(0.25));
    assert_eq!(d.inputs.len(), 2);
    // 0.25 × 1/3 + 0.75 × 0.25 = 0.083333… + 0.1875
    assert_eq!(d.composite, dec!(0.270833));
}

#[test]
fn filters_free_providers_supports_and_limit() {
    let (records, scores) = catalog();
    let free = rank(&records, &scores, &RankQuery { free: true, ..coding() });
    assert_eq!(free.ranked.len(), 1);
    let f = &free.ranked[0];
    assert_eq!((&*f.id, f.price.listing_id.as_str()), ("t/f", "t/f:free"));
    assert_eq!((f.cost_efficiency, f.composite), (dec!(1), dec!(0.4)));
    assert!(free.unscored.is_empty());

    let multi = rank(&records, &scores, &RankQuery { min_providers: 2, ..coding() });
    assert_eq!(multi.ranked.iter().map(|m| &*m.id).collect::<Vec<_>>(), vec!["t/c"]);
    assert_eq!(multi.ranked[0].providers, 2);

    let none = rank(&records, &scores, &RankQuery { supports: vec!["logprobs".into()], ..coding() });
    assert!(none.ranked.is_empty() && none.unscored.is_empty());

    let top = rank(&records, &scores, &RankQuery { limit: Some(2), ..coding() });
    assert_eq!((top.ranked.len(), top.total_ranked, top.frontier.len()), (2, 5, 3));
}

#[test]
fn one_index_ranks_every_query_and_a_limit_is_the_head_of_the_full_ranking() {
    let (records, scores) = catalog();
    let index = RankIndex::new(&records, &scores);
    for category in [Category::Overall, Category::Coding, Category::Named("nothing".into())] {
        for free in [false, true] {
            let query = RankQuery { category: category.clone(), free, ..RankQuery::default() };
            let full = index.rank(&records, &query);
            assert_eq!(full, rank(&records, &scores, &query));
            for limit in 0..=full.total_ranked + 1 {
                let head = index.rank(&records, &RankQuery { limit: Some(limit), ..query.clone() });
                let expected = &full.ranked[..limit.min(full.ranked.len())];
                assert_eq!(head.ranked, expected, "{category} free={free} limit={limit}");
                assert_eq!(
                    (&head.frontier, &head.unscored, head.total_ranked),
                    (&full.frontier, &full.unscored, full.total_ranked)
                );
            }
        }
    }
}

#[test]
fn weights_are_validated() {
    for bad in ["cost=-1,performance=1", "cost=0,performance=0", "speed=1", "cost=abc", "cost", "", "cost=1,cost=2"] {
        assert!(bad.parse::<Weights>().is_err(), "{bad:?} should be rejected");
    }
    let only_perf: Weights = "performance=2".parse().expect("weights");
    assert_eq!((only_perf.cost, only_perf.performance), (dec!(0), dec!(1)));
    assert_eq!(Weights::default().to_string(), "cost=0.4,performance=0.6");
}

#[test]
fn categories_pick_their_series() {
    let aa = |c: &str| BenchmarkKey::new("artificial_analysis", c, "index");
    let arena = |c: &str| BenchmarkKey::new("design_arena", c, "elo");
    assert!(Category::Overall.feeds(&aa("agentic")));
    assert!(!Category::Overall.feeds(&arena("models/website")));
    assert!(Category::Coding.feeds(&arena("models/codecategories")));
    assert!(!Category::Coding.feeds(&arena("models/website")));
    assert!(Category::Agentic.feeds(&arena("agents/fullstack")));
    assert!(Category::Design.feeds(&arena("models/svg")));
    let website: Category = "website".parse().expect("category");
    assert!(website.feeds(&arena("models/website")));
    assert_eq!("reasoning".parse::<Category>(), Ok(Category::Intelligence));
    assert!(Category::Coding.feeds(&BenchmarkKey::new("swe-bench", "coding", "resolved")));
}

fn routed() -> ModelRecord {
    let mut down = offer("r/x", "r/x", Some("down"), dec!(0.5), dec!(0.5));
    down.offer.health.status = Some(-2);
    let mut flaky = offer("r/x", "r/x", Some("flaky"), dec!(0.5), dec!(0.5));
    flaky.offer.health.uptime_30m = Some(50.0);
    let mut discounted = offer("r/x", "r/x", Some("half"), dec!(4), dec!(8));
    discounted.offer.discount = Some(dec!(0.5));
    let mut inactive = offer("r/x", "r/x", Some("gone"), dec!(0.1), dec!(0.1));
    inactive.is_active = false;
    record(
        "r/x",
        vec![
            offer("r/x", "r/x", None, dec!(1), dec!(2)),
            offer("r/x", "r/x", Some("p1"), dec!(1), dec!(2)),
            offer("r/x", "r/x", Some("p2"), dec!(2), dec!(4)),
            offer("r/x", "r/x", Some("p3"), dec!(3), dec!(6)),
            down,
            flaky,
            discounted,
            inactive,
        ],
    )
}

#[test]
fn routing_follows_the_inverse_square_rule_and_sums_to_one() {
    let r = route(&routed(), &RouteQuery::default()).expect("routing");
    let prob = |p: &str| r.offers.iter().find(|o| o.provider == p).expect("offer").probability;
    let sum: Decimal = r.offers.iter().map(|o| o.probability).sum();
    assert_eq!(sum, Decimal::ONE);
    // Costs for 1,000 + 1,000 tokens: p1 0.003, p2 0.006, p3 0.009, half 0.006 (8/4 less 50%).
    // Weights (0.003/c)²: 1, 1/4, 1/9, 1/4 → sum 29/18: p1 = 18/29, p2 = half = 4.5/29, p3 = 2/29.
    let close = |a: Decimal, b: Decimal| (a - b).abs() <= dec!(0.000000000001);
    assert!(close(prob("p1"), dec!(18) / dec!(29)), "{}", prob("p1"));
    assert!(close(prob("p2"), dec!(4.5) / dec!(29)));
    assert!(close(prob("p3"), dec!(2) / dec!(29)));
    assert_eq!(prob("p2"), prob("half"));
    // The inverse-square rule itself: p1 / p3 = (c3 / c1)² = 9 (up to the 12-place rounding).
    assert!((prob("p1") / prob("p3") - dec!(9)).abs() < dec!(0.000000001));
    assert_eq!(r.cheapest.as_deref(), Some("p1"));
    let half = r.offers.iter().find(|o| o.provider == "half").expect("half");
    assert_eq!((half.input_per_million, half.output_per_million), (Some(dec!(2)), Some(dec!(4))));
    assert_eq!(half.request_cost, Some(dec!(0.006)));
    let expected = r.expected_cost.expect("expected cost");
    assert!(close(expected, dec!(0.126) / dec!(29)), "{expected}");
}

#[test]
fn unhealthy_endpoints_are_excluded_with_a_reason() {
    let r = route(&routed(), &RouteQuery::default()).expect("routing");
    let down = r.offers.iter().find(|o| o.provider == "down").expect("down");
    assert!(!down.healthy);
    assert_eq!(down.probability, Decimal::ZERO);
    assert_eq!(down.excluded.as_deref(), Some("status -2 (degraded)"));
    let flaky = r.offers.iter().find(|o| o.provider == "flaky").expect("flaky");
    assert_eq!(flaky.probability, Decimal::ZERO);
    assert!(flaky.excluded.as_deref().is_some_and(|e| e.contains("uptime 50.0%")));
    assert!(r.offers.iter().all(|o| o.provider != "gone"));
    // Excluded offers come last.
    assert!(!r.offers[r.offers.len() - 1].healthy);
    let lenient = route(&routed(), &RouteQuery { min_uptime: 40.0, ..RouteQuery::default() }).expect("routing");
    let flaky = lenient.offers.iter().find(|o| o.provider == "flaky").expect("flaky");
    assert!(flaky.healthy && flaky.probability > Decimal::ZERO);
    assert_eq!(lenient.cheapest.as_deref(), Some("flaky"));
}

#[test]
fn free_endpoints_share_the_traffic_and_sums_stay_exact() {
    let mut rec = routed();
    rec.offers.push(offer("r/x", "r/x:free", None, dec!(0), dec!(0)));
    for tag in ["fa", "fb", "fc"] {
        rec.offers.push(offer("r/x", "r/x:free", Some(tag), dec!(0), dec!(0)));
    }
    let r = route(&rec, &RouteQuery { free: true, ..RouteQuery::default() }).expect("routing");
    assert_eq!(r.listing_id, "r/x:free");
    let probs: Vec<Decimal> = r.offers.iter().map(|o| o.probability).collect();
    assert_eq!(probs.iter().copied().sum::<Decimal>(), Decimal::ONE);
    assert_eq!(probs, vec![dec!(0.333333333334), dec!(0.333333333333), dec!(0.333333333333)]);
    assert_eq!(r.expected_cost, Some(Decimal::ZERO));
}

#[test]
fn routing_errors_name_what_is_missing() {
    let rec = routed();
    let unknown = RouteQuery { listing: Some("r/x:nitro".into()), ..RouteQuery::default() };
    let err = route(&rec, &unknown).expect_err("unknown listing");
    assert!(err.to_string().contains("listings: r/x"), "{err}");
    let a = record("t/a", vec![offer("t/a", "t/a", None, dec!(1), dec!(2))]);
    let err = route(&a, &RouteQuery::default()).expect_err("no endpoints");
    assert!(matches!(err, RankError::NoEndpoints { .. }));
}
