//! The embedded media driver as an agent, against Aeron's real C driver.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{serial, wait_until, PubSub, Seen};
use dutycycle::{Agent, AgentRunner, CompositeAgent, StartError};
use dutycycle_aeron::{
    cause, AeronAgent, AeronClient, Channel, ClientConfig, DriverError, MediaDriverAgent, MediaDriverConfig,
    ThreadingMode,
};

fn start_driver(config: MediaDriverConfig) -> Result<AgentRunner, StartError> {
    AgentRunner::builder().name("driver").start(move || Ok(MediaDriverAgent::launch(config)?))
}

fn driver_error(error: &StartError) -> &DriverError {
    cause::<DriverError>(error).unwrap_or_else(|| panic!("no DriverError in {error}"))
}

/// A directory path in /dev/shm (or the temporary directory) no one uses.
fn fresh_dir(name: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let dir = base.join(format!("dutycycle-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_driver_runs_in_a_directory_of_its_own_and_removes_it_on_close() {
    let _serial = serial();
    let config = MediaDriverConfig::new();
    let dir = config.aeron_dir().to_owned();
    assert!(!dir.exists());
    let driver = start_driver(config).unwrap();
    assert!(dir.join("cnc.dat").is_file(), "the driver made its CnC file in {}", dir.display());
    assert!(wait_until(Duration::from_secs(10), || driver.stats().duty_cycles > 0), "the driver runs");

    let client = AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap();
    assert_eq!(client.dir(), dir);
    client.close().unwrap();

    let report = driver.close().unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn start_fails_when_the_directory_is_not_writable_and_creates_nothing() {
    let _serial = serial();
    // A path under a regular file cannot be created, whoever runs the test (root included).
    let file = std::env::temp_dir().join(format!("dutycycle-test-file-{}", std::process::id()));
    std::fs::write(&file, b"not a directory").unwrap();
    let dir = file.join("aeron");
    let error = start_driver(MediaDriverConfig::new().dir(&dir)).unwrap_err();
    match driver_error(&error) {
        DriverError::DirNotWritable { dir: named, .. } => assert_eq!(named, &dir),
        other => panic!("{other}"),
    }
    let cause = std::error::Error::source(&error).expect("the driver's error is the source");
    assert!(cause.to_string().contains(&dir.display().to_string()), "{cause}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
    std::fs::remove_file(&file).unwrap();

    // And a read-only directory, where permissions apply (not to root).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let parent = fresh_dir("read-only");
        std::fs::create_dir(&parent).unwrap();
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o555)).unwrap();
        let error = start_driver(MediaDriverConfig::new().dir(parent.join("aeron"))).unwrap_err();
        assert!(matches!(driver_error(&error), DriverError::DirNotWritable { .. }), "{error}");
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::remove_dir_all(&parent).unwrap();
    }
}

#[test]
fn start_fails_when_a_driver_is_already_active_in_the_directory() {
    let _serial = serial();
    let dir = fresh_dir("active");
    let first = start_driver(MediaDriverConfig::new().dir(&dir)).unwrap();

    let error = start_driver(MediaDriverConfig::new().dir(&dir)).unwrap_err();
    match driver_error(&error) {
        DriverError::AlreadyActive { dir: named } => assert_eq!(named, &dir),
        other => panic!("{other}"),
    }
    // The running driver is untouched: its directory is there and clients still connect.
    assert!(first.is_running());
    assert!(dir.join("cnc.dat").is_file());
    AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap().close().unwrap();

    assert!(first.close().unwrap().is_clean());
    assert!(!dir.exists());
}

#[test]
fn a_dead_drivers_directory_is_taken_over() {
    let _serial = serial();
    let dir = fresh_dir("dead");
    let first = start_driver(MediaDriverConfig::new().dir(&dir).delete_dir_on_close(false)).unwrap();
    assert!(first.close().unwrap().is_clean());
    assert!(dir.join("cnc.dat").is_file(), "kept on close as configured");

    let second = start_driver(MediaDriverConfig::new().dir(&dir)).unwrap();
    AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap().close().unwrap();
    assert!(second.close().unwrap().is_clean());
    assert!(!dir.exists());
}

#[test]
fn start_fails_on_a_bad_setting_before_touching_the_directory() {
    let _serial = serial();
    let dir = fresh_dir("bad-setting");
    for (config, setting) in [
        (MediaDriverConfig::new().dir(&dir).ipc_term_buffer_length(1000), "ipc_term_buffer_length"),
        (MediaDriverConfig::new().dir(&dir).term_buffer_length(3 << 20), "term_buffer_length"),
        (MediaDriverConfig::new().dir(&dir).mtu_length(1400), "mtu_length"),
        (MediaDriverConfig::new().dir(&dir).driver_timeout(Duration::ZERO), "driver_timeout"),
    ] {
        let error = start_driver(config).unwrap_err();
        match driver_error(&error) {
            DriverError::InvalidSetting { setting: named, .. } => assert_eq!(*named, setting),
            other => panic!("{other}"),
        }
        let cause = std::error::Error::source(&error).expect("the driver's error is the source");
        assert!(cause.to_string().contains(setting), "{cause}");
        assert!(!dir.exists(), "{setting}: the directory was touched");
    }
}

#[test]
fn a_non_empty_directory_that_is_not_aeron_is_refused_and_left_alone() {
    let _serial = serial();
    let dir = fresh_dir("not-aeron");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("precious.txt"), b"keep me").unwrap();

    let error = start_driver(MediaDriverConfig::new().dir(&dir)).unwrap_err();
    assert!(matches!(driver_error(&error), DriverError::NotAnAeronDir { .. }), "{error}");
    assert_eq!(std::fs::read(dir.join("precious.txt")).unwrap(), b"keep me");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_driver_composes_with_a_client_agent_on_one_thread() {
    let _serial = serial();
    let config = MediaDriverConfig::new();
    let dir = config.aeron_dir().to_owned();
    let client = ClientConfig::new().dir(&dir);
    let seen = Arc::new(Seen::default());
    let agent_seen = Arc::clone(&seen);
    let runner = AgentRunner::builder()
        .name("one-core")
        .start(move || {
            // The driver first, so that the client can connect; listed last, so that it closes last.
            let driver = MediaDriverAgent::launch(config)?;
            let pubsub = AeronAgent::connect(&client, PubSub::new(Channel::ipc(), 10, 1000, agent_seen))?;
            let agents: Vec<Box<dyn Agent>> = vec![Box::new(pubsub), Box::new(driver)];
            Ok(CompositeAgent::new(agents))
        })
        .unwrap();
    assert_eq!(runner.role(), "[pubsub,media-driver]");
    assert!(wait_until(Duration::from_secs(30), || seen.received() == 1000), "received {}", seen.received());
    assert_eq!(seen.out_of_order.load(std::sync::atomic::Ordering::Relaxed), 0);

    let report = runner.close().unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(!dir.exists());
}

#[test]
fn the_dedicated_threading_mode_carries_udp_and_joins_its_threads_on_close() {
    let _serial = serial();
    let config = MediaDriverConfig::new().threading_mode(ThreadingMode::Dedicated);
    let dir = config.aeron_dir().to_owned();
    let driver = start_driver(config).unwrap();

    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let channel = Channel::udp(&format!("localhost:{port}")).unwrap();
    let seen = Arc::new(Seen::default());
    let agent_seen = Arc::clone(&seen);
    let client = ClientConfig::new().dir(&dir);
    let agent = AgentRunner::builder()
        .name("udp")
        .start(move || Ok(AeronAgent::connect(&client, PubSub::new(channel, 11, 500, agent_seen))?))
        .unwrap();
    assert!(wait_until(Duration::from_secs(30), || seen.received() == 500), "received {}", seen.received());

    assert!(agent.close().unwrap().is_clean());
    assert!(driver.close().unwrap().is_clean());
    assert!(!dir.exists());
}

#[test]
fn two_launches_in_one_directory_at_once_leave_the_winner_running() {
    let _serial = serial();
    for round in 0..20 {
        let dir = fresh_dir("race");
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let launch = |barrier: Arc<std::sync::Barrier>, dir: PathBuf| {
            std::thread::spawn(move || {
                barrier.wait();
                MediaDriverAgent::launch(MediaDriverConfig::new().dir(dir))
            })
        };
        let a = launch(Arc::clone(&barrier), dir.clone());
        let b = launch(barrier, dir.clone());
        let results = [a.join().unwrap(), b.join().unwrap()];
        let winners: Vec<&MediaDriverAgent> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one driver runs: {results:?}");
        for loser in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(matches!(loser, DriverError::AlreadyActive { .. }), "round {round}: {loser}");
        }
        // The loser left the winner's directory alone: clients still connect to it.
        assert!(dir.join("cnc.dat").is_file(), "round {round}: the winner's CnC file is gone");
        AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap().close().unwrap();
        drop(results);
        assert!(!dir.exists(), "round {round}: the winner removed its directory on close");
    }
}

