//! `llmcost cost`: the exact cost of a request, or of a batch of them.

use super::UsageError;
use super::output::{print_json, table, time, time_arg};
use crate::cost::{BatchPricer, BatchWriter, PriceBook, Quote, Usage};
use crate::store::Store;
use clap::Args;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  llmcost cost openai/gpt-4o --input 12000 --output 800
  llmcost cost claude-3-5-sonnet-20241022 --input 250000 --cached 200000 --output 2000 --provider anthropic
  llmcost cost moonshotai/kimi-k3 --input 9000 --output 15000 --reasoning 14000 --at 2026-08-10T12:00:00Z --json
  llmcost cost --batch requests.jsonl > costs.jsonl
  cat requests.jsonl | llmcost cost --batch - --summary

Token counts follow the providers' usage reports: --cached and --cache-write are part of
--input, --reasoning is part of --output. Batch lines are JSON objects
{\"model\": ID, \"usage\": USAGE, \"provider\": P?, \"at\": TIME?} where USAGE is a usage object
as OpenAI, OpenRouter, Anthropic or Gemini return it.";

/// Arguments of `llmcost cost`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct CostArgs {
    /// Model id as the client sends it (any alias or provider spelling).
    #[arg(required_unless_present = "batch")]
    pub model: Option<String>,
    /// Prompt tokens, cached and cache-write tokens included.
    #[arg(long, default_value_t = 0)]
    pub input: u64,
    /// Completion tokens, reasoning tokens included.
    #[arg(long, default_value_t = 0)]
    pub output: u64,
    /// Prompt tokens read from the cache.
    #[arg(long, default_value_t = 0)]
    pub cached: u64,
    /// Prompt tokens written to the cache (5-minute lifetime).
    #[arg(long, default_value_t = 0)]
    pub cache_write: u64,
    /// Prompt tokens written to the cache with a 1-hour lifetime.
    #[arg(long, default_value_t = 0)]
    pub cache_write_1h: u64,
    /// Reasoning tokens.
    #[arg(long, default_value_t = 0)]
    pub reasoning: u64,
    /// Input images.
    #[arg(long, default_value_t = 0)]
    pub images: u64,
    /// Web searches.
    #[arg(long, default_value_t = 0)]
    pub web_searches: u64,
    /// Who bills the request (`openrouter`, `openai`, `azure`, `bedrock`, a provider endpoint...).
    #[arg(long)]
    pub provider: Option<String>,
    /// When the request was made (RFC 3339, date, unix seconds): priced at that time's prices.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Service mode with its own prices (`batch`, `priority`, `flex`), where the offer lists them.
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Price a file of JSON lines (`-` for stdin), one JSON line out per line in.
    #[arg(long, value_name = "FILE", conflicts_with = "model")]
    pub batch: Option<PathBuf>,
    /// With --batch: stop at the first bad line.
    #[arg(long, requires = "batch")]
    pub strict: bool,
    /// With --batch: totals per model instead of one line per request.
    #[arg(long, requires = "batch")]
    pub summary: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn usage_from_flags(a: &CostArgs) -> Result<Usage, UsageError> {
    let prompt_parts = a.cached + a.cache_write + a.cache_write_1h;
    if prompt_parts > a.input {
        return Err(UsageError(format!(
            "--cached, --cache-write and --cache-write-1h ({prompt_parts}) are part of --input ({}), so cannot exceed it",
            a.input
        )));
    }
    if a.reasoning > a.output {
        return Err(UsageError(format!(
            "--reasoning ({}) is part of --output ({}), so cannot exceed it",
            a.reasoning, a.output
        )));
    }
    Ok(Usage {
        input: a.input - prompt_parts,
        cache_read: a.cached,
        cache_write: a.cache_write,
        cache_write_1h: a.cache_write_1h,
        output: a.output - a.reasoning,
        reasoning: a.reasoning,
        images_in: a.images,
        web_searches: a.web_searches,
        ..Usage::default()
    })
}

/// Load the whole price book from the store, with the overrides file's discounts.
pub async fn price_book(store: &dyn Store, overrides: Option<&std::path::Path>) -> anyhow::Result<PriceBook> {
    let state = store.load_state().await?;
    let intervals = store.price_intervals().await?;
    if state.offers.is_empty() {
        return Err(anyhow::anyhow!("the catalog is empty: run `llmcost sync` first"));
    }
    let discounts = match overrides {
        Some(path) => crate::sources::overrides::load(path)?.discounts,
        None => Vec::new(),
    };
    Ok(PriceBook::new(&state, intervals).with_discounts(discounts))
}

/// Run `llmcost cost`.
pub async fn run(store: &dyn Store, settings: &crate::config::Settings, args: CostArgs) -> anyhow::Result<()> {
    let book = price_book(store, settings.overrides.as_deref()).await?;
    if let Some(path) = &args.batch {
        return run_batch(&book, path, args.strict, args.summary);
    }
    let model = args.model.clone().ok_or_else(|| UsageError("MODEL or --batch is required".into()))?;
    let usage = usage_from_flags(&args)?;
    let at = time_arg("--at", args.at.as_deref())?;
    let quote = book
        .quote(&model, &usage, args.provider.as_deref(), at, args.mode.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    if args.json {
        return print_json(&quote);
    }
    print_quote(&quote);
    Ok(())
}

fn print_quote(q: &Quote<'_>) {
    let via = match &q.served_by {
        Some(tag) => format!("{} via {} @ {tag}", q.listing_id, q.seller),
        None => format!("{} sold by {}", q.listing_id, q.seller),
    };
    println!("{}: {via} (prices from {}, at {})", q.model, q.source, q.at);
    let mut t = table(&["COMPONENT", "QUANTITY", "UNIT PRICE (USD)", "AMOUNT (USD)", "PRICE SINCE", "NOTE"]);
    for l in &q.lines {
        let mut component = l.line.component.as_str().to_string();
        if l.line.min_prompt_tokens > 0 {
            component.push_str(&format!(" ≥{}", l.line.min_prompt_tokens));
        }
        if !l.line.condition.is_empty() {
            component.push_str(&format!(" [{}]", l.line.condition));
        }
        t.add_row(vec![
            component,
            l.line.quantity.to_string(),
            l.line.unit_price.normalize().to_string(),
            l.line.amount.normalize().to_string(),
            if l.price_valid_from > 0 { time(l.price_valid_from) } else { "-".into() },
            l.line.note.as_deref().unwrap_or_default().to_string(),
        ]);
    }
    println!("{t}");
    if let Some(note) = &q.overridden {
        println!("overridden: {note}");
    }
    println!("total ${}", q.total_usd.normalize());
}

#[derive(Default, Serialize)]
struct ModelTotal {
    requests: u64,
    total_usd: Decimal,
}

/// The next line of `input` into `line`, without its `\n` or `\r\n` (as `BufRead::lines`);
/// `false` at the end.
fn next_line(input: &mut dyn BufRead, line: &mut String) -> std::io::Result<bool> {
    line.clear();
    if input.read_line(line)? == 0 {
        return Ok(false);
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(true)
}

fn run_batch(book: &PriceBook, path: &PathBuf, strict: bool, summary: bool) -> anyhow::Result<()> {
    let mut input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            std::fs::File::open(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?,
        ))
    };
    // Output goes out in chunks of `CHUNK` from `json`, which a `BufWriter` of that capacity
    // passes straight on: each byte is copied once.
    const CHUNK: usize = 1 << 16;
    let mut out = BufWriter::with_capacity(CHUNK, std::io::stdout().lock());
    let mut pricer = BatchPricer::new(book);
    let mut writer = BatchWriter::new();
    let mut totals: BTreeMap<String, ModelTotal> = BTreeMap::new();
    let mut errors = 0usize;
    let (mut line, mut json) = (String::new(), Vec::with_capacity(2 * CHUNK));
    let mut n = 0;
    loop {
        match next_line(&mut input, &mut line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // What was priced so far goes out, as it did line by line.
                out.write_all(&json)?;
                return Err(e.into());
            }
        }
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        match pricer.price(&line) {
            Ok(priced) => {
                let q = &priced.quote;
                if summary {
                    match totals.get_mut(q.model) {
                        Some(t) => {
                            t.requests += 1;
                            t.total_usd += q.total_usd;
                        }
                        None => {
                            totals.insert(q.model.to_string(), ModelTotal { requests: 1, total_usd: q.total_usd });
                        }
                    }
                } else {
                    writer.cost(&mut json, n, &priced);
                }
            }
            Err(error) if strict => {
                out.write_all(&json)?;
                out.flush()?;
                return Err(anyhow::anyhow!("line {n}: {error}"));
            }
            Err(error) => {
                errors += 1;
                if !summary {
                    writer.error(&mut json, n, &error);
                }
            }
        }
        if json.len() >= CHUNK {
            out.write_all(&json)?;
            json.clear();
        }
    }
    out.write_all(&json)?;
    if summary {
        let grand: Decimal = totals.values().map(|t| t.total_usd).sum();
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "models": totals, "total_usd": grand, "errors": errors }),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
