//! Soak: more than 10,000 start/close cycles in one process of plain runners
//! (every parking idle strategy, pinned and not, closed, signalled, timed out, ending
//! themselves), composites, dynamic composites with agents added and removed, groups, and
//! agents that fail to start or panic. Afterwards the process has the threads
//! (`/proc/self/task`) and open descriptors (`/proc/self/fd`) it had before, and its memory has
//! not grown: the live heap (counted by this binary's global allocator) and the resident set
//! (`/proc/self/statm`) after a warm-up batch are compared with their values after the rest.
//!
//! This binary has one test, so that no other test's threads or allocations mix into the
//! figures. `DUTYCYCLE_SOAK=<n>` multiplies the cycles by 10 n (see `signal_storm.rs` for the
//! one command that runs both soaks).

use std::rc::Rc;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentGroup, AgentRunner, AgentTermination, BackoffIdleStrategy, CloseError,
    CompositeAgent, ControllableIdleStrategy, DynamicCompositeAgent, DynamicCompositeControl, Ending,
    IdleMode, SleepingIdleStrategy, SleepingMillisIdleStrategy, StartError, Statistics,
};
use dutycycle_test_support::alloc::{live_bytes, CountingAllocator};

/// Counts the live heap bytes that `live_bytes` reads.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

// ---------------------------------------------------------------------------------------------
// What the process holds

fn entries(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn threads() -> usize {
    entries("/proc/self/task")
}

/// Open descriptors (the directory listing's own descriptor included, the same each time).
fn descriptors() -> usize {
    entries("/proc/self/fd")
}

/// The resident set in KiB (`/proc/self/statm`, second field, in pages).
fn rss_kib() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: i64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = i64::from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i32);
    pages * page / 1024
}

