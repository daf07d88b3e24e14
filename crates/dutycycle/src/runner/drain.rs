//! The graceful part of a stop: the drain after the duty cycle, and what the report says of it.
//!
//! When the duty cycle ends because a stop was asked for, the agent thread runs, in order:
//!
//! 1. for a member of an [`AgentGroup`](crate::AgentGroup) stopped by the group's latch: more
//!    duty cycles, as before the stop, until every member started after it has finished, so
//!    that a group stops last-started first (`stop_order.rs`), or until its runner's handle asks
//!    it to stop too (the group's close, once it has closed or given up on those members);
//! 2. unless the drain deadline is zero: `on_drain`, then duty cycles until `is_drained` or
//!    the deadline. The built-in parking idle strategies end a park at the deadline
//!    ([`park_period`]), so that the deadline holds under a long park.
//!
//! Then the agent thread closes the agent as after any other end.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

/// The drain deadline of a runner that is not given one: 5 s, as Agrona's default close
/// timeout. An agent that keeps the default [`Agent::is_drained`](crate::Agent::is_drained)
/// never waits for it.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest drain deadline a runner accepts: one hour, as [`MAX_PARK_PERIOD`](crate::MAX_PARK_PERIOD).
/// A longer one is refused by `start` with
/// [`StartError::InvalidDrainTimeout`](crate::StartError::InvalidDrainTimeout).
pub const MAX_DRAIN_TIMEOUT: Duration = Duration::from_secs(3600);

/// How an agent's drain went, in its [`AgentReport`](crate::AgentReport) (see
/// [`Agent::on_drain`](crate::Agent::on_drain) for the drain itself).
///
/// A drain cut short by its deadline is not a clean end: the agent closed holding work it
/// had not finished, so [`AgentReport::is_clean`](crate::AgentReport::is_clean) is `false`
/// and `join`/`close` return the report as an [`AgentFailed`](crate::AgentFailed).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, Drain};
///
/// struct Holding { items: u32 }
/// impl Agent for Holding {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         if self.items == 0 { return Ok(0); }
///         self.items -= 1;
///         Ok(1)
///     }
///     fn is_drained(&self) -> bool { self.items == 0 }
/// }
///
/// // Drained: every item handled before on_close.
/// let report = AgentRunner::start(|| Ok(Holding { items: 10 }))?.close()?;
/// assert!(matches!(report.drain(), Drain::Completed { .. }));
/// assert!(report.drain().to_string().starts_with("drained in "));
///
/// // Never drained: the deadline cuts it short, and the report is not clean.
/// struct Stubborn;
/// impl Agent for Stubborn {
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
///     fn is_drained(&self) -> bool { false }
/// }
/// let deadline = Duration::from_millis(20);
/// let failed = AgentRunner::builder().drain_timeout(deadline).start(|| Ok(Stubborn))?.close().unwrap_err();
/// assert_eq!(failed.report().drain(), &Drain::DeadlineExceeded { deadline });
/// assert_eq!(failed.report().drain().to_string(), "drain cut short by its deadline of 20ms");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drain {
    /// There was no drain: the agent ended before anyone asked it to stop (it ended itself,
    /// failed or panicked), or its runner's drain deadline is zero, or it never started.
    NotRequested,
    /// [`is_drained`](crate::Agent::is_drained) said `true` this long after the drain began
    /// (`on_drain` included). An agent that keeps the default `is_drained` completes at once.
    Completed {
        /// From the start of the drain to the first `true`.
        took: Duration,
    },
    /// The deadline passed before `is_drained` said `true`: the agent was closed holding
    /// work. Not a clean end.
    DeadlineExceeded {
        /// The runner's drain deadline.
        deadline: Duration,
    },
    /// The agent ended otherwise while it drained: `do_work` or `on_drain` returned
    /// [`AgentError::terminate`](crate::AgentError::terminate) or
    /// [`AgentError::fail`](crate::AgentError::fail), the error handler returned
    /// [`ErrorAction::Stop`](crate::ErrorAction::Stop), or agent code panicked. The report's
    /// [`Ending`](crate::Ending) says which.
    Interrupted {
        /// From the start of the drain to its end.
        after: Duration,
    },
}

impl Drain {
    /// Whether the deadline cut the drain short ([`Drain::DeadlineExceeded`]).
    pub fn is_cut_short(&self) -> bool {
        matches!(self, Drain::DeadlineExceeded { .. })
    }
}

impl fmt::Display for Drain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drain::NotRequested => f.write_str("no drain"),
            Drain::Completed { took } => write!(f, "drained in {took:?}"),
            Drain::DeadlineExceeded { deadline } => {
                write!(f, "drain cut short by its deadline of {deadline:?}")
            }
            Drain::Interrupted { after } => write!(f, "drain interrupted after {after:?}"),
        }
    }
}

