//! LiteLLM's `model_prices_and_context_window.json`: one object per model key, prices in
//! **USD per unit as JSON numbers** (`2.5e-06` per token, `0.04` per image, `0.005` per request).
//!
//! Numbers are read from their exact JSON text (never through `f64`), so `2.5e-06` is exactly
//! `0.0000025`. `sample_spec` (the format's own documentation) is not a model.
//!
//! # Keys mapped to components
//!
//! | LiteLLM key | component |
//! |---|---|
//! | `input_cost_per_token` / `output_cost_per_token` | input / output |
//! | `cache_read_input_token_cost` | cache read |
//! | `cache_creation_input_token_cost` | cache write (5 minutes) |
//! | `cache_creation_input_token_cost_above_1hr` | cache write 1 hour |
//! | `output_cost_per_reasoning_token` | reasoning |
//! | `input_cost_per_audio_token` / `output_cost_per_audio_token` | audio input / output |
//! | `cache_read_input_audio_token_cost` | audio cache read |
//! | `output_cost_per_image_token` | image token (output image tokens) |
//! | `input_cost_per_image` / `output_cost_per_image` | image input / output (per image) |
//! | `input_cost_per_request`, `input_cost_per_query` | request (a search, rerank or embedding call is billed per query, one query per request) |
//! | `search_context_cost_per_query.search_context_size_medium` | web search (the *medium* search-context size is taken as the representative per-search price; `low`/`high` are not kept) |
//!
//! Suffixes: `_batches` → condition `batch`, `_priority` → `priority`, `_flex` → `flex`,
//! `_ultrafast` → `ultrafast` (LiteLLM's service tiers, `_get_service_tier_cost_key` in
//! `litellm/litellm_core_utils/llm_cost_calc/utils.py`).
//!
//! # Tiers
//!
//! `*_above_<N>k_tokens` (or `_above_<N>_tokens`) keys are context tiers at N×1000 (or N) prompt
//! tokens. LiteLLM applies them to the **whole request**: `_get_token_base_cost` in
//! `litellm/litellm_core_utils/llm_cost_calc/utils.py` (BerriAI/litellm, read at commit
//! 001b531ae960aad3fa38447508d4ce0d05c118c4) says "If input_tokens > threshold and
//! `input_cost_per_token_above_[x]k_tokens` … is set, then we use the corresponding threshold cost
//! for all token types", comparing `usage.prompt_tokens > threshold`, or `>=` for the providers in
//! `_INCLUSIVE_THRESHOLD_PROVIDERS = {"xai"}`. So a tier "above N" applies from N+1 prompt tokens
//! (`min_prompt_tokens = N + 1`), and from N for `litellm_provider = "xai"`.
//!
//! `tiered_pricing` lists (`[{range: [start, end], input_cost_per_token, …}]`) are also
//! whole-request: `select_tier_for_input` in `llm_cost_calc/tiered_pricing.py` picks one tier with
//! `range[0] < prompt_tokens <= range[1]` (the last tier beyond the highest range) and "every token
//! in the request … is billed at that one tier's rate". A tier starting at `start > 0` therefore
//! applies from `start + 1` prompt tokens; the tier starting at 0 is the base price and replaces
//! the top-level one, as in LiteLLM.
//!
//! `off_peak_pricing` windows (`hours_utc: "HH:MM-HH:MM"`, UTC) become `utc:HHMM-HHMM`
//! conditions when they hold every day. Windows restricted to weekdays (`windows[].weekdays`, as
//! all DeepSeek ones are) cannot be expressed by a time-of-day condition and are skipped.
//!
//! # Skipped (counted in [`Parsed::skipped_prices`], never stored)
//!
//! Every other `*cost*` key, for want of a component: per second (`*_per_second*`,
//! `output_cost_per_second_<resolution>`), per character, per pixel, per page, per session, per
//! credit, per text message, per-size image prices (`output_cost_per_image_1024`…), image and
//! video *tokens* on input (`input_cost_per_image_token`, `*_video_token`), audio cache writes,
//! image cache reads, the 12-hour cache write (`*_above_12hr*`), Databricks DBU rates, citation
//! tokens, `input_cost_per_token_cache_hit` (a duplicate of the cache-read price),
//! `explicit_cache_read_input_token_cost`, `google_maps_grounding_cost_per_query`,
//! `guardrail_cost_per_unit`, and the `_balanced` / `_decisions` variants that LiteLLM's cost code
//! does not define. `tiered_pricing` by `max_results_range` (search APIs priced by result count) is
//! skipped too. Entries left with no price at all are skipped and listed.
//!
//! # Other fields
//!
//! `provider` is `litellm_provider`; `context_length` is `max_input_tokens` (else `max_tokens`);
//! capabilities: `supports_function_calling` → `tools`, `supports_response_schema` →
//! `response_format` + `structured_outputs`, `supports_reasoning` → `reasoning`; modalities from
//! `supported_modalities` / `supported_output_modalities`, `supports_vision` (image),
//! `supports_audio_input` / `supports_audio_output` (audio), `supports_pdf_input` (pdf),
//! `supports_video_input` (video) and the mode.
#![deny(clippy::float_arithmetic)]

use super::price_list::PriceListEntry;
use crate::domain::{Component, Price, PriceKey, PriceValue, TierScope};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

/// The source name of LiteLLM price-list entries.
pub const SOURCE: &str = "litellm";

