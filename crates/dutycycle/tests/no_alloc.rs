//! The steady-state duty cycle allocates nothing: a counting global allocator sees no
//! allocation, reallocation or free made by the agent thread over a million duty cycles of a
//! runner with statistics on, while other threads read its statistics and wake it.
//!
//! The allocator counts per thread: the agent raises a thread-local flag in `do_work` at the
//! start of the measured phase and lowers it a million cycles later, so everything the runner
//! does between those two calls (termination check, statistics, idle strategy, parking) is
//! counted, and nothing another thread does is.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentRunner, BackoffIdleStrategy, BusySpinIdleStrategy, IdleStrategy, Statistics,
};
use dutycycle_test_support::alloc::{start_counting, stop_counting, CountingAllocator, Counts};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const WARMUP_CYCLES: u64 = 10_000;
const MEASURED_CYCLES: u64 = 1_000_000;

/// Counts its duty cycles; measures allocations over `MEASURED_CYCLES` of them.
struct Measured {
    cycle: u64,
    /// Work to report for a cycle: lets the idle strategy run through its states.
    work: fn(u64) -> usize,
    /// Allocate once inside the measured phase (the control that shows the counting works).
    allocate_once: bool,
    result: Arc<Mutex<Option<Counts>>>,
}

impl Agent for Measured {
    fn role_name(&self) -> &str {
        "measured"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        if self.cycle == WARMUP_CYCLES {
            start_counting();
        } else if self.cycle == WARMUP_CYCLES + MEASURED_CYCLES {
            *self.result.lock().unwrap() = Some(stop_counting());
            return Err(AgentError::terminate());
        } else if self.allocate_once && self.cycle == WARMUP_CYCLES + 1 {
            std::hint::black_box(Vec::<u8>::with_capacity(16));
        }
        Ok((self.work)(self.cycle))
    }
}

/// Runs a million measured duty cycles while another thread keeps reading the statistics and
/// waking the agent; returns what the allocator saw on the agent thread.
fn measure<I: IdleStrategy + Send + 'static>(
    statistics: Statistics,
    idle: I,
    work: fn(u64) -> usize,
    allocate_once: bool,
) -> Counts {
    let result = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&result);
    let runner = AgentRunner::builder()
        .name("measured")
        .idle_strategy(idle)
        .statistics(statistics)
        .start(move || Ok(Measured { cycle: 0, work, allocate_once, result: slot }))
        .expect("start");
    let (reader, waker) = (runner.stats_reader(), runner.waker());
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    let poker = std::thread::spawn(move || {
        let mut reads = 0u64;
        while !finished.load(Ordering::Acquire) {
            reads += reader.read().duty_cycles.min(1);
            waker.wake();
            std::thread::sleep(Duration::from_micros(50));
        }
        reads
    });
    let report = runner.join().expect("agent ended cleanly");
    done.store(true, Ordering::Release);
    poker.join().expect("reader thread");
    assert!(report.duty_cycles() >= WARMUP_CYCLES + MEASURED_CYCLES - 1, "the whole measured phase ran");
    let events = result.lock().unwrap().take().expect("the agent reached the end of the measured phase");
    events
}

/// Work in seven cycles of eight: a busy agent.
fn mostly_busy(cycle: u64) -> usize {
    usize::from(cycle % 8 != 0)
}

/// Idle for 40 cycles in every 2,000: Backoff goes through spinning, yielding and a few parks.
fn bursts_of_idle(cycle: u64) -> usize {
    usize::from(cycle % 2_000 >= 40)
}

const NONE: Counts = Counts { allocations: 0, frees: 0 };

#[test]
fn a_busy_spin_duty_cycle_with_counters_allocates_nothing() {
    assert_eq!(measure(Statistics::Counters, BusySpinIdleStrategy, mostly_busy, false), NONE);
}

#[test]
fn a_busy_spin_duty_cycle_with_timing_allocates_nothing() {
    let timed = Statistics::Timed { threshold: Duration::from_micros(1) };
    assert_eq!(measure(timed, BusySpinIdleStrategy, mostly_busy, false), NONE);
}

#[test]
fn a_backoff_duty_cycle_that_parks_and_is_woken_allocates_nothing() {
    assert_eq!(measure(Statistics::Counters, BackoffIdleStrategy::default(), bursts_of_idle, false), NONE);
    let timed = Statistics::Timed { threshold: Duration::from_micros(1) };
    assert_eq!(measure(timed, BackoffIdleStrategy::default(), bursts_of_idle, false), NONE);
}

#[test]
fn the_counting_allocator_sees_an_allocation_in_the_measured_phase() {
    // The control: if the runner allocated, this is what the tests above would see.
    let events = measure(Statistics::Counters, BusySpinIdleStrategy, mostly_busy, true);
    assert_eq!(events, Counts { allocations: 1, frees: 1 });
}
