//! pydantic genai-prices `data.json` (v2, `prices/new_data/v2/data.json`): an array of providers,
//! each with `models`, each with `prices`. Prices are **USD per million tokens** (`*_mtok`) or
//! **USD per thousand** (`requests_kcount`, `web_searches_kcount`), as JSON numbers; they are
//! converted to USD per token / per request / per search exactly (the decimal point is moved,
//! never through `f64`).
//!
//! # Fields mapped to components (schema `data.schema.json`, `ModelPrice`)
//!
//! | genai-prices | component |
//! |---|---|
//! | `input_mtok` ("uncached text input/prompt token") / `output_mtok` | input / output |
//! | `cache_read_mtok` / `cache_write_mtok` | cache read / cache write |
//! | `cache_write_5m_mtok` | cache write, when `cache_write_mtok` is absent |
//! | `cache_write_1h_mtok` | cache write 1 hour |
//! | `input_audio_mtok` / `output_audio_mtok` / `cache_audio_read_mtok` | audio input / output / audio cache read |
//! | `output_reasoning_mtok` | reasoning |
//! | `output_image_mtok` | image token (output image tokens) |
//! | `requests_kcount` / `web_searches_kcount` | request / web search |
//!
//! Every other field (image, video and tool *input* tokens, citation tokens, image/video/audio
//! cache prices, characters, audio hours, pixels, pages, rerank/social/storage searches, code
//! executions, …) has no component: it is skipped and counted in [`Parsed::skipped_prices`].
//!
//! # Tiers
//!
//! A price may be `{base, tiers: [{start, price}]}`. The schema's `TieredPrices` description says:
//! "threshold-based pricing where *input tokens* crossing a tier applies that rate to ALL tokens of
//! this type … Using 200,001 tokens: all tokens pay tier rate (not just the tokens above 200K)", and
//! the implementation (pydantic/genai-prices `packages/python/genai_prices/types.py`
//! `calc_mtok_price` / `calc_unit_price`, and `packages/js/src/engine.ts` `calcTieredPrice` at
//! f3002ead3635bcaac01d681957c4494182edec53) selects a tier when `total_input_tokens > tier.start`.
//! So tiers are [`TierScope::WholeRequest`] and apply from `start + 1` prompt tokens.
//!
//! # Conditional prices
//!
//! `prices` may be a list of `{constraint?, prices}`; the schema: "they are tried last to first …
//! later conditional prices take precedence over earlier ones. If no conditional models match the
//! conditions, the first one is used." A `start_date` constraint is active from that UTC date on;
//! it is decided once, at the `now` given to [`parse`]. A time-of-day constraint
//! (`start_time`/`end_time`, RFC 3339 times such as `00:30:00Z`, converted to UTC when they carry
//! another offset) applies daily in `[start, end)`, wrapping past midnight, and becomes a
//! `utc:HHMM-HHMM` condition. The unconditional prices are those of the last entry that holds at
//! `now` regardless of the time of day (or the first entry); time-of-day entries after it become
//! conditional prices. Within such a window a component the window does not price keeps its
//! unconditional price (genai-prices would charge nothing for it; no real file does this).
//!
//! `provider` is the provider `id`, `native_id` the model `id` (the `match` rules are not kept),
//! `name` and `context_length` (`context_window`) as given.
#![deny(clippy::float_arithmetic)]

use super::litellm::{author_hint, keep_price, raw_int, raw_price, shift_decimal, utc_window};
use super::price_list::{EntryContext as Ctx, PriceListEntry};
use crate::domain::{Component, Price, PriceKey, PriceValue, TierScope};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

/// The source name of genai-prices price-list entries.
pub const SOURCE: &str = "genai-prices";

/// Why the file was rejected.
pub type ParseError = super::price_list::PriceListError;

pub use super::price_list::Parsed;

#[derive(Deserialize)]
struct WireProvider<'a> {
    id: String,
    #[serde(borrow, default)]
    models: Vec<WireModel<'a>>,
}

