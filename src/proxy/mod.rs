//! `llmcost proxy`: a transparent OpenAI-compatible proxy that records what every request
//! used and cost.
//!
//! - **Forwarding.** `/v1/<rest>` goes to `<upstream>/<rest>` (the upstream URL includes its
//!   API prefix, e.g. `https://openrouter.ai/api/v1`); other paths are appended unchanged.
//!   The upstream is picked by the longest `--route PREFIX=URL` matching the request's model,
//!   else `--upstream`. Method, query, headers (minus hop-by-hop ones and the proxy's own
//!   `x-llmcost-*` tags) and body go through; the client's `Authorization` is forwarded, and
//!   the proxy's own key (`--api-key-env`) is sent only when the client sent none.
//! - **Bytes.** The response's status, headers and body reach the client exactly as the
//!   upstream sent them, chunk by chunk as they arrive (SSE included): the proxy keeps a copy
//!   only to read the usage. It asks the upstream for an uncompressed body
//!   (`accept-encoding: identity`) so it can read that usage.
//! - **Usage in streams.** A streaming chat request whose body does not mention
//!   `stream_options.include_usage` gets `"stream_options":{"include_usage":true}` added, so
//!   the upstream reports usage in its last event. The client then receives that event too
//!   (the bytes it gets are still exactly the bytes the upstream sent; OpenRouter sends usage
//!   in streams regardless).
//! - **Recording.** One usage record per chat, responses or embeddings call (any status),
//!   priced when the usage arrives: the provider's `usage.cost` when present, else the
//!   engine's price from the current catalog. Reading, pricing and recording run in a task of
//!   their own once the last chunk is on its way to the client, so they add nothing to its
//!   wait; a request that a budget covers is priced before its last chunk is handed on, so the
//!   next request is checked against a spend that includes it. Records go through the batched
//!   writer.
//! - **Budgets.** A request whose tags (`x-llmcost-tag`, `x-llmcost-app`, `x-llmcost-user`,
//!   the API key's hash) fall under a spent budget is answered `429` before going upstream.
//! - **Own routes.** `/healthz`, `/metrics` and `/api/v1/usage/budgets`.

mod connection;
mod forward;
mod tap;

use crate::config::Secret;
use crate::server::{CatalogCache, Metrics};
use crate::store::Store;
use crate::track::{Budgets, UsageWriter, WriterTask};
use axum::Router;
use axum::serve::ListenerExt;
use connection::{Connections, Origin};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One upstream for the models whose id starts with a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Model id prefix (`anthropic/`, `gpt-`).
    pub prefix: String,
    /// The upstream's API base URL.
    pub url: String,
    /// The provider that bills through it, for pricing (`openai`); guessed from the host when absent.
    #[serde(default)]
    pub provider: Option<String>,
}

impl std::str::FromStr for Route {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (prefix, url) = raw.split_once('=').ok_or_else(|| format!("--route {raw:?}: expected PREFIX=URL"))?;
        reqwest::Url::parse(url).map_err(|e| format!("--route {raw:?}: {e}"))?;
        Ok(Route { prefix: prefix.to_string(), url: url.to_string(), provider: None })
    }
}

/// The `[proxy]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySettings {
    /// Address to listen on.
    pub bind: String,
    /// The default upstream's API base URL.
    pub upstream: String,
    /// The default upstream's provider, for pricing; guessed from the host when absent.
    pub provider: Option<String>,
    /// Upstreams per model prefix (`[[proxy.routes]]`).
    pub routes: Vec<Route>,
    /// The environment variable holding the proxy's own API key, sent when a client sends none.
    pub api_key_env: Option<String>,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Longest wait for an upstream's response head, and between two reads of its body, in seconds.
    pub upstream_timeout_secs: u64,
    /// A PEM file of root certificates trusted for `https` upstreams besides the system's
    /// (an internal gateway with a private CA).
    pub upstream_ca: Option<std::path::PathBuf>,
    /// Ask upstreams for usage in streamed chat responses.
    pub inject_stream_usage: bool,
    /// Records the writer's channel holds.
    pub writer_capacity: usize,
    /// Most records per transaction.
    pub writer_batch: usize,
    /// How long shutdown waits for requests in flight and the writer, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:4000".into(),
            upstream: "https://openrouter.ai/api/v1".into(),
            provider: None,
            routes: Vec::new(),
            api_key_env: None,
            max_body_bytes: 32 * 1024 * 1024,
            upstream_timeout_secs: 600,
            upstream_ca: None,
            inject_stream_usage: true,
            writer_capacity: crate::track::writer::DEFAULT_CAPACITY,
            writer_batch: crate::track::writer::DEFAULT_BATCH,
            shutdown_grace_secs: 30,
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The settings are invalid.
    #[error("invalid proxy settings: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("proxy error: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be read (budget seeding).
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// An upstream, resolved.
pub(crate) struct Upstream {
    prefix: String,
    /// The base URL's path, without a trailing slash (`/api/v1`, or empty).
    base_path: String,
    /// The `host` header sent to it.
    authority: axum::http::HeaderValue,
    name: String,
    provider: Option<String>,
    connections: Arc<Connections>,
}

