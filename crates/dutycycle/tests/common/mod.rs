//! Helpers shared by the integration tests: where code ran (thread id and kernel tid), the
//! OS view of a thread (name, affinity, timer slack), a probe agent that logs every call into
//! it, a guard that keeps CPU-hungry tests of one binary from overlapping, and child processes
//! of the test binary for what only a whole process can show (signals, stderr, rlimits).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError};

/// Long enough for anything a test waits on, even on a loaded 2-CPU machine; a test that hits
/// it has failed.
pub const PATIENCE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// CPU sharing

static CPU: Mutex<()> = Mutex::new(());

/// Held by tests that spin (BusySpin, NoOp, Yield) or pin, so that no two of them in one test
/// binary compete for the machine's two CPUs.
pub fn exclusive_cpu() -> MutexGuard<'static, ()> {
    CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Where code runs

/// The thread a piece of code ran on, as Rust and as the kernel see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Where {
    pub thread: ThreadId,
    pub tid: libc::pid_t,
}

/// The calling thread.
pub fn here() -> Where {
    Where { thread: std::thread::current().id(), tid: gettid() }
}

/// The kernel's id of the calling thread.
pub fn gettid() -> libc::pid_t {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// The calling thread's name as the kernel holds it (`/proc/self/task/<tid>/comm`).
pub fn os_thread_name() -> String {
    let comm = std::fs::read_to_string(format!("/proc/self/task/{}/comm", gettid())).unwrap();
    comm.trim_end_matches('\n').to_owned()
}

fn cpu_set_to_vec(set: &libc::cpu_set_t) -> Vec<usize> {
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: every index is below CPU_SETSIZE.
    (0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, set) }).collect()
}

/// The CPUs this process may run on (the main thread's affinity).
pub fn process_allowed_cores() -> Vec<usize> {
    // SAFETY: all-zero is a valid cpu_set_t.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a writable cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_getaffinity(libc::getpid(), std::mem::size_of_val(&set), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    cpu_set_to_vec(&set)
}

/// The CPUs the calling thread may run on.
pub fn current_thread_affinity() -> Vec<usize> {
    // SAFETY: all-zero is a valid cpu_set_t.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; `set` is a writable cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    cpu_set_to_vec(&set)
}

/// The CPU the calling thread runs on now.
pub fn current_cpu() -> usize {
    // SAFETY: sched_getcpu has no preconditions.
    usize::try_from(unsafe { libc::sched_getcpu() }).unwrap()
}

/// The calling thread's timer slack (`PR_GET_TIMERSLACK`), in nanoseconds.
pub fn timer_slack_ns() -> u64 {
    // SAFETY: PR_GET_TIMERSLACK takes no pointers and returns the slack.
    let slack = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
    u64::try_from(slack).unwrap()
}

// ---------------------------------------------------------------------------------------------
// A probe agent

/// A call into the probe, and where it ran.
pub type Event = (&'static str, Where);

type Hook = Box<dyn FnMut() -> Result<(), AgentError> + Send>;
type WorkHook = Box<dyn FnMut(u64) -> Result<usize, AgentError> + Send>;

/// The recipe for a [`Probe`]: what each of its methods does. Everything in it is `Send`, so
/// that it can travel inside the factory; the probe itself holds an `Rc` and is not `Send`.
pub struct ProbeSpec {
    role: String,
    log: Sender<Event>,
    on_start: Hook,
    work: WorkHook,
    on_close: Hook,
    panic_on_drop: bool,
}

/// An agent that logs each call into it ("factory", "on_start", "do_work", "on_close",
/// "drop") with where it ran, then does what its [`ProbeSpec`] says. By default it starts,
/// finds no work (`Ok(0)`) and closes without fuss.
pub struct Probe {
    role: String,
    log: Sender<Event>,
    cycle: u64,
    on_start: Hook,
    work: WorkHook,
    on_close: Hook,
    panic_on_drop: bool,
    _not_send: Rc<()>,
}

/// The receiving end of a probe's log.
pub struct Events(Receiver<Event>);

impl ProbeSpec {
    pub fn new(role: &str) -> (ProbeSpec, Events) {
        let (log, rx) = mpsc::channel();
        let spec = ProbeSpec {
            role: role.to_owned(),
            log,
            on_start: Box::new(|| Ok(())),
            work: Box::new(|_| Ok(0)),
            on_close: Box::new(|| Ok(())),
            panic_on_drop: false,
        };
        (spec, Events(rx))
    }

    pub fn on_start(mut self, f: impl FnMut() -> Result<(), AgentError> + Send + 'static) -> Self {
        self.on_start = Box::new(f);
        self
    }

    /// What `do_work` does on each cycle (numbered from 1).
    pub fn work(mut self, f: impl FnMut(u64) -> Result<usize, AgentError> + Send + 'static) -> Self {
        self.work = Box::new(f);
        self
    }

    pub fn on_close(mut self, f: impl FnMut() -> Result<(), AgentError> + Send + 'static) -> Self {
        self.on_close = Box::new(f);
        self
    }

    pub fn panic_on_drop(mut self) -> Self {
        self.panic_on_drop = true;
        self
    }

    /// The factory: logs "factory" where it runs and builds the probe there.
    pub fn factory(self) -> impl FnOnce() -> Result<Probe, AgentError> + Send + 'static {
        move || {
            let _ = self.log.send(("factory", here()));
            Ok(Probe {
                role: self.role,
                log: self.log,
                cycle: 0,
                on_start: self.on_start,
                work: self.work,
                on_close: self.on_close,
                panic_on_drop: self.panic_on_drop,
                _not_send: Rc::new(()),
            })
        }
    }
}

