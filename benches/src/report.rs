//! Results: the rows of the table, the distributions, and their text and JSON forms.

use std::fmt::Write as _;

use crate::latency::{fmt_ns, Latency};

/// The unit of a row's value (and its baseline's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    /// Percent of one core.
    Percent,
    /// Iterations per second.
    PerSecond,
    /// A plain count.
    Count,
    /// Iterations per core clock.
    PerClock,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Ns => "ns",
            Unit::Percent => "% of a core",
            Unit::PerSecond => "1/s",
            Unit::Count => "count",
            Unit::PerClock => "per core clock",
        }
    }

    /// `value` in this unit, for people.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Ns => fmt_ns(value),
            Unit::Percent if value < 1.0 => format!("{value:.3}%"),
            Unit::Percent => format!("{value:.2}%"),
            Unit::PerSecond if value >= 1e6 => format!("{:.1} M/s", value / 1e6),
            Unit::PerSecond => format!("{value:.0}/s"),
            Unit::Count => format!("{value:.0}"),
            Unit::PerClock => format!("{value:.4}/clock"),
        }
    }
}

/// A performance target (docs/BENCHMARKS.md, "Targets"), checked on the row's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// value ≤ k × baseline.
    RatioAtMost(f64),
    /// value ≥ k × baseline.
    RatioAtLeast(f64),
    /// value ≤ this, in the row's unit.
    AtMost(f64),
}

/// One line of the results table: a figure, its baseline from the same run, their ratio, and
/// the verdict where a target is set.
#[derive(Debug, Clone)]
pub struct Row {
    /// The scenario number (1-9).
    pub scenario: u8,
    /// What was measured.
    pub figure: String,
    /// The measured value.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
    /// What it is compared with (a label and a value in the same unit).
    pub baseline: Option<(String, f64)>,
    /// The target, if the figure has one.
    pub target: Option<Target>,
}

impl Row {
    /// A row without baseline or target.
    pub fn new(scenario: u8, figure: impl Into<String>, value: f64, unit: Unit) -> Row {
        Row { scenario, figure: figure.into(), value, unit, baseline: None, target: None }
    }

    /// With a baseline.
    pub fn vs(mut self, label: impl Into<String>, value: f64) -> Row {
        self.baseline = Some((label.into(), value));
        self
    }

    /// With a target.
    pub fn target(mut self, target: Target) -> Row {
        self.target = Some(target);
        self
    }

    /// value / baseline.
    pub fn ratio(&self) -> Option<f64> {
        self.baseline.as_ref().map(|(_, b)| self.value / b)
    }

    /// Whether the target is met (`None` without a target).
    pub fn met(&self) -> Option<bool> {
        Some(match self.target? {
            Target::RatioAtMost(k) => self.ratio()? <= k,
            Target::RatioAtLeast(k) => self.ratio()? >= k,
            Target::AtMost(v) => self.value <= v,
        })
    }

    fn target_text(&self) -> String {
        match self.target {
            None => String::new(),
            Some(Target::RatioAtMost(k)) => format!("≤ {k}×"),
            Some(Target::RatioAtLeast(k)) => format!("≥ {k}×"),
            Some(Target::AtMost(v)) => format!("≤ {}", self.unit.format(v)),
        }
    }

    fn verdict_text(&self) -> &'static str {
        match self.met() {
            None => "",
            Some(true) => "met",
            Some(false) => "MISSED",
        }
    }
}

/// A latency distribution to list and plot.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// The scenario number.
    pub scenario: u8,
    /// The plot it belongs to (e.g. `pingpong`, `wakeup-2ms`).
    pub group: String,
    /// The series name.
    pub name: String,
    /// The percentiles.
    pub latency: Latency,
    /// The measured thread's CPU share in % of a core, where measured.
    pub cpu_percent: Option<f64>,
    /// Whether it is a baseline (hand-written or hardware floor) rather than dutycycle.
    pub baseline: bool,
}

/// Everything a run measured.
#[derive(Debug, Default)]
pub struct Results {
    /// The table.
    pub rows: Vec<Row>,
    /// The distributions.
    pub distributions: Vec<Distribution>,
    /// Lines said after the table (pending scenarios, skipped checks).
    pub notes: Vec<String>,
}

impl Results {
    /// The distribution named `name` in `group`.
    pub fn dist(&self, group: &str, name: &str) -> Option<&Distribution> {
        self.distributions.iter().find(|d| d.group == group && d.name == name)
    }

