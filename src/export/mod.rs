//! Export into an application's own table (`llm_models` by default): upsert the tracked
//! models with their current (or past) prices, deactivate rows whose model is gone, and
//! never touch a column llmcost does not own (`is_default`, anything the app added).
//!
//! Pure planning here (rows wanted vs rows present → inserts, updates, deactivations);
//! the target table's SQL lives in `table.rs`.

mod table;

pub use table::{ExportTarget, TableError};

use crate::catalog::primary_offer;
use crate::domain::{Catalog, Component, PriceKey, PriceValue, UnixMs, per_million};
use crate::store::{ModelRecord, OfferRecord, Store, StoreError};
use crate::sync::{Filter, is_free};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Where and how to export (the `[export]` section of the config file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportSettings {
    /// The application's database (`postgres://…` or `sqlite:PATH`); may hold a password,
    /// so it is never printed.
    #[serde(skip_serializing)]
    pub to: Option<crate::config::Secret>,
    /// The table (`name` or `schema.name`).
    pub table: String,
    /// Which column each exported field goes to.
    pub columns: ColumnMap,
    /// Which models are exported (same keys as `[filter]`).
    pub filter: Filter,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self { to: None, table: "llm_models".into(), columns: ColumnMap::default(), filter: Filter::default() }
    }
}

/// The column of each field llmcost owns; an empty name leaves the field out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnMap {
    /// The model's canonical id (the row's key; required).
    pub model_id: String,
    /// Display name.
    pub display_name: String,
    /// USD per million input tokens (exact).
    pub cost_per_million_input: String,
    /// USD per million output tokens (exact).
    pub cost_per_million_output: String,
    /// USD per million cached input tokens read (off by default).
    pub cost_per_million_cache_read: String,
    /// Context window in tokens.
    pub context_window: String,
    /// Largest completion in tokens (off by default).
    pub max_output_tokens: String,
    /// Capabilities as JSON (tools, vision, structured outputs, reasoning, …).
    pub capabilities: String,
    /// Whether the model is still offered (required).
    pub is_active: String,
}

impl Default for ColumnMap {
    fn default() -> Self {
        Self {
            model_id: "model_id".into(),
            display_name: "display_name".into(),
            cost_per_million_input: "cost_per_million_input".into(),
            cost_per_million_output: "cost_per_million_output".into(),
            cost_per_million_cache_read: String::new(),
            context_window: "context_window".into(),
            max_output_tokens: String::new(),
            capabilities: "capabilities".into(),
            is_active: "is_active".into(),
        }
    }
}

/// A field llmcost exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Canonical model id.
    ModelId,
    /// Display name.
    DisplayName,
    /// Input price per million tokens.
    InputPerMillion,
    /// Output price per million tokens.
    OutputPerMillion,
    /// Cache-read price per million tokens.
    CacheReadPerMillion,
    /// Context window.
    ContextWindow,
    /// Largest completion.
    MaxOutputTokens,
    /// Capabilities JSON.
    Capabilities,
    /// Active flag.
    IsActive,
}

/// How a field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// Exact decimal (NUMERIC; TEXT in SQLite).
    Money,
    /// 64-bit integer.
    Int,
    /// JSON (JSONB; TEXT in SQLite).
    Json,
    /// Boolean.
    Bool,
}

impl Field {
    /// How it is stored.
    pub fn kind(self) -> Kind {
        match self {
            Field::ModelId | Field::DisplayName => Kind::Text,
            Field::InputPerMillion | Field::OutputPerMillion | Field::CacheReadPerMillion => Kind::Money,
            Field::ContextWindow | Field::MaxOutputTokens => Kind::Int,
            Field::Capabilities => Kind::Json,
            Field::IsActive => Kind::Bool,
        }
    }
}

/// A value of one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Text (or none).
    Text(Option<String>),
    /// An exact amount (or none: unknown or variable).
    Money(Option<Decimal>),
    /// An integer (or none).
    Int(Option<i64>),
    /// JSON.
    Json(Value),
    /// A flag.
    Bool(bool),
}

impl Cell {
    /// Equal as stored values: amounts compare numerically (`2.50` = `2.5`), JSON structurally.
    fn same(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Money(Some(a)), Cell::Money(Some(b))) => a == b,
            (a, b) => a == b,
        }
    }
}

