//! Token usage of one request, normalised so that every token is counted in exactly one bucket,
//! and the parsers that read it from each provider's `usage` JSON.
#![deny(clippy::float_arithmetic)]

use super::CostError;
use crate::domain::Component;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// What one request consumed, one bucket per way of billing it; no token is in two buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Prompt tokens billed at the plain input rate (no cache, audio or image tokens).
    pub input: u64,
    /// Prompt tokens read from the cache.
    pub cache_read: u64,
    /// Prompt tokens written to the cache (5-minute lifetime).
    pub cache_write: u64,
    /// Prompt tokens written to the cache with a 1-hour lifetime.
    pub cache_write_1h: u64,
    /// Completion tokens that are not reasoning, audio or image tokens.
    pub output: u64,
    /// Reasoning (thinking) tokens.
    pub reasoning: u64,
    /// Audio prompt tokens.
    pub audio_input: u64,
    /// Audio completion tokens.
    pub audio_output: u64,
    /// Image prompt tokens.
    pub image_input_tokens: u64,
    /// Image completion tokens.
    pub image_output_tokens: u64,
    /// Input images (per-image billing).
    pub images_in: u64,
    /// Output images (per-image billing).
    pub images_out: u64,
    /// Web searches.
    pub web_searches: u64,
    /// Requests (1 for one request).
    pub requests: u64,
    /// The cost the provider reported (OpenRouter `usage.cost`), exact.
    pub reported_cost: Option<Decimal>,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input: 0,
            cache_read: 0,
            cache_write: 0,
            cache_write_1h: 0,
            output: 0,
            reasoning: 0,
            audio_input: 0,
            audio_output: 0,
            image_input_tokens: 0,
            image_output_tokens: 0,
            images_in: 0,
            images_out: 0,
            web_searches: 0,
            requests: 1,
            reported_cost: None,
        }
    }
}

/// One bucket of a [`Usage`]: a quantity billed one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Bucket {
    /// [`Usage::input`].
    #[serde(rename = "input")]
    Input,
    /// [`Usage::cache_read`].
    #[serde(rename = "cache_read")]
    CacheRead,
    /// [`Usage::cache_write`].
    #[serde(rename = "cache_write")]
    CacheWrite,
    /// [`Usage::cache_write_1h`].
    #[serde(rename = "cache_write_1h")]
    CacheWrite1h,
    /// [`Usage::output`].
    #[serde(rename = "output")]
    Output,
    /// [`Usage::reasoning`].
    #[serde(rename = "reasoning")]
    Reasoning,
    /// [`Usage::audio_input`].
    #[serde(rename = "audio_input")]
    AudioInput,
    /// [`Usage::audio_output`].
    #[serde(rename = "audio_output")]
    AudioOutput,
    /// [`Usage::image_input_tokens`].
    #[serde(rename = "image_input_tokens")]
    ImageInputTokens,
    /// [`Usage::image_output_tokens`].
    #[serde(rename = "image_output_tokens")]
    ImageOutputTokens,
    /// [`Usage::images_in`].
    #[serde(rename = "images_in")]
    ImagesIn,
    /// [`Usage::images_out`].
    #[serde(rename = "images_out")]
    ImagesOut,
    /// [`Usage::web_searches`].
    #[serde(rename = "web_searches")]
    WebSearches,
    /// [`Usage::requests`].
    #[serde(rename = "requests")]
    Requests,
}

impl Bucket {
    /// Every bucket, in billing order.
    pub const ALL: [Bucket; 14] = [
        Bucket::Input,
        Bucket::CacheRead,
        Bucket::CacheWrite,
        Bucket::CacheWrite1h,
        Bucket::AudioInput,
        Bucket::ImageInputTokens,
        Bucket::Output,
        Bucket::Reasoning,
        Bucket::AudioOutput,
        Bucket::ImageOutputTokens,
        Bucket::ImagesIn,
        Bucket::ImagesOut,
        Bucket::WebSearches,
        Bucket::Requests,
    ];

