use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::{
    AnyIdleStrategy, BackoffIdleStrategy, BusySpinIdleStrategy, ControllableIdleStrategy, IdleMode,
    IdleStrategyError, NoOpIdleStrategy, SleepingIdleStrategy, SleepingMillisIdleStrategy,
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
/// alias alone for the defaults, otherwise the arguments with the largest unit that keeps the
/// value exact (`backoff:10,20,1us,1ms`).
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
#[derive(Clone, PartialEq, Eq)]
pub struct IdleStrategyConfig {
    spec: Spec,
}

/// The strategies of a config, already built and so already checked; `build` clones them.
#[derive(Clone, Debug)]
enum Spec {
    NoOp,
    BusySpin,
    Yielding,
    Sleeping(SleepingIdleStrategy),
    SleepingMillis(SleepingMillisIdleStrategy),
    Backoff(BackoffIdleStrategy),
    Controllable(IdleMode),
}

impl PartialEq for Spec {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Spec::NoOp, Spec::NoOp)
            | (Spec::BusySpin, Spec::BusySpin)
            | (Spec::Yielding, Spec::Yielding) => true,
            (Spec::Sleeping(a), Spec::Sleeping(b)) => a == b,
            (Spec::SleepingMillis(a), Spec::SleepingMillis(b)) => a == b,
            (Spec::Backoff(a), Spec::Backoff(b)) => backoff_limits(a) == backoff_limits(b),
            (Spec::Controllable(a), Spec::Controllable(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Spec {}

fn backoff_limits(b: &BackoffIdleStrategy) -> (u64, u64, Duration, Duration) {
    (b.max_spins(), b.max_yields(), b.min_park_period(), b.max_park_period())
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
        IdleStrategyConfig { spec: Spec::NoOp }
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
        IdleStrategyConfig { spec: Spec::BusySpin }
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
        IdleStrategyConfig { spec: Spec::Yielding }
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
        Ok(IdleStrategyConfig { spec: Spec::Sleeping(SleepingIdleStrategy::new(period)?) })
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
        Ok(IdleStrategyConfig { spec: Spec::SleepingMillis(SleepingMillisIdleStrategy::new(millis)?) })
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
        Ok(IdleStrategyConfig { spec: Spec::Backoff(backoff) })
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
    pub const fn controllable(mode: IdleMode) -> IdleStrategyConfig {
        IdleStrategyConfig { spec: Spec::Controllable(mode) }
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
        match self.spec {
            Spec::NoOp => Kind::NoOp.alias(),
            Spec::BusySpin => Kind::BusySpin.alias(),
            Spec::Yielding => Kind::Yielding.alias(),
            Spec::Sleeping(_) => Kind::Sleeping.alias(),
            Spec::SleepingMillis(_) => Kind::SleepingMillis.alias(),
            Spec::Backoff(_) => Kind::Backoff.alias(),
            Spec::Controllable(_) => Kind::Controllable.alias(),
        }
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
        match &self.spec {
            Spec::NoOp => AnyIdleStrategy::NoOp(NoOpIdleStrategy),
            Spec::BusySpin => AnyIdleStrategy::BusySpin(BusySpinIdleStrategy),
            Spec::Yielding => AnyIdleStrategy::Yielding(YieldingIdleStrategy),
            Spec::Sleeping(s) => AnyIdleStrategy::Sleeping(s.clone()),
            Spec::SleepingMillis(s) => AnyIdleStrategy::SleepingMillis(s.clone()),
            Spec::Backoff(b) => AnyIdleStrategy::Backoff(b.clone()),
            Spec::Controllable(mode) => AnyIdleStrategy::Controllable(ControllableIdleStrategy::new(*mode)),
        }
    }
}

impl Default for IdleStrategyConfig {
    /// `backoff` with Aeron's defaults, as a runner uses by default.
    fn default() -> Self {
        IdleStrategyConfig { spec: Spec::Backoff(BackoffIdleStrategy::default()) }
    }
}

impl fmt::Debug for IdleStrategyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdleStrategyConfig").field(&self.spec).finish()
    }
}

impl fmt::Display for IdleStrategyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alias = self.alias();
        match &self.spec {
            Spec::NoOp | Spec::BusySpin | Spec::Yielding => f.write_str(alias),
            Spec::Sleeping(s) if s.period() == SleepingIdleStrategy::DEFAULT_PERIOD => f.write_str(alias),
            Spec::Sleeping(s) => write!(f, "{alias}:{}", DurationArg(s.period())),
            Spec::SleepingMillis(s) if s.period() == SleepingMillisIdleStrategy::DEFAULT_PERIOD => {
                f.write_str(alias)
            }
            Spec::SleepingMillis(s) => write!(f, "{alias}:{}", DurationArg(s.period())),
            Spec::Backoff(b) if backoff_limits(b) == backoff_limits(&BackoffIdleStrategy::default()) => {
                f.write_str(alias)
            }
            Spec::Backoff(b) => write!(
                f,
                "{alias}:{},{},{},{}",
                b.max_spins(),
                b.max_yields(),
                DurationArg(b.min_park_period()),
                DurationArg(b.max_park_period())
            ),
            Spec::Controllable(IdleMode::Park) => f.write_str(alias),
            Spec::Controllable(mode) => write!(f, "{alias}:{}", mode.as_str()),
        }
    }
}

