//! The proxy's routes: its own (`/healthz`, `/metrics`, budgets) and everything else
//! forwarded upstream.

use super::connection::SendError;
use super::tap::{Finding, Pending, Scanner, Tap, snapshot};
use super::{ProxyState, Upstream};
use crate::server::ApiError;
use crate::track::{Endpoint, ResponseFacts, UsageTags};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The proxy's router.
pub(super) fn router(state: ProxyState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/usage/budgets", get(budgets))
        .fallback(forward)
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn metrics(State(state): State<ProxyState>) -> impl IntoResponse {
    let stats = state.writer.stats();
    metrics::gauge!("llmcost_proxy_records_written").set(stats.written.load(Ordering::Relaxed) as f64);
    metrics::gauge!("llmcost_proxy_records_dropped").set(stats.dropped.load(Ordering::Relaxed) as f64);
    metrics::gauge!("llmcost_proxy_records_queued").set(state.writer.queued() as f64);
    metrics::gauge!("llmcost_proxy_records_queued_peak").set(stats.peak_queued.load(Ordering::Relaxed) as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render_local())
}

async fn budgets(State(state): State<ProxyState>) -> impl IntoResponse {
    let now = jiff::Timestamp::now().as_millisecond();
    axum::Json(serde_json::json!({"budgets": state.budgets.status(now)}))
}

/// The fields of a request body the proxy reads.
#[derive(Deserialize)]
struct RequestBody<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    stream: Option<serde_json::Value>,
    #[serde(borrow, default, deserialize_with = "present")]
    stream_options: Option<&'a RawValue>,
}

/// A field that is present, even as `null` (plain `Option` reads `null` as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// What the proxy needs to know about a request body.
#[derive(Debug, Default)]
struct RequestFacts {
    model: Option<String>,
    stream: bool,
    /// Whether the body sets `stream_options.include_usage` (either way).
    sets_include_usage: bool,
    has_stream_options: bool,
}

impl RequestFacts {
    fn of(body: &[u8]) -> RequestFacts {
        match serde_json::from_slice::<RequestBody<'_>>(body) {
            Ok(b) => RequestFacts {
                model: b.model.map(Cow::into_owned),
                stream: b.stream.is_some_and(|s| s == serde_json::Value::Bool(true)),
                sets_include_usage: b.stream_options.is_some_and(|o| o.get().contains("\"include_usage\"")),
                has_stream_options: b.stream_options.is_some(),
            },
            Err(_) => RequestFacts::default(),
        }
    }
}

/// The body with `stream_options.include_usage = true` added.
fn with_stream_usage(body: &Bytes, facts: &RequestFacts) -> Bytes {
    if !facts.has_stream_options {
        // Splice after the opening brace: the rest of the body stays byte for byte.
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        if let Some(i) = start.filter(|i| body[*i] == b'{') {
            let rest = &body[i + 1..];
            let empty = rest.iter().all(|b| b.is_ascii_whitespace() || *b == b'}');
            let mut out = Vec::with_capacity(body.len() + 48);
            out.extend_from_slice(&body[..=i]);
            out.extend_from_slice(b"\"stream_options\":{\"include_usage\":true}");
            if !empty {
                out.push(b',');
            }
            out.extend_from_slice(rest);
            return Bytes::from(out);
        }
        return body.clone();
    }
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(mut map) => {
            match map.get_mut("stream_options") {
                Some(serde_json::Value::Object(o)) => {
                    o.insert("include_usage".into(), serde_json::Value::Bool(true));
                }
                _ => {
                    map.insert("stream_options".into(), serde_json::json!({"include_usage": true}));
                }
            }
            serde_json::to_vec(&map).map(Bytes::from).unwrap_or_else(|_| body.clone())
        }
        Err(_) => body.clone(),
    }
}

/// Headers that belong to one hop and are never forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "upgrade" | "te" | "trailer"
    )
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The request's tags: its `x-llmcost-*` headers and its API key's hash.
fn tags_of(headers: &HeaderMap) -> UsageTags {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .filter(|k| !k.is_empty());
    UsageTags {
        tag: header_text(headers, "x-llmcost-tag"),
        app: header_text(headers, "x-llmcost-app"),
        user: header_text(headers, "x-llmcost-user"),
        key_hash: key.map(UsageTags::hash_key),
    }
}

