//! OpenRouter: `GET /models` (the catalog, with the top provider's prices) and
//! `GET /models/{id}/endpoints` (every provider serving a model, with its own prices).
//!
//! Wire rules (see `fixtures/openrouter/OPENROUTER_API.md`):
//! - prices are USD per unit as decimal strings; a missing key means 0; `"-1"` means variable;
//! - `overrides` are context-length tiers (`min_prompt_tokens`) or UTC time-of-day windows
//!   (`utc_start`/`utc_end`, HHMM) whose listed rates replace the base rates for the whole request;
//! - ids may carry a variant (`:free`, `:batch`, `:thinking`) and `~…-latest` ids are moving aliases.

use crate::domain::{
    Alias, AliasKind, Catalog, Component, JsonText, Model, ModelId, Offer, OfferHealth, OfferKey, Price, PriceKey,
    PriceValue, TierScope, listing_parts,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The source name under which OpenRouter data is stored.
pub const SOURCE: &str = "openrouter";

/// Why an OpenRouter response was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not the JSON we expect (truncated, wrong shape).
    #[error("malformed OpenRouter response: {0}")]
    Json(String),
    /// A model carries a value we cannot accept.
    #[error("model {model:?}: {field}: {reason}")]
    Field {
        /// The listing id.
        model: String,
        /// The field, e.g. `pricing.prompt`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn field_error(model: &str, field: impl Into<String>, reason: impl Into<String>) -> ParseError {
    ParseError::Field { model: model.to_string(), field: field.into(), reason: reason.into() }
}

/// One model as `GET /models` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct WireModel {
    /// Routable id (`author/slug[:variant]`).
    pub id: String,
    canonical_slug: Option<String>,
    hugging_face_id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    created: Option<i64>,
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    context_length: Option<i64>,
    architecture: Option<WireArchitecture>,
    /// Prices, kept as raw JSON until mapped so that errors can name the model.
    #[serde(default)]
    pricing: Map<String, Value>,
    top_provider: Option<WireTopProvider>,
    per_request_limits: Option<Value>,
    supported_parameters: Option<Vec<String>>,
    default_parameters: Option<Value>,
    supported_voices: Option<Value>,
    knowledge_cutoff: Option<String>,
    expiration_date: Option<String>,
    reasoning: Option<Value>,
    benchmarks: Option<Value>,
    alias_target: Option<WireAliasTarget>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireArchitecture {
    modality: Option<String>,
    #[serde(default)]
    input_modalities: Vec<String>,
    #[serde(default)]
    output_modalities: Vec<String>,
    tokenizer: Option<String>,
    instruct_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireTopProvider {
    #[serde(default, deserialize_with = "lenient_int")]
    context_length: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    max_completion_tokens: Option<i64>,
    is_moderated: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireAliasTarget {
    slug: String,
}

#[derive(Deserialize)]
struct Envelope {
    data: Vec<WireModel>,
}

/// Parse a `GET /models` body: the `{data,total_count,links}` envelope or a bare array.
pub fn parse_models(body: &[u8]) -> Result<Vec<WireModel>, ParseError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[') => serde_json::from_slice::<Vec<WireModel>>(body).map_err(|e| ParseError::Json(e.to_string())),
        Some(b'{') => {
            serde_json::from_slice::<Envelope>(body).map(|e| e.data).map_err(|e| ParseError::Json(e.to_string()))
        }
        Some(_) => Err(ParseError::Json("expected a JSON object or array".into())),
        None => Err(ParseError::Json("empty body".into())),
    }
}

/// One provider endpoint of a model.
#[derive(Debug, Clone, Deserialize)]
pub struct WireEndpoint {
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    context_length: Option<i64>,
    #[serde(default)]
    pricing: Map<String, Value>,
    provider_name: Option<String>,
    tag: Option<String>,
    quantization: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    max_completion_tokens: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    max_prompt_tokens: Option<i64>,
    supported_parameters: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient_int")]
    status: Option<i64>,
    uptime_last_5m: Option<f64>,
    uptime_last_30m: Option<f64>,
    uptime_last_1d: Option<f64>,
    /// Everything else (latency, throughput, feature flags), kept as is.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Deserialize)]
struct EndpointsEnvelope {
    data: EndpointsData,
}

#[derive(Deserialize)]
struct EndpointsData {
    #[serde(default)]
    endpoints: Vec<WireEndpoint>,
}

/// Parse a `GET /models/{id}/endpoints` body.
pub fn parse_endpoints(body: &[u8]) -> Result<Vec<WireEndpoint>, ParseError> {
    serde_json::from_slice::<EndpointsEnvelope>(body)
        .map(|e| e.data.endpoints)
        .map_err(|e| ParseError::Json(e.to_string()))
}

/// Integers that may arrive as `8192`, `8192.0` or `null`.
fn lenient_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

fn component_of(key: &str) -> Option<Component> {
    Some(match key {
        "prompt" => Component::Input,
        "completion" => Component::Output,
        "input_cache_read" => Component::CacheRead,
        "input_cache_write" => Component::CacheWrite,
        "input_cache_write_1h" => Component::CacheWrite1h,
        "internal_reasoning" => Component::Reasoning,
        "audio" => Component::AudioInput,
        "audio_output" => Component::AudioOutput,
        "input_audio_cache" => Component::AudioCacheRead,
        "image_token" => Component::ImageToken,
        "image" => Component::ImageInput,
        // Per output image token: gemini-2.5-flash-image's 1290 image tokens × 0.00003
        // is exactly the cost OpenRouter billed (fixtures/openrouter/chat_completions_2025-12.json).
        "image_output" => Component::ImageOutputToken,
        "request" => Component::Request,
        "web_search" => Component::WebSearch,
        _ => return None,
    })
}

/// Parse an exact decimal from a JSON string (or, leniently, a number), keeping every digit.
pub fn parse_decimal(v: &Value) -> Result<Decimal, String> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        // serde_json prints the shortest text that reads back as the same number: the
        // number as it was written, for every value an upstream sends.
        Value::Number(n) => n.to_string(),
        Value::Null => return Err("is null".into()),
        other => return Err(format!("expected a decimal string, got {other}")),
    };
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("{text:?} is not a decimal number"))
}

