//! Drain: on a stop request an agent finishes what it holds (`on_drain`, then `do_work` until
//! `is_drained`), bounded by its runner's drain deadline, and only then is closed, on its own
//! thread. The report says whether it drained or the deadline cut it short.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentGroup, AgentInvoker, AgentRunner, AgentTermination, BackoffIdleStrategy,
    CloseError, CompositeAgent, Drain, DynamicCompositeAgent, DynamicCompositeControl, DynamicCompositeError,
    Ending, ErrorAction, SleepingMillisIdleStrategy, StartError, DEFAULT_DRAIN_TIMEOUT, MAX_DRAIN_TIMEOUT,
};
use dutycycle_test_support::{
    child::{child_mode, ChildProcess},
    thread::exclusive_cpu,
    wait::{eventually, PATIENCE},
};

/// What the agents below did, in order, and on which thread.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(String, ThreadId)>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push((event.into(), std::thread::current().id()));
    }
    fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|(e, _)| e.clone()).collect()
    }
    fn threads(&self) -> Vec<ThreadId> {
        self.0.lock().unwrap().iter().map(|(_, t)| *t).collect()
    }
    fn position(&self, event: &str) -> usize {
        let events = self.events();
        events.iter().position(|e| e == event).unwrap_or_else(|| panic!("no {event:?} in {events:?}"))
    }
}

/// An agent that holds `held` items it only hands on while draining, one per `do_work`, as a
/// batching writer that flushes its batch on the way out. It logs `<role> on_start`,
/// `<role> on_drain`, `<role> flush <n>`, `<role> on_close <flushed>`.
struct Holder {
    role: &'static str,
    held: u32,
    flushed: u32,
    draining: bool,
    log: Log,
}

impl Holder {
    fn factory(
        role: &'static str,
        held: u32,
        log: &Log,
    ) -> impl FnOnce() -> Result<Holder, AgentError> + Send {
        let log = log.clone();
        move || Ok(Holder { role, held, flushed: 0, draining: false, log })
    }
}

impl Agent for Holder {
    fn role_name(&self) -> &str {
        self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.log.push(format!("{} on_start", self.role));
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if !self.draining || self.held == 0 {
            return Ok(0);
        }
        self.held -= 1;
        self.flushed += 1;
        self.log.push(format!("{} flush {}", self.role, self.flushed));
        Ok(1)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.draining = true;
        self.log.push(format!("{} on_drain", self.role));
        Ok(())
    }
    fn is_drained(&self) -> bool {
        self.held == 0
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.push(format!("{} on_close {}", self.role, self.flushed));
        Ok(())
    }
}

/// Checks that `role` flushed all of its `held` items between `on_drain` and `on_close`, in
/// order, and that every call into it ran on one thread that is not the test's.
fn assert_drained_before_close(log: &Log, role: &str, held: u32) {
    let events: Vec<String> =
        log.events().into_iter().filter(|e| e.starts_with(&format!("{role} "))).collect();
    let mut expected = vec![format!("{role} on_start"), format!("{role} on_drain")];
    expected.extend((1..=held).map(|n| format!("{role} flush {n}")));
    expected.push(format!("{role} on_close {held}"));
    assert_eq!(events, expected);
}

fn assert_on_one_agent_thread(log: &Log) {
    let threads = log.threads();
    assert!(!threads.is_empty());
    assert!(threads.iter().all(|t| *t == threads[0]), "calls ran on several threads");
    assert_ne!(threads[0], std::thread::current().id(), "agent code ran on the test's thread");
}

#[test]
fn an_agent_holding_items_drains_them_all_before_on_close_when_closed() {
    let log = Log::default();
    let report = AgentRunner::start(Holder::factory("writer", 500, &log)).unwrap().close().unwrap();
    assert_drained_before_close(&log, "writer", 500);
    assert!(matches!(report.ending(), Ending::Closed));
    assert!(matches!(report.drain(), Drain::Completed { .. }), "{report}");
    assert!(report.is_clean());
    assert!(report.to_string().contains("; drained in "), "{report}");
    assert!(report.stats().total_work >= 500);
}

#[test]
fn an_agent_holding_items_drains_them_all_before_on_close_when_its_latch_is_signalled() {
    let log = Log::default();
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .start(Holder::factory("writer", 300, &log))
        .unwrap();
    termination.signal();
    let report = runner.join().unwrap();
    assert_drained_before_close(&log, "writer", 300);
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }));
    assert!(matches!(report.drain(), Drain::Completed { .. }));
}

