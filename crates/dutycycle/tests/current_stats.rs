//! `StatsReader::current`: the runner's own statistics, for code on its agent thread.

use std::sync::{Arc, Mutex};

use dutycycle::{Agent, AgentError, AgentInvoker, AgentRunner, CompositeAgent, StatsReader};

/// Where an agent saw `StatsReader::current`, by callback.
type Seen = Arc<Mutex<Vec<(&'static str, Option<StatsReader>)>>>;

/// Records `StatsReader::current` in every callback and its `Drop`; ends after `cycles`.
struct Recorder {
    seen: Seen,
    cycles: u32,
}

impl Recorder {
    fn record(&self, at: &'static str) {
        self.seen.lock().unwrap().push((at, StatsReader::current()));
    }
}

impl Agent for Recorder {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.record("on_start");
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.cycles == 0 {
            self.record("do_work");
            return Err(AgentError::terminate());
        }
        self.cycles -= 1;
        Ok(1)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        self.record("on_close");
        Ok(())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.record("drop");
    }
}

#[test]
fn current_is_the_runners_own_reader_from_the_factory_to_the_agents_drop() {
    let seen = Seen::default();
    let in_factory = seen.clone();
    let runner = AgentRunner::start(move || {
        in_factory.lock().unwrap().push(("factory", StatsReader::current()));
        Ok(Recorder { seen: in_factory, cycles: 1000 })
    })
    .unwrap();
    let reader = runner.stats_reader();
    let report = runner.join().unwrap();
    assert!(report.is_clean(), "{report}");
    let seen = seen.lock().unwrap();
    let places: Vec<_> = seen.iter().map(|(at, _)| *at).collect();
    assert_eq!(places, ["factory", "on_start", "do_work", "on_close", "drop"]);
    for (at, current) in seen.iter() {
        let current = current.as_ref().unwrap_or_else(|| panic!("no current reader in {at}"));
        // The runner has ended: every reader of it shows its final figures.
        assert_eq!(current.read(), *report.stats(), "{at}");
        assert_eq!(current.read(), reader.read(), "{at}");
    }
    assert_eq!(report.stats().duty_cycles, 1001);
}

#[test]
fn current_is_none_on_a_thread_that_is_no_runners() {
    assert!(StatsReader::current().is_none());
    // An invoker runs its agent on the caller's thread, which no runner owns.
    let seen = Seen::default();
    let mut invoker = AgentInvoker::new(Recorder { seen: seen.clone(), cycles: 0 });
    invoker.start();
    invoker.invoke();
    invoker.close();
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(_, current)| current.is_none()), "{seen:?}");
}

#[test]
fn current_is_cleared_when_the_runner_ends() {
    let runner = AgentRunner::start(|| {
        // A thread-local of this thread, read again from its own destructor at thread exit.
        struct Probe;
        impl Drop for Probe {
            fn drop(&mut self) {
                assert!(StatsReader::current().is_none(), "still set after the runner ended");
            }
        }
        thread_local!(static PROBE: Probe = const { Probe });
        PROBE.with(|_| {});
        Ok(Recorder { seen: Seen::default(), cycles: 10 })
    })
    .unwrap();
    assert!(runner.join().unwrap().is_clean());
}

#[test]
fn every_sub_agent_of_a_composite_reads_the_composites_figures() {
    let (a, b) = (Seen::default(), Seen::default());
    let (in_a, in_b) = (a.clone(), b.clone());
    let runner = AgentRunner::start(move || {
        Ok(CompositeAgent::new(vec![
            Box::new(Recorder { seen: in_a, cycles: 500 }),
            Box::new(Recorder { seen: in_b, cycles: 1_000_000 }),
        ]))
    })
    .unwrap();
    let report = runner.join().unwrap();
    // `a` ended the composite after 501 turns; `b` did 500 of its own.
    assert_eq!(report.stats().duty_cycles, 501);
    for seen in [a, b] {
        let seen = seen.lock().unwrap();
        assert!(seen.iter().any(|(at, _)| *at == "on_start"));
        for (at, current) in seen.iter() {
            assert_eq!(current.as_ref().map(StatsReader::read), Some(*report.stats()), "{at}");
        }
    }
}
