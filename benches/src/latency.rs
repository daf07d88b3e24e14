//! Latency distributions: HdrHistograms and what is reported of them.

use hdrhistogram::Histogram;

/// A histogram for values from 1 to one hour of nanoseconds (or TSC ticks) at 3 significant
/// digits. Allocated up front: recording never allocates.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// Records `value`, clamped into the histogram's range.
#[inline]
pub fn record(h: &mut Histogram<u64>, value: u64) {
    h.saturating_record(value.max(1));
}

/// The percentiles reported for a distribution, in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Smallest sample.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// 99.99th percentile.
    pub p9999: f64,
    /// Largest sample.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// The percentile curve for plots: (percentile in %, nanoseconds).
    pub curve: Vec<(f64, f64)>,
}

impl Latency {
    /// Summarises `h`, whose values are in units of `ns_per_unit` nanoseconds.
    pub fn from_histogram(h: &Histogram<u64>, ns_per_unit: f64) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let at = |q: f64| h.value_at_quantile(q) as f64 * ns_per_unit;
        // Up to the percentile that one sample in the whole run represents, in steps of a tenth
        // of a "nine", then the maximum.
        let mut curve = Vec::new();
        let nines_max = (h.len() as f64).log10();
        let mut nines = 0.0;
        while nines <= nines_max {
            let q = 1.0 - 10f64.powf(-nines);
            curve.push((q * 100.0, at(q)));
            nines += 0.1;
        }
        curve.push((100.0 * (1.0 - 1.0 / h.len() as f64), h.max() as f64 * ns_per_unit));
        Latency {
            count: h.len(),
            min: h.min() as f64 * ns_per_unit,
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            p9999: at(0.9999),
            max: h.max() as f64 * ns_per_unit,
            mean: h.mean() * ns_per_unit,
            curve,
        }
    }
}

/// Formats nanoseconds with a unit that keeps 3-4 significant digits.
pub fn fmt_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "-".into();
    }
    if ns < 10.0 {
        format!("{ns:.2} ns")
    } else if ns < 100.0 {
        format!("{ns:.1} ns")
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 10_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}
