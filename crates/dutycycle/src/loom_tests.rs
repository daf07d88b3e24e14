//! Model checks with loom (`bash scripts/loom.sh`): every interleaving of the atomics, locks,
//! parks and unparks below is explored, and a lost wake-up shows as a deadlock. Parks have no
//! timeout under loom (loom's `Condvar::wait_timeout` waits for a notification only), so
//! "never stuck" here means that no stop and no wake-up is ever lost, not merely that it is
//! found at the end of a park period.
//!
//! The code under test is the crate's own: the termination latch and its registration, a
//! runner's shared state (stop request, parker, end of thread), the idle strategies' park and
//! the waker. What loom cannot run is the runner's real thread, so the duty cycle appears here
//! as its two steps that matter for these races: the stop check and the idle call, which parks
//! on the runner's parker.

use loom::thread as lthread;

use crate::parker::Parker;
use crate::primitive::sync::{Arc, AtomicBool, Ordering};
use crate::runner::state::RunnerState;
use crate::runner::state::StopFlag;
use crate::runner::stats::Published;
use crate::{
    Agent, AgentError, AgentTermination, AgentWaker, BackoffIdleStrategy, DynamicCompositeAgent,
    DynamicCompositeControl, DynamicCompositeError, IdleStrategy, SleepingIdleStrategy,
};

/// The duty cycle reduced to what these races touch: check the stop flag, else idle (a
/// sleeping strategy), parking on the runner's parker.
fn duty_cycle_until_stopped(state: &RunnerState) {
    let mut idle = SleepingIdleStrategy::default();
    while !state.stop.is_set() {
        state.parker.idle_with(|| idle.idle(0));
    }
}

/// A duty cycle whose agent waits for `work` (a wake-up's cause), parking on `parker`.
fn duty_cycle_until_work(work: &AtomicBool, parker: &Parker, idle: &mut impl IdleStrategy) {
    // Acquire: pairs with the producer's Release store; its work is visible once the flag is.
    while !work.load(Ordering::Acquire) {
        parker.idle_with(|| idle.idle(0));
    }
}

fn new_state() -> Arc<RunnerState> {
    Arc::new(RunnerState::new(Arc::new(Published::default())))
}

#[test]
fn loom_a_signal_racing_a_runners_start_always_stops_it() {
    loom::model(|| {
        let termination = AgentTermination::new();
        let latch = termination.clone();
        let state = new_state();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            // What the agent thread does at start: register, then run the duty cycle.
            let _registration =
                latch.register(Arc::clone(&agent_state.stop), Arc::clone(&agent_state.parker));
            duty_cycle_until_stopped(&agent_state);
            agent_state.mark_finished();
        });
        termination.signal();
        assert!(state.wait_finished(None));
        agent.join().unwrap();
    });
}

#[test]
fn loom_a_close_racing_the_latch_stops_the_agent_with_one_cause_that_stays() {
    use crate::runner::state::StopCause;

    loom::model(|| {
        let termination = AgentTermination::new();
        let latch = termination.clone();
        let state = new_state();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            let _registration =
                latch.register(Arc::clone(&agent_state.stop), Arc::clone(&agent_state.parker));
            duty_cycle_until_stopped(&agent_state);
            let seen = agent_state.stop.cause();
            agent_state.mark_finished();
            seen
        });
        let signaller = {
            let termination = termination.clone();
            lthread::spawn(move || termination.signal())
        };
        state.request_stop();
        signaller.join().unwrap();
        let seen = agent.join().unwrap();
        assert!(matches!(seen, Some(StopCause::Runner | StopCause::Latch { signal: None })), "{seen:?}");
        // Whatever came first is what the agent saw, and later requests did not replace it.
        assert_eq!(state.stop.cause(), seen);
    });
}

