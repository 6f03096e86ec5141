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
