//! The fault matrix: a panic and an error planted in each place where user
//! code runs under a runner (the factory, `role_name`, `on_start`, `do_work`, `on_close`, the
//! agent's `Drop`, the error handler), in a sub-agent of a `CompositeAgent` (`on_start`,
//! `do_work`, `on_close`, `Drop`) and in an agent added to a `DynamicCompositeAgent` (its
//! factory, `on_start`, `do_work`, and `on_close` / `Drop` on removal).
//!
//! Every row checks the same four things:
//!
//! 1. **the process survives**: the row returns; and [`the_whole_matrix_runs_in_one_process_
//!    that_exits_zero_with_the_threads_it_had`] runs every row in one child process that must
//!    exit with status 0 (a double panic, or a panic that escapes a thread's catch, would abort
//!    it or fail it);
//! 2. **the failure is named**: the `StartError`, `AgentReport` or `DynamicCompositeError`
//!    carries the planted message, as an error or as a panic, as planted;
//! 3. **`on_close` ran exactly when promised, on the agent thread**: every call into every
//!    agent is logged with the thread (Rust id and kernel tid) it ran on; `on_close` appears
//!    once when the agent was built, never when its factory failed, and all of an agent's calls
//!    ran on one thread that is not the test's;
//! 4. **the thread ends**: the first agent code on the thread installs a thread-local whose
//!    destructor sleeps 50 ms and then sets a flag. Thread-local destructors run as the thread
//!    ends, so the flag is set when a failed `start` or a `close_timeout` returns only if that
//!    call waited for the thread to end, as they do. `join` and `close` hand the report back
//!    once the agent is closed and dropped, without waiting for the thread's exit: after them
//!    the flag is set a moment later. Either way the thread's `/proc/self/task/<tid>` then
//!    goes away, and in the one-process run the number of threads is back to its value before
//!    the row.
//!
//! `Drop` and the error handler return `()`: they can only panic, so they have no error row.
//! The faults these tests found (now fixed) are at the bottom.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentFailure, AgentReport, AgentRunner, AgentRunnerBuilder, CloseError,
    CompositeAgent, CompositeAgentError, DynamicCompositeAgent, DynamicCompositeControl,
    DynamicCompositeError, Ending, ErrorAction, IdleStrategy, SleepingIdleStrategy, StartError,
};
use dutycycle_test_support::{
    child::{child_mode, ChildProcess},
    probe::{assert_one_agent_thread, here, names, Event, Where},
    thread::gettid,
    wait::{eventually, PATIENCE},
};

// ---------------------------------------------------------------------------------------------
// Planted faults

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Error,
    Panic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Factory,
    RoleName,
    OnStart,
    DoWork,
    OnClose,
    Drop,
    ErrorHandler,
}

/// The message of the fault planted in `role` at `place`: what the report must carry.
fn message(role: &str, place: Place, how: How) -> String {
    format!("{role}: planted {how:?} in {place:?}")
}

/// Fails as planted, or does nothing.
fn trip(role: &str, place: Place, how: Option<How>) -> Result<(), AgentError> {
    match how {
        None => Ok(()),
        Some(How::Error) => Err(AgentError::msg(message(role, place, how.unwrap()))),
        Some(How::Panic) => panic!("{}", message(role, place, How::Panic)),
    }
}

