//! `AgentRunner`: confinement of every agent call to the agent thread, start-up and its errors,
//! thread naming, pinning and timer slack, the duty cycle, failures, and the handle's own API.
//! (`close_timeout` has its own file.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentFailure, AgentRunner, AgentTermination, Ending, ErrorAction, IdleStrategy,
    SleepingMillisIdleStrategy, StartError, ThreadStep,
};
use dutycycle_test_support::{
    child::{child_mode, ChildProcess, CHILD_ENV},
    probe::{assert_one_agent_thread, here, names, Probe, ProbeSpec, Where},
    thread::{
        current_cpu, current_thread_affinity, exclusive_cpu, gettid, os_thread_name, process_allowed_cores,
        timer_slack_ns,
    },
    wait::{eventually, PATIENCE},
};

/// The runner handle crosses threads and is shared between them.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AgentRunner>();
};

/// An idle strategy that parks long, so that an agent with nothing to do costs nothing and a
/// test that expects it to stop promptly proves the park was cut short.
fn parks_long() -> SleepingMillisIdleStrategy {
    SleepingMillisIdleStrategy::new(10_000).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Confinement

#[test]
fn factory_on_start_do_work_on_close_and_drop_run_on_the_agent_thread() {
    let (spec, events) = ProbeSpec::new("confined");
    let spec = spec.work(|cycle| if cycle == 3 { Err(AgentError::terminate()) } else { Ok(1) });
    let report = AgentRunner::start(spec.factory()).unwrap().join().unwrap();
    assert!(matches!(report.ending(), Ending::Terminated));

    let events = events.logged();
    assert_eq!(names(&events), ["factory", "on_start", "do_work", "on_close", "drop"]);
    assert_eq!(events.iter().filter(|(name, _)| *name == "do_work").count(), 3);
    assert_one_agent_thread(&events);
}

#[test]
fn on_close_and_drop_run_on_the_agent_thread_when_the_caller_closes_it() {
    let (spec, events) = ProbeSpec::new("closed-by-caller");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let started_on = events.wait_for("on_start");
    runner.close().unwrap();
    let events = events.logged();
    let closed_on = assert_one_agent_thread(&events);
    assert_eq!(closed_on, started_on);
    assert_eq!(names(&events).last_chunk::<2>(), Some(&["on_close", "drop"]));
}

// ---------------------------------------------------------------------------------------------
// Start

#[test]
fn start_returns_only_after_the_factory_and_on_start_have_run() {
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let (spec, events) = ProbeSpec::new("slow-start");
    // A slow on_start: a start that did not wait for it would return before the flag is set.
    let spec = spec.on_start(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::Release);
        Ok(())
    });
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    assert!(started.load(Ordering::Acquire), "start returned before on_start finished");
    assert_eq!(names(&events.logged())[..2], ["factory", "on_start"]);
    runner.close().unwrap();
}

#[test]
fn start_fails_when_the_factory_fails() {
    let err = AgentRunner::builder()
        .name("feed")
        .start(|| -> Result<Probe, AgentError> { Err(std::io::Error::other("no feed").into()) })
        .unwrap_err();
    let StartError::Factory { name, failure } = &err else { panic!("expected Factory, got {err:?}") };
    assert_eq!(name, "feed");
    let AgentFailure::Error(error) = failure else { panic!("expected an error, got {failure:?}") };
    assert_eq!(error.downcast_ref::<std::io::Error>().unwrap().to_string(), "no feed");
    assert_eq!(err.to_string(), "agent factory for \"feed\" failed");
    assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "no feed");
    assert!(err.agent_failure().is_some());
}

#[test]
fn start_fails_when_the_factory_panics() {
    let err = AgentRunner::start(|| -> Result<Probe, AgentError> { panic!("factory blew up") }).unwrap_err();
    let StartError::Factory { name, failure } = &err else { panic!("expected Factory, got {err:?}") };
    assert_eq!(name, "agent", "without a builder name the factory error says \"agent\"");
    assert_eq!(failure.panic_message(), Some("factory blew up"));
}

#[test]
fn start_fails_when_on_start_fails_after_on_close_ran_on_the_agent_thread() {
    let (spec, events) = ProbeSpec::new("bad-start");
    let spec = spec.on_start(|| Err(AgentError::msg("no session")));
    let err = AgentRunner::start(spec.factory()).unwrap_err();

    // Already logged when start returned: on_close and drop ran before it.
    let events = events.logged();
    assert_eq!(names(&events), ["factory", "on_start", "on_close", "drop"]);
    assert_one_agent_thread(&events);

    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    assert_eq!(report.role(), "bad-start");
    let Ending::StartFailed(AgentFailure::Error(error)) = report.ending() else {
        panic!("expected StartFailed(Error), got {:?}", report.ending())
    };
    assert_eq!(error.to_string(), "no session");
    assert!(report.close_failure().is_none() && report.drop_failure().is_none());
    assert_eq!(err.agent_failure().unwrap().to_string(), "no session");
}

#[test]
fn start_fails_when_on_start_panics_after_on_close_ran_on_the_agent_thread() {
    let (spec, events) = ProbeSpec::new("panicky-start");
    let spec = spec.on_start(|| panic!("on_start blew up"));
    let err = AgentRunner::start(spec.factory()).unwrap_err();

    let events = events.logged();
    assert_eq!(names(&events), ["factory", "on_start", "on_close", "drop"]);
    assert_one_agent_thread(&events);

    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    let Ending::StartFailed(failure) = report.ending() else { panic!("{:?}", report.ending()) };
    assert_eq!(failure.panic_message(), Some("on_start blew up"));
}

