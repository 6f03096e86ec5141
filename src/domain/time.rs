//! Time: stored as unix milliseconds (sortable, exact on every backend).

use jiff::{Timestamp, ToSpan, Zoned, tz::TimeZone};

/// A point in time as unix milliseconds.
pub type UnixMs = i64;

/// Parse an absolute time given by a user: RFC 3339 (`2026-08-01T12:00:00Z`), a date
/// (`2026-08-01`, midnight UTC), or unix seconds.
pub fn parse_time(raw: &str) -> Result<UnixMs, String> {
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(date) = raw.parse::<jiff::civil::Date>() {
        return date.to_zoned(TimeZone::UTC).map(|z| z.timestamp().as_millisecond()).map_err(|e| e.to_string());
    }
    if let Ok(secs) = raw.parse::<i64>() {
        return secs.checked_mul(1000).ok_or_else(|| format!("time {raw:?} is out of range"));
    }
    Err(format!(
        "cannot read {raw:?} as a time: use RFC 3339 (2026-08-01T12:00:00Z), a date (2026-08-01) or unix seconds"
    ))
}

/// Parse `--since`: a duration back from `now` (`7d`, `24h`, `2w`, `90m`) or an absolute time.
pub fn parse_since(raw: &str, now: UnixMs) -> Result<UnixMs, String> {
    let trimmed = raw.trim();
    if let Some(span) = parse_ago(trimmed) {
        let now_zoned = Timestamp::from_millisecond(now).map_err(|e| e.to_string())?.to_zoned(TimeZone::UTC);
        return now_zoned.checked_sub(span).map(|z: Zoned| z.timestamp().as_millisecond()).map_err(|e| e.to_string());
    }
    parse_time(trimmed)
}

fn parse_ago(raw: &str) -> Option<jiff::Span> {
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = raw.split_at(split);
    let n: i64 = num.parse().ok()?;
    Some(match unit {
        "m" | "min" => n.minutes(),
        "h" => n.hours(),
        "d" => n.days(),
        "w" => n.weeks(),
        "mo" => n.months(),
        "y" => n.years(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_times() {
        assert_eq!(parse_time("2026-08-01"), Ok(1_785_542_400_000));
        assert_eq!(parse_time("2026-08-01T00:00:00Z"), Ok(1_785_542_400_000));
        assert_eq!(parse_time("1785542400"), Ok(1_785_542_400_000));
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn parses_durations_back_from_now() {
        let now = 1_785_542_400_000;
        assert_eq!(parse_since("7d", now), Ok(now - 7 * 86_400_000));
        assert_eq!(parse_since("24h", now), Ok(now - 86_400_000));
        assert_eq!(parse_since("2026-08-01", now), Ok(now));
    }
}

/// A request time as JSON carries it: an RFC 3339 string or date, or unix seconds;
/// `null` or absent means now (`None`).
pub fn parse_time_value(v: Option<&serde_json::Value>) -> Result<Option<UnixMs>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => parse_time(s).map(Some),
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().map(|s| Some(s.saturating_mul(1000))).ok_or_else(|| format!("bad time {n}"))
        }
        Some(other) => Err(format!("bad time {other}")),
    }
}

/// Parse a duration: `90s`, `5m`, `1h 30m`, ISO 8601 `PT5M`, or plain seconds. It must be
/// positive.
pub fn parse_duration(raw: &str) -> Result<std::time::Duration, String> {
    let raw = raw.trim();
    let parsed = match raw.parse::<u64>() {
        Ok(secs) => Ok(std::time::Duration::from_secs(secs)),
        Err(_) => raw
            .parse::<jiff::SignedDuration>()
            .map_err(|e| e.to_string())
            .and_then(|d| std::time::Duration::try_from(d).map_err(|e| e.to_string())),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(format!("{raw:?}: must be more than zero")),
        Err(e) => Err(format!("{raw:?}: not a duration like 90s, 5m or 1h ({e})")),
    }
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_in_the_forms_people_write() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("PT2S"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5m").is_err());
    }
}
