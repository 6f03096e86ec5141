//! Alerts from reports, per-target filtering, and both body formats.

use super::*;
use crate::domain::RunOrigin;
use rust_decimal::dec;
use serde_json::json;

fn price_event(model: &str, key: &str, old: &str, new: &str, percent: Option<Decimal>, alert: bool) -> ChangeEvent {
    ChangeEvent {
        offer_key: Some(format!("openrouter|openrouter|{model}|")),
        subject: Some(model.to_string()),
        price_key: Some(key.to_string()),
        old_value: Some(old.to_string()),
        new_value: Some(new.to_string()),
        percent,
        is_alert: alert,
        ..ChangeEvent::about_model(ChangeKind::PriceChanged, model)
    }
}

fn report(status: RunStatus, events: Vec<ChangeEvent>) -> SyncReport {
    SyncReport {
        run_id: Some(7),
        source: "openrouter".into(),
        status,
        origin: RunOrigin::File,
        fallback_reason: None,
        // 2026-08-14T00:00:00Z
        at: 1_786_665_600_000,
        models_seen: 0,
        offers_seen: 0,
        endpoints_fetched: 0,
        models_added: 0,
        models_removed: 0,
        models_reactivated: 0,
        offers_added: 0,
        offers_removed: 0,
        prices_changed: 0,
        alerts: 0,
        duration_ms: 0,
        abandoned_runs: Vec::new(),
        skipped_reason: None,
        events,
    }
}

fn events() -> Vec<ChangeEvent> {
    let mut endpoint = price_event("deepseek/v4", "output", "0.0000011", "0.000002", Some(dec!(81.82)), true);
    endpoint.offer_key = Some("openrouter|openrouter|deepseek/v4|deepinfra/fp8".into());
    endpoint.subject = Some("deepseek/v4 @ deepinfra/fp8".into());
    vec![
        ChangeEvent {
            new_value: Some("Acme: Fresh".into()),
            ..ChangeEvent::about_model(ChangeKind::ModelAdded, "acme/fresh")
        },
        price_event("deepseek/v4", "input", "0.000000098", "0.00000014", Some(dec!(42.86)), true),
        price_event("deepseek/v4", "cache_read", "0.00000001", "0.000000011", Some(dec!(10)), false),
        ChangeEvent::about_model(ChangeKind::ModelRemoved, "old/gone"),
        ChangeEvent::about_model(ChangeKind::OfferAdded, "acme/fresh"),
        ChangeEvent::about_model(ChangeKind::ModelReactivated, "back/again"),
        endpoint,
    ]
}

#[test]
fn a_report_yields_alert_price_changes_and_added_and_removed_models_only() {
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, events()));
    let kinds: Vec<AlertKind> = alerts.iter().map(Alert::kind).collect();
    assert_eq!(
        kinds,
        [AlertKind::PriceChange, AlertKind::PriceChange, AlertKind::RemovedModel, AlertKind::NewModel],
        "the 10% change is below the threshold; offer and reactivation events are no alerts"
    );
    assert!(alerts.iter().all(|a| a.source == "openrouter" && a.run_id == Some(7) && !a.test));
    assert_eq!(alerts[0].at.to_string(), "2026-08-14T00:00:00Z");
    match &alerts[1].event {
        AlertEvent::PriceChange { seller, provider, component, unit, listing, .. } => {
            assert_eq!(seller.as_deref(), Some("openrouter"));
            assert_eq!(provider.as_deref(), Some("deepinfra/fp8"));
            assert_eq!((component.as_str(), unit.as_deref()), ("output", Some("token")));
            assert_eq!(listing.as_deref(), Some("deepseek/v4 @ deepinfra/fp8"));
        }
        other => panic!("expected a price change, got {other:?}"),
    }
}

#[test]
fn only_applied_syncs_alert() {
    for status in [RunStatus::DryRun, RunStatus::NoChange, RunStatus::Skipped, RunStatus::Failed] {
        assert!(alerts_from_report(&report(status, events())).is_empty(), "{status:?}");
    }
}

