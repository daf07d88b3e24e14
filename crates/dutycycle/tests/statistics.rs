//! Duty-cycle statistics: exact counts, live reads, opt-in timing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dutycycle::{
    Agent, AgentError, AgentRunner, CompositeAgent, ErrorAction, NoOpIdleStrategy, SleepingIdleStrategy,
    SleepingMillisIdleStrategy, Statistics,
};

/// Returns work from a script, one entry per cycle, then ends itself.
struct Scripted {
    script: Vec<Result<usize, &'static str>>,
    next: usize,
    slow_cycle: Option<usize>,
}

impl Agent for Scripted {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let Some(step) = self.script.get(self.next) else {
            return Err(AgentError::terminate());
        };
        if self.slow_cycle == Some(self.next) {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.next += 1;
        step.map_err(AgentError::msg)
    }
}

fn script() -> Vec<Result<usize, &'static str>> {
    let mut s = Vec::new();
    for i in 0..1000 {
        s.push(match i % 5 {
            0 => Ok(3),
            1 | 2 => Ok(0),
            3 => Err("bad"),
            _ => Ok(1),
        });
    }
    s
}

#[test]
fn counters_add_up_to_what_the_agent_did() {
    for statistics in
        [Statistics::Off, Statistics::Counters, Statistics::Timed { threshold: Duration::from_secs(1) }]
    {
        let runner = AgentRunner::builder()
            .idle_strategy(NoOpIdleStrategy)
            .statistics(statistics)
            .error_handler(|_, _| ErrorAction::Continue)
            .start(|| Ok(Scripted { script: script(), next: 0, slow_cycle: None }))
            .unwrap();
        let reader = runner.stats_reader();
        let report = runner.join().unwrap();
        let stats = report.stats();
        assert_eq!(stats.duty_cycles, 1001, "{statistics:?}: the script, and the call that ended it");
        assert_eq!(stats.total_work, 200 * 4);
        assert_eq!(stats.idle_cycles, 200 * 3 + 1, "cycles with 0 work or an error, terminate too");
        assert_eq!(stats.errors, 200);
        assert_eq!(report.errors(), 200);
        assert_eq!(reader.read(), *stats, "the reader shows the final figures");
    }
}

#[test]
fn figures_are_readable_from_another_thread_while_the_agent_runs() {
    struct Forever;
    impl Agent for Forever {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Ok(0)
        }
    }
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingIdleStrategy::new(Duration::from_micros(100)).unwrap())
        .start(|| Ok(Forever))
        .unwrap();
    let reader = runner.stats_reader();
    let first = std::thread::spawn(move || {
        let mut seen = reader.read().duty_cycles;
        let mut increases = 0;
        for _ in 0..10_000 {
            let now = reader.read().duty_cycles;
            assert!(now >= seen, "figures only grow");
            if now > seen {
                increases += 1;
                if increases == 3 {
                    return true;
                }
            }
            seen = now;
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    })
    .join()
    .unwrap();
    assert!(first, "the running agent's figures advanced as seen from another thread");
    assert!(runner.is_running());
    runner.close().unwrap();
}

#[test]
fn timing_records_the_longest_cycle_and_the_cycles_over_the_threshold() {
    let runner = AgentRunner::builder()
        .idle_strategy(NoOpIdleStrategy)
        .statistics(Statistics::Timed { threshold: Duration::from_millis(5) })
        .error_handler(|_, _| ErrorAction::Continue)
        .start(|| Ok(Scripted { script: script(), next: 0, slow_cycle: Some(500) }))
        .unwrap();
    let stats = *runner.join().unwrap().stats();
    let max = stats.max_cycle.expect("timed");
    assert!(max >= Duration::from_millis(20), "{max:?}");
    assert!(max < Duration::from_secs(10));
    assert!(stats.slow_cycles.expect("timed") >= 1);
}

/// Idle after its first few cycles; counts its cycles.
struct IdleAfter {
    busy_cycles: u64,
    cycles: u64,
}

impl Agent for IdleAfter {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycles += 1;
        Ok(usize::from(self.cycles <= self.busy_cycles))
    }
}

#[test]
fn a_park_is_never_part_of_a_timed_cycle() {
    // Parks of 30 ms between cycles without work: a cycle timed across a park would be at
    // least 30 ms long, ten times the threshold.
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(30).unwrap())
        .statistics(Statistics::Timed { threshold: Duration::from_millis(3) })
        .start(|| Ok(IdleAfter { busy_cycles: 3, cycles: 0 }))
        .unwrap();
    while runner.stats().duty_cycles < 8 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = *runner.close().unwrap().stats();
    assert!(stats.idle_cycles >= 5, "{stats}");
    let max = stats.max_cycle.expect("timed");
    assert!(max < Duration::from_millis(30), "a cycle took {max:?}: a 30 ms park was timed as part of it");
}