#[test]
fn do_work_on_drain_and_on_close_all_run_on_the_agent_thread() {
    let log = Log::default();
    let runner = AgentRunner::start(Holder::factory("writer", 50, &log)).unwrap();
    // Closed from a third thread: still everything on the agent's own.
    std::thread::spawn(move || runner.close().unwrap()).join().unwrap();
    assert_drained_before_close(&log, "writer", 50);
    assert_on_one_agent_thread(&log);
}

/// The child of the signal test: a writer holding 1,000 items on the process's signal latch.
fn signal_drain_child() {
    let termination = AgentTermination::from_signals().unwrap();
    let log = Log::default();
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(Holder::factory("writer", 1_000, &log))
        .unwrap();
    println!("ready");
    termination.wait();
    let report = runner.join().unwrap();
    assert_drained_before_close(&log, "writer", 1_000);
    assert_on_one_agent_thread(&log);
    println!("{}", log.events().last().unwrap());
    println!("report: {report}");
    println!("child-done");
}

#[test]
fn an_agent_holding_items_drains_them_all_before_on_close_on_sigterm() {
    if child_mode().is_some() {
        return signal_drain_child();
    }
    let mut child = ChildProcess::spawn(
        "an_agent_holding_items_drains_them_all_before_on_close_on_sigterm",
        "signal-drain",
    );
    child.wait_for_line("ready");
    child.signal(libc::SIGTERM);
    let out = child.wait();
    out.assert_success_with("child-done");
    assert!(out.stdout.iter().any(|l| l == "writer on_close 1000"), "{:#?}", out.stdout);
    let report = out.stdout.iter().find(|l| l.starts_with("report: ")).unwrap();
    assert!(report.contains("its termination latch was signalled (SIGTERM)"), "{report}");
    assert!(report.contains("; drained in "), "{report}");
}

/// Never drained: `is_drained` is always `false`; logs its calls.
struct Stubborn {
    log: Log,
}

impl Agent for Stubborn {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.log.push("on_drain");
        Ok(())
    }
    fn is_drained(&self) -> bool {
        false
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.push("on_close");
        Ok(())
    }
}

#[test]
fn an_agent_that_never_drains_is_closed_at_the_deadline_and_the_report_says_so() {
    let log = Log::default();
    let deadline = Duration::from_millis(200);
    let agent_log = log.clone();
    let runner = AgentRunner::builder()
        .drain_timeout(deadline)
        .start(move || Ok(Stubborn { log: agent_log }))
        .unwrap();
    let asked = Instant::now();
    let failed = runner.close().unwrap_err();
    let took = asked.elapsed();
    assert!(took >= deadline, "closed before the deadline: {took:?}");
    assert!(took < PATIENCE);
    let report = failed.report();
    assert_eq!(report.drain(), &Drain::DeadlineExceeded { deadline });
    assert!(report.drain().is_cut_short());
    assert!(matches!(report.ending(), Ending::Closed), "the ending still says who stopped it");
    assert!(!report.is_clean());
    assert!(report.to_string().ends_with("; drain cut short by its deadline of 200ms"), "{report}");
    // The error says why the end was not clean, as the report does.
    assert_eq!(
        failed.to_string(),
        "agent \"agent\" closed by its runner, drain cut short by its deadline of 200ms"
    );
    assert_eq!(log.events(), ["on_drain", "on_close"]);
    assert_on_one_agent_thread(&log);
}

#[test]
fn a_long_park_does_not_hold_a_drain_past_its_deadline() {
    let log = Log::default();
    let agent_log = log.clone();
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(60_000).unwrap()) // a minute per park
        .drain_timeout(Duration::from_millis(100))
        .start(move || Ok(Stubborn { log: agent_log }))
        .unwrap();
    let asked = Instant::now();
    let failed = runner.close().unwrap_err();
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the park outlived the deadline: {:?}",
        asked.elapsed()
    );
    assert!(failed.report().drain().is_cut_short());
}

/// The default contract: `on_drain` does nothing, `is_drained` is `true`. Logs its calls.
struct Plain {
    log: Log,
    draining: Arc<AtomicBool>,
}

