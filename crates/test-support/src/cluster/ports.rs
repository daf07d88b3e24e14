//! The nodes' fixed UDP ports, and waiting until they are free.
//!
//! The lock keeps clusters of well-behaved processes apart, but the ports can still be taken
//! when a cluster starts: by the JVMs of a killed run, which the kernel is still tearing down
//! after their parent died and released the lock, or by a cluster started without the lock.

use std::net::{Ipv4Addr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use super::NodeId;

/// Port offsets from `9000 + 100·id` that the echo service node binds: archive control,
/// client ingress, consensus, log and catch-up.
const OFFSETS: [u16; 5] = [1, 2, 3, 4, 5];

/// How long [`wait_until_free`] waits for ports to be released.
pub(super) const PORTS_TIMEOUT: Duration = Duration::from_secs(30);

/// Every UDP port the three nodes bind on 127.0.0.1.
pub(super) fn all() -> impl Iterator<Item = u16> {
    NodeId::ALL.into_iter().flat_map(|node| OFFSETS.map(|offset| 9000 + 100 * u16::from(node.get()) + offset))
}

/// The ports among `ports` that cannot be bound on 127.0.0.1 now.
fn busy(ports: &[u16]) -> Vec<u16> {
    ports.iter().copied().filter(|&port| UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_err()).collect()
}

/// Waits up to `timeout` until every port of `ports` is free; returns those still taken after
/// that.
pub(super) fn wait_until_free(ports: &[u16], timeout: Duration) -> Result<(), Vec<u16>> {
    let deadline = Instant::now() + timeout;
    loop {
        let busy = busy(ports);
        if busy.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(busy);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_a_taken_port_is_released() {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = socket.local_addr().unwrap().port();
        assert_eq!(wait_until_free(&[port], Duration::from_millis(100)), Err(vec![port]));
        let release = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            drop(socket);
        });
        assert_eq!(wait_until_free(&[port], Duration::from_secs(10)), Ok(()));
        release.join().unwrap();
    }

    #[test]
    fn the_ports_follow_the_samples_layout() {
        let ports: Vec<u16> = all().collect();
        assert_eq!(ports.len(), 15);
        assert_eq!(&ports[..5], &[9001, 9002, 9003, 9004, 9005]);
        assert_eq!(ports[14], 9205);
    }
}
