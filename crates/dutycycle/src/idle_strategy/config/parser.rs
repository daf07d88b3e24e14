use super::arguments::{count_arg, duration_arg, millis_arg, mode_arg};
use super::names::strategy_named;
use super::suggest::suggest;
use super::IdleStrategyParseError;
use crate::idle_strategy::{
    AnyIdleStrategy, BackoffIdleStrategy, ControllableIdleStrategy, IdleStrategy, SleepingIdleStrategy,
    SleepingMillisIdleStrategy,
};

/// Reads `name` or `name:arg,arg,...` into the strategy it configures; the syntax is on
/// [`IdleStrategyConfig`](super::IdleStrategyConfig).
pub(super) fn parse(input: &str) -> Result<AnyIdleStrategy, IdleStrategyParseError> {
    let input = input.trim();
    let (name, raw_args) = match input.split_once(':') {
        Some((name, args)) => (name.trim(), Some(args)),
        None => (input, None),
    };
    if name.is_empty() {
        return Err(IdleStrategyParseError::Empty);
    }
    let named = strategy_named(name).ok_or_else(|| IdleStrategyParseError::UnknownName {
        name: name.to_owned(),
        suggestion: suggest(name),
    })?;
    match raw_args {
        None => Ok(named),
        Some(raw_args) => with_args(&named, raw_args),
    }
}

/// The strategy `named` with the arguments after `:` in place of its defaults.
fn with_args(named: &AnyIdleStrategy, raw_args: &str) -> Result<AnyIdleStrategy, IdleStrategyParseError> {
    let strategy = named.alias();
    let args = split_args(named, raw_args);
    let invalid = |error| IdleStrategyParseError::Invalid { strategy, args: raw_args.to_owned(), error };
    match (named, args.as_slice()) {
        (AnyIdleStrategy::Sleeping(_), [period]) => {
            let period = duration_arg(strategy, "sleep period", period)?;
            Ok(SleepingIdleStrategy::new(period).map_err(invalid)?.into())
        }
        (AnyIdleStrategy::SleepingMillis(_), [period]) => {
            let millis = millis_arg(strategy, "sleep period", period)?;
            Ok(SleepingMillisIdleStrategy::new(millis).map_err(invalid)?.into())
        }
        (AnyIdleStrategy::Backoff(_), [spins, yields, min_park, max_park]) => {
            let spins = count_arg(strategy, "max spins", spins)?;
            let yields = count_arg(strategy, "max yields", yields)?;
            let min_park = duration_arg(strategy, "min park period", min_park)?;
            let max_park = duration_arg(strategy, "max park period", max_park)?;
            Ok(BackoffIdleStrategy::new(spins, yields, min_park, max_park).map_err(invalid)?.into())
        }
        (AnyIdleStrategy::Controllable(_), [mode]) => {
            Ok(ControllableIdleStrategy::new(mode_arg(mode)?).into())
        }
        _ => Err(IdleStrategyParseError::WrongArgCount {
            strategy,
            found: args.len(),
            args: raw_args.to_owned(),
            usage: usage(named),
        }),
    }
}

/// The forms a strategy's configuration takes, for [`IdleStrategyParseError::WrongArgCount`].
fn usage(strategy: &AnyIdleStrategy) -> &'static str {
    match strategy {
        AnyIdleStrategy::NoOp(_) => "noop, without arguments",
        AnyIdleStrategy::BusySpin(_) => "spin, without arguments",
        AnyIdleStrategy::Yielding(_) => "yield, without arguments",
        AnyIdleStrategy::Sleeping(_) => "sleep-ns or sleep-ns:<period>",
        AnyIdleStrategy::SleepingMillis(_) => "sleep-ms or sleep-ms:<period>",
        AnyIdleStrategy::Backoff(_) => {
            "backoff or backoff:<max spins>,<max yields>,<min park period>,<max park period>"
        }
        AnyIdleStrategy::Controllable(_) => "controllable or controllable:<noop|spin|yield|park>",
    }
}

/// The arguments after `:`, trimmed. Backoff's may be separated by `-` as in Aeron C's init
/// args, when there is no `,`.
fn split_args<'a>(strategy: &AnyIdleStrategy, raw: &'a str) -> Vec<&'a str> {
    let dashes = matches!(strategy, AnyIdleStrategy::Backoff(_)) && !raw.contains(',') && raw.contains('-');
    raw.split(if dashes { '-' } else { ',' }).map(str::trim).collect()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::idle_strategy::config::test_support::{ms, parse, source_text, us};
    use crate::{IdleMode, IdleStrategyArgError, IdleStrategyConfig, IdleStrategyError};

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
        assert_eq!(err.to_string(), r#"invalid backoff arguments "10,20,1ms,1us""#);
        assert_eq!(source_text(&err).as_deref(), Some("max park period 1µs is below min park period 1ms"));
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
                usage: usage(&BackoffIdleStrategy::default().into()),
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
            Err(IdleStrategyParseError::BadDuration { reason: IdleStrategyArgError::TooLarge, .. })
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
