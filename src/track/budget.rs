//! Spend limits per tag, app, user or API key, per UTC day and month. Spend is kept in memory,
//! seeded from the store at start and updated as each request is priced, so a check costs
//! a map lookup and never a query.

use super::UsageTags;
use crate::domain::UnixMs;
use crate::store::{Store, StoreResult};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;

/// What a budget is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// `x-llmcost-app`.
    App,
    /// `x-llmcost-user`.
    User,
    /// The hash of the client's API key.
    Key,
    /// `x-llmcost-tag`.
    Tag,
}

impl Dimension {
    fn of(self, tags: &UsageTags) -> Option<&str> {
        match self {
            Dimension::App => tags.app.as_deref(),
            Dimension::User => tags.user.as_deref(),
            Dimension::Key => tags.key_hash.as_deref(),
            Dimension::Tag => tags.tag.as_deref(),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Dimension::App => "app",
            Dimension::User => "user",
            Dimension::Key => "key",
            Dimension::Tag => "tag",
        }
    }
}

/// One budgeted name: `app:search`, `user:alice`, `key:0123abcd…`, `tag:nightly`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    /// What kind of name.
    pub dimension: Dimension,
    /// The name.
    pub value: String,
}

impl std::str::FromStr for Selector {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (kind, value) = raw
            .split_once(':')
            .ok_or_else(|| format!("budget {raw:?}: expected app:NAME, user:NAME, key:HASH or tag:NAME"))?;
        let dimension = match kind {
            "app" => Dimension::App,
            "user" => Dimension::User,
            "key" => Dimension::Key,
            "tag" => Dimension::Tag,
            other => return Err(format!("budget {raw:?}: unknown kind {other:?} (app, user, key or tag)")),
        };
        if value.is_empty() {
            return Err(format!("budget {raw:?}: empty name"));
        }
        Ok(Selector { dimension, value: value.to_string() })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dimension.as_str(), self.value)
    }
}

/// The limits of one budget (USD, exact; either may be absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most spend per UTC day.
    pub daily_usd: Option<Decimal>,
    /// Most spend per UTC calendar month.
    pub monthly_usd: Option<Decimal>,
}

/// The `[budgets]` section: `"app:search" = { daily_usd = "5", monthly_usd = "100" }`.
pub type BudgetSettings = BTreeMap<String, Limits>;

/// Parse a `--budget SELECTOR=PERIOD:AMOUNT` flag (`app:search=daily:5`).
pub fn parse_budget_flag(raw: &str) -> Result<(Selector, Limits), String> {
    let (selector, limit) = raw
        .split_once('=')
        .ok_or_else(|| format!("--budget {raw:?}: expected SELECTOR=daily:USD or SELECTOR=monthly:USD"))?;
    let (period, amount) =
        limit.split_once(':').ok_or_else(|| format!("--budget {raw:?}: expected daily:USD or monthly:USD"))?;
    let amount =
        Decimal::from_str_exact(amount.trim()).map_err(|e| format!("--budget {raw:?}: amount {amount:?}: {e}"))?;
    if amount.is_sign_negative() {
        return Err(format!("--budget {raw:?}: negative amount"));
    }
    let limits = match period {
        "daily" | "day" => Limits { daily_usd: Some(amount), monthly_usd: None },
        "monthly" | "month" => Limits { daily_usd: None, monthly_usd: Some(amount) },
        other => return Err(format!("--budget {raw:?}: unknown period {other:?} (daily or monthly)")),
    };
    Ok((selector.parse()?, limits))
}

/// A request refused because a budget it falls under is spent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("budget exceeded: {selector} spent ${spent} of its {period} budget ${limit}; it resets at {resets}")]
pub struct BudgetExceeded {
    /// The budget (`app:search`).
    pub selector: String,
    /// `daily` or `monthly`.
    pub period: &'static str,
    /// Spent in the period (USD).
    pub spent: Decimal,
    /// The limit (USD).
    pub limit: Decimal,
    /// When the period ends (RFC 3339).
    pub resets: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Spend {
    day: Option<Date>,
    day_usd: Decimal,
    month: Option<(i16, i8)>,
    month_usd: Decimal,
}

/// One budget's state, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetStatus {
    /// The budget (`app:search`).
    pub selector: String,
    /// Daily limit (USD).
    #[schema(value_type = Option<String>)]
    pub daily_limit_usd: Option<Decimal>,
    /// Spent today, UTC (USD).
    #[schema(value_type = String)]
    pub daily_spent_usd: Decimal,
    /// Monthly limit (USD).
    #[schema(value_type = Option<String>)]
    pub monthly_limit_usd: Option<Decimal>,
    /// Spent this UTC month (USD).
    #[schema(value_type = String)]
    pub monthly_spent_usd: Decimal,
    /// Whether new requests under it are refused.
    pub exceeded: bool,
}

