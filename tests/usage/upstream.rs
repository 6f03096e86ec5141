//! The proxy's own connections to its upstream, against a scripted HTTP/1.1 upstream on raw
//! sockets (plain or TLS with a private CA): reuse, connections the upstream closes, timeouts.

use crate::databases::Backend;
use crate::helpers::{TestProxy, catalog_db, no_budgets, rows, text_response};
use llmcost::proxy::ProxySettings;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the scripted upstream does once it has read a request.
#[derive(Clone, Copy)]
enum Script {
    /// Answer and keep the connection for the next request.
    KeepAlive,
    /// Answer, then close the connection this long after, without saying so.
    CloseAfter(Duration),
    /// Answer with `connection: close`, then close.
    CloseHeader,
    /// Never answer.
    Silent,
    /// Send the head and half the body, then nothing more.
    StallBody,
}

/// A scripted upstream: counts its connections and keeps every request head it read.
struct Scripted {
    port: u16,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start(script: Script, tls: Option<tokio_rustls::TlsAcceptor>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (count, kept) = (connections.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let (kept, tls) = (kept.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve(tcp, script, kept).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                serve(stream, script, kept).await;
                            }
                        }
                    }
                });
            }
        });
        Scripted { port, connections, heads }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Read requests off one connection and answer them as scripted.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, script: Script, heads: Arc<Mutex<Vec<String>>>) {
    let body = text_response();
    let mut buf = Vec::new();
    loop {
        let Some(end) = read_request(&mut socket, &mut buf).await else { return };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        heads.lock().expect("heads").push(head);
        let close = if matches!(script, Script::CloseHeader) { "connection: close\r\n" } else { "" };
        let answer_head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{close}\r\n",
            body.len()
        );
        match script {
            Script::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Script::StallBody => {
                let _ = socket.write_all(answer_head.as_bytes()).await;
                let _ = socket.write_all(&body[..body.len() / 2]).await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            _ => {}
        }
        let mut answer = answer_head.into_bytes();
        answer.extend_from_slice(&body);
        if socket.write_all(&answer).await.is_err() {
            return;
        }
        match script {
            Script::CloseAfter(after) => {
                tokio::time::sleep(after).await;
                return;
            }
            Script::CloseHeader => return,
            _ => {}
        }
    }
}

/// Read one request (head and `content-length` body) into `buf`; the length of the request.
async fn read_request<S: AsyncRead + Unpin>(socket: &mut S, buf: &mut Vec<u8>) -> Option<usize> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= head_end + length {
                return Some(head_end + length);
            }
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A file of the test PKI (`fixtures/tls`: a CA and a `localhost` certificate it signed).
fn tls_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls").join(name)
}