#[test]
fn without_timing_there_are_no_timing_figures() {
    let runner = AgentRunner::builder()
        .idle_strategy(NoOpIdleStrategy)
        .error_handler(|_, _| ErrorAction::Continue)
        .start(|| Ok(Scripted { script: script(), next: 0, slow_cycle: Some(1) }))
        .unwrap();
    let stats = *runner.join().unwrap().stats();
    assert_eq!(stats.max_cycle, None);
    assert_eq!(stats.slow_cycles, None);
}

#[test]
fn with_statistics_off_nothing_is_published_until_the_end() {
    let started = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&started);
    struct Busy(Arc<AtomicBool>, u64);
    impl Agent for Busy {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            self.1 += 1;
            if self.1 == 10_000 {
                self.0.store(true, Ordering::Release);
            }
            Ok(0)
        }
    }
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingIdleStrategy::new(Duration::from_micros(1)).unwrap())
        .statistics(Statistics::Off)
        .start(move || Ok(Busy(s, 0)))
        .unwrap();
    while !started.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(runner.stats().duty_cycles, 0);
    let report = runner.close().unwrap();
    assert!(report.duty_cycles() >= 10_000);
}

/// Works (1) on each of its first 49 calls; the 50th ends it, by `end`.
struct Fifty {
    calls: u32,
    end: fn() -> AgentError,
}

impl Agent for Fifty {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.calls += 1;
        if self.calls == 50 {
            return Err((self.end)());
        }
        Ok(1)
    }
}

#[test]
fn every_do_work_call_is_a_duty_cycle_also_the_one_that_ends_the_agent() {
    let modes =
        [Statistics::Off, Statistics::Counters, Statistics::Timed { threshold: Duration::from_secs(1) }];
    type End = (&'static str, fn() -> AgentError);
    let ends: [End; 2] = [
        ("terminate", AgentError::terminate),
        ("an error the handler stops on", || AgentError::msg("fatal")),
    ];
    for statistics in modes {
        for (how, end) in ends {
            let runner = AgentRunner::builder()
                .idle_strategy(NoOpIdleStrategy)
                .statistics(statistics)
                .error_handler(|_, _| ErrorAction::Stop)
                .start(move || Ok(Fifty { calls: 0, end }))
                .unwrap();
            let reader = runner.stats_reader();
            let report = match runner.join() {
                Ok(report) => report,
                Err(failed) => failed.into_report(),
            };
            let stats = report.stats();
            let what = format!("{statistics:?}, ended by {how}");
            assert_eq!(stats.duty_cycles, 50, "{what}");
            assert_eq!(stats.total_work, 49, "{what}");
            assert_eq!(stats.idle_cycles, 1, "{what}: the last cycle did no work");
            assert_eq!(reader.read(), *stats, "{what}: the published figures are the report's");
        }
    }

    // A composite ended by one of its sub-agents: 50 calls of the composite's do_work.
    let runner = AgentRunner::builder()
        .idle_strategy(NoOpIdleStrategy)
        .start(|| {
            Ok(CompositeAgent::new(vec![
                Box::new(Fifty { calls: 0, end: AgentError::terminate }),
                Box::new(Fifty { calls: 0, end: || AgentError::msg("never reached") }),
            ]))
        })
        .unwrap();
    let report = runner.join().unwrap();
    assert_eq!(report.duty_cycles(), 50);
    assert_eq!(report.stats().total_work, 2 * 49);
}

#[test]
fn work_counts_of_usize_max_saturate_the_total_instead_of_overflowing() {
    struct Huge(u32);
    impl Agent for Huge {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            self.0 += 1;
            if self.0 > 3 {
                return Err(AgentError::terminate());
            }
            Ok(usize::MAX)
        }
    }
    for statistics in [Statistics::Off, Statistics::Counters, Statistics::Timed { threshold: Duration::ZERO }]
    {
        let report = AgentRunner::builder()
            .idle_strategy(NoOpIdleStrategy)
            .statistics(statistics)
            .start(|| Ok(Huge(0)))
            .unwrap()
            .join()
            .unwrap_or_else(|failed| panic!("{statistics:?}: {failed}"));
        assert_eq!(report.stats().total_work, u64::MAX, "{statistics:?}");
        assert_eq!(report.stats().idle_cycles, 1, "{statistics:?}");
    }
}

#[test]
fn with_statistics_off_errors_are_still_counted_while_the_agent_runs() {
    struct Failing;
    impl Agent for Failing {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Err(AgentError::msg("no route"))
        }
    }
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingIdleStrategy::new(Duration::from_millis(1)).unwrap())
        .statistics(Statistics::Off)
        .error_handler(|_, _| ErrorAction::Continue)
        .start(|| Ok(Failing))
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while runner.stats().errors < 3 {
        assert!(std::time::Instant::now() < deadline, "the errors were not published: {}", runner.stats());
        std::thread::sleep(Duration::from_millis(1));
    }
    let live = runner.stats();
    assert!(runner.error_count() >= 3);
    assert_eq!((live.duty_cycles, live.total_work, live.idle_cycles), (0, 0, 0), "{live}");
    let report = runner.close().unwrap();
    assert!(report.errors() >= live.errors);
}