/// Asserts that `failure` is the fault planted in `role` at `place`, of the kind planted.
fn assert_is_planted(failure: &AgentFailure, role: &str, place: Place, how: How) {
    let expected = message(role, place, how);
    match how {
        How::Error => {
            let error = failure.error().unwrap_or_else(|| panic!("expected an error, got {failure:?}"));
            assert_eq!(error.to_string(), expected);
        }
        How::Panic => assert_eq!(failure.panic_message(), Some(expected.as_str()), "{failure:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// "Was the thread joined?": a thread-local whose destructor is the last thing the thread does

/// Set up by the first agent code on a thread; tells whether that thread has ended.
#[derive(Default)]
struct ThreadEnd {
    tid: AtomicI32,
    ended: AtomicBool,
}

/// Sleeps, then marks the thread ended: a call that returns while this sleeps did not join.
struct OnThreadExit(Arc<ThreadEnd>);

impl Drop for OnThreadExit {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(50));
        self.0.ended.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    static THREAD_END: RefCell<Option<OnThreadExit>> = const { RefCell::new(None) };
}

impl ThreadEnd {
    fn new() -> Arc<ThreadEnd> {
        Arc::new(ThreadEnd::default())
    }

    /// Called on the agent thread, before any agent code.
    fn watch_this_thread(self: &Arc<Self>) {
        self.tid.store(gettid(), Ordering::SeqCst);
        THREAD_END.with(|slot| *slot.borrow_mut() = Some(OnThreadExit(Arc::clone(self))));
    }

    /// Asserts that the thread had ended (thread-locals destroyed) when `call` returned, and
    /// that the kernel lets go of it.
    fn assert_joined_by(&self, call: &str) {
        let tid = self.tid.load(Ordering::SeqCst);
        assert_ne!(tid, 0, "no agent thread ran");
        assert!(
            self.ended.load(Ordering::SeqCst),
            "{call} returned while the agent thread was still running: it was not joined"
        );
        let task = format!("/proc/self/task/{tid}");
        eventually("the agent thread is gone from /proc/self/task", || !Path::new(&task).exists());
    }

    /// Asserts that the thread ends (thread-locals destroyed) after `call` returned the report,
    /// and that the kernel lets go of it.
    fn assert_ends_after(&self, call: &str) {
        let tid = self.tid.load(Ordering::SeqCst);
        assert_ne!(tid, 0, "no agent thread ran");
        eventually(&format!("the agent thread ends after {call}"), || self.ended.load(Ordering::SeqCst));
        let task = format!("/proc/self/task/{tid}");
        eventually("the agent thread is gone from /proc/self/task", || !Path::new(&task).exists());
    }
}

// ---------------------------------------------------------------------------------------------
// An agent with planted faults that logs every call into it

/// The recipe for a [`Faulty`] agent (all `Send`, so that it travels in a factory).
struct Spec {
    role: &'static str,
    faults: Vec<(Place, How)>,
    log: Sender<Event>,
    thread_end: Option<Arc<ThreadEnd>>,
}

/// A non-`Send` agent that logs "factory", "on_start", "do_work", "on_close" and "drop" with
/// where they ran, and fails where its spec says. A planted `do_work` panic fires on the
/// second cycle; a planted `do_work` error (or an `ErrorHandler` fault) on every cycle.
struct Faulty {
    role: &'static str,
    faults: Vec<(Place, How)>,
    log: Sender<Event>,
    cycle: u64,
    _not_send: Rc<()>,
}

fn fault_at(faults: &[(Place, How)], place: Place) -> Option<How> {
    faults.iter().find(|(p, _)| *p == place).map(|(_, how)| *how)
}

/// A spec, and the receiving end of its agent's log.
fn spec(role: &'static str, faults: &[(Place, How)]) -> (Spec, Receiver<Event>) {
    let (log, rx) = mpsc::channel();
    (Spec { role, faults: faults.to_vec(), log, thread_end: None }, rx)
}

impl Spec {
    /// The agent's thread is watched by `end` (see [`ThreadEnd`]).
    fn watched(mut self, end: &Arc<ThreadEnd>) -> Spec {
        self.thread_end = Some(Arc::clone(end));
        self
    }

    fn factory(self) -> impl FnOnce() -> Result<Faulty, AgentError> + Send + 'static {
        move || {
            if let Some(end) = &self.thread_end {
                end.watch_this_thread();
            }
            let _ = self.log.send(("factory", here()));
            trip(self.role, Place::Factory, fault_at(&self.faults, Place::Factory))?;
            Ok(Faulty {
                role: self.role,
                faults: self.faults,
                log: self.log,
                cycle: 0,
                _not_send: Rc::new(()),
            })
        }
    }
}

impl Faulty {
    fn fault(&self, place: Place) -> Option<How> {
        fault_at(&self.faults, place)
    }
}

impl Agent for Faulty {
    fn role_name(&self) -> &str {
        if self.fault(Place::RoleName) == Some(How::Panic) {
            panic!("{}", message(self.role, Place::RoleName, How::Panic));
        }
        self.role
    }

    fn on_start(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_start", here()));
        trip(self.role, Place::OnStart, self.fault(Place::OnStart))
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        let _ = self.log.send(("do_work", here()));
        match self.fault(Place::DoWork) {
            Some(How::Panic) if self.cycle == 2 => trip(self.role, Place::DoWork, Some(How::Panic))?,
            Some(How::Error) => trip(self.role, Place::DoWork, Some(How::Error))?,
            _ => {}
        }
        if self.fault(Place::ErrorHandler).is_some() {
            return Err(AgentError::msg(format!("{}: an error for the handler", self.role)));
        }
        Ok(0)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_close", here()));
        trip(self.role, Place::OnClose, self.fault(Place::OnClose))
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        let _ = self.log.send(("drop", here()));
        if self.fault(Place::Drop) == Some(How::Panic) {
            panic!("{}", message(self.role, Place::Drop, How::Panic));
        }
    }
}

fn logged(rx: &Receiver<Event>) -> Vec<Event> {
    rx.try_iter().collect()
}

fn count(events: &[Event], call: &str) -> usize {
    events.iter().filter(|(name, _)| *name == call).count()
}

/// Asserts `on_close` ran once, then the drop, as the last two calls, all on one agent thread;
/// returns that thread.
fn assert_closed_once_on_its_thread(role: &str, events: &[Event]) -> Where {
    assert_eq!(
        count(events, "on_close"),
        1,
        "{role}: on_close did not run exactly once: {:?}",
        names(events)
    );
    assert_eq!(count(events, "drop"), 1, "{role}: not dropped exactly once: {:?}", names(events));
    assert_eq!(names(events).last_chunk::<2>(), Some(&["on_close", "drop"]), "{role}");
    assert_one_agent_thread(events)
}

/// A runner builder for the matrix: a short park (so that erring agents cycle), and an error
/// handler that logs where it ran into `log` and panics when told to.
fn builder(
    name: &str,
    log: &Sender<Event>,
    handled: Sender<String>,
    handler_panics: bool,
) -> AgentRunnerBuilder<SleepingIdleStrategy> {
    let log = log.clone();
    let role = name.to_owned();
    AgentRunner::builder()
        .name(name)
        .idle_strategy(SleepingIdleStrategy::new(Duration::from_millis(1)).unwrap())
        .error_handler(move |_, err| {
            let _ = log.send(("error_handler", here()));
            let _ = handled.send(err.to_string());
            if handler_panics {
                panic!("{}", message(&role, Place::ErrorHandler, How::Panic));
            }
            ErrorAction::Continue
        })
}

/// Starts a [`Faulty`] agent named `role` with `faults` on a watched runner thread.
fn start_faulty(
    role: &'static str,
    faults: &[(Place, How)],
) -> (Result<AgentRunner, StartError>, Receiver<Event>, Receiver<String>, Arc<ThreadEnd>) {
    let end = ThreadEnd::new();
    let (spec, log) = spec(role, faults);
    let (handled_tx, handled) = mpsc::channel();
    let handler_panics = fault_at(faults, Place::ErrorHandler) == Some(How::Panic);
    let builder = builder(role, &spec.log, handled_tx, handler_panics);
    let result = builder.start(spec.watched(&end).factory());
    (result, log, handled, end)
}

// ---------------------------------------------------------------------------------------------
// Runner rows

fn runner_factory_fails(how: How) {
    let (result, log, _, end) = start_faulty("feed", &[(Place::Factory, how)]);
    let err = result.map(|runner| runner.close()).expect_err("the factory failed, yet start succeeded");
    end.assert_joined_by("start");
    let StartError::Factory { name, failure } = &err else { panic!("expected Factory, got {err:?}") };
    assert_eq!(name, "feed");
    assert_is_planted(failure, "feed", Place::Factory, how);
    // What failed in the error, why in its source, once.
    assert!(!err.to_string().contains(&message("feed", Place::Factory, how)), "{err}");
    let cause = std::error::Error::source(&err).expect("the factory's failure is the source");
    assert!(cause.to_string().contains(&message("feed", Place::Factory, how)), "{cause}");
    let events = logged(&log);
    assert_eq!(names(&events), ["factory"], "no agent was built, so nothing else may run");
    assert_one_agent_thread(&events);
}

fn runner_on_start_fails(how: How) {
    let (result, log, _, end) = start_faulty("session", &[(Place::OnStart, how)]);
    let err = result.map(|runner| runner.close()).expect_err("on_start failed, yet start succeeded");
    end.assert_joined_by("start");
    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    assert_eq!(report.role(), "session");
    let Ending::StartFailed(failure) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_is_planted(failure, "session", Place::OnStart, how);
    assert!(report.close_failure().is_none() && report.drop_failure().is_none(), "{report}");
    assert!(err.to_string().contains(&message("session", Place::OnStart, how)), "{err}");
    let events = logged(&log);
    assert_eq!(names(&events), ["factory", "on_start", "on_close", "drop"]);
    assert_closed_once_on_its_thread("session", &events);
}

fn runner_role_name_panics() {
    let (result, log, _, end) = start_faulty("nameless", &[(Place::RoleName, How::Panic)]);
    let err = result.map(|runner| runner.close()).expect_err("role_name panicked, yet start succeeded");
    end.assert_joined_by("start");
    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    assert_eq!(report.role(), "agent", "the role could not be read");
    let Ending::StartFailed(failure) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_is_planted(failure, "nameless", Place::RoleName, How::Panic);
    // The agent exists, so it is closed, though on_start never ran.
    let events = logged(&log);
    assert_eq!(names(&events), ["factory", "on_close", "drop"]);
    assert_closed_once_on_its_thread("nameless", &events);
}

fn runner_do_work_fails(how: How) {
    let (result, log, handled, end) = start_faulty("poller", &[(Place::DoWork, how)]);
    let runner = result.unwrap();
    let report = match how {
        How::Error => {
            eventually("three errors reach the handler", || runner.error_count() >= 3);
            assert!(runner.is_running(), "an error from do_work ended the agent");
            let report = runner.close().expect("do_work errors taken by the handler leave the report clean");
            end.assert_ends_after("close");
            assert!(matches!(report.ending(), Ending::Closed), "{report}");
            let handled: Vec<String> = handled.try_iter().collect();
            assert!(handled.len() >= 3);
            assert_eq!(report.errors(), handled.len() as u64, "every error counted once");
            assert!(
                handled.iter().all(|m| *m == message("poller", Place::DoWork, How::Error)),
                "{handled:?}"
            );
            report
        }
        How::Panic => {
            let failed = runner.join().expect_err("do_work panicked, yet the report is clean");
            end.assert_ends_after("join");
            let report = failed.into_report();
            let Ending::Panicked(panic) = report.ending() else { panic!("{:?}", report.ending()) };
            assert_eq!(*panic, message("poller", Place::DoWork, How::Panic));
            assert_eq!(report.duty_cycles(), 1, "the panicking cycle is not counted as done");
            report
        }
    };
    assert!(report.close_failure().is_none() && report.drop_failure().is_none(), "{report}");
    let events = logged(&log);
    // The error handler's calls are in the log too: they ran on the agent thread.
    assert_eq!(how == How::Error, count(&events, "error_handler") >= 3);
    assert_closed_once_on_its_thread("poller", &events);
}

fn runner_on_close_fails(how: How) {
    let (result, log, _, end) = start_faulty("flusher", &[(Place::OnClose, how)]);
    let runner = result.unwrap();
    eventually("the agent runs", || runner.stats().duty_cycles >= 1);
    let failed = runner.close().expect_err("on_close failed, yet the report is clean");
    end.assert_ends_after("close");
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert_is_planted(report.close_failure().expect("the close failure"), "flusher", Place::OnClose, how);
    assert!(report.drop_failure().is_none());
    // What failed in the Display, the failure itself as the source (printed once).
    let cause = std::error::Error::source(&failed).expect("the close failure is the source");
    assert!(cause.to_string().contains(&message("flusher", Place::OnClose, how)), "{failed}: {cause}");
    assert!(!failed.to_string().contains(&message("flusher", Place::OnClose, how)), "{failed}");
    assert_closed_once_on_its_thread("flusher", &logged(&log));
}

fn runner_drop_panics() {
    let (result, log, _, end) = start_faulty("holder", &[(Place::Drop, How::Panic)]);
    let runner = result.unwrap();
    let failed = runner.close().expect_err("Drop panicked, yet the report is clean");
    end.assert_ends_after("close");
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert!(report.close_failure().is_none());
    assert_is_planted(report.drop_failure().expect("the drop failure"), "holder", Place::Drop, How::Panic);
    assert_closed_once_on_its_thread("holder", &logged(&log));
}

fn runner_error_handler_panics() {
    let (result, log, handled, end) = start_faulty("handled", &[(Place::ErrorHandler, How::Panic)]);
    let failed = result.unwrap().join().expect_err("the error handler panicked, yet the report is clean");
    end.assert_ends_after("join");
    let report = failed.report();
    let Ending::Panicked(panic) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_eq!(*panic, message("handled", Place::ErrorHandler, How::Panic));
    assert_eq!(handled.try_iter().count(), 1, "the handler panicked on its first call");
    let events = logged(&log);
    assert_eq!(names(&events), ["factory", "on_start", "do_work", "error_handler", "on_close", "drop"]);
    assert_closed_once_on_its_thread("handled", &events);
}

fn runner_start_fails_then_close_and_drop_fail_too() {
    let faults = [(Place::OnStart, How::Error), (Place::OnClose, How::Panic), (Place::Drop, How::Panic)];
    let (result, log, _, end) = start_faulty("doomed", &faults);
    let err = result.map(|runner| runner.close()).expect_err("on_start failed, yet start succeeded");
    end.assert_joined_by("start");
    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    let Ending::StartFailed(failure) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_is_planted(failure, "doomed", Place::OnStart, How::Error);
    assert_is_planted(report.close_failure().unwrap(), "doomed", Place::OnClose, How::Panic);
    assert_is_planted(report.drop_failure().unwrap(), "doomed", Place::Drop, How::Panic);
    let shown = err.to_string();
    for (place, how) in faults {
        assert!(shown.contains(&message("doomed", place, how)), "{shown}");
    }
    assert_closed_once_on_its_thread("doomed", &logged(&log));
}

fn runner_do_work_panics_then_close_and_drop_fail_too() {
    let faults = [(Place::DoWork, How::Panic), (Place::OnClose, How::Error), (Place::Drop, How::Panic)];
    let (result, log, _, end) = start_faulty("wreck", &faults);
    let failed = result.unwrap().join().expect_err("do_work panicked, yet the report is clean");
    end.assert_ends_after("join");
    let report = failed.report();
    let Ending::Panicked(panic) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_eq!(*panic, message("wreck", Place::DoWork, How::Panic));
    assert_is_planted(report.close_failure().unwrap(), "wreck", Place::OnClose, How::Error);
    assert_is_planted(report.drop_failure().unwrap(), "wreck", Place::Drop, How::Panic);
    assert_closed_once_on_its_thread("wreck", &logged(&log));
}

// ---------------------------------------------------------------------------------------------
// CompositeAgent rows: sub-agents a, b, c on one runner thread; b is faulty

struct Composite {
    result: Result<AgentRunner, StartError>,
    logs: [Receiver<Event>; 3],
    handled: Receiver<String>,
    end: Arc<ThreadEnd>,
}

fn start_composite(b_faults: &[(Place, How)]) -> Composite {
    let end = ThreadEnd::new();
    let (a, a_log) = spec("a", &[]);
    let (b, b_log) = spec("b", b_faults);
    let (c, c_log) = spec("c", &[]);
    let (handled_tx, handled) = mpsc::channel();
    let builder = builder("composite", &a.log, handled_tx, false);
    let watch = Arc::clone(&end);
    let (a, b, c) = (a.factory(), b.factory(), c.factory());
    let result = builder.start(move || {
        watch.watch_this_thread();
        Ok(CompositeAgent::new(vec![Box::new(a()?), Box::new(b()?), Box::new(c()?)]))
    });
    Composite { result, logs: [a_log, b_log, c_log], handled, end }
}

/// The failures a composite collected, as (role, failure).
fn composite_failures(failure: &AgentFailure) -> &[(String, AgentFailure)] {
    let error = failure.error().unwrap_or_else(|| panic!("the composite reports an error, got {failure:?}"));
    error.downcast_ref::<CompositeAgentError>().expect("a CompositeAgentError").failures()
}

/// Asserts each sub-agent was closed and dropped once, all on one thread; returns the logs.
fn assert_sub_agents_closed_once_on_one_thread(logs: &[Receiver<Event>; 3]) -> [Vec<Event>; 3] {
    let events = logs.each_ref().map(logged);
    let threads: Vec<Where> = ["a", "b", "c"]
        .iter()
        .zip(&events)
        .map(|(role, e)| assert_closed_once_on_its_thread(role, e))
        .collect();
    assert!(threads.windows(2).all(|w| w[0] == w[1]), "sub-agents ran on several threads: {threads:?}");
    events
}

fn composite_sub_agent_on_start_fails(how: How) {
    let composite = start_composite(&[(Place::OnStart, how)]);
    let err = composite.result.map(|runner| runner.close()).expect_err("a sub-agent's on_start failed");
    composite.end.assert_joined_by("start");
    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    assert_eq!(report.role(), "[a,b,c]");
    let Ending::StartFailed(failure) = report.ending() else { panic!("{:?}", report.ending()) };
    // The composite catches b's panic too: one error that names b and how it failed.
    let failures = composite_failures(failure);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "b");
    assert_is_planted(&failures[0].1, "b", Place::OnStart, how);
    assert!(err.to_string().contains(&format!("b: {}", failures[0].1)), "{err}");
    // Every sub-agent was started (b's failure did not skip c) and every one closed.
    for events in assert_sub_agents_closed_once_on_one_thread(&composite.logs) {
        assert_eq!(names(&events), ["factory", "on_start", "on_close", "drop"]);
    }
}

