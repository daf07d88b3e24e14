//! The gateway demo (`examples/gateway/`) with `--embedded` (its simulated cluster, no Java) as
//! a process: failover, SIGTERM at random moments, a second signal during a stuck shutdown, bad
//! flags. Signals go to the child processes only.
//!
//! The binary is built by `cargo build -p dutycycle-examples --features aeron --example
//! gateway` in the same target directory and profile as this test (a no-op when `cargo test
//! --workspace --all-features` has built it already), so the test never runs a stale one.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::serial;

/// Generous: the machine may be busy with other builds and tests.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// The gateway binary, built once per test run.
fn gateway_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/; the example lands in <profile>/examples/.
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("<target>/<profile>/deps/<test>");
        let target_dir = profile_dir.parent().expect("<target>/<profile>");
        let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let output = Command::new(cargo)
            .current_dir(&workspace)
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

/// A running gateway process, its output read line by line as it comes.
struct Gateway {
    child: Child,
    lines: Receiver<String>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Gateway {
    fn spawn(args: &[&str]) -> Gateway {
        Gateway::spawn_with(args, None)
    }

    /// With `AERON_DIR` set to `aeron_dir`, or removed.
    fn spawn_with(args: &[&str], aeron_dir: Option<&Path>) -> Gateway {
        let mut command = Command::new(gateway_bin());
        command.arg("--embedded");
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
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                all.lock().unwrap().push(line.clone());
                let _ = sender.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_all = Arc::clone(&stderr);
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            *err_all.lock().unwrap() = text;
        });
        Gateway { child, lines, stdout, stderr }
    }

    /// Runs the gateway to its end and returns its exit status.
    fn run(args: &[&str]) -> (ExitStatus, Gateway) {
        Gateway::run_with(args, None)
    }

    fn run_with(args: &[&str], aeron_dir: Option<&Path>) -> (ExitStatus, Gateway) {
        let mut gateway = Gateway::spawn_with(args, aeron_dir);
        let status = gateway.wait(EXIT_TIMEOUT);
        (status, gateway)
    }

    /// The next line that `matches`, skipping others.
    fn wait_for(&self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + LINE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("no {what} line within {LINE_TIMEOUT:?}:\n{}", self.output()),
            }
        }
    }

    fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits in i32");
        // SAFETY: kill has no memory preconditions; the pid is our own child, which has not
        // been reaped yet (so the pid cannot have been reused).
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("waitpid") {
                // Let the reader threads take the last output.
                std::thread::sleep(Duration::from_millis(20));
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the gateway did not exit within {timeout:?}:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn output(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.stdout.lock().unwrap().join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The embedded driver's directory, from its start-up line.
    fn driver_dir(&self) -> Option<PathBuf> {
        self.stdout_lines()
            .iter()
            .find_map(|l| l.strip_prefix("driver: embedded, threading mode shared, dir ").map(PathBuf::from))
    }

    /// Directories of this process's drivers still in /dev/shm (or the temporary directory).
    fn leftover_dirs(&self) -> Vec<PathBuf> {
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

/// `key=value` pairs of a line such as `close: role=gateway agent_thread=ThreadId(5) ...`.
fn fields(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace().filter_map(|w| w.split_once('=')).collect()
}

/// The numbers after each word of the account line: `account: sent 10 answered 10 ...`.
fn numbers(line: &str) -> HashMap<String, u64> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(2).filter_map(|w| Some((w[0].to_owned(), w[1].parse().ok()?))).collect()
}

/// Asserts a clean exit: status 0, each of the three agents closed on the thread that built
/// it with its resources closed, a clean report per runner (one when composed, else three),
/// the account last with every request answered exactly once, no driver directory left.
fn assert_clean_exit(status: ExitStatus, gateway: &Gateway, what: &str) {
    let output = gateway.output();
    assert_eq!(status.code(), Some(0), "{what}: {status}\n{output}");
    let lines = gateway.stdout_lines();
    let mut closed = Vec::new();
    for line in lines.iter().filter(|l| l.starts_with("close: ")) {
        let f = fields(line);
        assert_eq!(f["same_thread"], "true", "{what}: {line}\n{output}");
        assert_eq!(f["agent_thread"], f["close_thread"], "{what}: {line}");
        assert_eq!(f["result"], "ok", "{what}: {line}\n{output}");
        closed.push(f["role"].to_owned());
    }
    closed.sort();
    assert_eq!(closed, ["gateway", "media-driver", "service"], "{what}: every agent closes once\n{output}");
    let reports: Vec<&String> = lines.iter().filter(|l| l.starts_with("report: ")).collect();
    let runners = if what.contains("--compose") { 1 } else { 3 };
    assert_eq!(reports.len(), runners, "{what}: a report per runner\n{output}");
    for report in reports {
        assert!(
            report.contains("closed by its runner") && report.contains(" 0 errors"),
            "{what}: {report}\n{output}"
        );
    }
    // The last line is the account: after the drain, nothing in flight was dropped.
    let account = lines.last().filter(|l| l.starts_with("account: "));
    let account =
        numbers(account.unwrap_or_else(|| panic!("{what}: the last line is the account\n{output}")));
    assert_eq!(account["unanswered"], 0, "{what}: drained\n{output}");
    assert_eq!(account["answered"], account["sent"], "{what}\n{output}");
    assert_eq!((account["missing"], account["answered-twice"]), (0, 0), "{what}: the audit\n{output}");
    let dir = gateway.driver_dir().unwrap_or_else(|| panic!("{what}: no driver line\n{output}"));
    assert!(!dir.exists(), "{what}: {} left behind", dir.display());
    assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new(), "{what}");
    assert!(!gateway.stderr().contains("panicked"), "{what}: {output}");
}

#[test]
fn failover_resumes_with_the_account_intact() {
    let _serial = serial();
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let udp = format!("aeron:udp?endpoint=localhost:{port}");
    for args in [
        vec!["--run-time", "4s", "--failover-period", "400ms", "--failover-downtime", "100ms"],
        vec![
            "--run-time",
            "3s",
            "--failover-period",
            "500ms",
            "--compose",
            "--channel",
            &udp,
            "--conductor",
            "thread",
        ],
    ] {
        let what = args.join(" ");
        let (status, gateway) = Gateway::run(&args);
        assert_clean_exit(status, &gateway, &what);
        let output = gateway.output();
        let lines = gateway.stdout_lines();
        let account = lines.iter().find(|l| l.starts_with("account: ")).expect("an account line");
        let service = lines.iter().find(|l| l.starts_with("service: ordered")).expect("a service line");
        let (a, s) = (numbers(account), numbers(service));
        assert!(
            lines.iter().any(|l| l == "gateway: drained, stopping every agent"),
            "{what}: drained\n{output}"
        );
        assert!(a["sent"] > 1000, "{what}: {account}");
        assert_eq!(a["answered"], a["sent"], "{what}: every request answered: {account}");
        assert_eq!(a["unanswered"], 0, "{what}: none lost: {account}");
        assert_eq!(a["inconsistent"], 0, "{what}: no request ordered twice: {account}");
        assert_eq!(a["answered-twice"], 0, "{what}: the audit: {account}");
        assert_eq!(a["missing"], 0, "{what}: the audit: {account}");
        assert_eq!(s["ordered"], a["sent"], "{what}: the service ordered each request once: {service}");
        assert!(s["failovers"] >= 4, "{what}: {service}");
        // Each failover brings the gateway a new egress image, and it loses only images it had
        // joined. The last one may be lost too: the service can close its publication at
        // shutdown while the gateway still polls (it drains).
        assert!(a["egress-joined"] >= s["failovers"], "{what}: {account} / {service}");
        assert!(a["egress-lost"] >= 1 && a["egress-lost"] <= a["egress-joined"], "{what}: {account}");
        assert!(a["resent"] > 0, "{what}: requests were resent across failovers: {account}");
        assert!(
            lines.iter().filter(|l| l.starts_with("stats: ")).count() >= 2,
            "{what}: a stats line a second"
        );
    }
}

/// A small, seeded xorshift: the moments differ from run to run, and a failing run can be
/// repeated with `DUTYCYCLE_KILL_SEED`.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn sigterm_at_random_moments_always_ends_in_a_clean_exit() {
    let _serial = serial();
    let seed = std::env::var("DUTYCYCLE_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
            | 1
    });
    println!("DUTYCYCLE_KILL_SEED={seed}");
    let mut rng = Rng(seed);
    let args = ["--run-time", "0", "--failover-period", "300ms", "--failover-downtime", "100ms"];
    let mut kills = HashMap::new();
    // 51 rounds, 17 at each kind of moment: at least the 50 random SIGTERMs the demo must survive.
    for round in 0..51 {
        let mut gateway = Gateway::spawn(&args);
        gateway.wait_for("signal handling", |l| l.contains("handles SIGINT/SIGTERM"));
        let moment = match round % 3 {
            // While the driver, the service and the gateway are starting.
            0 => {
                std::thread::sleep(Duration::from_millis(rng.below(40)));
                "start-up"
            }
            // While the service is away: its publication and subscription are closed.
            1 => {
                gateway.wait_for("failover", |l| l.starts_with("service: failover") && l.contains("closed"));
                std::thread::sleep(Duration::from_millis(rng.below(60)));
                "failover"
            }
            // Anywhere in a run of failovers.
            _ => {
                std::thread::sleep(Duration::from_millis(100 + rng.below(1500)));
                "running"
            }
        };
        gateway.signal(libc::SIGTERM);
        let status = gateway.wait(EXIT_TIMEOUT);
        assert_clean_exit(status, &gateway, &format!("round {round}, SIGTERM during {moment} (seed {seed})"));
        *kills.entry(moment).or_insert(0) += 1;
    }
    assert_eq!(kills.values().sum::<i32>(), 51);
    assert!(kills.values().all(|&n| n == 17), "{kills:?}");
}

