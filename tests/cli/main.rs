//! End-to-end tests of the `llmcost` binary against a mock OpenRouter serving the recorded
//! fixtures, and a real SQLite database.

mod commands;
mod cost;
mod helpers;
mod sources;
mod sync;