    /// The results table and the distributions table, as plain text.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let headers = ["#", "figure", "value", "baseline (same run)", "ratio", "target", "verdict"];
        let cells: Vec<[String; 7]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.scenario.to_string(),
                    r.figure.clone(),
                    r.unit.format(r.value),
                    r.baseline
                        .as_ref()
                        .map(|(l, v)| format!("{l}: {}", r.unit.format(*v)))
                        .unwrap_or_default(),
                    r.ratio().map(|x| format!("{x:.2}×")).unwrap_or_default(),
                    r.target_text(),
                    r.verdict_text().to_owned(),
                ]
            })
            .collect();
        write_table(&mut out, &headers, &cells);
        out.push('\n');
        let headers = ["#", "distribution", "n", "min", "p50", "p90", "p99", "p99.9", "p99.99", "max", "CPU"];
        let cells: Vec<[String; 11]> = self
            .distributions
            .iter()
            .map(|d| {
                let l = &d.latency;
                [
                    d.scenario.to_string(),
                    format!("{} · {}", d.group, d.name),
                    l.count.to_string(),
                    fmt_ns(l.min),
                    fmt_ns(l.p50),
                    fmt_ns(l.p90),
                    fmt_ns(l.p99),
                    fmt_ns(l.p999),
                    fmt_ns(l.p9999),
                    fmt_ns(l.max),
                    d.cpu_percent.map(|c| Unit::Percent.format(c)).unwrap_or_default(),
                ]
            })
            .collect();
        write_table(&mut out, &headers, &cells);
        for note in &self.notes {
            let _ = writeln!(out, "\nnote: {note}");
        }
        out
    }

    /// The two tables as Markdown (for docs/BENCHMARKS.md).
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = String::new();
        out.push_str("| # | figure | value | baseline (same run) | ratio | target | verdict |\n");
        out.push_str("|---|---|---:|---|---:|---|---|\n");
        for r in &self.rows {
            let verdict = match r.met() {
                None => "",
                Some(true) => "met",
                Some(false) => "**missed**",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.scenario,
                esc(&r.figure),
                r.unit.format(r.value),
                r.baseline
                    .as_ref()
                    .map(|(l, v)| format!("{}: {}", esc(l), r.unit.format(*v)))
                    .unwrap_or_default(),
                r.ratio().map(|x| format!("{x:.2}×")).unwrap_or_default(),
                r.target_text(),
                verdict
            );
        }
        out.push_str("\n| # | distribution | n | min | p50 | p90 | p99 | p99.9 | p99.99 | max | CPU |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for d in &self.distributions {
            let l = &d.latency;
            let _ = writeln!(
                out,
                "| {} | {} · {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                d.scenario,
                d.group,
                esc(&d.name),
                l.count,
                fmt_ns(l.min),
                fmt_ns(l.p50),
                fmt_ns(l.p90),
                fmt_ns(l.p99),
                fmt_ns(l.p999),
                fmt_ns(l.p9999),
                fmt_ns(l.max),
                d.cpu_percent.map(|c| Unit::Percent.format(c)).unwrap_or_default()
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "\nNote: {}", esc(note));
        }
        out
    }

    /// The results as JSON, with `meta` (machine, mode, load) at the top.
    pub fn json(&self, meta: Vec<(String, Json)>) -> String {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                Json::obj([
                    ("scenario", Json::Num(f64::from(r.scenario))),
                    ("figure", Json::str(&r.figure)),
                    ("value", Json::Num(r.value)),
                    ("unit", Json::str(r.unit.name())),
                    ("baseline", r.baseline.as_ref().map_or(Json::Null, |(l, _)| Json::str(l))),
                    ("baseline_value", r.baseline.as_ref().map_or(Json::Null, |(_, v)| Json::Num(*v))),
                    ("ratio", r.ratio().map_or(Json::Null, Json::Num)),
                    ("target", if r.target.is_some() { Json::str(&r.target_text()) } else { Json::Null }),
                    ("met", r.met().map_or(Json::Null, Json::Bool)),
                ])
            })
            .collect();
        let dists = self
            .distributions
            .iter()
            .map(|d| {
                let l = &d.latency;
                Json::obj([
                    ("scenario", Json::Num(f64::from(d.scenario))),
                    ("group", Json::str(&d.group)),
                    ("name", Json::str(&d.name)),
                    ("baseline", Json::Bool(d.baseline)),
                    ("count", Json::Num(l.count as f64)),
                    ("min_ns", Json::Num(l.min)),
                    ("p50_ns", Json::Num(l.p50)),
                    ("p90_ns", Json::Num(l.p90)),
                    ("p99_ns", Json::Num(l.p99)),
                    ("p99_9_ns", Json::Num(l.p999)),
                    ("p99_99_ns", Json::Num(l.p9999)),
                    ("max_ns", Json::Num(l.max)),
                    ("mean_ns", Json::Num(l.mean)),
                    ("cpu_percent", d.cpu_percent.map_or(Json::Null, Json::Num)),
                    (
                        "curve",
                        Json::Arr(
                            l.curve
                                .iter()
                                .map(|&(p, v)| Json::Arr(vec![Json::Num(p), Json::Num(v)]))
                                .collect(),
                        ),
                    ),
                ])
            })
            .collect();
        let mut top = meta;
        top.push(("rows".into(), Json::Arr(rows)));
        top.push(("distributions".into(), Json::Arr(dists)));
        top.push(("notes".into(), Json::Arr(self.notes.iter().map(|n| Json::str(n)).collect())));
        let mut out = String::new();
        Json::Obj(top).write(&mut out, 0);
        out.push('\n');
        out
    }
}

