//! Scenario 4: wake-up latency at a low rate. A producer pinned to CPU 0 sends one message
//! every 2 ms (and every 10 ms) to a consumer pinned to CPU 1; the consumer timestamps each
//! message when its `do_work` sees it, against the message's *scheduled* send time (so a
//! late producer or a stalled consumer shows up instead of being hidden), and measures its own
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) over the measured phase.
//!
//! The producer sleeps (timer slack 1 ns) until 200 µs before each send and spins the rest, so
//! it sends within about a microsecond of the schedule; its own lateness is measured too.
//! Baselines, same producer, same CPUs: a hand-written spin loop, a hand-written
//! park/unpark loop (`thread::park` woken by `unpark`), and a hand-written `sleep(1 µs)` loop.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, IdleStrategy};
use hdrhistogram::Histogram;

use super::{Ctx, Line};
use crate::clock::{monotonic_ns, sleep_until_ns};
use crate::cpu::{set_timer_slack, spawn_pinned, thread_cpu_ns};
use crate::latency::{histogram, record, Latency};
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};
use crate::strategy::{Setup, Strategy, WithIdle};
use crate::{CPU_A, CPU_B};

const LEAD_NS: u64 = 200_000;
const SLACK_1US: Duration = Duration::from_micros(1);

#[derive(Debug, Clone, Copy)]
struct Plan {
    spacing_ns: u64,
    warmup: u64,
    messages: u64,
}

/// What the consumer measured.
#[derive(Debug, Clone)]
struct Received {
    hist: Histogram<u64>,
    cpu_percent: f64,
}

/// The consumer's bookkeeping, shared by the agent and the hand-written loops.
struct Receiver {
    plan: Plan,
    start_ns: u64,
    seen: u64,
    hist: Histogram<u64>,
    cpu0: u64,
    wall0: u64,
    cpu_percent: f64,
}

impl Receiver {
    fn new(plan: Plan, start_ns: u64) -> Receiver {
        Receiver { plan, start_ns, seen: 0, hist: histogram(), cpu0: 0, wall0: 0, cpu_percent: f64::NAN }
    }

    /// Takes in sequence number `seq`; returns (messages seen, whether this was the last).
    #[inline]
    fn take(&mut self, seq: u64) -> (usize, bool) {
        if seq == self.seen {
            return (0, false);
        }
        let now = monotonic_ns();
        // Every message since the last one seen, each against its own schedule.
        for k in self.seen + 1..=seq {
            if k > self.plan.warmup {
                let scheduled = self.start_ns + k * self.plan.spacing_ns;
                record(&mut self.hist, now.saturating_sub(scheduled));
            }
        }
        if self.seen < self.plan.warmup && seq >= self.plan.warmup {
            self.cpu0 = thread_cpu_ns();
            self.wall0 = now;
        }
        let work = (seq - self.seen) as usize;
        self.seen = seq;
        let last = seq >= self.plan.warmup + self.plan.messages;
        if last {
            let (cpu, wall) = (thread_cpu_ns() - self.cpu0, monotonic_ns() - self.wall0);
            self.cpu_percent = 100.0 * cpu as f64 / wall as f64;
        }
        (work, last)
    }

    fn result(&self) -> Received {
        Received { hist: self.hist.clone(), cpu_percent: self.cpu_percent }
    }
}

/// Sends `warmup + messages` messages on schedule; calls `wake` after each.
fn produce(
    plan: Plan,
    start_ns: u64,
    mailbox: Arc<Line>,
    wake: Box<dyn Fn() + Send>,
) -> std::thread::JoinHandle<Histogram<u64>> {
    spawn_pinned("producer", CPU_A, move || {
        set_timer_slack(Some(Duration::from_nanos(1)));
        let mut late = histogram();
        for k in 1..=plan.warmup + plan.messages {
            let at = start_ns + k * plan.spacing_ns;
            sleep_until_ns(at.saturating_sub(LEAD_NS));
            while monotonic_ns() < at {
                std::hint::spin_loop();
            }
            mailbox.0.store(k, Ordering::Release);
            wake();
            record(&mut late, monotonic_ns() - at);
        }
        late
    })
}

struct Consumer {
    mailbox: Arc<Line>,
    rx: Receiver,
    out: Arc<Mutex<Option<Received>>>,
}

impl Agent for Consumer {
    fn role_name(&self) -> &str {
        "consumer"
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let (work, last) = self.rx.take(self.mailbox.0.load(Ordering::Acquire));
        if last {
            *self.out.lock().expect("slot") = Some(self.rx.result());
            return Err(AgentError::terminate());
        }
        Ok(work)
    }
}

struct RunnerCase {
    setup: Setup,
    plan: Plan,
}

