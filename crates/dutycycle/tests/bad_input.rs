//! Bad input where it enters, beyond what the other files test: builder
//! options out of range at their overflow edges (core numbers up to `usize::MAX`, a timer
//! slack of `Duration::MAX`), thread names with a NUL anywhere or too long for Linux, idle
//! strategy periods at `Duration::MAX` and `u64::MAX` milliseconds, and absurd timeouts. Each
//! is refused with a typed error before any agent code runs, or cut in the documented way;
//! none panics.
//!
//! Already covered elsewhere: cores 1024 and 4096 (`runner.rs`,
//! `start_fails_when_core_is_not_allowed`), a NUL inside a builder name
//! (`start_fails_when_the_name_contains_a_nul_byte`), names cut to 15 bytes at a character
//! boundary (`long_names_are_cut_at_a_character_boundary_to_15_bytes`), timer slack of zero and
//! over 1 s (`runner.rs`), zero and just-over-an-hour periods
//! (`idle_strategies.rs`), and the idle strategy parser (`idle_config_props.rs` and the unit
//! tests in `src/idle_strategy/config/`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentGroup, AgentRunner, AgentRunnerBuilder, AgentTermination, BackoffIdleStrategy,
    CloseError, DynamicCompositeAgent, DynamicCompositeControl, DynamicCompositeError, Ending, IdleStrategy,
    IdleStrategyConfig, IdleStrategyError, SleepingIdleStrategy, SleepingMillisIdleStrategy, StartError,
    Statistics, MAX_PARK_PERIOD,
};
use dutycycle_test_support::{
    thread::{os_thread_name, timer_slack_ns},
    wait::{eventually, PATIENCE},
};

/// An agent that reports its OS thread name and timer slack from `on_start`, then idles.
struct Reporter {
    role: String,
    seen: mpsc::Sender<(String, u64)>,
}

impl Agent for Reporter {
    fn role_name(&self) -> &str {
        &self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        let _ = self.seen.send((os_thread_name(), timer_slack_ns()));
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

/// Starts a [`Reporter`] with `role` from `builder`; returns the OS name and slack it saw and
/// the report's thread name, after closing it.
fn seen_by_agent(builder: AgentRunnerBuilder, role: &str) -> (String, u64, String) {
    let (tx, rx) = mpsc::channel();
    let role = role.to_owned();
    let runner = builder
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(move || Ok(Reporter { role, seen: tx }))
        .unwrap();
    let (name, slack) = rx.recv_timeout(PATIENCE).unwrap();
    let report = runner.close().unwrap();
    (name, slack, report.thread_name().to_owned())
}

/// Starts with `builder`, expecting a refusal before any agent code ran; returns the error.
fn refused(builder: AgentRunnerBuilder) -> StartError {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let result = builder.start(move || {
        flag.store(true, Ordering::SeqCst);
        let (seen, _) = mpsc::channel();
        Ok(Reporter { role: "never".into(), seen })
    });
    let err = result.map(|runner| runner.close()).expect_err("the option was accepted");
    assert!(!ran.load(Ordering::SeqCst), "agent code ran before the option was refused: {err}");
    err
}

// ---------------------------------------------------------------------------------------------
// Core numbers

#[test]
fn any_core_number_outside_the_allowed_set_is_refused_up_to_usize_max() {
    let StartError::CoreNotAllowed { allowed, .. } = refused(AgentRunner::builder().core(usize::MAX)) else {
        panic!("usize::MAX was not refused as not allowed")
    };
    let past_the_last = allowed.last().unwrap() + 1;
    for core in [usize::MAX, usize::MAX - 1, 1 << 40, 1 << 32, u32::MAX as usize, 1023, past_the_last] {
        if allowed.contains(&core) {
            continue; // 1023 on a machine that has it
        }
        let err = refused(AgentRunner::builder().core(core));
        let StartError::CoreNotAllowed { core: refused_core, allowed: listed } = &err else {
            panic!("core {core}: expected CoreNotAllowed, got {err:?}")
        };
        assert_eq!(*refused_core, core);
        assert_eq!(*listed, allowed);
        assert!(err.to_string().contains(&core.to_string()), "{err}");
    }
}

#[test]
fn a_group_refuses_a_bad_core_and_keeps_its_runners() {
    let mut group = AgentGroup::new(AgentTermination::new());
    let (tx, rx) = mpsc::channel();
    group
        .start(
            AgentRunner::builder().idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap()),
            move || Ok(Reporter { role: "kept".into(), seen: tx }),
        )
        .unwrap();
    rx.recv_timeout(PATIENCE).unwrap();
    let err = group
        .start(AgentRunner::builder().core(usize::MAX), || -> Result<Reporter, AgentError> {
            unreachable!("the factory must not run")
        })
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, StartError::CoreNotAllowed { core: usize::MAX, .. }), "{err:?}");
    assert_eq!(group.runners().len(), 1);
    assert!(group.runners()[0].is_running());
    let reports = group.close();
    assert!(matches!(reports[0].as_ref().unwrap().ending(), Ending::Closed));
}