#[test]
fn start_reports_how_on_close_failed_after_on_start_failed() {
    let (spec, _events) = ProbeSpec::new("bad-start-bad-close");
    let spec =
        spec.on_start(|| Err(AgentError::msg("no session"))).on_close(|| Err(AgentError::msg("no socket")));
    let err = AgentRunner::start(spec.factory()).unwrap_err();
    let StartError::OnStart { report } = &err else { panic!("expected OnStart, got {err:?}") };
    assert_eq!(report.close_failure().unwrap().to_string(), "no socket");
}

/// Starts a probe pinned to `core`; returns the error, checking that no agent code ran.
fn start_pinned_expecting_refusal(core: usize) -> StartError {
    let factory_ran = Arc::new(AtomicBool::new(false));
    let ran = Arc::clone(&factory_ran);
    let (spec, events) = ProbeSpec::new("pinned");
    let factory = spec.factory();
    let err = AgentRunner::builder()
        .core(core)
        .start(move || {
            ran.store(true, Ordering::SeqCst);
            factory()
        })
        .map(|runner| runner.close())
        .expect_err("pinned to a core the process may not use");
    assert!(!factory_ran.load(Ordering::SeqCst), "agent code ran before the core was checked");
    assert!(events.logged().is_empty());
    err
}

#[test]
fn start_fails_when_core_is_not_allowed() {
    let cpu_setsize = 8 * std::mem::size_of::<libc::cpu_set_t>();
    let cores_we_run_on = current_thread_affinity();
    for core in [4096, cpu_setsize] {
        let err = start_pinned_expecting_refusal(core);
        let StartError::CoreNotAllowed { core: refused, allowed } = &err else {
            panic!("expected CoreNotAllowed for core {core}, got {err:?}")
        };
        assert_eq!(*refused, core);
        assert!(
            cores_we_run_on.iter().all(|c| allowed.contains(c)),
            "the error lists {allowed:?} as allowed, but this thread runs on {cores_we_run_on:?}"
        );
        assert!(allowed.windows(2).all(|w| w[0] < w[1]), "{allowed:?} is not in ascending order");
        assert!(!allowed.contains(&core));
        assert!(err.to_string().contains(&core.to_string()), "{err}");
    }
}

#[test]
fn every_core_a_refusal_lists_as_allowed_can_be_pinned() {
    let _cpu = exclusive_cpu();
    let StartError::CoreNotAllowed { allowed, .. } = start_pinned_expecting_refusal(4096) else {
        panic!("core 4096 was not refused as not allowed")
    };
    for core in allowed {
        let (tx, rx) = mpsc::channel();
        let (spec, _events) = ProbeSpec::new("pinned");
        let spec = spec.on_start(move || {
            tx.send(current_thread_affinity()).unwrap();
            Ok(())
        });
        let runner = AgentRunner::builder()
            .core(core)
            .idle_strategy(parks_long())
            .start(spec.factory())
            .unwrap_or_else(|err| panic!("core {core} was listed as allowed, yet: {err}"));
        assert_eq!(rx.recv().unwrap(), [core]);
        runner.close().unwrap();
    }
}

#[test]
fn pinned_agent_runs_only_on_its_core() {
    let _cpu = exclusive_cpu();
    let core = *process_allowed_cores().last().unwrap();
    let (tx, rx) = mpsc::channel();
    let (spec, _events) = ProbeSpec::new("pinned");
    let factory = spec.factory();
    let runner = AgentRunner::builder()
        .core(core)
        .idle_strategy(parks_long())
        .start(move || {
            // Pinned before any agent code runs: already so in the factory.
            tx.send((current_thread_affinity(), current_cpu())).unwrap();
            factory()
        })
        .unwrap();
    let (affinity, cpu) = rx.recv().unwrap();
    runner.close().unwrap();
    assert_eq!(affinity, [core]);
    assert_eq!(cpu, core);
}

/// The child half of the next test: pins its main thread to one core, as an application does
/// to keep housekeeping off its agents' cores, then pins an agent to another.
fn pinned_main_thread_child() {
    let allowed = process_allowed_cores();
    if allowed.len() < 2 {
        println!("skipped: the process may use only one core");
        println!("child-done");
        return;
    }
    // SAFETY: all-zero is a valid cpu_set_t.
    let mut main_only: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: allowed[0] is below CPU_SETSIZE (it came out of a cpu_set_t).
    unsafe { libc::CPU_SET(allowed[0], &mut main_only) };
    // SAFETY: getpid() is the main thread's tid; `main_only` is a valid cpu_set_t of this size.
    let rc =
        unsafe { libc::sched_setaffinity(libc::getpid(), std::mem::size_of_val(&main_only), &main_only) };
    assert_eq!(rc, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());

    let core = allowed[1];
    let (tx, rx) = mpsc::channel();
    let (spec, _events) = ProbeSpec::new("isolated");
    let spec = spec.on_start(move || {
        tx.send(current_thread_affinity()).unwrap();
        Ok(())
    });
    let runner = AgentRunner::builder()
        .core(core)
        .idle_strategy(parks_long())
        .start(spec.factory())
        .unwrap_or_else(|err| panic!("core {core} may be used by this process, yet: {err}"));
    assert_eq!(rx.recv().unwrap(), [core]);
    runner.close().unwrap();
    println!("child-done");
}

