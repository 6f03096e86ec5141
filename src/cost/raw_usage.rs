//! A usage object read in one pass over its JSON text, without building a `serde_json::Value`:
//! only what shape detection and the parsers look at is kept.
//!
//! The `Value` path ([`Usage::detect`]) is the reference. This reader reads the same values the
//! same way (`deserialize_any` everywhere, so the same nesting limit and number checks), shares
//! the shape rules and parsers through [`UsageFields`], and where it would have to reproduce
//! more (a key given twice, any error, `serde_json`'s raw-value key) it gives up: the caller then
//! parses the same text with the reference. So it yields the reference's `Usage` or nothing.
#![deny(clippy::float_arithmetic)]

use super::usage::{UsageFields, UsageShape, cost_from_text};
use super::{CostError, Usage};
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write as _};

/// How many values are kept: the top-level keys (0..24), then the nested ones (24..35).
const SLOTS: usize = 35;

/// The path of each slot (for tests: the matches below must agree with it).
#[cfg(test)]
pub(super) const PATHS: [&str; SLOTS] = [
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "promptTokenCount",
    "candidatesTokenCount",
    "cachedContentTokenCount",
    "thoughtsTokenCount",
    "toolUsePromptTokenCount",
    "totalTokenCount",
    "total_tokens",
    "is_byok",
    "cost_details",
    "cost",
    "prompt_tokens_details",
    "completion_tokens_details",
    "input_tokens_details",
    "output_tokens_details",
    "cache_creation",
    "server_tool_use",
    "usage",
    "usageMetadata",
    "prompt_tokens_details.cached_tokens",
    "prompt_tokens_details.cache_write_tokens",
    "prompt_tokens_details.audio_tokens",
    "completion_tokens_details.reasoning_tokens",
    "completion_tokens_details.audio_tokens",
    "completion_tokens_details.image_tokens",
    "input_tokens_details.cached_tokens",
    "output_tokens_details.reasoning_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "server_tool_use.web_search_requests",
];

/// The slot of `cost`.
const COST: usize = 15;
/// The slots of the objects whose keys are read (`prompt_tokens_details` .. `server_tool_use`).
const PARENTS: std::ops::Range<usize> = 16..22;
/// The slots of the wrappers `usage` and `usageMetadata`.
const WRAPPERS: [usize; 2] = [22, 23];

/// The slot of a top-level key.
fn top_key(key: &str) -> Option<usize> {
    Some(match key {
        "prompt_tokens" => 0,
        "completion_tokens" => 1,
        "input_tokens" => 2,
        "output_tokens" => 3,
        "cache_creation_input_tokens" => 4,
        "cache_read_input_tokens" => 5,
        "promptTokenCount" => 6,
        "candidatesTokenCount" => 7,
        "cachedContentTokenCount" => 8,
        "thoughtsTokenCount" => 9,
        "toolUsePromptTokenCount" => 10,
        "totalTokenCount" => 11,
        "total_tokens" => 12,
        "is_byok" => 13,
        "cost_details" => 14,
        "cost" => 15,
        "prompt_tokens_details" => 16,
        "completion_tokens_details" => 17,
        "input_tokens_details" => 18,
        "output_tokens_details" => 19,
        "cache_creation" => 20,
        "server_tool_use" => 21,
        "usage" => 22,
        "usageMetadata" => 23,
        _ => return None,
    })
}

/// The slot of a key of the nested object in slot `parent`.
fn nested_key(parent: usize, key: &str) -> Option<usize> {
    Some(match (parent, key) {
        (16, "cached_tokens") => 24,
        (16, "cache_write_tokens") => 25,
        (16, "audio_tokens") => 26,
        (17, "reasoning_tokens") => 27,
        (17, "audio_tokens") => 28,
        (17, "image_tokens") => 29,
        (18, "cached_tokens") => 30,
        (19, "reasoning_tokens") => 31,
        (20, "ephemeral_5m_input_tokens") => 32,
        (20, "ephemeral_1h_input_tokens") => 33,
        (21, "web_search_requests") => 34,
        _ => return None,
    })
}