// ---------------------------------------------------------------------------------------------
// Timer slack

#[test]
fn a_timer_slack_of_duration_max_is_refused_and_one_second_is_the_largest_accepted() {
    let err = refused(AgentRunner::builder().timer_slack(Duration::MAX));
    assert!(matches!(err, StartError::InvalidTimerSlack { slack: Duration::MAX }), "{err:?}");
    assert!(err.to_string().contains("between 1 ns and 1 s"), "{err}");
    let (_, slack, _) = seen_by_agent(AgentRunner::builder().timer_slack(Duration::from_secs(1)), "slack");
    assert_eq!(slack, 1_000_000_000);
}

// ---------------------------------------------------------------------------------------------
// Thread names

#[test]
fn a_name_with_a_nul_anywhere_is_refused() {
    for name in ["\0", "\0name", "name\0", "a-name-longer-than-15\0bytes", "abc\0def"] {
        let err = refused(AgentRunner::builder().name(name));
        let StartError::InvalidName { name: refused_name } = &err else {
            panic!("{name:?}: expected InvalidName, got {err:?}")
        };
        assert_eq!(refused_name, name);
        assert!(err.to_string().contains("NUL"), "{err}");
    }
}

#[test]
fn names_of_15_bytes_are_kept_and_longer_ones_cut_before_a_split_character() {
    let (os, _, report) = seen_by_agent(AgentRunner::builder().name("exactly-15-byte"), "x");
    assert_eq!((os.as_str(), report.as_str()), ("exactly-15-byte", "exactly-15-byte"));
    let (os, _, report) = seen_by_agent(AgentRunner::builder().name("sixteen-bytes-ab"), "x");
    assert_eq!((os.as_str(), report.as_str()), ("sixteen-bytes-a", "sixteen-bytes-a"));
    // 13 ASCII bytes then a 4-byte crab: bytes 14 to 17 cannot be split, so it all goes.
    let (os, _, report) = seen_by_agent(AgentRunner::builder().name("abcdefghijklm🦀"), "x");
    assert_eq!((os.as_str(), report.as_str()), ("abcdefghijklm", "abcdefghijklm"));
}

#[test]
fn a_role_name_with_a_nul_names_the_thread_up_to_the_nul() {
    // No builder name: the thread is named after the role, which start cannot refuse (the role
    // is only known on the agent thread). The OS name stops at the NUL; the role is kept whole.
    let (os, _, report_name) = seen_by_agent(AgentRunner::builder(), "feed\0handler");
    assert_eq!(os, "feed");
    assert_eq!(report_name, "feed");
    let (tx, _rx) = mpsc::channel();
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(move || Ok(Reporter { role: "feed\0handler".into(), seen: tx }))
        .unwrap();
    assert_eq!(runner.role(), "feed\0handler");
    assert_eq!(runner.close().unwrap().role(), "feed\0handler");
}

