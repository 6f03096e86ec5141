//! End-to-end tests of the `llmcost` binary against a mock OpenRouter serving the recorded
//! fixtures, and real SQLite and PostgreSQL databases.

#[path = "../support/databases.rs"]
mod databases;

mod alerts;
mod commands;
mod compare;
mod cost;
mod export;
mod helpers;
mod intel;
mod locking;
mod overrides;
mod serve;
mod sources;
mod sync;
