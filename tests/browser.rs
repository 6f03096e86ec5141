//! The dashboard in a real headless Chromium, driven through chromedriver (WebDriver): the
//! real app on port 0 over a real SQLite database that holds four recorded OpenRouter
//! catalogs imported in order (so models have price history).
//!
//! Checked: every page loads with no console error (Chromium's own console log, which also
//! reports CSP violations and failed loads); the catalog filter narrows the table, live and
//! through the form; the rankings plot shows every ranked model and highlights the frontier;
//! the usage page charts every day of its window and lists the top models and apps;
//! a model page's chart has as many points as the model's price history;
//! the "sync now" button is absent without the admin token and present after login; the
//! pages fit a phone's width. Screenshots of each page go to `target/browser-artifacts/`.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `LLMCOST_CHROMIUM` and
//! `LLMCOST_CHROMEDRIVER`) the test says so and passes, unless `LLMCOST_REQUIRE_BROWSER` is
//! set (CI sets it), in which case it fails.

#[path = "support/databases.rs"]
mod databases;

use databases::{Backend, TestDb};
use fantoccini::{Client, ClientBuilder, Locator};
use llmcost::config::{Secret, Settings};
use llmcost::cost::Usage;
use llmcost::domain::{RunTrigger, parse_time};
use llmcost::server::Application;
use llmcost::sources::Source;
use llmcost::store::{self, Store};
use llmcost::sync::{self, SyncInput, SyncRequest};
use llmcost::track::{CostSource, Endpoint, UsageRecord, UsageTags};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "browser-test-admin-token-0123456789";

/// A model whose prices changed in each recorded catalog.
const MODEL: &str = "deepseek/deepseek-chat";

/// The recorded catalogs, imported in this order as observed on these dates.
const CATALOGS: [(&str, &str); 3] = [
    ("models_2026-02-27.json", "2026-02-27"),
    ("models_2026-07-17.json", "2026-07-17"),
    ("models_2026-08-14.json", "2026-08-14"),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter").join(name)
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), Path::to_path_buf);
    let dir = dir.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    dir
}

/// Chromium and chromedriver, or `None` (after saying so) when absent and not required.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from(std::env::var("LLMCOST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let driver =
        PathBuf::from(std::env::var("LLMCOST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()));
    if chromium.exists() && driver.exists() {
        return Some((chromium, driver));
    }
    let message = format!(
        "browser tests need {} and {} (Debian: apt-get install chromium chromium-driver)",
        chromium.display(),
        driver.display()
    );
    if std::env::var_os("LLMCOST_REQUIRE_BROWSER").is_some() {
        panic!("LLMCOST_REQUIRE_BROWSER is set but {message}");
    }
    let _ =
        writeln!(std::io::stderr(), "SKIPPED browser tests: {message}; set LLMCOST_REQUIRE_BROWSER=1 to fail instead");
    None
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    _child: tokio::process::Child,
    url: String,
}

async fn start_driver(binary: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = tokio::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{url}/status")).send().await {
            if r.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true) {
                return Driver { _child: child, url };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not become ready on {url}");
}

/// The app, serving a database with the recorded catalogs imported in order; the mock
/// upstream serves the newest one for "sync now".
struct App {
    address: String,
    store: Arc<dyn Store>,
    _db: TestDb,
    _upstream: MockServer,
    shutdown: CancellationToken,
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start_app() -> App {
    let db = TestDb::new(Backend::Sqlite, "browser").await.expect("sqlite");
    let store: Arc<dyn Store> = Arc::from(store::open(db.url()).await.expect("open store"));
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(std::fs::read(fixture(CATALOGS[2].0)).expect("fixture"), "application/json"),
        )
        .mount(&upstream)
        .await;
    let mut settings = Settings::default();
    settings.serve.bind = "127.0.0.1:0".into();
    settings.serve.scheduler = false;
    settings.openrouter.url = format!("{}/api/v1", upstream.uri());
    settings.openrouter.endpoints = false;
    settings.openrouter.retries = 0;
    for (file, day) in CATALOGS {
        let mut req = SyncRequest::configured(&settings, Source::Openrouter, RunTrigger::Cli).expect("request");
        req.input = SyncInput::File(fixture(file));
        req.observed_at = Some(parse_time(day).expect("date"));
        req.openrouter.endpoints = false;
        sync::run(store.as_ref(), &req).await.unwrap_or_else(|e| panic!("import {file}: {e}"));
    }
    let app = Application::build(store.clone(), settings, Secret::new(TOKEN.into())).await.expect("build app");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move { app.run_until_stopped(shutdown).await.expect("serve") }
    });
    App { address, store, _db: db, _upstream: upstream, shutdown }
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!("an object") };
    ClientBuilder::rustls().expect("rustls").capabilities(caps).connect(&driver.url).await.expect("browser session")
}

/// What the page logged to the console since the last call, at error level.
async fn console_errors(driver: &Driver, client: &Client) -> Vec<String> {
    let session = client.session_id().await.expect("session").expect("a session id");
    let r = reqwest::Client::new()
        .post(format!("{}/session/{session}/se/log", driver.url))
        .json(&json!({"type": "browser"}))
        .send()
        .await
        .expect("log request");
    let v: Value = r.json().await.expect("log JSON");
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no browser log: {v}"))
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts().join(format!("{name}.png")), png).expect("save screenshot");
}