impl WithIdle for RunnerCase {
    type Out = (Received, Histogram<u64>);

    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Self::Out {
        let (plan, setup) = (self.plan, self.setup);
        let mailbox = Arc::new(Line::default());
        let out = Arc::new(Mutex::new(None));
        let start_ns = monotonic_ns() + 50_000_000;
        let (mb, slot) = (Arc::clone(&mailbox), Arc::clone(&out));
        let mut builder = AgentRunner::builder().name("consumer").core(CPU_B).idle_strategy(idle);
        if let Some(slack) = setup.slack {
            builder = builder.timer_slack(slack);
        }
        let runner = builder
            .start(move || Ok(Consumer { mailbox: mb, rx: Receiver::new(plan, start_ns), out: slot }))
            .expect("start consumer");
        let waker = runner.waker();
        let wake: Box<dyn Fn() + Send> =
            if setup.wake { Box::new(move || waker.wake()) } else { Box::new(|| {}) };
        let producer = produce(plan, start_ns, mailbox, wake);
        runner.join().expect("consumer runner");
        let late = producer.join().expect("producer");
        let received = out.lock().expect("slot").take().expect("consumer reported");
        (received, late)
    }
}

/// The hand-written consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hand {
    Spin,
    Park,
    Sleep1us(Option<Duration>),
}

impl Hand {
    fn label(self) -> String {
        match self {
            Hand::Spin => "hand-written spin loop".into(),
            Hand::Park => "hand-written park/unpark".into(),
            Hand::Sleep1us(None) => "hand-written sleep(1µs) loop".into(),
            Hand::Sleep1us(Some(s)) => format!("hand-written sleep(1µs) loop, slack {s:?}"),
        }
    }
}

fn run_hand(hand: Hand, plan: Plan) -> (Received, Histogram<u64>) {
    let mailbox = Arc::new(Line::default());
    let start_ns = monotonic_ns() + 50_000_000;
    let mb = Arc::clone(&mailbox);
    let consumer = spawn_pinned("hand-consumer", CPU_B, move || {
        if let Hand::Sleep1us(slack) = hand {
            set_timer_slack(slack);
        }
        let mut rx = Receiver::new(plan, start_ns);
        loop {
            let (work, last) = rx.take(mb.0.load(Ordering::Acquire));
            if last {
                break;
            }
            if work == 0 {
                match hand {
                    Hand::Spin => std::hint::spin_loop(),
                    Hand::Park => std::thread::park_timeout(Duration::from_secs(1)),
                    Hand::Sleep1us(_) => std::thread::sleep(Duration::from_micros(1)),
                }
            }
        }
        rx.result()
    });
    let thread = consumer.thread().clone();
    let wake: Box<dyn Fn() + Send> =
        if hand == Hand::Park { Box::new(move || thread.unpark()) } else { Box::new(|| {}) };
    let producer = produce(plan, start_ns, mailbox, wake);
    let received = consumer.join().expect("hand consumer");
    (received, producer.join().expect("producer"))
}

/// The dutycycle cases and the baseline each row is compared with.
fn cases() -> Vec<(Setup, Hand)> {
    let backoff = Setup::plain(Strategy::BACKOFF);
    let sleep = Setup::plain(Strategy::SLEEP_NS);
    vec![
        (Setup::plain(Strategy::Spin), Hand::Spin),
        (Setup::plain(Strategy::Yield), Hand::Spin),
        (sleep, Hand::Sleep1us(None)),
        (sleep.slack(SLACK_1US), Hand::Sleep1us(Some(SLACK_1US))),
        (backoff, Hand::Sleep1us(None)),
        (backoff.slack(SLACK_1US), Hand::Sleep1us(Some(SLACK_1US))),
        (backoff.woken(), Hand::Park),
        (backoff.woken().slack(SLACK_1US), Hand::Park),
        // Tuned for wake-ups: no ramp of short parks, the producer ends the park.
        (
            Setup::plain(Strategy::Backoff(Duration::from_millis(1), Duration::from_millis(1))).woken(),
            Hand::Park,
        ),
    ]
}

/// The preset for woken agents, measured in parts that alternate with parts of the
/// hand-written park/unpark loop (the futex floor it is held to), so that both see the same
/// host; each part has half the plan's messages, so each side gets twice the plan's.
const PRESET: Setup = Setup::plain(Strategy::BACKOFF_WOKEN).woken();
const PRESET_PARTS: usize = 4;

const HANDS: [Hand; 4] = [Hand::Spin, Hand::Park, Hand::Sleep1us(None), Hand::Sleep1us(Some(SLACK_1US))];

fn plans(ctx: &Ctx) -> Vec<Plan> {
    ctx.mode.pick(
        vec![
            Plan { spacing_ns: 2_000_000, warmup: 10, messages: 250 },
            Plan { spacing_ns: 10_000_000, warmup: 5, messages: 50 },
        ],
        vec![
            Plan { spacing_ns: 2_000_000, warmup: 100, messages: 4_000 },
            Plan { spacing_ns: 10_000_000, warmup: 30, messages: 600 },
        ],
    )
}

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    plans(ctx).len() * (cases().len() + HANDS.len() + 2 * PRESET_PARTS)
}