/// A duration as the parser reads it: a whole number in the largest unit that keeps it exact.
struct DurationArg(Duration);

impl fmt::Display for DurationArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        for (unit, per) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
            if ns % per == 0 {
                return write!(f, "{}{unit}", ns / per);
            }
        }
        write!(f, "{ns}ns")
    }
}

/// Why an [`IdleStrategyConfig`] could not be parsed. Each variant carries the part of the
/// input at fault, and its message quotes it.
///
/// # Examples
///
/// ```
/// use dutycycle::{BadValue, IdleStrategyConfig, IdleStrategyParseError};
///
/// let err = "sleep-ns:1parsec".parse::<IdleStrategyConfig>().unwrap_err();
/// assert!(matches!(
///     &err,
///     IdleStrategyParseError::BadDuration { value, reason: BadValue::UnknownUnit { unit }, .. }
///         if value == "1parsec" && unit == "parsec"
/// ));
/// assert_eq!(
///     err.to_string(),
///     r#"bad sleep period "1parsec" for sleep-ns: unknown unit "parsec" (expected ns, us, µs, ms or s)"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdleStrategyParseError {
    /// No strategy name: the input is blank, or starts with `:`.
    #[error("no idle strategy given: expected {KNOWN}")]
    Empty,
    /// A name that is none of the known aliases, Aeron C names or Agrona class names.
    #[error("unknown idle strategy {name:?}{}", Hint(*.suggestion))]
    UnknownName {
        /// The name given.
        name: String,
        /// The known name closest to it (a typo or a case away), if any.
        suggestion: Option<&'static str>,
    },
    /// Too many or too few arguments for the strategy.
    #[error("wrong number of arguments for {strategy}: {found} in {args:?}, expected {usage}")]
    WrongArgCount {
        /// The strategy's alias.
        strategy: &'static str,
        /// How many arguments were given.
        found: usize,
        /// The arguments as given (the part after `:`).
        args: String,
        /// The forms the strategy accepts.
        usage: &'static str,
    },
    /// A duration argument that could not be read.
    #[error("bad {what} {value:?} for {strategy}: {reason}")]
    BadDuration {
        /// The strategy's alias.
        strategy: &'static str,
        /// Which argument: "sleep period", "min park period", ...
        what: &'static str,
        /// The argument as given.
        value: String,
        /// What is wrong with it.
        reason: BadValue,
    },
    /// A count argument (Backoff's spins or yields) that could not be read.
    #[error("bad {what} {value:?} for {strategy}: {reason}")]
    BadCount {
        /// The strategy's alias.
        strategy: &'static str,
        /// Which argument: "max spins" or "max yields".
        what: &'static str,
        /// The argument as given.
        value: String,
        /// What is wrong with it.
        reason: BadValue,
    },
    /// A `controllable` mode that is none of `noop`, `spin`, `yield`, `park` or `0`..=`4`.
    #[error(
        "bad mode {value:?} for controllable: expected noop, spin, yield, park or an Agrona status 0 to 4"
    )]
    BadMode {
        /// The argument as given.
        value: String,
    },
    /// Arguments that each read well but make no strategy: a zero or over-long period, a max
    /// park period below the min.
    #[error("invalid {strategy} arguments {args:?}: {error}")]
    Invalid {
        /// The strategy's alias.
        strategy: &'static str,
        /// The arguments as given (the part after `:`).
        args: String,
        /// What the strategy refused.
        error: IdleStrategyError,
    },
}

