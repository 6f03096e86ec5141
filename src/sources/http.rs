//! HTTP fetching shared by all sources: timeouts, retries with backoff and jitter that
//! honour `Retry-After`, and conditional requests.

use crate::config::Secret;
use backon::BackoffBuilder;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use std::time::Duration;

/// How hard to try before giving up on a request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// First backoff delay.
    pub min_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the request at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Validators from an earlier fetch, sent so an unchanged upstream answers 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the upstream sent.
    pub etag: Option<String>,
    /// The `Last-Modified` the upstream sent.
    pub last_modified: Option<String>,
}

/// The outcome of a successful fetch.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the upstream has not changed since the validators were issued.
    NotModified,
    /// A fresh body with its validators.
    Body {
        /// The response body.
        bytes: Bytes,
        /// Validators to send next time.
        validators: Validators,
    },
}

/// Why a fetch failed after all retries.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No connection could be made (DNS, refused, no route): the network is unreachable.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The upstream answered with an error status (after retries, for 429 and 5xx).
    #[error("{url} answered HTTP {status} after {attempts} attempt(s){detail}")]
    Status {
        /// The URL requested.
        url: String,
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: usize,
        /// A short excerpt of the body, or the Retry-After that was too long.
        detail: String,
    },
    /// The request timed out or broke off on every attempt.
    #[error("{url}: {reason} after {attempts} attempt(s)")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
        /// Attempts made.
        attempts: usize,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// Whether the failure means the network itself is unreachable.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, FetchError::Unreachable { .. })
    }
}

/// An HTTP client for upstream APIs.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    api_key: Option<Secret>,
}

impl HttpClient {
    /// Build a client with a whole-request timeout and a retry policy; `headers` are sent
    /// with every request (app identification), `api_key` as a bearer token.
    pub fn new(
        timeout: Duration,
        policy: RetryPolicy,
        headers: HeaderMap,
        api_key: Option<Secret>,
    ) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("llmcost/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self { client, policy, api_key })
    }

    /// GET `url`, retrying 429, 5xx and timeouts; with `validators`, a 304 is [`Fetched::NotModified`].
    pub async fn get(&self, url: &str, validators: Option<&Validators>) -> Result<Fetched, FetchError> {
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(self.policy.min_delay)
            .with_max_delay(self.policy.max_delay)
            .with_max_times(self.policy.max_retries)
            .with_jitter()
            .build();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.attempt(url, validators).await;
            let wait = match outcome {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fatal(err) => return Err(err.with_attempts(attempts)),
                Attempt::Retry { error, retry_after } => {
                    let Some(backoff) = delays.next() else {
                        return Err(error.with_attempts(attempts));
                    };
                    match retry_after {
                        Some(ra) if ra > self.policy.max_retry_after => {
                            return Err(error.with_attempts(attempts).with_detail(format!(
                                " (Retry-After {}s is longer than the {}s we wait)",
                                ra.as_secs(),
                                self.policy.max_retry_after.as_secs()
                            )));
                        }
                        Some(ra) => ra,
                        None => backoff,
                    }
                }
            };
            tracing::warn!(url, attempt = attempts, wait_ms = wait.as_millis() as u64, "retrying upstream request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, url: &str, validators: Option<&Validators>) -> Attempt {
        let mut req = self.client.get(url);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose());
        }
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(url, &e),
        };
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Attempt::Done(Fetched::NotModified);
        }
        if status.is_success() {
            let validators = Validators {
                etag: header_text(resp.headers().get(ETAG)),
                last_modified: header_text(resp.headers().get(LAST_MODIFIED)),
            };
            return match resp.bytes().await {
                Ok(bytes) => Attempt::Done(Fetched::Body { bytes, validators }),
                Err(e) => transport_failure(url, &e),
            };
        }
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let body = resp.text().await.unwrap_or_default();
        let error = FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            attempts: 1,
            detail: body_excerpt(&body),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Attempt::Retry { error, retry_after }
        } else {
            Attempt::Fatal(error)
        }
    }
}

enum Attempt {
    Done(Fetched),
    Retry { error: FetchError, retry_after: Option<Duration> },
    Fatal(FetchError),
}

impl FetchError {
    fn with_attempts(mut self, n: usize) -> Self {
        match &mut self {
            FetchError::Status { attempts, .. } | FetchError::Transport { attempts, .. } => *attempts = n,
            FetchError::Unreachable { .. } | FetchError::Client(_) => {}
        }
        self
    }

    fn with_detail(mut self, extra: String) -> Self {
        if let FetchError::Status { detail, .. } = &mut self {
            *detail = extra;
        }
        self
    }
}

fn transport_failure(url: &str, e: &reqwest::Error) -> Attempt {
    // Connection failures are not retried: the network is down, and the caller may fall
    // back to the bundled snapshot at once. Timeouts and broken bodies are transient.
    if e.is_connect() {
        return Attempt::Fatal(FetchError::Unreachable { url: url.to_string(), reason: error_chain(e) });
    }
    let reason = if e.is_timeout() { "timed out".to_string() } else { error_chain(e) };
    Attempt::Retry { error: FetchError::Transport { url: url.to_string(), reason, attempts: 1 }, retry_after: None }
}

/// An error with all its causes, `: `-separated.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn header_text(v: Option<&HeaderValue>) -> Option<String> {
    v.and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// `Retry-After` is either delta-seconds or an HTTP date (shared with webhook delivery).
pub(crate) fn parse_retry_after(v: &HeaderValue) -> Option<Duration> {
    let text = v.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(text).ok()?.timestamp();
    let ms = when.as_millisecond().saturating_sub(jiff::Timestamp::now().as_millisecond()).max(0);
    Some(Duration::from_millis(ms.unsigned_abs()))
}

/// `: ` and the first 200 characters of a response body, or nothing for an empty one.
pub(crate) fn body_excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    let excerpt: String = trimmed.chars().take(200).collect();
    format!(": {excerpt}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after(&HeaderValue::from_static("3")), Some(Duration::from_secs(3)));
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }
}
