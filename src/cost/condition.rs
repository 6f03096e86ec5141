//! Price conditions: when a conditional price applies instead of the unconditional one.
#![deny(clippy::float_arithmetic)]

use super::CostError;
use jiff::Timestamp;

/// Minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;

/// A price's condition, parsed from [`PriceKey::condition`](crate::domain::PriceKey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// No condition (the empty string): the price always applies.
    Always,
    /// `utc:HHMM-HHMM`: a UTC time-of-day window `[start, end)` in minutes since midnight,
    /// wrapping past midnight when `start > end`.
    UtcWindow {
        /// First minute of the window (0–1439).
        start: u16,
        /// First minute after the window (1–1440).
        end: u16,
    },
}

impl Condition {
    /// Parse a stored condition; anything but `""` and a valid `utc:HHMM-HHMM` is an error.
    pub fn parse(s: &str) -> Result<Self, CostError> {
        if s.is_empty() {
            return Ok(Condition::Always);
        }
        let unknown = || CostError::UnknownCondition(s.to_string());
        let (start, end) = s.strip_prefix("utc:").and_then(|w| w.split_once('-')).ok_or_else(unknown)?;
        let (start, end) = (minutes(start).ok_or_else(unknown)?, minutes(end).ok_or_else(unknown)?);
        // 2400 only ends a window; an empty window (start = end) is a bug upstream, not a rule.
        if start >= DAY_MINUTES || start == end {
            return Err(unknown());
        }
        Ok(Condition::UtcWindow { start, end })
    }

    /// Whether the condition holds at `at`.
    pub fn applies_at(&self, at: Timestamp) -> bool {
        match *self {
            Condition::Always => true,
            Condition::UtcWindow { start, end } => {
                let t = minute_of_day(at);
                if start < end { start <= t && t < end } else { t >= start || t < end }
            }
        }
    }
}

/// `HHMM` (exactly four digits, 0000–2400) as minutes since midnight.
fn minutes(hhmm: &str) -> Option<u16> {
    if hhmm.len() != 4 || !hhmm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = (hhmm[..2].parse::<u16>().ok()?, hhmm[2..].parse::<u16>().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= DAY_MINUTES).then_some(total)
}

/// The UTC minute of the day of `at` (0–1439).
fn minute_of_day(at: Timestamp) -> u16 {
    let minute = at.as_second().rem_euclid(86_400) / 60;
    u16::try_from(minute).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a valid timestamp")
    }

    #[test]
    fn parses_windows_and_nothing_else() {
        assert_eq!(Condition::parse("").expect("a valid condition"), Condition::Always);
        assert_eq!(
            Condition::parse("utc:1000-0100").expect("a valid condition"),
            Condition::UtcWindow { start: 600, end: 60 }
        );
        assert_eq!(
            Condition::parse("utc:0000-2400").expect("a valid condition"),
            Condition::UtcWindow { start: 0, end: 1440 }
        );
        for bad in [
            "batch",
            "utc:100-400",
            "utc:1000-0160",
            "utc:2500-0100",
            "utc:2400-0100",
            "utc:0100-0100",
            "UTC:0100-0200",
            "utc:01:00-02:00",
            " utc:0100-0200",
        ] {
            assert!(matches!(Condition::parse(bad), Err(CostError::UnknownCondition(_))), "{bad}");
        }
    }

    #[test]
    fn window_is_half_open() {
        let w = Condition::parse("utc:0100-0400").expect("a valid condition");
        assert!(!w.applies_at(at("2026-08-14T00:59:59Z")));
        assert!(w.applies_at(at("2026-08-14T01:00:00Z")));
        assert!(w.applies_at(at("2026-08-14T03:59:59Z")));
        assert!(!w.applies_at(at("2026-08-14T04:00:00Z")));
    }

    #[test]
    fn window_wraps_past_midnight() {
        let w = Condition::parse("utc:1000-0100").expect("a valid condition");
        assert!(!w.applies_at(at("2026-08-14T09:59:00Z")));
        assert!(w.applies_at(at("2026-08-14T10:00:00Z")));
        assert!(w.applies_at(at("2026-08-14T23:59:59Z")));
        assert!(w.applies_at(at("2026-08-15T00:00:00Z")));
        assert!(w.applies_at(at("2026-08-15T00:59:59Z")));
        assert!(!w.applies_at(at("2026-08-15T01:00:00Z")));
        // Before the epoch too.
        assert!(w.applies_at(at("1969-12-31T23:30:00Z")));
    }
}
