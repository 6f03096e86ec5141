//! Usage reports: spend and tokens grouped by model, provider, tag, app, user or day. Sums
//! are exact decimals, computed here rather than in SQL (SQLite would sum money as floats).

use super::StoredUsage;
use crate::domain::UnixMs;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How records are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The catalog's model id (the model as sent when unresolved).
    Model,
    /// The provider that served the request.
    Provider,
    /// The free-form tag.
    Tag,
    /// The application.
    App,
    /// The end user.
    User,
    /// The UTC day.
    Day,
}

/// One group's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageGroup {
    /// The group (`openai/gpt-4o-mini`, `2026-08-01`, `(none)`).
    pub key: String,
    /// Requests.
    pub requests: u64,
    /// Requests the upstream answered with an error status.
    pub failed: u64,
    /// Prompt tokens of every kind (plain, cached, cache writes, audio, image).
    pub prompt_tokens: u64,
    /// Completion tokens of every kind (output, reasoning, audio, image).
    pub completion_tokens: u64,
    /// Prompt tokens read from a cache.
    pub cache_read_tokens: u64,
    /// Prompt tokens written to a cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Spend (USD, exact).
    #[schema(value_type = String)]
    pub cost_usd: Decimal,
    /// Of which the provider reported.
    #[schema(value_type = String)]
    pub provider_reported_usd: Decimal,
    /// Requests with no cost (no usage or no price).
    pub unpriced: u64,
}

impl UsageGroup {
    fn add(&mut self, r: &StoredUsage) {
        let (rec, u) = (&r.record, &r.record.usage);
        self.requests += 1;
        self.failed += u64::from(rec.status >= 400);
        self.prompt_tokens = self.prompt_tokens.saturating_add(u.prompt_tokens());
        self.completion_tokens = self.completion_tokens.saturating_add(u.completion_tokens());
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(u.cache_read);
        self.cache_write_tokens = self.cache_write_tokens.saturating_add(u.cache_write + u.cache_write_1h);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(u.reasoning);
        match rec.cost {
            Some(c) => {
                self.cost_usd = self.cost_usd.saturating_add(c);
                if rec.cost_source.is_provider() {
                    self.provider_reported_usd = self.provider_reported_usd.saturating_add(c);
                }
            }
            None => self.unpriced += 1,
        }
    }
}

/// Spend and tokens over a time range, grouped.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// Records at or after this time (unix ms), if bounded.
    pub since: Option<UnixMs>,
    /// How the groups are made.
    pub by: GroupBy,
    /// The groups: by spend, highest first (by day: oldest first).
    pub groups: Vec<UsageGroup>,
    /// Every record together.
    pub total: UsageGroup,
}

fn key_of(r: &StoredUsage, by: GroupBy) -> String {
    let rec = &r.record;
    let none = || "(none)".to_string();
    match by {
        GroupBy::Model => rec.model.clone().or_else(|| rec.model_requested.clone()).unwrap_or_else(none),
        GroupBy::Provider => rec.provider.clone().or_else(|| rec.upstream.clone()).unwrap_or_else(none),
        GroupBy::Tag => rec.tags.tag.clone().unwrap_or_else(none),
        GroupBy::App => rec.tags.app.clone().unwrap_or_else(none),
        GroupBy::User => rec.tags.user.clone().unwrap_or_else(none),
        GroupBy::Day => jiff::Timestamp::from_millisecond(rec.at)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
            .unwrap_or_else(|_| none()),
    }
}

impl UsageReport {
    /// Group `records` (already limited to the range asked for).
    pub fn build(records: &[StoredUsage], since: Option<UnixMs>, by: GroupBy) -> UsageReport {
        let mut groups: HashMap<String, UsageGroup> = HashMap::new();
        let mut total = UsageGroup { key: "total".into(), ..Default::default() };
        for r in records {
            let key = key_of(r, by);
            groups.entry(key.clone()).or_insert_with(|| UsageGroup { key, ..Default::default() }).add(r);
            total.add(r);
        }
        let mut groups: Vec<UsageGroup> = groups.into_values().collect();
        if by == GroupBy::Day {
            groups.sort_by(|a, b| a.key.cmp(&b.key));
        } else {
            groups
                .sort_by(|a, b| b.cost_usd.cmp(&a.cost_usd).then(b.requests.cmp(&a.requests)).then(a.key.cmp(&b.key)));
        }
        for g in &mut groups {
            g.cost_usd = g.cost_usd.normalize();
            g.provider_reported_usd = g.provider_reported_usd.normalize();
        }
        total.cost_usd = total.cost_usd.normalize();
        total.provider_reported_usd = total.provider_reported_usd.normalize();
        UsageReport { since, by, groups, total }
    }
}
