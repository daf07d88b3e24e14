//! `close_timeout` with a stuck agent (issue 5, item 7), beyond `runner.rs`, which covers an
//! agent stuck in `do_work`: the error names the role within the timeout plus a margin
//! (`close_timeout_names_the_role_of_a_stuck_agent_within_the_timeout`), the runner comes back to
//! wait again (`a_timed_out_close_gives_the_runner_back_to_wait_again`), and a dropped error
//! detaches the thread, which later runs `on_close` and `Drop` on itself
//! (`a_detached_thread_finishes_later_and_runs_on_close_on_itself`).
//!
//! Here: an agent stuck in `on_close` itself; a detached thread that really ends (leaves
//! `/proc/self/task`) once its agent returns; and a process that exits while a detached thread
//! is still stuck: it exits normally, and that agent is never closed, as `CloseTimedOut`
//! documents.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use dutycycle::{AgentError, AgentRunner, CloseError, Ending, SleepingMillisIdleStrategy};

/// An idle agent whose `on_close` blocks until `release` gets a message (or is dropped); it
/// sends on `stuck` when it starts blocking.
fn stuck_in_on_close(role: &str) -> (ProbeSpec, Events, mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (release_tx, release) = mpsc::channel::<()>();
    let (stuck_tx, stuck) = mpsc::channel::<()>();
    let (spec, events) = ProbeSpec::new(role);
    let spec = spec.on_close(move || {
        let _ = stuck_tx.send(());
        let _ = release.recv();
        Err(AgentError::msg("closed late"))
    });
    (spec, events, release_tx, stuck)
}

fn parks_long() -> SleepingMillisIdleStrategy {
    SleepingMillisIdleStrategy::new(10_000).unwrap()
}

#[test]
fn close_timeout_names_the_role_of_an_agent_stuck_in_on_close_within_the_timeout() {
    let (spec, events, release, stuck) = stuck_in_on_close("stuck-closer");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let timeout = Duration::from_millis(300);
    let asked = Instant::now();
    let err = runner.close_timeout(timeout).unwrap_err();
    let took = asked.elapsed();
    stuck.recv_timeout(PATIENCE).expect("on_close was reached");
    let CloseError::TimedOut(timed_out) = err else { panic!("expected TimedOut, got {err:?}") };
    assert_eq!(timed_out.role(), "stuck-closer");
    assert!(timed_out.to_string().contains("stuck-closer"), "{timed_out}");
    assert!(took >= timeout, "gave up after {took:?}, before the {timeout:?} timeout");
    assert!(took < timeout + Duration::from_secs(5), "took {took:?} for a {timeout:?} timeout");

    // Released, the thread finishes on_close and drops the agent on itself; the report says how.
    release.send(()).unwrap();
    let failed = timed_out.into_runner().join().unwrap_err();
    assert!(matches!(failed.report().ending(), Ending::Closed));
    assert_eq!(failed.report().close_failure().unwrap().to_string(), "closed late");
    let events = events.logged();
    assert_eq!(names(&events).last_chunk::<2>(), Some(&["on_close", "drop"]));
    assert_one_agent_thread(&events);
}

#[test]
fn a_detached_thread_ends_once_its_agent_returns() {
    let (spec, events, release, stuck) = stuck_in_on_close("detached");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let agent_tid = events.wait_for("on_start").tid;
    let err = runner.close_timeout(Duration::from_millis(20)).unwrap_err();
    stuck.recv_timeout(PATIENCE).unwrap();
    drop(err); // detaches
    let task = format!("/proc/self/task/{agent_tid}");
    assert!(Path::new(&task).exists(), "the stuck thread is still there while on_close blocks");
    release.send(()).unwrap();
    assert_eq!(events.wait_for("drop").tid, agent_tid, "the detached thread dropped its own agent");
    eventually("the detached thread has ended", || !Path::new(&task).exists());
}

