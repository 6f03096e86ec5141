//! The catalog page (`/`): search, filters (provider, modalities, free, capabilities), sort
//! and pages, as a GET form that works without JavaScript.

use super::format::{date, per_million_usd, tokens};
use super::{Layout, PageError, PageResult, query_pairs, query_string, render};
use crate::catalog::{ModelQuery, ModelSummary, SortKey, select_summaries};
use crate::server::cache::CatalogSnapshot;
use crate::server::state::AppState;
use crate::store::ModelRecord;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use std::collections::{BTreeMap, BTreeSet};

/// Models per page.
const PAGE_SIZE: usize = 100;

/// Capability checkboxes offered (the most common request parameters).
const CAPABILITIES: usize = 12;

/// What the catalog's filters offer, computed once per catalog version.
pub struct CatalogFacets {
    /// The providers of each model (slugs of its active offers' providers or sellers), in
    /// the order of the snapshot's summaries.
    providers_of: Vec<BTreeSet<String>>,
    /// Every provider with its number of models, by slug.
    providers: Vec<(String, usize)>,
    /// Input modalities.
    input_modalities: Vec<String>,
    /// Output modalities.
    output_modalities: Vec<String>,
    /// The most common request parameters, most common first.
    capabilities: Vec<String>,
}

impl CatalogFacets {
    /// The facets of a catalog.
    pub fn of(records: &[ModelRecord], summaries: &[ModelSummary]) -> Self {
        let providers_of: Vec<BTreeSet<String>> = records
            .iter()
            .map(|r| {
                r.offers
                    .iter()
                    .filter(|o| o.is_active)
                    .map(|o| o.offer.provider.clone().unwrap_or_else(|| o.offer.seller.clone()))
                    .collect()
            })
            .collect();
        let mut providers: BTreeMap<String, usize> = BTreeMap::new();
        for (set, s) in providers_of.iter().zip(summaries) {
            if s.is_active {
                for p in set {
                    *providers.entry(p.clone()).or_default() += 1;
                }
            }
        }
        let mut input = BTreeSet::new();
        let mut output = BTreeSet::new();
        let mut params: BTreeMap<&str, usize> = BTreeMap::new();
        for s in summaries.iter().filter(|s| s.is_active) {
            input.extend(s.input_modalities.iter().cloned());
            output.extend(s.output_modalities.iter().cloned());
            for p in &s.supported_parameters {
                *params.entry(p.as_str()).or_default() += 1;
            }
        }
        let mut by_use: Vec<(&str, usize)> = params.into_iter().collect();
        by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut capabilities: Vec<String> = by_use.into_iter().take(CAPABILITIES).map(|(p, _)| p.to_string()).collect();
        capabilities.sort();
        Self {
            providers_of,
            providers: providers.into_iter().collect(),
            input_modalities: input.into_iter().collect(),
            output_modalities: output.into_iter().collect(),
            capabilities,
        }
    }
}

/// The catalog page's request: filters, order and page.
#[derive(Debug, Default, Clone)]
struct Filters {
    q: String,
    provider: String,
    input: String,
    output: String,
    free: bool,
    caps: Vec<String>,
    sort: SortKey,
    desc: bool,
    page: usize,
}

fn parse_sort(s: &str) -> Result<SortKey, PageError> {
    Ok(match s {
        "" | "id" => SortKey::Id,
        "name" => SortKey::Name,
        "price" => SortKey::Price,
        "output" => SortKey::Output,
        "context" => SortKey::Context,
        "date" => SortKey::Date,
        other => return Err(PageError::bad_request(format!("unknown sort {other:?}"))),
    })
}

fn sort_name(s: SortKey) -> &'static str {
    match s {
        SortKey::Id => "id",
        SortKey::Name => "name",
        SortKey::Price => "price",
        SortKey::Output => "output",
        SortKey::Context => "context",
        SortKey::Date => "date",
    }
}

fn truthy(v: &str) -> bool {
    matches!(v, "1" | "on" | "true" | "yes")
}

