//! Display rules of the dashboard: exact prices from `Decimal` (never through floats), dates,
//! durations and counts.

use crate::domain::{Component, PriceValue, Unit, UnixMs, per_million};
use rust_decimal::Decimal;

/// A per-token price as USD per million tokens (`$2.5`), exactly; `variable` when not fixed.
pub fn per_million_usd(value: Option<PriceValue>) -> String {
    match value {
        Some(PriceValue::Fixed(d)) => usd(per_million(d)),
        Some(PriceValue::Variable) => "variable".into(),
        None => "—".into(),
    }
}

/// An axis tick of a server-rendered chart: where (SVG units) and what it says.
pub struct Tick {
    /// Position along its axis.
    pub pos: String,
    /// The label.
    pub label: String,
}

/// An SVG coordinate, to a tenth of a unit.
pub fn coord(v: f64) -> String {
    format!("{v:.1}")
}

/// An exact amount in USD: `$0`, `$2.5`, `$0.000075` (no trailing zeros, never rounded).
pub fn usd(d: Decimal) -> String {
    let d = d.normalize();
    if d.is_sign_negative() { format!("−${}", d.abs()) } else { format!("${d}") }
}

/// A price in the unit people read it in: per million tokens for token components, per
/// image, request or search otherwise.
pub fn price_with_unit(component: Component, value: PriceValue) -> String {
    match (component.unit(), value) {
        (_, PriceValue::Variable) => "variable".into(),
        (Unit::Token, PriceValue::Fixed(d)) => format!("{} / M tokens", usd(per_million(d))),
        (unit, PriceValue::Fixed(d)) => format!("{} / {}", usd(d), unit.as_str()),
    }
}

/// The scale a component's price is charted on: per million tokens, or per unit.
pub fn chart_scale(component: Component) -> &'static str {
    if component.unit() == Unit::Token { "per_million" } else { "per_unit" }
}

/// A UTC date and time to the minute (`2026-08-14 09:30`), or `—` when out of range.
pub fn datetime(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| "—".into(), |t| t.strftime("%Y-%m-%d %H:%M").to_string())
}

/// A UTC date (`2026-08-14`).
pub fn date(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| "—".into(), |t| t.strftime("%Y-%m-%d").to_string())
}

/// An RFC 3339 timestamp for `<time datetime>`.
pub fn iso(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| t.to_string())
}

/// A duration in milliseconds for people: `850 ms`, `12.4 s`, `3 min 5 s`.
pub fn duration(ms: i64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    if ms < 60_000 {
        return format!("{}.{} s", ms / 1000, (ms % 1000) / 100);
    }
    let secs = ms / 1000;
    if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// How long from `now` until (or since) `at`: `in 5 min`, `3 h ago`.
pub fn relative(at: UnixMs, now: UnixMs) -> String {
    let delta = at - now;
    let abs = delta.unsigned_abs() / 1000;
    let span = if abs < 60 {
        format!("{abs} s")
    } else if abs < 3600 {
        format!("{} min", abs / 60)
    } else if abs < 172_800 {
        format!("{} h", abs / 3600)
    } else {
        format!("{} d", abs / 86_400)
    };
    if delta >= 0 { format!("in {span}") } else { format!("{span} ago") }
}

/// A token count with thin grouping: `128,000`.
pub fn tokens(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A stored change value shown in the unit people read: a per-token price (its price key
/// names a token component) per million tokens, anything else as stored.
pub fn change_value(price_key: Option<&str>, raw: &str) -> String {
    let component = price_key.and_then(|k| k.split_whitespace().next()).and_then(|c| c.parse::<Component>().ok());
    match (component, raw.parse::<Decimal>()) {
        (Some(c), Ok(d)) => price_with_unit(c, PriceValue::Fixed(d)),
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn prices_are_exact() {
        assert_eq!(per_million_usd(Some(PriceValue::Fixed(dec!(0.0000025)))), "$2.5");
        assert_eq!(per_million_usd(Some(PriceValue::Fixed(dec!(0.00000008333333333333334)))), "$0.08333333333333334");
        assert_eq!(per_million_usd(Some(PriceValue::Fixed(Decimal::ZERO))), "$0");
        assert_eq!(per_million_usd(Some(PriceValue::Variable)), "variable");
        assert_eq!(price_with_unit(Component::WebSearch, PriceValue::Fixed(dec!(0.01))), "$0.01 / search");
        assert_eq!(price_with_unit(Component::Input, PriceValue::Fixed(dec!(0.000003))), "$3 / M tokens");
        assert_eq!(change_value(Some("output ≥200000"), "0.000015"), "$15 / M tokens");
        assert_eq!(change_value(None, "128000"), "128000");
    }

    #[test]
    fn times_counts_and_durations() {
        assert_eq!(datetime(1_786_665_600_000), "2026-08-14 00:00");
        assert_eq!(date(1_786_665_600_000), "2026-08-14");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_400), "12.4 s");
        assert_eq!(duration(185_000), "3 min 5 s");
        assert_eq!(relative(1_000 + 300_000, 1_000), "in 5 min");
        assert_eq!(relative(0, 3 * 3_600_000), "3 h ago");
        assert_eq!(tokens(128_000), "128,000");
        assert_eq!(tokens(1_000_000), "1,000,000");
        assert_eq!(tokens(999), "999");
    }
}