    /// The stable name (the [`Usage`] field's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Input => "input",
            Bucket::CacheRead => "cache_read",
            Bucket::CacheWrite => "cache_write",
            Bucket::CacheWrite1h => "cache_write_1h",
            Bucket::Output => "output",
            Bucket::Reasoning => "reasoning",
            Bucket::AudioInput => "audio_input",
            Bucket::AudioOutput => "audio_output",
            Bucket::ImageInputTokens => "image_input_tokens",
            Bucket::ImageOutputTokens => "image_output_tokens",
            Bucket::ImagesIn => "images_in",
            Bucket::ImagesOut => "images_out",
            Bucket::WebSearches => "web_searches",
            Bucket::Requests => "requests",
        }
    }

    /// The component that prices this bucket, followed by its fallbacks, in order.
    pub fn price_chain(self) -> &'static [Component] {
        use Component as C;
        match self {
            Bucket::Input | Bucket::ImageInputTokens => &[C::Input],
            Bucket::CacheRead => &[C::CacheRead, C::Input],
            Bucket::CacheWrite => &[C::CacheWrite, C::Input],
            Bucket::CacheWrite1h => &[C::CacheWrite1h, C::CacheWrite, C::Input],
            Bucket::Output => &[C::Output],
            Bucket::Reasoning => &[C::Reasoning, C::Output],
            Bucket::AudioInput => &[C::AudioInput, C::Input],
            Bucket::AudioOutput => &[C::AudioOutput, C::Output],
            Bucket::ImageOutputTokens => &[C::ImageOutputToken, C::ImageToken, C::Output],
            Bucket::ImagesIn => &[C::ImageInput],
            Bucket::ImagesOut => &[C::ImageOutput],
            Bucket::WebSearches => &[C::WebSearch],
            Bucket::Requests => &[C::Request],
        }
    }

    /// Whether the bucket counts items (images, searches, requests) rather than tokens.
    pub fn is_per_item(self) -> bool {
        matches!(self, Bucket::ImagesIn | Bucket::ImagesOut | Bucket::WebSearches | Bucket::Requests)
    }

    /// Whether the bucket's tokens are prompt tokens (they count toward the tier threshold).
    pub fn is_prompt(self) -> bool {
        matches!(
            self,
            Bucket::Input
                | Bucket::CacheRead
                | Bucket::CacheWrite
                | Bucket::CacheWrite1h
                | Bucket::AudioInput
                | Bucket::ImageInputTokens
        )
    }

    /// Whether the bucket's tokens are completion tokens.
    pub fn is_completion(self) -> bool {
        !self.is_per_item() && !self.is_prompt()
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The usage JSON shapes we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageShape {
    /// OpenAI chat completions (`prompt_tokens`, `completion_tokens`, `*_details`).
    OpenAiChat,
    /// OpenRouter: OpenAI chat plus `cache_write_tokens` and `cost`.
    OpenRouter,
    /// OpenAI Responses API (`input_tokens`, `output_tokens`, `*_tokens_details`).
    OpenAiResponses,
    /// Anthropic Messages (`input_tokens` excluding cache tokens, `cache_*_input_tokens`).
    Anthropic,
    /// Gemini `usageMetadata` (`promptTokenCount`, `candidatesTokenCount`, ...).
    Gemini,
}

impl UsageShape {
    /// Which shape `value` is (a usage object, or a response body holding `usage` /
    /// `usageMetadata`), and the usage object itself.
    pub fn detect(value: &Value) -> Result<(UsageShape, &Value), CostError> {
        let map =
            value.as_object().ok_or_else(|| CostError::UnknownShape(format!("expected a JSON object, got {value}")))?;
        if let Some(shape) = Self::of_usage(map)? {
            return Ok((shape, value));
        }
        let wrapped = match (map.get("usage"), map.get("usageMetadata")) {
            (Some(_), Some(_)) => {
                return Err(CostError::UnknownShape("both `usage` and `usageMetadata` are present".into()));
            }
            (Some(u), None) | (None, Some(u)) => u,
            (None, None) => return Err(CostError::UnknownShape(describe_keys(map))),
        };
        let inner = wrapped
            .as_object()
            .ok_or_else(|| CostError::UnknownShape(format!("`usage` is not an object: {wrapped}")))?;
        let shape = Self::of_usage(inner)?
            .ok_or_else(|| CostError::UnknownShape(format!("in the response's usage: {}", describe_keys(inner))))?;
        let from_gemini_key = map.contains_key("usageMetadata");
        if from_gemini_key != (shape == UsageShape::Gemini) {
            return Err(CostError::UnknownShape(format!("{shape:?} usage under the wrong key")));
        }
        Ok((shape, wrapped))
    }

    /// The shape of a usage object, `None` when it looks like none (e.g. a whole body).
    fn of_usage(map: &Map<String, Value>) -> Result<Option<UsageShape>, CostError> {
        Self::of_fields(&Fields(map))
    }

    /// [`Self::of_usage`] of any [`UsageFields`].
    pub(super) fn of_fields(u: &impl UsageFields) -> Result<Option<UsageShape>, CostError> {
        let has = |keys: &[&str]| keys.iter().any(|k| u.has(k));
        let gemini = has(&[
            "promptTokenCount",
            "candidatesTokenCount",
            "totalTokenCount",
            "cachedContentTokenCount",
            "thoughtsTokenCount",
        ]);
        let chat = has(&["prompt_tokens", "completion_tokens"]);
        let io = has(&["input_tokens", "output_tokens"]);
        let families = [gemini, chat, io].iter().filter(|f| **f).count();
        if families > 1 {
            return Err(CostError::UnknownShape(format!(
                "ambiguous: mixes the keys of several shapes ({})",
                u.describe()
            )));
        }
        if gemini {
            return Ok(Some(UsageShape::Gemini));
        }
        if chat {
            let openrouter =
                has(&["cost", "is_byok", "cost_details"]) || u.has_in("prompt_tokens_details", "cache_write_tokens");
            return Ok(Some(if openrouter { UsageShape::OpenRouter } else { UsageShape::OpenAiChat }));
        }
        if io {
            let anthropic =
                has(&["cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "server_tool_use"]);
            let responses = has(&["input_tokens_details", "output_tokens_details", "total_tokens", "cost"]);
            return match (anthropic, responses) {
                (true, true) => Err(CostError::UnknownShape(format!(
                    "ambiguous: both Anthropic and Responses keys ({})",
                    u.describe()
                ))),
                (false, true) => Ok(Some(UsageShape::OpenAiResponses)),
                // Bare `input_tokens`/`output_tokens` read the same either way.
                _ => Ok(Some(UsageShape::Anthropic)),
            };
        }
        Ok(None)
    }
}

/// `keys: a, b, c` for error messages.
fn describe_keys(map: &Map<String, Value>) -> String {
    let keys: Vec<&str> = map.keys().map(String::as_str).take(12).collect();
    format!("keys: {}", keys.join(", "))
}

impl Usage {
    /// Every token that counts toward the context tier threshold: input, cache reads and writes,
    /// audio and image prompt tokens.
    pub fn prompt_tokens(&self) -> u64 {
        self.sum_where(Bucket::is_prompt)
    }

    /// Every completion token: output, reasoning, audio and image completion tokens.
    pub fn completion_tokens(&self) -> u64 {
        self.sum_where(Bucket::is_completion)
    }

    /// Prompt and completion tokens together.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens().saturating_add(self.completion_tokens())
    }

    fn sum_where(&self, keep: fn(Bucket) -> bool) -> u64 {
        Bucket::ALL.into_iter().filter(|b| keep(*b)).fold(0u64, |acc, b| acc.saturating_add(self.quantity(b)))
    }

    /// The quantity in one bucket.
    pub fn quantity(&self, bucket: Bucket) -> u64 {
        match bucket {
            Bucket::Input => self.input,
            Bucket::CacheRead => self.cache_read,
            Bucket::CacheWrite => self.cache_write,
            Bucket::CacheWrite1h => self.cache_write_1h,
            Bucket::Output => self.output,
            Bucket::Reasoning => self.reasoning,
            Bucket::AudioInput => self.audio_input,
            Bucket::AudioOutput => self.audio_output,
            Bucket::ImageInputTokens => self.image_input_tokens,
            Bucket::ImageOutputTokens => self.image_output_tokens,
            Bucket::ImagesIn => self.images_in,
            Bucket::ImagesOut => self.images_out,
            Bucket::WebSearches => self.web_searches,
            Bucket::Requests => self.requests,
        }
    }

    /// Read any known usage shape (see [`UsageShape::detect`]); unknown shapes are errors.
    pub fn detect(value: &Value) -> Result<Usage, CostError> {
        let (shape, usage) = UsageShape::detect(value)?;
        Usage::parse(shape, usage)
    }

    /// [`Self::detect`] of JSON text: read in one pass without a `Value` where that pass is
    /// sure, else by the reference (which also words any error).
    pub fn detect_text(text: &str) -> Result<Usage, String> {
        if let Some(usage) = super::raw_usage::RawUsage::from_str(text).ok().and_then(|raw| raw.usage()) {
            return Ok(usage);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Usage::detect(&value).map_err(|e| e.to_string())
    }

    /// Read a usage object of a known shape.
    pub fn parse(shape: UsageShape, usage: &Value) -> Result<Usage, CostError> {
        Usage::of_fields(shape, &Fields::new(usage)?)
    }

    /// [`Self::parse`] of any [`UsageFields`].
    pub(super) fn of_fields(shape: UsageShape, u: &impl UsageFields) -> Result<Usage, CostError> {
        match shape {
            UsageShape::OpenAiChat => Usage::chat_fields(u),
            UsageShape::OpenRouter => Usage::openrouter_fields(u),
            UsageShape::OpenAiResponses => Usage::responses_fields(u),
            UsageShape::Anthropic => Usage::anthropic_fields(u),
            UsageShape::Gemini => Usage::gemini_fields(u),
        }
    }

    /// OpenAI chat completions `usage`: cached and audio tokens are part of `prompt_tokens`,
    /// reasoning, audio and image tokens part of `completion_tokens`. (OpenRouter's
    /// `cache_write_tokens`, part of `prompt_tokens` too, is honoured when present.)
    pub fn from_openai_chat(usage: &Value) -> Result<Usage, CostError> {
        Usage::chat_fields(&Fields::new(usage)?)
    }

    fn chat_fields(u: &impl UsageFields) -> Result<Usage, CostError> {
        require(u, "prompt_tokens")?;
        let prompt = u.count("prompt_tokens")?;
        let completion = u.count("completion_tokens")?;
        let cached = u.count("prompt_tokens_details.cached_tokens")?;
        let cache_write = u.count("prompt_tokens_details.cache_write_tokens")?;
        let audio_in = u.count("prompt_tokens_details.audio_tokens")?;
        let reasoning = u.count("completion_tokens_details.reasoning_tokens")?;
        let audio_out = u.count("completion_tokens_details.audio_tokens")?;
        let image_out = u.count("completion_tokens_details.image_tokens")?;
        Ok(Usage {
            input: remainder(
                ("prompt_tokens", prompt),
                &[("cached_tokens", cached), ("cache_write_tokens", cache_write), ("audio_tokens", audio_in)],
            )?,
            cache_read: cached,
            cache_write,
            audio_input: audio_in,
            output: remainder(
                ("completion_tokens", completion),
                &[("reasoning_tokens", reasoning), ("audio_tokens", audio_out), ("image_tokens", image_out)],
            )?,
            reasoning,
            audio_output: audio_out,
            image_output_tokens: image_out,
            ..Usage::default()
        })
    }

    /// OpenRouter `usage`: OpenAI chat plus `prompt_tokens_details.cache_write_tokens` and the
    /// reported `cost`.
    pub fn from_openrouter(usage: &Value) -> Result<Usage, CostError> {
        Usage::openrouter_fields(&Fields::new(usage)?)
    }

    fn openrouter_fields(u: &impl UsageFields) -> Result<Usage, CostError> {
        let mut out = Usage::chat_fields(u)?;
        out.reported_cost = u.cost("cost")?;
        Ok(out)
    }

    /// OpenAI Responses API `usage`: cached tokens are part of `input_tokens`, reasoning tokens
    /// part of `output_tokens`. OpenRouter's `cost`, when present, is the reported cost.
    pub fn from_openai_responses(usage: &Value) -> Result<Usage, CostError> {
        Usage::responses_fields(&Fields::new(usage)?)
    }

    fn responses_fields(u: &impl UsageFields) -> Result<Usage, CostError> {
        require(u, "input_tokens")?;
        let input = u.count("input_tokens")?;
        let output = u.count("output_tokens")?;
        let cached = u.count("input_tokens_details.cached_tokens")?;
        let reasoning = u.count("output_tokens_details.reasoning_tokens")?;
        Ok(Usage {
            input: remainder(("input_tokens", input), &[("cached_tokens", cached)])?,
            cache_read: cached,
            output: remainder(("output_tokens", output), &[("reasoning_tokens", reasoning)])?,
            reasoning,
            reported_cost: u.cost("cost")?,
            ..Usage::default()
        })
    }

    /// Anthropic Messages `usage`: `input_tokens` excludes cache reads and writes;
    /// `cache_creation.ephemeral_{5m,1h}_input_tokens` split the writes when present (tokens of
    /// `cache_creation_input_tokens` the split does not account for are 5-minute writes).
    pub fn from_anthropic(usage: &Value) -> Result<Usage, CostError> {
        Usage::anthropic_fields(&Fields::new(usage)?)
    }

    fn anthropic_fields(u: &impl UsageFields) -> Result<Usage, CostError> {
        require(u, "input_tokens")?;
        let split_5m = u.count("cache_creation.ephemeral_5m_input_tokens")?;
        let split_1h = u.count("cache_creation.ephemeral_1h_input_tokens")?;
        let writes = match u.is_set("cache_creation_input_tokens") {
            true => u.count("cache_creation_input_tokens")?,
            false => split_5m.saturating_add(split_1h),
        };
        let cache_write = remainder(
            ("cache_creation_input_tokens", writes),
            &[("ephemeral_5m_input_tokens", split_5m), ("ephemeral_1h_input_tokens", split_1h)],
        )?
        .saturating_add(split_5m);
        Ok(Usage {
            input: u.count("input_tokens")?,
            cache_read: u.count("cache_read_input_tokens")?,
            cache_write,
            cache_write_1h: split_1h,
            output: u.count("output_tokens")?,
            web_searches: u.count("server_tool_use.web_search_requests")?,
            ..Usage::default()
        })
    }

    /// Gemini `usageMetadata`: `promptTokenCount` includes `cachedContentTokenCount`;
    /// `thoughtsTokenCount` is not part of `candidatesTokenCount`; `toolUsePromptTokenCount`
    /// is billed as input.
    pub fn from_gemini(usage: &Value) -> Result<Usage, CostError> {
        Usage::gemini_fields(&Fields::new(usage)?)
    }

    fn gemini_fields(u: &impl UsageFields) -> Result<Usage, CostError> {
        require(u, "promptTokenCount")?;
        let prompt = u.count("promptTokenCount")?;
        let cached = u.count("cachedContentTokenCount")?;
        let tool_prompt = u.count("toolUsePromptTokenCount")?;
        let input = remainder(("promptTokenCount", prompt), &[("cachedContentTokenCount", cached)])?;
        Ok(Usage {
            input: input.checked_add(tool_prompt).ok_or_else(|| CostError::InvalidField {
                field: "toolUsePromptTokenCount".into(),
                reason: "too large".into(),
            })?,
            cache_read: cached,
            output: u.count("candidatesTokenCount")?,
            reasoning: u.count("thoughtsTokenCount")?,
            ..Usage::default()
        })
    }
}

/// A usage object as shape detection and the parsers read it: keys, counts and costs by dotted
/// path. Implemented by a `serde_json` map ([`Fields`], the reference) and by
/// [`RawUsage`](super::raw_usage::RawUsage), collected in one pass over the JSON text.
pub(super) trait UsageFields {
    /// Whether the object has `key`, null or not.
    fn has(&self, key: &str) -> bool;
    /// Whether `parent` is an object that has `key`, null or not.
    fn has_in(&self, parent: &str, key: &str) -> bool;
    /// Whether the value at a dotted path is there and not null.
    fn is_set(&self, path: &str) -> bool;
    /// A token count: absent or null is 0; anything but a non-negative integer is an error.
    fn count(&self, path: &str) -> Result<u64, CostError>;
    /// A reported cost: absent or null is `None`; parsed exactly.
    fn cost(&self, path: &str) -> Result<Option<Decimal>, CostError>;
    /// `keys: a, b, c` for error messages.
    fn describe(&self) -> String;
}

/// The usage object must hold the `required` key.
fn require(u: &impl UsageFields, required: &str) -> Result<(), CostError> {
    if u.has(required) { Ok(()) } else { Err(CostError::UnknownShape(format!("no `{required}` ({})", u.describe()))) }
}

/// A reported cost from the text of a JSON number (as `serde_json` prints it: the shortest text
/// that reads back as the same number, i.e. as it was written; `5e-06` prints as `5e-6`) or a
/// string: exact, never negative.
pub(crate) fn cost_from_text(path: &str, text: &str) -> Result<Decimal, CostError> {
    let invalid = |reason: String| CostError::InvalidField { field: path.to_string(), reason };
    let cost = Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| invalid(format!("{text:?} is not an exact decimal")))?;
    if cost.is_sign_negative() && !cost.is_zero() {
        return Err(invalid(format!("negative cost {cost}")));
    }
    Ok(cost)
}

/// `total − Σ details`; details larger than their total are an error.
fn remainder(total: (&str, u64), details: &[(&str, u64)]) -> Result<u64, CostError> {
    let sum = details.iter().try_fold(0u64, |acc, (_, n)| acc.checked_add(*n));
    match sum {
        Some(sum) if sum <= total.1 => Ok(total.1 - sum),
        _ => Err(CostError::DetailsExceedTotal {
            total: total.0.to_string(),
            value: total.1,
            details: details.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" + "),
            sum: sum.unwrap_or(u64::MAX),
        }),
    }
}

/// A usage object's fields, read by dotted path.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The usage object.
    fn new(usage: &'a Value) -> Result<Self, CostError> {
        let map =
            usage.as_object().ok_or_else(|| CostError::UnknownShape(format!("usage is not a JSON object: {usage}")))?;
        Ok(Fields(map))
    }

    /// The value at a dotted path; `None` when it or an enclosing object is absent or null.
    fn get(&self, path: &str) -> Option<&'a Value> {
        let mut parts = path.split('.');
        let mut value = self.0.get(parts.next()?)?;
        for part in parts {
            value = value.as_object()?.get(part)?;
        }
        (!value.is_null()).then_some(value)
    }

    /// Every object on the way to `path` must be an object (or absent / null).
    fn check_parents(&self, path: &str) -> Result<(), CostError> {
        let Some((parents, _)) = path.rsplit_once('.') else {
            return Ok(());
        };
        let mut value: Option<&Value> = None;
        let mut end = 0;
        for part in parents.split('.') {
            end += part.len();
            let next = match value {
                None => self.0.get(part),
                Some(v) => v.get(part),
            };
            match next {
                None | Some(Value::Null) => return Ok(()),
                Some(Value::Object(_)) => value = next,
                Some(other) => {
                    return Err(CostError::InvalidField {
                        field: parents[..end].to_string(),
                        reason: format!("expected an object, got {other}"),
                    });
                }
            }
            end += 1;
        }
        Ok(())
    }
}

