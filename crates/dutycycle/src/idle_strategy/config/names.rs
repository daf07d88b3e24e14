use crate::idle_strategy::{
    AnyIdleStrategy, BackoffIdleStrategy, BusySpinIdleStrategy, ControllableIdleStrategy, NoOpIdleStrategy,
    SleepingIdleStrategy, SleepingMillisIdleStrategy, YieldingIdleStrategy,
};

/// The known names in short, for messages.
pub(super) const KNOWN: &str =
    "spin, noop, yield, sleep-ns, sleep-ms, backoff, backoff-woken or controllable \
    (or Aeron C's aeron_idle_strategy_* or Agrona's org.agrona.concurrent.*IdleStrategy names)";

/// Every name the parser accepts and the strategy it stands for, with that strategy's default
/// arguments; aliases first (suggestions prefer the earliest).
pub(super) const NAMES: &[(&str, WithDefaults)] = &[
    ("spin", default::<BusySpinIdleStrategy>),
    ("noop", default::<NoOpIdleStrategy>),
    ("yield", default::<YieldingIdleStrategy>),
    ("sleep-ns", default::<SleepingIdleStrategy>),
    ("sleep-ms", default::<SleepingMillisIdleStrategy>),
    ("backoff", default::<BackoffIdleStrategy>),
    ("controllable", default::<ControllableIdleStrategy>),
    ("backoff-woken", backoff_woken),
    ("sleeping", default::<SleepingIdleStrategy>),
    ("aeron_idle_strategy_busy_spinning", default::<BusySpinIdleStrategy>),
    ("aeron_idle_strategy_noop", default::<NoOpIdleStrategy>),
    ("aeron_idle_strategy_yielding", default::<YieldingIdleStrategy>),
    ("aeron_idle_strategy_sleeping", default::<SleepingIdleStrategy>),
    ("aeron_idle_strategy_backoff", default::<BackoffIdleStrategy>),
    ("org.agrona.concurrent.BusySpinIdleStrategy", default::<BusySpinIdleStrategy>),
    ("org.agrona.concurrent.NoOpIdleStrategy", default::<NoOpIdleStrategy>),
    ("org.agrona.concurrent.YieldingIdleStrategy", default::<YieldingIdleStrategy>),
    ("org.agrona.concurrent.SleepingIdleStrategy", default::<SleepingIdleStrategy>),
    ("org.agrona.concurrent.SleepingMillisIdleStrategy", default::<SleepingMillisIdleStrategy>),
    ("org.agrona.concurrent.BackoffIdleStrategy", default::<BackoffIdleStrategy>),
    ("org.agrona.concurrent.ControllableIdleStrategy", default::<ControllableIdleStrategy>),
    ("BusySpinIdleStrategy", default::<BusySpinIdleStrategy>),
    ("NoOpIdleStrategy", default::<NoOpIdleStrategy>),
    ("YieldingIdleStrategy", default::<YieldingIdleStrategy>),
    ("SleepingIdleStrategy", default::<SleepingIdleStrategy>),
    ("SleepingMillisIdleStrategy", default::<SleepingMillisIdleStrategy>),
    ("BackoffIdleStrategy", default::<BackoffIdleStrategy>),
    ("ControllableIdleStrategy", default::<ControllableIdleStrategy>),
];

/// The strategy `name` stands for, with its default arguments; `None` for an unknown name.
pub(super) fn strategy_named(name: &str) -> Option<AnyIdleStrategy> {
    NAMES.iter().find(|(known, _)| *known == name).map(|(_, strategy)| strategy())
}

/// Makes a strategy with its default arguments, as its name alone configures it.
type WithDefaults = fn() -> AnyIdleStrategy;

/// [`BackoffIdleStrategy::woken`]: the preset for agents their producers wake.
fn backoff_woken() -> AnyIdleStrategy {
    BackoffIdleStrategy::woken().into()
}

/// `S` with its default arguments.
fn default<S: Default + Into<AnyIdleStrategy>>() -> AnyIdleStrategy {
    S::default().into()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::idle_strategy::config::test_support::parse;
    use crate::IdleStrategy;

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
    fn each_alias_names_the_strategy_whose_alias_it_is() {
        let aliases = ["spin", "noop", "yield", "sleep-ns", "sleep-ms", "backoff", "controllable"];
        for (row, alias) in NAMES.iter().zip(aliases) {
            assert_eq!(row.0, alias);
            assert_eq!(strategy_named(alias).map(|s| s.alias()), Some(alias));
        }
        for (name, strategy) in NAMES {
            assert!(aliases.contains(&strategy().alias()), "{name}");
        }
        assert!(strategy_named("Spin").is_none());
    }

    #[test]
    fn backoff_woken_is_backoff_with_parks_of_ten_milliseconds_from_the_first() {
        assert_eq!(parse("backoff-woken").unwrap(), parse("backoff:10,20,10ms,10ms").unwrap());
        assert_eq!(parse("backoff:10,20,10ms,10ms").unwrap().to_string(), "backoff-woken");
        assert_eq!(parse("backoff-woken").unwrap().build().alias(), "backoff");
    }
}