/// What is wrong with one number or duration in an idle strategy configuration.
///
/// # Examples
///
/// ```
/// use dutycycle::{BadValue, IdleStrategyConfig, IdleStrategyParseError};
///
/// let err = "sleep-ns:-5us".parse::<IdleStrategyConfig>().unwrap_err();
/// assert!(matches!(err, IdleStrategyParseError::BadDuration { reason: BadValue::Negative, .. }));
/// assert!(err.to_string().contains(r#""-5us""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadValue {
    /// Nothing there (`backoff:10,,1us,1ms`).
    #[error("the value is missing")]
    Missing,
    /// A minus sign.
    #[error("negative values are not allowed")]
    Negative,
    /// Not a whole number (or, for a duration, no number before the unit).
    #[error("not a whole number")]
    NotANumber,
    /// A decimal point: not supported, as in Aeron.
    #[error("fractions are not supported: use a smaller unit (1500us, not 1.5ms)")]
    Fraction,
    /// More than `u64::MAX`.
    #[error("the number is too large")]
    TooLarge,
    /// A unit other than `ns`, `us`, `µs`, `ms` or `s`.
    #[error("unknown unit {unit:?} (expected ns, us, µs, ms or s)")]
    UnknownUnit {
        /// The unit given.
        unit: String,
    },
    /// For `sleep-ms`, a duration that is not a whole number of milliseconds.
    #[error("not a whole number of milliseconds")]
    NotWholeMillis,
}

const KNOWN: &str = "spin, noop, yield, sleep-ns, sleep-ms, backoff or controllable \
    (or Aeron C's aeron_idle_strategy_* or Agrona's org.agrona.concurrent.*IdleStrategy names)";

/// The tail of an unknown-name message: a suggestion, or the list of known names.
struct Hint(Option<&'static str>);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, ", did you mean {name:?}?"),
            None => write!(f, ": expected {KNOWN}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    NoOp,
    BusySpin,
    Yielding,
    Sleeping,
    SleepingMillis,
    Backoff,
    Controllable,
}

impl Kind {
    fn alias(self) -> &'static str {
        match self {
            Kind::NoOp => "noop",
            Kind::BusySpin => "spin",
            Kind::Yielding => "yield",
            Kind::Sleeping => "sleep-ns",
            Kind::SleepingMillis => "sleep-ms",
            Kind::Backoff => "backoff",
            Kind::Controllable => "controllable",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Kind::NoOp => "noop, without arguments",
            Kind::BusySpin => "spin, without arguments",
            Kind::Yielding => "yield, without arguments",
            Kind::Sleeping => "sleep-ns or sleep-ns:<period>",
            Kind::SleepingMillis => "sleep-ms or sleep-ms:<period>",
            Kind::Backoff => {
                "backoff or backoff:<max spins>,<max yields>,<min park period>,<max park period>"
            }
            Kind::Controllable => "controllable or controllable:<noop|spin|yield|park>",
        }
    }
}

/// Every name the parser accepts, aliases first (suggestions prefer the earliest).
const NAMES: &[(&str, Kind)] = &[
    ("spin", Kind::BusySpin),
    ("noop", Kind::NoOp),
    ("yield", Kind::Yielding),
    ("sleep-ns", Kind::Sleeping),
    ("sleep-ms", Kind::SleepingMillis),
    ("backoff", Kind::Backoff),
    ("controllable", Kind::Controllable),
    ("sleeping", Kind::Sleeping),
    ("aeron_idle_strategy_busy_spinning", Kind::BusySpin),
    ("aeron_idle_strategy_noop", Kind::NoOp),
    ("aeron_idle_strategy_yielding", Kind::Yielding),
    ("aeron_idle_strategy_sleeping", Kind::Sleeping),
    ("aeron_idle_strategy_backoff", Kind::Backoff),
    ("org.agrona.concurrent.BusySpinIdleStrategy", Kind::BusySpin),
    ("org.agrona.concurrent.NoOpIdleStrategy", Kind::NoOp),
    ("org.agrona.concurrent.YieldingIdleStrategy", Kind::Yielding),
    ("org.agrona.concurrent.SleepingIdleStrategy", Kind::Sleeping),
    ("org.agrona.concurrent.SleepingMillisIdleStrategy", Kind::SleepingMillis),
    ("org.agrona.concurrent.BackoffIdleStrategy", Kind::Backoff),
    ("org.agrona.concurrent.ControllableIdleStrategy", Kind::Controllable),
    ("BusySpinIdleStrategy", Kind::BusySpin),
    ("NoOpIdleStrategy", Kind::NoOp),
    ("YieldingIdleStrategy", Kind::Yielding),
    ("SleepingIdleStrategy", Kind::Sleeping),
    ("SleepingMillisIdleStrategy", Kind::SleepingMillis),
    ("BackoffIdleStrategy", Kind::Backoff),
    ("ControllableIdleStrategy", Kind::Controllable),
];

