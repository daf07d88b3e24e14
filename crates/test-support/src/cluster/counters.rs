//! A node's role and election state, read from its media driver's counters (`cnc.dat`).
//!
//! Every consensus module publishes its role (`Cluster node role`, type 201) and its election
//! state (`Cluster election state`, type 207) as counters in its media driver's
//! command-and-control file. Reading them costs a few `pread`s of tmpfs, where asking Aeron's
//! `ClusterTool` would start a JVM per question, a CPU-second each on a small machine.
//!
//! The file's layout (Aeron's `CncFileDescriptor`, version 0.2.x): a 128-byte header of
//! little-endian fields (buffer lengths at 4..24, the driver's pid at 40), then the to-driver
//! ring buffer, the to-clients broadcast buffer, the counters' metadata (512-byte records:
//! state i32 at 0, type id i32 at 4) and the counters' values (128-byte records: value i64 at
//! 0). Records are allocated from the front; the first unused one ends the scan.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

const HEADER_LENGTH: u64 = 128;
const METADATA_RECORD: u64 = 512;
const VALUE_RECORD: u64 = 128;
const RECORD_UNUSED: i32 = 0;
const RECORD_ALLOCATED: i32 = 1;
const CNC_MAJOR_VERSION: i32 = 0;

const NODE_ROLE_TYPE_ID: i32 = 201;
const ELECTION_STATE_TYPE_ID: i32 = 207;

/// Aeron's `Cluster.Role.LEADER`.
const ROLE_LEADER: i64 = 2;
/// Aeron's `Cluster.Role.FOLLOWER`.
const ROLE_FOLLOWER: i64 = 0;
/// Aeron's `ElectionState.CLOSED`: no election in progress.
const ELECTION_CLOSED: i64 = 17;

/// A node's part in the cluster, as its consensus module last published it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    /// Leader, election over: accepts client sessions.
    Leader,
    /// Follower, election over.
    Follower,
    /// Starting, or in an election.
    Electing,
}

/// Reads the standing of the node whose media driver directory is `driver_dir`, if that
/// driver is the process `pid` and its consensus module has published both counters.
pub(super) fn standing(driver_dir: &Path, pid: u32) -> Option<Standing> {
    let file = File::open(driver_dir.join("cnc.dat")).ok()?;
    let mut header = [0u8; HEADER_LENGTH as usize];
    file.read_exact_at(&mut header, 0).ok()?;
    let i32_at = |at: usize| i32::from_le_bytes(header[at..at + 4].try_into().unwrap());
    let version = i32_at(0);
    // Aeron's SemanticVersion puts the major version in bits 16..24; 0 until the driver has
    // finished writing the header.
    if version == 0 || (version >> 16) & 0xff != CNC_MAJOR_VERSION {
        return None;
    }
    // A file left by an earlier driver in the same directory is not this node's.
    let driver_pid = i64::from_le_bytes(header[40..48].try_into().unwrap());
    if driver_pid != i64::from(pid) {
        return None;
    }
    let length = |at: usize| u64::try_from(i32_at(at)).ok();
    let metadata_offset = HEADER_LENGTH + length(4)? + length(8)?;
    let metadata_length = length(12)?;
    let values_offset = metadata_offset + metadata_length;

    let (mut role, mut election) = (None, None);
    let mut record = [0u8; 8];
    for index in 0..metadata_length / METADATA_RECORD {
        file.read_exact_at(&mut record, metadata_offset + index * METADATA_RECORD).ok()?;
        let state = i32::from_le_bytes(record[0..4].try_into().unwrap());
        let type_id = i32::from_le_bytes(record[4..8].try_into().unwrap());
        if state == RECORD_UNUSED {
            break;
        }
        if state != RECORD_ALLOCATED {
            continue;
        }
        let slot = match type_id {
            NODE_ROLE_TYPE_ID => &mut role,
            ELECTION_STATE_TYPE_ID => &mut election,
            _ => continue,
        };
        let mut value = [0u8; 8];
        file.read_exact_at(&mut value, values_offset + index * VALUE_RECORD).ok()?;
        *slot = Some(i64::from_le_bytes(value));
        if role.is_some() && election.is_some() {
            break;
        }
    }
    Some(match (role?, election?) {
        (ROLE_LEADER, ELECTION_CLOSED) => Standing::Leader,
        (ROLE_FOLLOWER, ELECTION_CLOSED) => Standing::Follower,
        _ => Standing::Electing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a cnc.dat as Aeron lays it out, with the given counters.
    fn write_cnc(dir: &Path, pid: u32, counters: &[(i32, i32, i64)]) {
        let (to_driver, to_clients) = (1024u64, 512u64);
        let metadata_length = 16 * METADATA_RECORD;
        let values_length = 16 * VALUE_RECORD;
        let mut bytes =
            vec![0u8; (HEADER_LENGTH + to_driver + to_clients + metadata_length + values_length) as usize];
        bytes[0..4].copy_from_slice(&0x0200i32.to_le_bytes());
        for (at, value) in [(4, to_driver), (8, to_clients), (12, metadata_length), (16, values_length)] {
            bytes[at..at + 4].copy_from_slice(&(value as i32).to_le_bytes());
        }
        bytes[40..48].copy_from_slice(&i64::from(pid).to_le_bytes());
        let metadata = (HEADER_LENGTH + to_driver + to_clients) as usize;
        let values = metadata + metadata_length as usize;
        for (index, (state, type_id, value)) in counters.iter().enumerate() {
            let at = metadata + index * METADATA_RECORD as usize;
            bytes[at..at + 4].copy_from_slice(&state.to_le_bytes());
            bytes[at + 4..at + 8].copy_from_slice(&type_id.to_le_bytes());
            let at = values + index * VALUE_RECORD as usize;
            bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
        }
        std::fs::write(dir.join("cnc.dat"), bytes).unwrap();
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir()
            .join(format!("dutycycle-test-support-counters-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_role_and_election_state_of_the_matching_driver() {
        let dir = scratch("standing");
        let counters = |role, election| {
            [
                (RECORD_ALLOCATED, 1, 99),
                (-1, NODE_ROLE_TYPE_ID, ROLE_LEADER), // reclaimed: ignored
                (RECORD_ALLOCATED, ELECTION_STATE_TYPE_ID, election),
                (RECORD_ALLOCATED, NODE_ROLE_TYPE_ID, role),
            ]
        };
        write_cnc(&dir, 42, &counters(ROLE_LEADER, ELECTION_CLOSED));
        assert_eq!(standing(&dir, 42), Some(Standing::Leader));
        assert_eq!(standing(&dir, 43), None, "another driver's file");
        write_cnc(&dir, 42, &counters(ROLE_FOLLOWER, ELECTION_CLOSED));
        assert_eq!(standing(&dir, 42), Some(Standing::Follower));
        write_cnc(&dir, 42, &counters(ROLE_LEADER, 8));
        assert_eq!(standing(&dir, 42), Some(Standing::Electing));
        write_cnc(&dir, 42, &[(RECORD_ALLOCATED, NODE_ROLE_TYPE_ID, ROLE_LEADER)]);
        assert_eq!(standing(&dir, 42), None, "no election counter yet");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(standing(&dir, 42), None, "no file");
    }
}
