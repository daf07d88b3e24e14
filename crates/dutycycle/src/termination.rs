//! [`AgentTermination`]: the latch that asks agents to stop.

use std::fmt;
use std::io;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::parker::Parker;
use crate::primitive::sync::{Arc, AtomicUsize, Condvar, Mutex, Ordering};
use crate::primitive::{lock, wait_until};
use crate::runner::state::{StopCause, StopFlag};

/// A latch that other threads and signal handlers can only *signal*; the agents' own threads
/// observe it, then close and drop their own resources.
///
/// This is the fix for the crash dutycycle exists to prevent: a signal handler or the main
/// thread never closes an agent's resources itself, it signals, and each agent closes what it
/// owns on its own thread.
///
/// - `Clone + Send + Sync`: one latch may be shared by any number of runners; clones share the
///   same state.
/// - [`signal`](AgentTermination::signal) is idempotent and never blocks on an agent. It also
///   ends the park of every runner registered with the latch, so an agent that its idle
///   strategy parked (Backoff with a 1 s park, say) stops within microseconds, not at the end
///   of its park; also when code in its `do_work` parked the thread itself (the runner parks
///   on a parker of its own, which no other code consumes).
/// - Once signalled, it stays signalled: [`is_signalled`](AgentTermination::is_signalled) never
///   goes back to `false`. A `false` answer may be out of date the moment it is returned.
/// - [`AgentTermination::from_signals`] makes the process's SIGINT and SIGTERM signal it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::AgentTermination;
///
/// let termination = AgentTermination::new();
/// let remote = termination.clone();
/// let t = std::thread::spawn(move || remote.signal());
/// termination.wait();
/// assert!(termination.is_signalled());
/// assert!(termination.wait_timeout(Duration::ZERO));
/// # t.join().unwrap();
/// ```
#[derive(Clone)]
pub struct AgentTermination {
    inner: Arc<Inner>,
}

struct Inner {
    /// Whether the latch is signalled and by what, one word ([`StopCause::to_word`] of a
    /// `StopCause::Latch`, or 0): being signalled and the cause are one atomic decision, so
    /// that every runner on the latch reports the same cause.
    signalled: CachePadded<AtomicUsize>,
    /// The runners to stop and unpark on `signal`, and `wait`'s condition.
    registry: Mutex<Registry>,
    signalled_cv: Condvar,
    /// The number of the first signal received through `from_signals`, or 0.
    signal_number: AtomicUsize,
}

/// `Inner::signalled` before the latch is signalled.
const NOT_SIGNALLED: usize = 0;

#[derive(Default)]
struct Registry {
    next_id: u64,
    entries: Vec<(u64, Arc<StopFlag>, Arc<Parker>)>,
}

impl AgentTermination {
    /// A new latch, not signalled.
    pub fn new() -> Self {
        AgentTermination {
            inner: Arc::new(Inner {
                signalled: CachePadded::new(AtomicUsize::new(NOT_SIGNALLED)),
                registry: Mutex::new(Registry::default()),
                signalled_cv: Condvar::new(),
                signal_number: AtomicUsize::new(0),
            }),
        }
    }

