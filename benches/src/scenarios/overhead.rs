//! Scenario 3: duty-cycle overhead. Iterations per second of a runner whose `do_work` does
//! almost nothing (one increment), with statistics off, counters (the default) and timed,
//! against a hand-written loop that calls the same `do_work` and idle strategy.
//!
//! The agent itself timestamps every 2^18th iteration (a branch that is almost never taken),
//! so the rate is measured from inside the loop, warm-up excluded, and is the same code in
//! every variant.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, BusySpinIdleStrategy, IdleStrategy, Statistics};

use super::{Ctx, Flag};
use crate::clock::ticks;
use crate::cpu::spawn_pinned;
use crate::progress::Progress;
use crate::report::{Results, Row, Target, Unit};
use crate::CPU_B;

const MARK_MASK: u64 = (1 << 18) - 1;

/// The trivial agent: counts, and notes (count, TSC) every 2^18 iterations.
struct Counting {
    n: u64,
    marks: Vec<(u64, u64)>,
    out: Arc<Mutex<Vec<(u64, u64)>>>,
}

impl Counting {
    fn new(out: Arc<Mutex<Vec<(u64, u64)>>>) -> Counting {
        Counting { n: 0, marks: Vec::with_capacity(1 << 16), out }
    }

    #[cold]
    #[inline(never)]
    fn mark(&mut self) {
        if self.marks.len() < self.marks.capacity() {
            self.marks.push((self.n, ticks()));
        }
    }
}

impl Agent for Counting {
    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.n += 1;
        if self.n & MARK_MASK == 0 {
            self.mark();
        }
        Ok(1)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        *self.out.lock().expect("marks") = std::mem::take(&mut self.marks);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Hand,
    Runner(Statistics),
    /// A copy of the runner's duty cycle (see [`model`]): `proposed` keeps the statistics in
    /// a local by value, `stats` publishes them (Counters) or not (Off).
    Model {
        proposed: bool,
        stats: bool,
    },
}

/// A frozen copy of `dutycycle::agent_runner::duty_cycle` as it was before commit d69a512
/// (running totals kept through `local: &mut Local`) and with the change this benchmark
/// proposed and d69a512 made (the totals in a by-value local, written back on exit), to show
/// with numbers what the runner's overhead came from. The runner's types are
/// private, so this uses look-alikes of the same layout: a stop flag on its own cache line,
/// published counters on their own cache line, a `Box<dyn FnMut>` error handler.
pub mod model {
    use std::sync::atomic::{AtomicU64, Ordering};

    use dutycycle::{Agent, AgentError, IdleStrategy};

    use crate::scenarios::Flag;

    /// The agent thread's running totals (`stats::Local`).
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Local {
        duty_cycles: u64,
        total_work: u64,
        idle_cycles: u64,
    }

    /// The published figures (`stats::Counters`).
    #[derive(Debug, Default)]
    #[repr(align(128))]
    pub struct Counters {
        duty_cycles: AtomicU64,
        total_work: AtomicU64,
        idle_cycles: AtomicU64,
        errors: AtomicU64,
    }

    impl Counters {
        #[inline(always)]
        fn publish(&self, local: &Local) {
            self.duty_cycles.store(local.duty_cycles, Ordering::Relaxed);
            self.total_work.store(local.total_work, Ordering::Relaxed);
            self.idle_cycles.store(local.idle_cycles, Ordering::Relaxed);
        }
    }

    /// The error handler's type in the runner.
    pub type Handler = Box<dyn FnMut(&AgentError) + Send>;

    /// The loop as `agent_runner.rs` had it before `d69a512` (totals through `&mut Local`),
    /// kept so that the diagnosis rows show what that commit changed.
    #[inline(never)]
    pub fn as_is<A: Agent, I: IdleStrategy, const STATS: bool>(
        agent: &mut A,
        idle: &mut I,
        stop: &Flag,
        counters: &Counters,
        handler: &mut Handler,
        local: &mut Local,
    ) {
        let publish_mask: u64 = if idle.parks() { 0 } else { 63 };
        loop {
            if stop.0.load(Ordering::Acquire) {
                return;
            }
            let work = match agent.do_work() {
                Ok(work) => work,
                Err(error) => {
                    if error.is_terminate() {
                        return;
                    }
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    handler(&error);
                    0
                }
            };
            local.duty_cycles += 1;
            local.total_work += work as u64;
            local.idle_cycles += u64::from(work == 0);
            if STATS && local.duty_cycles & publish_mask == 0 {
                counters.publish(local);
            }
            idle.idle(work);
        }
    }