/// The headers sent upstream (`host` names the upstream).
fn upstream_headers(client: &HeaderMap, api_key: Option<&crate::config::Secret>, host: &HeaderValue) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(client.len() + 3);
    out.insert(header::HOST, host.clone());
    for (name, value) in client {
        let n = name.as_str();
        if hop_by_hop(name)
            || n == "host"
            || n == "content-length"
            || n == "accept-encoding"
            || n.starts_with("x-llmcost-")
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    // The usage must be readable: no compression between the upstream and the proxy.
    out.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    if !out.contains_key(header::AUTHORIZATION) && !out.contains_key("x-api-key") {
        if let Some(key) = api_key {
            if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", key.expose())) {
                v.set_sensitive(true);
                out.insert(header::AUTHORIZATION, v);
            }
        }
    }
    out
}

/// The upstream request target (origin form) of a request: `/v1/x` → `<base path>/x`,
/// `/x` → `<base path>/x`, query kept.
fn target(upstream: &Upstream, uri: &axum::http::Uri) -> Result<axum::http::Uri, axum::http::Error> {
    let path = uri.path();
    let rest = path.strip_prefix("/v1").filter(|r| r.is_empty() || r.starts_with('/')).unwrap_or(path);
    let query = uri.query();
    let mut joined =
        String::with_capacity(upstream.base_path.len() + rest.len() + query.map_or(0, |q| q.len() + 1) + 1);
    joined.push_str(&upstream.base_path);
    joined.push_str(rest);
    if joined.is_empty() {
        joined.push('/');
    }
    if let Some(q) = query {
        joined.push('?');
        joined.push_str(q);
    }
    Ok(axum::http::Uri::try_from(joined)?)
}

fn error(status: StatusCode, code: &'static str, message: String) -> Response {
    ApiError { status, code, message }.into_response()
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let started = Instant::now();
    let at = jiff::Timestamp::now().as_millisecond();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, state.max_body).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("request body larger than {} bytes", state.max_body),
            );
        }
    };
    let endpoint =
        if parts.method == axum::http::Method::POST { Endpoint::of_path(parts.uri.path()) } else { Endpoint::Other };
    let tracked = endpoint != Endpoint::Other;
    let facts = if tracked { RequestFacts::of(&body) } else { RequestFacts::default() };
    let tags = if tracked { tags_of(&parts.headers) } else { UsageTags::default() };
    if tracked {
        if let Err(e) = state.budgets.check(&tags, at) {
            metrics::counter!("llmcost_proxy_budget_refusals_total", "budget" => e.selector.clone()).increment(1);
            return error(StatusCode::TOO_MANY_REQUESTS, "budget_exceeded", e.to_string());
        }
    }
    let upstream = state.upstream_for(facts.model.as_deref()).clone();
    let body = if tracked
        && endpoint == Endpoint::ChatCompletions
        && facts.stream
        && !facts.sets_include_usage
        && state.inject_stream_usage
    {
        with_stream_usage(&body, &facts)
    } else {
        body
    };
    let uri = match target(&upstream, &parts.uri) {
        Ok(uri) => uri,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", format!("request path: {e}")),
    };
    let mut outgoing = hyper::Request::new(http_body_util::Full::new(body));
    *outgoing.method_mut() = parts.method.clone();
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = upstream_headers(&parts.headers, state.api_key.as_deref(), &upstream.authority);
    let sent = upstream.connections.send(outgoing, state.upstream_timeout).await;
    // A budget covering the request needs its price before the next request is checked.
    let settle_first = tracked && state.budgets.covers(&tags);
    let pending = |state: ProxyState, status: u16, streamed: bool, snapshot| Pending {
        state,
        upstream: upstream.clone(),
        at,
        started,
        endpoint,
        model_requested: facts.model,
        tags,
        status,
        streamed,
        snapshot,
        settle_first,
    };
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let (status, code) = match e {
                SendError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"),
                _ => (StatusCode::BAD_GATEWAY, "upstream_unreachable"),
            };
            let message = format!("cannot reach the upstream {}: {e}", upstream.name);
            tracing::warn!(upstream = %upstream.name, error = %message, "upstream request failed");
            if tracked {
                let snapshot = if settle_first { snapshot(&state).await } else { None };
                let failed = ResponseFacts { usage_error: Some(message.clone()), ..Default::default() };
                pending(state, status.as_u16(), facts.stream, snapshot).settle(Finding::Facts(Box::new(failed)));
            }
            return error(status, code, message);
        }
    };
    let (mut head, upstream_body) = response.into_parts();
    head.headers.retain_hop_by_hop();
    if !tracked {
        return Response::from_parts(head, Body::new(upstream_body));
    }
    let event_stream = head
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
    let content_length = head.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    let snapshot = if settle_first { snapshot(&state).await } else { None };
    let pending = pending(state, head.status.as_u16(), event_stream, snapshot);
    let tap = Tap::new(upstream_body, Scanner::new(event_stream, content_length), pending);
    Response::from_parts(head, Body::new(tap))
}

