//! Scenarios 1 and 2: the core-to-core floor (two pinned threads CAS-ing one cache line) and
//! the same exchange by two pinned agents under dutycycle runners.
//!
//! Every variant runs the same protocol on one cache line: the pinger moves it from `2i` to
//! `2i + 1`, the ponger from `2i + 1` to `2i + 2`, each by compare-and-swap, and the pinger
//! timestamps (TSC) each of its successful CASes: the gap between two is one round trip. The
//! variants differ only in what runs around the CAS: nothing (floor), a pause hint after a
//! failed CAS (hand-written spin loop), or a dutycycle runner's duty cycle (termination check,
//! statistics, idle strategy BusySpin or NoOp). With feature `java`, each round also runs
//! the protocol under Agrona's `AgentRunner` with `BusySpinIdleStrategy` in Java
//! (`benches/java/AgronaPingPong.java`, its threads pinned to the same CPUs with `taskset`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use dutycycle::{Agent, AgentError, AgentRunner, IdleStrategy};
use hdrhistogram::Histogram;

use super::{Ctx, Line};
use crate::clock::ticks;
use crate::cpu::spawn_pinned;
use crate::latency::{histogram, record, Latency};
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};
use crate::strategy::{Strategy, WithIdle};
use crate::{CPU_A, CPU_B};

/// Sizes of the runs.
#[derive(Debug, Clone, Copy)]
struct Plan {
    rounds: usize,
    round_trips: u64,
    warmup: u64,
}

fn plan(ctx: &Ctx) -> Plan {
    ctx.mode.pick(
        Plan { rounds: 2, round_trips: 200_000, warmup: 20_000 },
        Plan { rounds: 5, round_trips: 1_000_000, warmup: 100_000 },
    )
}

/// Progress steps this scenario takes.
pub fn steps(ctx: &Ctx) -> usize {
    plan(ctx).rounds * if cfg!(feature = "java") { 5 } else { 4 }
}

#[inline(always)]
fn cas(line: &Line, from: u64) -> bool {
    line.0.compare_exchange(from, from + 1, Ordering::AcqRel, Ordering::Relaxed).is_ok()
}

/// Two pinned threads; `PAUSE` adds a spin-loop hint after each failed CAS.
fn threads<const PAUSE: bool>(p: Plan) -> Histogram<u64> {
    let line = Arc::new(Line::default());
    let n = p.round_trips + p.warmup;
    let pong_line = Arc::clone(&line);
    let pong = spawn_pinned("pong", CPU_B, move || {
        for i in 0..=n {
            while !cas(&pong_line, 2 * i + 1) {
                if PAUSE {
                    std::hint::spin_loop();
                }
            }
        }
    });
    let ping = spawn_pinned("ping", CPU_A, move || {
        let mut h = histogram();
        while !cas(&line, 0) {}
        let mut last = ticks();
        for i in 1..=n {
            while !cas(&line, 2 * i) {
                if PAUSE {
                    std::hint::spin_loop();
                }
            }
            let t = ticks();
            if i > p.warmup {
                record(&mut h, t - last);
            }
            last = t;
        }
        h
    });
    pong.join().expect("pong thread");
    ping.join().expect("ping thread")
}

struct Ping {
    line: Arc<Line>,
    next: u64,
    done: u64,
    last: u64,
    plan: Plan,
    hist: Histogram<u64>,
    out: Arc<Mutex<Option<Histogram<u64>>>>,
}

impl Agent for Ping {
    fn role_name(&self) -> &str {
        "ping"
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if !cas(&self.line, self.next) {
            return Ok(0);
        }
        let t = ticks();
        // `done` round trips completed before this CAS; this CAS completes round `done`.
        if self.done > self.plan.warmup {
            record(&mut self.hist, t - self.last);
        }
        self.last = t;
        self.next += 2;
        self.done += 1;
        if self.done > self.plan.round_trips + self.plan.warmup {
            return Err(AgentError::terminate());
        }
        Ok(1)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        *self.out.lock().expect("result slot") = Some(self.hist.clone());
        Ok(())
    }
}

struct Pong {
    line: Arc<Line>,
    next: u64,
}

