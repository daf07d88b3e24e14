//! [`EgressListener`]: what the cluster sends a session, delivered to the application.

use crate::codec::{AdminResponse, NewLeaderEvent, SessionEvent, SessionMessage};

/// Receives what the cluster sends this client's session, from
/// [`ClusterClient::poll`](crate::ClusterClient::poll), on the owning thread, in the order the
/// cluster sent it. Only the session's own messages are delivered (egress can carry other
/// sessions' messages when sessions share a channel).
///
/// The borrowed messages are valid for the call only: copy what you keep. The listener cannot
/// reach the client during the call; offer from the agent's own `do_work` afterwards.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{NewLeaderEvent, SessionMessage};
/// use dutycycle_cluster::EgressListener;
///
/// #[derive(Default)]
/// struct Answers { received: Vec<Vec<u8>>, leaders: Vec<i32> }
///
/// impl EgressListener for Answers {
///     fn on_message(&mut self, message: &SessionMessage<'_>) {
///         self.received.push(message.payload.to_vec());
///     }
///     fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
///         self.leaders.push(event.leader_member_id); // resend what was in flight, say
///     }
/// }
///
/// let mut answers = Answers::default();
/// answers.on_message(&SessionMessage { payload: b"42", ..Default::default() });
/// assert_eq!(answers.received, vec![b"42".to_vec()]);
/// ```
pub trait EgressListener {
    /// A message from the clustered service to this session.
    fn on_message(&mut self, message: &SessionMessage<'_>);

    /// The session opened: ingress goes to leader `leader_member_id` in term
    /// `leadership_term_id`. Not in Java's `EgressListener` (Java's connect returns the client).
    fn on_connected(&mut self, cluster_session_id: i64, leadership_term_id: i64, leader_member_id: i32) {
        let _ = (cluster_session_id, leadership_term_id, leader_member_id);
    }

    /// A session event for this session (an ERROR, or CLOSED: the client then closes).
    fn on_session_event(&mut self, event: &SessionEvent<'_>) {
        let _ = event;
    }

    /// A new leader: the client follows it with the same session (ingress re-pointed, a
    /// keep-alive first). Messages offered before may be lost: resend what is unanswered.
    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        let _ = event;
    }

    /// The answer to an admin request.
    fn on_admin_response(&mut self, response: &AdminResponse<'_>) {
        let _ = response;
    }
}
