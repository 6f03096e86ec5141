//! `llmcost benchmarks import FILE` and `llmcost benchmarks list [MODEL]`.

use super::UsageError;
use super::output::{print_json, table, time};
use super::show::resolve;
use crate::domain::{BenchmarkKey, BenchmarkRow, BenchmarkScore, RunOrigin, RunTrigger, parse_time, plan_import};
use crate::identity::{ModelIndex, Resolution};
use crate::rank::{Normalizer, catalog_scores};
use crate::store::{NewRun, Store};
use crate::sync::holder;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXAMPLES: &str = "\
Examples:
  llmcost benchmarks list openai/gpt-5.6-sol
  llmcost benchmarks list --history --json
  llmcost benchmarks import evals.csv

Import files are CSV with a header, or JSON (an array of objects), with the fields
model, benchmark, category, metric, score, date, and optionally source (default
import:FILE). Scores must be higher-is-better. Dates are RFC 3339, YYYY-MM-DD or unix
seconds. Model ids may be aliases (gpt-4o, azure/gpt-4o). The whole file is applied in one
transaction, or nothing is.";

/// Arguments of `llmcost benchmarks`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct BenchmarksArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BenchmarksCommand,
}

/// The `benchmarks` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchmarksCommand {
    /// Import scores from a CSV or JSON file.
    Import(ImportArgs),
    /// Current scores (normalised to 0-1 per series), or their history.
    List(ListArgs),
}

/// Arguments of `llmcost benchmarks import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file (`.json` is read as JSON, anything else as CSV).
    pub file: PathBuf,
    /// JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `llmcost benchmarks list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this model (id or alias).
    pub model: Option<String>,
    /// Every interval, not only the current scores.
    #[arg(long)]
    pub history: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One row as the file gives it, score and date as text (`None`: neither a number nor a
/// string), so scores never pass through a float.
#[derive(Debug)]
struct RawRow {
    model: String,
    benchmark: String,
    category: String,
    metric: String,
    score: Option<String>,
    date: Option<String>,
    source: Option<String>,
}

/// One JSON item: score and date kept as written (`serde_json` reads numbers as `f64`).
#[derive(Debug, serde::Deserialize)]
struct JsonRow {
    model: String,
    benchmark: String,
    category: String,
    metric: String,
    score: Box<RawValue>,
    date: Box<RawValue>,
    #[serde(default)]
    source: Option<String>,
}

/// A JSON value's text: a number exactly as written, or a string's contents.
fn literal(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Some(text.to_string());
    }
    serde_json::from_str::<String>(text).ok().map(|s| s.trim().to_string())
}

impl From<JsonRow> for RawRow {
    fn from(r: JsonRow) -> Self {
        RawRow {
            model: r.model,
            benchmark: r.benchmark,
            category: r.category,
            metric: r.metric,
            score: literal(&r.score),
            date: literal(&r.date),
            source: r.source,
        }
    }
}

/// One CSV row: every field is text.
#[derive(Debug, serde::Deserialize)]
struct CsvRow {
    model: String,
    benchmark: String,
    category: String,
    metric: String,
    score: String,
    date: String,
    #[serde(default)]
    source: Option<String>,
}

impl From<CsvRow> for RawRow {
    fn from(r: CsvRow) -> Self {
        RawRow {
            model: r.model,
            benchmark: r.benchmark,
            category: r.category,
            metric: r.metric,
            score: Some(r.score),
            date: Some(r.date),
            source: r.source,
        }
    }
}

/// A row read from the file, its model id not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    /// Line (CSV) or item number (JSON), from 1.
    pub line: usize,
    /// The model id as written.
    pub model: String,
    /// The score with `model_id` still as written.
    pub score: BenchmarkScore,
    /// The date, unix ms.
    pub at: i64,
}

