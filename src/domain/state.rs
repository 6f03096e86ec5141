//! The contract between sync and store: the catalog as stored now, and the set of
//! writes a sync applies in one transaction.

use super::{Alias, ChangeEvent, Model, Offer, Price, PriceKey, PriceValue, TierScope, UnixMs};
use std::collections::{BTreeMap, HashMap};

/// A model as stored, with its lifecycle flag.
#[derive(Debug, Clone)]
pub struct StoredModel {
    /// Its attributes.
    pub model: Model,
    /// Whether any offer of it is active.
    pub is_active: bool,
}

/// A price interval that is still open (`valid_to` is null).
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentPrice {
    /// The value.
    pub value: PriceValue,
    /// How its tier applies.
    pub scope: TierScope,
    /// Since when it has been valid.
    pub valid_from: UnixMs,
}

/// An offer as stored, with its open prices.
#[derive(Debug, Clone)]
pub struct StoredOffer {
    /// Its attributes (its `prices` field is empty: see `prices`).
    pub offer: Offer,
    /// Whether it is active.
    pub is_active: bool,
    /// Its current prices by key.
    pub prices: BTreeMap<PriceKey, CurrentPrice>,
}

/// An alias as stored.
#[derive(Debug, Clone)]
pub struct StoredAlias {
    /// The alias.
    pub alias: Alias,
    /// Whether it is active.
    pub is_active: bool,
}

/// The whole catalog as stored now: the left side of a diff.
#[derive(Debug, Clone, Default)]
pub struct CatalogState {
    /// Models by id.
    pub models: HashMap<String, StoredModel>,
    /// Offers by key.
    pub offers: HashMap<String, StoredOffer>,
    /// Aliases by `source|alias` (see `Alias::state_key`).
    pub aliases: HashMap<String, StoredAlias>,
}

impl CatalogState {
    /// The state an empty store holds once `catalog` is applied with prices valid from
    /// `valid_from` (for benchmarks and tests that start from a synced catalog).
    pub fn applied(catalog: super::Catalog, valid_from: UnixMs) -> Self {
        let mut state = Self::default();
        for model in catalog.models {
            state.models.insert(model.id.to_string(), StoredModel { model, is_active: true });
        }
        for mut offer in catalog.offers {
            let prices = offer
                .prices
                .drain(..)
                .map(|p| (p.key, CurrentPrice { value: p.value, scope: p.scope, valid_from }))
                .collect();
            state.offers.insert(offer.key.to_string(), StoredOffer { offer, is_active: true, prices });
        }
        for alias in catalog.aliases {
            state.aliases.insert(alias.state_key(), StoredAlias { alias, is_active: true });
        }
        state
    }
}

/// Every write one sync makes, computed by the diff and applied by the store in one
/// transaction.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// Models to insert or update; they are active afterwards.
    pub upsert_models: Vec<Model>,
    /// Models to mark active again without changing attributes.
    pub activate_models: Vec<String>,
    /// Models to deactivate.
    pub deactivate_models: Vec<String>,
    /// Offers to insert or update (attributes and health); they are active afterwards.
    pub upsert_offers: Vec<Offer>,
    /// Offers to deactivate.
    pub deactivate_offers: Vec<String>,
    /// Open price intervals to close at the sync time: (offer key, price key).
    pub close_prices: Vec<(String, PriceKey)>,
    /// Price intervals to open at the sync time: (offer key, price).
    pub open_prices: Vec<(String, Price)>,
    /// Aliases to insert or update; they are active afterwards.
    pub upsert_aliases: Vec<Alias>,
    /// Aliases to deactivate: (source, alias).
    pub deactivate_aliases: Vec<(String, String)>,
    /// What changed, for the change log.
    pub events: Vec<ChangeEvent>,
    /// Every offer the source listed (their `last_seen` moves to the sync time).
    pub seen_offers: Vec<String>,
    /// Every model the source listed.
    pub seen_models: Vec<String>,
    /// The benchmark scores the source publishes now, recorded with history in the same
    /// transaction (only changed scores open new intervals).
    pub benchmarks: Option<super::BenchmarkSnapshot>,
}

impl ChangeSet {
    /// Whether applying it would write nothing.
    pub fn is_empty(&self) -> bool {
        self.upsert_models.is_empty()
            && self.activate_models.is_empty()
            && self.deactivate_models.is_empty()
            && self.upsert_offers.is_empty()
            && self.deactivate_offers.is_empty()
            && self.close_prices.is_empty()
            && self.open_prices.is_empty()
            && self.upsert_aliases.is_empty()
            && self.deactivate_aliases.is_empty()
    }

    /// How many events of a kind it holds.
    pub fn count(&self, kind: super::ChangeKind) -> usize {
        self.events.iter().filter(|e| e.kind == kind).count()
    }
}