impl FromStr for IdleStrategyConfig {
    type Err = IdleStrategyParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        let (name, raw_args) = match input.split_once(':') {
            Some((name, args)) => (name.trim(), Some(args)),
            None => (input, None),
        };
        if name.is_empty() {
            return Err(IdleStrategyParseError::Empty);
        }
        let kind =
            NAMES.iter().find(|(known, _)| *known == name).map(|&(_, kind)| kind).ok_or_else(|| {
                IdleStrategyParseError::UnknownName { name: name.to_owned(), suggestion: suggest(name) }
            })?;
        let Some(raw_args) = raw_args else {
            return Ok(default_of(kind));
        };
        let args = split_args(kind, raw_args);
        let wrong_count = || IdleStrategyParseError::WrongArgCount {
            strategy: kind.alias(),
            found: args.len(),
            args: raw_args.to_owned(),
            usage: kind.usage(),
        };
        let invalid = |error| IdleStrategyParseError::Invalid {
            strategy: kind.alias(),
            args: raw_args.to_owned(),
            error,
        };
        let strategy = kind.alias();
        match (kind, args.as_slice()) {
            (Kind::Sleeping, [period]) => {
                let period = duration_arg(strategy, "sleep period", period, Unit::Nanos)?;
                IdleStrategyConfig::sleeping(period).map_err(invalid)
            }
            (Kind::SleepingMillis, [period]) => {
                let period = duration_arg(strategy, "sleep period", period, Unit::Millis)?;
                let bad = |reason| IdleStrategyParseError::BadDuration {
                    strategy,
                    what: "sleep period",
                    value: args[0].to_owned(),
                    reason,
                };
                if period.subsec_nanos() % 1_000_000 != 0 {
                    return Err(bad(BadValue::NotWholeMillis));
                }
                let millis = u64::try_from(period.as_millis()).map_err(|_| bad(BadValue::TooLarge))?;
                IdleStrategyConfig::sleeping_millis(millis).map_err(invalid)
            }
            (Kind::Backoff, [spins, yields, min_park, max_park]) => {
                let spins = count_arg(strategy, "max spins", spins)?;
                let yields = count_arg(strategy, "max yields", yields)?;
                let min_park = duration_arg(strategy, "min park period", min_park, Unit::Nanos)?;
                let max_park = duration_arg(strategy, "max park period", max_park, Unit::Nanos)?;
                IdleStrategyConfig::backoff(spins, yields, min_park, max_park).map_err(invalid)
            }
            (Kind::Controllable, [mode]) => Ok(IdleStrategyConfig::controllable(mode_arg(mode)?)),
            _ => Err(wrong_count()),
        }
    }
}

fn default_of(kind: Kind) -> IdleStrategyConfig {
    let spec = match kind {
        Kind::NoOp => Spec::NoOp,
        Kind::BusySpin => Spec::BusySpin,
        Kind::Yielding => Spec::Yielding,
        Kind::Sleeping => Spec::Sleeping(SleepingIdleStrategy::default()),
        Kind::SleepingMillis => Spec::SleepingMillis(SleepingMillisIdleStrategy::default()),
        Kind::Backoff => Spec::Backoff(BackoffIdleStrategy::default()),
        Kind::Controllable => Spec::Controllable(IdleMode::Park),
    };
    IdleStrategyConfig { spec }
}

