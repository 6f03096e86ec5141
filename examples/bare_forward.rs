//! The floor of the proxy's stack: axum in, reqwest out, nothing read, priced or recorded.
//! `bench/proxy.py` measures it beside `llmcost proxy`: what the stack itself adds on this machine.
//!
//!   cargo run --release --example bare_forward -- BIND UPSTREAM-BASE

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, bind, base] = args.as_slice() else { return Err("usage: bare_forward BIND UPSTREAM-BASE".into()) };
    let http = reqwest::Client::builder().no_gzip().tcp_nodelay(true).build()?;
    let app = axum::Router::new().fallback(forward).with_state((http, base.trim_end_matches('/').to_string()));
    axum::serve(tokio::net::TcpListener::bind(bind).await?, app).await?;
    Ok(())
}

async fn forward(State((http, base)): State<(reqwest::Client, String)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 24).await.unwrap_or_default();
    let path = parts.uri.path().strip_prefix("/v1").unwrap_or(parts.uri.path());
    let mut headers = parts.headers.clone();
    headers.remove("host");
    headers.remove("content-length");
    match http.request(parts.method, format!("{base}{path}")).headers(headers).body(body).send().await {
        Ok(r) => {
            let status = r.status();
            let headers = r.headers().clone();
            let mut out = Response::new(Body::from_stream(r.bytes_stream()));
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            out
        }
        Err(_) => Response::builder().status(502).body(Body::empty()).unwrap_or_default(),
    }
}