async fn count(client: &Client, script: &str) -> u64 {
    client.execute(script, vec![]).await.expect("script").as_u64().unwrap_or_else(|| panic!("not a count: {script}"))
}

/// Visit a page, wait for `ready` (a CSS selector), save a screenshot, and check that the
/// console stayed clean.
async fn visit(driver: &Driver, client: &Client, url: &str, ready: &str, shot: &str) {
    client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(ready))
        .await
        .unwrap_or_else(|e| panic!("{url}: no {ready}: {e}"));
    screenshot(client, shot).await;
    let errors = console_errors(driver, client).await;
    assert!(errors.is_empty(), "{url} logged console errors: {errors:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_chromium() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let app = start_app().await;
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, &chromium, profile.path()).await;
    let result = tokio::time::timeout(Duration::from_secs(180), scenario(&app, &driver, &client)).await;
    let _ = client.close().await;
    result.expect("the browser scenario took too long");
}

async fn scenario(app: &App, driver: &Driver, client: &Client) {
    let base = &app.address;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // Catalog: the live filter narrows this page's rows, the form narrows the catalog.
    visit(driver, client, &format!("{base}/"), "#catalog tbody tr", "catalog").await;
    let visible = "return document.querySelectorAll('#catalog tbody tr:not([hidden])').length";
    let before = count(client, visible).await;
    let total: u64 =
        client.find(Locator::Id("catalog-total")).await.expect("total").text().await.expect("text").parse().expect("n");
    assert!(before > 50 && total >= before, "{before} rows of {total}");
    client.find(Locator::Id("q")).await.expect("search box").send_keys("deepseek").await.expect("type");
    let live = count(client, visible).await;
    assert!(live > 0 && live < before, "live filter: {live} of {before}");
    let all_match = "return Array.from(document.querySelectorAll('#catalog tbody tr:not([hidden])'))\
        .every(r => r.getAttribute('data-search').includes('deepseek'))";
    assert_eq!(client.execute(all_match, vec![]).await.expect("script"), json!(true));
    client.find(Locator::Id("apply")).await.expect("apply").click().await.expect("submit");
    wait_for_url(client, &format!("{base}/?q=deepseek")).await;
    let filtered: u64 =
        client.find(Locator::Id("catalog-total")).await.expect("total").text().await.expect("text").parse().expect("n");
    assert!(filtered > 0 && filtered < total, "form filter: {filtered} of {total}");
    assert_eq!(count(client, visible).await, filtered.min(100));
    assert_eq!(client.execute(all_match, vec![]).await.expect("script"), json!(true));
    screenshot(client, "catalog-filtered").await;
    assert!(console_errors(driver, client).await.is_empty());

    // Readable on a phone: the page itself never scrolls sideways (wide tables scroll inside).
    client.set_window_size(390, 844).await.expect("phone size");
    visit(driver, client, &format!("{base}/"), "#catalog", "catalog-phone").await;
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    assert!(count_i(client, overflow).await <= 0, "the catalog is wider than a phone");
    visit(driver, client, &format!("{base}/models/{MODEL}"), "#price-chart", "model-phone").await;
    assert!(count_i(client, overflow).await <= 0, "the model page is wider than a phone");
    client.set_window_size(1280, 1600).await.expect("desktop size");

    // Model page: the chart has one point per interval of the charted offer's history.
    visit(driver, client, &format!("{base}/models/{MODEL}"), "#price-chart[data-points]", "model").await;
    let chart = client.find(Locator::Id("price-chart")).await.expect("chart");
    let points: usize = chart.attr("data-points").await.expect("attr").expect("points drawn").parse().expect("n");
    let offer_key = chart.attr("data-offer-key").await.expect("attr").expect("offer key");
    let rows = count(client, "return document.querySelectorAll('#history tr[data-charted]').length").await as usize;
    let history: Value = http
        .get(format!("{base}/api/v1/models/{MODEL}/history"))
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("json");
    let expected = history["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .filter(|i| i["offer_key"] == offer_key.as_str() && i["value"]["kind"] == "fixed")
        .count();
    assert!(expected >= 6, "{MODEL} should have several price points, has {expected}");
    assert_eq!(points, expected, "chart points vs the API's price history");
    assert_eq!(rows, expected, "history table rows vs the API's price history");
    let drawn = count(client, "return document.querySelectorAll('#price-chart canvas').length").await;
    assert_eq!(drawn, 1, "uPlot drew a canvas");

    // Changes: this week (empty for recorded catalogs) and all time.
    visit(driver, client, &format!("{base}/changes"), "main h1", "changes-week").await;
    visit(driver, client, &format!("{base}/changes?since=all&kind=price_changed"), "table.changes tbody tr", "changes")
        .await;

    // Rankings: one dot per ranked model, the frontier highlighted.
    visit(driver, client, &format!("{base}/rankings"), "#scatter", "rankings").await;
    let rankings: Value =
        http.get(format!("{base}/api/v1/rankings")).send().await.expect("rankings").json().await.expect("json");
    let ranked = rankings["ranked"].as_array().expect("ranked").len() as u64;
    let frontier = rankings["frontier"].as_array().expect("frontier").len() as u64;
    assert!(ranked > 10 && frontier > 0, "{ranked} ranked, {frontier} on the frontier");
    assert_eq!(count(client, "return document.querySelectorAll('#scatter circle.point').length").await, ranked);
    assert_eq!(count(client, "return document.querySelectorAll('#scatter circle.frontier').length").await, frontier);

    // Usage: nothing recorded yet, then a few requests over the last days.
    visit(driver, client, &format!("{base}/usage"), "#no-usage", "usage-empty").await;
    let now = jiff::Timestamp::now().as_millisecond();
    let records: Vec<UsageRecord> =
        [(0, MODEL, "search", "0.0012"), (1, MODEL, "chat", "0.5"), (3, "openai/gpt-4o", "chat", "0.25")]
            .iter()
            .map(|(days_ago, model, app, cost)| usage_record(now - days_ago * 86_400_000, model, app, cost))
            .collect();
    app.store.insert_usage(&records).await.expect("record usage");
    visit(driver, client, &format!("{base}/usage"), "#spend-chart", "usage").await;
    assert_eq!(count(client, "return document.querySelectorAll('#spend-chart rect.bar').length").await, 31);
    assert_eq!(count(client, "return document.querySelectorAll('#top-models tbody tr').length").await, 2);
    assert_eq!(count(client, "return document.querySelectorAll('#top-apps tbody tr').length").await, 2);
    let spend = client.find(Locator::Id("total-spend")).await.expect("total").text().await.expect("text");
    assert_eq!(spend, "$0.7512");

    // Sync status without the admin token: no button, and the form post is refused.
    visit(driver, client, &format!("{base}/sync"), "#runs tbody tr", "sync").await;
    assert!(
        client.find_all(Locator::Id("sync-now")).await.expect("query").is_empty(),
        "sync button shown to a visitor"
    );
    let refused = http
        .post(format!("{base}/sync/now"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("source", "openrouter")]))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let wrong = http
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", "not-the-admin-token-at-all")]))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 403);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(!wrong.text().await.expect("body").contains(TOKEN));

    // Log in: the button appears and starts a job shown on the page.
    visit(driver, client, &format!("{base}/login"), "#token", "login").await;
    client.find(Locator::Id("token")).await.expect("token").send_keys(TOKEN).await.expect("type");
    client.find(Locator::Id("login")).await.expect("login").click().await.expect("submit");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("sync-now"))
        .await
        .expect("sync button after login");
    screenshot(client, "sync-admin").await;
    assert!(console_errors(driver, client).await.is_empty());
    client.find(Locator::Id("sync-now")).await.expect("button").click().await.expect("click");
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("job-1")).await.expect("the job is shown");
    let mut finished = false;
    for _ in 0..50 {
        let status = client.find(Locator::Css("#job-1 .status")).await.expect("status").text().await.expect("text");
        if status == "succeeded" || status == "failed" {
            assert_eq!(status, "succeeded");
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.refresh().await.expect("reload");
    }
    assert!(finished, "the sync job did not finish");
    screenshot(client, "sync-job").await;
    assert!(console_errors(driver, client).await.is_empty());
    assert!(app.store.runs(1).await.expect("runs")[0].trigger == "api");

    // The console check itself works: a missing page is reported.
    client.goto(&format!("{base}/models/nobody/nothing")).await.expect("goto");
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("main h1")).await.expect("error page");
    let errors = console_errors(driver, client).await;
    assert!(errors.iter().any(|e| e.contains("404")), "a 404 must show in the console log: {errors:?}");
}

