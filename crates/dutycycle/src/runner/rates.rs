//! Rates from two statistics snapshots: what a runner did between them, and that per second.

use std::time::Duration;

use super::stats::DutyCycleStats;

/// What a runner did between two [`DutyCycleStats`] snapshots: `later.since(&earlier)`.
///
/// Each figure is the later one less the earlier one, saturating at zero: a figure that went
/// down (snapshots of two different runners, or passed in the wrong order) gives zero, as
/// [`Instant::saturating_duration_since`](std::time::Instant::saturating_duration_since) does,
/// never a wrapped number or a panic.
///
/// The snapshots' own limits carry over: a snapshot may be up to 63 short cycles or one park
/// behind the agent, and its figures are read one by one (see [`DutyCycleStats`]), so a delta
/// over a short interval is approximate; over a second of a busy agent the error is a few
/// cycles in millions.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner};
///
/// struct EveryOther(u64);
/// impl Agent for EveryOther {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.0 += 1;
///         Ok((self.0 % 2) as usize) // work on every other cycle
///     }
/// }
///
/// let runner = AgentRunner::start(|| Ok(EveryOther(0)))?;
/// let earlier = runner.stats();
/// while runner.stats().duty_cycles < earlier.duty_cycles + 10_000 {
///     std::thread::sleep(Duration::from_millis(1));
/// }
/// let report = runner.close()?;
///
/// let delta = report.stats().since(&earlier);
/// assert_eq!(delta.duty_cycles, report.duty_cycles() - earlier.duty_cycles);
/// let idle = delta.idle_fraction().unwrap();
/// assert!((0.45..=0.55).contains(&idle), "{idle}");
///
/// // The wrong way round, every figure saturates at zero.
/// assert_eq!(earlier.since(&report.stats()).duty_cycles, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DutyCycleDelta {
    /// Duty cycles completed between the snapshots.
    pub duty_cycles: u64,
    /// Work counted between the snapshots.
    pub total_work: u64,
    /// Duty cycles without work between the snapshots.
    pub idle_cycles: u64,
    /// Errors between the snapshots.
    pub errors: u64,
    /// Cycles over the threshold between the snapshots, when both snapshots have timing.
    pub slow_cycles: Option<u64>,
}

impl DutyCycleStats {
    /// What the runner did between `earlier` and this snapshot; see [`DutyCycleDelta`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::DutyCycleStats;
    ///
    /// let mut earlier = DutyCycleStats::default();
    /// earlier.duty_cycles = 1_000;
    /// earlier.idle_cycles = 900;
    /// let mut later = earlier;
    /// later.duty_cycles = 3_000;
    /// later.idle_cycles = 2_400;
    ///
    /// let delta = later.since(&earlier);
    /// assert_eq!((delta.duty_cycles, delta.idle_cycles), (2_000, 1_500));
    /// assert_eq!(delta.idle_fraction(), Some(0.75));
    /// ```
    pub fn since(&self, earlier: &DutyCycleStats) -> DutyCycleDelta {
        DutyCycleDelta {
            duty_cycles: self.duty_cycles.saturating_sub(earlier.duty_cycles),
            total_work: self.total_work.saturating_sub(earlier.total_work),
            idle_cycles: self.idle_cycles.saturating_sub(earlier.idle_cycles),
            errors: self.errors.saturating_sub(earlier.errors),
            slow_cycles: self.slow_cycles.zip(earlier.slow_cycles).map(|(l, e)| l.saturating_sub(e)),
        }
    }
}

impl DutyCycleDelta {
    /// The share of the duty cycles that found no work, from 0.0 (always busy) to 1.0 (never
    /// any work); `None` when there was no duty cycle (an agent blocked in one long
    /// `do_work`, or one that has ended). Clamped to 1.0, since a snapshot's idle count may
    /// be from a cycle later than its cycle count.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::DutyCycleStats;
    ///
    /// let mut later = DutyCycleStats::default();
    /// later.duty_cycles = 10;
    /// later.idle_cycles = 9;
    /// assert_eq!(later.since(&DutyCycleStats::default()).idle_fraction(), Some(0.9));
    /// assert_eq!(later.since(&later).idle_fraction(), None);
    /// ```
    pub fn idle_fraction(&self) -> Option<f64> {
        if self.duty_cycles == 0 {
            return None;
        }
        Some((self.idle_cycles as f64 / self.duty_cycles as f64).min(1.0))
    }

    /// The figures per second over `elapsed`, the time between the two snapshots; `None` when
    /// `elapsed` is zero, over which no rate can be told.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::DutyCycleStats;
    ///
    /// let mut later = DutyCycleStats::default();
    /// later.duty_cycles = 500;
    /// later.total_work = 2_000;
    /// let delta = later.since(&DutyCycleStats::default());
    ///
    /// let rates = delta.per_second(Duration::from_millis(250)).unwrap();
    /// assert_eq!((rates.duty_cycles, rates.total_work), (2_000.0, 8_000.0));
    /// assert_eq!(rates.slow_cycles, None);
    /// assert_eq!(delta.per_second(Duration::ZERO), None);
    /// ```
    pub fn per_second(&self, elapsed: Duration) -> Option<DutyCycleRates> {
        if elapsed.is_zero() {
            return None;
        }
        let seconds = elapsed.as_secs_f64();
        let rate = |n: u64| n as f64 / seconds;
        Some(DutyCycleRates {
            duty_cycles: rate(self.duty_cycles),
            total_work: rate(self.total_work),
            idle_cycles: rate(self.idle_cycles),
            errors: rate(self.errors),
            slow_cycles: self.slow_cycles.map(rate),
        })
    }
}

