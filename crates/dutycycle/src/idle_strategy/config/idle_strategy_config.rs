use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::arguments::DurationArg;
use super::parser;
use super::IdleStrategyParseError;
use crate::idle_strategy::{
    AnyIdleStrategy, BackoffIdleStrategy, BusySpinIdleStrategy, ControllableIdleStrategy, IdleMode,
    IdleStrategy, IdleStrategyError, NoOpIdleStrategy, SleepingIdleStrategy, SleepingMillisIdleStrategy,
    YieldingIdleStrategy,
};

/// An idle strategy by name, as Aeron and Agrona configure them: parse it from a string, print
/// it back, [`build`](IdleStrategyConfig::build) the strategy.
///
/// # Syntax
///
/// `name` or `name:arg,arg,...` (whitespace around the whole, the name and each argument is
/// ignored). Names are case-sensitive, as in Aeron; each strategy has Aeron's alias, Aeron C's
/// symbol name and Agrona's class name (with or without the `org.agrona.concurrent.` package):
///
/// | alias | also | arguments | default |
/// |---|---|---|---|
/// | `spin` | `aeron_idle_strategy_busy_spinning`, `BusySpinIdleStrategy` | none | |
/// | `noop` | `aeron_idle_strategy_noop`, `NoOpIdleStrategy` | none | |
/// | `yield` | `aeron_idle_strategy_yielding`, `YieldingIdleStrategy` | none | |
/// | `sleep-ns` | `sleeping`, `aeron_idle_strategy_sleeping`, `SleepingIdleStrategy` | `period` | 1 µs |
/// | `sleep-ms` | `SleepingMillisIdleStrategy` | `period` | 1 ms |
/// | `backoff` | `aeron_idle_strategy_backoff`, `BackoffIdleStrategy` | `max spins,max yields,min park,max park` | `10,20,1us,1ms` |
/// | `backoff-woken` | (this crate's preset: [`BackoffIdleStrategy::woken`]) | as `backoff` | `10,20,10ms,10ms` |
/// | `controllable` | `ControllableIdleStrategy` | `noop`, `spin`, `yield`, `park` or an Agrona status `0`..=`4` | `park` |
///
/// Durations are a whole number with a unit: `ns`, `us` (or `µs`), `ms` or `s`, as Aeron C's
/// `aeron_parse_duration_ns` reads them; units are ASCII case-insensitive. A bare number is in
/// nanoseconds, as in Aeron C (so `sleep-ns:500` is 500 ns), except for `sleep-ms`, where it is
/// in milliseconds, like the argument of Agrona's `SleepingMillisIdleStrategy(long)`.
/// Fractions (`1.5ms`), signs and periods outside `(0, 1h]` are refused. Backoff's arguments
/// may also be separated by `-`, the form of Aeron C's `AERON_*_IDLE_STRATEGY_INIT_ARGS`
/// (`backoff:10-20-1us-1ms`).
///
/// Differences from Aeron, on purpose: Aeron C's `sleep-ns` without arguments sleeps 1 ns; here
/// it is Agrona's 1 µs. Aeron C matches aliases by prefix (`spinning` is `spin`); here names must
/// match exactly, and a near miss comes back as an error with a suggestion.
///
/// [`Display`](fmt::Display) prints the shortest form that parses back to an equal value: the
/// alias alone for the defaults, `backoff-woken` for that preset, otherwise the arguments with
/// the largest unit that keeps the value exact (`backoff:10,20,1us,1ms`).
///
/// A value is always valid: the constructors check their arguments as the strategies do, so
/// [`build`](IdleStrategyConfig::build) cannot fail.
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategy, IdleStrategyConfig};
///
/// let config: IdleStrategyConfig = "aeron_idle_strategy_backoff:10,20,1us,1ms".parse()?;
/// assert_eq!(config.to_string(), "backoff");
/// assert_eq!(config, "org.agrona.concurrent.BackoffIdleStrategy".parse()?);
///
/// let config: IdleStrategyConfig = "sleep-ns:500us".parse()?;
/// assert_eq!(config.to_string().parse::<IdleStrategyConfig>()?, config);
/// let mut idle = config.build();
/// idle.idle(0);
/// assert_eq!(idle.alias(), "sleep-ns");
///
/// let err = "backof".parse::<IdleStrategyConfig>().unwrap_err();
/// assert_eq!(err.to_string(), r#"unknown idle strategy "backof", did you mean "backoff"?"#);
/// # Ok::<(), dutycycle::IdleStrategyParseError>(())
/// ```
#[derive(Clone)]
pub struct IdleStrategyConfig {
    /// The strategy as configured. It never runs, and for `controllable` its control is never
    /// handed out, so it stays as configured: `build` hands out copies.
    strategy: AnyIdleStrategy,
}

