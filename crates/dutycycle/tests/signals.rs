//! `AgentTermination::from_signals`: SIGINT and SIGTERM signal the latch, and a second signal
//! during a stuck shutdown ends the process with status 128 + signal number.
//!
//! Signal handlers belong to the whole process, so every test here runs its scenario in a
//! child: this test binary re-executed with `--exact <test> --nocapture` and the child mode
//! in `DUTYCYCLE_TEST_CHILD`. The child prints what happened; the parent signals it with
//! `kill(2)` and checks its output and exit status. `from_signals` is never called in the
//! parent process.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;

use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, Ending, SleepingMillisIdleStrategy};
use dutycycle_test_support::{
    child::{child_mode, ChildProcess},
    thread::gettid,
    wait::eventually,
};

/// An agent that prints each call into it with the kernel tid it ran on:
/// `event <role> <call> <tid>`. With `stuck_on_close` its `on_close` never returns.
struct Printer {
    role: &'static str,
    printed_work: bool,
    stuck_on_close: bool,
    _not_send: std::rc::Rc<()>,
}

fn print_event(role: &str, call: &str) {
    println!("event {role} {call} {}", gettid());
}

impl Printer {
    fn factory(
        role: &'static str,
        stuck_on_close: bool,
    ) -> impl FnOnce() -> Result<Printer, AgentError> + Send + 'static {
        move || {
            print_event(role, "factory");
            Ok(Printer { role, printed_work: false, stuck_on_close, _not_send: std::rc::Rc::new(()) })
        }
    }
}

impl Agent for Printer {
    fn role_name(&self) -> &str {
        self.role
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        print_event(self.role, "on_start");
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if !self.printed_work {
            self.printed_work = true;
            print_event(self.role, "do_work");
        }
        Ok(0)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        print_event(self.role, "on_close");
        if self.stuck_on_close {
            println!("stuck closing {}", self.role);
            loop {
                std::thread::park();
            }
        }
        Ok(())
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        print_event(self.role, "drop");
    }
}

const ROLES: [&str; 3] = ["alpha", "beta", "gamma"];

fn start_printers(termination: &AgentTermination, stuck_on_close: bool) -> Vec<AgentRunner> {
    ROLES
        .iter()
        .map(|role| {
            AgentRunner::builder()
                .termination(termination.clone())
                .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
                .start(Printer::factory(role, stuck_on_close))
                .unwrap()
        })
        .collect()
}

/// The child of the clean-shutdown tests: three agents on the process's signal latch; waits
/// for the signal, joins them, prints their reports.
fn clean_shutdown_child() {
    let termination = AgentTermination::from_signals().unwrap();
    println!("test-thread {}", gettid());
    let runners = start_printers(&termination, false);
    eventually("every agent has run a cycle", || runners.iter().all(|r| r.stats().duty_cycles >= 1));
    println!("ready");
    termination.wait();
    println!("woke on signal {:?}", termination.received_signal());
    let again = AgentTermination::from_signals().unwrap();
    println!("second from_signals is signalled: {}", again.is_signalled());
    for runner in runners {
        let report = runner.join().unwrap();
        let cause = termination.received_signal();
        assert!(cause.is_some());
        assert!(matches!(report.ending(), Ending::LatchSignalled { signal } if *signal == cause), "{report}");
        let name = if cause == Some(libc::SIGTERM) { "SIGTERM" } else { "SIGINT" };
        assert_eq!(report.ending().to_string(), format!("its termination latch was signalled ({name})"));
        println!("report {} clean", report.role());
    }
    println!("child-done");
}

/// Runs the clean-shutdown child of `test`, sends it `signal` once it is ready, and checks that
/// it exited 0 after every agent closed on its own thread.
fn assert_clean_shutdown_on(test: &str, signal: libc::c_int) {
    let mut child = ChildProcess::spawn(test, "clean-shutdown");
    child.wait_for_line("ready");
    child.signal(signal);
    let out = child.wait();
    out.assert_success_with("child-done");
    assert_eq!(out.status.code(), Some(0));

    let line = |prefix: &str| out.stdout.iter().find(|l| l.starts_with(prefix)).cloned();
    assert_eq!(line("woke on signal").as_deref(), Some(format!("woke on signal Some({signal})").as_str()));
    assert_eq!(line("second from_signals").as_deref(), Some("second from_signals is signalled: true"));
    let test_thread: i32 = line("test-thread ").unwrap()["test-thread ".len()..].parse().unwrap();

    // event <role> <call> <tid>
    let mut calls: HashMap<&str, Vec<(&str, i32)>> = HashMap::new();
    for l in &out.stdout {
        if let ["event", role, call, tid] = l.split(' ').collect::<Vec<_>>()[..] {
            calls.entry(role).or_default().push((call, tid.parse().unwrap()));
        }
    }
    let mut agent_threads = HashSet::new();
    for role in ROLES {
        let role_calls = &calls[role];
        let names: Vec<&str> = role_calls.iter().map(|(call, _)| *call).collect();
        assert_eq!(names, ["factory", "on_start", "do_work", "on_close", "drop"], "{role}");
        let tids: HashSet<i32> = role_calls.iter().map(|(_, tid)| *tid).collect();
        assert_eq!(tids.len(), 1, "{role} ran on several threads: {role_calls:?}");
        let tid = *tids.iter().next().unwrap();
        assert_ne!(tid, test_thread, "{role} ran on the thread that waited for the signal");
        assert!(agent_threads.insert(tid), "{role} shared a thread with another agent");
        assert!(out.stdout.contains(&format!("report {role} clean")));
    }
}

