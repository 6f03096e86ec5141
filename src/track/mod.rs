//! Usage and spend tracking: what each request used and cost, recorded through a batched
//! writer, checked against budgets, reported, and verified against the provider's bill.
//!
//! - [`record`]: the usage record and its vocabulary (cost source, endpoint, tags);
//! - [`meter`]: reading a response's usage and pricing it (provider's figure, else the engine);
//! - [`writer`]: the bounded channel and background task that store records in batches;
//! - [`budget`]: per-tag daily and monthly spend limits, kept in memory;
//! - [`report`]: spend and tokens grouped by model, provider, tag or day;
//! - [`verify`]: the bill check of provider costs against the engine;
//! - [`client`]: a cost-tracking client for OpenAI-compatible chat APIs.
#![deny(clippy::float_arithmetic)]

pub mod budget;
pub mod client;
pub mod meter;
pub mod record;
pub mod report;
pub mod verify;
pub mod writer;

pub use budget::{BudgetExceeded, BudgetSettings, BudgetStatus, Budgets, Limits, Selector};
pub use client::{ChatOutcome, ChatRequest, ClientError, CostReport, CostTrackingClient};
pub use meter::{Metered, ResponseFacts, meter};
pub use record::{CostSource, Endpoint, StoredUsage, UsageQuery, UsageRecord, UsageTags, Verification};
pub use report::{GroupBy, UsageGroup, UsageReport, UsageTotals};
pub use verify::{VerifyReport, verify};
pub use writer::{UsageWriter, WriterTask};