impl IdleStrategyConfig {
    /// `noop`: [`NoOpIdleStrategy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// assert_eq!(IdleStrategyConfig::no_op().to_string(), "noop");
    /// ```
    pub const fn no_op() -> IdleStrategyConfig {
        IdleStrategyConfig { strategy: AnyIdleStrategy::NoOp(NoOpIdleStrategy) }
    }

    /// `spin`: [`BusySpinIdleStrategy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// assert_eq!(IdleStrategyConfig::busy_spin().to_string(), "spin");
    /// ```
    pub const fn busy_spin() -> IdleStrategyConfig {
        IdleStrategyConfig { strategy: AnyIdleStrategy::BusySpin(BusySpinIdleStrategy) }
    }

    /// `yield`: [`YieldingIdleStrategy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// assert_eq!(IdleStrategyConfig::yielding().to_string(), "yield");
    /// ```
    pub const fn yielding() -> IdleStrategyConfig {
        IdleStrategyConfig { strategy: AnyIdleStrategy::Yielding(YieldingIdleStrategy) }
    }

    /// `sleep-ns:<period>`: [`SleepingIdleStrategy::new`], with its checks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::IdleStrategyConfig;
    /// let config = IdleStrategyConfig::sleeping(Duration::from_micros(500))?;
    /// assert_eq!(config.to_string(), "sleep-ns:500us");
    /// assert!(IdleStrategyConfig::sleeping(Duration::ZERO).is_err());
    /// # Ok::<(), dutycycle::IdleStrategyError>(())
    /// ```
    pub fn sleeping(period: Duration) -> Result<IdleStrategyConfig, IdleStrategyError> {
        Ok(IdleStrategyConfig { strategy: SleepingIdleStrategy::new(period)?.into() })
    }

    /// `sleep-ms:<millis>`: [`SleepingMillisIdleStrategy::new`], with its checks.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// assert_eq!(IdleStrategyConfig::sleeping_millis(5)?.to_string(), "sleep-ms:5ms");
    /// assert_eq!(IdleStrategyConfig::sleeping_millis(1)?.to_string(), "sleep-ms");
    /// # Ok::<(), dutycycle::IdleStrategyError>(())
    /// ```
    pub fn sleeping_millis(millis: u64) -> Result<IdleStrategyConfig, IdleStrategyError> {
        Ok(IdleStrategyConfig { strategy: SleepingMillisIdleStrategy::new(millis)?.into() })
    }

    /// `backoff:<max spins>,<max yields>,<min park>,<max park>`: [`BackoffIdleStrategy::new`],
    /// with its checks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::IdleStrategyConfig;
    /// let config = IdleStrategyConfig::backoff(100, 10, Duration::from_micros(10), Duration::from_millis(2))?;
    /// assert_eq!(config.to_string(), "backoff:100,10,10us,2ms");
    /// # Ok::<(), dutycycle::IdleStrategyError>(())
    /// ```
    pub fn backoff(
        max_spins: u64,
        max_yields: u64,
        min_park_period: Duration,
        max_park_period: Duration,
    ) -> Result<IdleStrategyConfig, IdleStrategyError> {
        let backoff = BackoffIdleStrategy::new(max_spins, max_yields, min_park_period, max_park_period)?;
        Ok(IdleStrategyConfig { strategy: backoff.into() })
    }

    /// `backoff-woken`: [`BackoffIdleStrategy::woken`], the preset for agents their producers
    /// wake (`backoff:10,20,10ms,10ms`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// let config = IdleStrategyConfig::backoff_woken();
    /// assert_eq!(config.to_string(), "backoff-woken");
    /// assert_eq!(config, "backoff:10,20,10ms,10ms".parse()?);
    /// assert_eq!(config.alias(), "backoff");
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn backoff_woken() -> IdleStrategyConfig {
        IdleStrategyConfig { strategy: BackoffIdleStrategy::woken().into() }
    }

    /// `controllable:<mode>`: a [`ControllableIdleStrategy`] starting in `mode`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{IdleMode, IdleStrategyConfig};
    /// assert_eq!(IdleStrategyConfig::controllable(IdleMode::Yield).to_string(), "controllable:yield");
    /// assert_eq!(IdleStrategyConfig::controllable(IdleMode::Park).to_string(), "controllable");
    /// ```
    pub fn controllable(mode: IdleMode) -> IdleStrategyConfig {
        IdleStrategyConfig { strategy: ControllableIdleStrategy::new(mode).into() }
    }

