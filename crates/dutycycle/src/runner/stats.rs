//! Duty-cycle statistics: counters the agent thread publishes and any thread reads.

use std::fmt;
use std::time::Duration;

use super::cycle_clock::CycleClock;

use crossbeam_utils::CachePadded;

use crate::primitive::sync::{Arc, AtomicU64, Ordering};

/// Which duty-cycle statistics a runner keeps (builder option
/// [`statistics`](crate::AgentRunnerBuilder::statistics)).
///
/// Counting costs a few register increments per duty cycle and a few stores to a cache line
/// only the agent thread writes; timing costs one clock read per cycle (and one more after
/// each idle call that may park), so it is opt-in.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, Statistics};
///
/// struct Slow(u32);
/// impl Agent for Slow {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.0 += 1;
///         if self.0 == 3 { std::thread::sleep(Duration::from_millis(5)); }
///         if self.0 == 5 { return Err(AgentError::terminate()); }
///         Ok(1)
///     }
/// }
///
/// let report = AgentRunner::builder()
///     .statistics(Statistics::Timed { threshold: Duration::from_millis(1) })
///     .start(|| Ok(Slow(0)))?
///     .join()?;
/// let stats = report.stats();
/// assert_eq!((stats.duty_cycles, stats.total_work, stats.idle_cycles), (5, 4, 1));
/// assert_eq!(stats.slow_cycles, Some(1));
/// assert!(stats.max_cycle.unwrap() >= Duration::from_millis(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Statistics {
    /// Nothing but the error count is published while the agent runs (errors are counted
    /// out of the duty cycle's hot path, so they cost the loop nothing); the report still has
    /// the totals.
    Off,
    /// Duty cycles, total work, cycles without work and errors (the default).
    #[default]
    Counters,
    /// The counters, plus the longest cycle and the number of cycles longer than `threshold`
    /// (Aeron's duty-cycle stall tracking).
    ///
    /// As Aeron's duty-cycle tracker does, the runner reads the clock once per cycle, after
    /// `do_work` (and the error handler): the end of one cycle is the beginning of the next.
    /// A cycle's time is therefore from the end of the previous cycle's `do_work` to the end
    /// of its own: it includes the previous cycle's idle call when that call cannot park (a
    /// spin's pause, a yield, a backoff's spin or yield after a cycle with work) and the
    /// termination check. After an idle call that may park (a cycle without work, under a
    /// strategy whose [`IdleStrategy::parks`](crate::IdleStrategy::parks) is true) the clock
    /// is read once more, so a park never counts as a stall. The first cycle is timed from
    /// just before the duty cycle begins. The clock is the CPU's time-stamp counter when the
    /// kernel keeps time with it (clock source `tsc`), calibrated against `CLOCK_MONOTONIC`
    /// once per process (about a millisecond, before the first cycle of the first timed
    /// runner), and `CLOCK_MONOTONIC` otherwise.
    Timed {
        /// Cycles longer than this are counted as stalls.
        threshold: Duration,
    },
}

/// A snapshot of a runner's duty-cycle statistics.
///
/// The figures are read one by one without stopping the agent, so they may be from slightly
/// different moments (`idle_cycles` may be from a cycle later than `duty_cycles`). The agent
/// publishes them every 64 duty cycles, and also before each idle call that may park (a cycle
/// without work, under a strategy whose [`IdleStrategy::parks`](crate::IdleStrategy::parks) is
/// true): a reader is at most 63 short cycles or one park behind. Each figure only grows. With
/// [`Statistics::Off`] only `errors` is published (as each error happens) until the agent has
/// ended; the other figures read zero until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DutyCycleStats {
    /// Duty cycles completed: every call of `do_work` that returned, with work, with none or
    /// with an error, the one that ended the agent too ([`AgentError::terminate`], or an
    /// error its handler stopped on). A `do_work` that panicked is not counted.
    ///
    /// [`AgentError::terminate`]: crate::AgentError::terminate
    pub duty_cycles: u64,
    /// Sum of the work counts `do_work` returned, saturating at `u64::MAX`.
    pub total_work: u64,
    /// Duty cycles in which `do_work` returned 0 or an error (terminate included).
    pub idle_cycles: u64,
    /// Errors returned by `do_work` (not counting [`AgentError::terminate`](crate::AgentError::terminate)),
    /// published as each happens, whatever the [`Statistics`] mode.
    pub errors: u64,
    /// The longest duty cycle, when timing is on.
    pub max_cycle: Option<Duration>,
    /// Duty cycles longer than the threshold, when timing is on.
    pub slow_cycles: Option<u64>,
}

