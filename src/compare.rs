//! Comparing one model's prices across providers and sources: one row per offer with the base
//! price of each component side by side, the range of each component, and the places where two
//! sources disagree about what the same billing party charges. Pure functions over store records.
//!
//! # Billing parties
//!
//! Sources spell sellers their own way (`aws`, `amazon-bedrock`, `bedrock_converse`), so an offer's
//! seller is normalised to a *party* ([`party`]): the LiteLLM spelling where one exists (`bedrock`,
//! `vertex_ai`, `azure`, `gemini`, `fireworks_ai`, `together_ai`, ...). OpenRouter's listings and
//! its provider endpoints are all the `openrouter` party. A variant (`…:free`, `…:batch`) is a
//! product of its own, so offers are grouped by party and variant.
//!
//! # Disagreements
//!
//! Within one group, each source states a set of base prices per component (a source may list a
//! party several times: regions, endpoints, reseller ids). Two sources disagree when their sets
//! have no price in common, compared with [`crate::domain::same_price`]: a source listing Azure at
//! $2.5 (global) and $2.75 (EU data zone) does not contradict one listing it at $2.5 alone.

use crate::domain::{Component, Price, PriceKey, PriceValue, Unit, listing_parts};
use crate::sources::Source;
use crate::store::{ModelRecord, OfferRecord};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also list inactive offers (they never count towards disagreements or ranges).
    pub include_inactive: bool,
    /// Only these components, in this order (empty: every component with a base price).
    pub components: Vec<Component>,
}

/// One offer as a comparison row.
#[derive(Debug, Clone, Serialize)]
pub struct OfferRow {
    /// The offer's key (`source|seller|listing|served_by`).
    pub key: String,
    /// The source that states it.
    pub source: String,
    /// Who bills, as the source spells it.
    pub seller: String,
    /// The billing party the seller is normalised to (see [`party`]).
    pub party: String,
    /// The id the seller lists it under.
    pub listing_id: String,
    /// The endpoint tag, for aggregator endpoints.
    pub served_by: Option<String>,
    /// The variant (`free`, `batch`, ...), from the offer or its OpenRouter listing id.
    pub variant: Option<String>,
    /// Active at the time asked for.
    pub is_active: bool,
    /// The base (untiered, unconditional) price of each compared component, per unit.
    pub prices: BTreeMap<Component, PriceValue>,
    /// Components whose base price two sources state differently for this row's party.
    pub disputed: Vec<Component>,
    /// Tiers and conditional prices (batch, priority, time-of-day windows) of compared components.
    pub tiers: Vec<Price>,
}

impl OfferRow {
    /// `source · seller`, how the row is labelled.
    pub fn label(&self) -> String {
        format!("{} · {}", self.source, self.seller)
    }

    /// The listing id with the endpoint tag, when there is one.
    pub fn listing(&self) -> String {
        match &self.served_by {
            Some(tag) => format!("{} @ {tag}", self.listing_id),
            None => self.listing_id.clone(),
        }
    }
}

/// The prices one source states for a party and component.
#[derive(Debug, Clone, Serialize)]
pub struct SourcePrices {
    /// The source.
    pub source: String,
    /// Its distinct base prices, per unit, lowest first.
    pub prices: Vec<PriceValue>,
    /// The offers stating them.
    pub offers: Vec<String>,
}

/// Two or more sources stating different base prices for one party's component.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// The billing party.
    pub party: String,
    /// The variant, when the offers are one.
    pub variant: Option<String>,
    /// The component.
    pub component: Component,
    /// What each source states, in source order.
    pub values: Vec<SourcePrices>,
}

impl Disagreement {
    /// `party` or `party:variant`.
    pub fn party_label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}:{v}", self.party),
            None => self.party.clone(),
        }
    }
}

/// One end of a component's price range.
#[derive(Debug, Clone, Serialize)]
pub struct Extreme {
    /// The price, per unit.
    pub usd: Decimal,
    /// The offers charging it.
    pub offers: Vec<String>,
}