/// The arguments after `:`, trimmed. Backoff's may be separated by `-` as in Aeron C's init
/// args, when there is no `,`.
fn split_args(kind: Kind, raw: &str) -> Vec<&str> {
    let separator = if kind == Kind::Backoff && !raw.contains(',') && raw.contains('-') { '-' } else { ',' };
    raw.split(separator).map(str::trim).collect()
}

#[derive(Clone, Copy)]
enum Unit {
    Nanos,
    Millis,
}

fn duration_arg(
    strategy: &'static str,
    what: &'static str,
    value: &str,
    bare: Unit,
) -> Result<Duration, IdleStrategyParseError> {
    parse_duration(value, bare).map_err(|reason| IdleStrategyParseError::BadDuration {
        strategy,
        what,
        value: value.to_owned(),
        reason,
    })
}

fn count_arg(strategy: &'static str, what: &'static str, value: &str) -> Result<u64, IdleStrategyParseError> {
    let bad = |reason| IdleStrategyParseError::BadCount { strategy, what, value: value.to_owned(), reason };
    match split_number(value) {
        Ok((n, "")) => Ok(n),
        Ok(_) => Err(bad(BadValue::NotANumber)),
        Err(reason) => Err(bad(reason)),
    }
}

/// Reads the leading whole number of a trimmed argument; returns it and the rest.
fn split_number(value: &str) -> Result<(u64, &str), BadValue> {
    if value.is_empty() {
        return Err(BadValue::Missing);
    }
    if value.starts_with('-') {
        return Err(BadValue::Negative);
    }
    let end = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, rest) = value.split_at(end);
    if rest.starts_with('.') {
        return Err(BadValue::Fraction);
    }
    if digits.is_empty() {
        return Err(BadValue::NotANumber);
    }
    // Only ASCII digits, at least one: the only possible failure is overflow.
    let n = digits.parse::<u64>().map_err(|_| BadValue::TooLarge)?;
    Ok((n, rest))
}

fn parse_duration(value: &str, bare: Unit) -> Result<Duration, BadValue> {
    let (n, unit) = split_number(value)?;
    let unit = unit.trim_start();
    let is = |name: &str| unit.eq_ignore_ascii_case(name);
    if unit.is_empty() {
        Ok(match bare {
            Unit::Nanos => Duration::from_nanos(n),
            Unit::Millis => Duration::from_millis(n),
        })
    } else if is("ns") {
        Ok(Duration::from_nanos(n))
    } else if is("us") || is("µs") || is("μs") {
        Ok(Duration::from_micros(n))
    } else if is("ms") {
        Ok(Duration::from_millis(n))
    } else if is("s") {
        Ok(Duration::from_secs(n))
    } else {
        Err(BadValue::UnknownUnit { unit: unit.to_owned() })
    }
}

fn mode_arg(value: &str) -> Result<IdleMode, IdleStrategyParseError> {
    let is = |name: &str| value.eq_ignore_ascii_case(name);
    if is("noop") {
        Ok(IdleMode::NoOp)
    } else if is("spin") || is("busy-spin") || is("busy_spin") {
        Ok(IdleMode::BusySpin)
    } else if is("yield") {
        Ok(IdleMode::Yield)
    } else if is("park") {
        Ok(IdleMode::Park)
    } else if value.len() == 1 && matches!(value.as_bytes()[0], b'0'..=b'4') {
        Ok(IdleMode::from_status(i64::from(value.as_bytes()[0] - b'0')))
    } else {
        Err(IdleStrategyParseError::BadMode { value: value.to_owned() })
    }
}

/// The known name closest to an unknown one: equal but for ASCII case, or at most a typo or
/// two away (one for short names). Names too long to be a typo of a known one are not compared.
fn suggest(name: &str) -> Option<&'static str> {
    const LONGEST: usize = 64;
    let name: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    if name.len() > LONGEST {
        return None;
    }
    NAMES
        .iter()
        .map(|&(known, _)| {
            let candidate: Vec<char> = known.chars().map(|c| c.to_ascii_lowercase()).collect();
            let limit = if candidate.len() >= 6 { 2 } else { 1 };
            (known, edit_distance(&name, &candidate), limit)
        })
        .filter(|&(_, distance, limit)| distance <= limit)
        .min_by_key(|&(_, distance, _)| distance)
        .map(|(known, _, _)| known)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