thread_local! {
    /// The drain deadline of the runner on this thread, while it drains.
    static PARK_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// How long a park asked for `period` may last on this thread: `period`, or less when the
/// runner on this thread drains and its deadline comes sooner. Reads a thread-local; the
/// clock only while a drain runs.
#[inline]
pub(crate) fn park_period(period: Duration) -> Duration {
    match PARK_DEADLINE.with(Cell::get) {
        None => period,
        Some(deadline) => period.min(deadline.saturating_duration_since(Instant::now())),
    }
}

/// Bounds this thread's parks by `deadline` (or an earlier deadline already set) until
/// dropped, when the bound before it comes back: an invoker drained inside a draining runner's
/// agent leaves the runner's deadline in place.
pub(crate) struct ParkDeadline {
    before: Option<Instant>,
}

impl ParkDeadline {
    pub(crate) fn set(deadline: Instant) -> Self {
        let before = PARK_DEADLINE.with(|d| d.replace(Some(d.get().map_or(deadline, |b| b.min(deadline)))));
        ParkDeadline { before }
    }
}

impl Drop for ParkDeadline {
    fn drop(&mut self) {
        PARK_DEADLINE.with(|d| d.set(self.before));
    }
}

#[cfg(not(loom))]
pub(super) use phases::DrainStart;

/// The drain phases themselves, on the runner's real thread (loom does not model it).
#[cfg(not(loom))]
mod phases {
    use std::time::{Duration, Instant};

    use super::{Drain, ParkDeadline};
    use crate::events;
    use crate::runner::duty_cycle::{handle_error, DutyCycle};
    use crate::runner::stats::{Recorder, Totals};
    use crate::runner::stop_order::Seat;
    use crate::{Agent, Ending, IdleStrategy};

    /// When the drain began, if it did: kept outside the agent thread's `catch_unwind`, so
    /// that a report after a panic in the drain can say how long it ran.
    pub(in crate::runner) type DrainStart = Option<Instant>;

    impl<A: Agent, I: IdleStrategy> DutyCycle<'_, A, I> {
        /// The duty cycle with the same agent, idle strategy and handler, borrowed again.
        fn reborrow(&mut self) -> DutyCycle<'_, A, I> {
            DutyCycle {
                agent: self.agent,
                role: self.role,
                idle: self.idle,
                stop: self.stop,
                parker: self.parker,
                published: self.published,
                error_handler: self.error_handler,
            }
        }

        /// The duty cycle; then, if it ended on a stop request, the member's turn in its
        /// group's stop order and the drain. Returns the agent's ending and how its drain went.
        pub(in crate::runner) fn run_then_drain<R: Recorder>(
            mut self,
            recorder: R,
            totals: &mut Totals,
            timeout: Duration,
            seat: Option<&Seat>,
            drain_start: &mut DrainStart,
        ) -> (Ending, Drain) {
            let ending = self.reborrow().run(recorder, totals);
            events::duty_cycle_ended(self.role, &ending);
            if !matches!(ending, Ending::Closed | Ending::LatchSignalled { .. }) {
                return (ending, Drain::NotRequested);
            }
            // The stop is seen: from here on the idle strategy parks again between cycles.
            self.parker.begin_drain();
            if let (Some(seat), Ending::LatchSignalled { .. }) = (seat, &ending) {
                // Until the later members have finished, or the runner's own handle asks too:
                // the group asks a member once it has closed, or given up on, every member
                // started after it. The request wakes the park between these cycles
                // (`RunnerState::request_stop`), as a finishing member does (`Seat::leave`).
                let stop = self.stop;
                let released = |_: &A| stop.asked_by_runner() || seat.later_members_finished();
                if let Some(own_end) = self.cycle_until(recorder, totals, released) {
                    return (own_end, Drain::NotRequested);
                }
            }
            if timeout.is_zero() {
                return (ending, Drain::NotRequested);
            }
            events::drain_begun(self.role);
            let began = Instant::now();
            *drain_start = Some(began);
            // A deadline past the clock's range (not possible below MAX_DRAIN_TIMEOUT) is none.
            let deadline = began.checked_add(timeout);
            let _parks = deadline.map(ParkDeadline::set);
            let role = self.role;
            let interrupted = |own_end| {
                let drain = Drain::Interrupted { after: began.elapsed() };
                events::drain_ended(role, &drain);
                (own_end, drain)
            };
            if let Err(error) = self.agent.on_drain() {
                if let Some(own_end) = handle_error(error, self.role, self.published, self.error_handler) {
                    return interrupted(own_end);
                }
            }
            let mut outcome = Drain::DeadlineExceeded { deadline: timeout };
            let own_end = self.cycle_until(recorder, totals, |agent| {
                if agent.is_drained() {
                    outcome = Drain::Completed { took: began.elapsed() };
                    return true;
                }
                deadline.is_some_and(|deadline| Instant::now() >= deadline)
            });
            match own_end {
                Some(own_end) => interrupted(own_end),
                None => {
                    events::drain_ended(self.role, &outcome);
                    (ending, outcome)
                }
            }
        }

        /// Duty cycles (`do_work`, record, idle) until `done` holds, asked before each; the
        /// ending if the agent ended otherwise first (terminate, an error the handler stops
        /// on). The stop flag is not checked: the stop has been asked for already.
        fn cycle_until<R: Recorder>(
            &mut self,
            recorder: R,
            totals: &mut Totals,
            mut done: impl FnMut(&A) -> bool,
        ) -> Option<Ending> {
            let mut began = recorder.mark();
            loop {
                if done(self.agent) {
                    return None;
                }
                let work = match self.agent.do_work() {
                    Ok(work) => work,
                    Err(error) => {
                        let own_end = handle_error(error, self.role, self.published, self.error_handler);
                        // Every do_work call is a cycle, the one that ended the agent too.
                        totals.count(0);
                        recorder.end(began, totals);
                        if own_end.is_some() {
                            return own_end;
                        }
                        recorder.publish(self.published, totals);
                        let idle = &mut *self.idle;
                        self.parker.idle_with(|| idle.idle(0));
                        began = recorder.mark();
                        continue;
                    }
                };
                totals.count(work);
                began = recorder.end(began, totals);
                recorder.publish(self.published, totals);
                if work == 0 && self.idle.parks() {
                    // On the runner's parker, which wakers reach and `do_work` cannot consume.
                    let idle = &mut *self.idle;
                    self.parker.idle_with(|| idle.idle(0));
                    began = recorder.mark();
                } else {
                    self.idle.idle(work);
                }
            }
        }
    }
}
