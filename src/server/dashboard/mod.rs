//! The web dashboard `llmcost serve` shows at `/`: the catalog, one page per model with its
//! price history chart, the change feed, the rankings (cost against quality, the Pareto
//! frontier highlighted), recorded usage and spend (per day, top models and apps, budgets)
//! and the sync status (with an admin-only "sync now").
//!
//! Every page renders its data on the server from the cached catalog snapshot (and, for
//! history, changes and runs, through the [`Store`](crate::store::Store) trait), so it works
//! without JavaScript; the small script only enhances: live filtering of the catalog table
//! and uPlot charts drawn from JSON embedded in the page. Nothing is loaded from elsewhere:
//! the Content-Security-Policy allows this origin only, and no inline script or style.

mod assets;
mod auth;
mod catalog;
mod changes;
mod format;
mod model;
mod rankings;
mod sync;
mod usage;

pub use catalog::CatalogFacets;

use crate::server::state::AppState;
use crate::store::StoreError;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

/// The dashboard's routes (HTML pages, forms and assets; none of them is in the OpenAPI
/// document).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(catalog::page))
        .route("/models/{*id}", get(model::page))
        .route("/changes", get(changes::page))
        .route("/rankings", get(rankings::page))
        .route("/usage", get(usage::page))
        .route("/sync", get(sync::page))
        .route("/sync/now", post(sync::now))
        .route("/login", get(sync::login_form).post(sync::login))
        .route("/logout", post(sync::logout))
        .route("/assets/{*path}", get(assets::serve))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The Content-Security-Policy of every page: this origin only, no inline script or style
/// (the data the charts draw sits in `<script type="application/json">` blocks, which are
/// not executed).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages change with every sync and may show admin-only controls.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// What every page's frame needs: its title, the active tab, asset URLs and whether the
/// visitor is an admin.
pub struct Layout {
    /// The page title.
    pub title: String,
    /// The active tab (`catalog`, `changes`, `sync`, `model`).
    pub nav: &'static str,
    /// Whether the visitor holds the admin cookie.
    pub admin: bool,
    /// Whether the admin token is configured at all.
    pub admin_enabled: bool,
    /// The catalog version shown in the footer.
    pub version: i64,
    /// Versioned URL of the stylesheet.
    pub css: String,
    /// Versioned URL of the script.
    pub js: String,
    /// Versioned URL of the icon.
    pub favicon: String,
    /// uPlot's stylesheet and script, on pages with charts.
    pub uplot: Option<(String, String)>,
}

impl Layout {
    /// The frame of a page.
    pub fn new(state: &AppState, headers: &axum::http::HeaderMap, title: impl Into<String>, nav: &'static str) -> Self {
        Self {
            title: title.into(),
            nav,
            admin: auth::is_admin(state, headers),
            admin_enabled: state.admin_token.is_some(),
            version: 0,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            favicon: assets::url("favicon.svg"),
            uplot: None,
        }
    }

    /// The same, with uPlot loaded.
    pub fn with_charts(mut self) -> Self {
        self.uplot = Some((assets::url("vendor/uplot/uPlot.min.css"), assets::url("vendor/uplot/uPlot.iife.min.js")));
        self
    }

    /// The same, showing this catalog version.
    pub fn at_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }
}

/// A page that went wrong, rendered as HTML with its status.
#[derive(Debug)]
pub struct PageError {
    /// The status.
    pub status: StatusCode,
    /// What to tell the visitor (never internal details).
    pub message: String,
}

impl PageError {
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self { status: StatusCode::FORBIDDEN, message: message.into() }
    }

    /// 500; the cause is logged, not shown.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "dashboard page failed");
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: "Something went wrong on our side.".into() }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    reason: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let layout = Layout {
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            nav: "",
            admin: false,
            admin_enabled: false,
            version: 0,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            favicon: assets::url("favicon.svg"),
            uplot: None,
        };
        let page = ErrorPage {
            layout,
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: self.message,
        };
        let mut response = render(&page);
        if response.status().is_success() {
            *response.status_mut() = self.status;
        }
        response
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// Render a template as an HTML response (a template error is a logged 500).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "internal error")
                .into_response()
        }
    }
}

/// A query string from pairs, for links that keep the current filters.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str())).collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("?{q}"),
        _ => String::new(),
    }
}

/// Query pairs of a request (repeated keys kept, as checkbox groups send them).
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, PageError> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| PageError::bad_request(format!("bad query string: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_skip_empty_values_and_escape() {
        assert_eq!(query_string(&[("q", "gpt 4o&x".into()), ("sort", String::new())]), "?q=gpt+4o%26x");
        assert_eq!(query_string(&[("q", String::new())]), "");
        let pairs = query_pairs(Some("cap=tools&cap=reasoning&q=a%20b")).expect("pairs");
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[2], ("q".to_string(), "a b".to_string()));
    }
}