/// (`yeild` is one typo from `yield`): the optimal string alignment distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 0..a.len() {
        current[0] = i + 1;
        for j in 0..b.len() {
            let mut best =
                (previous[j] + usize::from(a[i] != b[j])).min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::IdleStrategy;

    fn parse(s: &str) -> Result<IdleStrategyConfig, IdleStrategyParseError> {
        s.parse()
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

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
    fn arguments_parse_with_units() {
        assert_eq!(parse("backoff:10,20,1us,1ms").unwrap(), IdleStrategyConfig::default());
        assert_eq!(
            parse("backoff:1,2,3ns,4s").unwrap(),
            IdleStrategyConfig::backoff(1, 2, Duration::from_nanos(3), Duration::from_secs(4)).unwrap()
        );
        assert_eq!(parse("sleep-ns:500us").unwrap(), IdleStrategyConfig::sleeping(us(500)).unwrap());
        assert_eq!(parse("sleep-ns:500µs").unwrap(), IdleStrategyConfig::sleeping(us(500)).unwrap());
        assert_eq!(parse("sleep-ns:500μs").unwrap(), IdleStrategyConfig::sleeping(us(500)).unwrap());
        assert_eq!(parse("sleep-ns:2MS").unwrap(), IdleStrategyConfig::sleeping(ms(2)).unwrap());
        assert_eq!(parse("sleep-ms:5").unwrap(), IdleStrategyConfig::sleeping_millis(5).unwrap());
        assert_eq!(parse("sleep-ms:2s").unwrap(), IdleStrategyConfig::sleeping_millis(2000).unwrap());
        assert_eq!(parse("sleep-ms:3000us").unwrap(), IdleStrategyConfig::sleeping_millis(3).unwrap());
        assert_eq!(parse("controllable:spin").unwrap(), IdleStrategyConfig::controllable(IdleMode::BusySpin));
        assert_eq!(parse("controllable:3").unwrap(), IdleStrategyConfig::controllable(IdleMode::Yield));
        assert_eq!(parse("controllable:0").unwrap(), IdleStrategyConfig::controllable(IdleMode::Park));
        assert_eq!(parse("controllable:NOOP").unwrap(), IdleStrategyConfig::controllable(IdleMode::NoOp));
        assert_eq!(
            parse("controllable:BUSY_SPIN").unwrap(),
            IdleStrategyConfig::controllable(IdleMode::BusySpin)
        );
    }

    #[test]
    fn a_bare_number_is_nanoseconds_as_in_aeron_c_but_milliseconds_for_sleep_ms() {
        assert_eq!(
            parse("sleep-ns:500").unwrap(),
            IdleStrategyConfig::sleeping(Duration::from_nanos(500)).unwrap()
        );
        assert_eq!(
            parse("backoff:1,1,1000,1000000").unwrap(),
            IdleStrategyConfig::backoff(1, 1, us(1), ms(1)).unwrap()
        );
        assert_eq!(parse("sleep-ms:7").unwrap(), IdleStrategyConfig::sleeping_millis(7).unwrap());
    }

    #[test]
    fn aeron_c_and_agrona_names_parse() {
        let cases = [
            ("aeron_idle_strategy_busy_spinning", "spin"),
            ("aeron_idle_strategy_noop", "noop"),
            ("aeron_idle_strategy_yielding", "yield"),
            ("aeron_idle_strategy_sleeping", "sleep-ns"),
            ("sleeping", "sleep-ns"),
            ("aeron_idle_strategy_backoff", "backoff"),
            ("org.agrona.concurrent.BusySpinIdleStrategy", "spin"),
            ("org.agrona.concurrent.NoOpIdleStrategy", "noop"),
            ("org.agrona.concurrent.YieldingIdleStrategy", "yield"),
            ("org.agrona.concurrent.SleepingIdleStrategy", "sleep-ns"),
            ("org.agrona.concurrent.SleepingMillisIdleStrategy", "sleep-ms"),
            ("org.agrona.concurrent.BackoffIdleStrategy", "backoff"),
            ("org.agrona.concurrent.ControllableIdleStrategy", "controllable"),
            ("BackoffIdleStrategy", "backoff"),
        ];
        for (name, alias) in cases {
            assert_eq!(parse(name).unwrap(), parse(alias).unwrap(), "{name}");
        }
        assert_eq!(
            parse("aeron_idle_strategy_backoff:1,2,3us,4ms").unwrap(),
            parse("backoff:1,2,3us,4ms").unwrap()
        );
        assert_eq!(parse("aeron_idle_strategy_sleeping:20us").unwrap(), parse("sleep-ns:20us").unwrap());
    }

    #[test]
    fn aeron_c_dash_separated_backoff_args_and_whitespace_are_accepted() {
        assert_eq!(parse("backoff:10-20-1us-1ms").unwrap(), IdleStrategyConfig::default());
        assert_eq!(parse("  backoff : 10, 20 ,1 us, 1ms  ").unwrap(), IdleStrategyConfig::default());
    }

    #[test]
    fn empty_input_is_an_error_that_says_so() {
        for input in ["", "   ", ":", ":10"] {
            let err = parse(input).unwrap_err();
            assert_eq!(err, IdleStrategyParseError::Empty, "{input:?}");
            assert!(err.to_string().starts_with("no idle strategy given"), "{err}");
        }
    }

    #[test]
    fn an_unknown_name_is_named_with_a_suggestion_when_one_is_close() {
        let err = parse("backof").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::UnknownName { name: "backof".into(), suggestion: Some("backoff") }
        );
        assert_eq!(err.to_string(), r#"unknown idle strategy "backof", did you mean "backoff"?"#);
        let near = [
            ("BACKOFF", "backoff"),
            ("sleep_ns", "sleep-ns"),
            ("yeild", "yield"),
            ("spn", "spin"),
            ("org.agrona.concurrent.BackOffIdleStrategy", "org.agrona.concurrent.BackoffIdleStrategy"),
            ("aeron_idle_strategy_backof", "aeron_idle_strategy_backoff"),
        ];
        for (typo, suggestion) in near {
            match parse(typo).unwrap_err() {
                IdleStrategyParseError::UnknownName { name, suggestion: s } => {
                    assert_eq!((name.as_str(), s), (typo, Some(suggestion)));
                }
                other => panic!("{typo}: {other:?}"),
            }
        }
        let err = parse("parsec").unwrap_err();
        assert_eq!(err, IdleStrategyParseError::UnknownName { name: "parsec".into(), suggestion: None });
        assert!(
            err.to_string().starts_with(r#"unknown idle strategy "parsec": expected spin, noop"#),
            "{err}"
        );
        // Aeron C matches by prefix; this parser does not.
        assert!(matches!(parse("spinning"), Err(IdleStrategyParseError::UnknownName { .. })));
    }

    #[test]
    fn max_park_below_min_park_is_invalid_and_quotes_the_arguments() {
        let err = parse("backoff:10,20,1ms,1us").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::Invalid {
                strategy: "backoff",
                args: "10,20,1ms,1us".into(),
                error: IdleStrategyError::MaxParkBelowMinPark { min: ms(1), max: us(1) },
            }
        );
        assert_eq!(
            err.to_string(),
            r#"invalid backoff arguments "10,20,1ms,1us": max park period 1µs is below min park period 1ms"#
        );
    }

    #[test]
    fn the_wrong_number_of_arguments_is_an_error_with_the_usage() {
        let err = parse("backoff:10,20,1us").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::WrongArgCount {
                strategy: "backoff",
                found: 3,
                args: "10,20,1us".into(),
                usage: Kind::Backoff.usage(),
            }
        );
        assert_eq!(
            err.to_string(),
            r#"wrong number of arguments for backoff: 3 in "10,20,1us", expected backoff or backoff:<max spins>,<max yields>,<min park period>,<max park period>"#
        );
        for input in
            ["spin:1", "noop:", "yield:a,b", "sleep-ns:1us,2us", "controllable:spin,park", "backoff:"]
        {
            assert!(
                matches!(parse(input), Err(IdleStrategyParseError::WrongArgCount { .. })),
                "{input}: {:?}",
                parse(input)
            );
        }
    }

    #[test]
    fn a_negative_duration_is_named() {
        let err = parse("sleep-ns:-5us").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::BadDuration {
                strategy: "sleep-ns",
                what: "sleep period",
                value: "-5us".into(),
                reason: BadValue::Negative,
            }
        );
        assert_eq!(
            err.to_string(),
            r#"bad sleep period "-5us" for sleep-ns: negative values are not allowed"#
        );
    }

    #[test]
    fn an_unknown_unit_is_named() {
        let err = parse("sleep-ns:1parsec").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::BadDuration {
                strategy: "sleep-ns",
                what: "sleep period",
                value: "1parsec".into(),
                reason: BadValue::UnknownUnit { unit: "parsec".into() },
            }
        );
        assert!(err.to_string().contains(r#""1parsec""#) && err.to_string().contains(r#""parsec""#));
    }

    #[test]
    fn every_other_bad_value_has_its_own_reason() {
        let duration = |input: &str| match parse(input).unwrap_err() {
            IdleStrategyParseError::BadDuration { reason, .. } => reason,
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(duration("sleep-ns:us"), BadValue::NotANumber);
        assert_eq!(duration("sleep-ns:+5us"), BadValue::NotANumber);
        assert_eq!(duration("sleep-ns:"), BadValue::Missing);
        assert_eq!(duration("sleep-ns:1.5ms"), BadValue::Fraction);
        assert_eq!(duration("sleep-ns:99999999999999999999999ns"), BadValue::TooLarge);
        assert_eq!(duration("sleep-ms:1500us"), BadValue::NotWholeMillis);
        assert_eq!(duration("backoff:1,1,1us,1h"), BadValue::UnknownUnit { unit: "h".into() });
        let count = |input: &str| match parse(input).unwrap_err() {
            IdleStrategyParseError::BadCount { what, reason, .. } => (what, reason),
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(count("backoff:x,1,1us,1ms"), ("max spins", BadValue::NotANumber));
        assert_eq!(count("backoff:1,-1,1us,1ms"), ("max yields", BadValue::Negative));
        assert_eq!(count("backoff:1,,1us,1ms"), ("max yields", BadValue::Missing));
        assert_eq!(count("backoff:18446744073709551616,1,1us,1ms"), ("max spins", BadValue::TooLarge));
        assert_eq!(count("backoff:10us,1,1us,1ms"), ("max spins", BadValue::NotANumber));
        assert_eq!(
            parse("controllable:5").unwrap_err(),
            IdleStrategyParseError::BadMode { value: "5".into() }
        );
    }

    #[test]
    fn periods_the_strategies_refuse_are_invalid() {
        for input in [
            "sleep-ns:0",
            "sleep-ms:0",
            "backoff:1,1,0ns,1ms",
            "sleep-ns:3601s",
            "sleep-ms:18446744073709551615",
        ] {
            assert!(
                matches!(parse(input), Err(IdleStrategyParseError::Invalid { .. })),
                "{input}: {:?}",
                parse(input)
            );
        }
        assert!(matches!(
            parse("sleep-ms:18446744073709551615s"),
            Err(IdleStrategyParseError::BadDuration { reason: BadValue::TooLarge, .. })
        ));
        assert!(parse("sleep-ns:3600s").is_ok());
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
        assert_eq!(format!("{:?}", IdleStrategyConfig::busy_spin()), "IdleStrategyConfig(BusySpin)");
        assert_eq!(
            format!("{:?}", parse("sleep-ns:5us").unwrap()),
            "IdleStrategyConfig(Sleeping(SleepingIdleStrategy { period: 5µs }))"
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let long = "x".repeat(100_000);
        let long_args = format!("backoff:{}", ",".repeat(100_000));
        let inputs = [
            long.as_str(),
            long_args.as_str(),
            "sleep-ns:\u{0}",
            "sleep-ns:1\u{0}s",
            "sleep-ns:١٢٣us",
            "🦀",
            "backoff:🦀,🦀,🦀,🦀",
            "controllable:\u{2764}",
            "sleep-ns:99999999999999999999s",
            "sleep-ns:18446744073709551615s",
            "sleep-ms:18446744073709551615",
            "backoff:1,1,18446744073709551615s,18446744073709551615s",
            ":::",
            "backoff:-",
            "backoff:--",
            "backoff:10-20-1us-",
        ];
        for input in inputs {
            let _ = parse(input);
        }
        assert!(matches!(parse(&long), Err(IdleStrategyParseError::UnknownName { suggestion: None, .. })));
    }

    #[test]
    fn edit_distance_counts_typos() {
        let d =
            |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
        assert_eq!(d("backof", "backoff"), 1);
        assert_eq!(d("", "spin"), 4);
        assert_eq!(d("yeild", "yield"), 1);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("kitten", "sitting"), 3);
    }
}
