//! [`DutyCadence`]: on which of an agent's duty cycles Aeron's own duty runs.

use std::fmt;

/// On which of an agent's duty cycles Aeron's own duty runs: the client conductor of an
/// [`AeronAgent`](crate::AeronAgent) (`aeron_main_do_work`, with
/// [`ConductorMode::Invoker`](crate::ConductorMode::Invoker)) or the driver duty cycle of a
/// [`MediaDriverAgent`](crate::MediaDriverAgent) (`aeron_driver_main_do_work`).
///
/// Aeron's duty is bookkeeping beside the data path: messages go through the log buffers
/// without it (IPC entirely; over UDP the driver's sender and receiver carry them), while it
/// sends keep-alives, completes adds, reports images coming and going. Each run reads the
/// clock and polls Aeron's command and broadcast buffers, tens of nanoseconds on a duty cycle
/// that otherwise polls one image: run on every cycle of a spinning agent, it sits between a
/// message's arrival and the poll that sees it. [`every(n)`](DutyCadence::every) runs it on a
/// cycle when any of these holds:
///
/// - `n` duty cycles have passed since it last ran (so it runs at least every `n` cycles:
///   keep-alives, and events on an agent that stays busy or stays idle);
/// - it did work when it last ran (a duty with work in hand goes on until it has none: an
///   add's command and answer, a burst of driver traffic);
/// - for an [`AeronAgent`](crate::AeronAgent): the logic did work on the previous cycle and
///   none on this one. Whatever the work set in motion (an offer, an add) is serviced at once,
///   in the time before an answer can come back: in a ping-pong that is the dead time after
///   each send.
///
/// What a reader may conclude: control events (an add completing, an image event, an error
/// the conductor reports) reach the logic at most `n` duty cycles late, more when the logic
/// keeps working; on an agent that parks between cycles that is `n` parks, so give a long
/// park a small `n`. The conductor must run at least once per client liveness timeout (Aeron's
/// default 10 s) or the driver drops the client: `n` duty cycles must never take that long.
///
/// [`AeronAgent`](crate::AeronAgent) runs its conductor [`every(16)`](DutyCadence::every) by
/// default ([`DutyCadence::CLIENT_DEFAULT`]). A [`MediaDriverAgent`](crate::MediaDriverAgent)
/// runs its duty on [every cycle](DutyCadence::EVERY_CYCLE) by default, as it must on a runner
/// of its own (a skipped cycle does no work, so the runner's idle strategy would idle, and a
/// parking one park, between the driver's turns); composed with a busy agent in a
/// [`CompositeAgent`](dutycycle::CompositeAgent) on one core, give it a cadence with
/// [`MediaDriverAgent::with_cadence`](crate::MediaDriverAgent::with_cadence).
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::DutyCadence;
///
/// assert_eq!(DutyCadence::CLIENT_DEFAULT, DutyCadence::every(16));
/// assert_eq!(DutyCadence::every(1), DutyCadence::EVERY_CYCLE);
/// assert_eq!(DutyCadence::every(0), DutyCadence::EVERY_CYCLE); // 0 means every cycle too
/// assert_eq!(DutyCadence::every(64).interval(), 64);
/// assert_eq!(DutyCadence::every(64).to_string(), "every 64th duty cycle");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DutyCadence {
    interval: u32,
}

impl DutyCadence {
    /// Aeron's duty on every duty cycle.
    pub const EVERY_CYCLE: DutyCadence = DutyCadence { interval: 1 };

    /// What an [`AeronAgent`](crate::AeronAgent) uses unless told otherwise: every 16th duty
    /// cycle, and after the logic's work as described on [`DutyCadence`]. On a spinning agent
    /// 16 cycles are about a microsecond; on an agent that parks up to 1 ms between idle
    /// cycles (Aeron's backoff), at most 16 ms.
    pub const CLIENT_DEFAULT: DutyCadence = DutyCadence { interval: 16 };

    /// Aeron's duty at least every `n`-th duty cycle, and on the cycles named on
    /// [`DutyCadence`]. `n` = 0 and `n` = 1 both mean every cycle.
    pub const fn every(n: u32) -> DutyCadence {
        DutyCadence { interval: if n == 0 { 1 } else { n } }
    }