/// Every budget and its spend.
#[derive(Debug)]
pub struct Budgets {
    rules: Vec<(Selector, Limits)>,
    spend: Mutex<HashMap<Selector, Spend>>,
}

fn civil(at: UnixMs) -> Date {
    Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned(TimeZone::UTC).date()
}

fn start_of_month(at: UnixMs) -> UnixMs {
    let d = civil(at).first_of_month();
    d.to_zoned(TimeZone::UTC).map_or(0, |z| z.timestamp().as_millisecond())
}

fn text_of(date: Date) -> String {
    date.to_zoned(TimeZone::UTC).map_or_else(|_| date.to_string(), |z| z.timestamp().to_string())
}

impl Budgets {
    /// Budgets from settings (`"app:search" = {…}`) and flags; a flag's limit replaces the
    /// same selector's limit of the same period.
    pub fn new(settings: &BudgetSettings, flags: Vec<(Selector, Limits)>) -> Result<Self, String> {
        let mut rules: BTreeMap<Selector, Limits> = BTreeMap::new();
        for (raw, limits) in settings {
            rules.insert(raw.parse()?, limits.clone());
        }
        for (selector, limits) in flags {
            let entry = rules.entry(selector).or_default();
            entry.daily_usd = limits.daily_usd.or(entry.daily_usd);
            entry.monthly_usd = limits.monthly_usd.or(entry.monthly_usd);
        }
        Ok(Self { rules: rules.into_iter().collect(), spend: Mutex::new(HashMap::new()) })
    }

    /// Whether any budget is set (when none, checks and updates are free).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Add the spend already recorded this month (call once at start).
    pub async fn seed(&self, store: &dyn Store, now: UnixMs) -> StoreResult<()> {
        if self.is_empty() {
            return Ok(());
        }
        // Per-day totals (summed in SQL) carry what the budgets need: tags, day and spend.
        let totals = store.usage_totals(Some(start_of_month(now)), Some(now.saturating_add(1))).await?;
        for t in &totals {
            self.add(&t.tags, t.cost, t.day);
        }
        Ok(())
    }

    /// Whether any budget covers a request with these tags.
    pub fn covers(&self, tags: &UsageTags) -> bool {
        self.rules.iter().any(|(selector, _)| selector.dimension.of(tags) == Some(selector.value.as_str()))
    }

    /// Refuse a request whose tags fall under a spent budget.
    pub fn check(&self, tags: &UsageTags, now: UnixMs) -> Result<(), BudgetExceeded> {
        if self.is_empty() {
            return Ok(());
        }
        let today = civil(now);
        let month = (today.year(), today.month());
        let Ok(spend) = self.spend.lock() else { return Ok(()) };
        for (selector, limits) in &self.rules {
            if selector.dimension.of(tags) != Some(selector.value.as_str()) {
                continue;
            }
            let s = spend.get(selector).copied().unwrap_or_default();
            let day_usd = if s.day == Some(today) { s.day_usd } else { Decimal::ZERO };
            let month_usd = if s.month == Some(month) { s.month_usd } else { Decimal::ZERO };
            if let Some(limit) = limits.daily_usd.filter(|l| day_usd >= *l) {
                return Err(BudgetExceeded {
                    selector: selector.to_string(),
                    period: "daily",
                    spent: day_usd.normalize(),
                    limit: limit.normalize(),
                    resets: today.tomorrow().map_or_else(|_| "tomorrow".into(), text_of),
                });
            }
            if let Some(limit) = limits.monthly_usd.filter(|l| month_usd >= *l) {
                let next = today.first_of_month().checked_add(jiff::ToSpan::months(1));
                return Err(BudgetExceeded {
                    selector: selector.to_string(),
                    period: "monthly",
                    spent: month_usd.normalize(),
                    limit: limit.normalize(),
                    resets: next.map_or_else(|_| "next month".into(), text_of),
                });
            }
        }
        Ok(())
    }