/// The provider a well-known API host bills as.
fn provider_of_host(url: &str) -> Option<String> {
    let host = reqwest::Url::parse(url).ok()?.host_str()?.to_string();
    let known = [
        ("openrouter.ai", "openrouter"),
        ("api.openai.com", "openai"),
        ("api.anthropic.com", "anthropic"),
        ("generativelanguage.googleapis.com", "google"),
        ("api.groq.com", "groq"),
        ("api.deepseek.com", "deepseek"),
        ("api.mistral.ai", "mistral"),
        ("api.x.ai", "xai"),
    ];
    known.iter().find(|(h, _)| host == *h || host.ends_with(&format!(".{h}"))).map(|(_, p)| p.to_string())
}

/// How connections to upstreams are made.
struct Dialer {
    connect_timeout: Duration,
    /// The TLS settings of `https` upstreams, made when the first one is met.
    tls: Option<tokio_rustls::TlsConnector>,
    upstream_ca: Option<std::path::PathBuf>,
}

impl Dialer {
    fn tls(&mut self) -> Result<tokio_rustls::TlsConnector, ProxyError> {
        if let Some(tls) = &self.tls {
            return Ok(tls.clone());
        }
        let tls = tls_connector(self.upstream_ca.as_deref())?;
        self.tls = Some(tls.clone());
        Ok(tls)
    }
}