#[test]
fn the_json_body_is_complete_and_exact() {
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, events()));
    let body = json_body(&alerts);
    assert_eq!(body["event"], "llmcost.alerts");
    assert_eq!(body["version"], 1);
    assert_eq!(body["test"], false);
    assert_eq!(body["source"], "openrouter");
    assert_eq!(body["run_id"], 7);
    assert_eq!(body["counts"], json!({"price_change": 2, "new_model": 1, "removed_model": 1, "sync_failed": 0}));
    assert_eq!(
        body["alerts"][0],
        json!({
            "kind": "price_change",
            "model_id": "deepseek/v4",
            "listing": "deepseek/v4",
            "seller": "openrouter",
            "provider": null,
            "price": "input",
            "component": "input",
            "unit": "token",
            "old": "0.000000098",
            "new": "0.00000014",
            "percent": "42.86",
            "source": "openrouter",
            "run_id": 7,
            "at": "2026-08-14T00:00:00Z",
            "test": false,
        })
    );
    assert_eq!(body["alerts"][2]["kind"], "removed_model");
    assert_eq!(body["alerts"][3], {
        let mut a = json!({"kind": "new_model", "model_id": "acme/fresh", "name": "Acme: Fresh"});
        for (k, v) in [("source", json!("openrouter")), ("run_id", json!(7)), ("at", json!("2026-08-14T00:00:00Z"))] {
            a[k] = v;
        }
        a["test"] = json!(false);
        a
    });
    // No float anywhere: every number in an alert is a count or an id.
    let text = body.to_string();
    assert!(!text.contains("1.4e") && !text.contains(":42.86"), "{text}");
}

#[test]
fn mixed_batches_have_no_common_source() {
    let mut alerts = alerts_from_report(&report(RunStatus::Succeeded, events()));
    alerts.push(Alert::sync_failed("litellm", "litellm: bad JSON"));
    let body = json_body(&alerts);
    assert_eq!((body["source"].clone(), body["run_id"].clone()), (json!(null), json!(null)));
    assert_eq!(body["alerts"][4], {
        let mut a = json!({"kind": "sync_failed", "error": "litellm: bad JSON", "source": "litellm", "run_id": null});
        a["at"] = body["alerts"][4]["at"].clone();
        a["test"] = json!(false);
        a
    });
}

#[test]
fn slack_text_lists_alerts_in_mrkdwn() {
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, events()));
    let body = slack_body(&alerts, 20);
    let text = body["text"].as_str().expect("text");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "only text");
    assert_eq!(
        text,
        "*llmcost* openrouter sync #7: 2 price alerts, 1 removed model, 1 new model\n\
         • :chart_with_upwards_trend: `deepseek/v4` input $0.098 → $0.14 per 1M tokens (+42.86%)\n\
         • :chart_with_upwards_trend: `deepseek/v4 @ deepinfra/fp8` output $1.1 → $2 per 1M tokens (+81.82%)\n\
         • :x: removed `old/gone`\n\
         • :new: `acme/fresh` Acme: Fresh"
    );
}

#[test]
fn slack_text_is_truncated_past_max_listed() {
    let many: Vec<ChangeEvent> =
        (0..25).map(|i| ChangeEvent::about_model(ChangeKind::ModelAdded, &format!("acme/m{i:02}"))).collect();
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, many));
    let text = slack_body(&alerts, 20)["text"].as_str().expect("text").to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 20 + 1, "{text}");
    assert_eq!(lines[0], "*llmcost* openrouter sync #7: 25 new models");
    assert_eq!(lines[20], "• :new: `acme/m19`");
    assert_eq!(lines[21], "… and 5 more: `llmcost changes --run 7`");
}

#[test]
fn slack_text_escapes_and_marks_tests_and_failures() {
    let mut alerts = Alert::samples();
    alerts.push(Alert {
        event: AlertEvent::NewModel { model_id: "a/b".into(), name: Some("A <b> & c".into()) },
        ..alerts[0].clone()
    });
    let text = slack_body(&alerts, 20)["text"].as_str().expect("text").to_string();
    assert!(text.starts_with(":test_tube: *TEST*"), "{text}");
    assert!(text.contains("A &lt;b&gt; &amp; c"), "{text}");
    assert!(text.contains(":rotating_light: *openrouter sync failed*: sample failure"), "{text}");
    assert!(text.contains("input $1 → $1.5 per 1M tokens (+50%)"), "{text}");
    assert_eq!(json_body(&alerts)["test"], true);
}