#[derive(Deserialize)]
struct WireModel<'a> {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(borrow, default)]
    context_window: Option<&'a RawValue>,
    #[serde(borrow)]
    prices: &'a RawValue,
}

#[derive(Deserialize)]
struct WireConditional<'a> {
    #[serde(borrow, default)]
    constraint: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(borrow)]
    prices: BTreeMap<String, &'a RawValue>,
}

#[derive(Deserialize)]
struct WireTiered<'a> {
    #[serde(borrow)]
    base: &'a RawValue,
    #[serde(borrow, default)]
    tiers: Vec<WireTier<'a>>,
}

#[derive(Deserialize)]
struct WireTier<'a> {
    #[serde(borrow)]
    start: &'a RawValue,
    #[serde(borrow)]
    price: &'a RawValue,
}

/// Parse a genai-prices v2 `data.json` body, choosing the prices in force at `now`.
pub fn parse(body: &[u8], now: Timestamp) -> Result<Vec<PriceListEntry>, ParseError> {
    parse_detailed(body, now).map(|p| p.entries)
}

/// Parse a genai-prices v2 `data.json` body at `now`, reporting what was skipped.
pub fn parse_detailed(body: &[u8], now: Timestamp) -> Result<Parsed, ParseError> {
    let providers: Vec<WireProvider> =
        serde_json::from_slice(body).map_err(|e| ParseError::Json { source_name: SOURCE, message: e.to_string() })?;
    let today = now.to_zoned(TimeZone::UTC).date();
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    for provider in &providers {
        for model in &provider.models {
            let ctx = Ctx { provider: &provider.id, model: &model.id };
            if !seen.insert((provider.id.as_str(), model.id.as_str())) {
                return Err(ctx.err("id", "listed twice"));
            }
            let mut noted = BTreeSet::new();
            let prices = model_prices(&ctx, model.prices, today, &mut noted)?;
            for name in noted {
                *out.skipped_prices.entry(name).or_insert(0) += 1;
            }
            if prices.is_empty() {
                out.skipped_entries.push(format!("{}/{}", provider.id, model.id));
                continue;
            }
            let context_length = match model.context_window {
                Some(raw) => raw_int(raw).map_err(|r| ctx.err("context_window", r))?,
                None => None,
            };
            out.entries.push(PriceListEntry {
                source: SOURCE,
                native_id: model.id.clone(),
                provider: provider.id.clone(),
                author_hint: author_hint(&model.id, &provider.id, true),
                name: model.name.clone().filter(|n| !n.trim().is_empty()),
                mode: None,
                context_length,
                max_output_tokens: None,
                input_modalities: Vec::new(),
                output_modalities: Vec::new(),
                capabilities: Vec::new(),
                release_date: None,
                deprecation_date: None,
                knowledge_cutoff: None,
                prices,
            });
        }
    }
    out.entries
        .sort_by(|a, b| (a.provider.as_str(), a.native_id.as_str()).cmp(&(b.provider.as_str(), b.native_id.as_str())));
    out.skipped_entries.sort();
    Ok(out)
}

/// When a conditional price applies.
enum Constraint {
    Always,
    From(Date),
    /// Minutes since midnight UTC, `[start, end)`.
    Daily(u32, u32),
}

