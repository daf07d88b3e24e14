//! Java Aeron's side of scenario 7 (feature `java`): `AeronIpcPingPong.java`, compiled and
//! run as a child process.

use std::path::PathBuf;

use hdrhistogram::Histogram;

use super::aeron::{Failure, Plan};
use crate::java::{self, AERON_ALL_JAR_VAR};

/// `AeronIpcPingPong.java`, compiled.
pub(crate) struct JavaIpc {
    jar: PathBuf,
    classes: PathBuf,
}

impl JavaIpc {
    /// Finds the JDK and aeron-all, and compiles the program into
    /// `target/bench/java-aeron-classes/`.
    pub(crate) fn prepare() -> Result<JavaIpc, Failure> {
        java::check_jdk()?;
        let jar = java::jar_from_env(AERON_ALL_JAR_VAR)?;
        let classes = java::bench_dir().join("java-aeron-classes");
        java::compile(&jar, &["AeronIpcPingPong.java", "BenchThreads.java"], &classes)?;
        Ok(JavaIpc { jar, classes })
    }

    /// One run of `plan` (Java's warm-up at least 200 000 round trips, for its JIT).
    /// Returns the round trips in nanoseconds.
    pub(crate) fn run(&self, plan: Plan) -> Result<Histogram<u64>, Failure> {
        let dir = java::bench_dir();
        let aeron_dir = PathBuf::from(format!("/dev/shm/dutycycle-bench-java-ipc-{}", std::process::id()));
        let mut command = java::command(&self.classes, &self.jar, "AeronIpcPingPong");
        command
            .arg(plan.warmup.max(200_000).to_string())
            .arg(plan.round_trips.to_string())
            .arg(dir.join("java-aeron-ipc.rtts"))
            .arg(&aeron_dir);
        let h = java::run_for_rtts(
            command,
            &dir.join("java-aeron-ipc.rtts"),
            &dir.join("java-aeron-ipc.log"),
            plan.time_limit + std::time::Duration::from_secs(30),
        );
        // The driver removes its directory when it closes; not when it was killed.
        let _ = std::fs::remove_dir_all(&aeron_dir);
        h
    }
}
