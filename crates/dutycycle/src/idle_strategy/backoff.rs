use std::fmt;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::{check_period, park_timeout, IdleStrategy, IdleStrategyError};

/// Spins, then yields, then parks with a doubling period, until work comes
/// (Agrona's `BackoffIdleStrategy`, alias `backoff`).
///
/// The state machine is Agrona's, call for call:
///
/// | state | on a call with no work | next state |
/// |---|---|---|
/// | `NotIdle` | nothing (only the transition) | `Spinning` |
/// | `Spinning` | one CPU pause hint | `Yielding` once more than `max_spins` calls spun |
/// | `Yielding` | one `sched_yield`, except on the call that makes the transition | `Parking` once more than `max_yields` calls were counted |
/// | `Parking` | park for the period, then double it up to `max_park_period` | stays |
///
/// Any call with work resets to `NotIdle`. Like Agrona's, it spins at least once before it
/// parks whatever the limits (the call that leaves `Spinning` spins), and yields `max_yields`
/// times: with `max_yields == 0` it goes from spinning straight to parking. Defaults are Aeron's (10 spins, 20 yields,
/// 1 µs to 1 ms). The state sits on its own cache line so that a neighbour's writes cannot
/// slow the duty cycle down.
///
/// A park ends early when the runner is signalled to stop or woken.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{BackoffIdleStrategy, IdleStrategy};
///
/// let idle = BackoffIdleStrategy::new(10, 20, Duration::from_micros(1), Duration::from_millis(1))?;
/// assert_eq!(idle.max_spins(), 10);
/// assert_eq!(idle.alias(), "backoff");
///
/// let err = BackoffIdleStrategy::new(10, 20, Duration::from_millis(1), Duration::from_micros(1));
/// assert!(err.is_err());
/// # Ok::<(), dutycycle::IdleStrategyError>(())
/// ```
#[derive(Clone)]
pub struct BackoffIdleStrategy {
    inner: CachePadded<Backoff>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackoffState {
    NotIdle,
    Spinning,
    Yielding,
    Parking,
}

#[derive(Clone)]
struct Backoff {
    state: BackoffState,
    spins: u64,
    yields: u64,
    park_period: Duration,
    max_spins: u64,
    max_yields: u64,
    min_park_period: Duration,
    max_park_period: Duration,
}

impl BackoffIdleStrategy {
    /// Aeron's default number of spins: 10.
    pub const DEFAULT_MAX_SPINS: u64 = 10;
    /// Aeron's default number of yields: 20 (Agrona's Java default is 5).
    pub const DEFAULT_MAX_YIELDS: u64 = 20;
    /// Default first park period: 1 µs.
    pub const DEFAULT_MIN_PARK_PERIOD: Duration = Duration::from_micros(1);
    /// Default longest park period: 1 ms.
    pub const DEFAULT_MAX_PARK_PERIOD: Duration = Duration::from_millis(1);
    /// The park period of [`woken`](BackoffIdleStrategy::woken): 10 ms, first to last.
    pub const WOKEN_PARK_PERIOD: Duration = Duration::from_millis(10);

    /// The preset for an agent whose producers wake it through its
    /// [`AgentWaker`](crate::AgentWaker) (alias `backoff-woken`, `backoff:10,20,10ms,10ms`):
    /// Aeron's 10 spins and 20 yields, then parks of [`WOKEN_PARK_PERIOD`] from the first.
    ///
    /// Aeron's default ramp of parks from 1 µs to 1 ms is there to see work soon without
    /// being told: an agent that is woken when work comes needs none of it. Each short park
    /// is a timer wake-up (about 30 µs of CPU each on a virtual machine), and the ramp starts
    /// again after every message. In the recorded benchmark run (`docs/BENCHMARKS.md`, one
    /// message every 2 ms), Aeron's defaults, woken, took 4.43 % of a core and this preset
    /// 1.20 %, with a wake-up p50 of 1.01x a thread parked and unparked by hand (the
    /// operating system's futex wake-up; 0.98x at one message every 10 ms, at 0.41 % of a
    /// core). The price: work that comes without a wake-up waits up to one park, 10 ms.
    ///
    /// [`WOKEN_PARK_PERIOD`]: BackoffIdleStrategy::WOKEN_PARK_PERIOD
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{BackoffIdleStrategy, IdleStrategyConfig};
    ///
    /// let idle = BackoffIdleStrategy::woken();
    /// assert_eq!(idle.min_park_period(), Duration::from_millis(10));
    /// assert_eq!(idle.max_park_period(), Duration::from_millis(10));
    /// assert_eq!((idle.max_spins(), idle.max_yields()), (10, 20));
    /// assert_eq!(IdleStrategyConfig::backoff_woken(), "backoff-woken".parse()?);
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn woken() -> Self {
        Self::new(
            Self::DEFAULT_MAX_SPINS,
            Self::DEFAULT_MAX_YIELDS,
            Self::WOKEN_PARK_PERIOD,
            Self::WOKEN_PARK_PERIOD,
        )
        .expect("the preset is valid")
    }

