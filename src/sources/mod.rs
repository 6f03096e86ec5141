//! Upstreams: one module per source, each turning wire data into domain values.

pub mod http;
pub mod openrouter;
pub mod price_list;
pub mod snapshot;
