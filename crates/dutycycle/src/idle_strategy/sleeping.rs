use std::fmt;
use std::time::Duration;

use super::{check_period, park_timeout, IdleStrategy, IdleStrategyError};

/// Parks the thread for a fixed period when there is no work. Alias `sleep-ns` (Agrona's
/// `SleepingIdleStrategy`, default period 1 µs).
///
/// The park ends early when the runner is signalled to stop or woken. On Linux a park
/// overshoots by the thread's timer slack (50 µs by default): lower it with the runner's
/// timer-slack option when the period matters.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{IdleStrategy, SleepingIdleStrategy};
///
/// let mut idle = SleepingIdleStrategy::new(Duration::from_micros(50))?;
/// idle.idle(0);
/// assert_eq!(idle.period(), Duration::from_micros(50));
/// assert_eq!(idle.alias(), "sleep-ns");
/// assert!(SleepingIdleStrategy::new(Duration::ZERO).is_err());
/// # Ok::<(), dutycycle::IdleStrategyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SleepingIdleStrategy {
    period: Duration,
}

impl SleepingIdleStrategy {
    /// Agrona's default park period: 1 µs.
    pub const DEFAULT_PERIOD: Duration = Duration::from_micros(1);

    /// A strategy that parks for `period`, which must be in `(0, MAX_PARK_PERIOD]`.
    pub fn new(period: Duration) -> Result<Self, IdleStrategyError> {
        check_period("sleep period", period)?;
        Ok(SleepingIdleStrategy { period })
    }

    /// The park period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl Default for SleepingIdleStrategy {
    fn default() -> Self {
        SleepingIdleStrategy { period: Self::DEFAULT_PERIOD }
    }
}

impl IdleStrategy for SleepingIdleStrategy {
    #[inline]
    fn idle_once(&mut self) {
        park_timeout(self.period);
    }

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "sleep-ns"
    }
}

impl fmt::Debug for SleepingIdleStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SleepingIdleStrategy").field("period", &self.period).finish()
    }
}

/// Parks the thread for a whole number of milliseconds when there is no work. Alias
/// `sleep-ms` (Agrona's `SleepingMillisIdleStrategy`, default 1 ms): the cheapest idle agent,
/// the slowest to answer.
///
/// The park ends early when the runner is signalled to stop or woken.
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategy, SleepingMillisIdleStrategy};
///
/// let idle = SleepingMillisIdleStrategy::new(5)?;
/// assert_eq!(idle.period().as_millis(), 5);
/// assert_eq!(idle.alias(), "sleep-ms");
/// assert!(SleepingMillisIdleStrategy::new(0).is_err());
/// # Ok::<(), dutycycle::IdleStrategyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SleepingMillisIdleStrategy {
    period: Duration,
}

impl SleepingMillisIdleStrategy {
    /// Agrona's default: 1 ms.
    pub const DEFAULT_PERIOD: Duration = Duration::from_millis(1);

    /// A strategy that parks for `millis` milliseconds, in `1..=3_600_000`.
    pub fn new(millis: u64) -> Result<Self, IdleStrategyError> {
        let period = Duration::from_millis(millis);
        check_period("sleep period", period)?;
        Ok(SleepingMillisIdleStrategy { period })
    }

    /// The park period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl Default for SleepingMillisIdleStrategy {
    fn default() -> Self {
        SleepingMillisIdleStrategy { period: Self::DEFAULT_PERIOD }
    }
}

impl IdleStrategy for SleepingMillisIdleStrategy {
    #[inline]
    fn idle_once(&mut self) {
        park_timeout(self.period);
    }

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "sleep-ms"
    }
}

impl fmt::Debug for SleepingMillisIdleStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SleepingMillisIdleStrategy").field("period", &self.period).finish()
    }
}
