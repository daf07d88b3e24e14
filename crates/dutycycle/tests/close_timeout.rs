//! `close_timeout`: a close that gives up after a while on an agent stuck in `do_work` or in
//! `on_close`. The error names the role within the timeout plus a margin, the runner comes
//! back to wait again, and a dropped error detaches the thread, which later runs `on_close`
//! and `Drop` on itself and really ends (leaves `/proc/self/task`) once its agent returns. A
//! process that exits while a detached thread is still stuck exits normally, and that agent is
//! never closed, as `CloseTimedOut` documents. An agent that stops in time gives its report.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dutycycle::{AgentError, AgentRunner, CloseError, Ending, SleepingMillisIdleStrategy};
use dutycycle_test_support::{
    child::{child_mode, ChildProcess},
    probe::{assert_one_agent_thread, names, Events, ProbeSpec},
    thread::gettid,
    wait::{eventually, PATIENCE},
};

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

/// A probe stuck in `do_work` until `release` gets a message; it reports "stuck" first.
fn stuck_agent(role: &str) -> (ProbeSpec, Events, mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (release_tx, release) = mpsc::channel::<()>();
    let (stuck_tx, stuck) = mpsc::channel::<()>();
    let (spec, events) = ProbeSpec::new(role);
    let spec = spec.work(move |_| {
        let _ = stuck_tx.send(());
        let _ = release.recv();
        Ok(0)
    });
    (spec, events, release_tx, stuck)
}

#[test]
fn close_timeout_names_the_role_of_a_stuck_agent_within_the_timeout() {
    let (spec, _events, release, stuck) = stuck_agent("stuck-gateway");
    let runner = AgentRunner::start(spec.factory()).unwrap();
    stuck.recv().unwrap();
    let timeout = Duration::from_millis(300);
    let asked = Instant::now();
    let err = runner.close_timeout(timeout).unwrap_err();
    let took = asked.elapsed();
    let CloseError::TimedOut(timed_out) = &err else { panic!("expected TimedOut, got {err:?}") };
    assert_eq!(timed_out.role(), "stuck-gateway");
    assert!(err.to_string().contains("stuck-gateway"), "{err}");
    assert!(took >= timeout, "gave up after {took:?}, before the {timeout:?} timeout");
    assert!(took < timeout + Duration::from_secs(5), "took {took:?} for a {timeout:?} timeout");
    release.send(()).unwrap();
    let CloseError::TimedOut(timed_out) = err else { unreachable!() };
    timed_out.into_runner().join().unwrap();
}

#[test]
fn a_timed_out_close_gives_the_runner_back_to_wait_again() {
    let (spec, events, release, stuck) = stuck_agent("slow-closer");
    let runner = AgentRunner::start(spec.factory()).unwrap();
    stuck.recv().unwrap();
    let Err(CloseError::TimedOut(timed_out)) = runner.close_timeout(Duration::from_millis(50)) else {
        panic!("the stuck agent did not time out")
    };
    let runner = timed_out.into_runner();
    assert!(runner.is_running());
    release.send(()).unwrap();
    let report = runner.close_timeout(PATIENCE).unwrap();
    assert!(matches!(report.ending(), Ending::Closed), "the stop request was kept: {:?}", report.ending());
    assert_one_agent_thread(&events.logged());
}

#[test]
fn a_detached_thread_finishes_later_and_runs_on_close_on_itself() {
    let (spec, events, release, stuck) = stuck_agent("detached");
    let runner = AgentRunner::start(spec.factory()).unwrap();
    stuck.recv().unwrap();
    let err = runner.close_timeout(Duration::from_millis(50)).unwrap_err();
    assert!(matches!(err, CloseError::TimedOut(_)));

    // Dropping the error detaches the thread rather than blocking on the stuck agent. Should
    // it block, a watchdog releases the agent after a while so that the test fails, not hangs.
    let watchdog_release = release.clone();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(10));
        let _ = watchdog_release.send(());
    });
    let dropping = Instant::now();
    drop(err);
    let took = dropping.elapsed();
    assert!(took < Duration::from_secs(5), "dropping the timed-out close blocked for {took:?}");
    let before_release = events.logged();
    assert!(!names(&before_release).contains(&"on_close"), "on_close ran while the agent was stuck");

    release.send(()).unwrap();
    let closed_on = events.wait_for("on_close");
    let dropped_on = events.wait_for("drop");
    let agent_thread = assert_one_agent_thread(&before_release);
    assert_eq!(closed_on, agent_thread, "the detached thread did not run on_close itself");
    assert_eq!(dropped_on, agent_thread, "the detached thread did not drop the agent itself");
    drop(watchdog);
}

#[test]
fn close_timeout_returns_the_report_of_an_agent_that_stops_in_time() {
    let (spec, _events) = ProbeSpec::new("prompt");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let report = runner.close_timeout(PATIENCE).unwrap();
    assert!(matches!(report.ending(), Ending::Closed));
    assert_eq!(report.role(), "prompt");
}

#[test]
fn close_timeout_reports_an_agent_that_ends_but_not_cleanly() {
    let (spec, _events) = ProbeSpec::new("messy");
    let spec = spec.on_close(|| Err(AgentError::msg("leak")));
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let err = runner.close_timeout(PATIENCE).unwrap_err();
    let CloseError::Failed(failed) = err else { panic!("expected Failed, got {err:?}") };
    assert_eq!(failed.report().close_failure().unwrap().to_string(), "leak");
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

#[test]
fn close_timeout_inside_its_own_agent_times_out_at_once_and_the_agent_still_closes() {
    use std::sync::{Arc, Mutex};

    let slot: Arc<Mutex<Option<AgentRunner>>> = Arc::default();
    let agent_slot = Arc::clone(&slot);
    let (called_tx, called) = mpsc::channel::<(libc::pid_t, Duration, Result<(), String>)>();
    let (spec, events) = ProbeSpec::new("self-closer");
    let spec = spec.work(move |_| {
        let runner = agent_slot.lock().unwrap().take();
        if let Some(runner) = runner {
            let began = Instant::now();
            // A timeout no test waits out: the call has to return without waiting for it.
            let outcome = match runner.close_timeout(Duration::from_secs(3600)) {
                // Dropped here, it detaches the thread: this one, which goes on to close its agent.
                Err(CloseError::TimedOut(timed_out)) if timed_out.role() == "self-closer" => Ok(()),
                other => Err(format!("{other:?}")),
            };
            called_tx.send((gettid(), began.elapsed(), outcome)).unwrap();
        }
        Ok(0)
    });
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(1).unwrap())
        .start(spec.factory())
        .unwrap();
    *slot.lock().unwrap() = Some(runner);
    let (tid, waited, outcome) = called.recv_timeout(PATIENCE).expect("close_timeout returned");
    outcome.expect("close_timeout on the agent's own thread times out");
    assert!(waited < PATIENCE, "it waited for its own end: {waited:?}");
    assert_eq!(events.wait_for("on_close").tid, tid, "on_close ran off the agent thread");
    assert_eq!(events.wait_for("drop").tid, tid, "the agent was dropped off its thread");
    let task = format!("/proc/self/task/{tid}");
    eventually("the agent thread is gone from /proc/self/task", || !Path::new(&task).exists());
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