#[test]
fn an_empty_name_is_refused_or_falls_back_to_the_role() {
    let (tx, rx) = mpsc::channel();
    let result = AgentRunner::builder()
        .name("")
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(move || Ok(Reporter { role: "gateway".into(), seen: tx }));
    match result {
        Err(StartError::InvalidName { name }) => assert_eq!(name, ""),
        Err(other) => panic!("expected InvalidName, got {other:?}"),
        Ok(runner) => {
            let (os, _) = rx.recv_timeout(PATIENCE).unwrap();
            let report = runner.close().unwrap();
            assert_eq!((os.as_str(), report.thread_name()), ("gateway", "gateway"), "an empty name");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Idle strategy periods at their overflow edges

#[test]
fn periods_of_duration_max_and_u64_max_millis_are_refused_without_overflow() {
    let too_long = |err: IdleStrategyError, expected: Duration| {
        assert!(
            matches!(err, IdleStrategyError::PeriodTooLong { period, max, .. } if period == expected && max == MAX_PARK_PERIOD),
            "{err:?}"
        );
    };
    too_long(SleepingIdleStrategy::new(Duration::MAX).unwrap_err(), Duration::MAX);
    too_long(SleepingMillisIdleStrategy::new(u64::MAX).unwrap_err(), Duration::from_millis(u64::MAX));
    too_long(
        BackoffIdleStrategy::new(10, 20, Duration::from_micros(1), Duration::MAX).unwrap_err(),
        Duration::MAX,
    );
    too_long(BackoffIdleStrategy::new(10, 20, Duration::MAX, Duration::MAX).unwrap_err(), Duration::MAX);
    too_long(IdleStrategyConfig::sleeping(Duration::MAX).unwrap_err(), Duration::MAX);
    too_long(IdleStrategyConfig::sleeping_millis(u64::MAX).unwrap_err(), Duration::from_millis(u64::MAX));
    too_long(
        IdleStrategyConfig::backoff(1, 1, Duration::from_nanos(1), Duration::MAX).unwrap_err(),
        Duration::MAX,
    );
    assert!(matches!(
        BackoffIdleStrategy::new(10, 20, Duration::MAX, Duration::from_millis(1)).unwrap_err(),
        IdleStrategyError::PeriodTooLong { what: "min park period", .. }
    ));
}

#[test]
fn backoff_with_u64_max_spins_and_yields_is_accepted_and_does_not_overflow() {
    let mut backoff =
        BackoffIdleStrategy::new(u64::MAX, u64::MAX, Duration::from_nanos(1), MAX_PARK_PERIOD).unwrap();
    assert_eq!((backoff.max_spins(), backoff.max_yields()), (u64::MAX, u64::MAX));
    for _ in 0..1_000 {
        backoff.idle(0); // spins: u64::MAX of them are never reached, nothing overflows
    }
    backoff.idle(1);
    let config =
        IdleStrategyConfig::backoff(u64::MAX, u64::MAX, Duration::from_nanos(1), MAX_PARK_PERIOD).unwrap();
    assert_eq!(config.to_string().parse::<IdleStrategyConfig>(), Ok(config));
}

// ---------------------------------------------------------------------------------------------
// Absurd timeouts and thresholds

/// A runner whose agent idles in 10 s parks.
fn idle_runner(role: &str) -> AgentRunner {
    let (tx, _rx) = mpsc::channel();
    let role = role.to_owned();
    AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(move || Ok(Reporter { role, seen: tx }))
        .unwrap()
}

#[test]
fn close_timeout_of_zero_returns_at_once_and_the_stop_it_asked_for_stands() {
    let runner = idle_runner("zero");
    let asked = Instant::now();
    let result = runner.close_timeout(Duration::ZERO);
    assert!(asked.elapsed() < Duration::from_secs(5), "a zero timeout blocked for {:?}", asked.elapsed());
    let report = match result {
        Ok(report) => report, // the agent was quicker than the check
        Err(CloseError::TimedOut(timed_out)) => {
            assert_eq!(timed_out.role(), "zero");
            timed_out.into_runner().join().unwrap()
        }
        Err(CloseError::Failed(failed)) => panic!("{failed}"),
    };
    assert!(matches!(report.ending(), Ending::Closed), "the stop was requested: {report}");
}

#[test]
fn close_timeout_of_duration_max_waits_like_close() {
    let report = idle_runner("forever").close_timeout(Duration::MAX).unwrap();
    assert!(matches!(report.ending(), Ending::Closed));
    assert_eq!(report.role(), "forever");
}

#[test]
fn wait_timeout_of_duration_max_returns_once_the_latch_is_signalled() {
    let termination = AgentTermination::new();
    termination.signal();
    assert!(termination.wait_timeout(Duration::MAX));
    let termination = AgentTermination::new();
    let remote = termination.clone();
    let signaller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        remote.signal();
    });
    assert!(termination.wait_timeout(Duration::MAX));
    signaller.join().unwrap();
}

#[test]
fn pending_requests_take_zero_and_duration_max_timeouts() {
    let control = DynamicCompositeControl::new();
    let attach = control.clone();
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(move || Ok(DynamicCompositeAgent::new("dynamic", &attach)?))
        .unwrap();
    // `start` returns before the composite's first `do_work`, which applies any request it
    // finds: a request made before that cycle (the agent thread late on a loaded machine) is
    // answered without a park, and a zero wait that comes late too sees the answer. The first
    // cycle's count is published before its park, after the `do_work` that found no request.
    // From here the composite is parked for 10 s and not woken: whenever the zero wait comes,
    // it cannot see the request applied.
    eventually("the composite's first cycle has run", || runner.stats().duty_cycles >= 1);
    let (tx, _rx) = mpsc::channel();
    let pending = control.add(move || Ok(Reporter { role: "added".into(), seen: tx })).unwrap();
    std::thread::sleep(Duration::from_millis(20)); // a zero wait that comes late, as on a loaded machine
    assert!(matches!(
        pending.wait_timeout(Duration::ZERO),
        Err(DynamicCompositeError::TimedOut(Duration::ZERO))
    ));
    runner.waker().wake(); // the request stands: it is applied on the next cycle
    eventually("the timed-out request is applied anyway", || control.len() == 1);
    let (tx, _rx) = mpsc::channel();
    let pending = control.add(move || Ok(Reporter { role: "added-2".into(), seen: tx })).unwrap();
    runner.waker().wake();
    pending.wait_timeout(Duration::MAX).unwrap();
    assert_eq!(control.len(), 2);
    runner.close().unwrap();
}

#[test]
fn timing_thresholds_of_zero_and_duration_max_count_every_cycle_or_none_as_slow() {
    for (threshold, all_slow) in [(Duration::ZERO, true), (Duration::MAX, false)] {
        let (tx, _rx) = mpsc::channel();
        let runner = AgentRunner::builder()
            .statistics(Statistics::Timed { threshold })
            .idle_strategy(SleepingIdleStrategy::new(Duration::from_micros(50)).unwrap())
            .start(move || Ok(Reporter { role: "timed".into(), seen: tx }))
            .unwrap();
        eventually("a few cycles run", || runner.stats().duty_cycles >= 5);
        let report = runner.close().unwrap();
        let stats = report.stats();
        let slow = stats.slow_cycles.expect("timing is on");
        assert!(stats.max_cycle.is_some());
        if all_slow {
            assert_eq!(slow, stats.duty_cycles, "a zero threshold: every cycle is slow");
        } else {
            assert_eq!(slow, 0, "no cycle is slower than Duration::MAX");
        }
    }
}
