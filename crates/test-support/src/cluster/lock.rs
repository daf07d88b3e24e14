//! One cluster at a time on the machine: the nodes' ports are fixed.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::error::StartError;

/// The lock file that serialises real clusters on this machine.
///
/// Never delete it: a process that opens the path after it was unlinked locks a new file,
/// and two clusters can then run at once (their nodes fail to bind the ports).
///
/// [`Cluster::start`](super::Cluster::start) holds an exclusive `flock(2)` on it for the
/// cluster's life. Shell commands that run a cluster some other way take the same lock with
/// `flock /tmp/dutycycle-cluster.lock <command>`; a harness started *under* such a command
/// (its process inherited the locked descriptor) runs inside that lock instead of waiting for
/// itself.
pub const LOCK_PATH: &str = "/tmp/dutycycle-cluster.lock";

const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Whether a cluster of this process is running: `flock` alone would serialise this process's
/// threads too, but not when the lock was inherited.
static IN_PROCESS: Mutex<bool> = Mutex::new(false);
static RELEASED: Condvar = Condvar::new();

/// The machine's cluster lock: held by [`Cluster`](super::Cluster) for a cluster's life, and
/// by a test that needs the certainty that no cluster runs (a "cluster down" test). While it
/// is held, a cluster of this process or of any other waits. Released on drop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_test_support::cluster::ClusterLock;
///
/// let no_cluster = ClusterLock::acquire(Duration::from_secs(600))?;
/// // ... nothing listens on the cluster's ports until `no_cluster` is dropped
/// drop(no_cluster);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClusterLock {
    /// The locked file, or `None` when an ancestor process holds the lock.
    file: Option<File>,
}

impl ClusterLock {
    /// Takes the lock, waiting up to `timeout` for this process's other holder and for other
    /// processes.
    ///
    /// # Errors
    ///
    /// [`StartError::LockTimeout`] when `timeout` passed first; [`StartError::Lock`] when the
    /// lock file could not be opened or locked.
    pub fn acquire(timeout: Duration) -> Result<Self, StartError> {
        let deadline = Instant::now() + timeout;
        let timed_out = || StartError::LockTimeout { path: LOCK_PATH.into(), waited: timeout };
        {
            let mut busy = IN_PROCESS.lock().unwrap_or_else(PoisonError::into_inner);
            while *busy {
                let left = deadline.checked_duration_since(Instant::now()).ok_or_else(timed_out)?;
                busy = RELEASED.wait_timeout(busy, left).unwrap_or_else(PoisonError::into_inner).0;
            }
            *busy = true;
        }
        // From here on, dropping `held` (on an error) frees the in-process slot.
        let mut held = ClusterLock { file: None };
        let lock_error = |source| StartError::Lock { path: LOCK_PATH.into(), source };
        loop {
            // Opened on every try: if the file is unlinked (by a clean-up of /tmp, say) while
            // someone holds it, waiting on the old inode would never serialise with the
            // processes that open the new one.
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(LOCK_PATH)
                .map_err(lock_error)?;
            match try_lock(&file) {
                Ok(true) if names(&file).map_err(lock_error)? => {
                    held.file = Some(file);
                    return Ok(held);
                }
                // Locked, but unlinked since it was opened: the lock guards nothing.
                Ok(true) => continue,
                Ok(false) => {
                    if inherited_lock_on(&file).map_err(lock_error)? {
                        return Ok(held);
                    }
                }
                Err(error) => return Err(lock_error(error)),
            }
            if Instant::now() >= deadline {
                return Err(timed_out());
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

/// Whether [`LOCK_PATH`] still names `file` (the same inode).
fn names(file: &File) -> io::Result<bool> {
    let opened = file.metadata()?;
    match std::fs::metadata(LOCK_PATH) {
        Ok(named) => Ok(named.dev() == opened.dev() && named.ino() == opened.ino()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

impl Drop for ClusterLock {
    fn drop(&mut self) {
        // The file first: it unlocks when it closes. Only then may another thread of this
        // process try the lock: were the file still open, that thread would find it in
        // /proc/self/fd holding the lock, take it for an inherited lock, and run its cluster
        // without one, beside another process's.
        drop(self.file.take());
        *IN_PROCESS.lock().unwrap_or_else(PoisonError::into_inner) = false;
        RELEASED.notify_all();
    }
}

/// Takes an exclusive `flock` on `file` without waiting: `Ok(false)` if another open file
/// description holds it. (std's `File::try_lock` does the same from Rust 1.89; the workspace
/// supports 1.85.)
fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock(2) on a descriptor that `file` keeps open; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        // Interrupted: not taken this time; the caller tries again.
        Some(libc::EWOULDBLOCK | libc::EINTR) => Ok(false),
        _ => Err(error),
    }
}

/// Whether this process inherited a descriptor whose open file description holds the `flock`
/// on `file` (as every command run by `flock <file> <command>` does).
///
/// The harness opens its own lock file with `O_CLOEXEC`, so the processes it starts never
/// inherit its lock this way: a child of a process that holds the lock for its own cluster
/// still waits.
fn inherited_lock_on(file: &File) -> io::Result<bool> {
    let target = file.metadata()?;
    for entry in std::fs::read_dir("/proc/self/fd")?.flatten() {
        let Ok(metadata) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if metadata.dev() != target.dev() || metadata.ino() != target.ino() {
            continue;
        }
        let fdinfo = Path::new("/proc/self/fdinfo").join(entry.file_name());
        let Ok(info) = std::fs::read_to_string(fdinfo) else {
            continue;
        };
        if holds_flock(&info) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the text of `/proc/<pid>/fdinfo/<fd>` shows an exclusive `flock` held by that
/// descriptor's open file description: a line such as
/// `lock:\t1: FLOCK  ADVISORY  WRITE 1234 00:1f:5678 0 EOF` (waiters have `->` after the
/// number).
fn holds_flock(fdinfo: &str) -> bool {
    fdinfo.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        matches!(fields.as_slice(), ["lock:", _, "FLOCK", _, "WRITE", ..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_flock_skips_waiters_and_shared_locks() {
        let info = |lock: &str| format!("pos:\t0\nflags:\t0100000\nmnt_id:\t27\nino:\t5678\n{lock}");
        assert!(holds_flock(&info("lock:\t1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF\n")));
        assert!(!holds_flock(&info("lock:\t1: -> FLOCK  ADVISORY  WRITE 1240 fe:00:5678 0 EOF\n")));
        assert!(!holds_flock(&info("lock:\t1: FLOCK  ADVISORY  READ 1234 fe:00:5678 0 EOF\n")));
        assert!(!holds_flock(&info("lock:\t1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 EOF\n")));
        assert!(!holds_flock(&info("")));
    }
}