#[test]
fn sigterm_stops_every_agent_on_its_own_thread_and_the_process_exits_zero() {
    if child_mode().is_some() {
        return clean_shutdown_child();
    }
    assert_clean_shutdown_on(
        "sigterm_stops_every_agent_on_its_own_thread_and_the_process_exits_zero",
        libc::SIGTERM,
    );
}

#[test]
fn sigint_stops_every_agent_on_its_own_thread_and_the_process_exits_zero() {
    if child_mode().is_some() {
        return clean_shutdown_child();
    }
    assert_clean_shutdown_on(
        "sigint_stops_every_agent_on_its_own_thread_and_the_process_exits_zero",
        libc::SIGINT,
    );
}

/// The child of the second-signal tests: one agent whose `on_close` never returns, so that
/// shutdown hangs after the first signal.
fn stuck_shutdown_child() {
    let termination = AgentTermination::from_signals().unwrap();
    let runner = AgentRunner::builder()
        .termination(termination.clone())
        .idle_strategy(SleepingMillisIdleStrategy::new(10_000).unwrap())
        .start(Printer::factory("stuck", true))
        .unwrap();
    println!("ready");
    termination.wait();
    println!("shutting down");
    let _ = runner.join(); // never returns: on_close is stuck
    println!("child-done");
}

/// Runs the stuck-shutdown child of `test`, sends `first`, waits until shutdown is stuck in
/// `on_close`, sends `second`, and checks the exit status is 128 + `second`.
fn assert_second_signal_exits_at_once(test: &str, first: libc::c_int, second: libc::c_int) {
    let mut child = ChildProcess::spawn(test, "stuck-shutdown");
    child.wait_for_line("ready");
    child.signal(first);
    child.wait_for_line("stuck closing stuck");
    child.signal(second);
    let out = child.wait();
    assert_eq!(out.status.signal(), None, "killed by the signal instead of exiting: {:?}", out.status);
    assert_eq!(out.status.code(), Some(128 + second), "stdout: {:#?}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.iter().any(|l| l == "child-done"));
}

#[test]
fn a_second_sigint_during_a_stuck_shutdown_exits_with_130() {
    if child_mode().is_some() {
        return stuck_shutdown_child();
    }
    assert_second_signal_exits_at_once(
        "a_second_sigint_during_a_stuck_shutdown_exits_with_130",
        libc::SIGINT,
        libc::SIGINT,
    );
}

#[test]
fn a_second_sigterm_during_a_stuck_shutdown_exits_with_143() {
    if child_mode().is_some() {
        return stuck_shutdown_child();
    }
    assert_second_signal_exits_at_once(
        "a_second_sigterm_during_a_stuck_shutdown_exits_with_143",
        libc::SIGTERM,
        libc::SIGTERM,
    );
}

/// Each delivery decides "first or second" in one atomic step, so the status is the second
/// signal's whatever the interleaving of the two handlers. The race this guards against hit
/// about one run in three, so the scenario runs 20 times.
#[test]
fn a_sigterm_after_a_sigint_exits_with_143_every_time() {
    if child_mode().is_some() {
        return stuck_shutdown_child();
    }
    for _ in 0..20 {
        assert_second_signal_exits_at_once(
            "a_sigterm_after_a_sigint_exits_with_143_every_time",
            libc::SIGINT,
            libc::SIGTERM,
        );
    }
}

/// The child of the retry test: `from_signals` is first called while the process cannot map
/// another thread's stack, then again with the limit lifted.
fn failed_install_child() {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain getrlimit/setrlimit calls on a local, initialised struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) }, 0);
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').next().unwrap().parse().unwrap();
    // Room for small allocations, none for a new thread's stack.
    let tight = libc::rlimit { rlim_cur: pages * 4096 + (512 << 10), rlim_max: old.rlim_max };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &tight) }, 0);
    let first = AgentTermination::from_signals();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &old) }, 0);
    let error = first.expect_err("from_signals succeeded without room for its thread");
    println!("first error: {error} (os error {:?})", error.raw_os_error());
    let termination = AgentTermination::from_signals().expect("from_signals did not retry");
    println!("ready");
    termination.wait();
    println!("woke on signal {:?}", termination.received_signal());
}

/// A `from_signals` that failed leaves nothing installed, keeps the OS error, and a later call
/// installs the handlers for real: a SIGTERM then signals the latch instead of being swallowed.
#[test]
fn from_signals_retries_after_a_failed_install() {
    if child_mode().is_some() {
        return failed_install_child();
    }
    let mut child = ChildProcess::spawn("from_signals_retries_after_a_failed_install", "failed-install");
    let first = child.wait_for_line("first error: ");
    assert!(!first.ends_with("(os error None)"), "the OS error was dropped: {first}");
    child.wait_for_line("ready");
    child.signal(libc::SIGTERM);
    let out = child.wait();
    assert_eq!(out.status.code(), Some(0), "stdout: {:#?}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stdout.iter().any(|l| l == "woke on signal Some(15)"), "{:#?}", out.stdout);
}
