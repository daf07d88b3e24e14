//! The media driver's threads placed on cores and given idle strategies, against Aeron's real
//! C driver: the threads are found by name in `/proc/self/task`, their allowed CPUs and
//! context switches read from there.

mod common;

use std::time::Duration;

use common::{serial, wait_until};
use dutycycle::{AgentRunner, IdleStrategyConfig, SleepingIdleStrategy, StartError};
use dutycycle_aeron::{
    cause, AeronClient, ClientConfig, DriverError, DriverThread, MediaDriver, MediaDriverAgent,
    MediaDriverConfig, ThreadingMode,
};

/// A thread of this process, found by its name.
#[derive(Debug)]
struct Task {
    tid: String,
}

impl Task {
    /// The one thread named `name` (`/proc/self/task/<tid>/comm`), waiting up to 10 s for it.
    fn named(name: &str) -> Task {
        let mut found = Vec::new();
        let appeared = wait_until(Duration::from_secs(10), || {
            found = tasks_named(name);
            !found.is_empty()
        });
        assert!(appeared, "no thread named {name:?}");
        assert_eq!(found.len(), 1, "threads named {name:?}: {found:?}");
        Task { tid: found.remove(0) }
    }

    /// A field of `/proc/self/task/<tid>/status`.
    fn status(&self, field: &str) -> String {
        let status = std::fs::read_to_string(format!("/proc/self/task/{}/status", self.tid)).unwrap();
        let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
        line[field.len() + 1..].trim().to_owned()
    }

    /// The CPUs the thread may run on (`Cpus_allowed_list`).
    fn allowed_cpus(&self) -> Vec<usize> {
        parse_cpu_list(&self.status("Cpus_allowed_list"))
    }

    /// How often the thread gave up its CPU of its own accord: once per sleep of an idle
    /// strategy that sleeps.
    fn voluntary_switches(&self) -> u64 {
        self.status("voluntary_ctxt_switches").parse().unwrap()
    }
}

fn tasks_named(name: &str) -> Vec<String> {
    let mut tids = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end_matches('\n') == name {
            tids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    tids
}

/// A kernel CPU list (`0-1,3`).
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => cpus.extend(a.parse::<usize>().unwrap()..=b.parse().unwrap()),
            None => cpus.push(part.parse().unwrap()),
        }
    }
    cpus
}

/// The first two cores this process may use, or `None` (and a note) on a one-CPU machine.
fn two_cores() -> Option<(usize, usize)> {
    let allowed = dutycycle::allowed_cores().unwrap();
    if allowed.len() < 2 {
        eprintln!("skipped: this process may use only {allowed:?}");
        return None;
    }
    Some((allowed[0], allowed[1]))
}

fn idle(name: &str) -> IdleStrategyConfig {
    name.parse().unwrap()
}

/// A runner (the conductor's thread) named `name`, on `core`, sleeping when idle.
fn start_driver(name: &str, core: usize, config: MediaDriverConfig) -> Result<AgentRunner, StartError> {
    AgentRunner::builder()
        .name(name)
        .core(core)
        .idle_strategy(SleepingIdleStrategy::new(Duration::from_millis(1)).unwrap())
        .start(move || Ok(MediaDriverAgent::launch(config)?))
}

fn driver_error(error: &StartError) -> &DriverError {
    cause::<DriverError>(error).unwrap_or_else(|| panic!("no DriverError in {error}"))
}

