//! `llmcost sync`: history between real catalogs, no-ops, HTTP failures, the drop guard,
//! dry runs, the offline fallback and provider endpoints.

use crate::helpers::{TestApp, fixture, fixture_bytes, fixture_models};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// A listing id without its variant suffix.
fn base(id: &str) -> &str {
    let slash = id.rfind('/').map_or(0, |i| i + 1);
    id[slash..].rfind(':').map_or(id, |i| &id[..slash + i])
}

/// A pricing object as comparable text, computed independently of the crate: every
/// non-zero value at 15 significant digits (missing means zero), overrides flattened.
fn normalized_pricing(p: &Value) -> BTreeMap<String, String> {
    fn norm(v: &Value) -> Option<String> {
        let d: Decimal = v.as_str()?.parse().ok()?;
        (!d.is_zero()).then(|| d.round_sf(15).expect("rounds").normalize().to_string())
    }
    let mut out = BTreeMap::new();
    for (k, v) in p.as_object().expect("pricing object") {
        if k == "overrides" {
            for o in v.as_array().expect("overrides array") {
                let tier = format!("{}:{}-{}", o["min_prompt_tokens"], o["utc_start"], o["utc_end"]);
                for (ok, ov) in o.as_object().expect("override object") {
                    if let Some(n) =
                        norm(ov).filter(|_| !matches!(ok.as_str(), "min_prompt_tokens" | "utc_start" | "utc_end"))
                    {
                        out.insert(format!("{tier}/{ok}"), n);
                    }
                }
            }
        } else if let Some(n) = norm(v) {
            out.insert(k.clone(), n);
        }
    }
    out
}

fn subjects(report: &Value, kind: &str) -> BTreeSet<String> {
    report["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["subject"].as_str().or(e["model_id"].as_str()).expect("subject").to_string())
        .collect()
}

#[tokio::test]
async fn history_between_two_real_catalogs_matches_an_independent_diff() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-02-27.json", None).await;
    let first = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(first["status"], "succeeded");
    app.server.reset().await;
    app.serve_models("models_2026-07-17.json", None).await;
    let second = app.json(&["sync", "--no-endpoints"]).await;

    let listings = |name: &str| -> BTreeMap<String, Value> {
        fixture_models(name)
            .into_iter()
            .filter(|m| !m["id"].as_str().expect("id").starts_with('~'))
            .map(|m| (m["id"].as_str().expect("id").to_string(), m))
            .collect()
    };
    let (old, new) = (listings("models_2026-02-27.json"), listings("models_2026-07-17.json"));
    let old_ids: BTreeSet<String> = old.keys().cloned().collect();
    let new_ids: BTreeSet<String> = new.keys().cloned().collect();
    let added: BTreeSet<String> = new_ids.difference(&old_ids).cloned().collect();
    let removed: BTreeSet<String> = old_ids.difference(&new_ids).cloned().collect();
    let repriced: BTreeSet<String> = old_ids
        .intersection(&new_ids)
        .filter(|id| normalized_pricing(&old[*id]["pricing"]) != normalized_pricing(&new[*id]["pricing"]))
        .cloned()
        .collect();
    let old_bases: BTreeSet<&str> = old_ids.iter().map(|i| base(i)).collect();
    let new_bases: BTreeSet<&str> = new_ids.iter().map(|i| base(i)).collect();

    assert!(!added.is_empty() && !removed.is_empty() && !repriced.is_empty());
    assert_eq!(subjects(&second, "offer_added"), added);
    assert_eq!(subjects(&second, "offer_removed"), removed);
    assert_eq!(subjects(&second, "price_changed"), repriced);
    let to_strings = |s: BTreeSet<&str>| s.into_iter().map(str::to_string).collect::<BTreeSet<_>>();
    assert_eq!(subjects(&second, "model_added"), to_strings(new_bases.difference(&old_bases).copied().collect()));
    assert_eq!(subjects(&second, "model_removed"), to_strings(old_bases.difference(&new_bases).copied().collect()));

    // The stored change log holds exactly the reported events.
    let stored = app.json(&["changes", "--run", &second["run_id"].to_string(), "--limit", "100000"]).await;
    assert_eq!(stored.as_array().map(Vec::len), second["events"].as_array().map(Vec::len));
    // Removed models are deactivated, never deleted.
    let all = app.json(&["models", "--all"]).await;
    let inactive: BTreeSet<String> = all
        .as_array()
        .expect("array")
        .iter()
        .filter(|m| m["is_active"] == false)
        .map(|m| m["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(inactive, subjects(&second, "model_removed"));
}

#[tokio::test]
async fn resyncing_the_same_data_changes_nothing() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-07-17.json", None).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let history = [("prices", "id"), ("change_events", "id"), ("aliases", "alias")];
    let before = app.dump(&history).await;

    // Identical body: the content hash makes it a no-op.
    let again = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(again["status"], "no_change");
    // Forced through the whole diff: still no change event and no new price row.
    let forced = app.json(&["sync", "--no-endpoints", "--force"]).await;
    assert_eq!(forced["status"], "succeeded");
    assert_eq!(forced["events"].as_array().map(Vec::len), Some(0), "{}", forced["events"]);
    // Not one price interval or event was written, only `last_seen` moved.
    assert_eq!(app.dump(&history).await, before);
    let statuses: Vec<String> = app.runs().await.into_iter().map(|r| r.0).collect();
    assert_eq!(statuses, ["succeeded", "no_change", "succeeded"]);
}

#[tokio::test]
async fn the_same_price_rounded_differently_is_not_a_change() {
    let app = TestApp::new().await;
    let mut models = fixture_models("models_2026-08-08.json");
    models[0]["pricing"]["prompt"] = Value::String("0.00000008333333333333334".into());
    app.server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&models))
        .mount(&app.server)
        .await;
    app.ok(&["sync", "--no-endpoints"]).await;

    models[0]["pricing"]["prompt"] = Value::String("0.0000000833333333333333".into());
    models.reverse(); // a re-ordered list is not a change either
    app.server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&models))
        .mount(&app.server)
        .await;
    let report = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(report["status"], "succeeded", "a different body is applied");
    assert_eq!(report["events"], Value::Array(vec![]));
}

