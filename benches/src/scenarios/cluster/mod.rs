//! Scenario 9: round trips through a real three-node Aeron Cluster, dutycycle's Rust client
//! against Java's own `AeronCluster`, in the same run against the same cluster; and the time
//! from the leader's SIGKILL to the first answer from the new leader.
//!
//! - **The cluster:** `dutycycle_test_support::cluster::Cluster` (three JVMs of aeron-all's
//!   `EchoServiceNode` on loopback; 3 s leader heartbeat timeout), with Aeron's `backoff`
//!   idle strategy in every agent of the nodes (the harness's default, 1 ms sleeps, would
//!   add up to a millisecond per hop).
//! - **Rust:** `rust_side.rs`: a `ClusterAgent` and a `MediaDriverAgent` composed on one
//!   unpinned runner, `BackoffIdleStrategy::default()`.
//! - **Java:** `java_side.rs`: `benches/java/ClusterEchoPing.java`, an `AeronCluster` polled
//!   by the main thread with Agrona's `BackoffIdleStrategy` (Aeron's defaults, as the Rust
//!   one) and an embedded Java media driver in SHARED mode with the same idle strategy.
//! - **Round trips:** one 32-byte message in flight (a sequence number, the send time,
//!   padding), timed on `CLOCK_MONOTONIC` (`System.nanoTime` in Java) from the first offer
//!   attempt until the echo reaches the listener. Rounds alternate Rust and Java (which goes
//!   first alternates too); each round starts with an unrecorded warm-up.
//! - **Failover:** the client under the same one-in-flight load; once it has 100 answers the
//!   harness reads `CLOCK_MONOTONIC`, SIGKILLs the leader, and the client reports when the
//!   NewLeaderEvent came and when the first answer after it came (the message unanswered at
//!   the kill is sent again on the NewLeaderEvent: ingress is at most once across a failover).
//!   The killed node is restarted before the next repetition (Aeron refuses to restart a node
//!   within 10 s of its death).

mod java_side;
mod rust_side;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dutycycle_test_support::cluster::{AeronIdleStrategy, Cluster, ClusterConfig, AERON_ALL_JAR_VAR};
use hdrhistogram::Histogram;

use super::Ctx;
use crate::clock::monotonic_ns;
use crate::cpu::load_average;
use crate::latency::{fmt_ns, histogram, record, Latency};
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};

use java_side::JavaSide;
use rust_side::RustSide;

/// An error of the scenario.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

const MESSAGE_LENGTH: usize = 32;
/// A message unanswered this long is sent again (both clients).
const STALL_RESEND: Duration = Duration::from_secs(1);
/// Answers of the failover load before the leader is killed.
const ANSWERS_BEFORE_LOADING: usize = 100;
/// How long a client may take to report the first answer from a new leader.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(40);

/// What the harness asks a client to do.
#[derive(Debug, Clone, Copy)]
enum Command {
    /// `warmup` unrecorded round trips, then `count` recorded ones.
    Round { count: usize, warmup: usize },
    /// One-in-flight load until the first answer after a NewLeaderEvent, or `timeout`.
    Failover { timeout: Duration },
    /// Close the session and end.
    Quit,
}

/// What a client reports.
#[derive(Debug)]
enum Event {
    /// The session is open.
    Ready,
    /// A round's round trips, in nanoseconds.
    Rtts(Vec<u64>),
    /// The failover load is steady: kill the leader now.
    Loading,
    /// When (`CLOCK_MONOTONIC`) the NewLeaderEvent and the first answer after it came.
    Failover { new_leader_ns: u64, first_answer_ns: u64, leader: i32, resent: u64 },
    /// No answer from a new leader within the timeout.
    FailoverTimeout,
    /// The session was closed on request (the outcome).
    Closed(String),
    /// The client met an error.
    Failed(String),
}

/// A client under test, driven by commands.
trait Side {
    fn send(&mut self, command: Command) -> Result<(), Failure>;
    fn next_event(&mut self, timeout: Duration) -> Result<Event, Failure>;
    fn close(&mut self) -> Result<(), Failure>;
}

/// Waits for an event that `pick` accepts, skipping reported errors into `notes`.
fn wait_for<T>(
    side: &mut dyn Side,
    timeout: Duration,
    notes: &mut Vec<String>,
    mut pick: impl FnMut(Event) -> Result<T, Event>,
) -> Result<T, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match pick(side.next_event(left)?) {
            Ok(value) => return Ok(value),
            Err(Event::Failed(why)) => notes.push(why),
            Err(Event::FailoverTimeout) => return Err("no answer from a new leader in time".into()),
            Err(_) => {}
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    rounds: usize,
    count: usize,
    warmup: usize,
    failovers: usize,
}

fn plan(ctx: &Ctx) -> Plan {
    ctx.mode.pick(
        Plan { rounds: 2, count: 500, warmup: 200, failovers: 1 },
        Plan { rounds: 5, count: 4_000, warmup: 1_000, failovers: 2 },
    )
}

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    let plan = plan(ctx);
    1 + 2 * plan.rounds + 2 * plan.failovers
}

