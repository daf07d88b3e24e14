//! [`Statistics`] as text, for flags and configuration files: `off`, `counters`,
//! `timed:<threshold>`.

use std::fmt;
use std::str::FromStr;

use super::stats::Statistics;
use crate::idle_strategy::{parse_duration, DurationArg, Unit};
use crate::IdleStrategyArgError;

impl fmt::Display for Statistics {
    /// `off`, `counters` or `timed:<threshold>`, the threshold in the largest unit that keeps
    /// it exact (`timed:1ms`); the form [`FromStr`] reads back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistics::Off => f.write_str("off"),
            Statistics::Counters => f.write_str("counters"),
            Statistics::Timed { threshold } => write!(f, "timed:{}", DurationArg(*threshold)),
        }
    }
}

impl FromStr for Statistics {
    type Err = StatisticsParseError;

    /// Reads `off`, `counters` or `timed:<threshold>` (whitespace around the whole, the name
    /// and the threshold is ignored; names are ASCII case-insensitive). The threshold is a
    /// whole number with a unit, `ns`, `us` (or `µs`), `ms` or `s`, as in an idle strategy's
    /// arguments; here the unit is required.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Statistics, StatisticsParseError};
    ///
    /// let timed: Statistics = "timed:500us".parse()?;
    /// assert_eq!(timed, Statistics::Timed { threshold: Duration::from_micros(500) });
    /// assert_eq!(timed.to_string(), "timed:500us");
    /// assert_eq!("counters".parse::<Statistics>()?, Statistics::Counters);
    ///
    /// let err = "timed:500".parse::<Statistics>().unwrap_err();
    /// assert_eq!(err.to_string(), r#"bad threshold "500" for timed statistics"#);
    /// assert!(matches!("timing".parse::<Statistics>(), Err(StatisticsParseError::UnknownName { .. })));
    /// # Ok::<(), StatisticsParseError>(())
    /// ```
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        let (name, threshold) = match input.split_once(':') {
            Some((name, threshold)) => (name.trim(), Some(threshold.trim())),
            None => (input, None),
        };
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        match threshold {
            None if is("off") => Ok(Statistics::Off),
            None if is("counters") => Ok(Statistics::Counters),
            None if is("timed") => Err(StatisticsParseError::MissingThreshold),
            Some(threshold) if is("timed") => parse_duration(threshold, Unit::Required)
                .map(|threshold| Statistics::Timed { threshold })
                .map_err(|reason| StatisticsParseError::BadThreshold { value: threshold.to_owned(), reason }),
            Some(_) if is("off") || is("counters") => {
                Err(StatisticsParseError::UnexpectedArgument { input: input.to_owned() })
            }
            _ => Err(StatisticsParseError::UnknownName { name: name.to_owned() }),
        }
    }
}

/// Why a text is not a [`Statistics`] mode. Each variant carries the part of the input at
/// fault, and its message quotes it; what is wrong with a threshold is the
/// [`source`](std::error::Error::source).
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategyArgError, Statistics, StatisticsParseError};
///
/// let err = "timed:1.5ms".parse::<Statistics>().unwrap_err();
/// assert!(matches!(
///     &err,
///     StatisticsParseError::BadThreshold { value, reason: IdleStrategyArgError::Fraction } if value == "1.5ms"
/// ));
/// let reason = std::error::Error::source(&err).map(ToString::to_string);
/// assert_eq!(reason.as_deref(), Some("fractions are not supported: use a smaller unit (1500us, not 1.5ms)"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatisticsParseError {
    /// A name other than `off`, `counters` and `timed`.
    #[error("unknown statistics {name:?}: expected off, counters or timed:<threshold>")]
    UnknownName {
        /// The name given.
        name: String,
    },
    /// `timed` without its threshold.
    #[error("timed statistics need a threshold: timed:<threshold>, such as timed:1ms")]
    MissingThreshold,
    /// An argument after `off` or `counters`, which take none.
    #[error("{input:?} takes no argument: expected off, counters or timed:<threshold>")]
    UnexpectedArgument {
        /// The input as given.
        input: String,
    },
    /// A threshold that could not be read.
    #[error("bad threshold {value:?} for timed statistics")]
    BadThreshold {
        /// The threshold as given.
        value: String,
        /// What is wrong with it; also the [`source`](std::error::Error::source).
        #[source]
        reason: IdleStrategyArgError,
    },
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::*;

    fn parse(input: &str) -> Result<Statistics, StatisticsParseError> {
        input.parse()
    }

    #[test]
    fn every_mode_prints_and_parses_back_to_itself() {
        let timed = |threshold| Statistics::Timed { threshold };
        for (mode, text) in [
            (Statistics::Off, "off"),
            (Statistics::Counters, "counters"),
            (timed(Duration::from_millis(1)), "timed:1ms"),
            (timed(Duration::from_nanos(1_500)), "timed:1500ns"),
            (timed(Duration::from_secs(2)), "timed:2s"),
            (timed(Duration::ZERO), "timed:0s"),
        ] {
            assert_eq!(mode.to_string(), text);
            assert_eq!(parse(text), Ok(mode), "{text}");
        }
        assert_eq!(parse("  Timed : 250 µs "), Ok(timed(Duration::from_micros(250))));
        assert_eq!(parse("COUNTERS"), Ok(Statistics::Counters));
    }

    #[test]
    fn each_bad_text_says_what_is_wrong() {
        assert_eq!(parse("timing"), Err(StatisticsParseError::UnknownName { name: "timing".into() }));
        assert_eq!(parse(""), Err(StatisticsParseError::UnknownName { name: "".into() }));
        assert_eq!(parse("timed"), Err(StatisticsParseError::MissingThreshold));
        assert_eq!(
            parse("off:1ms"),
            Err(StatisticsParseError::UnexpectedArgument { input: "off:1ms".into() })
        );
        let threshold = |input: &str| match parse(input) {
            Err(StatisticsParseError::BadThreshold { value, reason }) => (value, reason),
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(threshold("timed:5"), ("5".into(), IdleStrategyArgError::MissingUnit));
        assert_eq!(threshold("timed:"), ("".into(), IdleStrategyArgError::Missing));
        assert_eq!(threshold("timed:-1ms"), ("-1ms".into(), IdleStrategyArgError::Negative));
        assert_eq!(
            threshold("timed:1h"),
            ("1h".into(), IdleStrategyArgError::UnknownUnit { unit: "h".into() })
        );
        let err = parse("timed:5").unwrap_err();
        assert_eq!(err.to_string(), r#"bad threshold "5" for timed statistics"#);
        let reason = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(reason.as_deref(), Some("a unit is required (ns, us, µs, ms or s)"));
    }
}
