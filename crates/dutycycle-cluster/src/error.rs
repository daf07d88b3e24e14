//! [`ClusterError`] and [`OfferError`]: what went wrong with a cluster session.

use std::time::Duration;

use dutycycle_aeron::rusteron_client::{AeronCError, AeronOfferError};
use dutycycle_aeron::ClientError;

use crate::codec::{DecodeError, EncodeError};
use crate::{ClusterState, ConfigError, ConnectStep, EndpointsError};

/// What went wrong with a [`ClusterClient`](crate::ClusterClient). `Display` says what failed;
/// the cause, where there is one, is only in `source()`.
///
/// Each variant says whether it ends the session. After one that does, the client is
/// [`ClusterState::Closed`] with every Aeron resource closed, and
/// [`reconnect`](crate::ClusterClient::reconnect) opens a new session; after the others (a
/// malformed egress message, an Aeron call that failed) an open session goes on. While
/// connecting, every error ends the connect. The client's
/// [`state`](crate::ClusterClient::state) is the authority.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_cluster::{ClusterError, ConnectStep};
///
/// let err = ClusterError::ConnectTimeout {
///     step: ConnectStep::AwaitIngressConnected,
///     timeout: Duration::from_secs(5),
///     ingress: "0=127.0.0.1:9002 not connected".into(),
/// };
/// assert_eq!(err.to_string(), "no cluster session within the message timeout of 5s, still awaiting an ingress connection (0=127.0.0.1:9002 not connected)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The configuration is invalid; nothing was started.
    #[error("invalid cluster client configuration")]
    Config(#[source] ConfigError),
    /// The Aeron client for the session could not be made (from
    /// [`ClusterAgent::connect`](crate::ClusterAgent::connect)).
    #[error("no Aeron client for the cluster session")]
    Client(#[source] ClientError),
    /// Adding a publication or subscription failed (the driver refused the channel, say).
    /// Ends a connect; while following a new leader the add is tried again until the
    /// message timeout.
    #[error("adding the cluster {what} on {channel} stream {stream_id} failed")]
    Add {
        /// `"egress subscription"` or `"ingress publication"`.
        what: &'static str,
        /// The channel.
        channel: String,
        /// The stream.
        stream_id: i32,
        /// Aeron's error.
        #[source]
        source: AeronCError,
    },
    /// No session within the message timeout of starting the connect. Ends the session.
    #[error("no cluster session within the message timeout of {timeout:?}, still {step} ({ingress})")]
    ConnectTimeout {
        /// The step the connect was at.
        step: ConnectStep,
        /// The message timeout.
        timeout: Duration,
        /// The ingress publications' states, member by member.
        ingress: String,
    },
    /// The cluster answered the connect request with ERROR (a wrong protocol version, too
    /// many sessions, ...). Ends the session.
    #[error("the cluster refused the session: {detail}")]
    ConnectRejected {
        /// The cluster's reason.
        detail: String,
    },
    /// The cluster rejected the credentials. Ends the session.
    #[error("the cluster rejected the credentials: {detail}")]
    AuthenticationRejected {
        /// The cluster's reason.
        detail: String,
    },
    /// The ingress publication lost its connection while the connect request was being sent.
    /// Ends the session.
    #[error("ingress to cluster member {member_id} lost its connection while connecting")]
    ConnectionLost {
        /// The member (-1 for an IPC or multicast ingress).
        member_id: i32,
    },
    /// The cluster closed the session (a CLOSED session event: the service closed it, it timed
    /// out, or an election lost it). Ends the session.
    #[error("the cluster closed session {cluster_session_id}: {detail}")]
    SessionClosed {
        /// The session.
        cluster_session_id: i64,
        /// The cluster's reason.
        detail: String,
    },
    /// No new leader announced itself within the new leader timeout of losing the leader.
    /// Ends the session.
    #[error("no new cluster leader within {timeout:?} of losing the leader")]
    NewLeaderTimeout {
        /// The new leader timeout.
        timeout: Duration,
    },
    /// Ingress to the announced new leader did not connect within the message timeout. Ends
    /// the session.
    #[error("no ingress connection to new cluster leader {leader_member_id} within {timeout:?}")]
    NewLeaderConnectTimeout {
        /// The new leader.
        leader_member_id: i32,
        /// The message timeout.
        timeout: Duration,
    },
    /// The ingress publication reached its maximum position: an offer met it (and returned
    /// [`OfferError::MaxPositionExceeded`]), and the next poll closed the session.
    #[error("the cluster ingress publication reached its maximum position")]
    MaxPositionExceeded,
    /// A message on the open session's egress that does not decode (the first of a poll);
    /// the session goes on. A poll that ends the session reports only why it ended. While
    /// connecting, egress that does not decode is skipped, as Java's `EgressPoller` skips
    /// what it does not know: a malformed answer to the connect request shows only as a
    /// [`ConnectTimeout`](ClusterError::ConnectTimeout) at
    /// [`ConnectStep::AwaitResponse`].
    #[error("malformed message on cluster egress")]
    Decode(#[source] DecodeError),
    /// A message could not be encoded (a channel that is not ASCII, say). Ends a connect.
    #[error("cannot encode a cluster message")]
    Encode(#[source] EncodeError),
    /// The cluster sent ingress endpoints that do not parse. In a REDIRECT this ends the
    /// connect; in a NewLeaderEvent the client goes on (and times out unless a usable
    /// NewLeaderEvent follows).
    #[error("the cluster sent unusable ingress endpoints")]
    Endpoints(#[source] EndpointsError),
    /// The cluster named a leader missing from its own endpoint list: as
    /// [`Endpoints`](ClusterError::Endpoints).
    #[error("the cluster named leader {leader_member_id}, which its endpoints {endpoints:?} lack")]
    UnknownLeader {
        /// The leader named.
        leader_member_id: i32,
        /// The endpoints listed.
        endpoints: String,
    },
    /// A call into Aeron failed. An open session goes on (a failed egress poll, say); a
    /// connect ends, as on any error; from [`close`](crate::ClusterClient::close) the session
    /// is closed regardless.
    #[error("{call} failed")]
    Aeron {
        /// What was called.
        call: &'static str,
        /// Aeron's error.
        #[source]
        source: AeronCError,
    },
}

/// Why [`ClusterClient::offer`](crate::ClusterClient::offer) did not send a message. Nothing
/// was sent; [`is_retryable`](OfferError::is_retryable) says whether trying again later can
/// succeed.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::{ClusterState, OfferError};
///
/// let err = OfferError::NotConnected { state: ClusterState::AwaitingNewLeader };
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "not connected to the cluster leader (awaiting a new leader)");
/// assert!(!OfferError::NotConnected { state: ClusterState::Closed }.is_retryable());
/// assert!(!OfferError::NotConnected { state: ClusterState::PendingClose }.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// The client is not connected to the leader: connecting, following a new leader, or
    /// closed (see `state`). An offer that finds ingress disconnected moves the client to
    /// [`ClusterState::AwaitingNewLeader`] and says so here.
    #[error("not connected to the cluster leader ({state})")]
    NotConnected {
        /// The client's state.
        state: ClusterState,
    },
    /// Flow control or a full term: try again after a duty cycle.
    #[error("cluster ingress is back pressured")]
    BackPressured,
    /// The publication is busy with an administrative action: try again.
    #[error("cluster ingress is busy with an administrative action")]
    AdminAction,
    /// The ingress publication reached its maximum position: the session is
    /// [`PendingClose`](ClusterState::PendingClose), and the next poll closes it.
    #[error("the cluster ingress publication reached its maximum position")]
    MaxPositionExceeded,
    /// Aeron refused the offer (a message longer than the publication allows, say).
    #[error("offering to cluster ingress failed")]
    Aeron(#[source] AeronOfferError),
}

impl OfferError {
    /// Whether trying again later can succeed (the session is not over).
    pub fn is_retryable(&self) -> bool {
        match self {
            OfferError::NotConnected { state } => !state.is_ending(),
            OfferError::BackPressured | OfferError::AdminAction => true,
            OfferError::MaxPositionExceeded | OfferError::Aeron(_) => false,
        }
    }
}