fn composite_sub_agent_do_work_fails(how: How) {
    let composite = start_composite(&[(Place::DoWork, how)]);
    let runner = composite.result.unwrap();
    let report = match how {
        How::Error => {
            eventually("b's errors reach the handler", || runner.error_count() >= 3);
            let report = runner.close().expect("errors taken by the handler leave the report clean");
            composite.end.assert_ends_after("close");
            let handled: Vec<String> = composite.handled.try_iter().collect();
            assert!(handled.iter().all(|m| *m == message("b", Place::DoWork, How::Error)), "{handled:?}");
            report
        }
        How::Panic => {
            let failed = runner.join().expect_err("a sub-agent panicked, yet the report is clean");
            composite.end.assert_ends_after("join");
            let report = failed.into_report();
            let Ending::Panicked(panic) = report.ending() else { panic!("{:?}", report.ending()) };
            assert_eq!(*panic, message("b", Place::DoWork, How::Panic));
            report
        }
    };
    assert_eq!(report.role(), "[a,b,c]");
    let events = assert_sub_agents_closed_once_on_one_thread(&composite.logs);
    if how == How::Error {
        // b fails every time it runs, yet the cycle after each failure resumes with c: c is
        // not starved, it runs once for every failure of b but the last.
        let c_turns = count(&events[2], "do_work") as u64;
        assert!(c_turns >= 2 && c_turns + 1 >= report.errors(), "c starved: {c_turns} turns, {report}");
    }
}

