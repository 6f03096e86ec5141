//! Settings, layered: built-in defaults < `llmcost.toml` < `LLMCOST_*` environment < flags.

use crate::sync::Filter;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret (API key, token): never printed, not even by `Debug`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret; empty strings mean "no secret".
    pub fn new(value: String) -> Option<Self> {
        (!value.trim().is_empty()).then(|| Self(value.trim().to_string()))
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// OpenRouter settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenRouterSettings {
    /// API base URL.
    pub url: String,
    /// Fetch per-provider endpoints for every model.
    pub endpoints: bool,
    /// Include models of every output modality, not only text.
    pub all_modalities: bool,
    /// Endpoint requests in flight at once.
    pub concurrency: usize,
    /// Whole-request timeout in seconds.
    pub timeout_secs: u64,
    /// Retries after the first attempt on 429, 5xx and timeouts.
    pub retries: usize,
}

impl Default for OpenRouterSettings {
    fn default() -> Self {
        Self {
            url: "https://openrouter.ai/api/v1".into(),
            endpoints: true,
            all_modalities: false,
            concurrency: 16,
            timeout_secs: 30,
            retries: 3,
        }
    }
}

/// Sync safety and alerting settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Refuse a sync whose fetch has fewer than this fraction of the active offers.
    pub min_ratio: rust_decimal::Decimal,
    /// Flag price changes beyond this many percent as alerts.
    pub alert_threshold_percent: rust_decimal::Decimal,
    /// How long the sync lease lasts without renewal (`5m`, `90s`, or seconds).
    pub lock_ttl: String,
    /// Skip a sync when the last one of its source finished less than this long ago.
    pub min_interval: Option<String>,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            min_ratio: rust_decimal::Decimal::new(5, 1),
            alert_threshold_percent: rust_decimal::Decimal::from(30),
            lock_ttl: "5m".into(),
            min_interval: None,
        }
    }
}

/// All settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Database URL (`sqlite:PATH`); default: `llmcost.db` in the platform data directory.
    pub db: Option<String>,
    /// The overrides file (negotiated prices, custom models, discounts).
    pub overrides: Option<std::path::PathBuf>,
    /// OpenRouter source.
    pub openrouter: OpenRouterSettings,
    /// Sync behaviour.
    pub sync: SyncSettings,
    /// Which models are tracked.
    pub filter: Filter,
    /// Export into an application's table.
    pub export: crate::export::ExportSettings,
    /// `llmcost serve`.
    pub serve: crate::server::ServeSettings,
    /// Webhooks told about price alerts, new and removed models, and failed syncs.
    pub alerts: crate::alerts::AlertSettings,
    /// `llmcost proxy`.
    pub proxy: crate::proxy::ProxySettings,
    /// Spend limits per tag, app, user or key: `"app:search" = { daily_usd = "5" }`.
    pub budgets: crate::track::BudgetSettings,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment held something invalid.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// An explicitly named config file does not exist.
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
    /// No platform data directory could be found.
    #[error("cannot find a data directory for the database; pass --db sqlite:PATH")]
    NoDataDir,
}

impl Settings {
    /// Load settings from defaults, the config file (explicit, or `./llmcost.toml` when
    /// present) and `LLMCOST_*` variables (nested keys with `__`: `LLMCOST_SYNC__MIN_RATIO`).
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) if !path.exists() => return Err(ConfigError::Missing(path.to_path_buf())),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("llmcost.toml").exists() => figment = figment.merge(Toml::file_exact("llmcost.toml")),
            None => {}
        }
        // Only nested keys come from the environment here; LLMCOST_DB and
        // LLMCOST_OPENROUTER_URL are read by the command line itself.
        figment = figment.merge(Env::prefixed("LLMCOST_").split("__").filter(|k| k.as_str().contains('.')));
        figment.extract().map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// The database URL: the configured one, or a SQLite file in the platform data dir.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        if let Some(url) = &self.db {
            return Ok(url.clone());
        }
        let dirs = directories::ProjectDirs::from("dev", "llmcost", "llmcost").ok_or(ConfigError::NoDataDir)?;
        Ok(format!("sqlite:{}", dirs.data_dir().join("llmcost.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("sk-or-v1-abcdef".into()).expect("non-empty");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(Secret::new("  ".into()).is_none());
    }
}
