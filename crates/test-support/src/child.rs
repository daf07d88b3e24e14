//! The running test binary re-executed as a child process, for what only a whole process can
//! show: signals, stderr, exit status, process-wide state.
//!
//! The parent spawns [`ChildProcess::spawn`]`(test, mode)`: the same binary, running only
//! `test`, with [`CHILD_ENV`] set to `mode`. That test starts by asking [`child_mode`]; in the
//! child it plays its part (printing lines the parent waits for) and returns.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::wait::PATIENCE;

/// The environment variable that tells a re-executed test binary which child to be.
pub const CHILD_ENV: &str = "DUTYCYCLE_TEST_CHILD";

/// The child mode this process runs in, if it is a child.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::child::child_mode;
///
/// // A process nobody started as a child.
/// assert_eq!(child_mode(), None);
/// ```
pub fn child_mode() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// This test binary, re-executed to run only `test` (by its exact name) in child `mode`.
///
/// Dropping it kills the child if it still runs.
///
/// # Examples
///
/// In a test binary (a doctest is not one):
///
/// ```no_run
/// use dutycycle_test_support::child::{child_mode, ChildProcess};
///
/// #[test]
/// fn the_child_says_hello() {
///     if child_mode().is_some() {
///         println!("hello");
///         return;
///     }
///     let mut child = ChildProcess::spawn("the_child_says_hello", "hello");
///     assert_eq!(child.wait_for_line("hello"), "hello");
///     child.wait().assert_success_with("hello");
/// }
/// ```
pub struct ChildProcess {
    child: std::process::Child,
    stdout: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// How a child ended and what it printed.
#[derive(Debug)]
pub struct ChildOutput {
    /// How it ended.
    pub status: ExitStatus,
    /// Its stdout, line by line, without libtest's `test <name> ... ` prefix.
    pub stdout: Vec<String>,
    /// Its stderr.
    pub stderr: String,
}

impl ChildProcess {
    /// Spawns this test binary to run only `test` (by its exact name, ignored or not), with
    /// [`CHILD_ENV`] set to `mode`; panics if it cannot.
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

    /// The child's process id.
    pub fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).unwrap()
    }

    /// Waits for a line of stdout that starts with `prefix`; returns it. Kills the child and
    /// panics after [`PATIENCE`].
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

impl fmt::Debug for ChildProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildProcess").field("pid", &self.child.id()).field("seen", &self.seen).finish()
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