#[test]
fn start_pins_to_an_allowed_core_when_the_main_thread_is_pinned_elsewhere() {
    if child_mode().is_some() {
        return pinned_main_thread_child();
    }
    let out =
        ChildProcess::spawn("start_pins_to_an_allowed_core_when_the_main_thread_is_pinned_elsewhere", "pin")
            .wait();
    out.assert_success_with("child-done");
}

#[test]
fn start_fails_when_the_name_contains_a_nul_byte() {
    let (spec, events) = ProbeSpec::new("agent");
    let err = AgentRunner::builder().name("bad\0name").start(spec.factory()).unwrap_err();
    let StartError::InvalidName { name } = &err else { panic!("expected InvalidName, got {err:?}") };
    assert_eq!(name, "bad\0name");
    assert!(events.logged().is_empty(), "agent code ran despite the invalid name");
}

#[test]
fn start_fails_when_the_timer_slack_is_out_of_range() {
    for slack in [Duration::ZERO, Duration::from_secs(1) + Duration::from_nanos(1), Duration::from_secs(60)] {
        let (spec, events) = ProbeSpec::new("agent");
        let err = AgentRunner::builder().timer_slack(slack).start(spec.factory()).unwrap_err();
        let StartError::InvalidTimerSlack { slack: refused } = err else {
            panic!("expected InvalidTimerSlack for {slack:?}, got {err:?}")
        };
        assert_eq!(refused, slack);
        assert!(events.logged().is_empty(), "agent code ran despite the invalid timer slack");
    }
}

/// The child half of [`start_fails_when_the_thread_cannot_be_spawned`]: with the address space
/// capped just above what the process uses, there is no room for a new thread's stack.
fn spawn_failure_child() {
    // SAFETY: sysconf has no preconditions.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap();
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().next().unwrap().parse().unwrap();
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `old` is a writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) }, 0);
    let capped = libc::rlimit { rlim_cur: pages * page + 512 * 1024, rlim_max: old.rlim_max };
    // SAFETY: `capped` is a valid rlimit; lowering the soft limit needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &capped) }, 0);

    let (spec, events) = ProbeSpec::new("no-room");
    let result = AgentRunner::start(spec.factory());

    // SAFETY: as above; the soft limit goes back to what it was, within the hard limit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &old) }, 0);
    let err = result.map(|runner| runner.close()).expect_err("the agent thread was spawned after all");
    let StartError::Thread { step, source } = &err else { panic!("expected Thread, got {err:?}") };
    assert_eq!(*step, ThreadStep::Spawn);
    assert!(source.raw_os_error().is_some(), "not an OS error: {source:?}");
    assert!(events.logged().is_empty());
    println!("spawn failure reported: {err}");
    println!("child-done");
}

#[test]
fn start_fails_when_the_thread_cannot_be_spawned() {
    if child_mode().is_some() {
        return spawn_failure_child();
    }
    let out = ChildProcess::spawn("start_fails_when_the_thread_cannot_be_spawned", "spawn-failure").wait();
    out.assert_success_with("child-done");
}

// ---------------------------------------------------------------------------------------------
// Thread names

/// Starts a probe that reports its OS thread name from `on_start`; returns that name and the
/// report's.
fn os_name_of(builder_name: Option<&str>, role: &str) -> (String, String) {
    let (tx, rx) = mpsc::channel();
    let (spec, _events) = ProbeSpec::new(role);
    let spec = spec.on_start(move || {
        tx.send(os_thread_name()).unwrap();
        Ok(())
    });
    let mut builder = AgentRunner::builder().idle_strategy(parks_long());
    if let Some(name) = builder_name {
        builder = builder.name(name);
    }
    let runner = builder.start(spec.factory()).unwrap();
    let os_name = rx.recv().unwrap();
    let report = runner.close().unwrap();
    (os_name, report.thread_name().to_owned())
}

#[test]
fn os_thread_carries_the_builder_name() {
    assert_eq!(
        os_name_of(Some("md-gateway-1"), "market-data"),
        ("md-gateway-1".into(), "md-gateway-1".into())
    );
}

#[test]
fn os_thread_is_named_after_the_role_without_a_builder_name() {
    assert_eq!(os_name_of(None, "order-entry"), ("order-entry".into(), "order-entry".into()));
}

#[test]
fn long_names_are_cut_at_a_character_boundary_to_15_bytes() {
    // ASCII: the first 15 bytes.
    let cut = "market-data-han".to_owned();
    assert_eq!(os_name_of(Some("market-data-handler"), "x"), (cut.clone(), cut.clone()));
    assert_eq!(os_name_of(None, "market-data-handler"), (cut.clone(), cut));
    // 14 ASCII bytes then a 2-byte 'é': the 'é' would end at byte 16, so it goes entirely.
    let cut = "abcdefghijklmn".to_owned();
    assert_eq!(os_name_of(Some("abcdefghijklmné"), "x"), (cut.clone(), cut.clone()));
    assert_eq!(os_name_of(None, "abcdefghijklmné"), (cut.clone(), cut));
    // Nine 2-byte characters: seven fit in 15 bytes.
    let cut = "ééééééé".to_owned();
    assert_eq!(os_name_of(None, "ééééééééé"), (cut.clone(), cut));
}

