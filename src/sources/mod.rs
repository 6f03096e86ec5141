//! Upstreams: one module per source, each turning wire data into domain values.

pub mod genai_prices;
pub mod http;
pub mod litellm;
pub mod models_dev;
pub mod openrouter;
pub mod overrides;
pub mod price_list;
pub mod snapshot;

use serde::{Deserialize, Serialize};

/// A source of catalog data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// OpenRouter's models and per-provider endpoints.
    Openrouter,
    /// LiteLLM's `model_prices_and_context_window.json`.
    Litellm,
    /// pydantic's genai-prices `data.json`.
    GenaiPrices,
    /// models.dev's `api.json`.
    ModelsDev,
    /// The user's overrides file: negotiated prices and custom models.
    Overrides,
}

impl Source {
    /// Every source, in sync order.
    pub const ALL: [Source; 4] = [Source::Openrouter, Source::Litellm, Source::GenaiPrices, Source::ModelsDev];

    /// The name stored on offers, runs and aliases.
    pub fn name(self) -> &'static str {
        match self {
            Source::Openrouter => openrouter::SOURCE,
            Source::Litellm => "litellm",
            Source::GenaiPrices => "genai-prices",
            Source::ModelsDev => "models-dev",
            Source::Overrides => overrides::SOURCE,
        }
    }

    /// Where the source publishes its data (OpenRouter: the API base).
    pub fn default_url(self) -> &'static str {
        match self {
            Source::Openrouter => "https://openrouter.ai/api/v1",
            Source::Litellm => {
                "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
            }
            Source::GenaiPrices => {
                "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/new_data/v2/data.json"
            }
            Source::ModelsDev => "https://models.dev/api.json",
            Source::Overrides => "llmcost-overrides.toml",
        }
    }
}