fn price_value(model: &str, field: &str, v: &Value) -> Result<PriceValue, ParseError> {
    let d = parse_decimal(v).map_err(|r| field_error(model, field, r))?;
    if d == Decimal::NEGATIVE_ONE {
        return Ok(PriceValue::Variable);
    }
    if d.is_sign_negative() {
        return Err(field_error(model, field, format!("negative price {d}")));
    }
    Ok(PriceValue::Fixed(d))
}

/// The prices and discount of one `pricing` object.
#[derive(Debug, Default)]
struct ParsedPricing {
    prices: Vec<Price>,
    discount: Option<Decimal>,
    unknown: BTreeMap<String, Value>,
}

fn parse_pricing(model: &str, pricing: &Map<String, Value>) -> Result<ParsedPricing, ParseError> {
    let mut out = ParsedPricing::default();
    let mut base: BTreeMap<Component, PriceValue> = BTreeMap::new();
    for (key, value) in pricing {
        if key == "overrides" || key == "discount" {
            continue;
        }
        match component_of(key) {
            Some(c) => {
                base.insert(c, price_value(model, &format!("pricing.{key}"), value)?);
            }
            None => {
                out.unknown.insert(key.clone(), value.clone());
            }
        }
    }
    // Input and output always exist (missing means 0), so that every active offer has at
    // least one open price interval; other zero prices are the same as absent ones.
    for c in [Component::Input, Component::Output] {
        base.entry(c).or_insert(PriceValue::Fixed(Decimal::ZERO));
    }
    for (c, value) in base {
        let required = matches!(c, Component::Input | Component::Output);
        if required || value != PriceValue::Fixed(Decimal::ZERO) {
            out.prices.push(Price { key: PriceKey::base(c), value, scope: TierScope::WholeRequest });
        }
    }
    if let Some(d) = pricing.get("discount").filter(|v| !v.is_null()) {
        let d = parse_decimal(d).map_err(|r| field_error(model, "pricing.discount", r))?;
        if d.is_sign_negative() || d > Decimal::ONE {
            return Err(field_error(model, "pricing.discount", format!("{d} is not a fraction between 0 and 1")));
        }
        out.discount = Some(d);
    }
    if let Some(overrides) = pricing.get("overrides").filter(|v| !v.is_null()) {
        let list = overrides.as_array().ok_or_else(|| field_error(model, "pricing.overrides", "expected an array"))?;
        let mut seen: BTreeSet<PriceKey> = out.prices.iter().map(|p| p.key.clone()).collect();
        for (i, tier) in list.iter().enumerate() {
            let field = format!("pricing.overrides[{i}]");
            let tier = tier.as_object().ok_or_else(|| field_error(model, &field, "expected an object"))?;
            let min_prompt_tokens = match tier.get("min_prompt_tokens") {
                None | Some(Value::Null) => 0,
                Some(v) => v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                    field_error(model, format!("{field}.min_prompt_tokens"), "expected a non-negative integer")
                })?,
            };
            let condition = match (tier.get("utc_start"), tier.get("utc_end")) {
                (Some(s), Some(e)) => {
                    let (s, e) = (hhmm(s), hhmm(e));
                    match (s, e) {
                        (Some(s), Some(e)) => format!("utc:{s:04}-{e:04}"),
                        _ => {
                            return Err(field_error(model, &field, "utc_start/utc_end must be HHMM times"));
                        }
                    }
                }
                (None, None) => String::new(),
                _ => {
                    return Err(field_error(model, &field, "utc_start and utc_end come together"));
                }
            };
            if min_prompt_tokens == 0 && condition.is_empty() {
                return Err(field_error(model, &field, "an override needs min_prompt_tokens or a UTC window"));
            }
            for (key, value) in tier {
                if matches!(key.as_str(), "min_prompt_tokens" | "utc_start" | "utc_end") {
                    continue;
                }
                let Some(component) = component_of(key) else {
                    out.unknown.insert(format!("overrides[{i}].{key}"), value.clone());
                    continue;
                };
                let pk = PriceKey { component, min_prompt_tokens, condition: condition.clone() };
                if !seen.insert(pk.clone()) {
                    return Err(field_error(model, &field, format!("{} is given twice", pk.label())));
                }
                let value = price_value(model, &format!("{field}.{key}"), value)?;
                out.prices.push(Price { key: pk, value, scope: TierScope::WholeRequest });
            }
        }
    }
    Ok(out)
}

