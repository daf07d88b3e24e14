//! AgentWaker: a producer ends the agent's park instead of waiting for its end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentRunner, AgentWaker, BackoffIdleStrategy, SleepingIdleStrategy,
    SleepingMillisIdleStrategy,
};

/// Parks of a minute: a wake-up that is lost, or ignored, shows as a wait of a minute.
const PARK: Duration = Duration::from_secs(60);
/// Far below a park, far above any scheduling delay on a loaded machine.
const PROMPT: Duration = Duration::from_secs(10);

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

#[test]
fn waker_is_clone_send_sync() {
    assert_send_sync_clone::<AgentWaker>();
}

/// Ends itself once the flag is set; counts how often it found nothing.
struct Watcher {
    flag: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
}

impl Agent for Watcher {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.flag.load(Ordering::Acquire) {
            return Err(AgentError::terminate());
        }
        self.parked.store(true, Ordering::Release);
        Ok(0)
    }
}

fn time_to_see_work<I: dutycycle::IdleStrategy + Send + 'static>(idle: I) -> Duration {
    let flag = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let (f, p) = (Arc::clone(&flag), Arc::clone(&parked));
    let runner =
        AgentRunner::builder().idle_strategy(idle).start(move || Ok(Watcher { flag: f, parked: p })).unwrap();
    while !parked.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    // Let the idle strategy reach its park.
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    flag.store(true, Ordering::Release);
    runner.waker().wake();
    runner.join().unwrap();
    start.elapsed()
}

#[test]
fn wake_ends_a_sleeping_park_at_once() {
    assert!(time_to_see_work(SleepingIdleStrategy::new(PARK).unwrap()) < PROMPT);
}

#[test]
fn wake_ends_a_sleeping_millis_park_at_once() {
    assert!(time_to_see_work(SleepingMillisIdleStrategy::new(60_000).unwrap()) < PROMPT);
}

#[test]
fn wake_ends_a_backoff_park_at_once() {
    let backoff = BackoffIdleStrategy::new(1, 1, PARK, PARK).unwrap();
    assert!(time_to_see_work(backoff) < PROMPT);
}

/// Wakes itself inside `do_work`, that is before the park that follows: the wake-up must not
/// be lost.
struct WakesItselfFirst {
    waker: Arc<OnceLock<AgentWaker>>,
    cycles: u32,
}

impl Agent for WakesItselfFirst {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycles += 1;
        match self.cycles {
            1 => {
                self.waker.get().expect("set before the first cycle").wake();
                Ok(0) // now the idle strategy parks for a minute
            }
            _ => Err(AgentError::terminate()),
        }
    }
}

#[test]
fn a_wake_up_given_before_the_park_is_not_lost() {
    let slot = Arc::new(OnceLock::new());
    let agent_slot = Arc::clone(&slot);
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingIdleStrategy::new(PARK).unwrap())
        .start(move || {
            Ok(Gated { inner: WakesItselfFirst { waker: agent_slot, cycles: 0 }, go: Some(go_rx) })
        })
        .unwrap();
    slot.set(runner.waker()).unwrap();
    let start = Instant::now();
    go_tx.send(()).unwrap();
    runner.join().unwrap();
    assert!(start.elapsed() < PROMPT, "took {:?}", start.elapsed());
}

/// Holds the first `do_work` until the test has published the waker.
struct Gated {
    inner: WakesItselfFirst,
    go: Option<std::sync::mpsc::Receiver<()>>,
}

impl Agent for Gated {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if let Some(go) = self.go.take() {
            go.recv().unwrap();
        }
        self.inner.do_work()
    }
}

/// In its first `do_work`, parks the thread itself (a channel's `recv_timeout`, as a client
/// library might) and is given work and woken while it waits there; ends once it sees the work.
struct BlocksInDoWork {
    work: Arc<AtomicBool>,
    waiting: std::sync::mpsc::Sender<()>,
    quiet: std::sync::mpsc::Receiver<()>,
    cycles: u32,
}

impl Agent for BlocksInDoWork {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycles += 1;
        if self.work.load(Ordering::Acquire) {
            return Err(AgentError::terminate());
        }
        if self.cycles == 1 {
            self.waiting.send(()).unwrap();
            // Nobody sends: this parks the thread for 500 ms, and takes its park token.
            let _ = self.quiet.recv_timeout(Duration::from_millis(500));
        }
        Ok(0)
    }
}

#[test]
fn a_wake_up_during_a_do_work_that_parks_the_thread_itself_ends_the_next_park() {
    let work = Arc::new(AtomicBool::new(false));
    let agent_work = Arc::clone(&work);
    let (waiting_tx, waiting) = std::sync::mpsc::channel();
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(60_000).unwrap())
        .start(move || {
            let (_never, quiet) = std::sync::mpsc::channel();
            std::mem::forget(_never);
            Ok(BlocksInDoWork { work: agent_work, waiting: waiting_tx, quiet, cycles: 0 })
        })
        .unwrap();
    waiting.recv_timeout(PROMPT).expect("the first do_work began");
    let start = Instant::now();
    work.store(true, Ordering::Release);
    runner.waker().wake();
    let report = runner.join().unwrap();
    let took = start.elapsed();
    assert!(took < PROMPT, "the work was seen after {took:?}: the wake-up was lost to do_work's own park");
    assert_eq!(report.duty_cycles(), 2);
}
