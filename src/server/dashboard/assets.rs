//! The dashboard's static files, compiled into the binary: its own CSS and JS, and uPlot
//! (vendored from npm with its licence). URLs carry a content hash (`?v=…`), so responses
//! for the current hash are cached for a year and a new build is fetched at once.

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One static file.
struct Asset {
    /// Its path under `/assets/`.
    name: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    bytes: &'static [u8],
    /// The first 16 hex digits of its SHA-256.
    hash: String,
}

const FILES: [(&str, &str, &[u8]); 6] = [
    ("app.css", "text/css; charset=utf-8", include_bytes!("assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("assets/app.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("assets/favicon.svg")),
    (
        "vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/uplot/uPlot.iife.min.js"),
    ),
    ("vendor/uplot/uPlot.min.css", "text/css; charset=utf-8", include_bytes!("assets/vendor/uplot/uPlot.min.css")),
    ("vendor/uplot/LICENSE", "text/plain; charset=utf-8", include_bytes!("assets/vendor/uplot/LICENSE")),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, content_type, bytes)| Asset {
            name,
            content_type,
            bytes,
            hash: hex::encode(&Sha256::digest(bytes)[..8]),
        })
        .collect()
});

/// The versioned URL of an asset (`/assets/app.css?v=3f…`); unknown names get no version.
pub fn url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/assets/{}?v={}", a.name, a.hash),
        None => format!("/assets/{name}"),
    }
}

/// The `?v=` of an asset request.
#[derive(Debug, Deserialize)]
pub struct Version {
    /// The content hash the page linked to.
    v: Option<String>,
}

/// `GET /assets/{*path}`: the file, immutable for a year when asked for by its current hash.
pub async fn serve(Path(path): Path<String>, Query(version): Query<Version>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == path) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such asset")
            .into_response();
    };
    let cache = if version.v.as_deref() == Some(asset.hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", asset.hash)) {
        headers.insert(header::ETAG, tag);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url("app.css");
        assert!(css.starts_with("/assets/app.css?v="), "{css}");
        assert_eq!(css.len(), "/assets/app.css?v=".len() + 16);
        assert_eq!(url("nope.js"), "/assets/nope.js");
        assert!(ASSETS.iter().all(|a| !a.bytes.is_empty()));
    }
}
