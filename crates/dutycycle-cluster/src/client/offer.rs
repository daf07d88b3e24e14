//! What the client sends once the session is open: application messages behind the session
//! header, admin requests, keep-alives on a timer, and the close request; and the release of
//! every Aeron resource when the session ends.

use std::time::Instant;

use dutycycle_aeron::rusteron_client::AeronOfferError;

use super::{deadline, CloseOutcome, ClusterClient};
use crate::codec::{
    AdminRequest, AdminRequestType, Message, SessionCloseRequest, SessionKeepAlive, SessionMessage,
    HEADER_LENGTH,
};
use crate::events;
use crate::{ClusterError, ClusterState, OfferError};

/// How many times [`ClusterClient::close`] offers the close request (Java's `SEND_ATTEMPTS`),
/// back to back: a close never waits.
const CLOSE_ATTEMPTS: usize = 3;

/// The length of a keep-alive or close request.
const SHORT_MESSAGE_LENGTH: usize = HEADER_LENGTH + SessionKeepAlive::BLOCK_LENGTH as usize;

impl ClusterClient {
    pub(super) fn encode_header(&mut self) {
        let header = SessionMessage {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
            timestamp: 0,
            payload: &[],
        };
        // A header without payload is exactly SESSION_HEADER_LENGTH bytes.
        let _ = header.encode(&mut self.header);
    }

    /// Sends a keep-alive (the keep-alive interval passed without ingress); the work done.
    pub(super) fn keep_alive(&mut self, now: Instant) -> usize {
        let keep_alive = self.keep_alive_message();
        match self.offer_parts(&[&keep_alive]) {
            Ok(_) => 1,
            // Now awaiting a new leader, or pending close.
            Err(OfferError::NotConnected { .. } | OfferError::MaxPositionExceeded) => 1,
            Err(_) => {
                // Back pressured: try again next cycle.
                self.keep_alive_deadline = now;
                0
            }
        }
    }

    /// A keep-alive of this session.
    pub(super) fn keep_alive_message(&self) -> [u8; SHORT_MESSAGE_LENGTH] {
        encode_short(&SessionKeepAlive {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
        })
    }

    /// A close request of this session.
    fn close_request_message(&self) -> [u8; SHORT_MESSAGE_LENGTH] {
        encode_short(&SessionCloseRequest {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
        })
    }

    /// Offers `payload` to the cluster with the session header in front (two parts, nothing
    /// copied or allocated): the new ingress position. Only in [`ClusterState::Connected`].
    /// A successful offer counts as ingress for the keep-alive timer.
    ///
    /// # Errors
    ///
    /// An [`OfferError`]: not connected (also when this offer found ingress disconnected: the
    /// client then awaits a new leader), back pressure, or the publication's maximum position
    /// (the session is then [`PendingClose`](ClusterState::PendingClose), and the next
    /// [`poll`](ClusterClient::poll) closes it with [`ClusterError::MaxPositionExceeded`]).
    #[inline]
    pub fn offer(&mut self, payload: &[u8]) -> Result<i64, OfferError> {
        let header = self.header;
        self.offer_parts(&[&header, payload])
    }

    /// Asks the cluster to take a snapshot (needs the cluster's authorisation); the answer
    /// comes to [`EgressListener::on_admin_response`](crate::EgressListener::on_admin_response) with `correlation_id`.
    ///
    /// # Errors
    ///
    /// As [`offer`](ClusterClient::offer).
    pub fn send_admin_request_to_take_a_snapshot(&mut self, correlation_id: i64) -> Result<i64, OfferError> {
        let request = AdminRequest {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
            correlation_id,
            request_type: AdminRequestType::Snapshot,
            payload: &[],
        };
        let mut bytes = [0u8; HEADER_LENGTH + AdminRequest::BLOCK_LENGTH as usize + 4];
        let _ = request.encode(&mut bytes);
        self.offer_parts(&[&bytes])
    }

    #[inline]
    fn offer_parts(&mut self, parts: &[&[u8]]) -> Result<i64, OfferError> {
        if self.state != ClusterState::Connected {
            return Err(OfferError::NotConnected { state: self.state });
        }
        let Some(member) = self.ingress.map(|i| &self.members[i]) else {
            return Err(OfferError::NotConnected { state: self.state });
        };
        match member.offer(parts) {
            Ok(position) => {
                self.keep_alive_deadline = deadline(self.now, self.settings.keep_alive_interval);
                Ok(position)
            }
            Err(AeronOfferError::NotConnected | AeronOfferError::Closed) => {
                self.on_disconnected(self.now);
                Err(OfferError::NotConnected { state: self.state })
            }
            Err(AeronOfferError::MaxPositionExceeded) => {
                self.begin_close(ClusterError::MaxPositionExceeded);
                Err(OfferError::MaxPositionExceeded)
            }
            Err(AeronOfferError::BackPressured) => Err(OfferError::BackPressured),
            Err(AeronOfferError::AdminAction) => Err(OfferError::AdminAction),
            Err(error) => Err(OfferError::Aeron(error)),
        }
    }

    /// Ends the session, on the owning thread: while connected, offers a SessionCloseRequest
    /// (up to three times, back to back: nothing waits), then closes the image, the egress
    /// subscription and every ingress publication. Idempotent. Call it from the agent's
    /// `on_close`, before the Aeron client closes; dropping the client does the same, quietly.
    ///
    /// # Errors
    ///
    /// [`ClusterError::Aeron`] when Aeron fails to close a publication or the subscription;
    /// the session is closed regardless.
    pub fn close(&mut self) -> Result<CloseOutcome, ClusterError> {
        if self.state == ClusterState::Closed {
            self.release()?;
            return Ok(CloseOutcome::AlreadyClosed);
        }
        let mut outcome = CloseOutcome::NotConnected;
        if let (ClusterState::Connected, Some(index)) = (self.state, self.ingress) {
            let close = self.close_request_message();
            outcome = CloseOutcome::Unsent;
            for _ in 0..CLOSE_ATTEMPTS {
                match self.members[index].offer(&[&close]) {
                    Ok(_) => {
                        outcome = CloseOutcome::Requested;
                        break;
                    }
                    Err(AeronOfferError::NotConnected | AeronOfferError::Closed) => {
                        outcome = CloseOutcome::NotConnected;
                        break;
                    }
                    Err(_) => {}
                }
            }
        }
        events::closed(self.cluster_session_id(), outcome);
        self.release()?;
        Ok(outcome)
    }

    /// Closes every Aeron resource of the session, the egress subscription first and then the
    /// ingress publications (Java's `AeronCluster.close` order); the state is `Closed`. What
    /// the last poll found and did not report (a malformed message in the poll that ended the
    /// session) is forgotten with it.
    pub(super) fn release(&mut self) -> Result<(), ClusterError> {
        self.state = ClusterState::Closed;
        self.pending_close = None;
        self.found.clear();
        self.ingress = None;
        let mut result = self
            .egress
            .close()
            .map_err(|source| ClusterError::Aeron { call: "aeron_subscription_close", source });
        for member in &mut self.members {
            if let Err(source) = member.close() {
                if result.is_ok() {
                    result = Err(ClusterError::Aeron { call: "aeron_exclusive_publication_close", source });
                }
            }
        }
        result
    }
}

/// Encodes a message of [`SHORT_MESSAGE_LENGTH`] bytes.
fn encode_short<'a, M: Message<'a>>(message: &M) -> [u8; SHORT_MESSAGE_LENGTH] {
    let mut bytes = [0; SHORT_MESSAGE_LENGTH];
    let _ = message.encode(&mut bytes);
    bytes
}