    /// The alias of the strategy this builds (`spin`, `noop`, `yield`, `sleep-ns`, `sleep-ms`,
    /// `backoff`, `controllable`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// let config: IdleStrategyConfig = "org.agrona.concurrent.YieldingIdleStrategy".parse()?;
    /// assert_eq!(config.alias(), "yield");
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn alias(&self) -> &'static str {
        self.strategy.alias()
    }

    /// A new strategy as configured. Each call builds a fresh one; for `controllable`, each
    /// has its own new control: take it with [`AnyIdleStrategy::control`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{AgentRunner, IdleMode, IdleStrategy, IdleStrategyConfig};
    ///
    /// let idle = "controllable:yield".parse::<IdleStrategyConfig>()?.build();
    /// let control = idle.control().unwrap();
    /// assert_eq!(control.mode(), IdleMode::Yield);
    /// let builder = AgentRunner::builder().idle_strategy(idle); // then `.start(factory)`
    /// # drop(builder);
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn build(&self) -> AnyIdleStrategy {
        match &self.strategy {
            // A clone would share the configured strategy's control.
            AnyIdleStrategy::Controllable(configured) => {
                ControllableIdleStrategy::new(configured.mode()).into()
            }
            strategy => strategy.clone(),
        }
    }
}

impl Default for IdleStrategyConfig {
    /// `backoff` with Aeron's defaults, as a runner uses by default.
    fn default() -> Self {
        IdleStrategyConfig { strategy: AnyIdleStrategy::default() }
    }
}

impl fmt::Debug for IdleStrategyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdleStrategyConfig").field(&self.strategy).finish()
    }
}

impl PartialEq for IdleStrategyConfig {
    /// Equal configurations build strategies that behave the same: same strategy, same
    /// arguments.
    fn eq(&self, other: &Self) -> bool {
        match (&self.strategy, &other.strategy) {
            (AnyIdleStrategy::NoOp(a), AnyIdleStrategy::NoOp(b)) => a == b,
            (AnyIdleStrategy::BusySpin(a), AnyIdleStrategy::BusySpin(b)) => a == b,
            (AnyIdleStrategy::Yielding(a), AnyIdleStrategy::Yielding(b)) => a == b,
            (AnyIdleStrategy::Sleeping(a), AnyIdleStrategy::Sleeping(b)) => a == b,
            (AnyIdleStrategy::SleepingMillis(a), AnyIdleStrategy::SleepingMillis(b)) => a == b,
            (AnyIdleStrategy::Backoff(a), AnyIdleStrategy::Backoff(b)) => {
                backoff_limits(a) == backoff_limits(b)
            }
            (AnyIdleStrategy::Controllable(a), AnyIdleStrategy::Controllable(b)) => a.mode() == b.mode(),
            _ => false,
        }
    }
}

impl Eq for IdleStrategyConfig {}

impl fmt::Display for IdleStrategyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let AnyIdleStrategy::Backoff(b) = &self.strategy {
            if backoff_limits(b) == backoff_limits(&BackoffIdleStrategy::woken()) {
                return f.write_str("backoff-woken");
            }
        }
        f.write_str(self.alias())?;
        match &self.strategy {
            AnyIdleStrategy::Sleeping(s) if s.period() != SleepingIdleStrategy::DEFAULT_PERIOD => {
                write!(f, ":{}", DurationArg(s.period()))
            }
            AnyIdleStrategy::SleepingMillis(s)
                if s.period() != SleepingMillisIdleStrategy::DEFAULT_PERIOD =>
            {
                write!(f, ":{}", DurationArg(s.period()))
            }
            AnyIdleStrategy::Backoff(b)
                if backoff_limits(b) != backoff_limits(&BackoffIdleStrategy::default()) =>
            {
                write!(
                    f,
                    ":{},{},{},{}",
                    b.max_spins(),
                    b.max_yields(),
                    DurationArg(b.min_park_period()),
                    DurationArg(b.max_park_period())
                )
            }
            AnyIdleStrategy::Controllable(c) if c.mode() != IdleMode::default() => {
                write!(f, ":{}", c.mode().as_str())
            }
            // Strategies without arguments, and the default arguments, print as the alias alone.
            _ => Ok(()),
        }
    }
}

/// What configures a backoff strategy: its limits, not its state.
fn backoff_limits(b: &BackoffIdleStrategy) -> (u64, u64, Duration, Duration) {
    (b.max_spins(), b.max_yields(), b.min_park_period(), b.max_park_period())
}

impl FromStr for IdleStrategyConfig {
    type Err = IdleStrategyParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Ok(IdleStrategyConfig { strategy: parser::parse(input)? })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::idle_strategy::config::test_support::{ms, parse, us};