impl fmt::Display for DutyCycleStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cycles, {} work, {} idle, {} errors",
            self.duty_cycles, self.total_work, self.idle_cycles, self.errors
        )?;
        if let (Some(max), Some(slow)) = (self.max_cycle, self.slow_cycles) {
            write!(f, ", max cycle {max:?}, {slow} slow")?;
        }
        Ok(())
    }
}

/// A handle that reads a runner's statistics from any thread (`Clone + Send + Sync`). It stays
/// valid after the runner ends, and then shows the final figures.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner};
/// struct Busy;
/// impl Agent for Busy {
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(1) }
/// }
/// let runner = AgentRunner::start(|| Ok(Busy))?;
/// let reader = runner.stats_reader();
/// while reader.read().duty_cycles < 1_000 {
///     std::thread::yield_now();
/// }
/// let report = runner.close()?;
/// assert!(reader.read().duty_cycles >= 1_000);
/// assert_eq!(reader.read().duty_cycles, report.duty_cycles());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StatsReader {
    published: Arc<Published>,
}

impl StatsReader {
    pub(crate) fn new(published: Arc<Published>) -> Self {
        StatsReader { published }
    }

    /// Reads the current figures.
    pub fn read(&self) -> DutyCycleStats {
        self.published.read()
    }

    /// The runner's [`Statistics`] mode: which figures it publishes, and with
    /// [`Statistics::Timed`] its threshold, for code that keeps figures of its own in the same
    /// way (an agent counting its share of a composite's cycles, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Agent, AgentError, AgentRunner, Statistics};
    /// struct Idle;
    /// impl Agent for Idle {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
    /// }
    /// let timed = Statistics::Timed { threshold: Duration::from_micros(50) };
    /// let runner = AgentRunner::builder().statistics(timed).start(|| Ok(Idle))?;
    /// assert_eq!(runner.stats_reader().statistics(), timed);
    /// runner.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn statistics(&self) -> Statistics {
        self.published.statistics()
    }
}

impl fmt::Debug for StatsReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StatsReader").field(&self.read()).finish()
    }
}

/// The published figures. Only the agent thread writes them (plain relaxed stores of values it
/// counts locally; the one read-modify-write is the rare error count), so they cost the agent
/// no contention; readers use relaxed loads: the figures are monotonic counters, not
/// synchronisation.
#[derive(Default)]
pub(crate) struct Published {
    values: CachePadded<Values>,
    /// The runner's statistics mode (whether it publishes the timing figures); set once,
    /// before the agent thread starts.
    statistics: Statistics,
}

#[derive(Default)]
struct Values {
    duty_cycles: AtomicU64,
    total_work: AtomicU64,
    idle_cycles: AtomicU64,
    errors: AtomicU64,
    max_cycle_ns: AtomicU64,
    slow_cycles: AtomicU64,
}

impl Published {
    pub(crate) fn new(statistics: Statistics) -> Self {
        Published { values: CachePadded::default(), statistics }
    }

    pub(crate) fn statistics(&self) -> Statistics {
        self.statistics
    }

    /// Stores the counters of `totals` (not the timing figures).
    #[inline(always)]
    pub(crate) fn publish_counters(&self, totals: &Totals) {
        let v = &self.values;
        v.duty_cycles.store(totals.duty_cycles, Ordering::Relaxed);
        v.total_work.store(totals.total_work, Ordering::Relaxed);
        v.idle_cycles.store(totals.idle_cycles, Ordering::Relaxed);
    }

    /// Stores every figure of `totals`.
    #[inline(always)]
    pub(crate) fn publish_all(&self, totals: &Totals) {
        self.publish_counters(totals);
        let v = &self.values;
        v.max_cycle_ns.store(totals.max_cycle_ns, Ordering::Relaxed);
        v.slow_cycles.store(totals.slow_cycles, Ordering::Relaxed);
    }