    /// Count a priced request against every budget its tags fall under.
    pub fn add(&self, tags: &UsageTags, cost: Decimal, at: UnixMs) {
        if self.is_empty() || cost.is_zero() {
            return;
        }
        let date = civil(at);
        let month = (date.year(), date.month());
        let Ok(mut spend) = self.spend.lock() else { return };
        for (selector, _) in &self.rules {
            if selector.dimension.of(tags) != Some(selector.value.as_str()) {
                continue;
            }
            let s = spend.entry(selector.clone()).or_default();
            if s.month != Some(month) {
                if s.month.is_some_and(|m| m > month) {
                    continue;
                }
                *s = Spend { day: None, day_usd: Decimal::ZERO, month: Some(month), month_usd: Decimal::ZERO };
            }
            s.month_usd = s.month_usd.saturating_add(cost);
            if s.day != Some(date) && s.day.is_none_or(|d| d < date) {
                s.day = Some(date);
                s.day_usd = Decimal::ZERO;
            }
            if s.day == Some(date) {
                s.day_usd = s.day_usd.saturating_add(cost);
            }
        }
    }

    /// Every budget with its spend now.
    pub fn status(&self, now: UnixMs) -> Vec<BudgetStatus> {
        let today = civil(now);
        let month = (today.year(), today.month());
        let spend = self.spend.lock().map(|s| s.clone()).unwrap_or_default();
        self.rules
            .iter()
            .map(|(selector, limits)| {
                let s = spend.get(selector).copied().unwrap_or_default();
                let day = if s.day == Some(today) { s.day_usd } else { Decimal::ZERO };
                let month_usd = if s.month == Some(month) { s.month_usd } else { Decimal::ZERO };
                BudgetStatus {
                    selector: selector.to_string(),
                    daily_limit_usd: limits.daily_usd,
                    daily_spent_usd: day.normalize(),
                    monthly_limit_usd: limits.monthly_usd,
                    monthly_spent_usd: month_usd.normalize(),
                    exceeded: limits.daily_usd.is_some_and(|l| day >= l)
                        || limits.monthly_usd.is_some_and(|l| month_usd >= l),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn app(name: &str) -> UsageTags {
        UsageTags { app: Some(name.into()), ..Default::default() }
    }

    #[test]
    fn trips_once_the_daily_limit_is_reached() {
        let b =
            Budgets::new(&BudgetSettings::new(), vec![parse_budget_flag("app:search=daily:0.00007").expect("flag")])
                .expect("budgets");
        let now = 1_764_926_476_000;
        for _ in 0..3 {
            assert!(b.check(&app("search"), now).is_ok());
            b.add(&app("search"), dec!(0.00002415), now);
        }
        let err = b.check(&app("search"), now).expect_err("fourth is over");
        assert_eq!((err.period, err.spent, err.limit), ("daily", dec!(0.00007245), dec!(0.00007)));
        assert!(b.check(&app("other"), now).is_ok());
        assert!(b.covers(&app("search")) && !b.covers(&app("other")) && !b.covers(&UsageTags::default()));
        // The next day starts from zero; the month does not.
        assert!(b.check(&app("search"), now + 86_400_000).is_ok());
    }

    #[test]
    fn monthly_limits_and_flags_parse() {
        assert!(parse_budget_flag("app:x=weekly:1").is_err());
        assert!(parse_budget_flag("nope=daily:1").is_err());
        let b = Budgets::new(&BudgetSettings::new(), vec![parse_budget_flag("user:al=monthly:1").expect("flag")])
            .expect("budgets");
        let tags = UsageTags { user: Some("al".into()), ..Default::default() };
        b.add(&tags, dec!(1), 1_764_926_476_000);
        assert_eq!(b.check(&tags, 1_764_926_476_000 + 86_400_000).map_err(|e| e.period), Err("monthly"));
        assert!(b.status(1_764_926_476_000)[0].exceeded);
    }
}
