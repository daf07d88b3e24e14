//! The duty cycle: the loop that checks the stop flag, calls `do_work`, records and idles.

use super::builder::ErrorHandler;
use super::state::{StopCause, StopFlag};
use super::stats::{Published, Recorder, Totals};
use crate::parker::Parker;
use crate::{Agent, AgentError, AgentFailure, Ending, ErrorAction, IdleStrategy};

/// Cycles per half of a turn of the outer loop; a turn is two loops of this many cycles. The
/// compiler unrolls such a loop for a small agent (a loop of twice as many cycles it does not),
/// so that counting a cycle costs nothing per cycle and the checkpoint test is paid once per
/// turn: with the test in every cycle, the overhead benchmark's loop ran at half the speed of a
/// hand-written one; with turns of 16 cycles, at 0.986 times; with turns of 32, 1.015 times
/// (at the same core clock).
const CYCLES_PER_HALF_TURN: u64 = 16;

/// The published statistics are refreshed every this many cycles, and before every idle call
/// that may park.
const CHECKPOINT_CYCLES: u64 = 64;

// The checkpoint test runs once per turn.
const _: () = assert!(CHECKPOINT_CYCLES % (2 * CYCLES_PER_HALF_TURN) == 0);

/// What the duty cycle runs: one agent, its idle strategy and how it stops.
pub(super) struct DutyCycle<'a, A, I> {
    pub(super) agent: &'a mut A,
    /// The agent's role, for the error handler.
    pub(super) role: &'a str,
    pub(super) idle: &'a mut I,
    pub(super) stop: &'a StopFlag,
    /// What the idle strategy parks on: the runner's own, which only its stop and waker end.
    pub(super) parker: &'a Parker,
    pub(super) published: &'a Published,
    pub(super) error_handler: &'a mut ErrorHandler,
}

impl<A: Agent, I: IdleStrategy> DutyCycle<'_, A, I> {
    /// Runs the duty cycle until the agent is asked to stop or ends itself, recording with
    /// `recorder` into `totals` (on every exit, a panic's too). Generic over the agent, the
    /// idle strategy and the recorder, so nothing in the loop is a dynamic call; the error
    /// handler is called out of line, on errors only.
    #[inline(never)]
    pub(super) fn run<R: Recorder>(self, recorder: R, totals: &mut Totals) -> Ending {
        let DutyCycle { agent, role, idle, stop, parker, published, error_handler } = self;
        let parks = idle.parks();
        let mut totals = WriteBack::new(totals);
        let mut began = recorder.mark();
        // One cycle. A macro rather than a method, so that its early returns end `run`: written
        // as a method returning the ending, the compiler no longer unrolled the loops below.
        macro_rules! cycle {
            () => {
                if stop.is_set() {
                    return stopped(stop);
                }
                let work = match agent.do_work() {
                    Ok(work) => work,
                    Err(error) => match handle_error(error, role, published, error_handler) {
                        None => 0,
                        Some(ending) => {
                            // Every call of `do_work` is a cycle, the one that ends the agent too.
                            totals.count(0);
                            recorder.end(began, &mut totals);
                            return ending;
                        }
                    },
                };
                totals.count(work);
                // The end of this cycle is the beginning of the next: one clock read when timed.
                began = recorder.end(began, &mut totals);
                if parks && work == 0 {
                    // Before an idle call that may park: a reader is never a park behind.
                    recorder.publish(published, &totals);
                    // It parks on the runner's parker, which code in `do_work` cannot consume.
                    parker.idle_with(|| idle.idle(0));
                    // A park is no part of the next cycle.
                    began = recorder.mark();
                } else {
                    idle.idle(work);
                }
            };
        }
        loop {
            for _ in 0..CYCLES_PER_HALF_TURN {
                cycle!();
            }
            for _ in 0..CYCLES_PER_HALF_TURN {
                cycle!();
            }
            if totals.duty_cycles % CHECKPOINT_CYCLES == 0 {
                recorder.publish(published, &totals);
            }
        }
    }
}

/// The ending of an agent whose stop was requested (with the Acquire fence that makes what
/// the stopping thread wrote visible). Out of the hot loop.
#[cold]
#[inline(never)]
fn stopped(stop: &StopFlag) -> Ending {
    stop.cause().map_or(Ending::Closed, StopCause::ending)
}

/// An error from `do_work`: the end of the agent for [`AgentError::terminate`]; counted, and
/// the end of the agent for [`AgentError::fail`]; otherwise counted and passed to the handler,
/// which says whether the duty cycle goes on or the error ends the agent. Out of the hot loop.
#[cold]
#[inline(never)]
pub(super) fn handle_error(
    error: AgentError,
    role: &str,
    published: &Published,
    handler: &mut ErrorHandler,
) -> Option<Ending> {
    if error.is_terminate() {
        return Some(Ending::Terminated);
    }
    published.add_error();
    if error.is_failure() {
        return Some(Ending::Failed(AgentFailure::Error(error)));
    }
    match handler(role, &error) {
        ErrorAction::Continue => None,
        ErrorAction::Stop => Some(Ending::Failed(AgentFailure::Error(error))),
    }
}

/// The duty cycle's totals, kept by value in its frame (registers: through a reference they
/// would be a load and a store each cycle) and written back to `out` when dropped: at the
/// loop's end, or while a panic unwinds out of it.
struct WriteBack<'a> {
    totals: Totals,
    out: &'a mut Totals,
}

impl<'a> WriteBack<'a> {
    fn new(out: &'a mut Totals) -> Self {
        WriteBack { totals: *out, out }
    }
}

impl std::ops::Deref for WriteBack<'_> {
    type Target = Totals;
    fn deref(&self) -> &Totals {
        &self.totals
    }
}

impl std::ops::DerefMut for WriteBack<'_> {
    fn deref_mut(&mut self) -> &mut Totals {
        &mut self.totals
    }
}

impl Drop for WriteBack<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        *self.out = self.totals;
    }
}