    /// The proposed loop: the same, with the totals in a by-value local that the compiler
    /// keeps in registers, written back to `out` when the loop ends.
    #[inline(never)]
    pub fn proposed<A: Agent, I: IdleStrategy, const STATS: bool>(
        agent: &mut A,
        idle: &mut I,
        stop: &Flag,
        counters: &Counters,
        handler: &mut Handler,
        out: &mut Local,
    ) {
        let publish_mask: u64 = if idle.parks() { 0 } else { 63 };
        let mut local = *out;
        loop {
            if stop.0.load(Ordering::Acquire) {
                break;
            }
            let work = match agent.do_work() {
                Ok(work) => work,
                Err(error) => {
                    if error.is_terminate() {
                        break;
                    }
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    handler(&error);
                    0
                }
            };
            local.duty_cycles += 1;
            local.total_work += work as u64;
            local.idle_cycles += u64::from(work == 0);
            if STATS && local.duty_cycles & publish_mask == 0 {
                counters.publish(&local);
            }
            idle.idle(work);
        }
        *out = local;
    }
}

fn measure(variant: Variant, run_for: Duration) -> Vec<(u64, u64)> {
    let out = Arc::new(Mutex::new(Vec::new()));
    match variant {
        Variant::Hand => {
            let stop = Arc::new(Flag::default());
            let (flag, slot) = (Arc::clone(&stop), Arc::clone(&out));
            let t = spawn_pinned("hand-loop", CPU_B, move || {
                let mut agent = Counting::new(slot);
                let mut idle = BusySpinIdleStrategy;
                // The loop a user would write around the same agent and idle strategy.
                while !flag.0.load(Ordering::Acquire) {
                    match agent.do_work() {
                        Ok(work) => idle.idle(work),
                        Err(_) => break,
                    }
                }
                let _ = agent.on_close();
            });
            std::thread::sleep(run_for);
            stop.0.store(true, Ordering::Release);
            t.join().expect("hand-written loop");
        }
        Variant::Runner(statistics) => {
            let slot = Arc::clone(&out);
            let runner = AgentRunner::builder()
                .name("overhead")
                .core(CPU_B)
                .idle_strategy(BusySpinIdleStrategy)
                .statistics(statistics)
                .start(move || Ok(Counting::new(slot)))
                .expect("start runner");
            std::thread::sleep(run_for);
            runner.close().expect("runner");
        }
        Variant::Model { proposed, stats } => {
            let stop = Arc::new(Flag::default());
            let (flag, slot) = (Arc::clone(&stop), Arc::clone(&out));
            let t = spawn_pinned("model-loop", CPU_B, move || {
                let mut agent = Counting::new(slot);
                let mut idle = BusySpinIdleStrategy;
                let counters = model::Counters::default();
                let mut handler: model::Handler = Box::new(|e| eprintln!("{e}"));
                let mut local = model::Local::default();
                let (a, i, c, h, l) = (&mut agent, &mut idle, &counters, &mut handler, &mut local);
                match (proposed, stats) {
                    (false, false) => model::as_is::<_, _, false>(a, i, &flag, c, h, l),
                    (false, true) => model::as_is::<_, _, true>(a, i, &flag, c, h, l),
                    (true, false) => model::proposed::<_, _, false>(a, i, &flag, c, h, l),
                    (true, true) => model::proposed::<_, _, true>(a, i, &flag, c, h, l),
                }
                let _ = agent.on_close();
            });
            std::thread::sleep(run_for);
            stop.0.store(true, Ordering::Release);
            t.join().expect("model loop");
        }
    }
    let marks = std::mem::take(&mut *out.lock().expect("marks"));
    marks
}