impl Filters {
    fn parse(raw: Option<&str>) -> Result<Self, PageError> {
        let mut f = Filters { page: 1, ..Filters::default() };
        for (k, v) in query_pairs(raw)? {
            let v = v.trim().to_string();
            match k.as_str() {
                "q" => f.q = v,
                "provider" => f.provider = v,
                "input" => f.input = v,
                "output" => f.output = v,
                "free" => f.free = truthy(&v),
                "cap" if !v.is_empty() && !f.caps.contains(&v) => f.caps.push(v),
                "sort" => f.sort = parse_sort(&v)?,
                "desc" => f.desc = truthy(&v),
                "page" if !v.is_empty() => {
                    f.page = v
                        .parse::<usize>()
                        .ok()
                        .filter(|p| *p >= 1)
                        .ok_or_else(|| PageError::bad_request("page must be a whole number from 1"))?;
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// The query string of these filters with a different sort (and page 1).
    fn with_sort(&self, sort: SortKey, desc: bool) -> String {
        let mut f = self.clone();
        f.sort = sort;
        f.desc = desc;
        f.page = 1;
        f.query()
    }

    fn with_page(&self, page: usize) -> String {
        let mut f = self.clone();
        f.page = page;
        f.query()
    }

    fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("q", self.q.clone()),
            ("provider", self.provider.clone()),
            ("input", self.input.clone()),
            ("output", self.output.clone()),
            ("free", if self.free { "1".into() } else { String::new() }),
        ];
        pairs.extend(self.caps.iter().map(|c| ("cap", c.clone())));
        if self.sort != SortKey::Id {
            pairs.push(("sort", sort_name(self.sort).into()));
        }
        if self.desc {
            pairs.push(("desc", "1".into()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        format!("/{}", query_string(&pairs))
    }
}

/// One row of the catalog table.
struct Row {
    id: String,
    name: String,
    search: String,
    input: String,
    output: String,
    context: String,
    providers: usize,
    free: bool,
    variable: bool,
    modalities: String,
    created: String,
}

/// A sortable column header.
struct Column {
    label: &'static str,
    href: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    aria: &'static str,
    numeric: bool,
}

/// A checkbox or option.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    layout: Layout,
    q: String,
    free: bool,
    providers: Vec<Choice>,
    inputs: Vec<Choice>,
    outputs: Vec<Choice>,
    caps: Vec<Choice>,
    /// How many capabilities are ticked.
    caps_selected: usize,
    sorts: Vec<Choice>,
    desc: bool,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: usize,
    first: usize,
    last: usize,
    prev: Option<String>,
    next: Option<String>,
    page: usize,
    pages: usize,
}

fn choices(options: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<Choice> {
    options.into_iter().map(|(value, label)| Choice { selected: value == selected, value, label }).collect()
}

fn row(s: &ModelSummary) -> Row {
    let modalities = format!("{} → {}", s.input_modalities.join("+"), s.output_modalities.join("+"));
    Row {
        search: format!("{} {}", s.id, s.name).to_lowercase(),
        id: s.id.clone(),
        name: s.name.clone(),
        input: per_million_usd(s.input),
        output: per_million_usd(s.output),
        context: s.context_length.map(tokens).unwrap_or_else(|| "—".into()),
        providers: s.providers,
        free: s.free,
        variable: s.variable,
        modalities,
        created: s.created.and_then(|c| c.checked_mul(1000)).map(date).unwrap_or_default(),
    }
}

/// Build the page from a snapshot (separate from the handler for the benchmark).
fn build(snapshot: &CatalogSnapshot, f: &Filters, layout: Layout) -> Result<CatalogPage, PageError> {
    let facets = snapshot.facets.get_or_init(|| CatalogFacets::of(&snapshot.records, &snapshot.summaries));
    let query = ModelQuery {
        search: (!f.q.is_empty()).then(|| f.q.clone()),
        free: f.free,
        supports: f.caps.clone(),
        input_modality: (!f.input.is_empty()).then(|| f.input.clone()),
        output_modality: (!f.output.is_empty()).then(|| f.output.clone()),
        sort: f.sort,
        desc: f.desc,
        ..ModelQuery::default()
    };
    let mut selected = select_summaries(&snapshot.summaries, &query);
    if !f.provider.is_empty() {
        let offered: std::collections::HashSet<&str> = snapshot
            .summaries
            .iter()
            .zip(&facets.providers_of)
            .filter(|(_, p)| p.contains(&f.provider))
            .map(|(s, _)| s.id.as_str())
            .collect();
        selected.retain(|s| offered.contains(s.id.as_str()));
    }
    let total = selected.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if f.page > pages {
        return Err(PageError::not_found(format!("there are only {pages} page(s) of models")));
    }
    let start = (f.page - 1) * PAGE_SIZE;
    let rows: Vec<Row> = selected.iter().skip(start).take(PAGE_SIZE).map(|s| row(s)).collect();
    let column = |label: &'static str, key: SortKey, numeric: bool| {
        let active = f.sort == key;
        Column {
            label,
            href: f.with_sort(key, active && !f.desc),
            aria: match (active, f.desc) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            numeric,
        }
    };
    let columns = vec![
        column("Model", SortKey::Id, false),
        column("Name", SortKey::Name, false),
        column("Input $/M", SortKey::Price, true),
        column("Output $/M", SortKey::Output, true),
        column("Context", SortKey::Context, true),
        column("Listed", SortKey::Date, false),
    ];
    let mut providers = vec![(String::new(), "any provider".to_string())];
    providers.extend(facets.providers.iter().map(|(p, n)| (p.clone(), format!("{p} ({n})"))));
    let modal = |all: &[String], any: &str| {
        let mut v = vec![(String::new(), any.to_string())];
        v.extend(all.iter().map(|m| (m.clone(), m.clone())));
        v
    };
    let sorts = [SortKey::Id, SortKey::Name, SortKey::Price, SortKey::Output, SortKey::Context, SortKey::Date]
        .into_iter()
        .map(|k| (sort_name(k).to_string(), sort_name(k).to_string()));
    Ok(CatalogPage {
        layout,
        q: f.q.clone(),
        free: f.free,
        providers: choices(providers, &f.provider),
        inputs: choices(modal(&facets.input_modalities, "any input"), &f.input),
        outputs: choices(modal(&facets.output_modalities, "any output"), &f.output),
        caps: facets
            .capabilities
            .iter()
            .map(|c| Choice { value: c.clone(), label: c.clone(), selected: f.caps.contains(c) })
            .collect(),
        caps_selected: f.caps.len(),
        sorts: choices(sorts, sort_name(f.sort)),
        desc: f.desc,
        columns,
        first: if total == 0 { 0 } else { start + 1 },
        last: start + rows.len(),
        rows,
        total,
        prev: (f.page > 1).then(|| f.with_page(f.page - 1)),
        next: (f.page < pages).then(|| f.with_page(f.page + 1)),
        page: f.page,
        pages,
    })
}

/// `GET /`: the catalog.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> PageResult {
    let filters = Filters::parse(raw.as_deref())?;
    let snapshot = state.cache.get().await?;
    let layout = Layout::new(&state, &headers, "Catalog", "catalog").at_version(snapshot.version);
    Ok(render(&build(&snapshot, &filters, layout)?))
}