/// Why a LiteLLM price file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not the JSON object we expect.
    #[error("malformed LiteLLM price file: {0}")]
    Json(String),
    /// An entry carries a value we cannot accept.
    #[error("entry {entry:?}: {field}: {reason}")]
    Field {
        /// The model key, e.g. `gpt-4o`.
        entry: String,
        /// The field, e.g. `input_cost_per_token`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn field_error(entry: &str, field: impl Into<String>, reason: impl Into<String>) -> ParseError {
    ParseError::Field { entry: entry.to_string(), field: field.into(), reason: reason.into() }
}

pub use super::price_list::Parsed;

/// Parse a `model_prices_and_context_window.json` body into price-list entries.
pub fn parse(body: &[u8]) -> Result<Vec<PriceListEntry>, ParseError> {
    parse_detailed(body).map(|p| p.entries)
}

/// Parse a `model_prices_and_context_window.json` body, reporting what was skipped.
pub fn parse_detailed(body: &[u8]) -> Result<Parsed, ParseError> {
    let top: BTreeMap<String, &RawValue> = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let mut out = Parsed::default();
    for (key, raw) in top {
        if key == "sample_spec" {
            continue;
        }
        let fields: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())
            .map_err(|e| field_error(&key, "value", format!("expected an object: {e}")))?;
        match parse_entry(&key, &fields, &mut out.skipped_prices)? {
            Some(entry) => out.entries.push(entry),
            None => out.skipped_entries.push(key),
        }
    }
    out.entries
        .sort_by(|a, b| (a.provider.as_str(), a.native_id.as_str()).cmp(&(b.provider.as_str(), b.native_id.as_str())));
    out.skipped_entries.sort();
    Ok(out)
}

/// Conditions LiteLLM spells as key suffixes, longest first (`_ultrafast` before `_flex`).
const CONDITION_SUFFIXES: [(&str, &str); 4] =
    [("_ultrafast", "ultrafast"), ("_priority", "priority"), ("_batches", "batch"), ("_flex", "flex")];

/// What a LiteLLM key is.
#[derive(Debug, PartialEq)]
enum KeyClass {
    /// A price we store.
    Price {
        component: Component,
        /// The `_above_<N>` threshold in tokens, if a context tier.
        above: Option<i64>,
        condition: &'static str,
    },
    /// A price no component expresses.
    Unsupported,
    /// Not a price at all.
    NotAPrice,
}

fn base_component(base: &str) -> Option<Component> {
    Some(match base {
        "input_cost_per_token" => Component::Input,
        "output_cost_per_token" => Component::Output,
        "cache_read_input_token_cost" => Component::CacheRead,
        "cache_creation_input_token_cost" => Component::CacheWrite,
        "cache_creation_input_token_cost_above_1hr" => Component::CacheWrite1h,
        "output_cost_per_reasoning_token" => Component::Reasoning,
        "input_cost_per_audio_token" => Component::AudioInput,
        "output_cost_per_audio_token" => Component::AudioOutput,
        "cache_read_input_audio_token_cost" => Component::AudioCacheRead,
        "output_cost_per_image_token" => Component::ImageOutputToken,
        "input_cost_per_image" => Component::ImageInput,
        "output_cost_per_image" => Component::ImageOutput,
        "input_cost_per_request" | "input_cost_per_query" => Component::Request,
        _ => return None,
    })
}

fn strip_condition(key: &str) -> (&str, Option<&'static str>) {
    for (suffix, condition) in CONDITION_SUFFIXES {
        if let Some(rest) = key.strip_suffix(suffix) {
            return (rest, Some(condition));
        }
    }
    (key, None)
}