/// Iterations per second from the marks, after `warm` of the run.
fn rate(marks: &[(u64, u64)], warm: Duration, ns_per_tick: f64) -> f64 {
    let Some(&(_, t_first)) = marks.first() else { return f64::NAN };
    let warm_ticks = (warm.as_nanos() as f64 / ns_per_tick) as u64;
    let Some(start) = marks.iter().find(|&&(_, t)| t >= t_first + warm_ticks) else { return f64::NAN };
    let end = marks.last().expect("non-empty");
    if end.1 <= start.1 {
        return f64::NAN;
    }
    (end.0 - start.0) as f64 / ((end.1 - start.1) as f64 * ns_per_tick) * 1e9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

const VARIANTS: [(Variant, &str); 8] = [
    (Variant::Hand, "hand-written loop"),
    (Variant::Runner(Statistics::Off), "runner, statistics Off"),
    (Variant::Runner(Statistics::Counters), "runner, statistics Counters"),
    (Variant::Runner(Statistics::Timed { threshold: Duration::from_millis(1) }), "runner, statistics Timed"),
    (Variant::Model { proposed: false, stats: false }, "copy of the loop before d69a512, Off"),
    (Variant::Model { proposed: false, stats: true }, "copy of the loop before d69a512, Counters"),
    (Variant::Model { proposed: true, stats: false }, "copy of the loop, totals by value, Off"),
    (Variant::Model { proposed: true, stats: true }, "copy of the loop, totals by value, Counters"),
];

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    ctx.mode.pick(2, 4) * VARIANTS.len()
}

/// Runs scenario 3: rounds of the four variants, one after the other on CPU 1; each figure is
/// the median over the rounds.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let rounds = ctx.mode.pick(2, 4);
    let run_for = ctx.mode.pick(Duration::from_millis(300), Duration::from_millis(1000));
    let warm = Duration::from_millis(100);
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    for round in 1..=rounds {
        for (i, (variant, name)) in VARIANTS.iter().enumerate() {
            progress.step(&format!("3 duty-cycle overhead: {name}, round {round}/{rounds}"));
            rates[i].push(rate(&measure(*variant, run_for), warm, ctx.ns_per_tick));
        }
    }
    let m: Vec<f64> = rates.iter().cloned().map(median).collect();
    let hand = m[0];
    results.rows.push(Row::new(3, "hand-written loop, iterations", hand, Unit::PerSecond));
    results.rows.push(
        Row::new(3, "runner, statistics Off, iterations", m[1], Unit::PerSecond).vs("hand-written", hand),
    );
    results.rows.push(
        Row::new(3, "runner, statistics Counters (default), iterations", m[2], Unit::PerSecond)
            .vs("hand-written", hand)
            .target(Target::RatioAtLeast(0.95)),
    );
    results.rows.push(
        Row::new(3, "runner, statistics Counters vs Off (timing off: no slower)", m[2], Unit::PerSecond)
            .vs("statistics Off", m[1])
            .target(Target::RatioAtLeast(0.95)),
    );
    results.rows.push(
        Row::new(3, "runner, statistics Timed (opt-in clock reads), iterations", m[3], Unit::PerSecond)
            .vs("hand-written", hand),
    );
    for (i, name) in [(4, "Off"), (5, "Counters")] {
        results.rows.push(
            Row::new(3, format!("diagnosis: copy of the loop before d69a512, {name}"), m[i], Unit::PerSecond)
                .vs("hand-written", hand),
        );
    }
    for (i, name) in [(6, "Off"), (7, "Counters")] {
        results.rows.push(
            Row::new(3, format!("diagnosis: the copy with totals by value, {name}"), m[i], Unit::PerSecond)
                .vs("hand-written", hand),
        );
    }
    for (i, (_, name)) in VARIANTS.iter().enumerate() {
        results.rows.push(Row::new(3, format!("{name}: ns per iteration"), 1e9 / m[i], Unit::Ns));
    }
    results.notes.push(format!(
        "scenario 3 rates per round (M/s): {}",
        VARIANTS
            .iter()
            .zip(&rates)
            .map(|((_, n), r)| format!(
                "{n}: [{}]",
                r.iter().map(|x| format!("{:.1}", x / 1e6)).collect::<Vec<_>>().join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ));
}
