//! Scenario 8, criterion micro-benchmarks: the cost of one `idle()` call per strategy, of the
//! termination check, of `wake()` on an agent that is not parked (against a futex wake system
//! call, which it must not make), and of reading a running agent's statistics.
//!
//! `DUTYCYCLE_BENCH_MODE=quick` shortens every measurement (benches/run.sh sets it).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use dutycycle::{
    Agent, AgentError, AgentRunner, AgentTermination, BackoffIdleStrategy, BusySpinIdleStrategy,
    CompositeAgent, ControllableIdleStrategy, IdleMode, IdleStrategy, IdleStrategyConfig, NoOpIdleStrategy,
    SleepingIdleStrategy, YieldingIdleStrategy,
};
use dutycycle_benches::cpu::{futex_wake_nobody, pin, set_timer_slack, unpin};
use dutycycle_benches::{Mode, CPU_A, CPU_B};

fn idle(c: &mut Criterion) {
    pin(CPU_A);
    let mut g = c.benchmark_group("idle");
    let mut noop = NoOpIdleStrategy;
    g.bench_function("noop idle(0)", |b| b.iter(|| noop.idle(black_box(0))));
    let mut spin = BusySpinIdleStrategy;
    g.bench_function("spin idle(0)", |b| b.iter(|| spin.idle(black_box(0))));
    g.bench_function("baseline spin_loop()", |b| b.iter(std::hint::spin_loop));
    let mut yielding = YieldingIdleStrategy;
    g.bench_function("yield idle(0)", |b| b.iter(|| yielding.idle(black_box(0))));
    g.bench_function("baseline yield_now()", |b| b.iter(std::thread::yield_now));
    // Live tuning: one atomic load per idle call, then the mode's action.
    let mut controllable = ControllableIdleStrategy::new(IdleMode::BusySpin);
    g.bench_function("controllable (busy-spin mode) idle(0)", |b| b.iter(|| controllable.idle(black_box(0))));
    let mut controllable_noop = ControllableIdleStrategy::new(IdleMode::NoOp);
    g.bench_function("controllable (noop mode) idle(0)", |b| b.iter(|| controllable_noop.idle(black_box(0))));
    // Built by name: an enum over every strategy, matched on each call.
    let mut by_name = "spin".parse::<IdleStrategyConfig>().expect("parses").build();
    g.bench_function("by name spin idle(0)", |b| b.iter(|| by_name.idle(black_box(0))));
    let mut backoff = BackoffIdleStrategy::default();
    g.bench_function("backoff idle(1) (reset)", |b| b.iter(|| backoff.idle(black_box(1))));
    g.bench_function("backoff reset + 10 x idle(0) (spin phase)", |b| {
        b.iter(|| {
            backoff.idle(black_box(1));
            for _ in 0..10 {
                backoff.idle(black_box(0));
            }
        })
    });
    for (slack, name) in [(None, "default slack"), (Some(Duration::from_micros(1)), "slack 1us")] {
        set_timer_slack(slack);
        let mut sleeping = SleepingIdleStrategy::default();
        g.bench_function(format!("sleep-ns 1us idle(0), {name}"), |b| b.iter(|| sleeping.idle(black_box(0))));
        g.bench_function(format!("baseline sleep(1us), {name}"), |b| {
            b.iter(|| std::thread::sleep(Duration::from_micros(1)))
        });
    }
    set_timer_slack(None);
    g.finish();
}

fn termination(c: &mut Criterion) {
    let mut g = c.benchmark_group("termination");
    let termination = AgentTermination::new();
    g.bench_function("is_signalled()", |b| b.iter(|| black_box(&termination).is_signalled()));
    let flag = AtomicBool::new(false);
    g.bench_function("baseline AtomicBool load", |b| b.iter(|| black_box(&flag).load(Ordering::Acquire)));
    g.finish();
}

struct Spin;

impl Agent for Spin {
    fn role_name(&self) -> &str {
        "spin"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(1)
    }
}

fn wake(c: &mut Criterion) {
    // Free the main thread (pinned by the previous group) before starting the runner.
    unpin();
    let mut g = c.benchmark_group("wake");
    // A running, never-parked agent on the other CPU.
    let runner = AgentRunner::builder()
        .name("spin")
        .core(CPU_B)
        .idle_strategy(BusySpinIdleStrategy)
        .start(|| Ok(Spin))
        .expect("start runner");
    pin(CPU_A);
    let waker = runner.waker();
    g.bench_function("wake() on an agent that is not parked", |b| b.iter(|| black_box(&waker).wake()));
    let word = AtomicU32::new(0);
    g.bench_function("baseline futex(FUTEX_WAKE) syscall", |b| {
        b.iter(|| futex_wake_nobody(black_box(&word)))
    });
    g.bench_function("stats() read while the agent runs", |b| b.iter(|| black_box(runner.stats())));
    g.finish();
    runner.close().expect("runner");
}

/// A sub-agent with a little state, as composites hold.
struct Tick(u64);

impl Agent for Tick {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.0 += 1;
        Ok(usize::from(self.0 & 1 == 0))
    }
}

fn composite(c: &mut Criterion) {
    let mut g = c.benchmark_group("composite");
    let agents: Vec<Box<dyn Agent>> = vec![Box::new(Tick(0)), Box::new(Tick(1)), Box::new(Tick(2))];
    let mut composite = CompositeAgent::new(agents);
    g.bench_function("CompositeAgent of 3, do_work", |b| b.iter(|| black_box(composite.do_work().is_ok())));
    let mut direct = (Tick(0), Tick(1), Tick(2));
    g.bench_function("baseline 3 agents called directly", |b| {
        b.iter(|| {
            let work = direct.0.do_work().unwrap_or(0)
                + direct.1.do_work().unwrap_or(0)
                + direct.2.do_work().unwrap_or(0);
            black_box(work)
        })
    });
    g.finish();
}

fn config() -> Criterion {
    let c = Criterion::default().without_plots().noise_threshold(0.05);
    match Mode::from_env() {
        Mode::Quick => c
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300))
            .sample_size(10),
        Mode::Full => c
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(50),
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = idle, termination, wake, composite
}
criterion_main!(benches);
