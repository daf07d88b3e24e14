//! Scenario 3: duty-cycle overhead. Iterations per second of a runner whose `do_work` does
//! almost nothing (one increment), with statistics off, counters (the default) and timed,
//! against a hand-written loop that calls the same `do_work` and idle strategy.
//!
//! The agent itself timestamps every 2^18th iteration (a branch that is almost never taken),
//! so the rate is measured from inside the loop, warm-up excluded, and is the same code in
//! every variant. A variant's rate in a round is the median over the windows between two
//! marks (a quarter of a millisecond each): a window in which the host ran something else on
//! the CPU is slow, and the median leaves those out, so that two loops that run at the same
//! speed measure the same on a busy host too.
//!
//! The host also changes the core's clock, in steps of a few percent, more than the difference
//! this scenario looks for. So each mark also times a chain of dependent additions of a known
//! number of core clocks ([`core_clock_probe`]), and each window's rate is also given in
//! iterations per core clock: the per-round comparison of the runner with the hand-written
//! loop is made at the same clock, whichever clock each happened to run at.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, BusySpinIdleStrategy, IdleStrategy, Statistics};

use super::{Ctx, Flag};
use crate::clock::{clocks_per_tick, core_clock_probe, ticks};
use crate::cpu::spawn_pinned;
use crate::progress::Progress;
use crate::report::{Results, Row, Target, Unit};
use crate::CPU_B;

/// Iterations between two marks: 2^18 (a window of about a tenth of a millisecond for the fast
/// variants), and 2^12 for the timed runner, whose iterations are about 50 times slower, so
/// that its windows are as short and a window the host interrupted is as rare.
const MARK_MASK: u64 = (1 << 18) - 1;
const MARK_MASK_TIMED: u64 = (1 << 12) - 1;

/// One mark of the agent: its count, and the TSC before and after a [`core_clock_probe`].
#[derive(Debug, Clone, Copy)]
struct Mark {
    n: u64,
    probe_began: u64,
    probe_ended: u64,
}

impl Mark {
    /// The core's clocks per tick during this mark's probe.
    fn clocks_per_tick(&self) -> f64 {
        clocks_per_tick(self.probe_ended - self.probe_began)
    }
}

/// The trivial agent: counts, and marks every `MASK + 1` iterations. The mask is a constant: as
/// a field, the hand-written loop (whose Acquire load of its stop flag keeps the compiler from
/// hoisting later loads) read it from memory every iteration and ran at a third of its speed.
struct Counting<const MASK: u64> {
    n: u64,
    marks: Vec<Mark>,
    out: Arc<Mutex<Vec<Mark>>>,
}

impl<const MASK: u64> Counting<MASK> {
    fn new(out: Arc<Mutex<Vec<Mark>>>) -> Self {
        Counting { n: 0, marks: Vec::with_capacity(1 << 16), out }
    }

    #[cold]
    #[inline(never)]
    fn mark(&mut self) {
        if self.marks.len() < self.marks.capacity() {
            let probe_began = ticks();
            core_clock_probe();
            let probe_ended = ticks();
            self.marks.push(Mark { n: self.n, probe_began, probe_ended });
        }
    }
}

impl<const MASK: u64> Agent for Counting<MASK> {
    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.n += 1;
        if self.n & MASK == 0 {
            self.mark();
        }
        Ok(1)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        *self.out.lock().expect("marks") = std::mem::take(&mut self.marks);
        Ok(())
    }
}

