//! AgentGroup: several runners on one latch, closed in reverse start order.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentGroup, AgentRunner, AgentRunnerBuilder, AgentTermination, CloseError, Ending,
    IdleStrategy, SleepingMillisIdleStrategy, StartError,
};
use dutycycle_test_support::wait::PATIENCE;

type Order = Arc<Mutex<Vec<&'static str>>>;

struct Member {
    role: &'static str,
    closed: Order,
}

impl Agent for Member {
    fn role_name(&self) -> &str {
        self.role
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.closed.lock().unwrap().push(self.role);
        Ok(())
    }
}

fn member(role: &'static str, closed: &Order) -> impl FnOnce() -> Result<Member, AgentError> + Send {
    let closed = Arc::clone(closed);
    move || Ok(Member { role, closed })
}

#[test]
fn close_stops_runners_in_reverse_start_order_and_returns_reports_in_start_order() {
    let closed = Order::default();
    let mut group = AgentGroup::new(AgentTermination::new());
    for role in ["driver", "service", "gateway"] {
        group.start(AgentRunner::builder(), member(role, &closed)).unwrap();
    }
    assert_eq!(group.runners().len(), 3);
    let reports = group.close();
    assert_eq!(*closed.lock().unwrap(), ["gateway", "service", "driver"]);
    let roles: Vec<_> = reports.iter().map(|r| r.as_ref().unwrap().role().to_owned()).collect();
    assert_eq!(roles, ["driver", "service", "gateway"]);
}

#[test]
fn the_shared_latch_stops_every_runner_and_wait_returns() {
    let closed = Order::default();
    let termination = AgentTermination::new();
    let mut group = AgentGroup::new(termination.clone());
    group.start(AgentRunner::builder(), member("a", &closed)).unwrap();
    group.start(AgentRunner::builder(), member("b", &closed)).unwrap();
    assert!(!group.wait_timeout(Duration::from_millis(1)));

    let signaller = std::thread::spawn(move || termination.signal());
    group.wait();
    signaller.join().unwrap();
    // Every agent stops on the latch alone, before close is called.
    for runner in group.runners() {
        while runner.is_running() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(closed.lock().unwrap().len(), 2);
    for report in group.close() {
        assert!(matches!(report.unwrap().ending(), Ending::LatchSignalled { signal: None }));
    }
}

#[test]
fn a_runner_that_fails_to_start_leaves_the_others_running_and_dropping_the_group_closes_them() {
    let closed = Order::default();
    let mut group = AgentGroup::new(AgentTermination::new());
    group.start(AgentRunner::builder(), member("ok", &closed)).unwrap();
    let err = group.start(AgentRunner::builder(), || Err::<Member, _>(AgentError::msg("bad"))).unwrap_err();
    assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "bad");
    assert_eq!(group.runners().len(), 1);
    assert!(group.runners()[0].is_running());
    drop(group);
    assert_eq!(*closed.lock().unwrap(), ["ok"]);
}

/// Blocks in `do_work` until `unstick` sends (or its sender is dropped), then ends itself.
/// Tells `entered` when it is stuck and `closed` on which thread it was closed.
struct Stuck {
    entered: mpsc::Sender<()>,
    unstick: mpsc::Receiver<()>,
    closed: mpsc::Sender<std::thread::ThreadId>,
}

impl Agent for Stuck {
    fn role_name(&self) -> &str {
        "stuck"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let _ = self.entered.send(());
        let _ = self.unstick.recv();
        Err(AgentError::terminate())
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        let _ = self.closed.send(std::thread::current().id());
        Ok(())
    }
}

/// A group of `driver` and `service` (closing in `closed`) and, started last, a stuck agent;
/// returns the means to unstick it and to learn that it closed.
fn group_with_a_stuck_agent(
    closed: &Order,
    drain_timeout: Duration,
) -> (AgentGroup, mpsc::Sender<()>, mpsc::Receiver<std::thread::ThreadId>) {
    group_with_a_stuck_agent_from(closed, || AgentRunner::builder().drain_timeout(drain_timeout))
}