/// Waits (coarsely: joined threads leave `/proc` a moment after `join` returns) until the
/// process has `threads` threads and `descriptors` descriptors; fails after 20 s.
fn assert_back_to(threads_then: usize, descriptors_then: usize, after: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (t, d) = (threads(), descriptors());
        if t == threads_then && d == descriptors_then {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {after}: {t} threads (was {threads_then}), {d} descriptors (was {descriptors_then})"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------------------------
// The cycles

/// A non-`Send` agent that works once, then idles, and fails where told.
struct Cycler {
    role: &'static str,
    fail_start: bool,
    panic_on_cycle: Option<u64>,
    terminate_on_cycle: Option<u64>,
    cycles: u64,
    _not_send: Rc<Vec<u8>>,
}

fn cycler(role: &'static str) -> Cycler {
    Cycler {
        role,
        fail_start: false,
        panic_on_cycle: None,
        terminate_on_cycle: None,
        cycles: 0,
        _not_send: Rc::new(vec![0; 64]),
    }
}

impl Agent for Cycler {
    fn role_name(&self) -> &str {
        self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        if self.fail_start {
            return Err(AgentError::msg("soak: planted on_start failure"));
        }
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycles += 1;
        if Some(self.cycles) == self.panic_on_cycle {
            panic!("soak: planted do_work panic");
        }
        if Some(self.cycles) == self.terminate_on_cycle {
            return Err(AgentError::terminate());
        }
        // Work on the first cycle only: then the idle strategy backs off to parking, so that
        // an idle agent costs no CPU (work every few cycles would keep Backoff spinning).
        Ok(usize::from(self.cycles == 1))
    }
}

fn backoff() -> BackoffIdleStrategy {
    BackoffIdleStrategy::default()
}

/// The kinds of cycle, run in turn.
const KINDS: usize = 11;

/// Runs start/close cycle number `i`; `shared` is one latch that every plain runner registers
/// with, for the whole soak, and that is never signalled: its registry must not grow.
fn cycle(i: usize, shared: &AgentTermination, cores: &[usize]) {
    match i % KINDS {
        0 => {
            let runner = AgentRunner::builder()
                .termination(shared.clone())
                .idle_strategy(backoff())
                .start(|| Ok(cycler("backoff")));
            assert!(matches!(runner.unwrap().close().unwrap().ending(), Ending::Closed));
        }
        1 => {
            let runner = AgentRunner::builder()
                .termination(shared.clone())
                .idle_strategy(SleepingIdleStrategy::default())
                .start(|| Ok(cycler("sleep-ns")))
                .unwrap();
            assert!(runner.close().unwrap().is_clean());
        }
        2 => {
            let core = cores[i / KINDS % cores.len()];
            let runner = AgentRunner::builder()
                .core(core)
                .name("soak-pinned")
                .idle_strategy(SleepingMillisIdleStrategy::default())
                .start(|| Ok(cycler("sleep-ms")))
                .unwrap();
            assert_eq!(runner.close_timeout(Duration::from_secs(20)).unwrap().thread_name(), "soak-pinned");
        }
        3 => {
            let runner = AgentRunner::builder()
                .idle_strategy(ControllableIdleStrategy::new(IdleMode::Park))
                .termination(shared.clone())
                .start(|| Ok(cycler("controllable")))
                .unwrap();
            assert!(runner.close().unwrap().is_clean());
        }
        4 => {
            let runner = AgentRunner::builder()
                .idle_strategy(backoff())
                .start(|| {
                    Ok(CompositeAgent::new(vec![
                        Box::new(cycler("a")),
                        Box::new(cycler("b")),
                        Box::new(cycler("c")),
                    ]))
                })
                .unwrap();
            assert_eq!(runner.close().unwrap().role(), "[a,b,c]");
        }
        5 => {
            let control = DynamicCompositeControl::new();
            let attach = control.clone();
            let runner = AgentRunner::builder()
                .idle_strategy(backoff())
                .start(move || Ok(DynamicCompositeAgent::new("dynamic", &attach)?))
                .unwrap();
            let waker = runner.waker();
            let add = |role: &'static str| {
                let pending = control.add(move || Ok(cycler(role))).unwrap();
                waker.wake();
                pending.wait_timeout(Duration::from_secs(20)).unwrap()
            };
            let first = add("x");
            add("y");
            let pending = control.remove(first).unwrap();
            waker.wake();
            pending.wait_timeout(Duration::from_secs(20)).unwrap();
            assert_eq!(control.len(), 1);
            runner.close().unwrap(); // closes and drops "y"
            assert!(!control.is_running());
        }
        6 => {
            let mut group = AgentGroup::new(AgentTermination::new());
            group.start(AgentRunner::builder().idle_strategy(backoff()), || Ok(cycler("g1"))).unwrap();
            group.start(AgentRunner::builder().idle_strategy(backoff()), || Ok(cycler("g2"))).unwrap();
            group.termination().signal();
            assert!(group.close().into_iter().all(|r| r.is_ok()));
        }
        7 => {
            let err = AgentRunner::builder()
                .termination(shared.clone())
                .start(|| -> Result<Cycler, AgentError> {
                    Err(AgentError::msg("soak: planted factory failure"))
                })
                .map(|r| r.close())
                .unwrap_err();
            assert!(matches!(err, StartError::Factory { .. }));
        }
        8 => {
            let err = AgentRunner::builder()
                .termination(shared.clone())
                .start(|| Ok(Cycler { fail_start: true, ..cycler("bad-start") }))
                .map(|r| r.close())
                .unwrap_err();
            assert!(matches!(err, StartError::OnStart { .. }));
        }
        9 => {
            let failed = AgentRunner::builder()
                .termination(shared.clone())
                .idle_strategy(backoff())
                .start(|| Ok(Cycler { panic_on_cycle: Some(3), ..cycler("panicker") }))
                .unwrap()
                .join()
                .unwrap_err();
            assert!(matches!(failed.report().ending(), Ending::Panicked(_)));
        }
        _ => {
            let runner = AgentRunner::builder()
                .termination(shared.clone())
                .statistics(Statistics::Timed { threshold: Duration::from_micros(100) })
                .start(|| Ok(Cycler { terminate_on_cycle: Some(5), ..cycler("quitter") }))
                .unwrap();
            // Ends itself; close_timeout after that is a plain join.
            let report = match runner.close_timeout(Duration::from_secs(20)) {
                Ok(report) => report,
                Err(CloseError::TimedOut(t)) => panic!("{t}"),
                Err(CloseError::Failed(f)) => panic!("{f}"),
            };
            assert!(report.is_clean());
        }
    }
}

/// Cycles in the warm-up batch, and after it: 10,000 in all, so that a leak of even a few
/// bytes per cycle grows past the heap slack.
const WARM_UP: usize = 1_000;
const MEASURED: usize = 9_000;

/// The live heap may differ by this much between the two measurements (lazily initialised
/// statics, the allocator's bookkeeping in `std`); one leaked runner state per cycle would be
/// hundreds of kilobytes.
const HEAP_SLACK_BYTES: i64 = 16 * 1024;
/// The resident set may grow by this much (malloc arenas and glibc's cache of thread stacks
/// settle at sizes of their own).
const RSS_SLACK_KIB: i64 = 2 * 1024;

#[test]
fn ten_thousand_start_close_cycles_leave_threads_descriptors_and_memory_where_they_were() {
    let factor = match std::env::var("DUTYCYCLE_SOAK") {
        Ok(v) => v.trim().parse::<usize>().map(|n| n.max(1)).unwrap_or(1) * 10,
        Err(_) => 1,
    };
    // The planted panics would print a message per cycle (and grow libtest's capture buffer):
    // keep them quiet, and let every other panic through.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let planted = info.payload().downcast_ref::<&str>().is_some_and(|m| m.starts_with("soak:"));
        if !planted {
            default_hook(info);
        }
    }));

    let cores = {
        // The cores the runner accepts: the ones listed by a refusal of an impossible one.
        let err = AgentRunner::builder().core(usize::MAX).start(|| Ok(cycler("probe"))).map(|r| r.close());
        match err {
            Err(StartError::CoreNotAllowed { allowed, .. }) => allowed,
            other => panic!("core usize::MAX was not refused: {other:?}"),
        }
    };
    let shared = AgentTermination::new();
    let (threads_then, descriptors_then) = (threads(), descriptors());

    let started = Instant::now();
    for i in 0..WARM_UP {
        cycle(i, &shared, &cores);
    }
    assert_back_to(threads_then, descriptors_then, "the warm-up");
    let (heap_warm, rss_warm) = (live_bytes(), rss_kib());

    let measured = MEASURED * factor;
    for i in WARM_UP..WARM_UP + measured {
        cycle(i, &shared, &cores);
    }
    assert_back_to(threads_then, descriptors_then, "every cycle");
    let (heap_end, rss_end) = (live_bytes(), rss_kib());
    let took = started.elapsed();

    println!(
        "{} cycles in {took:?}; threads {threads_then}, descriptors {descriptors_then} before and after; \
         live heap {heap_warm} B after the warm-up, {heap_end} B after the rest ({:+} B); \
         resident {rss_warm} KiB after the warm-up, {rss_end} KiB after the rest ({:+} KiB)",
        WARM_UP + measured,
        heap_end - heap_warm,
        rss_end - rss_warm
    );
    assert!(
        heap_end - heap_warm <= HEAP_SLACK_BYTES,
        "the live heap grew by {} B over {measured} cycles",
        heap_end - heap_warm
    );
    assert!(rss_end - rss_warm <= RSS_SLACK_KIB, "the resident set grew by {} KiB", rss_end - rss_warm);
    assert!(!shared.is_signalled());
}