/// Dropping the hop-by-hop headers of a response.
trait RetainHopByHop {
    fn retain_hop_by_hop(&mut self);
}

impl RetainHopByHop for HeaderMap {
    fn retain_hop_by_hop(&mut self) {
        let names: Vec<HeaderName> = self.keys().filter(|n| hop_by_hop(n)).cloned().collect();
        for n in names {
            self.remove(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_usage_is_spliced_in_and_the_rest_kept() {
        let body = Bytes::from_static(br#"{"model":"m","stream":true,"messages":[]}"#);
        let facts = RequestFacts::of(&body);
        assert!(facts.stream && !facts.sets_include_usage);
        let out = with_stream_usage(&body, &facts);
        assert_eq!(&out[..], br#"{"stream_options":{"include_usage":true},"model":"m","stream":true,"messages":[]}"#);
        let with_options = Bytes::from_static(br#"{"stream":true,"stream_options":{"x":1}}"#);
        let out = with_stream_usage(&with_options, &RequestFacts::of(&with_options));
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["stream_options"], serde_json::json!({"x": 1, "include_usage": true}));
        let null_options = Bytes::from_static(br#"{"stream":true,"stream_options":null}"#);
        let out = with_stream_usage(&null_options, &RequestFacts::of(&null_options));
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["stream_options"], serde_json::json!({"include_usage": true}));
    }

    #[test]
    fn paths_map_under_the_upstream_base() {
        let target_of = |up: &Upstream, path: &str| {
            let uri: axum::http::Uri = path.parse().expect("uri");
            target(up, &uri).expect("target").to_string()
        };
        for base in ["http://h/api/v1", "http://h/api/v1/"] {
            let up = super::super::upstream_for_test(base);
            assert_eq!(up.authority, "h");
            assert_eq!(target_of(&up, "/v1/chat/completions?x=1"), "/api/v1/chat/completions?x=1");
            assert_eq!(target_of(&up, "/v1beta/models"), "/api/v1/v1beta/models");
            assert_eq!(target_of(&up, "/v1"), "/api/v1");
        }
        let root = super::super::upstream_for_test("http://h:8080");
        assert_eq!(root.authority, "h:8080");
        assert_eq!(target_of(&root, "/v1/embeddings"), "/embeddings");
        assert_eq!(target_of(&root, "/v1"), "/");
        assert_eq!(target_of(&root, "/v1?a=b"), "/?a=b");
        let tls = super::super::upstream_for_test("https://openrouter.ai:443/api/v1");
        assert_eq!(tls.authority, "openrouter.ai");
        let v6 = super::super::upstream_for_test("http://[::1]:9000/v1");
        assert_eq!(v6.authority, "[::1]:9000");
        let mut dialer =
            super::super::Dialer { connect_timeout: std::time::Duration::from_secs(1), tls: None, upstream_ca: None };
        let refused = super::super::upstream("", "https://user:sk-secret@h/v1", None, &mut dialer).err();
        let message = refused.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("credentials") && !message.contains("sk-secret"), "{message}");
    }

    #[test]
    fn tags_hash_the_key_and_strip_nothing_secret() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer sk-test"));
        h.insert("x-llmcost-app", HeaderValue::from_static("search"));
        let tags = tags_of(&h);
        assert_eq!(tags.app.as_deref(), Some("search"));
        assert_eq!(tags.key_hash.as_deref().map(str::len), Some(16));
        let up = upstream_headers(&h, None, &HeaderValue::from_static("up.example:8080"));
        assert_eq!(up.get(header::HOST).and_then(|v| v.to_str().ok()), Some("up.example:8080"));
        assert!(up.get("x-llmcost-app").is_none());
        assert_eq!(up.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()), Some("Bearer sk-test"));
    }
}