#[tokio::test]
async fn an_unchanged_upstream_costs_one_304_and_writes_only_the_run() {
    let app = TestApp::new().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .and(header("If-None-Match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .expect(1)
        .mount(&app.server)
        .await;
    app.serve_models("models_2026-07-17.json", Some("\"v1\"")).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let before = app.catalog_dump().await;
    let report = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(report["status"], "no_change");
    assert_eq!(app.catalog_dump().await, before);
    assert_eq!(app.runs().await.len(), 2);
    app.server.verify().await;
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried() {
    let app = TestApp::new().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.server)
        .await;
    app.serve_models("models_2026-07-17.json", None).await;
    let started = std::time::Instant::now();
    let report = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(report["status"], "succeeded");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "waited for Retry-After");
    let hits = app.server.received_requests().await.expect("recorded").len();
    assert_eq!(hits, 2);
}

/// Sync a good catalog, then a bad response: exit 1 with `message`, catalog unchanged,
/// the run recorded as failed.
async fn assert_bad_response_changes_nothing(bad: ResponseTemplate, message: &str) {
    let app = TestApp::new().await;
    app.serve_models("models_2026-07-17.json", None).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let before = app.catalog_dump().await;

    app.server.reset().await;
    Mock::given(method("GET")).and(path("/api/v1/models")).respond_with(bad).mount(&app.server).await;
    let out = app.llmcost(&["sync", "--no-endpoints", "--retries", "2"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(message), "expected {message:?} in: {stderr}");
    assert_eq!(app.catalog_dump().await, before, "catalog unchanged");
    let runs = app.runs().await;
    let last = runs.last().expect("a run");
    assert_eq!(last.0, "failed");
    assert!(last.2.as_deref().is_some_and(|e| e.contains(message)), "{last:?}");
}

#[tokio::test]
async fn a_persistent_500_fails_cleanly() {
    assert_bad_response_changes_nothing(
        ResponseTemplate::new(500).set_body_string("upstream exploded"),
        "HTTP 500 after 3 attempt(s)",
    )
    .await;
}

#[tokio::test]
async fn truncated_json_fails_cleanly() {
    let body = fixture_bytes("models_2026-08-08.json");
    let truncated = body[..body.len() / 2].to_vec();
    assert_bad_response_changes_nothing(
        ResponseTemplate::new(200).set_body_raw(truncated, "application/json"),
        "malformed OpenRouter response",
    )
    .await;
}

#[tokio::test]
async fn an_invalid_price_fails_cleanly_naming_the_model() {
    let mut models = fixture_models("models_2026-08-08.json");
    let id = models[2]["id"].as_str().expect("id").to_string();
    models[2]["pricing"]["completion"] = Value::String("0.00000x3".into());
    assert_bad_response_changes_nothing(
        ResponseTemplate::new(200).set_body_json(&models),
        &format!("model {id:?}: pricing.completion"),
    )
    .await;
}

#[tokio::test]
async fn the_drop_guard_refuses_a_suddenly_small_catalog() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-07-17.json", None).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let before = app.catalog_dump().await;

    for body in [fixture_models("models_2026-07-17.json")[..20].to_vec(), Vec::new()] {
        app.server.reset().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/models"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": body})))
            .mount(&app.server)
            .await;
        let out = app.llmcost(&["sync", "--no-endpoints"]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("refusing to deactivate the catalog"), "{stderr}");
        assert_eq!(app.catalog_dump().await, before);
    }
    // --force applies a real drop.
    let forced = app.json(&["sync", "--no-endpoints", "--force"]).await;
    assert_eq!(forced["status"], "succeeded");
    assert_eq!(forced["offers_removed"], 332);
}