#[test]
fn price_changes_to_or_from_nothing_and_variable_read_plainly() {
    let mut gone = price_event("x/y", "web_search", "0.01", "", None, true);
    gone.new_value = None;
    let variable = price_event("x/y", "output", "0.000002", "variable", None, true);
    let drop = price_event("x/y", "image_input", "0.04", "0.01", Some(dec!(-75)), true);
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, vec![gone, variable, drop]));
    let text = slack_body(&alerts, 20)["text"].as_str().expect("text").to_string();
    assert!(text.contains(":warning: `x/y` web_search $0.01 → none per search\n"), "{text}");
    assert!(text.contains(":warning: `x/y` output $2 → variable per 1M tokens\n"), "{text}");
    assert!(text.ends_with(":chart_with_downwards_trend: `x/y` image_input $0.04 → $0.01 per image (-75%)"), "{text}");
    assert_eq!(json_body(&alerts)["alerts"][0]["new"], json!(null));
}

#[test]
fn targets_receive_only_the_kinds_they_ask_for() {
    let alerts = alerts_from_report(&report(RunStatus::Succeeded, events()));
    let url = Secret::new("https://hooks.example.com/T/B/secret".into()).expect("url");
    let mut target = WebhookTarget::new(url, WebhookFormat::Json);
    assert_eq!(target.select(&alerts).len(), 4, "all kinds by default");
    target.events = vec![AlertKind::RemovedModel, AlertKind::SyncFailed];
    let picked: Vec<AlertKind> = target.select(&alerts).iter().map(Alert::kind).collect();
    assert_eq!(picked, [AlertKind::RemovedModel]);
    target.events.clear();
    assert!(target.select(&alerts).is_empty(), "[] mutes a target");
}

#[test]
fn settings_read_from_toml_and_never_print_the_url() {
    let toml = r#"
        [alerts]
        retries = 2
        [[alerts.webhooks]]
        name = "slack"
        url = "https://hooks.slack.com/services/T000/B000/XXXX"
        format = "slack"
        events = ["price_change", "model_removed", "sync_failed"]
        [[alerts.webhooks]]
        url = "https://ops.example.com/hooks/llmcost?key=abc"
    "#;
    let settings: crate::config::Settings =
        figment::Figment::from(figment::providers::Serialized::defaults(crate::config::Settings::default()))
            .merge(<figment::providers::Toml as figment::providers::Format>::string(toml))
            .extract()
            .expect("valid");
    let a = &settings.alerts;
    assert_eq!((a.retries, a.timeout_secs, a.max_listed), (2, 10, 20));
    assert_eq!(a.webhooks[0].format, WebhookFormat::Slack);
    assert_eq!(a.webhooks[0].events, [AlertKind::PriceChange, AlertKind::RemovedModel, AlertKind::SyncFailed]);
    assert_eq!(a.webhooks[1].format, WebhookFormat::Json);
    assert_eq!(a.webhooks[1].events, AlertKind::all());
    assert_eq!(a.webhooks[0].label(), "slack (https://hooks.slack.com)");
    assert_eq!(a.webhooks[1].label(), "https://ops.example.com");
    let shown = format!("{settings:?} {}", serde_json::to_string(&settings).expect("serializes"));
    assert!(!shown.contains("XXXX") && !shown.contains("key=abc") && !shown.contains("/hooks/"), "{shown}");
}

#[test]
fn lease_contention_is_no_failure_to_alert_on() {
    use crate::sync::SyncError;
    let locked = SyncError::Locked { holder: "h:1".into(), since: "t".into(), expires_at: "t".into() };
    assert!(!is_alert_failure(&locked));
    let input = SyncError::Input { path: "x.json".into(), reason: "not found".into() };
    assert!(is_alert_failure(&input));
    let alert = Alert::sync_failed("litellm", &input.to_string());
    assert_eq!((alert.kind(), alert.source.as_str(), alert.run_id), (AlertKind::SyncFailed, "litellm", None));
}