impl UsageFields for Fields<'_> {
    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn has_in(&self, parent: &str, key: &str) -> bool {
        self.0.get(parent).and_then(|d| d.get(key)).is_some()
    }

    fn is_set(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    fn count(&self, path: &str) -> Result<u64, CostError> {
        self.check_parents(path)?;
        let Some(value) = self.get(path) else {
            return Ok(0);
        };
        let invalid = |reason: String| CostError::InvalidField { field: path.to_string(), reason };
        match value {
            Value::Number(n) => n.as_u64().ok_or_else(|| {
                if n.as_i64().is_some_and(|i| i < 0) {
                    invalid(format!("negative count {n}"))
                } else {
                    invalid(format!("{n} is not a whole number of tokens"))
                }
            }),
            other => Err(invalid(format!("expected a count, got {other}"))),
        }
    }

    fn cost(&self, path: &str) -> Result<Option<Decimal>, CostError> {
        let Some(value) = self.get(path) else {
            return Ok(None);
        };
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            other => {
                return Err(CostError::InvalidField {
                    field: path.to_string(),
                    reason: format!("expected a number, got {other}"),
                });
            }
        };
        cost_from_text(path, &text).map(Some)
    }

    fn describe(&self) -> String {
        describe_keys(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/fixtures/openrouter/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture exists")).expect("the fixture exists")
    }

    fn sample(model: &str) -> Value {
        fixture("chat_usage_samples.json")["samples"]
            .as_array()
            .expect("a JSON array")
            .iter()
            .find(|s| s["model"] == model)
            .expect("the fixture holds it")["usage"]
            .clone()
    }

    fn recorded(label: &str) -> Value {
        fixture("chat_completions_2025-12.json")["items"]
            .as_array()
            .expect("a JSON array")
            .iter()
            .find(|s| s["label"] == label)
            .expect("the fixture holds it")["response"]
            .clone()
    }

    #[test]
    fn openrouter_sample_splits_cache_and_reasoning() {
        // kimi-k3: 5489 prompt (96 cached), 15000 completion (14397 reasoning).
        let u = Usage::from_openrouter(&sample("moonshotai/kimi-k3")).expect("an OpenRouter usage");
        assert_eq!(u.input, 5393);
        assert_eq!(u.cache_read, 96);
        assert_eq!(u.output, 603);
        assert_eq!(u.reasoning, 14397);
        assert_eq!(u.requests, 1);
        assert_eq!(u.prompt_tokens(), 5489);
        assert_eq!(u.completion_tokens(), 15000);
        assert_eq!(u.total_tokens(), 20489);
        assert_eq!(u.reported_cost, Some(dec!(0.2412078)));
        assert_eq!(Usage::detect(&sample("moonshotai/kimi-k3")).expect("a known usage shape"), u);
    }

    #[test]
    fn openrouter_sample_with_cache_writes() {
        // gpt-5.6-sol: 21462 prompt of which 21459 written to the cache.
        let u = Usage::from_openrouter(&sample("openai/gpt-5.6-sol")).expect("an OpenRouter usage");
        assert_eq!((u.input, u.cache_write, u.cache_read), (3, 21459, 0));
        assert_eq!((u.output, u.reasoning), (4137, 2281));
        assert_eq!(u.reported_cost, Some(dec!(0.1178335)));
    }

    #[test]
    fn free_sample_reports_zero_cost() {
        let u = Usage::detect(&sample("cohere/north-mini-code:free")).expect("a known usage shape");
        assert_eq!(u.reported_cost, Some(Decimal::ZERO));
        assert_eq!(u.total_tokens(), 20139);
    }

    #[test]
    fn exponent_costs_are_exact() {
        // Recorded as `"cost": 2.415e-05`.
        let u = Usage::detect(&recorded("Text → Text")).expect("a known usage shape");
        assert_eq!(u.reported_cost, Some(dec!(0.00002415)));
        assert_eq!((u.input, u.output), (29, 33));
        let u = Usage::from_openrouter(&json!({"prompt_tokens": 1, "cost": 5e-06})).expect("an OpenRouter usage");
        assert_eq!(u.reported_cost, Some(dec!(0.000005)));
    }

    #[test]
    fn chat_image_tokens_leave_output() {
        let body = recorded("Text → Image");
        let (shape, _) = UsageShape::detect(&body).expect("a known usage shape");
        assert_eq!(shape, UsageShape::OpenRouter);
        let u = Usage::detect(&body).expect("a known usage shape");
        assert_eq!((u.input, u.output, u.image_output_tokens), (12, 0, 1290));
        assert_eq!(u.reported_cost, Some(dec!(0.0387036)));
    }

    #[test]
    fn openai_chat_audio_and_reasoning() {
        let usage = json!({
            "prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 200, "audio_tokens": 300},
            "completion_tokens_details": {"reasoning_tokens": 100, "audio_tokens": 50,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        });
        assert_eq!(UsageShape::detect(&usage).expect("a known usage shape").0, UsageShape::OpenAiChat);
        let u = Usage::from_openai_chat(&usage).expect("an OpenAI chat usage");
        assert_eq!((u.input, u.cache_read, u.audio_input), (500, 200, 300));
        assert_eq!((u.output, u.reasoning, u.audio_output), (350, 100, 50));
        assert_eq!(u.reported_cost, None);
        assert_eq!(u.total_tokens(), 1500);
    }

    #[test]
    fn responses_bodies() {
        let body = recorded("Responses Text+Image → Text");
        let (shape, _) = UsageShape::detect(&body).expect("a known usage shape");
        assert_eq!(shape, UsageShape::OpenAiResponses);
        let u = Usage::detect(&body).expect("a known usage shape");
        assert_eq!((u.input, u.output), (36850, 22));
        assert_eq!(u.reported_cost, Some(dec!(0.0055407)));
        let u = Usage::from_openai_responses(&json!({
            "input_tokens": 5000, "output_tokens": 900,
            "input_tokens_details": {"cached_tokens": 4096},
            "output_tokens_details": {"reasoning_tokens": 640}, "total_tokens": 5900
        }))
        .expect("a Responses usage");
        assert_eq!((u.input, u.cache_read, u.output, u.reasoning), (904, 4096, 260, 640));
    }

    #[test]
    fn anthropic_cache_and_search() {
        let body = json!({
            "id": "msg_01", "type": "message", "role": "assistant",
            "usage": {
                "input_tokens": 50, "cache_creation_input_tokens": 3000,
                "cache_read_input_tokens": 12000, "output_tokens": 700,
                "cache_creation": {"ephemeral_5m_input_tokens": 1000,
                                   "ephemeral_1h_input_tokens": 2000},
                "server_tool_use": {"web_search_requests": 2}, "service_tier": "standard"
            }
        });
        assert_eq!(UsageShape::detect(&body).expect("a known usage shape").0, UsageShape::Anthropic);
        let u = Usage::detect(&body).expect("a known usage shape");
        assert_eq!((u.input, u.cache_read), (50, 12000));
        assert_eq!((u.cache_write, u.cache_write_1h), (1000, 2000));
        assert_eq!((u.output, u.web_searches), (700, 2));
        assert_eq!(u.prompt_tokens(), 15050);
        // Without the split every write is a 5-minute write.
        let u = Usage::from_anthropic(&json!({
            "input_tokens": 5, "output_tokens": 1, "cache_creation_input_tokens": 30
        }))
        .expect("an Anthropic usage");
        assert_eq!((u.cache_write, u.cache_write_1h), (30, 0));
        // A split larger than the total is an error.
        let err = Usage::from_anthropic(&json!({
            "input_tokens": 5, "output_tokens": 1, "cache_creation_input_tokens": 30,
            "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 20}
        }))
        .expect_err("refused");
        assert!(matches!(err, CostError::DetailsExceedTotal { .. }), "{err}");
    }

    #[test]
    fn gemini_usage_metadata() {
        let body = json!({
            "candidates": [],
            "usageMetadata": {
                "promptTokenCount": 10000, "cachedContentTokenCount": 8000,
                "candidatesTokenCount": 300, "thoughtsTokenCount": 1200,
                "toolUsePromptTokenCount": 40, "totalTokenCount": 11540
            }
        });
        assert_eq!(UsageShape::detect(&body).expect("a known usage shape").0, UsageShape::Gemini);
        let u = Usage::detect(&body).expect("a known usage shape");
        assert_eq!((u.input, u.cache_read), (2040, 8000));
        assert_eq!((u.output, u.reasoning), (300, 1200));
        assert_eq!(u.total_tokens(), 11540);
    }

    #[test]
    fn unknown_shapes_are_errors() {
        for v in [
            json!({}),
            json!({"tokens": 5}),
            json!({"usage": {"tokens": 5}}),
            json!({"usage": null}),
            json!([1, 2]),
            json!({"prompt_tokens": 1, "input_tokens": 1}),
            json!({"usageMetadata": {"prompt_tokens": 1}}),
            json!({"input_tokens": 1, "cache_read_input_tokens": 1, "input_tokens_details": {}}),
        ] {
            assert!(matches!(Usage::detect(&v), Err(CostError::UnknownShape(_))), "{v}");
        }
        assert!(matches!(Usage::from_gemini(&json!({"prompt_tokens": 5})), Err(CostError::UnknownShape(_))));
    }

    #[test]
    fn bad_counts_are_errors() {
        let cases = [
            json!({"prompt_tokens": -1, "completion_tokens": 0}),
            json!({"prompt_tokens": 1.5}),
            json!({"prompt_tokens": "12"}),
            json!({"prompt_tokens": 1, "prompt_tokens_details": 3}),
            json!({"prompt_tokens": 1, "cost": -0.1}),
            json!({"prompt_tokens": 1, "cost": "free"}),
        ];
        for v in cases {
            assert!(matches!(Usage::detect(&v), Err(CostError::InvalidField { .. })), "{v}");
        }
        let nested = Usage::detect(&json!({"prompt_tokens": 1, "prompt_tokens_details": 3}));
        assert!(
            matches!(&nested, Err(CostError::InvalidField { field, .. }) if field == "prompt_tokens_details"),
            "{nested:?}"
        );
        let too_many = json!({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 11}});
        let err = Usage::detect(&too_many).expect_err("refused");
        assert!(matches!(err, CostError::DetailsExceedTotal { .. }));
        assert_eq!(
            err.to_string(),
            "usage details cached_tokens + cache_write_tokens + audio_tokens add up to 11, \
             more than prompt_tokens (10)"
        );
        let too_many = json!({"prompt_tokens": 10, "completion_tokens": 5,
            "completion_tokens_details": {"reasoning_tokens": 4, "image_tokens": 2}});
        assert!(matches!(Usage::detect(&too_many), Err(CostError::DetailsExceedTotal { .. })));
    }

    #[test]
    fn null_details_are_zero() {
        let u = Usage::detect(&json!({
            "prompt_tokens": 10, "completion_tokens": 2,
            "prompt_tokens_details": null,
            "completion_tokens_details": {"reasoning_tokens": null}
        }))
        .expect("a known usage shape");
        assert_eq!((u.input, u.output), (10, 2));
    }

    #[test]
    fn usage_serialises_by_bucket_name() {
        let u: Usage = serde_json::from_value(json!({"input": 3})).expect("the fixture is JSON");
        assert_eq!(u.requests, 1);
        let v = serde_json::to_value(&u).expect("serialisable");
        assert_eq!(v["cache_write_1h"], 0);
        assert_eq!(serde_json::to_value(Bucket::CacheWrite1h).expect("serialisable"), "cache_write_1h");
        for b in Bucket::ALL {
            assert_eq!(serde_json::to_value(b).expect("serialisable"), b.as_str());
        }
    }
}
