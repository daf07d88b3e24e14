//! The Java client: `benches/java/ClusterEchoPing.java` (Java's own `AeronCluster` with an
//! embedded Java media driver), compiled with `javac` and run as a child process that takes
//! commands on stdin and answers on stdout, one line each.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::{Command, Event, Failure, Side};
use crate::java::{self, JavaChild};

/// Compiles `ClusterEchoPing.java` into `classes` (made if missing).
pub(super) fn compile(jar: &Path, classes: &Path) -> Result<(), Failure> {
    java::compile(jar, &["ClusterEchoPing.java"], classes)
}

/// One line of the program's output as an event; `None` for a line it does not know.
pub(super) fn parse_event(line: &str) -> Option<Event> {
    let mut words = line.split_ascii_whitespace();
    match words.next()? {
        "ready" => Some(Event::Ready),
        "loading" => Some(Event::Loading),
        "rtts" => {
            let n: usize = words.next()?.parse().ok()?;
            let rtts: Vec<u64> = words.map(str::parse).collect::<Result<_, _>>().ok()?;
            (rtts.len() == n).then_some(Event::Rtts(rtts))
        }
        "failover" => {
            let fields: Vec<(&str, &str)> = words.filter_map(|w| w.split_once('=')).collect();
            if fields.is_empty() {
                return line.contains("timeout").then_some(Event::FailoverTimeout);
            }
            let field = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            Some(Event::Failover {
                new_leader_ns: field("new-leader-ns")?.parse().ok()?,
                first_answer_ns: field("first-answer-ns")?.parse().ok()?,
                leader: field("leader")?.parse().ok()?,
                resent: field("resent")?.parse().ok()?,
            })
        }
        _ => None,
    }
}

/// The running Java client.
pub(super) struct JavaSide {
    /// Killed when dropped, and by the kernel if the harness dies.
    java: Option<JavaChild>,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    aeron_dir: PathBuf,
    log: PathBuf,
}

impl JavaSide {
    /// Starts the program (backoff idle strategy, as the Rust client's) and returns at once;
    /// its first event is [`Event::Ready`] once its session is open. Its stderr goes to `log`.
    pub(super) fn start(
        jar: &Path,
        classes: &Path,
        endpoints: &str,
        log: &Path,
    ) -> Result<JavaSide, Failure> {
        let aeron_dir = std::env::temp_dir().join(format!("dutycycle-bench-java-{}", std::process::id()));
        let shm = Path::new("/dev/shm");
        let aeron_dir =
            if shm.is_dir() { shm.join(aeron_dir.file_name().expect("a name")) } else { aeron_dir };
        let mut java = java::command(classes, jar, "ClusterEchoPing");
        java.arg(endpoints)
            .arg(&aeron_dir)
            .arg("backoff")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?);
        let mut java = JavaChild::spawn(java)?;
        let child = java.child_mut().expect("running");
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::Builder::new().name("java-stdout".into()).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        })?;
        Ok(JavaSide { java: Some(java), stdin, lines, aeron_dir, log: log.to_owned() })
    }

    fn last_log_lines(&self) -> String {
        java::last_lines(&self.log)
    }
}

impl Side for JavaSide {
    fn send(&mut self, command: Command) -> Result<(), Failure> {
        let line = match command {
            Command::Round { count, warmup } => format!("round {count} {warmup}\n"),
            Command::Failover { timeout } => format!("failover {}\n", timeout.as_secs().max(1)),
            Command::Quit => "quit\n".to_owned(),
        };
        let stdin = self.stdin.as_mut().ok_or("the Java client's stdin is closed")?;
        stdin.write_all(line.as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Event, Failure> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(event) = parse_event(&line) {
                        return Ok(event);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "Java client: no event within {timeout:?}; its log: {}",
                        self.last_log_lines()
                    )
                    .into())
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("Java client ended; its log: {}", self.last_log_lines()).into())
                }
            }
        }
    }

    fn close(&mut self) -> Result<(), Failure> {
        let Some(java) = self.java.take() else { return Ok(()) };
        let _ = self.send(Command::Quit);
        self.stdin = None;
        let ended = java.wait(Duration::from_secs(10));
        // The driver deletes its directory on a clean shutdown; not when it was killed.
        let _ = std::fs::remove_dir_all(&self.aeron_dir);
        ended.map(drop).map_err(|e| format!("Java client: {e}; its log: {}", self.last_log_lines()).into())
    }
}

impl Drop for JavaSide {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_become_events() {
        assert!(matches!(parse_event("ready"), Some(Event::Ready)));
        assert!(matches!(parse_event("loading"), Some(Event::Loading)));
        match parse_event("rtts 3 10 20 30") {
            Some(Event::Rtts(rtts)) => assert_eq!(rtts, vec![10, 20, 30]),
            other => panic!("{other:?}"),
        }
        assert!(parse_event("rtts 4 10 20 30").is_none(), "a short line is not a round");
        match parse_event("failover new-leader-ns=5 first-answer-ns=9 leader=2 resent=1") {
            Some(Event::Failover { new_leader_ns: 5, first_answer_ns: 9, leader: 2, resent: 1 }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_event("failover timeout"), Some(Event::FailoverTimeout)));
        assert!(parse_event("INFO something from Aeron").is_none());
    }
}
