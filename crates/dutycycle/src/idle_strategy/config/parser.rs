use std::time::Duration;

use super::idle_strategy_config::default_of;
use super::names::{Kind, NAMES};
use super::suggest::suggest;
use super::{BadValue, IdleStrategyConfig, IdleStrategyParseError};
use crate::idle_strategy::IdleMode;

/// Reads `name` or `name:arg,arg,...`; the syntax is on [`IdleStrategyConfig`].
pub(super) fn parse(input: &str) -> Result<IdleStrategyConfig, IdleStrategyParseError> {
    let input = input.trim();
    let (name, raw_args) = match input.split_once(':') {
        Some((name, args)) => (name.trim(), Some(args)),
        None => (input, None),
    };
    if name.is_empty() {
        return Err(IdleStrategyParseError::Empty);
    }
    let kind = NAMES.iter().find(|(known, _)| *known == name).map(|&(_, kind)| kind).ok_or_else(|| {
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
    let invalid =
        |error| IdleStrategyParseError::Invalid { strategy: kind.alias(), args: raw_args.to_owned(), error };
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::IdleStrategyError;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
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
}
