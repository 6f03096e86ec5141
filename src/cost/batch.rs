//! Batches: lines `{"model": ID, "usage": USAGE, "provider": P?, "at": TIME?, "mode": M?}` in,
//! one JSON line out per line, at the speed of one core.
//!
//! Every line gets exactly what pricing it on its own gives ([`price_line_reference`]: the line
//! as a `serde_json::Value`, [`Usage::detect`], [`PriceBook::quote`], `serde_json` output). The
//! fast path reads a line in one pass without a `Value` ([`RawUsage`]), resolves each distinct
//! (model, provider) once, and writes the output by hand; whatever it does not reproduce
//! exactly (any error, a key given twice, an odd `at`) goes through the reference, so its
//! words too are the reference's.

use super::raw_usage::{RawUsage, UsageSeed};
use super::{Bucket, PriceBook, Quote, QuoteLine, Resolved, Usage};
use crate::domain::{Component, Unit, UnixMs, parse_time};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// How many distinct (model, provider) resolutions a batch keeps: a bound on memory for a
/// file of ever-new ids (the cache then starts afresh; results do not depend on it).
const MAX_RESOLVED: usize = 1 << 16;

/// Prices the lines of a batch against one price book.
pub struct BatchPricer<'b> {
    book: &'b PriceBook,
    /// The usage of the line being priced (one, reused: it is large).
    usage: RawUsage,
    /// Each distinct model id (no provider) resolved once, or why it cannot be.
    by_model: HashMap<String, Result<Entry<'b>, String>>,
    /// The same, per provider then model id.
    by_provider: HashMap<String, HashMap<String, Result<Entry<'b>, String>>>,
}

/// A resolved id and the JSON text that every quote of it shares.
#[derive(Clone)]
struct Entry<'b> {
    resolved: Resolved<'b>,
    header: Rc<Header>,
}

/// A priced line: the quote, and the JSON text it shares with the other quotes of its id when
/// the fast path priced it.
pub struct Priced<'b> {
    /// The quote.
    pub quote: Quote<'b>,
    header: Option<Rc<Header>>,
}

impl<'b> BatchPricer<'b> {
    /// A pricer for `book`.
    pub fn new(book: &'b PriceBook) -> Self {
        Self { book, usage: RawUsage::default(), by_model: HashMap::new(), by_provider: HashMap::new() }
    }

    /// Price one (non-blank) line: its quote, or why it has none, exactly as
    /// [`price_line_reference`] prices it.
    pub fn price(&mut self, text: &str) -> Result<Priced<'b>, String> {
        match self.price_fast(text) {
            Some(priced) => priced,
            None => price_line_reference(self.book, text).map(|quote| Priced { quote, header: None }),
        }
    }

    /// The fast path; `None` when the reference must price the line.
    fn price_fast(&mut self, text: &str) -> Option<Result<Priced<'b>, String>> {
        self.usage.clear();
        let line = BatchLine::parse(text, &mut self.usage)?;
        // The reference's order: the usage, then the time, then the quote.
        let usage = self.usage.usage()?;
        let at = match line.at {
            At::Absent => None,
            At::Seconds(s) => Some(s.saturating_mul(1000)),
            At::Text(t) => match parse_time(&t) {
                Ok(ms) => Some(ms),
                Err(e) => return Some(Err(e)),
            },
        };
        let entry = self.resolve(&line.model, line.provider.as_deref());
        Some(entry.and_then(|e| {
            let quote = e.resolved.quote(&usage, at, line.mode.as_deref()).map_err(|e| e.to_string())?;
            Ok(Priced { quote, header: Some(e.header) })
        }))
    }

    /// [`PriceBook::resolve`], once per distinct (model, provider).
    fn resolve(&mut self, model: &str, provider: Option<&str>) -> Result<Entry<'b>, String> {
        let book = self.book;
        let map = match provider {
            None => &mut self.by_model,
            Some(p) => {
                if !self.by_provider.contains_key(p) {
                    if self.by_provider.len() >= MAX_RESOLVED {
                        self.by_provider.clear();
                    }
                    self.by_provider.insert(p.to_string(), HashMap::new());
                }
                match self.by_provider.get_mut(p) {
                    Some(map) => map,
                    None => return Entry::of(book, model, provider),
                }
            }
        };
        if let Some(r) = map.get(model) {
            return r.clone();
        }
        let r = Entry::of(book, model, provider);
        if map.len() >= MAX_RESOLVED {
            map.clear();
        }
        map.insert(model.to_string(), r.clone());
        r
    }
}

