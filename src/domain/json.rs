//! Free-form JSON an upstream sends (reasoning options, benchmarks, default parameters),
//! kept as canonical text: compact, keys sorted. Equal values have equal text, so a
//! re-ordered object is not a change, and the catalog holds one string instead of a tree
//! of allocations per value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Canonical JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonText(String);

impl JsonText {
    /// The canonical text of a value.
    pub fn from_value(v: &Value) -> Self {
        let mut out = String::new();
        write_canonical(v, &mut out);
        Self(out)
    }

    /// Text read back from the store, which only ever holds canonical text.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value (parsed on demand).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Embedded as JSON, not as a string, in JSON output.
        match serde_json::value::RawValue::from_string(self.0.clone()) {
            Ok(raw) => raw.serialize(s),
            Err(_) => Value::Null.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| Self::from_value(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a = JsonText::from_value(&json!({"b": [1, {"y": 2, "x": 1}], "a": "é\"q"}));
        let b = JsonText::from_value(&json!({"a": "é\"q", "b": [1, {"x": 1, "y": 2}]}));
        assert_eq!(a, b);
        assert_eq!(a.as_str(), r#"{"a":"é\"q","b":[1,{"x":1,"y":2}]}"#);
        assert_eq!(a.to_value(), json!({"a": "é\"q", "b": [1, {"x": 1, "y": 2}]}));
        assert_eq!(serde_json::to_string(&a).expect("serialises"), a.as_str(), "embedded as JSON");
    }
}
