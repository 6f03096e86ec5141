//! Webhook bodies: generic JSON (every field, money as exact decimal strings) and
//! Slack-compatible text (one message per batch, the first alerts listed, the rest counted).

use super::{Alert, AlertEvent, AlertKind};
use crate::domain::per_million;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Version of the JSON body's shape; bumped on incompatible changes.
pub const JSON_VERSION: u32 = 1;

/// The value every alert shares, if they all share one.
fn common<T: PartialEq + Clone>(alerts: &[Alert], field: impl Fn(&Alert) -> T) -> Option<T> {
    let first = field(alerts.first()?);
    alerts.iter().all(|a| field(a) == first).then_some(first)
}

fn counts(alerts: &[Alert]) -> Vec<(AlertKind, usize)> {
    AlertKind::ALL.iter().map(|k| (*k, alerts.iter().filter(|a| a.kind() == *k).count())).collect()
}

/// The generic JSON body of a batch: `{"event": "llmcost.alerts", "version", "test",
/// "source", "run_id", "counts", "alerts": [{"kind", ...}]}`. `source` and `run_id` are
/// those of the sync when every alert comes from the same one, else null; every alert
/// carries its own too. Prices and percents are decimal strings, never floats.
pub fn json_body(alerts: &[Alert]) -> Value {
    let counts: serde_json::Map<String, Value> =
        counts(alerts).into_iter().map(|(k, n)| (k.as_str().to_string(), json!(n))).collect();
    json!({
        "event": "llmcost.alerts",
        "version": JSON_VERSION,
        "test": alerts.iter().any(|a| a.test),
        "source": common(alerts, |a| a.source.clone()),
        "run_id": common(alerts, |a| a.run_id).flatten(),
        "counts": counts,
        "alerts": alerts,
    })
}

/// The Slack-compatible body of a batch: `{"text": "..."}` in mrkdwn, a headline with the
/// counts, then one line per alert up to `max_listed`, then `… and N more`.
pub fn slack_body(alerts: &[Alert], max_listed: usize) -> Value {
    json!({ "text": slack_text(alerts, max_listed) })
}

/// Slack's mrkdwn control characters; everything else is literal.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn slack_text(alerts: &[Alert], max_listed: usize) -> String {
    let mut lines = Vec::new();
    if alerts.iter().any(|a| a.test) {
        lines.push(":test_tube: *TEST*: sample alerts sent by `llmcost alerts test`; nothing changed.".to_string());
    }
    let source = common(alerts, |a| a.source.clone());
    let context = match (&source, common(alerts, |a| a.run_id).flatten()) {
        (Some(s), Some(run)) => format!("{} sync #{run}", escape(s)),
        (Some(s), None) => format!("{} sync", escape(s)),
        (None, _) => "sync".to_string(),
    };
    let summary: Vec<String> = counts(alerts)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| match k {
            AlertKind::SyncFailed => plural(n, "failure", "failures"),
            AlertKind::PriceChange => plural(n, "price alert", "price alerts"),
            AlertKind::RemovedModel => plural(n, "removed model", "removed models"),
            AlertKind::NewModel => plural(n, "new model", "new models"),
        })
        .collect();
    lines.push(format!("*llmcost* {context}: {}", summary.join(", ")));
    for a in alerts.iter().take(max_listed) {
        let prefix = if source.is_none() { format!("[{}] ", escape(&a.source)) } else { String::new() };
        lines.push(format!("• {prefix}{}", slack_line(a)));
    }
    if alerts.len() > max_listed {
        let more = alerts.len() - max_listed;
        let hint = match (&source, common(alerts, |a| a.run_id).flatten()) {
            (Some(_), Some(run)) => format!(": `llmcost changes --run {run}`"),
            _ => String::new(),
        };
        lines.push(format!("… and {more} more{hint}"));
    }
    lines.join("\n")
}

fn slack_line(a: &Alert) -> String {
    match &a.event {
        AlertEvent::SyncFailed { error } => {
            format!(":rotating_light: *{} sync failed*: {}", escape(&a.source), escape(&clip(error, 400)))
        }
        AlertEvent::PriceChange { model_id, listing, price, unit, old, new, percent, .. } => {
            let icon = match percent {
                Some(p) if p.is_sign_negative() => ":chart_with_downwards_trend:",
                Some(_) => ":chart_with_upwards_trend:",
                None => ":warning:",
            };
            let per_token = unit.as_deref() == Some("token");
            let money = |v: &Option<String>| match v.as_deref() {
                None => "none".to_string(),
                Some(text) => match text.parse::<Decimal>() {
                    Ok(d) if per_token => format!("${}", per_million(d)),
                    Ok(d) => format!("${}", d.normalize()),
                    Err(_) => escape(text),
                },
            };
            let per = match unit.as_deref() {
                Some("token") => " per 1M tokens".to_string(),
                Some(u) => format!(" per {}", escape(u)),
                None => String::new(),
            };
            let pct = match percent {
                Some(p) if p.is_sign_negative() => format!(" ({p}%)"),
                Some(p) => format!(" (+{p}%)"),
                None => String::new(),
            };
            let who = listing.as_deref().unwrap_or(model_id);
            format!("{icon} `{}` {} {} → {}{per}{pct}", escape(who), escape(price), money(old), money(new))
        }
        AlertEvent::RemovedModel { model_id } => format!(":x: removed `{}`", escape(model_id)),
        AlertEvent::NewModel { model_id, name } => match name {
            Some(name) => format!(":new: `{}` {}", escape(model_id), escape(name)),
            None => format!(":new: `{}`", escape(model_id)),
        },
    }
}
