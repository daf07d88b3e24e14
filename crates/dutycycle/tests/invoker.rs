//! `AgentInvoker`: the agent lifecycle driven from the caller's own loop and thread.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use dutycycle::{Agent, AgentError, AgentInvoker, ErrorAction};
use dutycycle_test_support::child::{child_mode, ChildProcess};

type Log = Rc<RefCell<Vec<String>>>;

/// Logs each call into it; `do_work` returns the next entry of its script (then `Ok(0)`).
struct Scripted {
    log: Log,
    on_start: Result<(), &'static str>,
    on_close: Result<(), &'static str>,
    script: Vec<Step>,
}

#[derive(Clone, Copy)]
enum Step {
    Work(usize),
    Fail(&'static str),
    Terminate,
    Panic,
}

impl Scripted {
    fn new(script: &[Step]) -> (Scripted, Log) {
        let log = Log::default();
        let agent =
            Scripted { log: Rc::clone(&log), on_start: Ok(()), on_close: Ok(()), script: script.to_vec() };
        (agent, log)
    }
}

fn calls(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

impl Agent for Scripted {
    fn role_name(&self) -> &str {
        "scripted"
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.log.borrow_mut().push("on_start".into());
        self.on_start.map_err(AgentError::msg)
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.log.borrow_mut().push("do_work".into());
        let step = if self.script.is_empty() { Step::Work(0) } else { self.script.remove(0) };
        match step {
            Step::Work(n) => Ok(n),
            Step::Fail(message) => Err(AgentError::msg(message)),
            Step::Terminate => Err(AgentError::terminate()),
            Step::Panic => panic!("do_work blew up"),
        }
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.borrow_mut().push("on_close".into());
        self.on_close.map_err(AgentError::msg)
    }
}

/// An invoker whose error handler logs "error <role>: <message>" into the agent's log.
fn invoker(agent: Scripted) -> AgentInvoker<Scripted, impl FnMut(&str, &AgentError) -> ErrorAction> {
    let log = Rc::clone(&agent.log);
    AgentInvoker::with_error_handler(agent, move |role, err| {
        log.borrow_mut().push(format!("error {role}: {err}"));
        ErrorAction::Continue
    })
}

#[test]
fn start_is_idempotent() {
    let (agent, log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    assert!(!invoker.is_running());
    invoker.start();
    invoker.start();
    assert!(invoker.is_running());
    assert_eq!(calls(&log), ["on_start"]);
}

#[test]
fn invoke_returns_0_and_calls_nothing_when_not_running() {
    let (agent, log) = Scripted::new(&[Step::Work(7), Step::Work(7)]);
    let mut invoker = invoker(agent);
    assert_eq!(invoker.invoke(), 0, "before start");
    invoker.start();
    assert_eq!(invoker.invoke(), 7);
    invoker.close();
    assert_eq!(invoker.invoke(), 0, "after close");
    assert_eq!(calls(&log), ["on_start", "do_work", "on_close"]);
}

#[test]
fn invoke_returns_the_work_count_of_each_do_work() {
    let (agent, _log) = Scripted::new(&[Step::Work(3), Step::Work(0), Step::Work(5)]);
    let mut invoker = invoker(agent);
    invoker.start();
    let counts: Vec<usize> = (0..3).map(|_| invoker.invoke()).collect();
    assert_eq!(counts, [3, 0, 5]);
}

#[test]
fn close_is_idempotent() {
    let (agent, log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    invoker.start();
    invoker.close();
    invoker.close();
    assert!(invoker.is_closed());
    assert_eq!(calls(&log), ["on_start", "on_close"]);
}

#[test]
fn closing_an_invoker_that_never_started_does_not_call_on_close() {
    let (agent, log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    invoker.close();
    assert!(invoker.is_closed());
    invoker.start();
    assert!(!invoker.is_running(), "a closed invoker started again");
    assert!(calls(&log).is_empty());
}

#[test]
fn an_on_start_failure_is_reported_then_the_agent_is_closed() {
    let (mut agent, log) = Scripted::new(&[]);
    agent.on_start = Err("no session");
    let mut invoker = invoker(agent);
    invoker.start();
    assert!(invoker.is_closed());
    assert_eq!(invoker.error_count(), 1);
    assert_eq!(calls(&log), ["on_start", "error scripted: no session", "on_close"]);
    assert_eq!(invoker.invoke(), 0);
}

#[test]
fn do_work_errors_are_reported_and_counted_and_the_agent_keeps_running() {
    let (agent, log) = Scripted::new(&[Step::Fail("hiccup"), Step::Work(2)]);
    let mut invoker = invoker(agent);
    invoker.start();
    assert_eq!(invoker.invoke(), 0);
    assert!(invoker.is_running());
    assert_eq!(invoker.invoke(), 2);
    assert_eq!(invoker.error_count(), 1);
    assert_eq!(calls(&log), ["on_start", "do_work", "error scripted: hiccup", "do_work"]);
}

#[test]
fn terminate_closes_the_agent_and_is_not_reported() {
    let (agent, log) = Scripted::new(&[Step::Work(1), Step::Terminate, Step::Work(1)]);
    let mut invoker = invoker(agent);
    invoker.start();
    assert_eq!(invoker.invoke(), 1);
    assert_eq!(invoker.invoke(), 0);
    assert!(invoker.is_closed());
    assert_eq!(invoker.error_count(), 0);
    assert_eq!(invoker.invoke(), 0);
    assert_eq!(calls(&log), ["on_start", "do_work", "do_work", "on_close"]);
}

#[test]
fn an_error_handler_that_returns_stop_closes_the_agent_and_keeps_the_cause() {
    let (agent, log) =
        Scripted::new(&[Step::Fail("hiccup"), Step::Work(2), Step::Fail("port taken"), Step::Work(3)]);
    let handled = Rc::clone(&agent.log);
    let mut invoker = AgentInvoker::with_error_handler(agent, move |role, err| {
        handled.borrow_mut().push(format!("error {role}: {err}"));
        if err.to_string() == "port taken" {
            ErrorAction::Stop
        } else {
            ErrorAction::Continue
        }
    });
    invoker.start();
    assert_eq!(invoker.invoke(), 0);
    assert!(invoker.failure().is_none(), "the handler went on after the first error");
    assert_eq!(invoker.invoke(), 2);
    assert_eq!(invoker.invoke(), 0);
    assert!(invoker.is_closed(), "the handler ended the agent");
    assert_eq!(invoker.failure().map(ToString::to_string).as_deref(), Some("port taken"));
    assert_eq!(invoker.error_count(), 2);
    assert_eq!(invoker.invoke(), 0, "a closed agent is not called");
    assert_eq!(
        calls(&log),
        [
            "on_start",
            "do_work",
            "error scripted: hiccup",
            "do_work",
            "do_work",
            "error scripted: port taken",
            "on_close"
        ]
    );
}

#[test]
fn an_on_close_error_is_reported() {
    let (mut agent, log) = Scripted::new(&[]);
    agent.on_close = Err("flush failed");
    let mut invoker = invoker(agent);
    invoker.start();
    invoker.close();
    assert_eq!(invoker.error_count(), 1);
    assert_eq!(calls(&log), ["on_start", "on_close", "error scripted: flush failed"]);
}

/// The calling thread's voluntary context switches: each block (park, sleep, futex wait)
/// adds one; being preempted does not.
fn voluntary_context_switches() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn invoke_applies_no_idle_strategy() {
    let (agent, _log) = Scripted::new(&[]);
    let mut invoker = AgentInvoker::new(agent);
    invoker.start();
    // Turns without work. Were any idle strategy that parks or sleeps applied (Backoff,
    // Sleeping, the runner's default), the thread would block thousands of times.
    let before = voluntary_context_switches();
    for _ in 0..10_000 {
        assert_eq!(invoker.invoke(), 0);
    }
    let blocked = voluntary_context_switches() - before;
    assert!(blocked < 100, "the thread blocked {blocked} times in 10 000 invokes");
}

#[test]
fn every_call_runs_on_the_callers_thread() {
    struct Where(Rc<RefCell<Vec<std::thread::ThreadId>>>);
    impl Agent for Where {
        fn on_start(&mut self) -> Result<(), AgentError> {
            self.0.borrow_mut().push(std::thread::current().id());
            Ok(())
        }
        fn do_work(&mut self) -> Result<usize, AgentError> {
            self.0.borrow_mut().push(std::thread::current().id());
            Ok(0)
        }
        fn on_close(&mut self) -> Result<(), AgentError> {
            self.0.borrow_mut().push(std::thread::current().id());
            Ok(())
        }
    }
    let threads = Rc::default();
    let mut invoker = AgentInvoker::new(Where(Rc::clone(&threads)));
    invoker.start();
    invoker.invoke();
    invoker.close();
    let threads = threads.borrow();
    assert_eq!(threads.len(), 3);
    assert!(threads.iter().all(|&t| t == std::thread::current().id()));
}

#[test]
fn dropping_a_running_invoker_closes_the_agent() {
    let (agent, log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    invoker.start();
    drop(invoker);
    assert_eq!(calls(&log), ["on_start", "on_close"]);
}

#[test]
fn dropping_an_unstarted_or_closed_invoker_does_not_close_again() {
    let (agent, log) = Scripted::new(&[]);
    drop(invoker(agent));
    assert!(calls(&log).is_empty(), "on_close ran for an agent that never started");

    let (agent, log) = Scripted::new(&[]);
    let mut closed = invoker(agent);
    closed.start();
    closed.close();
    drop(closed);
    assert_eq!(calls(&log), ["on_start", "on_close"]);
}

#[test]
fn a_panic_in_do_work_unwinds_into_the_caller_and_drop_still_closes_the_agent() {
    let (agent, log) = Scripted::new(&[Step::Panic]);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut invoker = invoker(agent);
        invoker.start();
        invoker.invoke();
    }));
    let payload = result.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"do_work blew up"));
    assert_eq!(calls(&log), ["on_start", "do_work", "on_close"]);
}

#[test]
fn dropping_a_draining_invoker_closes_the_agent() {
    let (agent, log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    invoker.start();
    invoker.start_drain();
    invoker.invoke();
    drop(invoker);
    assert_eq!(calls(&log), ["on_start", "do_work", "on_close"]);
}

#[test]
fn a_panic_in_do_work_while_draining_unwinds_into_the_caller_and_drop_still_closes_the_agent() {
    let (agent, log) = Scripted::new(&[Step::Work(1), Step::Panic]);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut invoker = invoker(agent);
        invoker.start();
        invoker.invoke();
        invoker.start_drain();
        assert!(invoker.is_running(), "draining counts as running");
        invoker.invoke();
    }));
    let payload = result.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"do_work blew up"));
    // Before the fix a draining invoker dropped during a panic skipped `on_close`.
    assert_eq!(calls(&log), ["on_start", "do_work", "do_work", "on_close"]);
}

