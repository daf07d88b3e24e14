//! Property tests of the idle strategy parser (`IdleStrategyConfig: FromStr + Display`): it
//! never panics, every error quotes the part of the input at fault and prints its cause once
//! (in `source()`, not in its own message), and every valid value prints and parses back to
//! itself. (Backoff against a model of Agrona's state machine is in
//! the crate's unit tests, `idle_strategy/backoff_model_tests.rs`, since it needs private
//! accessors.)

use std::error::Error;
use std::time::Duration;

use dutycycle::{IdleMode, IdleStrategy, IdleStrategyConfig, IdleStrategyParseError, MAX_PARK_PERIOD};
use dutycycle_test_support::error_chain::report;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "spin",
    "noop",
    "yield",
    "sleep-ns",
    "sleep-ms",
    "backoff",
    "controllable",
    "sleeping",
    "aeron_idle_strategy_backoff",
    "aeron_idle_strategy_sleeping",
    "org.agrona.concurrent.BackoffIdleStrategy",
    "org.agrona.concurrent.SleepingMillisIdleStrategy",
    "org.agrona.concurrent.ControllableIdleStrategy",
    "backof",
    "",
];

/// Inputs near the grammar, so that the parser's deeper paths are reached as often as its
/// name lookup: a (sometimes misspelt) name, then arguments made of digits, units, signs,
/// separators, whitespace and some non-ASCII.
fn near_grammar() -> impl Strategy<Value = String> {
    let name = prop_oneof![prop::sample::select(NAMES).prop_map(str::to_owned), "[a-zA-Z_.-]{0,12}"];
    let arg = prop_oneof![
        "[0-9]{1,4}(ns|us|µs|ms|s|)",
        "[0-9]{15,25}[a-z]{0,2}",
        "[-+ .0-9a-zµ]{0,8}",
        "(noop|spin|yield|park|[0-9])",
        ".{0,4}",
    ];
    (name, prop::option::of(prop::collection::vec(arg, 0..6)), prop::sample::select(vec![',', '-'])).prop_map(
        |(name, args, separator)| match args {
            None => name,
            Some(args) => format!("{name}:{}", args.join(&separator.to_string())),
        },
    )
}

/// What an error says is at fault, which must be a part of the input; `None` for `Empty`.
fn offending_token(err: &IdleStrategyParseError) -> Option<&str> {
    match err {
        IdleStrategyParseError::Empty => None,
        IdleStrategyParseError::UnknownName { name, .. } => Some(name),
        IdleStrategyParseError::WrongArgCount { args, .. } => Some(args),
        IdleStrategyParseError::BadDuration { value, .. } => Some(value),
        IdleStrategyParseError::BadCount { value, .. } => Some(value),
        IdleStrategyParseError::BadMode { value } => Some(value),
        IdleStrategyParseError::Invalid { args, .. } => Some(args),
        other => panic!("a new error variant needs a case here: {other:?}"),
    }
}

fn check_input(input: &str) -> Result<(), TestCaseError> {
    match input.parse::<IdleStrategyConfig>() {
        Ok(config) => {
            // Whatever was accepted prints in a form that parses back to it.
            let printed = config.to_string();
            let reparsed = printed.parse::<IdleStrategyConfig>();
            prop_assert_eq!(reparsed, Ok(config.clone()), "{}", printed);
            prop_assert_eq!(config.build().alias(), config.alias());
        }
        Err(err) => {
            let message = err.to_string();
            if let Some(cause) = err.source() {
                let cause = cause.to_string();
                prop_assert!(!message.contains(&cause), "{:?} repeats its source {:?}", message, cause);
            }
            match offending_token(&err) {
                None => {
                    let name = input.split(':').next().unwrap_or("");
                    prop_assert!(name.trim().is_empty(), "Empty for {:?}", input);
                    prop_assert!(message.contains("no idle strategy given"), "{}", message);
                }
                Some(token) => {
                    prop_assert!(input.contains(token), "token {:?} is not in the input {:?}", token, input);
                    let quoted = format!("{token:?}");
                    prop_assert!(message.contains(&quoted), "{:?} does not quote {}", message, quoted);
                }
            }
        }
    }
    Ok(())
}

fn duration() -> impl Strategy<Value = Duration> {
    let max_ns = u64::try_from(MAX_PARK_PERIOD.as_nanos()).unwrap();
    prop_oneof![
        1u64..=max_ns,
        1u64..2_000_000,
        (1u64..=3_600, prop::sample::select(vec![1u64, 1_000, 1_000_000, 1_000_000_000]))
            .prop_map(|(n, unit)| n * unit),
    ]
    .prop_map(Duration::from_nanos)
}