/// TLS for upstreams: the system's root certificates (as reqwest uses them) plus any in
/// `upstream_ca`; HTTP/1.1 only, since the proxy drives each connection itself.
fn tls_connector(upstream_ca: Option<&std::path::Path>) -> Result<tokio_rustls::TlsConnector, ProxyError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = match upstream_ca {
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
        Some(path) => {
            let roots = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| ProxyError::Config(format!("upstream_ca {}: {e}", path.display())))?;
            if roots.is_empty() {
                return Err(ProxyError::Config(format!("upstream_ca {}: no certificate in it", path.display())));
            }
            rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
        }
    }
    .map_err(|e| ProxyError::Config(format!("TLS roots: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProxyError::Config(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

fn upstream(prefix: &str, url: &str, provider: Option<&String>, dialer: &mut Dialer) -> Result<Upstream, ProxyError> {
    let bad = |why: String| ProxyError::Config(format!("upstream {url:?}: {why}"));
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Never echo them: the URL is not repeated in this error.
        return Err(ProxyError::Config(
            "an upstream URL carries credentials; send keys with --api-key-env or from the client instead".into(),
        ));
    }
    let tls = match parsed.scheme() {
        "http" => false,
        "https" => true,
        _ => return Err(bad("not an http(s) URL".into())),
    };
    let host = parsed.host_str().ok_or_else(|| bad("no host".into()))?;
    let port = parsed.port_or_known_default().ok_or_else(|| bad("no port".into()))?;
    let authority = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let authority = axum::http::HeaderValue::from_str(&authority).map_err(|e| bad(e.to_string()))?;
    // IPv6 literals come bracketed in URLs; sockets want them bare.
    let dial_host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let tls = match tls {
        false => None,
        true => {
            let name = rustls_pki_types::ServerName::try_from(dial_host.clone()).map_err(|e| bad(e.to_string()))?;
            Some((dialer.tls()?, name))
        }
    };
    let origin = Origin { host: dial_host, port, tls };
    Ok(Upstream {
        prefix: prefix.to_string(),
        base_path: parsed.path().trim_end_matches('/').to_string(),
        authority,
        name: host.to_string(),
        provider: provider.cloned().or_else(|| provider_of_host(url)),
        connections: Arc::new(Connections::new(origin, dialer.connect_timeout)),
    })
}

/// What every proxied request shares.
#[derive(Clone)]
pub(crate) struct ProxyState {
    /// Longest wait for an upstream's response head and between reads of its body.
    upstream_timeout: Duration,
    default: Arc<Upstream>,
    routes: Arc<Vec<Arc<Upstream>>>,
    api_key: Option<Arc<Secret>>,
    cache: Arc<CatalogCache>,
    writer: UsageWriter,
    budgets: Arc<Budgets>,
    metrics: Metrics,
    max_body: usize,
    inject_stream_usage: bool,
}

impl ProxyState {
    /// The upstream of a model: the longest matching route prefix, else the default.
    fn upstream_for(&self, model: Option<&str>) -> &Arc<Upstream> {
        model
            .and_then(|m| self.routes.iter().filter(|r| m.starts_with(&r.prefix)).max_by_key(|r| r.prefix.len()))
            .unwrap_or(&self.default)
    }
}

/// Longest wait for a connection (and its TLS handshake) to an upstream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An upstream with the default dialer, for unit tests.
#[cfg(test)]
fn upstream_for_test(url: &str) -> Upstream {
    let mut dialer = Dialer { connect_timeout: CONNECT_TIMEOUT, tls: None, upstream_ca: None };
    upstream("", url, None, &mut dialer).expect("upstream")
}

/// A bound, ready-to-serve proxy.
pub struct Proxy {
    listener: tokio::net::TcpListener,
    router: Router,
    writer: UsageWriter,
    task: WriterTask,
    grace: Duration,
}

impl Proxy {
    /// Check settings, seed budgets from the store, start the writer and bind.
    pub async fn build(
        store: Arc<dyn Store>,
        settings: &ProxySettings,
        budgets: Budgets,
        discounts: Vec<crate::sources::overrides::Discount>,
    ) -> Result<Self, ProxyError> {
        let mut dialer =
            Dialer { connect_timeout: CONNECT_TIMEOUT, tls: None, upstream_ca: settings.upstream_ca.clone() };
        let default = upstream("", &settings.upstream, settings.provider.as_ref(), &mut dialer)?;
        let routes = settings
            .routes
            .iter()
            .map(|r| upstream(&r.prefix, &r.url, r.provider.as_ref(), &mut dialer).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let api_key = match &settings.api_key_env {
            Some(var) => Some(Arc::new(std::env::var(var).ok().and_then(Secret::new).ok_or_else(|| {
                ProxyError::Config(format!("--api-key-env {var}: the variable is not set or empty"))
            })?)),
            None => None,
        };
        let now = jiff::Timestamp::now().as_millisecond();
        budgets.seed(store.as_ref(), now).await?;
        let cache = Arc::new(CatalogCache::new(store.clone(), discounts));
        if let Err(e) = cache.get().await {
            tracing::warn!(error = %e, "cannot load the catalog yet: requests are recorded unpriced until it loads");
        }
        let (writer, task) = UsageWriter::spawn(store, settings.writer_capacity, settings.writer_batch);
        let state = ProxyState {
            upstream_timeout: Duration::from_secs(settings.upstream_timeout_secs.max(1)),
            default: Arc::new(default),
            routes: Arc::new(routes),
            api_key,
            cache,
            writer: writer.clone(),
            budgets: Arc::new(budgets),
            metrics: Metrics::install(),
            max_body: settings.max_body_bytes,
            inject_stream_usage: settings.inject_stream_usage,
        };
        let router = forward::router(state);
        let listener = tokio::net::TcpListener::bind(&settings.bind)
            .await
            .map_err(|source| ProxyError::Bind { addr: settings.bind.clone(), source })?;
        Ok(Self { listener, router, writer, task, grace: Duration::from_secs(settings.shutdown_grace_secs) })
    }

    /// The bound address (the real port when built on port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` is cancelled; then finish the requests in flight and flush every
    /// usage record before returning (up to the grace period each). Returns the records written.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<u64, ProxyError> {
        let Proxy { listener, router, writer, task, grace } = self;
        let stop = shutdown.clone();
        // Streamed responses are written chunk by chunk: without TCP_NODELAY a small chunk
        // waits for the client's delayed ACK (up to 40 ms on Linux).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on a proxy connection");
            }
        });
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move { stop.cancelled().await });
        let serving = tokio::spawn(async move { serve.await });
        shutdown.cancelled().await;
        match tokio::time::timeout(grace, serving).await {
            Ok(Ok(result)) => result?,
            Ok(Err(e)) => tracing::error!(error = %e, "the proxy's server task failed"),
            Err(_) => tracing::warn!("requests still in flight after the grace period were cut off"),
        }
        writer.close();
        Ok(task.finish(grace).await.unwrap_or(0))
    }
}
