//! The media driver's directory: unique names, C paths, "is a driver active here", and the
//! lock under which a launch prepares a directory and a close removes one.
//!
//! Two launches in one directory, in this process or in two, must not interleave: Aeron's
//! driver start deletes and recreates a directory whose driver it does not find alive, so a
//! second driver starting while the first is still writing its CnC file deletes the first's
//! files, and a failed start cleaning up after itself would delete the winner's live
//! directory. So a launch holds [`DirLock`] from its first look at the directory until its
//! driver's heartbeat is written (or it has cleaned up after a failure), a close holds it
//! while it removes the directory, and each removes only what is provably its own: a
//! directory the launch created, with no live driver in it, or one whose CnC file names this
//! process's driver.

use std::ffi::{c_char, CString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusteron_media_driver::bindings::aeron_cnc_metadata_stct;

/// The file a running media driver maps and clients connect through.
pub(crate) const CNC_FILE: &str = "cnc.dat";

/// The prefix of the directories [`unique_dir`] makes up.
pub(crate) const UNIQUE_DIR_PREFIX: &str = "aeron-dutycycle-";

/// How long a launch or a close waits for another one's [`DirLock`]: far longer than any
/// launch or removal takes, short enough that a stopped process holding it is reported.
pub(crate) const DIR_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

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

/// An exclusive `flock` on the directory that holds a driver directory, for as long as it
/// lives. `flock` excludes every other open of the same directory, in this process (each
/// [`DirLock`] opens its own) and in any other, and the kernel releases it when its holder
/// dies. Only dutycycle's launches and closes take it; drivers started by other programs do not.
#[derive(Debug)]
pub(crate) struct DirLock {
    _parent: File,
}

impl DirLock {
    /// Creates the parent directories of `dir` if missing, then locks the nearest one,
    /// waiting up to `timeout` for another holder.
    ///
    /// # Errors
    ///
    /// The OS error of creating or opening the parent, or [`io::ErrorKind::TimedOut`] when
    /// another holder kept it for the whole `timeout`.
    pub(crate) fn acquire(dir: &Path, timeout: Duration) -> io::Result<DirLock> {
        let parent = match dir.parent() {
            Some(parent) if parent.as_os_str().is_empty() => Path::new("."),
            Some(parent) => parent,
            None => dir,
        };
        std::fs::create_dir_all(parent)?;
        let file = File::open(parent)?;
        let deadline = Instant::now() + timeout;
        loop {
            // SAFETY: the descriptor is open for the whole call (`file` owns it); flock has
            // no other preconditions.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(DirLock { _parent: file });
            }
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EWOULDBLOCK) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Some(libc::EWOULDBLOCK) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("{} stayed locked by another media driver launch or close", parent.display()),
                    ))
                }
                Some(libc::EINTR) => {}
                _ => return Err(error),
            }
        }
    }
}

/// Which driver a CnC file belongs to: the process that started it and when. Two drivers
/// never share both (a driver starts in a directory only once the previous one's heartbeat
/// has gone stale, a millisecond at the least).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DriverIdentity {
    pid: i64,
    start_timestamp_ms: i64,
}

impl DriverIdentity {
    /// Reads the identity from `dir`'s CnC file (its metadata at the start of the file, in
    /// the machine's byte order).
    pub(crate) fn read(dir: &Path) -> io::Result<DriverIdentity> {
        let mut metadata = [0u8; size_of::<aeron_cnc_metadata_stct>()];
        File::open(dir.join(CNC_FILE))?.read_exact(&mut metadata)?;
        let field = |offset: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&metadata[offset..offset + 8]);
            i64::from_ne_bytes(bytes)
        };
        Ok(DriverIdentity {
            pid: field(std::mem::offset_of!(aeron_cnc_metadata_stct, pid)),
            start_timestamp_ms: field(std::mem::offset_of!(aeron_cnc_metadata_stct, start_timestamp)),
        })
    }
}

