//! `llmcost export`: the catalog into an application's own table.

use super::UsageError;
use super::output::{print_json, time_arg};
use crate::config::{Secret, Settings};
use crate::domain::UnixMs;
use crate::export::{self, Cell, ExportReport};
use crate::store::Store;
use clap::Args;

const EXAMPLES: &str = "\
Examples:
  llmcost export --to postgres://app@db/app              # upsert into llm_models
  llmcost export --to sqlite:app.db --table models --dry-run
  llmcost export --to postgres://app@db/app --as-of 2026-08-01   # roll the table back
  llmcost sync --export                                  # sync, then export ([export] to = …)

The table is created when absent (model_id, display_name, cost_per_million_input,
cost_per_million_output, context_window, capabilities, is_active, is_default). Only the
mapped columns are written: is_default and any column the application added are never
touched. Rows whose model is no longer exported are deactivated, never deleted.
Column names and the filter come from the [export] section of the config file.";

/// Where to export: the flags shared by `export` and `sync --export`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The application's database (postgres://… or sqlite:PATH); default: [export] to.
    #[arg(long = "to", env = "LLMCOST_EXPORT_TO", value_name = "URL", hide_env_values = true)]
    pub to: Option<String>,
    /// The table (name or schema.name); default: [export] table, else llm_models.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
}

/// Arguments of `llmcost export`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXAMPLES)]
pub struct ExportArgs {
    /// Where.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Export the catalog as it was at this time (RFC 3339, date, unix seconds, or 7d).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Export with settings from the config and flags.
pub async fn export_to(
    store: &dyn Store,
    settings: &Settings,
    target: &TargetArgs,
    as_of: Option<UnixMs>,
    dry_run: bool,
) -> anyhow::Result<ExportReport> {
    let mut export_settings = settings.export.clone();
    if let Some(table) = &target.table {
        export_settings.table = table.clone();
    }
    let url = target.to.clone().and_then(Secret::new).or_else(|| export_settings.to.clone()).ok_or_else(|| {
        UsageError("no export target: pass --to URL, set LLMCOST_EXPORT_TO, or [export] to in the config".into())
    })?;
    Ok(export::run(store, url.expose(), &export_settings, as_of, dry_run).await?)
}

/// Run `llmcost export`.
pub async fn run(store: &dyn Store, settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let as_of = time_arg("--as-of", args.as_of.as_deref())?;
    let report = export_to(store, settings, &args.target, as_of, args.dry_run).await?;
    if args.json { print_json(&report) } else { print_report(&report) }
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(Some(t)) => t.clone(),
        Cell::Money(Some(d)) => d.to_string(),
        Cell::Int(Some(i)) => i.to_string(),
        Cell::Json(v) => v.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(None) | Cell::Money(None) | Cell::Int(None) => "NULL".into(),
    }
}

/// Rows listed per kind of change; `--json` has them all.
const LISTED: usize = 25;

/// Print an export's summary and its changes.
pub fn print_report(r: &ExportReport) -> anyhow::Result<()> {
    let p = &r.plan;
    let (verb, insert, update, deactivate) = if r.dry_run {
        ("would export", "would insert", "would update", "would deactivate")
    } else {
        ("exported", "inserted", "updated", "deactivated")
    };
    let when = r.as_of.map(|t| format!(" as of {}", super::output::time(t))).unwrap_or_default();
    let created = match (r.created_table, r.dry_run) {
        (true, true) => " (table would be created)",
        (true, false) => " (table created)",
        _ => "",
    };
    println!(
        "{verb} {} models{when} to {}{created}: {} {insert}, {} {update}, {} {deactivate}, {} unchanged",
        r.exported,
        r.table,
        p.inserts.len(),
        p.updates.len(),
        p.deactivations.len(),
        p.unchanged
    );
    for row in p.inserts.iter().take(LISTED) {
        println!("  + {}", row.model_id);
    }
    for u in p.updates.iter().take(LISTED) {
        let changes: Vec<String> =
            u.changes.iter().map(|c| format!("{} {} → {}", c.column, cell(&c.old), cell(&c.new))).collect();
        println!("  ~ {}: {}", u.model_id, changes.join("; "));
    }
    for id in p.deactivations.iter().take(LISTED) {
        println!("  - {id}");
    }
    let hidden = p.inserts.len().saturating_sub(LISTED)
        + p.updates.len().saturating_sub(LISTED)
        + p.deactivations.len().saturating_sub(LISTED);
    if hidden > 0 {
        println!("  … and {hidden} more (use --json to see all)");
    }
    Ok(())
}
