//! What every JVM running Aeron's Java code here needs on its command line.

/// The `--add-opens` flags Aeron 1.51 needs on Java 17 and later (it reaches into
/// `jdk.internal.misc`, `java.util.zip` and `sun.nio.ch`), for `Command::args`.
///
/// # Examples
///
/// ```
/// let mut java = std::process::Command::new("java");
/// java.args(dutycycle_test_support::java::AERON_ADD_OPENS);
/// assert_eq!(java.get_args().count(), 6);
/// ```
pub const AERON_ADD_OPENS: [&str; 6] = [
    "--add-opens",
    "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens",
    "java.base/java.util.zip=ALL-UNNAMED",
    "--add-opens",
    "java.base/sun.nio.ch=ALL-UNNAMED",
];
