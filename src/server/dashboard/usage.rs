//! The usage page (`/usage`): what the proxy and the client recorded over a window — spend
//! per UTC day as a bar chart (server-rendered SVG), the models and apps that spent most, and
//! each budget against its limits. Amounts are exact decimals; only bar heights use floats.

use super::format::{Tick, coord, tokens, usd};
use super::{Layout, PageError, PageResult, query_pairs, render};
use crate::domain::{UnixMs, parse_since};
use crate::server::state::AppState;
use crate::track::{BudgetStatus, Budgets, GroupBy, UsageGroup, UsageReport};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// The windows offered, as `parse_since` reads them.
const WINDOWS: [(&str, &str); 5] = [
    ("24h", "last 24 hours"),
    ("7d", "last 7 days"),
    ("30d", "last 30 days"),
    ("90d", "last 90 days"),
    ("1y", "last year"),
];

/// Rows of the top-models and top-apps tables.
const TOP: usize = 10;

/// Chart geometry, in SVG user units.
const W: f64 = 900.0;
const H: f64 = 300.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const PAD_TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// One day's bar.
struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    title: String,
}

/// Spend per day, every day of the window (days without requests at zero).
struct SpendChart {
    bars: Vec<Bar>,
    y_ticks: Vec<Tick>,
    x_ticks: Vec<Tick>,
    days: usize,
}

/// One group (model, app) as a table row.
struct GroupRow {
    key: String,
    /// Link to the model page, when the group is a catalog model.
    href: Option<String>,
    requests: String,
    failed: u64,
    prompt_tokens: String,
    completion_tokens: String,
    cost: String,
    /// Share of the window's spend, 0–1, for a `<meter>`.
    share: String,
    share_label: String,
    unpriced: u64,
}

/// One budget as a table row.
struct BudgetRow {
    selector: String,
    daily: String,
    monthly: String,
    exceeded: bool,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    layout: Layout,
    windows: Vec<Choice>,
    window_label: String,
    total: UsageGroup,
    total_cost: String,
    provider_reported: String,
    /// Prompt, completion, cache-read and reasoning tokens, formatted.
    token_counts: (String, String, String, String),
    chart: Option<SpendChart>,
    plot_w: f64,
    plot_h: f64,
    models: Vec<GroupRow>,
    more_models: Option<usize>,
    apps: Vec<GroupRow>,
    more_apps: Option<usize>,
    budgets: Vec<BudgetRow>,
}

/// A select option.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// An amount rounded for an axis label (`$0.0123`), not for accounting.
fn axis_usd(d: Decimal) -> String {
    let rounded = if d >= Decimal::ONE { d.round_dp(2) } else { d.round_sf(3).unwrap_or(d) };
    usd(rounded)
}

/// A count with thousands separators.
fn count(n: u64) -> String {
    tokens(i64::try_from(n).unwrap_or(i64::MAX))
}

fn day_of(ms: UnixMs) -> Date {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(TimeZone::UTC).date()
}

/// The bar chart of spend per day from `first` to `last` (UTC), from a by-day report.
fn spend_chart(by_day: &UsageReport, first: Date, last: Date) -> Option<SpendChart> {
    if by_day.groups.is_empty() {
        return None;
    }
    let spend: HashMap<&str, &UsageGroup> = by_day.groups.iter().map(|g| (g.key.as_str(), g)).collect();
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        days.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    let max = by_day.groups.iter().map(|g| g.cost_usd).max().unwrap_or_default();
    let max_f = max.to_f64().unwrap_or(0.0);
    let slot = (W - LEFT - RIGHT) / days.len().max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    let plot_h = H - PAD_TOP - BOTTOM;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let key = d.to_string();
            let (cost, requests) = spend.get(key.as_str()).map_or((Decimal::ZERO, 0), |g| (g.cost_usd, g.requests));
            let fraction = if max_f > 0.0 { cost.to_f64().unwrap_or(0.0) / max_f } else { 0.0 };
            let height = (fraction * plot_h).max(if requests > 0 { 1.0 } else { 0.0 });
            Bar {
                x: coord(LEFT + i as f64 * slot + gap / 2.0),
                y: coord(PAD_TOP + plot_h - height),
                width: coord((slot - gap).max(0.5)),
                height: coord(height),
                title: format!("{key}: {} over {requests} request{}", usd(cost), if requests == 1 { "" } else { "s" }),
            }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|k| {
            let value = max * Decimal::from(k) / Decimal::from(4);
            Tick { pos: coord(PAD_TOP + plot_h * (1.0 - f64::from(k) / 4.0)), label: axis_usd(value) }
        })
        .collect();
    // About six date labels, whatever the window.
    let every = days.len().div_ceil(6).max(1);
    let x_ticks = days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, d)| Tick { pos: coord(LEFT + (i as f64 + 0.5) * slot), label: d.strftime("%b %-d").to_string() })
        .collect();
    Some(SpendChart { bars, y_ticks, x_ticks, days: days.len() })
}

