//! The `serde` feature: `Statistics` and `RunnerConfig` through JSON and TOML, their error
//! messages, and runners built from a configuration. (`IdleStrategyConfig`'s round trips are
//! in `idle_config_props.rs`, beside its parser's properties.)
#![cfg(feature = "serde")]

use std::time::Duration;

use dutycycle::{
    Agent, AgentError, IdleMode, IdleStrategy, IdleStrategyConfig, RunnerConfig, StartError, Statistics,
    MAX_DRAIN_TIMEOUT,
};
use dutycycle_test_support::error_chain::report;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Runners {
    runner: RunnerConfig,
}

#[test]
fn statistics_serialize_as_they_print_and_read_back() {
    for mode in [
        Statistics::Off,
        Statistics::Counters,
        Statistics::Timed { threshold: Duration::from_millis(1) },
        Statistics::Timed { threshold: Duration::from_nanos(1_500) },
    ] {
        let json = serde_json::to_string(&mode).unwrap();
        assert_eq!(json, format!("\"{mode}\""));
        assert_eq!(serde_json::from_str::<Statistics>(&json).unwrap(), mode);
    }
}

#[test]
fn bad_statistics_fail_with_the_parsers_message_and_its_causes() {
    for bad in ["timing", "timed", "off:1ms", "timed:5", "timed:1.5ms"] {
        let parsed = bad.parse::<Statistics>().unwrap_err();
        let err = serde_json::from_value::<Statistics>(serde_json::Value::String(bad.into())).unwrap_err();
        assert_eq!(err.to_string(), report(&parsed), "{bad}");
    }
    let err = toml::from_str::<Runners>("[runner]\nstatistics = \"timed:5\"").unwrap_err();
    assert_eq!(
        err.message(),
        r#"bad threshold "5" for timed statistics: a unit is required (ns, us, µs, ms or s)"#
    );
}

#[test]
fn a_runner_config_reads_every_option_from_toml_and_writes_it_back() {
    let text = r#"
        [runner]
        name = "md-poller"
        core = 0
        idle_strategy = "aeron_idle_strategy_backoff:100,10,10us,2ms"
        statistics = "timed:500us"
        timer_slack = "1us"
        drain_timeout = "250ms"
        close_timeout = "5s"
    "#;
    let read: Runners = toml::from_str(text).unwrap();
    let config = &read.runner;
    assert_eq!(config.name.as_deref(), Some("md-poller"));
    assert_eq!(config.core, Some(0));
    assert_eq!(
        config.idle_strategy,
        IdleStrategyConfig::backoff(100, 10, Duration::from_micros(10), Duration::from_millis(2)).unwrap()
    );
    assert_eq!(config.statistics, Statistics::Timed { threshold: Duration::from_micros(500) });
    assert_eq!(config.timer_slack, Some(Duration::from_micros(1)));
    assert_eq!(config.drain_timeout, Duration::from_millis(250));
    assert_eq!(config.close_timeout, Some(Duration::from_secs(5)));

    let written = toml::to_string(&read).unwrap();
    assert_eq!(
        written,
        "[runner]\nname = \"md-poller\"\ncore = 0\nidle_strategy = \"backoff:100,10,10us,2ms\"\n\
         statistics = \"timed:500us\"\ntimer_slack = \"1us\"\ndrain_timeout = \"250ms\"\nclose_timeout = \"5s\"\n"
    );
    assert_eq!(toml::from_str::<Runners>(&written).unwrap(), read);
    let json = serde_json::to_string(&read).unwrap();
    assert_eq!(serde_json::from_str::<Runners>(&json).unwrap(), read);
}

#[test]
fn left_out_options_take_the_builders_defaults_and_are_not_written() {
    let read: Runners = toml::from_str("[runner]").unwrap();
    assert_eq!(read.runner, RunnerConfig::default());
    assert_eq!(read.runner.idle_strategy, IdleStrategyConfig::default());
    assert_eq!(read.runner.statistics, Statistics::Counters);
    assert_eq!(read.runner.drain_timeout, dutycycle::DEFAULT_DRAIN_TIMEOUT);
    assert_eq!(
        toml::to_string(&read).unwrap(),
        "[runner]\nidle_strategy = \"backoff\"\nstatistics = \"counters\"\ndrain_timeout = \"5s\"\n"
    );
    assert_eq!(
        serde_json::to_string(&RunnerConfig::default()).unwrap(),
        r#"{"idle_strategy":"backoff","statistics":"counters","drain_timeout":"5s"}"#
    );
}