    #[test]
    fn aerons_aliases_parse_to_the_default_strategies() {
        let cases = [
            ("spin", IdleStrategyConfig::busy_spin()),
            ("noop", IdleStrategyConfig::no_op()),
            ("yield", IdleStrategyConfig::yielding()),
            ("sleep-ns", IdleStrategyConfig::sleeping(us(1)).unwrap()),
            ("sleep-ms", IdleStrategyConfig::sleeping_millis(1).unwrap()),
            ("backoff", IdleStrategyConfig::backoff(10, 20, us(1), ms(1)).unwrap()),
            ("controllable", IdleStrategyConfig::controllable(IdleMode::Park)),
        ];
        for (input, expected) in cases {
            let config = parse(input).unwrap();
            assert_eq!(config, expected, "{input}");
            assert_eq!(config.alias(), input);
            assert_eq!(config.build().alias(), input);
            assert_eq!(config.to_string(), input);
        }
        assert_eq!(IdleStrategyConfig::default(), parse("backoff").unwrap());
    }

    #[test]
    fn display_parses_back_to_the_same_value() {
        let configs = [
            IdleStrategyConfig::no_op(),
            IdleStrategyConfig::busy_spin(),
            IdleStrategyConfig::yielding(),
            IdleStrategyConfig::sleeping(Duration::from_nanos(1)).unwrap(),
            IdleStrategyConfig::sleeping(Duration::from_nanos(1_500)).unwrap(),
            IdleStrategyConfig::sleeping(us(1)).unwrap(),
            IdleStrategyConfig::sleeping(ms(1500)).unwrap(),
            IdleStrategyConfig::sleeping(Duration::from_secs(3600)).unwrap(),
            IdleStrategyConfig::sleeping_millis(1).unwrap(),
            IdleStrategyConfig::sleeping_millis(1000).unwrap(),
            IdleStrategyConfig::sleeping_millis(3_600_000).unwrap(),
            IdleStrategyConfig::backoff(0, 0, Duration::from_nanos(1), Duration::from_nanos(1)).unwrap(),
            IdleStrategyConfig::backoff(u64::MAX, u64::MAX, us(1), Duration::from_secs(3600)).unwrap(),
            IdleStrategyConfig::default(),
            IdleStrategyConfig::controllable(IdleMode::NoOp),
            IdleStrategyConfig::controllable(IdleMode::BusySpin),
            IdleStrategyConfig::controllable(IdleMode::Yield),
            IdleStrategyConfig::controllable(IdleMode::Park),
        ];
        for config in configs {
            let printed = config.to_string();
            assert_eq!(parse(&printed).as_ref(), Ok(&config), "{printed}");
            assert_eq!(parse(&printed).unwrap().to_string(), printed);
        }
        assert_eq!(IdleStrategyConfig::sleeping(ms(1500)).unwrap().to_string(), "sleep-ns:1500ms");
        assert_eq!(
            IdleStrategyConfig::sleeping(Duration::from_nanos(1_500)).unwrap().to_string(),
            "sleep-ns:1500ns"
        );
        assert_eq!(IdleStrategyConfig::sleeping_millis(1000).unwrap().to_string(), "sleep-ms:1s");
    }

    #[test]
    fn build_makes_the_configured_strategy_and_a_fresh_control_each_time() {
        let AnyIdleStrategy::Backoff(b) = parse("backoff:1,2,3us,4ms").unwrap().build() else { panic!() };
        assert_eq!(
            (b.max_spins(), b.max_yields(), b.min_park_period(), b.max_park_period()),
            (1, 2, us(3), ms(4))
        );
        let AnyIdleStrategy::Sleeping(s) = parse("sleep-ns:7us").unwrap().build() else { panic!() };
        assert_eq!(s.period(), us(7));
        let AnyIdleStrategy::SleepingMillis(s) = parse("sleep-ms:7").unwrap().build() else { panic!() };
        assert_eq!(s.period(), ms(7));
        let config = parse("controllable:yield").unwrap();
        let (a, b) = (config.build(), config.build());
        let (ca, cb) = (a.control().unwrap(), b.control().unwrap());
        ca.set_mode(IdleMode::NoOp);
        assert_eq!((ca.mode(), cb.mode()), (IdleMode::NoOp, IdleMode::Yield));
        assert!(parse("spin").unwrap().build().control().is_none());
        assert!(!parse("spin").unwrap().build().parks());
    }

    #[test]
    fn debug_shows_the_configuration() {
        assert_eq!(
            format!("{:?}", IdleStrategyConfig::busy_spin()),
            "IdleStrategyConfig(BusySpin(BusySpinIdleStrategy))"
        );
        assert_eq!(
            format!("{:?}", parse("sleep-ns:5us").unwrap()),
            "IdleStrategyConfig(Sleeping(SleepingIdleStrategy { period: 5µs }))"
        );
    }
}