impl Agent for Plain {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.draining.load(Ordering::Relaxed) {
            self.log.push("do_work while draining");
        }
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.draining.store(true, Ordering::Relaxed);
        self.log.push("on_drain");
        Ok(())
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.push("on_close");
        Ok(())
    }
}

/// An agent with no drain methods at all.
struct Default0;

impl Agent for Default0 {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

#[test]
fn an_agent_that_keeps_the_defaults_gets_on_drain_then_on_close_with_no_work_between() {
    let log = Log::default();
    let agent_log = log.clone();
    let report = AgentRunner::builder()
        .drain_timeout(Duration::from_secs(60))
        .start(move || Ok(Plain { log: agent_log, draining: Arc::default() }))
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(log.events(), ["on_drain", "on_close"]);
    let Drain::Completed { took } = *report.drain() else { panic!("{report}") };
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// The shortest of `n` closes of a default agent started with `drain_timeout`.
fn fastest_close(n: usize, drain_timeout: Duration) -> Duration {
    (0..n)
        .map(|_| {
            let runner = AgentRunner::builder().drain_timeout(drain_timeout).start(|| Ok(Default0)).unwrap();
            let asked = Instant::now();
            runner.close().unwrap();
            asked.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn a_default_agent_closes_as_fast_as_with_no_drain_at_all() {
    let _cpu = exclusive_cpu();
    // The shortest of several closes: scheduling noise only ever adds time.
    let with_drain = fastest_close(30, DEFAULT_DRAIN_TIMEOUT);
    let without = fastest_close(30, Duration::ZERO);
    assert!(
        with_drain <= without + Duration::from_millis(5),
        "a default agent's close slowed from {without:?} to {with_drain:?}"
    );
    assert!(with_drain < Duration::from_secs(1));
}

#[test]
fn a_zero_drain_timeout_closes_without_on_drain_and_reports_no_drain() {
    let log = Log::default();
    let report = AgentRunner::builder()
        .drain_timeout(Duration::ZERO)
        .start(Holder::factory("writer", 10, &log))
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(log.events(), ["writer on_start", "writer on_close 0"]);
    assert_eq!(report.drain(), &Drain::NotRequested);
    assert!(!report.to_string().contains("drain"), "{report}");
}

#[test]
fn a_drain_timeout_over_an_hour_is_refused_before_anything_runs() {
    for timeout in [MAX_DRAIN_TIMEOUT + Duration::from_nanos(1), Duration::MAX] {
        let ran = Arc::new(AtomicBool::new(false));
        let factory_ran = Arc::clone(&ran);
        let err = AgentRunner::builder()
            .drain_timeout(timeout)
            .start(move || {
                factory_ran.store(true, Ordering::Relaxed);
                Ok(Default0)
            })
            .unwrap_err();
        let StartError::InvalidDrainTimeout { timeout: given, max } = err else { panic!("{err}") };
        assert_eq!((given, max), (timeout, MAX_DRAIN_TIMEOUT));
        assert!(!ran.load(Ordering::Relaxed));
    }
    // The limit itself is accepted.
    let runner = AgentRunner::builder().drain_timeout(MAX_DRAIN_TIMEOUT).start(|| Ok(Default0)).unwrap();
    assert_eq!(runner.drain_timeout(), MAX_DRAIN_TIMEOUT);
    runner.close().unwrap();
}

/// Blocks in `do_work` once it drains, until `unstick` sends; then it is drained.
struct StuckInDrain {
    draining: bool,
    entered: mpsc::Sender<()>,
    unstick: mpsc::Receiver<()>,
    done: bool,
}

impl Agent for StuckInDrain {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.draining && !self.done {
            let _ = self.entered.send(());
            let _ = self.unstick.recv();
            self.done = true;
        }
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.draining = true;
        Ok(())
    }
    fn is_drained(&self) -> bool {
        self.done
    }
}

#[test]
fn a_do_work_stuck_during_the_drain_is_bounded_by_close_timeout() {
    let (entered_tx, entered) = mpsc::channel();
    let (unstick, unstick_rx) = mpsc::channel();
    let runner = AgentRunner::builder()
        .drain_timeout(Duration::from_secs(60))
        .start(move || {
            Ok(StuckInDrain { draining: false, entered: entered_tx, unstick: unstick_rx, done: false })
        })
        .unwrap();
    let asked = Instant::now();
    let Err(CloseError::TimedOut(timed_out)) = runner.close_timeout(Duration::from_millis(300)) else {
        panic!("the agent is stuck in its drain")
    };
    assert!(asked.elapsed() >= Duration::from_millis(300));
    assert!(asked.elapsed() < PATIENCE);
    entered.recv_timeout(PATIENCE).expect("the stuck do_work was a drain cycle");
    // Unstuck, the thread finishes its drain and closes; nothing is left running.
    let runner = timed_out.into_runner();
    unstick.send(()).unwrap();
    let report = runner.join().unwrap();
    assert!(matches!(report.drain(), Drain::Completed { .. }));
}

#[test]
fn a_second_stop_request_during_a_drain_changes_nothing() {
    let (entered_tx, entered) = mpsc::channel();
    let (unstick, unstick_rx) = mpsc::channel();
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .start(move || {
            Ok(StuckInDrain { draining: false, entered: entered_tx, unstick: unstick_rx, done: false })
        })
        .unwrap();
    runner.request_stop();
    entered.recv_timeout(PATIENCE).unwrap(); // draining now
    runner.request_stop();
    termination.signal();
    unstick.send(()).unwrap();
    let report = runner.close().unwrap();
    assert!(matches!(report.ending(), Ending::Closed), "the first request stays the cause: {report}");
    assert!(matches!(report.drain(), Drain::Completed { .. }), "{report}");
}

/// Drains by `do_work` returning `terminate` (or panicking) on its first drain cycle.
struct EndsWhileDraining {
    draining: bool,
    panic: bool,
    closed: Arc<AtomicBool>,
}

impl Agent for EndsWhileDraining {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.draining {
            if self.panic {
                panic!("lost the batch");
            }
            return Err(AgentError::terminate());
        }
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.draining = true;
        Ok(())
    }
    fn is_drained(&self) -> bool {
        false
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.closed.store(true, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn an_agent_that_ends_itself_while_draining_reports_the_drain_interrupted() {
    let closed = Arc::new(AtomicBool::new(false));
    let agent_closed = Arc::clone(&closed);
    let report = AgentRunner::start(move || {
        Ok(EndsWhileDraining { draining: false, panic: false, closed: agent_closed })
    })
    .unwrap()
    .close()
    .unwrap();
    assert!(matches!(report.ending(), Ending::Terminated));
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
    assert!(report.is_clean(), "ending itself is a normal end");
    assert!(closed.load(Ordering::Relaxed));
}

#[test]
fn a_panic_while_draining_still_closes_the_agent_and_reports_the_drain_interrupted() {
    let closed = Arc::new(AtomicBool::new(false));
    let agent_closed = Arc::clone(&closed);
    let failed = AgentRunner::start(move || {
        Ok(EndsWhileDraining { draining: false, panic: true, closed: agent_closed })
    })
    .unwrap()
    .close()
    .unwrap_err();
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Panicked(m) if m == "lost the batch"), "{report}");
    assert!(matches!(report.drain(), Drain::Interrupted { .. }), "{report}");
    assert!(closed.load(Ordering::Relaxed));
}

/// `on_drain` fails with `error`; then it holds nothing.
struct DrainFails;

impl Agent for DrainFails {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        Err(AgentError::msg("could not unsubscribe"))
    }
}

#[test]
fn an_error_from_on_drain_goes_to_the_error_handler_which_decides() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler_seen = Arc::clone(&seen);
    let report = AgentRunner::builder()
        .error_handler(move |_, err| {
            handler_seen.lock().unwrap().push(err.to_string());
            ErrorAction::Continue
        })
        .start(|| Ok(DrainFails))
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["could not unsubscribe"]);
    assert_eq!(report.errors(), 1);
    assert!(matches!(report.drain(), Drain::Completed { .. }));

    let failed = AgentRunner::builder()
        .error_handler(|_, _| ErrorAction::Stop)
        .start(|| Ok(DrainFails))
        .unwrap()
        .close()
        .unwrap_err();
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Failed(f) if f.to_string() == "could not unsubscribe"));
    assert!(matches!(report.drain(), Drain::Interrupted { .. }));
}

