//! Diff: the stored catalog against what a source says now → the writes and events of a sync.
//!
//! Pure: no I/O, deterministic (events sorted), linear in the size of the catalog.
#![deny(clippy::float_arithmetic)]

use crate::domain::{
    AliasKind, Catalog, CatalogState, ChangeEvent, ChangeKind, ChangeSet, CurrentPrice, Model, Offer, Price,
    PriceValue, StoredOffer, percent_change,
};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashSet};

/// Knobs of a diff.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Price changes beyond this many percent (either way) are alerts.
    pub alert_threshold_percent: Decimal,
}

/// The drop guard refused the fetch: it has far fewer offers than are active.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the fetch returned {fetched} listings but {active} are active; refusing to deactivate the catalog (a partial or broken upstream response?). Re-run with --force if the drop is real"
)]
pub struct DropGuard {
    /// Listings in the fetch (after filtering).
    pub fetched: usize,
    /// Active listings of the same source in the store.
    pub active: usize,
}

/// Refuse a fetch with no listings, or fewer than `min_ratio` × the active ones.
pub fn check_drop(current: &CatalogState, incoming: &Catalog, min_ratio: Decimal) -> Result<(), DropGuard> {
    let active = current
        .offers
        .values()
        .filter(|o| o.is_active && o.offer.source == incoming.source && o.offer.served_by.is_none())
        .count();
    let fetched = incoming.offers.iter().filter(|o| o.served_by.is_none()).count();
    let too_few = Decimal::from(fetched) < Decimal::from(active) * min_ratio;
    if active > 0 && (fetched == 0 || too_few) {
        return Err(DropGuard { fetched, active });
    }
    Ok(())
}

fn subject(o: &Offer) -> String {
    match &o.served_by {
        Some(tag) => format!("{} @ {tag}", o.listing_id),
        None => o.listing_id.clone(),
    }
}

fn offer_event(kind: ChangeKind, o: &Offer) -> ChangeEvent {
    ChangeEvent {
        offer_key: Some(o.key.to_string()),
        subject: Some(subject(o)),
        ..ChangeEvent::about_model(kind, o.model_id.as_str())
    }
}

/// Attributes of an offer other than its prices; health counts (it is stored) but makes no event.
fn same_offer_attrs(a: &Offer, b: &Offer) -> bool {
    (&a.model_id, &a.served_by, &a.provider, &a.provider_name, &a.variant, &a.quantization)
        == (&b.model_id, &b.served_by, &b.provider, &b.provider_name, &b.variant, &b.quantization)
        && (a.context_length, a.max_completion_tokens, a.max_prompt_tokens, a.discount)
            == (b.context_length, b.max_completion_tokens, b.max_prompt_tokens, b.discount)
        && (&a.supported_parameters, &a.health, &a.extra) == (&b.supported_parameters, &b.health, &b.extra)
}

fn value_text(v: &PriceValue) -> String {
    match v {
        PriceValue::Fixed(d) => d.normalize().to_string(),
        PriceValue::Variable => "variable".into(),
    }
}

/// A price event; an absent price is zero (that is what the source means by omitting it).
fn price_event(
    o: &Offer,
    old: Option<&CurrentPrice>,
    new: Option<&Price>,
    key_label: String,
    threshold: Decimal,
) -> ChangeEvent {
    let old_v = old.map(|p| p.value);
    let new_v = new.map(|p| p.value);
    let as_fixed = |v: Option<PriceValue>| match v {
        None => Some(Decimal::ZERO),
        Some(PriceValue::Fixed(d)) => Some(d),
        Some(PriceValue::Variable) => None,
    };
    let percent = match (as_fixed(old_v), as_fixed(new_v)) {
        (Some(a), Some(b)) => percent_change(a, b),
        _ => None,
    };
    // No percent means from zero, or to or from variable: always worth a look.
    let is_alert = percent.is_none_or(|p| p.abs() > threshold);
    ChangeEvent {
        price_key: Some(key_label),
        old_value: old_v.as_ref().map(value_text),
        new_value: new_v.as_ref().map(value_text),
        percent,
        is_alert,
        ..offer_event(ChangeKind::PriceChanged, o)
    }
}