fn composite_sub_agent_on_close_fails(how: How) {
    let composite = start_composite(&[(Place::OnClose, how)]);
    let runner = composite.result.unwrap();
    let failed = runner.close().expect_err("a sub-agent's on_close failed, yet the report is clean");
    composite.end.assert_ends_after("close");
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    let failures = composite_failures(report.close_failure().expect("the close failure"));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "b");
    assert_is_planted(&failures[0].1, "b", Place::OnClose, how);
    // a and c were closed although b failed.
    assert_sub_agents_closed_once_on_one_thread(&composite.logs);
}

fn composite_sub_agent_drop_panics() {
    let composite = start_composite(&[(Place::Drop, How::Panic)]);
    let failed = composite.result.unwrap().close().expect_err("a sub-agent's Drop panicked");
    composite.end.assert_ends_after("close");
    let report = failed.report();
    assert!(report.close_failure().is_none(), "{report}");
    assert_is_planted(report.drop_failure().expect("the drop failure"), "b", Place::Drop, How::Panic);
    // c is dropped after b's panic too.
    assert_sub_agents_closed_once_on_one_thread(&composite.logs);
}

// ---------------------------------------------------------------------------------------------
// DynamicCompositeAgent rows: an agent added at run time is faulty

struct Dynamic {
    runner: AgentRunner,
    control: DynamicCompositeControl,
    thread: Where,
    end: Arc<ThreadEnd>,
    handled: Receiver<String>,
}