fn valid_config() -> impl Strategy<Value = IdleStrategyConfig> {
    prop_oneof![
        Just(IdleStrategyConfig::no_op()),
        Just(IdleStrategyConfig::busy_spin()),
        Just(IdleStrategyConfig::yielding()),
        duration().prop_map(|d| IdleStrategyConfig::sleeping(d).unwrap()),
        (1u64..=3_600_000).prop_map(|ms| IdleStrategyConfig::sleeping_millis(ms).unwrap()),
        (any::<u64>(), any::<u64>(), duration(), duration()).prop_map(|(spins, yields, a, b)| {
            IdleStrategyConfig::backoff(spins, yields, a.min(b), a.max(b)).unwrap()
        }),
        prop::sample::select(vec![IdleMode::NoOp, IdleMode::BusySpin, IdleMode::Yield, IdleMode::Park])
            .prop_map(IdleStrategyConfig::controllable),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_and_errors_quote_what_is_wrong_on_any_string(input in any::<String>()) {
        check_input(&input)?;
    }

    #[test]
    fn the_parser_never_panics_and_errors_quote_what_is_wrong_near_the_grammar(input in near_grammar()) {
        check_input(&input)?;
    }

    #[test]
    fn every_valid_config_prints_and_parses_back_to_itself(config in valid_config()) {
        let printed = config.to_string();
        let parsed: IdleStrategyConfig = printed.parse().map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(&parsed, &config);
        prop_assert_eq!(parsed.to_string(), printed);
        prop_assert_eq!(config.build().alias(), config.alias());
    }

    #[test]
    fn backoff_arguments_parse_to_what_they_say(
        spins in any::<u64>(),
        yields in any::<u64>(),
        a in duration(),
        b in duration(),
        dashes in any::<bool>(),
    ) {
        let (min, max) = (a.min(b), a.max(b));
        let sep = if dashes { "-" } else { "," };
        let input = format!("backoff:{spins}{sep}{yields}{sep}{}ns{sep}{}ns", min.as_nanos(), max.as_nanos());
        let expected = IdleStrategyConfig::backoff(spins, yields, min, max).unwrap();
        prop_assert_eq!(input.parse::<IdleStrategyConfig>(), Ok(expected));
        if min != max {
            let swapped = format!("backoff:{spins},{yields},{}ns,{}ns", max.as_nanos(), min.as_nanos());
            let is_invalid = matches!(swapped.parse::<IdleStrategyConfig>(), Err(IdleStrategyParseError::Invalid { .. }));
            prop_assert!(is_invalid);
        }
    }
}

#[test]
fn the_issues_examples_parse_or_fail_as_promised() {
    for ok in [
        "spin",
        "noop",
        "yield",
        "sleep-ns",
        "sleep-ms",
        "backoff",
        "controllable",
        "backoff:10,20,1us,1ms",
        "sleep-ns:500us",
        "aeron_idle_strategy_backoff",
        "org.agrona.concurrent.BusySpinIdleStrategy",
    ] {
        let config: IdleStrategyConfig = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
        check_input(ok).unwrap();
        let mut idle = config.build();
        idle.idle(1);
    }
    for (bad, says) in [
        ("", "no idle strategy given"),
        ("backof", r#"did you mean "backoff""#),
        ("backoff:10,20,1ms,1us", "max park period 1µs is below min park period 1ms"),
        ("backoff:10,20,1us", "wrong number of arguments for backoff: 3"),
        ("sleep-ns:-5us", "negative"),
        ("sleep-ns:1parsec", r#"unknown unit "parsec""#),
    ] {
        let err = bad.parse::<IdleStrategyConfig>().unwrap_err();
        let reported = report(&err);
        assert!(reported.contains(says), "{bad:?}: {reported}");
        check_input(bad).unwrap();
    }
}

/// The `serde` feature: a configuration serializes as the string it prints and deserializes
/// from every string the parser reads, failing with the parser's message and its causes.
#[cfg(feature = "serde")]
mod serde_forms {
    use super::*;

    /// A configuration file's table with one strategy in it: TOML has no bare values.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Table {
        idle: IdleStrategyConfig,
    }

    /// Every name the parser reads, each with and without arguments.
    const EVERY_FORM: &[&str] = &[
        "spin",
        "noop",
        "yield",
        "sleep-ns",
        "sleep-ms",
        "backoff",
        "backoff-woken",
        "controllable",
        "sleeping",
        "aeron_idle_strategy_busy_spinning",
        "aeron_idle_strategy_noop",
        "aeron_idle_strategy_yielding",
        "aeron_idle_strategy_sleeping",
        "aeron_idle_strategy_backoff",
        "org.agrona.concurrent.BusySpinIdleStrategy",
        "org.agrona.concurrent.NoOpIdleStrategy",
        "org.agrona.concurrent.YieldingIdleStrategy",
        "org.agrona.concurrent.SleepingIdleStrategy",
        "org.agrona.concurrent.SleepingMillisIdleStrategy",
        "org.agrona.concurrent.BackoffIdleStrategy",
        "org.agrona.concurrent.ControllableIdleStrategy",
        "BusySpinIdleStrategy",
        "NoOpIdleStrategy",
        "YieldingIdleStrategy",
        "SleepingIdleStrategy",
        "SleepingMillisIdleStrategy",
        "BackoffIdleStrategy",
        "ControllableIdleStrategy",
        "sleep-ns:500us",
        "sleeping:500",
        "aeron_idle_strategy_sleeping:20us",
        "org.agrona.concurrent.SleepingIdleStrategy:2ms",
        "sleep-ms:5",
        "SleepingMillisIdleStrategy:2s",
        "backoff:10,20,1us,1ms",
        "backoff:1,2,3us,4ms",
        "aeron_idle_strategy_backoff:100-10-10us-2ms",
        "org.agrona.concurrent.BackoffIdleStrategy:0,0,1ns,1s",
        "controllable:spin",
        "ControllableIdleStrategy:3",
        "org.agrona.concurrent.ControllableIdleStrategy:noop",
        "  backoff : 10, 20 ,1 us, 1ms  ",
    ];

    /// Deserializes `text` as JSON's string and as TOML's, and checks that both give what the
    /// parser gives: the same configuration, or the parser's error with its causes.
    fn check_deserialize(text: &str) -> Result<(), TestCaseError> {
        let parsed = text.parse::<IdleStrategyConfig>();
        let json = serde_json::from_value::<IdleStrategyConfig>(serde_json::Value::String(text.to_owned()));
        let toml_text = toml::to_string(&toml::Table::from_iter([("idle".to_owned(), text.into())]))
            .map_err(|e| TestCaseError::fail(format!("{text:?} as TOML: {e}")))?;
        let from_toml = toml::from_str::<Table>(&toml_text).map(|table| table.idle);
        match parsed {
            Ok(config) => {
                prop_assert_eq!(json.map_err(|e| e.to_string()), Ok(config.clone()), "{:?}", text);
                prop_assert_eq!(from_toml.map_err(|e| e.to_string()), Ok(config), "{:?}", text);
            }
            Err(err) => {
                let message = report(&err);
                prop_assert_eq!(json.map_err(|e| e.to_string()), Err(message.clone()), "{:?}", text);
                prop_assert_eq!(from_toml.map_err(|e| e.message().to_owned()), Err(message), "{:?}", text);
            }
        }
        Ok(())
    }

    /// Serializes `config` to JSON and to TOML, checks that it is the string `Display` prints,
    /// and that it reads back to an equal configuration.
    fn check_round_trip(config: &IdleStrategyConfig) -> Result<(), TestCaseError> {
        let printed = config.to_string();
        let json = serde_json::to_string(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&json, &serde_json::to_string(&printed).unwrap());
        prop_assert_eq!(&serde_json::from_str::<IdleStrategyConfig>(&json).unwrap(), config);
        let table = Table { idle: config.clone() };
        let toml_text = toml::to_string(&table).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&toml_text, &format!("idle = \"{printed}\"\n"));
        prop_assert_eq!(toml::from_str::<Table>(&toml_text).unwrap(), table);
        Ok(())
    }

    #[test]
    fn every_name_form_deserializes_as_it_parses_and_serializes_as_it_prints() {
        for form in EVERY_FORM {
            let config: IdleStrategyConfig = form.parse().unwrap_or_else(|e| panic!("{form}: {e}"));
            check_deserialize(form).unwrap();
            check_round_trip(&config).unwrap();
        }
    }

    #[test]
    fn a_bad_string_fails_with_the_parsers_message_and_its_causes() {
        for (bad, message) in [
            ("", "no idle strategy given: expected spin, noop, yield, sleep-ns, sleep-ms, backoff, backoff-woken or controllable (or Aeron C's aeron_idle_strategy_* or Agrona's org.agrona.concurrent.*IdleStrategy names)"),
            ("backof", r#"unknown idle strategy "backof", did you mean "backoff"?"#),
            ("backoff:10,20,1ms,1us", r#"invalid backoff arguments "10,20,1ms,1us": max park period 1µs is below min park period 1ms"#),
            ("sleep-ns:1parsec", r#"bad sleep period "1parsec" for sleep-ns: unknown unit "parsec" (expected ns, us, µs, ms or s)"#),
            ("controllable:5", r#"bad mode "5" for controllable: expected noop, spin, yield, park or an Agrona status 0 to 4"#),
        ] {
            let err = bad.parse::<IdleStrategyConfig>().unwrap_err();
            assert_eq!(report(&err), message);
            let json = serde_json::from_str::<IdleStrategyConfig>(&serde_json::to_string(bad).unwrap()).unwrap_err();
            assert_eq!(json.to_string(), format!("{message} at line 1 column {}", bad.len() + 2));
            check_deserialize(bad).unwrap();
        }
        let not_a_string = serde_json::from_str::<IdleStrategyConfig>("5").unwrap_err();
        assert_eq!(
            not_a_string.to_string(),
            r#"invalid type: integer `5`, expected an idle strategy, such as "backoff:10,20,1us,1ms" at line 1 column 1"#
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn every_valid_config_serializes_as_it_prints_and_reads_back(config in valid_config()) {
            check_round_trip(&config)?;
        }

        #[test]
        fn any_string_deserializes_as_it_parses(input in any::<String>()) {
            check_deserialize(&input)?;
        }

        #[test]
        fn strings_near_the_grammar_deserialize_as_they_parse(input in near_grammar()) {
            check_deserialize(&input)?;
        }
    }
}
