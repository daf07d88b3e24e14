//! The OS-level set-up of an agent thread on Linux: CPU affinity, name, timer slack.

use std::io;
use std::time::Duration;

/// Linux keeps at most 15 bytes of a thread's name (16 with the NUL).
pub(crate) const MAX_THREAD_NAME_BYTES: usize = 15;

/// `name` cut to at most 15 bytes at a character boundary, and at its first NUL.
pub(crate) fn truncate_thread_name(name: &str) -> &str {
    let name = name.split('\0').next().unwrap_or("");
    if name.len() <= MAX_THREAD_NAME_BYTES {
        return name;
    }
    let mut end = MAX_THREAD_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The CPUs this process may run on (its main thread's affinity mask), in ascending order.
pub(crate) fn allowed_cores() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable cpu_set_t of the size passed; pid is this process.
    let rc =
        unsafe { libc::sched_getaffinity(libc::getpid(), std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` was filled by sched_getaffinity and every index is below CPU_SETSIZE.
    Ok((0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

/// Pins the calling thread to `core`.
pub(crate) fn pin_current(core: usize) -> io::Result<()> {
    if core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
        Ok(())
    } else {
        Err(io::Error::other(format!("sched_setaffinity to CPU {core} failed")))
    }
}

/// The CPU the calling thread is running on right now.
#[cfg(test)]
pub(crate) fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

/// Sets the calling thread's timer slack (`PR_SET_TIMERSLACK`): how much later than asked the
/// kernel may end its sleeps and parks, to batch wake-ups. Linux's default is 50 µs.
pub(crate) fn set_timer_slack(slack: Duration) -> io::Result<()> {
    let ns = libc::c_ulong::try_from(slack.as_nanos()).unwrap_or(libc::c_ulong::MAX);
    // SAFETY: PR_SET_TIMERSLACK takes an unsigned long by value and touches no memory of ours.
    let rc = unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, ns, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Names the calling thread (as the kernel sees it: `/proc/self/task/*/comm`, `top -H`).
pub(crate) fn set_current_name(name: &str) {
    let name = truncate_thread_name(name);
    let mut buf = [0u8; MAX_THREAD_NAME_BYTES + 1];
    buf[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: `buf` is NUL-terminated (at most 15 bytes of name, the rest zero) and lives
    // across the call; pthread_self() is the calling thread.
    unsafe {
        libc::pthread_setname_np(libc::pthread_self(), buf.as_ptr().cast());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_at_a_character_boundary_within_15_bytes() {
        assert_eq!(truncate_thread_name("ticker"), "ticker");
        assert_eq!(truncate_thread_name("exactly-15-byte"), "exactly-15-byte");
        assert_eq!(truncate_thread_name("market-data-handler"), "market-data-han");
        // 'é' is two bytes: 14 ASCII + 'é' would be 16, so the 'é' goes.
        assert_eq!(truncate_thread_name("abcdefghijklmné"), "abcdefghijklmn");
        assert_eq!(truncate_thread_name("a\0b"), "a");
    }

    #[test]
    fn allowed_cores_include_the_current_cpu() {
        let cores = allowed_cores().unwrap();
        assert!(!cores.is_empty());
        assert!(cores.contains(&current_cpu().unwrap()));
    }
}
