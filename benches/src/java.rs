//! The harness's Java programs (`benches/java/`): finding the JDK and the jars, compiling with
//! `javac` into `target/bench/`, and running `java` as a child process that is always ended,
//! also when the harness fails or panics (the child dies with the [`Spawner`]'s thread).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use dutycycle_test_support::process::Spawner;
use hdrhistogram::Histogram;

use crate::latency::{histogram, record};

/// An error of a Java step, with what failed.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The directory of the Java sources, beside this crate.
pub const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/java");

/// The environment variable naming the Agrona jar (`scripts/env.sh` sets it).
pub const AGRONA_JAR_VAR: &str = "AGRONA_JAR";

/// The environment variable naming the aeron-all jar (`scripts/env.sh` sets it).
pub const AERON_ALL_JAR_VAR: &str = "AERON_ALL_JAR";

/// `name` (`java`, `javac`) from `JAVA_HOME`, else from `PATH`.
pub fn jdk_tool(name: &str) -> PathBuf {
    match std::env::var_os("JAVA_HOME") {
        Some(home) if !home.is_empty() => Path::new(&home).join("bin").join(name),
        _ => PathBuf::from(name),
    }
}

/// Checks that `java` and `javac` run, with a message that says what to install when not.
///
/// # Errors
///
/// The JDK tool that could not be run.
pub fn check_jdk() -> Result<(), Failure> {
    for tool in ["java", "javac"] {
        let path = jdk_tool(tool);
        let ran = Command::new(&path).arg("-version").output();
        if !ran.as_ref().is_ok_and(|out| out.status.success()) {
            return Err(format!(
                "{} -version did not run: install a JDK (17 or later, scripts/setup.sh) or set JAVA_HOME",
                path.display()
            )
            .into());
        }
    }
    Ok(())
}

/// The jar named by the environment variable `var`, which must exist.
///
/// # Errors
///
/// The variable is unset or names no file.
pub fn jar_from_env(var: &str) -> Result<PathBuf, Failure> {
    let jar = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| format!("{var} is not set: run scripts/setup.sh, then source scripts/env.sh"))?;
    if !jar.is_file() {
        return Err(
            format!("{var} names {}, which is not a file: run scripts/setup.sh", jar.display()).into()
        );
    }
    Ok(jar)
}

/// `target/bench/` (under `CARGO_TARGET_DIR` when set).
pub fn bench_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
        .join("bench")
}