// ---------------------------------------------------------------------------------------------
// Timer slack: the option applies to the agent thread only

struct ReportsSlack(mpsc::Sender<u64>);

impl Agent for ReportsSlack {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.0.send(timer_slack_ns()).unwrap();
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn slack_seen_by_agent(slack: Option<Duration>) -> u64 {
    let (tx, rx) = mpsc::channel();
    let mut builder = AgentRunner::builder();
    if let Some(slack) = slack {
        builder = builder.timer_slack(slack);
    }
    let runner = builder.start(move || Ok(ReportsSlack(tx))).unwrap();
    let seen = rx.recv().unwrap();
    runner.close().unwrap();
    seen
}

#[test]
fn the_agent_thread_gets_the_timer_slack_asked_for() {
    assert_eq!(slack_seen_by_agent(Some(Duration::from_nanos(1))), 1);
    assert_eq!(slack_seen_by_agent(Some(Duration::from_micros(5))), 5_000);
}

#[test]
fn without_the_option_the_agent_thread_inherits_the_callers_slack() {
    assert_eq!(slack_seen_by_agent(None), timer_slack_ns());
}

#[test]
fn zero_and_absurd_timer_slack_are_refused_before_anything_runs() {
    for slack in [Duration::ZERO, Duration::from_secs(2)] {
        let err = AgentRunner::builder()
            .timer_slack(slack)
            .start(|| -> Result<ReportsSlack, AgentError> { unreachable!("the factory must not run") });
        assert!(matches!(err, Err(StartError::InvalidTimerSlack { slack: s }) if s == slack));
    }
}

// ---------------------------------------------------------------------------------------------
// The duty cycle

#[test]
fn the_duty_cycle_checks_termination_every_cycle() {
    let termination = AgentTermination::new();
    let latch = termination.clone();
    let (spec, _events) = ProbeSpec::new("self-stopping");
    // Work every cycle (so the idle strategy never parks) and signal during cycle 5: the
    // check before cycle 6 must see it.
    let spec = spec.work(move |cycle| {
        if cycle == 5 {
            latch.signal();
        }
        Ok(1)
    });
    let report =
        AgentRunner::builder().termination(termination).start(spec.factory()).unwrap().join().unwrap();
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{:?}", report.ending());
    assert_eq!(report.duty_cycles(), 5);
}

/// An idle strategy that logs its calls.
struct LoggingIdle(mpsc::Sender<String>);

impl IdleStrategy for LoggingIdle {
    fn idle(&mut self, work_count: usize) {
        self.0.send(format!("idle({work_count})")).unwrap();
    }
    fn idle_once(&mut self) {
        self.0.send("idle_once".into()).unwrap();
    }
    fn reset(&mut self) {
        self.0.send("reset".into()).unwrap();
    }
    fn alias(&self) -> &'static str {
        "logging"
    }
}

#[test]
fn the_duty_cycle_calls_do_work_then_idle_with_its_work_count() {
    let (log, rx) = mpsc::channel();
    let agent_log = log.clone();
    let (spec, _events) = ProbeSpec::new("counted");
    let spec = spec.work(move |cycle| {
        let (result, said) = match cycle {
            1 => (Ok(3), "do_work -> 3"),
            2 => (Ok(0), "do_work -> 0"),
            3 => (Err(AgentError::msg("hiccup")), "do_work -> error"),
            4 => (Ok(2), "do_work -> 2"),
            _ => (Err(AgentError::terminate()), "do_work -> terminate"),
        };
        agent_log.send(said.to_owned()).unwrap();
        result
    });
    let report = AgentRunner::builder()
        .idle_strategy(LoggingIdle(log))
        .error_handler(|_, _| ErrorAction::Continue)
        .start(spec.factory())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(report.duty_cycles(), 5, "every do_work call, the one that ended the agent too");
    let calls: Vec<String> = rx.try_iter().collect();
    assert_eq!(
        calls,
        [
            "do_work -> 3",
            "idle(3)",
            "do_work -> 0",
            "idle(0)",
            "do_work -> error",
            "idle(0)", // a failed cycle did no work
            "do_work -> 2",
            "idle(2)",
            "do_work -> terminate", // ends the loop: no idle after it
        ]
    );
}

#[test]
fn do_work_errors_go_to_the_error_handler_and_the_counter_and_the_loop_goes_on() {
    let (handled_tx, handled) = mpsc::channel();
    let (spec, events) = ProbeSpec::new("flaky");
    let spec = spec.work(|cycle| match cycle {
        1..=3 => Err(AgentError::msg(format!("error {cycle}"))),
        4..=9 => Ok(1),
        _ => Err(AgentError::terminate()),
    });
    let report = AgentRunner::builder()
        .error_handler(move |_, err| {
            handled_tx.send((err.to_string(), here())).unwrap();
            ErrorAction::Continue
        })
        .start(spec.factory())
        .unwrap()
        .join()
        .unwrap();
    let handled: Vec<(String, Where)> = handled.try_iter().collect();
    let messages: Vec<&str> = handled.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(messages, ["error 1", "error 2", "error 3"]);
    let agent_thread = assert_one_agent_thread(&events.logged());
    assert!(handled.iter().all(|(_, at)| *at == agent_thread), "the error handler ran off the agent thread");
    assert_eq!(report.errors(), 3);
    assert_eq!(report.duty_cycles(), 10, "the loop went on after the errors");
    assert!(matches!(report.ending(), Ending::Terminated));
    assert!(report.is_clean(), "errors taken by the handler do not make the report unclean");
}

