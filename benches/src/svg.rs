//! Plots as hand-written SVG: percentile curves and CPU against wake-up latency.

use std::fmt::Write as _;

const PALETTE: [&str; 15] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#393b79", "#637939", "#e7ba52", "#843c39", "#5254a3",
];

/// One line on a percentile plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// (percentile in %, nanoseconds).
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (baselines).
    pub dashed: bool,
}

/// One point on the CPU/latency plot.
#[derive(Debug, Clone)]
pub struct Point {
    /// Label next to the point.
    pub name: String,
    /// CPU share, % of a core.
    pub cpu_percent: f64,
    /// Median latency, ns.
    pub p50_ns: f64,
    /// 99th percentile, ns (drawn as a whisker).
    pub p99_ns: f64,
    /// Marker shape: 0 circle, 1 square, 2 diamond.
    pub shape: u8,
}

struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.width - self.left - self.right)
    }
    fn py(&self, y: f64) -> f64 {
        self.height
            - self.bottom
            - (y - self.y.0) / (self.y.1 - self.y.0) * (self.height - self.top - self.bottom)
    }
}

fn header(out: &mut String, f: &Frame, title: &str, subtitle: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{tx}" y="22" font-size="16" font-weight="bold">{title}</text>
<text x="{tx}" y="40" font-size="11" fill="#555">{subtitle}</text>
"##,
        w = f.width,
        h = f.height,
        tx = f.left,
        title = escape(title),
        subtitle = escape(subtitle),
    );
}

/// The log-scale y axis (nanoseconds) with decade grid lines.
fn y_axis_ns(out: &mut String, f: &Frame, label: &str) {
    let mut k = f.y.0.floor() as i32;
    while f64::from(k) <= f.y.1 + 1e-9 {
        for m in [1.0, 2.0, 5.0] {
            let v = f64::from(k) + f64::log10(m);
            if v < f.y.0 - 1e-9 || v > f.y.1 + 1e-9 {
                continue;
            }
            let y = f.py(v);
            let (stroke, label_it) = if m == 1.0 { ("#ccc", true) } else { ("#eee", false) };
            let _ = writeln!(
                out,
                r#"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{stroke}"/>"#,
                f.left,
                f.width - f.right
            );
            if label_it {
                let _ = writeln!(
                    out,
                    r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                    f.left - 6.0,
                    y + 4.0,
                    escape(&tick_ns(v))
                );
            }
        }
        k += 1;
    }
    let cy = (f.top + f.height - f.bottom) / 2.0;
    let _ = writeln!(
        out,
        r#"<text x="16" y="{cy:.1}" transform="rotate(-90 16 {cy:.1})" text-anchor="middle">{}</text>"#,
        escape(label)
    );
}

fn frame_box(out: &mut String, f: &Frame) {
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{:.1}" height="{:.1}" fill="none" stroke="#333"/>"##,
        f.left,
        f.top,
        f.width - f.left - f.right,
        f.height - f.top - f.bottom
    );
}

fn legend(out: &mut String, f: &Frame, entries: &[(String, &str, bool)]) {
    let x = f.width - f.right + 14.0;
    for (i, (name, color, dashed)) in entries.iter().enumerate() {
        let y = f.top + 8.0 + 18.0 * i as f64;
        let dash = if *dashed { r#" stroke-dasharray="6 3""# } else { "" };
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2.5"{dash}/><text x="{}" y="{}">{}</text>"#,
            x + 24.0,
            x + 30.0,
            y + 4.0,
            escape(name)
        );
    }
}

fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (1.0, 3.0);
    }
    let (lo, hi) = (lo.log10().floor(), hi.log10().ceil());
    (lo, if hi <= lo { lo + 1.0 } else { hi })
}

/// Latency against percentile ("nines" on the x axis, log nanoseconds on the y axis), one line
/// per series: the shape of the whole distribution, tail included.
pub fn percentile_plot(title: &str, subtitle: &str, series: &[Series]) -> String {
    let nines = |p: f64| -(1.0 - p / 100.0).max(1e-7).log10();
    let x_max =
        series.iter().flat_map(|s| s.points.iter().map(|&(p, _)| nines(p))).fold(1.0f64, f64::max).ceil();
    let f = Frame {
        width: 1080.0,
        height: 520.0,
        left: 80.0,
        right: 330.0,
        top: 56.0,
        bottom: 50.0,
        x: (0.0, x_max),
        y: y_range(series.iter().flat_map(|s| s.points.iter().map(|&(_, v)| v))),
    };
    let mut out = String::new();
    header(&mut out, &f, title, subtitle);
    y_axis_ns(&mut out, &f, "latency");
    let labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%"];
    for k in 0..=(x_max as usize) {
        let x = f.px(k as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            f.top,
            f.height - f.bottom,
            f.height - f.bottom + 16.0,
            labels.get(k).copied().unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">percentile</text>"#,
        (f.left + f.width - f.right) / 2.0,
        f.height - 12.0
    );
    let mut entries = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let path: Vec<String> = s
            .points
            .iter()
            .filter(|&&(_, v)| v > 0.0)
            .map(|&(p, v)| format!("{:.1},{:.1}", f.px(nines(p)), f.py(v.log10())))
            .collect();
        let dash = if s.dashed { r#" stroke-dasharray="6 3""# } else { "" };
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{}"/>"#,
            path.join(" ")
        );
        entries.push((s.name.clone(), color, s.dashed));
    }
    frame_box(&mut out, &f);
    legend(&mut out, &f, &entries);
    out.push_str("</svg>\n");
    out
}