/// `…_above_<N>k_tokens` → (`…`, N×1000); `…_above_<N>_tokens` → (`…`, N).
fn strip_threshold(key: &str) -> Option<(&str, i64)> {
    let stem = key.strip_suffix("_tokens")?;
    let at = stem.rfind("_above_")?;
    let spec = &stem[at + "_above_".len()..];
    let (digits, factor) = match spec.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (spec, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some((&stem[..at], n.checked_mul(factor)?))
}

fn classify(key: &str) -> KeyClass {
    if !key.contains("cost") {
        return KeyClass::NotAPrice;
    }
    let (rest, mut condition) = strip_condition(key);
    let (mut base, above) = match strip_threshold(rest) {
        Some((b, n)) => (b, Some(n)),
        None => (rest, None),
    };
    if condition.is_none() {
        // Also accept `input_cost_per_token_priority_above_200k_tokens`.
        let (b, c) = strip_condition(base);
        base = b;
        condition = c;
    }
    match base_component(base) {
        Some(component) => KeyClass::Price { component, above, condition: condition.unwrap_or("") },
        None => KeyClass::Unsupported,
    }
}

/// The prices of one entry, keyed, remembering which field set each.
#[derive(Default)]
struct PriceSet {
    map: BTreeMap<PriceKey, (Decimal, String)>,
}

impl PriceSet {
    fn insert(&mut self, entry: &str, key: PriceKey, value: Decimal, field: &str) -> Result<(), ParseError> {
        if let Some((_, first)) = self.map.get(&key) {
            return Err(field_error(entry, field, format!("{} is already given by {first}", key.label())));
        }
        self.map.insert(key, (value, field.to_string()));
        Ok(())
    }

    fn into_prices(self) -> Vec<Price> {
        self.map
            .into_iter()
            .filter(|(key, (value, _))| keep_price(key, *value))
            .map(|(key, (value, _))| Price { key, value: PriceValue::Fixed(value), scope: TierScope::WholeRequest })
            .collect()
    }
}

fn parse_entry(
    key: &str,
    fields: &BTreeMap<String, &RawValue>,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<Option<PriceListEntry>, ParseError> {
    let provider = match fields.get("litellm_provider") {
        Some(raw) => raw_string(raw).map_err(|r| field_error(key, "litellm_provider", r))?,
        None => None,
    };
    let inclusive = provider.as_deref() == Some("xai");
    let mut prices = PriceSet::default();
    let mut noted: BTreeSet<String> = BTreeSet::new();
    let mut note = |name: &str| {
        noted.insert(name.to_string());
    };

    for (field, raw) in fields {
        match field.as_str() {
            "search_context_cost_per_query" => {
                // The *medium* search-context size stands for the per-search price; `low` and
                // `high` are not kept.
                let sizes: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())
                    .map_err(|e| field_error(key, field, format!("expected an object: {e}")))?;
                match sizes.get("search_context_size_medium") {
                    Some(medium) => {
                        let name = format!("{field}.search_context_size_medium");
                        if let Some(v) = raw_price(medium).map_err(|r| field_error(key, &name, r))? {
                            prices.insert(key, PriceKey::base(Component::WebSearch), v, &name)?;
                        }
                    }
                    None => note("search_context_cost_per_query (no medium size)"),
                }
            }
            "tiered_pricing" => parse_tiered(key, raw, &mut prices, &mut note)?,
            "off_peak_pricing" => parse_off_peak(key, raw, &mut prices, &mut note)?,
            _ => match classify(field) {
                KeyClass::NotAPrice => {}
                KeyClass::Unsupported => note(field),
                KeyClass::Price { component, above, condition } => {
                    let Some(value) = raw_price(raw).map_err(|r| field_error(key, field, r))? else {
                        continue;
                    };
                    let min_prompt_tokens = match above {
                        None => 0,
                        Some(n) if inclusive => n,
                        Some(n) => n + 1,
                    };
                    let pk = PriceKey { component, min_prompt_tokens, condition: condition.to_string() };
                    // The base tier of `tiered_pricing` replaces the top-level price (below).
                    if !prices.map.contains_key(&pk) || !fields.contains_key("tiered_pricing") {
                        prices.insert(key, pk, value, field)?;
                    }
                }
            },
        }
    }

    for name in noted {
        *skipped.entry(name).or_insert(0) += 1;
    }
    let prices = prices.into_prices();
    if prices.is_empty() {
        return Ok(None);
    }
    let Some(provider) = provider.filter(|p| !p.is_empty()) else {
        return Err(field_error(key, "litellm_provider", "missing"));
    };

    let flag = |name: &str| -> Result<bool, ParseError> {
        match fields.get(name) {
            Some(raw) => raw_bool(raw).map_err(|r| field_error(key, name, r)),
            None => Ok(false),
        }
    };
    let string = |name: &str| -> Result<Option<String>, ParseError> {
        match fields.get(name) {
            Some(raw) => raw_string(raw).map_err(|r| field_error(key, name, r)),
            None => Ok(None),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, ParseError> {
        match fields.get(name) {
            Some(raw) => raw_int(raw).map_err(|r| field_error(key, name, r)),
            None => Ok(None),
        }
    };
    let list = |name: &str| -> Result<Vec<String>, ParseError> {
        match fields.get(name) {
            Some(raw) => raw_string_list(raw).map_err(|r| field_error(key, name, r)),
            None => Ok(Vec::new()),
        }
    };

    let mode = string("mode")?;
    let text_mode = matches!(mode.as_deref(), Some("chat" | "completion" | "responses"));
    let mut input = list("supported_modalities")?;
    let mut output = list("supported_output_modalities")?;
    if text_mode {
        input.push("text".into());
        output.push("text".into());
    }
    for (flag_name, modality) in [
        ("supports_vision", "image"),
        ("supports_audio_input", "audio"),
        ("supports_pdf_input", "pdf"),
        ("supports_video_input", "video"),
    ] {
        if flag(flag_name)? {
            input.push(modality.into());
        }
    }
    if flag("supports_audio_output")? {
        output.push("audio".into());
    }
    let mut capabilities = Vec::new();
    if flag("supports_function_calling")? {
        capabilities.push("tools".to_string());
    }
    if flag("supports_response_schema")? {
        capabilities.push("response_format".to_string());
        capabilities.push("structured_outputs".to_string());
    }
    if flag("supports_reasoning")? {
        capabilities.push("reasoning".to_string());
    }

    Ok(Some(PriceListEntry {
        source: SOURCE,
        native_id: key.to_string(),
        author_hint: author_hint(key, &provider, false),
        provider,
        name: None,
        mode,
        context_length: int("max_input_tokens")?.or(int("max_tokens")?),
        max_output_tokens: int("max_output_tokens")?,
        input_modalities: sorted_unique(input),
        output_modalities: sorted_unique(output),
        capabilities: sorted_unique(capabilities),
        release_date: None,
        deprecation_date: string("deprecation_date")?.filter(|s| !s.trim().is_empty()),
        knowledge_cutoff: None,
        prices,
    }))
}

/// `tiered_pricing: [{range: [start, end], <price keys>}]`, whole-request tiers by prompt size.
fn parse_tiered(
    entry: &str,
    raw: &RawValue,
    prices: &mut PriceSet,
    note: &mut impl FnMut(&str),
) -> Result<(), ParseError> {
    let tiers: Vec<BTreeMap<String, &RawValue>> = serde_json::from_str(raw.get())
        .map_err(|e| field_error(entry, "tiered_pricing", format!("expected a list of objects: {e}")))?;
    if tiers.iter().any(|t| !t.contains_key("range")) {
        // Search APIs priced by the number of results (`max_results_range`): not a prompt tier.
        note("tiered_pricing (not by prompt tokens)");
        return Ok(());
    }
    for (i, tier) in tiers.iter().enumerate() {
        let field = format!("tiered_pricing[{i}]");
        let range: Vec<&RawValue> = tier
            .get("range")
            .map(|r| serde_json::from_str(r.get()))
            .transpose()
            .map_err(|e| field_error(entry, format!("{field}.range"), e.to_string()))?
            .unwrap_or_default();
        let start = match range.first() {
            Some(r) => raw_int(r).map_err(|e| field_error(entry, format!("{field}.range"), e))?.filter(|n| *n >= 0),
            None => None,
        }
        .ok_or_else(|| field_error(entry, format!("{field}.range"), "expected [start, end] token counts"))?;
        let min_prompt_tokens = if start == 0 { 0 } else { start + 1 };
        for (name, value) in tier {
            if name == "range" {
                continue;
            }
            let field_name = format!("{field}.{name}");
            match classify(name) {
                KeyClass::Price { component, above: None, condition: "" } => {
                    let Some(v) = raw_price(value).map_err(|r| field_error(entry, &field_name, r))? else {
                        continue;
                    };
                    let pk = PriceKey { component, min_prompt_tokens, condition: String::new() };
                    if min_prompt_tokens == 0 {
                        // LiteLLM prices from the tier table when there is one.
                        prices.map.remove(&pk);
                    }
                    prices.insert(entry, pk, v, &field_name)?;
                }
                _ => note(&format!("tiered_pricing.{name}")),
            }
        }
    }
    Ok(())
}

/// `off_peak_pricing: {<price keys>, hours_utc?, windows?: [{hours_utc, weekdays}]}`.
fn parse_off_peak(
    entry: &str,
    raw: &RawValue,
    prices: &mut PriceSet,
    note: &mut impl FnMut(&str),
) -> Result<(), ParseError> {
    let block: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())
        .map_err(|e| field_error(entry, "off_peak_pricing", format!("expected an object: {e}")))?;
    let mut windows: Vec<String> = Vec::new();
    if let Some(hours) = block.get("hours_utc") {
        windows.extend(raw_windows(hours).map_err(|r| field_error(entry, "off_peak_pricing.hours_utc", r))?);
    }
    if let Some(rules) = block.get("windows") {
        let rules: Vec<BTreeMap<String, &RawValue>> = serde_json::from_str(rules.get())
            .map_err(|e| field_error(entry, "off_peak_pricing.windows", e.to_string()))?;
        for (i, rule) in rules.iter().enumerate() {
            let every_day = match rule.get("weekdays") {
                None => true,
                Some(days) => {
                    let days: Vec<i64> = serde_json::from_str(days.get()).unwrap_or_default();
                    (1..=7).all(|d| days.contains(&d))
                }
            };
            if !every_day {
                note("off_peak_pricing.windows (restricted to weekdays)");
                continue;
            }
            if let Some(hours) = rule.get("hours_utc") {
                windows.extend(
                    raw_windows(hours)
                        .map_err(|r| field_error(entry, format!("off_peak_pricing.windows[{i}].hours_utc"), r))?,
                );
            }
        }
    }
    windows.sort();
    windows.dedup();
    for (name, value) in &block {
        if matches!(name.as_str(), "hours_utc" | "windows" | "weekday_timezone") {
            continue;
        }
        let field = format!("off_peak_pricing.{name}");
        match classify(name) {
            KeyClass::Price { component, above: None, condition: "" } => {
                let Some(v) = raw_price(value).map_err(|r| field_error(entry, &field, r))? else {
                    continue;
                };
                for window in &windows {
                    let pk = PriceKey { component, min_prompt_tokens: 0, condition: window.clone() };
                    prices.insert(entry, pk, v, &field)?;
                }
            }
            _ => note(&field),
        }
    }
    Ok(())
}

/// `"HH:MM-HH:MM"` or a list of them (UTC) → `utc:HHMM-HHMM` conditions. A window whose start
/// equals its end is the whole day, as LiteLLM reads it.
fn raw_windows(raw: &RawValue) -> Result<Vec<String>, String> {
    let list: Vec<String> = match serde_json::from_str::<String>(raw.get()) {
        Ok(one) => vec![one],
        Err(_) => {
            serde_json::from_str(raw.get()).map_err(|_| "expected \"HH:MM-HH:MM\" or a list of them".to_string())?
        }
    };
    list.iter()
        .map(|w| {
            let bad = || format!("{w:?} is not a HH:MM-HH:MM window");
            let (s, e) = w.split_once('-').ok_or_else(bad)?;
            let (s, e) = (clock_minutes(s.trim()).ok_or_else(bad)?, clock_minutes(e.trim()).ok_or_else(bad)?);
            Ok(utc_window(s, e).unwrap_or_else(|| "utc:0000-2400".to_string()))
        })
        .collect()
}

/// `HH:MM` → minutes since midnight.
fn clock_minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the price-list parsers (LiteLLM, genai-prices, models.dev).
// ---------------------------------------------------------------------------------------------

/// The `utc:HHMM-HHMM` condition of a window `[start, end)` in minutes since midnight (UTC);
/// an end at midnight is written `2400`. `None` for an empty window (`start == end`).
pub(crate) fn utc_window(start: u32, end: u32) -> Option<String> {
    if start == end {
        return None;
    }
    let end = if end == 0 { 24 * 60 } else { end };
    Some(format!("utc:{:02}{:02}-{:02}{:02}", start / 60, start % 60, end / 60, end % 60))
}

/// Parse a decimal exactly from a JSON number's text (`2.5e-06`, `0.135`, `3`).
///
/// The mantissa goes through `Decimal::from_str_exact` and the exponent only moves the decimal
/// point, so no digit is ever rounded; a value `Decimal` cannot hold exactly is `None`.
pub(crate) fn exact_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    if mantissa.is_empty() || mantissa.contains('_') {
        return None;
    }
    let d = Decimal::from_str_exact(mantissa).ok()?;
    shift_decimal(d, exponent)
}

/// `d × 10^exponent`, exactly, or `None` when the result does not fit.
pub(crate) fn shift_decimal(d: Decimal, exponent: i64) -> Option<Decimal> {
    let d = d.normalize();
    let scale = i64::from(d.scale());
    if exponent <= scale {
        let mut out = d;
        out.set_scale(u32::try_from(scale - exponent).ok()?).ok()?;
        return Some(out.normalize());
    }
    let mut out = d;
    out.set_scale(0).ok()?;
    for _ in 0..(exponent - scale) {
        out = out.checked_mul(Decimal::TEN)?;
    }
    Some(out.normalize())
}

/// A price from raw JSON: a number (or a decimal string), exact; `null` is absent; negative
/// prices and anything else are errors.
pub(crate) fn raw_price(raw: &RawValue) -> Result<Option<Decimal>, String> {
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    let number = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())?
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        text.to_string()
    } else {
        return Err(format!("expected a number, got {}", excerpt(text)));
    };
    let d = exact_decimal(&number).ok_or_else(|| format!("{} is not an exact decimal number", excerpt(&number)))?;
    if d.is_sign_negative() {
        if d.is_zero() {
            return Ok(Some(Decimal::ZERO));
        }
        return Err(format!("negative price {d}"));
    }
    Ok(Some(d))
}

