//! `llmcost serve` end to end: the real app on port 0 against real SQLite (and PostgreSQL)
//! with a mock OpenRouter, driven over HTTP.

#[path = "../support/databases.rs"]
mod databases;
mod helpers;
#[path = "../support/openrouter_mock.rs"]
mod openrouter_mock;

mod admin;
mod catalog;
mod dashboard;
mod ops;
mod rank;
mod scheduler;
mod usage;
