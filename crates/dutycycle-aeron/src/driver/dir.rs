//! Aeron directories: unique names, C paths, "is a driver active here".

use std::ffi::{c_char, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The file a running media driver maps and clients connect through.
pub(crate) const CNC_FILE: &str = "cnc.dat";

/// The prefix of the directories [`unique_dir`] makes up.
pub(crate) const UNIQUE_DIR_PREFIX: &str = "aeron-dutycycle-";

/// A directory name no other driver of this or any other live process uses:
/// `/dev/shm/aeron-dutycycle-{pid}-{n}` (or under the temporary directory where there is no
/// `/dev/shm`), `n` counting the directories this process has asked for.
pub(crate) fn unique_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Relaxed: only uniqueness matters, which the read-modify-write gives on its own.
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
    base.join(format!("{UNIQUE_DIR_PREFIX}{}-{n}", std::process::id()))
}

/// The path as a C string, or `None` when it holds a NUL byte.
pub(crate) fn c_path(path: &Path) -> Option<CString> {
    CString::new(path.as_os_str().as_bytes()).ok()
}

/// Whether a media driver is active in `dir`: its CnC file exists and its heartbeat is younger
/// than `timeout`. Aeron's own check; it does not block unless a CnC file is half-written.
pub(crate) fn driver_active(dir: &Path, timeout: Duration) -> bool {
    let Some(dir) = c_path(dir) else { return false };
    let timeout_ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    // SAFETY: `dir` is a NUL-terminated path that lives across the call; the log function is
    // a valid `extern "C"` function that ignores its argument (Aeron calls it unconditionally,
    // so it must not be null).
    unsafe { rusteron_media_driver::bindings::aeron_is_driver_active(dir.as_ptr(), timeout_ms, Some(no_log)) }
}

/// Aeron's diagnostic logger, silenced.
unsafe extern "C" fn no_log(_message: *const c_char) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_dirs_differ_and_name_the_process() {
        let a = unique_dir();
        let b = unique_dir();
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(&format!("{UNIQUE_DIR_PREFIX}{}-", std::process::id())));
    }

    #[test]
    fn no_driver_is_active_where_there_is_no_cnc_file() {
        let dir = std::env::temp_dir();
        assert!(!driver_active(&dir, Duration::from_secs(10)));
        assert!(!driver_active(Path::new("/nonexistent/aeron"), Duration::from_secs(10)));
    }
}