/// One failover's times from the kill, in nanoseconds.
#[derive(Debug, Clone, Copy)]
struct FailoverTimes {
    killed: u8,
    new_leader: i32,
    new_leader_event: u64,
    first_answer: u64,
    resent: u64,
}

const SIDES: [&str; 2] = ["Rust", "Java"];

#[derive(Default)]
struct Measured {
    /// Per side (Rust, Java), per round.
    rounds: [Vec<Histogram<u64>>; 2],
    failovers: [Vec<FailoverTimes>; 2],
    notes: Vec<String>,
}

/// Runs scenario 9.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let load_before = load_average();
    let started = Instant::now();
    let mut measured = Measured::default();
    if let Err(e) = measure(ctx, progress, &mut measured) {
        measured.notes.push(format!("scenario 9 stopped: {e}"));
    }
    let load_after = load_average();
    measured.notes.push(format!(
        "scenario 9 took {:.0} s; load average before {load_before}, after {load_after}",
        started.elapsed().as_secs_f64()
    ));
    report(measured, results);
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
}

fn measure(ctx: &Ctx, progress: &mut Progress, out: &mut Measured) -> Result<(), Failure> {
    let plan = plan(ctx);
    progress.step("9 Aeron Cluster: javac, 3-node cluster, both clients connecting");
    let jar = PathBuf::from(std::env::var_os(AERON_ALL_JAR_VAR).filter(|v| !v.is_empty()).ok_or(format!(
        "{AERON_ALL_JAR_VAR} is not set: run scripts/setup.sh, then source scripts/env.sh"
    ))?);
    let work = target_dir().join("bench");
    let classes = work.join("cluster-java-classes");
    java_side::compile(&jar, &classes)?;
    let mut cluster = Cluster::start(ClusterConfig {
        aeron_all_jar: Some(jar.clone()),
        idle_strategy: AeronIdleStrategy::Backoff,
        ..ClusterConfig::default()
    })?;
    let endpoints = cluster.ingress_endpoints();
    let mut rust = RustSide::start(endpoints)?;
    let mut java = JavaSide::start(&jar, &classes, endpoints, &work.join("cluster-java.log"))?;
    let connect_timeout = Duration::from_secs(60);
    wait_for(&mut rust, connect_timeout, &mut out.notes, |e| match e {
        Event::Ready => Ok(()),
        other => Err(other),
    })?;
    wait_for(&mut java, connect_timeout, &mut out.notes, |e| match e {
        Event::Ready => Ok(()),
        other => Err(other),
    })?;

    let cluster_cpu_before = cluster.cpu_time();
    let rounds_started = Instant::now();
    let round_timeout = Duration::from_secs(120);
    for round in 1..=plan.rounds {
        // Which side goes first alternates, so that a drift of the machine hits both alike.
        let order = if round % 2 == 1 { [0, 1] } else { [1, 0] };
        for i in order {
            progress.step(&format!(
                "9 Aeron Cluster round trips: {} client, round {round}/{}",
                SIDES[i], plan.rounds
            ));
            let side: &mut dyn Side = if i == 0 { &mut rust } else { &mut java };
            side.send(Command::Round { count: plan.count, warmup: plan.warmup })?;
            let rtts = wait_for(side, round_timeout, &mut out.notes, |e| match e {
                Event::Rtts(rtts) => Ok(rtts),
                other => Err(other),
            })?;
            let mut h = histogram();
            for rtt in rtts {
                record(&mut h, rtt);
            }
            out.rounds[i].push(h);
        }
    }
    let cluster_cores =
        (cluster.cpu_time() - cluster_cpu_before).as_secs_f64() / rounds_started.elapsed().as_secs_f64();
    out.notes.push(format!(
        "scenario 9: the three cluster JVMs used {cluster_cores:.2} cores during the round trips"
    ));

    for repetition in 1..=plan.failovers {
        for (i, name) in SIDES.iter().enumerate() {
            progress.step(&format!(
                "9 Aeron Cluster failover: {name} client, SIGKILL of the leader {repetition}/{}",
                plan.failovers
            ));
            let side: &mut dyn Side = if i == 0 { &mut rust } else { &mut java };
            let leader = cluster.wait_for_leader()?;
            side.send(Command::Failover { timeout: FAILOVER_TIMEOUT + Duration::from_secs(30) })?;
            wait_for(side, Duration::from_secs(30), &mut out.notes, |e| match e {
                Event::Loading => Ok(()),
                other => Err(other),
            })?;
            let killed_ns = monotonic_ns();
            cluster.kill(leader)?;
            let times = wait_for(side, FAILOVER_TIMEOUT, &mut out.notes, |e| match e {
                Event::Failover { new_leader_ns, first_answer_ns, leader: new_leader, resent } => {
                    Ok(FailoverTimes {
                        killed: leader.get(),
                        new_leader,
                        new_leader_event: new_leader_ns.saturating_sub(killed_ns),
                        first_answer: first_answer_ns.saturating_sub(killed_ns),
                        resent,
                    })
                }
                other => Err(other),
            });
            match times {
                Ok(times) => out.failovers[i].push(times),
                Err(e) => out.notes.push(format!("scenario 9, {name} failover {repetition}: {e}")),
            }
            let last = repetition == plan.failovers && i == 1;
            if !last {
                cluster.restart(leader)?;
            }
        }
    }
    let rust_close = rust.close();
    let java_close = java.close();
    drop(cluster);
    rust_close?;
    java_close?;
    Ok(())
}