fn diff_prices(stored: &StoredOffer, incoming: &Offer, opts: &DiffOptions, out: &mut ChangeSet) {
    let key = incoming.key.to_string();
    let mut seen = HashSet::with_capacity(incoming.prices.len());
    for p in &incoming.prices {
        seen.insert(&p.key);
        match stored.prices.get(&p.key) {
            Some(cur) if cur.value.same_as(&p.value) && cur.scope == p.scope => {}
            cur => {
                if cur.is_some() {
                    out.close_prices.push((key.clone(), p.key.clone()));
                }
                out.open_prices.push((key.clone(), p.clone()));
                out.events.push(price_event(incoming, cur, Some(p), p.key.label(), opts.alert_threshold_percent));
            }
        }
    }
    for (pk, cur) in &stored.prices {
        if !seen.contains(pk) {
            out.close_prices.push((key.clone(), pk.clone()));
            out.events.push(price_event(incoming, Some(cur), None, pk.label(), opts.alert_threshold_percent));
        }
    }
}

fn context_event(
    model_id: &str,
    subject: Option<String>,
    offer_key: Option<String>,
    old: (Option<i64>, Option<i64>),
    new: (Option<i64>, Option<i64>),
) -> Option<ChangeEvent> {
    if old == new {
        return None;
    }
    let text = |(ctx, out): (Option<i64>, Option<i64>)| {
        format!(
            "context {} / max output {}",
            ctx.map_or("?".into(), |c| c.to_string()),
            out.map_or("?".into(), |c| c.to_string())
        )
    };
    Some(ChangeEvent {
        subject,
        offer_key,
        old_value: Some(text(old)),
        new_value: Some(text(new)),
        ..ChangeEvent::about_model(ChangeKind::ContextChanged, model_id)
    })
}

fn capability_event(old: &Model, new: &Model) -> Option<ChangeEvent> {
    let (a, b) = (old.capabilities(), new.capabilities());
    if a == b {
        return None;
    }
    let removed: Vec<_> = a.difference(&b).map(|c| format!("-{c}")).collect();
    let added: Vec<_> = b.difference(&a).map(|c| format!("+{c}")).collect();
    Some(ChangeEvent {
        old_value: Some(removed.join(" ")),
        new_value: Some(added.join(" ")),
        ..ChangeEvent::about_model(ChangeKind::CapabilityChanged, new.id.as_str())
    })
}