#[tokio::test]
async fn a_dry_run_reports_changes_and_writes_nothing() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-02-27.json", None).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let before = app.catalog_dump().await;
    app.server.reset().await;
    app.serve_models("models_2026-07-17.json", None).await;
    let dry = app.json(&["sync", "--no-endpoints", "--dry-run"]).await;
    assert_eq!(dry["status"], "dry_run");
    assert!(dry["prices_changed"].as_u64().is_some_and(|n| n > 100), "{}", dry["prices_changed"]);
    assert_eq!(app.catalog_dump().await, before, "nothing written to the catalog");
    // The real sync then finds exactly what the dry run showed.
    let real = app.json(&["sync", "--no-endpoints"]).await;
    assert_eq!(real["events"], dry["events"]);
}

#[tokio::test]
async fn unreachable_network_falls_back_to_the_bundled_snapshot() {
    let app = TestApp::new().await;
    // Nothing listens on port 1.
    let out = app.llmcost(&["sync", "--openrouter-url", "http://127.0.0.1:1/api/v1"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("NETWORK UNREACHABLE"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("from snapshot"));
    assert_eq!(app.runs().await[0].1.as_deref(), Some("snapshot"));
    assert_eq!(app.count("offers").await, 403, "the 414 snapshot listings minus 11 moving aliases");

    // Once a newer catalog came from the network, the old snapshot must not roll it back.
    app.serve_models("models_2026-08-14.json", None).await;
    app.ok(&["sync", "--no-endpoints"]).await;
    let before = app.catalog_dump().await;
    let out = app.llmcost(&["sync", "--no-endpoints", "--openrouter-url", "http://127.0.0.1:1/api/v1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was changed"));
    assert_eq!(app.catalog_dump().await, before);
}

#[tokio::test]
async fn offline_uses_the_snapshot_and_resyncs_as_no_change() {
    let app = TestApp::new().await;
    let first = app.json(&["sync", "--offline"]).await;
    assert_eq!(first["origin"], "snapshot");
    assert_eq!(first["models_added"], 332);
    let second = app.json(&["sync", "--offline"]).await;
    assert_eq!(second["status"], "no_change");
}

#[tokio::test]
async fn provider_endpoints_become_offers_with_their_own_prices() {
    let app = TestApp::new().await;
    app.serve_models("models_2026-08-08.json", None).await;
    app.serve_endpoints("models_2026-08-08.json").await;
    let report = app.json(&["sync", "--concurrency", "8"]).await;
    let listings = fixture_models("models_2026-08-08.json")
        .iter()
        .filter(|m| !m["id"].as_str().unwrap_or("~").starts_with('~'))
        .count();
    assert_eq!(report["endpoints_fetched"], listings);
    assert_eq!(report["offers_seen"], listings * 3, "each listing plus two provider endpoints");

    let show = app.json(&["show", "moonshotai/kimi-k3"]).await;
    let offers = show["offers"].as_array().expect("offers");
    let dearer = offers.iter().find(|o| o["offer"]["served_by"] == "deepinfra/fp8").expect("the second provider");
    assert_eq!(dearer["offer"]["quantization"], "fp8");
    assert_eq!(dearer["offer"]["health"]["status"], -1);
    let input =
        dearer["prices"].as_array().expect("prices").iter().find(|p| p["key"]["component"] == "input").expect("input");
    let listed: Decimal = fixture_models("models_2026-08-08.json")
        .iter()
        .find(|m| m["id"] == "moonshotai/kimi-k3")
        .and_then(|m| m["pricing"]["prompt"].as_str()?.parse().ok())
        .expect("listed price");
    assert_eq!(
        input["value"]["usd"].as_str().and_then(|s| s.parse::<Decimal>().ok()),
        Some(listed * Decimal::new(11, 1))
    );

    // A re-sync of the same listing with --no-endpoints leaves the endpoint offers alone.
    let again = app.json(&["sync", "--no-endpoints", "--force"]).await;
    assert_eq!(again["offers_removed"], 0);
}

#[tokio::test]
async fn the_api_key_is_sent_but_never_printed() {
    let app = TestApp::new().await;
    let key = "sk-or-v1-test-secret-0123456789";
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .and(header("Authorization", format!("Bearer {key}").as_str()))
        .and(header("X-Title", "llmcost"))
        .respond_with(ResponseTemplate::new(500))
        .expect(2)
        .mount(&app.server)
        .await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["-vv", "sync", "--no-endpoints", "--retries", "1"])
        .env("LLMCOST_DB", app.db_url())
        .env("LLMCOST_OPENROUTER_URL", app.api_base())
        .env("OPENROUTER_API_KEY", key)
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains(key), "the key leaked: {all}");
    assert!(!app.catalog_dump().await.contains(key));
    app.server.verify().await;
}

