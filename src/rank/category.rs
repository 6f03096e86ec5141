//! Ranking categories: which benchmark series feed which kind of performance.

use crate::domain::BenchmarkKey;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A kind of performance to rank by.
///
/// | category | fed by |
/// |---|---|
/// | `overall` (default) | Artificial Analysis intelligence, coding and agentic indexes |
/// | `intelligence` (`reasoning`) | Artificial Analysis intelligence index |
/// | `coding` | Artificial Analysis coding index; Design Arena `models/codecategories` Elo |
/// | `agentic` | Artificial Analysis agentic index; Design Arena `agents/*` Elo |
/// | `design` | Design Arena `models/*` Elo |
/// | any other name `C` | every series whose category is `C` or ends in `/C` (`website`, `svg`, imported ones) |
///
/// Imported series whose category is the built-in name (`coding`, `agentic`, ...) feed it too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(into = "String")]
pub enum Category {
    /// The three Artificial Analysis indexes together.
    #[default]
    Overall,
    /// General intelligence / reasoning.
    Intelligence,
    /// Writing code.
    Coding,
    /// Acting as an agent with tools.
    Agentic,
    /// Visual and front-end design.
    Design,
    /// A category named by its series (`website`, `svg`, an imported category).
    Named(String),
}

impl Category {
    /// The built-in categories with what feeds them, for help texts.
    pub const BUILT_IN: [(&'static str, &'static str); 5] = [
        ("overall", "Artificial Analysis intelligence, coding and agentic indexes"),
        ("intelligence", "Artificial Analysis intelligence index (alias: reasoning)"),
        ("coding", "Artificial Analysis coding index, Design Arena models/codecategories Elo"),
        ("agentic", "Artificial Analysis agentic index, Design Arena agents/* Elo"),
        ("design", "Design Arena models/* Elo"),
    ];

    /// The category's name.
    pub fn name(&self) -> &str {
        match self {
            Category::Overall => "overall",
            Category::Intelligence => "intelligence",
            Category::Coding => "coding",
            Category::Agentic => "agentic",
            Category::Design => "design",
            Category::Named(n) => n,
        }
    }

    /// What feeds the category, in words.
    pub fn describe(&self) -> String {
        Self::BUILT_IN.iter().find(|(n, _)| *n == self.name()).map_or_else(
            || format!("every benchmark series whose category is {0:?} or ends in \"/{0}\"", self.name()),
            |(_, d)| d.to_string(),
        )
    }

    /// Whether a benchmark series feeds this category.
    pub fn feeds(&self, key: &BenchmarkKey) -> bool {
        let aa = key.benchmark == "artificial_analysis" && key.metric == "index";
        let arena = key.benchmark == "design_arena" && key.metric == "elo";
        let named =
            |name: &str| key.category == name || key.category.rsplit_once('/').is_some_and(|(_, last)| last == name);
        match self {
            Category::Overall => aa && ["intelligence", "coding", "agentic"].contains(&key.category.as_str()),
            Category::Intelligence => {
                (aa && key.category == "intelligence") || named("intelligence") || named("reasoning")
            }
            Category::Coding => {
                (aa && key.category == "coding")
                    || (arena && key.category == "models/codecategories")
                    || named("coding")
            }
            Category::Agentic => {
                (aa && key.category == "agentic") || (arena && key.category.starts_with("agents/")) || named("agentic")
            }
            Category::Design => (arena && key.category.starts_with("models/")) || named("design"),
            Category::Named(n) => named(n),
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_lowercase();
        Ok(match s.as_str() {
            "" => return Err("empty category".into()),
            "overall" => Category::Overall,
            "intelligence" | "reasoning" => Category::Intelligence,
            "coding" => Category::Coding,
            "agentic" => Category::Agentic,
            "design" => Category::Design,
            _ => Category::Named(s),
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Category> for String {
    fn from(c: Category) -> String {
        c.name().to_string()
    }
}