// ---------------------------------------------------------------------------------------------
// Groups: last started, first stopped

/// A media driver: while it runs (`on_close` not yet called), `alive` is true.
struct Driver {
    alive: Arc<AtomicBool>,
    log: Log,
}

impl Agent for Driver {
    fn role_name(&self) -> &str {
        "driver"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.log.push("driver on_drain");
        Ok(())
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.alive.store(false, Ordering::Release);
        self.log.push("driver on_close");
        Ok(())
    }
}

/// A consumer: acknowledges what the producer sent, one a cycle, only while the driver is
/// alive. It holds nothing of its own once everything sent is acknowledged.
struct Consumer {
    driver_alive: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    acked: Arc<AtomicU64>,
    log: Log,
}

impl Agent for Consumer {
    fn role_name(&self) -> &str {
        "consumer"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let (sent, acked) = (self.sent.load(Ordering::Acquire), self.acked.load(Ordering::Acquire));
        if acked < sent && self.driver_alive.load(Ordering::Acquire) {
            self.acked.store(acked + 1, Ordering::Release);
            return Ok(1);
        }
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.log.push("consumer on_drain");
        Ok(())
    }
    fn is_drained(&self) -> bool {
        self.acked.load(Ordering::Acquire) == self.sent.load(Ordering::Acquire)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.push(format!("consumer on_close acked {}", self.acked.load(Ordering::Acquire)));
        Ok(())
    }
}

