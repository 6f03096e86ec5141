//! models.dev `api.json`: an object keyed by provider id, each with `models` keyed by model id
//! (ids may contain `/` and `:`). `cost` is in **USD per million tokens**, as JSON numbers; it is
//! converted to USD per token exactly (the decimal point is moved, never through `f64`).
//!
//! # Cost fields
//!
//! `input`, `output`, `cache_read`, `cache_write`, `reasoning`, `input_audio`, `output_audio` map
//! to the components of those names (cache write is the 5-minute write). Any other cost field
//! (`per_minute`, …) has no component: it is skipped and counted in [`Parsed::skipped_prices`].
//!
//! # Tiers
//!
//! `cost.context_over_200k` (older files) is a context tier at 200,000 prompt tokens, and
//! `cost.tiers: [{tier: {type: "context", size: N}, input, output, …}]` (newer files, the
//! `[[cost.tiers]]` tables of the TOML sources, e.g. `claude-opus-4.6` with
//! `tier = {type = "context", size = 200_000}`) are tiers at N. They reprice the **whole request**:
//! they mirror the providers' long-context pricing (Anthropic and Gemini bill every token of a
//! request above 200K at the higher rate), and opencode — the models.dev maintainers' client —
//! prices a request entirely at the tier's rates when `input + cache.read > 200_000`
//! (`experimentalOver200K`), and with `tiers`, at the largest tier whose `contextTokens >
//! tier.size` (`Session.getUsage`, `packages/opencode/src/session/index.ts`). The comparison is
//! strict, so a tier at N applies from N+1 prompt tokens. Tiers of any other `type` are skipped.
//!
//! # Other fields
//!
//! `provider` is the provider key, `native_id` the model key; `limit.context` → context length,
//! `limit.output` → max output tokens (0 means unknown); `modalities`; `tool_call` → `tools`,
//! `reasoning` → `reasoning`, `structured_output` → `structured_outputs`; `release_date`;
//! `knowledge` → knowledge cutoff. The author is the id's `author/` prefix when present, else a
//! provider that sells only its own models, else the model family.
#![deny(clippy::float_arithmetic)]

use super::litellm::{author_hint, keep_price, raw_int, raw_price, shift_decimal, sorted_unique};
use super::price_list::{EntryContext as Ctx, PriceListEntry};
use crate::domain::{Component, Price, PriceKey, PriceValue, TierScope};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

/// The source name of models.dev price-list entries.
pub const SOURCE: &str = "models-dev";

/// The prompt size of `cost.context_over_200k`.
const CONTEXT_OVER_200K: i64 = 200_000;

/// Why the file was rejected.
pub type ParseError = super::price_list::PriceListError;

pub use super::price_list::Parsed;

#[derive(Deserialize)]
struct WireProvider<'a> {
    #[serde(borrow, default)]
    models: BTreeMap<String, WireModel<'a>>,
}

#[derive(Deserialize)]
struct WireModel<'a> {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    reasoning: Option<bool>,
    #[serde(default)]
    tool_call: Option<bool>,
    #[serde(default)]
    structured_output: Option<bool>,
    #[serde(default)]
    knowledge: Option<String>,
    #[serde(default)]
    release_date: Option<String>,
    #[serde(default)]
    modalities: Option<WireModalities>,
    #[serde(borrow, default)]
    cost: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(borrow, default)]
    limit: Option<WireLimit<'a>>,
}

#[derive(Deserialize)]
struct WireModalities {
    #[serde(default)]
    input: Vec<String>,
    #[serde(default)]
    output: Vec<String>,
}

#[derive(Deserialize)]
struct WireLimit<'a> {
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireTierSpec<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    size: &'a RawValue,
}

/// Parse a models.dev `api.json` body into price-list entries.
pub fn parse(body: &[u8]) -> Result<Vec<PriceListEntry>, ParseError> {
    parse_detailed(body).map(|p| p.entries)
}

