//! A bounded (open-loop) HTTP load generator for `bench/serve.py` and `bench/proxy.py`: sends
//! requests at a fixed rate and measures each one's latency from the moment it was *due*, so a
//! stalled server cannot hide its queueing (no coordinated omission), and from the moment it
//! was actually sent. The timer wakes up to a millisecond late, so the second is the one that
//! resolves differences under a millisecond (what a proxy adds over a direct call).
//!
//! Several URLs (comma-separated) are loaded at the same time, each at RATE, their requests
//! interleaved one by one (evenly offset): every target then meets the same moments of the
//! host's noise, which on a shared VM swings by more than the differences being measured.
//! One JSON line per URL, in the order given.
//!
//!   cargo run --release --example load -- URL[,URL…] RATE SECONDS [POST-BODY-FILE]

use std::time::{Duration, Instant};

/// Latencies of one target's successful requests, and its failures.
#[derive(Default)]
struct Outcomes {
    from_due: Vec<Duration>,
    from_sent: Vec<Duration>,
    errors: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (urls, rate, seconds) = match args.as_slice() {
        [_, urls, rate, seconds, ..] => {
            (urls.split(',').map(str::to_string).collect::<Vec<_>>(), rate.parse::<u64>()?, seconds.parse::<u64>()?)
        }
        _ => return Err("usage: load URL[,URL…] RATE SECONDS [POST-BODY-FILE]".into()),
    };
    let body = args.get(4).map(std::fs::read).transpose()?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let total = rate * seconds * urls.len() as u64;
    let period = Duration::from_nanos(1_000_000_000 / (rate.max(1) * urls.len() as u64));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Result<(Duration, Duration), String>)>();
    let start = Instant::now();
    for i in 0..total {
        let due = start + period * u32::try_from(i)?;
        tokio::time::sleep_until(due.into()).await;
        let target = (i % urls.len() as u64) as usize;
        let (client, url, body, tx) = (client.clone(), urls[target].clone(), body.clone(), tx.clone());
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
            let _ = tx.send((target, outcome));
        });
    }
    drop(tx);
    let mut outcomes: Vec<Outcomes> = urls.iter().map(|_| Outcomes::default()).collect();
    while let Some((target, r)) = rx.recv().await {
        let o = &mut outcomes[target];
        match r {
            Ok((from_due, from_sent)) => {
                o.from_due.push(from_due);
                o.from_sent.push(from_sent);
            }
            Err(e) => {
                if o.errors == 0 {
                    eprintln!("first error from {}: {e}", urls[target]);
                }
                o.errors += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    for (url, mut o) in urls.iter().zip(outcomes) {
        o.from_due.sort();
        o.from_sent.sort();
        let requests = o.from_due.len() as u64 + o.errors;
        println!(
            "{{\"url\": {url:?}, \"requests\": {requests}, \"errors\": {}, \"seconds\": {:.2}, \"rate\": {:.0}, \"p50_ms\": {:.3}, \"p90_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"sent_p50_ms\": {:.3}, \"sent_p90_ms\": {:.3}, \"sent_p99_ms\": {:.3}, \"sent_max_ms\": {:.3}}}",
            o.errors,
            elapsed.as_secs_f64(),
            requests as f64 / elapsed.as_secs_f64(),
            percentile(&o.from_due, 0.5),
            percentile(&o.from_due, 0.9),
            percentile(&o.from_due, 0.99),
            percentile(&o.from_due, 1.0),
            percentile(&o.from_sent, 0.5),
            percentile(&o.from_sent, 0.9),
            percentile(&o.from_sent, 0.99),
            percentile(&o.from_sent, 1.0)
        );
    }
    Ok(())
}