/// A priced chat request recorded for `app`.
fn usage_record(at: i64, model: &str, app: &str, cost: &str) -> UsageRecord {
    let cost: Decimal = cost.parse().expect("decimal");
    UsageRecord {
        at,
        request_id: format!("gen-{at}"),
        endpoint: Endpoint::ChatCompletions,
        model_requested: Some(model.into()),
        model: Some(model.into()),
        offer_key: None,
        provider: None,
        upstream: Some("openrouter".into()),
        streamed: false,
        status: 200,
        latency_ms: 5,
        usage: Usage { input: 1_000, output: 200, ..Usage::default() },
        cost: Some(cost),
        cost_source: CostSource::Engine,
        provider_cost: None,
        engine_cost: Some(cost),
        pricing_error: None,
        tags: UsageTags { app: Some(app.into()), ..UsageTags::default() },
    }
}

async fn count_i(client: &Client, script: &str) -> i64 {
    client.execute(script, vec![]).await.expect("script").as_i64().unwrap_or_else(|| panic!("not a number: {script}"))
}

/// Wait until the browser is at a URL starting with `prefix`.
async fn wait_for_url(client: &Client, prefix: &str) {
    for _ in 0..100 {
        if client.current_url().await.expect("url").as_str().starts_with(prefix) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {prefix}");
}

/// A form body (`application/x-www-form-urlencoded`).
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}