/// The slot of a dotted path and of its parent object.
fn locate(path: &str) -> Option<(Option<usize>, usize)> {
    Some(match path {
        "prompt_tokens" => (None, 0),
        "completion_tokens" => (None, 1),
        "input_tokens" => (None, 2),
        "output_tokens" => (None, 3),
        "cache_creation_input_tokens" => (None, 4),
        "cache_read_input_tokens" => (None, 5),
        "promptTokenCount" => (None, 6),
        "candidatesTokenCount" => (None, 7),
        "cachedContentTokenCount" => (None, 8),
        "thoughtsTokenCount" => (None, 9),
        "toolUsePromptTokenCount" => (None, 10),
        "totalTokenCount" => (None, 11),
        "total_tokens" => (None, 12),
        "is_byok" => (None, 13),
        "cost_details" => (None, 14),
        "cost" => (None, 15),
        "prompt_tokens_details" => (None, 16),
        "completion_tokens_details" => (None, 17),
        "input_tokens_details" => (None, 18),
        "output_tokens_details" => (None, 19),
        "cache_creation" => (None, 20),
        "server_tool_use" => (None, 21),
        "usage" => (None, 22),
        "usageMetadata" => (None, 23),
        "prompt_tokens_details.cached_tokens" => (Some(16), 24),
        "prompt_tokens_details.cache_write_tokens" => (Some(16), 25),
        "prompt_tokens_details.audio_tokens" => (Some(16), 26),
        "completion_tokens_details.reasoning_tokens" => (Some(17), 27),
        "completion_tokens_details.audio_tokens" => (Some(17), 28),
        "completion_tokens_details.image_tokens" => (Some(17), 29),
        "input_tokens_details.cached_tokens" => (Some(18), 30),
        "output_tokens_details.reasoning_tokens" => (Some(19), 31),
        "cache_creation.ephemeral_5m_input_tokens" => (Some(20), 32),
        "cache_creation.ephemeral_1h_input_tokens" => (Some(20), 33),
        "server_tool_use.web_search_requests" => (Some(21), 34),
        _ => return None,
    })
}

/// The key under which `serde_json` builds a `Value` from a string (its `raw_value` feature).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// What one key's value was, as far as counting and shape detection care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Slot {
    /// The key is not there.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A non-negative integer.
    Count(u64),
    /// An object.
    Object,
    /// Anything else (a negative or fractional number, a string, a boolean, an array).
    Other,
}

impl Slot {
    fn is_present(self) -> bool {
        self != Slot::Absent
    }
}

/// A reported cost's value.
#[derive(Debug, Clone, Default)]
enum Cost {
    /// Absent or null.
    #[default]
    None,
    /// A number, as `serde_json` holds it.
    Number(serde_json::Number),
    /// A string.
    Text(String),
    /// Anything else.
    Other,
}

/// A usage object (or a response body holding one), as far as [`Usage::detect`] reads it.
#[derive(Debug, Clone)]
pub(crate) struct RawUsage {
    /// The value was a JSON object.
    object: bool,
    /// The kept values.
    slots: [Slot; SLOTS],
    /// The `cost`.
    cost: Cost,
    /// The object under `usage` or `usageMetadata` (of the outermost object only).
    wrapped: Option<Box<RawUsage>>,
    /// Something only the reference reproduces: a key twice, `serde_json`'s raw-value key.
    unsure: bool,
}

impl Default for RawUsage {
    fn default() -> Self {
        Self { object: false, slots: [Slot::Absent; SLOTS], cost: Cost::None, wrapped: None, unsure: false }
    }
}

impl RawUsage {
    /// Read a usage (or a response body) from JSON text, as `serde_json::from_str` would.
    pub(crate) fn from_str(text: &str) -> serde_json::Result<RawUsage> {
        let mut de = serde_json::Deserializer::from_str(text);
        let mut raw = RawUsage::default();
        UsageSeed { outer: true, raw: &mut raw }.deserialize(&mut de)?;
        de.end()?;
        Ok(raw)
    }

