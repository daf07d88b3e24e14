//! The operating system's view of a thread: its kernel id and name, the CPUs it may run on
//! and runs on, its timer slack; and a lock that keeps CPU-hungry tests apart.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Held by tests that spin (BusySpin, NoOp, Yield), pin, or run media drivers, so that no two
/// of them in one test binary compete for the machine's few CPUs.
///
/// # Examples
///
/// ```
/// let _cpu = dutycycle_test_support::thread::exclusive_cpu();
/// // ... a test that spins; the next such test of this binary waits for the guard's drop.
/// # assert!(dutycycle_test_support::thread::current_cpu() < 4096);
/// ```
pub fn exclusive_cpu() -> MutexGuard<'static, ()> {
    static CPU: Mutex<()> = Mutex::new(());
    // A test that panicked while holding it leaves nothing to repair.
    CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The kernel's id of the calling thread.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::gettid;
///
/// let main = gettid();
/// let other = std::thread::spawn(gettid).join().unwrap();
/// assert_ne!(main, other);
/// ```
pub fn gettid() -> libc::pid_t {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// The calling thread's name as the kernel holds it (`/proc/self/task/<tid>/comm`).
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::os_thread_name;
///
/// let name = std::thread::Builder::new().name("probe".into()).spawn(os_thread_name)?.join().unwrap();
/// assert_eq!(name, "probe");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn os_thread_name() -> String {
    let comm = std::fs::read_to_string(format!("/proc/self/task/{}/comm", gettid())).unwrap();
    comm.trim_end_matches('\n').to_owned()
}

fn cpu_set_to_vec(set: &libc::cpu_set_t) -> Vec<usize> {
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: every index is below CPU_SETSIZE.
    (0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, set) }).collect()
}

/// The CPUs this process may run on (the main thread's affinity).
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::{current_cpu, process_allowed_cores};
///
/// assert!(process_allowed_cores().contains(&current_cpu()));
/// ```
pub fn process_allowed_cores() -> Vec<usize> {
    // SAFETY: all-zero is a valid cpu_set_t.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a writable cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_getaffinity(libc::getpid(), std::mem::size_of_val(&set), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    cpu_set_to_vec(&set)
}

/// The CPUs the calling thread may run on.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::{current_cpu, current_thread_affinity};
///
/// assert!(current_thread_affinity().contains(&current_cpu()));
/// ```
pub fn current_thread_affinity() -> Vec<usize> {
    // SAFETY: all-zero is a valid cpu_set_t.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; `set` is a writable cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    cpu_set_to_vec(&set)
}

/// The CPU the calling thread runs on now.
///
/// # Examples
///
/// ```
/// let cpu = dutycycle_test_support::thread::current_cpu();
/// assert!(cpu < 8 * std::mem::size_of::<libc::cpu_set_t>());
/// ```
pub fn current_cpu() -> usize {
    // SAFETY: sched_getcpu has no preconditions.
    usize::try_from(unsafe { libc::sched_getcpu() }).unwrap()
}

/// The calling thread's timer slack (`PR_GET_TIMERSLACK`), in nanoseconds.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::timer_slack_ns;
///
/// // Linux's default, inherited from the parent, is 50 µs; never zero.
/// assert!(timer_slack_ns() > 0);
/// ```
pub fn timer_slack_ns() -> u64 {
    // SAFETY: PR_GET_TIMERSLACK takes no pointer and returns the slack.
    let slack = unsafe {
        libc::prctl(
            libc::PR_GET_TIMERSLACK,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    u64::try_from(slack).expect("PR_GET_TIMERSLACK cannot fail")
}

/// Sets the calling thread's timer slack (`PR_SET_TIMERSLACK`); `None` restores the default
/// (the process's default slack, 50 µs on Linux). Panics if the kernel refuses.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::thread::{set_timer_slack, timer_slack_ns};
/// use std::time::Duration;
///
/// std::thread::spawn(|| {
///     set_timer_slack(Some(Duration::from_micros(5)));
///     assert_eq!(timer_slack_ns(), 5_000);
/// })
/// .join()
/// .unwrap();
/// ```
pub fn set_timer_slack(slack: Option<Duration>) {
    let ns = slack.map_or(0, |s| s.as_nanos().max(1) as libc::c_ulong);
    // SAFETY: PR_SET_TIMERSLACK takes an unsigned long by value and touches no memory.
    let rc = unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, ns, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong)
    };
    assert_eq!(rc, 0, "PR_SET_TIMERSLACK: {}", std::io::Error::last_os_error());
}