#[test]
fn an_error_handler_that_returns_stop_ends_the_agent_with_that_error_as_its_cause() {
    let (handled_tx, handled) = mpsc::channel();
    let (spec, events) = ProbeSpec::new("subscriber");
    let spec = spec.work(|cycle| match cycle {
        1 => Err(AgentError::msg("slow consumer")),
        2 => Ok(1),
        3 => Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "port taken").into()),
        _ => Ok(1),
    });
    let failed = AgentRunner::builder()
        .error_handler(move |role, err| {
            handled_tx.send((role.to_owned(), err.to_string(), here())).unwrap();
            // An error that cannot go away ends the agent; the others do not.
            match err.downcast_ref::<std::io::Error>() {
                Some(_) => ErrorAction::Stop,
                None => ErrorAction::Continue,
            }
        })
        .start(spec.factory())
        .unwrap()
        .join()
        .expect_err("an agent ended by an error is not a clean end");
    let report = failed.report();
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{report}") };
    let io = cause.downcast_ref::<std::io::Error>().expect("the cause keeps its type");
    assert_eq!(io.kind(), std::io::ErrorKind::AddrInUse);
    assert!(!report.is_clean());
    assert_eq!(report.errors(), 2, "both errors were counted");
    // The Display says what failed; the failure itself is the source.
    let cause = std::error::Error::source(&failed).expect("the failure is the source").to_string();
    assert!(cause.contains("port taken"), "{failed}: {cause}");

    let handled: Vec<(String, String, Where)> = handled.try_iter().collect();
    let seen: Vec<(&str, &str)> = handled.iter().map(|(r, m, _)| (r.as_str(), m.as_str())).collect();
    assert_eq!(seen, [("subscriber", "slow consumer"), ("subscriber", "port taken")]);
    let logged = events.logged();
    let agent_thread = assert_one_agent_thread(&logged);
    assert!(
        handled.iter().all(|(_, _, at)| *at == agent_thread),
        "the error handler ran off the agent thread"
    );
    let do_work_calls = logged.iter().filter(|(call, _)| *call == "do_work").count();
    assert_eq!(do_work_calls, 3, "no do_work after the error that stopped it");
    assert_eq!(names(&logged), ["factory", "on_start", "do_work", "on_close", "drop"]);
}

#[test]
fn error_count_counts_do_work_errors_while_running() {
    let (spec, _events) = ProbeSpec::new("erring");
    let spec = spec.work(|cycle| if cycle <= 5 { Err(AgentError::msg("bad")) } else { Ok(0) });
    // The default Backoff: a failed cycle is an idle one, and a long park would stall the count.
    let runner =
        AgentRunner::builder().error_handler(|_, _| ErrorAction::Continue).start(spec.factory()).unwrap();
    eventually("five errors are counted", || runner.error_count() == 5);
    assert!(runner.is_running());
    assert_eq!(runner.close().unwrap().errors(), 5);
}

fn default_error_handler_child() {
    let (spec, _events) = ProbeSpec::new("feed-handler");
    let spec =
        spec.work(
            |cycle| if cycle == 1 { Err(AgentError::msg("feed lost")) } else { Err(AgentError::terminate()) },
        );
    let report = AgentRunner::start(spec.factory()).unwrap().join().unwrap();
    assert_eq!(report.errors(), 1);
    println!("child-done");
}

#[test]
fn default_error_handler_prints_one_line_with_the_role_to_stderr() {
    if child_mode().is_some() {
        return default_error_handler_child();
    }
    let out =
        ChildProcess::spawn("default_error_handler_prints_one_line_with_the_role_to_stderr", "stderr").wait();
    out.assert_success_with("child-done");
    let lines: Vec<&str> = out.stderr.lines().filter(|line| line.contains("feed lost")).collect();
    assert_eq!(lines.len(), 1, "stderr:\n{}", out.stderr);
    assert!(lines[0].contains("feed-handler"), "the line does not name the role: {:?}", lines[0]);
}

#[test]
fn terminate_ends_the_agent_and_is_not_counted_as_an_error() {
    let (handled_tx, handled) = mpsc::channel::<String>();
    let (spec, events) = ProbeSpec::new("quitter");
    let spec = spec.work(|cycle| if cycle == 2 { Err(AgentError::terminate()) } else { Ok(0) });
    let runner = AgentRunner::builder()
        .error_handler(move |_, err| {
            handled_tx.send(err.to_string()).unwrap();
            ErrorAction::Continue
        })
        .start(spec.factory())
        .unwrap();
    // join waits for an agent that ends itself: nobody signals it.
    let report = runner.join().unwrap();
    assert!(matches!(report.ending(), Ending::Terminated), "{:?}", report.ending());
    assert_eq!(report.errors(), 0);
    assert_eq!(report.duty_cycles(), 2, "the call that returned terminate is a cycle");
    assert!(handled.try_iter().next().is_none(), "terminate went to the error handler");
    assert_eq!(names(&events.logged()), ["factory", "on_start", "do_work", "on_close", "drop"]);
}

// ---------------------------------------------------------------------------------------------
// Panics and failures

