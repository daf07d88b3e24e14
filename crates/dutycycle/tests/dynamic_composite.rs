//! DynamicCompositeAgent: agents added and removed at run time, each built, run, closed and
//! dropped on the composite's thread.

use std::rc::Rc;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentFailed, AgentFailure, AgentReport, AgentRunner, Drain, DynamicCompositeAgent,
    DynamicCompositeControl, DynamicCompositeError, Ending,
};
use dutycycle_test_support::probe::EndsInDrain;

const LONG: Duration = Duration::from_secs(30);

type Events = Arc<Mutex<Vec<(String, ThreadId)>>>;

fn record(events: &Events, what: &str) {
    events.lock().unwrap().push((what.to_owned(), std::thread::current().id()));
}

/// A non-`Send` agent that records where each of its calls runs.
struct Tracked {
    role: String,
    events: Events,
    fail_start: bool,
    _not_send: Rc<()>,
}

impl Agent for Tracked {
    fn role_name(&self) -> &str {
        &self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        record(&self.events, &format!("{}.start", self.role));
        if self.fail_start {
            return Err(AgentError::msg("cannot connect"));
        }
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        record(&self.events, &format!("{}.work", self.role));
        Ok(0)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        record(&self.events, &format!("{}.close", self.role));
        Ok(())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        record(&self.events, &format!("{}.drop", self.role));
    }
}

fn tracked(
    role: &str,
    events: &Events,
    fail_start: bool,
) -> impl FnOnce() -> Result<Tracked, AgentError> + Send {
    let (role, events) = (role.to_owned(), Arc::clone(events));
    move || {
        record(&events, &format!("{role}.factory"));
        Ok(Tracked { role, events, fail_start, _not_send: Rc::new(()) })
    }
}

/// A composite on its own runner, and its control.
fn running_composite() -> (AgentRunner, DynamicCompositeControl, ThreadId) {
    running_composite_draining_for(dutycycle::DEFAULT_DRAIN_TIMEOUT)
}

fn running_composite_draining_for(
    drain_timeout: Duration,
) -> (AgentRunner, DynamicCompositeControl, ThreadId) {
    let control = DynamicCompositeControl::new();
    let attach = control.clone();
    let (tx, rx) = mpsc::channel();
    let runner = AgentRunner::builder()
        .drain_timeout(drain_timeout)
        .start(move || {
            tx.send(std::thread::current().id()).unwrap();
            Ok(DynamicCompositeAgent::new("dynamic", &attach)?)
        })
        .unwrap();
    (runner, control, rx.recv().unwrap())
}

fn calls_on(events: &Events, role: &str) -> Vec<(String, ThreadId)> {
    events.lock().unwrap().iter().filter(|(what, _)| what.starts_with(role)).cloned().collect()
}

#[test]
fn control_is_clone_send_sync() {
    fn assert_clone_send_sync<T: Clone + Send + Sync>() {}
    assert_clone_send_sync::<DynamicCompositeControl>();
}

#[test]
fn an_added_agent_is_built_started_run_closed_and_dropped_on_the_composites_thread() {
    let (runner, control, agent_thread) = running_composite();
    let events = Events::default();
    let id = control.add(tracked("x", &events, false)).unwrap().wait_timeout(LONG).unwrap();
    assert_eq!(control.len(), 1);
    while calls_on(&events, "x.work").is_empty() {
        std::thread::yield_now();
    }
    control.remove(id).unwrap().wait_timeout(LONG).unwrap();
    assert_eq!(control.len(), 0);
    runner.close().unwrap();

    let calls = calls_on(&events, "x.");
    let names: Vec<&str> = calls.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(names.first(), Some(&"x.factory"));
    assert_eq!(names[1], "x.start");
    assert!(names.contains(&"x.work"));
    assert_eq!(&names[names.len() - 2..], ["x.close", "x.drop"]);
    assert!(calls.iter().all(|(_, thread)| *thread == agent_thread), "{calls:?}");
    assert_ne!(agent_thread, std::thread::current().id());
}

#[test]
fn agents_still_in_the_composite_are_closed_and_dropped_on_its_thread_when_it_closes() {
    let (runner, control, agent_thread) = running_composite();
    let events = Events::default();
    control.add(tracked("y", &events, false)).unwrap().wait_timeout(LONG).unwrap();
    runner.close().unwrap();
    let calls = calls_on(&events, "y.");
    let names: Vec<&str> = calls.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(&names[names.len() - 2..], ["y.close", "y.drop"]);
    assert!(calls.iter().all(|(_, thread)| *thread == agent_thread));
    assert!(!control.is_running());
}

#[test]
fn add_is_refused_when_the_composite_is_not_running() {
    let control = DynamicCompositeControl::new();
    let events = Events::default();
    // Not attached to any composite yet.
    assert!(matches!(control.add(tracked("a", &events, false)), Err(DynamicCompositeError::NotRunning)));

    let (runner, control, _) = running_composite();
    runner.close().unwrap();
    assert!(matches!(control.add(tracked("b", &events, false)), Err(DynamicCompositeError::NotRunning)));
    assert!(events.lock().unwrap().is_empty(), "no factory ran");
}

/// An agent whose `do_work` blocks until released: holds the composite inside `do_work`.
struct Gate {
    entered: mpsc::Sender<()>,
    release: mpsc::Receiver<()>,
}

impl Agent for Gate {
    fn role_name(&self) -> &str {
        "gate"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let _ = self.entered.send(());
        let _ = self.release.recv_timeout(LONG);
        Ok(0)
    }
}

fn hold_composite(control: &DynamicCompositeControl) -> mpsc::Sender<()> {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let _applied_later = control.add(move || Ok(Gate { entered: entered_tx, release: release_rx })).unwrap();
    entered_rx.recv_timeout(LONG).unwrap(); // the composite is now inside Gate::do_work
    release_tx
}

