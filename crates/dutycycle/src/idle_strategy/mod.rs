//! Idle strategies: what a duty cycle does when a turn found no work.
//!
//! The choice trades latency against CPU: [`BusySpinIdleStrategy`] answers in nanoseconds and
//! burns a core; [`BackoffIdleStrategy`] spins, then yields, then parks for doubling periods,
//! so an idle agent costs almost nothing and a busy one answers fast. The behaviour of each
//! matches Agrona's class of the same name, and [`IdleStrategy::alias`] returns Aeron's name.
//!
//! Strategies that park ([`SleepingIdleStrategy`], [`SleepingMillisIdleStrategy`],
//! [`BackoffIdleStrategy`]) park the thread with [`std::thread::park_timeout`], not `sleep`,
//! so whoever holds the thread's handle can end the park early: the runner's termination latch
//! does this, so shutdown never waits out a park period.

mod any;
mod backoff;
#[cfg(all(test, not(loom)))]
mod backoff_model_tests;
mod busy_spin;
mod config;
mod controllable;
mod no_op;
mod sleeping;
mod yielding;

use std::time::Duration;

pub use any::AnyIdleStrategy;
pub use backoff::BackoffIdleStrategy;
pub use busy_spin::BusySpinIdleStrategy;
pub use config::{IdleStrategyArgError, IdleStrategyConfig, IdleStrategyParseError};
pub use controllable::{ControllableIdleStrategy, IdleControl, IdleMode};
pub use no_op::NoOpIdleStrategy;
pub use sleeping::{SleepingIdleStrategy, SleepingMillisIdleStrategy};
pub use yielding::YieldingIdleStrategy;

/// The longest park period any strategy accepts: one hour. Longer periods are rejected as
/// nonsense with [`IdleStrategyError::PeriodTooLong`].
pub const MAX_PARK_PERIOD: Duration = Duration::from_secs(3600);

/// What a duty cycle does after each turn, given how much work the turn did
/// (Agrona's `org.agrona.concurrent.IdleStrategy`).
///
/// The runner calls [`idle`](IdleStrategy::idle) once per duty cycle, on the agent thread, with
/// the count that `do_work` returned. A strategy is owned by one runner, so it needs no
/// synchronisation; it must be `Send` to be moved onto the agent thread.
///
/// # Examples
///
/// A loop of your own, without a runner:
///
/// ```
/// use dutycycle::{BackoffIdleStrategy, IdleStrategy};
///
/// let mut idle = BackoffIdleStrategy::default();
/// let mut polls = 0;
/// let mut work = || { polls += 1; usize::from(polls % 100 == 0) };
/// for _ in 0..1_000 {
///     let n = work();
///     idle.idle(n);
/// }
/// assert_eq!(idle.alias(), "backoff");
/// ```
pub trait IdleStrategy {
    /// Idles according to how much work was just done: resets when `work_count > 0`,
    /// otherwise performs one step of idling ([`idle_once`](IdleStrategy::idle_once)).
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count > 0 {
            self.reset();
        } else {
            self.idle_once();
        }
    }

    /// One step of idling, as after a turn with no work (Agrona's `idle()`).
    fn idle_once(&mut self);

    /// Back to the state of a strategy that just saw work.
    fn reset(&mut self);

    /// The strategy's name in Aeron's configuration (`spin`, `noop`, `yield`, `sleep-ns`,
    /// `sleep-ms`, `backoff`, `controllable`).
    fn alias(&self) -> &'static str;

    /// Whether [`idle`](IdleStrategy::idle) may park the thread for a noticeable time (true by
    /// default). Runners publish [statistics](crate::DutyCycleStats) before each idle call that
    /// may park and every 64 cycles, so that readers are never more than one park behind and a
    /// spinning duty cycle does not pay for stores it does not need.
    #[inline]
    fn parks(&self) -> bool {
        true
    }
}

impl<S: IdleStrategy + ?Sized> IdleStrategy for Box<S> {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        (**self).idle(work_count)
    }

    #[inline]
    fn idle_once(&mut self) {
        (**self).idle_once()
    }

    #[inline]
    fn reset(&mut self) {
        (**self).reset()
    }

    fn alias(&self) -> &'static str {
        (**self).alias()
    }

    #[inline]
    fn parks(&self) -> bool {
        (**self).parks()
    }
}

/// A strategy's configuration that makes no sense.
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{BackoffIdleStrategy, IdleStrategyError};
///
/// let err = BackoffIdleStrategy::new(10, 20, Duration::from_millis(1), Duration::from_micros(1));
/// assert_eq!(
///     err.unwrap_err(),
///     IdleStrategyError::MaxParkBelowMinPark { min: Duration::from_millis(1), max: Duration::from_micros(1) }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdleStrategyError {
    /// A park or sleep period of zero.
    #[error("{what} must be greater than zero")]
    ZeroPeriod {
        /// Which setting.
        what: &'static str,
    },
    /// A park or sleep period longer than [`MAX_PARK_PERIOD`].
    #[error("{what} of {period:?} is longer than the {max:?} allowed")]
    PeriodTooLong {
        /// Which setting.
        what: &'static str,
        /// The value given.
        period: Duration,
        /// The limit.
        max: Duration,
    },
    /// Backoff's maximum park period below its minimum.
    #[error("max park period {max:?} is below min park period {min:?}")]
    MaxParkBelowMinPark {
        /// The minimum park period given.
        min: Duration,
        /// The maximum park period given.
        max: Duration,
    },
}

/// Checks one park period: not zero, not over [`MAX_PARK_PERIOD`].
pub(crate) fn check_period(what: &'static str, period: Duration) -> Result<(), IdleStrategyError> {
    if period.is_zero() {
        Err(IdleStrategyError::ZeroPeriod { what })
    } else if period > MAX_PARK_PERIOD {
        Err(IdleStrategyError::PeriodTooLong { what, period, max: MAX_PARK_PERIOD })
    } else {
        Ok(())
    }
}

/// Parks the calling thread for up to `period`. It returns earlier when the thread is
/// unparked (by a runner's termination or waker), and may return spuriously; while the runner
/// on this thread drains, also at the drain deadline.
#[inline]
pub(crate) fn park(period: Duration) {
    crate::primitive::thread::park_timeout(crate::runner::park_period(period));
}
