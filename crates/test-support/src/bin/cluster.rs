//! Runs a real three-node Aeron Cluster until SIGINT or SIGTERM, for scripts and benchmarks.
//!
//! ```text
//! cluster start [--heartbeat-timeout-ms N] [--idle-strategy ALIAS] [--max-heap-mib N]
//!               [--timer-slack-us N] [--jvm-option OPTION]... [--property KEY=VALUE]...
//!               [--kill-leader-after SECS] [--report-cpu-every SECS]
//! cluster clean
//! ```
//!
//! `start` prints one `key value` line per fact, so that scripts can `awk` them:
//!
//! ```text
//! endpoints 0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202
//! pids 0=4101,1=4102,2=4103
//! work-dir /tmp/dutycycle-cluster-4100-123456-0
//! leader 1
//! ready 3.2
//! ```
//!
//! (`ready` gives the seconds from spawning the nodes to an elected leader, not counting any
//! wait for another cluster on the machine to end.) Then, while it runs:
//! `killed <node> <pid>` when `--kill-leader-after` SIGKILLs the leader, `leader <node>
//! <seconds since the kill>` when a new one is elected, `cpu <cores>` (the three JVMs' CPU
//! load over the last interval) with `--report-cpu-every`. On SIGINT or SIGTERM it ends the
//! JVMs, removes their directories, prints `stopped` and exits 0. A signal before `ready`
//! (while it waits for another cluster to end, say) ends it at once: the JVMs die with it and
//! the next start removes their directories. Errors go to stderr, with exit status 2.
//!
//! `clean` takes the cluster lock and removes the directories of earlier runs that died.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use dutycycle_test_support::cluster::{AeronIdleStrategy, Cluster, ClusterConfig, NodeId};

const USAGE: &str = "usage: cluster start [--heartbeat-timeout-ms N] [--idle-strategy backoff|sleep-ns|sleep-ms|yield|spin|noop] [--max-heap-mib N] [--timer-slack-us N (0: Linux default)] [--jvm-option OPTION]... [--property KEY=VALUE]... [--kill-leader-after SECS] [--report-cpu-every SECS]\n       cluster clean";

struct Options {
    config: ClusterConfig,
    kill_leader_after: Option<Duration>,
    report_cpu_every: Option<Duration>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("start") => parse(&args[1..]).and_then(|options| run(options).map_err(|e| report(&*e))),
        Some("clean") => clean().map_err(|e| report(&*e)),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cluster: {message}");
            ExitCode::from(2)
        }
    }
}

/// The error and its chain of causes, one per line.
fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    text
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options =
        Options { config: ClusterConfig::default(), kill_leader_after: None, report_cpu_every: None };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let seconds = |text: &str| {
            text.parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| format!("{flag}: not a number of seconds: {text}"))
        };
        match flag.as_str() {
            "--heartbeat-timeout-ms" => {
                let text = value()?;
                let ms = text.parse().map_err(|_| format!("{flag}: not a number of milliseconds: {text}"))?;
                options.config.leader_heartbeat_timeout = Duration::from_millis(ms);
            }
            "--idle-strategy" => {
                let text = value()?;
                options.config.idle_strategy = [
                    AeronIdleStrategy::Backoff,
                    AeronIdleStrategy::SleepNs,
                    AeronIdleStrategy::SleepMs,
                    AeronIdleStrategy::Yield,
                    AeronIdleStrategy::Spin,
                    AeronIdleStrategy::Noop,
                ]
                .into_iter()
                .find(|s| s.alias() == text)
                .ok_or_else(|| format!("{flag}: unknown idle strategy {text}\n{USAGE}"))?;
            }
            "--max-heap-mib" => {
                let text = value()?;
                options.config.max_heap_mib =
                    text.parse().map_err(|_| format!("{flag}: not a number of MiB: {text}"))?;
            }
            "--jvm-option" => options.config.jvm_options.push(value()?.clone()),
            "--timer-slack-us" => {
                let text = value()?;
                let us: u64 =
                    text.parse().map_err(|_| format!("{flag}: not a number of microseconds: {text}"))?;
                options.config.timer_slack = (us > 0).then(|| Duration::from_micros(us));
            }
            "--property" => {
                let text = value()?;
                let (key, value) =
                    text.split_once('=').ok_or_else(|| format!("{flag}: not key=value: {text}"))?;
                options.config.properties.push((key.into(), value.into()));
            }
            "--kill-leader-after" => options.kill_leader_after = Some(seconds(value()?)?),
            "--report-cpu-every" => options.report_cpu_every = Some(seconds(value()?)?),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    // A signal before this returns (while it waits for another cluster's lock, say) ends the
    // process at once: the kernel kills the JVMs with it, and the next start removes the
    // directories.
    let mut cluster = Cluster::start(options.config)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let pids: Vec<String> =
        NodeId::ALL.iter().map(|&n| format!("{n}={}", cluster.pid(n).unwrap_or(0))).collect();
    say(format_args!("endpoints {}", cluster.ingress_endpoints()));
    say(format_args!("pids {}", pids.join(",")));
    say(format_args!("work-dir {}", cluster.work_dir().display()));
    let mut leader = cluster.leader();
    if let Some(leader) = leader {
        say(format_args!("leader {leader}"));
    }
    say(format_args!("ready {:.1}", cluster.startup_time().as_secs_f64()));

    let ready_at = Instant::now();
    let mut killed_at = None;
    let (mut cpu_at, mut cpu) = (Instant::now(), cluster.cpu_time());
    // Relaxed: the flag carries no data; the signal handler only sets it.
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(20));
        if let (Some(after), None, Some(old)) = (options.kill_leader_after, killed_at, leader) {
            if ready_at.elapsed() >= after {
                let pid = cluster.pid(old).unwrap_or(0);
                cluster.kill(old)?;
                killed_at = Some(Instant::now());
                say(format_args!("killed {old} {pid}"));
            }
        }
        let now = cluster.leader();
        if now.is_some() && now != leader {
            leader = now;
            let since_kill = killed_at.map(|k| format!(" {:.2}", k.elapsed().as_secs_f64()));
            say(format_args!(
                "leader {}{}",
                now.map_or(String::new(), |n| n.to_string()),
                since_kill.unwrap_or_default()
            ));
        }
        if let Some(every) = options.report_cpu_every {
            if cpu_at.elapsed() >= every {
                let (at, used) = (Instant::now(), cluster.cpu_time());
                let cores = used.saturating_sub(cpu).as_secs_f64() / (at - cpu_at).as_secs_f64();
                say(format_args!("cpu {cores:.3}"));
                (cpu_at, cpu) = (at, used);
            }
        }
    }
    drop(cluster);
    say(format_args!("stopped"));
    Ok(())
}

fn clean() -> Result<(), Box<dyn std::error::Error>> {
    let removed = dutycycle_test_support::cluster::remove_stale_dirs(Duration::from_secs(600))?;
    for dir in removed {
        say(format_args!("removed {}", dir.display()));
    }
    Ok(())
}
