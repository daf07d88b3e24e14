//! `AgentTermination`: the latch, its waits, sharing it between runners, and waking parked
//! agents. (Signals are in `signals.rs`: they need processes of their own.)

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use dutycycle::{AgentRunner, AgentTermination, BackoffIdleStrategy, Ending, SleepingMillisIdleStrategy};

/// Clones of the latch go to other threads and are shared between them.
const _: () = {
    const fn assert_clone_send_sync<T: Clone + Send + Sync>() {}
    assert_clone_send_sync::<AgentTermination>();
};

#[test]
fn a_new_latch_is_not_signalled() {
    let termination = AgentTermination::new();
    assert!(!termination.is_signalled());
    assert!(!AgentTermination::default().is_signalled());
    assert_eq!(termination.received_signal(), None);
}

#[test]
fn signal_is_idempotent_and_final() {
    let termination = AgentTermination::new();
    termination.signal();
    assert!(termination.is_signalled());
    termination.signal();
    assert!(termination.is_signalled());
    assert!(termination.wait_timeout(Duration::ZERO));
    assert_eq!(termination.received_signal(), None, "signal() is not an OS signal");
}

#[test]
fn clones_share_one_latch_across_threads() {
    let termination = AgentTermination::new();
    let clones: Vec<AgentTermination> = (0..3).map(|_| termination.clone()).collect();
    let remote = clones[0].clone();
    std::thread::spawn(move || remote.signal()).join().unwrap();
    assert!(termination.is_signalled());
    assert!(clones.iter().all(AgentTermination::is_signalled));
}

#[test]
fn wait_returns_once_another_thread_signals() {
    let termination = AgentTermination::new();
    let waiter_latch = termination.clone();
    let (woke_tx, woke) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        waiter_latch.wait();
        woke_tx.send(waiter_latch.is_signalled()).unwrap();
    });
    // Give the waiter time to block; it must not return before the signal.
    assert_eq!(woke.recv_timeout(Duration::from_millis(100)), Err(mpsc::RecvTimeoutError::Timeout));
    termination.signal();
    assert_eq!(woke.recv_timeout(PATIENCE), Ok(true));
    waiter.join().unwrap();
}

#[test]
fn wait_returns_at_once_when_already_signalled() {
    let termination = AgentTermination::new();
    termination.signal();
    let (done_tx, done) = mpsc::channel();
    let latch = termination.clone();
    std::thread::spawn(move || {
        latch.wait();
        done_tx.send(()).unwrap();
    });
    done.recv_timeout(PATIENCE).expect("wait blocked on a signalled latch");
}

#[test]
fn wait_timeout_returns_false_when_not_signalled_in_time() {
    let termination = AgentTermination::new();
    let asked = Instant::now();
    assert!(!termination.wait_timeout(Duration::from_millis(50)));
    assert!(asked.elapsed() >= Duration::from_millis(50), "returned after {:?}", asked.elapsed());
    assert!(!termination.wait_timeout(Duration::ZERO));
}

#[test]
fn wait_timeout_returns_true_when_signalled_while_waiting() {
    let termination = AgentTermination::new();
    let latch = termination.clone();
    let (started_tx, started) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        started_tx.send(()).unwrap();
        let asked = Instant::now();
        (latch.wait_timeout(Duration::from_secs(60)), asked.elapsed())
    });
    started.recv().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    termination.signal();
    let (signalled, took) = waiter.join().unwrap();
    assert!(signalled);
    assert!(took < Duration::from_secs(30), "wait_timeout waited out its timeout: {took:?}");
}

#[test]
fn one_latch_stops_several_runners() {
    let termination = AgentTermination::new();
    let mut logs = Vec::new();
    let runners: Vec<AgentRunner> = ["a", "b", "c"]
        .into_iter()
        .map(|role| {
            let (spec, events) = ProbeSpec::new(role);
            logs.push(events);
            AgentRunner::builder()
                .termination(termination.clone())
                .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
                .start(spec.factory())
                .unwrap()
        })
        .collect();
    assert!(runners.iter().all(AgentRunner::is_running));
    termination.signal();
    let mut threads = Vec::new();
    for (runner, events) in runners.into_iter().zip(&logs) {
        let report = runner.join().unwrap();
        assert!(
            matches!(report.ending(), Ending::LatchSignalled { signal: None }),
            "{}: {:?}",
            report.role(),
            report.ending()
        );
        threads.push(assert_one_agent_thread(&events.logged()));
    }
    threads.dedup();
    assert_eq!(threads.len(), 3, "each agent on its own thread");
}