    /// The longest run of duty cycles without Aeron's duty (1: every cycle).
    pub const fn interval(self) -> u32 {
        self.interval
    }
}

impl Default for DutyCadence {
    /// [`DutyCadence::CLIENT_DEFAULT`].
    fn default() -> Self {
        DutyCadence::CLIENT_DEFAULT
    }
}

impl fmt::Display for DutyCadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.interval {
            1 => f.write_str("every duty cycle"),
            n => write!(f, "every {n}th duty cycle"),
        }
    }
}

/// The running state of a [`DutyCadence`] in one agent: decides, once per duty cycle, whether
/// Aeron's duty runs on it.
#[derive(Debug, Clone)]
pub(crate) struct CadenceState {
    interval: u32,
    /// Duty cycles since Aeron's duty last ran.
    since: u32,
    /// Whether the other work (the logic's) was busy on the previous cycle.
    other_was_busy: bool,
    /// Whether Aeron's duty did work when it last ran.
    duty_was_busy: bool,
}

impl CadenceState {
    pub(crate) fn new(cadence: DutyCadence) -> Self {
        // Due on the first cycle: whatever the set-up started is serviced at once.
        CadenceState { interval: cadence.interval, since: 0, other_was_busy: false, duty_was_busy: true }
    }

    pub(crate) fn cadence(&self) -> DutyCadence {
        DutyCadence { interval: self.interval }
    }

    /// Whether Aeron's duty runs on this cycle, given the other work done on it (0 where there
    /// is none). When it returns `true` the caller runs the duty and reports its work with
    /// [`ran`](CadenceState::ran).
    #[inline]
    pub(crate) fn due(&mut self, other_work: usize) -> bool {
        self.since += 1;
        let first_idle = other_work == 0 && self.other_was_busy;
        self.other_was_busy = other_work > 0;
        if self.since >= self.interval || self.duty_was_busy || first_idle {
            self.since = 0;
            true
        } else {
            false
        }
    }

    /// Aeron's duty ran and did `work`.
    #[inline]
    pub(crate) fn ran(&mut self, work: usize) {
        self.duty_was_busy = work > 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `cycles` cycles with the other work given by `work(cycle)` and Aeron's duty
    /// idle, returning the cycles on which the duty ran.
    fn runs(cadence: DutyCadence, cycles: u32, work: impl Fn(u32) -> usize) -> Vec<u32> {
        let mut state = CadenceState::new(cadence);
        (0..cycles)
            .filter(|&cycle| {
                let due = state.due(work(cycle));
                if due {
                    state.ran(0);
                }
                due
            })
            .collect()
    }

    #[test]
    fn every_cycle_runs_the_duty_on_every_cycle() {
        assert_eq!(runs(DutyCadence::EVERY_CYCLE, 5, |_| 0), vec![0, 1, 2, 3, 4]);
        assert_eq!(runs(DutyCadence::every(0), 3, |_| 1), vec![0, 1, 2]);
    }

    #[test]
    fn an_idle_agent_runs_the_duty_every_nth_cycle() {
        assert_eq!(runs(DutyCadence::every(4), 13, |_| 0), vec![0, 4, 8, 12]);
    }

    #[test]
    fn a_busy_agent_runs_the_duty_every_nth_cycle() {
        assert_eq!(runs(DutyCadence::every(4), 13, |_| 3), vec![0, 4, 8, 12]);
    }

    #[test]
    fn the_first_idle_cycle_after_work_runs_the_duty() {
        // Work on cycles 1 and 2, idle from 3: the duty runs on 3, then 4 cycles later.
        let work = |cycle| usize::from(cycle == 1 || cycle == 2);
        assert_eq!(runs(DutyCadence::every(4), 9, work), vec![0, 3, 7]);
    }

    #[test]
    fn a_duty_that_did_work_runs_again_on_the_next_cycle() {
        let mut state = CadenceState::new(DutyCadence::every(8));
        assert!(state.due(0));
        state.ran(2);
        assert!(state.due(0), "busy duty goes on");
        state.ran(1);
        assert!(state.due(0), "still busy");
        state.ran(0);
        assert!(!state.due(0), "idle duty waits for its turn");
    }
}
