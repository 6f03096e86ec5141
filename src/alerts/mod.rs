//! Change alerts: webhooks told about price changes beyond the alert threshold, new and
//! removed models, and failed syncs.
//!
//! A sync's alerts are computed from its report ([`alerts_from_report`]) once it has
//! committed, and delivered by a [`Notifier`] to every configured [`WebhookTarget`] in its
//! [`WebhookFormat`] (generic JSON or Slack-compatible text), with retries. Delivery never
//! fails or blocks a sync: its outcome is a [`Delivery`] to log, not an error to propagate.

mod deliver;
mod format;

pub use deliver::{AlertError, Delivery, Notifier};
pub use format::{json_body, slack_body};

use crate::config::Secret;
use crate::domain::{ChangeEvent, ChangeKind, Component, RunStatus, UnixMs};
use crate::sync::SyncReport;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The `[alerts]` section of the settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Where alerts go (`[[alerts.webhooks]]`); none means no alerts.
    pub webhooks: Vec<WebhookTarget>,
    /// Timeout of one delivery attempt, in seconds.
    pub timeout_secs: u64,
    /// Retries after the first attempt, on connection errors, timeouts, 429 and 5xx.
    pub retries: usize,
    /// The first retry's delay in milliseconds; it doubles (with jitter) up to 30 s.
    pub backoff_ms: u64,
    /// Alerts listed one by one in a Slack message; the rest are counted.
    pub max_listed: usize,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { webhooks: Vec::new(), timeout_secs: 10, retries: 4, backoff_ms: 1000, max_listed: 20 }
    }
}

/// One webhook alerts are posted to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTarget {
    /// A name for output and `alerts test --target`.
    #[serde(default)]
    pub name: Option<String>,
    /// The URL posted to. A secret (Slack's embed their token): only its scheme and host are
    /// ever printed or logged, and it is never serialized.
    #[serde(skip_serializing)]
    pub url: Secret,
    /// The body's shape.
    #[serde(default)]
    pub format: WebhookFormat,
    /// The kinds of alerts this target receives (default: all; `[]` mutes it).
    #[serde(default = "AlertKind::all")]
    pub events: Vec<AlertKind>,
}

impl WebhookTarget {
    /// A target of every alert kind.
    pub fn new(url: Secret, format: WebhookFormat) -> Self {
        Self { name: None, url, format, events: AlertKind::all() }
    }

    /// The URL's scheme, host and port (`https://hooks.slack.com`): all of it that may be shown.
    pub fn origin(&self) -> String {
        match reqwest::Url::parse(self.url.expose()) {
            Ok(u) => {
                let host = u.host_str().unwrap_or("?");
                match u.port() {
                    Some(port) => format!("{}://{host}:{port}", u.scheme()),
                    None => format!("{}://{host}", u.scheme()),
                }
            }
            Err(_) => "(invalid URL)".into(),
        }
    }

    /// How the target is shown: `name (https://host)`, or the origin alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.origin()),
            None => self.origin(),
        }
    }

    /// Whether this target receives alerts of `kind`.
    pub fn wants(&self, kind: AlertKind) -> bool {
        self.events.contains(&kind)
    }

    /// The alerts of a batch this target receives, in order.
    pub fn select(&self, alerts: &[Alert]) -> Vec<Alert> {
        alerts.iter().filter(|a| self.wants(a.kind())).cloned().collect()
    }
}

/// The shape of a webhook's body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// `{"event": "llmcost.alerts", ..., "alerts": [...]}`: every field, money as decimal strings.
    #[default]
    Json,
    /// `{"text": "..."}` in Slack mrkdwn (Slack incoming webhooks, Mattermost, Discord's `/slack`).
    Slack,
}

/// The kinds of alerts, as named in `events` and in JSON bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A price changed beyond the alert threshold (a `price_changed` event flagged as an alert).
    #[serde(alias = "price_changed")]
    PriceChange,
    /// A model appeared (`model_added`).
    #[serde(alias = "model_added")]
    NewModel,
    /// A model was deactivated (`model_removed`).
    #[serde(alias = "model_removed")]
    RemovedModel,
    /// A sync failed and changed nothing.
    SyncFailed,
}

impl AlertKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [AlertKind; 4] =
        [AlertKind::SyncFailed, AlertKind::PriceChange, AlertKind::RemovedModel, AlertKind::NewModel];

    /// Every kind, as a list (the default of a target's `events`).
    pub fn all() -> Vec<AlertKind> {
        Self::ALL.to_vec()
    }

    /// The stable name used in settings and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PriceChange => "price_change",
            AlertKind::NewModel => "new_model",
            AlertKind::RemovedModel => "removed_model",
            AlertKind::SyncFailed => "sync_failed",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert: what happened, and in which sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// What happened (serialized flat: `kind` and its fields).
    #[serde(flatten)]
    pub event: AlertEvent,
    /// The source synced (`openrouter`, `litellm`, ...).
    pub source: String,
    /// The sync run, when one was recorded.
    pub run_id: Option<i64>,
    /// When it happened: the time the sync recorded its changes at, or the failure.
    pub at: jiff::Timestamp,
    /// A sample sent by `llmcost alerts test`, not a real change.
    pub test: bool,
}

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertEvent {
    /// A price changed beyond the alert threshold.
    PriceChange {
        /// The model.
        model_id: String,
        /// The listing (`openai/gpt-oss-20b:free`, `… @ deepinfra/fp8` for an endpoint).
        listing: Option<String>,
        /// Who bills it (`openrouter`, `openai`, ...).
        seller: Option<String>,
        /// The serving endpoint of an aggregator's offer (`deepinfra/fp8`).
        provider: Option<String>,
        /// The price's label: component, tier and condition (`input ≥128000`).
        price: String,
        /// The component (`input`, `output`, `cache_read`, ...).
        component: String,
        /// What one unit is (`token`, `image`, `request`, `search`), when known.
        unit: Option<String>,
        /// USD per unit before, as an exact decimal string, or `variable`; none when newly priced.
        old: Option<String>,
        /// USD per unit after, as an exact decimal string, or `variable`; none when no longer priced.
        new: Option<String>,
        /// Percent change, exact to 2 places, between two fixed non-zero prices.
        percent: Option<Decimal>,
    },
    /// A model appeared.
    NewModel {
        /// The model.
        model_id: String,
        /// Its display name.
        name: Option<String>,
    },
    /// A model was deactivated: no source offers it any more.
    RemovedModel {
        /// The model.
        model_id: String,
    },
    /// A sync failed; it changed nothing.
    SyncFailed {
        /// Why.
        error: String,
    },
}