/// The TLS side of the scripted upstream: `localhost`, signed by the test CA.
fn acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(tls_fixture("localhost.pem"))
        .expect("cert file")
        .collect::<Result<Vec<_>, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(tls_fixture("localhost.key")).expect("key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

fn settings(upstream: String) -> ProxySettings {
    ProxySettings {
        bind: "127.0.0.1:0".into(),
        upstream,
        provider: Some("openrouter".into()),
        upstream_timeout_secs: 1,
        ..ProxySettings::default()
    }
}

/// A proxy in front of a plain scripted upstream.
async fn proxy_to(store: &Arc<dyn llmcost::store::Store>, upstream: &Scripted) -> TestProxy {
    let url = format!("http://127.0.0.1:{}/api/v1", upstream.port);
    TestProxy::spawn_with(store.clone(), settings(url), no_budgets()).await
}

/// (status, body) of a chat request through the proxy.
async fn chat(proxy: &TestProxy) -> (u16, Vec<u8>) {
    let body = serde_json::json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]});
    let r = reqwest::Client::new()
        .post(proxy.url("/v1/chat/completions"))
        .header("x-llmcost-app", "tests")
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_share_one_upstream_connection() {
    let (_db, store) = catalog_db(Backend::Sqlite, "upstream_reuse").await.expect("db");
    let upstream = Scripted::start(Script::KeepAlive, None).await;
    let proxy = proxy_to(&store, &upstream).await;
    for _ in 0..20 {
        assert_eq!(chat(&proxy).await, (200, text_response()));
    }
    assert_eq!(upstream.connections(), 1);
    assert_eq!(rows(&store, 20).await.len(), 20);
    let heads = upstream.heads.lock().expect("heads").clone();
    let first = heads[0].to_ascii_lowercase();
    assert!(first.starts_with("post /api/v1/chat/completions http/1.1\r\n"), "{first}");
    assert!(first.contains(&format!("\r\nhost: 127.0.0.1:{}\r\n", upstream.port)), "{first}");
    assert!(first.contains("\r\ncontent-length: "), "{first}");
    assert!(!first.contains("x-llmcost-app"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_upstream_closed_are_not_reused() {
    let (_db, store) = catalog_db(Backend::Sqlite, "upstream_closed").await.expect("db");
    // Closed without a word while resting in the pool: found closed when taken out.
    let quiet = Scripted::start(Script::CloseAfter(Duration::from_millis(20)), None).await;
    let proxy = proxy_to(&store, &quiet).await;
    for _ in 0..3 {
        assert_eq!(chat(&proxy).await, (200, text_response()));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(quiet.connections(), 3);
    // Closed with `connection: close`: never put back.
    let announced = Scripted::start(Script::CloseHeader, None).await;
    let proxy = proxy_to(&store, &announced).await;
    for _ in 0..5 {
        assert_eq!(chat(&proxy).await, (200, text_response()));
    }
    assert_eq!(announced.connections(), 5);
    assert_eq!(rows(&store, 8).await.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstreams_are_verified_against_the_system_roots_and_upstream_ca() {
    let (_db, store) = catalog_db(Backend::Sqlite, "upstream_tls").await.expect("db");
    let upstream = Scripted::start(Script::KeepAlive, Some(acceptor())).await;
    let url = format!("https://localhost:{}/api/v1", upstream.port);
    let trusted = TestProxy::spawn_with(
        store.clone(),
        ProxySettings { upstream_ca: Some(tls_fixture("ca.pem")), ..settings(url.clone()) },
        no_budgets(),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(chat(&trusted).await, (200, text_response()));
    }
    assert_eq!(upstream.connections(), 1);
    let rows = rows(&store, 3).await;
    assert!(rows.iter().all(|r| r.record.status == 200 && r.record.cost.is_some()));
    // Without the private CA the certificate is refused: a 502 that says why.
    let untrusted = TestProxy::spawn_with(store.clone(), settings(url), no_budgets()).await;
    let (status, body) = chat(&untrusted).await;
    assert_eq!(status, 502);
    let error: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(error["error"]["code"], "upstream_unreachable");
    let message = error["error"]["message"].as_str().expect("message");
    assert!(message.contains("TLS") && message.to_ascii_lowercase().contains("certificate"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_is_a_504_and_a_stalled_body_is_cut_off() {
    let (_db, store) = catalog_db(Backend::Sqlite, "upstream_timeouts").await.expect("db");
    let silent = Scripted::start(Script::Silent, None).await;
    let proxy = proxy_to(&store, &silent).await;
    let (status, body) = chat(&proxy).await;
    assert_eq!(status, 504);
    let error: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(error["error"]["code"], "upstream_timeout");
    let recorded = rows(&store, 1).await;
    assert_eq!(recorded[0].record.status, 504);
    // The head came, then half the body and silence: the client's body ends short, and the
    // request is recorded with why it has no usage.
    let stalled = Scripted::start(Script::StallBody, None).await;
    let proxy = proxy_to(&store, &stalled).await;
    let (status, body) = chat(&proxy).await;
    assert_eq!(status, 200);
    assert!(body.len() < text_response().len());
    let recorded = rows(&store, 2).await;
    let cut = recorded.iter().find(|r| r.record.upstream.is_some() && r.record.status == 200).expect("the stalled one");
    assert!(cut.record.usage.output == 0 && cut.record.pricing_error.is_some(), "{:?}", cut.record);
}