/// The fields a column map exports, with their column names, key first.
pub fn mapped_fields(columns: &ColumnMap) -> Result<Vec<(Field, String)>, TableError> {
    let all = [
        (Field::ModelId, &columns.model_id),
        (Field::DisplayName, &columns.display_name),
        (Field::InputPerMillion, &columns.cost_per_million_input),
        (Field::OutputPerMillion, &columns.cost_per_million_output),
        (Field::CacheReadPerMillion, &columns.cost_per_million_cache_read),
        (Field::ContextWindow, &columns.context_window),
        (Field::MaxOutputTokens, &columns.max_output_tokens),
        (Field::Capabilities, &columns.capabilities),
        (Field::IsActive, &columns.is_active),
    ];
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (field, name) in all {
        let name = name.trim();
        if name.is_empty() {
            if matches!(field, Field::ModelId | Field::IsActive) {
                return Err(TableError::Config(format!("export.columns: {field:?} needs a column")));
            }
            continue;
        }
        table::check_identifier(name)?;
        if !names.insert(name.to_ascii_lowercase()) {
            return Err(TableError::Config(format!("export.columns: column {name:?} is mapped twice")));
        }
        out.push((field, name.to_string()));
    }
    Ok(out)
}

/// One row as llmcost wants it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    /// The key.
    pub model_id: String,
    /// Every mapped field's value, in [`mapped_fields`] order.
    pub cells: Vec<Cell>,
}

fn per_million_of(offer: Option<&OfferRecord>, component: Component) -> Option<Decimal> {
    let key = PriceKey::base(component);
    let price = offer?.prices.iter().find(|p| p.price.key == key)?;
    match price.price.value {
        PriceValue::Fixed(d) => Some(per_million(d)),
        // Variable (router) prices have no number to export.
        PriceValue::Variable => None,
    }
}

/// The capabilities JSON of a model: flags an application filters on, plus modalities.
pub fn capabilities(record: &ModelRecord, offer: Option<&OfferRecord>) -> Value {
    let m = &record.model;
    let params: BTreeSet<&str> = m
        .supported_parameters
        .iter()
        .chain(offer.map(|o| o.offer.supported_parameters.iter()).into_iter().flatten())
        .map(String::as_str)
        .collect();
    let has = |p: &str| params.contains(p);
    let input = |x: &str| m.input_modalities.iter().any(|i| i == x);
    let output = |x: &str| m.output_modalities.iter().any(|o| o == x);
    let free = record.offers.iter().any(|o| {
        let all_zero =
            !o.prices.is_empty() && o.prices.iter().all(|p| p.price.value.fixed().is_some_and(|d| d.is_zero()));
        o.is_active && is_free(Some(m), o.offer.variant.as_deref(), all_zero)
    });
    json!({
        "tools": has("tools"),
        "tool_choice": has("tool_choice"),
        "vision": input("image"),
        "audio_input": input("audio"),
        "file_input": input("file"),
        "image_output": output("image"),
        "audio_output": output("audio"),
        "structured_outputs": has("structured_outputs"),
        "json_mode": has("response_format"),
        "reasoning": has("reasoning") || has("include_reasoning"),
        "web_search": has("web_search_options"),
        "free": free,
        "input_modalities": m.input_modalities,
        "output_modalities": m.output_modalities,
    })
}

/// The rows llmcost wants in the table: every active model of the catalog that passes
/// the filter and has an offer, in id order.
pub fn wanted_rows(records: &[ModelRecord], fields: &[(Field, String)], filter: &Filter) -> Vec<ExportRow> {
    let kept = kept_models(records, filter);
    records
        .iter()
        .filter(|r| r.is_active && kept.contains(r.model.id.as_str()))
        .filter_map(|r| {
            let offer = primary_offer(r);
            offer?;
            let cells = fields
                .iter()
                .map(|(field, _)| match field {
                    Field::ModelId => Cell::Text(Some(r.model.id.to_string())),
                    Field::DisplayName => Cell::Text(Some(r.model.name.clone())),
                    Field::InputPerMillion => Cell::Money(per_million_of(offer, Component::Input)),
                    Field::OutputPerMillion => Cell::Money(per_million_of(offer, Component::Output)),
                    Field::CacheReadPerMillion => Cell::Money(per_million_of(offer, Component::CacheRead)),
                    Field::ContextWindow => {
                        Cell::Int(r.model.context_length.or_else(|| offer.and_then(|o| o.offer.context_length)))
                    }
                    Field::MaxOutputTokens => Cell::Int(r.model.max_completion_tokens),
                    Field::Capabilities => Cell::Json(capabilities(r, offer)),
                    Field::IsActive => Cell::Bool(true),
                })
                .collect();
            Some(ExportRow { model_id: r.model.id.to_string(), cells })
        })
        .collect()
}

