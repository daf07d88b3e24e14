//! An `AeronAgent`'s counters, seen and written from outside the process: its statistics
//! read by Aeron's AeronStat (Java), its idle control written by a second process.

mod common;

use std::ffi::CString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{serial, wait_until};
use dutycycle::{
    Agent, AgentError, AgentRunner, CompositeAgent, ControllableIdleStrategy, ErrorAction, IdleControl,
    IdleMode, Statistics,
};
use dutycycle_aeron::rusteron_client::AeronCnc;
use dutycycle_aeron::{
    AeronAgent, AeronClient, ClientAgent, ClientConfig, ConductorMode, MediaDriverAgent, MediaDriverConfig,
    DUTY_CYCLES_COUNTER_TYPE_ID, ERRORS_COUNTER_TYPE_ID, IDLE_CONTROL_COUNTER_TYPE_ID,
    IDLE_CYCLES_COUNTER_TYPE_ID, MAX_CYCLE_NS_COUNTER_TYPE_ID, SLOW_CYCLES_COUNTER_TYPE_ID,
    TOTAL_WORK_COUNTER_TYPE_ID,
};
use dutycycle_test_support::child::{child_mode, ChildProcess};
use dutycycle_test_support::process::die_with_parent;

/// A driver on a runner of its own, its directory, and a client config pointing at it.
fn driver() -> (AgentRunner, PathBuf, ClientConfig) {
    let config = MediaDriverConfig::new();
    let dir = config.aeron_dir().to_owned();
    let client = ClientConfig::new().dir(&dir);
    let runner =
        AgentRunner::builder().name("driver").start(move || Ok(MediaDriverAgent::launch(config)?)).unwrap();
    (runner, dir, client)
}

/// Work `every` on every `every`th call, an error on every `fail_every`th (5000th unless
/// told); counts what it did, and when it closes, tells `pause` and waits for it.
struct Ticker {
    name: &'static str,
    every: u64,
    fail_every: u64,
    seen: Seen,
    pause: Option<Pause>,
}

/// What a logic's `do_work` calls did, as it counted them itself.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    calls: u64,
    work: u64,
    idle: u64,
    errors: u64,
}

/// Where a closing logic reports what it did, and what it waits on before it goes on closing.
struct Pause {
    closing: Sender<(&'static str, Seen)>,
    resume: Receiver<()>,
}

impl Ticker {
    fn new(name: &'static str, every: u64) -> Self {
        Ticker { name, every, fail_every: 5000, seen: Seen::default(), pause: None }
    }

    fn failing_every(mut self, calls: u64) -> Self {
        self.fail_every = calls;
        self
    }

