//! Scenario 5: idle cost. An agent that never has work runs under each strategy, pinned to
//! CPU 1; after it has settled, the harness reads the agent thread's CPU clock
//! (`pthread_getcpuclockid`, so the agent is not disturbed) at the start and end of the
//! measured span. Baselines: hand-written `sleep` loops with the same period and slack.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, IdleStrategy};

use super::{Ctx, Flag};
use crate::clock::monotonic_ns;
use crate::cpu::{set_timer_slack, spawn_pinned, ThreadClock};
use crate::progress::Progress;
use crate::report::{Results, Row, Target, Unit};
use crate::strategy::{Setup, Strategy, WithIdle};
use crate::CPU_B;

const SLACK_1US: Duration = Duration::from_micros(1);

struct Idle {
    clock: Arc<OnceLock<ThreadClock>>,
}

impl Agent for Idle {
    fn role_name(&self) -> &str {
        "idle"
    }

    fn on_start(&mut self) -> Result<(), AgentError> {
        let _ = self.clock.set(ThreadClock::current());
        Ok(())
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

/// CPU share (% of a core) and duty cycles per second.
#[derive(Debug, Clone, Copy)]
struct Cost {
    cpu_percent: f64,
    cycles_per_s: f64,
}

struct Case {
    setup: Setup,
    settle: Duration,
    span: Duration,
}

impl WithIdle for Case {
    type Out = Cost;

    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Cost {
        let clock = Arc::new(OnceLock::new());
        let agent_clock = Arc::clone(&clock);
        let mut builder = AgentRunner::builder().name("idle").core(CPU_B).idle_strategy(idle);
        if let Some(slack) = self.setup.slack {
            builder = builder.timer_slack(slack);
        }
        let runner = builder.start(move || Ok(Idle { clock: agent_clock })).expect("start idle agent");
        let clock = *clock.get().expect("on_start ran before start returned");
        std::thread::sleep(self.settle);
        let (c0, w0, s0) = (clock.read_ns(), monotonic_ns(), runner.stats().duty_cycles);
        std::thread::sleep(self.span);
        let (c1, w1, s1) = (clock.read_ns(), monotonic_ns(), runner.stats().duty_cycles);
        runner.close().expect("idle agent");
        let wall = (w1 - w0) as f64;
        Cost { cpu_percent: 100.0 * (c1 - c0) as f64 / wall, cycles_per_s: (s1 - s0) as f64 / wall * 1e9 }
    }
}

/// A hand-written `loop { sleep(period) }` (or `park_timeout(period)`) thread with the given
/// slack.
fn hand_sleep(
    period: Duration,
    slack: Option<Duration>,
    park: bool,
    settle: Duration,
    span: Duration,
) -> Cost {
    let stop = Arc::new(Flag::default());
    let clock = Arc::new(OnceLock::new());
    let (flag, c) = (Arc::clone(&stop), Arc::clone(&clock));
    let t = spawn_pinned("hand-idle", CPU_B, move || {
        set_timer_slack(slack);
        let _ = c.set(ThreadClock::current());
        let mut n = 0u64;
        while !flag.0.load(std::sync::atomic::Ordering::Acquire) {
            if park {
                std::thread::park_timeout(period);
            } else {
                std::thread::sleep(period);
            }
            n += 1;
        }
        n
    });
    while clock.get().is_none() {
        std::thread::yield_now();
    }
    let clock = *clock.get().expect("set");
    std::thread::sleep(settle);
    let (c0, w0) = (clock.read_ns(), monotonic_ns());
    std::thread::sleep(span);
    let (c1, w1) = (clock.read_ns(), monotonic_ns());
    stop.0.store(true, std::sync::atomic::Ordering::Release);
    let _ = t.join();
    Cost { cpu_percent: 100.0 * (c1 - c0) as f64 / (w1 - w0) as f64, cycles_per_s: f64::NAN }
}

fn cases() -> Vec<Setup> {
    vec![
        Setup::plain(Strategy::Spin),
        Setup::plain(Strategy::NoOp),
        Setup::plain(Strategy::Yield),
        Setup::plain(Strategy::SLEEP_NS),
        Setup::plain(Strategy::SLEEP_NS).slack(SLACK_1US),
        Setup::plain(Strategy::SleepMs(1)),
        Setup::plain(Strategy::BACKOFF),
        Setup::plain(Strategy::BACKOFF).slack(SLACK_1US),
    ]
}

const HANDS: [(Duration, Option<Duration>, bool, &str); 4] = [
    (Duration::from_micros(1), None, true, "hand-written park_timeout(1µs) loop"),
    (Duration::from_micros(1), Some(SLACK_1US), true, "hand-written park_timeout(1µs) loop, slack 1µs"),
    (Duration::from_millis(1), None, true, "hand-written park_timeout(1ms) loop"),
    (Duration::from_millis(1), None, false, "hand-written sleep(1ms) loop"),
];

/// Progress steps.
pub fn steps(_ctx: &Ctx) -> usize {
    cases().len() + HANDS.len()
}

/// Runs scenario 5.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let span = ctx.mode.pick(Duration::from_millis(500), Duration::from_secs(5));
    let settle = Duration::from_millis(200);
    let mut hand = Vec::new();
    for (period, slack, park, name) in HANDS {
        progress.step(&format!("5 idle cost: {name} ({:.1} s)", span.as_secs_f64()));
        let cpu = hand_sleep(period, slack, park, settle, span).cpu_percent;
        results.rows.push(Row::new(5, format!("idle {name} CPU (baseline)"), cpu, Unit::Percent));
        hand.push(cpu);
    }
    for setup in cases() {
        progress.step(&format!("5 idle cost: {} ({:.1} s)", setup.label(), span.as_secs_f64()));
        let cost = setup.strategy.with(Case { setup, settle, span });
        let mut row = Row::new(5, format!("idle {} CPU", setup.label()), cost.cpu_percent, Unit::Percent);
        let baseline = match (setup.strategy, setup.slack) {
            (Strategy::SleepNs(_), None) => Some(0),
            (Strategy::SleepNs(_), Some(_)) => Some(1),
            (Strategy::SleepMs(_) | Strategy::Backoff(..), None) => Some(2),
            _ => None,
        };
        if let Some(b) = baseline {
            row = row.vs(HANDS[b].3, hand[b]);
        }
        if setup == Setup::plain(Strategy::BACKOFF) {
            row = row.target(Target::AtMost(2.0));
        }
        results.rows.push(row);
        results.rows.push(Row::new(
            5,
            format!("idle {} duty cycles", setup.label()),
            cost.cycles_per_s,
            Unit::PerSecond,
        ));
    }
}