impl<'b> Entry<'b> {
    fn of(book: &'b PriceBook, model: &str, provider: Option<&str>) -> Result<Entry<'b>, String> {
        let resolved = book.resolve(model, provider).map_err(|e| e.to_string())?;
        let header = Rc::new(Header::of(&resolved));
        Ok(Entry { resolved, header })
    }
}

/// The text of a cost line that depends only on the resolved id: the JSON of the quote's
/// fields around its time and totals.
#[derive(Debug)]
struct Header {
    /// `,"model":…,"offer":…,"total_usd":`
    before_total: Vec<u8>,
    /// `,"breakdown":{"model":…` up to `"at":`
    before_at: Vec<u8>,
    /// `,"overridden":…` when there is one, and `,"lines":[`
    before_lines: Vec<u8>,
}

impl Header {
    fn of(r: &Resolved<'_>) -> Header {
        let o = r.offer();
        let mut h = Header { before_total: Vec::new(), before_at: Vec::new(), before_lines: Vec::new() };
        write_before_total(&mut h.before_total, r.model(), &o.key);
        write_before_at(
            &mut h.before_at,
            r.model(),
            r.rule(),
            &o.key,
            &o.source,
            &o.seller,
            o.served_by.as_deref(),
            &o.listing_id,
        );
        write_before_lines(&mut h.before_lines, r.overridden());
        h
    }
}

/// One line of a batch file, as the reference reads it.
#[derive(Deserialize)]
struct BatchRequest {
    model: String,
    usage: Value,
    provider: Option<String>,
    at: Option<Value>,
    mode: Option<String>,
}

/// A batch line's time: `None`, an RFC 3339 / date / unix-seconds string, or unix seconds.
fn batch_at(v: Option<&Value>) -> Result<Option<UnixMs>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_time(s).map(Some),
        Some(Value::Number(n)) => {
            n.as_i64().map(|s| Some(s.saturating_mul(1000))).ok_or_else(|| format!("bad time {n}"))
        }
        Some(other) => Err(format!("bad time {other}")),
    }
}

/// Price one batch line the plain way: the reference for [`BatchPricer::price`].
pub fn price_line_reference<'b>(book: &'b PriceBook, text: &str) -> Result<Quote<'b>, String> {
    let req: BatchRequest = serde_json::from_str(text).map_err(|e| format!("not a batch request: {e}"))?;
    let usage = Usage::detect(&req.usage).map_err(|e| e.to_string())?;
    let at = batch_at(req.at.as_ref())?;
    book.quote(&req.model, &usage, req.provider.as_deref(), at, req.mode.as_deref()).map_err(|e| e.to_string())
}

/// A batch line read in one pass, borrowing its strings from the text where it can.
struct BatchLine<'t> {
    model: Cow<'t, str>,
    provider: Option<Cow<'t, str>>,
    at: At<'t>,
    mode: Option<Cow<'t, str>>,
}

/// The `at` of a line.
enum At<'t> {
    Absent,
    Seconds(i64),
    Text(Cow<'t, str>),
}

impl<'t> BatchLine<'t> {
    /// The line, as `serde_json::from_str::<BatchRequest>` reads it; `None` for anything the
    /// reference must handle (its errors, a field twice, an `at` that is not a string or an
    /// `i64`, a line that is an array).
    /// The usage goes into `usage` (cleared).
    fn parse(text: &'t str, usage: &mut RawUsage) -> Option<BatchLine<'t>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let line = de.deserialize_map(LineVisitor { usage }).ok()?;
        de.end().ok()?;
        Some(line)
    }
}

struct LineVisitor<'r> {
    usage: &'r mut RawUsage,
}

/// The fields of a line.
enum Field {
    Model,
    Usage,
    Provider,
    At,
    Mode,
    Other,
}

struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
        Ok(match key {
            "model" => Field::Model,
            "usage" => Field::Usage,
            "provider" => Field::Provider,
            "at" => Field::At,
            "mode" => Field::Mode,
            _ => Field::Other,
        })
    }
}