#[test]
fn a_draining_invoker_dropped_while_the_callers_loop_panics_closes_the_agent() {
    let (agent, log) = Scripted::new(&[]);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut invoker = invoker(agent);
        invoker.start();
        invoker.start_drain();
        panic!("the caller's loop blew up");
    }));
    let payload = result.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the caller's loop blew up"));
    assert_eq!(calls(&log), ["on_start", "on_close"]);
}

/// The child of the next test: `do_work` panics, and so does `on_close` while that panic
/// unwinds through the invoker's drop.
fn on_close_panics_while_unwinding_child() {
    struct PanicsTwice;
    impl Agent for PanicsTwice {
        fn role_name(&self) -> &str {
            "panics-twice"
        }
        fn do_work(&mut self) -> Result<usize, AgentError> {
            panic!("do_work blew up")
        }
        fn on_close(&mut self) -> Result<(), AgentError> {
            panic!("on_close blew up")
        }
    }
    let handled = Log::default();
    let log = Rc::clone(&handled);
    let result = panic::catch_unwind(AssertUnwindSafe(move || {
        let mut invoker = AgentInvoker::with_error_handler(PanicsTwice, move |role, err| {
            log.borrow_mut().push(format!("{role}: {err}"));
            ErrorAction::Continue
        });
        invoker.start();
        invoker.invoke();
    }));
    let payload = result.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"do_work blew up"), "the first panic goes on");
    for line in handled.borrow().iter() {
        println!("handled {line}");
    }
    println!("child-done");
}

#[test]
fn an_on_close_that_panics_while_do_works_panic_unwinds_does_not_abort_the_process() {
    if child_mode().is_some() {
        return on_close_panics_while_unwinding_child();
    }
    let out = ChildProcess::spawn(
        "an_on_close_that_panics_while_do_works_panic_unwinds_does_not_abort_the_process",
        "on-close-panics-while-unwinding",
    )
    .wait();
    out.assert_success_with("child-done");
    assert!(
        out.stdout.iter().any(|l| l == "handled panics-twice: panicked: on_close blew up"),
        "the on_close panic was not passed to the error handler: {:#?}",
        out.stdout
    );
}

#[test]
fn debug_shows_role_state_and_errors() {
    let (agent, _log) = Scripted::new(&[]);
    let mut invoker = invoker(agent);
    assert_eq!(format!("{invoker:?}"), "AgentInvoker { role: \"scripted\", state: New, errors: 0 }");
    invoker.start();
    assert!(format!("{invoker:?}").contains("Running"));
}
