//! Scenario 6: shutdown latency. An idle agent pinned to CPU 1 settles for a pseudo-random
//! 5-25 ms (so samples land at every point of a backoff's ramp and inside long parks); a
//! thread pinned to CPU 0 then signals the runner's `AgentTermination` and times until `join`
//! returns with the report. Baseline: a hand-written pinned thread parked in
//! `park_timeout(1 s)`, stopped by a flag + `unpark` + `join`. Rounds interleave the baseline
//! and every strategy, one stop each.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, IdleStrategy};
use hdrhistogram::Histogram;

use super::{Ctx, Flag, Lcg};
use crate::cpu::spawn_pinned;
use crate::latency::{histogram, record, Latency};
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};
use crate::strategy::{Strategy, WithIdle};
use crate::{CPU_A, CPU_B};

struct Idle;

impl Agent for Idle {
    fn role_name(&self) -> &str {
        "idle"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

/// One stop of an idle agent under a runner, timed from the signal.
struct Sample {
    /// How long the agent idles before the signal.
    settle: Duration,
    /// Spin on `is_running()` after the signal (the stopping CPU stays awake), and also time
    /// the moment the report is ready.
    observe: bool,
}

impl WithIdle for Sample {
    /// Signal to `join` returning; signal to `is_running() == false` when observed.
    type Out = (u64, Option<u64>);

    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Self::Out {
        let termination = AgentTermination::new();
        let runner = AgentRunner::builder()
            .name("idle")
            .core(CPU_B)
            .idle_strategy(idle)
            .termination(termination.clone())
            .start(|| Ok(Idle))
            .expect("start idle agent");
        std::thread::sleep(self.settle);
        let t0 = Instant::now();
        termination.signal();
        let mut ready = None;
        if self.observe {
            while runner.is_running() {
                std::hint::spin_loop();
            }
            ready = Some(t0.elapsed().as_nanos() as u64);
        }
        runner.join().expect("idle agent");
        (t0.elapsed().as_nanos() as u64, ready)
    }
}

/// The baseline: a hand-written pinned thread parked in `park_timeout(1 s)`, stopped by a
/// flag, `unpark` and `join`.
fn hand(settle: Duration) -> u64 {
    let stop = Arc::new(Flag::default());
    let flag = Arc::clone(&stop);
    let t = spawn_pinned("hand-parked", CPU_B, move || {
        while !flag.0.load(Ordering::Acquire) {
            std::thread::park_timeout(Duration::from_secs(1));
        }
    });
    std::thread::sleep(settle);
    let t0 = Instant::now();
    stop.0.store(true, Ordering::Release);
    t.thread().unpark();
    t.join().expect("hand-parked thread");
    t0.elapsed().as_nanos() as u64
}

fn strategies() -> Vec<Strategy> {
    vec![
        Strategy::Spin,
        Strategy::NoOp,
        Strategy::Yield,
        Strategy::SLEEP_NS,
        Strategy::SleepMs(1),
        Strategy::SleepMs(1000),
        Strategy::BACKOFF,
        Strategy::Backoff(Duration::from_micros(1), Duration::from_secs(1)),
        Strategy::BACKOFF_WOKEN,
    ]
}

const HAND: &str = "hand-written: flag + unpark + join";

/// What one round stops once: the baseline, each strategy, and the diagnosis.
#[derive(Debug, Clone, Copy)]
enum Case {
    Hand,
    Runner(Strategy),
    /// Backoff with the stopping thread spinning on `is_running()`.
    Observed,
}

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    samples(ctx) as usize
}

fn samples(ctx: &Ctx) -> u64 {
    ctx.mode.pick(40, 200)
}

/// Runs scenario 6: `samples` rounds, each of which stops the hand-written thread and an
/// agent under every strategy once, in an order that rotates from round to round, so that
/// whatever else the host does falls on every case alike; all from one thread pinned to CPU 0.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let samples = samples(ctx);
    let mut cases = vec![Case::Hand];
    cases.extend(strategies().into_iter().map(Case::Runner));
    cases.push(Case::Observed);
    let n = cases.len();
    let mut labels: Vec<String> = Vec::new();
    for round in 1..=samples {
        labels.push(format!("6 shutdown: round {round}/{samples} of {n} stops"));
    }
    let (joined, ready) = {
        let cases = cases.clone();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let stopper = spawn_pinned("stopper", CPU_A, move || {
            let mut joined: Vec<Histogram<u64>> = (0..cases.len()).map(|_| histogram()).collect();
            let mut ready = histogram();
            let mut rng = Lcg(7);
            for round in 0..samples as usize {
                for k in 0..cases.len() {
                    let i = (round + k) % cases.len();
                    let settle = Duration::from_micros(rng.next_in(5_000, 25_000));
                    let took = match cases[i] {
                        Case::Hand => hand(settle),
                        Case::Runner(strategy) => strategy.with(Sample { settle, observe: false }).0,
                        Case::Observed => {
                            let (took, seen) = Strategy::BACKOFF.with(Sample { settle, observe: true });
                            record(&mut ready, seen.expect("observed"));
                            took
                        }
                    };
                    record(&mut joined[i], took);
                }
                let _ = tx.send(());
            }
            (joined, ready)
        });
        for label in &labels {
            progress.step(label);
            let _ = rx.recv();
        }
        stopper.join().expect("stopper")
    };
    let lat: Vec<Latency> = joined.iter().map(|h| Latency::from_histogram(h, 1.0)).collect();
    let base = lat[0].clone();
    results.distributions.push(Distribution {
        scenario: 6,
        group: "shutdown".into(),
        name: HAND.into(),
        latency: base.clone(),
        cpu_percent: None,
        baseline: true,
    });
    for (case, lat) in cases.iter().zip(&lat).skip(1) {
        let Case::Runner(strategy) = case else { continue };
        results.rows.push(
            Row::new(6, format!("shutdown {} p99", strategy.label()), lat.p99, Unit::Ns)
                .vs("hand-written p99", base.p99)
                .target(Target::RatioAtMost(0.5)),
        );
        results.rows.push(
            Row::new(6, format!("shutdown {} p50", strategy.label()), lat.p50, Unit::Ns)
                .vs("hand-written p50", base.p50),
        );
        results.distributions.push(Distribution {
            scenario: 6,
            group: "shutdown".into(),
            name: strategy.label(),
            latency: lat.clone(),
            cpu_percent: None,
            baseline: false,
        });
    }
    // Where the time goes: the backoff shutdown with the stopping thread spinning instead of
    // waiting in `join`, timing also when the report is ready.
    let observed = [
        ("backoff, stopper spinning: until join returns", lat[n - 1].clone()),
        ("backoff, stopper spinning: until the report is ready", Latency::from_histogram(&ready, 1.0)),
    ];
    for (name, lat) in observed {
        results.rows.push(
            Row::new(6, format!("diagnosis: shutdown {name}, p99"), lat.p99, Unit::Ns)
                .vs("hand-written p99", base.p99),
        );
        results.distributions.push(Distribution {
            scenario: 6,
            group: "shutdown".into(),
            name: format!("diagnosis: {name}"),
            latency: lat,
            cpu_percent: None,
            baseline: false,
        });
    }
}