fn check_row(line: usize, raw: RawRow, default_source: &str) -> Result<ParsedRow, String> {
    let nonempty = |name: &str, v: &str| {
        if v.trim().is_empty() { Err(format!("line {line}: {name} is empty")) } else { Ok(v.trim().to_string()) }
    };
    let model = nonempty("model", &raw.model)?;
    let key = BenchmarkKey::new(
        nonempty("benchmark", &raw.benchmark)?,
        nonempty("category", &raw.category)?,
        nonempty("metric", &raw.metric)?,
    );
    let score_text = raw.score.ok_or_else(|| format!("line {line}: score must be a number"))?;
    let score = Decimal::from_str_exact(&score_text)
        .or_else(|_| Decimal::from_scientific(&score_text))
        .map_err(|_| format!("line {line}: score {score_text:?} is not a number"))?
        .normalize();
    let date_text = raw.date.ok_or_else(|| format!("line {line}: date is missing"))?;
    let at = parse_time(&date_text).map_err(|e| format!("line {line}: date: {e}"))?;
    let source = raw.source.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(ParsedRow {
        line,
        score: BenchmarkScore {
            model_id: model.clone(),
            key,
            score,
            source: source.unwrap_or_else(|| default_source.to_string()),
        },
        model,
        at,
    })
}

