//! The rankings page (`/rankings`): models by cost efficiency, benchmark performance and
//! their composite, with a cost-vs-quality scatter plot (server-rendered SVG, so it needs no
//! JavaScript) whose Pareto frontier is highlighted, and the models that cannot be scored.

use super::format::{Tick, coord, usd};
use super::{Layout, PageError, PageResult, query_pairs, render};
use crate::rank::{Category, RankQuery, RankedModel, Rankings, Weights};
use crate::server::state::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Ranked models listed in the table (the plot shows them all).
const TABLE_ROWS: usize = 200;

/// Plot geometry, in SVG user units.
const W: f64 = 900.0;
const H: f64 = 420.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;

/// Where free models sit on the logarithmic price axis (USD per million tokens).
const FREE_AT: f64 = 0.01;

/// One model on the plot.
struct Point {
    id: String,
    x: String,
    y: String,
    frontier: bool,
    title: String,
}

/// The scatter plot.
struct Plot {
    points: Vec<Point>,
    /// The frontier as an SVG polyline (`x,y x,y …`), cheapest first.
    frontier_line: String,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    frontier_count: usize,
}

/// One ranked model as a table row.
struct Row {
    rank: usize,
    id: String,
    name: String,
    price: String,
    cost_efficiency: String,
    performance: String,
    composite: String,
    frontier: bool,
    providers: usize,
    free: bool,
    inputs: String,
}

/// A select option.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "rankings.html")]
struct RankingsPage {
    layout: Layout,
    categories: Vec<Choice>,
    weights: String,
    free: bool,
    min_providers: String,
    supports: String,
    how: Vec<(&'static str, String)>,
    plot: Option<Plot>,
    rows: Vec<Row>,
    total_ranked: usize,
    unscored: Vec<(String, String, String)>,
    plot_w: f64,
    plot_h: f64,
}

fn fmt_score(d: Decimal) -> String {
    d.round_dp(3).normalize().to_string()
}

/// The plot of price (log scale) against performance (0–1), frontier highlighted.
fn plot(r: &Rankings) -> Option<Plot> {
    if r.ranked.is_empty() {
        return None;
    }
    let price = |m: &RankedModel| m.price.input_per_million.to_f64().unwrap_or(0.0).max(FREE_AT);
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for m in &r.ranked {
        lo = lo.min(price(m));
        hi = hi.max(price(m));
    }
    let (lo, hi) = (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0));
    let x = |p: f64| LEFT + (p.log10() - lo) / (hi - lo) * (W - LEFT - RIGHT);
    let y = |perf: f64| TOP + (1.0 - perf.clamp(0.0, 1.0)) * (H - TOP - BOTTOM);
    let points = r
        .ranked
        .iter()
        .map(|m| {
            let perf = m.performance.to_f64().unwrap_or(0.0);
            Point {
                id: m.id.to_string(),
                x: coord(x(price(m))),
                y: coord(y(perf)),
                frontier: m.on_frontier,
                title: format!(
                    "{}: {} / M input, performance {}{}",
                    m.id,
                    usd(m.price.input_per_million),
                    fmt_score(m.performance),
                    if m.on_frontier { " (frontier)" } else { "" }
                ),
            }
        })
        .collect();
    let frontier_line = r
        .frontier
        .iter()
        .map(|f| {
            let p = f.input_per_million.to_f64().unwrap_or(0.0).max(FREE_AT);
            format!("{},{}", coord(x(p)), coord(y(f.performance.to_f64().unwrap_or(0.0))))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut x_ticks = Vec::new();
    let mut e = lo;
    while e <= hi {
        let v = 10f64.powf(e);
        let label = if v <= FREE_AT {
            "≤$0.01 (free)".to_string()
        } else if v < 1.0 {
            format!("${v}")
        } else {
            format!("${v:.0}")
        };
        x_ticks.push(Tick { pos: coord(x(v)), label });
        e += 1.0;
    }
    let y_ticks =
        [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|&v| Tick { pos: coord(y(v)), label: format!("{v}") }).collect();
    Some(Plot { points, frontier_line, x_ticks, y_ticks, frontier_count: r.frontier.len() })
}

/// `GET /rankings`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> PageResult {
    let mut category = String::new();
    let mut weights = String::new();
    let mut free = false;
    let mut min_providers = String::new();
    let mut supports = String::new();
    for (k, v) in query_pairs(raw.as_deref())? {
        let v = v.trim().to_string();
        match k.as_str() {
            "category" => category = v,
            "weights" => weights = v,
            "free" => free = matches!(v.as_str(), "1" | "on" | "true"),
            "min_providers" => min_providers = v,
            "supports" => supports = v,
            _ => {}
        }
    }
    let query = RankQuery {
        category: if category.is_empty() {
            Category::default()
        } else {
            category.parse().map_err(|e| PageError::bad_request(format!("category: {e}")))?
        },
        weights: if weights.is_empty() {
            Weights::default()
        } else {
            weights.parse().map_err(|e| PageError::bad_request(format!("weights: {e}")))?
        },
        free,
        min_providers: if min_providers.is_empty() {
            0
        } else {
            min_providers.parse().map_err(|_| PageError::bad_request("min_providers must be a whole number"))?
        },
        supports: supports.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        limit: None,
    };
    let snapshot = state.cache.get().await?;
    let rankings = snapshot.rank(&query);
    let selected = query.category.name().to_string();
    let mut categories: Vec<Choice> = Category::BUILT_IN
        .iter()
        .map(|(n, d)| Choice { value: (*n).into(), label: format!("{n}: {d}"), selected: *n == selected })
        .collect();
    if !categories.iter().any(|c| c.selected) {
        categories.push(Choice { value: selected.clone(), label: selected.clone(), selected: true });
    }
    let how = vec![
        ("Cost efficiency", rankings.how.cost_efficiency.to_string()),
        ("Normalisation", rankings.how.normalization.to_string()),
        ("Performance", rankings.how.performance.clone()),
        ("Composite", rankings.how.composite.clone()),
        ("Frontier", rankings.how.frontier.to_string()),
    ];
    let rows = rankings
        .ranked
        .iter()
        .take(TABLE_ROWS)
        .map(|m| Row {
            rank: m.rank,
            id: m.id.to_string(),
            name: m.name.to_string(),
            price: usd(m.price.input_per_million),
            cost_efficiency: fmt_score(m.cost_efficiency),
            performance: fmt_score(m.performance),
            composite: fmt_score(m.composite),
            frontier: m.on_frontier,
            providers: m.providers,
            free: m.free,
            inputs: m
                .inputs
                .iter()
                .map(|i| {
                    format!(
                        "{} {} {}: {} → {}",
                        i.key.benchmark,
                        i.key.category,
                        i.key.metric,
                        i.score,
                        fmt_score(i.normalized)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let page = RankingsPage {
        layout: Layout::new(&state, &headers, "Rankings", "rankings").at_version(snapshot.version),
        categories,
        weights: rankings.weights.to_string(),
        free,
        min_providers,
        supports,
        how,
        plot: plot(&rankings),
        rows,
        total_ranked: rankings.total_ranked,
        unscored: rankings
            .unscored
            .iter()
            .map(|u| (u.id.to_string(), u.reason.to_string(), u.input_per_million.map(usd).unwrap_or_default()))
            .collect(),
        plot_w: W,
        plot_h: H,
    };
    Ok(render(&page))
}
