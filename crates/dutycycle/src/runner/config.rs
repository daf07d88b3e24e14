//! [`RunnerConfig`]: a runner's options as a configuration file holds them (feature `serde`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{
    AgentRunner, AgentRunnerBuilder, AnyIdleStrategy, IdleStrategyConfig, StartError, Statistics,
    DEFAULT_DRAIN_TIMEOUT,
};

/// A runner's options as a configuration file holds them: every value a text, in the forms
/// flags take (`"backoff:10,20,1us,1ms"`, `"timed:1ms"`, `"5s"`); [`builder`](Self::builder)
/// turns them into an [`AgentRunnerBuilder`]. Needs the `serde` feature.
///
/// Every field may be left out, for the builder's default; an unknown field is an error, so a
/// misspelt option is not silently ignored. Durations are a whole number with a unit (`ns`,
/// `us` or `µs`, `ms`, `s`), the unit required. A value that does not parse fails to
/// deserialize with the parser's message and its causes; a value that parses but that no
/// runner can take (an empty name, a core this process may not use, a drain timeout over an
/// hour) is refused by `builder`, before any thread starts.
///
/// # Examples
///
/// ```
/// # use std::time::Duration;
/// use dutycycle::{Agent, AgentError, RunnerConfig, Statistics};
///
/// #[derive(serde::Deserialize)]
/// struct File {
///     poller: RunnerConfig,
/// }
///
/// let file: File = toml::from_str(r#"
///     [poller]
///     name = "md-poller"
///     idle_strategy = "org.agrona.concurrent.SleepingIdleStrategy"
///     statistics = "timed:1ms"
///     drain_timeout = "100ms"
/// "#)?;
/// let config = &file.poller;
/// assert_eq!(config.idle_strategy.to_string(), "sleep-ns");
/// assert_eq!(config.statistics, Statistics::Timed { threshold: Duration::from_millis(1) });
///
/// struct Poller;
/// impl Agent for Poller {
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
/// let runner = config.builder()?.start(|| Ok(Poller))?;
/// assert_eq!(runner.drain_timeout(), Duration::from_millis(100));
/// runner.close()?;
///
/// let err = toml::from_str::<File>("[poller]\nidle_strategy = \"backof\"").err().unwrap();
/// assert_eq!(err.message(), r#"unknown idle strategy "backof", did you mean "backoff"?"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RunnerConfig {
    /// The thread's name ([`AgentRunnerBuilder::name`]); without one, the agent's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The CPU to pin the thread to ([`AgentRunnerBuilder::core`]); without one, not pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core: Option<usize>,
    /// The idle strategy ([`AgentRunnerBuilder::idle_strategy`]); default `backoff`.
    pub idle_strategy: IdleStrategyConfig,
    /// Which statistics to keep ([`AgentRunnerBuilder::statistics`]); default `counters`.
    pub statistics: Statistics,
    /// The thread's timer slack ([`AgentRunnerBuilder::timer_slack`]); without one, Linux's.
    #[serde(with = "crate::serde_text::option_duration", skip_serializing_if = "Option::is_none")]
    pub timer_slack: Option<Duration>,
    /// How long the agent may drain when asked to stop ([`AgentRunnerBuilder::drain_timeout`]);
    /// default 5 s, `"0s"` for no drain.
    #[serde(with = "crate::serde_text::duration")]
    pub drain_timeout: Duration,
    /// How long closing the runner may take, drain included, before the caller stops waiting:
    /// for [`AgentRunner::close_timeout`], which [`close`](Self::close) calls. Without one,
    /// `close` waits as long as the agent takes. The builder does not use it.
    #[serde(with = "crate::serde_text::option_duration", skip_serializing_if = "Option::is_none")]
    pub close_timeout: Option<Duration>,
}

impl Default for RunnerConfig {
    /// The defaults of [`AgentRunner::builder`]: no name, no core, `backoff`, `counters`, the
    /// OS's timer slack, a 5 s drain, and no close timeout.
    fn default() -> Self {
        RunnerConfig {
            name: None,
            core: None,
            idle_strategy: IdleStrategyConfig::default(),
            statistics: Statistics::default(),
            timer_slack: None,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            close_timeout: None,
        }
    }
}

impl RunnerConfig {
    /// A builder with these options, checked as [`AgentRunnerBuilder::start`] checks them, so
    /// that a bad value is refused before any runner starts. Each call builds a fresh idle
    /// strategy (for `controllable`, with a control of its own: take it with
    /// [`AnyIdleStrategy::control`] before `start`).
    ///
    /// # Errors
    ///
    /// The [`StartError`] that `start` would return for the same options:
    /// [`InvalidName`](StartError::InvalidName), [`InvalidTimerSlack`](StartError::InvalidTimerSlack),
    /// [`InvalidDrainTimeout`](StartError::InvalidDrainTimeout),
    /// [`CoreNotAllowed`](StartError::CoreNotAllowed), or [`Thread`](StartError::Thread) when
    /// the allowed cores could not be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{RunnerConfig, StartError};
    ///
    /// let mut config = RunnerConfig::default();
    /// config.core = Some(4096);
    /// assert!(matches!(config.builder(), Err(StartError::CoreNotAllowed { core: 4096, .. })));
    /// config.core = None;
    /// config.name = Some(String::new());
    /// assert!(matches!(config.builder(), Err(StartError::InvalidName { .. })));
    /// ```
    pub fn builder(&self) -> Result<AgentRunnerBuilder<AnyIdleStrategy>, StartError> {
        let mut builder = AgentRunner::builder()
            .idle_strategy(self.idle_strategy.build())
            .statistics(self.statistics)
            .drain_timeout(self.drain_timeout);
        if let Some(name) = &self.name {
            builder = builder.name(name.clone());
        }
        if let Some(core) = self.core {
            builder = builder.core(core);
        }
        if let Some(slack) = self.timer_slack {
            builder = builder.timer_slack(slack);
        }
        builder.check()?;
        Ok(builder)
    }

    /// Closes `runner` as configured: [`AgentRunner::close_timeout`] with the
    /// [`close_timeout`](Self::close_timeout), or, without one, [`AgentRunner::close`].
    ///
    /// # Errors
    ///
    /// As [`AgentRunner::close_timeout`]; without a timeout, only
    /// [`CloseError::Failed`](crate::CloseError::Failed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Agent, AgentError, RunnerConfig};
    ///
    /// struct Idle;
    /// impl Agent for Idle {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
    /// }
    /// let mut config = RunnerConfig::default();
    /// config.close_timeout = Some(Duration::from_secs(30));
    /// let runner = config.builder()?.start(|| Ok(Idle))?;
    /// assert!(config.close(runner)?.is_clean());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self, runner: AgentRunner) -> Result<crate::AgentReport, crate::CloseError> {
        match self.close_timeout {
            Some(timeout) => runner.close_timeout(timeout),
            None => runner.close().map_err(crate::CloseError::Failed),
        }
    }
}
