//! Every error of the crate prints each cause once along its `source()` chain: `Display` says
//! what failed, `source()` says why, never both. Reporters (anyhow's `{:#}`, eyre, tracing)
//! print every level of the chain, so a cause that a level also prints in its `Display` would
//! appear twice. The check, `assert_each_cause_once`, is shared by every crate's tests.

use std::error::Error;
use std::fmt;
use std::io;
use std::sync::mpsc;
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentRunner, CloseError, CompositeAgent, DynamicCompositeAgent,
    DynamicCompositeControl, Ending, ErrorAction, IdleStrategyConfig, StartError, ThreadStep,
};
use dutycycle_test_support::error_chain::{assert_each_cause_once, chain};

/// An error with a cause of its own, as an application's errors are.
#[derive(Debug)]
struct ConfigUnreadable(io::Error);

impl fmt::Display for ConfigUnreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("config unreadable")
    }
}

impl Error for ConfigUnreadable {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

fn config_unreadable() -> AgentError {
    AgentError::new(ConfigUnreadable(io::Error::new(io::ErrorKind::NotFound, "no such file gateway.toml")))
}

struct Scripted {
    role: &'static str,
    on_start: fn() -> Result<(), AgentError>,
    do_work: fn() -> Result<usize, AgentError>,
    on_close: fn() -> Result<(), AgentError>,
}

impl Scripted {
    fn new(role: &'static str) -> Self {
        Scripted { role, on_start: || Ok(()), do_work: || Ok(0), on_close: || Ok(()) }
    }
}

impl Agent for Scripted {
    fn role_name(&self) -> &str {
        self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        (self.on_start)()
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        (self.do_work)()
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        (self.on_close)()
    }
}

#[test]
fn the_chain_check_catches_a_cause_printed_twice() {
    #[derive(Debug)]
    struct Doubled(io::Error);
    impl fmt::Display for Doubled {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "could not read: {}", self.0)
        }
    }
    impl Error for Doubled {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }
    let doubled = Doubled(io::Error::other("disk gone"));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assert_each_cause_once(&doubled)));
    assert!(caught.is_err(), "a cause printed in Display and by source() must be caught");
}

#[test]
fn a_failed_factory_says_what_failed_and_gives_the_cause_as_source() {
    let err =
        AgentRunner::builder().name("feed").start(|| -> Result<Scripted, _> { Err(config_unreadable()) });
    let err = err.unwrap_err();
    assert!(matches!(err, StartError::Factory { .. }));
    assert_eq!(
        assert_each_cause_once(&err),
        "agent factory for \"feed\" failed: config unreadable: no such file gateway.toml"
    );
}

#[test]
fn a_factory_panic_is_the_cause_of_the_start_error() {
    let err = AgentRunner::builder().name("feed").start(|| -> Result<Scripted, _> { panic!("no config") });
    let err = err.unwrap_err();
    assert_eq!(assert_each_cause_once(&err), "agent factory for \"feed\" failed: panicked: no config");
}

#[test]
fn a_thread_error_names_the_step_and_gives_the_os_error_as_source() {
    for step in [
        ThreadStep::ReadAllowedCores,
        ThreadStep::Spawn,
        ThreadStep::Pin { core: 3 },
        ThreadStep::SetTimerSlack { slack: Duration::from_micros(1) },
    ] {
        let err = StartError::Thread { step, source: io::Error::from_raw_os_error(libc::EINVAL) };
        let shown = assert_each_cause_once(&err);
        assert!(shown.starts_with(&format!("could not {step}: ")), "{shown}");
        assert_eq!(chain(&err).len(), 2, "{shown}");
    }
}

#[test]
fn a_failed_on_start_prints_each_failure_once() {
    let mut agent = Scripted::new("session");
    agent.on_start = || Err(config_unreadable());
    agent.on_close = || Err(AgentError::msg("flush failed"));
    let err = AgentRunner::start(move || Ok(agent)).unwrap_err();
    assert!(matches!(err, StartError::OnStart { .. }));
    let shown = assert_each_cause_once(&err);
    assert!(shown.contains("config unreadable") && shown.contains("flush failed"), "{shown}");
}