    /// A backoff with the given limits. Park periods must be in `(0, MAX_PARK_PERIOD]` and
    /// `max_park_period >= min_park_period`.
    pub fn new(
        max_spins: u64,
        max_yields: u64,
        min_park_period: Duration,
        max_park_period: Duration,
    ) -> Result<Self, IdleStrategyError> {
        check_period("min park period", min_park_period)?;
        check_period("max park period", max_park_period)?;
        if max_park_period < min_park_period {
            return Err(IdleStrategyError::MaxParkBelowMinPark {
                min: min_park_period,
                max: max_park_period,
            });
        }
        Ok(BackoffIdleStrategy {
            inner: CachePadded::new(Backoff {
                state: BackoffState::NotIdle,
                spins: 0,
                yields: 0,
                park_period: min_park_period,
                max_spins,
                max_yields,
                min_park_period,
                max_park_period,
            }),
        })
    }

    /// The number of spins before yielding.
    pub fn max_spins(&self) -> u64 {
        self.inner.max_spins
    }

    /// The number of yields before parking.
    pub fn max_yields(&self) -> u64 {
        self.inner.max_yields
    }

    /// The first park period.
    pub fn min_park_period(&self) -> Duration {
        self.inner.min_park_period
    }

    /// The longest park period.
    pub fn max_park_period(&self) -> Duration {
        self.inner.max_park_period
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> BackoffState {
        self.inner.state
    }

    #[cfg(test)]
    pub(crate) fn park_period(&self) -> Duration {
        self.inner.park_period
    }

    /// One idle call with the OS calls replaced, for the model tests in `backoff_model_tests`.
    #[cfg(test)]
    pub(crate) fn step_with(
        &mut self,
        spin: impl FnOnce(),
        yield_now: impl FnOnce(),
        park: impl FnOnce(Duration),
    ) {
        self.inner.step(spin, yield_now, park);
    }
}

impl Default for BackoffIdleStrategy {
    fn default() -> Self {
        Self::new(
            Self::DEFAULT_MAX_SPINS,
            Self::DEFAULT_MAX_YIELDS,
            Self::DEFAULT_MIN_PARK_PERIOD,
            Self::DEFAULT_MAX_PARK_PERIOD,
        )
        .expect("the defaults are valid")
    }
}

impl Backoff {
    /// Agrona's `idle()`, with the OS calls passed in so that tests can drive it call by call.
    #[inline]
    fn step(&mut self, spin: impl FnOnce(), yield_now: impl FnOnce(), park: impl FnOnce(Duration)) {
        match self.state {
            BackoffState::NotIdle => {
                self.state = BackoffState::Spinning;
                self.spins += 1;
            }
            BackoffState::Spinning => {
                spin();
                self.spins += 1;
                if self.spins > self.max_spins {
                    self.state = BackoffState::Yielding;
                    self.yields = 0;
                }
            }
            BackoffState::Yielding => {
                self.yields += 1;
                if self.yields > self.max_yields {
                    self.state = BackoffState::Parking;
                    self.park_period = self.min_park_period;
                } else {
                    yield_now();
                }
            }
            BackoffState::Parking => {
                park(self.park_period);
                self.park_period = (self.park_period * 2).min(self.max_park_period);
            }
        }
    }
}

impl IdleStrategy for BackoffIdleStrategy {
    #[inline]
    fn idle_once(&mut self) {
        self.inner.step(std::hint::spin_loop, std::thread::yield_now, park_timeout);
    }

    #[inline]
    fn reset(&mut self) {
        let b = &mut *self.inner;
        b.spins = 0;
        b.yields = 0;
        b.park_period = b.min_park_period;
        b.state = BackoffState::NotIdle;
    }

    fn alias(&self) -> &'static str {
        "backoff"
    }
}

impl fmt::Debug for BackoffIdleStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackoffIdleStrategy")
            .field("max_spins", &self.inner.max_spins)
            .field("max_yields", &self.inner.max_yields)
            .field("min_park_period", &self.inner.min_park_period)
            .field("max_park_period", &self.inner.max_park_period)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Op {
        Nothing,
        Spin,
        Yield,
        Park(Duration),
    }

