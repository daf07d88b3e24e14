//! The gateway demo (`examples/gateway/`) with `--embedded` (its simulated cluster, no Java) as
//! a process: failover, SIGTERM at random moments, a second signal during a stuck shutdown, bad
//! flags. Signals go to the child processes only.
//!
//! The binary is built by `cargo build -p dutycycle-examples --features aeron --example
//! gateway` in the same target directory and profile as this test (a no-op when `cargo test
//! --workspace --all-features` has built it already), so the test never runs a stale one.
//! The process helpers are `tests/common`'s, shared with the real-cluster tests.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use common::{closed_on_their_own_threads, fields, numbers, serial, Gateway, Rng, EXIT_TIMEOUT};

/// The gateway with its simulated cluster: `--embedded`, then `args`.
fn embedded_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    std::iter::once("--embedded").chain(args.iter().copied()).collect()
}

fn embedded_spawn(args: &[&str]) -> Gateway {
    Gateway::spawn(&embedded_args(args))
}

fn embedded_run(args: &[&str]) -> (ExitStatus, Gateway) {
    Gateway::run(&embedded_args(args))
}

fn embedded_spawn_with(args: &[&str], aeron_dir: Option<&Path>) -> Gateway {
    Gateway::spawn_with(&embedded_args(args), aeron_dir)
}

fn embedded_run_with(args: &[&str], aeron_dir: Option<&Path>) -> (ExitStatus, Gateway) {
    Gateway::run_with(&embedded_args(args), aeron_dir)
}