/// Parse a models.dev `api.json` body, reporting what was skipped.
pub fn parse_detailed(body: &[u8]) -> Result<Parsed, ParseError> {
    let providers: BTreeMap<String, WireProvider> =
        serde_json::from_slice(body).map_err(|e| ParseError::Json { source_name: SOURCE, message: e.to_string() })?;
    let mut out = Parsed::default();
    for (provider, p) in &providers {
        for (id, model) in &p.models {
            let ctx = Ctx { provider, model: id };
            let mut noted = BTreeSet::new();
            let prices = match &model.cost {
                Some(cost) => cost_prices(&ctx, cost, &mut noted)?,
                None => Vec::new(),
            };
            for name in noted {
                *out.skipped_prices.entry(name).or_insert(0) += 1;
            }
            if prices.is_empty() {
                out.skipped_entries.push(format!("{provider}/{id}"));
                continue;
            }
            let limit = |raw: Option<&RawValue>, field: &str| -> Result<Option<i64>, ParseError> {
                match raw {
                    Some(r) => Ok(raw_int(r).map_err(|e| ctx.err(field, e))?.filter(|n| *n > 0)),
                    None => Ok(None),
                }
            };
            let lim = model.limit.as_ref();
            let mut capabilities = Vec::new();
            if model.tool_call == Some(true) {
                capabilities.push("tools".to_string());
            }
            if model.reasoning == Some(true) {
                capabilities.push("reasoning".to_string());
            }
            if model.structured_output == Some(true) {
                capabilities.push("structured_outputs".to_string());
            }
            let (input, output) =
                model.modalities.as_ref().map(|m| (m.input.clone(), m.output.clone())).unwrap_or_default();
            let text = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
            out.entries.push(PriceListEntry {
                source: SOURCE,
                native_id: id.clone(),
                provider: provider.clone(),
                author_hint: author_hint(id, provider, true),
                name: text(&model.name),
                mode: None,
                context_length: limit(lim.and_then(|l| l.context), "limit.context")?,
                max_output_tokens: limit(lim.and_then(|l| l.output), "limit.output")?,
                input_modalities: sorted_unique(input),
                output_modalities: sorted_unique(output),
                capabilities: sorted_unique(capabilities),
                release_date: text(&model.release_date),
                deprecation_date: None,
                knowledge_cutoff: text(&model.knowledge),
                prices,
            });
        }
    }
    out.entries
        .sort_by(|a, b| (a.provider.as_str(), a.native_id.as_str()).cmp(&(b.provider.as_str(), b.native_id.as_str())));
    out.skipped_entries.sort();
    Ok(out)
}

fn component(name: &str) -> Option<Component> {
    Some(match name {
        "input" => Component::Input,
        "output" => Component::Output,
        "cache_read" => Component::CacheRead,
        "cache_write" => Component::CacheWrite,
        "reasoning" => Component::Reasoning,
        "input_audio" => Component::AudioInput,
        "output_audio" => Component::AudioOutput,
        _ => return None,
    })
}