/// The ids of models that pass the filter, judged exactly as a sync judges them.
fn kept_models(records: &[ModelRecord], filter: &Filter) -> BTreeSet<String> {
    let mut catalog = Catalog::default();
    for r in records.iter().filter(|r| r.is_active) {
        catalog.models.push(r.model.clone());
        for o in r.offers.iter().filter(|o| o.is_active) {
            let mut offer = o.offer.clone();
            offer.prices = o.prices.iter().map(|p| p.price.clone()).collect();
            catalog.offers.push(offer);
        }
    }
    filter.apply(&mut catalog);
    catalog.offers.iter().map(|o| o.model_id.to_string()).collect()
}

/// One column that changes in an update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnChange {
    /// The column.
    pub column: String,
    /// What it holds now.
    pub old: Cell,
    /// What it will hold.
    pub new: Cell,
}

/// An update of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowUpdate {
    /// The row's key.
    pub model_id: String,
    /// The full wanted row.
    #[serde(skip)]
    pub row: ExportRow,
    /// The owned columns that change.
    pub changes: Vec<ColumnChange>,
}

/// What an export does to the table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportPlan {
    /// Rows to insert.
    pub inserts: Vec<ExportRow>,
    /// Rows whose owned columns change.
    pub updates: Vec<RowUpdate>,
    /// Keys of active rows whose model is no longer exported.
    pub deactivations: Vec<String>,
    /// Rows already as wanted.
    pub unchanged: usize,
}

impl ExportPlan {
    /// Whether it writes nothing.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty() && self.deactivations.is_empty()
    }
}

/// Compare the wanted rows with the rows present (owned columns only).
pub fn plan(wanted: Vec<ExportRow>, present: &BTreeMap<String, Vec<Cell>>, fields: &[(Field, String)]) -> ExportPlan {
    let active_at = fields.iter().position(|(f, _)| *f == Field::IsActive);
    let mut out = ExportPlan::default();
    let wanted_ids: BTreeSet<String> = wanted.iter().map(|r| r.model_id.clone()).collect();
    for row in wanted {
        match present.get(&row.model_id) {
            None => out.inserts.push(row),
            Some(cells) => {
                let changes: Vec<ColumnChange> = fields
                    .iter()
                    .zip(cells.iter().zip(&row.cells))
                    .filter(|(_, (old, new))| !old.same(new))
                    .map(|((_, column), (old, new))| ColumnChange {
                        column: column.clone(),
                        old: old.clone(),
                        new: new.clone(),
                    })
                    .collect();
                if changes.is_empty() {
                    out.unchanged += 1;
                } else {
                    out.updates.push(RowUpdate { model_id: row.model_id.clone(), row, changes });
                }
            }
        }
    }
    for (id, cells) in present {
        let active = active_at.and_then(|i| cells.get(i)).is_some_and(|c| *c == Cell::Bool(true));
        if active && !wanted_ids.contains(id) {
            out.deactivations.push(id.clone());
        }
    }
    out
}

/// Why an export failed. The target table is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The catalog could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target could not be written.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// What an export did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The table written.
    pub table: String,
    /// The catalog time exported (`None`: now).
    pub as_of: Option<UnixMs>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Whether the table was created by this export.
    pub created_table: bool,
    /// Rows in the export.
    pub exported: usize,
    /// The changes.
    pub plan: ExportPlan,
}

