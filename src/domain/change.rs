//! Change events: what a sync run changed in the catalog.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of a change event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A model appeared for the first time.
    ModelAdded,
    /// A model's last active offer went away: it is deactivated, never deleted.
    ModelRemoved,
    /// A deactivated model is offered again.
    ModelReactivated,
    /// An offer (a listing, or a provider endpoint) appeared.
    OfferAdded,
    /// An offer went away.
    OfferRemoved,
    /// A deactivated offer came back.
    OfferReactivated,
    /// One price (component × tier × condition) of an offer changed, appeared or went away.
    PriceChanged,
    /// A model's or offer's context window or output limit changed.
    ContextChanged,
    /// A model's capabilities (parameters, modalities, reasoning) changed.
    CapabilityChanged,
    /// An alias appeared.
    AliasAdded,
    /// An alias now points at another model.
    AliasRetargeted,
    /// An alias went away.
    AliasRemoved,
}

impl ChangeKind {
    /// Every kind, for help texts.
    pub const ALL: [ChangeKind; 12] = [
        ChangeKind::ModelAdded,
        ChangeKind::ModelRemoved,
        ChangeKind::ModelReactivated,
        ChangeKind::OfferAdded,
        ChangeKind::OfferRemoved,
        ChangeKind::OfferReactivated,
        ChangeKind::PriceChanged,
        ChangeKind::ContextChanged,
        ChangeKind::CapabilityChanged,
        ChangeKind::AliasAdded,
        ChangeKind::AliasRetargeted,
        ChangeKind::AliasRemoved,
    ];

    /// The stable name used in storage, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::ModelAdded => "model_added",
            ChangeKind::ModelRemoved => "model_removed",
            ChangeKind::ModelReactivated => "model_reactivated",
            ChangeKind::OfferAdded => "offer_added",
            ChangeKind::OfferRemoved => "offer_removed",
            ChangeKind::OfferReactivated => "offer_reactivated",
            ChangeKind::PriceChanged => "price_changed",
            ChangeKind::ContextChanged => "context_changed",
            ChangeKind::CapabilityChanged => "capability_changed",
            ChangeKind::AliasAdded => "alias_added",
            ChangeKind::AliasRetargeted => "alias_retargeted",
            ChangeKind::AliasRemoved => "alias_removed",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = ChangeKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown change kind {s:?} (expected one of {})", names.join(", "))
        })
    }
}

/// One change a run made (or, in a dry run, would make).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// What happened.
    pub kind: ChangeKind,
    /// The model concerned.
    pub model_id: String,
    /// The offer concerned, when the change is about one offer.
    pub offer_key: Option<String>,
    /// The listing id of that offer (`openai/gpt-oss-20b:free`), or the alias id.
    pub subject: Option<String>,
    /// For price changes: the price key label (`input`, `input ≥128000`, ...).
    pub price_key: Option<String>,
    /// The value before (a price, a context length, a capability list), if any.
    pub old_value: Option<String>,
    /// The value after, if any.
    pub new_value: Option<String>,
    /// Percent change for price changes between two fixed, non-zero prices.
    pub percent: Option<rust_decimal::Decimal>,
    /// Whether the change is beyond the alert threshold.
    pub is_alert: bool,
}

impl ChangeEvent {
    /// An event about a model with no values attached.
    pub fn about_model(kind: ChangeKind, model_id: &str) -> Self {
        Self {
            kind,
            model_id: model_id.to_string(),
            offer_key: None,
            subject: None,
            price_key: None,
            old_value: None,
            new_value: None,
            percent: None,
            is_alert: false,
        }
    }

    /// One line for humans: `price_changed openai/gpt-4o input 0.0000025 → 0.000003 (+20%)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{:<18} {}", self.kind.as_str(), self.subject.as_deref().unwrap_or(&self.model_id));
        if let Some(pk) = &self.price_key {
            s.push(' ');
            s.push_str(pk);
        }
        match (&self.old_value, &self.new_value) {
            (Some(o), Some(n)) => s.push_str(&format!(" {o} → {n}")),
            (None, Some(n)) => s.push_str(&format!(" → {n}")),
            (Some(o), None) => s.push_str(&format!(" {o} → (none)")),
            (None, None) => {}
        }
        if let Some(p) = self.percent {
            let sign = if p.is_sign_positive() { "+" } else { "" };
            s.push_str(&format!(" ({sign}{p}%)"));
        }
        if self.is_alert {
            s.push_str(" [ALERT]");
        }
        s
    }
}
