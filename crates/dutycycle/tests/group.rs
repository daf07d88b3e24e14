//! AgentGroup: several runners on one latch, closed in reverse start order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentGroup, AgentRunner, AgentTermination, Ending};

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