/// A producer: on its drain it flushes the 2,000 requests it buffered, and it may close only
/// once they are acknowledged, which needs the consumer and the driver still running.
struct Producer {
    sent: Arc<AtomicU64>,
    acked: Arc<AtomicU64>,
    log: Log,
}

impl Agent for Producer {
    fn role_name(&self) -> &str {
        "producer"
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.log.push("producer on_drain");
        self.sent.store(2_000, Ordering::Release);
        Ok(())
    }
    fn is_drained(&self) -> bool {
        self.acked.load(Ordering::Acquire) == self.sent.load(Ordering::Acquire)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.log.push(format!("producer on_close acked {}", self.acked.load(Ordering::Acquire)));
        Ok(())
    }
}

/// A driver, a consumer and a producer, started in that order. The producer's drain sends
/// 2,000 requests that only a consumer running on a live driver can acknowledge: a wrong stop
/// order cuts the producer's drain at its deadline.
fn start_pipeline(termination: &AgentTermination, log: &Log) -> AgentGroup {
    let alive = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let mut group = AgentGroup::new(termination.clone());
    let (a, l) = (Arc::clone(&alive), log.clone());
    group
        .start(
            AgentRunner::builder().idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap()),
            move || Ok(Driver { alive: a, log: l }),
        )
        .unwrap();
    let (a, s, k, l) = (Arc::clone(&alive), Arc::clone(&sent), Arc::clone(&acked), log.clone());
    group
        .start(AgentRunner::builder().drain_timeout(Duration::from_secs(60)), move || {
            Ok(Consumer { driver_alive: a, sent: s, acked: k, log: l })
        })
        .unwrap();
    let (s, k, l) = (Arc::clone(&sent), Arc::clone(&acked), log.clone());
    group
        .start(AgentRunner::builder().drain_timeout(Duration::from_secs(60)), move || {
            Ok(Producer { sent: s, acked: k, log: l })
        })
        .unwrap();
    group
}