/// Gives up on the line: the reference reads it again and reports what it finds.
fn give_up<E: de::Error>() -> E {
    E::custom("left to the reference")
}

impl<'de> Visitor<'de> for LineVisitor<'_> {
    type Value = BatchLine<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BatchLine<'de>, A::Error> {
        let (mut model, mut provider, mut at, mut mode) = (None, None, None, None);
        let mut usage = false;
        while let Some(field) = map.next_key_seed(FieldSeed)? {
            // A field twice is the reference's error.
            match field {
                Field::Model if model.is_none() => model = Some(map.next_value_seed(Text)?),
                Field::Usage if !usage => {
                    map.next_value_seed(UsageSeed { outer: true, raw: &mut *self.usage })?;
                    usage = true;
                }
                Field::Provider if provider.is_none() => provider = Some(map.next_value_seed(OptionalText)?),
                Field::At if at.is_none() => at = Some(map.next_value_seed(AtSeed)?),
                Field::Mode if mode.is_none() => mode = Some(map.next_value_seed(OptionalText)?),
                // As the derived reader, which skips unknown fields without reading their values.
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => return Err(give_up()),
            }
        }
        if !usage {
            return Err(give_up());
        }
        Ok(BatchLine {
            model: model.ok_or_else(give_up)?,
            provider: provider.flatten(),
            at: at.unwrap_or(At::Absent),
            mode: mode.flatten(),
        })
    }
}

/// A string, borrowed from the text when it holds no escape.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        // `deserialize_string`, as the reference's `String` fields.
        deserializer.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_string()))
    }
}

/// `null` or a string, as the reference's `Option<String>` fields.
struct OptionalText;

impl<'de> DeserializeSeed<'de> for OptionalText {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalText {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Cow<'de, str>>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error> {
        Text.deserialize(deserializer).map(Some)
    }
}

/// `at`, as far as the fast path takes it: absent or null, a string, or an `i64`.
struct AtSeed;

impl<'de> DeserializeSeed<'de> for AtSeed {
    type Value = At<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<At<'de>, D::Error> {
        // `deserialize_option`, as the reference's `Option<Value>`.
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for AtSeed {
    type Value = At<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time")
    }

    fn visit_none<E: de::Error>(self) -> Result<At<'de>, E> {
        Ok(At::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<At<'de>, D::Error> {
        // `deserialize_any`, as `Value`.
        deserializer.deserialize_any(AtValue)
    }
}

struct AtValue;

