//! The shared vocabulary of llmcost: every feature reads and writes these types.

mod benchmark;
mod change;
mod ids;
mod json;
mod model;
mod money;
mod price;
mod run;
mod state;
mod time;

pub use benchmark::{
    BenchmarkKey, BenchmarkRecord, BenchmarkRow, BenchmarkScore, BenchmarkSnapshot, BenchmarkWrites,
    OPENROUTER_BENCHMARK_SOURCE, plan_import, plan_snapshot, scores_from_openrouter,
};
pub use change::{ChangeEvent, ChangeKind};
pub use ids::{ModelId, OfferKey, ParseIdError, listing_parts};
pub use json::JsonText;
pub use model::{Alias, AliasKind, Catalog, Model, Offer, OfferHealth};
pub use money::{PRICE_SIGNIFICANT_DIGITS, per_million, percent_change, same_price};
pub use price::{Component, Price, PriceKey, PriceValue, TierScope, Unit};
pub use run::{RunOrigin, RunStatus, RunTrigger, SyncRun};
pub use state::{CatalogState, ChangeSet, CurrentPrice, StoredAlias, StoredModel, StoredOffer};
pub use time::{UnixMs, parse_duration, parse_since, parse_time, parse_time_value};