/// The loop a user would write around the same agent and idle strategy: the baseline. A
/// function of its own, as the runner's loop is, so that both reach the agent the same way.
#[inline(never)]
fn hand_written_loop<A: Agent, I: IdleStrategy>(agent: &mut A, idle: &mut I, stop: &Flag) {
    while !stop.0.load(Ordering::Acquire) {
        match agent.do_work() {
            Ok(work) => idle.idle(work),
            Err(_) => break,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Hand,
    Runner(Statistics),
}

fn measure(variant: Variant, run_for: Duration) -> Vec<Mark> {
    let out = Arc::new(Mutex::new(Vec::new()));
    match variant {
        Variant::Hand => {
            let stop = Arc::new(Flag::default());
            let (flag, slot) = (Arc::clone(&stop), Arc::clone(&out));
            let t = spawn_pinned("hand-loop", CPU_B, move || {
                let mut agent = Counting::<MARK_MASK>::new(slot);
                hand_written_loop(&mut agent, &mut BusySpinIdleStrategy, &flag);
                let _ = agent.on_close();
            });
            std::thread::sleep(run_for);
            stop.0.store(true, Ordering::Release);
            t.join().expect("hand-written loop");
        }
        Variant::Runner(statistics) => {
            let slot = Arc::clone(&out);
            let builder = AgentRunner::builder()
                .name("overhead")
                .core(CPU_B)
                .idle_strategy(BusySpinIdleStrategy)
                .statistics(statistics);
            let runner = match statistics {
                Statistics::Timed { .. } => builder.start(move || Ok(Counting::<MARK_MASK_TIMED>::new(slot))),
                _ => builder.start(move || Ok(Counting::<MARK_MASK>::new(slot))),
            }
            .expect("start runner");
            std::thread::sleep(run_for);
            runner.close().expect("runner");
        }
    }
    let marks = std::mem::take(&mut *out.lock().expect("marks"));
    marks
}

/// A window between two consecutive marks: its rate in iterations per second and per core
/// clock (the clock as the two marks' probes measured it, on average).
#[derive(Debug, Clone, Copy)]
struct Window {
    per_second: f64,
    per_clock: f64,
}

/// The windows between consecutive marks, after `warm` of the run. A window runs from the end
/// of one mark's probe to the start of the next one's: the loop alone.
fn windows(marks: &[Mark], warm: Duration, ns_per_tick: f64) -> Vec<Window> {
    let Some(first) = marks.first() else { return Vec::new() };
    let warm_ticks = (warm.as_nanos() as f64 / ns_per_tick) as u64;
    marks
        .windows(2)
        .filter(|w| w[0].probe_began >= first.probe_began + warm_ticks && w[1].probe_began > w[0].probe_ended)
        .map(|w| {
            let iterations = (w[1].n - w[0].n) as f64;
            let ticks = (w[1].probe_began - w[0].probe_ended) as f64;
            let clocks_per_tick = (w[0].clocks_per_tick() + w[1].clocks_per_tick()) / 2.0;
            Window {
                per_second: iterations / (ticks * ns_per_tick) * 1e9,
                per_clock: iterations / (ticks * clocks_per_tick),
            }
        })
        .collect()
}

/// The rate that `fraction` of the windows reach or beat.
fn rate_reached_by(mut windows: Vec<f64>, fraction: f64) -> f64 {
    windows.sort_by(f64::total_cmp);
    if windows.is_empty() {
        return f64::NAN;
    }
    let i = ((windows.len() as f64) * (1.0 - fraction)) as usize;
    windows[i.min(windows.len() - 1)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

const VARIANTS: [(Variant, &str); 4] = [
    (Variant::Hand, "hand-written loop"),
    (Variant::Runner(Statistics::Off), "runner, statistics Off"),
    (Variant::Runner(Statistics::Counters), "runner, statistics Counters"),
    (Variant::Runner(Statistics::Timed { threshold: Duration::from_millis(1) }), "runner, statistics Timed"),
];

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    rounds(ctx) * slices(ctx) * VARIANTS.len()
}

/// Slices per variant and round: many short ones, so that a change of the core's clock or a
/// burst of the host's load, which last tens of milliseconds, falls on every variant alike.
fn slices(ctx: &Ctx) -> usize {
    ctx.mode.pick(6, 10)
}

fn rounds(ctx: &Ctx) -> usize {
    ctx.mode.pick(5, 8)
}

/// Runs scenario 3: rounds of the four variants on CPU 1. A round runs each variant in
/// several short slices, interleaved (every other pass in reverse order), so that whatever
/// else the host does during the round falls on every variant alike; a variant's figure for
/// the round is the rate that a tenth of its windows reach (its speed when the CPU is its
/// own). Each figure is the median over the rounds, and each round's ratio of the default
/// runner to the hand-written loop is a row of its own.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let (rounds, slices) = (rounds(ctx), slices(ctx));
    let slice = ctx.mode.pick(Duration::from_millis(60), Duration::from_millis(150));
    let warm = Duration::from_millis(15);
    // Per variant, its figure in each round: per second, and per core clock.
    let mut per_second: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    let mut per_clock: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    for round in 1..=rounds {
        let mut round_windows: Vec<Vec<Window>> = vec![Vec::new(); VARIANTS.len()];
        for pass in 0..slices {
            let mut order: Vec<usize> = (0..VARIANTS.len()).collect();
            if (round + pass) % 2 == 0 {
                order.reverse();
            }
            for i in order {
                let name = VARIANTS[i].1;
                progress.step(&format!("3 duty-cycle overhead: {name}, round {round}/{rounds}"));
                round_windows[i].extend(windows(&measure(VARIANTS[i].0, slice), warm, ctx.ns_per_tick));
            }
        }
        for (i, windows) in round_windows.into_iter().enumerate() {
            per_second[i].push(rate_reached_by(windows.iter().map(|w| w.per_second).collect(), 0.1));
            per_clock[i].push(rate_reached_by(windows.iter().map(|w| w.per_clock).collect(), 0.1));
        }
    }
    let m: Vec<f64> = per_second.iter().cloned().map(median).collect();
    let c: Vec<f64> = per_clock.iter().cloned().map(median).collect();
    let hand = m[0];
    results.rows.push(Row::new(3, "hand-written loop, iterations", hand, Unit::PerSecond));
    for (i, name) in [(1, "runner, statistics Off"), (2, "runner, statistics Counters (default)")] {
        results
            .rows
            .push(Row::new(3, format!("{name}, iterations"), m[i], Unit::PerSecond).vs("hand-written", hand));
    }
    results.rows.push(
        Row::new(3, "runner, statistics Timed (opt-in clock reads), iterations", m[3], Unit::PerSecond)
            .vs("hand-written", hand),
    );
    results.rows.push(Row::new(3, "hand-written loop, iterations per core clock", c[0], Unit::PerClock));
    results.rows.push(
        Row::new(3, "runner, statistics Counters (default), per core clock", c[2], Unit::PerClock)
            .vs("hand-written", c[0])
            .target(Target::RatioAtLeast(1.0)),
    );
    for (round, (&counters, &hand)) in per_clock[2].iter().zip(&per_clock[0]).enumerate() {
        results.rows.push(
            Row::new(
                3,
                format!("round {}: runner, statistics Counters, per core clock", round + 1),
                counters,
                Unit::PerClock,
            )
            .vs("hand-written, same round", hand)
            .target(Target::RatioAtLeast(1.0)),
        );
    }
    results.rows.push(
        Row::new(
            3,
            "runner, statistics Counters vs Off (timing off: no slower), per core clock",
            c[2],
            Unit::PerClock,
        )
        .vs("statistics Off", c[1])
        .target(Target::RatioAtLeast(0.95)),
    );
    for (i, (variant, name)) in VARIANTS.iter().enumerate() {
        let row = Row::new(3, format!("{name}: ns per iteration"), 1e9 / m[i], Unit::Ns);
        results.rows.push(match variant {
            // One clock read per cycle.
            Variant::Runner(Statistics::Timed { .. }) => row.target(Target::AtMost(25.0)),
            _ => row,
        });
    }
    let per_round = |figures: &[Vec<f64>], scale: f64, decimals: usize| {
        VARIANTS
            .iter()
            .zip(figures)
            .map(|((_, name), rounds)| {
                let rounds: Vec<String> =
                    rounds.iter().map(|x| format!("{:.*}", decimals, x / scale)).collect();
                format!("{name}: [{}]", rounds.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    results.notes.push(format!("scenario 3 rates per round (M/s): {}", per_round(&per_second, 1e6, 1)));
    results
        .notes
        .push(format!("scenario 3 iterations per core clock per round: {}", per_round(&per_clock, 1.0, 4)));
}
