//! A mock OpenRouter endpoints API derived from a recorded catalog, shared by the tests and
//! the benchmark's mock server.

use serde_json::Value;
use std::path::Path;
use wiremock::{Request, Respond, ResponseTemplate};

fn models_of(body: &[u8]) -> Vec<Value> {
    match serde_json::from_slice::<Value>(body).expect("catalog is JSON") {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => a,
            _ => panic!("no data array"),
        },
        _ => panic!("unexpected catalog shape"),
    }
}

/// Serves `GET /models/{id}/endpoints` for every listing of a models fixture.
///
/// No complete public capture of this endpoint exists (see fixtures SOURCES.md), so each
/// response follows the real capture's shape (`endpoints_nex-agi_…json`) with the listing's
/// own recorded prices and context: two providers, the second 10% dearer on input and fp8.
/// The real capture itself is served for its listing.
pub struct EndpointsFromCatalog {
    models: std::collections::HashMap<String, Value>,
    real: Vec<u8>,
}

impl EndpointsFromCatalog {
    /// Serve endpoints for the listings of a catalog file in `fixtures/openrouter`.
    #[allow(dead_code)]
    pub fn new(fixture_name: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter");
        let catalog = std::fs::read(dir.join(fixture_name)).expect("catalog fixture");
        Self::from_catalog(&catalog)
    }

    /// Serve endpoints for the listings of a catalog body.
    pub fn from_catalog(catalog: &[u8]) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openrouter");
        let real = std::fs::read(dir.join("endpoints_nex-agi_nex-n2.5-pro-free_2026-09-22.json")).expect("capture");
        let models = models_of(catalog).into_iter().map(|m| (m["id"].as_str().expect("id").to_string(), m)).collect();
        Self { models, real }
    }

    /// The synthesized endpoints of one listing.
    pub fn endpoints_for(model: &Value) -> Value {
        let id = model["id"].as_str().expect("id");
        let author = id.split('/').next().unwrap_or("x");
        let mut pricing = model["pricing"].clone();
        pricing["discount"] = Value::from(0);
        let mut dearer = pricing.clone();
        if let Some(p) = pricing["prompt"].as_str() {
            if let Ok(d) = p.parse::<rust_decimal::Decimal>() {
                if d > rust_decimal::Decimal::ZERO {
                    dearer["prompt"] = Value::String((d * rust_decimal::Decimal::new(11, 1)).normalize().to_string());
                }
            }
        }
        let endpoint = |tag: String, quant: &str, pricing: Value, status: i64| {
            serde_json::json!({
                "name": format!("{tag} | {id}"),
                "model_id": id,
                "model_name": model["name"],
                "context_length": model["context_length"],
                "pricing": pricing,
                "provider_name": tag.split('/').next(),
                "tag": tag,
                "quantization": quant,
                "max_completion_tokens": model["top_provider"]["max_completion_tokens"],
                "max_prompt_tokens": null,
                "supported_parameters": model["supported_parameters"],
                "status": status,
                "uptime_last_30m": 99.5,
                "uptime_last_5m": 100.0,
                "uptime_last_1d": 99.9,
                "supports_implicit_caching": false,
                "latency_last_30m": null,
                "throughput_last_30m": null
            })
        };
        serde_json::json!({"data": {"id": id, "endpoints": [
            endpoint(author.to_string(), "bf16", pricing, 0),
            endpoint("deepinfra/fp8".to_string(), "fp8", dearer, -1),
        ]}})
    }
}

impl Respond for EndpointsFromCatalog {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let listing =
            request.url.path().trim_start_matches("/api/v1/models/").trim_end_matches("/endpoints").to_string();
        if listing == "nex-agi/nex-n2.5-pro:free" {
            return ResponseTemplate::new(200).set_body_raw(self.real.clone(), "application/json");
        }
        match self.models.get(&listing) {
            Some(m) => ResponseTemplate::new(200).set_body_json(Self::endpoints_for(m)),
            None => ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"error": {"code": 404, "message": "Model not found"}})),
        }
    }
}