    /// Empty, for the next usage (a batch reuses one).
    pub(crate) fn clear(&mut self) {
        self.object = false;
        self.slots = [Slot::Absent; SLOTS];
        self.cost = Cost::None;
        self.wrapped = None;
        self.unsure = false;
    }

    /// What [`Usage::detect`] returns on the same JSON, when it is a `Usage`; `None` when the
    /// reference must decide (an error, or anything this reader does not reproduce).
    pub(crate) fn usage(&self) -> Option<Usage> {
        if self.unsure || !self.object {
            return None;
        }
        if let Some(shape) = UsageShape::of_fields(self).ok()? {
            return Usage::of_fields(shape, self).ok();
        }
        let from_gemini_key = match WRAPPERS.map(|i| self.slots[i]) {
            [Slot::Object, Slot::Absent] => false,
            [Slot::Absent, Slot::Object] => true,
            _ => return None,
        };
        let inner = self.wrapped.as_deref()?;
        let shape = UsageShape::of_fields(inner).ok()??;
        if from_gemini_key != (shape == UsageShape::Gemini) {
            return None;
        }
        Usage::of_fields(shape, inner).ok()
    }

    /// A path's slot and its parent's; an error for a path this reader does not keep (only if
    /// the parsers change: then the reference decides).
    fn at(&self, path: &str) -> Result<(Option<Slot>, Slot), CostError> {
        let (parent, slot) = locate(path).ok_or_else(unsure)?;
        Ok((parent.map(|p| self.slots[p]), self.slots[slot]))
    }
}

/// The error this reader gives for anything the reference should report: it is never shown,
/// the caller parses the same text with the reference instead.
fn unsure() -> CostError {
    CostError::UnknownShape(String::new())
}

impl UsageFields for RawUsage {
    fn has(&self, key: &str) -> bool {
        // Unknown keys are never asked for: `usage()` is tested against the reference.
        top_key(key).is_some_and(|i| self.slots[i].is_present())
    }

    fn has_in(&self, parent: &str, key: &str) -> bool {
        top_key(parent)
            .and_then(|p| Some((self.slots[p], nested_key(p, key)?)))
            .is_some_and(|(p, i)| p == Slot::Object && self.slots[i].is_present())
    }

    fn is_set(&self, path: &str) -> bool {
        match self.at(path) {
            Ok((None | Some(Slot::Object), slot)) => !matches!(slot, Slot::Absent | Slot::Null),
            _ => false,
        }
    }

    fn count(&self, path: &str) -> Result<u64, CostError> {
        match self.at(path)? {
            // An absent or null parent, an absent or null count: 0.
            (Some(Slot::Absent | Slot::Null), _) | (None | Some(Slot::Object), Slot::Absent | Slot::Null) => Ok(0),
            (None | Some(Slot::Object), Slot::Count(n)) => Ok(n),
            _ => Err(unsure()),
        }
    }

    fn cost(&self, path: &str) -> Result<Option<Decimal>, CostError> {
        if locate(path) != Some((None, COST)) {
            return Err(unsure());
        }
        match &self.cost {
            Cost::None => Ok(None),
            Cost::Number(n) => {
                // The number's text on the stack: no allocation per line for OpenRouter's costs.
                let mut text = ShortText::default();
                match write!(text, "{n}") {
                    Ok(()) => cost_from_text(path, text.as_str()).map(Some),
                    Err(_) => cost_from_text(path, &n.to_string()).map(Some),
                }
            }
            Cost::Text(s) => cost_from_text(path, s.trim()).map(Some),
            Cost::Other => Err(unsure()),
        }
    }

    fn describe(&self) -> String {
        String::new()
    }
}

/// A short text on the stack, written with `fmt::Write`.
struct ShortText {
    buf: [u8; 64],
    len: usize,
}

impl Default for ShortText {
    fn default() -> Self {
        Self { buf: [0; 64], len: 0 }
    }
}