#[test]
fn a_panic_in_do_work_is_caught_on_close_runs_on_the_agent_thread_and_join_reports_it() {
    let (spec, events) = ProbeSpec::new("crasher");
    let spec = spec.work(|cycle| if cycle == 3 { panic!("do_work blew up") } else { Ok(0) });
    let failed = AgentRunner::start(spec.factory()).unwrap().join().unwrap_err();
    let report = failed.report();
    let Ending::Panicked(message) = report.ending() else {
        panic!("expected Panicked, got {:?}", report.ending())
    };
    assert_eq!(message, "do_work blew up");
    assert_eq!(report.role(), "crasher");
    assert!(failed.to_string().contains("do_work blew up"), "{failed}");
    let events = events.logged();
    assert_eq!(names(&events), ["factory", "on_start", "do_work", "on_close", "drop"]);
    assert_one_agent_thread(&events);
}

#[test]
fn a_panic_in_the_error_handler_is_caught_and_reported() {
    let (spec, events) = ProbeSpec::new("bad-handler");
    let spec = spec.work(|_| Err(AgentError::msg("oops")));
    let failed = AgentRunner::builder()
        .error_handler(|_, err| panic!("handler blew up on {err}"))
        .start(spec.factory())
        .unwrap()
        .join()
        .unwrap_err();
    let Ending::Panicked(message) = failed.report().ending() else {
        panic!("{:?}", failed.report().ending())
    };
    assert_eq!(message, "handler blew up on oops");
    let events = events.logged();
    assert_eq!(names(&events), ["factory", "on_start", "do_work", "on_close", "drop"]);
    assert_one_agent_thread(&events);
}

#[test]
fn a_panic_in_on_close_is_reported() {
    let (spec, events) = ProbeSpec::new("bad-close");
    let spec = spec.work(|_| Err(AgentError::terminate())).on_close(|| panic!("on_close blew up"));
    let failed = AgentRunner::start(spec.factory()).unwrap().join().unwrap_err();
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Terminated));
    assert_eq!(report.close_failure().unwrap().panic_message(), Some("on_close blew up"));
    assert!(!report.is_clean());
    // The Display says what failed; the failure itself is the source.
    let cause = std::error::Error::source(&failed).expect("the failure is the source").to_string();
    assert!(cause.contains("on_close blew up"), "{failed}: {cause}");
    let events = events.logged();
    assert_eq!(names(&events).last(), Some(&"drop"), "the agent is still dropped");
    assert_one_agent_thread(&events);
}

#[test]
fn an_error_from_on_close_is_reported() {
    let (spec, _events) = ProbeSpec::new("bad-close");
    let spec = spec.on_close(|| Err(AgentError::msg("flush failed")));
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    let failed = runner.close().unwrap_err();
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Closed));
    let Some(AgentFailure::Error(error)) = report.close_failure() else {
        panic!("{:?}", report.close_failure())
    };
    assert_eq!(error.to_string(), "flush failed");
}

#[test]
fn a_panic_in_drop_is_reported() {
    let (spec, events) = ProbeSpec::new("bad-drop");
    let spec = spec.work(|_| Err(AgentError::terminate())).panic_on_drop();
    let failed = AgentRunner::start(spec.factory()).unwrap().join().unwrap_err();
    let report = failed.report();
    assert!(matches!(report.ending(), Ending::Terminated));
    assert!(report.close_failure().is_none());
    assert_eq!(report.drop_failure().unwrap().panic_message(), Some("drop blew up"));
    // The Display says what failed; the failure itself is the source.
    let cause = std::error::Error::source(&failed).expect("the failure is the source").to_string();
    assert!(cause.contains("drop blew up"), "{failed}: {cause}");
    assert_one_agent_thread(&events.logged());
}

// ---------------------------------------------------------------------------------------------
// The handle

#[test]
fn the_runner_is_used_and_closed_from_other_threads() {
    let (spec, events) = ProbeSpec::new("shared");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    // Sync: several threads read it at once.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                assert!(runner.is_running());
                assert_eq!(runner.error_count(), 0);
                assert_eq!(runner.role(), "shared");
            });
        }
    });
    // Send: another thread closes it.
    let report = std::thread::spawn(move || runner.close().unwrap()).join().unwrap();
    assert!(matches!(report.ending(), Ending::Closed));
    assert_one_agent_thread(&events.logged());
}

#[test]
fn is_running_is_false_once_the_agent_has_ended() {
    let (release_tx, release) = mpsc::channel::<()>();
    let (spec, _events) = ProbeSpec::new("short-lived");
    let spec = spec.work(move |_| {
        release.recv().unwrap();
        Err(AgentError::terminate())
    });
    let runner = AgentRunner::start(spec.factory()).unwrap();
    assert!(runner.is_running());
    release_tx.send(()).unwrap();
    eventually("the runner is no longer running", || !runner.is_running());
    assert!(matches!(runner.join().unwrap().ending(), Ending::Terminated));
}

#[test]
fn report_says_signalled_with_role_and_duty_cycles_when_the_latch_is_signalled() {
    let termination = AgentTermination::new();
    let (spec, events) = ProbeSpec::new("reporter");
    let spec = spec.work(|cycle| if cycle <= 3 { Err(AgentError::msg("x")) } else { Ok(0) });
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .error_handler(|_, _| ErrorAction::Continue)
        .start(spec.factory())
        .unwrap();
    assert!(!runner.termination().is_signalled());
    eventually("the agent reaches its fourth cycle", || runner.stats().duty_cycles >= 4);
    runner.termination().signal();
    let report = runner.join().unwrap();
    assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }), "{:?}", report.ending());
    assert_eq!(report.role(), "reporter");
    assert_eq!(report.errors(), 3);
    assert_eq!(report.duty_cycles(), events.logged().iter().filter(|(n, _)| *n == "do_work").count() as u64);
    assert!(termination.is_signalled(), "runner.termination() is the latch it was given");
}