impl Agent for Probe {
    fn role_name(&self) -> &str {
        &self.role
    }

    fn on_start(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_start", here()));
        (self.on_start)()
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        let _ = self.log.send(("do_work", here()));
        (self.work)(self.cycle)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_close", here()));
        (self.on_close)()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.log.send(("drop", here()));
        if self.panic_on_drop {
            panic!("drop blew up");
        }
    }
}

impl Events {
    /// Every event logged so far, without waiting.
    pub fn logged(&self) -> Vec<Event> {
        self.0.try_iter().collect()
    }

    /// Waits for the next event called `name` (skipping others).
    pub fn wait_for(&self, name: &str) -> Where {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok((event, at)) if event == name => return at,
                Ok(_) => {}
                Err(e) => panic!("no {name:?} event: {e}"),
            }
        }
    }
}

/// The names of `events` in order, with consecutive repeats of "do_work" merged.
pub fn names(events: &[Event]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = events.iter().map(|(name, _)| *name).collect();
    names.dedup_by(|a, b| *a == "do_work" && *b == "do_work");
    names
}

/// Asserts that all `events` ran on one thread that is not the calling thread; returns it.
pub fn assert_one_agent_thread(events: &[Event]) -> Where {
    assert!(!events.is_empty(), "no events logged");
    let agent = events[0].1;
    for (name, at) in events {
        assert_eq!(*at, agent, "{name} ran on {at:?}, not on the agent thread {agent:?}");
    }
    let caller = here();
    assert_ne!(agent.thread, caller.thread, "agent code ran on the caller's thread");
    assert_ne!(agent.tid, caller.tid, "agent code ran on the caller's kernel thread");
    agent
}

/// Polls `condition` until it holds, failing the test after [`PATIENCE`].
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes

/// The environment variable that tells a re-executed test binary which child to be.
pub const CHILD_ENV: &str = "DUTYCYCLE_TEST_CHILD";

/// The child mode this process runs in, if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// This test binary, re-executed to run only `test` (by its exact name) in child `mode`.
pub struct ChildProcess {
    child: std::process::Child,
    stdout: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// How a child ended and what it printed.
#[derive(Debug)]
pub struct ChildOutput {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl ChildProcess {
    pub fn spawn(test: &str, mode: &str) -> ChildProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1", "--include-ignored"])
            .env(CHILD_ENV, mode)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, stdout) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // libtest prints "test <name> ... " and the child's first line follows it.
                let line = match line.split_once(" ... ") {
                    Some((head, rest)) if head.starts_with("test ") => rest.to_owned(),
                    _ => line,
                };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        ChildProcess { child, stdout, seen: Vec::new(), stderr: Some(stderr) }
    }

    pub fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).unwrap()
    }

    /// Waits for a line of stdout that starts with `prefix`; returns it.
    pub fn wait_for_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    panic!("child printed no line starting with {prefix:?} ({e}); so far: {:#?}", self.seen)
                }
            }
        }
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill takes plain integers; the pid is our own child, not yet reaped.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits for the child to end (killing it after [`PATIENCE`]) and collects its output.
    pub fn wait(mut self) -> ChildOutput {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("child did not end within {PATIENCE:?}; stdout so far: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut stdout = std::mem::take(&mut self.seen);
        // The reader thread ends at EOF, which comes once the child is gone.
        while let Ok(line) = self.stdout.recv_timeout(PATIENCE) {
            stdout.push(line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        ChildOutput { status, stdout, stderr }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl ChildOutput {
    /// Asserts the child exited with status 0 and printed `marker`, which proves it ran the
    /// child mode (a wrong test name would run nothing and still exit 0).
    pub fn assert_success_with(&self, marker: &str) {
        assert!(
            self.status.success(),
            "child failed: {:?} (signal {:?})\nstdout: {:#?}\nstderr:\n{}",
            self.status,
            self.status.signal(),
            self.stdout,
            self.stderr
        );
        assert!(
            self.stdout.iter().any(|line| line == marker),
            "child did not print {marker:?}\nstdout: {:#?}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
    }
}
