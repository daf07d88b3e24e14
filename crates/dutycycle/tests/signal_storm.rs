//! Signal storms: child processes with several runners, pinned and not,
//! on every idle strategy, on the process's signal latch (`AgentGroup::from_signals`), are sent
//! SIGTERM or SIGINT at random moments: while the runners start, while they run, and while the
//! process shuts down on its own. Every child must exit with status 0 after every agent was
//! closed and dropped on its own thread. A second signal during a stuck `on_close` must end
//! the child at once with 128 + the signal's number.
//!
//! # What "clean" means, and the window before the handlers exist
//!
//! Until `from_signals()` has installed its handlers, SIGINT and SIGTERM have the kernel's
//! default action: the process dies of the signal. No library can help there, so that window
//! is not part of the promise, and the storm does not count it: the child calls
//! `AgentGroup::from_signals()` first thing and then prints `handlers-installed`, and the parent
//! never signals before it has read that line. (An application that must survive a signal in
//! that window blocks SIGINT and SIGTERM with `pthread_sigmask` before it spawns any thread.)
//! Everything after the line is in the storm: a signal during runner start-up (some runners
//! then start on a latch that is already signalled and stop before their first cycle), while
//! the agents run, during a shutdown the child began itself (the first signal then arrives
//! while runners are being closed, or while the process exits), each of them on SIGTERM and
//! on SIGINT.
//!
//! Timing is random; the seed is printed, and `DUTYCYCLE_STORM_SEED=<n>` replays a storm. The
//! parent counts in which phase each child saw its signal and checks that start-up, running
//! and shutdown were each hit.
//!
//! # Soak mode
//!
//! `DUTYCYCLE_SOAK=1 cargo test -p dutycycle --release --test signal_storm --test soak -- --nocapture`
//! runs 20 times as many children (`DUTYCYCLE_SOAK=<n>`: n times 20).
//!
//! The clean and stuck shutdowns of a single runner on each signal are in `signals.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentGroup, AgentRunner, AgentRunnerBuilder, BackoffIdleStrategy,
    BusySpinIdleStrategy, CompositeAgent, ControllableIdleStrategy, Ending, IdleMode, IdleStrategy,
    NoOpIdleStrategy, SleepingIdleStrategy, SleepingMillisIdleStrategy, YieldingIdleStrategy,
};
use dutycycle_test_support::{
    child::{child_mode, ChildOutput, ChildProcess},
    thread::{exclusive_cpu, gettid, process_allowed_cores},
};

/// Children in the normal suite; the soak multiplies it.
const STORM_RUNS: u64 = 100;
const STUCK_RUNS: u64 = 8;

/// How many times the soak mode multiplies the runs (`DUTYCYCLE_SOAK`): 1 normally.
fn soak_factor() -> u64 {
    match std::env::var("DUTYCYCLE_SOAK") {
        Ok(v) => v.trim().parse::<u64>().map(|n| n.max(1) * 20).unwrap_or(20),
        Err(_) => 1,
    }
}

// ---------------------------------------------------------------------------------------------
// A small deterministic random source (SplitMix64), so that a failing storm can be replayed

struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Rng {
        let seed =
            std::env::var("DUTYCYCLE_STORM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
            });
        println!("storm seed {seed} (replay with DUTYCYCLE_STORM_SEED={seed})");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max_us` microseconds.
    fn delay(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.next() % (max.as_micros() as u64 + 1))
    }

    fn signal(&mut self) -> libc::c_int {
        if self.next() % 2 == 0 {
            libc::SIGTERM
        } else {
            libc::SIGINT
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The child: several runners on the signal latch

/// An agent that remembers the thread that built it and prints, when it is closed and when it
/// is dropped, that thread's tid next to the tid doing the closing or dropping:
/// `closed <role> agent=<tid> on=<tid>`, `dropped <role> agent=<tid> on=<tid>`.
struct Witness {
    role: String,
    built_on: libc::pid_t,
    slow_start: Duration,
    slow_close: Duration,
    stuck_on_close: bool,
    _not_send: Rc<()>,
}

#[derive(Clone, Default)]
struct Behaviour {
    slow_start: Duration,
    slow_close: Duration,
    stuck_on_close: bool,
}

fn witness(
    role: &str,
    behaviour: Behaviour,
) -> impl FnOnce() -> Result<Witness, AgentError> + Send + 'static {
    let role = role.to_owned();
    move || {
        Ok(Witness {
            role,
            built_on: gettid(),
            slow_start: behaviour.slow_start,
            slow_close: behaviour.slow_close,
            stuck_on_close: behaviour.stuck_on_close,
            _not_send: Rc::new(()),
        })
    }
}

impl Agent for Witness {
    fn role_name(&self) -> &str {
        &self.role
    }

    fn on_start(&mut self) -> Result<(), AgentError> {
        // Widens the start-up window, so that signals land in it.
        std::thread::sleep(self.slow_start);
        Ok(())
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        println!("closed {} agent={} on={}", self.role, self.built_on, gettid());
        if self.stuck_on_close {
            println!("stuck closing {}", self.role);
            loop {
                std::thread::park();
            }
        }
        std::thread::sleep(self.slow_close);
        Ok(())
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        println!("dropped {} agent={} on={}", self.role, self.built_on, gettid());
    }
}

/// One runner of a child: its role, its idle strategy and core, how its agent behaves.
struct Member {
    role: String,
    core: Option<usize>,
    idle: &'static str,
    behaviour: Behaviour,
}

/// The runners of child number `run`: every idle strategy, two of the three busy ones (spin,
/// noop, yield; rotating with `run`), each pinned to a core of its own so that no core has two
/// busy threads; the parking ones pinned or not; and a composite of two agents.
fn roster(run: u64, cores: &[usize]) -> Vec<Member> {
    const BUSY_PAIRS: [[&str; 2]; 3] = [["spin", "noop"], ["noop", "yield"], ["yield", "spin"]];
    let mut busy = BUSY_PAIRS[(run % 3) as usize];
    if (run / 3) % 2 == 1 {
        busy.reverse();
    }
    let member = |role: &str, core: Option<usize>, idle: &'static str| Member {
        role: role.to_owned(),
        core,
        idle,
        behaviour: Behaviour::default(),
    };
    let mut members = Vec::new();
    // At most one busy thread per core, and none where there is no core for it.
    for (busy, core) in busy.iter().zip(cores.iter().take(2)) {
        members.push(member(&format!("{busy}-cpu{core}"), Some(*core), busy));
    }
    members.push(member("sleep-ns-pinned", cores.first().copied(), "sleep-ns"));
    members.push(member("sleep-ms", None, "sleep-ms"));
    let mut slow_starter = member("backoff-pinned", cores.last().copied(), "backoff");
    slow_starter.behaviour.slow_start = Duration::from_millis(5);
    members.push(slow_starter);
    members.push(member("controllable", None, "controllable"));
    members.push(member("composite", None, "backoff"));
    let mut slow_closer = member("backoff", None, "backoff");
    slow_closer.behaviour.slow_close = Duration::from_millis(5);
    // Started first, closed last: the shutdown window stays open while the others close.
    members.insert(0, slow_closer);
    members
}

/// The sub-agents of the "composite" member.
const COMPOSITE_PARTS: [&str; 2] = ["composite/a", "composite/b"];

fn start_member(group: &mut AgentGroup, member: &Member) {
    fn go<I: IdleStrategy + Send + 'static>(
        group: &mut AgentGroup,
        member: &Member,
        builder: AgentRunnerBuilder<I>,
    ) {
        let builder = match member.core {
            Some(core) => builder.core(core),
            None => builder,
        };
        let builder = builder.name(member.role.as_str());
        let result = if member.role == "composite" {
            let parts = COMPOSITE_PARTS.map(|role| witness(role, Behaviour::default()));
            let [a, b] = parts;
            group
                .start(builder, move || Ok(CompositeAgent::new(vec![Box::new(a()?), Box::new(b()?)])))
                .map(|_| ())
        } else {
            group.start(builder, witness(&member.role, member.behaviour.clone())).map(|_| ())
        };
        result.unwrap_or_else(|err| panic!("{} did not start: {err}", member.role));
    }
    let builder = AgentRunner::builder();
    match member.idle {
        "spin" => go(group, member, builder.idle_strategy(BusySpinIdleStrategy)),
        "noop" => go(group, member, builder.idle_strategy(NoOpIdleStrategy)),
        "yield" => go(group, member, builder.idle_strategy(YieldingIdleStrategy)),
        "sleep-ns" => go(group, member, builder.idle_strategy(SleepingIdleStrategy::default())),
        "sleep-ms" => go(group, member, builder.idle_strategy(SleepingMillisIdleStrategy::default())),
        "backoff" => go(group, member, builder.idle_strategy(BackoffIdleStrategy::default())),
        "controllable" => {
            go(group, member, builder.idle_strategy(ControllableIdleStrategy::new(IdleMode::Park)))
        }
        other => unreachable!("no idle strategy {other}"),
    }
}

/// The roles whose close and drop a child prints, for `members`.
fn witnesses(members: &[Member]) -> Vec<String> {
    members
        .iter()
        .flat_map(|m| {
            if m.role == "composite" {
                COMPOSITE_PARTS.iter().map(|r| r.to_string()).collect()
            } else {
                vec![m.role.clone()]
            }
        })
        .collect()
}

/// What the parent asks of a child, in its mode string: `storm <run> <stop-after-us>` (the
/// child signals its own latch after that long, unless the signal came first: a shutdown of its
/// own for the signal to land in; `-` to wait for the signal) or `stuck <run>`.
fn storm_child(mode: &str) {
    // First thing: the handlers. Before this returns, a signal kills the process.
    let mut group = AgentGroup::from_signals().unwrap();
    println!("handlers-installed {}", gettid());

    let words: Vec<&str> = mode.split(' ').collect();
    let run: u64 = words[1].parse().unwrap();
    let stop_after: Option<Duration> = words.get(2).and_then(|w| w.parse().ok()).map(Duration::from_micros);
    let stuck = words[0] == "stuck";
    let cores = process_allowed_cores();
    let mut members = roster(run, &cores);
    if stuck {
        // The first started is closed last: the others close cleanly before it hangs.
        members[0].behaviour.stuck_on_close = true;
    }
    println!("roster {}", witnesses(&members).join(" "));

    for member in &members {
        start_member(&mut group, member);
    }
    let termination = group.termination().clone();
    let mut phase = if termination.received_signal().is_some() { "startup" } else { "running" };
    println!("started");
    match stop_after {
        Some(after) => {
            if !group.wait_timeout(after) {
                println!("shutting-down");
                termination.signal();
                phase = "shutdown";
            }
        }
        None => group.wait(),
    }
    for (member, report) in members.iter().zip(group.close()) {
        let report = report.unwrap_or_else(|failed| panic!("{}: {failed}", member.role));
        assert!(matches!(report.ending(), Ending::LatchSignalled { .. }), "{report}");
        println!("report {} {}", report.role(), report.ending());
    }
    if phase == "shutdown" && termination.received_signal().is_none() {
        // The signal comes after every agent closed: while the process exits.
        phase = "exit";
    }
    println!("phase {phase}");
    println!("child-done");
}

// ---------------------------------------------------------------------------------------------
// The parent

/// Checks that every witness in the child's roster was closed and dropped once, on the thread
/// that built it, that this thread is not the main one, and that each runner had a thread of
/// its own (the composite's two parts share theirs).
fn assert_every_agent_closed_on_its_own_thread(out: &ChildOutput) {
    let context = || format!("stdout: {:#?}\nstderr:\n{}", out.stdout, out.stderr);
    let line = |prefix: &str| out.stdout.iter().find(|l| l.starts_with(prefix)).cloned();
    let main_tid: i32 = line("handlers-installed ").unwrap()["handlers-installed ".len()..].parse().unwrap();
    let roster: Vec<String> =
        line("roster ").unwrap()["roster ".len()..].split(' ').map(str::to_owned).collect();

    // (what, role) -> [(agent tid, tid it happened on)]
    let mut seen: HashMap<(&str, &str), Vec<(i32, i32)>> = HashMap::new();
    for l in &out.stdout {
        if let [what @ ("closed" | "dropped"), role, agent, on] = l.split(' ').collect::<Vec<_>>()[..] {
            let tid = |s: &str, key: &str| s.strip_prefix(key).unwrap().parse::<i32>().unwrap();
            seen.entry((what, role)).or_default().push((tid(agent, "agent="), tid(on, "on=")));
        }
    }
    let mut runner_threads: HashMap<i32, Vec<&str>> = HashMap::new();
    for role in &roster {
        for what in ["closed", "dropped"] {
            let calls = seen.get(&(what, role.as_str())).cloned().unwrap_or_default();
            assert_eq!(calls.len(), 1, "{role} {what} {} times\n{}", calls.len(), context());
            let (agent, on) = calls[0];
            assert_eq!(
                on,
                agent,
                "{role} was {what} on thread {on}, not on its own thread {agent}\n{}",
                context()
            );
            assert_ne!(agent, main_tid, "{role} ran on the main thread\n{}", context());
        }
        let (agent, _) = seen[&("closed", role.as_str())][0];
        runner_threads.entry(agent).or_default().push(role);
    }
    for (tid, roles) in &runner_threads {
        let composite = roles.iter().all(|r| r.starts_with("composite/"));
        assert!(roles.len() == 1 || composite, "{roles:?} shared thread {tid}\n{}", context());
    }
}

/// When the parent sends the signal, relative to what the child prints.
#[derive(Debug, Clone, Copy)]
enum Aim {
    /// This long after spawning the child, but not before `handlers-installed`.
    AfterSpawn(Duration),
    /// This long after the child printed the line that starts with the marker.
    AfterLine(&'static str, Duration),
}

/// Spawns a storm child, signals it as aimed, and returns its output once it exited.
fn storm_once(test: &str, mode: &str, aim: Aim, signal: libc::c_int) -> ChildOutput {
    let spawned = Instant::now();
    let mut child = ChildProcess::spawn(test, mode);
    child.wait_for_line("handlers-installed");
    match aim {
        Aim::AfterSpawn(delay) => std::thread::sleep(delay.saturating_sub(spawned.elapsed())),
        Aim::AfterLine(marker, delay) => {
            if marker != "handlers-installed" {
                child.wait_for_line(marker);
            }
            std::thread::sleep(delay);
        }
    }
    child.signal(signal);
    child.wait()
}

const STORM_TEST: &str = "a_storm_of_sigterm_and_sigint_at_random_moments_ends_every_child_cleanly";

#[test]
fn a_storm_of_sigterm_and_sigint_at_random_moments_ends_every_child_cleanly() {
    if let Some(mode) = child_mode() {
        return storm_child(&mode);
    }
    // The children spin on both CPUs: nothing else of this binary runs meanwhile.
    let _cpu = exclusive_cpu();
    let mut rng = Rng::from_env_or_clock();
    let runs = STORM_RUNS * soak_factor();
    let started = Instant::now();
    let mut phases: BTreeMap<String, u64> = BTreeMap::new();
    let mut signals: BTreeMap<&str, u64> = BTreeMap::new();
    for run in 0..runs {
        let signal = rng.signal();
        // Every fourth child is aimed at a phase; the rest get a random delay from spawn, which
        // lands anywhere in the child's life, and half of those shut down on their own after a
        // random while.
        let (aim, stop_after) = match run % 8 {
            0 => (Aim::AfterLine("handlers-installed", rng.delay(Duration::from_millis(4))), None),
            2 => (Aim::AfterLine("started", rng.delay(Duration::from_millis(2))), None),
            4 => (Aim::AfterLine("shutting-down", rng.delay(Duration::from_millis(4))), Some(Duration::ZERO)),
            6 => (Aim::AfterSpawn(rng.delay(Duration::from_millis(30))), None),
            _ => (
                Aim::AfterSpawn(rng.delay(Duration::from_millis(30))),
                Some(rng.delay(Duration::from_millis(20))),
            ),
        };
        let mode = match stop_after {
            Some(after) => format!("storm {run} {}", after.as_micros()),
            None => format!("storm {run} -"),
        };
        let out = storm_once(STORM_TEST, &mode, aim, signal);
        if !out.status.success() {
            panic!(
                "child {run} ({mode}, {aim:?}, signal {signal}) did not exit cleanly: {:?} (signal {:?})\n\
                 stdout: {:#?}\nstderr:\n{}",
                out.status,
                out.status.signal(),
                out.stdout,
                out.stderr
            );
        }
        out.assert_success_with("child-done");
        assert_every_agent_closed_on_its_own_thread(&out);
        let phase = out.stdout.iter().find_map(|l| l.strip_prefix("phase ")).unwrap().to_owned();
        *phases.entry(phase).or_default() += 1;
        *signals.entry(if signal == libc::SIGTERM { "SIGTERM" } else { "SIGINT" }).or_default() += 1;
    }
    println!(
        "{runs} children in {:?}; signal seen during: {phases:?}; signals sent: {signals:?}",
        started.elapsed()
    );
    for phase in ["startup", "running", "shutdown"] {
        assert!(phases.get(phase).copied().unwrap_or(0) > 0, "no signal landed during {phase}: {phases:?}");
    }
    assert_eq!(signals.len(), 2, "both signals are sent: {signals:?}");
}

const STUCK_TEST: &str =
    "a_second_signal_during_a_stuck_on_close_ends_the_storm_child_with_128_plus_its_number";

/// Extends `signals.rs` (one runner, three pairs of signals) to a child with every idle
/// strategy, pinned spinners and a group, all four pairs of SIGINT and SIGTERM, and random
/// timing (the first signal may land during start-up): whatever closed before the second
/// signal closed on its own thread, and the second signal ends the process with 128 + its
/// number, however far the shutdown got.
#[test]
fn a_second_signal_during_a_stuck_on_close_ends_the_storm_child_with_128_plus_its_number() {
    if let Some(mode) = child_mode() {
        return storm_child(&mode);
    }
    let _cpu = exclusive_cpu();
    let mut rng = Rng::from_env_or_clock();
    let pairs = [
        (libc::SIGINT, libc::SIGINT),
        (libc::SIGINT, libc::SIGTERM),
        (libc::SIGTERM, libc::SIGINT),
        (libc::SIGTERM, libc::SIGTERM),
    ];
    for run in 0..STUCK_RUNS * soak_factor() {
        let (first, second) = pairs[(run % 4) as usize];
        let mut child = ChildProcess::spawn(STUCK_TEST, &format!("stuck {run} -"));
        child.wait_for_line("handlers-installed");
        std::thread::sleep(rng.delay(Duration::from_millis(20)));
        child.signal(first);
        let stuck = child.wait_for_line("stuck closing ");
        std::thread::sleep(rng.delay(Duration::from_millis(10)));
        child.signal(second);
        let out = child.wait();
        let context = format!("run {run}: stdout: {:#?}\nstderr:\n{}", out.stdout, out.stderr);
        assert_eq!(out.status.signal(), None, "killed by a signal instead of exiting: {context}");
        assert_eq!(out.status.code(), Some(128 + second), "{context}");
        assert!(!out.stdout.iter().any(|l| l == "child-done"), "{context}");

        // The stuck agent is the one that said so, and every agent that was closed before the
        // second signal (on the latch they all stop at once, so some may not have got there)
        // was closed on its own thread.
        let roster: Vec<&str> =
            out.stdout.iter().find_map(|l| l.strip_prefix("roster ")).unwrap().split(' ').collect();
        assert_eq!(stuck.strip_prefix("stuck closing "), Some(roster[0]), "{context}");
        for line in out.stdout.iter().filter(|l| l.starts_with("closed ")) {
            let tids: HashSet<&str> =
                line.split(' ').skip(2).map(|kv| kv.split_once('=').unwrap().1).collect();
            assert_eq!(tids.len(), 1, "closed off its own thread: {line}\n{context}");
        }
    }
}
