//! Pinning, CPU time of threads, timer slack.

/// Pins the calling thread to `cpu`; panics if that is impossible (a benchmark on a CPU other
/// than the one it says would be a lie).
pub fn pin(cpu: usize) {
    assert!(core_affinity::set_for_current(core_affinity::CoreId { id: cpu }), "cannot pin to CPU {cpu}");
}

/// Lets the calling thread run on every online CPU again.
///
/// The micro-benchmarks pin the main thread to CPU 0 for one group and free it before
/// starting a runner for the next, so that no runner inherits the main thread's mask.
pub fn unpin() {
    // SAFETY: cpu_set_t is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: sysconf has no preconditions.
    let cpus = usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }).unwrap_or(1).max(1);
    for cpu in 0..cpus {
        // SAFETY: `set` is a valid cpu_set_t and `cpu` is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `set` is a valid cpu_set_t of the size passed; 0 is the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(rc, 0, "sched_setaffinity");
}

/// Spawns a thread pinned to `cpu`.
pub fn spawn_pinned<T: Send + 'static>(
    name: &str,
    cpu: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            pin(cpu);
            f()
        })
        .expect("spawn a benchmark thread")
}

/// The calling thread's CPU time (user + system) in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    read_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn read_clock(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime({clock})");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A thread's CPU-time clock, readable from any thread of the process while that thread
/// lives (`pthread_getcpuclockid`): the idle-cost scenario reads an agent's CPU time without
/// waking it.
#[derive(Debug, Clone, Copy)]
pub struct ThreadClock(libc::clockid_t);

impl ThreadClock {
    /// The calling thread's clock.
    pub fn current() -> ThreadClock {
        let mut clock: libc::clockid_t = 0;
        // SAFETY: pthread_self() is the live calling thread; `clock` is writable.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
        assert_eq!(rc, 0, "pthread_getcpuclockid");
        ThreadClock(clock)
    }

    /// The thread's CPU time so far, in nanoseconds. Only valid while the thread lives.
    pub fn read_ns(self) -> u64 {
        read_clock(self.0)
    }
}

// Timer slack: shared with the tests, which check the runner's option with the same calls.
pub use dutycycle_test_support::thread::{set_timer_slack, timer_slack_ns};

/// `futex(FUTEX_WAKE_PRIVATE)` on a word nobody waits on: the cheapest possible wake-up
/// system call, the baseline that shows `wake()` on a running agent makes none.
pub fn futex_wake_nobody(word: &std::sync::atomic::AtomicU32) -> i64 {
    // SAFETY: `word` is a valid, aligned u32 that lives across the call; FUTEX_WAKE only reads
    // the address as a key.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1, 0, 0, 0)
    }
}

/// The load averages of `/proc/loadavg` (1, 5, 15 minutes); `Display` prints them as
/// `0.52 0.61 0.70`.
#[derive(Debug, Clone, Copy)]
pub struct LoadAverage(pub [f64; 3]);

impl std::fmt::Display for LoadAverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [one, five, fifteen] = self.0;
        write!(f, "{one:.2} {five:.2} {fifteen:.2}")
    }
}

/// The load averages now (`NaN` where `/proc/loadavg` cannot be read).
pub fn load_average() -> LoadAverage {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(|s| s.parse().unwrap_or(f64::NAN));
    LoadAverage([it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN)])
}

/// Seconds of CPU time the hypervisor gave to other guests while this one wanted to run
/// (the `steal` column of `/proc/stat`, all CPUs), for the record of a run.
pub fn steal_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(8))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_averages_print_with_two_decimals_and_read_from_proc() {
        assert_eq!(LoadAverage([0.5, 1.234, 12.0]).to_string(), "0.50 1.23 12.00");
        assert!(load_average().0.iter().all(|x| x.is_finite() && *x >= 0.0));
    }
}