/// The plot group of a spacing, e.g. `wakeup-2ms`.
pub fn group(spacing_ns: u64) -> String {
    format!("wakeup-{}ms", spacing_ns / 1_000_000)
}

/// Runs scenario 4 for each spacing: the baselines, then every dutycycle case.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    for plan in plans(ctx) {
        let ms = plan.spacing_ns / 1_000_000;
        let group = group(plan.spacing_ns);
        let mut late = histogram();
        let push = |results: &mut Results, name: String, r: &Received, baseline: bool| {
            let latency = Latency::from_histogram(&r.hist, 1.0);
            results.distributions.push(Distribution {
                scenario: 4,
                group: group.clone(),
                name,
                latency,
                cpu_percent: Some(r.cpu_percent),
                baseline,
            });
        };
        for hand in HANDS {
            progress.step(&format!("4 wake-up @{ms}ms: {}", hand.label()));
            let (r, l) = run_hand(hand, plan);
            late.add(l).expect("same bounds");
            push(results, hand.label(), &r, true);
        }
        for (setup, hand) in cases() {
            progress.step(&format!("4 wake-up @{ms}ms: {}", setup.label()));
            let (r, l) = setup.strategy.with(RunnerCase { setup, plan });
            late.add(l).expect("same bounds");
            push(results, setup.label(), &r, false);
            let base = results.dist(&group, &hand.label()).expect("baseline ran first").latency.p50;
            let lat = Latency::from_histogram(&r.hist, 1.0);
            let mut row = Row::new(4, format!("@{ms}ms {} wake-up p50", setup.label()), lat.p50, Unit::Ns)
                .vs(format!("{} p50", hand.label()), base);
            let targeted = setup.wake && setup.slack.is_none() && setup.strategy == Strategy::BACKOFF;
            if targeted {
                row = row.target(Target::AtMost(40_000.0));
            }
            results.rows.push(row);
            if setup.strategy.parks() {
                let mut cpu = Row::new(
                    4,
                    format!("@{ms}ms {} consumer CPU", setup.label()),
                    r.cpu_percent,
                    Unit::Percent,
                );
                if targeted {
                    cpu = cpu.target(Target::AtMost(2.0));
                }
                results.rows.push(cpu);
            }
        }
        // The preset against the futex floor, interleaved.
        let half = Plan { messages: plan.messages / 2, ..plan };
        let (mut floor, mut preset) = (histogram(), histogram());
        let (mut floor_cpu, mut preset_cpu) = (0.0, 0.0);
        for i in 1..=PRESET_PARTS {
            progress.step(&format!("4 wake-up @{ms}ms: {} ({i}/{PRESET_PARTS})", Hand::Park.label()));
            let (r, l) = run_hand(Hand::Park, half);
            late.add(l).expect("same bounds");
            floor.add(&r.hist).expect("same bounds");
            floor_cpu += r.cpu_percent / PRESET_PARTS as f64;
            progress.step(&format!("4 wake-up @{ms}ms: {} ({i}/{PRESET_PARTS})", PRESET.label()));
            let (r, l) = PRESET.strategy.with(RunnerCase { setup: PRESET, plan: half });
            late.add(l).expect("same bounds");
            preset.add(&r.hist).expect("same bounds");
            preset_cpu += r.cpu_percent / PRESET_PARTS as f64;
        }
        let floor_name = format!("{}, alternating with {}", Hand::Park.label(), PRESET.label());
        push(results, floor_name.clone(), &Received { hist: floor.clone(), cpu_percent: floor_cpu }, true);
        push(results, PRESET.label(), &Received { hist: preset.clone(), cpu_percent: preset_cpu }, false);
        let (floor, preset) = (Latency::from_histogram(&floor, 1.0), Latency::from_histogram(&preset, 1.0));
        results.rows.push(
            Row::new(4, format!("@{ms}ms {} wake-up p50", PRESET.label()), preset.p50, Unit::Ns)
                .vs(format!("{floor_name} p50"), floor.p50)
                .target(Target::RatioAtMost(1.0)),
        );
        results.rows.push(
            Row::new(4, format!("@{ms}ms {} consumer CPU", PRESET.label()), preset_cpu, Unit::Percent)
                .vs(format!("{floor_name} CPU"), floor_cpu)
                .target(Target::AtMost(2.0)),
        );
        let late = Latency::from_histogram(&late, 1.0);
        results.rows.push(Row::new(
            4,
            format!("@{ms}ms producer send lateness p99 (harness error)"),
            late.p99,
            Unit::Ns,
        ));
    }
}
