//! Conversions between domain values and column values shared by every backend:
//! money as exact decimal text, lists and objects as JSON text.

use super::{StoreError, StoreResult};
use crate::domain::PriceValue;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON text of a value (lists, objects).
pub fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// JSON text of an optional value.
pub fn json_opt<T: Serialize>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|v| json(v))
}

/// Read JSON text back.
pub fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Exact decimal text (SQLite has no exact decimal type: NUMERIC would become a float).
pub fn money(d: Decimal) -> String {
    d.to_string()
}

/// Read exact decimal text back.
pub fn from_money(column: &str, text: &str) -> StoreResult<Decimal> {
    Decimal::from_str_exact(text).map_err(|e| StoreError::Corrupt(format!("{column}: {text:?}: {e}")))
}

/// A price value as (amount, is_variable) columns.
pub fn price_columns(v: &PriceValue) -> (Option<String>, bool) {
    match v {
        PriceValue::Fixed(d) => (Some(money(*d)), false),
        PriceValue::Variable => (None, true),
    }
}

/// A price value from (amount, is_variable) columns.
pub fn price_value(amount: Option<String>, is_variable: bool) -> StoreResult<PriceValue> {
    match (amount, is_variable) {
        (_, true) => Ok(PriceValue::Variable),
        (Some(a), false) => Ok(PriceValue::Fixed(from_money("prices.amount", &a)?)),
        (None, false) => Err(StoreError::Corrupt("prices.amount: fixed price without an amount".into())),
    }
}