#[test]
fn a_dedicated_driver_runs_its_threads_on_the_cores_asked_for() {
    let _serial = serial();
    let Some((first, second)) = two_cores() else { return };
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::Dedicated)
        .thread_core(DriverThread::Sender, first)
        .thread_core(DriverThread::Receiver, second)
        .thread_idle_strategy(DriverThread::Sender, idle("sleep-ns:200ms"))
        .thread_idle_strategy(DriverThread::Receiver, idle("sleep-ms:1"));
    let dir = config.aeron_dir().to_owned();
    let driver = start_driver("md-conductor", second, config).unwrap();

    let (conductor, sender, receiver) =
        (Task::named("md-conductor"), Task::named("sender"), Task::named("receiver"));
    assert_eq!(conductor.allowed_cpus(), [second], "the conductor runs on the runner's core");
    assert_eq!(sender.allowed_cpus(), [first]);
    assert_eq!(receiver.allowed_cpus(), [second]);
    // A thread of Aeron's without a core (its name resolver) runs where its launcher may.
    assert_eq!(Task::named("aeron-md-nra").allowed_cpus(), [second]);

    // Aeron's default, backoff, would park up to every millisecond on both: the sender
    // sleeps 200 ms at a time (5 times a second), the receiver 1 ms (hundreds of times, fewer
    // when the loaded machine keeps it waiting for its core).
    let (sender_before, receiver_before) = (sender.voluntary_switches(), receiver.voluntary_switches());
    std::thread::sleep(Duration::from_secs(1));
    let sender_sleeps = sender.voluntary_switches() - sender_before;
    let receiver_sleeps = receiver.voluntary_switches() - receiver_before;
    assert!(sender_sleeps <= 15, "the sender slept {sender_sleeps} times in 1 s");
    assert!(receiver_sleeps >= 30, "the receiver slept {receiver_sleeps} times in 1 s");

    assert!(driver.close().unwrap().is_clean());
    assert!(!dir.exists());
    assert!(tasks_named("sender").is_empty(), "Aeron's threads are joined on close");
}

#[test]
fn a_shared_network_driver_pins_its_network_thread() {
    let _serial = serial();
    let Some((first, second)) = two_cores() else { return };
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::SharedNetwork)
        .thread_core(DriverThread::SharedNetwork, second)
        .thread_idle_strategy(DriverThread::SharedNetwork, idle("backoff:1,1,1ms,10ms"));
    let dir = config.aeron_dir().to_owned();
    let driver = start_driver("md-shared-net", first, config).unwrap();

    assert_eq!(Task::named("md-shared-net").allowed_cpus(), [first]);
    // Aeron names the thread "[sender, receiver]", which the kernel keeps 15 bytes of.
    assert_eq!(Task::named("[sender, receiv").allowed_cpus(), [second]);

    assert!(driver.close().unwrap().is_clean());
    assert!(!dir.exists());
}

#[test]
fn a_dedicated_driver_on_aerons_threads_runs_its_conductor_sender_and_receiver_where_asked() {
    let _serial = serial();
    let Some((first, second)) = two_cores() else { return };
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::Dedicated)
        .thread_core(DriverThread::Conductor, second)
        .thread_core(DriverThread::Sender, first)
        .thread_core(DriverThread::Receiver, second)
        .thread_idle_strategy(DriverThread::Conductor, idle("sleep-ns:200ms"))
        .thread_idle_strategy(DriverThread::Sender, idle("sleep-ns:1ms"))
        .thread_idle_strategy(DriverThread::Receiver, idle("backoff:1,1,1ms,1ms"));
    let dir = config.aeron_dir().to_owned();
    let driver = MediaDriver::launch(config).unwrap();

    let (conductor, sender, receiver) =
        (Task::named("conductor"), Task::named("sender"), Task::named("receiver"));
    assert_eq!(conductor.allowed_cpus(), [second]);
    assert_eq!(sender.allowed_cpus(), [first]);
    assert_eq!(receiver.allowed_cpus(), [second]);

    let before = [&conductor, &sender, &receiver].map(Task::voluntary_switches);
    std::thread::sleep(Duration::from_secs(1));
    let [conductor_sleeps, sender_sleeps, receiver_sleeps] = {
        let after = [&conductor, &sender, &receiver].map(Task::voluntary_switches);
        [0, 1, 2].map(|i| after[i] - before[i])
    };
    assert!(conductor_sleeps <= 15, "the conductor slept {conductor_sleeps} times in 1 s");
    assert!(sender_sleeps >= 30, "the sender slept {sender_sleeps} times in 1 s");
    assert!(receiver_sleeps >= 30, "the receiver slept {receiver_sleeps} times in 1 s");

    // Clients connect as to any driver.
    AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap().close().unwrap();
    driver.close().unwrap();
    assert!(!dir.exists());
    assert!(tasks_named("conductor").is_empty(), "Aeron's threads are joined on close");
}

#[test]
fn a_shared_driver_on_aerons_thread_runs_where_asked() {
    let _serial = serial();
    let core = *dutycycle::allowed_cores().unwrap().last().unwrap();
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::Shared)
        .thread_core(DriverThread::Shared, core)
        .thread_idle_strategy(DriverThread::Shared, idle("sleep-ms:1"));
    let dir = config.aeron_dir().to_owned();
    let driver = MediaDriver::launch(config).unwrap();
    // Aeron names the thread "[conductor, sender, receiver]", which the kernel keeps 15 bytes of.
    assert_eq!(Task::named("[conductor, sen").allowed_cpus(), [core]);
    driver.close().unwrap();
    assert!(!dir.exists());
}

