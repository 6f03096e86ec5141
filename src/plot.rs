//! Pictures of price history: a terminal chart and an SVG image, one line per price (offer ×
//! component × tier) over time. Prices are step functions: a value holds from its interval's
//! start until its end (or now). Money becomes `f64` only to place points; every number
//! printed (axis labels, legend) comes from the exact decimals.

use crate::domain::{Unit, UnixMs, per_million};
use crate::store::PriceInterval;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One line of a chart: a price over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// What the line is (`openai/gpt-4o input`).
    pub label: String,
    /// Steps: (from, to, value); the value holds on `[from, to)`.
    pub steps: Vec<(UnixMs, UnixMs, Decimal)>,
}

/// The unit the chart's values are in: token prices per million tokens.
pub const VALUE_UNIT: &str = "USD per million tokens (per unit for images, requests, searches)";

/// One series per offer and price key, token prices per million tokens; variable prices are
/// left out (they have no value to draw). Open intervals end at `now`.
pub fn series_from_history(intervals: &[PriceInterval], now: UnixMs) -> Vec<Series> {
    let mut by_label: BTreeMap<String, Vec<(UnixMs, UnixMs, Decimal)>> = BTreeMap::new();
    for i in intervals {
        let Some(value) = i.record.price.value.fixed() else { continue };
        let value = match i.record.price.key.component.unit() {
            Unit::Token => per_million(value),
            _ => value.normalize(),
        };
        let offer = match &i.served_by {
            Some(tag) => format!("{} @ {tag}", i.listing_id),
            None => i.listing_id.clone(),
        };
        let label = format!("{offer} {}", i.record.price.key.label());
        let to = i.record.valid_to.unwrap_or(now).max(i.record.valid_from);
        by_label.entry(label).or_default().push((i.record.valid_from, to, value));
    }
    by_label
        .into_iter()
        .map(|(label, mut steps)| {
            steps.sort_by_key(|s| s.0);
            Series { label, steps }
        })
        .collect()
}

struct Bounds {
    t0: UnixMs,
    t1: UnixMs,
    lo: Decimal,
    hi: Decimal,
}

fn bounds(series: &[Series]) -> Option<Bounds> {
    let steps = series.iter().flat_map(|s| s.steps.iter());
    let t0 = steps.clone().map(|s| s.0).min()?;
    let t1 = steps.clone().map(|s| s.1).max()?.max(t0 + 1);
    let lo = steps.clone().map(|s| s.2).min()?.min(Decimal::ZERO);
    let mut hi = steps.map(|s| s.2).max()?;
    if hi <= lo {
        hi = lo + Decimal::ONE;
    }
    Some(Bounds { t0, t1, lo, hi })
}

fn frac(x: Decimal, lo: Decimal, hi: Decimal) -> f64 {
    ((x - lo) / (hi - lo)).to_f64().unwrap_or(0.0)
}

fn time_frac(t: UnixMs, b: &Bounds) -> f64 {
    (t - b.t0) as f64 / (b.t1 - b.t0) as f64
}

fn date(ms: UnixMs) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_else(|_| ms.to_string())
}

/// Marks of the terminal chart's lines, in legend order.
const MARKS: [char; 8] = ['●', '×', '+', 'o', '*', '#', '@', '%'];

