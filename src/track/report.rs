//! Usage reports: spend and tokens grouped by model, provider, tag, app, user or day. Sums
//! are exact decimals, computed here rather than in SQL (SQLite would sum money as floats).

use super::{CostSource, StoredUsage, UsageTags};
use crate::cost::Usage;
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

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Usage summed over the records of one UTC day that share every grouping key: what the
/// store aggregates in SQL, so a report or a budget never reads records one by one.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageTotals {
    /// Start of the UTC day (unix ms).
    pub day: UnixMs,
    /// The catalog's model id, else the model as sent.
    pub model: Option<String>,
    /// The provider that served, else the upstream.
    pub provider: Option<String>,
    /// The records' tags.
    pub tags: UsageTags,
    /// Where the cost came from.
    pub cost_source: CostSource,
    /// Records.
    pub requests: u64,
    /// Records the upstream answered with an error status.
    pub failed: u64,
    /// Records without a cost.
    pub unpriced: u64,
    /// Tokens and units, summed per bucket.
    pub usage: Usage,
    /// Spend (USD, exact) of the records with a cost.
    pub cost: Decimal,
}

impl UsageTotals {
    /// The totals of one record.
    pub fn of(r: &StoredUsage) -> Self {
        let rec = &r.record;
        Self {
            day: rec.at.div_euclid(DAY_MS) * DAY_MS,
            model: rec.model.clone().or_else(|| rec.model_requested.clone()),
            provider: rec.provider.clone().or_else(|| rec.upstream.clone()),
            tags: rec.tags.clone(),
            cost_source: rec.cost_source,
            requests: 1,
            failed: u64::from(rec.status >= 400),
            unpriced: u64::from(rec.cost.is_none()),
            usage: rec.usage.clone(),
            cost: rec.cost.unwrap_or_default(),
        }
    }
}

impl UsageGroup {
    fn add(&mut self, t: &UsageTotals) {
        let u = &t.usage;
        self.requests += t.requests;
        self.failed += t.failed;
        self.unpriced += t.unpriced;
        self.prompt_tokens = self.prompt_tokens.saturating_add(u.prompt_tokens());
        self.completion_tokens = self.completion_tokens.saturating_add(u.completion_tokens());
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(u.cache_read);
        self.cache_write_tokens = self.cache_write_tokens.saturating_add(u.cache_write + u.cache_write_1h);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(u.reasoning);
        self.cost_usd = self.cost_usd.saturating_add(t.cost);
        if t.cost_source.is_provider() {
            self.provider_reported_usd = self.provider_reported_usd.saturating_add(t.cost);
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

fn key_of(t: &UsageTotals, by: GroupBy) -> String {
    let none = || "(none)".to_string();
    match by {
        GroupBy::Model => t.model.clone().unwrap_or_else(none),
        GroupBy::Provider => t.provider.clone().unwrap_or_else(none),
        GroupBy::Tag => t.tags.tag.clone().unwrap_or_else(none),
        GroupBy::App => t.tags.app.clone().unwrap_or_else(none),
        GroupBy::User => t.tags.user.clone().unwrap_or_else(none),
        GroupBy::Day => jiff::Timestamp::from_millisecond(t.day)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
            .unwrap_or_else(|_| none()),
    }
}

impl UsageReport {
    /// Group `records` (already limited to the range asked for).
    pub fn build(records: &[StoredUsage], since: Option<UnixMs>, by: GroupBy) -> UsageReport {
        let totals: Vec<UsageTotals> = records.iter().map(UsageTotals::of).collect();
        Self::from_totals(&totals, since, by)
    }

    /// Group the store's per-day totals (already limited to the range asked for).
    pub fn from_totals(totals: &[UsageTotals], since: Option<UnixMs>, by: GroupBy) -> UsageReport {
        let mut groups: HashMap<String, UsageGroup> = HashMap::new();
        let mut total = UsageGroup { key: "total".into(), ..Default::default() };
        for t in totals {
            let key = key_of(t, by);
            groups.entry(key.clone()).or_insert_with(|| UsageGroup { key, ..Default::default() }).add(t);
            total.add(t);
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