fn start_dynamic() -> Dynamic {
    let end = ThreadEnd::new();
    let control = DynamicCompositeControl::new();
    let attach = control.clone();
    let (where_tx, where_rx) = mpsc::channel();
    let (log, _unused) = mpsc::channel();
    let (handled_tx, handled) = mpsc::channel();
    let watch = Arc::clone(&end);
    let runner = builder("dynamic", &log, handled_tx, false)
        .start(move || {
            watch.watch_this_thread();
            where_tx.send(here()).unwrap();
            Ok(DynamicCompositeAgent::new("dynamic", &attach)?)
        })
        .unwrap();
    Dynamic { runner, control, thread: where_rx.recv().unwrap(), end, handled }
}

impl Dynamic {
    /// Adds `spec`'s agent, wakes the composite to apply it, and waits for the outcome.
    fn add(&self, spec: Spec) -> Result<dutycycle::AgentId, DynamicCompositeError> {
        let pending = self.control.add(spec.factory()).expect("the composite takes the request");
        self.runner.waker().wake();
        pending.wait_timeout(PATIENCE)
    }

    fn remove(&self, id: dutycycle::AgentId) -> Result<dutycycle::AgentId, DynamicCompositeError> {
        let pending = self.control.remove(id).expect("the composite takes the request");
        self.runner.waker().wake();
        pending.wait_timeout(PATIENCE)
    }

    /// Shows that the composite survived: it still adds, runs and closes an agent; closes the
    /// runner cleanly, checks it was joined, and that every call of `events` ran on its thread.
    fn assert_survives_and_close(self, events: &[Event]) {
        assert!(self.control.is_running(), "the composite stopped");
        let (good, good_log) = spec("good", &[]);
        self.add(good).expect("the composite still adds agents");
        let report = self.runner.close().expect("the composite itself did not fail");
        self.end.assert_ends_after("close");
        assert_eq!(report.role(), "dynamic");
        assert_eq!(assert_closed_once_on_its_thread("good", &logged(&good_log)), self.thread);
        assert!(events.iter().all(|(_, at)| *at == self.thread), "off the composite's thread: {events:?}");
    }
}

fn dynamic_added_factory_fails(how: How) {
    let dynamic = start_dynamic();
    let (spec, log) = spec("added", &[(Place::Factory, how)]);
    let Err(DynamicCompositeError::Factory(failure)) = dynamic.add(spec) else {
        panic!("expected the factory's failure")
    };
    assert_is_planted(&failure, "added", Place::Factory, how);
    assert_eq!(dynamic.control.len(), 0);
    let events = logged(&log);
    assert_eq!(names(&events), ["factory"], "no agent was built, so nothing else may run");
    dynamic.assert_survives_and_close(&events);
}