/// The lowest and highest fixed base price of a component across the active offers.
#[derive(Debug, Clone, Serialize)]
pub struct PriceRange {
    /// The component.
    pub component: Component,
    /// The lowest price.
    pub min: Extreme,
    /// The highest price.
    pub max: Extreme,
}

/// A model's prices side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The model.
    pub model: String,
    /// Its display name.
    pub name: String,
    /// The components shown as columns.
    pub columns: Vec<Component>,
    /// One row per offer.
    pub offers: Vec<OfferRow>,
    /// Where sources disagree.
    pub disagreements: Vec<Disagreement>,
    /// Lowest and highest base price per component.
    pub ranges: Vec<PriceRange>,
}

impl Comparison {
    /// The row of an offer key.
    pub fn row(&self, key: &str) -> Option<&OfferRow> {
        self.offers.iter().find(|r| r.key == key)
    }
}

/// The billing party a seller name means, as the sources spell it (`aws`, `amazon-bedrock` and
/// `bedrock_converse` are all `bedrock`).
pub fn party(seller: &str) -> String {
    let s = seller.trim().to_lowercase();
    let s = s.strip_prefix("text-completion-").unwrap_or(&s);
    let prefixed = [
        ("vertex_ai", "vertex_ai"),
        ("google-vertex", "vertex_ai"),
        ("bedrock", "bedrock"),
        ("azure", "azure"),
        ("huggingface", "huggingface"),
        ("fireworks", "fireworks_ai"),
    ];
    if let Some((_, p)) = prefixed.iter().find(|(prefix, _)| s.starts_with(prefix)) {
        return (*p).to_string();
    }
    let same = match s {
        "aws" | "amazon-bedrock" => "bedrock",
        "google" => "gemini",
        "together" | "togetherai" => "together_ai",
        "x-ai" => "xai",
        "moonshotai" => "moonshot",
        "cloudflare-workers-ai" => "cloudflare",
        "github-copilot" => "github_copilot",
        "cohere_chat" => "cohere",
        "voyageai" => "voyage",
        "vercel" => "vercel_ai_gateway",
        "nvidia" => "nvidia_nim",
        "alibaba" => "dashscope",
        other => other,
    };
    same.to_string()
}

fn source_rank(source: &str) -> usize {
    Source::ALL.iter().position(|s| s.name() == source).unwrap_or(Source::ALL.len())
}

fn variant_of(o: &OfferRecord, party: &str) -> Option<String> {
    o.offer.variant.clone().or_else(|| {
        // Price lists name OpenRouter's variant listings by id (`…:free`) without a variant.
        (party == "openrouter").then(|| listing_parts(&o.offer.listing_id).1.map(str::to_string)).flatten()
    })
}

fn is_base(key: &PriceKey) -> bool {
    key.min_prompt_tokens == 0 && key.condition.is_empty()
}

fn push_distinct(values: &mut Vec<PriceValue>, v: PriceValue) {
    if !values.iter().any(|x| x.same_as(&v)) {
        values.push(v);
    }
}

fn sort_values(values: &mut [PriceValue]) {
    values.sort_by_key(|v| match v {
        PriceValue::Fixed(d) => (0, *d),
        PriceValue::Variable => (1, Decimal::ZERO),
    });
}

