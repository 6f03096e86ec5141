//! Delivery: one POST per target and batch, retried with exponential backoff and jitter on
//! connection errors, timeouts, 429 (honouring a short `Retry-After`) and 5xx, within a time
//! budget. Failures are logged and returned, never raised: alerts must not fail a sync.

use super::format::{json_body, slack_body};
use super::{Alert, AlertSettings, WebhookFormat, WebhookTarget};
use crate::sources::http::{body_excerpt, error_chain, parse_retry_after};
use backon::BackoffBuilder;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured; a receiver asking for more is given up on.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why a [`Notifier`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A target's URL is not an absolute http(s) URL (the URL itself is not shown: it is a secret).
    #[error("webhook {target}: the url is not an http:// or https:// URL")]
    InvalidUrl {
        /// The target's name, or its position in the list.
        target: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for webhooks: {0}")]
    Client(String),
}

/// What became of one batch at one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// The target as it may be shown: `name (https://host)`, never the full URL.
    pub target: String,
    /// The target's configured name.
    pub name: Option<String>,
    /// Whether the receiver accepted the batch (a 2xx answer).
    pub delivered: bool,
    /// Alerts in the batch (after the target's `events` filter).
    pub alerts: usize,
    /// Attempts made.
    pub attempts: usize,
    /// The last HTTP status received, if any.
    pub status: Option<u16>,
    /// Why it was not delivered.
    pub error: Option<String>,
    /// Time spent, retries included.
    pub elapsed_ms: u64,
}

/// Posts alerts to the configured webhooks. Cheap to clone (shared client and targets).
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    targets: Vec<WebhookTarget>,
    timeout: Duration,
    retries: usize,
    backoff: Duration,
    max_listed: usize,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<String> = self.inner.targets.iter().map(WebhookTarget::label).collect();
        f.debug_struct("Notifier").field("targets", &labels).finish_non_exhaustive()
    }
}

/// The outcome of one attempt.
enum Attempt {
    Delivered(u16),
    Retry { status: Option<u16>, reason: String, retry_after: Option<Duration> },
    Fatal { status: Option<u16>, reason: String },
}