fn timestamp(ms: UnixMs) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

impl Alert {
    /// The alert for a failed sync of `source`.
    pub fn sync_failed(source: &str, error: &str) -> Self {
        Self {
            event: AlertEvent::SyncFailed { error: error.to_string() },
            source: source.to_string(),
            run_id: None,
            at: jiff::Timestamp::now(),
            test: false,
        }
    }

    /// The alert for one change event of a sync, when the event is one.
    pub fn from_event(e: &ChangeEvent, source: &str, run_id: Option<i64>, at: UnixMs) -> Option<Self> {
        let event = match e.kind {
            ChangeKind::PriceChanged if e.is_alert => {
                let price = e.price_key.clone().unwrap_or_default();
                let component = price.split_whitespace().next().unwrap_or_default().to_string();
                let unit = Component::from_str(&component).ok().map(|c| c.unit().as_str().to_string());
                let (seller, provider) = offer_parts(e.offer_key.as_deref());
                AlertEvent::PriceChange {
                    model_id: e.model_id.clone(),
                    listing: e.subject.clone(),
                    seller,
                    provider,
                    price,
                    component,
                    unit,
                    old: e.old_value.clone(),
                    new: e.new_value.clone(),
                    percent: e.percent,
                }
            }
            ChangeKind::ModelAdded => AlertEvent::NewModel { model_id: e.model_id.clone(), name: e.new_value.clone() },
            ChangeKind::ModelRemoved => AlertEvent::RemovedModel { model_id: e.model_id.clone() },
            _ => return None,
        };
        Some(Self { event, source: source.to_string(), run_id, at: timestamp(at), test: false })
    }

    /// The kind of this alert.
    pub fn kind(&self) -> AlertKind {
        match self.event {
            AlertEvent::PriceChange { .. } => AlertKind::PriceChange,
            AlertEvent::NewModel { .. } => AlertKind::NewModel,
            AlertEvent::RemovedModel { .. } => AlertKind::RemovedModel,
            AlertEvent::SyncFailed { .. } => AlertKind::SyncFailed,
        }
    }

    /// One alert of each kind, marked as a test, for `llmcost alerts test`.
    pub fn samples() -> Vec<Alert> {
        let at = jiff::Timestamp::now();
        let alert = |event| Alert { event, source: "openrouter".into(), run_id: None, at, test: true };
        vec![
            alert(AlertEvent::SyncFailed {
                error: "sample failure: https://openrouter.ai/api/v1/models answered HTTP 503 after 4 attempt(s)"
                    .into(),
            }),
            alert(AlertEvent::PriceChange {
                model_id: "example/test-model".into(),
                listing: Some("example/test-model".into()),
                seller: Some("openrouter".into()),
                provider: None,
                price: "input".into(),
                component: "input".into(),
                unit: Some("token".into()),
                old: Some("0.000001".into()),
                new: Some("0.0000015".into()),
                percent: Some(Decimal::from(50)),
            }),
            alert(AlertEvent::RemovedModel { model_id: "example/retired-model".into() }),
            alert(AlertEvent::NewModel {
                model_id: "example/new-model".into(),
                name: Some("Example: New Model (test)".into()),
            }),
        ]
    }
}

/// Seller and serving endpoint from an offer key (`source|seller|listing|served_by`).
fn offer_parts(key: Option<&str>) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = key.map(|k| k.split('|').collect()).unwrap_or_default();
    if parts.len() < 4 {
        return (None, None);
    }
    let part = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (part(parts[1]), part(parts[parts.len() - 1]))
}

/// The alerts of a sync: price changes beyond the threshold, new and removed models, in
/// that order (so truncated messages keep the most important). Only an applied sync has
/// any: dry runs, unchanged upstreams and skipped syncs changed nothing.
pub fn alerts_from_report(report: &SyncReport) -> Vec<Alert> {
    if report.status != RunStatus::Succeeded {
        return Vec::new();
    }
    let mut alerts: Vec<Alert> =
        report.events.iter().filter_map(|e| Alert::from_event(e, &report.source, report.run_id, report.at)).collect();
    alerts.sort_by_key(|a| AlertKind::ALL.iter().position(|k| *k == a.kind()));
    alerts
}

/// Whether a failed sync deserves an alert: contention for the sync lease is not a failure
/// (replicas running the same cron job meet it routinely, and no run was recorded).
pub fn is_alert_failure(err: &crate::sync::SyncError) -> bool {
    !matches!(err, crate::sync::SyncError::Locked { .. })
}

#[cfg(test)]
mod tests;