    fn step(b: &mut BackoffIdleStrategy) -> Op {
        let mut op = Op::Nothing;
        let cell = std::cell::RefCell::new(&mut op);
        b.inner.step(
            || **cell.borrow_mut() = Op::Spin,
            || **cell.borrow_mut() = Op::Yield,
            |d| **cell.borrow_mut() = Op::Park(d),
        );
        op
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn first_idle_call_only_transitions_then_spins_yields_and_parks_with_doubling() {
        let mut b = BackoffIdleStrategy::new(2, 2, us(1), us(5)).unwrap();
        assert_eq!(b.state(), BackoffState::NotIdle);
        assert_eq!(step(&mut b), Op::Nothing);
        assert_eq!(b.state(), BackoffState::Spinning);
        assert_eq!(step(&mut b), Op::Spin); // spins = 2, not > 2
        assert_eq!(b.state(), BackoffState::Spinning);
        assert_eq!(step(&mut b), Op::Spin); // spins = 3 > 2: to Yielding
        assert_eq!(b.state(), BackoffState::Yielding);
        assert_eq!(step(&mut b), Op::Yield);
        assert_eq!(step(&mut b), Op::Yield);
        assert_eq!(step(&mut b), Op::Nothing); // yields = 3 > 2: to Parking, no yield
        assert_eq!(b.state(), BackoffState::Parking);
        assert_eq!(step(&mut b), Op::Park(us(1)));
        assert_eq!(step(&mut b), Op::Park(us(2)));
        assert_eq!(step(&mut b), Op::Park(us(4)));
        assert_eq!(step(&mut b), Op::Park(us(5)));
        assert_eq!(step(&mut b), Op::Park(us(5)));
    }

    #[test]
    fn zero_limits_still_spin_once_but_do_not_yield_before_parking() {
        let mut b = BackoffIdleStrategy::new(0, 0, us(1), us(1)).unwrap();
        assert_eq!(step(&mut b), Op::Nothing);
        assert_eq!(step(&mut b), Op::Spin);
        assert_eq!(b.state(), BackoffState::Yielding);
        assert_eq!(step(&mut b), Op::Nothing);
        assert_eq!(b.state(), BackoffState::Parking);
        assert_eq!(step(&mut b), Op::Park(us(1)));
    }

    #[test]
    fn work_resets_to_not_idle_and_the_park_period_to_its_minimum() {
        let mut b = BackoffIdleStrategy::new(0, 0, us(1), us(8)).unwrap();
        for _ in 0..6 {
            step(&mut b);
        }
        assert_eq!(b.state(), BackoffState::Parking);
        assert!(b.park_period() > us(1));
        b.idle(1);
        assert_eq!(b.state(), BackoffState::NotIdle);
        assert_eq!(b.park_period(), us(1));
        assert_eq!(step(&mut b), Op::Nothing);
        assert_eq!(b.state(), BackoffState::Spinning);
    }

    #[test]
    fn defaults_are_aerons() {
        let b = BackoffIdleStrategy::default();
        assert_eq!((b.max_spins(), b.max_yields()), (10, 20));
        assert_eq!((b.min_park_period(), b.max_park_period()), (us(1), Duration::from_millis(1)));
        assert_eq!(
            format!("{b:?}"),
            "BackoffIdleStrategy { max_spins: 10, max_yields: 20, min_park_period: 1µs, max_park_period: 1ms }"
        );
    }

    #[test]
    fn nonsense_limits_are_rejected_with_typed_errors() {
        assert_eq!(
            BackoffIdleStrategy::new(1, 1, us(10), us(1)).unwrap_err(),
            IdleStrategyError::MaxParkBelowMinPark { min: us(10), max: us(1) }
        );
        assert_eq!(
            BackoffIdleStrategy::new(1, 1, Duration::ZERO, us(1)).unwrap_err(),
            IdleStrategyError::ZeroPeriod { what: "min park period" }
        );
        assert!(matches!(
            BackoffIdleStrategy::new(1, 1, us(1), Duration::from_secs(7200)).unwrap_err(),
            IdleStrategyError::PeriodTooLong { what: "max park period", .. }
        ));
    }

    #[test]
    fn state_is_padded_to_its_own_cache_line() {
        assert!(std::mem::align_of::<BackoffIdleStrategy>() >= 64);
        assert_eq!(
            std::mem::size_of::<BackoffIdleStrategy>() % std::mem::align_of::<BackoffIdleStrategy>(),
            0
        );
    }
}
