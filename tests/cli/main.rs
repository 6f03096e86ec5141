//! End-to-end tests of the `llmcost` binary against a mock OpenRouter serving the recorded
//! fixtures, and a real SQLite database.

mod commands;
mod compare;
mod cost;
mod helpers;
mod overrides;
mod sources;
mod sync;