/// `utc_start`/`utc_end` are HHMM integers (`100` is 01:00).
fn hhmm(v: &Value) -> Option<i64> {
    let n = v.as_i64()?;
    (0..=2400).contains(&n).then_some(n).filter(|n| n % 100 < 60)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn parse_model_id(raw: &str) -> Result<ModelId, ParseError> {
    ModelId::parse(raw).map_err(|e| field_error(raw, "id", e.to_string()))
}

fn to_model(w: &WireModel, id: ModelId) -> Model {
    let arch = w.architecture.clone();
    let top = w.top_provider.as_ref();
    Model {
        id,
        name: w.name.clone().unwrap_or_else(|| w.id.clone()),
        description: non_empty(w.description.clone()),
        canonical_slug: non_empty(w.canonical_slug.clone()),
        hugging_face_id: non_empty(w.hugging_face_id.clone()),
        created: w.created,
        context_length: w.context_length,
        max_completion_tokens: top.and_then(|t| t.max_completion_tokens),
        is_moderated: top.and_then(|t| t.is_moderated),
        modality: arch.as_ref().and_then(|a| a.modality.clone()),
        input_modalities: sorted(arch.as_ref().map(|a| a.input_modalities.clone()).unwrap_or_default()),
        output_modalities: sorted(arch.as_ref().map(|a| a.output_modalities.clone()).unwrap_or_default()),
        tokenizer: arch.as_ref().and_then(|a| a.tokenizer.clone()),
        instruct_type: arch.and_then(|a| a.instruct_type),
        supported_parameters: sorted(w.supported_parameters.clone().unwrap_or_default()),
        default_parameters: json_text(&w.default_parameters),
        supported_voices: json_text(&w.supported_voices),
        per_request_limits: json_text(&w.per_request_limits),
        reasoning: json_text(&w.reasoning),
        benchmarks: json_text(&w.benchmarks),
        knowledge_cutoff: non_empty(w.knowledge_cutoff.clone()),
        expiration_date: non_empty(w.expiration_date.clone()),
    }
}

/// Free-form JSON as canonical text; null and empty objects or arrays are absent.
fn json_text(v: &Option<Value>) -> Option<JsonText> {
    v.as_ref().filter(|v| !is_empty_json(v)).map(JsonText::from_value)
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn extra_json(entries: BTreeMap<String, Value>) -> Option<JsonText> {
    let map: Map<String, Value> = entries.into_iter().filter(|(_, v)| !v.is_null()).collect();
    (!map.is_empty()).then(|| JsonText::from_value(&Value::Object(map)))
}

/// Turn the listed models into a catalog: one model per base id, one offer per listing,
/// and aliases for variants, canonical slugs and moving `~` ids.
///
/// Rules: a base id's model attributes come from its plain listing when there is one,
/// else from its first variant listing by id. A canonical slug that would mean two
/// different models, or that is itself a listing id, is not made an alias (never a guess).
pub fn to_catalog(models: &[WireModel]) -> Result<Catalog, ParseError> {
    let mut catalog = Catalog { source: SOURCE.into(), ..Catalog::default() };
    let mut chosen: BTreeMap<String, &WireModel> = BTreeMap::new();
    let mut listings: BTreeSet<&str> = BTreeSet::new();
    let mut moving: Vec<&WireModel> = Vec::new();

    for w in models {
        if w.id.starts_with('~') {
            moving.push(w);
            continue;
        }
        if !listings.insert(w.id.as_str()) {
            return Err(field_error(&w.id, "id", "listed twice"));
        }
        let (base, variant) = listing_parts(&w.id);
        let slot = chosen.entry(base.to_string()).or_insert(w);
        let slot_is_plain = listing_parts(&slot.id).1.is_none();
        if variant.is_none() || (!slot_is_plain && w.id < slot.id) {
            *slot = w;
        }

        let model_id = parse_model_id(base)?;
        let pricing = parse_pricing(&w.id, &w.pricing)?;
        let top = w.top_provider.as_ref();
        let mut extra =
            pricing.unknown.into_iter().map(|(k, v)| (format!("pricing.{k}"), v)).collect::<BTreeMap<_, _>>();
        if let Some(m) = top.and_then(|t| t.is_moderated) {
            extra.insert("is_moderated".into(), Value::Bool(m));
        }
        let key = OfferKey::new(SOURCE, SOURCE, &w.id, None);
        catalog.offers.push(Offer {
            key: key.clone(),
            model_id: model_id.clone(),
            source: SOURCE.into(),
            seller: SOURCE.into(),
            served_by: None,
            provider: None,
            provider_name: None,
            listing_id: w.id.clone(),
            variant: variant.map(str::to_string),
            quantization: None,
            context_length: top.and_then(|t| t.context_length).or(w.context_length),
            max_completion_tokens: top.and_then(|t| t.max_completion_tokens),
            max_prompt_tokens: None,
            supported_parameters: sorted(w.supported_parameters.clone().unwrap_or_default()),
            discount: pricing.discount,
            health: OfferHealth::default(),
            extra: extra_json(extra),
            prices: pricing.prices,
        });
        if variant.is_some() {
            catalog.aliases.push(Alias {
                alias: w.id.clone(),
                model_id,
                offer_key: Some(key),
                kind: AliasKind::Variant,
                source: SOURCE.into(),
            });
        }
    }

    for (base, w) in &chosen {
        catalog.models.push(to_model(w, parse_model_id(base)?));
    }

    // Canonical slugs: keep only those that mean exactly one model.
    let mut slugs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for w in models.iter().filter(|w| !w.id.starts_with('~')) {
        if let Some(slug) = non_empty(w.canonical_slug.clone()) {
            let base = listing_parts(&w.id).0.to_string();
            if slug != base && slug != w.id {
                slugs.entry(slug).or_default().insert(base);
            }
        }
    }
    for (slug, bases) in slugs {
        if bases.len() == 1 && !listings.contains(slug.as_str()) && !chosen.contains_key(&slug) {
            let base = bases.into_iter().next().unwrap_or_default();
            catalog.aliases.push(Alias {
                alias: slug,
                model_id: parse_model_id(&base)?,
                offer_key: None,
                kind: AliasKind::CanonicalSlug,
                source: SOURCE.into(),
            });
        } else {
            tracing::debug!(slug, "canonical slug is ambiguous or shadows a listing; not an alias");
        }
    }

    // Moving aliases point at whatever model their target currently is.
    let slug_targets: HashMap<String, String> = catalog
        .aliases
        .iter()
        .filter(|a| a.kind == AliasKind::CanonicalSlug)
        .map(|a| (a.alias.clone(), a.model_id.to_string()))
        .collect();
    for w in moving {
        let Some(target) = &w.alias_target else {
            tracing::warn!(id = w.id, "moving alias without alias_target; skipped");
            continue;
        };
        let base = listing_parts(&target.slug).0;
        let resolved =
            if chosen.contains_key(base) { Some(base.to_string()) } else { slug_targets.get(&target.slug).cloned() };
        match resolved {
            Some(model) => catalog.aliases.push(Alias {
                alias: w.id.clone(),
                model_id: parse_model_id(&model)?,
                offer_key: None,
                kind: AliasKind::Moving,
                source: SOURCE.into(),
            }),
            None => {
                tracing::warn!(id = w.id, target = target.slug, "moving alias points at an unlisted model; skipped")
            }
        }
    }
    catalog.aliases.sort_by(|a, b| a.alias.cmp(&b.alias));
    Ok(catalog)
}

/// Turn the endpoints of one listing into endpoint offers of the same model.
pub fn endpoint_offers(listing_id: &str, endpoints: &[WireEndpoint]) -> Result<Vec<Offer>, ParseError> {
    let (base, variant) = listing_parts(listing_id);
    let model_id = parse_model_id(base)?;
    let mut offers: Vec<Offer> = Vec::with_capacity(endpoints.len());
    let mut seen = BTreeSet::new();
    for (i, e) in endpoints.iter().enumerate() {
        let tag =
            e.tag.clone().or_else(|| e.provider_name.as_ref().map(|n| n.to_lowercase().replace(' ', "-"))).ok_or_else(
                || field_error(listing_id, format!("endpoints[{i}]"), "has neither tag nor provider_name"),
            )?;
        if !seen.insert(tag.clone()) {
            return Err(field_error(listing_id, format!("endpoints[{i}].tag"), format!("{tag:?} is listed twice")));
        }
        let pricing = parse_pricing(listing_id, &e.pricing)?;
        let mut extra: BTreeMap<String, Value> =
            e.rest.clone().into_iter().filter(|(k, _)| k != "model_id" && k != "model_name").collect();
        extra.extend(pricing.unknown.into_iter().map(|(k, v)| (format!("pricing.{k}"), v)));
        if let Some(name) = &e.name {
            extra.insert("endpoint_name".into(), Value::String(name.clone()));
        }
        offers.push(Offer {
            key: OfferKey::new(SOURCE, SOURCE, listing_id, Some(&tag)),
            model_id: model_id.clone(),
            source: SOURCE.into(),
            seller: SOURCE.into(),
            provider: Some(tag.split('/').next().unwrap_or(&tag).to_string()),
            served_by: Some(tag),
            provider_name: e.provider_name.clone(),
            listing_id: listing_id.to_string(),
            variant: variant.map(str::to_string),
            quantization: non_empty(e.quantization.clone()),
            context_length: e.context_length,
            max_completion_tokens: e.max_completion_tokens,
            max_prompt_tokens: e.max_prompt_tokens,
            supported_parameters: sorted(e.supported_parameters.clone().unwrap_or_default()),
            discount: pricing.discount,
            health: OfferHealth {
                status: e.status,
                uptime_5m: e.uptime_last_5m,
                uptime_30m: e.uptime_last_30m,
                uptime_1d: e.uptime_last_1d,
            },
            extra: extra_json(extra),
            prices: pricing.prices,
        });
    }
    Ok(offers)
}

/// The endpoints URL of a listing.
pub fn endpoints_url(base: &str, listing_id: &str) -> String {
    format!("{}/models/{listing_id}/endpoints", base.trim_end_matches('/'))
}

/// The models URL, for text models only or for every output modality.
pub fn models_url(base: &str, all_modalities: bool) -> String {
    let base = base.trim_end_matches('/');
    if all_modalities { format!("{base}/models?output_modalities=all") } else { format!("{base}/models") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use serde_json::json;

    fn wire(v: Value) -> WireModel {
        serde_json::from_value(v).expect("valid wire model")
    }

    fn price(offer: &Offer, key: &PriceKey) -> Option<PriceValue> {
        offer.prices.iter().find(|p| &p.key == key).map(|p| p.value)
    }

    #[test]
    fn prices_are_exact_and_missing_keys_are_zero() {
        let m = wire(
            json!({"id":"a/b","pricing":{"prompt":"0.00000008333333333333334","completion":"0.000003","request":"0","web_search":"0.01"}}),
        );
        let cat = to_catalog(&[m]).expect("parses");
        let offer = &cat.offers[0];
        assert_eq!(
            price(offer, &PriceKey::base(Component::Input)),
            Some(PriceValue::Fixed(dec!(0.00000008333333333333334)))
        );
        assert_eq!(price(offer, &PriceKey::base(Component::WebSearch)), Some(PriceValue::Fixed(dec!(0.01))));
        // "0" and absent are the same: neither is stored.
        assert_eq!(price(offer, &PriceKey::base(Component::Request)), None);
        assert_eq!(offer.prices.len(), 3);
    }

    #[test]
    fn minus_one_is_variable_never_negative() {
        let m = wire(json!({"id":"openrouter/auto","pricing":{"prompt":"-1","completion":"-1"}}));
        let cat = to_catalog(&[m]).expect("parses");
        assert_eq!(price(&cat.offers[0], &PriceKey::base(Component::Input)), Some(PriceValue::Variable));
        assert!(cat.offers[0].has_variable_price());
        let bad = wire(json!({"id":"a/b","pricing":{"prompt":"-2","completion":"0"}}));
        assert!(to_catalog(&[bad]).is_err());
    }

    #[test]
    fn invalid_prices_name_the_model_and_field() {
        let m = wire(json!({"id":"a/b","pricing":{"prompt":"abc","completion":"0"}}));
        let err = to_catalog(&[m]).expect_err("rejects").to_string();
        assert!(err.contains("a/b") && err.contains("pricing.prompt") && err.contains("abc"), "{err}");
    }

    #[test]
    fn overrides_become_tiers_and_time_windows() {
        let m = wire(json!({"id":"a/b","pricing":{"prompt":"0.0000005","completion":"0.000003",
            "overrides":[{"min_prompt_tokens":128000,"prompt":"0.000001","completion":"0.000006"},
                         {"utc_start":1000,"utc_end":100,"prompt":"0.00000066","completion":"0.00000198"}]}}));
        let cat = to_catalog(&[m]).expect("parses");
        let offer = &cat.offers[0];
        let tier = PriceKey { component: Component::Output, min_prompt_tokens: 128_000, condition: String::new() };
        assert_eq!(price(offer, &tier), Some(PriceValue::Fixed(dec!(0.000006))));
        let window = PriceKey { component: Component::Input, min_prompt_tokens: 0, condition: "utc:1000-0100".into() };
        assert_eq!(price(offer, &window), Some(PriceValue::Fixed(dec!(0.00000066))));
    }

    #[test]
    fn variants_and_moving_ids_are_aliases() {
        let models = [
            wire(
                json!({"id":"x/m","canonical_slug":"x/m-20260101","name":"M","pricing":{"prompt":"1","completion":"1"}}),
            ),
            wire(
                json!({"id":"x/m:free","canonical_slug":"x/m-20260101","name":"M (free)","pricing":{"prompt":"0","completion":"0"}}),
            ),
            wire(
                json!({"id":"~x/m-latest","alias_target":{"name":"M","slug":"x/m"},"pricing":{"prompt":"1","completion":"1"}}),
            ),
        ];
        let cat = to_catalog(&models).expect("parses");
        assert_eq!(cat.models.len(), 1);
        assert_eq!(cat.models[0].name, "M", "the plain listing names the model");
        assert_eq!(cat.offers.len(), 2, "moving ids are not offers");
        let aliases: Vec<_> = cat.aliases.iter().map(|a| (a.alias.as_str(), a.kind)).collect();
        assert_eq!(
            aliases,
            [
                ("x/m-20260101", AliasKind::CanonicalSlug),
                ("x/m:free", AliasKind::Variant),
                ("~x/m-latest", AliasKind::Moving)
            ]
        );
    }

    #[test]
    fn envelope_and_bare_array_both_parse() {
        let bare = br#"[{"id":"a/b","pricing":{"prompt":"0","completion":"0"}}]"#;
        let env = br#"{"data":[{"id":"a/b","pricing":{"prompt":"0","completion":"0"}}],"total_count":1,"links":{"next":null}}"#;
        assert_eq!(parse_models(bare).expect("bare").len(), 1);
        assert_eq!(parse_models(env).expect("envelope").len(), 1);
        assert!(parse_models(br#"{"data":[{"id":"a/b""#).is_err());
    }

    #[test]
    fn endpoints_carry_provider_prices_and_health() {
        let body = include_bytes!("../../fixtures/openrouter/endpoints_nex-agi_nex-n2.5-pro-free_2026-09-22.json");
        let eps = parse_endpoints(body).expect("real capture parses");
        let offers = endpoint_offers("nex-agi/nex-n2.5-pro:free", &eps).expect("maps");
        assert_eq!(offers.len(), 1);
        let o = &offers[0];
        assert_eq!(o.served_by.as_deref(), Some("nex-agi/fp8"));
        assert_eq!(o.provider.as_deref(), Some("nex-agi"));
        assert_eq!(o.quantization.as_deref(), Some("fp8"));
        assert_eq!(o.discount, Some(Decimal::ZERO));
        assert_eq!(o.health.status, Some(0));
        assert_eq!(o.variant.as_deref(), Some("free"));
        assert_eq!(o.model_id.as_str(), "nex-agi/nex-n2.5-pro");
    }
}