/// Compare a model's offers.
pub fn compare(record: &ModelRecord, opts: &Options) -> Comparison {
    let wanted = |c: Component| opts.components.is_empty() || opts.components.contains(&c);
    let mut offers: Vec<OfferRow> = record
        .offers
        .iter()
        .filter(|o| o.is_active || opts.include_inactive)
        .map(|o| {
            let party = party(&o.offer.seller);
            let mut prices = BTreeMap::new();
            let mut tiers = Vec::new();
            for p in o.prices.iter().map(|p| &p.price).filter(|p| wanted(p.key.component)) {
                if is_base(&p.key) {
                    prices.insert(p.key.component, p.value);
                } else {
                    tiers.push(p.clone());
                }
            }
            tiers.sort_by(|a, b| a.key.cmp(&b.key));
            OfferRow {
                key: o.offer.key.to_string(),
                source: o.offer.source.clone(),
                seller: o.offer.seller.clone(),
                variant: variant_of(o, &party),
                party,
                listing_id: o.offer.listing_id.clone(),
                served_by: o.offer.served_by.clone(),
                is_active: o.is_active,
                prices,
                disputed: Vec::new(),
                tiers,
            }
        })
        .collect();
    offers.sort_by(|a, b| {
        (!a.is_active, &a.party, &a.variant, source_rank(&a.source), &a.source, &a.listing_id, &a.served_by).cmp(&(
            !b.is_active,
            &b.party,
            &b.variant,
            source_rank(&b.source),
            &b.source,
            &b.listing_id,
            &b.served_by,
        ))
    });

    let components: Vec<Component> = if opts.components.is_empty() {
        let present: BTreeSet<Component> = offers.iter().flat_map(|r| r.prices.keys().copied()).collect();
        Component::ALL.into_iter().filter(|c| present.contains(c)).collect()
    } else {
        let mut seen = BTreeSet::new();
        opts.components.iter().copied().filter(|c| seen.insert(*c)).collect()
    };
    let columns = if opts.components.is_empty() {
        let tokens: Vec<Component> = components.iter().copied().filter(|c| c.unit() == Unit::Token).collect();
        if tokens.is_empty() { components.clone() } else { tokens }
    } else {
        components.clone()
    };

    let disagreements = disagreements(&offers, &components);
    for d in &disagreements {
        for r in offers.iter_mut().filter(|r| {
            r.is_active && r.party == d.party && r.variant == d.variant && r.prices.contains_key(&d.component)
        }) {
            if !r.disputed.contains(&d.component) {
                r.disputed.push(d.component);
            }
        }
    }
    let ranges = components.iter().filter_map(|c| range(&offers, *c)).collect();
    Comparison {
        model: record.model.id.to_string(),
        name: record.model.name.clone(),
        columns,
        offers,
        disagreements,
        ranges,
    }
}

/// Active rows grouped by party and variant, in row order.
fn groups(offers: &[OfferRow]) -> BTreeMap<(&str, Option<&str>), Vec<&OfferRow>> {
    let mut groups: BTreeMap<(&str, Option<&str>), Vec<&OfferRow>> = BTreeMap::new();
    for r in offers.iter().filter(|r| r.is_active) {
        groups.entry((r.party.as_str(), r.variant.as_deref())).or_default().push(r);
    }
    groups
}

fn disagreements(offers: &[OfferRow], components: &[Component]) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for ((party, variant), rows) in groups(offers) {
        for &component in components {
            let mut by_source: Vec<SourcePrices> = Vec::new();
            for r in &rows {
                let Some(v) = r.prices.get(&component) else { continue };
                let at = match by_source.iter().position(|s| s.source == r.source) {
                    Some(i) => i,
                    None => {
                        by_source.push(SourcePrices {
                            source: r.source.clone(),
                            prices: Vec::new(),
                            offers: Vec::new(),
                        });
                        by_source.len() - 1
                    }
                };
                push_distinct(&mut by_source[at].prices, *v);
                by_source[at].offers.push(r.key.clone());
            }
            let disjoint =
                |a: &SourcePrices, b: &SourcePrices| !a.prices.iter().any(|x| b.prices.iter().any(|y| x.same_as(y)));
            let disagree = by_source.iter().enumerate().any(|(i, a)| by_source[i + 1..].iter().any(|b| disjoint(a, b)));
            if disagree {
                for s in &mut by_source {
                    sort_values(&mut s.prices);
                }
                out.push(Disagreement {
                    party: party.to_string(),
                    variant: variant.map(str::to_string),
                    component,
                    values: by_source,
                });
            }
        }
    }
    out
}

