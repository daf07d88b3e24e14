//! [`BackoffIdleStrategy`] against a reference model of Agrona's state machine, written from the
//! project's Agrona semantics reference (`agrona-semantics.md`) rather than from the code:
//!
//! - the first idle call after work only changes state (spins = 1), it does not spin;
//! - then one pause per call until `++spins > maxSpins`, then one yield per call until
//!   `++yields > maxYields` (the call that makes the transition does not yield);
//! - then park, doubling the period from minPark up to maxPark; any workCount > 0 resets.
//!
//! The model is a closed form of "how many idle calls since the last work", not a step
//! function, so it cannot share a mistake with the implementation's `match`. Random sequences
//! of work counts drive both; after every call the operation performed (nothing, spin, yield,
//! park for how long), the state and the next park period must agree.

use std::cell::Cell;
use std::time::Duration;

use proptest::prelude::*;

use super::backoff::BackoffState;
use super::{BackoffIdleStrategy, IdleStrategy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Nothing,
    Spin,
    Yield,
    Park(Duration),
}

/// What Agrona's backoff has done and is about to do, given only its limits and the number of
/// idle calls since the last call with work (or since it was built).
#[derive(Debug)]
struct Model {
    max_spins: u64,
    max_yields: u64,
    min_park: Duration,
    max_park: Duration,
    calls_since_work: u64,
}

impl Model {
    /// The call that leaves the spinning state: spins reaches `max_spins + 1`, but no earlier
    /// than the second call, since the first only moves to spinning with spins = 1.
    fn last_spin_call(&self) -> u64 {
        (self.max_spins + 1).max(2)
    }

    /// The call that moves to parking without yielding.
    fn to_parking_call(&self) -> u64 {
        self.last_spin_call() + self.max_yields + 1
    }

    /// `min_park * 2^k`, capped at `max_park`.
    fn park_after_doublings(&self, k: u64) -> Duration {
        let min = self.min_park.as_nanos();
        let max = self.max_park.as_nanos();
        let nanos = if k >= 64 { max } else { (min << k).min(max) };
        Duration::from_nanos(u64::try_from(nanos).expect("max park fits in u64 nanoseconds"))
    }

    /// One call of `idle(work_count)`: what it does, then the state and park period after it.
    fn idle(&mut self, work_count: usize) -> (Op, BackoffState, Duration) {
        if work_count > 0 {
            self.calls_since_work = 0;
            return (Op::Nothing, BackoffState::NotIdle, self.min_park);
        }
        self.calls_since_work += 1;
        let n = self.calls_since_work;
        let (last_spin, to_parking) = (self.last_spin_call(), self.to_parking_call());
        if n == 1 {
            (Op::Nothing, BackoffState::Spinning, self.min_park)
        } else if n < last_spin {
            (Op::Spin, BackoffState::Spinning, self.min_park)
        } else if n == last_spin {
            (Op::Spin, BackoffState::Yielding, self.min_park)
        } else if n < to_parking {
            (Op::Yield, BackoffState::Yielding, self.min_park)
        } else if n == to_parking {
            (Op::Nothing, BackoffState::Parking, self.min_park)
        } else {
            let k = n - to_parking - 1; // parks before this one
            (Op::Park(self.park_after_doublings(k)), BackoffState::Parking, self.park_after_doublings(k + 1))
        }
    }
}

/// The implementation's `idle(work_count)`, recording the OS call instead of making it.
fn idle(backoff: &mut BackoffIdleStrategy, work_count: usize) -> (Op, BackoffState, Duration) {
    let op = Cell::new(Op::Nothing);
    if work_count > 0 {
        backoff.idle(work_count); // resets; makes no OS call
    } else {
        backoff.step_with(|| op.set(Op::Spin), || op.set(Op::Yield), |d| op.set(Op::Park(d)));
    }
    (op.get(), backoff.state(), backoff.park_period())
}

fn work_counts() -> impl Strategy<Value = Vec<usize>> {
    // Mostly idle calls, so that runs reach the parking state and its doubling cap.
    prop::collection::vec(prop_oneof![12 => Just(0usize), 1 => 1usize..1000], 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn backoff_follows_agronas_state_machine(
        max_spins in prop_oneof![0u64..6, 0u64..40],
        max_yields in prop_oneof![0u64..6, 0u64..40],
        min_park_ns in prop_oneof![1u64..10, 1u64..1_000_000],
        extra_ns in prop_oneof![Just(0u64), 0u64..100, 0u64..10_000_000],
        work in work_counts(),
    ) {
        let (min_park, max_park) = (Duration::from_nanos(min_park_ns), Duration::from_nanos(min_park_ns + extra_ns));
        let mut backoff = BackoffIdleStrategy::new(max_spins, max_yields, min_park, max_park).unwrap();
        let mut model = Model { max_spins, max_yields, min_park, max_park, calls_since_work: 0 };
        prop_assert_eq!((backoff.state(), backoff.park_period()), (BackoffState::NotIdle, min_park));
        for (call, &work_count) in work.iter().enumerate() {
            let expected = model.idle(work_count);
            let actual = idle(&mut backoff, work_count);
            prop_assert_eq!(actual, expected, "call {} with work {}", call, work_count);
        }
    }

    #[test]
    fn reset_returns_to_not_idle_from_any_point(
        max_spins in 0u64..5,
        max_yields in 0u64..5,
        calls in 0usize..30,
    ) {
        let mut backoff =
            BackoffIdleStrategy::new(max_spins, max_yields, Duration::from_nanos(1), Duration::from_nanos(8)).unwrap();
        for _ in 0..calls {
            idle(&mut backoff, 0);
        }
        backoff.reset();
        prop_assert_eq!((backoff.state(), backoff.park_period()), (BackoffState::NotIdle, Duration::from_nanos(1)));
        prop_assert_eq!(idle(&mut backoff, 0).0, Op::Nothing);
    }
}

#[test]
fn the_model_counts_spins_and_yields_as_agrona_does() {
    // Spot checks of the model itself, from the rules in the module docs.
    let ops = |max_spins, max_yields| {
        let mut model = Model {
            max_spins,
            max_yields,
            min_park: Duration::from_nanos(1),
            max_park: Duration::from_nanos(4),
            calls_since_work: 0,
        };
        (0..max_spins + max_yields + 6).map(|_| model.idle(0).0).collect::<Vec<_>>()
    };
    let park = |n| Op::Park(Duration::from_nanos(n));
    use Op::{Nothing, Spin, Yield};
    assert_eq!(ops(2, 2), [Nothing, Spin, Spin, Yield, Yield, Nothing, park(1), park(2), park(4), park(4)]);
    // Zero limits: one spin, no yield (the transition call does not yield), then park.
    assert_eq!(ops(0, 0), [Nothing, Spin, Nothing, park(1), park(2), park(4)]);
    assert_eq!(ops(1, 0), [Nothing, Spin, Nothing, park(1), park(2), park(4), park(4)]);
}
