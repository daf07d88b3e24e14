//! One argument after the `:`: a count, a duration with its unit, a `controllable` mode; and
//! a duration printed back in a form that reads as the same duration.

use std::fmt;
use std::time::Duration;

use super::{IdleStrategyArgError, IdleStrategyParseError};
use crate::idle_strategy::IdleMode;

/// A duration; a bare number is in nanoseconds, as in Aeron C.
pub(super) fn duration_arg(
    strategy: &'static str,
    what: &'static str,
    value: &str,
) -> Result<Duration, IdleStrategyParseError> {
    parse_duration(value, Unit::Nanos).map_err(|reason| IdleStrategyParseError::BadDuration {
        strategy,
        what,
        value: value.to_owned(),
        reason,
    })
}

/// A duration in whole milliseconds; a bare number is in milliseconds, like the argument of
/// Agrona's `SleepingMillisIdleStrategy(long)`.
pub(super) fn millis_arg(
    strategy: &'static str,
    what: &'static str,
    value: &str,
) -> Result<u64, IdleStrategyParseError> {
    let bad =
        |reason| IdleStrategyParseError::BadDuration { strategy, what, value: value.to_owned(), reason };
    let period = parse_duration(value, Unit::Millis).map_err(bad)?;
    if period.subsec_nanos() % 1_000_000 != 0 {
        return Err(bad(IdleStrategyArgError::NotWholeMillis));
    }
    u64::try_from(period.as_millis()).map_err(|_| bad(IdleStrategyArgError::TooLarge))
}

/// A whole number.
pub(super) fn count_arg(
    strategy: &'static str,
    what: &'static str,
    value: &str,
) -> Result<u64, IdleStrategyParseError> {
    let bad = |reason| IdleStrategyParseError::BadCount { strategy, what, value: value.to_owned(), reason };
    match split_number(value) {
        Ok((n, "")) => Ok(n),
        Ok(_) => Err(bad(IdleStrategyArgError::NotANumber)),
        Err(reason) => Err(bad(reason)),
    }
}

/// A `controllable` mode: a name (ASCII case-insensitive) or an Agrona status `0`..=`4`.
pub(super) fn mode_arg(value: &str) -> Result<IdleMode, IdleStrategyParseError> {
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

/// The unit of a number without one.
#[derive(Clone, Copy)]
pub(crate) enum Unit {
    Nanos,
    Millis,
    /// A number without a unit is refused ([`IdleStrategyArgError::MissingUnit`]).
    Required,
}

/// Reads the leading whole number of a trimmed argument; returns it and the rest.
fn split_number(value: &str) -> Result<(u64, &str), IdleStrategyArgError> {
    if value.is_empty() {
        return Err(IdleStrategyArgError::Missing);
    }
    if value.starts_with('-') {
        return Err(IdleStrategyArgError::Negative);
    }
    let end = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, rest) = value.split_at(end);
    if rest.starts_with('.') {
        return Err(IdleStrategyArgError::Fraction);
    }
    if digits.is_empty() {
        return Err(IdleStrategyArgError::NotANumber);
    }
    // Only ASCII digits, at least one: the only possible failure is overflow.
    let n = digits.parse::<u64>().map_err(|_| IdleStrategyArgError::TooLarge)?;
    Ok((n, rest))
}

/// A whole number and its unit; `bare` is the unit of a number without one.
pub(crate) fn parse_duration(value: &str, bare: Unit) -> Result<Duration, IdleStrategyArgError> {
    let (n, unit) = split_number(value)?;
    let unit = unit.trim_start();
    let is = |name: &str| unit.eq_ignore_ascii_case(name);
    if unit.is_empty() {
        match bare {
            Unit::Nanos => Ok(Duration::from_nanos(n)),
            Unit::Millis => Ok(Duration::from_millis(n)),
            Unit::Required => Err(IdleStrategyArgError::MissingUnit),
        }
    } else if is("ns") {
        Ok(Duration::from_nanos(n))
    } else if is("us") || is("µs") || is("μs") {
        Ok(Duration::from_micros(n))
    } else if is("ms") {
        Ok(Duration::from_millis(n))
    } else if is("s") {
        Ok(Duration::from_secs(n))
    } else {
        Err(IdleStrategyArgError::UnknownUnit { unit: unit.to_owned() })
    }
}

/// A duration as the parser reads it: a whole number in the largest unit that keeps it exact.
pub(crate) struct DurationArg(pub(crate) Duration);

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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::idle_strategy::config::test_support::{parse, source_text};
    use crate::IdleStrategyConfig;

    #[test]
    fn a_bare_number_is_nanoseconds_as_in_aeron_c_but_milliseconds_for_sleep_ms() {
        assert_eq!(
            parse("sleep-ns:500").unwrap(),
            IdleStrategyConfig::sleeping(Duration::from_nanos(500)).unwrap()
        );
        assert_eq!(
            parse("backoff:1,1,1000,1000000").unwrap(),
            IdleStrategyConfig::backoff(1, 1, Duration::from_micros(1), Duration::from_millis(1)).unwrap()
        );
        assert_eq!(parse("sleep-ms:7").unwrap(), IdleStrategyConfig::sleeping_millis(7).unwrap());
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
                reason: IdleStrategyArgError::Negative,
            }
        );
        assert_eq!(err.to_string(), r#"bad sleep period "-5us" for sleep-ns"#);
        assert_eq!(source_text(&err).as_deref(), Some("negative values are not allowed"));
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
                reason: IdleStrategyArgError::UnknownUnit { unit: "parsec".into() },
            }
        );
        assert!(err.to_string().contains(r#""1parsec""#), "{err}");
        assert!(source_text(&err).is_some_and(|reason| reason.contains(r#""parsec""#)), "{err:?}");
    }

    #[test]
    fn every_other_bad_value_has_its_own_reason() {
        let duration = |input: &str| match parse(input).unwrap_err() {
            IdleStrategyParseError::BadDuration { reason, .. } => reason,
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(duration("sleep-ns:us"), IdleStrategyArgError::NotANumber);
        assert_eq!(duration("sleep-ns:+5us"), IdleStrategyArgError::NotANumber);
        assert_eq!(duration("sleep-ns:"), IdleStrategyArgError::Missing);
        assert_eq!(duration("sleep-ns:1.5ms"), IdleStrategyArgError::Fraction);
        assert_eq!(duration("sleep-ns:99999999999999999999999ns"), IdleStrategyArgError::TooLarge);
        assert_eq!(duration("sleep-ms:1500us"), IdleStrategyArgError::NotWholeMillis);
        assert_eq!(duration("backoff:1,1,1us,1h"), IdleStrategyArgError::UnknownUnit { unit: "h".into() });
        let count = |input: &str| match parse(input).unwrap_err() {
            IdleStrategyParseError::BadCount { what, reason, .. } => (what, reason),
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(count("backoff:x,1,1us,1ms"), ("max spins", IdleStrategyArgError::NotANumber));
        assert_eq!(count("backoff:1,-1,1us,1ms"), ("max yields", IdleStrategyArgError::Negative));
        assert_eq!(count("backoff:1,,1us,1ms"), ("max yields", IdleStrategyArgError::Missing));
        assert_eq!(
            count("backoff:18446744073709551616,1,1us,1ms"),
            ("max spins", IdleStrategyArgError::TooLarge)
        );
        assert_eq!(count("backoff:10us,1,1us,1ms"), ("max spins", IdleStrategyArgError::NotANumber));
        assert_eq!(
            parse("controllable:5").unwrap_err(),
            IdleStrategyParseError::BadMode { value: "5".into() }
        );
    }
}
