//! The open session: egress polled to the listener, the leader followed (NewLeaderEvent,
//! or its loss when its egress image closes or an offer or a keep-alive finds ingress not
//! connected), the deadlines of both waits, and the end of a
//! session pending close, as Java's `pollEgress`, `onNewLeader`, `onDisconnected` and
//! `pollStateChanges`.

use std::time::Instant;

use super::{deadline, ClusterClient};
use crate::events;
use crate::{ClusterError, ClusterState, EgressListener};

impl ClusterClient {
    /// One turn of the open session, in Java's order (`pollEgress`, then
    /// `pollStateChanges`): up to 10 egress fragments to the listener (a NewLeaderEvent
    /// followed, a CLOSED event making the session pending close), the leader's image checked,
    /// then the state's timer: the deadline of a wait for a leader, the connection to a new
    /// leader, or the keep-alive. A session pending close is closed last, with its reason
    /// alone: a malformed message met in the same poll belongs to the session that ended, and
    /// is forgotten with it.
    pub(super) fn poll_session<L: EgressListener + ?Sized>(
        &mut self,
        now: Instant,
        listener: &mut L,
    ) -> Result<usize, ClusterError> {
        let mut work = self
            .egress
            .poll_session(self.cluster_session_id, listener, &mut self.found)
            .map_err(|source| ClusterError::Aeron { call: "aeron_subscription_poll", source })?;
        let mut deferred = None;
        if let Some((term, leader, image)) = self.found.new_leader.take() {
            work += 1;
            deferred = self.on_new_leader(now, term, leader, image).err();
        }
        if std::mem::take(&mut self.found.closed) {
            let closed = ClusterError::SessionClosed {
                cluster_session_id: self.cluster_session_id,
                detail: self.found.detail.clone(),
            };
            self.begin_close(closed);
        }
        if self.egress.is_image_closed()
            && matches!(self.state, ClusterState::Connected | ClusterState::AwaitingNewLeaderConnection)
        {
            self.on_disconnected(now);
            work += 1;
        }
        work += match self.state {
            ClusterState::AwaitingNewLeader if now >= self.deadline => {
                self.begin_close(ClusterError::NewLeaderTimeout { timeout: self.new_leader_timeout });
                0
            }
            ClusterState::AwaitingNewLeaderConnection if now >= self.deadline => {
                self.begin_close(ClusterError::NewLeaderConnectTimeout {
                    leader_member_id: self.leader_member_id,
                    timeout: self.settings.message_timeout,
                });
                0
            }
            ClusterState::AwaitingNewLeaderConnection => self.connect_to_new_leader(now)?,
            ClusterState::Connected if now >= self.keep_alive_deadline => self.keep_alive(now),
            _ => 0,
        };
        if let Some(reason) = self.end_pending_close() {
            return Err(reason);
        }
        if let Some(error) = deferred {
            return Err(error);
        }
        match self.found.decode_error.take() {
            Some(error) => Err(ClusterError::Decode(error)),
            None => Ok(work),
        }
    }

    /// The session ends for `reason` (Java's `PENDING_CLOSE`): the ingress publication closes
    /// now, everything else at the end of the current or the next poll, which reports
    /// `reason`.
    pub(super) fn begin_close(&mut self, reason: ClusterError) {
        if let Some(index) = self.ingress.take() {
            let _ = self.members[index].close();
        }
        self.state = ClusterState::PendingClose;
        self.pending_close.get_or_insert(reason);
    }

    /// Closes a session pending close: every Aeron resource released, the state `Closed`;
    /// the reason it ended.
    fn end_pending_close(&mut self) -> Option<ClusterError> {
        let reason = self.pending_close.take()?;
        let _ = self.release();
        Some(reason)
    }

    /// A NewLeaderEvent: adopt its term, leader and image, and point ingress at the new leader
    /// (Java's `onNewLeader`). The listener has heard of it already, in the poll.
    fn on_new_leader(
        &mut self,
        now: Instant,
        term: i64,
        leader: i32,
        image: i32,
    ) -> Result<(), ClusterError> {
        if self.state == ClusterState::PendingClose {
            return Ok(()); // the session is ending: no leader to follow
        }
        self.leadership_term_id = term;
        self.leader_member_id = leader;
        events::new_leader(self.cluster_session_id, term, leader);
        self.encode_header();
        self.egress.adopt_image(image);
        self.state = ClusterState::AwaitingNewLeaderConnection;
        self.deadline = deadline(now, self.settings.message_timeout);
        if let Some(index) = self.ingress.take() {
            let _ = self.members[index].close();
        }
        if !self.settings.endpoints {
            self.ingress = Some(0);
            return Ok(());
        }
        let endpoints = std::mem::take(&mut self.found.endpoints);
        let members = self.members_from(&endpoints, leader);
        self.found.endpoints = endpoints;
        self.replace_members(members?);
        self.ingress = self.members.iter().position(|m| m.id == leader);
        Ok(())
    }

    /// Ingress to the new leader: its publication added, connected, and a keep-alive sent
    /// first; then the session is connected again.
    fn connect_to_new_leader(&mut self, now: Instant) -> Result<usize, ClusterError> {
        let Some(index) = self.ingress else { return Ok(0) };
        let stream_id = self.settings.ingress_stream_id;
        let member = &mut self.members[index];
        match member.advance(&self.aeron, stream_id) {
            Ok(true) => {}
            Ok(false) => return Ok(0),
            Err(source) => {
                let error = member.add_error(stream_id, source);
                let _ = member.close(); // idle again: the add is tried again next cycle
                return Err(error);
            }
        }
        let keep_alive = self.keep_alive_message();
        if self.members[index].offer(&[&keep_alive]).is_err() {
            return Ok(0);
        }
        self.state = ClusterState::Connected;
        self.keep_alive_deadline = deadline(now, self.settings.keep_alive_interval);
        events::new_leader_connected(self.cluster_session_id, self.leader_member_id);
        Ok(1)
    }

    /// The leader is gone (its image closed, or ingress stopped connecting): close ingress
    /// and wait for a new leader (Java's `onDisconnected`).
    pub(super) fn on_disconnected(&mut self, now: Instant) {
        if let Some(index) = self.ingress.take() {
            let _ = self.members[index].close();
        }
        self.egress.release_image();
        self.state = ClusterState::AwaitingNewLeader;
        self.deadline = deadline(now, self.new_leader_timeout);
        events::leader_lost(
            self.cluster_session_id,
            self.leader_member_id,
            self.new_leader_timeout.as_millis(),
        );
    }
}