    /// The process's latch for SIGINT and SIGTERM (Agrona's `ShutdownSignalBarrier`).
    ///
    /// The first call installs the handlers; later calls return a clone of the same latch,
    /// since signals belong to the whole process. On the first SIGINT or SIGTERM the latch is
    /// signalled (so [`wait`](AgentTermination::wait) returns and every runner on it stops). A
    /// **second** SIGINT or SIGTERM, arriving while the process is still shutting down, ends the
    /// process at once with exit status 128 + the signal number (130 for SIGINT, 143 for
    /// SIGTERM), without running destructors: the way out of a shutdown that hangs.
    ///
    /// Each delivery decides "first or second" in one atomic step, so a SIGTERM that arrives
    /// while the SIGINT handler is still running exits 143, whatever the interleaving. The
    /// handlers do only async-signal-safe work (an atomic swap, then a byte written to a pipe
    /// or `_exit`); a thread named `dutycycle-sig` reads the pipe and signals the latch. Do not
    /// combine this with another crate's SIGINT handling (such as `ctrlc`).
    ///
    /// # Errors
    ///
    /// The OS error from creating the pipe, spawning the thread or registering a handler. A
    /// failed call leaves no handler installed, and a later call tries again.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use dutycycle::{AgentRunner, AgentTermination};
    /// # struct Ticker;
    /// # impl dutycycle::Agent for Ticker {
    /// #     fn do_work(&mut self) -> Result<usize, dutycycle::AgentError> { Ok(0) }
    /// # }
    ///
    /// let termination = AgentTermination::from_signals()?;
    /// let runner = AgentRunner::builder()
    ///     .termination(termination.clone())
    ///     .start(|| Ok(Ticker))?;
    /// termination.wait(); // until Ctrl-C or SIGTERM
    /// println!("{}", runner.join()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(not(loom))]
    pub fn from_signals() -> io::Result<Self> {
        // A failed install leaves nothing behind (see `install_signal_handlers`), so the next
        // call tries again; only a success is kept.
        static PROCESS: std::sync::Mutex<Option<AgentTermination>> = std::sync::Mutex::new(None);
        let mut installed = PROCESS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(termination) = &*installed {
            return Ok(termination.clone());
        }
        let termination = install_signal_handlers()?;
        *installed = Some(termination.clone());
        Ok(termination)
    }

    /// Signals the latch: every runner on it stops after its current duty cycle and every
    /// waiter returns. When `signal` returns, every runner on the latch has the latch's stop
    /// (also when another thread, or a signal, signalled it a moment before): a `close` that
    /// follows reports the latch. Idempotent; safe from any thread, but not from a signal
    /// handler (use [`AgentTermination::from_signals`] for signals).
    pub fn signal(&self) {
        self.signal_for(StopCause::Latch { signal: None });
    }

    /// Signals the latch for `cause` (a `StopCause::Latch`), unless it is signalled already.
    fn signal_for(&self, cause: StopCause) {
        // The swap and the stop requests under the registry's lock: a signal that loses the
        // swap returns only once the winner has requested every runner's stop, so that when
        // any `signal` returns every runner has the latch's stop (a `close` right after it
        // finds that stop there, not one of its own).
        let registry = lock(&self.inner.registry);
        // Release: whatever the signalling thread wrote before `signal` is visible to a thread
        // that sees `is_signalled() == true` (Acquire load below). A compare and swap: the
        // first signal's cause is the latch's, whatever comes later.
        let word = cause.to_word();
        if self
            .inner
            .signalled
            .compare_exchange(NOT_SIGNALLED, word, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        for (_, stop, parker) in &registry.entries {
            stop.request(cause);
            parker.stop();
        }
        // Under the lock: a waiter checks the flag under the same lock before it sleeps, so
        // it cannot miss this notification.
        self.inner.signalled_cv.notify_all();
    }

    /// Whether the latch has been signalled. `true` is final; `false` may already be stale.
    pub fn is_signalled(&self) -> bool {
        self.cause().is_some()
    }

    /// What signalled the latch, if it is signalled.
    fn cause(&self) -> Option<StopCause> {
        // Acquire: pairs with the release in `signal_for`.
        StopCause::from_word(self.inner.signalled.load(Ordering::Acquire))
    }

    /// Blocks until the latch is signalled.
    pub fn wait(&self) {
        wait_until(&self.inner.signalled_cv, lock(&self.inner.registry), None, |_| self.is_signalled());
    }

    /// Blocks until the latch is signalled or `timeout` has passed; returns whether it is
    /// signalled.
    ///
    /// ```
    /// use std::time::Duration;
    /// let termination = dutycycle::AgentTermination::new();
    /// assert!(!termination.wait_timeout(Duration::from_millis(1)));
    /// termination.signal();
    /// assert!(termination.wait_timeout(Duration::from_secs(1)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        wait_until(&self.inner.signalled_cv, lock(&self.inner.registry), Some(timeout), |_| {
            self.is_signalled()
        })
    }

    /// The number of the first signal (SIGINT = 2, SIGTERM = 15) that this latch received
    /// through [`AgentTermination::from_signals`], if one did; also when the latch had already
    /// been signalled by [`signal`](AgentTermination::signal) (a runner's report, in
    /// [`Ending::LatchSignalled`](crate::Ending::LatchSignalled), says what signalled it).
    pub fn received_signal(&self) -> Option<i32> {
        match self.inner.signal_number.load(Ordering::Acquire) {
            0 => None,
            n => i32::try_from(n).ok(),
        }
    }

    /// Registers a runner's stop flag and parker: `signal` sets the flag and stops the parker
    /// (ending its park). If the latch is already signalled both happen at once. The registration
    /// ends when the returned guard drops.
    pub(crate) fn register(&self, stop: Arc<StopFlag>, parker: Arc<Parker>) -> Registration {
        let mut registry = lock(&self.inner.registry);
        // Under the lock, as `signal` sets the flag: either `signal` sees this entry, or this
        // load sees the flag.
        if let Some(cause) = self.cause() {
            stop.request(cause);
            parker.stop();
        }
        let id = registry.next_id;
        registry.next_id += 1;
        registry.entries.push((id, stop, parker));
        Registration { termination: self.clone(), id }
    }

    #[cfg(test)]
    fn registered(&self) -> usize {
        lock(&self.inner.registry).entries.len()
    }
}