/// Compiles `sources` (file names in [`SOURCES`]) against `jar` into `classes` (made if missing).
///
/// # Errors
///
/// `javac` could not run or failed (its message included).
pub fn compile(jar: &Path, sources: &[&str], classes: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(classes)?;
    let out = Command::new(jdk_tool("javac"))
        .arg("-d")
        .arg(classes)
        .arg("-cp")
        .arg(jar)
        .args(sources.iter().map(|s| Path::new(SOURCES).join(s)))
        .output()
        .map_err(|e| format!("javac: {e}"))?;
    if !out.status.success() {
        return Err(
            format!("javac {sources:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim()).into()
        );
    }
    Ok(())
}

/// `java` with the harness's options (small serial heap, no perf-data file left in `/tmp`,
/// the `--add-opens` Aeron and Agrona need, IPv4) and the class path `classes:jar`, running
/// `main`. Add the program's arguments, then start it with [`JavaChild::spawn`].
pub fn command(classes: &Path, jar: &Path, main: &str) -> Command {
    let mut class_path: OsString = classes.as_os_str().to_owned();
    class_path.push(":");
    class_path.push(jar);
    let mut java = Command::new(jdk_tool("java"));
    java.args([
        "-Xmx256m",
        "-XX:+UseSerialGC",
        // No /tmp/hsperfdata_<user>/<pid> file to leave behind.
        "-XX:-UsePerfData",
        "-Djava.net.preferIPv4Stack=true",
    ])
    .args(dutycycle_test_support::java::AERON_ADD_OPENS)
    .arg("-cp")
    .arg(class_path)
    .arg(main);
    java
}

/// A running Java program: killed and reaped when dropped (a panic included), and killed by
/// the kernel if the harness dies, since it was spawned by a [`Spawner`] of its own.
#[derive(Debug)]
pub struct JavaChild {
    child: Option<Child>,
    // Last: the child dies with the spawner's thread if it outlives everything else.
    _spawner: Spawner,
}

impl JavaChild {
    /// Starts `command` (see [`command`]).
    ///
    /// # Errors
    ///
    /// The spawner's thread or the process could not be started.
    pub fn spawn(command: Command) -> Result<JavaChild, Failure> {
        let spawner = Spawner::new()?;
        let child = spawner.spawn(command).map_err(|e| format!("java: {e}"))?;
        Ok(JavaChild { child: Some(child), _spawner: spawner })
    }

    /// The child, while it has not been waited for.
    pub fn child_mut(&mut self) -> Option<&mut Child> {
        self.child.as_mut()
    }

    /// Waits up to `timeout` for the program to exit; kills it when the time is up.
    ///
    /// # Errors
    ///
    /// It did not exit in time (killed) or exited with a failure status.
    pub fn wait(mut self, timeout: Duration) -> Result<ExitStatus, Failure> {
        let mut child = self.child.take().ok_or("the Java program was already waited for")?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                return if status.success() {
                    Ok(status)
                } else {
                    Err(format!("the Java program exited with {status}").into())
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the Java program did not finish within {timeout:?}: killed").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the program, if it still runs, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for JavaChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` (stderr to `log`) until it exits, at most `timeout`, then reads the round
/// trips it wrote to `out` (big-endian 64-bit nanoseconds, as `BenchThreads.write` writes them)
/// into a histogram of nanoseconds, and removes `out`.
///
/// # Errors
///
/// The program failed, timed out (killed) or wrote no round trips; the last lines of `log`
/// are in the message.
pub fn run_for_rtts(
    mut command: Command,
    out: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<Histogram<u64>, Failure> {
    let _ = std::fs::remove_file(out);
    let log_file = std::fs::File::create(log)?;
    command.stdin(std::process::Stdio::null()).stdout(log_file.try_clone()?).stderr(log_file);
    let ran = JavaChild::spawn(command)?.wait(timeout);
    if let Err(e) = ran {
        return Err(format!("{e}; its log: {}", last_lines(log)).into());
    }
    let bytes = std::fs::read(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let _ = std::fs::remove_file(out);
    let mut h = histogram();
    for chunk in bytes.chunks_exact(8) {
        let ns = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
        record(&mut h, ns);
    }
    if h.is_empty() {
        return Err(format!("the Java program wrote no round trips; its log: {}", last_lines(log)).into());
    }
    Ok(h)
}

/// The last five lines of `log`, joined.
pub fn last_lines(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_overruns_its_time_limit_is_killed_and_reaped() {
        let mut sleeper = Command::new("sleep");
        sleeper.arg("30");
        let mut child = JavaChild::spawn(sleeper).expect("sleep starts");
        let pid = child.child_mut().expect("running").id();
        let started = Instant::now();
        let error = child.wait(Duration::from_millis(200)).expect_err("sleep 30 overruns 200 ms");
        assert!(error.to_string().contains("killed"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(20), "waited for the program instead of killing it");
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the child is gone, not a zombie");
    }

    #[test]
    fn a_dropped_child_is_killed() {
        let mut sleeper = Command::new("sleep");
        sleeper.arg("30");
        let mut child = JavaChild::spawn(sleeper).expect("sleep starts");
        let pid = child.child_mut().expect("running").id();
        drop(child);
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn round_trips_are_read_as_big_endian_nanoseconds() {
        let dir = std::env::temp_dir().join(format!("dutycycle-java-rtts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (out, log) = (dir.join("rtts"), dir.join("log"));
        let mut writer = Command::new("sh");
        // 100 and 256, as BenchThreads.write writes them.
        writer.arg("-c").arg(format!(
            "printf '\\000\\000\\000\\000\\000\\000\\000\\144\\000\\000\\000\\000\\000\\000\\001\\000' > {}",
            out.display()
        ));
        let h = run_for_rtts(writer, &out, &log, Duration::from_secs(20));
        let _ = std::fs::remove_dir_all(&dir);
        let h = h.expect("two round trips read");
        assert_eq!((h.len(), h.min(), h.max()), (2, 100, 256));
    }
}
