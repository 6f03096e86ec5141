//! Exact money rules shared by sync, display and (later) the cost engine.
//!
//! Prices are `Decimal` from the wire to the database; no floating point touches them.
#![deny(clippy::float_arithmetic)]

use rust_decimal::Decimal;

/// Significant digits at which two prices are compared.
///
/// Upstreams re-serialise the same price through binary floats, so one day brings
/// `0.00000008333333333333334` and the next `0.0000000833333333333333`. An IEEE double
/// carries 15 faithful significant digits, so prices equal to 15 significant digits are
/// the same price; anything that differs within them is a real change.
pub const PRICE_SIGNIFICANT_DIGITS: u32 = 15;

/// Whether two prices are the same price (see [`PRICE_SIGNIFICANT_DIGITS`]).
pub fn same_price(a: Decimal, b: Decimal) -> bool {
    if a == b {
        return true;
    }
    match (a.round_sf(PRICE_SIGNIFICANT_DIGITS), b.round_sf(PRICE_SIGNIFICANT_DIGITS)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A per-token price expressed per million tokens, exactly, without trailing zeros.
pub fn per_million(per_token: Decimal) -> Decimal {
    per_token.checked_mul(Decimal::from(1_000_000)).unwrap_or(Decimal::MAX).normalize()
}

/// Percent change from `old` to `new`, rounded to 2 decimal places; `None` from zero.
pub fn percent_change(old: Decimal, new: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    let pct = (new - old).checked_div(old)?.checked_mul(Decimal::ONE_HUNDRED)?;
    Some(pct.round_dp(2).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn rounding_noise_is_the_same_price() {
        assert!(same_price(dec!(0.00000008333333333333334), dec!(0.0000000833333333333333)));
        assert!(same_price(dec!(0.0000005), dec!(0.00000050)));
    }

    #[test]
    fn real_changes_are_not_the_same_price() {
        assert!(!same_price(dec!(0.0000005), dec!(0.0000006)));
        assert!(!same_price(dec!(0.000000083333), dec!(0.000000083334)));
        assert!(!same_price(dec!(0), dec!(0.000000001)));
    }

    #[test]
    fn per_million_is_exact() {
        assert_eq!(per_million(dec!(0.00000008333333333333334)).to_string(), "0.08333333333333334");
        assert_eq!(per_million(dec!(0.000003)).to_string(), "3");
    }

    #[test]
    fn percent_change_from_zero_is_undefined() {
        assert_eq!(percent_change(dec!(0), dec!(1)), None);
        assert_eq!(percent_change(dec!(2), dec!(3)), Some(dec!(50)));
        assert_eq!(percent_change(dec!(3), dec!(2)), Some(dec!(-33.33)));
    }
}
