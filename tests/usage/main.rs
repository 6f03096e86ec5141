//! Usage tracking end to end: the usage store on both backends, the batched writer, the proxy
//! against a mock OpenAI-compatible upstream serving recorded OpenRouter responses, budgets,
//! the cost-tracking client and the bill check.

#[path = "../support/databases.rs"]
mod databases;
mod helpers;

mod client;
mod proxy;
mod store;
mod upstream;
mod verify;
mod writer;