/// A terminal chart `width` × `height` characters (plot area), with a value axis, a time
/// axis and a legend. Empty when there is nothing to draw.
pub fn terminal_chart(series: &[Series], width: usize, height: usize) -> String {
    let Some(b) = bounds(series) else { return String::new() };
    let (width, height) = (width.max(10), height.max(4));
    let mut grid = vec![vec![' '; width]; height];
    for (n, s) in series.iter().enumerate() {
        let mark = MARKS[n % MARKS.len()];
        for col in 0..width {
            let t = b.t0 + ((b.t1 - b.t0) as f64 * (col as f64 + 0.5) / width as f64) as i64;
            if let Some(&(_, _, v)) = s.steps.iter().find(|(from, to, _)| *from <= t && t < *to) {
                let row = ((1.0 - frac(v, b.lo, b.hi)) * (height - 1) as f64).round() as usize;
                if let Some(cell) = grid.get_mut(row.min(height - 1)).and_then(|r| r.get_mut(col)) {
                    *cell = mark;
                }
            }
        }
    }
    let hi_label = format!("${}", b.hi.normalize());
    let lo_label = format!("${}", b.lo.normalize());
    let pad = hi_label.len().max(lo_label.len());
    let mut out = String::new();
    for (i, row) in grid.iter().enumerate() {
        let label = match i {
            0 => hi_label.clone(),
            _ if i == height - 1 => lo_label.clone(),
            _ => String::new(),
        };
        let _ = writeln!(out, "{label:>pad$} ┤{}", row.iter().collect::<String>());
    }
    let _ = writeln!(out, "{:>pad$} └{}", "", "─".repeat(width));
    let (start, end) = (date(b.t0), date(b.t1));
    let gap = width.saturating_sub(start.len() + end.len());
    let _ = writeln!(out, "{:>pad$}  {start}{}{end}", "", " ".repeat(gap));
    for (n, s) in series.iter().enumerate() {
        let now = s.steps.last().map(|st| format!(" (now ${})", st.2)).unwrap_or_default();
        let _ = writeln!(out, "  {} {}{now}", MARKS[n % MARKS.len()], s.label);
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Colours of the SVG lines, in legend order.
const COLOURS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/// A self-contained SVG image of the series: step lines, value and time axes, a legend.
pub fn svg_chart(series: &[Series], title: &str) -> String {
    let (w, h, left, right, top, bottom) = (900.0, 420.0, 90.0, 20.0, 40.0, 60.0);
    let legend_h = 18.0 * series.len() as f64;
    let total_h = h + legend_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{total_h}" viewBox="0 0 {w} {total_h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(out, r#"<text x="{left}" y="24" font-size="15">{}</text>"#, escape(title));
    let Some(b) = bounds(series) else {
        let _ = writeln!(out, r#"<text x="{left}" y="80">No price history to draw.</text></svg>"#);
        return out;
    };
    let (pw, ph) = (w - left - right, h - top - bottom);
    let x = |t: UnixMs| left + pw * time_frac(t, &b);
    let y = |v: Decimal| top + ph * (1.0 - frac(v, b.lo, b.hi));
    let _ = writeln!(out, r##"<path d="M{left} {top} V{} H{}" fill="none" stroke="#444"/>"##, top + ph, left + pw);
    for k in 0..=4u32 {
        let v = b.lo + (b.hi - b.lo) * Decimal::from(k) / Decimal::from(4);
        let yy = y(v);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">${}</text>"##,
            left + pw,
            left - 6.0,
            yy + 4.0,
            v.round_dp(6).normalize()
        );
    }
    let _ = writeln!(out, r#"<text x="{left}" y="{}">{}</text>"#, top + ph + 20.0, date(b.t0));
    let _ = writeln!(out, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left + pw, top + ph + 20.0, date(b.t1));
    let _ = writeln!(out, r##"<text x="{left}" y="{}" fill="#666">{}</text>"##, top + ph + 40.0, escape(VALUE_UNIT));
    for (n, s) in series.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let mut d = String::new();
        for (i, (from, to, v)) in s.steps.iter().enumerate() {
            let cmd = if i == 0 { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{:.1} {:.1} L{:.1} {:.1} ", x(*from), y(*v), x(*to), y(*v));
        }
        let _ = writeln!(
            out,
            r#"<path class="series" d="{}" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></path>"#,
            d.trim_end(),
            escape(&s.label)
        );
        for (from, _, v) in &s.steps {
            let _ = writeln!(
                out,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} from {}: ${}</title></circle>"#,
                x(*from),
                y(*v),
                escape(&s.label),
                date(*from),
                v
            );
        }
        let ly = h + 18.0 * n as f64;
        let now = s.steps.last().map(|st| format!(" (now ${})", st.2)).unwrap_or_default();
        let _ = writeln!(
            out,
            r#"<rect x="{left}" y="{:.1}" width="12" height="4" fill="{colour}"/><text x="{}" y="{:.1}">{}{}</text>"#,
            ly - 6.0,
            left + 18.0,
            ly,
            escape(&s.label),
            escape(&now)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Component, Price, PriceKey, PriceValue, TierScope};
    use crate::store::PriceRecord;

    fn interval(component: Component, usd: &str, from: UnixMs, to: Option<UnixMs>) -> PriceInterval {
        PriceInterval {
            offer_key: "k".into(),
            listing_id: "a/b".into(),
            served_by: None,
            record: PriceRecord {
                price: Price {
                    key: PriceKey::base(component),
                    value: PriceValue::Fixed(usd.parse().expect("decimal")),
                    scope: TierScope::WholeRequest,
                },
                valid_from: from,
                valid_to: to,
            },
        }
    }

    fn history() -> Vec<Series> {
        let day = 86_400_000;
        series_from_history(
            &[
                interval(Component::Input, "0.000002", 0, Some(10 * day)),
                interval(Component::Input, "0.0000015", 10 * day, None),
                interval(Component::Output, "0.000008", 0, None),
            ],
            20 * day,
        )
    }

    #[test]
    fn one_series_per_component_in_exact_per_million_steps() {
        let s = history();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].label, "a/b input");
        let values: Vec<String> = s[0].steps.iter().map(|st| st.2.to_string()).collect();
        assert_eq!(values, vec!["2", "1.5"]);
        assert_eq!(s[1].steps, vec![(0, 20 * 86_400_000, Decimal::from(8))]);
    }

    #[test]
    fn terminal_chart_has_axes_marks_and_legend() {
        let chart = terminal_chart(&history(), 40, 8);
        assert!(chart.contains("$8 ┤"), "{chart}");
        assert!(chart.contains("$0 ┤"), "{chart}");
        assert!(chart.contains("1970-01-01"), "{chart}");
        assert!(chart.contains("● a/b input (now $1.5)"), "{chart}");
        assert!(chart.contains("× a/b output (now $8)"), "{chart}");
        assert!(chart.lines().next().is_some_and(|l| l.contains('×')), "output is the top line:\n{chart}");
    }

    #[test]
    fn svg_has_one_point_per_interval() {
        let svg = svg_chart(&history(), "a/b <prices>");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a/b &lt;prices&gt;"));
        assert_eq!(svg.matches(r#"class="series""#).count(), 2);
        assert_eq!(svg.matches(r#"class="point""#).count(), 3);
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