/// As [`group_with_a_stuck_agent`], each runner started from `builder()`.
fn group_with_a_stuck_agent_from<I: IdleStrategy + Send + 'static>(
    closed: &Order,
    builder: impl Fn() -> AgentRunnerBuilder<I>,
) -> (AgentGroup, mpsc::Sender<()>, mpsc::Receiver<std::thread::ThreadId>) {
    let mut group = AgentGroup::new(AgentTermination::new());
    for role in ["driver", "service"] {
        group.start(builder(), member(role, closed)).unwrap();
    }
    let (entered_tx, entered) = mpsc::channel();
    let (unstick, unstick_rx) = mpsc::channel();
    let (closed_tx, closed_rx) = mpsc::channel();
    group
        .start(builder(), move || Ok(Stuck { entered: entered_tx, unstick: unstick_rx, closed: closed_tx }))
        .unwrap();
    entered.recv_timeout(PATIENCE).unwrap();
    (group, unstick, closed_rx)
}

#[test]
fn close_timeout_returns_on_time_with_a_stuck_agent_and_still_closes_the_others() {
    let closed = Order::default();
    let (group, unstick, stuck_closed) = group_with_a_stuck_agent(&closed, Duration::from_secs(5));
    let asked = Instant::now();
    let mut reports = group.close_timeout(Duration::from_millis(300));
    let took = asked.elapsed();
    assert!(took >= Duration::from_millis(300) && took < PATIENCE, "{took:?}");
    assert_eq!(reports.len(), 3);
    let Err(CloseError::TimedOut(stuck)) = reports.pop().unwrap() else { panic!("the stuck agent finished") };
    assert_eq!(stuck.role(), "stuck");
    // Once the time was up the others were asked at once; they finish on their own.
    for report in reports {
        match report {
            Ok(report) => assert!(report.is_clean()),
            Err(CloseError::TimedOut(timed_out)) => {
                assert!(timed_out.into_runner().join().unwrap().is_clean())
            }
            Err(other) => panic!("{other}"),
        }
    }
    // Asked together once the time was up, so in no particular order.
    let mut both = closed.lock().unwrap().clone();
    both.sort_unstable();
    assert_eq!(both, ["driver", "service"]);
    // Ending the stuck thread: dropped, the timed-out value detaches it; unstuck, it closes its
    // agent on itself and ends.
    drop(stuck);
    unstick.send(()).unwrap();
    let on = stuck_closed.recv_timeout(PATIENCE).expect("the stuck agent was never closed");
    assert_ne!(on, std::thread::current().id());
}

/// Drops a group whose last-started agent is stuck (drain deadline zero), its latch signalled
/// first or not: the drop allows the stuck agent 5 s, detaches it, then asks and waits for
/// the others, which close last started first. After the latch, each of the others waits in
/// the stop order for the members started after it, until its runner asks it too.
fn drop_a_group_with_a_stuck_agent(signal_first: bool) {
    let closed = Order::default();
    let (group, unstick, stuck_closed) = group_with_a_stuck_agent(&closed, Duration::ZERO);
    if signal_first {
        group.termination().signal();
    }
    let dropped = Instant::now();
    drop(group);
    let took = dropped.elapsed();
    assert!(took >= Duration::from_secs(5) && took < Duration::from_secs(5) + PATIENCE, "{took:?}");
    assert_eq!(*closed.lock().unwrap(), ["service", "driver"]);
    unstick.send(()).unwrap();
    stuck_closed.recv_timeout(PATIENCE).expect("the detached thread did not close its agent");
}

#[test]
fn dropping_a_group_with_a_stuck_agent_gives_it_its_drain_deadline_and_5_s_then_closes_the_others() {
    drop_a_group_with_a_stuck_agent(false);
}

#[test]
fn a_group_dropped_after_its_latch_still_closes_the_members_started_before_a_stuck_one() {
    drop_a_group_with_a_stuck_agent(true);
}

