//! Reading what a response used and pricing it: the facts a response body (or the last
//! usage event of a stream) carries, and the cost recorded for them.

use super::CostSource;
use crate::cost::{PriceBook, Quote, QuoteError, Resolved, Usage};
use crate::domain::UnixMs;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What a response says about itself: its id, the model and provider that answered, its usage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseFacts {
    /// The response id (`gen-…`, `chatcmpl-…`, `resp_…`).
    pub id: Option<String>,
    /// The model that answered.
    pub model: Option<String>,
    /// The provider that served it (OpenRouter's `provider`).
    pub provider: Option<String>,
    /// The usage, when the response carried one we can read.
    pub usage: Option<Usage>,
    /// Why the usage could not be read (absent, unknown shape).
    pub usage_error: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    provider: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
}

impl ResponseFacts {
    /// Read a JSON response body, or the `data:` payload of a stream event. A Responses-API
    /// stream event (`{"type":"response.completed","response":{…}}`) is read through its
    /// `response`.
    pub fn from_json(body: &[u8]) -> ResponseFacts {
        let envelope: Envelope<'_> = match serde_json::from_slice(body) {
            Ok(e) => e,
            Err(e) => {
                return ResponseFacts { usage_error: Some(format!("response is not JSON: {e}")), ..Default::default() };
            }
        };
        let mut facts = ResponseFacts {
            id: envelope.id.map(Cow::into_owned),
            model: envelope.model.map(Cow::into_owned),
            provider: envelope.provider.map(Cow::into_owned),
            ..Default::default()
        };
        match envelope.usage.filter(|u| u.get() != "null") {
            Some(raw) => match Usage::detect_text(raw.get()) {
                Ok(u) => facts.usage = Some(u),
                Err(e) => facts.usage_error = Some(e),
            },
            None => match envelope.response {
                Some(inner) if inner.get().starts_with('{') => {
                    let inner = ResponseFacts::from_json(inner.get().as_bytes());
                    facts.id = facts.id.or(inner.id);
                    facts.model = facts.model.or(inner.model);
                    facts.provider = facts.provider.or(inner.provider);
                    facts.usage = inner.usage;
                    facts.usage_error = inner.usage_error;
                }
                _ => facts.usage_error = Some("the response carries no usage".into()),
            },
        }
        facts
    }
}

/// A request's cost as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Metered {
    /// The catalog's model id, when the engine resolved it.
    pub model: Option<String>,
    /// The offer the engine priced.
    pub offer_key: Option<String>,
    /// The cost recorded.
    pub cost: Option<Decimal>,
    /// Where it came from.
    pub source: CostSource,
    /// The provider's own figure.
    pub provider_cost: Option<Decimal>,
    /// The engine's figure.
    pub engine_cost: Option<Decimal>,
    /// Why the engine could not price it.
    pub error: Option<String>,
}

/// Resolve `model` for pricing with a provider hint; a hint that does not offer the model
/// (an aggregator's own name, say) is ignored rather than failing.
pub fn resolve<'b>(book: &'b PriceBook, model: &str, provider: Option<&str>) -> Result<Resolved<'b>, QuoteError> {
    match provider {
        Some(p) => match book.resolve(model, Some(p)) {
            Err(QuoteError::NoOffer { .. }) => book.resolve(model, None),
            other => other,
        },
        None => book.resolve(model, None),
    }
}

/// Price one request with the engine: `at` is the request's time (`None`: now, today's
/// prices, the fast path).
pub fn quote<'b>(
    book: &'b PriceBook,
    model: &str,
    provider: Option<&str>,
    usage: &Usage,
    at: Option<UnixMs>,
) -> Result<Quote<'b>, QuoteError> {
    resolve(book, model, provider)?.quote(usage, at, None)
}

/// The cost to record: the provider's own figure when the usage carries one, else the
/// engine's; the engine's figure is kept either way when it can be computed.
pub fn meter(book: &PriceBook, model: Option<&str>, provider: Option<&str>, usage: Option<&Usage>) -> Metered {
    let Some(usage) = usage else {
        return Metered {
            model: None,
            offer_key: None,
            cost: None,
            source: CostSource::Unpriced,
            provider_cost: None,
            engine_cost: None,
            error: Some("no usage in the response".into()),
        };
    };
    let provider_cost = usage.reported_cost;
    let (model_id, offer_key, engine_cost, error) = match model {
        None => (None, None, None, Some("no model in the request or response".to_string())),
        Some(m) => match quote(book, m, provider, usage, None) {
            Ok(q) => (Some(q.model.to_string()), Some(q.offer.to_string()), Some(q.total_usd), None),
            Err(e) => (None, None, None, Some(e.to_string())),
        },
    };
    let (cost, source) = match (provider_cost, engine_cost) {
        (Some(c), _) => (Some(c), CostSource::Reported),
        (None, Some(c)) => (Some(c), CostSource::Engine),
        (None, None) => (None, CostSource::Unpriced),
    };
    Metered { model: model_id, offer_key, cost, source, provider_cost, engine_cost, error }
}

/// Whether `haystack` holds `"usage"` followed by an object (not `null`): the stream event
/// that carries a request's usage.
pub fn has_usage_object(haystack: &[u8]) -> bool {
    const KEY: &[u8] = b"\"usage\"";
    let mut from = 0;
    while let Some(pos) = haystack[from..].windows(KEY.len()).position(|w| w == KEY) {
        let rest = &haystack[from + pos + KEY.len()..];
        let mut after = rest.iter().skip_while(|b| b.is_ascii_whitespace());
        if after.next() == Some(&b':') && after.find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            return true;
        }
        from += pos + KEY.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn reads_a_recorded_openrouter_body() {
        let body = br#"{"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","usage":{"prompt_tokens":29,"completion_tokens":33,"total_tokens":62,"cost":2.415e-05,"is_byok":false}}"#;
        let f = ResponseFacts::from_json(body);
        assert_eq!(f.id.as_deref(), Some("gen-1"));
        assert_eq!(f.provider.as_deref(), Some("OpenAI"));
        let u = f.usage.expect("usage");
        assert_eq!((u.input, u.output, u.reported_cost), (29, 33, Some(dec!(0.00002415))));
    }

    #[test]
    fn reads_a_responses_stream_event_through_its_response() {
        let event = br#"{"type":"response.completed","response":{"id":"resp_1","model":"openai/gpt-4o-mini","usage":{"input_tokens":19,"output_tokens":20,"total_tokens":39}}}"#;
        let f = ResponseFacts::from_json(event);
        assert_eq!(f.id.as_deref(), Some("resp_1"));
        assert_eq!(f.usage.map(|u| (u.input, u.output)), Some((19, 20)));
    }

    #[test]
    fn null_usage_is_no_usage() {
        let f = ResponseFacts::from_json(br#"{"id":"x","usage":null}"#);
        assert!(f.usage.is_none() && f.usage_error.is_some());
    }

    #[test]
    fn finds_usage_objects_only() {
        assert!(has_usage_object(br#"{"choices":[],"usage": {"prompt_tokens":1}}"#));
        assert!(!has_usage_object(br#"{"choices":[{"delta":{}}],"usage":null}"#));
        assert!(!has_usage_object(br#"{"text":"usage"}"#));
    }
}
