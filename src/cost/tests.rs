//! The engine against real OpenRouter usage and catalog prices, hand-computed examples of
//! every rule, and properties.
#![deny(clippy::float_arithmetic)]

use super::*;
use crate::domain::{Component, Offer, Price, PriceKey, PriceValue, TierScope};
use crate::sources::openrouter::{parse_models, to_catalog};
use jiff::Timestamp;
use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).expect("the fixture is JSON")
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/openrouter/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("the fixture exists")
}

/// The plain listing offers (no provider endpoint) of the 2026-08-14 catalog.
fn catalog_offers() -> Vec<Offer> {
    let models = parse_models(&fixture_bytes("models_2026-08-14.json")).expect("the catalog parses");
    to_catalog(&models).expect("the catalog maps").offers.into_iter().filter(|o| o.served_by.is_none()).collect()
}

fn listing<'a>(offers: &'a [Offer], id: &str) -> Option<&'a Offer> {
    offers.iter().find(|o| o.listing_id == id)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a valid timestamp")
}

fn noon() -> Timestamp {
    at("2026-08-14T12:00:00Z")
}

fn price(component: Component, usd: Decimal) -> Price {
    Price { key: PriceKey::base(component), value: PriceValue::Fixed(usd), scope: TierScope::WholeRequest }
}

fn tier(component: Component, min: i64, usd: Decimal, scope: TierScope) -> Price {
    Price {
        key: PriceKey { component, min_prompt_tokens: min, condition: String::new() },
        value: PriceValue::Fixed(usd),
        scope,
    }
}

fn window(component: Component, condition: &str, usd: Decimal) -> Price {
    Price {
        key: PriceKey { component, min_prompt_tokens: 0, condition: condition.into() },
        value: PriceValue::Fixed(usd),
        scope: TierScope::WholeRequest,
    }
}

fn amounts(b: &CostBreakdown) -> Vec<(Bucket, Component, u64, Decimal)> {
    b.lines.iter().map(|l| (l.bucket, l.component, l.quantity, l.amount)).collect()
}

// ---------------------------------------------------------------- real samples

#[test]
fn real_openrouter_samples_match_catalog_prices_exactly() {
    let offers = catalog_offers();
    let samples = fixture("chat_usage_samples.json");
    let mut matched = Vec::new();
    let mut priced = 0;
    for sample in samples["samples"].as_array().expect("a JSON array") {
        let model = sample["model"].as_str().expect("a string");
        let Some(offer) = listing(&offers, model) else {
            // openai/gpt-6-astra is not in the 2026-08-14 catalog.
            assert_eq!(model, "openai/gpt-6-astra");
            continue;
        };
        priced += 1;
        let usage = Usage::detect(&sample["usage"]).expect("a known usage shape");
        let when = match sample["observed_date"].as_str() {
            Some(date) => at(&format!("{date}T12:00:00Z")),
            None => noon(),
        };
        let cost = price_request(&offer.prices, offer.discount, &usage, when).expect("the request prices");
        let reported = usage.reported_cost.expect("the sample reports a cost");
        let sum: Decimal = cost.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, cost.total);
        if model == "openai/gpt-5.6-sol" {
            // Observed 2026-09-04, after a real price change: at the 2026-08-14 prices
            // (input 2.5/M, cache write 3.125/M, output 15/M) it costs 0.163336875, while
            // OpenRouter billed 0.1178335 = the Sep-2026 price. OPENROUTER_API.md §4.
            assert_eq!(cost.total, dec!(0.163336875));
            assert_ne!(cost.total, reported, "{model}");
        } else {
            assert_eq!(cost.total, reported, "{model}: {cost:#?}");
            assert_eq!(cost.total.to_string(), reported.normalize().to_string());
            matched.push(model);
        }
    }
    assert_eq!(priced, 8);
    assert_eq!(
        matched,
        [
            "moonshotai/kimi-k3",
            "qwen/qwen3.8-max",
            "x-ai/grok-4.6",
            "x-ai/grok-4.6",
            "deepseek/deepseek-v3.2",
            "google/gemma-3-12b-it",
            "cohere/north-mini-code:free",
        ]
    );
}

