//! CompositeAgent: Agrona's semantics for several agents on one thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentFailed, AgentFailure, AgentInvoker, AgentRunner, CompositeAgent,
    CompositeAgentError, Drain, Ending, ErrorAction,
};
use dutycycle_test_support::probe::EndsInDrain;

/// What each sub-agent saw, in order, shared on one thread.
type Log = Rc<RefCell<Vec<String>>>;

#[derive(Default, Clone, Copy)]
struct Faults {
    start: Option<Fault>,
    work: Option<Fault>,
    close: Option<Fault>,
}

#[derive(Clone, Copy)]
enum Fault {
    Error,
    Panic,
}

struct Probe {
    role: &'static str,
    log: Log,
    work: usize,
    faults: Faults,
}

impl Probe {
    fn boxed(role: &'static str, log: &Log, work: usize, faults: Faults) -> Box<dyn Agent> {
        Box::new(Probe { role, log: Rc::clone(log), work, faults })
    }

    fn hit(&self, what: &str, fault: Option<Fault>) -> Result<(), AgentError> {
        self.log.borrow_mut().push(format!("{}.{what}", self.role));
        match fault {
            None => Ok(()),
            Some(Fault::Error) => Err(AgentError::msg(format!("{} {what} failed", self.role))),
            Some(Fault::Panic) => panic!("{} {what} panicked", self.role),
        }
    }
}

impl Agent for Probe {
    fn role_name(&self) -> &str {
        self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.hit("start", self.faults.start)
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.hit("work", self.faults.work)?;
        Ok(self.work)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.hit("close", self.faults.close)
    }
}

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn failures(err: &AgentError) -> Vec<(String, String)> {
    err.downcast_ref::<CompositeAgentError>()
        .expect("a CompositeAgentError")
        .failures()
        .iter()
        .map(|(role, failure)| (role.clone(), failure.to_string()))
        .collect()
}

#[test]
fn role_name_is_the_sub_agents_roles_in_brackets() {
    let log = log();
    let composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 0, Faults::default()),
        Probe::boxed("b", &log, 0, Faults::default()),
        Probe::boxed("c", &log, 0, Faults::default()),
    ]);
    assert_eq!(composite.role_name(), "[a,b,c]");
    assert_eq!(CompositeAgent::new(Vec::new()).role_name(), "[]");
}

#[test]
fn every_sub_agent_gets_on_start_even_when_one_fails_and_the_errors_come_back_together() {
    let log = log();
    let error = Faults { start: Some(Fault::Error), ..Faults::default() };
    let panic = Faults { start: Some(Fault::Panic), ..Faults::default() };
    let mut composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 0, error),
        Probe::boxed("b", &log, 0, panic),
        Probe::boxed("c", &log, 0, Faults::default()),
    ]);
    let err = composite.on_start().unwrap_err();
    assert_eq!(*log.borrow(), ["a.start", "b.start", "c.start"]);
    assert_eq!(
        failures(&err),
        [
            ("a".to_owned(), "a start failed".to_owned()),
            ("b".to_owned(), "panicked: b start panicked".to_owned())
        ]
    );
}

#[test]
fn every_sub_agent_gets_on_close_even_when_one_fails() {
    let log = log();
    let panic = Faults { close: Some(Fault::Panic), ..Faults::default() };
    let error = Faults { close: Some(Fault::Error), ..Faults::default() };
    let mut composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 0, panic),
        Probe::boxed("b", &log, 0, Faults::default()),
        Probe::boxed("c", &log, 0, error),
    ]);
    let err = composite.on_close().unwrap_err();
    assert_eq!(*log.borrow(), ["a.close", "b.close", "c.close"]);
    assert_eq!(failures(&err).len(), 2);
    assert!(err.to_string().starts_with("2 agents failed: a: panicked: a close panicked; c: c close failed"));
}

#[test]
fn do_work_sums_the_sub_agents_work() {
    let log = log();
    let mut composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 2, Faults::default()),
        Probe::boxed("b", &log, 0, Faults::default()),
        Probe::boxed("c", &log, 5, Faults::default()),
    ]);
    assert_eq!(composite.do_work().unwrap(), 7);
    assert_eq!(*log.borrow(), ["a.work", "b.work", "c.work"]);
}