fn dynamic_added_on_start_fails(how: How) {
    let dynamic = start_dynamic();
    let (spec, log) = spec("added", &[(Place::OnStart, how)]);
    let Err(DynamicCompositeError::OnStart { role, failure, close, drop }) = dynamic.add(spec) else {
        panic!("expected the on_start failure")
    };
    assert_eq!(role, "added");
    assert_is_planted(&failure, "added", Place::OnStart, how);
    assert!(close.is_none() && drop.is_none(), "{close:?} {drop:?}");
    assert_eq!(dynamic.control.len(), 0);
    let events = logged(&log);
    assert_eq!(names(&events), ["factory", "on_start", "on_close", "drop"]);
    assert_closed_once_on_its_thread("added", &events);
    dynamic.assert_survives_and_close(&events);
}

fn dynamic_added_do_work_fails(how: How) {
    let dynamic = start_dynamic();
    let (spec, log) = spec("added", &[(Place::DoWork, how)]);
    dynamic.add(spec).expect("the agent starts");
    match how {
        How::Error => {
            eventually("the added agent's errors reach the handler", || dynamic.runner.error_count() >= 3);
            let handled: Vec<String> = dynamic.handled.try_iter().collect();
            assert!(handled.iter().all(|m| *m == message("added", Place::DoWork, How::Error)), "{handled:?}");
            dynamic.control.len();
            let events = logged(&log);
            assert_eq!(count(&events, "on_close"), 0, "closed while still in the composite");
            dynamic.assert_survives_and_close(&events);
            let events = [events, logged(&log)].concat();
            assert_closed_once_on_its_thread("added", &events);
        }
        How::Panic => {
            // The panic ends the composite's runner, which closes every agent in it.
            let failed = dynamic.runner.join().expect_err("an added agent panicked, yet the report is clean");
            dynamic.end.assert_ends_after("join");
            let Ending::Panicked(panic) = failed.report().ending() else { panic!("{failed}") };
            assert_eq!(*panic, message("added", Place::DoWork, How::Panic));
            assert!(!dynamic.control.is_running());
            let events = logged(&log);
            assert_eq!(assert_closed_once_on_its_thread("added", &events), dynamic.thread);
        }
    }
}

fn dynamic_removed_agent_fails_to_close(place: Place) {
    let dynamic = start_dynamic();
    let (spec, log) = spec("removed", &[(place, How::Panic)]);
    let id = dynamic.add(spec).expect("the agent starts");
    let Err(DynamicCompositeError::Removal { role, close, drop }) = dynamic.remove(id) else {
        panic!("expected the close failure")
    };
    assert_eq!(role, "removed");
    let (failed, other) = if place == Place::Drop { (drop, close) } else { (close, drop) };
    assert_is_planted(&failed.expect("the failure in its slot"), "removed", place, How::Panic);
    assert!(other.is_none(), "{other:?}");
    assert_eq!(dynamic.control.len(), 0, "removed although its close failed");
    let events = logged(&log);
    assert_closed_once_on_its_thread("removed", &events);
    dynamic.assert_survives_and_close(&events);
}

fn dynamic_removed_agent_on_close_errs() {
    let dynamic = start_dynamic();
    let (spec, log) = spec("removed", &[(Place::OnClose, How::Error)]);
    let id = dynamic.add(spec).expect("the agent starts");
    let Err(DynamicCompositeError::Removal { role, close, drop }) = dynamic.remove(id) else {
        panic!("expected the close failure")
    };
    assert_eq!(role, "removed");
    assert_is_planted(&close.expect("the on_close failure"), "removed", Place::OnClose, How::Error);
    assert!(drop.is_none());
    let events = logged(&log);
    assert_closed_once_on_its_thread("removed", &events);
    dynamic.assert_survives_and_close(&events);
}

// ---------------------------------------------------------------------------------------------
// The matrix

macro_rules! fault_matrix {
    ($($test:ident: $row:expr,)*) => {
        $(
            #[test]
            fn $test() {
                $row
            }
        )*

        /// Every row, in order, for the run of the whole matrix in one process.
        const ROWS: &[(&str, fn())] = &[$((stringify!($test), $test)),*];
    };
}

