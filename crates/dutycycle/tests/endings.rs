//! Every report says what ended its agent: its runner (`close`, `request_stop`), its latch
//! (and which signal: see `signals.rs`, which needs a child process), the agent itself
//! (`terminate`), a failure (the agent's own `AgentError::fail`, or the error handler's
//! `ErrorAction::Stop`), a panic, or a failed start. A failure's cause stays typed and is
//! the `source()` of the error `join` returns.

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use dutycycle::{
    Agent, AgentError, AgentFailure, AgentInvoker, AgentReport, AgentRunner, AgentTermination, Ending,
    ErrorAction, StartError,
};

/// A typed cause, as an application's own errors are.
#[derive(Debug, PartialEq)]
struct PortTaken {
    port: u16,
}

impl fmt::Display for PortTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port {} is taken", self.port)
    }
}

impl Error for PortTaken {}

/// An agent whose `do_work` does what `work` says on the given cycle (1-based), and nothing
/// (`Ok(0)`) before; it counts its `on_close` calls.
struct Scripted {
    cycle: u32,
    at: u32,
    work: fn() -> Result<usize, AgentError>,
    on_start: fn() -> Result<(), AgentError>,
    closes: Arc<AtomicU32>,
}

impl Scripted {
    fn new(at: u32, work: fn() -> Result<usize, AgentError>) -> (Self, Arc<AtomicU32>) {
        let closes = Arc::new(AtomicU32::new(0));
        let agent = Scripted { cycle: 0, at, work, on_start: || Ok(()), closes: Arc::clone(&closes) };
        (agent, closes)
    }
}

