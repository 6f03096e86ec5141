//! The HTTP API: thin handlers over the cached catalog, the store and the jobs. No SQL
//! here; view types are separate from store rows where the shapes differ.

pub mod admin;
pub mod catalog;
pub mod cost;
pub mod ops;
pub mod rank;
pub mod usage;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A JSON response tagged with an ETag derived from the catalog version and the request;
/// `If-None-Match` with the same tag gets `304 Not Modified` and no body.
pub fn etagged<T: Serialize>(headers: &HeaderMap, version: i64, request: &str, body: &T) -> Response {
    let digest = Sha256::digest(request.as_bytes());
    let tag = format!("\"c{version}-{}\"", hex::encode(&digest[..8]));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response =
        if matches { StatusCode::NOT_MODIFIED.into_response() } else { axum::Json(body).into_response() };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