/// Export the catalog (as of `as_of`, or now) into the target table, in one transaction.
pub async fn run(
    store: &dyn Store,
    target_url: &str,
    settings: &ExportSettings,
    as_of: Option<UnixMs>,
    dry_run: bool,
) -> Result<ExportReport, ExportError> {
    let fields = mapped_fields(&settings.columns)?;
    let records = store.catalog(as_of).await?;
    let wanted = wanted_rows(&records, &fields, &settings.filter);
    drop(records);
    let exported = wanted.len();
    let target = ExportTarget::open(target_url, &settings.table, &fields).await?;
    let (plan, created_table) = target.plan_and_apply(wanted, dry_run).await?;
    Ok(ExportReport { table: settings.table.clone(), as_of, dry_run, created_table, exported, plan })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<(Field, String)> {
        mapped_fields(&ColumnMap::default()).expect("default map")
    }

    fn row(id: &str, input: &str, active: bool) -> ExportRow {
        let cells = fields()
            .iter()
            .map(|(f, _)| match f {
                Field::ModelId => Cell::Text(Some(id.into())),
                Field::DisplayName => Cell::Text(Some(id.to_uppercase())),
                Field::InputPerMillion => Cell::Money(Some(input.parse().expect("decimal"))),
                Field::OutputPerMillion => Cell::Money(None),
                Field::ContextWindow => Cell::Int(Some(8192)),
                Field::Capabilities => Cell::Json(json!({"tools": true})),
                Field::IsActive => Cell::Bool(active),
                _ => Cell::Int(None),
            })
            .collect();
        ExportRow { model_id: id.into(), cells }
    }

    fn present(rows: &[ExportRow]) -> BTreeMap<String, Vec<Cell>> {
        rows.iter().map(|r| (r.model_id.clone(), r.cells.clone())).collect()
    }

    #[test]
    fn plans_inserts_updates_and_deactivations_and_nothing_twice() {
        let before = [row("a/x", "2.5", true), row("b/y", "1", true), row("c/z", "3", false)];
        let wanted = vec![row("a/x", "2.50", true), row("b/y", "1.25", true), row("d/new", "4", true)];
        let p = plan(wanted.clone(), &present(&before), &fields());
        assert_eq!(p.inserts.iter().map(|r| r.model_id.as_str()).collect::<Vec<_>>(), ["d/new"]);
        assert_eq!(p.unchanged, 1, "2.50 = 2.5: no rewrite for a different scale");
        assert_eq!(p.updates.len(), 1);
        assert_eq!(p.updates[0].model_id, "b/y");
        assert_eq!(p.updates[0].changes.len(), 1);
        assert_eq!(p.updates[0].changes[0].column, "cost_per_million_input");
        assert!(p.deactivations.is_empty(), "c/z is already inactive; a/x and b/y are wanted");

        let after =
            [row("a/x", "2.50", true), row("b/y", "1.25", true), row("d/new", "4", true), row("c/z", "3", false)];
        assert!(plan(wanted.clone(), &present(&after), &fields()).is_empty(), "idempotent");

        let gone = plan(wanted[..2].to_vec(), &present(&after), &fields());
        assert_eq!(gone.deactivations, ["d/new"]);
        // A row that comes back is reactivated by an update of is_active.
        let inactive = [row("a/x", "2.5", false)];
        let back = plan(vec![row("a/x", "2.5", true)], &present(&inactive), &fields());
        assert_eq!(back.updates[0].changes[0].column, "is_active");
    }

    #[test]
    fn column_maps_are_checked() {
        let mut map = ColumnMap {
            display_name: "name".into(),
            cost_per_million_cache_read: "cached_per_m".into(),
            ..ColumnMap::default()
        };
        let f = mapped_fields(&map).expect("valid");
        assert_eq!(f.len(), 8);
        assert!(f.contains(&(Field::CacheReadPerMillion, "cached_per_m".into())));
        map.capabilities = "name".into();
        assert!(mapped_fields(&map).is_err(), "a column mapped twice");
        let map = ColumnMap { model_id: String::new(), ..ColumnMap::default() };
        assert!(mapped_fields(&map).is_err(), "the key is required");
        let map = ColumnMap { display_name: "name; DROP TABLE x".into(), ..ColumnMap::default() };
        assert!(mapped_fields(&map).is_err(), "identifiers are validated");
    }
}