/// A short excerpt of raw JSON for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// A non-negative integer from raw JSON (`8192`, `8192.0`, `"8192"`); `null` is absent.
pub(crate) fn raw_int(raw: &RawValue) -> Result<Option<i64>, String> {
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    let number = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())?
    } else {
        text.to_string()
    };
    exact_decimal(&number)
        .filter(|d| d.fract().is_zero())
        .and_then(|d| i64::try_from(d).ok())
        .map(Some)
        .ok_or_else(|| format!("expected an integer, got {}", excerpt(text)))
}

fn raw_bool(raw: &RawValue) -> Result<bool, String> {
    match raw.get().trim() {
        "true" => Ok(true),
        "false" | "null" => Ok(false),
        other => Err(format!("expected true or false, got {}", excerpt(other))),
    }
}

fn raw_string(raw: &RawValue) -> Result<Option<String>, String> {
    serde_json::from_str::<Option<String>>(raw.get())
        .map_err(|_| format!("expected a string, got {}", excerpt(raw.get())))
}

fn raw_string_list(raw: &RawValue) -> Result<Vec<String>, String> {
    serde_json::from_str::<Option<Vec<String>>>(raw.get())
        .map(Option::unwrap_or_default)
        .map_err(|_| format!("expected a list of strings, got {}", excerpt(raw.get())))
}

