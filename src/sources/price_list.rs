//! The common output of third-party price lists (LiteLLM, genai-prices, models.dev): one
//! entry per priced model as the list names it, before model identity is resolved.

use crate::domain::Price;
use serde::Serialize;

/// One priced model as a price list states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceListEntry {
    /// The list (`litellm`, `genai-prices`, `models-dev`).
    pub source: &'static str,
    /// The id exactly as the list names it (`azure/gpt-4o`, `gpt-4o-2024-08-06`,
    /// `bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0`).
    pub native_id: String,
    /// Who sells or serves it according to the list (`openai`, `azure`, `bedrock`, `vertex_ai`, ...),
    /// lower-case as the list spells it.
    pub provider: String,
    /// The model's author when the list says so or the id shows it (`anthropic` in
    /// `anthropic.claude-…`, `meta-llama` in `meta-llama/Llama-3…`).
    pub author_hint: Option<String>,
    /// Display name, when given.
    pub name: Option<String>,
    /// The list's kind of model (`chat`, `embedding`, `image_generation`, ...), when given.
    pub mode: Option<String>,
    /// Context window (max input tokens).
    pub context_length: Option<i64>,
    /// Largest completion.
    pub max_output_tokens: Option<i64>,
    /// Input modalities, sorted (`text`, `image`, `audio`, `video`, `pdf`).
    pub input_modalities: Vec<String>,
    /// Output modalities, sorted.
    pub output_modalities: Vec<String>,
    /// Capabilities the list asserts, as OpenRouter-style parameter names where one exists
    /// (`tools`, `response_format`, `structured_outputs`, `reasoning`), sorted.
    pub capabilities: Vec<String>,
    /// Release date (`YYYY-MM-DD`), when given.
    pub release_date: Option<String>,
    /// Deprecation / retirement date (`YYYY-MM-DD`), when given.
    pub deprecation_date: Option<String>,
    /// Training cutoff, when given.
    pub knowledge_cutoff: Option<String>,
    /// Prices valid now, exact, per unit (per token for token components). Batch prices carry
    /// the condition `batch`; time-of-day prices `utc:HHMM-HHMM`.
    pub prices: Vec<Price>,
}