/// CPU share (log x) against wake-up latency (log y): a marker at the median with a whisker up
/// to the 99th percentile, per strategy.
pub fn cpu_latency_plot(title: &str, subtitle: &str, points: &[Point], shapes: &[&str]) -> String {
    let (x_lo, x_hi) = {
        let (lo, hi) = points
            .iter()
            .map(|p| p.cpu_percent.max(0.001))
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lo > hi {
            (-2.0, 2.0)
        } else {
            (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0))
        }
    };
    let f = Frame {
        width: 1080.0,
        height: 560.0,
        left: 80.0,
        right: 330.0,
        top: 56.0,
        bottom: 50.0,
        x: (x_lo, x_hi),
        y: y_range(points.iter().flat_map(|p| [p.p50_ns, p.p99_ns])),
    };
    let mut out = String::new();
    header(&mut out, &f, title, subtitle);
    y_axis_ns(&mut out, &f, "wake-up latency (marker p50, whisker to p99)");
    let mut k = x_lo;
    while k <= x_hi + 1e-9 {
        let x = f.px(k);
        let v = 10f64.powf(k);
        let label = if v >= 1.0 { format!("{v:.0}%") } else { format!("{v}%") };
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ccc"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            f.top,
            f.height - f.bottom,
            f.height - f.bottom + 16.0
        );
        k += 1.0;
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">consumer CPU, % of one core (log)</text>"#,
        (f.left + f.width - f.right) / 2.0,
        f.height - 12.0
    );
    let mut entries: Vec<(String, &str, bool)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for p in points {
        if !names.contains(&p.name) {
            names.push(p.name.clone());
        }
    }
    for p in points {
        let i = names.iter().position(|n| *n == p.name).unwrap_or(0);
        let color = PALETTE[i % PALETTE.len()];
        let x = f.px(p.cpu_percent.max(0.001).log10());
        let (y50, y99) = (f.py(p.p50_ns.max(1.0).log10()), f.py(p.p99_ns.max(1.0).log10()));
        let _ = writeln!(
            out,
            r#"<line x1="{x:.1}" y1="{y50:.1}" x2="{x:.1}" y2="{y99:.1}" stroke="{color}" stroke-width="1.5"/>"#
        );
        let _ = match p.shape {
            0 => writeln!(out, r#"<circle cx="{x:.1}" cy="{y50:.1}" r="6" fill="{color}"/>"#),
            1 => writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="11" height="11" fill="{color}"/>"#,
                x - 5.5,
                y50 - 5.5
            ),
            _ => writeln!(out, r#"<path d="M{x:.1},{:.1} l7,7 l-7,7 l-7,-7 z" fill="{color}"/>"#, y50 - 7.0),
        };
    }
    for (i, name) in names.iter().enumerate() {
        entries.push((name.clone(), PALETTE[i % PALETTE.len()], false));
    }
    frame_box(&mut out, &f);
    legend(&mut out, &f, &entries);
    let y0 = f.top + 8.0 + 18.0 * entries.len() as f64 + 12.0;
    for (i, s) in shapes.iter().enumerate() {
        let y = y0 + 18.0 * i as f64;
        let x = f.width - f.right + 26.0;
        let _ = match i {
            0 => writeln!(out, r##"<circle cx="{x}" cy="{y}" r="6" fill="#555"/>"##),
            1 => writeln!(
                out,
                r##"<rect x="{}" y="{}" width="11" height="11" fill="#555"/>"##,
                x - 5.5,
                y - 5.5
            ),
            _ => writeln!(out, r##"<path d="M{x},{} l7,7 l-7,7 l-7,-7 z" fill="#555"/>"##, y - 7.0),
        };
        let _ = writeln!(out, r#"<text x="{}" y="{}">{}</text>"#, x + 18.0, y + 4.0, escape(s));
    }
    out.push_str("</svg>\n");
    out
}

/// `10^exp` nanoseconds as an axis label: 10 ns, 100 ns, 1 µs, ... 1 s.
fn tick_ns(exp: f64) -> String {
    let e = exp.round() as i32;
    let (unit, base) = match e {
        i32::MIN..=2 => ("ns", 0),
        3..=5 => ("µs", 3),
        6..=8 => ("ms", 6),
        _ => ("s", 9),
    };
    format!("{} {unit}", 10u64.pow((e - base).max(0) as u32))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