fault_matrix! {
    factory_error_fails_start_and_nothing_is_closed: runner_factory_fails(How::Error),
    factory_panic_fails_start_and_nothing_is_closed: runner_factory_fails(How::Panic),
    role_name_panic_fails_start_and_on_close_runs: runner_role_name_panics(),
    on_start_error_fails_start_after_on_close_ran: runner_on_start_fails(How::Error),
    on_start_panic_fails_start_after_on_close_ran: runner_on_start_fails(How::Panic),
    do_work_error_goes_to_the_handler_and_the_agent_runs_on: runner_do_work_fails(How::Error),
    do_work_panic_ends_the_agent_and_on_close_runs: runner_do_work_fails(How::Panic),
    on_close_error_is_reported_and_the_agent_still_dropped: runner_on_close_fails(How::Error),
    on_close_panic_is_reported_and_the_agent_still_dropped: runner_on_close_fails(How::Panic),
    drop_panic_is_reported_after_on_close_ran: runner_drop_panics(),
    error_handler_panic_ends_the_agent_and_on_close_runs: runner_error_handler_panics(),
    failed_on_start_on_close_and_drop_are_all_reported: runner_start_fails_then_close_and_drop_fail_too(),
    panicked_do_work_failed_on_close_and_drop_are_all_reported: runner_do_work_panics_then_close_and_drop_fail_too(),
    composite_sub_agent_on_start_error_fails_start_and_closes_every_sub_agent:
        composite_sub_agent_on_start_fails(How::Error),
    composite_sub_agent_on_start_panic_fails_start_and_closes_every_sub_agent:
        composite_sub_agent_on_start_fails(How::Panic),
    composite_sub_agent_do_work_error_goes_to_the_handler_and_starves_no_one:
        composite_sub_agent_do_work_fails(How::Error),
    composite_sub_agent_do_work_panic_ends_the_runner_and_closes_every_sub_agent:
        composite_sub_agent_do_work_fails(How::Panic),
    composite_sub_agent_on_close_error_is_named_and_the_others_closed: composite_sub_agent_on_close_fails(How::Error),
    composite_sub_agent_on_close_panic_is_named_and_the_others_closed: composite_sub_agent_on_close_fails(How::Panic),
    composite_sub_agent_drop_panic_is_reported_and_the_others_dropped: composite_sub_agent_drop_panics(),
    dynamic_add_factory_error_is_answered_and_the_composite_survives: dynamic_added_factory_fails(How::Error),
    dynamic_add_factory_panic_is_answered_and_the_composite_survives: dynamic_added_factory_fails(How::Panic),
    dynamic_added_on_start_error_is_answered_after_its_on_close_ran: dynamic_added_on_start_fails(How::Error),
    dynamic_added_on_start_panic_is_answered_after_its_on_close_ran: dynamic_added_on_start_fails(How::Panic),
    dynamic_added_do_work_error_goes_to_the_handler_and_the_composite_runs_on:
        dynamic_added_do_work_fails(How::Error),
    dynamic_added_do_work_panic_ends_the_runner_and_closes_the_added_agent: dynamic_added_do_work_fails(How::Panic),
    dynamic_removed_on_close_error_is_answered: dynamic_removed_agent_on_close_errs(),
    dynamic_removed_on_close_panic_is_answered: dynamic_removed_agent_fails_to_close(Place::OnClose),
    dynamic_removed_drop_panic_is_answered: dynamic_removed_agent_fails_to_close(Place::Drop),
}

/// The number of threads of this process (`/proc/self/task`).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// The child of the next test: every row, one after the other, in a process with no other
/// test running, so that its thread count is exact.
fn whole_matrix_child() {
    for (name, row) in ROWS {
        let before = thread_count();
        row();
        eventually(&format!("the thread count is back to {before} after {name}"), || {
            thread_count() == before
        });
        println!("row {name} threads {before}");
    }
    println!("child-done");
}

#[test]
fn the_whole_matrix_runs_in_one_process_that_exits_zero_with_the_threads_it_had() {
    if child_mode().is_some() {
        return whole_matrix_child();
    }
    let out = ChildProcess::spawn(
        "the_whole_matrix_runs_in_one_process_that_exits_zero_with_the_threads_it_had",
        "all",
    )
    .wait();
    out.assert_success_with("child-done");
    for (name, _) in ROWS {
        let prefix = format!("row {name} threads ");
        assert!(
            out.stdout.iter().any(|l| l.starts_with(&prefix)),
            "row {name} did not run: {:#?}",
            out.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Faults the library does not survive yet (bugs)

/// The child of the next test: a composite whose two sub-agents both panic in `Drop`.
fn two_panicking_drops_child() {
    let (b1, _b1_log) = spec("b1", &[(Place::Drop, How::Panic)]);
    let (b2, _b2_log) = spec("b2", &[(Place::Drop, How::Panic)]);
    let (b1, b2) = (b1.factory(), b2.factory());
    let runner =
        AgentRunner::start(move || Ok(CompositeAgent::new(vec![Box::new(b1()?), Box::new(b2()?)]))).unwrap();
    let failed = runner.close().expect_err("two sub-agents' Drop panicked");
    println!("reported: {failed}");
    println!("child-done");
}

#[test]
fn two_sub_agents_whose_drop_panics_do_not_abort_the_process() {
    if child_mode().is_some() {
        return two_panicking_drops_child();
    }
    let out =
        ChildProcess::spawn("two_sub_agents_whose_drop_panics_do_not_abort_the_process", "two-drops").wait();
    out.assert_success_with("child-done");
}

/// A panic payload whose own `Drop` panics, as `std::panic::panic_any` allows.
struct PanickingPayload;

impl Drop for PanickingPayload {
    fn drop(&mut self) {
        panic!("the panic payload's drop blew up");
    }
}

#[test]
fn on_close_runs_after_do_work_panics_with_a_payload_whose_drop_panics() {
    let end = ThreadEnd::new();
    let (spec, log) = spec("payload", &[]);
    let factory = spec.watched(&end).factory();
    struct Thrower(Faulty);
    impl Agent for Thrower {
        fn on_start(&mut self) -> Result<(), AgentError> {
            self.0.on_start()
        }
        fn do_work(&mut self) -> Result<usize, AgentError> {
            self.0.do_work()?;
            std::panic::panic_any(PanickingPayload)
        }
        fn on_close(&mut self) -> Result<(), AgentError> {
            self.0.on_close()
        }
    }
    let runner = AgentRunner::start(move || Ok(Thrower(factory()?))).unwrap();
    // The panic ends the agent by itself within milliseconds (closing now could stop it before
    // its first do_work); then close_timeout must see that the thread is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while runner.is_running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let failed = match runner.close_timeout(Duration::from_secs(5)) {
        Err(CloseError::Failed(failed)) => failed,
        Err(CloseError::TimedOut(timed_out)) => {
            let joined = timed_out.into_runner().join();
            end.assert_ends_after("join");
            panic!(
                "close_timeout timed out on a thread that had ended (is_running stayed true); join then \
                 gave {joined:?}; calls into the agent: {:?}",
                names(&logged(&log))
            )
        }
        Ok(report) => panic!("do_work panicked, yet the report is clean: {report}"),
    };
    end.assert_joined_by("close_timeout");
    assert!(matches!(failed.report().ending(), Ending::Panicked(_)), "{failed}");
    assert_closed_once_on_its_thread("payload", &logged(&log));
}

#[test]
fn an_added_agent_whose_on_start_on_close_and_drop_all_fail_reports_all_three() {
    let dynamic = start_dynamic();
    let faults = [(Place::OnStart, How::Error), (Place::OnClose, How::Error), (Place::Drop, How::Panic)];
    let (spec, _log) = spec("added", &faults);
    let err = dynamic.add(spec).expect_err("on_start failed");
    let shown = format!("{err} / {err:?}");
    for (place, how) in faults {
        assert!(shown.contains(&message("added", place, how)), "{place:?} is not reported: {shown}");
    }
    dynamic.runner.close().unwrap();
}

#[test]
fn a_removed_agent_whose_on_close_and_drop_both_fail_reports_both() {
    let dynamic = start_dynamic();
    let faults = [(Place::OnClose, How::Error), (Place::Drop, How::Panic)];
    let (spec, _log) = spec("removed", &faults);
    let id = dynamic.add(spec).unwrap();
    let err = dynamic.remove(id).expect_err("on_close failed");
    let shown = format!("{err} / {err:?}");
    for (place, how) in faults {
        assert!(shown.contains(&message("removed", place, how)), "{place:?} is not reported: {shown}");
    }
    dynamic.runner.close().unwrap();
}

// ---------------------------------------------------------------------------------------------
// What the runner holds for the agent: its idle strategy and its error handler

/// An idle strategy whose `Drop` panics.
struct IdleThatPanicsOnDrop;

impl IdleStrategy for IdleThatPanicsOnDrop {
    fn idle_once(&mut self) {
        std::thread::sleep(Duration::from_millis(1));
    }
    fn reset(&mut self) {}
    fn alias(&self) -> &'static str {
        "panics-on-drop"
    }
}

impl Drop for IdleThatPanicsOnDrop {
    fn drop(&mut self) {
        panic!("the idle strategy's drop blew up");
    }
}

/// A value whose `Drop` panics, for an error handler to capture.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("the error handler's capture blew up");
    }
}