/// A [`DutyCycleDelta`] per second: [`DutyCycleDelta::per_second`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::DutyCycleStats;
///
/// let mut later = DutyCycleStats::default();
/// later.errors = 3;
/// let rates = later.since(&DutyCycleStats::default()).per_second(Duration::from_secs(2)).unwrap();
/// assert_eq!(rates.errors, 1.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct DutyCycleRates {
    /// Duty cycles per second.
    pub duty_cycles: f64,
    /// Work per second.
    pub total_work: f64,
    /// Duty cycles without work per second.
    pub idle_cycles: f64,
    /// Errors per second.
    pub errors: f64,
    /// Cycles over the threshold per second, when both snapshots have timing.
    pub slow_cycles: Option<f64>,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn stats(duty_cycles: u64, total_work: u64, idle_cycles: u64, errors: u64) -> DutyCycleStats {
        DutyCycleStats { duty_cycles, total_work, idle_cycles, errors, max_cycle: None, slow_cycles: None }
    }

    fn timed(slow_cycles: u64) -> DutyCycleStats {
        DutyCycleStats {
            slow_cycles: Some(slow_cycles),
            max_cycle: Some(Duration::from_micros(5)),
            ..stats(0, 0, 0, 0)
        }
    }

    #[test]
    fn a_delta_is_each_figure_of_the_later_snapshot_less_the_earlier() {
        let delta = stats(1_000, 5_000, 300, 7).since(&stats(400, 1_000, 100, 2));
        assert_eq!(
            delta,
            DutyCycleDelta {
                duty_cycles: 600,
                total_work: 4_000,
                idle_cycles: 200,
                errors: 5,
                slow_cycles: None
            }
        );
        assert_eq!(timed(12).since(&timed(2)).slow_cycles, Some(10));
    }

    #[test]
    fn figures_that_went_down_saturate_at_zero() {
        let (earlier, later) = (stats(1_000, 5_000, 300, 7), stats(10, 5_001, 0, u64::MAX));
        let delta = later.since(&earlier);
        assert_eq!(
            (delta.duty_cycles, delta.total_work, delta.idle_cycles, delta.errors),
            (0, 1, 0, u64::MAX - 7)
        );
        assert_eq!(timed(2).since(&timed(12)).slow_cycles, Some(0));
        let full = stats(u64::MAX, u64::MAX, u64::MAX, u64::MAX);
        assert_eq!(stats(0, 0, 0, 0).since(&full), DutyCycleDelta::default());
        assert_eq!(full.since(&stats(0, 0, 0, 0)).duty_cycles, u64::MAX);
    }

    #[test]
    fn slow_cycles_need_timing_on_both_snapshots() {
        assert_eq!(timed(5).since(&stats(0, 0, 0, 0)).slow_cycles, None);
        assert_eq!(stats(0, 0, 0, 0).since(&timed(5)).slow_cycles, None);
    }

    #[test]
    fn the_idle_fraction_is_idle_over_all_cycles_clamped_and_none_without_cycles() {
        let zero = stats(0, 0, 0, 0);
        assert_eq!(stats(4, 0, 1, 0).since(&zero).idle_fraction(), Some(0.25));
        assert_eq!(stats(4, 0, 0, 0).since(&zero).idle_fraction(), Some(0.0));
        assert_eq!(stats(4, 0, 4, 0).since(&zero).idle_fraction(), Some(1.0));
        // The idle count read a cycle later than the cycle count.
        assert_eq!(stats(4, 0, 5, 0).since(&zero).idle_fraction(), Some(1.0));
        assert_eq!(zero.since(&zero).idle_fraction(), None);
        assert_eq!(zero.since(&stats(4, 0, 1, 0)).idle_fraction(), None);
    }

    #[test]
    fn rates_divide_by_the_elapsed_time_and_zero_time_has_none() {
        let delta = stats(3_000, 600, 1_500, 3).since(&stats(0, 0, 0, 0));
        let rates = delta.per_second(Duration::from_millis(1_500)).unwrap();
        assert_eq!(
            rates,
            DutyCycleRates {
                duty_cycles: 2_000.0,
                total_work: 400.0,
                idle_cycles: 1_000.0,
                errors: 2.0,
                slow_cycles: None
            }
        );
        assert_eq!(
            timed(10).since(&timed(0)).per_second(Duration::from_millis(100)).unwrap().slow_cycles,
            Some(100.0)
        );
        assert_eq!(delta.per_second(Duration::ZERO), None);
        let tiny = delta.per_second(Duration::from_nanos(1)).unwrap();
        assert_eq!(tiny.duty_cycles, 3e12);
        let huge = stats(u64::MAX, 0, 0, 0).since(&stats(0, 0, 0, 0)).per_second(Duration::MAX).unwrap();
        assert!(huge.duty_cycles.is_finite() && huge.duty_cycles > 0.0);
    }
}