/// Whether a parsed price is worth storing: a zero base price is kept only for input and
/// output. A zero tier or conditional price is kept, since it replaces a non-zero one.
pub(crate) fn keep_price(key: &PriceKey, value: Decimal) -> bool {
    !value.is_zero()
        || matches!(key.component, Component::Input | Component::Output)
        || key.min_prompt_tokens > 0
        || !key.condition.is_empty()
}

/// Lower-case, sorted and without duplicates.
pub(crate) fn sorted_unique(values: Vec<String>) -> Vec<String> {
    let set: BTreeSet<String> =
        values.into_iter().map(|v| v.trim().to_ascii_lowercase()).filter(|v| !v.is_empty()).collect();
    set.into_iter().collect()
}

/// The OpenRouter author slug of a vendor name as lists spell it (`meta` → `meta-llama`,
/// `xai` → `x-ai`, `deepseek-ai` → `deepseek`), for the vendors whose spelling differs or that
/// are recognised inside ids.
pub(crate) fn known_author(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "anthropic" => "anthropic",
        "openai" => "openai",
        "google" | "gemini" => "google",
        "meta" | "meta-llama" | "meta_llama" => "meta-llama",
        "mistral" | "mistralai" | "mistral-ai" => "mistralai",
        "xai" | "x-ai" => "x-ai",
        "deepseek" | "deepseek-ai" => "deepseek",
        "qwen" => "qwen",
        "zai" | "z-ai" | "zai-org" | "zhipuai" => "z-ai",
        "moonshot" | "moonshotai" => "moonshotai",
        "minimax" | "minimaxai" => "minimax",
        "cohere" => "cohere",
        "ai21" => "ai21",
        "amazon" => "amazon",
        "microsoft" => "microsoft",
        "nvidia" => "nvidia",
        "nousresearch" => "nousresearch",
        "perplexity" => "perplexity",
        _ => return None,
    })
}