/// Names the directory the child launch below uses; set only in the child process.
const CHILD_DIR: &str = "DUTYCYCLE_TEST_CHILD_LAUNCH_DIR";

/// The other process of the test below: waits for a line on stdin, launches a driver in the
/// directory named by [`CHILD_DIR`], prints `child: launched` or `child: refused <error>` (on
/// a line that may start with the harness's own output), and keeps the
/// driver until stdin closes.
#[test]
#[ignore = "the child process of launches_from_two_processes_in_one_directory_leave_the_winner_running"]
fn child_launch() {
    use std::io::{BufRead, Read, Write};
    let dir = PathBuf::from(std::env::var_os(CHILD_DIR).expect("run by the two-process test"));
    let mut stdin = std::io::stdin().lock();
    stdin.read_line(&mut String::new()).unwrap();
    let driver = MediaDriverAgent::launch(MediaDriverConfig::new().dir(dir));
    match &driver {
        Ok(_) => println!("child: launched"),
        Err(error) => println!("child: refused {error:?}"),
    }
    std::io::stdout().flush().unwrap();
    stdin.read_to_end(&mut Vec::new()).unwrap();
    drop(driver);
}

#[test]
fn launches_from_two_processes_in_one_directory_leave_the_winner_running() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let _serial = serial();
    for round in 0..10 {
        let dir = fresh_dir("two-processes");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_launch", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child_in = child.stdin.take().unwrap();
        let mut child_out = BufReader::new(child.stdout.take().unwrap());
        // Let the child's harness start, then launch in both processes at once.
        std::thread::sleep(Duration::from_millis(50));
        writeln!(child_in, "go").unwrap();
        let ours = MediaDriverAgent::launch(MediaDriverConfig::new().dir(&dir));
        let theirs = loop {
            let mut line = String::new();
            assert_ne!(child_out.read_line(&mut line).unwrap(), 0, "round {round}: the child said nothing");
            if let Some((_, said)) = line.split_once("child: ") {
                break said.to_owned();
            }
        };
        let child_launched = theirs.starts_with("launched");
        assert!(
            ours.is_ok() != child_launched,
            "round {round}: exactly one runs: ours {ours:?}, the child's {theirs}"
        );
        if let Err(error) = &ours {
            assert!(matches!(error, DriverError::AlreadyActive { .. }), "round {round}: {error}");
        } else {
            assert!(theirs.contains("AlreadyActive"), "round {round}: {theirs}");
        }
        // The loser left the winner's directory alone: clients still connect to it.
        assert!(dir.join("cnc.dat").is_file(), "round {round}: the winner's CnC file is gone");
        AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap().close().unwrap();
        drop(ours);
        drop(child_in); // the child closes its driver, if it runs one, and exits
        assert!(child.wait().unwrap().success(), "round {round}");
        assert!(!dir.exists(), "round {round}: the winner removed its directory on close");
    }
}
