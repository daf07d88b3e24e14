//! The idle strategies under test, as values, and a way to run generic code with each.

use std::time::Duration;

use dutycycle::{
    BackoffIdleStrategy, BusySpinIdleStrategy, IdleStrategy, NoOpIdleStrategy, SleepingIdleStrategy,
    SleepingMillisIdleStrategy, YieldingIdleStrategy,
};

/// An idle strategy with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `BusySpinIdleStrategy`.
    Spin,
    /// `NoOpIdleStrategy`.
    NoOp,
    /// `YieldingIdleStrategy`.
    Yield,
    /// `SleepingIdleStrategy` with this period.
    SleepNs(Duration),
    /// `SleepingMillisIdleStrategy` with this many milliseconds.
    SleepMs(u64),
    /// `BackoffIdleStrategy` with the default spins and yields and these park periods (min, max).
    Backoff(Duration, Duration),
}

impl Strategy {
    /// Backoff with all of Aeron's defaults (10, 20, 1 µs, 1 ms).
    pub const BACKOFF: Strategy = Strategy::Backoff(
        BackoffIdleStrategy::DEFAULT_MIN_PARK_PERIOD,
        BackoffIdleStrategy::DEFAULT_MAX_PARK_PERIOD,
    );
    /// `BackoffIdleStrategy::woken()` (`backoff-woken`: 10, 20, 10 ms, 10 ms).
    pub const BACKOFF_WOKEN: Strategy =
        Strategy::Backoff(BackoffIdleStrategy::WOKEN_PARK_PERIOD, BackoffIdleStrategy::WOKEN_PARK_PERIOD);
    /// Sleeping with Agrona's default period (1 µs).
    pub const SLEEP_NS: Strategy = Strategy::SleepNs(SleepingIdleStrategy::DEFAULT_PERIOD);

    /// A short name: Aeron's alias plus any non-default parameter.
    pub fn label(self) -> String {
        match self {
            Strategy::Spin => "spin".into(),
            Strategy::NoOp => "noop".into(),
            Strategy::Yield => "yield".into(),
            Strategy::SleepNs(d) => format!("sleep-ns {d:?}"),
            Strategy::SleepMs(ms) => format!("sleep-ms {ms}ms"),
            s if s == Strategy::BACKOFF => "backoff".into(),
            s if s == Strategy::BACKOFF_WOKEN => "backoff-woken".into(),
            Strategy::Backoff(min, max) if min == BackoffIdleStrategy::DEFAULT_MIN_PARK_PERIOD => {
                format!("backoff max park {max:?}")
            }
            Strategy::Backoff(min, max) => format!("backoff park {min:?}..{max:?}"),
        }
    }

    /// Whether the strategy parks (so timer slack and wake-ups matter).
    pub fn parks(self) -> bool {
        matches!(self, Strategy::SleepNs(_) | Strategy::SleepMs(_) | Strategy::Backoff(..))
    }

    /// Calls `f` with a fresh strategy of this kind.
    pub fn with<F: WithIdle>(self, f: F) -> F::Out {
        match self {
            Strategy::Spin => f.run(BusySpinIdleStrategy),
            Strategy::NoOp => f.run(NoOpIdleStrategy),
            Strategy::Yield => f.run(YieldingIdleStrategy),
            Strategy::SleepNs(d) => f.run(SleepingIdleStrategy::new(d).expect("valid period")),
            Strategy::SleepMs(ms) => f.run(SleepingMillisIdleStrategy::new(ms).expect("valid period")),
            Strategy::Backoff(min, max) => f.run(
                BackoffIdleStrategy::new(
                    BackoffIdleStrategy::DEFAULT_MAX_SPINS,
                    BackoffIdleStrategy::DEFAULT_MAX_YIELDS,
                    min,
                    max,
                )
                .expect("valid backoff"),
            ),
        }
    }
}

/// Generic code to run with a concrete idle strategy type (the runner is monomorphic in it).
pub trait WithIdle {
    /// What the code returns.
    type Out;
    /// Runs with `idle`.
    fn run<I: IdleStrategy + Clone + Send + 'static>(self, idle: I) -> Self::Out;
}

/// A strategy plus the runner options that change how it idles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The strategy.
    pub strategy: Strategy,
    /// The agent thread's timer slack (`None`: the kernel default, 50 µs).
    pub slack: Option<Duration>,
    /// Whether the producer calls `AgentWaker::wake` after each message.
    pub wake: bool,
}

impl Setup {
    /// The strategy with default slack and no wake-ups.
    pub const fn plain(strategy: Strategy) -> Setup {
        Setup { strategy, slack: None, wake: false }
    }

    /// The same with a timer slack.
    pub const fn slack(self, slack: Duration) -> Setup {
        Setup { slack: Some(slack), ..self }
    }

    /// The same, woken by the producer.
    pub const fn woken(self) -> Setup {
        Setup { wake: true, ..self }
    }

    /// e.g. `backoff + wake()`, `sleep-ns 1µs, slack 1µs`.
    pub fn label(self) -> String {
        let mut s = self.strategy.label();
        if self.wake {
            s.push_str(" + wake()");
        }
        if let Some(slack) = self.slack {
            s.push_str(&format!(", slack {slack:?}"));
        }
        s
    }
}
