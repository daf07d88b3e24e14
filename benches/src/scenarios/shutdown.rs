//! Scenario 6: shutdown latency. An idle agent pinned to CPU 1 settles for a pseudo-random
//! 5-25 ms (so samples land at every point of a backoff's ramp and inside long parks); a
//! thread pinned to CPU 0 then signals the runner's `AgentTermination` and times until `join`
//! returns. Baseline: a hand-written pinned thread parked in `park_timeout(1 s)`, stopped by
//! a flag + `unpark` + `join`.

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

struct Case {
    samples: u64,
    seed: u64,
    /// Spin on `is_running()` after the signal (the stopping CPU stays awake), and also time
    /// the moment the report is ready.
    observe: bool,
}

impl WithIdle for Case {
    /// Signal to `join` returning; signal to `is_running() == false` when observed.
    type Out = (Histogram<u64>, Histogram<u64>);

    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Self::Out {
        spawn_pinned("stopper", CPU_A, move || {
            let mut h = histogram();
            let mut ready = histogram();
            let mut rng = Lcg(self.seed);
            for _ in 0..self.samples {
                let termination = AgentTermination::new();
                let runner = AgentRunner::builder()
                    .name("idle")
                    .core(CPU_B)
                    .idle_strategy(idle.clone())
                    .termination(termination.clone())
                    .start(|| Ok(Idle))
                    .expect("start idle agent");
                std::thread::sleep(Duration::from_micros(rng.next_in(5_000, 25_000)));
                let t0 = Instant::now();
                termination.signal();
                if self.observe {
                    while runner.is_running() {
                        std::hint::spin_loop();
                    }
                    record(&mut ready, t0.elapsed().as_nanos() as u64);
                }
                runner.join().expect("idle agent");
                record(&mut h, t0.elapsed().as_nanos() as u64);
            }
            (h, ready)
        })
        .join()
        .expect("stopper")
    }
}

fn hand(samples: u64, seed: u64) -> Histogram<u64> {
    spawn_pinned("stopper", CPU_A, move || {
        let mut h = histogram();
        let mut rng = Lcg(seed);
        for _ in 0..samples {
            let stop = Arc::new(Flag::default());
            let flag = Arc::clone(&stop);
            let t = spawn_pinned("hand-parked", CPU_B, move || {
                while !flag.0.load(Ordering::Acquire) {
                    std::thread::park_timeout(Duration::from_secs(1));
                }
            });
            std::thread::sleep(Duration::from_micros(rng.next_in(5_000, 25_000)));
            let t0 = Instant::now();
            stop.0.store(true, Ordering::Release);
            t.thread().unpark();
            t.join().expect("hand-parked thread");
            record(&mut h, t0.elapsed().as_nanos() as u64);
        }
        h
    })
    .join()
    .expect("stopper")
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
    ]
}

const HAND: &str = "hand-written: flag + unpark + join";

/// Progress steps.
pub fn steps(_ctx: &Ctx) -> usize {
    strategies().len() + 2
}

/// Runs scenario 6.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let samples = ctx.mode.pick(25, 200);
    progress.step(&format!("6 shutdown: {HAND} ({samples} samples)"));
    let base = Latency::from_histogram(&hand(samples, 7), 1.0);
    results.distributions.push(Distribution {
        scenario: 6,
        group: "shutdown".into(),
        name: HAND.into(),
        latency: base.clone(),
        cpu_percent: None,
        baseline: true,
    });
    for (i, strategy) in strategies().into_iter().enumerate() {
        progress.step(&format!("6 shutdown: {} ({samples} samples)", strategy.label()));
        let (h, _) = strategy.with(Case { samples, seed: 11 + i as u64, observe: false });
        let lat = Latency::from_histogram(&h, 1.0);
        results.rows.push(
            Row::new(6, format!("shutdown {} p99", strategy.label()), lat.p99, Unit::Ns)
                .vs("hand-written p99", base.p99)
                .target(Target::AtMost(200_000.0)),
        );
        results.distributions.push(Distribution {
            scenario: 6,
            group: "shutdown".into(),
            name: strategy.label(),
            latency: lat,
            cpu_percent: None,
            baseline: false,
        });
    }
    // Where the time goes: the same backoff shutdown with the stopping thread spinning instead
    // of blocking in `join` (its vCPU never halts), timing also when the report is ready.
    progress.step(&format!("6 shutdown: backoff, stopper spinning ({samples} samples)"));
    let (joined, ready) = Strategy::BACKOFF.with(Case { samples, seed: 99, observe: true });
    for (name, h) in [
        ("backoff, stopper spinning: until join returns", joined),
        ("backoff, stopper spinning: until the report is ready", ready),
    ] {
        let lat = Latency::from_histogram(&h, 1.0);
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