/// The child of the next test: detaches a thread stuck in `on_close` for good, then returns,
/// so that the process exits with the thread still stuck.
fn exit_with_a_stuck_detached_thread_child() {
    let (release_tx, release) = mpsc::channel::<()>();
    let (stuck_tx, stuck) = mpsc::channel::<()>();
    let (spec, _events) = ProbeSpec::new("forever-stuck");
    let spec = spec
        .on_start(|| {
            println!("agent started");
            Ok(())
        })
        .on_close(move || {
            let _ = stuck_tx.send(());
            let _ = release.recv();
            println!("on_close returned");
            Ok(())
        });
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let err = runner.close_timeout(Duration::from_millis(20)).unwrap_err();
    stuck.recv_timeout(PATIENCE).unwrap();
    drop(err);
    std::mem::forget(release_tx); // never released, never disconnected: on_close never returns
    println!("child-done");
}

#[test]
fn a_process_exits_normally_with_a_detached_thread_still_stuck_whose_agent_is_never_closed() {
    if child_mode().is_some() {
        return exit_with_a_stuck_detached_thread_child();
    }
    let out = ChildProcess::spawn(
        "a_process_exits_normally_with_a_detached_thread_still_stuck_whose_agent_is_never_closed",
        "exit-stuck",
    )
    .wait();
    out.assert_success_with("child-done");
    assert!(out.stdout.iter().any(|l| l == "agent started"));
    assert!(!out.stdout.iter().any(|l| l == "on_close returned"), "{:#?}", out.stdout);
}

#[test]
fn close_ends_the_park_that_follows_a_do_work_that_parked_the_thread_itself() {
    let (waiting_tx, waiting) = mpsc::channel::<()>();
    let (never, quiet) = mpsc::channel::<()>();
    let (spec, events) = ProbeSpec::new("blocks-in-do-work");
    let spec = spec.work(move |cycle| {
        if cycle == 1 {
            waiting_tx.send(()).unwrap();
            // Nobody sends: this parks the thread for 500 ms, and takes its park token.
            let _ = quiet.recv_timeout(Duration::from_millis(500));
        }
        Ok(0)
    });
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    waiting.recv_timeout(PATIENCE).expect("the first do_work began");
    let asked = Instant::now();
    let report = match runner.close_timeout(Duration::from_secs(5)) {
        Ok(report) => report,
        Err(err) => panic!("after {:?}: {err}: the 10 s park after do_work was waited out", asked.elapsed()),
    };
    drop(never);
    assert!(matches!(report.ending(), Ending::Closed));
    assert_eq!(report.duty_cycles(), 1);
    assert_eq!(names(&events.logged()), ["factory", "on_start", "do_work", "on_close", "drop"]);
}

/// Sleeps in its `Drop`: a thread-local of this type delays the end of its thread.
struct SlowToDrop(Duration);

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        std::thread::sleep(self.0);
    }
}

thread_local! {
    static SLOW_THREAD_EXIT: std::cell::RefCell<Option<SlowToDrop>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn close_timeout_hands_the_report_back_without_waiting_for_thread_local_destructors() {
    let (tid_tx, tid) = mpsc::channel();
    let (spec, events) = ProbeSpec::new("slow-exit");
    let spec = spec.on_start(move || {
        SLOW_THREAD_EXIT.with(|slot| *slot.borrow_mut() = Some(SlowToDrop(Duration::from_secs(4))));
        tid_tx.send(gettid()).unwrap();
        Ok(())
    });
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let tid = tid.recv_timeout(PATIENCE).unwrap();
    let timeout = Duration::from_millis(500);
    let asked = Instant::now();
    let report = runner.close_timeout(timeout).expect("the agent closed in time");
    let took = asked.elapsed();
    assert!(report.is_clean(), "{report}");
    assert!(
        took < Duration::from_secs(3),
        "close_timeout({timeout:?}) returned after {took:?}: it waited for the thread-local's 4 s destructor"
    );
    assert!(names(&events.logged()).ends_with(&["on_close", "drop"]), "{:?}", events.logged());
    // The thread ends once its thread-locals are gone, and nothing is left of it.
    let task = format!("/proc/self/task/{tid}");
    eventually("the agent thread is gone from /proc/self/task", || !Path::new(&task).exists());
}
