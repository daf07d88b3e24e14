//! The Aeron counters an [`AeronAgent`](crate::AeronAgent) keeps in its media driver's CnC
//! file: its own duty-cycle statistics, which AeronStat shows, and an idle control an
//! operator writes from another process.
//!
//! Every counter is added, updated and closed by the agent, on its thread, through its client:
//! nothing outside the agent holds a pointer into the CnC file. The agent counts its figures
//! itself, from the results of its own `do_work` calls, as the runner counts its cycles: so
//! each agent of a composite has its own, and an agent the runner runs alone has the
//! runner's. They are copied into their counters, and the control into the shared
//! [`IdleControl`], on every [`UPDATE_CHECK_CYCLES`]th call at most once per
//! [`UPDATE_PERIOD`] (the control on every check). A call pays a few increments of plain
//! integers and one branch; under [`Statistics::Timed`] two clock reads more.

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dutycycle::{AgentError, IdleControl, OsThreadName, Statistics, StatsReader};
use rusteron_client::{AeronAsyncAddCounter, AeronCounter};

use crate::{AeronCallError, AeronClient, ClientError};

/// Type id of the counter of an agent's duty cycles: its `do_work` calls that returned, as
/// [`DutyCycleStats::duty_cycles`](dutycycle::DutyCycleStats::duty_cycles) counts a runner's.
/// Aeron keeps type ids below 1000 for itself.
pub const DUTY_CYCLES_COUNTER_TYPE_ID: i32 = 7700;
/// Type id of the counter of the work an agent's `do_work` returned, summed
/// ([`DutyCycleStats::total_work`](dutycycle::DutyCycleStats::total_work)).
pub const TOTAL_WORK_COUNTER_TYPE_ID: i32 = 7701;
/// Type id of the counter of an agent's duty cycles without work: its `do_work` returned 0 or
/// an error ([`DutyCycleStats::idle_cycles`](dutycycle::DutyCycleStats::idle_cycles)).
pub const IDLE_CYCLES_COUNTER_TYPE_ID: i32 = 7702;
/// Type id of the counter of errors an agent's `do_work` returned, a terminate not counted
/// ([`DutyCycleStats::errors`](dutycycle::DutyCycleStats::errors)).
pub const ERRORS_COUNTER_TYPE_ID: i32 = 7703;
/// Type id of the counter of an agent's longest `do_work` call in nanoseconds; added only
/// when the runner times its cycles ([`Statistics::Timed`]).
pub const MAX_CYCLE_NS_COUNTER_TYPE_ID: i32 = 7704;
/// Type id of the counter of an agent's `do_work` calls longer than the runner's threshold;
/// added only when the runner times its cycles ([`Statistics::Timed`]).
pub const SLOW_CYCLES_COUNTER_TYPE_ID: i32 = 7705;
/// Type id of the idle control counter: an Agrona status value (0 not controlled, 1 no-op,
/// 2 busy-spin, 3 yield, 4 park) that another process writes to switch the agent's
/// [`ControllableIdleStrategy`](dutycycle::ControllableIdleStrategy).
pub const IDLE_CONTROL_COUNTER_TYPE_ID: i32 = 7710;

/// Duty cycles between two checks of whether the counters are due.
const UPDATE_CHECK_CYCLES: u64 = 16;
/// The statistics counters are updated at most this often.
const UPDATE_PERIOD: Duration = Duration::from_millis(100);

/// An agent's own duty-cycle figures, counted as the runner counts its own (see
/// [`DutyCycleStats`](dutycycle::DutyCycleStats)): plain integers of the agent's, which only
/// its thread touches.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Figures {
    duty_cycles: u64,
    total_work: u64,
    idle_cycles: u64,
    errors: u64,
    max_cycle_ns: u64,
    slow_cycles: u64,
}

impl Figures {
    /// Counts one `do_work` call that returned `result`.
    #[inline(always)]
    fn count(&mut self, result: &Result<usize, AgentError>) {
        self.duty_cycles += 1;
        match result {
            Ok(work) => {
                self.total_work = self.total_work.saturating_add(*work as u64);
                self.idle_cycles += u64::from(*work == 0);
            }
            Err(error) => self.count_error(error),
        }
    }

    /// An error is a cycle without work, and an error unless it is a terminate.
    #[cold]
    fn count_error(&mut self, error: &AgentError) {
        self.idle_cycles += 1;
        self.errors += u64::from(!error.is_terminate());
    }

    /// Counts one call's time against `threshold_ns`.
    #[inline(always)]
    fn time(&mut self, ns: u64, threshold_ns: u64) {
        self.max_cycle_ns = self.max_cycle_ns.max(ns);
        self.slow_cycles += u64::from(ns > threshold_ns);
    }
}