#[test]
fn the_sum_of_the_sub_agents_work_saturates_at_usize_max() {
    let log = log();
    let mut composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, usize::MAX, Faults::default()),
        Probe::boxed("b", &log, 1, Faults::default()),
        Probe::boxed("c", &log, usize::MAX, Faults::default()),
    ]);
    assert_eq!(composite.do_work().unwrap(), usize::MAX);
    assert_eq!(*log.borrow(), ["a.work", "b.work", "c.work"], "every sub-agent still works");
}

#[test]
fn after_a_sub_agent_fails_the_next_cycle_resumes_after_it_so_it_cannot_starve_the_rest() {
    let log = log();
    let always_fails = Faults { work: Some(Fault::Error), ..Faults::default() };
    let mut composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 1, Faults::default()),
        Probe::boxed("b", &log, 1, always_fails),
        Probe::boxed("c", &log, 1, Faults::default()),
    ]);
    assert!(composite.do_work().is_err()); // a, b fails
    assert_eq!(composite.do_work().unwrap(), 1); // c only: resumes after b
    assert!(composite.do_work().is_err()); // a, b fails
    assert_eq!(composite.do_work().unwrap(), 1); // c
    let log = log.borrow();
    assert_eq!(log.iter().filter(|e| *e == "c.work").count(), 2);
    assert_eq!(*log, ["a.work", "b.work", "c.work", "a.work", "b.work", "c.work"]);
}

#[test]
fn terminate_from_a_sub_agent_ends_the_composite_and_closes_every_sub_agent() {
    struct Stopper;
    impl Agent for Stopper {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Err(AgentError::terminate())
        }
    }
    let log = log();
    let composite =
        CompositeAgent::new(vec![Probe::boxed("a", &log, 1, Faults::default()), Box::new(Stopper)]);
    let mut invoker = AgentInvoker::new(composite);
    invoker.start();
    invoker.invoke();
    assert!(invoker.is_closed());
    assert_eq!(*log.borrow(), ["a.start", "a.work", "a.close"]);
}

#[test]
fn non_send_sub_agents_run_and_close_on_the_runner_thread() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_agents = Arc::clone(&seen);
    let runner = AgentRunner::start(move || {
        // `Rc` log: the composite is not `Send`, and is built on the agent thread.
        let log = log();
        struct Record(Log, Arc<Mutex<Vec<(String, std::thread::ThreadId)>>>);
        impl Agent for Record {
            fn role_name(&self) -> &str {
                "record"
            }
            fn do_work(&mut self) -> Result<usize, AgentError> {
                Ok(0)
            }
            fn on_close(&mut self) -> Result<(), AgentError> {
                self.0.borrow_mut().push("closed".into());
                self.1.lock().unwrap().push(("close".into(), std::thread::current().id()));
                Ok(())
            }
        }
        seen_by_agents.lock().unwrap().push(("factory".into(), std::thread::current().id()));
        Ok(CompositeAgent::new(vec![
            Box::new(Record(Rc::clone(&log), Arc::clone(&seen_by_agents))),
            Probe::boxed("probe", &log, 0, Faults::default()),
        ]))
    })
    .unwrap();
    assert_eq!(runner.role(), "[record,probe]");
    let report = runner.close().unwrap();
    assert_eq!(report.role(), "[record,probe]");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1, seen[1].1, "factory and on_close on the same thread");
    assert_ne!(seen[0].1, std::thread::current().id());
}

#[derive(Debug, PartialEq)]
struct FeedLost;

impl std::fmt::Display for FeedLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("feed lost")
    }
}

impl std::error::Error for FeedLost {}

/// Closes a runner of a composite of `agents` with a drain deadline of 200 ms; its report,
/// clean or not.
fn close_composite(agents: impl FnOnce() -> Vec<Box<dyn Agent>> + Send + 'static) -> dutycycle::AgentReport {
    let runner = AgentRunner::builder()
        .drain_timeout(Duration::from_millis(200))
        .error_handler(|_, _| ErrorAction::Continue)
        .start(move || Ok(CompositeAgent::new(agents())))
        .unwrap();
    runner.close().unwrap_or_else(AgentFailed::into_report)
}

#[test]
fn a_terminate_from_a_sub_agents_on_drain_ends_the_composite_and_its_drain() {
    let report =
        close_composite(|| vec![Box::new(EndsInDrain { role: "a", on_drain: AgentError::terminate })]);
    assert!(matches!(report.ending(), Ending::Terminated), "{report}");
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
    assert_eq!(report.errors(), 0);
}

