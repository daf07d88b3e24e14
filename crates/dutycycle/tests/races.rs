//! Races through the public API, run many times with jittered timing: a signal racing a
//! start, a close racing an agent that ends itself, several stops at once, a dynamic add
//! racing the composite's close. Whatever the interleaving, nothing hangs, every agent that was
//! built is closed exactly once on its own thread, and the outcome is one of those the docs
//! allow. (The loom models in `src/loom_tests.rs` explore the same races exhaustively on the
//! internals; these exercise the real threads, parks and OS.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dutycycle::{
    AgentError, AgentRunner, AgentTermination, BackoffIdleStrategy, DynamicCompositeAgent,
    DynamicCompositeControl, DynamicCompositeError, Ending,
};
use dutycycle_test_support::{
    probe::{assert_one_agent_thread, names, Event, ProbeSpec},
    wait::PATIENCE,
};

const ROUNDS: u64 = 300;

/// A busy-wait of a pseudo-random length (0 to about 50 µs), different on every call, to shift
/// the interleaving of two threads from round to round.
fn jitter() {
    static STATE: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    for _ in 0..x % 20_000 {
        std::hint::spin_loop();
    }
}

/// Backoff that parks briefly, so that rounds are quick and nothing spins for long.
fn idle() -> BackoffIdleStrategy {
    BackoffIdleStrategy::new(1, 1, Duration::from_micros(1), Duration::from_micros(100)).unwrap()
}

/// Asserts the probe was built, started (`started`), closed once and dropped once, all on one
/// thread that is not this one.
fn assert_lived_and_closed_once(events: &[Event], started: bool) {
    let names = names(events);
    let expected_start: &[&str] = if started { &["factory", "on_start"] } else { &["factory"] };
    assert_eq!(&names[..expected_start.len()], expected_start, "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "on_close").count(), 1, "{names:?}");
    assert_eq!(names.last_chunk::<2>(), Some(&["on_close", "drop"]), "{names:?}");
    assert_one_agent_thread(events);
}

#[test]
fn a_signal_racing_a_start_always_stops_the_agent_and_closes_it_once() {
    let mut stopped_before_first_cycle = 0;
    for _ in 0..ROUNDS {
        let termination = AgentTermination::new();
        let remote = termination.clone();
        let signaller = std::thread::spawn(move || {
            jitter();
            remote.signal();
        });
        let (spec, events) = ProbeSpec::new("raced");
        // The signal may come before, during or after start: start succeeds either way (a
        // signal is not a start failure), and join returns, never hangs.
        let report = AgentRunner::builder()
            .termination(termination)
            .idle_strategy(idle())
            .start(spec.factory())
            .unwrap()
            .join()
            .unwrap();
        signaller.join().unwrap();
        assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{report}");
        stopped_before_first_cycle += u64::from(report.duty_cycles() == 0);
        assert_lived_and_closed_once(&events.logged(), true);
    }
    println!("{stopped_before_first_cycle} of {ROUNDS} agents were stopped before their first cycle");
}

#[test]
fn a_close_racing_an_agent_that_ends_itself_closes_it_once() {
    let mut endings = [0u64; 2];
    for round in 0..ROUNDS {
        let (spec, events) = ProbeSpec::new("quitter");
        let last = round % 4 + 1;
        let spec = spec.work(move |cycle| if cycle >= last { Err(AgentError::terminate()) } else { Ok(1) });
        let runner = AgentRunner::builder().idle_strategy(idle()).start(spec.factory()).unwrap();
        jitter();
        let report = runner.close().unwrap();
        match report.ending() {
            Ending::Terminated => endings[0] += 1,
            Ending::Closed => endings[1] += 1,
            other => panic!("{other:?}"),
        }
        assert_lived_and_closed_once(&events.logged(), true);
    }
    println!("ended itself {} times, stopped by close {} times", endings[0], endings[1]);
}

#[test]
fn stops_from_several_threads_at_once_close_the_agent_once() {
    for _ in 0..ROUNDS / 3 {
        let termination = AgentTermination::new();
        let (spec, events) = ProbeSpec::new("stopped");
        let runner = AgentRunner::builder()
            .termination(termination.clone())
            .idle_strategy(idle())
            .start(spec.factory())
            .unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                jitter();
                runner.request_stop();
            });
            s.spawn(|| {
                jitter();
                runner.request_stop();
            });
            s.spawn(|| {
                jitter();
                termination.signal();
            });
            s.spawn(|| {
                jitter();
                runner.waker().wake();
            });
        });
        let report = runner.close().unwrap();
        // Whichever stop came first is the cause.
        assert!(
            matches!(report.ending(), Ending::Closed | Ending::LatchSignalled { signal: None }),
            "{report}"
        );
        assert_lived_and_closed_once(&events.logged(), true);
    }
}

#[test]
fn an_add_racing_the_composites_close_is_applied_and_closed_or_answered_closed() {
    let mut tally = [0u64; 3];
    for _ in 0..ROUNDS {
        let control = DynamicCompositeControl::new();
        let attach = control.clone();
        let runner = AgentRunner::builder()
            .idle_strategy(idle())
            .start(move || Ok(DynamicCompositeAgent::new("composite", &attach)?))
            .unwrap();
        let (spec, events) = ProbeSpec::new("late");
        let adder = {
            let control = control.clone();
            let waker = runner.waker();
            std::thread::spawn(move || {
                jitter();
                let pending = control.add(spec.factory());
                waker.wake();
                pending.map(|p| p.wait_timeout(PATIENCE))
            })
        };
        jitter();
        runner.close().unwrap();
        let outcome = adder.join().unwrap();
        let events = events.logged();
        match outcome {
            // Applied before the close: the agent was built, started, then closed with the
            // composite, on its thread.
            Ok(Ok(_id)) => {
                tally[0] += 1;
                assert_lived_and_closed_once(&events, true);
            }
            // Accepted, then the composite drained or closed first: never built.
            Ok(Err(DynamicCompositeError::Closed | DynamicCompositeError::Draining)) => {
                tally[1] += 1;
                assert!(events.is_empty(), "a request answered Closed ran its factory: {:?}", names(&events));
            }
            // Refused: the composite was already draining or closed.
            Err(DynamicCompositeError::NotRunning | DynamicCompositeError::Draining) => {
                tally[2] += 1;
                assert!(events.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
    println!("added then closed {}, answered Closed {}, refused {}", tally[0], tally[1], tally[2]);
}
