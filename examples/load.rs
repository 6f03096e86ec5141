//! A bounded (open-loop) HTTP load generator for `bench/serve.py` and `bench/proxy.py`: sends
//! requests at a fixed rate and measures each one's latency from the moment it was *due*, so a
//! stalled server cannot hide its queueing (no coordinated omission), and from the moment it
//! was actually sent. The timer wakes up to a millisecond late, so the second is the one that
//! resolves differences under a millisecond (what a proxy adds over a direct call).
//!
//!   cargo run --release --example load -- URL RATE SECONDS [POST-BODY-FILE]

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, rate, seconds) = match args.as_slice() {
        [_, url, rate, seconds, ..] => (url.clone(), rate.parse::<u64>()?, seconds.parse::<u64>()?),
        _ => return Err("usage: load URL RATE SECONDS [POST-BODY-FILE]".into()),
    };
    let body = args.get(4).map(std::fs::read).transpose()?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let total = rate * seconds;
    let period = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<(Duration, Duration), String>>();
    let start = Instant::now();
    for i in 0..total {
        let due = start + period * u32::try_from(i)?;
        tokio::time::sleep_until(due.into()).await;
        let (client, url, body, tx) = (client.clone(), url.clone(), body.clone(), tx.clone());
        tokio::spawn(async move {
            let request = match body {
                Some(b) => client.post(&url).header("content-type", "application/json").body(b),
                None => client.get(&url),
            };
            let sent = Instant::now();
            let outcome = match request.send().await {
                Ok(r) if r.status().is_success() => {
                    r.bytes().await.map(|_| (due.elapsed(), sent.elapsed())).map_err(|e| e.to_string())
                }
                Ok(r) => Err(format!("status {}", r.status())),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(outcome);
        });
    }
    drop(tx);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut service = Vec::with_capacity(total as usize);
    let mut errors = 0u64;
    while let Some(r) = rx.recv().await {
        match r {
            Ok((from_due, from_sent)) => {
                latencies.push(from_due);
                service.push(from_sent);
            }
            Err(e) => {
                if errors == 0 {
                    eprintln!("first error: {e}");
                }
                errors += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    latencies.sort();
    service.sort();
    let pct = |sorted: &[Duration], p: f64| {
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"requests\": {}, \"errors\": {errors}, \"seconds\": {:.2}, \"rate\": {:.0}, \"p50_ms\": {:.3}, \"p90_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"sent_p50_ms\": {:.3}, \"sent_p90_ms\": {:.3}, \"sent_p99_ms\": {:.3}, \"sent_max_ms\": {:.3}}}",
        latencies.len() as u64 + errors,
        elapsed.as_secs_f64(),
        (latencies.len() as u64 + errors) as f64 / elapsed.as_secs_f64(),
        pct(&latencies, 0.5),
        pct(&latencies, 0.9),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0),
        pct(&service, 0.5),
        pct(&service, 0.9),
        pct(&service, 0.99),
        pct(&service, 1.0)
    );
    Ok(())
}
