//! Exact decimal arithmetic: a result is either the exact value or an error, never rounded.
//!
//! `rust_decimal`'s operators silently round a result whose scale exceeds 28 digits; these work on
//! the mantissas in `i128` and only drop trailing zeros, so nothing is ever lost.
#![deny(clippy::float_arithmetic)]

use super::CostError;
use rust_decimal::Decimal;

/// The largest mantissa a `Decimal` holds (96 bits).
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// `a × b`, exactly.
pub(super) fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    a.mantissa()
        .checked_mul(b.mantissa())
        .and_then(|m| from_parts(m, a.scale() + b.scale()))
        .ok_or_else(|| CostError::Overflow(what.to_string()))
}

/// `a + b`, exactly.
pub(super) fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    let scale = a.scale().max(b.scale());
    rescaled(a, scale)
        .zip(rescaled(b, scale))
        .and_then(|(x, y)| x.checked_add(y))
        .and_then(|m| from_parts(m, scale))
        .ok_or_else(|| CostError::Overflow(what.to_string()))
}

/// `a − b`, exactly.
pub(super) fn sub(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    add(a, -b, what)
}

/// The mantissa of `d` at a larger `scale`.
fn rescaled(d: Decimal, scale: u32) -> Option<i128> {
    10i128.checked_pow(scale - d.scale()).and_then(|p| d.mantissa().checked_mul(p))
}

/// `mantissa × 10^-scale` as a `Decimal`, dropping only trailing zeros to make it fit.
fn from_parts(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
    while (scale > Decimal::MAX_SCALE || mantissa.unsigned_abs() > MAX_MANTISSA) && scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn products_keep_every_digit() {
        let p = dec!(0.00000008333333333333334);
        assert_eq!(mul(p, Decimal::from(3), "x").expect("an exact product"), dec!(0.00000025000000000000002));
        // 28 + 2 digits of scale, with trailing zeros: exact after dropping them.
        let a = dec!(0.0000000000000000000000000010);
        assert_eq!(mul(a, dec!(0.10), "x").expect("an exact product"), dec!(0.0000000000000000000000000001));
    }

    #[test]
    fn inexact_products_are_errors_not_rounded() {
        // Decimal's own operator rounds this; we refuse.
        let a = dec!(0.0000000000000000000000000013);
        let b = dec!(0.7);
        assert_ne!(a * b * Decimal::TEN, dec!(0.0000000000000000000000000091));
        assert!(matches!(mul(a, b, "x"), Err(CostError::Overflow(_))));
        assert!(mul(Decimal::MAX, Decimal::TWO, "x").is_err());
    }

    #[test]
    fn sums_are_exact() {
        assert_eq!(add(dec!(0.1), dec!(0.0000002), "x").expect("an exact sum"), dec!(0.1000002));
        assert_eq!(sub(Decimal::ONE, dec!(0.25), "x").expect("an exact difference"), dec!(0.75));
        assert!(add(Decimal::MAX, Decimal::ONE, "x").is_err());
    }
}