/// Asserts a clean exit: status 0, each of the three agents closed on the thread that built
/// it with its resources closed, a clean report per runner (one when composed, else three),
/// the account last with every request answered exactly once, no driver directory left.
fn assert_clean_exit(status: ExitStatus, gateway: &Gateway, what: &str) {
    let output = gateway.output();
    assert_eq!(status.code(), Some(0), "{what}: {status}\n{output}");
    let lines = gateway.stdout_lines();
    let closed = closed_on_their_own_threads(&lines, what, &output);
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
    if !what.contains("--log") {
        assert!(!gateway.stderr().contains(" DEBUG "), "{what}: events only with --log\n{output}");
    }
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
        let (status, gateway) = embedded_run(&args);
        assert_clean_exit(status, &gateway, &what);
        let output = gateway.output();
        let lines = gateway.stdout_lines();
        let account = lines.iter().find(|l| l.starts_with("account: ")).expect("an account line");
        let service = lines.iter().find(|l| l.starts_with("service: ordered")).expect("a service line");
        let (a, s) = (numbers(account), numbers(service));
        assert!(lines.iter().any(|l| l.starts_with("gateway: drained in ")), "{what}: drained\n{output}");
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

#[test]
fn with_log_each_agents_life_goes_to_stderr_step_by_step_on_its_own_thread() {
    let _serial = serial();
    let what = "--run-time 1s --log";
    let (status, gateway) = embedded_run(&what.split(' ').collect::<Vec<_>>());
    assert_clean_exit(status, &gateway, what);
    let stderr = gateway.stderr();
    let events: Vec<&str> = stderr.lines().filter(|l| l.contains(" DEBUG dutycycle")).collect();
    // The position of the first event that has every one of `parts`.
    let at = |parts: &[&str]| {
        events
            .iter()
            .position(|l| parts.iter().all(|p| l.contains(p)))
            .unwrap_or_else(|| panic!("no event with {parts:?}\n{stderr}"))
    };
    for (role, thread) in [("media-driver", "driver"), ("service", "service"), ("gateway", "gateway")] {
        let role = format!("role=\"{role}\"");
        let thread = format!("thread={thread}");
        let steps = [
            "factory_built",
            "on_start_ended",
            "duty_cycle_ended",
            "on_close_begun",
            "on_close_ended",
            "dropped",
            "report",
        ]
        .map(|step| at(&[&format!("dutycycle: {step} "), &role, &thread]));
        assert!(steps.is_sorted(), "{role}: the steps in order {steps:?}\n{stderr}");
        assert!(events[steps[6]].contains("clean=true"), "{}", events[steps[6]]);
    }
    let driver = ["driver_started", "driver_closing", "driver_closed"]
        .map(|e| at(&[&format!("dutycycle_aeron: {e} "), "thread=driver"]));
    assert!(driver.is_sorted(), "{driver:?}\n{stderr}");
    for thread in ["service", "gateway"] {
        let thread = format!("thread={thread}");
        let client = ["client_connected", "add_done", "client_closing", "client_closed"]
            .map(|e| at(&[&format!("dutycycle_aeron: {e} "), &thread]));
        assert!(client.is_sorted(), "{thread}: {client:?}\n{stderr}");
    }
}

#[test]
fn sigterm_at_random_moments_always_ends_in_a_clean_exit() {
    let _serial = serial();
    let mut rng = Rng::from_env("DUTYCYCLE_KILL_SEED");
    let seed = rng.0;
    let args = ["--run-time", "0", "--failover-period", "300ms", "--failover-downtime", "100ms"];
    let mut kills = HashMap::new();
    // 51 rounds, 17 at each kind of moment: at least the 50 random SIGTERMs the demo must survive.
    for round in 0..51 {
        let mut gateway = embedded_spawn(&args);
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
fn a_drain_cut_short_by_its_deadline_exits_1_naming_what_was_left_unanswered() {
    let _serial = serial();
    // The service goes away for 3 s at each failover. During that time nothing is answered,
    // so what a stats line then shows in flight stays in flight: SIGTERM right after it, and
    // the 300 ms drain deadline passes first. (What is in flight when the service goes away
    // may all have been answered already: then wait for the next failover.)
    let args = [
        "--run-time",
        "0",
        "--failover-period",
        "500ms",
        "--failover-downtime",
        "3s",
        "--drain-timeout",
        "300ms",
    ];
    let mut gateway = embedded_spawn(&args);
    let mut in_flight = 0;
    for _ in 0..10 {
        gateway.wait_for("failover", |l| l.starts_with("service: failover") && l.contains("closed"));
        let line = gateway.wait_for("a stats line or the service back", |l| {
            l.starts_with("stats: ") || l.contains("back as epoch")
        });
        if line.starts_with("stats: ") {
            in_flight = numbers(&line)["in-flight"];
            if in_flight > 0 {
                break;
            }
        }
    }
    assert!(
        in_flight > 0,
        "requests in flight while the service is away, in 10 failovers\n{}",
        gateway.output()
    );
    gateway.signal(libc::SIGTERM);
    let status = gateway.wait(EXIT_TIMEOUT);
    let output = gateway.output();
    assert_eq!(status.code(), Some(1), "{status}\n{output}");
    let lines = gateway.stdout_lines();
    assert!(
        lines.iter().any(|l| l == "gateway: drain deadline passed, closing the other agents"),
        "{output}"
    );
    let report = lines.iter().find(|l| l.starts_with("report: gateway")).expect("the gateway's report");
    assert!(report.contains("drain cut short by its deadline of 300ms"), "{report}\n{output}");
    let account = numbers(lines.last().filter(|l| l.starts_with("account: ")).expect("the account last"));
    let unanswered = account["unanswered"];
    assert!(unanswered >= in_flight, "{output}");
    let said = format!("the drain deadline of 300ms passed with {unanswered} requests unanswered");
    assert!(gateway.stderr().contains(&said), "{said}\n{output}");
    // Cut short or not, every agent closes on the thread that built it, and nothing is left.
    let closed: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("close: "))
        .map(|l| fields(l)["same_thread"] == "true")
        .collect();
    assert_eq!(closed, [true, true, true], "{output}");
    assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new(), "{output}");
}

#[test]
fn a_second_signal_during_a_stuck_shutdown_exits_with_128_plus_its_number() {
    let _serial = serial();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut gateway = embedded_spawn(&["--run-time", "0", "--hang-on-close", "gateway"]);
        gateway.wait_for("egress image", |l| l.starts_with("gateway: egress image"));
        gateway.signal(signal);
        gateway.wait_for("hang", |l| l.starts_with("hang: gateway"));
        std::thread::sleep(Duration::from_millis(300));
        assert!(gateway.is_running(), "the shutdown is stuck, as the flag makes it");
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
        let (status, gateway) = embedded_run(args);
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

    let mut gateway = embedded_spawn_with(&["--run-time", "2s", "--failover-period", "500ms"], Some(&dir));
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
    let (status, gateway) = embedded_run_with(&["--run-time", "1s"], Some(&dir));
    let output = gateway.output();
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        gateway.stderr().contains(&format!("no active Aeron media driver in {}", dir.display())),
        "{output}"
    );
    assert!(!gateway.stdout_lines().iter().any(|l| l.starts_with("close: ")), "{output}");
}
