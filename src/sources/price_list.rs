//! The common output of third-party price lists (LiteLLM, genai-prices, models.dev): one
//! entry per priced model as the list names it, before model identity is resolved.

use crate::domain::{
    Alias, AliasKind, Catalog, CatalogState, JsonText, Model, ModelId, Offer, OfferHealth, OfferKey, Price,
};
use crate::identity::{ModelIndex, Resolution, Rule, normalize, split_id};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

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

/// Why a price list's data was rejected.
#[derive(Debug, thiserror::Error)]
pub enum PriceListError {
    /// The body is not the JSON we expect.
    #[error("malformed {source_name} data: {message}")]
    Json {
        /// The source (`genai-prices`, `models-dev`).
        source_name: &'static str,
        /// What the parser said.
        message: String,
    },
    /// A model carries a value we cannot accept.
    #[error("provider {provider:?}, model {model:?}: {field}: {reason}")]
    Field {
        /// The provider id, e.g. `anthropic`.
        provider: String,
        /// The model id, e.g. `claude-opus-4-6`.
        model: String,
        /// The field, e.g. `prices[1].input_mtok`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The entry an error is about.
pub(crate) struct EntryContext<'a> {
    /// The provider id.
    pub provider: &'a str,
    /// The model id.
    pub model: &'a str,
}

impl EntryContext<'_> {
    /// An error about one field of this entry.
    pub fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> PriceListError {
        PriceListError::Field {
            provider: self.provider.to_string(),
            model: self.model.to_string(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Parsed {
    /// The entry a provider lists under `native_id`.
    pub fn entry(&self, provider: &str, native_id: &str) -> Option<&PriceListEntry> {
        self.entries.iter().find(|e| e.provider == provider && e.native_id == native_id)
    }
}

impl PriceListEntry {
    /// The fixed price of `component` at tier `min_prompt_tokens` under `condition`.
    pub fn price_of(
        &self,
        component: crate::domain::Component,
        min_prompt_tokens: i64,
        condition: &str,
    ) -> Option<rust_decimal::Decimal> {
        self.prices
            .iter()
            .find(|p| {
                p.key.component == component
                    && p.key.min_prompt_tokens == min_prompt_tokens
                    && p.key.condition == condition
            })
            .and_then(|p| p.value.fixed())
    }
}

/// The entries of a price list and what was left out of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Priced entries, sorted by (provider, native id).
    pub entries: Vec<PriceListEntry>,
    /// Ids of entries without any price we can express, sorted.
    pub skipped_entries: Vec<String>,
    /// Price fields no component expresses → number of entries carrying them.
    pub skipped_prices: std::collections::BTreeMap<String, usize>,
}

/// Turn a price list into a catalog: every entry becomes an offer of the model its id
/// means (see [`crate::identity`]), sold by the list's provider; an id that means no
/// known model (or several) becomes a model of its own, described by the entry.
///
/// Known models are carried with their stored attributes, so a price list never
/// rewrites what the source that described a model said about it.
pub fn to_catalog(source: &str, entries: &[PriceListEntry], state: &CatalogState) -> (Catalog, Resolutions) {
    let mut index = ModelIndex::from_state(state);
    let mut catalog = Catalog { source: source.to_string(), ..Catalog::default() };
    let mut models: BTreeMap<String, Model> = BTreeMap::new();
    let mut offer_keys: HashSet<String> = HashSet::new();
    let mut alias_ids: HashSet<&str> = HashSet::new();
    let mut stats = Resolutions::default();
    // Entries that name their author first, so a new model gets its author's id
    // (`openai/…`) before a reseller's copy (`azure/…`) resolves to it.
    let mut order: Vec<&PriceListEntry> = entries.iter().collect();
    order.sort_by(|a, b| {
        (a.author_hint.is_none(), &a.provider, &a.native_id).cmp(&(b.author_hint.is_none(), &b.provider, &b.native_id))
    });
    for e in order {
        let key = OfferKey::new(source, &e.provider, &e.native_id, None);
        if !offer_keys.insert(key.to_string()) {
            stats.duplicates += 1;
            continue;
        }
        // An offer keeps the model it was first resolved to: ids resolve the same way on
        // every sync, whatever other sources have added to the catalog since.
        let stored = state.offers.get(key.as_str()).map(|o| Resolution::Known(o.offer.model_id.clone(), Rule::Exact));
        let resolution = stored.unwrap_or_else(|| index.resolve(&e.native_id, e.author_hint.as_deref()));
        let model_id = match resolution {
            Resolution::Known(id, rule) => {
                stats.count(rule);
                id
            }
            other => {
                if matches!(other, Resolution::Ambiguous(_)) {
                    stats.ambiguous += 1;
                } else {
                    stats.new_models += 1;
                }
                let parts = split_id(&e.native_id, index.authors());
                let author = parts
                    .author
                    .or_else(|| e.author_hint.as_deref().map(normalize))
                    .unwrap_or_else(|| normalize(&e.provider));
                let Ok(id) = ModelId::parse(&format!("{author}/{}", parts.slug)) else {
                    stats.invalid += 1;
                    continue;
                };
                if !state.models.contains_key(id.as_str()) && !models.contains_key(id.as_str()) {
                    models.insert(id.to_string(), new_model(&id, e));
                }
                index.add_model(&id);
                id
            }
        };
        if !models.contains_key(model_id.as_str()) {
            if let Some(stored) = state.models.get(model_id.as_str()) {
                models.insert(model_id.to_string(), stored.model.clone());
            }
        }
        if e.native_id != model_id.as_str() && alias_ids.insert(e.native_id.as_str()) {
            catalog.aliases.push(Alias {
                alias: e.native_id.clone(),
                model_id: model_id.clone(),
                offer_key: Some(key.clone()),
                kind: AliasKind::SourceId,
                source: source.to_string(),
            });
        }
        catalog.offers.push(Offer {
            key,
            model_id,
            source: source.to_string(),
            seller: e.provider.clone(),
            served_by: None,
            provider: Some(e.provider.clone()),
            provider_name: None,
            listing_id: e.native_id.clone(),
            variant: None,
            quantization: None,
            context_length: e.context_length,
            max_completion_tokens: e.max_output_tokens,
            max_prompt_tokens: None,
            supported_parameters: e.capabilities.clone(),
            discount: None,
            health: OfferHealth::default(),
            extra: e.mode.as_ref().map(|m| JsonText::from_value(&serde_json::json!({ "mode": m }))),
            prices: e.prices.clone(),
        });
    }
    catalog.models = models.into_values().collect();
    catalog.offers.sort_by(|a, b| a.key.cmp(&b.key));
    catalog.aliases.sort_by(|a, b| a.alias.cmp(&b.alias));
    (catalog, stats)
}

fn new_model(id: &ModelId, e: &PriceListEntry) -> Model {
    let created = e
        .release_date
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_second());
    Model {
        id: id.clone(),
        name: e.name.clone().unwrap_or_else(|| e.native_id.clone()),
        description: None,
        canonical_slug: None,
        hugging_face_id: None,
        created,
        context_length: e.context_length,
        max_completion_tokens: e.max_output_tokens,
        is_moderated: None,
        modality: None,
        input_modalities: e.input_modalities.clone(),
        output_modalities: e.output_modalities.clone(),
        tokenizer: None,
        instruct_type: None,
        supported_parameters: e.capabilities.clone(),
        default_parameters: None,
        supported_voices: None,
        per_request_limits: None,
        reasoning: None,
        benchmarks: None,
        knowledge_cutoff: e.knowledge_cutoff.clone(),
        expiration_date: e.deprecation_date.clone(),
    }
}

/// How a price list's ids were resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resolutions {
    /// Ids that are model ids or recorded aliases.
    pub exact: usize,
    /// Ids equal after normalisation.
    pub normalized: usize,
    /// Ids matched by slug.
    pub slug: usize,
    /// Dated ids matched to their undated model.
    pub undated: usize,
    /// Ids that became models of their own.
    pub new_models: usize,
    /// Ids that fit several models and became models of their own.
    pub ambiguous: usize,
    /// Entries listed twice.
    pub duplicates: usize,
    /// Entries whose id cannot be a model id.
    pub invalid: usize,
}

impl Resolutions {
    fn count(&mut self, rule: Rule) {
        match rule {
            Rule::Exact => self.exact += 1,
            Rule::Normalized => self.normalized += 1,
            Rule::Slug => self.slug += 1,
            Rule::Undated => self.undated += 1,
        }
    }
}
