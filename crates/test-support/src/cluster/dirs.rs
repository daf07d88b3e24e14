//! Where a cluster keeps its files, and removing those of runs that died.
//!
//! Each cluster gets a working directory `<tmp>/dutycycle-cluster-<pid>-<start>-<seq>` (the
//! nodes' `aeron-cluster-<id>` directories and logs) and media driver directories
//! `/dev/shm/dutycycle-cluster-<pid>-<start>-<seq>-<id>-driver`, where `<pid>` and `<start>`
//! (its start time in clock ticks since boot) name the process that owns them and `<seq>`
//! counts its clusters. A directory whose owner no longer runs is stale: the owner was killed
//! before its `Drop` could run. Pid and start time together tell a dead owner from a new
//! process that reuses its pid.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::NodeId;

const PREFIX: &str = "dutycycle-cluster-";

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// The directories of one cluster.
#[derive(Debug, Clone)]
pub(super) struct RunDirs {
    /// The nodes' working directory.
    pub(super) work: PathBuf,
    /// The `aeron.dir` given to the nodes; each node's driver adds `-<id>-driver`.
    pub(super) aeron: PathBuf,
}

impl RunDirs {
    /// Names the directories of a new cluster of this process.
    pub(super) fn new() -> io::Result<Self> {
        let pid = std::process::id();
        let start = start_time(pid).ok_or_else(|| io::Error::other("no /proc/self/stat"))?;
        // Relaxed: the counter only has to hand out distinct numbers.
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{pid}-{start}-{seq}");
        Ok(Self { work: std::env::temp_dir().join(&name), aeron: shm_root().join(name) })
    }

    /// The media driver directory of `node`.
    pub(super) fn driver(&self, node: NodeId) -> PathBuf {
        let mut name = self.aeron.clone().into_os_string();
        name.push(format!("-{node}-driver"));
        name.into()
    }

    /// Every directory of this cluster, whether it exists or not.
    pub(super) fn all(&self) -> Vec<PathBuf> {
        let mut all = vec![self.work.clone()];
        all.extend(NodeId::ALL.map(|node| self.driver(node)));
        all
    }

    /// Removes every directory of this cluster that exists.
    pub(super) fn remove(&self) -> io::Result<()> {
        let mut first_error = None;
        for dir in self.all() {
            match std::fs::remove_dir_all(&dir) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    first_error.get_or_insert(error);
                }
                _ => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Where media driver directories go: `/dev/shm` (memory), else the temporary directory.
fn shm_root() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes the directories of clusters whose owning process has died, and returns them.
pub(super) fn remove_stale() -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for root in [std::env::temp_dir(), shm_root()] {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((pid, start)) = name.to_str().and_then(owner) else {
                continue;
            };
            if start_time(pid) != Some(start) && std::fs::remove_dir_all(entry.path()).is_ok() {
                removed.push(entry.path());
            }
        }
    }
    removed
}

/// The owner (pid, start time) encoded in a directory name of ours, if it is one.
fn owner(name: &str) -> Option<(u32, u64)> {
    let mut fields = name.strip_prefix(PREFIX)?.split('-');
    let pid = fields.next()?.parse().ok()?;
    let start = fields.next()?.parse().ok()?;
    let _seq: u32 = fields.next()?.parse().ok()?;
    match (fields.next(), fields.next(), fields.next()) {
        (None, None, None) => {}
        (Some(id), Some("driver"), None) if id.parse::<u8>().is_ok() => {}
        _ => return None,
    }
    Some((pid, start))
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces and parentheses) start at field 3.
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_recognises_only_our_names() {
        assert_eq!(owner("dutycycle-cluster-12-345-0"), Some((12, 345)));
        assert_eq!(owner("dutycycle-cluster-12-345-7-2-driver"), Some((12, 345)));
        for name in [
            "dutycycle-cluster.lock",
            "dutycycle-cluster-12-345",
            "dutycycle-cluster-12-345-0-x-driver",
            "dutycycle-cluster-12-345-0-2-driver-extra",
            "dutycycle-gateway-12",
        ] {
            assert_eq!(owner(name), None, "{name}");
        }
    }

    #[test]
    fn dirs_of_a_dead_owner_are_removed_and_live_ones_kept() {
        // A pid with a start time that no process of this machine has: a dead owner.
        let me = std::process::id();
        let dead = std::env::temp_dir().join(format!("{PREFIX}{me}-0-99"));
        let live = RunDirs::new().unwrap();
        for dir in [&dead, &live.work] {
            std::fs::create_dir_all(dir.join("inner")).unwrap();
        }
        let removed = remove_stale();
        assert!(removed.contains(&dead), "{removed:?}");
        assert!(!dead.exists());
        assert!(live.work.exists());
        live.remove().unwrap();
        assert!(!live.work.exists());
    }

    #[test]
    fn start_time_of_this_process_is_known() {
        assert!(start_time(std::process::id()).is_some());
    }
}