#[test]
fn a_runner_started_on_a_signalled_latch_stops_before_its_first_cycle() {
    let termination = AgentTermination::new();
    termination.signal();
    let (spec, events) = ProbeSpec::new("late");
    let report =
        AgentRunner::builder().termination(termination).start(spec.factory()).unwrap().join().unwrap();
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }));
    assert_eq!(report.duty_cycles(), 0);
    assert_eq!(names(&events.logged()), ["factory", "on_start", "on_close", "drop"]);
}

/// Starts an idle probe on `idle`, waits until it has run `parks_after` cycles (so that it is
/// in, or just entering, a park of `park`), then signals; returns how long the agent took to
/// stop after the signal.
fn time_to_stop_a_parked_agent<I>(idle: I, parks_after: u64) -> Duration
where
    I: dutycycle::IdleStrategy + Send + 'static,
{
    let termination = AgentTermination::new();
    let (spec, _events) = ProbeSpec::new("parked");
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .idle_strategy(idle)
        .start(spec.factory())
        .unwrap();
    eventually("the agent reaches its parking cycle", || runner.stats().duty_cycles >= parks_after);
    // Let it settle into the park (a short sleep: nothing to synchronise with).
    std::thread::sleep(Duration::from_millis(20));
    let cycles = runner.stats().duty_cycles;
    let signalled = Instant::now();
    termination.signal();
    let report = runner.join().unwrap();
    let took = signalled.elapsed();
    assert_eq!(report.duty_cycles(), cycles, "the agent was not parked when signalled");
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }));
    took
}

#[test]
fn signal_wakes_an_agent_parked_by_backoff() {
    // One spin, one yield, then parks of 1 s: the fifth idle call parks.
    let backoff = BackoffIdleStrategy::new(1, 1, Duration::from_secs(1), Duration::from_secs(1)).unwrap();
    let took = time_to_stop_a_parked_agent(backoff, 5);
    assert!(took < Duration::from_millis(500), "stopping took {took:?}: the 1 s park was waited out");
}

#[test]
fn signal_wakes_an_agent_parked_by_sleeping_millis() {
    let took = time_to_stop_a_parked_agent(SleepingMillisIdleStrategy::new(10_000).unwrap(), 1);
    assert!(took < Duration::from_secs(2), "stopping took {took:?}: the 10 s park was waited out");
}

#[test]
fn debug_shows_whether_the_latch_is_signalled() {
    let termination = AgentTermination::new();
    assert_eq!(format!("{termination:?}"), "AgentTermination { signalled: false }");
    termination.signal();
    assert_eq!(format!("{termination:?}"), "AgentTermination { signalled: true }");
}

#[test]
fn signal_ends_the_park_that_follows_a_do_work_that_parked_the_thread_itself() {
    let termination = AgentTermination::new();
    let (waiting_tx, waiting) = mpsc::channel::<()>();
    let (spec, _events) = ProbeSpec::new("blocks-in-do-work");
    let (never, quiet) = mpsc::channel::<()>();
    let spec = spec.work(move |cycle| {
        if cycle == 1 {
            waiting_tx.send(()).unwrap();
            // Nobody sends: this parks the thread for 500 ms, and takes its park token.
            let _ = quiet.recv_timeout(Duration::from_millis(500));
        }
        Ok(0)
    });
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .idle_strategy(SleepingMillisIdleStrategy::new(20_000).unwrap())
        .start(spec.factory())
        .unwrap();
    waiting.recv_timeout(PATIENCE).expect("the first do_work began");
    let signalled = Instant::now();
    termination.signal();
    let report = runner.join().unwrap();
    let took = signalled.elapsed();
    drop(never);
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?}: the 20 s park after do_work was waited out"
    );
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }));
    assert_eq!(report.duty_cycles(), 1);
}