impl Default for AgentTermination {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for AgentTermination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentTermination").field("signalled", &self.is_signalled()).finish()
    }
}

/// A runner's registration with a latch; dropping it removes the runner.
pub(crate) struct Registration {
    termination: AgentTermination,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut registry = lock(&self.termination.inner.registry);
        registry.entries.retain(|(id, _, _)| *id != self.id);
    }
}

/// Installs one SIGINT and one SIGTERM handler that signal a new latch, or nothing at all.
///
/// Each delivery makes one atomic decision, "first or second": the first swaps the process's
/// shutdown flag and writes the signal number to a pipe that the `dutycycle-sig` thread reads
/// (it records the number and signals the latch); a later one finds the flag set and exits
/// with 128 + its own number. Deciding and acting in one handler is what makes a SIGTERM that
/// arrives while the SIGINT handler still runs exit 143: with the decision split over several
/// handlers, the first handler could see the flag the second had set and exit 130.
///
/// On an error (no pipe, no thread, a handler refused) everything already installed is
/// removed and the OS error is returned as it is.
#[cfg(not(loom))]
fn install_signal_handlers() -> io::Result<AgentTermination> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::io::Read;
    use std::os::fd::{AsRawFd, IntoRawFd};
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::AtomicBool as StdAtomicBool;
    use std::sync::Arc as StdArc;

    let (mut reader, writer) = UnixStream::pair()?;
    // A full pipe must never block a handler: the first signal is all the reader needs.
    writer.set_nonblocking(true)?;
    let termination = AgentTermination::new();
    let latch = termination.clone();
    // The reader first, so that a handler never writes to a pipe nobody reads. If a handler
    // cannot be installed below, `writer` is dropped and the reader ends at end-of-file.
    std::thread::Builder::new().name("dutycycle-sig".into()).spawn(move || {
        let mut byte = [0u8; 1];
        loop {
            match reader.read(&mut byte) {
                Ok(1) => {
                    let _ = latch.inner.signal_number.compare_exchange(
                        0,
                        usize::from(byte[0]),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    latch.signal_for(StopCause::Latch { signal: Some(i32::from(byte[0])) });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                _ => return,
            }
        }
    })?;

    let shutting_down = StdArc::new(StdAtomicBool::new(false));
    let pipe = writer.as_raw_fd();
    let mut installed = Vec::with_capacity(2);
    for signal in [SIGINT, SIGTERM] {
        let flag = StdArc::clone(&shutting_down);
        let action = move || {
            // SeqCst swap: one total order of decisions across handlers running at once on
            // different threads; exactly one delivery sees `false`.
            if flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                signal_hook::low_level::exit(128 + signal);
            }
            // SIGINT and SIGTERM fit in a byte.
            let byte = signal as u8;
            // SAFETY: write(2) is async-signal-safe; `pipe` stays open for the life of the
            // process once the handlers are installed (its owner is leaked below), and the
            // buffer is a local byte. A failed write (full pipe) loses nothing: the reader
            // has a byte to read already.
            unsafe { libc::write(pipe, (&byte as *const u8).cast(), 1) };
        };
        // SAFETY: the action does only async-signal-safe work: an atomic swap, `_exit`
        // (signal_hook's `exit`) and write(2) on a non-blocking descriptor; it allocates
        // nothing and takes no lock.
        match unsafe { signal_hook::low_level::register(signal, action) } {
            Ok(id) => installed.push(id),
            Err(e) => {
                for id in installed {
                    signal_hook::low_level::unregister(id);
                }
                return Err(e);
            }
        }
    }
    // The handlers live as long as the process, and so must the descriptor they write to.
    let _ = writer.into_raw_fd();
    Ok(termination)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn registration_sets_the_flag_of_a_late_runner_and_is_removed_on_drop() {
        let termination = AgentTermination::new();
        let early = Arc::new(StopFlag::new());
        let guard = termination.register(Arc::clone(&early), Arc::new(Parker::new()));
        assert_eq!(termination.registered(), 1);
        assert!(!early.is_set());
        termination.signal();
        assert!(early.is_set());
        let late = Arc::new(StopFlag::new());
        let late_guard = termination.register(Arc::clone(&late), Arc::new(Parker::new()));
        assert!(late.is_set());
        assert_eq!(late.cause(), Some(StopCause::Latch { signal: None }));
        drop(guard);
        drop(late_guard);
        assert_eq!(termination.registered(), 0);
    }

    #[test]
    fn the_first_cause_of_a_stop_is_kept() {
        let termination = AgentTermination::new();
        let stop = Arc::new(StopFlag::new());
        let _guard = termination.register(Arc::clone(&stop), Arc::new(Parker::new()));
        termination.signal_for(StopCause::Latch { signal: Some(15) });
        termination.signal();
        termination.signal_for(StopCause::Latch { signal: Some(2) });
        assert_eq!(stop.cause(), Some(StopCause::Latch { signal: Some(15) }));
        stop.request(StopCause::Runner);
        assert_eq!(stop.cause(), Some(StopCause::Latch { signal: Some(15) }));

        let closed = StopFlag::new();
        closed.request(StopCause::Runner);
        closed.request(StopCause::Latch { signal: None });
        assert_eq!(closed.cause(), Some(StopCause::Runner));
    }

    #[test]
    fn stop_causes_survive_their_encoding() {
        for cause in [
            StopCause::Runner,
            StopCause::Latch { signal: None },
            StopCause::Latch { signal: Some(2) },
            StopCause::Latch { signal: Some(15) },
            StopCause::Latch { signal: Some(64) },
        ] {
            assert_eq!(StopCause::from_word(cause.to_word()), Some(cause));
        }
        for nonsense in [0, -1, i32::MIN] {
            let word = StopCause::Latch { signal: Some(nonsense) }.to_word();
            assert_eq!(StopCause::from_word(word), Some(StopCause::Latch { signal: None }));
        }
    }

    #[test]
    fn signal_ends_the_park_of_a_registered_runner() {
        let termination = AgentTermination::new();
        let stop = Arc::new(StopFlag::new());
        let (tx, rx) = std::sync::mpsc::channel();
        let remote = termination.clone();
        let flag = Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            let parker = Arc::new(Parker::new());
            let _reg = remote.register(Arc::clone(&flag), Arc::clone(&parker));
            tx.send(()).unwrap();
            let start = Instant::now();
            while !flag.is_set() {
                parker.park_timeout(Duration::from_secs(60));
            }
            start.elapsed()
        });
        rx.recv().unwrap();
        termination.signal();
        assert!(t.join().unwrap() < Duration::from_secs(30));
    }
}