fn assert_stopped_last_started_first(log: &Log) {
    let order = [
        "producer on_drain",
        "producer on_close acked 2000",
        "consumer on_drain",
        "consumer on_close acked 2000",
        "driver on_drain",
        "driver on_close",
    ];
    let positions: Vec<usize> = order.iter().map(|e| log.position(e)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order: {:?}", log.events());
}

#[test]
fn a_group_closed_stops_last_started_first_and_each_drains_while_the_earlier_ones_serve() {
    let log = Log::default();
    let group = start_pipeline(&AgentTermination::new(), &log);
    let reports = group.close();
    assert_stopped_last_started_first(&log);
    for report in reports {
        let report = report.unwrap();
        assert!(matches!(report.drain(), Drain::Completed { .. }), "{report}");
        assert!(matches!(report.ending(), Ending::Closed));
    }
}

#[test]
fn a_group_whose_latch_is_signalled_stops_last_started_first_without_anyone_closing_it() {
    let log = Log::default();
    let termination = AgentTermination::new();
    let group = start_pipeline(&termination, &log);
    let signalled = Instant::now();
    termination.signal();
    // Every member ends on the latch alone, in order; the driver parks 10 s at a time, and
    // is woken when the consumer finishes.
    eventually("every member has finished", || group.runners().iter().all(|r| !r.is_running()));
    assert!(
        signalled.elapsed() < Duration::from_secs(8),
        "the driver slept through: {:?}",
        signalled.elapsed()
    );
    assert_stopped_last_started_first(&log);
    for report in group.close() {
        let report = report.unwrap();
        assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{report}");
        assert!(matches!(report.drain(), Drain::Completed { .. }), "{report}");
    }
}

// ---------------------------------------------------------------------------------------------
// Composites and the invoker

#[test]
fn a_composite_drains_every_sub_agent_and_closes_once_all_are_drained() {
    let log = Log::default();
    let (a, b) = (Holder::factory("a", 30, &log), Holder::factory("b", 70, &log));
    let report = AgentRunner::start(move || Ok(CompositeAgent::new(vec![Box::new(a()?), Box::new(b()?)])))
        .unwrap()
        .close()
        .unwrap();
    assert_drained_before_close(&log, "a", 30);
    assert_drained_before_close(&log, "b", 70);
    // Closed only when both were drained: a's close comes after b's last flush.
    assert!(log.position("b flush 70") < log.position("a on_close 30"));
    assert!(matches!(report.drain(), Drain::Completed { .. }));
    assert_on_one_agent_thread(&log);
}

#[test]
fn a_dynamic_composite_drains_its_agents_and_takes_no_new_ones_while_draining() {
    let log = Log::default();
    let control = DynamicCompositeControl::new();
    let attach = control.clone();
    let (entered_tx, entered) = mpsc::channel();
    let (unstick, unstick_rx) = mpsc::channel();
    let runner = AgentRunner::start(move || Ok(DynamicCompositeAgent::new("pool", &attach)?)).unwrap();
    control.add(Holder::factory("held", 40, &log)).unwrap().wait().unwrap();
    control
        .add(move || {
            Ok(StuckInDrain { draining: false, entered: entered_tx, unstick: unstick_rx, done: false })
        })
        .unwrap()
        .wait()
        .unwrap();
    runner.request_stop();
    entered.recv_timeout(PATIENCE).unwrap(); // the composite drains
    assert!(matches!(control.add(|| Ok(Default0)), Err(DynamicCompositeError::Draining)));
    assert!(control.is_running());
    unstick.send(()).unwrap();
    let report = runner.close().unwrap();
    assert_drained_before_close(&log, "held", 40);
    assert!(matches!(report.drain(), Drain::Completed { .. }));
}

#[test]
fn an_invoker_drains_its_agent_on_the_callers_thread_before_closing_it() {
    let log = Log::default();
    let mut invoker = AgentInvoker::new(Holder::factory("writer", 25, &log)().unwrap());
    invoker.start();
    invoker.invoke();
    let drain = invoker.drain_and_close(Duration::from_secs(60), &mut BackoffIdleStrategy::default());
    assert!(matches!(drain, Drain::Completed { .. }));
    assert_drained_before_close(&log, "writer", 25);
    assert!(log.threads().iter().all(|t| *t == std::thread::current().id()));
    assert!(invoker.is_closed());

    let mut stubborn = AgentInvoker::new(Stubborn { log: Log::default() });
    stubborn.start();
    let deadline = Duration::from_millis(50);
    let drain = stubborn.drain_and_close(deadline, &mut SleepingMillisIdleStrategy::new(60_000).unwrap());
    assert_eq!(drain, Drain::DeadlineExceeded { deadline });
    assert!(stubborn.is_closed());
}

#[test]
fn an_invoker_drain_can_be_driven_from_the_callers_own_loop() {
    let log = Log::default();
    let mut invoker = AgentInvoker::new(Holder::factory("writer", 10, &log)().unwrap());
    invoker.start();
    assert!(!invoker.is_drained());
    invoker.start_drain();
    invoker.start_drain(); // once only
    let mut cycles = 0;
    while !invoker.is_drained() {
        invoker.invoke();
        cycles += 1;
    }
    assert_eq!(cycles, 10);
    assert!(invoker.is_running());
    invoker.close();
    assert_drained_before_close(&log, "writer", 10);
    let mut queue = VecDeque::from(log.events());
    assert_eq!(queue.pop_front().as_deref(), Some("writer on_start"));
}
