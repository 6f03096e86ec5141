//! One model's page (`/models/{author}/{slug}`): its facts, offers per provider with tiers,
//! benchmarks, price history (a uPlot chart of the primary offer per component over time,
//! and a table of every interval) and its change events.

use super::changes::ChangeRow;
use super::format::{chart_scale, date, datetime, per_million_usd, price_with_unit, tokens};
use super::{Layout, PageError, PageResult, render};
use crate::catalog::{base_price, primary_offer};
use crate::domain::{Component, PriceValue, UnixMs, per_million};
use crate::server::state::AppState;
use crate::store::{ChangeQuery, ModelRecord, OfferRecord, PriceInterval};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Change events shown on a model's page.
const CHANGES: i64 = 100;

/// One offer (a listing, or a provider endpoint) as a table row.
struct OfferRow {
    provider: String,
    listing: String,
    source: String,
    kind: &'static str,
    variant: String,
    quantization: String,
    context: String,
    max_output: String,
    active: bool,
    health: String,
    discount: String,
    input: String,
    output: String,
    cache_read: String,
    /// Tiered or conditional prices (`input ≥200000: $5 / M tokens`).
    tiers: Vec<String>,
    /// Base prices of the other components.
    other: Vec<String>,
    primary: bool,
}

/// A named group of benchmark scores.
struct BenchSection {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One price interval as a table row.
struct HistoryRow {
    offer: String,
    key: String,
    price: String,
    from: String,
    to: String,
    /// Whether the chart draws it as a point.
    charted: bool,
}

/// The chart's data, embedded as JSON: uPlot's aligned columns (x in unix seconds) with the
/// last column at the end of the history (now, or the last interval's end) so each step
/// reaches it; points are drawn at every other column.
#[derive(Serialize)]
struct Chart {
    /// What is charted (`openrouter · deepseek/deepseek-chat`).
    title: String,
    /// The offer's key (to compare with `/api/v1/models/{id}/history`).
    offer_key: String,
    /// Times, unix seconds.
    x: Vec<i64>,
    /// One series per price key.
    series: Vec<Series>,
    /// Intervals drawn (one point each).
    points: usize,
}

#[derive(Serialize)]
struct Series {
    label: String,
    /// `per_million` (USD per million tokens) or `per_unit` (USD per image, request, search).
    scale: &'static str,
    /// Chart coordinates (floats: for drawing only; the table shows the exact prices).
    values: Vec<Option<f64>>,
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    layout: Layout,
    id: String,
    name: String,
    description: String,
    facts: Vec<(&'static str, String)>,
    parameters: Vec<String>,
    aliases: Vec<String>,
    active: bool,
    offers: Vec<OfferRow>,
    benchmarks: Vec<BenchSection>,
    chart: Option<Chart>,
    chart_json: String,
    history: Vec<HistoryRow>,
    /// Its change events (`rows`, as the shared change table template names them).
    rows: Vec<ChangeRow>,
}

fn count(n: Option<i64>) -> String {
    n.map(tokens).unwrap_or_else(|| "—".into())
}

fn offer_row(record: &ModelRecord, o: &OfferRecord, primary: Option<&str>) -> OfferRow {
    let offer = &o.offer;
    let provider =
        offer.provider_name.clone().or_else(|| offer.provider.clone()).unwrap_or_else(|| offer.seller.clone());
    let mut tiers = Vec::new();
    let mut other = Vec::new();
    for p in &o.prices {
        let key = &p.price.key;
        let text = format!("{}: {}", key.label(), price_with_unit(key.component, p.price.value));
        if key.min_prompt_tokens > 0 || !key.condition.is_empty() {
            tiers.push(text);
        } else if !matches!(key.component, Component::Input | Component::Output | Component::CacheRead) {
            other.push(text);
        }
    }
    let health = match (offer.health.status, offer.health.uptime_1d) {
        (None, None) => String::new(),
        (status, uptime) => {
            let s = match status {
                Some(0) => "healthy".to_string(),
                Some(n) => format!("degraded ({n})"),
                None => "status unknown".into(),
            };
            match uptime {
                Some(u) => format!("{s}, {u:.1}% up (1 d)"),
                None => s,
            }
        }
    };
    OfferRow {
        provider,
        listing: offer.listing_id.clone(),
        source: offer.source.clone(),
        kind: if offer.served_by.is_some() { "endpoint" } else { "listing" },
        variant: offer.variant.clone().unwrap_or_default(),
        quantization: offer.quantization.clone().unwrap_or_default(),
        context: count(offer.context_length.or(record.model.context_length)),
        max_output: count(offer.max_completion_tokens),
        active: o.is_active,
        health,
        discount: offer
            .discount
            .map(|d| format!("{}% off", (d * rust_decimal::Decimal::ONE_HUNDRED).normalize()))
            .unwrap_or_default(),
        input: per_million_usd(base_price(o, Component::Input)),
        output: per_million_usd(base_price(o, Component::Output)),
        cache_read: per_million_usd(base_price(o, Component::CacheRead)),
        tiers,
        other,
        primary: primary == Some(offer.key.as_str()),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn humanize(key: &str) -> String {
    let words: Vec<String> = key
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        })
        .collect();
    words.join(" ")
}

/// The sections of a model's benchmarks as the source publishes them: objects of scores
/// become metric/score tables, arrays of records become tables with one column per field.
fn benchmark_sections(benchmarks: &Value) -> Vec<BenchSection> {
    let Value::Object(top) = benchmarks else { return Vec::new() };
    let mut out = Vec::new();
    for (key, value) in top {
        match value {
            Value::Object(scores) if !scores.is_empty() => out.push(BenchSection {
                name: humanize(key),
                columns: vec!["metric".into(), "score".into()],
                rows: scores.iter().map(|(k, v)| vec![k.replace('_', " "), scalar(v)]).collect(),
            }),
            Value::Array(items) if !items.is_empty() => {
                let mut columns: Vec<String> = Vec::new();
                for item in items {
                    if let Value::Object(o) = item {
                        for k in o.keys() {
                            if !columns.contains(k) {
                                columns.push(k.clone());
                            }
                        }
                    }
                }
                let rows = items
                    .iter()
                    .map(|item| match item {
                        Value::Object(o) => columns.iter().map(|c| o.get(c).map(scalar).unwrap_or_default()).collect(),
                        other => vec![scalar(other)],
                    })
                    .collect();
                if columns.is_empty() {
                    columns.push("value".into());
                }
                out.push(BenchSection {
                    name: humanize(key),
                    columns: columns.iter().map(|c| c.replace('_', " ")).collect(),
                    rows,
                });
            }
            Value::Object(_) | Value::Array(_) => {}
            scalar_value => out.push(BenchSection {
                name: humanize(key),
                columns: vec!["value".into()],
                rows: vec![vec![scalar(scalar_value)]],
            }),
        }
    }
    out
}

/// A chart coordinate: the price per million tokens (token components) or per unit.
fn coordinate(component: Component, value: PriceValue) -> Option<f64> {
    let d = value.fixed()?;
    let shown = if chart_scale(component) == "per_million" { per_million(d) } else { d };
    shown.to_f64()
}

/// The chart of one offer's price history: a step series per price key.
fn chart(title: String, offer_key: &str, intervals: &[&PriceInterval], now: UnixMs) -> Option<Chart> {
    let fixed: Vec<&PriceInterval> =
        intervals.iter().copied().filter(|i| i.record.price.value.fixed().is_some()).collect();
    if fixed.is_empty() {
        return None;
    }
    let mut starts: BTreeSet<i64> = fixed.iter().map(|i| i.record.valid_from / 1000).collect();
    let last_start = starts.iter().next_back().copied().unwrap_or(0);
    let ends = fixed.iter().filter_map(|i| i.record.valid_to).max().unwrap_or(now);
    let end = (now.max(ends) / 1000).max(last_start + 1);
    starts.insert(end);
    let x: Vec<i64> = starts.into_iter().collect();
    let mut by_key: BTreeMap<&crate::domain::PriceKey, Vec<&PriceInterval>> = BTreeMap::new();
    for &i in &fixed {
        by_key.entry(&i.record.price.key).or_default().push(i);
    }
    let series = by_key
        .into_iter()
        .map(|(key, list)| {
            let mut values = vec![None; x.len()];
            for i in &list {
                if let Ok(at) = x.binary_search(&(i.record.valid_from / 1000)) {
                    values[at] = coordinate(key.component, i.record.price.value);
                }
            }
            // Hold the current price to the end of the chart.
            if let Some(open) = list.iter().find(|i| i.record.valid_to.is_none()) {
                if let Some(last) = values.last_mut() {
                    *last = coordinate(key.component, open.record.price.value);
                }
            }
            Series { label: key.label(), scale: chart_scale(key.component), values }
        })
        .collect();
    Some(Chart { title, offer_key: offer_key.to_string(), x, series, points: fixed.len() })
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped so no
/// value can close the element.
fn embeddable_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `GET /models/{author}/{slug}`: one model (an alias redirects to its model).
pub async fn page(State(state): State<AppState>, headers: HeaderMap, Path(raw_id): Path<String>) -> PageResult {
    let Some(id) = state.store.resolve(&raw_id).await? else {
        return Err(PageError::not_found(format!("There is no model {raw_id:?} (nor an alias of one).")));
    };
    if id != raw_id {
        let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
        let location = format!("/models/{}", id.split('/').map(urlencode_segment).collect::<Vec<_>>().join("/"));
        if let Ok(v) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(response);
    }
    let snapshot = state.cache.get().await?;
    let Some(record) = snapshot.by_id.get(&id).map(|&i| &snapshot.records[i]) else {
        return Err(PageError::not_found(format!("Model {id} is not in the catalog.")));
    };
    let history = state.store.price_history(&id, None).await?;
    let changes =
        state.store.changes(&ChangeQuery { model: Some(id.clone()), limit: CHANGES, ..ChangeQuery::default() }).await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let primary = primary_offer(record);
    let primary_key = primary.map(|o| o.offer.key.as_str().to_string());

    let mut offers: Vec<&OfferRecord> = record.offers.iter().collect();
    offers.sort_by_key(|o| {
        (!o.is_active, o.offer.served_by.is_some(), o.offer.provider.clone(), o.offer.listing_id.clone())
    });
    let offer_rows: Vec<OfferRow> = offers.iter().map(|o| offer_row(record, o, primary_key.as_deref())).collect();

    let labels: BTreeMap<&str, String> = record
        .offers
        .iter()
        .map(|o| {
            let who = o.offer.served_by.clone().unwrap_or_else(|| o.offer.source.clone());
            (o.offer.key.as_str(), format!("{who} · {}", o.offer.listing_id))
        })
        .collect();
    let mut sorted: Vec<&PriceInterval> = history.iter().collect();
    sorted.sort_by(|a, b| {
        (a.offer_key != primary_key.as_deref().unwrap_or(""), &a.offer_key, &a.record.price.key, a.record.valid_from)
            .cmp(&(
                b.offer_key != primary_key.as_deref().unwrap_or(""),
                &b.offer_key,
                &b.record.price.key,
                b.record.valid_from,
            ))
    });
    let charted: Vec<&PriceInterval> =
        sorted.iter().copied().filter(|i| Some(i.offer_key.as_str()) == primary_key.as_deref()).collect();
    let chart = primary.and_then(|o| {
        let title = labels.get(o.offer.key.as_str()).cloned().unwrap_or_else(|| o.offer.listing_id.clone());
        chart(title, o.offer.key.as_str(), &charted, now)
    });
    let history_rows = sorted
        .iter()
        .map(|i| HistoryRow {
            offer: labels.get(i.offer_key.as_str()).cloned().unwrap_or_else(|| i.listing_id.clone()),
            key: i.record.price.key.label(),
            price: price_with_unit(i.record.price.key.component, i.record.price.value),
            from: datetime(i.record.valid_from),
            to: i.record.valid_to.map(datetime).unwrap_or_else(|| "now".into()),
            charted: Some(i.offer_key.as_str()) == primary_key.as_deref() && i.record.price.value.fixed().is_some(),
        })
        .collect();

    let m = &record.model;
    let mut facts: Vec<(&'static str, String)> = vec![
        ("Author", m.id.author().unwrap_or("—").to_string()),
        ("Context", count(m.context_length)),
        ("Max output", count(m.max_completion_tokens)),
        ("Modalities", format!("{} → {}", m.input_modalities.join(", "), m.output_modalities.join(", "))),
        ("Reasoning", if m.supports_reasoning() { "yes".into() } else { "no".into() }),
        ("First seen", date(record.first_seen)),
        ("Last seen", date(record.last_seen)),
    ];
    let optional: [(&'static str, Option<String>); 6] = [
        ("Listed", m.created.and_then(|c| c.checked_mul(1000)).map(date)),
        ("Tokenizer", m.tokenizer.clone()),
        ("Knowledge cutoff", m.knowledge_cutoff.clone()),
        ("Expires", m.expiration_date.clone()),
        ("Hugging Face", m.hugging_face_id.clone()),
        ("Canonical slug", m.canonical_slug.clone()),
    ];
    facts.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    let page = ModelPage {
        layout: Layout::new(&state, &headers, m.name.clone(), "model").at_version(snapshot.version).with_charts(),
        id: id.clone(),
        name: m.name.clone(),
        description: m.description.clone().unwrap_or_default(),
        facts,
        parameters: m.supported_parameters.clone(),
        aliases: record.aliases.clone(),
        active: record.is_active,
        offers: offer_rows,
        benchmarks: m.benchmarks.as_ref().map(|b| benchmark_sections(&b.to_value())).unwrap_or_default(),
        chart_json: chart.as_ref().map(embeddable_json).unwrap_or_default(),
        chart,
        history: history_rows,
        rows: changes.iter().map(ChangeRow::of).collect(),
    };
    Ok(render(&page))
}

/// Percent-encode one path segment (ids are plain, but aliases may hold anything).
fn urlencode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, PriceKey, TierScope};
    use crate::store::PriceRecord;
    use rust_decimal::dec;

    fn interval(component: Component, usd: rust_decimal::Decimal, from: i64, to: Option<i64>) -> PriceInterval {
        PriceInterval {
            offer_key: "k".into(),
            listing_id: "a/b".into(),
            served_by: None,
            record: PriceRecord {
                price: Price {
                    key: PriceKey::base(component),
                    value: PriceValue::Fixed(usd),
                    scope: TierScope::WholeRequest,
                },
                valid_from: from,
                valid_to: to,
            },
        }
    }

    #[test]
    fn the_chart_has_one_point_per_interval_and_holds_the_current_price() {
        let list = [
            interval(Component::Input, dec!(0.000001), 1_000_000, Some(2_000_000)),
            interval(Component::Input, dec!(0.000002), 2_000_000, None),
            interval(Component::Output, dec!(0.000004), 1_000_000, None),
            interval(Component::WebSearch, dec!(0.01), 1_500_000, None),
        ];
        let refs: Vec<&PriceInterval> = list.iter().collect();
        let c = chart("t".into(), "k", &refs, 5_000_000).expect("chart");
        assert_eq!(c.points, 4);
        assert_eq!(c.x, vec![1000, 1500, 2000, 5000]);
        let input = c.series.iter().find(|s| s.label == "input").expect("input");
        assert_eq!(input.values, vec![Some(1.0), None, Some(2.0), Some(2.0)]);
        let search = c.series.iter().find(|s| s.label == "web_search").expect("search");
        assert_eq!(search.scale, "per_unit");
        assert_eq!(search.values, vec![None, Some(0.01), None, Some(0.01)]);
        let drawn: usize =
            c.series.iter().map(|s| s.values[..s.values.len() - 1].iter().filter(|v| v.is_some()).count()).sum();
        assert_eq!(drawn, c.points);
    }

    #[test]
    fn benchmarks_become_tables() {
        let v = serde_json::json!({"artificial_analysis": {"coding_index": 76.2, "intelligence_index": 57.1},
            "design_arena": [{"arena": "models", "category": "3d", "elo": 1374}], "empty": []});
        let s = benchmark_sections(&v);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "Artificial Analysis");
        assert_eq!(s[0].rows[0], vec!["coding index".to_string(), "76.2".to_string()]);
        assert_eq!(s[1].columns, vec!["arena", "category", "elo"]);
        assert_eq!(s[1].rows[0][2], "1374");
    }

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let s = embeddable_json(&serde_json::json!({"t": "</script><b>&"}));
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back["t"], "</script><b>&");
    }
}
