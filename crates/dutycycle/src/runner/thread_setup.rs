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

/// The CPUs a thread of this process may be pinned to, in ascending order: the set that
/// [`AgentRunnerBuilder::core`](crate::AgentRunnerBuilder::core) is checked against, for
/// programs that validate their own core options up front.
///
/// That is the kernel's rule for `sched_setaffinity`: any online CPU in the process's cpuset
/// (its cgroup's `cpuset.cpus.effective`, or v1's `cpuset.effective_cpus`). It is not the main
/// thread's affinity mask: a gateway that pins its main thread to a housekeeping core may still
/// pin its agents anywhere in the cpuset. Where neither file can be read, the online CPUs; where
/// that cannot be read either, the calling thread's own mask.
///
/// # Errors
///
/// The error of `sched_getaffinity` when nothing else could be read.
///
/// # Examples
///
/// ```
/// let cores = dutycycle::allowed_cores()?;
/// assert!(!cores.is_empty());
/// assert!(cores.windows(2).all(|w| w[0] < w[1]));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn allowed_cores() -> io::Result<Vec<usize>> {
    let online = read_cpu_list("/sys/devices/system/cpu/online");
    let allowed = match (cgroup_cpuset(), online) {
        (Some(cpuset), Some(online)) => cpuset.into_iter().filter(|c| online.contains(c)).collect(),
        (Some(cpuset), None) => cpuset,
        (None, Some(online)) => online,
        (None, None) => current_affinity()?,
    };
    // No cpu_set_t can hold a CPU at or above CPU_SETSIZE: never offer one.
    Ok(allowed.into_iter().filter(|&c| c < CPU_SETSIZE).collect())
}

const CPU_SETSIZE: usize = 8 * std::mem::size_of::<libc::cpu_set_t>();

/// The cpuset of this process's cgroup (v2 first, then v1), if one can be read.
fn cgroup_cpuset() -> Option<Vec<usize>> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let candidates: Vec<String> = if controllers.is_empty() {
            // v2: the nearest ancestor that has the file (the root always does when mounted).
            let mut dirs = vec![path.trim_end_matches('/').to_owned()];
            let mut dir = path.trim_end_matches('/');
            while let Some(i) = dir.rfind('/') {
                dir = &dir[..i];
                dirs.push(dir.to_owned());
            }
            ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
                .iter()
                .flat_map(|root| dirs.iter().map(move |d| format!("{root}{d}/cpuset.cpus.effective")))
                .collect()
        } else if controllers.split(',').any(|c| c == "cpuset") {
            let dir = format!("/sys/fs/cgroup/cpuset{}", path.trim_end_matches('/'));
            vec![format!("{dir}/cpuset.effective_cpus"), format!("{dir}/cpuset.cpus")]
        } else {
            continue;
        };
        if let Some(cpus) = candidates.iter().find_map(|f| read_cpu_list(f)) {
            return Some(cpus);
        }
    }
    None
}

/// Reads a kernel CPU list such as `0-3,8,10-11`; `None` when missing, empty or malformed.
fn read_cpu_list(path: &str) -> Option<Vec<usize>> {
    parse_cpu_list(std::fs::read_to_string(path).ok()?.trim())
}

fn parse_cpu_list(list: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if b < a || b >= CPU_SETSIZE {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.trim().parse().ok()?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    (!cpus.is_empty()).then_some(cpus)
}

/// The calling thread's affinity mask.
fn current_affinity() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable cpu_set_t of the size passed; 0 is the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `set` was filled by sched_getaffinity and every index is below CPU_SETSIZE.
    Ok((0..CPU_SETSIZE).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

/// Pins the calling thread to `core` (what a runner's [`core`](crate::AgentRunnerBuilder::core)
/// does on its agent thread), for threads a runner does not start, such as a library's own.
///
/// # Errors
///
/// `EINVAL` for a core at or above `CPU_SETSIZE` (1024) or one the OS refuses (not in the
/// process's allowed set: [`allowed_cores`] lists those), or the OS's error.
///
/// # Examples
///
/// ```
/// let core = dutycycle::allowed_cores()?[0];
/// std::thread::spawn(move || dutycycle::pin_current_thread(core)).join().unwrap()?;
/// assert!(dutycycle::pin_current_thread(4096).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn pin_current_thread(core: usize) -> io::Result<()> {
    if core >= CPU_SETSIZE {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: cpu_set_t is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `core` is below CPU_SETSIZE, so its bit lies inside `set`.
    unsafe { libc::CPU_SET(core, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed; 0 is the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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
    fn cpu_lists_parse_like_the_kernel_writes_them() {
        assert_eq!(parse_cpu_list("0-3,8,10-11"), Some(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list("1"), Some(vec![1]));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-99999"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn allowed_cores_include_the_current_cpu() {
        let cores = allowed_cores().unwrap();
        assert!(!cores.is_empty());
        assert!(cores.contains(&current_cpu().unwrap()));
    }
}