#[test]
fn a_failure_from_a_sub_agents_on_drain_ends_the_composite_with_its_typed_cause() {
    let report = close_composite(|| {
        vec![
            Probe::boxed("a", &log(), 0, Faults::default()),
            Box::new(EndsInDrain { role: "b", on_drain: || AgentError::fail(FeedLost) }),
        ]
    });
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert!(cause.is_failure());
    assert_eq!(failures(cause), [("b".to_owned(), "feed lost".to_owned())]);
    let failed = &cause.downcast_ref::<CompositeAgentError>().unwrap().failures()[0].1;
    assert_eq!(failed.error().unwrap().downcast_ref::<FeedLost>(), Some(&FeedLost));
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
    assert_eq!(report.errors(), 1);
}

#[test]
fn a_panic_in_a_sub_agents_on_drain_ends_the_composite_and_its_drain_as_a_failure() {
    let report = close_composite(|| {
        vec![
            Probe::boxed("a", &log(), 0, Faults::default()),
            Box::new(EndsInDrain { role: "b", on_drain: || panic!("flush panicked") }),
        ]
    });
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert!(cause.is_failure());
    assert_eq!(failures(cause), [("b".to_owned(), "panicked: flush panicked".to_owned())]);
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
}

#[test]
fn a_terminate_beside_another_sub_agents_error_in_on_drain_ends_the_composite_with_both() {
    let report = close_composite(|| {
        vec![
            Box::new(EndsInDrain { role: "a", on_drain: || AgentError::msg("flush failed") }),
            Box::new(EndsInDrain { role: "b", on_drain: AgentError::terminate }),
        ]
    });
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert_eq!(
        failures(cause),
        [("a".to_owned(), "flush failed".to_owned()), ("b".to_owned(), "agent terminated".to_owned())]
    );
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
}

#[test]
fn an_error_from_a_sub_agents_on_drain_goes_to_the_handler_and_the_drain_goes_on() {
    let report =
        close_composite(|| vec![Box::new(EndsInDrain { role: "a", on_drain: || AgentError::msg("slow") })]);
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert!(report.drain().is_cut_short(), "{report}");
    assert_eq!(report.errors(), 1);
}

#[test]
fn a_terminate_or_failure_from_a_sub_agents_on_drain_closes_an_invoked_composite() {
    let log = log();
    let composite = CompositeAgent::new(vec![
        Probe::boxed("a", &log, 0, Faults::default()),
        Box::new(EndsInDrain { role: "b", on_drain: AgentError::terminate }),
    ]);
    let mut invoker = AgentInvoker::new(composite);
    invoker.start();
    invoker.start_drain();
    assert!(invoker.is_closed());
    assert_eq!(*log.borrow(), ["a.start", "a.close"]);
    assert_eq!(invoker.error_count(), 0);

    let composite = CompositeAgent::new(vec![Box::new(EndsInDrain {
        role: "b",
        on_drain: || AgentError::fail(FeedLost),
    })]);
    let mut invoker = AgentInvoker::with_error_handler(composite, |_, _| ErrorAction::Continue);
    invoker.start();
    invoker.start_drain();
    assert!(invoker.is_closed());
    let cause = invoker.failure().expect("the failure is kept");
    assert_eq!(failures(cause), [("b".to_owned(), "feed lost".to_owned())]);
}

#[test]
fn a_failure_from_a_sub_agents_on_close_is_kept_as_an_invoked_composites_failure() {
    struct FailsToClose;
    impl Agent for FailsToClose {
        fn role_name(&self) -> &str {
            "b"
        }
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Ok(0)
        }
        fn on_close(&mut self) -> Result<(), AgentError> {
            Err(AgentError::fail(FeedLost))
        }
    }
    let mut invoker =
        AgentInvoker::with_error_handler(CompositeAgent::new(vec![Box::new(FailsToClose)]), |_, _| {
            panic!("a failure is not the handler's to decide")
        });
    invoker.start();
    invoker.close();
    let cause = invoker.failure().expect("the failure is kept");
    assert_eq!(failures(cause), [("b".to_owned(), "feed lost".to_owned())]);
    assert_eq!(invoker.error_count(), 1);
}