fn merged(rounds: &[Histogram<u64>]) -> Histogram<u64> {
    let mut all = histogram();
    for h in rounds {
        all.add(h).expect("same bounds");
    }
    all
}

fn median(values: &mut [u64]) -> f64 {
    values.sort_unstable();
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2] as f64,
        n => (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0,
    }
}

fn report(measured: Measured, results: &mut Results) {
    let Measured { rounds, failovers, notes } = measured;
    let names = [
        "Rust: dutycycle ClusterAgent + MediaDriverAgent, one runner, backoff",
        "Java: AeronCluster + embedded Java driver (SHARED), backoff",
    ];
    for (i, side) in rounds.iter().enumerate() {
        let per_round: Vec<String> = side
            .iter()
            .map(|h| {
                let at = |q: f64| fmt_ns(h.value_at_quantile(q) as f64);
                format!("[{} {} {} {}]", at(0.5), at(0.99), at(0.999), fmt_ns(h.max() as f64))
            })
            .collect();
        if !per_round.is_empty() {
            results.notes.push(format!(
                "scenario 9 {} round trips per round [p50 p99 p99.9 max]: {}",
                SIDES[i],
                per_round.join(" ")
            ));
        }
    }
    let lat: Vec<Option<Latency>> = rounds
        .iter()
        .map(|side| (!side.is_empty()).then(|| Latency::from_histogram(&merged(side), 1.0)))
        .collect();
    for (i, l) in lat.iter().enumerate() {
        if let Some(l) = l {
            results.distributions.push(Distribution {
                scenario: 9,
                group: "cluster".into(),
                name: names[i].into(),
                latency: l.clone(),
                cpu_percent: None,
                baseline: i == 1,
            });
        }
    }
    if let (Some(r), Some(j)) = (&lat[0], &lat[1]) {
        let rows: [(&str, f64, f64, Option<Target>); 4] = [
            ("p50", r.p50, j.p50, Some(Target::RatioAtMost(1.0))),
            ("p99", r.p99, j.p99, None),
            ("p99.9", r.p999, j.p999, Some(Target::RatioAtMost(0.7))),
            ("max", r.max, j.max, None),
        ];
        for (what, rust, java, target) in rows {
            let mut row = Row::new(9, format!("Aeron Cluster echo RTT {what}, Rust client"), rust, Unit::Ns)
                .vs(format!("Java AeronCluster {what}"), java);
            if let Some(target) = target {
                row = row.target(target);
            }
            results.rows.push(row);
        }
    }
    let mut firsts: Vec<Vec<u64>> = Vec::new();
    for (i, side) in failovers.iter().enumerate() {
        let list: Vec<String> = side
            .iter()
            .map(|t| {
                format!(
                    "[leader {} killed, new leader {}: its NewLeaderEvent after {}, first answer {}, resent {}]",
                    t.killed,
                    t.new_leader,
                    fmt_ns(t.new_leader_event as f64),
                    fmt_ns(t.first_answer as f64),
                    t.resent
                )
            })
            .collect();
        if !list.is_empty() {
            results.notes.push(format!(
                "scenario 9 {} failovers, from the SIGKILL: {}",
                SIDES[i],
                list.join(" ")
            ));
        }
        firsts.push(side.iter().map(|t| t.first_answer).collect());
    }
    let mut events: Vec<Vec<u64>> =
        failovers.iter().map(|s| s.iter().map(|t| t.new_leader_event).collect()).collect();
    if !firsts[0].is_empty() {
        let n = firsts[0].len();
        let mut row = Row::new(
            9,
            format!(
                "Aeron Cluster failover, SIGKILL to first answer from the new leader, Rust (median of {n})"
            ),
            median(&mut firsts[0]),
            Unit::Ns,
        );
        if !firsts[1].is_empty() {
            row =
                row.vs(format!("Java AeronCluster (median of {})", firsts[1].len()), median(&mut firsts[1]));
        }
        results.rows.push(row);
        let mut row = Row::new(
            9,
            format!("Aeron Cluster failover, SIGKILL to NewLeaderEvent, Rust (median of {n})"),
            median(&mut events[0]),
            Unit::Ns,
        );
        if !events[1].is_empty() {
            row =
                row.vs(format!("Java AeronCluster (median of {})", events[1].len()), median(&mut events[1]));
        }
        results.rows.push(row);
    }
    results.notes.extend(notes);
}