    fn pausing(mut self, closing: Sender<(&'static str, Seen)>, resume: Receiver<()>) -> Self {
        self.pause = Some(Pause { closing, resume });
        self
    }
}

impl ClientAgent for Ticker {
    fn role_name(&self) -> &str {
        self.name
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let seen = &mut self.seen;
        seen.calls += 1;
        if seen.calls % self.fail_every == 0 {
            seen.idle += 1;
            seen.errors += 1;
            return Err(AgentError::msg("every fail_every-th cycle fails"));
        }
        if seen.calls % self.every != 0 {
            seen.idle += 1;
            return Ok(0);
        }
        seen.work += self.every;
        Ok(usize::try_from(self.every).unwrap())
    }
    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        if let Some(Pause { closing, resume }) = &self.pause {
            // The test reads the counters now; a test that panicked drops its ends and so
            // lets this go on.
            if closing.send((self.name, self.seen)).is_ok() {
                let _ = resume.recv_timeout(Duration::from_secs(600));
            }
        }
        Ok(())
    }
}

/// The value AeronStat showed for the counter labelled `dutycycle <figure>: <suffix>`, which
/// must be there once.
fn shown_value(shown: &[(i64, String)], figure: &str, suffix: &str) -> i64 {
    let label = format!("dutycycle {figure}: {suffix}");
    let values: Vec<i64> = shown.iter().filter(|(_, l)| *l == label).map(|(v, _)| *v).collect();
    assert_eq!(values.len(), 1, "one counter labelled {label:?} in {shown:#?}");
    values[0]
}

/// The four counted figures AeronStat showed for `suffix`, as a logic counts them.
fn shown_seen(shown: &[(i64, String)], suffix: &str) -> Seen {
    let value = |figure| u64::try_from(shown_value(shown, figure, suffix)).unwrap();
    Seen {
        calls: value("duty cycles"),
        work: value("total work"),
        idle: value("idle cycles"),
        errors: value("errors"),
    }
}

/// A counter as a reader of the CnC file sees it.
#[derive(Debug, Clone)]
struct SeenCounter {
    id: i32,
    type_id: i32,
    value: i64,
    key: Vec<u8>,
    label: String,
}

/// Every allocated counter in the CnC file of `dir`, read as any other process reads it.
fn counters(dir: &Path) -> Vec<SeenCounter> {
    let cnc = AeronCnc::open(&CString::new(dir.to_str().unwrap()).unwrap()).expect("open cnc.dat");
    let mut seen = Vec::new();
    cnc.counters_reader().foreach_counter_fn(|value, id, type_id, key, label| {
        seen.push(SeenCounter { id, type_id, value, key: key.to_vec(), label: label.to_owned() });
    });
    seen
}

fn ours(dir: &Path, type_id: i32) -> Vec<SeenCounter> {
    counters(dir).into_iter().filter(|c| c.type_id == type_id).collect()
}

const STATS_TYPE_IDS: [i32; 6] = [
    DUTY_CYCLES_COUNTER_TYPE_ID,
    TOTAL_WORK_COUNTER_TYPE_ID,
    IDLE_CYCLES_COUNTER_TYPE_ID,
    ERRORS_COUNTER_TYPE_ID,
    MAX_CYCLE_NS_COUNTER_TYPE_ID,
    SLOW_CYCLES_COUNTER_TYPE_ID,
];

/// The aeron-all jar: `$AERON_ALL_JAR`, else where `scripts/setup.sh` puts it.
fn aeron_all_jar() -> PathBuf {
    if let Some(jar) = std::env::var_os("AERON_ALL_JAR") {
        return PathBuf::from(jar);
    }
    let version = std::env::var("AERON_ALL_VERSION").unwrap_or_else(|_| "1.51.0".to_owned());
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
        .join(".m2/repository/io/aeron/aeron-all")
        .join(&version)
        .join(format!("aeron-all-{version}.jar"))
}

/// Runs `java` with aeron-all on its class path and `args` after it; returns its stdout. The
/// JVM is killed if it outlives a generous deadline, and reaped in every case; panics unless
/// it exits 0.
fn java(args: &[&str]) -> String {
    const SETUP: &str = "run `bash scripts/setup.sh` (it installs a JDK and fetches aeron-all)";
    let jar = aeron_all_jar();
    assert!(jar.is_file(), "no aeron-all jar at {}: {SETUP}", jar.display());
    let mut command = Command::new("java");
    command
        .args(dutycycle_test_support::java::AERON_ADD_OPENS)
        .arg("-cp")
        .arg(&jar)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    die_with_parent(&mut command);
    let mut java = command.spawn().unwrap_or_else(|e| panic!("cannot run java ({e}): {SETUP}"));
    let (mut stdout, mut stderr) = (java.stdout.take().unwrap(), java.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let err = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = java.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = java.kill();
            let _ = java.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let status = status.unwrap_or_else(|| panic!("java {args:?} did not finish in 120 s:\n{out}\n{err}"));
    assert!(status.success(), "java {args:?} failed ({status}):\n{out}\n{err}");
    out
}

/// Runs Aeron's `AeronStat` once (`watch=false`) on the driver of `dir`, showing dutycycle's
/// type ids only (`type=77.*`, as docs/AERON.md shows); returns `(value, label)` of every
/// counter it prints.
fn aeron_stat(dir: &Path) -> Vec<(i64, String)> {
    let out = java(&[
        &format!("-Daeron.dir={}", dir.display()),
        "io.aeron.samples.AeronStat",
        "watch=false",
        "type=77.*",
    ]);
    // Lines look like `  12:                    1,234 - label`.
    out.lines()
        .filter_map(|line| {
            let (left, label) = line.split_once(" - ")?;
            let (_, value) = left.split_once(':')?;
            let value = value.trim().replace(',', "").parse().ok()?;
            Some((value, label.to_owned()))
        })
        .collect()
}

#[test]
fn aeron_stat_shows_the_runners_statistics_and_they_go_when_the_agent_closes() {
    let _serial = serial();
    let (driver, dir, client) = driver();
    let (closing, closed) = mpsc::channel();
    let (resume, resumed) = mpsc::channel();
    let agent = AgentRunner::builder()
        .name("ticker")
        .statistics(Statistics::Timed { threshold: Duration::from_nanos(1) })
        .error_handler(|_, _| ErrorAction::Continue)
        .start(move || Ok(AeronAgent::connect(&client, Ticker::new("ticker", 2).pausing(closing, resumed))?))
        .unwrap();
    let reader = agent.stats_reader();
    assert!(wait_until(Duration::from_secs(60), || reader.read().errors >= 2), "{:?}", reader.read());
    // Every figure's counter is there and has been updated past zero.
    assert!(
        wait_until(Duration::from_secs(30), || {
            let counters = counters(&dir);
            STATS_TYPE_IDS.iter().all(|t| counters.iter().any(|c| c.type_id == *t && c.value > 0))
        }),
        "{:#?}",
        counters(&dir)
    );

    let shown = aeron_stat(&dir);
    let after = reader.read();
    assert!(shown.iter().all(|(_, l)| l.starts_with("dutycycle ")), "{shown:#?}");
    let value_of = |name: &str| shown_value(&shown, name, "role=ticker thread=ticker");
    let as_i64 = |n: u64| i64::try_from(n).unwrap();
    // AeronStat read them before `after`: each is positive and at most the later figure.
    let duty_cycles = value_of("duty cycles");
    assert!(0 < duty_cycles && duty_cycles <= as_i64(after.duty_cycles), "{duty_cycles} vs {after}");
    let total_work = value_of("total work");
    assert!(0 < total_work && total_work <= as_i64(after.total_work), "{total_work} vs {after}");
    let idle = value_of("idle cycles");
    assert!(0 < idle && idle <= as_i64(after.idle_cycles), "{idle} vs {after}");
    let errors = value_of("errors");
    assert!(0 < errors && errors <= as_i64(after.errors), "{errors} vs {after}");
    let max_cycle_ns = value_of("max cycle ns");
    let max_after = i64::try_from(after.max_cycle.unwrap().as_nanos()).unwrap();
    assert!(0 < max_cycle_ns && max_cycle_ns <= max_after, "{max_cycle_ns} vs {after}");
    let slow = value_of("slow cycles");
    assert!(0 < slow && slow <= as_i64(after.slow_cycles.unwrap()), "{slow} vs {after}");

    // Each counter's key: this process and the agent's thread.
    let duty = ours(&dir, DUTY_CYCLES_COUNTER_TYPE_ID);
    assert_eq!(duty.len(), 1, "{duty:#?}");
    assert_eq!(duty[0].key[..8], i64::from(std::process::id()).to_le_bytes());

    // Closing: the final figures show while the logic closes, and they are the runner's
    // (the duty cycle has ended, and the runner has published its final figures).
    let close = std::thread::spawn(move || agent.close());
    let (_, seen) = closed.recv_timeout(Duration::from_secs(120)).expect("the logic closes");
    let shown = aeron_stat(&dir);
    let runner = reader.read();
    let suffix = "role=ticker thread=ticker";
    let counted = Seen {
        calls: runner.duty_cycles,
        work: runner.total_work,
        idle: runner.idle_cycles,
        errors: runner.errors,
    };
    assert_eq!(shown_seen(&shown, suffix), counted, "{runner}");
    // The client's turn never failed, so every call of the agent's was one of the logic's.
    assert_eq!((seen.calls, seen.errors), (counted.calls, counted.errors));
    // The agent times its own `do_work`, a part of the runner's cycle.
    let max_cycle_ns = shown_value(&shown, "max cycle ns", suffix);
    assert!(0 < max_cycle_ns && max_cycle_ns <= i64::try_from(runner.max_cycle.unwrap().as_nanos()).unwrap());
    let slow = shown_value(&shown, "slow cycles", suffix);
    assert!(0 < slow && slow <= as_i64(runner.slow_cycles.unwrap()), "{slow} vs {runner}");
    resume.send(()).unwrap();
    let report = close.join().unwrap().unwrap();
    assert_eq!(report.errors(), report.stats().errors);
    // Closed on the agent thread: the driver frees them.
    assert!(
        wait_until(Duration::from_secs(30), || counters(&dir)
            .iter()
            .all(|c| !STATS_TYPE_IDS.contains(&c.type_id))),
        "{:#?}",
        counters(&dir)
    );
    assert!(driver.close().unwrap().is_clean());
    assert!(!dir.exists());
}

/// Never works: the agent idles on every cycle, in its strategy's current mode.
struct Idler;

impl ClientAgent for Idler {
    fn role_name(&self) -> &str {
        "tuned"
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        Ok(0)
    }
}

/// The child: writes `status` into the idle control counter of its parent process's agent
/// `tuned`, found by type id, key and label in the CnC file, as an operator's tool would: it
/// maps the file read-write (Aeron's `CncFileDescriptor` layout: a 128-byte header whose
/// little-endian i32s at 4, 8 and 12 are the lengths of the to-driver buffer, the to-clients
/// buffer and the counters' metadata, then those buffers, then the counters' values, one
/// 128-byte record each) and stores the status into the counter's value.
fn write_control(dir: &str, status: i64) {
    use std::os::unix::fs::FileExt;
    use std::os::unix::io::AsRawFd;

    let parent = i64::from(std::os::unix::process::parent_id()).to_le_bytes();
    let counter = ours(Path::new(dir), IDLE_CONTROL_COUNTER_TYPE_ID)
        .into_iter()
        .find(|c| c.key.starts_with(&parent))
        .expect("the parent's idle control counter");
    assert!(counter.label.starts_with("dutycycle idle control: role=tuned"), "{counter:?}");

    let file =
        std::fs::OpenOptions::new().read(true).write(true).open(Path::new(dir).join("cnc.dat")).unwrap();
    let mut header = [0u8; 128];
    file.read_exact_at(&mut header, 0).unwrap();
    let length =
        |at: usize| usize::try_from(i32::from_le_bytes(header[at..at + 4].try_into().unwrap())).unwrap();
    let offset = 128 + length(4) + length(8) + length(12) + usize::try_from(counter.id).unwrap() * 128;
    let mut value = [0u8; 8];
    file.read_exact_at(&mut value, offset as u64).unwrap();
    assert_eq!(i64::from_le_bytes(value), counter.value, "the layout is Aeron's");

    let len = usize::try_from(file.metadata().unwrap().len()).unwrap();
    // SAFETY: a fresh shared read-write mapping of the whole file, no address hint; checked
    // for failure below.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    assert_ne!(base, libc::MAP_FAILED, "mmap cnc.dat");
    // SAFETY: `offset` is inside the mapping (its value was just read there) and 8-byte
    // aligned (the mapping is page aligned, the offset a sum of Aeron's aligned lengths); the
    // agent accesses the value only atomically too.
    let value = unsafe { AtomicI64::from_ptr(base.cast::<u8>().add(offset).cast::<i64>()) };
    value.store(status, std::sync::atomic::Ordering::Release);
    // SAFETY: the mapping made above, of `len` bytes, no longer used.
    unsafe { libc::munmap(base, len) };
    println!("written");
}

#[test]
fn a_second_process_switches_the_agents_idle_strategy_through_its_control_counter() {
    if let Some(mode) = child_mode() {
        let (dir, status) = mode.rsplit_once('|').unwrap();
        write_control(dir, status.parse().unwrap());
        return;
    }
    let _serial = serial();
    let (driver, dir, client) = driver();
    let control = IdleControl::new(IdleMode::Park);
    let agents_control = control.clone();
    let agent = AgentRunner::builder()
        .name("tuned")
        .idle_strategy(ControllableIdleStrategy::with_control(control.clone()))
        .start(move || Ok(AeronAgent::connect(&client, Idler)?.with_idle_control(agents_control)))
        .unwrap();
    // The counter shows the mode in force once it is added.
    assert!(
        wait_until(Duration::from_secs(30), || ours(&dir, IDLE_CONTROL_COUNTER_TYPE_ID)
            .first()
            .is_some_and(|c| c.value == ControllableIdleStrategy::PARK)),
        "{:#?}",
        counters(&dir)
    );

    // With the Java tool docs/AERON.md shows.
    let tool = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/java/SetIdleControl.java");
    let label = "dutycycle idle control: role=tuned thread=tuned";
    let dir_arg = dir.to_str().unwrap();
    let printed = java(&[tool, dir_arg, label, &ControllableIdleStrategy::YIELD.to_string()]);
    assert!(printed.trim_end().ends_with(" = 3"), "{printed}");
    assert!(
        wait_until(Duration::from_secs(30), || control.mode() == IdleMode::Yield),
        "status {} after Java wrote 3",
        control.status()
    );

    // With a child process of this test, as a Rust tool would.
    let test = "a_second_process_switches_the_agents_idle_strategy_through_its_control_counter";
    for (status, mode) in [
        (ControllableIdleStrategy::BUSY_SPIN, IdleMode::BusySpin),
        (ControllableIdleStrategy::NOT_CONTROLLED, IdleMode::Park),
    ] {
        let mut child = ChildProcess::spawn(test, &format!("{}|{status}", dir.display()));
        child.wait_for_line("written");
        child.wait().assert_success_with("written");
        assert!(
            wait_until(Duration::from_secs(30), || control.status() == status),
            "status {} after writing {status}",
            control.status()
        );
        assert_eq!(control.mode(), mode);
    }

    // A mode set in this process shows in the counter.
    control.set_mode(IdleMode::NoOp);
    assert!(
        wait_until(Duration::from_secs(30), || ours(&dir, IDLE_CONTROL_COUNTER_TYPE_ID)
            .first()
            .is_some_and(|c| c.value == ControllableIdleStrategy::NOOP)),
        "{:#?}",
        counters(&dir)
    );
    assert!(agent.close().unwrap().is_clean());
    assert!(wait_until(Duration::from_secs(30), || ours(&dir, IDLE_CONTROL_COUNTER_TYPE_ID).is_empty()));
    // The strategy keeps its own control after the agent's counter is gone.
    assert_eq!(control.mode(), IdleMode::NoOp);
    assert!(driver.close().unwrap().is_clean());
}

/// A plain agent (no Aeron client) that works 1 on every call and counts its calls.
struct Plain(Arc<AtomicU64>);

impl Agent for Plain {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(1)
    }
    fn role_name(&self) -> &str {
        "plain"
    }
}

#[test]
fn a_composite_publishes_one_set_per_aeron_agent_each_of_its_own_calls() {
    let _serial = serial();
    let (driver, dir, client) = driver();
    // The conductor on its own thread: the client's turn does no work, so an agent's work is
    // its logic's.
    let client = client.conductor(ConductorMode::Thread);
    let (closing, closed) = mpsc::channel();
    let (resume_first, first_resumed) = mpsc::channel();
    let (resume_second, second_resumed) = mpsc::channel();
    let plain_calls = Arc::new(AtomicU64::new(0));
    let plain = Plain(Arc::clone(&plain_calls));
    let agent = AgentRunner::builder()
        .name("pair")
        .error_handler(|_, _| ErrorAction::Continue)
        .start(move || {
            let first = AeronAgent::connect(
                &client,
                Ticker::new("first", 2).pausing(closing.clone(), first_resumed),
            )?
            .with_idle_control(IdleControl::default());
            let second = AeronAgent::connect(
                &client,
                Ticker::new("second", 3).failing_every(u64::MAX).pausing(closing, second_resumed),
            )?
            .with_idle_control(IdleControl::default());
            Ok(CompositeAgent::new(vec![
                Box::new(first) as Box<dyn Agent>,
                Box::new(plain),
                Box::new(second),
            ]))
        })
        .unwrap();
    let reader = agent.stats_reader();
    let counted_by = |role: &str| {
        let label = format!("dutycycle duty cycles: role={role} thread=pair");
        counters(&dir).into_iter().find(|c| c.label == label).is_some_and(|c| c.value > 0)
    };
    assert!(
        wait_until(Duration::from_secs(60), || ours(&dir, IDLE_CONTROL_COUNTER_TYPE_ID).len() == 2
            && reader.read().errors >= 2
            && counted_by("first")
            && counted_by("second")),
        "{:#?}",
        counters(&dir)
    );
    // One set per AeronAgent (Counters: four figures each), none for the plain agent.
    let shown = aeron_stat(&dir);
    let figures = ["duty cycles", "total work", "idle cycles", "errors"];
    assert_eq!(
        shown.iter().filter(|(_, l)| !l.starts_with("dutycycle idle control")).count(),
        8,
        "{shown:#?}"
    );
    for role in ["first", "second"] {
        let suffix = format!("role={role} thread=pair");
        let values = figures.map(|figure| shown_value(&shown, figure, &suffix));
        assert!(values[0] > 0 && values.iter().all(|v| *v <= values[0] * 3), "{role}: {values:?}");
    }
    assert!(shown.iter().all(|(_, l)| !l.contains("role=plain")), "{shown:#?}");
    let mut controls: Vec<&str> = shown
        .iter()
        .filter(|(_, l)| l.starts_with("dutycycle idle control"))
        .map(|(_, l)| l.as_str())
        .collect();
    controls.sort_unstable();
    assert_eq!(
        controls,
        ["dutycycle idle control: role=first thread=pair", "dutycycle idle control: role=second thread=pair"]
    );

    // The composite closes its agents in order; each shows its final figures while its
    // logic closes, and they are what that logic did.
    let close = std::thread::spawn(move || agent.close());
    let mut seen_by = Vec::new();
    for (role, resume) in [("first", resume_first), ("second", resume_second)] {
        let (name, seen) = closed.recv_timeout(Duration::from_secs(120)).expect("the logic closes");
        assert_eq!(name, role);
        let shown = aeron_stat(&dir);
        assert_eq!(shown_seen(&shown, &format!("role={role} thread=pair")), seen, "{shown:#?}");
        seen_by.push(seen);
        resume.send(()).unwrap();
    }
    let report = close.join().unwrap().unwrap();
    let (first, second) = (seen_by[0], seen_by[1]);
    // Their own figures, not the runner's: the runner's work is theirs and the plain agent's
    // (whole: only the first agent fails, so no cycle's work before a failure is lost).
    let runner = report.stats();
    let plain_work = plain_calls.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(runner.total_work, first.work + second.work + plain_work, "{runner}");
    assert_eq!((runner.errors, second.errors), (first.errors, 0), "{runner}");
    assert!(first.errors > 0, "{first:?}");
    assert!(first.calls <= runner.duty_cycles && second.calls <= runner.duty_cycles, "{runner}");
    assert_ne!((first.work, first.idle), (second.work, second.idle));
    assert!(wait_until(Duration::from_secs(30), || counters(&dir)
        .iter()
        .all(|c| !STATS_TYPE_IDS.contains(&c.type_id) && c.type_id != IDLE_CONTROL_COUNTER_TYPE_ID)));
    assert!(driver.close().unwrap().is_clean());
}

#[test]
fn an_agent_told_not_to_publishes_no_statistics() {
    let _serial = serial();
    let (driver, dir, client) = driver();
    let agent = AgentRunner::builder()
        .name("quiet")
        .error_handler(|_, _| ErrorAction::Continue)
        .start(move || {
            Ok(AeronAgent::connect(&client, Ticker::new("quiet", 2))?
                .publish_stats(false)
                .with_idle_control(IdleControl::default()))
        })
        .unwrap();
    // The control counter is added; the statistics' would have been added with it.
    assert!(wait_until(Duration::from_secs(30), || !ours(&dir, IDLE_CONTROL_COUNTER_TYPE_ID).is_empty()));
    std::thread::sleep(Duration::from_millis(300));
    let stats: Vec<_> = counters(&dir).into_iter().filter(|c| STATS_TYPE_IDS.contains(&c.type_id)).collect();
    assert!(stats.is_empty(), "{stats:#?}");
    let _ = agent.close().unwrap();
    assert!(driver.close().unwrap().is_clean());
}