fn range(offers: &[OfferRow], component: Component) -> Option<PriceRange> {
    let priced: Vec<(&OfferRow, Decimal)> = offers
        .iter()
        .filter(|r| r.is_active)
        .filter_map(|r| r.prices.get(&component).and_then(PriceValue::fixed).map(|d| (r, d)))
        .collect();
    let min = priced.iter().map(|(_, d)| *d).min()?;
    let max = priced.iter().map(|(_, d)| *d).max()?;
    let at = |usd: Decimal| Extreme {
        usd,
        offers: priced.iter().filter(|(_, d)| crate::domain::same_price(*d, usd)).map(|(r, _)| r.key.clone()).collect(),
    };
    Some(PriceRange { component, min: at(min), max: at(max) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Model, ModelId, Offer, OfferHealth, OfferKey, TierScope};
    use crate::store::PriceRecord;
    use rust_decimal::dec;

    fn model() -> Model {
        Model {
            id: ModelId::parse("openai/gpt-4o").expect("id"),
            name: "GPT-4o".into(),
            description: None,
            canonical_slug: None,
            hugging_face_id: None,
            created: None,
            context_length: Some(128_000),
            max_completion_tokens: None,
            is_moderated: None,
            modality: None,
            input_modalities: vec!["text".into()],
            output_modalities: vec!["text".into()],
            tokenizer: None,
            instruct_type: None,
            supported_parameters: vec![],
            default_parameters: None,
            supported_voices: None,
            per_request_limits: None,
            reasoning: None,
            benchmarks: None,
            knowledge_cutoff: None,
            expiration_date: None,
        }
    }

    fn price(component: Component, min: i64, condition: &str, usd: Decimal) -> PriceRecord {
        PriceRecord {
            price: Price {
                key: PriceKey { component, min_prompt_tokens: min, condition: condition.into() },
                value: PriceValue::Fixed(usd),
                scope: TierScope::WholeRequest,
            },
            valid_from: 0,
            valid_to: None,
        }
    }

    fn offer(
        source: &str,
        seller: &str,
        listing: &str,
        served_by: Option<&str>,
        prices: Vec<PriceRecord>,
    ) -> OfferRecord {
        OfferRecord {
            offer: Offer {
                key: OfferKey::new(source, seller, listing, served_by),
                model_id: ModelId::parse("openai/gpt-4o").expect("id"),
                source: source.into(),
                seller: seller.into(),
                served_by: served_by.map(str::to_string),
                provider: served_by.map(|s| s.split('/').next().unwrap_or(s).to_string()),
                provider_name: None,
                listing_id: listing.into(),
                variant: None,
                quantization: None,
                context_length: None,
                max_completion_tokens: None,
                max_prompt_tokens: None,
                supported_parameters: vec![],
                discount: None,
                health: OfferHealth::default(),
                extra: None,
                prices: vec![],
            },
            is_active: true,
            first_seen: 0,
            last_seen: 0,
            prices,
        }
    }

    fn io(input: Decimal, output: Decimal) -> Vec<PriceRecord> {
        vec![price(Component::Input, 0, "", input), price(Component::Output, 0, "", output)]
    }

    fn record(offers: Vec<OfferRecord>) -> ModelRecord {
        ModelRecord { model: model(), is_active: true, first_seen: 0, last_seen: 0, offers, aliases: vec![] }
    }

    #[test]
    fn sellers_normalise_to_billing_parties() {
        for (seller, expected) in [
            ("aws", "bedrock"),
            ("amazon-bedrock", "bedrock"),
            ("bedrock_converse", "bedrock"),
            ("vertex_ai-anthropic_models", "vertex_ai"),
            ("google-vertex-anthropic", "vertex_ai"),
            ("azure_ai", "azure"),
            ("azure-cognitive-services", "azure"),
            ("text-completion-openai", "openai"),
            ("fireworks-ai", "fireworks_ai"),
            ("togetherai", "together_ai"),
            ("x-ai", "xai"),
            ("huggingface_novita", "huggingface"),
            ("OpenAI", "openai"),
            ("deepinfra", "deepinfra"),
        ] {
            assert_eq!(party(seller), expected, "{seller}");
        }
    }

    #[test]
    fn different_prices_for_one_party_are_a_disagreement() {
        let r = record(vec![
            offer("litellm", "openai", "gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
            offer("genai-prices", "openai", "gpt-4o", None, io(dec!(0.00000275), dec!(0.00001))),
            offer("models-dev", "openai", "gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
        ]);
        let c = compare(&r, &Options::default());
        assert_eq!(c.columns, [Component::Input, Component::Output]);
        assert_eq!(c.disagreements.len(), 1);
        let d = &c.disagreements[0];
        assert_eq!((d.party.as_str(), d.component), ("openai", Component::Input));
        let values: Vec<(&str, Vec<PriceValue>)> =
            d.values.iter().map(|s| (s.source.as_str(), s.prices.clone())).collect();
        assert_eq!(
            values,
            [
                ("litellm", vec![PriceValue::Fixed(dec!(0.0000025))]),
                ("genai-prices", vec![PriceValue::Fixed(dec!(0.00000275))]),
                ("models-dev", vec![PriceValue::Fixed(dec!(0.0000025))]),
            ]
        );
        // Every row of the party is marked on input, none on output.
        assert!(c.offers.iter().all(|o| o.disputed == [Component::Input]));
    }

    #[test]
    fn spellings_of_one_party_are_compared_and_rounding_noise_is_not_a_disagreement() {
        let r = record(vec![
            offer("litellm", "bedrock_converse", "anthropic.claude", None, io(dec!(0.000003), dec!(0.000015))),
            offer("genai-prices", "aws", "anthropic.claude", None, io(dec!(0.0000030000000000000001), dec!(0.00002))),
            offer("models-dev", "amazon-bedrock", "anthropic.claude", None, io(dec!(0.000003), dec!(0.000015))),
        ]);
        let c = compare(&r, &Options::default());
        let found: Vec<(&str, Component)> = c.disagreements.iter().map(|d| (d.party.as_str(), d.component)).collect();
        assert_eq!(found, [("bedrock", Component::Output)]);
    }

    #[test]
    fn a_source_agrees_when_one_of_its_listings_matches() {
        // LiteLLM lists a global and a regional price; models.dev only the global one.
        let r = record(vec![
            offer("litellm", "azure", "azure/gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
            offer("litellm", "azure", "azure/eu/gpt-4o", None, io(dec!(0.00000275), dec!(0.000011))),
            offer("models-dev", "azure", "gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
        ]);
        assert!(compare(&r, &Options::default()).disagreements.is_empty());
    }

    #[test]
    fn different_sellers_and_single_sources_never_disagree() {
        let r = record(vec![
            offer("litellm", "openai", "gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
            offer("litellm", "azure", "azure/gpt-4o", None, io(dec!(0.000005), dec!(0.00002))),
            offer("models-dev", "github-copilot", "gpt-4o", None, io(dec!(0), dec!(0))),
        ]);
        let c = compare(&r, &Options::default());
        assert!(c.disagreements.is_empty());
        let input = c.ranges.iter().find(|r| r.component == Component::Input).expect("input range");
        assert_eq!(input.min.usd, dec!(0));
        assert_eq!(input.min.offers, ["models-dev|github-copilot|gpt-4o|"]);
        assert_eq!(input.max.usd, dec!(0.000005));
        assert_eq!(input.max.offers, ["litellm|azure|azure/gpt-4o|"]);
    }

    #[test]
    fn openrouter_endpoints_and_variants_group_as_openrouter() {
        let mut batch =
            offer("openrouter", "openrouter", "openai/gpt-4o:batch", None, io(dec!(0.00000125), dec!(0.000005)));
        batch.offer.variant = Some("batch".into());
        let r = record(vec![
            offer("openrouter", "openrouter", "openai/gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))),
            offer("openrouter", "openrouter", "openai/gpt-4o", Some("azure"), io(dec!(0.0000025), dec!(0.00001))),
            batch,
            offer("genai-prices", "openrouter", "openai/gpt-4o", None, io(dec!(0.0000025), dec!(0.000012))),
            // models.dev names the free listing by id only: a variant, not a disagreement.
            offer("models-dev", "openrouter", "openai/gpt-4o:free", None, io(dec!(0), dec!(0))),
        ]);
        let c = compare(&r, &Options::default());
        assert!(c.offers.iter().all(|o| o.party == "openrouter"));
        let found: Vec<(String, Component)> = c.disagreements.iter().map(|d| (d.party_label(), d.component)).collect();
        assert_eq!(found, [("openrouter".to_string(), Component::Output)]);
        let marked: Vec<&str> =
            c.offers.iter().filter(|o| o.disputed.contains(&Component::Output)).map(|o| o.key.as_str()).collect();
        assert_eq!(
            marked,
            [
                "openrouter|openrouter|openai/gpt-4o|",
                "openrouter|openrouter|openai/gpt-4o|azure",
                "genai-prices|openrouter|openai/gpt-4o|"
            ]
        );
        let free = c.offers.iter().find(|o| o.source == "models-dev").expect("models.dev row");
        assert_eq!(free.variant.as_deref(), Some("free"));
    }

    #[test]
    fn tiers_and_conditions_are_kept_apart_from_base_prices() {
        let mut prices = io(dec!(0.0000025), dec!(0.00001));
        prices.push(price(Component::Input, 0, "batch", dec!(0.00000125)));
        prices.push(price(Component::Input, 200_001, "", dec!(0.000005)));
        prices.push(price(Component::WebSearch, 0, "", dec!(0.01)));
        let r = record(vec![offer("litellm", "openai", "gpt-4o", None, prices)]);
        let c = compare(&r, &Options::default());
        assert_eq!(c.columns, [Component::Input, Component::Output], "per-unit prices are not columns");
        let row = &c.offers[0];
        assert_eq!(row.prices.get(&Component::WebSearch), Some(&PriceValue::Fixed(dec!(0.01))));
        let tiers: Vec<String> = row.tiers.iter().map(|p| p.key.label()).collect();
        assert_eq!(tiers, ["input [batch]", "input ≥200001"]);

        let only = compare(&r, &Options { components: vec![Component::Output], ..Options::default() });
        assert_eq!(only.columns, [Component::Output]);
        assert!(only.offers[0].tiers.is_empty());
        assert_eq!(only.offers[0].prices.keys().copied().collect::<Vec<_>>(), [Component::Output]);
        assert_eq!(only.ranges.len(), 1);
    }

    #[test]
    fn inactive_offers_are_listed_on_request_but_never_compared() {
        let mut old = offer("genai-prices", "openai", "gpt-4o", None, io(dec!(0.000009), dec!(0.00001)));
        old.is_active = false;
        let r = record(vec![offer("litellm", "openai", "gpt-4o", None, io(dec!(0.0000025), dec!(0.00001))), old]);
        assert_eq!(compare(&r, &Options::default()).offers.len(), 1);
        let all = compare(&r, &Options { include_inactive: true, ..Options::default() });
        assert_eq!(all.offers.len(), 2);
        assert!(!all.offers[1].is_active, "inactive rows come last");
        assert!(all.disagreements.is_empty());
        assert_eq!(all.ranges[0].max.usd, dec!(0.0000025));
    }
}