impl<'de> Visitor<'de> for AtValue {
    type Value = At<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<At<'de>, E> {
        Ok(At::Text(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<At<'de>, E> {
        Ok(At::Text(Cow::Owned(s.to_string())))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<At<'de>, E> {
        Ok(At::Seconds(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<At<'de>, E> {
        // `Number::as_i64`: larger ones are the reference's error.
        i64::try_from(n).map(At::Seconds).map_err(|_| give_up())
    }
}

/// Writes the JSON lines of a batch by hand, byte for byte as `serde_json` writes them.
pub struct BatchWriter {
    /// The last time written and its text: the requests of a batch priced "now" share a few.
    at: Option<(jiff::Timestamp, String)>,
    /// `{"bucket":…,"component":…,"quantity":` for every bucket and component.
    line_starts: Vec<Vec<u8>>,
}

impl Default for BatchWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchWriter {
    /// A writer.
    pub fn new() -> Self {
        let mut line_starts = vec![Vec::new(); Bucket::ALL.len() * Component::ALL.len()];
        for b in Bucket::ALL {
            for c in Component::ALL {
                let mut start = b"{\"bucket\":".to_vec();
                write_str(&mut start, b.as_str());
                start.extend_from_slice(b",\"component\":");
                write_str(&mut start, component_name(c));
                start.extend_from_slice(b",\"quantity\":");
                if let Some(slot) = line_starts.get_mut(Self::line_index(b, c)) {
                    *slot = start;
                }
            }
        }
        Self { at: None, line_starts }
    }

    /// Where a bucket and component's line start is: by their discriminants (declaration
    /// order, which `Bucket::ALL` does not follow).
    fn line_index(bucket: Bucket, component: Component) -> usize {
        bucket as usize * Component::ALL.len() + component as usize
    }

    /// The start of a line of `bucket` priced at `component`.
    fn line_start(&self, bucket: Bucket, component: Component) -> &[u8] {
        self.line_starts.get(Self::line_index(bucket, component)).map_or(&[], Vec::as_slice)
    }

    /// `{"line":N,"model":…,"offer":…,"total_usd":…,"breakdown":QUOTE}` and a newline.
    pub fn cost(&mut self, out: &mut Vec<u8>, line: usize, priced: &Priced<'_>) {
        let q = &priced.quote;
        out.extend_from_slice(b"{\"line\":");
        write_u64(out, line as u64);
        match &priced.header {
            Some(h) => out.extend_from_slice(&h.before_total),
            None => write_before_total(out, q.model, q.offer),
        }
        write_decimal(out, q.total_usd);
        match &priced.header {
            Some(h) => out.extend_from_slice(&h.before_at),
            None => {
                write_before_at(out, q.model, q.resolved_by, q.offer, q.source, q.seller, q.served_by, q.listing_id)
            }
        }
        self.write_at(out, q.at);
        out.extend_from_slice(b",\"total_usd\":");
        write_decimal(out, q.total_usd.normalize());
        match &priced.header {
            Some(h) => out.extend_from_slice(&h.before_lines),
            None => write_before_lines(out, q.overridden.as_deref()),
        }
        for (i, l) in q.lines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write_line(out, l);
        }
        out.extend_from_slice(b"]}}\n");
    }

    /// A [`QuoteLine`]: the engine's line flattened, then `price_valid_from`.
    fn write_line(&self, out: &mut Vec<u8>, q: &QuoteLine) {
        let l = &q.line;
        out.extend_from_slice(self.line_start(l.bucket, l.component));
        write_u64(out, l.quantity);
        out.extend_from_slice(match l.unit {
            Unit::Token => b",\"unit\":\"token\",\"unit_price\":",
            Unit::Image => b",\"unit\":\"image\",\"unit_price\":",
            Unit::Request => b",\"unit\":\"request\",\"unit_price\":",
            Unit::Search => b",\"unit\":\"search\",\"unit_price\":",
        });
        write_decimal(out, l.unit_price);
        if let Some(d) = l.discount {
            out.extend_from_slice(b",\"discount\":");
            write_decimal(out, d);
        }
        out.extend_from_slice(b",\"amount\":");
        write_decimal(out, l.amount.normalize());
        out.extend_from_slice(b",\"min_prompt_tokens\":");
        write_i64(out, l.min_prompt_tokens);
        if l.condition.is_empty() {
            out.extend_from_slice(b",\"condition\":\"\"");
        } else {
            out.extend_from_slice(b",\"condition\":");
            write_str(out, &l.condition);
        }
        if let Some(note) = &l.note {
            out.extend_from_slice(b",\"note\":");
            write_str(out, note);
        }
        out.extend_from_slice(b",\"price_valid_from\":");
        write_i64(out, q.price_valid_from);
        out.push(b'}');
    }

    /// `{"line":N,"error":…}` and a newline.
    pub fn error(&mut self, out: &mut Vec<u8>, line: usize, error: &str) {
        out.extend_from_slice(b"{\"line\":");
        write_u64(out, line as u64);
        out.extend_from_slice(b",\"error\":");
        write_str(out, error);
        out.extend_from_slice(b"}\n");
    }

    fn write_at(&mut self, out: &mut Vec<u8>, at: jiff::Timestamp) {
        match &self.at {
            Some((last, text)) if *last == at => write_str(out, text),
            _ => {
                // `jiff`'s `Serialize` writes the `Display` text.
                let text = at.to_string();
                write_str(out, &text);
                self.at = Some((at, text));
            }
        }
    }
}

fn write_before_total(out: &mut Vec<u8>, model: &str, offer: &str) {
    out.extend_from_slice(b",\"model\":");
    write_str(out, model);
    out.extend_from_slice(b",\"offer\":");
    write_str(out, offer);
    out.extend_from_slice(b",\"total_usd\":");
}

#[allow(clippy::too_many_arguments)]
fn write_before_at(
    out: &mut Vec<u8>,
    model: &str,
    rule: crate::identity::Rule,
    offer: &str,
    source: &str,
    seller: &str,
    served_by: Option<&str>,
    listing_id: &str,
) {
    out.extend_from_slice(b",\"breakdown\":{\"model\":");
    write_str(out, model);
    out.extend_from_slice(b",\"resolved_by\":");
    write_str(out, rule_name(rule));
    out.extend_from_slice(b",\"offer\":");
    write_str(out, offer);
    out.extend_from_slice(b",\"source\":");
    write_str(out, source);
    out.extend_from_slice(b",\"seller\":");
    write_str(out, seller);
    out.extend_from_slice(b",\"served_by\":");
    match served_by {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"listing_id\":");
    write_str(out, listing_id);
    out.extend_from_slice(b",\"at\":");
}

fn write_before_lines(out: &mut Vec<u8>, overridden: Option<&str>) {
    if let Some(o) = overridden {
        out.extend_from_slice(b",\"overridden\":");
        write_str(out, o);
    }
    out.extend_from_slice(b",\"lines\":[");
}

/// The serde name of a rule (`rename_all = "snake_case"`).
fn rule_name(rule: crate::identity::Rule) -> &'static str {
    use crate::identity::Rule;
    match rule {
        Rule::Exact => "exact",
        Rule::Normalized => "normalized",
        Rule::Slug => "slug",
        Rule::Undated => "undated",
    }
}

/// The serde name of a component (`rename_all = "snake_case"`: `CacheWrite1h` is
/// `cache_write1h` there, unlike [`Component::as_str`](crate::domain::Component::as_str)).
fn component_name(c: Component) -> &'static str {
    use Component as C;
    match c {
        C::Input => "input",
        C::Output => "output",
        C::CacheRead => "cache_read",
        C::CacheWrite => "cache_write",
        C::CacheWrite1h => "cache_write1h",
        C::Reasoning => "reasoning",
        C::AudioInput => "audio_input",
        C::AudioOutput => "audio_output",
        C::AudioCacheRead => "audio_cache_read",
        C::ImageToken => "image_token",
        C::ImageOutputToken => "image_output_token",
        C::ImageInput => "image_input",
        C::ImageOutput => "image_output",
        C::Request => "request",
        C::WebSearch => "web_search",
    }
}

