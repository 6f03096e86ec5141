//! The change feed (`/changes`): what syncs changed, newest first, filtered by kind and
//! time (this week by default).

use super::format::{change_value, datetime, iso};
use super::{Layout, PageError, PageResult, query_pairs, render};
use crate::domain::{ChangeKind, parse_since};
use crate::server::state::AppState;
use crate::store::{ChangeQuery, StoredChange};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;

/// Most events shown on one page.
const LIMIT: i64 = 500;

/// The time windows offered, as `parse_since` reads them (empty: all time).
const WINDOWS: [(&str, &str); 6] = [
    ("24h", "last 24 hours"),
    ("7d", "this week"),
    ("30d", "last 30 days"),
    ("90d", "last 90 days"),
    ("1y", "last year"),
    ("all", "all time"),
];

/// One change event as a table row.
pub struct ChangeRow {
    /// When (for people).
    pub at: String,
    /// When (RFC 3339).
    pub at_iso: String,
    /// The kind (`price_changed`).
    pub kind: &'static str,
    /// The model.
    pub model_id: String,
    /// The listing or alias concerned, when not the model itself.
    pub subject: String,
    /// The price key label.
    pub price_key: String,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
    /// Percent change, signed.
    pub percent: String,
    /// Whether it is an alert.
    pub alert: bool,
    /// Whether the percent is an increase.
    pub up: bool,
    /// The run that made it.
    pub run_id: i64,
}

impl ChangeRow {
    /// The row of a stored event.
    pub fn of(c: &StoredChange) -> Self {
        let e = &c.event;
        let key = e.price_key.as_deref();
        Self {
            at: datetime(c.at),
            at_iso: iso(c.at),
            kind: e.kind.as_str(),
            model_id: e.model_id.clone(),
            subject: e.subject.clone().filter(|s| *s != e.model_id).unwrap_or_default(),
            price_key: e.price_key.clone().unwrap_or_default(),
            old: e.old_value.as_deref().map(|v| change_value(key, v)).unwrap_or_default(),
            new: e.new_value.as_deref().map(|v| change_value(key, v)).unwrap_or_default(),
            percent: e
                .percent
                .map(|p| if p.is_sign_positive() { format!("+{p}%") } else { format!("{p}%") })
                .unwrap_or_default(),
            up: e.percent.is_some_and(|p| p.is_sign_positive()),
            alert: e.is_alert,
            run_id: c.run_id,
        }
    }
}

/// A select option.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ChangesPage {
    layout: Layout,
    kinds: Vec<Choice>,
    windows: Vec<Choice>,
    alerts: bool,
    rows: Vec<ChangeRow>,
    window_label: String,
    limited: bool,
}

/// `GET /changes`: the feed.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> PageResult {
    let mut kind = String::new();
    let mut since = "7d".to_string();
    let mut alerts = false;
    for (k, v) in query_pairs(raw.as_deref())? {
        match k.as_str() {
            "kind" => kind = v.trim().to_string(),
            "since" if !v.trim().is_empty() => since = v.trim().to_string(),
            "alerts" => alerts = matches!(v.as_str(), "1" | "on" | "true"),
            _ => {}
        }
    }
    let kinds =
        if kind.is_empty() { Vec::new() } else { vec![kind.parse::<ChangeKind>().map_err(PageError::bad_request)?] };
    let now = jiff::Timestamp::now().as_millisecond();
    let since_ms = if since == "all" {
        None
    } else {
        Some(parse_since(&since, now).map_err(|e| PageError::bad_request(format!("since: {e}")))?)
    };
    let query = ChangeQuery { since: since_ms, kinds, alerts_only: alerts, limit: LIMIT, ..ChangeQuery::default() };
    let events = state.store.changes(&query).await?;
    let version = state.cache.get().await?.version;
    let mut kind_choices = vec![Choice { value: String::new(), label: "every kind".into(), selected: kind.is_empty() }];
    kind_choices.extend(ChangeKind::ALL.iter().map(|k| Choice {
        value: k.as_str().into(),
        label: k.as_str().replace('_', " "),
        selected: k.as_str() == kind,
    }));
    let mut windows: Vec<Choice> =
        WINDOWS.iter().map(|(v, l)| Choice { value: (*v).into(), label: (*l).into(), selected: *v == since }).collect();
    if !windows.iter().any(|w| w.selected) {
        windows.push(Choice { value: since.clone(), label: format!("since {since}"), selected: true });
    }
    let window_label = windows.iter().find(|w| w.selected).map(|w| w.label.clone()).unwrap_or_default();
    let page = ChangesPage {
        layout: Layout::new(&state, &headers, "Changes", "changes").at_version(version),
        kinds: kind_choices,
        windows,
        alerts,
        limited: events.len() as i64 >= LIMIT,
        rows: events.iter().map(ChangeRow::of).collect(),
        window_label,
    };
    Ok(render(&page))
}
