//! The gateway example as a child process: built once per test run, its output read line by
//! line as it comes, signalled, and always ended (and its driver directory removed) when the
//! test is done with it, also when the test fails.
#![allow(dead_code)] // each test binary uses its own part of this

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Generous: the machine may be busy with other builds, tests and three JVMs.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(90);
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// The tests of a binary take this, one at a time: each needs the machine's one cluster (or,
/// to test a cluster that is down, the certainty that none runs), and a second cluster of the
/// same process would wait for the first anyway.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The gateway binary, built once per test run by `cargo build --example gateway` in this
/// test's target directory and profile (a no-op when it is up to date), so that a test never
/// runs a stale one.
pub fn gateway_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/; the example lands in <profile>/examples/.
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("<target>/<profile>/deps/<test>");
        let target_dir = profile_dir.parent().expect("<target>/<profile>");
        let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let output = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "-p",
                "dutycycle-examples",
                "--features",
                "aeron",
                "--example",
                "gateway",
            ])
            .args(["--profile", profile])
            .arg("--target-dir")
            .arg(target_dir)
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the gateway failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bin = profile_dir.join("examples").join("gateway");
        assert!(bin.is_file(), "no gateway binary at {}", bin.display());
        bin
    })
}

/// A running gateway process. Dropping it SIGKILLs a process still running and removes the
/// driver directory it leaves.
pub struct Gateway {
    child: Child,
    lines: Receiver<String>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    started: Instant,
}

impl Gateway {
    /// Starts the gateway with `args` (`AERON_DIR` removed: it embeds its driver).
    pub fn spawn(args: &[&str]) -> Gateway {
        Gateway::spawn_with(args, None)
    }

    /// Starts the gateway with `args` and `AERON_DIR` set to `aeron_dir` (a running driver
    /// the gateway then uses instead of its own), or removed.
    pub fn spawn_with(args: &[&str], aeron_dir: Option<&Path>) -> Gateway {
        let mut command = Command::new(gateway_bin());
        match aeron_dir {
            Some(dir) => command.env("AERON_DIR", dir),
            None => command.env_remove("AERON_DIR"),
        };
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the gateway starts");
        let (sender, lines) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let all = Arc::clone(&stdout);
        let out = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                all.lock().unwrap().push(line.clone());
                let _ = sender.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_all = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            *err_all.lock().unwrap() = text;
        });
        Gateway { child, lines, stdout, stderr, started: Instant::now() }
    }

    /// Runs the gateway to its end: its exit status and the process.
    pub fn run(args: &[&str]) -> (ExitStatus, Gateway) {
        Gateway::run_with(args, None)
    }

    /// As [`Gateway::run`], with `AERON_DIR` as [`Gateway::spawn_with`] sets it.
    pub fn run_with(args: &[&str], aeron_dir: Option<&Path>) -> (ExitStatus, Gateway) {
        let mut gateway = Gateway::spawn_with(args, aeron_dir);
        let status = gateway.wait(EXIT_TIMEOUT);
        (status, gateway)
    }

    /// Waits for the next line that `matches`, skipping others; `None` when the process
    /// ended without printing one.
    pub fn next_line(&self, matches: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + LINE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return Some(line),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("no expected line within {LINE_TIMEOUT:?}:\n{}", self.output())
                }
            }
        }
    }

    /// As [`next_line`](Gateway::next_line), failing the test when the process ended first.
    pub fn wait_for(&self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        self.next_line(matches)
            .unwrap_or_else(|| panic!("the gateway ended without a {what} line:\n{}", self.output()))
    }

    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits in i32");
        // SAFETY: kill has no memory preconditions; the pid is our own child, which has not
        // been reaped yet (so the pid cannot have been reused).
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Waits for the process to exit, failing the test (after killing it) at `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waitpid") {
                // Let the reader threads take the last output.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() >= deadline {
                panic!("the gateway did not exit within {timeout:?}:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the process is still running (not yet exited).
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("waitpid").is_none()
    }

    /// How long since the process was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn output(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.stdout.lock().unwrap().join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The embedded driver's directory, from its start-up line.
    pub fn driver_dir(&self) -> Option<PathBuf> {
        self.stdout_lines()
            .iter()
            .find_map(|l| l.strip_prefix("driver: embedded, threading mode shared, dir ").map(PathBuf::from))
    }

    /// Directories of this process's drivers still in /dev/shm (or the temporary directory).
    pub fn leftover_dirs(&self) -> Vec<PathBuf> {
        let prefix = format!("aeron-dutycycle-{}-", self.child.id());
        let mut left = Vec::new();
        for base in [Path::new("/dev/shm").to_path_buf(), std::env::temp_dir()] {
            if let Ok(entries) = std::fs::read_dir(&base) {
                for entry in entries.flatten() {
                    if entry.file_name().to_string_lossy().starts_with(&prefix) {
                        left.push(entry.path());
                    }
                }
            }
        }
        left
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for dir in self.leftover_dirs() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The roles of the `close:` lines, sorted, after asserting that each agent closed without
/// error on the thread that built it.
pub fn closed_on_their_own_threads(lines: &[String], what: &str, output: &str) -> Vec<String> {
    let mut closed = Vec::new();
    for line in lines.iter().filter(|l| l.starts_with("close: ")) {
        let f = fields(line);
        assert_eq!(f["same_thread"], "true", "{what}: {line}\n{output}");
        assert_eq!(f["agent_thread"], f["close_thread"], "{what}: {line}");
        assert_eq!(f["result"], "ok", "{what}: {line}\n{output}");
        closed.push(f["role"].to_owned());
    }
    closed.sort();
    closed
}

/// `key=value` pairs of a line such as `close: role=gateway agent_thread=ThreadId(5) ...`.
pub fn fields(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace().filter_map(|w| w.split_once('=')).collect()
}

/// The words after each word of the account line: `account: sent 10 answered 10 ...`.
pub fn values(line: &str) -> HashMap<String, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(2).map(|w| (w[0].to_owned(), w[1].to_owned())).collect()
}

/// The numbers after each word of the account line.
pub fn numbers(line: &str) -> HashMap<String, u64> {
    values(line).into_iter().filter_map(|(k, v)| Some((k, v.parse().ok()?))).collect()
}

/// A small, seeded xorshift: the moments differ from run to run, and a failing run can be
/// repeated with the seed it printed.
pub struct Rng(pub u64);

impl Rng {
    /// Seeded from `var` if set, else from the clock; prints the seed.
    pub fn from_env(var: &str) -> Rng {
        let seed = std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
        println!("{var}={seed}");
        Rng(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
