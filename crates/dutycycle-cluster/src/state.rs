//! [`ClusterState`] and [`ConnectStep`]: where a [`ClusterClient`](crate::ClusterClient) is.

use std::fmt;

/// Where a [`ClusterClient`](crate::ClusterClient) is, after its last call on the owning
/// thread. The states of Java's `AeronCluster` (with its `AsyncConnect` as `Connecting`):
///
/// - `Connecting` → `Connected` on the cluster's OK.
/// - `Connected` → `AwaitingNewLeader` when the leader's egress image closes or an offer (an
///   application message, an admin request, a keep-alive) finds ingress not connected; →
///   `AwaitingNewLeaderConnection` on a NewLeaderEvent.
/// - `AwaitingNewLeader` → `AwaitingNewLeaderConnection` on a NewLeaderEvent; → `PendingClose`
///   after the new leader timeout.
/// - `AwaitingNewLeaderConnection` → `Connected` once the keep-alive to the new leader went
///   out; → `AwaitingNewLeader` when its egress image closes; → `PendingClose` after the
///   message timeout.
/// - An open state → `PendingClose` on a CLOSED session event, an offer that finds the
///   ingress publication past its maximum position, or an expired deadline; `PendingClose` →
///   `Closed` at the end of that poll, or of the next one after an offer.
/// - Any state → `Closed` on [`close`](crate::ClusterClient::close), and from `Connecting` on
///   any error of the connect (a refusal, the message timeout, a failed Aeron call, ...).
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::{ClusterState, ConnectStep};
///
/// let state = ClusterState::Connecting(ConnectStep::AwaitResponse);
/// assert!(!state.is_connected());
/// assert_eq!(state.to_string(), "connecting (awaiting the cluster's response)");
/// assert!(ClusterState::Connected.is_connected());
/// assert!(ClusterState::PendingClose.is_ending() && !ClusterState::PendingClose.is_closed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterState {
    /// Opening a session (Java's `AsyncConnect`), at this step.
    Connecting(ConnectStep),
    /// The session is open and ingress goes to the leader: offers go out.
    Connected,
    /// The leader was lost (its egress went away, or ingress stopped connecting): waiting for
    /// a NewLeaderEvent until the new leader timeout.
    AwaitingNewLeader,
    /// A new leader was announced: connecting ingress to it, then sending a keep-alive,
    /// within the message timeout.
    AwaitingNewLeaderConnection,
    /// The session is ending (Java's `PENDING_CLOSE`): its ingress publication is closed and
    /// nothing more is sent; the next [`poll`](crate::ClusterClient::poll) delivers what egress
    /// still holds, closes the rest and returns why the session ended. Seen between an
    /// [`offer`](crate::ClusterClient::offer) that met the publication's maximum position and
    /// that poll.
    PendingClose,
    /// The session is over (closed by the client or the cluster, or timed out); every Aeron
    /// resource of the client is closed.
    Closed,
}

impl ClusterState {
    /// Whether offers can go out (the session is open and ingress reaches the leader).
    pub fn is_connected(&self) -> bool {
        matches!(self, ClusterState::Connected)
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self, ClusterState::Closed)
    }

    /// Whether the session is over or ending: nothing can be sent in it any more.
    pub fn is_ending(&self) -> bool {
        matches!(self, ClusterState::PendingClose | ClusterState::Closed)
    }
}

impl fmt::Display for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterState::Connecting(step) => write!(f, "connecting ({step})"),
            ClusterState::Connected => f.write_str("connected"),
            ClusterState::AwaitingNewLeader => f.write_str("awaiting a new leader"),
            ClusterState::AwaitingNewLeaderConnection => f.write_str("connecting to the new leader"),
            ClusterState::PendingClose => f.write_str("closing"),
            ClusterState::Closed => f.write_str("closed"),
        }
    }
}

/// The steps of a connect (Java's `AsyncConnect.State`), each taken in a later duty cycle than
/// the one before, none waiting.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::ConnectStep;
///
/// assert_eq!(ConnectStep::AddEgressSubscription.to_string(), "adding the egress subscription");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectStep {
    /// Adding the egress subscription (asynchronously).
    AddEgressSubscription,
    /// Adding the one ingress publication of an IPC or multicast ingress.
    AddIngressPublication,
    /// Waiting for the egress channel's port to resolve and for an ingress publication (one
    /// per member, added asynchronously) to connect: the first to connect is used.
    AwaitIngressConnected,
    /// Offering the connect request (or a challenge response) until it goes out.
    SendRequest,
    /// Polling egress for the answer: OK, a challenge, a redirect, or a refusal.
    AwaitResponse,
}

impl fmt::Display for ConnectStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectStep::AddEgressSubscription => "adding the egress subscription",
            ConnectStep::AddIngressPublication => "adding the ingress publication",
            ConnectStep::AwaitIngressConnected => "awaiting an ingress connection",
            ConnectStep::SendRequest => "sending the request",
            ConnectStep::AwaitResponse => "awaiting the cluster's response",
        })
    }
}