#[test]
fn close_stops_this_runner_only() {
    let termination = AgentTermination::new();
    let start = || {
        AgentRunner::builder()
            .termination(termination.clone())
            .idle_strategy(parks_long())
            .start(ProbeSpec::new("sibling").0.factory())
            .unwrap()
    };
    let (closed, other) = (start(), start());
    assert!(matches!(closed.close().unwrap().ending(), Ending::Closed));
    assert!(!termination.is_signalled(), "close signalled the shared latch");
    assert!(other.is_running());
    termination.signal();
    assert!(matches!(other.join().unwrap().ending(), Ending::LatchSignalled { signal: None }));
}

#[test]
fn close_does_not_wait_out_a_park() {
    let (spec, _events) = ProbeSpec::new("sleeper");
    let runner = AgentRunner::builder().idle_strategy(parks_long()).start(spec.factory()).unwrap();
    eventually("the agent has run a cycle and parks for 10 s", || runner.stats().duty_cycles >= 1);
    std::thread::sleep(Duration::from_millis(20));
    let asked = Instant::now();
    let report = runner.close().unwrap();
    let took = asked.elapsed();
    assert_eq!(report.duty_cycles(), 1, "the agent was not parked");
    assert!(took < Duration::from_secs(2), "close waited {took:?} for a 10 s park");
}

#[test]
fn dropping_the_runner_stops_and_joins_the_agent() {
    let termination = AgentTermination::new();
    let (spec, events) = ProbeSpec::new("dropped");
    // A slow on_close: a drop that did not join would return before the agent is dropped.
    let spec = spec.on_close(|| {
        std::thread::sleep(Duration::from_millis(100));
        Ok(())
    });
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .idle_strategy(parks_long())
        .start(spec.factory())
        .unwrap();
    let started_on = events.wait_for("on_start");
    drop(runner);
    // Joined: on_close and drop had already run when the drop of the handle returned.
    let events = events.logged();
    let names = names(&events);
    assert_eq!(names.last_chunk::<2>(), Some(&["on_close", "drop"]), "{names:?}");
    assert!(events.iter().all(|(_, at)| *at == started_on));
    assert!(!termination.is_signalled(), "dropping one runner signalled the shared latch");
}

// ---------------------------------------------------------------------------------------------
// Defined ends of unusual calls

fn closed_stderr_child() {
    // The parent closes the reading end of our stderr, then says go: from here every write to
    // stderr fails with EPIPE.
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let (spec, _events) = ProbeSpec::new("no-stderr");
    let spec =
        spec.work(
            |cycle| if cycle <= 3 { Err(AgentError::msg("feed lost")) } else { Err(AgentError::terminate()) },
        );
    let report = match AgentRunner::start(spec.factory()).unwrap().join() {
        Ok(report) => report,
        Err(failed) => failed.into_report(),
    };
    println!("report {report}");
    println!("child-done");
}

#[test]
fn the_default_error_handler_never_panics_when_stderr_is_closed() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};

    if child_mode().is_some() {
        return closed_stderr_child();
    }
    let test = "the_default_error_handler_never_panics_when_stderr_is_closed";
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "closed-stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status:?}\nstdout:\n{stdout}");
    assert!(stdout.contains("child-done"), "{stdout}");
    let report = stdout.lines().find(|l| l.contains("report no-stderr: ")).unwrap_or_default();
    assert!(
        report.contains("ended itself") && report.contains("3 errors") && !report.contains("panicked"),
        "the errors did not go through the handler and on: {stdout}"
    );
}