#[tokio::test]
async fn saved_catalogs_import_in_order_and_build_history() {
    let app = TestApp::new().await;
    let old = fixture("models_2026-02-27.json");
    let new = fixture("models_2026-07-17.json");
    app.ok(&["sync", "--from-file", old.to_str().expect("path"), "--observed-at", "2026-02-27"]).await;
    app.ok(&["sync", "--from-file", new.to_str().expect("path"), "--observed-at", "2026-07-17"]).await;

    // Back in March, the catalog was the February one.
    let march = app.json(&["models", "--as-of", "2026-03-01"]).await;
    let feb_bases: BTreeSet<String> = fixture_models("models_2026-02-27.json")
        .iter()
        .map(|m| base(m["id"].as_str().expect("id")).to_string())
        .collect();
    let march_ids: BTreeSet<String> =
        march.as_array().expect("array").iter().map(|m| m["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(march_ids, feb_bases);

    // History is append-only: an earlier observation is refused.
    let out = app
        .llmcost(&["sync", "--from-file", old.to_str().expect("path"), "--observed-at", "2026-03-01", "--force"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("append-only"));
}

#[tokio::test]
async fn filters_come_from_the_config_file_and_environment() {
    let app = TestApp::new().await;
    std::fs::write(
        app.dir.path().join("llmcost.toml"),
        "[filter]\nrequire_parameters = [\"structured_outputs\", \"response_format\", \"stop\"]\ninput_modalities = [\"text\"]\noutput_modalities = [\"text\"]\nfree = \"exclude\"\n",
    )
    .expect("config written");
    app.serve_models("models_2026-08-08.json", None).await;
    let report = app.json(&["sync", "--no-endpoints"]).await;
    let tracked = report["models_seen"].as_u64().expect("count");
    assert!(tracked > 20 && tracked < 300, "{tracked}");
    let models = app.json(&["models"]).await;
    for m in models.as_array().expect("array") {
        assert_eq!(m["input_modalities"], serde_json::json!(["text"]), "{}", m["id"]);
        assert!(m["supported_parameters"].as_array().is_some_and(|p| p.iter().any(|x| x == "structured_outputs")));
        assert_eq!(m["free"], false);
    }
    // A nested setting from the environment: an impossible drop-guard ratio is a usage error.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["sync", "--no-endpoints"])
        .env("LLMCOST_DB", app.db_url())
        .env("LLMCOST_OPENROUTER_URL", app.api_base())
        .env("LLMCOST_SYNC__MIN_RATIO", "3")
        .current_dir(app.dir.path())
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn all_modalities_includes_media_models() {
    let app = TestApp::new().await;
    let report = app.json(&["sync", "--offline", "--all-modalities"]).await;
    let listings = crate::helpers::fixture_models("models_all-modalities_2026-08-14.json")
        .iter()
        .filter(|m| !m["id"].as_str().unwrap_or("~").starts_with('~'))
        .count();
    assert_eq!(report["offers_seen"], listings);
    let video = app.json(&["models", "--output", "video"]).await;
    assert!(!video.as_array().expect("array").is_empty());
    assert!(
        video.as_array().expect("array").iter().all(|m| m["free"] == false),
        "zero-priced video models are not free"
    );
}

#[tokio::test]
async fn a_slow_upstream_times_out_and_fails_cleanly() {
    let app = TestApp::new().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture_bytes("models_2026-08-08.json"), "application/json")
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&app.server)
        .await;
    let out = app.llmcost(&["sync", "--no-endpoints", "--timeout", "1", "--retries", "1"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("timed out after 2 attempt(s)"), "{stderr}");
    assert_eq!(app.count("models").await, 0);
}
