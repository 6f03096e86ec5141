//! Exact decimal arithmetic: a result is either the exact value or an error, never rounded.
//!
//! `rust_decimal`'s operators silently round a result whose scale exceeds 28 digits; these work on
//! the mantissas in `i128` and only drop trailing zeros, so nothing is ever lost.
#![deny(clippy::float_arithmetic)]

use super::CostError;
use rust_decimal::Decimal;

/// The largest mantissa a `Decimal` holds (96 bits).
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// 10^0 ..= 10^28: every rescaling between two `Decimal` scales.
const POW10: [u128; 29] = {
    let mut p = [1u128; 29];
    let mut i = 1;
    while i < 29 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// `a × b`, exactly.
pub(super) fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    if let Some(product) = mul_small(a, b) {
        return Ok(product);
    }
    a.mantissa()
        .checked_mul(b.mantissa())
        .and_then(|m| from_parts(m, a.scale() + b.scale()))
        .ok_or_else(|| CostError::Overflow(what.to_string()))
}

/// `a + b`, exactly.
pub(super) fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    if let Some(sum) = add_small(a, b) {
        return Ok(sum);
    }
    let scale = a.scale().max(b.scale());
    rescaled(a, scale)
        .zip(rescaled(b, scale))
        .and_then(|(x, y)| x.checked_add(y))
        .and_then(|m| from_parts(m, scale))
        .ok_or_else(|| CostError::Overflow(what.to_string()))
}

/// [`mul`] through [`Small`], when both are non-negative and the product fits as it stands.
#[inline]
fn mul_small(a: Decimal, b: Decimal) -> Option<Decimal> {
    Small::of(a)?.mul(Small::of(b)?).map(Small::decimal)
}

/// [`add`] through [`Small`], when both are non-negative and the sum fits as it stands.
#[inline]
fn add_small(a: Decimal, b: Decimal) -> Option<Decimal> {
    Small::of(a)?.add(Small::of(b)?).map(Small::decimal)
}

/// `a − b`, exactly.
pub(super) fn sub(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, CostError> {
    add(a, -b, what)
}

/// A non-negative `Decimal` held as a `u128` mantissa and a scale, so that a run of products
/// and sums stays in registers (a `Decimal` passed through `Result`s is re-packed at every step).
/// Every operation returns exactly what [`mul`] / [`add`] return on the same values, or `None`
/// when that would need more than 96 bits or 28 digits of scale: the caller then starts over
/// with [`mul`] and [`add`], which drop trailing zeros or report the overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Small {
    mantissa: u128,
    scale: u32,
}

impl Small {
    /// Zero, as `Decimal::ZERO` (scale 0).
    pub(super) const ZERO: Small = Small { mantissa: 0, scale: 0 };

    /// `d`, when it is not negative (negative zero included).
    #[inline]
    pub(super) fn of(d: Decimal) -> Option<Small> {
        if d.is_sign_negative() {
            return None;
        }
        u128::try_from(d.mantissa()).ok().map(|mantissa| Small { mantissa, scale: d.scale() })
    }

    /// An integer quantity.
    #[inline]
    pub(super) fn count(n: u64) -> Small {
        Small { mantissa: u128::from(n), scale: 0 }
    }

    /// `self × other`, as [`mul`] computes it.
    #[inline]
    pub(super) fn mul(self, other: Small) -> Option<Small> {
        Small::fitting(self.mantissa.checked_mul(other.mantissa)?, self.scale + other.scale)
    }

    /// `self + other`, as [`add`] computes it.
    #[inline]
    pub(super) fn add(self, other: Small) -> Option<Small> {
        let scale = self.scale.max(other.scale);
        let up = |s: Small| POW10.get((scale - s.scale) as usize).and_then(|p| s.mantissa.checked_mul(*p));
        Small::fitting(up(self)?.checked_add(up(other)?)?, scale)
    }

    /// The value when it is a `Decimal` as it stands (what `from_parts` keeps without dropping
    /// a zero).
    #[inline]
    fn fitting(mantissa: u128, scale: u32) -> Option<Small> {
        (mantissa <= MAX_MANTISSA && scale <= Decimal::MAX_SCALE).then_some(Small { mantissa, scale })
    }

    /// The `Decimal`.
    #[inline]
    pub(super) fn decimal(self) -> Decimal {
        // Truncating casts: the mantissa has at most 96 bits, split into three 32-bit words.
        let m = self.mantissa;
        Decimal::from_parts(m as u32, (m >> 32) as u32, (m >> 64) as u32, false, self.scale)
    }
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
    use proptest::prelude::*;
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

    /// The reference: `i128` mantissas, as before the fast paths.
    fn mul_i128(a: Decimal, b: Decimal) -> Option<Decimal> {
        a.mantissa().checked_mul(b.mantissa()).and_then(|m| from_parts(m, a.scale() + b.scale()))
    }

    fn add_i128(a: Decimal, b: Decimal) -> Option<Decimal> {
        let scale = a.scale().max(b.scale());
        rescaled(a, scale)
            .zip(rescaled(b, scale))
            .and_then(|(x, y)| x.checked_add(y))
            .and_then(|m| from_parts(m, scale))
    }

    /// Any decimal, biased to the small non-negative ones prices and amounts are.
    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (0u64..=u64::MAX, 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
            (0u64..10_000_000_000, 0u32..=12).prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..=28)
                .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
            Just(Decimal::ZERO),
            Just(-Decimal::ZERO),
            Just(Decimal::MAX),
        ]
    }

    proptest! {
        /// The 64-bit fast paths give the very same `Decimal` (mantissa, scale, sign) as the
        /// `i128` reference, or defer to it.
        #[test]
        fn fast_paths_are_the_reference(a in decimal(), b in decimal()) {
            let same = |x: Option<Decimal>, y: Option<Decimal>| x.map(|d| d.serialize()) == y.map(|d| d.serialize());
            prop_assert!(same(mul(a, b, "x").ok(), mul_i128(a, b)), "{a} × {b}");
            prop_assert!(same(add(a, b, "x").ok(), add_i128(a, b)), "{a} + {b}");
            if let Some(fast) = mul_small(a, b) {
                prop_assert!(same(Some(fast), mul_i128(a, b)));
            }
            if let Some(fast) = add_small(a, b) {
                prop_assert!(same(Some(fast), add_i128(a, b)));
            }
        }
    }

    #[test]
    fn sums_are_exact() {
        assert_eq!(add(dec!(0.1), dec!(0.0000002), "x").expect("an exact sum"), dec!(0.1000002));
        assert_eq!(sub(Decimal::ONE, dec!(0.25), "x").expect("an exact difference"), dec!(0.75));
        assert!(add(Decimal::MAX, Decimal::ONE, "x").is_err());
    }
}