/// Two signals at once (the signal thread's and a program's own `signal`): whichever loses the
/// race returns only once the winner has requested every registered runner's stop, so that a
/// `close` that follows the call finds the latch's stop already there.
#[test]
fn loom_when_a_second_signal_returns_every_runner_has_the_latchs_stop() {
    use crate::runner::state::StopCause;

    loom::model(|| {
        let termination = AgentTermination::new();
        let state = new_state();
        let _registration = termination.register(Arc::clone(&state.stop), Arc::clone(&state.parker));
        let other = {
            let termination = termination.clone();
            lthread::spawn(move || termination.signal())
        };
        termination.signal();
        assert_eq!(state.stop.cause(), Some(StopCause::Latch { signal: None }));
        other.join().unwrap();
    });
}

#[test]
fn loom_wait_returns_whatever_the_order_of_wait_and_two_signals() {
    loom::model(|| {
        let termination = AgentTermination::new();
        let (a, b) = (termination.clone(), termination.clone());
        let first = lthread::spawn(move || a.signal());
        let second = lthread::spawn(move || b.signal());
        termination.wait();
        assert!(termination.is_signalled());
        first.join().unwrap();
        second.join().unwrap();
    });
}

#[test]
fn loom_close_racing_the_agent_ending_itself_always_finishes() {
    loom::model(|| {
        let state = new_state();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            // One cycle, then the agent ends itself (AgentError::terminate) unless stopped first.
            let _ = agent_state.stop.is_set();
            agent_state.mark_finished();
        });
        state.request_stop();
        assert!(state.wait_finished(None));
        assert!(state.is_finished());
        agent.join().unwrap();
    });
}

/// Two closers race each other's stop requests, the agent's stop check and park, and then
/// each other's wait for the end against the agent's `mark_finished`.
///
/// Both requests are made before either closer starts waiting. Without that, loom reports a
/// false deadlock: its mutex blocks a thread by parking it, so an `unpark` aimed at the agent's
/// idle park can wake the agent while it is blocked on the `finished` lock, which std's mutex
/// never sees (loom issue #422, "Condvar::{wait, notify_*} interfere with the thread::park()
/// token"). The races that matter for two closes still all happen.
#[test]
fn loom_two_closes_at_once_both_return_once_the_agent_finished() {
    use crate::primitive::sync::AtomicUsize;

    loom::model(|| {
        let state = new_state();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            duty_cycle_until_stopped(&agent_state);
            agent_state.mark_finished();
        });
        let requested = Arc::new(AtomicUsize::new(0));
        let close = {
            move |state: &RunnerState, requested: &AtomicUsize| {
                state.request_stop();
                requested.fetch_add(1, Ordering::AcqRel);
                while requested.load(Ordering::Acquire) < 2 {
                    lthread::yield_now();
                }
                assert!(state.wait_finished(None));
            }
        };
        let (other_state, other_requested, other_close) =
            (Arc::clone(&state), Arc::clone(&requested), close.clone());
        let other = lthread::spawn(move || other_close(&other_state, &other_requested));
        close(&state, &requested);
        other.join().unwrap();
        agent.join().unwrap();
    });
}

#[test]
fn loom_a_wake_up_is_never_lost_by_a_sleeping_agent() {
    loom::model(|| {
        let work = Arc::new(AtomicBool::new(false));
        let parker = Arc::new(Parker::new());
        let (agent_work, agent_parker) = (Arc::clone(&work), Arc::clone(&parker));
        let agent = lthread::spawn(move || {
            duty_cycle_until_work(&agent_work, &agent_parker, &mut SleepingIdleStrategy::default());
        });
        let waker = AgentWaker::new(parker);
        work.store(true, Ordering::Release);
        waker.wake();
        agent.join().unwrap();
    });
}

