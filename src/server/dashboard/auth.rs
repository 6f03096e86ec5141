//! Who is an admin on the dashboard: the admin token, entered once on `/login`, becomes an
//! HttpOnly, SameSite=Strict cookie holding a digest of the token (never the token itself),
//! checked in constant time on every admin page and form.

use crate::server::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie's name.
pub const COOKIE: &str = "llmcost_admin";

/// How long a login lasts, in seconds.
const MAX_AGE_SECS: u64 = 12 * 3600;

/// The cookie value that proves knowledge of the token: SHA-256 of a fixed label and the
/// token. Stable across restarts, changes when the token changes, reveals nothing usable
/// against the admin API.
fn session_value(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"llmcost dashboard session v1\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `presented` is the admin token (constant time); `false` when the admin API is off.
pub fn token_matches(state: &AppState, presented: &str) -> bool {
    state.admin_token.as_ref().is_some_and(|t| bool::from(presented.as_bytes().ct_eq(t.expose().as_bytes())))
}

/// Whether the request carries a valid admin cookie.
pub fn is_admin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.admin_token else { return false };
    let expected = session_value(token.expose());
    cookies(headers).any(|(name, value)| name == COOKIE && bool::from(value.as_bytes().ct_eq(expected.as_bytes())))
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// Whether the request came over HTTPS (directly or through a proxy that says so).
fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` of a successful login.
pub fn login_cookie(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let token = state.admin_token.as_ref()?;
    let secure = if is_https(headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={MAX_AGE_SECS}{secure}",
        session_value(token.expose())
    ))
    .ok()
}

/// The `Set-Cookie` that logs out.
pub fn logout_cookie() -> HeaderValue {
    HeaderValue::from_static("llmcost_admin=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Whether a form post comes from this site: its `Origin` (when the browser sends one, as
/// every current browser does on POST) names the host the request was sent to. With the
/// SameSite=Strict cookie this refuses cross-site form posts.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_a_digest_not_the_token() {
        let v = session_value("test-admin-token-0123456789");
        assert_eq!(v.len(), 64);
        assert!(!v.contains("test-admin-token"));
        assert_ne!(v, session_value("test-admin-token-0123456780"));
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
    }
}