#[test]
fn an_agent_that_failed_prints_each_failure_once() {
    let mut agent = Scripted::new("flusher");
    agent.do_work = || Err(AgentError::terminate());
    agent.on_close = || Err(config_unreadable());
    let failed = AgentRunner::start(move || Ok(agent)).unwrap().join().unwrap_err();
    let shown = assert_each_cause_once(&failed);
    assert!(shown.contains("config unreadable"), "{shown}");

    let mut agent = Scripted::new("fragile");
    agent.do_work = || panic!("feed corrupted");
    let failed = AgentRunner::start(move || Ok(agent)).unwrap().join().unwrap_err();
    let shown = assert_each_cause_once(&failed);
    assert!(shown.contains("feed corrupted"), "{shown}");

    let mut agent = Scripted::new("subscriber");
    agent.do_work = || Err(config_unreadable());
    let failed = AgentRunner::builder()
        .error_handler(|_, _| ErrorAction::Stop)
        .start(move || Ok(agent))
        .unwrap()
        .join()
        .unwrap_err();
    assert!(matches!(failed.report().ending(), Ending::Failed(_)));
    let shown = assert_each_cause_once(&failed);
    assert!(shown.contains("config unreadable"), "{shown}");
}

#[test]
fn close_errors_print_each_cause_once() {
    let mut agent = Scripted::new("closer");
    agent.on_close = || Err(config_unreadable());
    let runner = AgentRunner::start(move || Ok(agent)).unwrap();
    let err = runner.close_timeout(Duration::from_secs(60)).unwrap_err();
    assert!(matches!(err, CloseError::Failed(_)));
    assert_each_cause_once(&err);

    struct Stuck(mpsc::Sender<()>, mpsc::Receiver<()>);
    impl Agent for Stuck {
        fn role_name(&self) -> &str {
            "stuck"
        }
        fn do_work(&mut self) -> Result<usize, AgentError> {
            let _ = self.0.send(());
            let _ = self.1.recv();
            Ok(0)
        }
    }
    let (entered_tx, entered) = mpsc::channel();
    let (unstick, rx) = mpsc::channel();
    let runner = AgentRunner::start(move || Ok(Stuck(entered_tx, rx))).unwrap();
    entered.recv().unwrap();
    let err = runner.close_timeout(Duration::from_millis(10)).unwrap_err();
    let CloseError::TimedOut(timed_out) = &err else { panic!("{err}") };
    assert_each_cause_once(&err);
    assert_eq!(timed_out.role(), "stuck");
    let CloseError::TimedOut(timed_out) = err else { unreachable!() };
    let runner = timed_out.into_runner();
    unstick.send(()).unwrap();
    runner.join().unwrap();
}

#[test]
fn dynamic_composite_errors_print_each_cause_once() {
    let control = DynamicCompositeControl::new();
    let attach = control.clone();
    let runner = AgentRunner::start(move || Ok(DynamicCompositeAgent::new("pollers", &attach)?)).unwrap();
    let wait = Duration::from_secs(60);

    let err = control.add(|| -> Result<Scripted, _> { Err(config_unreadable()) }).unwrap().wait_timeout(wait);
    let err = err.unwrap_err();
    assert_eq!(
        assert_each_cause_once(&err),
        "the added agent's factory failed: config unreadable: no such file gateway.toml"
    );

    let err = control
        .add(|| {
            let mut agent = Scripted::new("late");
            agent.on_start = || Err(config_unreadable());
            agent.on_close = || Err(AgentError::msg("flush failed"));
            Ok(agent)
        })
        .unwrap()
        .wait_timeout(wait)
        .unwrap_err();
    let shown = assert_each_cause_once(&err);
    assert!(shown.contains("config unreadable") && shown.contains("flush failed"), "{shown}");

    let id = control
        .add(|| {
            let mut agent = Scripted::new("leaver");
            agent.on_close = || Err(config_unreadable());
            Ok(agent)
        })
        .unwrap()
        .wait_timeout(wait)
        .unwrap();
    let err = control.remove(id).unwrap().wait_timeout(wait).unwrap_err();
    let shown = assert_each_cause_once(&err);
    assert!(shown.contains("config unreadable"), "{shown}");

    runner.close().unwrap();
}

#[test]
fn a_composites_failures_are_printed_once() {
    let mut a = Scripted::new("a");
    a.on_start = || Err(config_unreadable());
    let mut b = Scripted::new("b");
    b.on_start = || panic!("no feed");
    let mut composite = CompositeAgent::new(vec![Box::new(a), Box::new(b)]);
    let err = composite.on_start().unwrap_err();
    let shown = assert_each_cause_once(err.as_error().unwrap());
    assert!(shown.contains("config unreadable") && shown.contains("no feed"), "{shown}");
}

#[test]
fn idle_strategy_configuration_errors_print_each_cause_once() {
    for bad in
        ["", "spinn", "backoff:1,2", "sleep-ns:-5us", "sleep-ns:1parsec", "controllable:9", "sleep-ns:0"]
    {
        let err = bad.parse::<IdleStrategyConfig>().unwrap_err();
        assert_each_cause_once(&err);
    }
}