/// Compare the stored catalog with a source's current catalog.
pub fn diff(current: &CatalogState, incoming: &Catalog, opts: &DiffOptions) -> ChangeSet {
    let mut out = ChangeSet::default();
    let source = incoming.source.as_str();
    let listed: HashSet<&str> =
        incoming.offers.iter().filter(|o| o.served_by.is_none()).map(|o| o.listing_id.as_str()).collect();
    let incoming_keys: HashSet<&str> = incoming.offers.iter().map(|o| o.key.as_str()).collect();

    // Offers present now: new, back, or possibly changed.
    let mut offers: Vec<&Offer> = incoming.offers.iter().collect();
    offers.sort_by(|a, b| a.key.cmp(&b.key));
    for o in offers {
        match current.offers.get(o.key.as_str()) {
            None => {
                out.upsert_offers.push(o.clone());
                out.open_prices.extend(o.prices.iter().map(|p| (o.key.to_string(), p.clone())));
                out.events.push(offer_event(ChangeKind::OfferAdded, o));
            }
            Some(stored) if !stored.is_active => {
                out.upsert_offers.push(o.clone());
                // Deactivation closed its prices; anything still open is reconciled.
                for pk in stored.prices.keys() {
                    out.close_prices.push((o.key.to_string(), pk.clone()));
                }
                out.open_prices.extend(o.prices.iter().map(|p| (o.key.to_string(), p.clone())));
                out.events.push(offer_event(ChangeKind::OfferReactivated, o));
            }
            Some(stored) => {
                if !same_offer_attrs(&stored.offer, o) {
                    out.upsert_offers.push(o.clone());
                    if o.served_by.is_some() {
                        let s = &stored.offer;
                        out.events.extend(context_event(
                            o.model_id.as_str(),
                            Some(subject(o)),
                            Some(o.key.to_string()),
                            (s.context_length, s.max_completion_tokens),
                            (o.context_length, o.max_completion_tokens),
                        ));
                    }
                }
                diff_prices(stored, o, opts, &mut out);
            }
        }
    }

    // Offers gone: listings of this source that were not listed, and endpoints of listings
    // whose endpoints were fetched (or that are no longer listed at all).
    let mut gone: Vec<&StoredOffer> = current
        .offers
        .values()
        .filter(|s| s.is_active && s.offer.source == source && !incoming_keys.contains(s.offer.key.as_str()))
        .filter(|s| {
            s.offer.served_by.is_none()
                || incoming.endpoints_fetched_for.contains(&s.offer.listing_id)
                || !listed.contains(s.offer.listing_id.as_str())
        })
        .collect();
    gone.sort_by(|a, b| a.offer.key.cmp(&b.offer.key));
    let mut deactivated: HashSet<&str> = HashSet::new();
    for s in gone {
        out.deactivate_offers.push(s.offer.key.to_string());
        deactivated.insert(s.offer.key.as_str());
        for pk in s.prices.keys() {
            out.close_prices.push((s.offer.key.to_string(), pk.clone()));
        }
        out.events.push(offer_event(ChangeKind::OfferRemoved, &s.offer));
    }

    // Models present now.
    for m in &incoming.models {
        match current.models.get(m.id.as_str()) {
            None => {
                out.upsert_models.push(m.clone());
                out.events.push(ChangeEvent {
                    new_value: Some(m.name.clone()),
                    ..ChangeEvent::about_model(ChangeKind::ModelAdded, m.id.as_str())
                });
            }
            Some(stored) => {
                if stored.model != *m {
                    out.upsert_models.push(m.clone());
                    if stored.is_active {
                        let s = &stored.model;
                        out.events.extend(context_event(
                            m.id.as_str(),
                            None,
                            None,
                            (s.context_length, s.max_completion_tokens),
                            (m.context_length, m.max_completion_tokens),
                        ));
                        out.events.extend(capability_event(s, m));
                    }
                } else if !stored.is_active {
                    out.activate_models.push(m.id.to_string());
                }
                if !stored.is_active {
                    out.events.push(ChangeEvent::about_model(ChangeKind::ModelReactivated, m.id.as_str()));
                }
            }
        }
    }

    // Models a source offers without describing them (price lists name models other
    // sources describe) come back to life with their offers.
    let described: HashSet<&str> = incoming.models.iter().map(|m| m.id.as_str()).collect();
    let mut offered: Vec<&str> =
        incoming.offers.iter().map(|o| o.model_id.as_str()).filter(|id| !described.contains(id)).collect();
    offered.sort_unstable();
    offered.dedup();
    for id in &offered {
        if current.models.get(*id).is_some_and(|m| !m.is_active) {
            out.activate_models.push(id.to_string());
            out.events.push(ChangeEvent::about_model(ChangeKind::ModelReactivated, id));
        }
    }

    // Models left without any active offer (from any source) are deactivated.
    let mut present: HashSet<&str> = described;
    present.extend(offered);
    let mut still_offered: HashSet<&str> = HashSet::new();
    for s in current.offers.values() {
        if s.is_active && !deactivated.contains(s.offer.key.as_str()) {
            still_offered.insert(s.offer.model_id.as_str());
        }
    }
    let mut orphaned: BTreeSet<&str> = BTreeSet::new();
    for s in current.offers.values() {
        let id = s.offer.model_id.as_str();
        if deactivated.contains(s.offer.key.as_str()) && !present.contains(id) && !still_offered.contains(id) {
            orphaned.insert(id);
        }
    }
    for id in orphaned {
        if current.models.get(id).is_some_and(|m| m.is_active) {
            out.deactivate_models.push(id.to_string());
            out.events.push(ChangeEvent::about_model(ChangeKind::ModelRemoved, id));
        }
    }

    // Aliases. Only moving aliases make events: variant aliases mirror their offers, and
    // canonical slugs change with their models.
    let mut alias_seen: HashSet<String> = HashSet::new();
    for a in &incoming.aliases {
        alias_seen.insert(a.state_key());
        let event = |kind, old: Option<String>| ChangeEvent {
            subject: Some(a.alias.clone()),
            old_value: old,
            new_value: Some(a.model_id.to_string()),
            ..ChangeEvent::about_model(kind, a.model_id.as_str())
        };
        match current.aliases.get(&a.state_key()) {
            Some(s) if s.is_active && s.alias == *a => {}
            Some(s) if s.is_active => {
                out.upsert_aliases.push(a.clone());
                if a.kind == AliasKind::Moving && s.alias.model_id != a.model_id {
                    out.events.push(event(ChangeKind::AliasRetargeted, Some(s.alias.model_id.to_string())));
                }
            }
            _ => {
                out.upsert_aliases.push(a.clone());
                if a.kind == AliasKind::Moving {
                    out.events.push(event(ChangeKind::AliasAdded, None));
                }
            }
        }
    }
    let mut gone_aliases: Vec<_> = current
        .aliases
        .values()
        .filter(|s| s.is_active && s.alias.source == source && !alias_seen.contains(&s.alias.state_key()))
        .collect();
    gone_aliases.sort_by(|a, b| a.alias.alias.cmp(&b.alias.alias));
    for s in gone_aliases {
        out.deactivate_aliases.push((s.alias.source.clone(), s.alias.alias.clone()));
        if s.alias.kind == AliasKind::Moving {
            out.events.push(ChangeEvent {
                subject: Some(s.alias.alias.clone()),
                old_value: Some(s.alias.model_id.to_string()),
                ..ChangeEvent::about_model(ChangeKind::AliasRemoved, s.alias.model_id.as_str())
            });
        }
    }

    out.seen_offers = incoming.offers.iter().map(|o| o.key.to_string()).collect();
    out.seen_models = incoming.models.iter().map(|m| m.id.to_string()).collect();
    if source == crate::domain::OPENROUTER_BENCHMARK_SOURCE {
        out.benchmarks = Some(crate::domain::BenchmarkSnapshot {
            source: source.to_string(),
            models: out.seen_models.iter().cloned().collect(),
            scores: incoming
                .models
                .iter()
                .filter_map(|m| m.benchmarks.as_ref().map(|b| crate::domain::scores_from_openrouter(&m.id, b)))
                .flatten()
                .collect(),
        });
    }
    out.events.sort_by(|a, b| {
        (&a.model_id, a.kind, &a.subject, &a.price_key).cmp(&(&b.model_id, b.kind, &b.subject, &b.price_key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Alias, Component, PriceKey, StoredAlias, StoredModel};
    use crate::sources::openrouter::{parse_models, to_catalog};
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn opts() -> DiffOptions {
        DiffOptions { alert_threshold_percent: dec!(30) }
    }

    /// The real 2026-08-08 catalog (parsed once).
    fn catalog() -> Catalog {
        static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        CATALOG
            .get_or_init(|| {
                let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/openrouter/models_2026-08-08.json");
                let body = std::fs::read(path).expect("fixture");
                to_catalog(&parse_models(&body).expect("parses")).expect("maps")
            })
            .clone()
    }

    /// Apply a change set to a state in memory, as the store does.
    fn apply(state: &mut CatalogState, c: &ChangeSet) {
        for m in &c.upsert_models {
            state.models.insert(m.id.to_string(), StoredModel { model: m.clone(), is_active: true });
        }
        for id in &c.activate_models {
            state.models.get_mut(id).expect("known model").is_active = true;
        }
        for id in &c.deactivate_models {
            state.models.get_mut(id).expect("known model").is_active = false;
        }
        for o in &c.upsert_offers {
            let mut offer = o.clone();
            offer.prices.clear();
            let prices = state.offers.remove(o.key.as_str()).map(|s| s.prices).unwrap_or_default();
            state.offers.insert(o.key.to_string(), StoredOffer { offer, is_active: true, prices });
        }
        for k in &c.deactivate_offers {
            state.offers.get_mut(k).expect("known offer").is_active = false;
        }
        for (k, pk) in &c.close_prices {
            assert!(state.offers.get_mut(k).expect("known offer").prices.remove(pk).is_some(), "closing an open price");
        }
        for (k, p) in &c.open_prices {
            let cur = CurrentPrice { value: p.value, scope: p.scope, valid_from: 1 };
            let prev = state.offers.get_mut(k).expect("known offer").prices.insert(p.key.clone(), cur);
            assert!(prev.is_none(), "at most one open interval per price key");
        }
        for a in &c.upsert_aliases {
            state.aliases.insert(a.state_key(), StoredAlias { alias: a.clone(), is_active: true });
        }
        for (source, alias) in &c.deactivate_aliases {
            let key = format!("{source}|{alias}");
            state.aliases.get_mut(&key).expect("known alias").is_active = false;
        }
    }

    fn synced(c: &Catalog) -> CatalogState {
        let mut state = CatalogState::default();
        let changes = diff(&state, c, &opts());
        apply(&mut state, &changes);
        state
    }

    fn kinds(c: &ChangeSet) -> Vec<(ChangeKind, String)> {
        c.events.iter().map(|e| (e.kind, e.subject.clone().unwrap_or_else(|| e.model_id.clone()))).collect()
    }

    fn set_price(c: &mut Catalog, listing: &str, component: Component, value: PriceValue) {
        let offer = c.offers.iter_mut().find(|o| o.listing_id == listing && o.served_by.is_none()).expect("listing");
        let price = offer.prices.iter_mut().find(|p| p.key == PriceKey::base(component)).expect("price");
        price.value = value;
    }

    #[test]
    fn a_first_sync_adds_everything_and_a_second_changes_nothing() {
        let c = catalog();
        let first = diff(&CatalogState::default(), &c, &opts());
        assert_eq!(first.count(ChangeKind::ModelAdded), c.models.len());
        assert_eq!(first.count(ChangeKind::OfferAdded), c.offers.len());
        assert_eq!(first.count(ChangeKind::PriceChanged), 0, "new offers bring prices, not price changes");
        let state = synced(&c);
        let again = diff(&state, &c, &opts());
        assert!(again.is_empty() && again.events.is_empty(), "{:?}", kinds(&again));
    }

    #[test]
    fn a_price_change_closes_one_interval_and_opens_one() {
        let mut c = catalog();
        set_price(&mut c, "moonshotai/kimi-k3", Component::Input, PriceValue::Fixed(dec!(0.000001)));
        let state = synced(&c);
        set_price(&mut c, "moonshotai/kimi-k3", Component::Input, PriceValue::Fixed(dec!(0.0000012)));
        let changes = diff(&state, &c, &opts());
        assert_eq!(changes.close_prices.len(), 1);
        assert_eq!(changes.open_prices.len(), 1);
        let e = &changes.events[0];
        assert_eq!((e.kind, e.percent, e.is_alert), (ChangeKind::PriceChanged, Some(dec!(20)), false));
        assert_eq!(e.old_value.as_deref(), Some("0.000001"));
        assert_eq!(e.new_value.as_deref(), Some("0.0000012"));

        set_price(&mut c, "moonshotai/kimi-k3", Component::Input, PriceValue::Fixed(dec!(0.0000014)));
        let alert = diff(&state, &c, &opts());
        assert!(alert.events[0].is_alert, "+40% is beyond 30%");
        set_price(&mut c, "moonshotai/kimi-k3", Component::Input, PriceValue::Variable);
        let variable = diff(&state, &c, &opts());
        assert_eq!(variable.events[0].new_value.as_deref(), Some("variable"));
        assert!(variable.events[0].is_alert && variable.events[0].percent.is_none());
    }

    #[test]
    fn removed_listings_deactivate_offers_and_orphaned_models() {
        let c = catalog();
        let state = synced(&c);
        let mut next = c.clone();
        // A model with a variant: dropping only the variant keeps the model.
        let has_plain = |m: &crate::domain::ModelId| c.offers.iter().any(|o| &o.model_id == m && o.variant.is_none());
        let variant = next
            .offers
            .iter()
            .find(|o| o.variant.is_some() && has_plain(&o.model_id))
            .expect("a variant of a model with a plain listing")
            .clone();
        next.offers.retain(|o| o.key != variant.key);
        next.aliases.retain(|a| a.alias != variant.listing_id);
        let changes = diff(&state, &next, &opts());
        assert_eq!(kinds(&changes), [(ChangeKind::OfferRemoved, variant.listing_id.clone())]);
        assert!(changes.deactivate_models.is_empty());
        assert_eq!(changes.deactivate_aliases, [("openrouter".to_string(), variant.listing_id.clone())]);
        // Dropping a model's every listing removes the model (deactivated, not deleted).
        let model = variant.model_id.clone();
        next.offers.retain(|o| o.model_id != model);
        next.models.retain(|m| m.id != model);
        next.aliases.retain(|a| a.model_id != model);
        let changes = diff(&state, &next, &opts());
        assert_eq!(changes.deactivate_models, [model.to_string()]);
        assert_eq!(changes.count(ChangeKind::ModelRemoved), 1);
        let mut after = state.clone();
        apply(&mut after, &changes);
        assert!(after.models.contains_key(model.as_str()), "never deleted");
        // And it comes back.
        let back = diff(&after, &c, &opts());
        assert_eq!(back.count(ChangeKind::ModelReactivated), 1);
        assert_eq!(back.count(ChangeKind::OfferReactivated), 2, "{:?}", kinds(&back));
        assert_eq!(back.count(ChangeKind::PriceChanged), 0, "reactivation reopens prices without price events");
    }

    #[test]
    fn endpoint_offers_change_only_where_endpoints_were_fetched() {
        let mut c = catalog();
        let listing = c.offers[0].clone();
        let mut endpoint = listing.clone();
        endpoint.served_by = Some("deepinfra/fp8".into());
        endpoint.provider = Some("deepinfra".into());
        endpoint.key =
            crate::domain::OfferKey::new("openrouter", "openrouter", &listing.listing_id, Some("deepinfra/fp8"));
        c.offers.push(endpoint.clone());
        c.endpoints_fetched_for.insert(listing.listing_id.clone());
        let state = synced(&c);

        // A sync without endpoints leaves the endpoint offer alone.
        let mut without = c.clone();
        without.offers.retain(|o| o.served_by.is_none());
        without.endpoints_fetched_for.clear();
        assert!(diff(&state, &without, &opts()).deactivate_offers.is_empty());
        // A sync that fetched the listing's endpoints and did not find it removes it.
        without.endpoints_fetched_for.insert(listing.listing_id.clone());
        assert_eq!(diff(&state, &without, &opts()).deactivate_offers, [endpoint.key.to_string()]);
    }

    #[test]
    fn context_and_capability_changes_are_events() {
        let c = catalog();
        let state = synced(&c);
        let mut next = c.clone();
        let m = &mut next.models[0];
        m.context_length = Some(m.context_length.unwrap_or(0) + 1000);
        m.supported_parameters.push("zz_new_param".into());
        m.description = Some("reworded".into());
        let id = m.id.to_string();
        let changes = diff(&state, &next, &opts());
        assert_eq!(changes.upsert_models.len(), 1, "attributes are updated in place");
        let events: Vec<_> = changes.events.iter().map(|e| (e.kind, e.model_id.as_str())).collect();
        assert_eq!(events, [(ChangeKind::ContextChanged, id.as_str()), (ChangeKind::CapabilityChanged, id.as_str())]);
        assert_eq!(changes.events[1].new_value.as_deref(), Some("+param:zz_new_param"));
        // A description alone is updated silently.
        let mut quiet = c.clone();
        quiet.models[0].description = Some("reworded".into());
        let changes = diff(&state, &quiet, &opts());
        assert_eq!((changes.upsert_models.len(), changes.events.len()), (1, 0));
    }

    #[test]
    fn moving_aliases_report_retargeting() {
        let c = catalog();
        let state = synced(&c);
        let mut next = c.clone();
        let moving: &mut Alias = next.aliases.iter_mut().find(|a| a.kind == AliasKind::Moving).expect("a moving alias");
        let old = moving.model_id.clone();
        moving.model_id = c.models.iter().map(|m| m.id.clone()).find(|id| *id != old).expect("another model");
        let changes = diff(&state, &next, &opts());
        assert_eq!(changes.count(ChangeKind::AliasRetargeted), 1);
        assert_eq!(changes.events[0].old_value.as_deref(), Some(old.as_str()));
    }

    #[test]
    fn the_drop_guard_compares_listings() {
        let c = catalog();
        let state = synced(&c);
        let mut small = c.clone();
        let keep = c.offers.len() / 2 - 1;
        small.offers.truncate(keep);
        assert_eq!(check_drop(&state, &small, dec!(0.5)), Err(DropGuard { fetched: keep, active: c.offers.len() }));
        assert!(check_drop(&state, &small, dec!(0.4)).is_ok());
        small.offers.clear();
        assert!(check_drop(&state, &small, dec!(0)).is_err(), "an empty fetch is always refused");
        assert!(check_drop(&CatalogState::default(), &small, dec!(0.5)).is_ok(), "an empty store accepts anything");
    }

    proptest! {
        /// Whatever the next catalog is, applying the diff makes the store equal to it:
        /// diffing again finds nothing, and every open price is the catalog's price.
        #[test]
        fn applying_a_diff_converges(ops in proptest::collection::vec((0usize..60, 0u8..4, 1u32..300), 0..40)) {
            let base = catalog();
            let mut state = synced(&base);
            let mut next = base.clone();
            for (i, op, factor) in ops {
                let n = next.offers.len();
                if n == 0 { break; }
                let offer = &mut next.offers[i % n];
                match op {
                    0 => { let key = offer.key.clone(); next.offers.retain(|o| o.key != key); }
                    1 => if let Some(p) = offer.prices.first_mut() {
                        p.value = match p.value {
                            PriceValue::Fixed(d) => PriceValue::Fixed(d * Decimal::from(factor) / dec!(100)),
                            PriceValue::Variable => PriceValue::Fixed(Decimal::from(factor)),
                        };
                    },
                    2 => offer.prices.retain(|p| matches!(p.key.component, Component::Input | Component::Output)),
                    _ => offer.context_length = Some(i64::from(factor)),
                }
            }
            let models: BTreeSet<String> = next.offers.iter().map(|o| o.model_id.to_string()).collect();
            next.models.retain(|m| models.contains(m.id.as_str()));
            let offer_keys: BTreeSet<String> = next.offers.iter().map(|o| o.key.to_string()).collect();
            next.aliases.retain(|a| models.contains(a.model_id.as_str()) && a.offer_key.as_ref().is_none_or(|k| offer_keys.contains(k.as_str())));

            let changes = diff(&state, &next, &opts());
            apply(&mut state, &changes);
            let again = diff(&state, &next, &opts());
            prop_assert!(again.is_empty() && again.events.is_empty(), "{:?}", kinds(&again));
            for o in &next.offers {
                let stored = &state.offers[o.key.as_str()];
                prop_assert!(stored.is_active);
                prop_assert_eq!(stored.prices.len(), o.prices.len());
                for p in &o.prices {
                    prop_assert!(stored.prices[&p.key].value.same_as(&p.value));
                }
            }
            let active_offers = state.offers.values().filter(|s| s.is_active).count();
            prop_assert_eq!(active_offers, next.offers.len());
            let active_models = state.models.values().filter(|m| m.is_active).count();
            prop_assert_eq!(active_models, next.models.len());
        }
    }
}