/// Idles, and fails its `on_close` with "the real on_close error".
struct FailsToClose;

impl Agent for FailsToClose {
    fn role_name(&self) -> &str {
        "fails-to-close"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        Err(AgentError::msg("the real on_close error"))
    }
}

/// The report of a runner of [`FailsToClose`] named "real-report", closed.
fn closed_report<I: IdleStrategy + Send + 'static>(builder: AgentRunnerBuilder<I>) -> AgentReport {
    let runner = builder.name("real-report").start(|| Ok(FailsToClose)).unwrap();
    runner.close().expect_err("on_close failed").into_report()
}

fn assert_the_real_report_with(report: &AgentReport, drop_panics: &[&str]) {
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert_eq!(report.thread_name(), "real-report", "{report}");
    assert_eq!(report.role(), "fails-to-close", "{report}");
    let close = report.close_failure().map(ToString::to_string);
    assert_eq!(close.as_deref(), Some("the real on_close error"), "{report}");
    let dropped = report.drop_failure().map(ToString::to_string).unwrap_or_default();
    for panic in drop_panics {
        assert!(dropped.contains(panic), "{panic:?} is not reported: {report}");
    }
    assert!(!report.is_clean());
}

#[test]
fn a_panic_in_the_idle_strategys_drop_is_reported_beside_the_real_report() {
    let report = closed_report(AgentRunner::builder().idle_strategy(IdleThatPanicsOnDrop));
    assert_the_real_report_with(&report, &["the idle strategy's drop blew up"]);
}

#[test]
fn a_panic_in_the_drop_of_what_the_error_handler_captured_is_reported_beside_the_real_report() {
    let capture = PanicsOnDrop;
    let builder = AgentRunner::builder().error_handler(move |_, _| {
        let _keep = &capture;
        ErrorAction::Continue
    });
    let report = closed_report(builder);
    assert_the_real_report_with(&report, &["the error handler's capture blew up"]);
}

/// The child of the next test: both drops panic in one runner.
fn idle_and_handler_drops_both_panic_child() {
    let capture = PanicsOnDrop;
    let builder = AgentRunner::builder().idle_strategy(IdleThatPanicsOnDrop).error_handler(move |_, _| {
        let _keep = &capture;
        ErrorAction::Continue
    });
    let report = closed_report(builder);
    assert_the_real_report_with(
        &report,
        &["the idle strategy's drop blew up", "the error handler's capture blew up"],
    );
    println!("reported: {report}");
    println!("child-done");
}

#[test]
fn an_idle_strategy_and_an_error_handler_whose_drops_both_panic_do_not_abort_the_process() {
    if child_mode().is_some() {
        return idle_and_handler_drops_both_panic_child();
    }
    let out = ChildProcess::spawn(
        "an_idle_strategy_and_an_error_handler_whose_drops_both_panic_do_not_abort_the_process",
        "idle-and-handler-drops",
    )
    .wait();
    out.assert_success_with("child-done");
}
