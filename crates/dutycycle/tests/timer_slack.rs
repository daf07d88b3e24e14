//! The runner's timer-slack option (PR_SET_TIMERSLACK) applies to the agent thread only.

use std::sync::mpsc;
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, StartError};
use dutycycle_test_support::thread::timer_slack_ns;

struct ReportsSlack(mpsc::Sender<u64>);

impl Agent for ReportsSlack {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.0.send(timer_slack_ns()).unwrap();
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn slack_seen_by_agent(slack: Option<Duration>) -> u64 {
    let (tx, rx) = mpsc::channel();
    let mut builder = AgentRunner::builder();
    if let Some(slack) = slack {
        builder = builder.timer_slack(slack);
    }
    let runner = builder.start(move || Ok(ReportsSlack(tx))).unwrap();
    let seen = rx.recv().unwrap();
    runner.close().unwrap();
    seen
}

#[test]
fn the_agent_thread_gets_the_timer_slack_asked_for() {
    assert_eq!(slack_seen_by_agent(Some(Duration::from_nanos(1))), 1);
    assert_eq!(slack_seen_by_agent(Some(Duration::from_micros(5))), 5_000);
}

#[test]
fn without_the_option_the_agent_thread_inherits_the_callers_slack() {
    assert_eq!(slack_seen_by_agent(None), timer_slack_ns());
}

#[test]
fn zero_and_absurd_timer_slack_are_refused_before_anything_runs() {
    for slack in [Duration::ZERO, Duration::from_secs(2)] {
        let err = AgentRunner::builder()
            .timer_slack(slack)
            .start(|| -> Result<ReportsSlack, AgentError> { unreachable!("the factory must not run") });
        assert!(matches!(err, Err(StartError::InvalidTimerSlack { slack: s }) if s == slack));
    }
}