fn cost_prices(
    ctx: &Ctx,
    cost: &BTreeMap<String, &RawValue>,
    noted: &mut BTreeSet<String>,
) -> Result<Vec<Price>, ParseError> {
    let mut out: BTreeMap<PriceKey, Decimal> = BTreeMap::new();
    for (name, raw) in cost {
        match name.as_str() {
            "tiers" => {
                let tiers: Vec<BTreeMap<String, &RawValue>> = serde_json::from_str(raw.get())
                    .map_err(|e| ctx.err("cost.tiers", format!("expected a list of objects: {e}")))?;
                for (i, mut rates) in tiers.into_iter().enumerate() {
                    let field = format!("cost.tiers[{i}]");
                    let spec: WireTierSpec = rates
                        .remove("tier")
                        .map(|t| serde_json::from_str(t.get()))
                        .transpose()
                        .map_err(|e| ctx.err(format!("{field}.tier"), e.to_string()))?
                        .ok_or_else(|| ctx.err(format!("{field}.tier"), "missing"))?;
                    if spec.kind != "context" {
                        noted.insert(format!("tiers (type {})", spec.kind));
                        continue;
                    }
                    let size = raw_int(spec.size)
                        .map_err(|r| ctx.err(format!("{field}.tier.size"), r))?
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| ctx.err(format!("{field}.tier.size"), "expected a token count"))?;
                    add_rates(ctx, &field, &rates, size + 1, &mut out, noted)?;
                }
            }
            // Handled after `tiers`, which take precedence where both give the same tier.
            "context_over_200k" => {}
            _ => add_rate(ctx, "cost", name, raw, 0, &mut out, noted)?,
        }
    }
    if let Some(raw) = cost.get("context_over_200k") {
        let rates: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())
            .map_err(|e| ctx.err("cost.context_over_200k", format!("expected an object: {e}")))?;
        let mut tier = BTreeMap::new();
        add_rates(ctx, "cost.context_over_200k", &rates, CONTEXT_OVER_200K + 1, &mut tier, noted)?;
        for (k, v) in tier {
            out.entry(k).or_insert(v);
        }
    }
    Ok(out
        .into_iter()
        .filter(|(k, v)| keep_price(k, *v))
        .map(|(key, v)| Price { key, value: PriceValue::Fixed(v), scope: TierScope::WholeRequest })
        .collect())
}

fn add_rates(
    ctx: &Ctx,
    at: &str,
    rates: &BTreeMap<String, &RawValue>,
    min_prompt_tokens: i64,
    out: &mut BTreeMap<PriceKey, Decimal>,
    noted: &mut BTreeSet<String>,
) -> Result<(), ParseError> {
    for (name, raw) in rates {
        add_rate(ctx, at, name, raw, min_prompt_tokens, out, noted)?;
    }
    Ok(())
}