impl Agent for Pong {
    fn role_name(&self) -> &str {
        "pong"
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if cas(&self.line, self.next) {
            self.next += 2;
            Ok(1)
        } else {
            Ok(0)
        }
    }
}

/// Two pinned runners with the default statistics (counters on).
struct Runners(Plan);

impl WithIdle for Runners {
    type Out = Histogram<u64>;

    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Histogram<u64> {
        let plan = self.0;
        let line = Arc::new(Line::default());
        let out = Arc::new(Mutex::new(None));
        let pong_line = Arc::clone(&line);
        let pong = AgentRunner::builder()
            .name("pong")
            .core(CPU_B)
            .idle_strategy(idle.clone())
            .start(move || Ok(Pong { line: pong_line, next: 1 }))
            .expect("start pong runner");
        let slot = Arc::clone(&out);
        let ping = AgentRunner::builder()
            .name("ping")
            .core(CPU_A)
            .idle_strategy(idle)
            .start(move || Ok(Ping { line, next: 0, done: 0, last: 0, plan, hist: histogram(), out: slot }))
            .expect("start ping runner");
        ping.join().expect("ping runner");
        pong.close().expect("pong runner");
        let h = out.lock().expect("result slot").take().expect("ping reported");
        h
    }
}

/// Runs scenarios 1 and 2: rounds of floor, hand-written loop, BusySpin runners and NoOp
/// runners, interleaved so that a change of vCPU placement hits all four alike.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let p = plan(ctx);
    let mut hs: [Histogram<u64>; 4] = std::array::from_fn(|_| histogram());
    let mut per_round: Vec<[f64; 4]> = Vec::new();
    #[cfg(feature = "java")]
    let mut agrona = agrona::Agrona::prepare().map(|peer| (peer, histogram(), Vec::new()));
    for round in 1..=p.rounds {
        progress.step(&format!("1 floor: CAS ping-pong, round {round}/{}", p.rounds));
        let floor = threads::<false>(p);
        progress.step(&format!("2 ping-pong: hand-written spin loop, round {round}/{}", p.rounds));
        let hand = threads::<true>(p);
        progress.step(&format!("2 ping-pong: runners, BusySpin, round {round}/{}", p.rounds));
        let busy = Strategy::Spin.with(Runners(p));
        progress.step(&format!("2 ping-pong: runners, NoOp, round {round}/{}", p.rounds));
        let noop = Strategy::NoOp.with(Runners(p));
        #[cfg(feature = "java")]
        {
            progress.step(&format!("2 ping-pong: Agrona AgentRunner (Java), round {round}/{}", p.rounds));
            let failed = match &mut agrona {
                Ok((peer, all, p50s)) => match peer.run(p) {
                    Ok(h) => {
                        p50s.push(h.value_at_quantile(0.5));
                        all.add(h).expect("same bounds");
                        None
                    }
                    Err(e) => Some(e),
                },
                Err(_) => None,
            };
            if let Some(e) = failed {
                agrona = Err(e);
            }
        }
        let round_hs = [floor, hand, busy, noop];
        per_round.push(round_hs.each_ref().map(|h| h.value_at_quantile(0.5) as f64 * ctx.ns_per_tick));
        for (all, h) in hs.iter_mut().zip(round_hs) {
            all.add(h).expect("same bounds");
        }
    }
    results.notes.push(format!(
        "scenarios 1-2 round-trip p50 per round (floor, hand-written, BusySpin, NoOp), ns: {}",
        per_round
            .iter()
            .map(|r| format!("[{:.0}, {:.0}, {:.0}, {:.0}]", r[0], r[1], r[2], r[3]))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let names = [
        "floor: pinned threads, CAS",
        "hand-written spin loop (CAS + pause)",
        "runners, BusySpin",
        "runners, NoOp",
    ];
    let l: Vec<Latency> = hs.iter().map(|h| Latency::from_histogram(h, ctx.ns_per_tick)).collect();
    for (i, (name, lat)) in names.iter().zip(&l).enumerate() {
        results.distributions.push(Distribution {
            scenario: if i == 0 { 1 } else { 2 },
            group: "pingpong".into(),
            name: (*name).into(),
            latency: lat.clone(),
            cpu_percent: None,
            baseline: i < 2,
        });
    }
    let floor = &l[0];
    results.rows.push(Row::new(1, "floor round trip p50 (one-way = half)", floor.p50, Unit::Ns));
    results.rows.push(Row::new(1, "floor round trip p99.9", floor.p999, Unit::Ns));
    results
        .rows
        .push(Row::new(2, "hand-written spin loop RTT p50", l[1].p50, Unit::Ns).vs("floor p50", floor.p50));
    for (i, name) in [(2, "BusySpin"), (3, "NoOp")] {
        results.rows.push(
            Row::new(2, format!("agents ({name}) RTT p50"), l[i].p50, Unit::Ns)
                .vs("floor p50", floor.p50)
                .target(Target::RatioAtMost(1.2)),
        );
        results.rows.push(
            Row::new(2, format!("agents ({name}) RTT p99.9"), l[i].p999, Unit::Ns)
                .vs("floor p99.9", floor.p999)
                .target(Target::RatioAtMost(3.0)),
        );
    }
    results.rows.push(
        Row::new(2, "agents (BusySpin) RTT p50 vs the same loop by hand", l[2].p50, Unit::Ns)
            .vs("hand-written p50", l[1].p50),
    );
    #[cfg(feature = "java")]
    match agrona {
        Ok((_, all, p50s)) => {
            results.notes.push(format!("scenario 2 Agrona (Java) round-trip p50 per round, ns: {p50s:?}"));
            let java = Latency::from_histogram(&all, 1.0);
            results.distributions.push(Distribution {
                scenario: 2,
                group: "pingpong".into(),
                name: "Agrona AgentRunner + BusySpinIdleStrategy (Java)".into(),
                latency: java.clone(),
                cpu_percent: None,
                baseline: true,
            });
            results.rows.push(
                Row::new(2, "agents (BusySpin) RTT p50 vs Agrona", l[2].p50, Unit::Ns)
                    .vs("Agrona AgentRunner p50", java.p50)
                    .target(Target::RatioAtMost(0.8)),
            );
            results.rows.push(
                Row::new(2, "agents (BusySpin) RTT p99.9 vs Agrona", l[2].p999, Unit::Ns)
                    .vs("Agrona AgentRunner p99.9", java.p999),
            );
            results.rows.push(
                Row::new(2, "agents (BusySpin) RTT max vs Agrona", l[2].max, Unit::Ns)
                    .vs("Agrona AgentRunner max", java.max)
                    .target(Target::RatioAtMost(0.1)),
            );
        }
        Err(e) => results.notes.push(format!("scenario 2, Agrona AgentRunner (Java): not run: {e}")),
    }
}

/// Agrona's side of scenario 2 (feature `java`): `benches/java/AgronaPingPong.java`.
#[cfg(feature = "java")]
mod agrona {
    use std::path::PathBuf;
    use std::time::Duration;

    use hdrhistogram::Histogram;

    use super::Plan;
    use crate::java::{self, Failure, AGRONA_JAR_VAR};

    /// The program, compiled.
    pub(super) struct Agrona {
        jar: PathBuf,
        classes: PathBuf,
    }

    impl Agrona {
        /// Finds the JDK and the Agrona jar, and compiles the program into
        /// `target/bench/java-agrona-classes/`.
        pub(super) fn prepare() -> Result<Agrona, Failure> {
            java::check_jdk()?;
            let jar = java::jar_from_env(AGRONA_JAR_VAR)?;
            let classes = java::bench_dir().join("java-agrona-classes");
            java::compile(&jar, &["AgronaPingPong.java", "BenchThreads.java"], &classes)?;
            Ok(Agrona { jar, classes })
        }

        /// One round of `plan` (Java's warm-up at least 200 000 round trips, for its JIT).
        /// Returns the round trips in nanoseconds.
        pub(super) fn run(&self, plan: Plan) -> Result<Histogram<u64>, Failure> {
            let dir = java::bench_dir();
            let out = dir.join("java-agrona.rtts");
            let mut command = java::command(&self.classes, &self.jar, "AgronaPingPong");
            command.arg(plan.warmup.max(200_000).to_string()).arg(plan.round_trips.to_string()).arg(&out);
            java::run_for_rtts(command, &out, &dir.join("java-agrona.log"), Duration::from_secs(60))
        }
    }
}