#[test]
fn a_group_closed_with_a_timeout_after_its_latch_still_closes_the_members_started_before_a_stuck_one() {
    let closed = Order::default();
    // The members park for up to a minute between their cycles: the request must wake them.
    let (group, unstick, stuck_closed) = group_with_a_stuck_agent_from(&closed, || {
        AgentRunner::builder()
            .drain_timeout(Duration::from_secs(5))
            .idle_strategy(SleepingMillisIdleStrategy::new(60_000).unwrap())
    });
    group.termination().signal();
    std::thread::sleep(Duration::from_millis(50)); // the members park, waiting for the stuck one
    let asked = Instant::now();
    let mut reports = group.close_timeout(Duration::from_millis(300));
    let Err(CloseError::TimedOut(stuck)) = reports.pop().unwrap() else { panic!("the stuck agent finished") };
    // Asked at once when the time was up, the others no longer wait for the stuck one.
    for report in reports {
        let report = match report {
            Ok(report) => report,
            Err(CloseError::TimedOut(timed_out)) => timed_out
                .into_runner()
                .close_timeout(PATIENCE)
                .expect("a member started before the stuck one was never closed"),
            Err(other) => panic!("{other}"),
        };
        assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{report}");
    }
    assert!(asked.elapsed() < PATIENCE, "a member slept through its park: {:?}", asked.elapsed());
    let mut both = closed.lock().unwrap().clone();
    both.sort_unstable();
    assert_eq!(both, ["driver", "service"]);
    drop(stuck);
    unstick.send(()).unwrap();
    stuck_closed.recv_timeout(PATIENCE).expect("the detached thread did not close its agent");
}

/// Starts a driver and a service, then a third agent whose factory fails, with `?` as a main
/// would: the group is dropped on the error.
fn start_three(closed: &Order) -> Result<AgentGroup, StartError> {
    let mut group = AgentGroup::new(AgentTermination::new());
    group.start(AgentRunner::builder(), member("driver", closed))?;
    group.start(AgentRunner::builder(), member("service", closed))?;
    group.start(AgentRunner::builder(), || Err::<Member, _>(AgentError::msg("no gateway port")))?;
    Ok(group)
}

#[test]
fn a_group_whose_third_start_fails_closes_the_two_started_last_started_first() {
    let closed = Order::default();
    let err = start_three(&closed).unwrap_err();
    assert!(matches!(err, StartError::Factory { .. }));
    assert_eq!(*closed.lock().unwrap(), ["service", "driver"]);
}

/// An agent that drops the group it belongs to, once the test has put the group in its slot.
struct DropsItsGroup {
    group: Arc<Mutex<Option<AgentGroup>>>,
    closed: Order,
    dropped: mpsc::Sender<Duration>,
}

impl Agent for DropsItsGroup {
    fn role_name(&self) -> &str {
        "dropper"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let group = self.group.lock().unwrap().take();
        if let Some(group) = group {
            let asked = Instant::now();
            drop(group);
            let _ = self.dropped.send(asked.elapsed());
        }
        Ok(0)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.closed.lock().unwrap().push("dropper");
        Ok(())
    }
}

#[test]
fn a_group_dropped_inside_its_own_agent_does_not_wait_for_that_agent_and_every_member_closes() {
    let closed = Order::default();
    let slot = Arc::new(Mutex::new(None));
    let mut group = AgentGroup::new(AgentTermination::new());
    group.start(AgentRunner::builder().drain_timeout(Duration::ZERO), member("driver", &closed)).unwrap();
    let (dropped_tx, dropped) = mpsc::channel();
    let (agent_slot, agent_closed) = (Arc::clone(&slot), Arc::clone(&closed));
    group
        .start(AgentRunner::builder().drain_timeout(Duration::ZERO), move || {
            Ok(DropsItsGroup { group: agent_slot, closed: agent_closed, dropped: dropped_tx })
        })
        .unwrap();
    *slot.lock().unwrap() = Some(group);
    // No thread can wait for its own end: the drop asks the dropper's runner to stop and goes
    // on at once (not after the dropper's drain deadline and 5 s), closing the driver.
    let took = dropped.recv_timeout(PATIENCE).expect("the drop returns");
    assert!(took < Duration::from_secs(2), "the drop waited {took:?} for the agent running it");
    // The dropper closes on its own thread once its do_work returns.
    let deadline = Instant::now() + PATIENCE;
    while closed.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "closed: {:?}", closed.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(*closed.lock().unwrap(), ["driver", "dropper"]);
}