/// A JSON string, escaped as `serde_json` escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    // Almost every string needs no escape: one pass the compiler vectorises (no early exit).
    if !bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// "00" to "99".
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The decimal digits of `n` at the end of `buf`: where they start.
fn digits(buf: &mut [u8; 40], mut n: u64) -> usize {
    let mut i = buf.len();
    // Two digits a step: half the divisions.
    while n >= 100 {
        let pair = usize::try_from(n % 100).unwrap_or(0) * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = usize::try_from(n).unwrap_or(0) * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        // `n` is a digit.
        buf[i] = b'0' + n as u8;
    }
    i
}

fn write_u64(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 40];
    let start = digits(&mut buf, n);
    out.extend_from_slice(&buf[start..]);
}

fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// A `Decimal` as its `Serialize` writes it (a string of `rust_decimal`'s own text: every
/// digit of the mantissa, the point `scale` digits from the right, `0.` before a fraction),
/// without its digit-by-digit division of the 96-bit mantissa.
fn write_decimal(out: &mut Vec<u8>, d: Decimal) {
    // The mantissa's digits at the end of `buf`, padded with zeros to at least `scale` of them.
    let mut buf = [b'0'; 40];
    let m = d.mantissa().unsigned_abs();
    let mut start = match u64::try_from(m) {
        // Prices and amounts fit in 64 bits: no 128-bit division for them.
        Ok(0) => buf.len(),
        Ok(m) => digits(&mut buf, m),
        Err(_) => {
            let (mut m, mut i) = (m, buf.len());
            while m > 0 {
                i -= 1;
                // `m % 10` is a digit.
                buf[i] = b'0' + (m % 10) as u8;
                m /= 10;
            }
            i
        }
    };
    let scale = d.scale() as usize;
    start = start.min(buf.len() - scale);
    let (whole, fraction) = buf[start..].split_at(buf.len() - start - scale);
    out.push(b'"');
    if d.is_sign_negative() {
        out.push(b'-');
    }
    if whole.is_empty() {
        out.push(b'0');
    } else {
        out.extend_from_slice(whole);
    }
    if !fraction.is_empty() {
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
    out.push(b'"');
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CatalogState, Price, PriceValue};
    use crate::sources::openrouter::{parse_models, to_catalog};
    use crate::sources::overrides::Discount;
    use crate::store::PriceRecord;
    use proptest::prelude::*;
    use rust_decimal::dec;
    use serde::Serialize;
    use std::sync::OnceLock;

    /// A cost line as the reference writes it (`serde_json` of this).
    #[derive(Serialize)]
    struct BatchCost<'a> {
        line: usize,
        model: &'a str,
        offer: &'a str,
        total_usd: Decimal,
        breakdown: &'a Quote<'a>,
    }

    #[derive(Serialize)]
    struct BatchError<'a> {
        line: usize,
        error: &'a str,
    }

    const AUG_14: UnixMs = 1_786_665_600_000;
    const JUL_17: UnixMs = 1_784_246_400_000;

    /// The 2026-08-14 catalog, its prices valid since that day and at double the price since
    /// 2026-07-17, and a discount on one model.
    fn book() -> &'static PriceBook {
        static BOOK: OnceLock<PriceBook> = OnceLock::new();
        BOOK.get_or_init(|| {
            let path = format!("{}/fixtures/openrouter/models_2026-08-14.json", env!("CARGO_MANIFEST_DIR"));
            let body = std::fs::read(path).expect("the fixture exists");
            let catalog = to_catalog(&parse_models(&body).expect("the catalog parses")).expect("the catalog maps");
            let state = CatalogState::applied(catalog, AUG_14);
            let mut intervals = Vec::new();
            for o in state.offers.values() {
                for (key, p) in &o.prices {
                    let price = Price { key: key.clone(), value: p.value, scope: p.scope };
                    let older = match p.value {
                        PriceValue::Fixed(d) => PriceValue::Fixed(d * Decimal::TWO),
                        v => v,
                    };
                    let old = Price { value: older, ..price.clone() };
                    intervals.push((
                        o.offer.key.to_string(),
                        PriceRecord { price: old, valid_from: JUL_17, valid_to: Some(AUG_14) },
                    ));
                    intervals
                        .push((o.offer.key.to_string(), PriceRecord { price, valid_from: AUG_14, valid_to: None }));
                }
            }
            let discount =
                Discount { provider: "openrouter".into(), model: Some("x-ai/grok-4.6".into()), fraction: dec!(0.15) };
            PriceBook::new(&state, intervals).with_discounts(vec![discount])
        })
    }

    /// The reference's output line for a result.
    fn reference_json(n: usize, result: &Result<Quote<'_>, String>) -> Vec<u8> {
        let mut out = match result {
            Ok(q) => serde_json::to_vec(&BatchCost {
                line: n,
                model: q.model,
                offer: q.offer,
                total_usd: q.total_usd,
                breakdown: q,
            }),
            Err(error) => serde_json::to_vec(&BatchError { line: n, error }),
        }
        .expect("serialisable");
        out.push(b'\n');
        out
    }

    fn written(writer: &mut BatchWriter, n: usize, result: &Result<Priced<'_>, String>) -> Vec<u8> {
        let mut out = Vec::new();
        match result {
            Ok(priced) => writer.cost(&mut out, n, priced),
            Err(error) => writer.error(&mut out, n, error),
        }
        out
    }

    /// A line prices and writes as the reference prices and writes it: the same quote (its
    /// time aside, "now" differs), the same error, the same bytes, with the fast path's shared
    /// text or without.
    fn check(
        pricer: &mut BatchPricer<'_>,
        writer: &mut BatchWriter,
        n: usize,
        text: &str,
    ) -> Result<(), TestCaseError> {
        let now = jiff::Timestamp::from_millisecond(AUG_14 + 1).expect("a time");
        let mut fast = pricer.price(text);
        let mut reference = price_line_reference(book(), text);
        for q in [fast.as_mut().ok().map(|p| &mut p.quote), reference.as_mut().ok()].into_iter().flatten() {
            if q.at > now {
                q.at = now;
            }
        }
        let expected = reference_json(n, &reference);
        let got = written(writer, n, &fast);
        prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected), "{}", text);
        if let Ok(priced) = &fast {
            let plain = Priced { quote: priced.quote.clone(), header: None };
            prop_assert_eq!(written(writer, n, &Ok(plain)), expected, "{}", text);
        }
        Ok(())
    }

    fn model() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "moonshotai/kimi-k3",
            "kimi-k3",
            "gpt-4o",
            "azure/gpt-4o",
            "openai/gpt-4o:batch",
            "Anthropic/Claude-Sonnet-5",
            "claude-sonnet-5-20260101",
            "deepseek/deepseek-v4-pro",
            "qwen/qwen3.7-flash",
            "bytedance-seed/seed-2.0-code",
            "openrouter/auto",
            "google/gemini-3.1-flash-image",
            "x-ai/grok-4.6",
            "nobody/nothing",
            "llama",
            "",
            "moonshotai\\/kimi-k3",
            "kimi\\u002dk3",
            "x\\n\\\"y",
        ])
        .prop_map(String::from)
    }

    /// Usages of every shape that price, and any usage text.
    fn usage() -> impl Strategy<Value = String> {
        let counts = (1u64..400_000, 0u64..2_000, 0u64..20_000, 0u64..3);
        let good = (counts, 0usize..6).prop_map(|((big, small, out, items), shape)| match shape {
            0 => format!(r#"{{"prompt_tokens":{big},"completion_tokens":{out},"prompt_tokens_details":{{"cached_tokens":{small}}},"completion_tokens_details":{{"reasoning_tokens":{out}}}}}"#),
            1 => format!(r#"{{"prompt_tokens":{big},"completion_tokens":{out},"cost":0.25,"completion_tokens_details":{{"image_tokens":{}}},"prompt_tokens_details":{{"cache_write_tokens":{small}}}}}"#, small.min(out)),
            2 => format!(r#"{{"input_tokens":{big},"output_tokens":{out},"cache_read_input_tokens":{small},"cache_creation":{{"ephemeral_1h_input_tokens":{small}}},"server_tool_use":{{"web_search_requests":{items}}}}}"#),
            3 => format!(r#"{{"input_tokens":{big},"output_tokens":{out},"input_tokens_details":{{"cached_tokens":{small}}},"total_tokens":1}}"#),
            4 => format!(r#"{{"candidates":[],"usageMetadata":{{"promptTokenCount":{big},"cachedContentTokenCount":{small},"candidatesTokenCount":{out}}}}}"#),
            _ => format!(r#"{{"id":"x","usage":{{"prompt_tokens":{big},"completion_tokens":{out}}}}}"#),
        });
        prop_oneof![good, super::super::raw_usage::tests::text()]
    }

    fn field(name: &'static str, values: Vec<&'static str>) -> impl Strategy<Value = Option<String>> {
        proptest::option::weighted(0.3, prop::sample::select(values).prop_map(move |v| format!("\"{name}\":{v}")))
    }

    /// Batch lines: the fields in any order, now and then twice, odd or missing.
    fn line() -> impl Strategy<Value = String> {
        let fields = (
            proptest::option::weighted(0.95, model().prop_map(|m| format!("\"model\":\"{m}\""))),
            proptest::option::weighted(0.95, usage().prop_map(|u| format!("\"usage\":{u}"))),
            field(
                "provider",
                vec!["null", "\"openrouter\"", "\"OpenRouter\"", "\"moonshotai\"", "\"azure\"", "\"nobody\"", "5"],
            ),
            field(
                "at",
                vec![
                    "null",
                    "\"2026-08-14T12:00:00Z\"",
                    "\"2026-07-20\"",
                    "\"2025-01-01\"",
                    "1786700000",
                    "-5",
                    "1.5",
                    "[1]",
                    "{\"x\":1}",
                    "\"not a time\"",
                    "9223372036854775807",
                    "18446744073709551615",
                    "\"2026-08-15T00:30:00Z\"",
                ],
            ),
            field("mode", vec!["null", "\"batch\"", "\"flex\"", "\"\"", "[]"]),
            field("extra", vec!["1e400", "[[[]]]", "{\"$serde_json::private::RawValue\":5}", "\"x\""]),
            0usize..12,
        );
        fields.prop_map(|(model, usage, provider, at, mode, extra, twist)| {
            let mut parts: Vec<String> = [model, usage, provider, at, mode, extra].into_iter().flatten().collect();
            match twist {
                // A field twice.
                0 => {
                    if let Some(first) = parts.first().cloned() {
                        parts.push(first);
                    }
                }
                1 => parts.reverse(),
                _ => {}
            }
            match twist {
                2 => format!("[{}]", parts.join(",")),
                3 => format!(" {{{}}} ", parts.join(",")),
                4 => format!("{{{}}} x", parts.join(",")),
                _ => format!("{{{}}}", parts.join(",")),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Every line prices, fails and is written exactly as the reference does it.
        #[test]
        fn lines_price_as_the_reference_prices_them(lines in proptest::collection::vec(line(), 1..8)) {
            let mut pricer = BatchPricer::new(book());
            let mut writer = BatchWriter::new();
            for (n, text) in lines.iter().enumerate() {
                check(&mut pricer, &mut writer, n + 1, text)?;
            }
        }
    }

    /// The recorded OpenRouter usages, as batch lines, with and without a provider.
    #[test]
    fn fixture_lines_price_as_the_reference_prices_them() {
        let path = format!("{}/fixtures/openrouter/chat_usage_samples.json", env!("CARGO_MANIFEST_DIR"));
        let samples: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture exists")).expect("JSON");
        let mut pricer = BatchPricer::new(book());
        let mut writer = BatchWriter::new();
        let mut fast = 0;
        for (n, s) in samples["samples"].as_array().expect("samples").iter().enumerate() {
            for line in [
                serde_json::json!({"model": s["model"], "usage": s["usage"]}),
                serde_json::json!({"model": s["model"], "usage": s["usage"], "provider": "openrouter"}),
                serde_json::json!({"usage": s["usage"], "model": s["model"], "at": "2026-07-20T00:00:00Z"}),
            ] {
                let text = line.to_string();
                check(&mut pricer, &mut writer, n, &text).expect("as the reference");
                fast += usize::from(pricer.price_fast(&text).is_some_and(|r| r.is_ok()));
            }
        }
        // All but the model the catalog does not list take the fast path.
        assert_eq!(fast, 24);
    }

    #[test]
    fn names_are_serdes() {
        for c in Component::ALL {
            assert_eq!(serde_json::to_string(&c).expect("serialisable"), format!("\"{}\"", component_name(c)));
        }
        for b in Bucket::ALL {
            assert_eq!(serde_json::to_string(&b).expect("serialisable"), format!("\"{}\"", b.as_str()));
        }
        for u in [Unit::Token, Unit::Image, Unit::Request, Unit::Search] {
            assert_eq!(serde_json::to_string(&u).expect("serialisable"), format!("\"{}\"", u.as_str()));
        }
        use crate::identity::Rule;
        for r in [Rule::Exact, Rule::Normalized, Rule::Slug, Rule::Undated] {
            assert_eq!(serde_json::to_string(&r).expect("serialisable"), format!("\"{}\"", rule_name(r)));
        }
    }

    fn any_decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..=28)
                .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
            (0i64..100_000_000, 0u32..=12).prop_map(|(m, s)| Decimal::new(m, s)),
            (0u32..=28, any::<bool>()).prop_map(|(s, neg)| Decimal::from_parts(0, 0, 0, neg, s)),
        ]
    }

    proptest! {
        #[test]
        fn strings_and_numbers_are_written_as_serde_json_writes_them(
            s in "\\PC{0,30}|[\\x00-\\x7f]{0,30}",
            d in any_decimal(),
            n in any::<u64>(),
            i in any::<i64>(),
        ) {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).expect("serialisable"));
            let mut out = Vec::new();
            write_decimal(&mut out, d);
            prop_assert_eq!(String::from_utf8_lossy(&out), serde_json::to_string(&d).expect("serialisable"));
            let mut out = Vec::new();
            write_u64(&mut out, n);
            write_i64(&mut out, i);
            prop_assert_eq!(out, format!("{n}{i}").into_bytes());
        }
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        for b in 0u8..=0x7f {
            let s = format!("a{}b", char::from(b));
            let mut out = Vec::new();
            write_str(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).expect("serialisable"), "{b:#x}");
        }
    }
}
