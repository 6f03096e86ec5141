//! The tracked set: which models and offers a sync keeps.

use crate::domain::{Catalog, Model};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// What to do with a class of models (free, variable-priced).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Inclusion {
    /// Keep them along with the rest.
    #[default]
    Include,
    /// Drop them.
    Exclude,
    /// Keep only them.
    Only,
}

impl Inclusion {
    fn keeps(self, is_member: bool) -> bool {
        match self {
            Inclusion::Include => true,
            Inclusion::Exclude => !is_member,
            Inclusion::Only => is_member,
        }
    }
}

/// Which models and offers are tracked. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    /// Every one of these request parameters must be supported (e.g. `structured_outputs`).
    pub require_parameters: Vec<String>,
    /// Every input modality of a model must be one of these (`["text"]`: text-only input).
    pub input_modalities: Vec<String>,
    /// Every output modality of a model must be one of these.
    pub output_modalities: Vec<String>,
    /// Only these authors (`openai` in `openai/gpt-4o`).
    pub authors: Vec<String>,
    /// Never these authors.
    pub exclude_authors: Vec<String>,
    /// Only endpoints of these providers (`deepinfra`).
    pub providers: Vec<String>,
    /// Never endpoints of these providers.
    pub exclude_providers: Vec<String>,
    /// Free offers: `:free` variants and text models whose every price is zero.
    pub free: Inclusion,
    /// Offers with a variable (`-1`) price.
    pub variable: Inclusion,
}

/// Whether an offer of `model` is free: a `:free` variant, or a text model priced zero
/// throughout. Zero-priced image, video or speech models are not free: their price is
/// simply not expressible per token.
pub fn is_free(model: Option<&Model>, variant: Option<&str>, all_zero: bool) -> bool {
    variant == Some("free") || (all_zero && model.is_some_and(|m| m.output_modalities.iter().any(|o| o == "text")))
}

fn subset(have: &[String], allowed: &[String]) -> bool {
    allowed.is_empty() || have.iter().all(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h)))
}

fn listed(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
}

impl Filter {
    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }

    /// Keep the tracked part of a catalog: listing offers that pass, endpoint offers of
    /// kept listings from allowed providers, and the models and aliases they leave.
    pub fn apply(&self, catalog: &mut Catalog) {
        let models: HashMap<String, &Model> = catalog.models.iter().map(|m| (m.id.to_string(), m)).collect();
        let mut kept_listings = BTreeSet::new();
        let mut keep = Vec::with_capacity(catalog.offers.len());
        for offer in &catalog.offers {
            let model = models.get(offer.model_id.as_str()).copied();
            let ok = if offer.served_by.is_none() {
                let params_ok =
                    self.require_parameters.iter().all(|p| offer.supported_parameters.iter().any(|s| s == p));
                let modalities_ok = model.is_some_and(|m| {
                    subset(&m.input_modalities, &self.input_modalities)
                        && subset(&m.output_modalities, &self.output_modalities)
                });
                let author = offer.model_id.author();
                let author_ok = (self.authors.is_empty() || listed(&self.authors, author))
                    && !listed(&self.exclude_authors, author);
                let free = is_free(model, offer.variant.as_deref(), offer.all_prices_zero());
                let ok = params_ok
                    && modalities_ok
                    && author_ok
                    && self.free.keeps(free)
                    && self.variable.keeps(offer.has_variable_price());
                if ok {
                    kept_listings.insert(offer.listing_id.clone());
                }
                ok
            } else {
                true
            };
            keep.push(ok);
        }
        let mut flags = keep.into_iter();
        catalog.offers.retain(|_| flags.next().unwrap_or(false));
        catalog.offers.retain(|o| {
            o.served_by.is_none()
                || (kept_listings.contains(&o.listing_id)
                    && (self.providers.is_empty() || listed(&self.providers, o.provider.as_deref()))
                    && !listed(&self.exclude_providers, o.provider.as_deref()))
        });
        let offered: BTreeSet<String> = catalog.offers.iter().map(|o| o.model_id.to_string()).collect();
        let offer_keys: BTreeSet<&str> = catalog.offers.iter().map(|o| o.key.as_str()).collect();
        catalog.aliases.retain(|a| {
            offered.contains(a.model_id.as_str())
                && a.offer_key.as_ref().is_none_or(|k| offer_keys.contains(k.as_str()))
        });
        catalog.models.retain(|m| offered.contains(m.id.as_str()));
        catalog.endpoints_fetched_for.retain(|l| kept_listings.contains(l));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::openrouter::{parse_models, to_catalog};

    fn catalog() -> Catalog {
        let body = include_bytes!("../../fixtures/openrouter/models_all-modalities_2026-08-14.json");
        to_catalog(&parse_models(body).expect("parses")).expect("maps")
    }

    #[test]
    fn text_only_and_required_parameters() {
        let mut c = catalog();
        let filter = Filter {
            require_parameters: vec!["structured_outputs".into(), "response_format".into(), "stop".into()],
            input_modalities: vec!["text".into()],
            output_modalities: vec!["text".into()],
            ..Filter::default()
        };
        filter.apply(&mut c);
        assert!(!c.offers.is_empty());
        for o in &c.offers {
            assert!(o.supported_parameters.iter().any(|p| p == "structured_outputs"), "{}", o.listing_id);
        }
        for m in &c.models {
            assert_eq!(m.input_modalities, ["text"]);
            assert_eq!(m.output_modalities, ["text"]);
        }
    }

    #[test]
    fn zero_priced_media_models_are_not_free() {
        let mut c = catalog();
        let media_zero = c
            .offers
            .iter()
            .filter(|o| o.all_prices_zero() && o.variant.is_none())
            .filter(|o| {
                c.models
                    .iter()
                    .find(|m| m.id == o.model_id)
                    .is_some_and(|m| !m.output_modalities.iter().any(|x| x == "text"))
            })
            .count();
        assert!(media_zero > 0, "the fixture has zero-priced media models");
        Filter { free: Inclusion::Only, ..Filter::default() }.apply(&mut c);
        for o in &c.offers {
            let m = c.models.iter().find(|m| m.id == o.model_id);
            assert!(is_free(m, o.variant.as_deref(), o.all_prices_zero()), "{}", o.listing_id);
            // Only an explicit `:free` listing makes a media model free.
            if o.variant.as_deref() != Some("free") {
                assert!(m.is_some_and(|m| m.output_modalities.iter().any(|x| x == "text")), "{}", o.listing_id);
            }
        }
    }

    #[test]
    fn author_lists_and_variable_prices() {
        let mut c = catalog();
        Filter { exclude_authors: vec!["openrouter".into()], variable: Inclusion::Exclude, ..Filter::default() }
            .apply(&mut c);
        assert!(c.offers.iter().all(|o| o.model_id.author() != Some("openrouter")));
        assert!(c.offers.iter().all(|o| !o.has_variable_price()));
        let mut c = catalog();
        Filter { authors: vec!["anthropic".into()], ..Filter::default() }.apply(&mut c);
        assert!(!c.models.is_empty());
        assert!(c.models.iter().all(|m| m.id.author() == Some("anthropic")));
        assert!(c.aliases.iter().all(|a| a.model_id.author() == Some("anthropic")));
    }
}