#[test]
fn loom_a_wake_up_is_never_lost_by_a_backing_off_agent() {
    loom::model(|| {
        let work = Arc::new(AtomicBool::new(false));
        let parker = Arc::new(Parker::new());
        let (agent_work, agent_parker) = (Arc::clone(&work), Arc::clone(&parker));
        let agent = lthread::spawn(move || {
            // Limits of zero keep the model small: spin once, then park.
            let mut idle = BackoffIdleStrategy::new(
                0,
                0,
                std::time::Duration::from_micros(1),
                std::time::Duration::from_micros(1),
            )
            .unwrap();
            duty_cycle_until_work(&agent_work, &agent_parker, &mut idle);
        });
        let waker = AgentWaker::new(parker);
        work.store(true, Ordering::Release);
        waker.wake();
        agent.join().unwrap();
    });
}

/// A wake-up and a stop at once: the wake-up never hides the stop, whichever comes first and
/// whichever park consumes the wake-up.
#[test]
fn loom_a_wake_up_racing_a_stop_never_hides_the_stop() {
    loom::model(|| {
        let state = new_state();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            duty_cycle_until_stopped(&agent_state);
        });
        let waker = AgentWaker::new(Arc::clone(&state.parker));
        let producer = lthread::spawn(move || waker.wake());
        state.request_stop();
        producer.join().unwrap();
        agent.join().unwrap();
    });
}

/// A stop is a level, not a token: an idle call that parks twice (a park consumed by other
/// code in between, in effect) still returns at once after a stop.
#[test]
fn loom_after_a_stop_every_park_returns() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let agent_parker = Arc::clone(&parker);
        let agent = lthread::spawn(move || {
            for _ in 0..2 {
                agent_parker.park_timeout(std::time::Duration::from_secs(1));
            }
        });
        parker.stop();
        agent.join().unwrap();
    });
}

/// A group member stopped by its latch waits for the members started after it, its parker
/// draining (where a stop ends only a park under way), until those finish or its runner's own
/// handle asks too (the group's close, once it has given up on them). That request is never
/// lost, whether it lands before the member's check, between the check and the park, or
/// during the park.
#[test]
fn loom_a_runners_request_after_the_latch_always_ends_a_members_wait_in_the_stop_order() {
    use crate::runner::state::StopCause;

    loom::model(|| {
        let state = new_state();
        // The latch's stop, as `signal` makes it.
        state.stop.request(StopCause::Latch { signal: None });
        state.parker.stop();
        let agent_state = Arc::clone(&state);
        let agent = lthread::spawn(move || {
            // The wait of `drain.rs`, no later member ever finishing: the stop is seen, the
            // parker drains, and the member cycles, parking between cycles.
            agent_state.parker.begin_drain();
            let mut idle = SleepingIdleStrategy::default();
            while !agent_state.stop.asked_by_runner() {
                agent_state.parker.idle_with(|| idle.idle(0));
            }
            agent_state.mark_finished();
        });
        state.request_stop();
        assert!(state.wait_finished(None));
        assert_eq!(state.stop.cause(), Some(StopCause::Latch { signal: None }), "the first cause stays");
        agent.join().unwrap();
    });
}

/// An agent with nothing to do.
struct Idle;

impl Agent for Idle {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

#[test]
fn loom_an_add_racing_the_drain_is_refused_as_draining_never_dropped_unanswered() {
    loom::model(|| {
        let control = DynamicCompositeControl::new();
        let mut composite = DynamicCompositeAgent::new("dynamic", &control).unwrap();
        composite.on_start().unwrap();
        let adder = {
            let control = control.clone();
            lthread::spawn(move || control.add(|| Ok(Idle)).ok())
        };
        // A composite with nothing to drain: its drain ends at once, and it closes.
        composite.on_drain().unwrap();
        assert!(composite.is_drained());
        composite.on_close().unwrap();
        drop(composite);
        // An add the composite accepted is answered: refused as draining, never left to the
        // close's `Closed` (which is for a composite that closes without a drain).
        if let Some(pending) = adder.join().unwrap() {
            let answer = pending.try_result();
            assert!(matches!(answer, Some(Err(DynamicCompositeError::Draining))), "{answer:?}");
        }
    });
}
