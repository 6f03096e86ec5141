//! The bill check: for recorded requests that carry the provider's own cost, price the same
//! usage with the engine at the same time and compare. Every mismatch keeps both numbers and
//! the price rows the engine used, so it can be traced to a source and a validity interval.

use super::{StoredUsage, Verification, meter};
use crate::cost::PriceBook;
use crate::domain::UnixMs;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

/// The outcome of a bill check over many records.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Records checked.
    pub checked: usize,
    /// Records whose costs agree.
    pub matched: usize,
    /// Every disagreement (or record the engine could not price).
    pub mismatches: Vec<Verification>,
}

/// Check one record (it must carry a provider cost; others give `None`). Costs agree when
/// they differ by at most `tolerance` USD.
pub fn verify_record(book: &PriceBook, r: &StoredUsage, tolerance: Decimal, now: UnixMs) -> Option<Verification> {
    let rec = &r.record;
    let provider_cost = rec.provider_cost?;
    let model = rec.model.as_deref().or(rec.model_requested.as_deref());
    let mut v = Verification {
        usage_id: r.id,
        checked_at: now,
        model: model.map(str::to_string),
        offer_key: None,
        provider_cost,
        engine_cost: None,
        difference: None,
        matched: false,
        price_rows: json!([]),
        error: None,
    };
    let Some(model) = model else {
        v.error = Some("the record names no model".into());
        return Some(v);
    };
    let mut usage = rec.usage.clone();
    usage.reported_cost = None;
    match meter::quote(book, model, rec.upstream.as_deref(), &usage, Some(rec.at)) {
        Ok(q) => {
            let difference = provider_cost - q.total_usd;
            v.model = Some(q.model.to_string());
            v.offer_key = Some(q.offer.to_string());
            v.engine_cost = Some(q.total_usd.normalize());
            v.difference = Some(difference.normalize());
            v.matched = difference.abs() <= tolerance;
            v.price_rows = json!(
                q.lines
                    .iter()
                    .map(|l| json!({
                        "offer": q.offer,
                        "source": q.source,
                        "component": l.line.component,
                        "bucket": l.line.bucket,
                        "min_prompt_tokens": l.line.min_prompt_tokens,
                        "condition": l.line.condition,
                        "quantity": l.line.quantity,
                        "unit_price": l.line.unit_price.normalize().to_string(),
                        "amount": l.line.amount.normalize().to_string(),
                        "valid_from": l.price_valid_from,
                    }))
                    .collect::<Vec<_>>()
            );
        }
        Err(e) => v.error = Some(e.to_string()),
    }
    Some(v)
}

/// Check every record that carries a provider cost.
pub fn verify(
    book: &PriceBook,
    records: &[StoredUsage],
    tolerance: Decimal,
    now: UnixMs,
) -> (VerifyReport, Vec<Verification>) {
    let all: Vec<Verification> = records.iter().filter_map(|r| verify_record(book, r, tolerance, now)).collect();
    let matched = all.iter().filter(|v| v.matched).count();
    let mismatches = all.iter().filter(|v| !v.matched).cloned().collect();
    (VerifyReport { checked: all.len(), matched, mismatches }, all)
}
