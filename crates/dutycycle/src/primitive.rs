//! The synchronisation primitives the crate is built on, in one place so that the model
//! checker can swap them: under `cfg(loom)` they come from `loom`, which explores every
//! interleaving of the atomics and locks that go through this module.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
}

/// Thread-locals: a thread of loom's model has its own, where std's would be shared by every
/// modelled thread (loom runs them all on one OS thread).
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::thread_local;

/// The thread's own park, for idle strategies used outside a runner's idle call (a runner's
/// parks on its [`Parker`](crate::parker::Parker)).
#[cfg(not(loom))]
pub(crate) mod thread {
    /// Parks the calling thread for up to `period` (or until unparked, or spuriously).
    #[inline]
    pub(crate) fn park_timeout(period: std::time::Duration) {
        std::thread::park_timeout(period);
    }
}

/// Under loom a timed park is modelled as a park that only an unpark ends: a model in which
/// a wake-up is lost then deadlocks, which loom reports. That proves more than "no wake-up is
/// lost for longer than one park period": none is lost at all.
#[cfg(loom)]
pub(crate) mod thread {
    pub(crate) fn park_timeout(_period: std::time::Duration) {
        loom::thread::park();
    }
}

/// Locks a mutex, ignoring poisoning: every critical section in this crate leaves its data
/// consistent before anything in it can panic, so a poisoned lock carries valid data.
pub(crate) fn lock<T>(mutex: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Waits on `condvar` with `guard` held until `done(&value)` holds, or `timeout` has passed
/// (`None`, or a deadline past the clock's range: no limit); returns whether `done` holds.
/// Ignores poisoning, as [`lock`] does.
pub(crate) fn wait_until<T>(
    condvar: &sync::Condvar,
    mut guard: sync::MutexGuard<'_, T>,
    timeout: Option<std::time::Duration>,
    mut done: impl FnMut(&T) -> bool,
) -> bool {
    let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
    while !done(&guard) {
        guard = match deadline {
            None => match condvar.wait(guard) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            },
            Some(deadline) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return false;
                }
                match condvar.wait_timeout(guard, left) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                }
            }
        };
    }
    true
}
