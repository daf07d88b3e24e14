//! Idle strategies: what a duty cycle does when a turn found no work.
//!
//! The choice trades latency against CPU: [`BusySpinIdleStrategy`] answers in nanoseconds and
//! burns a core; [`BackoffIdleStrategy`] spins, then yields, then parks for doubling periods,
//! so an idle agent costs almost nothing and a busy one answers fast. The behaviour of each
//! matches Agrona's class of the same name, and [`IdleStrategy::alias`] returns Aeron's name.
//!
//! Strategies that park ([`SleepingIdleStrategy`], [`SleepingMillisIdleStrategy`],
//! [`BackoffIdleStrategy`], [`ControllableIdleStrategy`]) park, not `sleep`, so that the park
//! can end early. Run by an [`AgentRunner`](crate::AgentRunner), they park on a parker of the
//! runner's own, which its stop, its termination latch and its [`AgentWaker`](crate::AgentWaker)
//! end at once, and which no other code on the thread can consume (a channel's
//! `recv_timeout` in `do_work` parks on the thread's own token): shutdown never waits out a
//! park period, and no wake-up is lost. Used elsewhere, they park with
//! [`std::thread::park_timeout`], which the thread's [`unpark`](std::thread::Thread::unpark)
//! ends.

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
pub(crate) use config::{parse_duration, DurationArg, Unit};
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
    /// spinning duty cycle does not pay for stores it does not need. Only in such a call do
    /// the built-in strategies park on the runner's own parker, which the runner's stop and
    /// waker end: a strategy that parks must say so.
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

/// Parks the calling thread for up to `period`, the way the crate's own idle strategies park:
/// the park to use in an [`IdleStrategy`] of your own.
///
/// Inside a runner's idle call it parks on the runner's own parker, so it returns early when
/// the runner is stopped (`close`, its termination latch, a signal) or woken by an
/// [`AgentWaker`](crate::AgentWaker), and agent code that consumes the thread's park token
/// (a channel's `recv_timeout`, say) cannot swallow those wake-ups. Anywhere else it is
/// [`std::thread::park_timeout`]. It may return spuriously, like any park. While the runner
/// (or [`AgentInvoker::drain_and_close`](crate::AgentInvoker::drain_and_close)) on this
/// thread drains, it also returns at the drain deadline.
///
/// A custom strategy that calls `std::thread::park_timeout` itself is not woken by a stop or
/// a wake-up: it waits out its period.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{park_timeout, IdleStrategy};
///
/// /// Parks 50 µs whenever a cycle found no work.
/// #[derive(Debug)]
/// struct Nap;
///
/// impl IdleStrategy for Nap {
///     fn idle_once(&mut self) {
///         park_timeout(Duration::from_micros(50));
///     }
///     fn reset(&mut self) {}
///     fn alias(&self) -> &'static str { "nap" }
/// }
///
/// let started = std::time::Instant::now();
/// Nap.idle(0); // outside a runner: the thread's own park
/// assert!(started.elapsed() < Duration::from_secs(5));
/// ```
#[inline]
pub fn park_timeout(period: Duration) {
    crate::parker::park_timeout(crate::runner::park_period(period));
}
