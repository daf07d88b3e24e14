//! The Aeron counters an [`AeronAgent`](crate::AeronAgent) keeps in its media driver's CnC
//! file: its runner's duty-cycle statistics, which AeronStat shows, and an idle control an
//! operator writes from another process.
//!
//! Every counter is added, updated and closed by the agent, on its thread, through its client:
//! nothing outside the agent holds a pointer into the CnC file. The figures are copied from the
//! runner's [`StatsReader`], and the control is copied into the shared [`IdleControl`], on
//! every [`UPDATE_CHECK_CYCLES`]th duty cycle at most once per [`UPDATE_PERIOD`] (the
//! control on every check): a duty cycle pays one increment and one branch.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dutycycle::{DutyCycleStats, IdleControl, OsThreadName, StatsReader};
use rusteron_client::{AeronAsyncAddCounter, AeronCounter};

use crate::{AeronCallError, AeronClient, ClientError};

/// Type id of the counter of duty cycles an agent's runner completed
/// ([`DutyCycleStats::duty_cycles`]). Aeron keeps type ids below 1000 for itself.
pub const DUTY_CYCLES_COUNTER_TYPE_ID: i32 = 7700;
/// Type id of the counter of the work an agent's runner did ([`DutyCycleStats::total_work`]).
pub const TOTAL_WORK_COUNTER_TYPE_ID: i32 = 7701;
/// Type id of the counter of duty cycles without work ([`DutyCycleStats::idle_cycles`]).
pub const IDLE_CYCLES_COUNTER_TYPE_ID: i32 = 7702;
/// Type id of the counter of errors `do_work` returned ([`DutyCycleStats::errors`]).
pub const ERRORS_COUNTER_TYPE_ID: i32 = 7703;
/// Type id of the counter of the longest duty cycle in nanoseconds
/// ([`DutyCycleStats::max_cycle`]); added only when the runner times its cycles.
pub const MAX_CYCLE_NS_COUNTER_TYPE_ID: i32 = 7704;
/// Type id of the counter of duty cycles over the runner's threshold
/// ([`DutyCycleStats::slow_cycles`]); added only when the runner times its cycles.
pub const SLOW_CYCLES_COUNTER_TYPE_ID: i32 = 7705;
/// Type id of the idle control counter: an Agrona status value (0 not controlled, 1 no-op,
/// 2 busy-spin, 3 yield, 4 park) that another process writes to switch the agent's
/// [`ControllableIdleStrategy`](dutycycle::ControllableIdleStrategy).
pub const IDLE_CONTROL_COUNTER_TYPE_ID: i32 = 7710;

/// Duty cycles between two checks of whether the counters are due.
const UPDATE_CHECK_CYCLES: u32 = 16;
/// The statistics counters are updated at most this often.
const UPDATE_PERIOD: Duration = Duration::from_millis(100);

thread_local! {
    /// Whether an agent on this thread publishes the runner's statistics already: the agents
    /// of a composite share one runner, whose figures are published once.
    static STATS_PUBLISHED: Cell<bool> = const { Cell::new(false) };
}

/// One of the figures of [`DutyCycleStats`], as a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    DutyCycles,
    TotalWork,
    IdleCycles,
    Errors,
    MaxCycleNs,
    SlowCycles,
}

impl Figure {
    const COUNTED: [Figure; 4] = [Figure::DutyCycles, Figure::TotalWork, Figure::IdleCycles, Figure::Errors];
    const TIMED: [Figure; 2] = [Figure::MaxCycleNs, Figure::SlowCycles];

    fn type_id(self) -> i32 {
        match self {
            Figure::DutyCycles => DUTY_CYCLES_COUNTER_TYPE_ID,
            Figure::TotalWork => TOTAL_WORK_COUNTER_TYPE_ID,
            Figure::IdleCycles => IDLE_CYCLES_COUNTER_TYPE_ID,
            Figure::Errors => ERRORS_COUNTER_TYPE_ID,
            Figure::MaxCycleNs => MAX_CYCLE_NS_COUNTER_TYPE_ID,
            Figure::SlowCycles => SLOW_CYCLES_COUNTER_TYPE_ID,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Figure::DutyCycles => "dutycycle duty cycles",
            Figure::TotalWork => "dutycycle total work",
            Figure::IdleCycles => "dutycycle idle cycles",
            Figure::Errors => "dutycycle errors",
            Figure::MaxCycleNs => "dutycycle max cycle ns",
            Figure::SlowCycles => "dutycycle slow cycles",
        }
    }

    fn of(self, stats: &DutyCycleStats) -> i64 {
        let value = match self {
            Figure::DutyCycles => stats.duty_cycles,
            Figure::TotalWork => stats.total_work,
            Figure::IdleCycles => stats.idle_cycles,
            Figure::Errors => stats.errors,
            Figure::MaxCycleNs => {
                stats.max_cycle.map_or(0, |max| u64::try_from(max.as_nanos()).unwrap_or(u64::MAX))
            }
            Figure::SlowCycles => stats.slow_cycles.unwrap_or(0),
        };
        i64::try_from(value).unwrap_or(i64::MAX)
    }
}