fn add_rate(
    ctx: &Ctx,
    at: &str,
    name: &str,
    raw: &RawValue,
    min_prompt_tokens: i64,
    out: &mut BTreeMap<PriceKey, Decimal>,
    noted: &mut BTreeSet<String>,
) -> Result<(), ParseError> {
    let field = format!("{at}.{name}");
    let Some(component) = component(name) else {
        noted.insert(field.strip_prefix("cost.").unwrap_or(&field).to_string());
        return Ok(());
    };
    let Some(per_million) = raw_price(raw).map_err(|r| ctx.err(&field, r))? else {
        return Ok(());
    };
    let per_token = shift_decimal(per_million, -6)
        .ok_or_else(|| ctx.err(&field, format!("{per_million} cannot be divided exactly")))?;
    let key = PriceKey { component, min_prompt_tokens, condition: String::new() };
    if out.insert(key.clone(), per_token).is_some() {
        return Err(ctx.err(field, format!("{} is given twice", key.label())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const FIXTURE: &[u8] = include_bytes!("../../fixtures/models.dev/api_2025-11-18.json");

    fn parsed() -> Parsed {
        parse_detailed(FIXTURE).expect("the real file parses")
    }

    fn entry<'a>(p: &'a Parsed, provider: &str, id: &str) -> &'a PriceListEntry {
        p.entry(provider, id).unwrap_or_else(|| panic!("{provider}/{id} is parsed"))
    }

    #[test]
    fn counts_entries_and_skips() {
        let p = parsed();
        assert_eq!(p.entries.len(), 1139, "every model has a cost object");
        assert!(p.skipped_entries.is_empty());
        assert!(p.skipped_prices.is_empty(), "{:?}", p.skipped_prices);
        let sorted =
            p.entries.windows(2).all(|w| (&w[0].provider, &w[0].native_id) < (&w[1].provider, &w[1].native_id));
        assert!(sorted);
    }

    #[test]
    fn claude_3_5_sonnet_is_exact() {
        let p = parsed();
        let e = entry(&p, "anthropic", "claude-3-5-sonnet-20241022");
        assert_eq!(e.name.as_deref(), Some("Claude Sonnet 3.5 v2"));
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000003)));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.000015)));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.0000003)));
        assert_eq!(e.price_of(Component::CacheWrite, 0, ""), Some(dec!(0.00000375)));
        assert_eq!(e.prices.len(), 4);
        assert_eq!(e.context_length, Some(200_000));
        assert_eq!(e.max_output_tokens, Some(8192));
        assert_eq!(e.input_modalities, ["image", "text"]);
        assert_eq!(e.output_modalities, ["text"]);
        assert_eq!(e.capabilities, ["tools"]);
        assert_eq!(e.release_date.as_deref(), Some("2024-10-22"));
        assert_eq!(e.knowledge_cutoff.as_deref(), Some("2024-04-30"));
    }

    #[test]
    fn context_over_200k_is_a_whole_request_tier_from_200001() {
        let p = parsed();
        let e = entry(&p, "openrouter", "anthropic/claude-sonnet-4.5");
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000003)));
        assert_eq!(e.price_of(Component::Input, 200_001, ""), Some(dec!(0.000006)));
        assert_eq!(e.price_of(Component::Output, 200_001, ""), Some(dec!(0.0000225)));
        assert_eq!(e.price_of(Component::CacheRead, 200_001, ""), Some(dec!(0.0000006)));
        assert_eq!(e.price_of(Component::CacheWrite, 200_001, ""), Some(dec!(0.0000075)));
        assert_eq!(e.prices.len(), 8);
        assert!(e.prices.iter().all(|p| p.scope == TierScope::WholeRequest));
    }

    #[test]
    fn cost_tiers_of_newer_files_are_read() {
        // The shape of the `[[cost.tiers]]` TOML example (claude-opus-4.6 at OpenRouter).
        let body = br#"{"openrouter": {"models": {"anthropic/claude-opus-4.6": {
            "id": "anthropic/claude-opus-4.6", "name": "Claude Opus 4.6",
            "cost": {"input": 5, "output": 25, "cache_read": 0.5, "cache_write": 6.25,
                     "tiers": [{"tier": {"type": "context", "size": 200000},
                                "input": 10, "output": 37.5, "cache_read": 1, "cache_write": 12.5},
                               {"tier": {"type": "time", "size": 1}, "input": 1}]},
            "limit": {"context": 1000000, "output": 128000}}}}}"#;
        let p = parse_detailed(body).expect("parses");
        let e = &p.entries[0];
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000005)));
        assert_eq!(e.price_of(Component::Output, 200_001, ""), Some(dec!(0.0000375)));
        assert_eq!(e.price_of(Component::CacheWrite, 200_001, ""), Some(dec!(0.0000125)));
        assert_eq!(p.skipped_prices.get("tiers (type time)"), Some(&1));
    }

    #[test]
    fn zero_prices_and_exactness() {
        let body = br#"{"lmstudio": {"models": {"openai/gpt-oss-20b": {
            "cost": {"input": 0, "output": 0, "cache_read": 0, "reasoning": 2.5e-0, "per_minute": 1}},
            "nothing": {"name": "No cost"}}}}"#;
        let p = parse_detailed(body).expect("parses");
        let e = &p.entries[0];
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(Decimal::ZERO));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(Decimal::ZERO));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), None);
        assert_eq!(e.price_of(Component::Reasoning, 0, ""), Some(dec!(0.0000025)));
        assert_eq!(e.author_hint.as_deref(), Some("openai"));
        assert_eq!(p.skipped_entries, ["lmstudio/nothing"]);
        assert_eq!(p.skipped_prices.get("per_minute"), Some(&1));
    }

    #[test]
    fn bad_prices_name_the_provider_model_and_field() {
        let body = br#"{"p": {"models": {"m:1": {"cost": {"input": 1, "output": -3}}}}}"#;
        let err = parse(body).expect_err("rejects").to_string();
        assert!(err.contains("\"p\"") && err.contains("m:1") && err.contains("cost.output"), "{err}");
        let body = br#"{"p": {"models": {"m": {"cost": {"input": "x", "output": 1}}}}}"#;
        assert!(parse(body).is_err());
        assert!(matches!(parse(b"{\"p\": "), Err(ParseError::Json { .. })));
    }
}
