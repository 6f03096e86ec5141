//! `llmcost serve` as a process: it binds, answers, logs JSON when asked, and shuts down
//! cleanly on SIGTERM.

use crate::helpers::TestApp;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn serve_answers_logs_json_and_stops_on_sigterm() {
    let app = TestApp::new().await;
    app.ok(&["sync", "--offline"]).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["serve", "--bind", "127.0.0.1:0", "--no-scheduler", "--log-format", "json", "-v"])
        .env("LLMCOST_DB", app.db_url())
        .env("LLMCOST_ADMIN_TOKEN", "a-long-enough-admin-token")
        .env_remove("LLMCOST_CONFIG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut address = None;
    let mut json_lines = 0;
    while let Some(line) = lines.next_line().await.expect("read") {
        if let Some(a) = line.strip_prefix("llmcost serving on ") {
            address = Some(a.to_string());
            break;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{v}");
        json_lines += 1;
    }
    let address = address.expect("serve printed its address");
    assert!(json_lines >= 1, "info logs came as JSON");
    let health = reqwest::get(format!("{address}/healthz")).await.expect("request");
    assert_eq!(health.status(), 200);
    let models: serde_json::Value =
        reqwest::get(format!("{address}/api/v1/models?limit=1")).await.expect("request").json().await.expect("json");
    assert!(models["total"].as_u64().expect("total") > 300);

    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status =
        tokio::time::timeout(std::time::Duration::from_secs(20), child.wait()).await.expect("stops").expect("wait");
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let rest: Vec<String> = {
        let mut v = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            v.push(l);
        }
        v
    };
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
}