#[test]
fn kimi_sample_lines() {
    let offers = catalog_offers();
    let offer = listing(&offers, "moonshotai/kimi-k3").expect("the listing is in the catalog");
    let samples = fixture("chat_usage_samples.json");
    let usage = Usage::detect(&samples["samples"][0]["usage"]).expect("a known usage shape");
    let cost = price_request(&offer.prices, offer.discount, &usage, noon()).expect("the request prices");
    assert_eq!(
        amounts(&cost),
        [
            (Bucket::Input, Component::Input, 5393, dec!(0.016179)),
            (Bucket::CacheRead, Component::CacheRead, 96, dec!(0.0000288)),
            (Bucket::Output, Component::Output, 603, dec!(0.009045)),
            // No `internal_reasoning` price: reasoning is billed as output.
            (Bucket::Reasoning, Component::Output, 14397, dec!(0.215955)),
        ]
    );
    assert_eq!(cost.lines[3].note.as_deref(), Some("no reasoning price: billed at the output price"));
    assert_eq!(cost.total, dec!(0.2412078));
}

#[test]
fn recorded_gpt_4o_mini_bodies_match_catalog_prices() {
    // Dec-2025 bodies, chat and Responses API; gpt-4o-mini's price (0.15/M in, 0.6/M out)
    // is the same in the 2026-08-14 catalog.
    let offers = catalog_offers();
    let offer = listing(&offers, "openai/gpt-4o-mini").expect("the listing is in the catalog");
    let items = fixture("chat_completions_2025-12.json");
    let mut n = 0;
    for item in items["items"].as_array().expect("a JSON array") {
        let body = &item["response"];
        if body["model"] != "openai/gpt-4o-mini" {
            continue;
        }
        let usage = Usage::detect(body).expect("a known usage shape");
        assert_eq!(usage.total_tokens(), body["usage"]["total_tokens"].as_u64().expect("a count"));
        let when =
            Timestamp::from_second(body["created"].as_i64().unwrap_or(1_764_952_988)).expect("a valid timestamp");
        let cost = price_request(&offer.prices, offer.discount, &usage, when).expect("the request prices");
        assert_eq!(Some(cost.total), usage.reported_cost, "{}", item["label"]);
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn recorded_image_output_tokens_match_catalog_prices() {
    // gemini-2.5-flash-image, Dec 2025: 12 prompt tokens at 0.3/M and 1290 image tokens at
    // the catalog's `image_output` 0.00003 = 0.0387036, as billed: `image_output` is a price
    // per output image token (the OpenRouter source maps it to `ImageOutputToken`).
    let offers = catalog_offers();
    let offer = listing(&offers, "google/gemini-2.5-flash-image").expect("the listing is in the catalog");
    let items = fixture("chat_completions_2025-12.json");
    let mut n = 0;
    for item in items["items"].as_array().expect("a JSON array") {
        let body = &item["response"];
        if body["model"] != "google/gemini-2.5-flash-image" {
            continue;
        }
        let usage = Usage::detect(body).expect("a known usage shape");
        let cost = price_request(&offer.prices, offer.discount, &usage, noon()).expect("the request prices");
        assert_eq!(Some(cost.total), usage.reported_cost, "{}", item["label"]);
        n += 1;
    }
    assert!(n > 0);
}

// ---------------------------------------------------------------- tiers

fn long_context_prices() -> Vec<Price> {
    vec![
        price(Component::Input, dec!(0.000002)),
        price(Component::Output, dec!(0.000006)),
        price(Component::CacheRead, dec!(0.0000005)),
        tier(Component::Input, 200_000, dec!(0.000004), TierScope::WholeRequest),
        tier(Component::Output, 200_000, dec!(0.000012), TierScope::WholeRequest),
    ]
}

#[test]
fn whole_request_tier_reprices_every_token_of_listed_components() {
    let usage = Usage { input: 190_000, cache_read: 20_000, output: 1_000, ..Usage::default() };
    let cost = price_request(&long_context_prices(), None, &usage, noon()).expect("the request prices");
    // 190000 × 4/M = 0.76; cache read is not in the tier: 20000 × 0.5/M = 0.01;
    // 1000 × 12/M = 0.012.
    assert_eq!(
        amounts(&cost),
        [
            (Bucket::Input, Component::Input, 190_000, dec!(0.76)),
            (Bucket::CacheRead, Component::CacheRead, 20_000, dec!(0.01)),
            (Bucket::Output, Component::Output, 1_000, dec!(0.012)),
        ]
    );
    assert_eq!(cost.lines[0].min_prompt_tokens, 200_000);
    assert_eq!(cost.lines[1].min_prompt_tokens, 0);
    assert_eq!(cost.total, dec!(0.782));
}

#[test]
fn whole_request_tier_starts_at_its_threshold() {
    let prices = long_context_prices();
    let below = Usage { input: 179_999, cache_read: 20_000, output: 1_000, ..Usage::default() };
    // 179999 × 2/M + 20000 × 0.5/M + 1000 × 6/M
    assert_eq!(price_request(&prices, None, &below, noon()).expect("the request prices").total, dec!(0.375998));
    let at_threshold = Usage { input: 180_000, ..below };
    // 180000 × 4/M + 0.01 + 1000 × 12/M
    assert_eq!(price_request(&prices, None, &at_threshold, noon()).expect("the request prices").total, dec!(0.742));
}

fn excess_prices(second: TierScope) -> Vec<Price> {
    vec![
        price(Component::Input, dec!(0.000001)),
        price(Component::Output, dec!(0.00001)),
        tier(Component::Input, 128_000, dec!(0.000002), TierScope::Excess),
        tier(Component::Input, 1_000_000, dec!(0.000004), second),
    ]
}

#[test]
fn excess_tiers_bill_band_by_band() {
    let usage = Usage { input: 1_200_000, output: 10, ..Usage::default() };
    let cost = price_request(&excess_prices(TierScope::Excess), None, &usage, noon()).expect("the request prices");
    // 128000 × 1/M = 0.128; 872000 × 2/M = 1.744; 200000 × 4/M = 0.8; 10 × 10/M = 0.0001.
    assert_eq!(
        amounts(&cost),
        [
            (Bucket::Input, Component::Input, 128_000, dec!(0.128)),
            (Bucket::Input, Component::Input, 872_000, dec!(1.744)),
            (Bucket::Input, Component::Input, 200_000, dec!(0.8)),
            (Bucket::Output, Component::Output, 10, dec!(0.0001)),
        ]
    );
    let tiers: Vec<i64> = cost.lines.iter().map(|l| l.min_prompt_tokens).collect();
    assert_eq!(tiers, [0, 128_000, 1_000_000, 0]);
    assert_eq!(cost.lines[2].note.as_deref(), Some("excess tier: the input units beyond 1000000"));
    assert_eq!(cost.total, dec!(2.6721));

    // Below the first threshold only the base rate applies.
    let small = Usage { input: 100_000, ..Usage::default() };
    let cost = price_request(&excess_prices(TierScope::Excess), None, &small, noon()).expect("the request prices");
    assert_eq!(cost.total, dec!(0.1));
}

#[test]
fn a_whole_request_tier_above_an_excess_tier_bills_everything() {
    let usage = Usage { input: 1_200_000, ..Usage::default() };
    let cost =
        price_request(&excess_prices(TierScope::WholeRequest), None, &usage, noon()).expect("the request prices");
    // 1200000 × 4/M
    assert_eq!(amounts(&cost), [(Bucket::Input, Component::Input, 1_200_000, dec!(4.8))]);
}

#[test]
fn an_excess_tier_above_a_whole_request_tier() {
    let prices = vec![
        price(Component::Input, dec!(0.000001)),
        price(Component::Output, dec!(0.00001)),
        tier(Component::Input, 128_000, dec!(0.000002), TierScope::WholeRequest),
        tier(Component::Input, 1_000_000, dec!(0.000004), TierScope::Excess),
    ];
    let usage = Usage { input: 1_200_000, ..Usage::default() };
    // The first 1000000 at the 128k whole-request rate (2.0), the last 200000 at 4/M (0.8).
    let cost = price_request(&prices, None, &usage, noon()).expect("the request prices");
    assert_eq!(
        amounts(&cost),
        [(Bucket::Input, Component::Input, 1_000_000, dec!(2)), (Bucket::Input, Component::Input, 200_000, dec!(0.8)),]
    );
    assert_eq!(cost.total, dec!(2.8));
}

// ---------------------------------------------------------------- time windows

fn night_prices() -> Vec<Price> {
    vec![
        price(Component::Input, dec!(0.000001)),
        price(Component::Output, dec!(0.000004)),
        window(Component::Input, "utc:2200-0200", dec!(0.0000005)),
        window(Component::Output, "utc:2200-0200", dec!(0.000002)),
    ]
}

#[test]
fn midnight_wrapping_window_applies_on_both_sides_of_midnight() {
    let usage = Usage { input: 1_000_000, output: 100_000, ..Usage::default() };
    let total = |t: &str| price_request(&night_prices(), None, &usage, at(t)).expect("the request prices").total;
    // Window: 1000000 × 0.5/M + 100000 × 2/M = 0.7; otherwise 1 + 0.4 = 1.4.
    assert_eq!(total("2026-08-14T21:59:59Z"), dec!(1.4));
    assert_eq!(total("2026-08-14T22:00:00Z"), dec!(0.7));
    assert_eq!(total("2026-08-14T23:59:59Z"), dec!(0.7));
    assert_eq!(total("2026-08-15T00:00:00Z"), dec!(0.7));
    assert_eq!(total("2026-08-15T01:59:59Z"), dec!(0.7));
    assert_eq!(total("2026-08-15T02:00:00Z"), dec!(1.4));
    let cost = price_request(&night_prices(), None, &usage, at("2026-08-15T00:30:00Z")).expect("the request prices");
    assert!(cost.lines.iter().all(|l| l.condition == "utc:2200-0200"));
}

#[test]
fn catalog_time_windows_deepseek() {
    // deepseek/deepseek-v4-pro lists four UTC windows (10:00–01:00 and 04:00–06:00 at 0.66/M
    // in, 1.98/M out; 01:00–04:00 and 06:00–10:00 at double).
    let offers = catalog_offers();
    let offer = listing(&offers, "deepseek/deepseek-v4-pro").expect("the listing is in the catalog");
    let usage = Usage { input: 1_000_000, output: 100_000, ..Usage::default() };
    let cost = |t: &str| price_request(&offer.prices, offer.discount, &usage, at(t)).expect("the request prices");
    let late = cost("2026-08-15T00:30:00Z");
    assert_eq!(late.total, dec!(0.858));
    assert_eq!(late.lines[0].condition, "utc:1000-0100");
    let early = cost("2026-08-15T02:00:00Z");
    assert_eq!(early.total, dec!(1.716));
    assert_eq!(early.lines[0].condition, "utc:0100-0400");
}

#[test]
fn unknown_conditions_and_overlapping_windows_are_errors() {
    let usage = Usage { input: 1, ..Usage::default() };
    let mut prices = night_prices();
    prices.push(window(Component::Output, "batch", dec!(0.000001)));
    assert_eq!(
        price_request(&prices, None, &usage, noon()).expect_err("refused"),
        CostError::UnknownCondition("batch".into())
    );
    let mut prices = night_prices();
    prices.push(window(Component::Input, "utc:0100-0300", dec!(0.0000007)));
    // Both windows contain 01:30: which price applies is not knowable.
    assert!(matches!(
        price_request(&prices, None, &usage, at("2026-08-14T01:30:00Z")),
        Err(CostError::AmbiguousWindow { .. })
    ));
    // At 02:30 only the second one does.
    let cost = price_request(&prices, None, &usage, at("2026-08-14T02:30:00Z")).expect("the request prices");
    assert_eq!(cost.total, dec!(0.0000007));
}

// ---------------------------------------------------------------- discount

#[test]
fn discount_multiplies_every_line() {
    let prices = [
        price(Component::Input, dec!(0.000003)),
        price(Component::Output, dec!(0.000015)),
        price(Component::Request, dec!(0.001)),
    ];
    let usage = Usage { input: 1_000, output: 100, ..Usage::default() };
    let cost = price_request(&prices, Some(dec!(0.2)), &usage, noon()).expect("the request prices");
    // 0.003 × 0.8 + 0.0015 × 0.8 + 0.001 × 0.8
    assert_eq!(
        amounts(&cost),
        [
            (Bucket::Input, Component::Input, 1_000, dec!(0.0024)),
            (Bucket::Output, Component::Output, 100, dec!(0.0012)),
            (Bucket::Requests, Component::Request, 1, dec!(0.0008)),
        ]
    );
    assert!(cost.lines.iter().all(|l| l.discount == Some(dec!(0.2))));
    assert_eq!(cost.lines[0].unit_price, dec!(0.000003));
    assert_eq!(cost.total, dec!(0.0044));
    let json = serde_json::to_value(&cost).expect("serialisable");
    assert_eq!(json["total"], "0.0044");
    assert_eq!(json["lines"][0]["discount"], "0.2");
    assert_eq!(json["lines"][0]["bucket"], "input");
    assert_eq!(json["lines"][2]["unit"], "request");

    for bad in [dec!(1.5), dec!(-0.1)] {
        assert_eq!(
            price_request(&prices, Some(bad), &usage, noon()).expect_err("refused"),
            CostError::InvalidDiscount(bad)
        );
    }
    let free = price_request(&prices, Some(Decimal::ONE), &usage, noon()).expect("the request prices");
    assert_eq!(free.total, Decimal::ZERO);
}

// ---------------------------------------------------------------- fallbacks

#[test]
fn fallbacks_and_unlisted_per_item_prices() {
    let prices = [price(Component::Input, dec!(0.000001)), price(Component::Output, dec!(0.000004))];
    let usage = Usage {
        input: 1_000,
        cache_read: 100,
        cache_write: 10,
        cache_write_1h: 20,
        output: 100,
        reasoning: 50,
        audio_input: 5,
        audio_output: 6,
        image_input_tokens: 7,
        image_output_tokens: 8,
        images_in: 1,
        images_out: 0,
        web_searches: 2,
        requests: 1,
        reported_cost: None,
    };
    let cost = price_request(&prices, None, &usage, noon()).expect("the request prices");
    let z = Decimal::ZERO;
    assert_eq!(
        amounts(&cost),
        [
            (Bucket::Input, Component::Input, 1_000, dec!(0.001)),
            (Bucket::CacheRead, Component::Input, 100, dec!(0.0001)),
            (Bucket::CacheWrite, Component::Input, 10, dec!(0.00001)),
            (Bucket::CacheWrite1h, Component::Input, 20, dec!(0.00002)),
            (Bucket::AudioInput, Component::Input, 5, dec!(0.000005)),
            (Bucket::ImageInputTokens, Component::Input, 7, dec!(0.000007)),
            (Bucket::Output, Component::Output, 100, dec!(0.0004)),
            (Bucket::Reasoning, Component::Output, 50, dec!(0.0002)),
            (Bucket::AudioOutput, Component::Output, 6, dec!(0.000024)),
            (Bucket::ImageOutputTokens, Component::Output, 8, dec!(0.000032)),
            (Bucket::ImagesIn, Component::ImageInput, 1, z),
            (Bucket::WebSearches, Component::WebSearch, 2, z),
        ]
    );
    let notes: Vec<Option<&str>> = cost.lines.iter().map(|l| l.note.as_deref()).collect();
    assert_eq!(notes[1], Some("no cache_read price: billed at the input price"));
    assert_eq!(notes[3], Some("no cache_write_1h price: billed at the input price"));
    assert_eq!(notes[0], None);
    assert_eq!(notes[10], Some("no price listed (0)"));
    assert_eq!(notes[11], Some("no price listed (0)"));
    assert_eq!(cost.total, dec!(0.001798));
}

#[test]
fn one_hour_cache_writes_fall_back_to_five_minute_writes_first() {
    let prices = [
        price(Component::Input, dec!(0.000003)),
        price(Component::Output, dec!(0.000015)),
        price(Component::CacheWrite, dec!(0.00000375)),
    ];
    let usage = Usage { cache_write_1h: 1_000, ..Usage::default() };
    let cost = price_request(&prices, None, &usage, noon()).expect("the request prices");
    assert_eq!(amounts(&cost), [(Bucket::CacheWrite1h, Component::CacheWrite, 1_000, dec!(0.00375))]);
}

#[test]
fn own_prices_beat_fallbacks() {
    let prices = [
        price(Component::Input, dec!(0.000005)),
        price(Component::Output, dec!(0.000025)),
        price(Component::CacheRead, dec!(0.0000005)),
        price(Component::CacheWrite, dec!(0.00000625)),
        price(Component::CacheWrite1h, dec!(0.00001)),
        price(Component::WebSearch, dec!(0.01)),
    ];
    // Anthropic-style usage: 50 + 12000 read + 1000 5m + 2000 1h, 700 out, 2 searches.
    let usage = Usage {
        input: 50,
        cache_read: 12_000,
        cache_write: 1_000,
        cache_write_1h: 2_000,
        output: 700,
        web_searches: 2,
        ..Usage::default()
    };
    let cost = price_request(&prices, None, &usage, noon()).expect("the request prices");
    // 0.00025 + 0.006 + 0.00625 + 0.02 + 0.0175 + 0.02
    assert_eq!(cost.total, dec!(0.07));
    assert!(cost.lines.iter().all(|l| l.note.is_none()));
}

#[test]
fn unpriced_tokens_are_errors() {
    let prices = [price(Component::Output, dec!(0.000004))];
    let usage = Usage { cache_read: 10, ..Usage::default() };
    assert_eq!(
        price_request(&prices, None, &usage, noon()).expect_err("refused"),
        CostError::Unpriced { component: Component::CacheRead, bucket: Bucket::CacheRead, quantity: 10 }
    );
    // A price that only starts at a tier the prompt does not reach does not apply.
    let prices = [
        price(Component::Output, dec!(0.000004)),
        tier(Component::Input, 1_000, dec!(0.000001), TierScope::WholeRequest),
    ];
    let usage = Usage { input: 999, ..Usage::default() };
    assert!(matches!(price_request(&prices, None, &usage, noon()), Err(CostError::Unpriced { .. })));
}

#[test]
fn invalid_price_lists_are_errors() {
    let usage = Usage::default();
    let twice = [price(Component::Input, dec!(0.000001)), price(Component::Input, dec!(0.000002))];
    assert!(matches!(price_request(&twice, None, &usage, noon()), Err(CostError::InvalidPrice { .. })));
    let negative = [price(Component::Input, dec!(-0.000001))];
    assert!(matches!(price_request(&negative, None, &usage, noon()), Err(CostError::InvalidPrice { .. })));
    let negative_tier = [tier(Component::Input, -1, dec!(0.1), TierScope::Excess)];
    assert!(matches!(price_request(&negative_tier, None, &usage, noon()), Err(CostError::InvalidPrice { .. })));
}

// ---------------------------------------------------------------- variable prices

#[test]
fn variable_prices_are_errors_never_zero() {
    let offers = catalog_offers();
    let auto = listing(&offers, "openrouter/auto").expect("the listing is in the catalog");
    let usage = Usage { input: 100, output: 10, ..Usage::default() };
    assert_eq!(
        price_request(&auto.prices, auto.discount, &usage, noon()).expect_err("refused"),
        CostError::Variable { component: Component::Input }
    );
    // Nothing to bill at the variable price: nothing to refuse.
    let cost = price_request(&auto.prices, auto.discount, &Usage::default(), noon()).expect("the request prices");
    assert_eq!(cost.total, Decimal::ZERO);
    // A fallback onto a variable price is still variable.
    let prices = [
        Price { key: PriceKey::base(Component::Output), value: PriceValue::Variable, scope: TierScope::WholeRequest },
        price(Component::Input, dec!(0.000001)),
    ];
    let usage = Usage { reasoning: 5, ..Usage::default() };
    assert_eq!(
        price_request(&prices, None, &usage, noon()).expect_err("refused"),
        CostError::Variable { component: Component::Output }
    );
}

#[test]
fn totals_are_exact_or_an_error() {
    let prices = [price(Component::Input, dec!(0.00000008333333333333334)), price(Component::Output, Decimal::ZERO)];
    let usage = Usage { input: 3, ..Usage::default() };
    let cost = price_request(&prices, Some(dec!(0.1)), &usage, noon()).expect("the request prices");
    assert_eq!(cost.total, dec!(0.000000225000000000000018));
    let prices =
        [price(Component::Input, dec!(0.0000000000000000000000000013)), price(Component::Output, Decimal::ZERO)];
    assert!(matches!(price_request(&prices, Some(dec!(0.3)), &usage, noon()), Err(CostError::Overflow(_))));
}

// ---------------------------------------------------------------- properties

fn bucket_mut(u: &mut Usage, b: Bucket) -> &mut u64 {
    match b {
        Bucket::Input => &mut u.input,
        Bucket::CacheRead => &mut u.cache_read,
        Bucket::CacheWrite => &mut u.cache_write,
        Bucket::CacheWrite1h => &mut u.cache_write_1h,
        Bucket::Output => &mut u.output,
        Bucket::Reasoning => &mut u.reasoning,
        Bucket::AudioInput => &mut u.audio_input,
        Bucket::AudioOutput => &mut u.audio_output,
        Bucket::ImageInputTokens => &mut u.image_input_tokens,
        Bucket::ImageOutputTokens => &mut u.image_output_tokens,
        Bucket::ImagesIn => &mut u.images_in,
        Bucket::ImagesOut => &mut u.images_out,
        Bucket::WebSearches => &mut u.web_searches,
        Bucket::Requests => &mut u.requests,
    }
}

fn usd() -> impl Strategy<Value = Decimal> {
    (0i64..10_000_000, 4u32..=14).prop_map(|(m, s)| Decimal::new(m, s))
}

fn scope() -> impl Strategy<Value = TierScope> {
    prop_oneof![Just(TierScope::WholeRequest), Just(TierScope::Excess)]
}

/// Non-negative fixed prices: input and output always, other components sometimes, and
/// tiers for input, output and cache reads.
fn prices() -> impl Strategy<Value = Vec<Price>> {
    let optional = proptest::collection::vec(proptest::option::of(usd()), 12);
    let tiers = proptest::collection::vec(
        (
            prop::sample::select(vec![Component::Input, Component::Output, Component::CacheRead]),
            1i64..400_000,
            usd(),
            scope(),
        ),
        0..4,
    );
    (usd(), usd(), optional, tiers).prop_map(|(input, output, optional, tiers)| {
        let mut out = vec![price(Component::Input, input), price(Component::Output, output)];
        let others = Component::ALL.into_iter().filter(|c| !matches!(c, Component::Input | Component::Output));
        for (c, p) in others.zip(optional) {
            if let Some(p) = p {
                out.push(price(c, p));
            }
        }
        for (c, min, p, s) in tiers {
            if !out.iter().any(|x| x.key.component == c && x.key.min_prompt_tokens == min) {
                out.push(tier(c, min, p, s));
            }
        }
        out
    })
}

fn usage() -> impl Strategy<Value = Usage> {
    (proptest::collection::vec(0u64..300_000, 10), proptest::collection::vec(0u64..4, 4)).prop_map(|(tokens, items)| {
        let mut u = Usage::default();
        for (b, n) in Bucket::ALL.into_iter().filter(|b| !b.is_per_item()).zip(tokens) {
            *bucket_mut(&mut u, b) = n;
        }
        for (b, n) in Bucket::ALL.into_iter().filter(|b| b.is_per_item()).zip(items) {
            *bucket_mut(&mut u, b) = n;
        }
        u
    })
}

/// A share of what is `left` (so that details always fit in their total), taken from it.
fn take(seed: u64, left: &mut u64) -> u64 {
    let n = seed % (*left + 1);
    *left -= n;
    n
}

fn discount() -> impl Strategy<Value = Option<Decimal>> {
    proptest::option::of((0i64..=100).prop_map(|p| Decimal::new(p, 2)))
}

proptest! {
    #[test]
    fn total_is_the_sum_of_the_lines(p in prices(), u in usage(), d in discount()) {
        let cost = price_request(&p, d, &u, noon()).expect("the request prices");
        let mut sum = Decimal::ZERO;
        for line in &cost.lines {
            sum = sum.checked_add(line.amount).expect("an exact sum");
            let listed = Decimal::from(line.quantity) * line.unit_price;
            prop_assert_eq!(line.amount, listed * (Decimal::ONE - d.unwrap_or_default()));
        }
        prop_assert_eq!(sum, cost.total);
    }

    #[test]
    fn cost_is_monotone_in_every_bucket(
        p in prices(),
        u in usage(),
        d in discount(),
        which in 0usize..14,
        extra in 1u64..100_000,
    ) {
        let bucket = Bucket::ALL[which];
        let mut more = u.clone();
        *bucket_mut(&mut more, bucket) += extra;
        let (before, after) = (u.prompt_tokens(), more.prompt_tokens());
        let crosses = p.iter().any(|x| {
            let min = u64::try_from(x.key.min_prompt_tokens).expect("a non-negative tier");
            before < min && min <= after
        });
        prop_assume!(!crosses);
        let a = price_request(&p, d, &u, noon()).expect("the request prices").total;
        let b = price_request(&p, d, &more, noon()).expect("the request prices").total;
        prop_assert!(a <= b, "{bucket}: {a} > {b}");
    }

    #[test]
    fn chat_usage_counts_every_token_once(
        prompt in 0u64..10_000_000,
        completion in 0u64..10_000_000,
        parts in proptest::collection::vec(0u64..=u64::MAX, 6),
    ) {
        // Details that fit in their totals: each takes a share of what is left.
        let mut left = prompt;
        let cached = take(parts[0], &mut left);
        let cache_write = take(parts[1], &mut left);
        let audio_in = take(parts[2], &mut left);
        let mut left = completion;
        let reasoning = take(parts[3], &mut left);
        let audio_out = take(parts[4], &mut left);
        let image_out = take(parts[5], &mut left);
        let body = json!({
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": audio_in,
                                      "cache_write_tokens": cache_write},
            "completion_tokens_details": {"reasoning_tokens": reasoning,
                "audio_tokens": audio_out, "image_tokens": image_out}
        });
        let u = Usage::from_openai_chat(&body).expect("an OpenAI chat usage");
        let buckets: u64 = Bucket::ALL
            .into_iter()
            .filter(|b| !b.is_per_item())
            .map(|b| u.quantity(b))
            .sum();
        prop_assert_eq!(buckets, prompt + completion);
        prop_assert_eq!(u.prompt_tokens(), prompt);
        prop_assert_eq!(u.completion_tokens(), completion);
        prop_assert_eq!(Usage::detect(&body).expect("a known usage shape"), u);
    }
}

proptest::proptest! {
    /// The flat plan (one price per component) and the general search agree on every usage.
    #[test]
    fn flat_plans_agree_with_the_general_search(
        input in 0u64..2_000_000, cache_read in 0u64..500_000, output in 0u64..200_000,
        reasoning in 0u64..100_000, audio_input in 0u64..10_000, images_in in 0u64..5, web_searches in 0u64..3,
    ) {
        let prices = [
            price(Component::Input, dec!(0.0000025)),
            price(Component::Output, dec!(0.00001)),
            price(Component::CacheRead, dec!(0.00000125)),
            price(Component::WebSearch, dec!(0.01)),
        ];
        let usage = Usage { input, cache_read, output, reasoning, audio_input, images_in, web_searches, ..Usage::default() };
        for discount in [None, Some(dec!(0.15))] {
            let plan = super::engine::PricePlan::new(&prices, discount).expect("valid");
            let flat = plan.price(&usage, noon()).expect("prices");
            let searched = plan.price_searching(&usage, noon()).expect("prices");
            proptest::prop_assert_eq!(flat.total, searched.total);
            proptest::prop_assert_eq!(flat.lines, searched.lines);
        }
    }
}

/// Any price a flat plan may hold: typical ones, and mantissas and scales that overflow
/// [`exact::Small`](super::exact) so the `Decimal` path takes over.
fn flat_usd() -> impl Strategy<Value = PriceValue> {
    prop_oneof![
        4 => usd().prop_map(PriceValue::Fixed),
        1 => (any::<u64>(), 0u32..=28).prop_map(|(m, s)| PriceValue::Fixed(Decimal::from_i128_with_scale(i128::from(m), s))),
        1 => (any::<u32>(), any::<u32>(), any::<u32>(), 0u32..=28)
            .prop_map(|(lo, mid, hi, s)| PriceValue::Fixed(Decimal::from_parts(lo, mid, hi, false, s))),
        1 => Just(PriceValue::Fixed(-Decimal::ZERO)),
        1 => Just(PriceValue::Variable),
    ]
}

fn any_quantity() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..1_000_000, 1 => Just(0u64), 1 => any::<u64>()]
}