fn write_table<const N: usize>(out: &mut String, headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            // Numbers right-aligned, text left-aligned.
            let numeric = i > 0 && cell.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '-');
            if numeric {
                let _ = write!(out, "{}{cell}", " ".repeat(pad));
            } else {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            }
            out.push_str(if i + 1 < N { " | " } else { "\n" });
        }
    };
    line(out, &headers.map(|h| h));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule.iter().map(String::as_str).collect::<Vec<_>>());
    for row in rows {
        line(out, &row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// A JSON value (written by hand: the harness needs no serialisation framework).
#[derive(Debug, Clone)]
pub enum Json {
    /// null
    Null,
    /// true/false
    Bool(bool),
    /// a number (non-finite ones are written as null)
    Num(f64),
    /// a string
    Str(String),
    /// an array
    Arr(Vec<Json>),
    /// an object, in insertion order
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// A string value.
    pub fn str(s: &str) -> Json {
        Json::Str(s.to_owned())
    }

    /// An object from pairs.
    pub fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(x) if x.is_finite() => {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    let _ = write!(out, "{x:.0}");
                } else {
                    let _ = write!(out, "{x}");
                }
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(s) => write_json_string(out, s),
            Json::Arr(items) => {
                // Short arrays of numbers (curve points) on one line.
                let flat = items.iter().all(|i| matches!(i, Json::Num(_) | Json::Null));
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !flat {
                        newline(out, indent + 1);
                    }
                    item.write(out, indent + 1);
                }
                if !flat && !items.is_empty() {
                    newline(out, indent);
                }
                out.push(']');
            }
            Json::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    write_json_string(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 1);
                }
                if !pairs.is_empty() {
                    newline(out, indent);
                }
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.push_str(&"  ".repeat(indent));
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The `median.point_estimate` (ns) of a criterion benchmark from its `estimates.json`.
pub fn criterion_median_ns(estimates_json: &str) -> Option<f64> {
    let at = estimates_json.find("\"median\"")?;
    let rest = &estimates_json[at..];
    let at = rest.find("\"point_estimate\"")?;
    let rest = rest[at + "\"point_estimate\"".len()..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))?;
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterion_estimates_are_parsed() {
        let text = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.25e1,"standard_error":0.1}}"#;
        assert_eq!(criterion_median_ns(text), Some(12.5));
    }

    #[test]
    fn verdicts_follow_the_targets() {
        let r = Row::new(2, "p50", 120.0, Unit::Ns).vs("floor", 100.0).target(Target::RatioAtMost(1.2));
        assert_eq!(r.met(), Some(true));
        let r =
            Row::new(3, "rate", 90.0, Unit::PerSecond).vs("loop", 100.0).target(Target::RatioAtLeast(0.95));
        assert_eq!(r.met(), Some(false));
        let r = Row::new(5, "cpu", 1.5, Unit::Percent).target(Target::AtMost(2.0));
        assert_eq!(r.met(), Some(true));
    }

    #[test]
    fn json_is_escaped_and_nested() {
        let mut out = String::new();
        Json::obj([("a\"b", Json::Arr(vec![Json::Num(1.0), Json::Num(f64::NAN)]))]).write(&mut out, 0);
        assert_eq!(out, "{\n  \"a\\\"b\": [1,null]\n}");
    }
}
