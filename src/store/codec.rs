//! Conversions between domain values and column values shared by every backend:
//! money as an exact decimal (TEXT in SQLite, NUMERIC in PostgreSQL), lists and objects
//! as JSON text.

use super::{StoreError, StoreResult};
use crate::domain::PriceValue;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

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

/// An exact amount as a column value. SQLite has no exact decimal type (NUMERIC would
/// become a float), so there it is decimal text; PostgreSQL stores `NUMERIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(pub Decimal);

impl Type<Sqlite> for Money {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Money {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(self.0.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Money {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Money(Decimal::from_str_exact(text).map_err(|e| format!("{text:?}: {e}"))?))
    }
}

impl Type<Postgres> for Money {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Money {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Money {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Money(<Decimal as Decode<Postgres>>::decode(value)?))
    }
}

/// A price value as (amount, is_variable) columns.
pub fn price_columns(v: &PriceValue) -> (Option<Money>, bool) {
    match v {
        PriceValue::Fixed(d) => (Some(Money(*d)), false),
        PriceValue::Variable => (None, true),
    }
}

/// A price value from (amount, is_variable) columns.
pub fn price_value(amount: Option<Money>, is_variable: bool) -> StoreResult<PriceValue> {
    match (amount, is_variable) {
        (_, true) => Ok(PriceValue::Variable),
        (Some(a), false) => Ok(PriceValue::Fixed(a.0)),
        (None, false) => Err(StoreError::Corrupt("prices.amount: fixed price without an amount".into())),
    }
}
