//! Models, offers and aliases: what a source says exists and who sells it.

use super::{JsonText, ModelId, OfferKey, Price};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One model, whoever sells it: what is true of the model itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Canonical id (`author/slug`, no variant suffix).
    pub id: ModelId,
    /// Display name.
    pub name: String,
    /// Description as the source gives it.
    pub description: Option<String>,
    /// Permanent, usually dated slug (OpenRouter `canonical_slug`).
    pub canonical_slug: Option<String>,
    /// Hugging Face repository id, when the weights are public.
    pub hugging_face_id: Option<String>,
    /// When the source first listed it (unix seconds).
    pub created: Option<i64>,
    /// Context window in tokens (0 for models that take no text context).
    pub context_length: Option<i64>,
    /// Largest completion in tokens.
    pub max_completion_tokens: Option<i64>,
    /// Whether the top provider moderates requests.
    pub is_moderated: Option<bool>,
    /// Modality summary such as `text+image->text`.
    pub modality: Option<String>,
    /// Input modalities, sorted.
    pub input_modalities: Vec<String>,
    /// Output modalities, sorted.
    pub output_modalities: Vec<String>,
    /// Tokenizer family.
    pub tokenizer: Option<String>,
    /// Instruction format.
    pub instruct_type: Option<String>,
    /// Request parameters the model supports, sorted.
    pub supported_parameters: Vec<String>,
    /// Default request parameters.
    pub default_parameters: Option<JsonText>,
    /// Voices of speech models.
    pub supported_voices: Option<JsonText>,
    /// Per-request limits.
    pub per_request_limits: Option<JsonText>,
    /// Reasoning support (`mandatory`, `supported_efforts`, ...).
    pub reasoning: Option<JsonText>,
    /// Benchmark scores as the source publishes them.
    pub benchmarks: Option<JsonText>,
    /// Training data cutoff (as given, e.g. `2026-02-16`).
    pub knowledge_cutoff: Option<String>,
    /// Date after which the model is withdrawn (`YYYY-MM-DD`).
    pub expiration_date: Option<String>,
}

impl Model {
    /// Whether the model reasons (supports or mandates a reasoning mode).
    pub fn supports_reasoning(&self) -> bool {
        self.reasoning.is_some() || self.supported_parameters.iter().any(|p| p == "reasoning")
    }

    /// The capabilities whose change is reported as an event: parameters, modalities, reasoning.
    pub fn capabilities(&self) -> BTreeSet<String> {
        let mut caps: BTreeSet<String> = self.supported_parameters.iter().map(|p| format!("param:{p}")).collect();
        caps.extend(self.input_modalities.iter().map(|m| format!("input:{m}")));
        caps.extend(self.output_modalities.iter().map(|m| format!("output:{m}")));
        if self.supports_reasoning() {
            caps.insert("reasoning".into());
        }
        caps
    }
}

/// Health of a provider endpoint, as last reported (replaced on each sync, not historised).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct OfferHealth {
    /// OpenRouter endpoint status: 0 is healthy, negative values are degraded states.
    pub status: Option<i64>,
    /// Uptime over the last 5 minutes, percent.
    pub uptime_5m: Option<f64>,
    /// Uptime over the last 30 minutes, percent.
    pub uptime_30m: Option<f64>,
    /// Uptime over the last day, percent.
    pub uptime_1d: Option<f64>,
}

/// A model as sold by someone, according to a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Natural key: source, seller, listing and serving provider.
    pub key: OfferKey,
    /// The model sold.
    pub model_id: ModelId,
    /// Which source said so (`openrouter`, ...).
    pub source: String,
    /// Who bills you (`openrouter`, `openai`, `azure`, ...).
    pub seller: String,
    /// Who serves it when the seller is an aggregator: the endpoint tag (`deepinfra/fp8`).
    pub served_by: Option<String>,
    /// The provider serving it (`deepinfra`), the tag's first part.
    pub provider: Option<String>,
    /// The provider's display name.
    pub provider_name: Option<String>,
    /// The id the seller lists it under (`openai/gpt-oss-20b:free`).
    pub listing_id: String,
    /// Variant (`free`, `batch`, `thinking`, ...).
    pub variant: Option<String>,
    /// Quantization of the served weights (`fp8`, `bf16`, ...).
    pub quantization: Option<String>,
    /// Context window of this offer.
    pub context_length: Option<i64>,
    /// Largest completion of this offer.
    pub max_completion_tokens: Option<i64>,
    /// Largest prompt of this offer.
    pub max_prompt_tokens: Option<i64>,
    /// Parameters this offer supports, sorted.
    pub supported_parameters: Vec<String>,
    /// Fraction taken off the listed prices (effective = listed × (1 − discount)).
    pub discount: Option<Decimal>,
    /// Last reported health.
    pub health: OfferHealth,
    /// Further attributes the source sends (latency, throughput, feature flags).
    pub extra: Option<JsonText>,
    /// The offer's prices now.
    pub prices: Vec<Price>,
}

impl Offer {
    /// Whether every price of this offer is zero (and none is variable).
    pub fn all_prices_zero(&self) -> bool {
        self.prices.iter().all(|p| p.value.fixed().is_some_and(|d| d.is_zero()))
    }

    /// Whether any price of this offer is variable.
    pub fn has_variable_price(&self) -> bool {
        self.prices.iter().any(|p| matches!(p.value, super::PriceValue::Variable))
    }
}

/// How an alias relates to its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasKind {
    /// A variant listing (`…:free`, `…:batch`): the model, sold as a particular offer.
    Variant,
    /// The source's permanent slug (OpenRouter `canonical_slug`).
    CanonicalSlug,
    /// A moving pointer (`~anthropic/claude-opus-latest`) to whatever is current.
    Moving,
    /// A price list's own id for the model (`azure/gpt-4o`, `claude-3-5-sonnet-20241022`).
    SourceId,
}

impl AliasKind {
    /// The stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            AliasKind::Variant => "variant",
            AliasKind::CanonicalSlug => "canonical_slug",
            AliasKind::Moving => "moving",
            AliasKind::SourceId => "source_id",
        }
    }

    /// Parse the stored name.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "variant" => AliasKind::Variant,
            "moving" => AliasKind::Moving,
            "source_id" => AliasKind::SourceId,
            _ => AliasKind::CanonicalSlug,
        }
    }
}

/// Another id that means a model (and, for variants, one offer of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The other id, as clients send it.
    pub alias: String,
    /// The model it means.
    pub model_id: ModelId,
    /// The offer it selects, for variant aliases.
    pub offer_key: Option<OfferKey>,
    /// How it relates to the model.
    pub kind: AliasKind,
    /// Which source defines it.
    pub source: String,
}

impl Alias {
    /// Aliases are unique per source: `source|alias`.
    pub fn state_key(&self) -> String {
        format!("{}|{}", self.source, self.alias)
    }
}

/// Everything one source says now, after filtering: the input of a diff.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The source (`openrouter`).
    pub source: String,
    /// Models, one per id.
    pub models: Vec<Model>,
    /// Offers, one per key.
    pub offers: Vec<Offer>,
    /// Aliases, one per alias id.
    pub aliases: Vec<Alias>,
    /// Listings whose provider endpoints were fetched in this run: only their endpoint
    /// offers may be added, changed or removed.
    pub endpoints_fetched_for: BTreeSet<String>,
}