impl fmt::Write for ShortText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl ShortText {
    fn as_str(&self) -> &str {
        // Only whole `str`s are written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// Reads a usage object into `raw` (cleared); `outer` for the outermost one, which may wrap
/// another under `usage` or `usageMetadata`.
pub(crate) struct UsageSeed<'r> {
    /// Whether this is the outermost object.
    pub(crate) outer: bool,
    /// Where it goes.
    pub(crate) raw: &'r mut RawUsage,
}

impl<'de> DeserializeSeed<'de> for UsageSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UsageSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a usage object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let raw = self.raw;
        raw.object = true;
        while let Some(key) = map.next_key_seed(KeySeed { parent: None })? {
            let Key::Known(i) = key else {
                let skipped = map.next_value_seed(Skip)?;
                raw.unsure |= skipped || key == Key::RawValueToken;
                continue;
            };
            if raw.slots[i].is_present() {
                // `Value` keeps the last of a key given twice: the reference decides.
                map.next_value_seed(Skip)?;
                raw.unsure = true;
                continue;
            }
            let (slot, unsure) = if i == COST {
                let (slot, cost) = map.next_value_seed(CostSeed)?;
                raw.cost = cost;
                (slot, false)
            } else if WRAPPERS.contains(&i) && self.outer {
                let mut inner = Box::<RawUsage>::default();
                map.next_value_seed(UsageSeed { outer: false, raw: &mut inner })?;
                let slot = if inner.object { Slot::Object } else { Slot::Other };
                let unsure = inner.unsure;
                if inner.object && raw.wrapped.is_none() {
                    raw.wrapped = Some(inner);
                }
                (slot, unsure)
            } else if PARENTS.contains(&i) {
                map.next_value_seed(ParentSeed { parent: i, slots: &mut raw.slots })?
            } else {
                map.next_value_seed(SlotSeed)?
            };
            raw.slots[i] = slot;
            raw.unsure |= unsure;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.raw.unsure = Skip.visit_seq(seq)?;
        Ok(())
    }

    // Other values leave `raw` as it is: not an object.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A key: of the top-level object (`parent: None`), of a nested one, or of any other object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A kept slot.
    Known(usize),
    /// [`RAW_VALUE_TOKEN`].
    RawValueToken,
    /// Any other key.
    Other,
}

#[derive(Clone, Copy)]
struct KeySeed {
    /// `None` for the top-level object, the parent's slot for a nested object.
    parent: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        let known = match self.parent {
            None => top_key(key),
            Some(p) => nested_key(p, key),
        };
        Ok(match known {
            Some(i) => Key::Known(i),
            None if key == RAW_VALUE_TOKEN => Key::RawValueToken,
            None => Key::Other,
        })
    }
}

/// Reads a count, or any value whose presence matters: its [`Slot`], and whether it holds
/// something only the reference reproduces.
struct SlotSeed;

