//! [`DriverThread`]: the media driver's threads, as Aeron names them.

use std::fmt;

use crate::ThreadingMode;

/// One of the media driver's duty cycles that can run on a thread of its own, as Aeron names
/// it: what [`MediaDriverConfig::thread_core`](crate::MediaDriverConfig::thread_core) and
/// [`thread_idle_strategy`](crate::MediaDriverConfig::thread_idle_strategy) place.
///
/// Which of them exist depends on the [`ThreadingMode`]:
///
/// | mode | threads |
/// |---|---|
/// | [`Shared`](ThreadingMode::Shared) | [`Shared`](DriverThread::Shared) (conductor, sender and receiver) |
/// | [`SharedNetwork`](ThreadingMode::SharedNetwork) | [`Conductor`](DriverThread::Conductor), [`SharedNetwork`](DriverThread::SharedNetwork) (sender and receiver) |
/// | [`Dedicated`](ThreadingMode::Dedicated) | [`Conductor`](DriverThread::Conductor), [`Sender`](DriverThread::Sender), [`Receiver`](DriverThread::Receiver) |
///
/// A [`MediaDriverAgent`](crate::MediaDriverAgent) runs the conductor's (or, in `Shared`
/// mode, the shared) duty cycle itself, on whatever thread runs the agent; Aeron starts the
/// others as threads of its own. [`is_run_by_agent`](DriverThread::is_run_by_agent) says
/// which is which. A [`MediaDriver`](crate::MediaDriver) runs every one on a thread of
/// Aeron's.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{DriverThread, ThreadingMode};
///
/// assert_eq!(DriverThread::threads_of(ThreadingMode::Dedicated),
///            [DriverThread::Conductor, DriverThread::Sender, DriverThread::Receiver]);
/// assert!(DriverThread::SharedNetwork.exists_in(ThreadingMode::SharedNetwork));
/// assert!(!DriverThread::Sender.exists_in(ThreadingMode::Shared));
/// assert!(DriverThread::Conductor.is_run_by_agent());
/// assert!(!DriverThread::Sender.is_run_by_agent());
/// assert_eq!(DriverThread::SharedNetwork.to_string(), "shared-network");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriverThread {
    /// The conductor: clients' commands, resource lifecycles, timers. In
    /// [`SharedNetwork`](ThreadingMode::SharedNetwork) and [`Dedicated`](ThreadingMode::Dedicated)
    /// mode.
    Conductor,
    /// The sender: sends the data of network publications. In
    /// [`Dedicated`](ThreadingMode::Dedicated) mode.
    Sender,
    /// The receiver: receives the data of network subscriptions. In
    /// [`Dedicated`](ThreadingMode::Dedicated) mode.
    Receiver,
    /// The sender and the receiver in one duty cycle. In
    /// [`SharedNetwork`](ThreadingMode::SharedNetwork) mode.
    SharedNetwork,
    /// Conductor, sender and receiver in one duty cycle. In [`Shared`](ThreadingMode::Shared)
    /// mode.
    Shared,
}

impl DriverThread {
    /// Every thread, in the order [`threads_of`](DriverThread::threads_of) lists them.
    pub const ALL: [DriverThread; 5] = [
        DriverThread::Conductor,
        DriverThread::Sender,
        DriverThread::Receiver,
        DriverThread::SharedNetwork,
        DriverThread::Shared,
    ];

    /// The threads a driver in `mode` runs, the one that holds the conductor first.
    pub fn threads_of(mode: ThreadingMode) -> &'static [DriverThread] {
        match mode {
            ThreadingMode::Shared => &[DriverThread::Shared],
            ThreadingMode::SharedNetwork => &[DriverThread::Conductor, DriverThread::SharedNetwork],
            ThreadingMode::Dedicated => {
                &[DriverThread::Conductor, DriverThread::Sender, DriverThread::Receiver]
            }
        }
    }

    /// Whether a driver in `mode` runs this thread.
    pub fn exists_in(self, mode: ThreadingMode) -> bool {
        Self::threads_of(mode).contains(&self)
    }

    /// Whether a [`MediaDriverAgent`](crate::MediaDriverAgent) runs this duty cycle itself, on
    /// the thread that drives the agent: the conductor and the shared duty cycle (the driver's
    /// main duty cycle). Aeron starts threads for the others; a
    /// [`MediaDriver`](crate::MediaDriver) starts threads for all of them.
    pub fn is_run_by_agent(self) -> bool {
        matches!(self, DriverThread::Conductor | DriverThread::Shared)
    }

    /// The name of the thread in messages: `conductor`, `sender`, `receiver`,
    /// `shared-network`, `shared`.
    pub fn name(self) -> &'static str {
        match self {
            DriverThread::Conductor => "conductor",
            DriverThread::Sender => "sender",
            DriverThread::Receiver => "receiver",
            DriverThread::SharedNetwork => "shared-network",
            DriverThread::Shared => "shared",
        }
    }

    /// The role names Aeron gives the thread's agent (and the OS thread, cut to 15 bytes),
    /// under its old and its new thread naming (`AERON_DRIVER_THREAD_NAMING`).
    pub(crate) fn aeron_role_names(self) -> [&'static str; 2] {
        match self {
            DriverThread::Conductor => ["conductor", "aeron-md-cnd"],
            DriverThread::Sender => ["sender", "aeron-md-snd"],
            DriverThread::Receiver => ["receiver", "aeron-md-rcv"],
            DriverThread::SharedNetwork => ["[sender, receiver]", "aeron-md-net"],
            DriverThread::Shared => ["[conductor, sender, receiver]", "aeron-md-shd"],
        }
    }

    /// The thread whose agent Aeron starts under `role_name`, if it is one of these.
    pub(crate) fn from_aeron_role_name(role_name: &str) -> Option<DriverThread> {
        Self::ALL.into_iter().find(|thread| thread.aeron_role_names().contains(&role_name))
    }
}

impl fmt::Display for DriverThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_is_found_by_each_of_its_aeron_role_names() {
        for thread in DriverThread::ALL {
            for name in thread.aeron_role_names() {
                assert_eq!(DriverThread::from_aeron_role_name(name), Some(thread), "{name}");
            }
        }
        assert_eq!(DriverThread::from_aeron_role_name("aeron-md-nra"), None);
    }

    #[test]
    fn each_mode_runs_exactly_one_thread_holding_the_conductor() {
        for mode in [ThreadingMode::Shared, ThreadingMode::SharedNetwork, ThreadingMode::Dedicated] {
            let holders: Vec<_> =
                DriverThread::threads_of(mode).iter().filter(|t| t.is_run_by_agent()).collect();
            assert_eq!(holders.len(), 1, "{mode}");
        }
    }
}