impl Agent for Scripted {
    fn role_name(&self) -> &str {
        "scripted"
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        (self.on_start)()
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        if self.cycle >= self.at {
            (self.work)()
        } else {
            Ok(0)
        }
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.closes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// An agent that never ends by itself.
fn idle() -> Scripted {
    Scripted::new(u32::MAX, || Ok(0)).0
}

#[test]
fn close_ends_the_agent_as_closed_by_its_runner() {
    let runner = AgentRunner::start(|| Ok(idle())).unwrap();
    let report = runner.close().unwrap();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert_eq!(report.ending().to_string(), "closed by its runner");
    assert!(report.is_clean());
}

#[test]
fn request_stop_ends_the_agent_as_closed_by_its_runner_and_leaves_its_latch_alone() {
    let runner = AgentRunner::start(|| Ok(idle())).unwrap();
    let termination = runner.termination().clone();
    runner.request_stop();
    let report = runner.join().unwrap();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert!(!termination.is_signalled());
}

#[test]
fn a_signalled_latch_ends_the_agent_as_latch_signalled_without_a_signal_number() {
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder().termination(termination.clone()).start(|| Ok(idle())).unwrap();
    termination.signal();
    let report = runner.join().unwrap();
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{report}");
    assert_eq!(report.ending().to_string(), "its termination latch was signalled");
}

#[test]
fn terminate_ends_the_agent_as_ended_by_itself() {
    let (agent, closes) = Scripted::new(3, || Err(AgentError::terminate()));
    let report = AgentRunner::start(move || Ok(agent)).unwrap().join().unwrap();
    assert!(matches!(report.ending(), Ending::Terminated), "{report}");
    assert_eq!(report.ending().to_string(), "ended itself");
    assert_eq!(report.errors(), 0, "a terminate is not an error");
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

/// The report of an agent that failed, checked for what every failure's report says: not
/// clean, `Failed` with the typed cause, `on_close` run once, and the cause as the `source()`
/// of the error, printed once along the chain.
fn assert_failed_with_port_taken(failed: dutycycle::AgentFailed, closes: &AtomicU32) -> AgentReport {
    let shown = failed.to_string();
    let source = failed.source().expect("the cause is the source").to_string();
    assert_eq!(shown, "agent \"scripted\" failed");
    assert_eq!(source, "port 9 is taken");
    let report = failed.into_report();
    assert!(!report.is_clean());
    assert!(!report.ending().is_normal());
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert_eq!(cause.downcast_ref::<PortTaken>(), Some(&PortTaken { port: 9 }));
    assert_eq!(report.ending().to_string(), "failed: port 9 is taken");
    assert_eq!(closes.load(Ordering::SeqCst), 1, "on_close ran once");
    report
}

#[test]
fn an_agent_that_fails_ends_itself_with_its_typed_cause_whatever_the_handler_says() {
    let (agent, closes) = Scripted::new(2, || Err(AgentError::fail(PortTaken { port: 9 })));
    let asked = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&asked);
    let failed = AgentRunner::builder()
        .error_handler(move |_, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            ErrorAction::Continue
        })
        .start(move || Ok(agent))
        .unwrap()
        .join()
        .unwrap_err();
    let report = assert_failed_with_port_taken(failed, &closes);
    assert_eq!(report.errors(), 1, "the failure is counted");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the handler is not asked about a failure");
}

#[test]
fn an_error_the_handler_stops_on_ends_the_agent_as_failed_with_that_error() {
    let (agent, closes) = Scripted::new(1, || Err(PortTaken { port: 9 }.into()));
    let failed = AgentRunner::builder()
        .error_handler(|role, err| {
            assert_eq!(role, "scripted");
            assert!(!err.is_failure());
            ErrorAction::Stop
        })
        .start(move || Ok(agent))
        .unwrap()
        .join()
        .unwrap_err();
    assert_failed_with_port_taken(failed, &closes);
}

#[test]
fn an_error_the_default_handler_sees_does_not_end_the_agent() {
    let (agent, _closes) = Scripted::new(1, || Err(AgentError::msg("transient")));
    let runner =
        AgentRunner::builder().error_handler(|_, _| ErrorAction::Continue).start(move || Ok(agent)).unwrap();
    while runner.error_count() < 3 {
        std::thread::yield_now();
    }
    assert!(runner.is_running());
    let report = runner.close().unwrap();
    assert!(matches!(report.ending(), Ending::Closed), "{report}");
    assert!(report.is_clean(), "errors the handler took do not make a report unclean");
}

#[test]
fn a_panic_ends_the_agent_as_panicked_with_its_message() {
    let (agent, closes) = Scripted::new(1, || panic!("feed corrupted"));
    let failed = AgentRunner::start(move || Ok(agent)).unwrap().join().unwrap_err();
    assert_eq!(failed.to_string(), "agent \"scripted\" panicked: feed corrupted");
    assert!(failed.source().is_none(), "a panic message is not an error: it is in the Display");
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Panicked(m) if m == "feed corrupted"), "{report}");
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failure_from_on_start_is_a_failed_start_with_its_typed_cause() {
    let (mut agent, closes) = Scripted::new(1, || Ok(0));
    agent.on_start = || Err(AgentError::fail(PortTaken { port: 9 }));
    let err = AgentRunner::start(move || Ok(agent)).unwrap_err();
    let StartError::OnStart { report } = &err else { panic!("{err}") };
    let Ending::StartFailed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    assert!(cause.is_failure());
    assert_eq!(cause.downcast_ref::<PortTaken>(), Some(&PortTaken { port: 9 }));
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failure_ends_an_invoked_agent_and_is_kept_as_its_failure() {
    let (agent, closes) = Scripted::new(2, || Err(AgentError::fail(PortTaken { port: 9 })));
    let mut invoker = AgentInvoker::with_error_handler(agent, |_, _| ErrorAction::Continue);
    invoker.start();
    invoker.invoke();
    assert!(invoker.is_running());
    invoker.invoke();
    assert!(invoker.is_closed());
    assert_eq!(invoker.failure().unwrap().downcast_ref::<PortTaken>(), Some(&PortTaken { port: 9 }));
    assert_eq!(invoker.error_count(), 1);
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failure_in_a_composite_ends_the_whole_composite() {
    let (a, a_closes) = Scripted::new(1, || Ok(1));
    let (b, b_closes) = Scripted::new(2, || Err(AgentError::fail(PortTaken { port: 9 })));
    let failed =
        AgentRunner::start(move || Ok(dutycycle::CompositeAgent::new(vec![Box::new(a), Box::new(b)])))
            .unwrap()
            .join()
            .unwrap_err();
    let Ending::Failed(AgentFailure::Error(cause)) = failed.report().ending() else { panic!("{failed}") };
    assert_eq!(cause.downcast_ref::<PortTaken>(), Some(&PortTaken { port: 9 }));
    assert_eq!((a_closes.load(Ordering::SeqCst), b_closes.load(Ordering::SeqCst)), (1, 1));
}

#[test]
fn every_failure_of_an_unclean_end_is_printed_once() {
    struct Both;
    impl Agent for Both {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Err(AgentError::fail(PortTaken { port: 9 }))
        }
        fn on_close(&mut self) -> Result<(), AgentError> {
            Err(AgentError::msg("flush failed"))
        }
    }
    let failed = AgentRunner::start(|| Ok(Both)).unwrap().join().unwrap_err();
    assert_eq!(failed.to_string(), "agent \"agent\" failed; on_close failed: flush failed");
    assert_eq!(failed.source().unwrap().to_string(), "port 9 is taken");
}
