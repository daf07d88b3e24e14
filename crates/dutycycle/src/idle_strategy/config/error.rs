use std::fmt;

use super::names::KNOWN;
use crate::idle_strategy::IdleStrategyError;

/// Why an [`IdleStrategyConfig`](crate::IdleStrategyConfig) could not be parsed. Each variant
/// carries the part of the input at fault, and its message quotes it. Where an argument was
/// read but is wrong, the message says which argument and
/// [`source`](std::error::Error::source) says what is wrong with it.
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategyArgError, IdleStrategyConfig, IdleStrategyParseError};
///
/// let err = "sleep-ns:1parsec".parse::<IdleStrategyConfig>().unwrap_err();
/// assert!(matches!(
///     &err,
///     IdleStrategyParseError::BadDuration { value, reason: IdleStrategyArgError::UnknownUnit { unit }, .. }
///         if value == "1parsec" && unit == "parsec"
/// ));
/// assert_eq!(err.to_string(), r#"bad sleep period "1parsec" for sleep-ns"#);
/// let reason = std::error::Error::source(&err).map(ToString::to_string);
/// assert_eq!(reason.as_deref(), Some(r#"unknown unit "parsec" (expected ns, us, µs, ms or s)"#));
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
    #[error("bad {what} {value:?} for {strategy}")]
    BadDuration {
        /// The strategy's alias.
        strategy: &'static str,
        /// Which argument: "sleep period", "min park period", ...
        what: &'static str,
        /// The argument as given.
        value: String,
        /// What is wrong with it; also the [`source`](std::error::Error::source).
        #[source]
        reason: IdleStrategyArgError,
    },
    /// A count argument (Backoff's spins or yields) that could not be read.
    #[error("bad {what} {value:?} for {strategy}")]
    BadCount {
        /// The strategy's alias.
        strategy: &'static str,
        /// Which argument: "max spins" or "max yields".
        what: &'static str,
        /// The argument as given.
        value: String,
        /// What is wrong with it; also the [`source`](std::error::Error::source).
        #[source]
        reason: IdleStrategyArgError,
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
    #[error("invalid {strategy} arguments {args:?}")]
    Invalid {
        /// The strategy's alias.
        strategy: &'static str,
        /// The arguments as given (the part after `:`).
        args: String,
        /// What the strategy refused; also the [`source`](std::error::Error::source).
        #[source]
        error: IdleStrategyError,
    },
}

/// Why one count or duration argument of an idle strategy configuration could not be read:
/// the `reason` of [`IdleStrategyParseError::BadDuration`] and
/// [`IdleStrategyParseError::BadCount`], and of
/// [`StatisticsParseError::BadThreshold`](crate::StatisticsParseError::BadThreshold).
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategyArgError, IdleStrategyConfig, IdleStrategyParseError};
///
/// let err = "sleep-ns:-5us".parse::<IdleStrategyConfig>().unwrap_err();
/// assert!(matches!(err, IdleStrategyParseError::BadDuration { reason: IdleStrategyArgError::Negative, .. }));
/// assert!(err.to_string().contains(r#""-5us""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdleStrategyArgError {
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
    /// A number without a unit where a unit is required: the threshold of
    /// [`Statistics::Timed`](crate::Statistics::Timed) and the durations of a configuration
    /// file (a bare number in an idle strategy's arguments is in nanoseconds, as in Aeron C).
    #[error("a unit is required (ns, us, µs, ms or s)")]
    MissingUnit,
}

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
