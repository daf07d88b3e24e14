//! The latency harness: `cargo bench -p dutycycle-benches --bench harness -- [--quick] [--record]`
//! (or `benches/run.sh [quick|full] [--record]`, which runs the criterion micro-benchmarks
//! first so that their figures join the table).
//!
//! Prints the results table on stdout and a progress display on stderr; writes
//! `target/bench/results.json`, `target/bench/table.txt` and the SVG plots there; with
//! `--record`, copies them to `docs/bench/` (`docs/bench/scenario-<list>/` with `--only <list>`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dutycycle_benches::clock::calibrate;
use dutycycle_benches::cpu::{load_average, pin, spawn_pinned, steal_seconds};
use dutycycle_benches::progress::Progress;
use dutycycle_benches::report::{criterion_median_ns, Json, Results, Row, Unit};
use dutycycle_benches::scenarios::{self, Ctx};
use dutycycle_benches::svg::{cpu_latency_plot, percentile_plot, Point, Series};
use dutycycle_benches::{Mode, CPU_A, CPU_B};

struct Args {
    mode: Mode,
    record: bool,
    only: Option<Vec<u8>>,
}

fn parse_args() -> Args {
    let mut args = Args { mode: Mode::from_env(), record: false, only: None };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.mode = Mode::Quick,
            "--full" => args.mode = Mode::Full,
            "--record" => args.record = true,
            "--only" => {
                let list = it.next().unwrap_or_default();
                args.only = Some(list.split(',').filter_map(|s| s.trim().parse().ok()).collect());
            }
            // `cargo bench` passes `--bench`; criterion-style filters are ignored.
            _ => {}
        }
    }
    args
}

