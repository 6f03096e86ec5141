//! llmcost: an exact LLM model catalog with price history, change detection and cost tracking.
//!
//! The crate reads like a map of the product:
//! - [`domain`]: the shared vocabulary (models, offers, prices, sync runs, change events);
//! - [`sources`]: one module per upstream, turning wire JSON into domain values;
//! - [`sync`]: filter, diff against the stored catalog, and apply in one transaction;
//! - [`store`]: the storage trait and its SQLite and PostgreSQL implementations with migrations;
//! - [`rank`]: rankings of cost against quality, the Pareto frontier, provider routing;
//! - [`plot`]: price history as a terminal chart or an SVG image;
//! - [`export`]: the catalog into an application's own table;
//! - [`server`]: `llmcost serve`, the REST API, admin sync jobs, scheduler and metrics;
//! - [`track`]: usage records, the batched writer, budgets, reports and bill checks;
//! - [`proxy`]: `llmcost proxy`, the transparent OpenAI-compatible proxy that records usage;
//! - [`alerts`]: webhooks told about price alerts, new and removed models, failed syncs;
//! - [`cli`]: the `llmcost` command line.

pub mod alerts;
pub mod catalog;
pub mod cli;
pub mod compare;
pub mod config;
pub mod cost;
pub mod domain;
pub mod export;
pub mod identity;
pub mod plot;
pub mod proxy;
pub mod rank;
pub mod server;
pub mod sources;
pub mod store;
pub mod sync;
pub mod track;