/// Read an import file's rows: every malformed row is reported with its line, not only the first.
pub fn parse_import(body: &str, is_json: bool, default_source: &str) -> Result<Vec<ParsedRow>, Vec<String>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    if is_json {
        /// `{"scores": [...]}`, the other shape a file may have.
        #[derive(serde::Deserialize)]
        struct Wrapped {
            scores: Option<Vec<Box<RawValue>>>,
        }
        let items: Vec<Box<RawValue>> = match body.trim_start().as_bytes().first() {
            Some(b'{') => match serde_json::from_str::<Wrapped>(body) {
                Ok(Wrapped { scores: Some(items) }) => items,
                Ok(_) => return Err(vec!["expected a JSON array of scores (or {\"scores\": [...]})".into()]),
                Err(e) => return Err(vec![format!("line {}: invalid JSON: {e}", e.line())]),
            },
            _ => match serde_json::from_str::<Vec<Box<RawValue>>>(body) {
                Ok(items) => items,
                Err(e) if e.is_data() => return Err(vec!["expected a JSON array of scores".into()]),
                Err(e) => return Err(vec![format!("line {}: invalid JSON: {e}", e.line())]),
            },
        };
        for (i, item) in items.into_iter().enumerate() {
            let line = i + 1;
            match serde_json::from_str::<JsonRow>(item.get()) {
                Ok(raw) => match check_row(line, raw.into(), default_source) {
                    Ok(r) => rows.push(r),
                    Err(e) => errors.push(e.replacen("line", "item", 1)),
                },
                Err(e) => errors.push(format!("item {line}: {e}")),
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(body.as_bytes());
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(vec![format!("line 1: cannot read the header: {e}")]),
        };
        for result in reader.records() {
            let record = match result {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(format!("line {line}: {e}"));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line()) as usize;
            match record.deserialize::<CsvRow>(Some(&headers)) {
                Ok(raw) => match check_row(line, raw.into(), default_source) {
                    Ok(r) => rows.push(r),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(format!("line {line}: {e}")),
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("the file holds no scores".into());
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

/// What an import did.
#[derive(Debug, Serialize)]
struct ImportSummary {
    /// The run that recorded the import (`llmcost runs`).
    run_id: i64,
    rows: usize,
    opened: usize,
    closed: usize,
    unchanged: usize,
}

fn many(errors: Vec<String>) -> anyhow::Error {
    let shown: Vec<String> = errors.iter().take(20).cloned().collect();
    let more = if errors.len() > 20 { format!("\n... and {} more", errors.len() - 20) } else { String::new() };
    UsageError(format!("nothing imported:\n{}{more}", shown.join("\n"))).into()
}

async fn import(store: &dyn Store, args: ImportArgs) -> anyhow::Result<()> {
    let started_at = jiff::Timestamp::now().as_millisecond();
    let body = std::fs::read_to_string(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
    let is_json = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let name = args.file.file_name().map(Path::new).unwrap_or(&args.file).display().to_string();
    let parsed = parse_import(&body, is_json, &format!("import:{name}")).map_err(many)?;
    let index = ModelIndex::from_state(&store.load_state().await?);
    let mut rows = Vec::with_capacity(parsed.len());
    let mut unknown: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut errors = Vec::new();
    for p in parsed {
        match index.resolve(&p.model, None) {
            Resolution::Known(id, _) => {
                let mut score = p.score;
                score.model_id = id.to_string();
                rows.push(BenchmarkRow { line: p.line, score, at: p.at });
            }
            Resolution::Ambiguous(ids) => {
                let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                errors.push(format!("line {}: model {:?} is ambiguous: {}", p.line, p.model, ids.join(", ")));
            }
            Resolution::Unknown => unknown.entry(p.model).or_default().push(p.line),
        }
    }
    if !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|(m, lines)| {
                let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                format!("{m} (line {})", lines.join(", "))
            })
            .collect();
        errors.insert(0, format!("unknown model ids: {}", list.join("; ")));
    }
    if !errors.is_empty() {
        return Err(many(errors));
    }
    let stored = store.benchmark_history(None).await?;
    let writes = plan_import(&stored, &rows).map_err(many)?;
    let run =
        NewRun { trigger: RunTrigger::Cli.as_str().into(), source: "benchmarks".into(), holder: holder(), started_at };
    let run_id = store.record_benchmarks(&writes, &run, RunOrigin::File.as_str()).await?;
    let summary = ImportSummary {
        run_id,
        rows: rows.len(),
        opened: writes.open.len(),
        closed: writes.close.len(),
        unchanged: rows.len() - writes.open.len(),
    };
    if args.json {
        return print_json(&summary);
    }
    println!(
        "Imported {} rows from {}: {} new intervals, {} closed, {} unchanged (run {}).",
        summary.rows,
        args.file.display(),
        summary.opened,
        summary.closed,
        summary.unchanged,
        summary.run_id
    );
    Ok(())
}

/// A current score with its normalised value.
#[derive(Debug, Serialize)]
struct ScoreView {
    model_id: String,
    #[serde(flatten)]
    key: BenchmarkKey,
    score: Decimal,
    normalized: Option<Decimal>,
    source: String,
    how: &'static str,
}

async fn list(store: &dyn Store, args: ListArgs) -> anyhow::Result<()> {
    let model = match &args.model {
        Some(m) => Some(resolve(store, m).await?),
        None => None,
    };
    if args.history {
        let rows = store.benchmark_history(model.as_deref()).await?;
        if args.json {
            return print_json(&rows);
        }
        let mut t = table(&["MODEL", "SERIES", "SCORE", "SOURCE", "FROM", "TO"]);
        for r in &rows {
            t.add_row(vec![
                r.score.model_id.clone(),
                r.score.key.label(),
                r.score.score.to_string(),
                r.score.source.clone(),
                time(r.valid_from),
                r.valid_to.map_or_else(|| "now".into(), time),
            ]);
        }
        println!("{t}\n{} intervals", rows.len());
        return Ok(());
    }
    let records = store.catalog(None).await?;
    let active: Vec<_> = records.into_iter().filter(|r| r.is_active).collect();
    let scores = catalog_scores(&active, store.benchmark_scores(None).await?);
    let normalizer = Normalizer::new(&scores);
    let views: Vec<ScoreView> = scores
        .iter()
        .filter(|s| model.as_ref().is_none_or(|m| &s.model_id == m))
        .map(|s| ScoreView {
            model_id: s.model_id.clone(),
            key: s.key.clone(),
            score: s.score,
            normalized: normalizer.normalize(&s.key, s.score).map(|n| n.round_dp(6).normalize()),
            source: s.source.clone(),
            how: crate::rank::NORMALISATION_RULE,
        })
        .collect();
    if args.json {
        return print_json(&views);
    }
    if views.is_empty() {
        println!(
            "No benchmark scores. Sync the catalog (llmcost sync) or import some (llmcost benchmarks import FILE)."
        );
        return Ok(());
    }
    let mut t = table(&["MODEL", "SERIES", "SCORE", "NORMALISED", "SOURCE"]);
    for v in &views {
        t.add_row(vec![
            v.model_id.clone(),
            v.key.label(),
            v.score.to_string(),
            v.normalized.map_or_else(|| "-".into(), |n| n.round_dp(3).to_string()),
            v.source.clone(),
        ]);
    }
    println!("{t}\n{} scores. Normalised: {}", views.len(), crate::rank::NORMALISATION_RULE);
    Ok(())
}

/// Run `llmcost benchmarks`.
pub async fn run(store: &dyn Store, args: BenchmarksArgs) -> anyhow::Result<()> {
    match args.command {
        BenchmarksCommand::Import(a) => import(store, a).await,
        BenchmarksCommand::List(a) => list(store, a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_read_and_errors_name_their_lines() {
        let body = "model,benchmark,category,metric,score,date,source\n\
                    openai/gpt-4o,swe-bench,coding,resolved,48.5,2026-08-01,\n\
                    openai/gpt-4o,swe-bench,coding,resolved,abc,2026-08-01,x\n\
                    openai/gpt-4o,swe-bench,,resolved,1,2026-08-01,x\n\
                    openai/gpt-4o,swe-bench,coding,resolved,1,yesterday,x\n";
        let errors = parse_import(body, false, "import:f.csv").expect_err("bad rows");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 3: score \"abc\""), "{errors:?}");
        assert!(errors[1].starts_with("line 4: category is empty"), "{errors:?}");
        assert!(errors[2].starts_with("line 5: date"), "{errors:?}");
        let ok = parse_import(&body.lines().take(2).collect::<Vec<_>>().join("\n"), false, "import:f.csv")
            .expect("good row");
        assert_eq!(ok[0].score.score, Decimal::new(485, 1));
        assert_eq!(ok[0].score.source, "import:f.csv");
    }

    #[test]
    fn json_rows_accept_numbers_and_strings() {
        let body = r#"[{"model":"a/b","benchmark":"x","category":"coding","metric":"m","score":"0.5","date":"2026-01-01","source":"s"},
                      {"model":"a/b","benchmark":"x","category":"coding","metric":"m","score":0.75,"date":1767225600}]"#;
        let rows = parse_import(body, true, "import:f.json").expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].score.score, Decimal::new(75, 2));
        assert_eq!(rows[0].at, rows[1].at);
        let errors = parse_import(r#"[{"model":"a/b"}]"#, true, "s").expect_err("missing fields");
        assert!(errors[0].starts_with("item 1:"), "{errors:?}");
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        // 20 significant digits: an f64 keeps 17 at most.
        let body = r#"{"scores": [{"model":"a/b","benchmark":"x","category":"coding","metric":"m",
                       "score":48.1234567890123456789,"date":"2026-01-01"},
                      {"model":"a/b","benchmark":"y","category":"coding","metric":"m","score":-1.5e1,"date":"2026-01-01"}]}"#;
        let rows = parse_import(body, true, "s").expect("rows");
        assert_eq!(rows[0].score.score.to_string(), "48.1234567890123456789");
        assert_eq!(rows[1].score.score, Decimal::new(-15, 0));
        for (bad, why) in [
            (
                r#"[{"model":"a/b","benchmark":"x","category":"c","metric":"m","score":true,"date":"2026-01-01"}]"#,
                "item 1: score must be a number",
            ),
            (
                r#"[{"model":"a/b","benchmark":"x","category":"c","metric":"m","score":null,"date":"2026-01-01"}]"#,
                "item 1: score must be a number",
            ),
            (r#"{"rows": []}"#, "expected a JSON array of scores (or"),
            ("42", "expected a JSON array of scores"),
            ("[{", "line 1: invalid JSON"),
        ] {
            let errors = parse_import(bad, true, "s").expect_err(bad);
            assert!(errors[0].starts_with(why), "{bad}: {errors:?}");
        }
    }
}