#[test]
fn dropping_a_runner_inside_its_own_agent_stops_it_without_a_panic_and_the_thread_ends() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Mutex;

    let slot: Arc<Mutex<Option<AgentRunner>>> = Arc::default();
    let agent_slot = Arc::clone(&slot);
    let (dropped_tx, dropped) = mpsc::channel::<(libc::pid_t, Result<(), String>)>();
    let (spec, events) = ProbeSpec::new("self-dropper");
    let spec = spec.work(move |_| {
        let runner = agent_slot.lock().unwrap().take();
        if let Some(runner) = runner {
            let outcome = catch_unwind(AssertUnwindSafe(move || drop(runner))).map_err(|payload| {
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            });
            dropped_tx.send((gettid(), outcome)).unwrap();
        }
        Ok(0)
    });
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(1).unwrap())
        .start(spec.factory())
        .unwrap();
    let reader = runner.stats_reader();
    *slot.lock().unwrap() = Some(runner);
    let (tid, outcome) = dropped.recv_timeout(PATIENCE).expect("the agent dropped its runner");
    assert_eq!(outcome, Ok(()), "dropping the runner inside its agent panicked");
    // The drop asked the agent to stop: it is closed and dropped on its own thread, which ends.
    events.wait_for("on_close");
    events.wait_for("drop");
    let task = format!("/proc/self/task/{tid}");
    eventually("the agent thread is gone from /proc/self/task", || !std::path::Path::new(&task).exists());
    let cycles = reader.read().duty_cycles;
    assert!(cycles >= 1, "{cycles}");
}

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn join_or_close_inside_its_own_agent_panics_at_once_and_the_agent_still_closes_and_its_thread_ends() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Mutex;

    for call in ["join", "close"] {
        let slot: Arc<Mutex<Option<AgentRunner>>> = Arc::default();
        let agent_slot = Arc::clone(&slot);
        let (called_tx, called) = mpsc::channel::<(libc::pid_t, Result<bool, String>)>();
        let (spec, events) = ProbeSpec::new("self-joiner");
        let spec = spec.work(move |_| {
            let runner = agent_slot.lock().unwrap().take();
            if let Some(runner) = runner {
                let outcome = catch_unwind(AssertUnwindSafe(move || match call {
                    "join" => runner.join().is_ok(),
                    _ => runner.close().is_ok(),
                }));
                called_tx.send((gettid(), outcome.map_err(panic_message))).unwrap();
            }
            Ok(0)
        });
        let runner = AgentRunner::builder()
            .idle_strategy(SleepingMillisIdleStrategy::new(1).unwrap())
            .start(spec.factory())
            .unwrap();
        *slot.lock().unwrap() = Some(runner);
        // Before the fix the call waited for its own thread's end, for ever.
        let (tid, outcome) = called
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{call} inside the agent did not return"));
        let message = outcome.expect_err("the call on the agent's own thread panics");
        assert!(
            message.contains(&format!("AgentRunner::{call}")) && message.contains("own thread"),
            "{call}: {message}"
        );
        // The runner dropped by the unwinding asked the agent to stop: it is closed and dropped
        // on its own thread, which ends.
        let closed_on = events.wait_for("on_close");
        assert_eq!(closed_on.tid, tid, "{call}: on_close ran off the agent thread");
        assert_eq!(events.wait_for("drop").tid, tid, "{call}: the agent was dropped off its thread");
        let task = format!("/proc/self/task/{tid}");
        eventually("the agent thread is gone from /proc/self/task", || !std::path::Path::new(&task).exists());
    }
}

#[test]
fn a_join_inside_its_own_agent_whose_panic_is_not_caught_ends_the_agent_which_still_closes() {
    use std::sync::Mutex;

    let slot: Arc<Mutex<Option<AgentRunner>>> = Arc::default();
    let agent_slot = Arc::clone(&slot);
    let (spec, events) = ProbeSpec::new("self-joiner");
    let spec = spec.work(move |_| {
        let runner = agent_slot.lock().unwrap().take();
        if let Some(runner) = runner {
            // Panics: caught by the runner as a panic of `do_work`.
            let _ = runner.join();
        }
        Ok(0)
    });
    let runner = AgentRunner::builder()
        .idle_strategy(SleepingMillisIdleStrategy::new(1).unwrap())
        .start(spec.factory())
        .unwrap();
    *slot.lock().unwrap() = Some(runner);
    let worked_on = events.wait_for("do_work");
    assert_eq!(events.wait_for("on_close").tid, worked_on.tid);
    assert_eq!(events.wait_for("drop").tid, worked_on.tid);
    let task = format!("/proc/self/task/{}", worked_on.tid);
    eventually("the agent thread is gone from /proc/self/task", || !std::path::Path::new(&task).exists());
}

/// Sleeps in its `Drop`: a thread-local of this type delays the end of its thread.
struct SlowToDrop(Duration, Arc<AtomicBool>);

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        std::thread::sleep(self.0);
        self.1.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    static SLOW_THREAD_EXIT: std::cell::RefCell<Option<SlowToDrop>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn join_and_close_hand_the_report_back_without_waiting_for_the_threads_exit_which_follows() {
    for close in [false, true] {
        let exited = Arc::new(AtomicBool::new(false));
        let (tid_tx, tid) = mpsc::channel();
        let (spec, events) = ProbeSpec::new("slow-exit");
        let in_thread = Arc::clone(&exited);
        let spec = spec.on_start(move || {
            let slow = SlowToDrop(Duration::from_secs(2), Arc::clone(&in_thread));
            SLOW_THREAD_EXIT.with(|slot| *slot.borrow_mut() = Some(slow));
            tid_tx.send(gettid()).unwrap();
            Ok(())
        });
        let termination = AgentTermination::new();
        let runner = AgentRunner::builder().termination(termination.clone()).start(spec.factory()).unwrap();
        let tid = tid.recv_timeout(PATIENCE).unwrap();
        let asked = Instant::now();
        let report = if close {
            runner.close().unwrap()
        } else {
            termination.signal();
            runner.join().unwrap()
        };
        let took = asked.elapsed();
        assert!(report.is_clean(), "{report}");
        assert!(
            !exited.load(Ordering::SeqCst),
            "the thread-local's 2 s destructor ran before the report came back"
        );
        assert!(
            took < Duration::from_millis(1500),
            "the report took {took:?}: the 2 s thread exit was waited for"
        );
        assert!(names(&events.logged()).ends_with(&["on_close", "drop"]), "{:?}", events.logged());
        // The thread goes on to its end, runs the destructor, and nothing is left of it.
        eventually("the agent thread's thread-locals are destroyed", || exited.load(Ordering::SeqCst));
        let task = format!("/proc/self/task/{tid}");
        eventually("the agent thread is gone from /proc/self/task", || !std::path::Path::new(&task).exists());
    }
}