#[test]
fn a_bad_option_fails_to_read_and_says_which_and_why() {
    let message = |text: &str| toml::from_str::<Runners>(text).unwrap_err().message().to_owned();
    assert_eq!(
        message("[runner]\nidle_strategy = \"backof\""),
        r#"unknown idle strategy "backof", did you mean "backoff"?"#
    );
    assert_eq!(
        message("[runner]\ndrain_timeout = \"5\""),
        r#"bad duration "5": a unit is required (ns, us, µs, ms or s)"#
    );
    assert_eq!(
        message("[runner]\nclose_timeout = \"1h\""),
        r#"bad duration "1h": unknown unit "h" (expected ns, us, µs, ms or s)"#
    );
    assert!(message("[runner]\nidle = \"spin\"").starts_with("unknown field `idle`, expected one of"));
    assert!(
        message("[runner]\ndrain_timeout = 5").contains(r#"expected a duration with a unit, such as "5s""#)
    );
    // The whole error says where, too.
    let err = toml::from_str::<Runners>("[runner]\nidle_strategy = \"backof\"").unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn a_value_no_runner_can_take_is_refused_by_builder_with_a_typed_error() {
    let read = |text: &str| toml::from_str::<Runners>(text).unwrap().runner;
    assert!(matches!(
        read("[runner]\ncore = 4096").builder(),
        Err(StartError::CoreNotAllowed { core: 4096, .. })
    ));
    assert!(matches!(read("[runner]\nname = \"\"").builder(), Err(StartError::InvalidName { .. })));
    assert!(matches!(
        read("[runner]\ntimer_slack = \"0ns\"").builder(),
        Err(StartError::InvalidTimerSlack { slack: Duration::ZERO })
    ));
    assert!(matches!(
        read("[runner]\ndrain_timeout = \"3601s\"").builder(),
        Err(StartError::InvalidDrainTimeout { max: MAX_DRAIN_TIMEOUT, .. })
    ));
    assert!(read("[runner]\ndrain_timeout = \"3600s\"").builder().is_ok());
}

/// Counts its cycles and ends itself after a few, one of them slow.
struct Counter(u32);

impl Agent for Counter {
    fn role_name(&self) -> &str {
        "counter"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.0 += 1;
        if self.0 == 2 {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.0 == 10 {
            return Err(AgentError::terminate());
        }
        Ok(1)
    }
}

#[test]
fn a_runner_built_from_a_config_runs_with_its_options() {
    let config = toml::from_str::<Runners>(
        "[runner]\nname = \"from-config\"\nidle_strategy = \"sleep-ns:10us\"\nstatistics = \"timed:1ms\"\n\
         drain_timeout = \"0s\"\nclose_timeout = \"60s\"",
    )
    .unwrap()
    .runner;
    let runner = config.builder().unwrap().start(|| Ok(Counter(0))).unwrap();
    assert_eq!(runner.drain_timeout(), Duration::ZERO);
    let report = runner.join().unwrap();
    assert_eq!(report.duty_cycles(), 10);
    assert_eq!(report.stats().slow_cycles, Some(1), "timed statistics, threshold 1 ms");

    let runner = config.builder().unwrap().start(|| Ok(Counter(0))).unwrap();
    assert!(config.close(runner).unwrap().is_clean());
}

#[test]
fn each_builder_from_a_controllable_config_has_a_control_of_its_own() {
    let config =
        toml::from_str::<Runners>("[runner]\nidle_strategy = \"controllable:yield\"").unwrap().runner;
    let (first, second) = (config.idle_strategy.build(), config.idle_strategy.build());
    let (a, b) = (first.control().unwrap(), second.control().unwrap());
    a.set_mode(IdleMode::Park);
    assert_eq!((a.mode(), b.mode()), (IdleMode::Park, IdleMode::Yield));
    assert_eq!(first.alias(), "controllable");
}

#[test]
fn the_tuning_guides_configuration_file_reads_as_it_says() {
    let guide = include_str!("../../../docs/TUNING.md");
    let start = guide.find("```toml\n").expect("a TOML example in docs/TUNING.md") + "```toml\n".len();
    let end = start + guide[start..].find("```").unwrap();
    #[derive(serde::Deserialize)]
    struct File {
        runners: std::collections::BTreeMap<String, RunnerConfig>,
    }
    let file: File = toml::from_str(&guide[start..end]).unwrap();
    let consumer = &file.runners["consumer"];
    assert_eq!(consumer.name.as_deref(), Some("consumer"));
    assert_eq!(consumer.core, Some(2));
    assert_eq!(consumer.idle_strategy.to_string(), "backoff:100,10,10us,1ms");
    assert_eq!(consumer.statistics, Statistics::Timed { threshold: Duration::from_micros(100) });
    assert_eq!(consumer.timer_slack, Some(Duration::from_micros(1)));
    assert_eq!(consumer.drain_timeout, Duration::from_secs(2));
    assert_eq!(consumer.close_timeout, Some(Duration::from_secs(10)));
    // The error the guide shows.
    let err = toml::from_str::<File>("[runners.producer]\ndrain_timeout = \"5\"\n").err().unwrap();
    let shown =
        "TOML parse error at line 2, column 17\n  |\n2 | drain_timeout = \"5\"\n  |                 ^^^\n\
                 bad duration \"5\": a unit is required (ns, us, µs, ms or s)\n";
    assert_eq!(err.to_string(), shown);
    assert!(guide.contains(shown.trim_end()), "docs/TUNING.md shows the error as it is");
}