/// What a counter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Stats(Figure),
    Control,
}

/// A counter of the agent's, being added or added.
struct Counter {
    usage: Use,
    label: String,
    state: State,
}

enum State {
    Adding(AeronAsyncAddCounter),
    Ready(AeronCounter),
}

/// The counters of one agent, from `start` (in `on_start`) to `close` (in `on_close`).
pub(crate) struct AgentCounters {
    publish_stats: bool,
    control: Option<IdleControl>,
    counters: Vec<Counter>,
    stats: Option<StatsReader>,
    /// The control status last seen in both the counter and the [`IdleControl`].
    control_seen: i64,
    /// Whether this agent publishes its thread's statistics ([`STATS_PUBLISHED`]).
    claimed: bool,
    cycles: u32,
    updated: Option<Instant>,
}

impl AgentCounters {
    /// Counters that publish the runner's statistics (when `publish_stats`) and bind
    /// `control`, once started.
    pub(crate) fn new() -> Self {
        AgentCounters {
            publish_stats: true,
            control: None,
            counters: Vec::new(),
            stats: None,
            control_seen: 0,
            claimed: false,
            cycles: 0,
            updated: None,
        }
    }

    pub(crate) fn set_publish_stats(&mut self, publish: bool) {
        self.publish_stats = publish;
    }

    pub(crate) fn set_control(&mut self, control: IdleControl) {
        self.control = Some(control);
    }

    /// Starts adding the counters, on the agent thread: the statistics of the runner whose
    /// thread this is (unless another agent on it publishes them), and the control.
    pub(crate) fn start(&mut self, client: &AeronClient, role: &str) -> Result<(), ClientError> {
        let thread = OsThreadName::current();
        let suffix = format!("role={role} thread={thread}");
        // The key: this process and thread, so that a tool can tell agents of one name apart.
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&i64::from(std::process::id()).to_le_bytes());
        // SAFETY: gettid has no preconditions and cannot fail.
        let tid = unsafe { libc::gettid() };
        key[8..].copy_from_slice(&i64::from(tid).to_le_bytes());