impl Notifier {
    /// A notifier for the configured targets; fails on a target whose URL is not http(s).
    pub fn new(settings: &AlertSettings) -> Result<Self, AlertError> {
        for (i, t) in settings.webhooks.iter().enumerate() {
            let ok = reqwest::Url::parse(t.url.expose())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if !ok {
                let target = t.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
                return Err(AlertError::InvalidUrl { target });
            }
        }
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("llmcost/", env!("CARGO_PKG_VERSION")))
            // A redirected POST would become a GET, or carry the batch somewhere unconfigured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AlertError::Client(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                targets: settings.webhooks.clone(),
                timeout,
                retries: settings.retries,
                backoff: Duration::from_millis(settings.backoff_ms),
                max_listed: settings.max_listed,
            }),
        })
    }

    /// The targets alerts go to.
    pub fn targets(&self) -> &[WebhookTarget] {
        &self.inner.targets
    }

    /// The longest one delivery takes, retries included: `timeout × (retries + 1)`.
    pub fn budget(&self) -> Duration {
        let attempts = u32::try_from(self.inner.retries.saturating_add(1)).unwrap_or(u32::MAX);
        self.inner.timeout.saturating_mul(attempts)
    }

    /// Deliver a batch to every target that wants some of it, all targets at once, and wait
    /// for the outcomes (within [`Notifier::budget`]). No targets or no alerts: no requests.
    pub async fn deliver(&self, alerts: &[Alert]) -> Vec<Delivery> {
        if alerts.is_empty() {
            return Vec::new();
        }
        let sends = self.inner.targets.iter().filter_map(|target| {
            let batch = target.select(alerts);
            (!batch.is_empty()).then(|| self.deliver_to(target, batch))
        });
        futures::future::join_all(sends).await
    }

    /// Deliver a batch in the background: the caller goes on at once and may await the
    /// handle for the outcomes (a process about to exit should).
    pub fn dispatch(&self, alerts: Vec<Alert>) -> tokio::task::JoinHandle<Vec<Delivery>> {
        let this = self.clone();
        tokio::spawn(async move { this.deliver(&alerts).await })
    }

    async fn deliver_to(&self, target: &WebhookTarget, batch: Vec<Alert>) -> Delivery {
        let started = Instant::now();
        let label = target.label();
        let body = match target.format {
            WebhookFormat::Json => json_body(&batch),
            WebhookFormat::Slack => slack_body(&batch, self.inner.max_listed),
        };
        let mut delivery = Delivery {
            target: label.clone(),
            name: target.name.clone(),
            delivered: false,
            alerts: batch.len(),
            attempts: 0,
            status: None,
            error: None,
            elapsed_ms: 0,
        };
        let body = match serde_json::to_vec(&body) {
            Ok(b) => bytes::Bytes::from(b),
            Err(e) => {
                delivery.error = Some(format!("cannot encode the body: {e}"));
                return delivery;
            }
        };
        let deadline = started + self.budget();
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(self.inner.backoff)
            .with_max_delay(MAX_BACKOFF.max(self.inner.backoff))
            .with_max_times(self.inner.retries)
            .with_jitter()
            .build();
        let error = loop {
            delivery.attempts += 1;
            let attempt = delivery.attempts;
            let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            let outcome = self.attempt(target, body.clone(), self.inner.timeout.min(remaining)).await;
            let (status, reason, retry_after) = match outcome {
                Attempt::Delivered(status) => {
                    delivery.status = Some(status);
                    delivery.delivered = true;
                    tracing::info!(target = label, attempt, status, alerts = batch.len(), "alerts delivered");
                    break None;
                }
                Attempt::Fatal { status, reason } => {
                    delivery.status = status;
                    tracing::warn!(target = label, attempt, status, "alert delivery failed, not retried: {reason}");
                    break Some(reason);
                }
                Attempt::Retry { status, reason, retry_after } => (status, reason, retry_after),
            };
            delivery.status = status;
            let Some(backoff) = delays.next() else {
                tracing::warn!(target = label, attempt, status, "alert delivery failed, giving up: {reason}");
                break Some(reason);
            };
            let wait = match retry_after {
                Some(ra) if ra > MAX_RETRY_AFTER => {
                    let reason = format!("{reason} (Retry-After {} s is longer than we wait)", ra.as_secs());
                    tracing::warn!(target = label, attempt, status, "alert delivery failed, giving up: {reason}");
                    break Some(reason);
                }
                Some(ra) => ra,
                None => backoff,
            };
            if Instant::now() + wait >= deadline {
                let reason = format!("{reason} (out of time: deliveries give up after {} s)", self.budget().as_secs());
                tracing::warn!(target = label, attempt, status, "alert delivery failed, giving up: {reason}");
                break Some(reason);
            }
            tracing::warn!(
                target = label,
                attempt,
                status,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "alert delivery failed, retrying: {reason}"
            );
            tokio::time::sleep(wait).await;
        };
        delivery.error = error;
        delivery.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        delivery
    }

    async fn attempt(&self, target: &WebhookTarget, body: bytes::Bytes, timeout: Duration) -> Attempt {
        let sent = self
            .inner
            .client
            .post(target.url.expose())
            .timeout(timeout)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                let fatal = e.is_builder();
                let reason = if e.is_timeout() {
                    format!("timed out after {} s", timeout.as_secs_f32())
                } else {
                    redact(target, &error_chain(&e.without_url()))
                };
                // Connection errors, timeouts and broken-off requests are transient; only
                // a request that could not even be built is not.
                return if fatal {
                    Attempt::Fatal { status: None, reason }
                } else {
                    Attempt::Retry { status: None, reason, retry_after: None }
                };
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Attempt::Delivered(status.as_u16());
        }
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let text = resp.text().await.unwrap_or_default();
        let reason = format!("HTTP {}{}", status.as_u16(), redact(target, &body_excerpt(&text)));
        let code = Some(status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Attempt::Retry { status: code, reason, retry_after }
        } else {
            Attempt::Fatal { status: code, reason }
        }
    }
}

/// A message with the target's URL, and its path (where tokens live), masked.
fn redact(target: &WebhookTarget, message: &str) -> String {
    let url = target.url.expose();
    let mut out = message.replace(url, "***");
    if let Ok(parsed) = reqwest::Url::parse(url) {
        let path = parsed.path();
        if path.len() > 1 {
            out = out.replace(path, "/***");
        }
        if let Some(query) = parsed.query().filter(|q| !q.is_empty()) {
            out = out.replace(query, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn target(url: &str) -> WebhookTarget {
        WebhookTarget::new(Secret::new(url.into()).expect("url"), WebhookFormat::Slack)
    }

    #[test]
    fn redaction_masks_the_url_and_its_path() {
        let t = target("https://hooks.slack.com/services/T000/B000/XXXX?token=abc");
        let msg =
            "error for https://hooks.slack.com/services/T000/B000/XXXX?token=abc; /services/T000/B000/XXXX token=abc";
        let out = redact(&t, msg);
        assert!(!out.contains("XXXX") && !out.contains("abc"), "{out}");
        assert_eq!(t.label(), "https://hooks.slack.com");
    }

    #[test]
    fn invalid_urls_are_refused_without_showing_them() {
        let mut settings = AlertSettings::default();
        settings.webhooks.push(WebhookTarget { name: Some("ops".into()), ..target("ftp://example.com/secret") });
        let err = Notifier::new(&settings).expect_err("ftp is refused").to_string();
        assert!(err.contains("ops") && !err.contains("secret"), "{err}");
    }

    #[tokio::test]
    async fn nothing_to_send_sends_nothing() {
        let notifier = Notifier::new(&AlertSettings::default()).expect("notifier");
        assert!(notifier.deliver(&Alert::samples()).await.is_empty(), "no targets");
        let mut settings = AlertSettings::default();
        settings.webhooks.push(target("http://127.0.0.1:9/hook"));
        let notifier = Notifier::new(&settings).expect("notifier");
        assert!(notifier.deliver(&[]).await.is_empty(), "no alerts");
    }
}