fn constraint(ctx: &Ctx, field: &str, raw: Option<&BTreeMap<String, &RawValue>>) -> Result<Constraint, ParseError> {
    let Some(c) = raw else {
        return Ok(Constraint::Always);
    };
    let text = |name: &str| -> Result<Option<String>, ParseError> {
        c.get(name)
            .map(|r| serde_json::from_str::<String>(r.get()))
            .transpose()
            .map_err(|_| ctx.err(format!("{field}.{name}"), "expected a string"))
    };
    if let Some(date) = text("start_date")? {
        let d: Date = date.parse().map_err(|e| ctx.err(format!("{field}.start_date"), format!("{date:?}: {e}")))?;
        return Ok(Constraint::From(d));
    }
    match (text("start_time")?, text("end_time")?) {
        (Some(s), Some(e)) => {
            let start = utc_minutes(&s).map_err(|r| ctx.err(format!("{field}.start_time"), r))?;
            let end = utc_minutes(&e).map_err(|r| ctx.err(format!("{field}.end_time"), r))?;
            Ok(Constraint::Daily(start, end))
        }
        (None, None) if c.is_empty() => Ok(Constraint::Always),
        _ => Err(ctx.err(field, format!("unknown constraint {:?}", c.keys().collect::<Vec<_>>()))),
    }
}

/// An RFC 3339 time (`HH:MM:SS[.frac](Z|±HH:MM)`) as minutes since midnight UTC. Seconds must be
/// zero: a `utc:HHMM-HHMM` condition holds whole minutes.
fn utc_minutes(s: &str) -> Result<u32, String> {
    let bad = || format!("{s:?} is not a HH:MM:SS time with a UTC offset");
    let (clock, offset) = if let Some(c) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        (c, 0i64)
    } else {
        let at = s.rfind(['+', '-']).ok_or_else(bad)?;
        let (c, o) = s.split_at(at);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (h, m) = o[1..].split_once(':').ok_or_else(bad)?;
        let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        (c, sign * (h * 60 + m))
    };
    let mut parts = clock.split(':');
    let (h, m, sec) = (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next().unwrap_or("00"));
    if parts.next().is_some() || h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let seconds_zero =
        sec.split_once('.').map_or(sec, |(whole, frac)| if frac.bytes().all(|b| b == b'0') { whole } else { "x" });
    if h > 23 || m > 59 {
        return Err(bad());
    }
    if seconds_zero != "00" {
        return Err(format!("{s:?} is not a whole minute"));
    }
    let minutes = (h * 60 + m - offset).rem_euclid(24 * 60);
    u32::try_from(minutes).map_err(|_| bad())
}

