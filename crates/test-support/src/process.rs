//! Child processes that cannot outlive the process that started them.
//!
//! Linux's `prctl(PR_SET_PDEATHSIG, SIGKILL)` asks the kernel to kill a child when its parent
//! dies. The "parent" is the **thread** that forked the child, not the process: when that
//! thread exits, the child is killed even though the process lives on. Cargo runs each test on
//! a thread of its own that ends with the test, and a harness object may be handed between
//! threads, so children must not be forked from whichever thread happens to ask.
//! [`Spawner`] owns one long-lived thread that forks every child; the children live until the
//! `Spawner` is dropped (after its owner ended them) or until the process dies, by any means,
//! SIGKILL included.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

/// Makes `command`'s child receive SIGKILL when the thread that spawns it exits.
///
/// If the spawning thread is already gone by the time the child sets this up (it races with
/// the fork), the child does not run the program: spawning fails with an error.
///
/// Prefer [`Spawner`], which spawns from a thread that lives as long as the children should.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::process::die_with_parent;
/// use std::process::Command;
///
/// let mut command = Command::new("true");
/// die_with_parent(&mut command);
/// let status = command.status()?;
/// assert!(status.success());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn die_with_parent(command: &mut Command) -> &mut Command {
    // The pid of this process, as the child will see it from getppid() while its parent is
    // alive (getppid() names the parent process, whichever of its threads forked).
    let parent = std::process::id();
    let hook = move || {
        // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid() are async-signal-safe system calls
        // that touch no memory of the parent; this is all that runs between fork and exec.
        let (set, ppid) =
            unsafe { (libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0), libc::getppid()) };
        if set != 0 {
            return Err(io::Error::last_os_error());
        }
        // The parent died before the prctl took effect: the signal will never come. (ESRCH,
        // "no such process", names the missing parent; a raw OS error does not allocate.)
        if u32::try_from(ppid).ok() != Some(parent) {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe system calls and builds raw OS errors,
    // which do not allocate: it takes no lock and touches no state shared with other threads,
    // as std's pre_exec contract requires after a fork.
    unsafe { command.pre_exec(hook) }
}

type Request = (Command, mpsc::Sender<io::Result<Child>>);

/// A long-lived thread that spawns child processes which die with this process.
///
/// Every command given to [`spawn`](Spawner::spawn) is run with [`die_with_parent`] from the
/// spawner's own thread, so a child is killed when that thread ends: when the `Spawner` is
/// dropped, or when the process dies. The caller must end (kill and wait for) its children
/// before dropping the `Spawner` if it wants them to end in an orderly way; whatever is still
/// running then is killed by the kernel.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::process::Spawner;
/// use std::process::Command;
///
/// let spawner = Spawner::new()?;
/// let mut child = spawner.spawn(Command::new("true"))?;
/// assert!(child.wait()?.success());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Spawner {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl Spawner {
    /// Starts the spawning thread (named `spawner`).
    ///
    /// # Errors
    ///
    /// The thread could not be created.
    ///
    /// # Examples
    ///
    /// ```
    /// let spawner = dutycycle_test_support::process::Spawner::new()?;
    /// drop(spawner); // joins the thread
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Self> {
        let (requests, incoming) = mpsc::channel::<Request>();
        let thread = thread::Builder::new().name("spawner".into()).spawn(move || {
            for (mut command, reply) in incoming {
                let child = die_with_parent(&mut command).spawn();
                // The requester waits on the reply; if it is gone, dropping the child here
                // leaves it running until this thread ends, which then kills it.
                let _ = reply.send(child);
            }
        })?;
        Ok(Self { requests: Some(requests), thread: Some(thread) })
    }

    /// Spawns `command` from the spawner's thread.
    ///
    /// # Errors
    ///
    /// The command could not be spawned (as [`Command::spawn`]), or the spawner's thread has
    /// died.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_test_support::process::Spawner;
    /// use std::process::Command;
    ///
    /// let spawner = Spawner::new()?;
    /// let missing = spawner.spawn(Command::new("/no/such/program"));
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(&self, command: Command) -> io::Result<Child> {
        let gone = || io::Error::other("the spawner thread has ended");
        let (reply, child) = mpsc::channel();
        self.requests.as_ref().ok_or_else(gone)?.send((command, reply)).map_err(|_| gone())?;
        child.recv().map_err(|_| gone())?
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
