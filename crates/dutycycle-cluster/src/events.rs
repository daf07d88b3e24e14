//! The session's life through [`tracing`](https://docs.rs/tracing) when the `tracing` feature is
//! on: one `DEBUG` event per step (connect begun, redirected, connected, a new leader followed
//! or lost, the session ended or closed), target `dutycycle_cluster`, named after the step,
//! with the field `thread` (the OS name of the thread that polls the client: its agent's) and
//! the step's own fields. `docs/CLUSTER.md` ("Logs") lists them.
//!
//! Without the feature every function here is empty and inlined away. Events are emitted when
//! the session changes state only, never per poll.

use crate::{CloseOutcome, ClusterError};

/// One `DEBUG` event named `$name` (its message too), target `dutycycle_cluster`, with the
/// emitting thread's name and the given fields.
#[cfg(feature = "tracing")]
macro_rules! step {
    ($name:literal, $($fields:tt)*) => {
        tracing::debug!(
            name: $name,
            target: "dutycycle_cluster",
            thread = %dutycycle::OsThreadName::current(),
            $($fields)*,
            $name
        )
    };
}

/// The connect began: the egress subscription is being added; ingress goes to `members`
/// publications on `ingress_channel` (one for IPC or multicast, one per member otherwise).
#[inline(always)]
pub(crate) fn connecting(ingress_channel: &str, members: usize, egress_channel: &dyn std::fmt::Display) {
    #[cfg(feature = "tracing")]
    step!("connecting", ingress_channel, members, egress_channel = %egress_channel);
    #[cfg(not(feature = "tracing"))]
    let _ = (ingress_channel, members, egress_channel);
}

/// A follower answered the connect request: the connect goes on to the leader it named.
#[inline(always)]
pub(crate) fn redirected(leader_member_id: i32) {
    #[cfg(feature = "tracing")]
    step!("redirected", leader_member_id);
    #[cfg(not(feature = "tracing"))]
    let _ = leader_member_id;
}

/// The session is open.
#[inline(always)]
pub(crate) fn connected(cluster_session_id: i64, leadership_term_id: i64, leader_member_id: i32) {
    #[cfg(feature = "tracing")]
    step!("connected", cluster_session_id, leadership_term_id, leader_member_id);
    #[cfg(not(feature = "tracing"))]
    let _ = (cluster_session_id, leadership_term_id, leader_member_id);
}

/// A NewLeaderEvent came (a failover): ingress is being pointed at the new leader.
#[inline(always)]
pub(crate) fn new_leader(cluster_session_id: i64, leadership_term_id: i64, leader_member_id: i32) {
    #[cfg(feature = "tracing")]
    step!("new_leader", cluster_session_id, leadership_term_id, leader_member_id);
    #[cfg(not(feature = "tracing"))]
    let _ = (cluster_session_id, leadership_term_id, leader_member_id);
}

/// Ingress reached the new leader (a keep-alive went first): the session is connected again.
#[inline(always)]
pub(crate) fn new_leader_connected(cluster_session_id: i64, leader_member_id: i32) {
    #[cfg(feature = "tracing")]
    step!("new_leader_connected", cluster_session_id, leader_member_id);
    #[cfg(not(feature = "tracing"))]
    let _ = (cluster_session_id, leader_member_id);
}

/// The leader was lost with no NewLeaderEvent (its egress image closed, or an offer or a
/// keep-alive found ingress not connected): the client waits up to `timeout_ms` for one.
#[inline(always)]
pub(crate) fn leader_lost(cluster_session_id: i64, leader_member_id: i32, timeout_ms: u128) {
    #[cfg(feature = "tracing")]
    step!("leader_lost", cluster_session_id, leader_member_id, timeout_ms = timeout_ms as u64);
    #[cfg(not(feature = "tracing"))]
    let _ = (cluster_session_id, leader_member_id, timeout_ms);
}

/// The connect failed or the session ended without being asked to (closed by the cluster, no
/// new leader in time, ...): `error` says why; its Aeron resources are released.
#[inline(always)]
pub(crate) fn session_ended(error: &ClusterError) {
    #[cfg(feature = "tracing")]
    step!("session_ended", error = error as &(dyn std::error::Error + 'static));
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// The client was closed by its owner (`cluster_session_id` is absent when no session was
/// open yet): `outcome` says whether the cluster was told.
#[inline(always)]
pub(crate) fn closed(cluster_session_id: Option<i64>, outcome: CloseOutcome) {
    #[cfg(feature = "tracing")]
    step!("closed", cluster_session_id, outcome = ?outcome);
    #[cfg(not(feature = "tracing"))]
    let _ = (cluster_session_id, outcome);
}
