//! With the `tracing` feature, a runner logs each step of its agent's life as a `DEBUG`
//! event with `role` and `thread` fields, in the order the steps happen, and the default
//! error handler logs each error as an `ERROR` event. The capturing subscriber of the test-support
//! crate records them.
#![cfg(feature = "tracing")]

use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination};
use dutycycle_test_support::logs::{capture, events_where, Recorded};
use tracing::Level;

struct Ticker {
    role: &'static str,
    errors_left: u32,
}

impl Agent for Ticker {
    fn role_name(&self) -> &str {
        self.role
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.errors_left > 0 {
            self.errors_left -= 1;
            return Err(AgentError::msg("feed hiccup"));
        }
        Ok(0)
    }
}

#[test]
fn a_runners_life_is_logged_step_by_step_with_role_and_thread() {
    capture();
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder()
        .name("logged-1")
        .timer_slack(Duration::from_micros(10))
        .termination(termination.clone())
        .start(|| Ok(Ticker { role: "logged", errors_left: 0 }))
        .unwrap();
    while runner.stats().duty_cycles == 0 {
        std::thread::yield_now();
    }
    termination.signal();
    runner.join().unwrap();

    let events = events_where("thread", "logged-1");
    let names: Vec<&str> = events.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "thread_spawned",
            "timer_slack_set",
            "factory_built",
            "on_start_begun",
            "on_start_ended",
            "duty_cycle_ended",
            "drain_begun",
            "drain_ended",
            "on_close_begun",
            "on_close_ended",
            "dropped",
            "report",
        ]
    );
    assert!(events.iter().all(|e| e.level == Level::DEBUG && e.target == "dutycycle"), "{events:?}");
    assert_eq!(events[0].field("role"), "logged-1", "before the factory, the runner's name");
    assert!(events[2..].iter().all(|e| e.field("role") == "logged"), "{events:?}");
    assert_eq!(events[5].field("by"), "its termination latch was signalled");
    assert!(events[7].field("drain").starts_with("drained in "), "{events:?}");
    assert_eq!(events[11].field("clean"), "true");
    assert_eq!(events[11].field("ending"), "its termination latch was signalled");
}

#[test]
fn a_close_is_logged_on_the_closing_thread_and_names_the_runner() {
    capture();
    let runner = AgentRunner::builder()
        .name("logged-2")
        .start(|| Ok(Ticker { role: "closing", errors_left: 0 }))
        .unwrap();
    runner.close().unwrap();
    let asked: Vec<Recorded> =
        events_where("role", "closing").into_iter().filter(|e| e.name == "stop_requested").collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].field("by"), "runner");
    let ended = events_where("thread", "logged-2");
    let ended = ended.iter().find(|e| e.name == "duty_cycle_ended").unwrap();
    assert_eq!(ended.field("by"), "closed by its runner");
}

#[test]
fn the_default_error_handler_logs_each_error_as_an_error_event() {
    capture();
    let runner = AgentRunner::builder()
        .name("logged-3")
        .start(|| Ok(Ticker { role: "hiccups", errors_left: 2 }))
        .unwrap();
    while runner.error_count() < 2 {
        std::thread::yield_now();
    }
    runner.close().unwrap();
    let errors: Vec<Recorded> =
        events_where("thread", "logged-3").into_iter().filter(|e| e.name == "agent_error").collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.level == Level::ERROR && e.field("role") == "hiccups"));
    assert!(errors[0].field("error").contains("feed hiccup"), "{errors:?}");
}

/// Takes its own runner from `slot` in its first `do_work` and joins it there, catching the
/// panic that follows or not.
struct SelfJoiner {
    slot: std::sync::Arc<std::sync::Mutex<Option<AgentRunner>>>,
    catch: bool,
}

impl Agent for SelfJoiner {
    fn role_name(&self) -> &str {
        "self-joiner"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let runner = self.slot.lock().unwrap().take();
        if let Some(runner) = runner {
            if self.catch {
                let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.join()));
                assert!(joined.is_err(), "join on the agent's own thread panics");
            } else {
                let _ = runner.join();
            }
        }
        Ok(0)
    }
}

#[test]
fn a_join_inside_its_own_agent_ends_it_as_closed_when_its_panic_is_caught_and_as_panicked_when_not() {
    use dutycycle::SleepingMillisIdleStrategy;
    use dutycycle_test_support::wait::eventually;

    capture();
    for (catch, name, ending) in [
        (true, "logged-4", "closed by its runner"),
        (false, "logged-5", "panicked: AgentRunner::join called on the agent's own thread"),
    ] {
        let slot = std::sync::Arc::default();
        let agent_slot = std::sync::Arc::clone(&slot);
        let runner = AgentRunner::builder()
            .name(name)
            .idle_strategy(SleepingMillisIdleStrategy::new(1).unwrap())
            .start(move || Ok(SelfJoiner { slot: agent_slot, catch }))
            .unwrap();
        *slot.lock().unwrap() = Some(runner);
        let report = || events_where("thread", name).into_iter().find(|e| e.name == "report");
        eventually("the report is logged", || report().is_some());
        let report = report().unwrap();
        assert!(report.field("ending").starts_with(ending), "{report:?}");
        assert_eq!(report.field("clean"), if catch { "true" } else { "false" }, "{report:?}");
        let closed = events_where("thread", name).into_iter().find(|e| e.name == "on_close_ended");
        assert!(closed.is_some(), "on_close ran on the agent thread");
    }
}