/// Providers (as the three lists name them) that sell only their own models.
fn first_party_author(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "openai" | "text-completion-openai" | "vertex_ai-openai_models" => "openai",
        "anthropic" | "vertex_ai-anthropic_models" | "google-vertex-anthropic" => "anthropic",
        "gemini" => "google",
        "mistral" | "codestral" | "text-completion-codestral" | "vertex_ai-mistral_models" => "mistralai",
        "deepseek" | "vertex_ai-deepseek_models" => "deepseek",
        "cohere" | "cohere_chat" => "cohere",
        "xai" | "x-ai" => "x-ai",
        "meta_llama" | "vertex_ai-llama_models" | "llama" => "meta-llama",
        "amazon_nova" => "amazon",
        "moonshot" | "moonshotai" | "moonshotai-cn" | "vertex_ai-moonshot_models" => "moonshotai",
        "zai" | "zai-coding-plan" | "zhipuai" | "zhipuai-coding-plan" | "vertex_ai-zai_models" => "z-ai",
        "minimax" | "vertex_ai-minimax_models" => "minimax",
        "ai21" | "vertex_ai-ai21_models" => "ai21",
        "vertex_ai-qwen_models" => "qwen",
        "perplexity" => "perplexity",
        _ => return None,
    })
}

/// The author a model name's family shows (`claude-…` → anthropic, `gemini-…` → google).
fn family_author(model: &str) -> Option<&'static str> {
    let m = model.to_ascii_lowercase();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
    let o_series = m.len() >= 2
        && m.as_bytes()[0] == b'o'
        && m.as_bytes()[1].is_ascii_digit()
        && m[2..].chars().next().is_none_or(|c| c == '-');
    Some(if starts(&["claude"]) {
        "anthropic"
    } else if starts(&["gemini", "gemma"]) {
        "google"
    } else if o_series || starts(&["gpt-", "chatgpt", "dall-e", "whisper", "gpt-oss"]) {
        "openai"
    } else if starts(&["grok"]) {
        "x-ai"
    } else if starts(&["llama", "meta-llama"]) {
        "meta-llama"
    } else if starts(&["mistral", "mixtral", "ministral", "codestral", "pixtral", "magistral", "devstral", "voxtral"]) {
        "mistralai"
    } else if starts(&["deepseek"]) {
        "deepseek"
    } else if starts(&["qwen", "qwq"]) {
        "qwen"
    } else if starts(&["kimi"]) {
        "moonshotai"
    } else if starts(&["glm-"]) {
        "z-ai"
    } else if starts(&["minimax"]) {
        "minimax"
    } else if starts(&["command-r", "command-a"]) {
        "cohere"
    } else if starts(&["phi-"]) {
        "microsoft"
    } else {
        return None;
    })
}

/// Bedrock-style `[region.]vendor.model` (`us.anthropic.claude-…`, `meta.llama3-…`).
fn dotted_author(model: &str) -> Option<&'static str> {
    const REGIONS: [&str; 10] = ["us", "eu", "apac", "au", "jp", "global", "us-gov", "ca", "regional", "in"];
    let mut parts = model.split('.');
    let first = parts.next()?;
    let second = parts.next()?;
    if REGIONS.contains(&first) {
        parts.next()?;
        known_author(second)
    } else {
        known_author(first)
    }
}