#[test]
fn a_second_signal_during_a_stuck_shutdown_exits_with_128_plus_its_number() {
    let _serial = serial();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut gateway = Gateway::spawn(&["--run-time", "0", "--hang-on-close", "gateway"]);
        gateway.wait_for("egress image", |l| l.starts_with("gateway: egress image"));
        gateway.signal(signal);
        gateway.wait_for("hang", |l| l.starts_with("hang: gateway"));
        std::thread::sleep(Duration::from_millis(300));
        assert!(gateway.child.try_wait().unwrap().is_none(), "the shutdown is stuck, as the flag makes it");
        gateway.signal(signal);
        let status = gateway.wait(Duration::from_secs(20));
        assert_eq!(status.code(), Some(code), "signal {signal}: {status}\n{}", gateway.output());
        // The process ended in the middle of its shutdown: the driver never closed, so its
        // directory is still there. Clean it up.
        for dir in gateway.leftover_dirs() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn bad_input_is_refused_naming_it_before_anything_is_built() {
    let _serial = serial();
    let file = std::env::temp_dir().join(format!("dutycycle-gateway-test-file-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let unwritable = file.join("aeron");
    let unwritable = unwritable.to_str().unwrap();
    let cases: [(&[&str], i32, &[&str]); 8] = [
        (&["--channel", "aeron:udp?endpont=localhost:20121"], 2, &["--channel", "endpont", "no endpoint"]),
        (
            &["--channel", "aeron:tcp?endpoint=localhost:1"],
            2,
            &["--channel", "aeron:tcp?endpoint=localhost:1"],
        ),
        (&["--channel", "aeron:udp?endpoint=localhost:notaport"], 2, &["localhost:notaport"]),
        (&["--gateway-idle", "bakoff"], 2, &["--gateway-idle", "\"bakoff\"", "did you mean \"backoff\""]),
        (&["--service-idle", "sleep-ns:0"], 2, &["--service-idle", "sleep-ns:0"]),
        (&["--service-core", "4096"], 2, &["--service-core", "core 4096"]),
        (&["--run-time", "5parsecs"], 2, &["--run-time", "5parsecs"]),
        (&["--driver-dir", unwritable], 1, &[unwritable, "not writable"]),
    ];
    for (args, code, named) in cases {
        let what = args.join(" ");
        let (status, gateway) = Gateway::run(args);
        let (stderr, output) = (gateway.stderr(), gateway.output());
        assert_eq!(status.code(), Some(code), "{what}: {output}");
        for name in named {
            assert!(stderr.contains(name), "{what}: the error names {name:?}:\n{output}");
        }
        let lines = gateway.stdout_lines();
        assert!(!lines.iter().any(|l| l.starts_with("close: ")), "{what}: no agent was built\n{output}");
        assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new(), "{what}");
    }
    assert!(!Path::new(unwritable).exists());
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn with_aeron_dir_the_gateway_uses_the_running_driver_and_leaves_it_alone() {
    let _serial = serial();
    let config = dutycycle_aeron::MediaDriverConfig::new();
    let dir = config.aeron_dir().to_owned();
    let driver = dutycycle::AgentRunner::builder()
        .name("driver")
        .start(move || Ok(dutycycle_aeron::MediaDriverAgent::launch(config)?))
        .unwrap();

    let mut gateway = Gateway::spawn_with(&["--run-time", "2s", "--failover-period", "500ms"], Some(&dir));
    let status = gateway.wait(EXIT_TIMEOUT);
    let output = gateway.output();
    assert_eq!(status.code(), Some(0), "{output}");
    let lines = gateway.stdout_lines();
    assert!(lines.iter().any(|l| l.starts_with("driver: using the media driver running in")), "{output}");
    let closed: Vec<_> = lines.iter().filter(|l| l.starts_with("close: ")).collect();
    assert_eq!(closed.len(), 2, "the service and the gateway, no driver of its own: {output}");
    assert!(closed.iter().all(|l| fields(l)["same_thread"] == "true"), "{output}");
    let account = numbers(lines.iter().find(|l| l.starts_with("account: ")).expect("an account line"));
    assert!(account["sent"] > 0 && account["sent"] == account["answered"], "{output}");
    assert!(dir.join("cnc.dat").is_file(), "the running driver's directory is left alone");
    assert!(driver.is_running());
    assert!(driver.close().unwrap().is_clean());

    // No driver there any more: the gateway says so, naming the directory, and builds nothing.
    let (status, gateway) = Gateway::run_with(&["--run-time", "1s"], Some(&dir));
    let output = gateway.output();
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        gateway.stderr().contains(&format!("no active Aeron media driver in {}", dir.display())),
        "{output}"
    );
    assert!(!gateway.stdout_lines().iter().any(|l| l.starts_with("close: ")), "{output}");
}