/// One of the figures, as a counter.
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

    fn of(self, figures: &Figures) -> i64 {
        let value = match self {
            Figure::DutyCycles => figures.duty_cycles,
            Figure::TotalWork => figures.total_work,
            Figure::IdleCycles => figures.idle_cycles,
            Figure::Errors => figures.errors,
            Figure::MaxCycleNs => figures.max_cycle_ns,
            Figure::SlowCycles => figures.slow_cycles,
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
    /// The agent's own figures, counted on every call from the first on.
    figures: Figures,
    /// The runner's slow-cycle threshold, when the agent times its calls.
    threshold_ns: Option<u64>,
    /// The control status last seen in both the counter and the [`IdleControl`].
    control_seen: i64,
    updated: Option<Instant>,
}

impl AgentCounters {
    /// Counters that publish the agent's statistics (when `publish_stats`) and bind
    /// `control`, once started.
    pub(crate) fn new() -> Self {
        AgentCounters {
            publish_stats: true,
            control: None,
            counters: Vec::new(),
            figures: Figures::default(),
            threshold_ns: None,
            control_seen: 0,
            updated: None,
        }
    }

    pub(crate) fn set_publish_stats(&mut self, publish: bool) {
        self.publish_stats = publish;
    }

    pub(crate) fn set_control(&mut self, control: IdleControl) {
        self.control = Some(control);
    }

    /// Starts adding the counters, on the agent thread: the agent's statistics, in the
    /// runner's [`Statistics`] mode (none when it is off; the counted figures outside a
    /// runner, as under its default), and the control.
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
        let statistics = StatsReader::current().map_or(Statistics::Counters, |stats| stats.statistics());
        if self.publish_stats && statistics != Statistics::Off {
            wanted.extend(Figure::COUNTED.map(Use::Stats));
            if let Statistics::Timed { threshold } = statistics {
                wanted.extend(Figure::TIMED.map(Use::Stats));
                self.threshold_ns = Some(u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX));
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

    /// One duty cycle of the agent, whose own turn is `turn`: runs it and counts its result
    /// (timed, when the runner times its cycles), and on every [`UPDATE_CHECK_CYCLES`]th call
    /// first polls the adds, copies the control and, at most once per [`UPDATE_PERIOD`], the
    /// figures. A failed add is this call's result instead of the turn's (and is counted as
    /// an error, as the runner counts it).
    #[inline]
    pub(crate) fn on_cycle(
        &mut self,
        turn: impl FnOnce() -> Result<usize, AgentError>,
    ) -> Result<usize, AgentError> {
        if let Some(threshold_ns) = self.threshold_ns {
            return self.timed(threshold_ns, turn);
        }
        let result = self.checked(turn);
        self.figures.count(&result);
        result
    }

    /// [`on_cycle`](Self::on_cycle) when the runner times its cycles: out of line, so that the
    /// untimed cycle stays small.
    #[inline(never)]
    fn timed(
        &mut self,
        threshold_ns: u64,
        turn: impl FnOnce() -> Result<usize, AgentError>,
    ) -> Result<usize, AgentError> {
        let start = Instant::now();
        let result = self.checked(turn);
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.figures.count(&result);
        self.figures.time(ns, threshold_ns);
        result
    }

    /// `turn`, after the update when one is due.
    #[inline(always)]
    fn checked(&mut self, turn: impl FnOnce() -> Result<usize, AgentError>) -> Result<usize, AgentError> {
        if self.figures.duty_cycles % UPDATE_CHECK_CYCLES == UPDATE_CHECK_CYCLES - 1
            && !self.counters.is_empty()
        {
            self.update()?;
        }
        turn()
    }

    #[cold]
    #[inline(never)]
    fn update(&mut self) -> Result<(), ClientError> {
        let added = self.poll_adds();
        self.copy_control();
        let now = Instant::now();
        // Until a statistics counter is ready, `updated` stays unset: the first figures go
        // out at the check that finds one ready.
        if self.updated.is_none_or(|at| now.duration_since(at) >= UPDATE_PERIOD) && self.publish_figures() {
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

    /// Copies the agent's figures into their counters; whether there was one ready.
    fn publish_figures(&self) -> bool {
        let mut stored = false;
        for counter in &self.counters {
            if let (Use::Stats(figure), State::Ready(ready)) = (counter.usage, &counter.state) {
                store(ready, figure.of(&self.figures));
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

    /// Copies the control and publishes the figures as they are, on the agent thread: at its
    /// close, so that the final figures show while the logic closes.
    pub(crate) fn publish(&mut self) {
        self.copy_control();
        let _ = self.publish_figures();
    }

    /// Publishes the final figures and closes every counter, on the agent thread; returns the
    /// first failure. Counters still being added are cancelled by dropping them.
    pub(crate) fn close(&mut self) -> Result<(), ClientError> {
        self.publish();
        let mut first = None;
        for Counter { label, state, .. } in self.counters.drain(..) {
            if let State::Ready(ready) = state {
                if let Err(e) = ready.close() {
                    let source = AeronCallError::client("aeron_counter_close", e);
                    first.get_or_insert(ClientError::CounterClose { label, source });
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl fmt::Debug for AgentCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentCounters")
            .field("publish_stats", &self.publish_stats)
            .field("control", &self.control)
            .field("counters", &self.counters.len())
            .field("figures", &self.figures)
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
        let figures =
            Figures { duty_cycles: u64::MAX, total_work: 7, max_cycle_ns: 3_000, ..Figures::default() };
        let values: Vec<i64> = Figure::COUNTED.iter().chain(&Figure::TIMED).map(|f| f.of(&figures)).collect();
        assert_eq!(values, [i64::MAX, 7, 0, 0, 3_000, 0]);
    }

    #[test]
    fn a_call_is_counted_as_the_runner_counts_a_cycle() {
        let mut figures = Figures::default();
        for result in
            [Ok(3), Ok(0), Err(AgentError::msg("failed")), Err(AgentError::terminate()), Ok(usize::MAX)]
        {
            figures.count(&result);
        }
        let expected =
            Figures { duty_cycles: 5, total_work: u64::MAX, idle_cycles: 3, errors: 1, ..Figures::default() };
        assert_eq!(figures, expected);
        figures.time(10, 20);
        figures.time(30, 20);
        figures.time(20, 20);
        assert_eq!((figures.max_cycle_ns, figures.slow_cycles), (30, 1));
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
