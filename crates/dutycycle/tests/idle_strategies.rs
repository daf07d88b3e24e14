//! The idle strategies through their public API: Aeron's aliases and defaults, `Debug` that
//! shows the configuration, constructors that refuse nonsense, and parks of about the period
//! asked for. (Backoff's state machine is driven call by call in its unit tests.)

use std::time::{Duration, Instant};

use dutycycle::{
    BackoffIdleStrategy, BusySpinIdleStrategy, IdleStrategy, IdleStrategyError, NoOpIdleStrategy,
    SleepingIdleStrategy, SleepingMillisIdleStrategy, YieldingIdleStrategy, MAX_PARK_PERIOD,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn aliases_are_aerons() {
    let strategies: Vec<Box<dyn IdleStrategy>> = vec![
        Box::new(BusySpinIdleStrategy),
        Box::new(NoOpIdleStrategy),
        Box::new(YieldingIdleStrategy),
        Box::new(SleepingIdleStrategy::default()),
        Box::new(SleepingMillisIdleStrategy::default()),
        Box::new(BackoffIdleStrategy::default()),
    ];
    let aliases: Vec<&str> = strategies.iter().map(|s| s.alias()).collect();
    assert_eq!(aliases, ["spin", "noop", "yield", "sleep-ns", "sleep-ms", "backoff"]);
}

#[test]
fn defaults_are_aerons() {
    let backoff = BackoffIdleStrategy::default();
    assert_eq!(backoff.max_spins(), 10);
    assert_eq!(backoff.max_yields(), 20);
    assert_eq!(backoff.min_park_period(), Duration::from_micros(1));
    assert_eq!(backoff.max_park_period(), ms(1));
    assert_eq!(SleepingIdleStrategy::default().period(), Duration::from_micros(1));
    assert_eq!(SleepingMillisIdleStrategy::default().period(), ms(1));
}

#[test]
fn debug_shows_the_configuration() {
    let backoff = BackoffIdleStrategy::new(7, 3, Duration::from_micros(5), ms(2)).unwrap();
    assert_eq!(
        format!("{backoff:?}"),
        "BackoffIdleStrategy { max_spins: 7, max_yields: 3, min_park_period: 5µs, max_park_period: 2ms }"
    );
    let sleeping = SleepingIdleStrategy::new(Duration::from_micros(250)).unwrap();
    assert_eq!(format!("{sleeping:?}"), "SleepingIdleStrategy { period: 250µs }");
    let millis = SleepingMillisIdleStrategy::new(15).unwrap();
    assert_eq!(format!("{millis:?}"), "SleepingMillisIdleStrategy { period: 15ms }");
    assert_eq!(format!("{:?}", BusySpinIdleStrategy), "BusySpinIdleStrategy");
    assert_eq!(format!("{:?}", NoOpIdleStrategy), "NoOpIdleStrategy");
    assert_eq!(format!("{:?}", YieldingIdleStrategy), "YieldingIdleStrategy");
}

#[test]
fn backoff_refuses_a_max_park_below_the_min_park() {
    let err = BackoffIdleStrategy::new(10, 20, ms(2), ms(1)).unwrap_err();
    assert_eq!(err, IdleStrategyError::MaxParkBelowMinPark { min: ms(2), max: ms(1) });
    assert_eq!(err.to_string(), "max park period 1ms is below min park period 2ms");
    assert!(BackoffIdleStrategy::new(10, 20, ms(1), ms(1)).is_ok(), "equal periods are fine");
}

#[test]
fn backoff_refuses_zero_and_overlong_park_periods() {
    assert_eq!(
        BackoffIdleStrategy::new(10, 20, Duration::ZERO, ms(1)).unwrap_err(),
        IdleStrategyError::ZeroPeriod { what: "min park period" }
    );
    let too_long = MAX_PARK_PERIOD + Duration::from_nanos(1);
    assert_eq!(
        BackoffIdleStrategy::new(10, 20, ms(1), too_long).unwrap_err(),
        IdleStrategyError::PeriodTooLong { what: "max park period", period: too_long, max: MAX_PARK_PERIOD }
    );
    assert!(BackoffIdleStrategy::new(0, 0, Duration::from_nanos(1), MAX_PARK_PERIOD).is_ok());
}

#[test]
fn sleeping_refuses_zero_and_overlong_periods() {
    let err = SleepingIdleStrategy::new(Duration::ZERO).unwrap_err();
    assert_eq!(err, IdleStrategyError::ZeroPeriod { what: "sleep period" });
    assert_eq!(err.to_string(), "sleep period must be greater than zero");
    let too_long = MAX_PARK_PERIOD + Duration::from_nanos(1);
    assert!(matches!(
        SleepingIdleStrategy::new(too_long).unwrap_err(),
        IdleStrategyError::PeriodTooLong { period, .. } if period == too_long
    ));
    assert_eq!(SleepingIdleStrategy::new(MAX_PARK_PERIOD).unwrap().period(), MAX_PARK_PERIOD);
    assert_eq!(SleepingIdleStrategy::new(Duration::from_nanos(1)).unwrap().period(), Duration::from_nanos(1));
}

#[test]
fn sleeping_millis_refuses_zero_and_overlong_periods() {
    assert_eq!(
        SleepingMillisIdleStrategy::new(0).unwrap_err(),
        IdleStrategyError::ZeroPeriod { what: "sleep period" }
    );
    let err = SleepingMillisIdleStrategy::new(3_600_001).unwrap_err();
    assert!(
        matches!(err, IdleStrategyError::PeriodTooLong { period, .. } if period == ms(3_600_001)),
        "{err:?}"
    );
    assert!(err.to_string().contains("longer than"), "{err}");
    assert_eq!(SleepingMillisIdleStrategy::new(3_600_000).unwrap().period(), MAX_PARK_PERIOD);
}

#[test]
fn only_the_parking_strategies_say_they_park() {
    assert!(!BusySpinIdleStrategy.parks());
    assert!(!NoOpIdleStrategy.parks());
    assert!(!YieldingIdleStrategy.parks());
    assert!(SleepingIdleStrategy::default().parks());
    assert!(SleepingMillisIdleStrategy::default().parks());
    assert!(BackoffIdleStrategy::default().parks());
}

/// How long one `idle(work_count)` call took.
fn time_idle(idle: &mut impl IdleStrategy, work_count: usize) -> Duration {
    let start = Instant::now();
    idle.idle(work_count);
    start.elapsed()
}

#[test]
fn sleeping_parks_roughly_its_period_when_there_is_no_work() {
    let mut idle = SleepingIdleStrategy::new(ms(100)).unwrap();
    let took = time_idle(&mut idle, 0);
    assert!(took >= ms(95), "parked only {took:?} of 100 ms");
    assert!(took < ms(2_000), "parked {took:?} for 100 ms");
    let took = time_idle(&mut idle, 1);
    assert!(took < ms(50), "idle(1) took {took:?}: it must not park after work");
}

#[test]
fn sleeping_millis_parks_roughly_its_period_when_there_is_no_work() {
    let mut idle = SleepingMillisIdleStrategy::new(100).unwrap();
    let took = time_idle(&mut idle, 0);
    assert!(took >= ms(95), "parked only {took:?} of 100 ms");
    assert!(took < ms(2_000), "parked {took:?} for 100 ms");
    let took = time_idle(&mut idle, 3);
    assert!(took < ms(50), "idle(3) took {took:?}: it must not park after work");
}

#[test]
fn backoff_parks_after_spinning_and_yielding_doubling_up_to_its_max_and_work_resets_it() {
    let mut idle = BackoffIdleStrategy::new(1, 1, ms(100), ms(200)).unwrap();
    // Transition, one spin, one yield, transition to parking: none of them parks.
    let start = Instant::now();
    for _ in 0..4 {
        idle.idle(0);
    }
    let before_parking = start.elapsed();
    assert!(before_parking < ms(100), "the first four idle calls took {before_parking:?}");
    let first = time_idle(&mut idle, 0);
    let second = time_idle(&mut idle, 0);
    let third = time_idle(&mut idle, 0);
    assert!(first >= ms(95) && first < ms(190), "first park {first:?}, expected the 100 ms minimum");
    assert!(second >= ms(195), "second park {second:?}, expected 200 ms (doubled)");
    assert!(
        third >= ms(195) && third < ms(390),
        "third park {third:?}, expected the 200 ms maximum, not 400 ms"
    );

    // Work resets it: the next call without work only transitions again.
    idle.idle(1);
    let after_reset = time_idle(&mut idle, 0);
    assert!(after_reset < ms(100), "after work the first idle call took {after_reset:?}");
}

#[test]
fn a_strategy_chosen_at_run_time_is_boxed() {
    let by_alias = |alias: &str| -> Box<dyn IdleStrategy + Send> {
        match alias {
            "spin" => Box::new(BusySpinIdleStrategy),
            "sleep-ms" => Box::new(SleepingMillisIdleStrategy::default()),
            _ => Box::new(BackoffIdleStrategy::default()),
        }
    };
    let mut idle = by_alias("sleep-ms");
    assert_eq!(idle.alias(), "sleep-ms");
    assert!(idle.parks());
    idle.idle(1);
    assert!(!by_alias("spin").parks());
}

/// A strategy of the user's own that parks a minute at a time with `dutycycle::park_timeout`.
#[derive(Debug)]
struct MinuteNap;

impl IdleStrategy for MinuteNap {
    fn idle_once(&mut self) {
        dutycycle::park_timeout(Duration::from_secs(60));
    }
    fn reset(&mut self) {}
    fn alias(&self) -> &'static str {
        "minute-nap"
    }
}

/// An agent that never has work.
struct Idle;

impl dutycycle::Agent for Idle {
    fn do_work(&mut self) -> Result<usize, dutycycle::AgentError> {
        Ok(0)
    }
}

#[test]
fn a_custom_strategy_that_parks_with_park_timeout_is_woken_by_close() {
    let runner = dutycycle::AgentRunner::builder().idle_strategy(MinuteNap).start(|| Ok(Idle)).unwrap();
    while runner.stats().duty_cycles == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20)); // now in its minute-long park
    let started = Instant::now();
    let report = runner.close_timeout(Duration::from_secs(30)).expect("close did not end the park");
    assert!(report.is_clean(), "{report}");
    assert!(started.elapsed() < Duration::from_secs(20), "close took {:?}", started.elapsed());
}