/// The first [`TOP`] groups as rows, and how many more there are (if any).
fn group_rows(report: &UsageReport, href: impl Fn(&str) -> Option<String>) -> (Vec<GroupRow>, Option<usize>) {
    let total = report.total.cost_usd;
    let rows = report
        .groups
        .iter()
        .take(TOP)
        .map(|g| {
            let share = if total.is_zero() { Decimal::ZERO } else { g.cost_usd / total };
            GroupRow {
                href: href(&g.key),
                key: g.key.clone(),
                requests: count(g.requests),
                failed: g.failed,
                prompt_tokens: count(g.prompt_tokens),
                completion_tokens: count(g.completion_tokens),
                cost: usd(g.cost_usd),
                share: share.round_dp(4).normalize().to_string(),
                share_label: format!("{}%", (share * Decimal::ONE_HUNDRED).round_dp(1).normalize()),
                unpriced: g.unpriced,
            }
        })
        .collect();
    (rows, Some(report.groups.len().saturating_sub(TOP)).filter(|n| *n > 0))
}

fn spent_of(spent: Decimal, limit: Option<Decimal>) -> String {
    match limit {
        Some(l) => format!("{} of {}", usd(spent), usd(l)),
        None => format!("{} (no limit)", usd(spent)),
    }
}

/// Every configured budget with what has been spent against it (read from the store).
pub async fn budget_statuses(state: &AppState, now: UnixMs) -> Result<Vec<BudgetStatus>, PageError> {
    let budgets = Budgets::new(&state.settings.budgets, Vec::new()).map_err(PageError::internal)?;
    budgets.seed(state.store.as_ref(), now).await?;
    Ok(budgets.status(now))
}

/// `GET /usage`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> PageResult {
    let mut since = "30d".to_string();
    for (k, v) in query_pairs(raw.as_deref())? {
        if k == "since" && !v.trim().is_empty() {
            since = v.trim().to_string();
        }
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let since_ms = parse_since(&since, now).map_err(|e| PageError::bad_request(format!("since: {e}")))?;
    let totals = state.store.usage_totals(Some(since_ms), None).await?;
    let by_day = UsageReport::from_totals(&totals, Some(since_ms), GroupBy::Day);
    let by_model = UsageReport::from_totals(&totals, Some(since_ms), GroupBy::Model);
    let by_app = UsageReport::from_totals(&totals, Some(since_ms), GroupBy::App);
    let snapshot = state.cache.get().await?;
    let (models, more_models) =
        group_rows(&by_model, |id| snapshot.by_id.contains_key(id).then(|| format!("/models/{id}")));
    let (apps, more_apps) = group_rows(&by_app, |_| None);
    let budgets = budget_statuses(&state, now)
        .await?
        .into_iter()
        .map(|b| BudgetRow {
            daily: spent_of(b.daily_spent_usd, b.daily_limit_usd),
            monthly: spent_of(b.monthly_spent_usd, b.monthly_limit_usd),
            exceeded: b.exceeded,
            selector: b.selector,
        })
        .collect();
    let mut windows: Vec<Choice> =
        WINDOWS.iter().map(|(v, l)| Choice { value: (*v).into(), label: (*l).into(), selected: *v == since }).collect();
    if !windows.iter().any(|w| w.selected) {
        windows.push(Choice { value: since.clone(), label: format!("since {since}"), selected: true });
    }
    let window_label = windows.iter().find(|w| w.selected).map(|w| w.label.clone()).unwrap_or_default();
    let total = by_day.total.clone();
    let page = UsagePage {
        layout: Layout::new(&state, &headers, "Usage", "usage").at_version(snapshot.version),
        windows,
        window_label,
        total_cost: usd(total.cost_usd),
        provider_reported: usd(total.provider_reported_usd),
        token_counts: (
            count(total.prompt_tokens),
            count(total.completion_tokens),
            count(total.cache_read_tokens),
            count(total.reasoning_tokens),
        ),
        total,
        chart: spend_chart(&by_day, day_of(since_ms), day_of(now)),
        plot_w: W,
        plot_h: H,
        models,
        more_models,
        apps,
        more_apps,
        budgets,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(key: &str, cost: Decimal, requests: u64) -> UsageGroup {
        UsageGroup { key: key.into(), cost_usd: cost, requests, ..Default::default() }
    }

    #[test]
    fn the_chart_has_one_bar_per_day_and_the_busiest_day_is_full_height() {
        let report = UsageReport {
            since: None,
            by: GroupBy::Day,
            groups: vec![day("2026-08-01", Decimal::new(25, 1), 3), day("2026-08-03", Decimal::new(5, 1), 1)],
            total: UsageGroup::default(),
        };
        let first = Date::constant(2026, 7, 31);
        let chart = spend_chart(&report, first, Date::constant(2026, 8, 4)).expect("chart");
        assert_eq!((chart.days, chart.bars.len()), (5, 5));
        let heights: Vec<&str> = chart.bars.iter().map(|b| b.height.as_str()).collect();
        assert_eq!(heights, vec!["0.0", "244.0", "0.0", "48.8", "0.0"]);
        assert_eq!(chart.bars[1].title, "2026-08-01: $2.5 over 3 requests");
        assert_eq!(chart.y_ticks.last().map(|t| t.label.as_str()), Some("$2.5"));
        assert!(spend_chart(&UsageReport { groups: vec![], ..report }, first, first).is_none());
    }

    #[test]
    fn axis_labels_round_but_totals_do_not() {
        assert_eq!(axis_usd(Decimal::new(123_456, 6)), "$0.123");
        assert_eq!(axis_usd(Decimal::new(123_456, 3)), "$123.46");
    }
}