/// Makes sure `dir` can be the driver's: created if missing, writable, not in use by a live
/// driver, and holding nothing but an old Aeron directory. Returns whether this call created
/// it. Call it holding the [`DirLock`].
pub(crate) fn prepare(dir: &Path, driver_timeout: Duration) -> Result<bool, PrepareError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {
            if let Err(source) = probe_writable(dir) {
                // Created by this call and empty: remove_dir removes nothing else.
                let _ = std::fs::remove_dir(dir);
                return Err(PrepareError::NotWritable(source));
            }
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if !std::fs::metadata(dir).map_err(PrepareError::NotWritable)?.is_dir() {
                return Err(PrepareError::NotWritable(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "it exists and is not a directory",
                )));
            }
            if dir.join(CNC_FILE).exists() {
                if driver_active(dir, driver_timeout) {
                    return Err(PrepareError::AlreadyActive);
                }
            } else if std::fs::read_dir(dir).map_err(PrepareError::NotWritable)?.next().is_some() {
                return Err(PrepareError::NotAnAeronDir);
            }
            probe_writable(dir).map_err(PrepareError::NotWritable)?;
            Ok(false)
        }
        Err(e) => Err(PrepareError::NotWritable(e)),
    }
}

/// Why [`prepare`] refused a directory.
#[derive(Debug)]
pub(crate) enum PrepareError {
    NotWritable(io::Error),
    AlreadyActive,
    NotAnAeronDir,
}

/// Creates and removes a file in `dir`: write permission bits do not tell about read-only
/// mounts or root's override, a real write does.
fn probe_writable(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!(".dutycycle-probe-{}", std::process::id()));
    File::create(&probe)?;
    std::fs::remove_file(&probe)
}

/// Removes `dir` and everything in it if its CnC file names `identity`'s driver; leaves a
/// directory another driver has taken over alone; one that is already gone is fine. Call it
/// holding the [`DirLock`].
pub(crate) fn remove_if_own(dir: &Path, identity: DriverIdentity) -> io::Result<()> {
    match DriverIdentity::read(dir) {
        Ok(found) if found == identity => remove_all(dir),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !dir.exists() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes the directory and everything in it; one that is already gone is fine.
pub(crate) fn remove_all(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

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

    #[test]
    fn a_held_lock_keeps_out_every_other_locker_until_it_drops() {
        let dir = unique_dir().join("aeron");
        let held = DirLock::acquire(&dir, DIR_LOCK_TIMEOUT).unwrap();
        let waited = DirLock::acquire(&dir, Duration::from_millis(20)).unwrap_err();
        assert_eq!(waited.kind(), io::ErrorKind::TimedOut, "{waited}");
        drop(held);
        drop(DirLock::acquire(&dir, Duration::from_millis(20)).unwrap());
        std::fs::remove_dir(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_directory_whose_cnc_file_names_another_driver_is_left_alone() {
        let dir = unique_dir();
        std::fs::create_dir(&dir).unwrap();
        let mut metadata = vec![0u8; size_of::<aeron_cnc_metadata_stct>()];
        let pid = std::mem::offset_of!(aeron_cnc_metadata_stct, pid);
        metadata[pid..pid + 8].copy_from_slice(&42i64.to_ne_bytes());
        std::fs::write(dir.join(CNC_FILE), &metadata).unwrap();
        let theirs = DriverIdentity::read(&dir).unwrap();
        assert_eq!(theirs, DriverIdentity { pid: 42, start_timestamp_ms: 0 });

        let ours = DriverIdentity { pid: i64::from(std::process::id()), start_timestamp_ms: 0 };
        remove_if_own(&dir, ours).unwrap();
        assert!(dir.join(CNC_FILE).is_file(), "another driver's directory was removed");
        remove_if_own(&dir, theirs).unwrap();
        assert!(!dir.exists());
        remove_if_own(&dir, theirs).unwrap(); // gone already: fine
    }
}
