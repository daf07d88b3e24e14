/// The known names in short, for messages.
pub(super) const KNOWN: &str = "spin, noop, yield, sleep-ns, sleep-ms, backoff or controllable \
    (or Aeron C's aeron_idle_strategy_* or Agrona's org.agrona.concurrent.*IdleStrategy names)";

/// The strategies a name may stand for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    NoOp,
    BusySpin,
    Yielding,
    Sleeping,
    SleepingMillis,
    Backoff,
    Controllable,
}

impl Kind {
    pub(super) fn alias(self) -> &'static str {
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

    pub(super) fn usage(self) -> &'static str {
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
pub(super) const NAMES: &[(&str, Kind)] = &[
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

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::IdleStrategyConfig;

    fn parse(s: &str) -> Result<IdleStrategyConfig, crate::IdleStrategyParseError> {
        s.parse()
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
}
