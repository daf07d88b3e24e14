use super::{
    BackoffIdleStrategy, BusySpinIdleStrategy, ControllableIdleStrategy, IdleControl, IdleStrategy,
    NoOpIdleStrategy, SleepingIdleStrategy, SleepingMillisIdleStrategy, YieldingIdleStrategy,
};

/// Any of the crate's idle strategies, chosen at run time (from an
/// [`IdleStrategyConfig`](crate::IdleStrategyConfig), say) without dynamic dispatch.
///
/// Each call is one `match` on the variant and a direct, inlinable call into the strategy: no
/// `dyn`, no allocation, and a branch that is always predicted right since the variant never
/// changes. Every strategy keeps its own layout (Backoff's state stays on its own cache line).
/// Give it to a runner like any other strategy.
///
/// # Examples
///
/// ```
/// use dutycycle::{AnyIdleStrategy, IdleStrategy, IdleStrategyConfig, YieldingIdleStrategy};
///
/// let mut idle: AnyIdleStrategy = "sleep-ns:50us".parse::<IdleStrategyConfig>()?.build();
/// idle.idle(0);
/// assert_eq!(idle.alias(), "sleep-ns");
/// assert!(matches!(idle, AnyIdleStrategy::Sleeping(_)));
///
/// let spin = AnyIdleStrategy::from(YieldingIdleStrategy);
/// assert_eq!(spin.alias(), "yield");
/// # Ok::<(), dutycycle::IdleStrategyParseError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyIdleStrategy {
    /// [`NoOpIdleStrategy`] (`noop`).
    NoOp(NoOpIdleStrategy),
    /// [`BusySpinIdleStrategy`] (`spin`).
    BusySpin(BusySpinIdleStrategy),
    /// [`YieldingIdleStrategy`] (`yield`).
    Yielding(YieldingIdleStrategy),
    /// [`SleepingIdleStrategy`] (`sleep-ns`).
    Sleeping(SleepingIdleStrategy),
    /// [`SleepingMillisIdleStrategy`] (`sleep-ms`).
    SleepingMillis(SleepingMillisIdleStrategy),
    /// [`BackoffIdleStrategy`] (`backoff`).
    Backoff(BackoffIdleStrategy),
    /// [`ControllableIdleStrategy`] (`controllable`).
    Controllable(ControllableIdleStrategy),
}

/// Forwards a call to whichever strategy `$self` holds.
macro_rules! each {
    ($self:expr, $s:ident => $call:expr) => {
        match $self {
            AnyIdleStrategy::NoOp($s) => $call,
            AnyIdleStrategy::BusySpin($s) => $call,
            AnyIdleStrategy::Yielding($s) => $call,
            AnyIdleStrategy::Sleeping($s) => $call,
            AnyIdleStrategy::SleepingMillis($s) => $call,
            AnyIdleStrategy::Backoff($s) => $call,
            AnyIdleStrategy::Controllable($s) => $call,
        }
    };
}

impl AnyIdleStrategy {
    /// The control handle of a [`ControllableIdleStrategy`], `None` for every other strategy.
    /// Take it before the strategy is moved into a runner.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{AnyIdleStrategy, IdleMode, IdleStrategyConfig};
    ///
    /// let idle = "controllable:spin".parse::<IdleStrategyConfig>()?.build();
    /// let control = idle.control().expect("a controllable strategy has a control");
    /// assert_eq!(control.mode(), IdleMode::BusySpin);
    /// control.set_mode(IdleMode::Park); // later, from any thread
    ///
    /// assert!(AnyIdleStrategy::default().control().is_none());
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn control(&self) -> Option<IdleControl> {
        match self {
            AnyIdleStrategy::Controllable(s) => Some(s.control()),
            _ => None,
        }
    }
}

impl Default for AnyIdleStrategy {
    /// [`BackoffIdleStrategy::default`], the runners' default.
    fn default() -> Self {
        AnyIdleStrategy::Backoff(BackoffIdleStrategy::default())
    }
}

impl IdleStrategy for AnyIdleStrategy {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        each!(self, s => s.idle(work_count))
    }

    #[inline]
    fn idle_once(&mut self) {
        each!(self, s => s.idle_once())
    }

    #[inline]
    fn reset(&mut self) {
        each!(self, s => s.reset())
    }

    fn alias(&self) -> &'static str {
        each!(self, s => s.alias())
    }

    #[inline]
    fn parks(&self) -> bool {
        each!(self, s => s.parks())
    }
}

macro_rules! from_strategy {
    ($($variant:ident($strategy:ty)),* $(,)?) => {$(
        impl From<$strategy> for AnyIdleStrategy {
            fn from(strategy: $strategy) -> Self {
                AnyIdleStrategy::$variant(strategy)
            }
        }
    )*};
}

from_strategy!(
    NoOp(NoOpIdleStrategy),
    BusySpin(BusySpinIdleStrategy),
    Yielding(YieldingIdleStrategy),
    Sleeping(SleepingIdleStrategy),
    SleepingMillis(SleepingMillisIdleStrategy),
    Backoff(BackoffIdleStrategy),
    Controllable(ControllableIdleStrategy),
);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::IdleMode;

    #[test]
    fn forwards_alias_and_parks_to_the_strategy_it_holds() {
        let cases: [(AnyIdleStrategy, &str, bool); 7] = [
            (NoOpIdleStrategy.into(), "noop", false),
            (BusySpinIdleStrategy.into(), "spin", false),
            (YieldingIdleStrategy.into(), "yield", false),
            (SleepingIdleStrategy::default().into(), "sleep-ns", true),
            (SleepingMillisIdleStrategy::default().into(), "sleep-ms", true),
            (BackoffIdleStrategy::default().into(), "backoff", true),
            (ControllableIdleStrategy::new(IdleMode::NoOp).into(), "controllable", true),
        ];
        for (mut idle, alias, parks) in cases {
            assert_eq!(idle.alias(), alias);
            assert_eq!(idle.parks(), parks, "{alias}");
            assert_eq!(idle.control().is_some(), alias == "controllable");
            if !matches!(idle, AnyIdleStrategy::SleepingMillis(_)) {
                idle.idle(0); // at most a few µs
            }
            idle.idle(1);
            idle.reset();
        }
    }

    #[test]
    fn backoff_state_moves_through_the_wrapper() {
        let mut idle = AnyIdleStrategy::from(
            BackoffIdleStrategy::new(
                1,
                1,
                std::time::Duration::from_nanos(1),
                std::time::Duration::from_nanos(1),
            )
            .unwrap(),
        );
        for _ in 0..4 {
            idle.idle(0);
        }
        let AnyIdleStrategy::Backoff(b) = &idle else { panic!("not a backoff") };
        assert_eq!(b.state(), super::super::backoff::BackoffState::Parking);
        idle.idle(1);
        let AnyIdleStrategy::Backoff(b) = &idle else { panic!("not a backoff") };
        assert_eq!(b.state(), super::super::backoff::BackoffState::NotIdle);
    }

    #[test]
    fn the_control_drives_the_wrapped_strategy() {
        let idle = AnyIdleStrategy::from(ControllableIdleStrategy::new(IdleMode::Yield));
        idle.control().unwrap().set_mode(IdleMode::BusySpin);
        let AnyIdleStrategy::Controllable(c) = &idle else { panic!("not controllable") };
        assert_eq!(c.mode(), IdleMode::BusySpin);
        assert!(format!("{idle:?}").contains("BusySpin"));
    }
}