impl<'de> DeserializeSeed<'de> for SlotSeed {
    type Value = (Slot, bool);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Slot, bool), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SlotSeed {
    type Value = (Slot, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(Slot, bool), E> {
        Ok((Slot::Count(n), false))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(Slot, bool), E> {
        // As `Number::as_u64` of the `Value` built from an `i64`.
        Ok((u64::try_from(n).map_or(Slot::Other, Slot::Count), false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(Slot, bool), E> {
        Ok((Slot::Null, false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(Slot, bool), A::Error> {
        Ok((Slot::Other, Skip.visit_seq(seq)?))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(Slot, bool), A::Error> {
        Ok((Slot::Object, Skip.visit_map(map)?))
    }
}

/// Reads the reported cost: numbers become `serde_json::Number`s exactly as `Value` builds them.
struct CostSeed;

impl<'de> DeserializeSeed<'de> for CostSeed {
    type Value = (Slot, Cost);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Slot, Cost), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CostSeed {
    type Value = (Slot, Cost);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cost")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(Slot, Cost), E> {
        Ok((Slot::Other, Cost::Number(n.into())))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(Slot, Cost), E> {
        Ok((Slot::Other, Cost::Number(n.into())))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(Slot, Cost), E> {
        // `Value` holds a non-finite number (which `serde_json` never parses) as null.
        Ok(match serde_json::Number::from_f64(n) {
            Some(n) => (Slot::Other, Cost::Number(n)),
            None => (Slot::Null, Cost::None),
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(Slot, Cost), E> {
        Ok((Slot::Other, Cost::Text(s.to_string())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(Slot, Cost), E> {
        Ok((Slot::Other, Cost::Other))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(Slot, Cost), E> {
        Ok((Slot::Null, Cost::None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(Slot, Cost), A::Error> {
        Skip.visit_seq(seq)?;
        Ok((Slot::Other, Cost::Other))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(Slot, Cost), A::Error> {
        Skip.visit_map(map)?;
        Ok((Slot::Object, Cost::Other))
    }
}

/// Reads one of the nested objects (`prompt_tokens_details`, ...) into its slots.
struct ParentSeed<'s> {
    parent: usize,
    slots: &'s mut [Slot; SLOTS],
}

impl<'de> DeserializeSeed<'de> for ParentSeed<'_> {
    type Value = (Slot, bool);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Slot, bool), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ParentSeed<'_> {
    type Value = (Slot, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Slot, bool), A::Error> {
        let mut unsure = false;
        while let Some(key) = map.next_key_seed(KeySeed { parent: Some(self.parent) })? {
            match key {
                Key::Known(i) if !self.slots[i].is_present() => {
                    let (slot, u) = map.next_value_seed(SlotSeed)?;
                    self.slots[i] = slot;
                    unsure |= u;
                }
                // A key given twice, or the raw-value key: the reference decides.
                Key::Known(_) | Key::RawValueToken => {
                    map.next_value_seed(Skip)?;
                    unsure = true;
                }
                Key::Other => unsure |= map.next_value_seed(Skip)?,
            }
        }
        Ok((Slot::Object, unsure))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(Slot, bool), A::Error> {
        Ok((Slot::Other, Skip.visit_seq(seq)?))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(Slot, bool), E> {
        Ok((Slot::Other, false))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(Slot, bool), E> {
        Ok((Slot::Null, false))
    }
}

/// Skips a value as `Value` reads it (`deserialize_any`: the same nesting limit, the same
/// number and string checks), telling whether it holds the raw-value key anywhere.
pub(crate) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut unsure = false;
        while let Some(u) = seq.next_element_seed(Skip)? {
            unsure |= u;
        }
        Ok(unsure)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut unsure = false;
        while let Some(key) = map.next_key_seed(RawValueKey)? {
            unsure |= key | map.next_value_seed(Skip)?;
        }
        Ok(unsure)
    }
}

/// A key of an object that is skipped: whether it is the raw-value key.
struct RawValueKey;

impl<'de> DeserializeSeed<'de> for RawValueKey {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RawValueKey {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == RAW_VALUE_TOKEN)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The reference: `Value`, then `Usage::detect`.
    fn reference(text: &str) -> Option<Result<Usage, CostError>> {
        serde_json::from_str::<Value>(text).ok().map(|v| Usage::detect(&v))
    }

    fn fast(text: &str) -> Option<Usage> {
        RawUsage::from_str(text).ok()?.usage()
    }

    #[test]
    fn the_matches_agree_with_the_paths() {
        for (i, path) in PATHS.iter().enumerate() {
            match path.split_once('.') {
                None => {
                    assert_eq!(top_key(path), Some(i), "{path}");
                    assert_eq!(locate(path), Some((None, i)), "{path}");
                }
                Some((parent, key)) => {
                    let p = top_key(parent).expect("a kept parent");
                    assert!(PARENTS.contains(&p), "{path}");
                    assert_eq!(nested_key(p, key), Some(i), "{path}");
                    assert_eq!(locate(path), Some((Some(p), i)), "{path}");
                }
            }
        }
        assert_eq!(PATHS[COST], "cost");
        assert_eq!(WRAPPERS.map(|i| PATHS[i]), ["usage", "usageMetadata"]);
    }

    /// Every usage of the fixtures reads the same, without the reference.
    #[test]
    fn fixture_usages_read_as_the_reference_reads_them() {
        let mut n = 0;
        for (file, list, field) in
            [("chat_usage_samples.json", "samples", "usage"), ("chat_completions_2025-12.json", "items", "response")]
        {
            let path = format!("{}/fixtures/openrouter/{file}", env!("CARGO_MANIFEST_DIR"));
            let fixture: Value =
                serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture exists")).expect("JSON");
            for item in fixture[list].as_array().expect("a JSON array") {
                let text = item[field].to_string();
                let Some(Ok(usage)) = reference(&text) else { continue };
                assert_eq!(fast(&text), Some(usage), "{text}");
                n += 1;
            }
        }
        assert!(n >= 14, "{n} usages");
    }

    #[test]
    fn anything_unsure_is_left_to_the_reference() {
        for text in [
            r#"{"prompt_tokens": 1, "prompt_tokens": 2}"#,
            r#"{"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 1, "cached_tokens": 2}}"#,
            r#"{"$serde_json::private::RawValue": "{\"prompt_tokens\": 3}"}"#,
            r#"{"prompt_tokens": 5, "x": [{"$serde_json::private::RawValue": "{}"}]}"#,
            r#"{"prompt_tokens": -1}"#,
            r#"{"prompt_tokens": 1.0}"#,
            r#"{"completion_tokens": 1}"#,
            r#"{"usage": null}"#,
            // A key twice in a wrapped usage the outer shape does not even read.
            r#"{"promptTokenCount":0,"usage":{"server_tool_use":0,"server_tool_use":0}}"#,
            r#"[1]"#,
        ] {
            assert_eq!(fast(text), None, "{text}");
        }
        // The same text as the first one, read by the reference: the last value wins.
        assert_eq!(
            reference(r#"{"prompt_tokens": 1, "prompt_tokens": 2}"#).and_then(Result::ok).map(|u| u.input),
            Some(2)
        );
    }

    /// A value that is seldom a valid count.
    fn odd() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => any::<u64>().prop_map(|n| n.to_string()),
            1 => (-1000i64..0).prop_map(|n| n.to_string()),
            3 => prop::sample::select(vec![
                "null", "true", "-0", "-0.0", "1.5", "7.0", "7e2", "2.415e-05", "5e-06", "1e400", "0.10000000000000000001",
                "18446744073709551616", "\"12\"", "\" 0.5 \"", "\"free\"", "\"\\ud800\"", "[]", "{}", "[1,[2,{}]]",
                "{\"$serde_json::private::RawValue\":\"{}\"}",
            ])
            .prop_map(String::from),
            1 => (1usize..140).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        ]
    }

    /// A count: usually a valid one, small (`small`) for details so they fit in their totals.
    fn count(small: bool) -> impl Strategy<Value = String> {
        let max = if small { 3_000u64 } else { 2_000_000 };
        prop_oneof![9 => (0..max).prop_map(|n| n.to_string()), 1 => odd()]
    }

    /// An entry `"key":value` for one of the kept top-level keys: mostly a plausible value.
    fn entry_for(key: &'static str) -> BoxedStrategy<String> {
        let value: BoxedStrategy<String> = match key {
            "cost" => prop_oneof![
                4 => prop::sample::select(vec!["0.2412078", "0", "\"0.5\"", "2.415e-05", "1", "0.000000001"]).prop_map(String::from),
                1 => odd(),
            ]
            .boxed(),
            "is_byok" | "cost_details" | "usage" | "usageMetadata" => odd().boxed(),
            parent if PATHS.iter().any(|p| p.starts_with(&format!("{parent}."))) => {
                let keys: Vec<&'static str> =
                    PATHS.iter().filter_map(|p| p.split_once('.')).filter(|(q, _)| *q == parent).map(|(_, k)| k).collect();
                let n = keys.len();
                let children = (
                    prop::sample::subsequence(keys, 0..=n),
                    proptest::collection::vec(count(true), n),
                    proptest::option::weighted(0.3, prop::sample::select(vec!["\"video_tokens\":0", "\"other\":[1]"])),
                    0usize..10,
                )
                    .prop_map(|(keys, counts, extra, twice)| {
                        let mut c: Vec<String> = keys.iter().zip(counts).map(|(k, v)| format!("\"{k}\":{v}")).collect();
                        c.extend(extra.map(String::from));
                        // A key given twice, one time in ten.
                        if let (0, Some(first)) = (twice, c.first().cloned()) {
                            c.push(first);
                        }
                        format!("{{{}}}", c.join(","))
                    });
                prop_oneof![8 => children, 1 => odd()].boxed()
            }
            _ => count(false).boxed(),
        };
        value.prop_map(move |v| format!("\"{key}\":{v}")).boxed()
    }

    /// Any entry: a kept key, or another one.
    fn entry() -> impl Strategy<Value = String> {
        let kept = prop::sample::select(PATHS.iter().filter(|p| !p.contains('.')).copied().collect::<Vec<_>>());
        prop_oneof![
            3 => kept.prop_flat_map(entry_for),
            1 => prop::sample::select(vec![
                "\"id\":\"gen-1\"", "\"service_tier\":\"standard\"", "\"prompt_\\u0074okens\":5",
                "\"$serde_json::private::RawValue\":\"{}\"", "\"x\":[[1,{\"a\":null}]]",
            ])
            .prop_map(String::from),
        ]
    }

    /// Usage objects of one shape, now and then with more keys (a key twice, other shapes').
    fn usage_text() -> impl Strategy<Value = String> {
        let families: Vec<Vec<&'static str>> = vec![
            vec![
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "prompt_tokens_details",
                "completion_tokens_details",
            ],
            vec![
                "prompt_tokens",
                "completion_tokens",
                "cost",
                "is_byok",
                "cost_details",
                "prompt_tokens_details",
                "completion_tokens_details",
            ],
            vec![
                "input_tokens",
                "output_tokens",
                "total_tokens",
                "input_tokens_details",
                "output_tokens_details",
                "cost",
            ],
            vec![
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
                "cache_creation",
                "server_tool_use",
            ],
            vec![
                "promptTokenCount",
                "candidatesTokenCount",
                "cachedContentTokenCount",
                "thoughtsTokenCount",
                "toolUsePromptTokenCount",
                "totalTokenCount",
            ],
        ];
        let family = prop::sample::select(families).prop_flat_map(|keys| {
            let entries: Vec<_> = keys.into_iter().map(|k| proptest::option::weighted(0.85, entry_for(k))).collect();
            entries.prop_shuffle()
        });
        (family, proptest::collection::vec(entry(), 0..3), 0usize..4).prop_map(|(entries, extra, n)| {
            let mut all: Vec<String> = entries.into_iter().flatten().collect();
            // Extra entries one time in four.
            if n == 0 {
                all.extend(extra);
            }
            format!("{{{}}}", all.join(","))
        })
    }

    /// A usage, a response body holding one, or something else.
    pub(in crate::cost) fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => usage_text(),
            2 => (prop::sample::select(vec!["usage", "usageMetadata"]), usage_text(), usage_text(), any::<bool>()).prop_map(
                |(k, body, inner, body_too)| {
                    let body = if body_too { &body[1..body.len() - 1] } else { "\"id\":1" };
                    format!("{{{body},\"{k}\":{inner}}}").replace("{,", "{")
                }
            ),
            1 => odd(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// What this reader yields is what the reference yields.
        #[test]
        fn a_usage_read_is_the_references(text in text()) {
            if let Some(usage) = fast(&text) {
                prop_assert_eq!(reference(&text), Some(Ok(usage)), "{}", text);
            }
        }

        /// `Usage::detect_text` is the reference, errors included.
        #[test]
        fn detect_text_is_the_reference(text in text()) {
            let expected = match serde_json::from_str::<Value>(&text) {
                Ok(v) => Usage::detect(&v).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            prop_assert_eq!(Usage::detect_text(&text), expected, "{}", text);
        }
    }
}
