//! `llmcost status`.

use super::output::{print_json, time};
use crate::store::Store;
use clap::Args;
use serde::Serialize;

/// Arguments of `llmcost status`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  llmcost status\n  llmcost status --json")]
pub struct StatusArgs {
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct StatusView<'a> {
    database: String,
    #[serde(flatten)]
    status: &'a crate::store::StoreStatus,
}

/// A database URL without its password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Run `llmcost status`.
pub async fn run(store: &dyn Store, url: &str, args: StatusArgs) -> anyhow::Result<()> {
    let status = store.status().await?;
    let database = redact_url(url);
    if args.json {
        return print_json(&StatusView { database, status: &status });
    }
    println!("database        {database}");
    println!("models          {} active, {} inactive", status.models_active, status.models_inactive);
    println!("offers          {} active, {} inactive", status.offers_active, status.offers_inactive);
    println!("price history   {} intervals", status.price_intervals);
    println!("change events   {}", status.change_events);
    match &status.last_run {
        Some(r) => println!(
            "last sync       #{} {} at {} UTC ({}){}",
            r.id,
            r.status,
            time(r.started_at),
            r.origin.as_deref().unwrap_or("-"),
            r.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
        ),
        None => println!("last sync       never (run: llmcost sync)"),
    }
    if let Some(r) = &status.last_success {
        println!("last applied    #{} at {} UTC, {} changes", r.id, time(r.started_at), r.changes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact_url("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
    }
}