fn main() {
    let mut argv = std::env::args().skip(1);
    if argv.next().as_deref() == Some("--wake-syscalls") {
        let n = argv.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
        wake_syscalls_child(n);
        return;
    }
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if !raw.iter().any(|a| matches!(a.as_str(), "--bench" | "--quick" | "--full")) {
        // `cargo test --all-targets` runs bench targets without `--bench`: do not spend minutes
        // of a test run on benchmarks.
        println!("dutycycle harness: run it with `benches/run.sh [quick|full]` or `cargo bench -p dutycycle-benches`");
        return;
    }
    let args = parse_args();
    let wanted = |s: u8| args.only.as_ref().is_none_or(|o| o.contains(&s));
    let load_before = load_average();
    let steal_before = steal_seconds();
    eprintln!(
        "dutycycle benchmarks, {} mode, CPUs {CPU_A} and {CPU_B}, load average {load_before}",
        args.mode.name()
    );
    let ctx = Ctx { mode: args.mode, ns_per_tick: calibrate(Duration::from_millis(200)) };

    let mut steps = 1;
    if wanted(1) || wanted(2) {
        steps += scenarios::pingpong::steps(&ctx);
    }
    if wanted(3) {
        steps += scenarios::overhead::steps(&ctx);
    }
    if wanted(4) {
        steps += scenarios::wakeup::steps(&ctx);
    }
    if wanted(5) {
        steps += scenarios::idle_cost::steps(&ctx);
    }
    if wanted(6) {
        steps += scenarios::shutdown::steps(&ctx);
    }
    #[cfg(feature = "aeron")]
    if wanted(7) {
        steps += scenarios::aeron::steps(&ctx);
    }
    #[cfg(feature = "cluster")]
    if wanted(9) {
        steps += scenarios::cluster::steps(&ctx);
    }
    #[cfg(feature = "aeron")]
    if wanted(10) {
        steps += scenarios::aeron_udp::steps(&ctx);
    }
    let mut progress = Progress::new(steps);
    let mut results = Results::default();
    if wanted(1) || wanted(2) {
        scenarios::pingpong::run(&ctx, &mut progress, &mut results);
    }
    if wanted(3) {
        scenarios::overhead::run(&ctx, &mut progress, &mut results);
    }
    if wanted(4) {
        scenarios::wakeup::run(&ctx, &mut progress, &mut results);
    }
    if wanted(5) {
        scenarios::idle_cost::run(&ctx, &mut progress, &mut results);
    }
    if wanted(6) {
        scenarios::shutdown::run(&ctx, &mut progress, &mut results);
    }
    #[cfg(feature = "aeron")]
    if wanted(7) {
        scenarios::aeron::run(&ctx, &mut progress, &mut results);
    }
    #[cfg(not(feature = "aeron"))]
    if wanted(7) {
        results.notes.push(
            "scenario 7 (Aeron IPC ping-pong) was not built: run with `benches/run.sh --aeron` (feature `aeron`)".into(),
        );
    }
    if wanted(8) {
        progress.step("8 micro: criterion figures, and syscalls of wake() under perf");
        micro_rows(&mut results);
    }
    #[cfg(feature = "cluster")]
    if wanted(9) {
        scenarios::cluster::run(&ctx, &mut progress, &mut results);
    }
    #[cfg(feature = "aeron")]
    if wanted(10) {
        scenarios::aeron_udp::run(&ctx, &mut progress, &mut results);
    }
    #[cfg(not(feature = "aeron"))]
    if wanted(10) {
        results.notes.push(
            "scenario 10 (Aeron UDP ping-pong) was not built: run with `benches/run.sh --aeron` (feature `aeron`)".into(),
        );
    }
    #[cfg(not(feature = "java"))]
    if wanted(2) || wanted(7) {
        results.notes.push(
            "the Java peers (Agrona in scenario 2, Java Aeron in scenario 7) were not built: run with `benches/run.sh --java` (feature `java`)".into(),
        );
    }
    #[cfg(not(feature = "cluster"))]
    if wanted(9) {
        results.notes.push(
            "scenario 9 (Aeron Cluster round trips, Rust client against Java's) was not built: run with `benches/run.sh --cluster` (feature `cluster`)".into(),
        );
    }
    progress.finish();
    let load_after = load_average();
    let steal = steal_seconds() - steal_before;

    let table = results.table();
    println!("{table}");
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let meta = vec![
        ("mode".to_owned(), Json::str(args.mode.name())),
        ("seconds".to_owned(), Json::Num(progress.elapsed_s())),
        ("ns_per_tsc_tick".to_owned(), Json::Num(ctx.ns_per_tick)),
        ("load_average_before".to_owned(), Json::Arr(load_before.0.map(Json::Num).to_vec())),
        ("load_average_after".to_owned(), Json::Arr(load_after.0.map(Json::Num).to_vec())),
        ("steal_seconds".to_owned(), Json::Num(steal)),
        ("machine".to_owned(), machine()),
    ];
    let mut files = vec![
        ("results.json".to_owned(), results.json(meta)),
        (
            "table.txt".to_owned(),
            format!(
                "{} mode, {:.0} s, load average before {load_before}, after {load_after}, \
                 CPU time stolen by the hypervisor during the run {steal:.2} s, RUSTFLAGS \"{}\"\n\n{table}",
                args.mode.name(),
                progress.elapsed_s(),
                std::env::var("RUSTFLAGS").unwrap_or_default().trim(),
            ),
        ),
    ];
    files.push(("table.md".to_owned(), results.markdown()));
    files.extend(plots(&results));
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
    eprintln!("wrote {} files to {}", files.len(), dir.display());
    if args.record {
        // A run of some scenarios only (`--only 9`) goes to a directory of its own
        // (`docs/bench/scenario-9/`), so that it never replaces the full run's files.
        let mut docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/bench");
        if let Some(only) = &args.only {
            let list: Vec<String> = only.iter().map(u8::to_string).collect();
            docs = docs.join(format!("scenario-{}", list.join("-")));
        }
        std::fs::create_dir_all(&docs).unwrap_or_else(|e| panic!("create {}: {e}", docs.display()));
        for (name, text) in &files {
            std::fs::write(docs.join(name), text)
                .unwrap_or_else(|e| panic!("write {}: {e}", docs.join(name).display()));
        }
        eprintln!("recorded to {}", docs.display());
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> Json {
    let lscpu = command_output("lscpu", &[]);
    let field = |name: &str| {
        lscpu
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    Json::obj([
        ("cpu", Json::Str(field("Model name"))),
        ("cpus", Json::Str(field("CPU(s)"))),
        ("family_model", Json::Str(format!("{} / {}", field("CPU family"), field("Model")))),
        ("hypervisor", Json::Str(field("Hypervisor vendor"))),
        ("kernel", Json::Str(command_output("uname", &["-sr"]))),
        ("rustc", Json::Str(command_output("rustc", &["-V"]))),
        // As `benches/run.sh` built the harness (loops aligned), when it ran it.
        ("rustflags", Json::Str(std::env::var("RUSTFLAGS").unwrap_or_default().trim().to_owned())),
        (
            "clocksource",
            Json::Str(
                std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            ),
        ),
        ("default_timer_slack_ns", Json::Num(dutycycle_benches::cpu::timer_slack_ns() as f64)),
    ])
}

/// The criterion figures (from `target/criterion`, written by `--bench micro`) as rows, with
/// their baselines, and the futex count of a million `wake()` calls under `perf`.
fn micro_rows(results: &mut Results) {
    let base = target_dir().join("criterion");
    let read = |id: &str| {
        std::fs::read_to_string(base.join(id).join("new/estimates.json"))
            .ok()
            .and_then(|t| criterion_median_ns(&t))
    };
    // (criterion id, figure, per-call divisor, baseline id, baseline label)
    let rows: [(&str, &str, f64, Option<&str>, &str); 14] = [
        ("idle/noop idle(0)", "NoOp idle(0)", 1.0, None, ""),
        (
            "idle/spin idle(0)",
            "BusySpin idle(0)",
            1.0,
            Some("idle/baseline spin_loop()"),
            "std::hint::spin_loop()",
        ),
        (
            "idle/yield idle(0)",
            "Yielding idle(0)",
            1.0,
            Some("idle/baseline yield_now()"),
            "std::thread::yield_now()",
        ),
        (
            "idle/controllable (busy-spin mode) idle(0)",
            "Controllable, busy-spin mode, idle(0)",
            1.0,
            Some("idle/spin idle(0)"),
            "BusySpin idle(0)",
        ),
        (
            "idle/controllable (noop mode) idle(0)",
            "Controllable, noop mode, idle(0)",
            1.0,
            Some("idle/noop idle(0)"),
            "NoOp idle(0)",
        ),
        (
            "idle/by name spin idle(0)",
            "\"spin\".parse::<IdleStrategyConfig>().build() idle(0)",
            1.0,
            Some("idle/spin idle(0)"),
            "BusySpin idle(0)",
        ),
        ("idle/backoff idle(1) (reset)", "Backoff idle(1) (reset after work)", 1.0, None, ""),
        (
            "idle/backoff reset + 10 x idle(0) (spin phase)",
            "Backoff idle(0) in its spin phase, per call",
            10.0,
            Some("idle/baseline spin_loop()"),
            "spin_loop()",
        ),
        (
            "idle/sleep-ns 1us idle(0), default slack",
            "Sleeping 1µs idle(0), default slack",
            1.0,
            Some("idle/baseline sleep(1us), default slack"),
            "thread::sleep(1µs)",
        ),
        (
            "idle/sleep-ns 1us idle(0), slack 1us",
            "Sleeping 1µs idle(0), slack 1µs",
            1.0,
            Some("idle/baseline sleep(1us), slack 1us"),
            "thread::sleep(1µs), slack 1µs",
        ),
        (
            "termination/is_signalled()",
            "termination check (is_signalled)",
            1.0,
            Some("termination/baseline AtomicBool load"),
            "AtomicBool Acquire load",
        ),
        (
            "wake/wake() on an agent that is not parked",
            "wake() on an agent that is not parked",
            1.0,
            Some("wake/baseline futex(FUTEX_WAKE) syscall"),
            "one futex wake syscall",
        ),
        ("wake/stats() read while the agent runs", "stats() read while the agent runs", 1.0, None, ""),
        (
            "composite/CompositeAgent of 3, do_work",
            "CompositeAgent of 3 agents, one do_work",
            1.0,
            Some("composite/baseline 3 agents called directly"),
            "the 3 agents called directly",
        ),
    ];
    let mut missing = 0;
    for (id, figure, per, base_id, base_label) in rows {
        let Some(v) = read(id) else {
            missing += 1;
            continue;
        };
        let mut row = Row::new(8, figure, v / per, Unit::Ns);
        if let Some(b) = base_id.and_then(read) {
            row = row.vs(base_label, b);
        }
        results.rows.push(row);
    }
    if missing > 0 {
        results.notes.push(format!(
            "{missing} criterion figures were not found under {}: run `cargo bench -p dutycycle-benches --bench micro` first (benches/run.sh does)",
            base.display()
        ));
    }
    match wake_syscalls() {
        Ok((with, without, n)) => {
            results.rows.push(
                Row::new(
                    8,
                    format!("futex syscalls during {n} wake() on a running agent"),
                    with,
                    Unit::Count,
                )
                .vs("the same run without the wake() calls", without),
            );
        }
        Err(why) => results.notes.push(format!("syscall count of wake() not measured: {why}")),
    }
}

/// Runs this binary's `--wake-syscalls` child under `perf stat`, with and without the calls.
fn wake_syscalls() -> Result<(f64, f64, u64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let n = 1_000_000u64;
    let count = |calls: u64| -> Result<f64, String> {
        let out = Command::new("perf")
            .args(["stat", "-x", ",", "-e", "syscalls:sys_enter_futex", "--"])
            .arg(&exe)
            .args(["--wake-syscalls", &calls.to_string()])
            .output()
            .map_err(|e| format!("perf: {e}"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        err.lines()
            .find(|l| l.contains("sys_enter_futex"))
            .and_then(|l| l.split(',').next())
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("perf stat gave no futex count: {}", err.trim()))
    };
    Ok((count(n)?, count(0)?, n))
}

/// The child: a BusySpin agent on CPU 1 (never parked), `n` wake() calls from CPU 0.
fn wake_syscalls_child(n: u64) {
    use dutycycle::{Agent, AgentError, AgentRunner, BusySpinIdleStrategy};
    struct Spin;
    impl Agent for Spin {
        fn do_work(&mut self) -> Result<usize, AgentError> {
            Ok(0)
        }
    }
    let runner = AgentRunner::builder()
        .name("spin")
        .core(CPU_B)
        .idle_strategy(BusySpinIdleStrategy)
        .start(|| Ok(Spin))
        .expect("start");
    let waker = runner.waker();
    spawn_pinned("waker", CPU_A, move || {
        for _ in 0..n {
            waker.wake();
        }
    })
    .join()
    .expect("waker");
    pin(CPU_A);
    let _ = runner.close();
}

fn plots(results: &Results) -> Vec<(String, String)> {
    let series = |group: &str| -> Vec<Series> {
        results
            .distributions
            .iter()
            .filter(|d| d.group == group)
            .map(|d| Series {
                name: match d.cpu_percent {
                    Some(c) => format!("{} ({})", d.name, Unit::Percent.format(c)),
                    None => d.name.clone(),
                },
                points: d.latency.curve.clone(),
                dashed: d.baseline,
            })
            .collect()
    };
    let mut out = Vec::new();
    let pp = series("pingpong");
    if !pp.is_empty() {
        out.push((
            "pingpong.svg".to_owned(),
            percentile_plot(
                "Scenarios 1-2: round trip, pinned CPU 0 <-> CPU 1",
                "one cache line, CAS; dashed: floor and hand-written loop (baselines)",
                &pp,
            ),
        ));
    }
    for ms in [2, 10] {
        let group = format!("wakeup-{ms}ms");
        let s = series(&group);
        if !s.is_empty() {
            out.push((
                format!("{group}.svg"),
                percentile_plot(
                    &format!("Scenario 4: wake-up latency, one message every {ms} ms"),
                    "from the scheduled send time; consumer CPU share in brackets; dashed: hand-written baselines",
                    &s,
                ),
            ));
        }
    }
    let points: Vec<Point> = results
        .distributions
        .iter()
        .filter(|d| d.scenario == 4)
        .map(|d| Point {
            name: d.name.clone(),
            cpu_percent: d.cpu_percent.unwrap_or(f64::NAN),
            p50_ns: d.latency.p50,
            p99_ns: d.latency.p99,
            shape: if d.group == "wakeup-2ms" { 0 } else { 1 },
        })
        .collect();
    if !points.is_empty() {
        out.push((
            "cpu-vs-wakeup.svg".to_owned(),
            cpu_latency_plot(
                "Scenario 4: consumer CPU against wake-up latency",
                "per strategy; marker at p50, whisker to p99",
                &points,
                &["one message / 2 ms", "one message / 10 ms"],
            ),
        ));
    }
    let s = series("aeron");
    if !s.is_empty() {
        out.push((
            "aeron.svg".to_owned(),
            percentile_plot(
                "Scenario 7: Aeron IPC ping-pong, 32-byte messages",
                "round trip; dashed: rusteron's own style and Java Aeron (baselines)",
                &s,
            ),
        ));
    }
    let s = series("aeron-udp");
    if !s.is_empty() {
        out.push((
            "aeron-udp.svg".to_owned(),
            percentile_plot(
                "Scenario 10: Aeron UDP loopback ping-pong on 2 vCPUs, 32-byte messages",
                "round trip; dashed: rusteron's own style (baseline)",
                &s,
            ),
        ));
    }
    let s = series("cluster");
    if !s.is_empty() {
        out.push((
            "cluster.svg".to_owned(),
            percentile_plot(
                "Scenario 9: round trip through a 3-node Aeron Cluster, 32-byte echo",
                "one in flight; dashed: Java's AeronCluster client (baseline)",
                &s,
            ),
        ));
    }
    let s = series("shutdown");
    if !s.is_empty() {
        out.push((
            "shutdown.svg".to_owned(),
            percentile_plot(
                "Scenario 6: shutdown, signal to join returning",
                "dashed: hand-written baseline",
                &s,
            ),
        ));
    }
    out
}
