//! Output helpers shared by the subcommands: tables, money and times for humans.

use crate::domain::{Component, PriceValue, Unit, UnixMs, per_million};
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use std::io::Write;

/// A table in the house style.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    t
}

/// Print a value as pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// A price for humans: per million tokens for token components, per unit otherwise.
pub fn price(component: Component, v: Option<PriceValue>) -> String {
    match v {
        None => "-".into(),
        Some(PriceValue::Variable) => "variable".into(),
        Some(PriceValue::Fixed(d)) => match component.unit() {
            Unit::Token => format!("${}", per_million(d)),
            unit => format!("${}/{}", d.normalize(), unit.as_str()),
        },
    }
}

/// A unix-ms time for humans (UTC).
pub fn time(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// A unix-seconds date for humans.
pub fn date_secs(secs: Option<i64>) -> String {
    secs.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into())
}

/// An optional number for humans.
pub fn num(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), |n| n.to_string())
}

/// The current time in unix ms.
pub fn now() -> UnixMs {
    jiff::Timestamp::now().as_millisecond()
}

/// Parse `--since`, reporting a usage error.
pub fn since(raw: Option<&str>) -> anyhow::Result<Option<UnixMs>> {
    raw.map(|s| crate::domain::parse_since(s, now()).map_err(|e| super::UsageError(format!("--since: {e}")).into()))
        .transpose()
}

/// Parse a duration flag (`90s`, `5m`, `1h 30m`, ISO 8601 `PT5M`, or plain seconds),
/// reporting a usage error. It must be positive.
pub fn duration_arg(flag: &str, raw: &str) -> anyhow::Result<std::time::Duration> {
    crate::domain::parse_duration(raw).map_err(|e| super::UsageError(format!("{flag} {e}")).into())
}

/// Parse a time flag, reporting a usage error.
pub fn time_arg(flag: &str, raw: Option<&str>) -> anyhow::Result<Option<UnixMs>> {
    raw.map(|s| crate::domain::parse_time(s).map_err(|e| super::UsageError(format!("{flag}: {e}")).into())).transpose()
}
