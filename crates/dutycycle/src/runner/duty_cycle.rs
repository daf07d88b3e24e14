//! The duty cycle: the loop that calls `do_work` and idles.

use std::time::Instant;

use super::builder::ErrorHandler;
use super::stats::{Counters, Local};
use crate::termination::StopFlag;
use crate::{Agent, AgentError, Ending, IdleStrategy};

pub(super) const OFF: u8 = 0;
pub(super) const COUNTERS: u8 = 1;
pub(super) const TIMED: u8 = 2;

/// The duty cycle. `STATS` is a constant, so each mode compiles to its own loop with the
/// other modes' code gone. The running totals live in `totals`, a by-value local the compiler
/// keeps in registers (through `&mut Local` they would be loads and stores every cycle: a
/// third of the loop's speed in the overhead benchmark); they reach `local` when the loop
/// ends, also by a panic.
#[inline(never)]
pub(super) fn duty_cycle<A: Agent, I: IdleStrategy, const STATS: u8>(
    agent: &mut A,
    idle: &mut I,
    stop: &StopFlag,
    counters: &Counters,
    handler: &mut ErrorHandler,
    local: &mut Local,
    threshold_ns: u64,
) -> Ending {
    // Published every 64 cycles, and before every idle call that may park (after a cycle
    // without work, with a strategy that parks), so that a reader is never more than 63 short
    // cycles or one park behind. Off only checkpoints its own totals, every 64 cycles.
    let parks = STATS != OFF && idle.parks();
    let mut totals = WriteBack { totals: *local, out: local };
    loop {
        let cycle_start = (STATS == TIMED).then(Instant::now);
        if stop.is_set() {
            return Ending::Signalled;
        }
        let work = match agent.do_work() {
            Ok(work) => work,
            Err(error) if error.is_terminate() => return Ending::Terminated,
            Err(error) => handle_error(counters, handler, &error),
        };
        let t = &mut totals.totals;
        t.duty_cycles += 1;
        t.total_work += work as u64;
        t.idle_cycles += u64::from(work == 0);
        if STATS == TIMED {
            if let Some(start) = cycle_start {
                let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                t.max_cycle_ns = t.max_cycle_ns.max(ns);
                t.slow_cycles += u64::from(ns > threshold_ns);
            }
        }
        if t.duty_cycles & 63 == 0 || (parks && work == 0) {
            match STATS {
                // Off checkpoints its totals into the thread's own `Local` instead: that keeps
                // them scalar registers, as in the other modes. With no read of them in the
                // loop, LLVM packed two counters into a vector that it spilled to the stack on
                // every cycle (five times slower in the overhead benchmark).
                OFF => *totals.out = *t,
                _ => {
                    counters.publish(t);
                    if STATS == TIMED {
                        counters.publish_timing(t);
                    }
                }
            }
        }
        idle.idle(work);
    }
}

/// Counts an error from `do_work` and passes it to the handler; out of the hot loop.
#[cold]
#[inline(never)]
fn handle_error(counters: &Counters, handler: &mut ErrorHandler, error: &AgentError) -> usize {
    counters.add_error();
    handler(error);
    0
}

/// The duty cycle's totals, written back to `out` when dropped: at the loop's end, or while a
/// panic unwinds out of it.
struct WriteBack<'a> {
    totals: Local,
    out: &'a mut Local,
}

impl Drop for WriteBack<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        *self.out = self.totals;
    }
}
