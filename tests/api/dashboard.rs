//! The dashboard over plain HTTP (the browser test in `tests/browser.rs` drives it in
//! Chromium): pages, filters, headers, assets, the admin login and "sync now".

use crate::helpers::{TOKEN, TestApp};
use reqwest::redirect::Policy;
use serde_json::Value;

async fn synced() -> TestApp {
    let app = TestApp::spawn().await;
    app.serve_models("models_2026-08-14.json").await;
    app.sync_now().await;
    app
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

pub(crate) async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    let ct = r.headers()["content-type"].to_str().expect("content type").to_string();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    let csp = r.headers()["content-security-policy"].to_str().expect("csp").to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    r.text().await.expect("body")
}

fn rows(page: &str) -> usize {
    page.matches("<tr data-search=").count()
}

#[tokio::test]
async fn pages_render_server_side_and_filters_narrow_the_catalog() {
    let app = synced().await;
    let all = html(&app, "/").await;
    assert_eq!(rows(&all), 100, "the first page is full");
    assert!(all.contains("<a href=\"/models/"), "rows link to models");
    let deepseek = html(&app, "/?q=deepseek").await;
    let n = rows(&deepseek);
    assert!(n > 0 && n < 100, "{n}");
    let searched: Vec<&str> = deepseek.split("data-search=\"").skip(1).filter_map(|s| s.split('"').next()).collect();
    assert_eq!(searched.len(), n);
    assert!(searched.iter().all(|s| s.contains("deepseek")), "{searched:?}");
    let free = html(&app, "/?free=1&cap=tools").await;
    assert!(rows(&free) > 0 && rows(&free) < 100);
    // Without endpoints every offer is OpenRouter's own listing.
    let by_provider = html(&app, "/?provider=openrouter&sort=price&desc=1").await;
    assert!(rows(&by_provider) > 0 && by_provider.contains("aria-sort=\"descending\""));
    assert_eq!(rows(&html(&app, "/?provider=nobody").await), 0);
    let page2 = html(&app, "/?page=2").await;
    assert!(page2.contains("rel=\"prev\""));
    assert_eq!(app.get("/?page=999").await.status(), 404);
    assert_eq!(app.get("/?sort=nonsense").await.status(), 400);

    let model = html(&app, "/models/openai/gpt-4o").await;
    assert!(model.contains("<script type=\"application/json\" id=\"price-chart-data\">"));
    assert!(model.contains("id=\"offers\"") && model.contains("id=\"history\""));
    assert!(!model.contains("<script>"), "no inline script");
    let missing = app.get("/models/nobody/nothing").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.expect("body").contains("<h1>404 Not Found</h1>"));

    let changes = html(&app, "/changes?since=all").await;
    assert!(changes.contains("model_added"));
    assert_eq!(app.get("/changes?kind=bogus").await.status(), 400);
    let rankings = html(&app, "/rankings?category=coding&weights=cost%3D0.5%2Cperformance%3D0.5").await;
    assert!(rankings.contains("id=\"ranked\""));
    assert_eq!(app.get("/rankings?weights=cost%3D-1").await.status(), 400);
    let sync = html(&app, "/sync").await;
    assert!(sync.contains("id=\"runs\""));

    // The dashboard is not part of the API document.
    let doc: Value = app.get_json("/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.keys().all(|p| p.starts_with("/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"));
}

#[tokio::test]
async fn assets_are_versioned_and_cached() {
    let app = TestApp::spawn().await;
    let page = html(&app, "/sync").await;
    let css = page.split("href=\"/assets/app.css?v=").nth(1).and_then(|s| s.split('"').next()).expect("css link");
    let r = app.get(&format!("/assets/app.css?v={css}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(r.headers()["cache-control"].to_str().expect("cc").contains("immutable"));
    let stale = app.get("/assets/app.css?v=old").await;
    assert!(!stale.headers()["cache-control"].to_str().expect("cc").contains("immutable"));
    let js = app.get("/assets/vendor/uplot/uPlot.iife.min.js").await;
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    let license = app.get("/assets/vendor/uplot/LICENSE").await.text().await.expect("text");
    assert!(license.contains("MIT License"));
    assert_eq!(app.get("/assets/nope.js").await.status(), 404);
}

#[tokio::test]
async fn only_an_admin_sees_and_uses_sync_now() {
    let app = synced().await;
    let client = no_redirects();
    assert!(!html(&app, "/sync").await.contains("id=\"sync-now\""));
    let refused = client
        .post(app.url("/sync/now"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("source", "openrouter")]))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);

    let wrong = client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", "wrong-token-wrong-token")]))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 403);
    assert!(wrong.headers().get("set-cookie").is_none());

    let ok = client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", TOKEN)]))
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"].to_str().expect("cookie").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains(TOKEN), "the cookie must not hold the token");
    let pair = cookie.split(';').next().expect("name=value").to_string();

    let admin_page = client.get(app.url("/sync")).header("cookie", &pair).send().await.expect("get");
    assert!(admin_page.text().await.expect("body").contains("id=\"sync-now\""));

    // A cross-site form post is refused even with the cookie.
    let cross = client
        .post(app.url("/sync/now"))
        .header("cookie", &pair)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("source", "openrouter")]))
        .send()
        .await
        .expect("post");
    assert_eq!(cross.status(), 403);

    let started = client
        .post(app.url("/sync/now"))
        .header("cookie", &pair)
        .header("origin", app.address.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("source", "openrouter")]))
        .send()
        .await
        .expect("post");
    assert_eq!(started.status(), 303);
    let location = started.headers()["location"].to_str().expect("location").to_string();
    assert!(location.starts_with("/sync?job="), "{location}");
    let id = location.trim_start_matches("/sync?job=").to_string();
    let job = app.admin(reqwest::Method::GET, &format!("/api/v1/sync/jobs/{id}"), None).await;
    assert_eq!(job.status(), 200, "the dashboard job is an admin API job");
    let shown = client.get(app.url(&location)).header("cookie", &pair).send().await.expect("get");
    assert!(shown.text().await.expect("body").contains(&format!("id=\"job-{id}\"")));

    let out = client.post(app.url("/logout")).header("cookie", &pair).send().await.expect("post");
    assert!(out.headers()["set-cookie"].to_str().expect("cookie").contains("Max-Age=0"));
}

/// A form body (`application/x-www-form-urlencoded`).
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}