#[test]
fn a_second_request_while_one_is_pending_is_refused_then_the_first_is_applied() {
    let (runner, control, _) = running_composite();
    let release = hold_composite(&control);
    let events = Events::default();
    let first = control.add(tracked("first", &events, false)).unwrap();
    assert!(control.has_pending_request());
    assert!(first.try_result().is_none());
    assert!(matches!(
        control.add(tracked("second", &events, false)),
        Err(DynamicCompositeError::RequestPending)
    ));
    release.send(()).unwrap();
    drop(release);
    first.wait_timeout(LONG).unwrap();
    assert_eq!(control.len(), 2);
    assert!(calls_on(&events, "second").is_empty());
    runner.close().unwrap();
}

#[test]
fn a_request_accepted_but_not_applied_is_answered_closed_when_the_composite_closes() {
    // No drain: straight from the duty cycle to on_close.
    let (runner, control, _) = running_composite_draining_for(Duration::ZERO);
    let release = hold_composite(&control);
    let events = Events::default();
    let pending = control.add(tracked("late", &events, false)).unwrap();
    runner.request_stop();
    release.send(()).unwrap();
    assert!(matches!(pending.wait_timeout(LONG), Err(DynamicCompositeError::Closed)));
    runner.close().unwrap();
    assert!(calls_on(&events, "late").is_empty(), "never built");
}

#[test]
fn an_add_accepted_but_not_applied_is_refused_when_the_composite_drains() {
    let (runner, control, _) = running_composite();
    let release = hold_composite(&control);
    let events = Events::default();
    let pending = control.add(tracked("late", &events, false)).unwrap();
    runner.request_stop();
    release.send(()).unwrap();
    assert!(matches!(pending.wait_timeout(LONG), Err(DynamicCompositeError::Draining)));
    runner.close().unwrap();
    assert!(calls_on(&events, "late").is_empty(), "never built");
}

#[test]
fn removing_an_unknown_agent_fails_with_its_id() {
    let (runner, control, _) = running_composite();
    let events = Events::default();
    let id = control.add(tracked("z", &events, false)).unwrap().wait_timeout(LONG).unwrap();
    control.remove(id).unwrap().wait_timeout(LONG).unwrap();
    match control.remove(id).unwrap().wait_timeout(LONG) {
        Err(DynamicCompositeError::UnknownAgent(unknown)) => assert_eq!(unknown, id),
        other => panic!("expected UnknownAgent, got {other:?}"),
    }
    runner.close().unwrap();
}

#[test]
fn an_added_agent_whose_on_start_fails_is_closed_and_dropped_and_the_failure_reported() {
    let (runner, control, agent_thread) = running_composite();
    let events = Events::default();
    match control.add(tracked("bad", &events, true)).unwrap().wait_timeout(LONG) {
        Err(DynamicCompositeError::OnStart { role, failure, close, drop }) => {
            assert_eq!(role, "bad");
            assert_eq!(failure.to_string(), "cannot connect");
            assert!(close.is_none() && drop.is_none());
        }
        other => panic!("expected OnStart, got {other:?}"),
    }
    assert_eq!(control.len(), 0);
    let calls = calls_on(&events, "bad.");
    let names: Vec<&str> = calls.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(names, ["bad.factory", "bad.start", "bad.close", "bad.drop"]);
    assert!(calls.iter().all(|(_, thread)| *thread == agent_thread));
    runner.close().unwrap();
}

#[test]
fn an_added_agent_whose_factory_fails_or_panics_is_reported() {
    let (runner, control, _) = running_composite();
    let failing = control.add(|| Err::<Tracked, _>(AgentError::msg("no config"))).unwrap();
    match failing.wait_timeout(LONG) {
        Err(DynamicCompositeError::Factory(failure)) => assert_eq!(failure.to_string(), "no config"),
        other => panic!("expected Factory, got {other:?}"),
    }
    let panicking = control.add(|| -> Result<Tracked, AgentError> { panic!("bad factory") }).unwrap();
    match panicking.wait_timeout(LONG) {
        Err(DynamicCompositeError::Factory(failure)) => {
            assert_eq!(failure.panic_message(), Some("bad factory"))
        }
        other => panic!("expected Factory, got {other:?}"),
    }
    assert!(runner.close().is_ok(), "the composite survives its added agents' failures");
}

#[test]
fn a_control_attaches_to_one_composite_only() {
    let control = DynamicCompositeControl::new();
    let first = DynamicCompositeAgent::new("first", &control).unwrap();
    assert!(matches!(
        DynamicCompositeAgent::new("second", &control),
        Err(DynamicCompositeError::AlreadyAttached)
    ));
    drop(first);
}

/// Adds an `EndsInDrain` to a composite draining for up to 200 ms, and closes it.
fn close_with_an_agent_that_ends_in_drain(on_drain: fn() -> AgentError) -> AgentReport {
    let (runner, control, _) = running_composite_draining_for(Duration::from_millis(200));
    control.add(move || Ok(EndsInDrain { role: "ends", on_drain })).unwrap().wait_timeout(LONG).unwrap();
    runner.close().unwrap_or_else(AgentFailed::into_report)
}

#[test]
fn a_terminate_or_failure_from_an_added_agents_on_drain_ends_the_composite_and_its_drain() {
    let report = close_with_an_agent_that_ends_in_drain(AgentError::terminate);
    assert!(matches!(report.ending(), Ending::Terminated), "{report}");
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");

    let report =
        close_with_an_agent_that_ends_in_drain(|| AgentError::fail(std::io::Error::other("feed lost")));
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert!(cause.is_failure());
    assert_eq!(cause.to_string(), "1 agent failed: ends: feed lost");
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
}