    /// Counts one error; errors are rare, so this is a read-modify-write.
    pub(crate) fn add_error(&self) {
        self.values.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn errors(&self) -> u64 {
        self.values.errors.load(Ordering::Relaxed)
    }

    pub(crate) fn read(&self) -> DutyCycleStats {
        let v = &self.values;
        let timed = matches!(self.statistics, Statistics::Timed { .. });
        DutyCycleStats {
            duty_cycles: v.duty_cycles.load(Ordering::Relaxed),
            total_work: v.total_work.load(Ordering::Relaxed),
            idle_cycles: v.idle_cycles.load(Ordering::Relaxed),
            errors: v.errors.load(Ordering::Relaxed),
            max_cycle: timed.then(|| Duration::from_nanos(v.max_cycle_ns.load(Ordering::Relaxed))),
            slow_cycles: timed.then(|| v.slow_cycles.load(Ordering::Relaxed)),
        }
    }
}

/// The agent thread's own running totals: locals of the duty cycle (registers), published into
/// [`Published`].
#[derive(Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) duty_cycles: u64,
    pub(crate) idle_cycles: u64,
    pub(crate) total_work: u64,
    pub(crate) max_cycle_ns: u64,
    pub(crate) slow_cycles: u64,
}

impl Totals {
    /// Counts one duty cycle that did `work`. The total saturates at `u64::MAX` rather than
    /// overflow (a `do_work` may return any `usize`).
    #[inline(always)]
    pub(crate) fn count(&mut self, work: usize) {
        self.duty_cycles += 1;
        self.total_work = self.total_work.saturating_add(work as u64);
        self.idle_cycles += u64::from(work == 0);
    }
}

/// How the duty cycle records statistics: one type per [`Statistics`] mode, so that the loop,
/// generic over it, is compiled once per mode with the other modes' code gone.
pub(crate) trait Recorder: Copy {
    /// When the current cycle began: a time when timed, nothing otherwise.
    type Mark: Copy;

    /// Marks the beginning of a cycle: before the first, and after an idle call that may park
    /// (so that a park is never part of a cycle's time).
    fn mark(self) -> Self::Mark;

    /// Called after the cycle's `do_work` (and error handler) with the cycle's totals;
    /// returns the beginning of the next cycle, which is this cycle's end (one clock read).
    fn end(self, began: Self::Mark, totals: &mut Totals) -> Self::Mark;

    /// Makes `totals` visible to readers.
    fn publish(self, published: &Published, totals: &Totals);
}

/// [`Statistics::Off`]: the totals are kept for the report, nothing is published on the way.
#[derive(Clone, Copy)]
pub(crate) struct Off;

/// [`Statistics::Counters`]: the totals are published.
#[derive(Clone, Copy)]
pub(crate) struct Counting;

/// [`Statistics::Timed`]: the totals and the cycles' timing are published.
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    clock: CycleClock,
    /// The threshold in the clock's ticks.
    threshold_ticks: u64,
}

impl Timing {
    pub(crate) fn new(threshold: Duration) -> Self {
        let clock = CycleClock::get();
        let threshold_ns = u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX);
        Timing { clock, threshold_ticks: clock.ticks(threshold_ns) }
    }
}

impl Recorder for Off {
    type Mark = ();
    #[inline(always)]
    fn mark(self) {}
    #[inline(always)]
    fn end(self, (): (), _: &mut Totals) {}
    #[inline(always)]
    fn publish(self, _: &Published, _: &Totals) {}
}

impl Recorder for Counting {
    type Mark = ();
    #[inline(always)]
    fn mark(self) {}
    #[inline(always)]
    fn end(self, (): (), _: &mut Totals) {}
    #[inline(always)]
    fn publish(self, published: &Published, totals: &Totals) {
        published.publish_counters(totals);
    }
}

impl Recorder for Timing {
    type Mark = u64;
    #[inline(always)]
    fn mark(self) -> u64 {
        self.clock.now()
    }
    #[inline(always)]
    fn end(self, began: u64, totals: &mut Totals) -> u64 {
        let now = self.clock.now();
        // Saturating: a cycle counter read on another core may be a little behind.
        let ticks = now.saturating_sub(began);
        totals.max_cycle_ns = totals.max_cycle_ns.max(self.clock.nanos(ticks));
        totals.slow_cycles += u64::from(ticks > self.threshold_ticks);
        now
    }
    #[inline(always)]
    fn publish(self, published: &Published, totals: &Totals) {
        published.publish_all(totals);
    }
}