fn model_prices(
    ctx: &Ctx,
    raw: &RawValue,
    today: Date,
    noted: &mut BTreeSet<String>,
) -> Result<Vec<Price>, ParseError> {
    let mut out: BTreeMap<PriceKey, Decimal> = BTreeMap::new();
    if raw.get().trim_start().starts_with('[') {
        let list: Vec<WireConditional> = serde_json::from_str(raw.get())
            .map_err(|e| ctx.err("prices", format!("expected conditional prices: {e}")))?;
        if list.is_empty() {
            return Err(ctx.err("prices", "an empty list of conditional prices"));
        }
        let constraints = list
            .iter()
            .enumerate()
            .map(|(i, c)| constraint(ctx, &format!("prices[{i}].constraint"), c.constraint.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        // Last to first: time-of-day entries take precedence until the first entry that holds
        // at `now` whatever the time of day; that one is the unconditional price.
        let mut windows: Vec<(usize, String)> = Vec::new();
        let mut base = 0;
        for (i, c) in constraints.iter().enumerate().rev() {
            match c {
                Constraint::Always => {
                    base = i;
                    break;
                }
                Constraint::From(d) if today >= *d => {
                    base = i;
                    break;
                }
                Constraint::From(_) => {}
                Constraint::Daily(s, e) => match utc_window(*s, *e) {
                    Some(w) => windows.push((i, w)),
                    None => {
                        noted.insert("constraint (empty time-of-day window)".to_string());
                    }
                },
            }
        }
        add_prices(ctx, &format!("prices[{base}]"), &list[base].prices, "", &mut out, noted)?;
        for (i, window) in windows {
            if i == base {
                continue;
            }
            let mut conditional = BTreeMap::new();
            add_prices(ctx, &format!("prices[{i}]"), &list[i].prices, &window, &mut conditional, noted)?;
            for (k, v) in conditional {
                // A window listed twice: the later entry (seen first) takes precedence.
                out.entry(k).or_insert(v);
            }
        }
    } else {
        let prices: BTreeMap<String, &RawValue> =
            serde_json::from_str(raw.get()).map_err(|e| ctx.err("prices", format!("expected an object: {e}")))?;
        add_prices(ctx, "prices", &prices, "", &mut out, noted)?;
    }
    Ok(out
        .into_iter()
        .filter(|(k, v)| keep_price(k, *v))
        .map(|(key, v)| Price { key, value: PriceValue::Fixed(v), scope: TierScope::WholeRequest })
        .collect())
}

/// The component of a `ModelPrice` field and the power of ten its unit is per (6 for per
/// million tokens, 3 for per thousand).
fn field_component(name: &str, prices: &BTreeMap<String, &RawValue>) -> Option<(Component, i64)> {
    Some(match name {
        "input_mtok" => (Component::Input, 6),
        "output_mtok" => (Component::Output, 6),
        "cache_read_mtok" => (Component::CacheRead, 6),
        "cache_write_mtok" => (Component::CacheWrite, 6),
        "cache_write_5m_mtok" if !prices.contains_key("cache_write_mtok") => (Component::CacheWrite, 6),
        "cache_write_1h_mtok" => (Component::CacheWrite1h, 6),
        "input_audio_mtok" => (Component::AudioInput, 6),
        "output_audio_mtok" => (Component::AudioOutput, 6),
        "cache_audio_read_mtok" => (Component::AudioCacheRead, 6),
        "output_reasoning_mtok" => (Component::Reasoning, 6),
        "output_image_mtok" => (Component::ImageOutputToken, 6),
        "requests_kcount" => (Component::Request, 3),
        "web_searches_kcount" => (Component::WebSearch, 3),
        _ => return None,
    })
}

fn per_unit(ctx: &Ctx, field: &str, raw: &RawValue, power: i64) -> Result<Decimal, ParseError> {
    let v = raw_price(raw).map_err(|r| ctx.err(field, r))?.ok_or_else(|| ctx.err(field, "is null"))?;
    shift_decimal(v, -power).ok_or_else(|| ctx.err(field, format!("{v} cannot be divided exactly")))
}

fn add_prices(
    ctx: &Ctx,
    at: &str,
    prices: &BTreeMap<String, &RawValue>,
    condition: &str,
    out: &mut BTreeMap<PriceKey, Decimal>,
    noted: &mut BTreeSet<String>,
) -> Result<(), ParseError> {
    for (name, raw) in prices {
        let field = format!("{at}.{name}");
        let Some((component, power)) = field_component(name, prices) else {
            noted.insert(name.clone());
            continue;
        };
        let key = |min_prompt_tokens: i64| PriceKey { component, min_prompt_tokens, condition: condition.to_string() };
        if raw.get().trim_start().starts_with('{') {
            let tiered: WireTiered = serde_json::from_str(raw.get())
                .map_err(|e| ctx.err(&field, format!("expected a number or {{base, tiers}}: {e}")))?;
            out.insert(key(0), per_unit(ctx, &format!("{field}.base"), tiered.base, power)?);
            for (i, tier) in tiered.tiers.iter().enumerate() {
                let tf = format!("{field}.tiers[{i}]");
                let start = raw_int(tier.start)
                    .map_err(|r| ctx.err(format!("{tf}.start"), r))?
                    .filter(|s| *s >= 0)
                    .ok_or_else(|| ctx.err(format!("{tf}.start"), "expected a token count"))?;
                let value = per_unit(ctx, &format!("{tf}.price"), tier.price, power)?;
                if out.insert(key(start + 1), value).is_some() {
                    return Err(ctx.err(tf, format!("a second tier at {start} tokens")));
                }
            }
        } else {
            out.insert(key(0), per_unit(ctx, &field, raw, power)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const FIXTURE: &[u8] = include_bytes!("../../fixtures/genai-prices/data_v2_2026-08-21.json");

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn parsed(now: &str) -> Parsed {
        parse_detailed(FIXTURE, at(now)).expect("the real file parses")
    }

    fn entry<'a>(p: &'a Parsed, provider: &str, id: &str) -> &'a PriceListEntry {
        p.entry(provider, id).unwrap_or_else(|| panic!("{provider}/{id} is parsed"))
    }

    #[test]
    fn counts_entries_and_skips() {
        let p = parsed("2026-08-21T00:00:00Z");
        assert_eq!(p.entries.len() + p.skipped_entries.len(), 1466);
        assert_eq!(p.entries.len(), 1309);
        // `prices: {}` (mostly `:free` variants): no price is given, so none is stored.
        assert_eq!(p.skipped_entries.len(), 157);
        assert!(p.skipped_entries.contains(&"mistral/mistral-nemo:free".to_string()));
        assert_eq!(p.skipped_prices.get("input_image_mtok"), Some(&9));
        let sorted =
            p.entries.windows(2).all(|w| (&w[0].provider, &w[0].native_id) < (&w[1].provider, &w[1].native_id));
        assert!(sorted);
    }

    #[test]
    fn anthropic_tiers_are_whole_request_from_start_plus_one() {
        let p = parsed("2026-08-21T00:00:00Z");
        let e = entry(&p, "anthropic", "claude-sonnet-4-5");
        assert_eq!(e.name.as_deref(), Some("Claude Sonnet 4.5"));
        assert_eq!(e.context_length, Some(1_000_000));
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000003)));
        assert_eq!(e.price_of(Component::Input, 200_001, ""), Some(dec!(0.000006)));
        assert_eq!(e.price_of(Component::Output, 200_001, ""), Some(dec!(0.0000225)));
        assert_eq!(e.price_of(Component::CacheRead, 200_001, ""), Some(dec!(0.0000006)));
        assert_eq!(e.price_of(Component::CacheWrite, 200_001, ""), Some(dec!(0.0000075)));
        assert_eq!(e.price_of(Component::CacheWrite1h, 200_001, ""), Some(dec!(0.000012)));
        assert_eq!(e.price_of(Component::WebSearch, 0, ""), Some(dec!(0.01)));
        assert!(e.prices.iter().all(|p| p.scope == TierScope::WholeRequest));
    }

    #[test]
    fn date_constraints_choose_the_price_in_force_at_now() {
        // claude-opus-4-6: tiers until 2026-03-13, flat prices from then on.
        let before = parsed("2026-03-12T23:59:59Z");
        let e = entry(&before, "anthropic", "claude-opus-4-6");
        assert_eq!(e.price_of(Component::Input, 200_001, ""), Some(dec!(0.00001)));
        let after = parsed("2026-03-13T00:00:00Z");
        let e = entry(&after, "anthropic", "claude-opus-4-6");
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000005)));
        assert_eq!(e.price_of(Component::Input, 200_001, ""), None);

        // claude-sonnet-5 is repriced on 2026-09-01.
        let e = entry(&after, "anthropic", "claude-sonnet-5");
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.00001)));
        let later = parsed("2026-09-01T00:00:00Z");
        let e = entry(&later, "anthropic", "claude-sonnet-5");
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.000015)));

        // o3 before and after its 2025-06-10 price cut.
        let e = entry(&parsed("2025-06-09T12:00:00Z"), "openai", "o3").clone();
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.00001)));
        let e = entry(&after, "openai", "o3");
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000002)));
    }

    #[test]
    fn deepseek_time_of_day_prices_become_utc_windows() {
        let p = parsed("2026-08-21T00:00:00Z");
        let e = entry(&p, "deepseek", "deepseek-chat");
        // Off-peak (the first, unconditional entry) is the base; 00:30–16:30 UTC is standard.
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000000135)));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.00000055)));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.000000035)));
        assert_eq!(e.price_of(Component::Input, 0, "utc:0030-1630"), Some(dec!(0.00000027)));
        assert_eq!(e.price_of(Component::Output, 0, "utc:0030-1630"), Some(dec!(0.0000011)));
        assert_eq!(e.price_of(Component::CacheRead, 0, "utc:0030-1630"), Some(dec!(0.00000007)));
        assert_eq!(e.prices.len(), 6);
        assert_eq!(e.author_hint.as_deref(), Some("deepseek"));
    }

    #[test]
    fn per_thousand_and_exactness() {
        let p = parsed("2026-08-21T00:00:00Z");
        let e = entry(&p, "deepseek", "deepseek-v4-pro");
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.000000003625)));
        let e = entry(&p, "aws", "global.anthropic.claude-sonnet-5-v1:0");
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
        let body = br#"[{"id":"p","name":"P","api_pattern":"x","models":[
            {"id":"m","match":{"equals":"m"},"prices":{"input_mtok":2.5e-0,"output_mtok":0,
             "cache_read_mtok":0,"requests_kcount":5,"input_image_mtok":1}}]}]"#;
        let p = parse_detailed(body, at("2026-01-01T00:00:00Z")).expect("parses");
        let e = &p.entries[0];
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.0000025)));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(Decimal::ZERO));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), None, "zero and not input/output");
        assert_eq!(e.price_of(Component::Request, 0, ""), Some(dec!(0.005)));
        assert_eq!(p.skipped_prices.get("input_image_mtok"), Some(&1));
    }

    #[test]
    fn times_with_offsets_are_converted_to_utc() {
        assert_eq!(utc_minutes("00:30:00Z"), Ok(30));
        assert_eq!(utc_minutes("08:30:00+08:00"), Ok(30));
        assert_eq!(utc_minutes("00:30:00+08:00"), Ok(16 * 60 + 30));
        assert_eq!(utc_minutes("23:00:00-02:00"), Ok(60));
        assert_eq!(utc_minutes("16:30:00.000Z"), Ok(16 * 60 + 30));
        assert!(utc_minutes("16:30:10Z").is_err());
        assert!(utc_minutes("16:30").is_err());
        let body = br#"[{"id":"p","name":"P","api_pattern":"x","models":[
            {"id":"m","match":{"equals":"m"},"prices":[{"prices":{"input_mtok":1,"output_mtok":2}},
             {"constraint":{"start_time":"18:00:00+08:00","end_time":"02:00:00+08:00"},
              "prices":{"input_mtok":0.5,"output_mtok":1}}]}]}]"#;
        let p = parse(body, at("2026-01-01T00:00:00Z")).expect("parses");
        assert_eq!(p[0].price_of(Component::Input, 0, "utc:1000-1800"), Some(dec!(0.0000005)));
    }

    #[test]
    fn bad_prices_name_the_provider_model_and_field() {
        let body = br#"[{"id":"p","name":"P","api_pattern":"x","models":[
            {"id":"m1","match":{"equals":"m1"},"prices":{"input_mtok":"abc"}}]}]"#;
        let err = parse(body, at("2026-01-01T00:00:00Z")).expect_err("rejects").to_string();
        assert!(err.contains("\"p\"") && err.contains("m1") && err.contains("input_mtok"), "{err}");
        let body = br#"[{"id":"p","name":"P","api_pattern":"x","models":[
            {"id":"m1","match":{"equals":"m1"},"prices":{"output_mtok":{"base":1,"tiers":[{"start":10,"price":-2}]}}}]}]"#;
        let err = parse(body, at("2026-01-01T00:00:00Z")).expect_err("rejects").to_string();
        assert!(err.contains("output_mtok.tiers[0].price") && err.contains("negative"), "{err}");
        assert!(matches!(parse(b"[{", at("2026-01-01T00:00:00Z")), Err(ParseError::Json { .. })));
    }
}
