//! Change alerts end to end: the real binary syncing saved catalogs, with webhook receivers
//! on the test's mock server; `llmcost alerts test`.

use crate::helpers::{TestApp, fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

/// The part of every webhook URL that must never be shown.
const TOKEN: &str = "SECRET-TOKEN-4711";

fn hook_path(name: &str) -> String {
    format!("/hooks/{name}/{TOKEN}")
}

/// Write a config with the given `[[alerts.webhooks]]` (name, path on the mock, format, extra
/// TOML lines) and fast retries; returns its path.
fn write_config(app: &TestApp, hooks: &[(&str, &str, &str)]) -> PathBuf {
    let mut toml = String::from("[alerts]\ntimeout_secs = 5\nretries = 2\nbackoff_ms = 10\n");
    for (name, format, extra) in hooks {
        toml.push_str(&format!(
            "\n[[alerts.webhooks]]\nname = \"{name}\"\nurl = \"{}{}\"\nformat = \"{format}\"\n{extra}\n",
            app.server.uri(),
            hook_path(name)
        ));
    }
    let file = app.dir.path().join("alerts.toml");
    std::fs::write(&file, toml).expect("write config");
    file
}

async fn receive(app: &TestApp, name: &str, status: u16) {
    Mock::given(method("POST"))
        .and(path(hook_path(name)))
        .respond_with(ResponseTemplate::new(status).set_body_string(if status == 200 { "ok" } else { "nope" }))
        .mount(&app.server)
        .await;
}

/// The JSON bodies a receiver got, in order.
async fn received(app: &TestApp, name: &str) -> Vec<Value> {
    app.server
        .received_requests()
        .await
        .expect("recording")
        .iter()
        .filter(|r| r.url.path() == hook_path(name))
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

/// Run the binary with the config; stdout and stderr never show the webhook's token.
async fn run(app: &TestApp, config: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--config", config.to_str().expect("path")];
    all.extend_from_slice(args);
    let out = app.llmcost(&all).await;
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!shown.contains(TOKEN) && !shown.contains("/hooks/"), "the webhook URL leaked:\n{shown}");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sync_file<'a>(file: &'a str, date: &'a str) -> Vec<&'a str> {
    vec!["sync", "--from-file", file, "--observed-at", date]
}

#[tokio::test]
async fn a_sync_alerts_on_price_changes_and_added_and_removed_models() {
    let app = TestApp::new().await;
    receive(&app, "ops", 200).await;
    receive(&app, "slack", 200).await;
    let config = write_config(
        &app,
        &[("ops", "json", ""), ("slack", "slack", "events = [\"price_change\", \"removed_model\", \"sync_failed\"]")],
    );
    let july = fixture("models_2026-07-17.json");
    let august = fixture("models_2026-08-14.json");
    let (july, august) = (july.to_str().expect("path"), august.to_str().expect("path"));

    let first = run(&app, &config, &sync_file(july, "2026-07-17")).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let initial = received(&app, "ops").await;
    assert_eq!(initial.len(), 1, "the first import announces its models");
    assert_eq!(initial[0]["counts"]["price_change"], 0);
    assert!(received(&app, "slack").await.is_empty(), "slack takes no new models");

    // A dry run changes nothing, so it alerts nobody.
    let dry = run(&app, &config, &[&sync_file(august, "2026-08-01")[..], &["--dry-run"]].concat()).await;
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert_eq!(received(&app, "ops").await.len(), 1);

    let second = run(&app, &config, &[&sync_file(august, "2026-08-14")[..], &["--json"]].concat()).await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(!text(&second.stderr).contains("not delivered"), "{}", text(&second.stderr));
    let report: Value = serde_json::from_slice(&second.stdout).expect("the report alone on stdout");
    let events = report["events"].as_array().expect("events");
    let expected = |kind: &str, alert_only: bool| -> Vec<String> {
        let mut v: Vec<String> = events
            .iter()
            .filter(|e| e["kind"] == kind && (!alert_only || e["is_alert"] == true))
            .map(|e| format!("{} {} {} {}", e["model_id"], e["price_key"], e["old_value"], e["new_value"]))
            .collect();
        v.sort();
        v
    };
    let (prices, added, removed) =
        (expected("price_changed", true), expected("model_added", false), expected("model_removed", false));
    assert!(!prices.is_empty() && !added.is_empty() && !removed.is_empty(), "the fixtures hold every kind");

    let ops = received(&app, "ops").await;
    assert_eq!(ops.len(), 2, "one batch per sync");
    let body = &ops[1];
    assert_eq!((body["event"].clone(), body["test"].clone()), ("llmcost.alerts".into(), false.into()));
    assert_eq!((body["source"].clone(), body["run_id"].clone()), ("openrouter".into(), report["run_id"].clone()));
    let alerts = body["alerts"].as_array().expect("alerts");
    let got = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = alerts
            .iter()
            .filter(|a| a["kind"] == kind)
            .map(|a| match kind {
                "price_change" => format!("{} {} {} {}", a["model_id"], a["price"], a["old"], a["new"]),
                "new_model" => format!("{} null null {}", a["model_id"], a["name"]),
                _ => format!("{} null null null", a["model_id"]),
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(got("price_change"), prices);
    assert_eq!(got("new_model"), added);
    assert_eq!(got("removed_model"), removed);
    assert_eq!(body["counts"]["price_change"], prices.len());
    assert_eq!(alerts.len(), prices.len() + added.len() + removed.len());
    assert!(
        alerts.iter().filter(|a| a["kind"] == "price_change").all(|a| a["old"].is_string() || a["old"].is_null()),
        "prices are strings, never numbers"
    );

    let slack = received(&app, "slack").await;
    assert_eq!(slack.len(), 1, "the first sync had nothing for slack");
    let message = slack[0]["text"].as_str().expect("text");
    let headline = format!(
        "*llmcost* openrouter sync #{}: {} price alert{}, {} removed model",
        report["run_id"],
        prices.len(),
        if prices.len() == 1 { "" } else { "s" },
        removed.len()
    );
    assert!(message.starts_with(&headline), "{message}");
    assert!(!message.contains(":new:"), "{message}");
}

#[tokio::test]
async fn a_failing_webhook_never_fails_the_sync() {
    let app = TestApp::new().await;
    receive(&app, "down", 503).await;
    let config = write_config(&app, &[("down", "slack", "")]);
    let july = fixture("models_2026-07-17.json");

    let out = run(&app, &config, &sync_file(july.to_str().expect("path"), "2026-07-17")).await;
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), text(&out.stderr));
    assert!(text(&out.stdout).contains("openrouter sync #1 succeeded"), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning:") && stderr.contains("not delivered to down (http://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("after 3 attempt(s): HTTP 503"), "{stderr}");
    assert_eq!(received(&app, "down").await.len(), 3, "the first attempt and two retries");
    assert_eq!(app.runs().await, [("succeeded".to_string(), Some("file".to_string()), None)]);
    assert!(app.count("models").await > 300, "the catalog was applied");

    // --quiet: not a word about it.
    let august = fixture("models_2026-08-14.json");
    let quiet =
        run(&app, &config, &[&sync_file(august.to_str().expect("path"), "2026-08-14")[..], &["--quiet"]].concat())
            .await;
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));

    // An unusable webhook setting disables alerts; the sync goes on.
    std::fs::write(&config, "[[alerts.webhooks]]\nurl = \"mailto:ops@example.com\"\nname = \"mail\"\n").expect("write");
    let out = run(&app, &config, &["sync", "--offline", "--force", "--dry-run"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning: alerts disabled: webhook mail: the url is not"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_failed_sync_sends_a_sync_failed_alert() {
    let app = TestApp::new().await;
    receive(&app, "ops", 200).await;
    let config = write_config(&app, &[("ops", "json", "")]);
    let broken = app.dir.path().join("broken.json");
    std::fs::write(&broken, b"{\"data\": [{\"id\": ").expect("write");

    let out = run(&app, &config, &["sync", "--from-file", broken.to_str().expect("path")]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("malformed OpenRouter response"), "{}", text(&out.stderr));
    let bodies = received(&app, "ops").await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["counts"]["sync_failed"], 1);
    let alert = &bodies[0]["alerts"][0];
    assert_eq!((alert["kind"].clone(), alert["source"].clone()), ("sync_failed".into(), "openrouter".into()));
    assert!(alert["error"].as_str().is_some_and(|e| e.contains("malformed OpenRouter response")), "{alert}");
}

#[tokio::test]
async fn alerts_test_reports_each_target() {
    let app = TestApp::new().await;
    receive(&app, "slack", 200).await;
    receive(&app, "broken", 400).await;
    let config = write_config(&app, &[("slack", "slack", ""), ("broken", "json", "")]);

    let out = run(&app, &config, &["alerts", "test"]).await;
    assert_eq!(out.status.code(), Some(1), "one target failed");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("delivered  slack (http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("failed     broken (http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("HTTP 400: nope (1 attempt)"), "{stdout}");
    assert!(text(&out.stderr).contains("1 of 2 webhooks failed"), "{}", text(&out.stderr));
    let slack = received(&app, "slack").await;
    let message = slack[0]["text"].as_str().expect("text");
    assert!(message.starts_with(":test_tube: *TEST*"), "{message}");
    assert!(
        message.contains("\n*llmcost* openrouter sync: 1 failure, 1 price alert, 1 removed model, 1 new model\n"),
        "{message}"
    );
    assert_eq!(received(&app, "broken").await[0]["test"], true);

    let one = run(&app, &config, &["alerts", "test", "--target", "slack", "--json"]).await;
    assert!(one.status.success(), "{}", text(&one.stderr));
    let outcome: Value = serde_json::from_slice(&one.stdout).expect("JSON");
    assert_eq!(outcome["deliveries"].as_array().map(Vec::len), Some(1));
    assert_eq!(outcome["deliveries"][0]["delivered"], true);
    assert_eq!(outcome["deliveries"][0]["alerts"], 4);

    let unknown = run(&app, &config, &["alerts", "test", "--target", "nope"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no webhook named \"nope\""), "{}", text(&unknown.stderr));

    std::fs::write(&config, "[alerts]\nretries = 1\n").expect("write");
    let none = run(&app, &config, &["alerts", "test"]).await;
    assert_eq!(none.status.code(), Some(2), "no targets is a usage error");
    assert!(text(&none.stderr).contains("no webhooks configured"), "{}", text(&none.stderr));
}

#[tokio::test]
async fn no_webhooks_no_requests() {
    let app = TestApp::new().await;
    Mock::given(path_regex("^/hooks/")).respond_with(ResponseTemplate::new(200)).mount(&app.server).await;
    let july = fixture("models_2026-07-17.json");
    app.ok(&sync_file(july.to_str().expect("path"), "2026-07-17")).await;
    assert!(app.server.received_requests().await.expect("recording").is_empty());
}