        let mut wanted = Vec::new();
        if self.publish_stats && !STATS_PUBLISHED.get() {
            if let Some(stats) = StatsReader::current() {
                STATS_PUBLISHED.set(true);
                self.claimed = true;
                let timed = stats.read().max_cycle.is_some();
                wanted.extend(Figure::COUNTED.map(Use::Stats));
                if timed {
                    wanted.extend(Figure::TIMED.map(Use::Stats));
                }
                self.stats = Some(stats);
            }
        }
        if self.control.is_some() {
            wanted.push(Use::Control);
        }
        for usage in wanted {
            let (type_id, name) = match usage {
                Use::Stats(figure) => (figure.type_id(), figure.name()),
                Use::Control => (IDLE_CONTROL_COUNTER_TYPE_ID, "dutycycle idle control"),
            };
            let label = format!("{name}: {suffix}");
            let pending = client.aeron().async_add_counter(type_id, &key, &label).map_err(|e| {
                ClientError::CounterAdd {
                    label: label.clone(),
                    source: AeronCallError::client("aeron_async_add_counter", e),
                }
            })?;
            self.counters.push(Counter { usage, label, state: State::Adding(pending) });
        }
        Ok(())
    }

    /// One duty cycle: every [`UPDATE_CHECK_CYCLES`]th call polls the adds, copies the
    /// control and, at most once per [`UPDATE_PERIOD`], the statistics.
    #[inline]
    pub(crate) fn on_cycle(&mut self) -> Result<(), ClientError> {
        self.cycles = self.cycles.wrapping_add(1);
        if self.cycles % UPDATE_CHECK_CYCLES != 0 || self.counters.is_empty() {
            return Ok(());
        }
        self.update()
    }

    #[cold]
    #[inline(never)]
    fn update(&mut self) -> Result<(), ClientError> {
        let added = self.poll_adds();
        self.copy_control();
        let now = Instant::now();
        // Until a statistics counter is ready, `updated` stays unset: the first figures go
        // out at the check that finds one ready.
        if self.updated.is_none_or(|at| now.duration_since(at) >= UPDATE_PERIOD) && self.publish_stats() {
            self.updated = Some(now);
        }
        added
    }

    /// Polls the counters being added; the first failure is returned (and that counter
    /// dropped: it is not tried again).
    fn poll_adds(&mut self) -> Result<(), ClientError> {
        let mut failed = None;
        let control_status = self.control.as_ref().map(IdleControl::status);
        self.counters.retain_mut(|counter| {
            let State::Adding(pending) = &counter.state else { return true };
            match pending.poll() {
                Ok(None) => true,
                Ok(Some(ready)) => {
                    if let (Use::Control, Some(status)) = (counter.usage, control_status) {
                        // The counter starts at the control's status, so that it shows the
                        // mode in force and changes it only when someone writes another.
                        store(&ready, status);
                        self.control_seen = status;
                    }
                    counter.state = State::Ready(ready);
                    true
                }
                Err(e) => {
                    let source = AeronCallError::client("aeron_async_add_counter_poll", e);
                    failed.get_or_insert(ClientError::CounterAdd {
                        label: std::mem::take(&mut counter.label),
                        source,
                    });
                    false
                }
            }
        });
        failed.map_or(Ok(()), Err)
    }

    /// Copies a status written to the control counter into the [`IdleControl`], or one set
    /// on the [`IdleControl`] in this process into the counter: whichever changed since the
    /// last copy, the counter first when both did.
    fn copy_control(&mut self) {
        let Some(control) = &self.control else { return };
        let Some(counter) = self.ready(Use::Control) else { return };
        let seen = self.control_seen;
        // Relaxed: the status is the only data passed, so no ordering with other memory is
        // needed; coherence alone makes a write of another process visible to a later load.
        let written = counter.addr_atomic().load(Ordering::Relaxed);
        if written != seen {
            control.set_status(written);
            self.control_seen = written;
            return;
        }
        let set = control.status();
        if set != seen {
            // A compare-exchange, so that a status written from outside between the load
            // above and this store is not overwritten: it is taken on the next update.
            // Relaxed, as the load above.
            if counter.addr_atomic().compare_exchange(seen, set, Ordering::Relaxed, Ordering::Relaxed).is_ok()
            {
                self.control_seen = set;
            }
        }
    }

    /// Copies the runner's current figures into their counters; whether there was one ready.
    fn publish_stats(&self) -> bool {
        let Some(stats) = &self.stats else { return false };
        let figures = stats.read();
        let mut stored = false;
        for counter in &self.counters {
            if let (Use::Stats(figure), State::Ready(ready)) = (counter.usage, &counter.state) {
                store(ready, figure.of(&figures));
                stored = true;
            }
        }
        stored
    }

    fn ready(&self, wanted: Use) -> Option<&AeronCounter> {
        self.counters.iter().find_map(|counter| match &counter.state {
            State::Ready(ready) if counter.usage == wanted => Some(ready),
            _ => None,
        })
    }

    /// Publishes the final figures and closes every counter, on the agent thread; returns the
    /// first failure. Counters still being added are cancelled by dropping them.
    pub(crate) fn close(&mut self) -> Result<(), ClientError> {
        self.copy_control();
        let _ = self.publish_stats();
        let mut first = None;
        for Counter { label, state, .. } in self.counters.drain(..) {
            if let State::Ready(ready) = state {
                if let Err(e) = ready.close() {
                    let source = AeronCallError::client("aeron_counter_close", e);
                    first.get_or_insert(ClientError::CounterClose { label, source });
                }
            }
        }
        self.release();
        first.map_or(Ok(()), Err)
    }

    /// Gives up this thread's statistics, so that a later agent on it may publish them.
    fn release(&mut self) {
        if std::mem::take(&mut self.claimed) {
            // `try_with`: at thread exit the slot may be gone, and with it the claim.
            let _ = STATS_PUBLISHED.try_with(|published| published.set(false));
        }
        self.stats = None;
    }
}

impl Drop for AgentCounters {
    fn drop(&mut self) {
        self.release();
    }
}

impl fmt::Debug for AgentCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentCounters")
            .field("publish_stats", &self.publish_stats)
            .field("control", &self.control)
            .field("counters", &self.counters.len())
            .finish()
    }
}

/// Stores `value` in `counter`, as Aeron's `aeron_counter_set_release` does. The value is
/// the only data passed; Release keeps the stores of successive updates in order for a
/// reader that loads with acquire (Aeron's `getVolatile`).
fn store(counter: &AeronCounter, value: i64) {
    counter.addr_atomic().store(value, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_become_counter_values_saturating_at_i64_max() {
        let mut stats = DutyCycleStats::default();
        stats.duty_cycles = u64::MAX;
        stats.total_work = 7;
        stats.max_cycle = Some(Duration::from_micros(3));
        let values: Vec<i64> = Figure::COUNTED.iter().chain(&Figure::TIMED).map(|f| f.of(&stats)).collect();
        assert_eq!(values, [i64::MAX, 7, 0, 0, 3_000, 0]);
    }

    #[test]
    fn every_figure_has_its_own_type_id_and_name() {
        let figures: Vec<Figure> = Figure::COUNTED.iter().chain(&Figure::TIMED).copied().collect();
        let mut ids: Vec<i32> = figures.iter().map(|f| f.type_id()).collect();
        ids.push(IDLE_CONTROL_COUNTER_TYPE_ID);
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.iter().all(|id| *id >= 1000), "Aeron keeps ids below 1000");
        assert!(figures.iter().all(|f| f.name().starts_with("dutycycle ")));
    }
}