#[test]
fn a_core_outside_the_allowed_set_is_refused_before_anything_is_touched() {
    let _serial = serial();
    let allowed = dutycycle::allowed_cores().unwrap();
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::Dedicated)
        .thread_core(DriverThread::Receiver, 4095);
    let dir = config.aeron_dir().to_owned();
    match config.validate() {
        Err(DriverError::CoreNotAllowed { thread, core, allowed: listed }) => {
            assert_eq!((thread, core), (DriverThread::Receiver, 4095));
            assert_eq!(listed, allowed);
        }
        other => panic!("{other:?}"),
    }
    let error = start_driver("md-far-core", allowed[0], config.clone()).unwrap_err();
    assert!(matches!(driver_error(&error), DriverError::CoreNotAllowed { core: 4095, .. }), "{error}");
    assert!(!dir.exists(), "{} was created", dir.display());
    let error = MediaDriver::launch(config.thread_core(DriverThread::Conductor, 4095)).unwrap_err();
    assert!(matches!(error, DriverError::CoreNotAllowed { core: 4095, .. }), "{error}");
    assert!(!dir.exists(), "{} was created", dir.display());
}

#[test]
fn a_strategy_aeron_c_cannot_run_is_refused_before_anything_is_touched() {
    let _serial = serial();
    let config = MediaDriverConfig::new()
        .threading_mode(ThreadingMode::Dedicated)
        .thread_idle_strategy(DriverThread::Sender, idle("controllable:yield"));
    let dir = config.aeron_dir().to_owned();
    let error = MediaDriverAgent::launch(config).unwrap_err();
    match &error {
        DriverError::IdleStrategyNotInAeron { thread, strategy, .. } => {
            assert_eq!(*thread, DriverThread::Sender);
            assert_eq!(strategy, "controllable:yield");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("controllable:yield"), "{error}");
    assert!(!dir.exists());
}

#[test]
fn a_thread_the_threading_mode_does_not_run_is_refused() {
    let _serial = serial();
    let cases = [
        (ThreadingMode::Shared, DriverThread::Sender),
        (ThreadingMode::Shared, DriverThread::Conductor),
        (ThreadingMode::SharedNetwork, DriverThread::Receiver),
        (ThreadingMode::Dedicated, DriverThread::SharedNetwork),
        (ThreadingMode::Dedicated, DriverThread::Shared),
    ];
    for (mode, thread) in cases {
        let config =
            MediaDriverConfig::new().threading_mode(mode).thread_idle_strategy(thread, idle("yield"));
        match config.validate() {
            Err(DriverError::ThreadNotInMode { thread: named, mode: in_mode }) => {
                assert_eq!((named, in_mode), (thread, mode));
            }
            other => panic!("{mode} {thread}: {other:?}"),
        }
        let dir = config.aeron_dir().to_owned();
        assert!(matches!(MediaDriverAgent::launch(config), Err(DriverError::ThreadNotInMode { .. })));
        assert!(!dir.exists());
    }
}

#[test]
fn the_duty_cycle_the_agent_runs_is_placed_by_its_runner_not_the_config() {
    let _serial = serial();
    let core = dutycycle::allowed_cores().unwrap()[0];
    let cases = [
        MediaDriverConfig::new()
            .threading_mode(ThreadingMode::Dedicated)
            .thread_core(DriverThread::Conductor, core),
        MediaDriverConfig::new()
            .threading_mode(ThreadingMode::SharedNetwork)
            .thread_idle_strategy(DriverThread::Conductor, idle("sleep-ns:1ms")),
        MediaDriverConfig::new()
            .threading_mode(ThreadingMode::Shared)
            .thread_core(DriverThread::Shared, core),
    ];
    for config in cases {
        assert!(config.validate().is_ok(), "the settings themselves are valid");
        let dir = config.aeron_dir().to_owned();
        match MediaDriverAgent::launch(config.clone()) {
            Err(error @ DriverError::ThreadRunByAgent { .. }) => {
                assert!(error.to_string().contains("runner"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!dir.exists());
        // On Aeron's own threads, the same settings are the main thread's.
        MediaDriver::launch(config).unwrap().close().unwrap();
        assert!(!dir.exists());
    }
}