proptest! {
    /// The flat plan's `Small` arithmetic gives the very same lines and total (every `Decimal`'s
    /// mantissa and scale, not only its value) and the same errors as `Decimal` arithmetic.
    #[test]
    fn flat_small_arithmetic_is_the_decimal_arithmetic(
        values in proptest::collection::vec(proptest::option::of(flat_usd()), 15),
        quantities in proptest::collection::vec(any_quantity(), 14),
        d in prop_oneof![
            Just(None),
            discount(),
            (0i64..=1_000_000_000, 0u32..=28).prop_map(|(m, s)| Decimal::try_new(m, s).ok().filter(|d| *d <= Decimal::ONE)),
        ],
    ) {
        let prices: Vec<Price> = Component::ALL
            .into_iter()
            .zip(values)
            .filter_map(|(c, v)| v.map(|value| Price { key: PriceKey::base(c), value, scope: TierScope::WholeRequest }))
            .collect();
        let mut u = Usage::default();
        for (b, n) in Bucket::ALL.into_iter().zip(quantities) {
            *bucket_mut(&mut u, b) = n;
        }
        let plan = PricePlan::new(&prices, d).expect("valid prices");
        let reference = plan.price_flat_reference(&u).expect("a flat plan");
        let fast = plan.price(&u, noon());
        prop_assert_eq!(format!("{fast:?}"), format!("{reference:?}"));
    }
}