/// The model's author, where the id or the provider shows it.
///
/// In order: a path segment naming the author (with `prefix_is_author`, the id's first segment
/// whatever it is, as in `meta-llama/Llama-3…`; otherwise the last recognised vendor among the
/// segments, as in `deepinfra/anthropic/claude-…`), a Bedrock-style `vendor.` prefix, a provider
/// that sells only its own models, then the model family (`vertex_ai/claude-…` → anthropic).
/// Vendor names are given as OpenRouter spells them (`x-ai`, `meta-llama`, `mistralai`).
pub(crate) fn author_hint(native_id: &str, provider: &str, prefix_is_author: bool) -> Option<String> {
    let strip = |s: &str| -> String {
        let s = s.strip_prefix('~').unwrap_or(s);
        let s = s.strip_prefix("hf:").unwrap_or(s);
        let s = s.strip_prefix("ft:").unwrap_or(s);
        s.to_ascii_lowercase()
    };
    let segments: Vec<&str> = native_id.split('/').collect();
    let (model, path) = segments.split_last()?;
    if prefix_is_author {
        if let Some(first) = path.first().map(|s| strip(s)) {
            if !first.is_empty() && first != "accounts" {
                return Some(known_author(&first).map_or(first, str::to_string));
            }
        }
    } else if let Some(author) = path.iter().rev().find_map(|s| known_author(&strip(s))) {
        return Some(author.to_string());
    }
    let model = strip(model);
    dotted_author(&model)
        .or_else(|| first_party_author(&provider.to_ascii_lowercase()))
        .or_else(|| family_author(&model))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const FIXTURE: &[u8] =
        include_bytes!("../../fixtures/litellm/model_prices_and_context_window_backup_litellm-1.109.1.json");

    fn parsed() -> Parsed {
        parse_detailed(FIXTURE).expect("the real file parses")
    }

    fn entry<'a>(p: &'a Parsed, id: &str) -> &'a PriceListEntry {
        p.entries.iter().find(|e| e.native_id == id).unwrap_or_else(|| panic!("{id} is parsed"))
    }

    #[test]
    fn counts_entries_and_skips() {
        let p = parsed();
        assert_eq!(p.entries.len(), 4165);
        assert_eq!(p.skipped_entries.len(), 387);
        assert_eq!(p.entries.len() + p.skipped_entries.len(), 4552, "every model but sample_spec");
        assert!(p.skipped_entries.contains(&"bedrock/guardrails".to_string()));
        assert!(p.skipped_entries.contains(&"exa_ai/search".to_string()));
        assert_eq!(p.skipped_prices.get("input_cost_per_second"), Some(&134));
        assert_eq!(p.skipped_prices.get("input_cost_per_character"), Some(&52));
        assert_eq!(p.skipped_prices.get("output_cost_per_pixel"), Some(&31));
        assert_eq!(p.skipped_prices.get("off_peak_pricing.windows (restricted to weekdays)"), Some(&10));
        let sorted =
            p.entries.windows(2).all(|w| (&w[0].provider, &w[0].native_id) < (&w[1].provider, &w[1].native_id));
        assert!(sorted, "sorted by (provider, native_id)");
    }

    #[test]
    fn gpt_4o_is_exact() {
        let p = parsed();
        let e = entry(&p, "gpt-4o");
        assert_eq!(e.provider, "openai");
        assert_eq!(e.author_hint.as_deref(), Some("openai"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.0000025)));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.00001)));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.00000125)));
        assert_eq!(e.price_of(Component::Input, 0, "batch"), Some(dec!(0.00000125)));
        assert_eq!(e.price_of(Component::Output, 0, "batch"), Some(dec!(0.000005)));
        assert_eq!(e.price_of(Component::Input, 0, "priority"), Some(dec!(0.00000425)));
        assert_eq!(e.price_of(Component::CacheRead, 0, "priority"), Some(dec!(0.000002125)));
        assert_eq!(e.prices.len(), 8);
        assert_eq!(e.context_length, Some(128_000));
        assert_eq!(e.max_output_tokens, Some(16_384));
        assert_eq!(e.mode.as_deref(), Some("chat"));
        assert_eq!(e.input_modalities, ["image", "pdf", "text"]);
        assert_eq!(e.output_modalities, ["text"]);
        assert_eq!(e.capabilities, ["response_format", "structured_outputs", "tools"]);
    }

    #[test]
    fn claude_3_5_sonnet_on_bedrock_and_claude_with_1h_cache_and_search() {
        let p = parsed();
        let e = entry(&p, "anthropic.claude-3-5-sonnet-20241022-v2:0");
        assert_eq!(e.provider, "bedrock");
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000003)));
        assert_eq!(e.price_of(Component::Output, 0, ""), Some(dec!(0.000015)));
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.0000003)));
        assert_eq!(e.price_of(Component::CacheWrite, 0, ""), Some(dec!(0.00000375)));

        let e = entry(&p, "claude-sonnet-4-5");
        assert_eq!(e.price_of(Component::CacheWrite1h, 0, ""), Some(dec!(0.000006)));
        assert_eq!(e.price_of(Component::CacheWrite, 0, "batch"), Some(dec!(0.000001875)));
        assert_eq!(e.price_of(Component::WebSearch, 0, ""), Some(dec!(0.01)));
        assert_eq!(e.author_hint.as_deref(), Some("anthropic"));
    }

    #[test]
    fn gemini_tiers_reprice_the_whole_request_above_the_threshold() {
        let p = parsed();
        let e = entry(&p, "gemini-2.5-pro");
        assert_eq!(e.author_hint.as_deref(), Some("google"));
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.00000125)));
        assert_eq!(e.price_of(Component::Input, 200_001, ""), Some(dec!(0.0000025)));
        assert_eq!(e.price_of(Component::Output, 200_001, ""), Some(dec!(0.000015)));
        assert_eq!(e.price_of(Component::CacheRead, 200_001, ""), Some(dec!(0.00000025)));
        assert_eq!(e.price_of(Component::CacheWrite, 200_001, ""), Some(dec!(0.00000025)));
        assert_eq!(e.price_of(Component::Input, 200_001, "batch"), Some(dec!(0.00000125)));
        assert_eq!(e.price_of(Component::Output, 200_001, "priority"), Some(dec!(0.000027)));
        assert_eq!(e.price_of(Component::WebSearch, 0, ""), Some(dec!(0.035)));
        assert!(e.prices.iter().all(|p| p.scope == TierScope::WholeRequest));

        // Integer prices and a 128k threshold.
        let e = entry(&p, "gemini/gemma-3-27b-it");
        assert!(e.prices.iter().any(|p| p.key.min_prompt_tokens == 128_001));

        // xAI bills the tier from the threshold itself (LiteLLM's inclusive providers).
        let e = entry(&p, "xai/grok-4.20-reasoning");
        assert_eq!(e.author_hint.as_deref(), Some("x-ai"));
        assert_eq!(e.price_of(Component::Input, 200_000, ""), Some(dec!(0.0000025)));
        assert_eq!(e.price_of(Component::CacheRead, 200_000, "batch"), Some(dec!(0.00000032)));
    }

    #[test]
    fn tiered_pricing_lists_become_tiers() {
        let p = parsed();
        let e = entry(&p, "dashscope/qwen3-coder-plus");
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.000001)));
        assert_eq!(e.price_of(Component::Input, 32_001, ""), Some(dec!(0.0000018)));
        assert_eq!(e.price_of(Component::Output, 256_001, ""), Some(dec!(0.00006)));
        assert_eq!(e.price_of(Component::CacheRead, 128_001, ""), Some(dec!(0.0000003)));
        assert_eq!(e.author_hint.as_deref(), Some("qwen"));
        // The float noise of the file is kept exactly as written.
        let e = entry(&p, "opencode_go/qwen3.7-plus");
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(dec!(0.00000040000000000000003)));
    }

    #[test]
    fn zero_prices_other_than_input_and_output_are_absent() {
        let p = parsed();
        let e = entry(&p, "deepseek/deepseek-chat");
        assert_eq!(e.price_of(Component::CacheWrite, 0, ""), None, "0.0 in the file");
        assert_eq!(e.price_of(Component::CacheRead, 0, ""), Some(dec!(0.000000028)));
        let e = entry(&p, "amazon.rerank-v1:0");
        assert_eq!(e.price_of(Component::Input, 0, ""), Some(Decimal::ZERO));
        assert_eq!(e.price_of(Component::Request, 0, ""), Some(dec!(0.001)));
    }

    #[test]
    fn numbers_are_exact_from_their_text() {
        let raw = |s: &str| -> Box<RawValue> { RawValue::from_string(s.to_string()).expect("raw") };
        assert_eq!(raw_price(&raw("2.5e-06")), Ok(Some(dec!(0.0000025))));
        assert_eq!(raw_price(&raw("1E-7")), Ok(Some(dec!(0.0000001))));
        assert_eq!(raw_price(&raw("3")), Ok(Some(dec!(3))));
        assert_eq!(raw_price(&raw("1.5e+3")), Ok(Some(dec!(1500))));
        assert_eq!(raw_price(&raw("4.0000000000000003e-07")), Ok(Some(dec!(0.00000040000000000000003))));
        assert_eq!(raw_price(&raw("\"3e-7\"")), Ok(Some(dec!(0.0000003))));
        assert_eq!(raw_price(&raw("null")), Ok(None));
        assert!(raw_price(&raw("-1e-06")).is_err());
        assert!(raw_price(&raw("true")).is_err());
        assert!(raw_price(&raw("1e-40")).is_err(), "not representable exactly");
    }

    #[test]
    fn bad_prices_name_the_entry_and_field() {
        let body = br#"{"m/x": {"litellm_provider": "openai", "input_cost_per_token": "abc"}}"#;
        let err = parse(body).expect_err("rejects").to_string();
        assert!(err.contains("m/x") && err.contains("input_cost_per_token"), "{err}");
        let body = br#"{"m": {"litellm_provider": "openai", "output_cost_per_token": -1e-06}}"#;
        let err = parse(body).expect_err("rejects").to_string();
        assert!(err.contains("\"m\"") && err.contains("negative"), "{err}");
        assert!(matches!(parse(br#"{"m": {"#), Err(ParseError::Json(_))));
    }

    #[test]
    fn keys_are_classified() {
        let price = |component, above, condition| KeyClass::Price { component, above, condition };
        assert_eq!(
            classify("input_cost_per_token_above_200k_tokens_priority"),
            price(Component::Input, Some(200_000), "priority")
        );
        assert_eq!(
            classify("input_cost_per_token_priority_above_200k_tokens"),
            price(Component::Input, Some(200_000), "priority")
        );
        assert_eq!(
            classify("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            price(Component::CacheWrite1h, Some(200_000), "")
        );
        assert_eq!(classify("output_cost_per_token_above_128_tokens"), price(Component::Output, Some(128), ""));
        assert_eq!(classify("cache_creation_input_token_cost_above_12hr"), KeyClass::Unsupported);
        assert_eq!(classify("input_cost_per_token_balanced"), KeyClass::Unsupported);
        assert_eq!(classify("input_cost_per_audio_per_second"), KeyClass::Unsupported);
        assert_eq!(classify("max_input_tokens"), KeyClass::NotAPrice);
    }

    #[test]
    fn authors_show_in_ids_and_first_party_providers() {
        let a = |id: &str, provider: &str| author_hint(id, provider, false);
        assert_eq!(a("us.meta.llama3-2-1b-instruct-v1:0", "bedrock").as_deref(), Some("meta-llama"));
        assert_eq!(a("vertex_ai/claude-3-5-sonnet", "vertex_ai-anthropic_models").as_deref(), Some("anthropic"));
        assert_eq!(a("perplexity/google/gemini-2.5-flash", "perplexity").as_deref(), Some("google"));
        assert_eq!(a("together_ai/meta-llama/Llama-3.3-70B", "together_ai").as_deref(), Some("meta-llama"));
        assert_eq!(a("azure/us/gpt-4o", "azure").as_deref(), Some("openai"));
        assert_eq!(a("groq/whisper-large-v3", "groq").as_deref(), Some("openai"));
        assert_eq!(a("mistral/mistral-large-latest", "mistral").as_deref(), Some("mistralai"));
        assert_eq!(a("o3-mini", "openai").as_deref(), Some("openai"));
        assert_eq!(a("fireworks_ai/accounts/fireworks/models/yi-large", "fireworks_ai"), None);
        assert_eq!(a("stability.sd3-large-v1:0", "bedrock"), None);
        // Ids whose first segment is the author (genai-prices, models.dev).
        let p = |id: &str, provider: &str| author_hint(id, provider, true);
        assert_eq!(p("~anthropic/claude-opus-latest", "openrouter").as_deref(), Some("anthropic"));
        assert_eq!(p("hf:MiniMaxAI/MiniMax-M2", "synthetic").as_deref(), Some("minimax"));
        assert_eq!(p("Sao10K/L3-8B-Stheno-v3.2", "novita").as_deref(), Some("sao10k"));
        assert_eq!(p("claude-3-5-haiku", "google").as_deref(), Some("anthropic"));
        assert_eq!(p("accounts/fireworks/models/kimi-k2-instruct", "fireworks-ai").as_deref(), Some("moonshotai"));
    }

    #[test]
    fn utc_windows() {
        assert_eq!(utc_window(600, 0).as_deref(), Some("utc:1000-2400"));
        assert_eq!(utc_window(30, 990).as_deref(), Some("utc:0030-1630"));
        assert_eq!(utc_window(60, 60), None);
        let raw = RawValue::from_string(r#"["00:00-01:00", "10:00-00:00", "00:00-00:00"]"#.into()).expect("raw");
        assert_eq!(raw_windows(&raw).expect("windows"), ["utc:0000-0100", "utc:1000-2400", "utc:0000-2400"]);
    }
}
