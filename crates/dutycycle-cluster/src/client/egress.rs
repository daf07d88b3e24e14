//! The session's egress: the subscription added without blocking, the leader's image, and the
//! polls of the connect and of the open session.

use dutycycle_aeron::rusteron_client::bindings::aeron_controlled_fragment_handler_action_en as Action;
use dutycycle_aeron::rusteron_client::{
    Aeron, AeronAsyncAddSubscription, AeronCError, AeronHeader, AeronImage, AeronSubscription, Handlers,
};
use dutycycle_aeron::Channel;

use super::assembler::Assembler;
use crate::codec::{DecodeError, EgressMessage, EventCode};
use crate::EgressListener;

/// Fragments per poll, as Java's `AeronCluster.FRAGMENT_LIMIT`.
const FRAGMENT_LIMIT: usize = 10;

/// The egress subscription and what hangs on it.
#[derive(Debug)]
pub(super) struct Egress {
    pub channel: Channel,
    pub stream_id: i32,
    subscription: Subscription,
    /// The image of the leader the session follows (retained; released before the
    /// subscription closes).
    image: Option<AeronImage>,
    assembler: Assembler,
    /// The channel with its port resolved (reused buffer).
    resolved: String,
}

enum Subscription {
    Idle,
    Adding(AeronAsyncAddSubscription),
    Ready(AeronSubscription),
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Subscription::Idle => "idle",
            Subscription::Adding(_) => "adding",
            Subscription::Ready(_) => "ready",
        })
    }
}

/// The answer to a connect request or challenge response, copied out of the poll (reused
/// buffers).
#[derive(Debug, Default)]
pub(super) struct Response {
    /// `None` for a challenge, else the session event's code.
    pub code: Option<EventCode>,
    pub correlation_id: i64,
    pub cluster_session_id: i64,
    pub leadership_term_id: i64,
    pub leader_member_id: i32,
    pub leader_heartbeat_timeout_ns: Option<i64>,
    pub detail: String,
    pub encoded_challenge: Vec<u8>,
    pub image_session_id: i32,
}

/// What a poll of the open session found that the client acts on after the poll (reused
/// buffers).
#[derive(Debug, Default)]
pub(super) struct Found {
    /// A NewLeaderEvent: term, leader and the image it came on.
    pub new_leader: Option<(i64, i32, i32)>,
    /// Its ingress endpoints.
    pub endpoints: String,
    /// A CLOSED session event came.
    pub closed: bool,
    /// Its detail.
    pub detail: String,
    /// The first message that did not decode.
    pub decode_error: Option<DecodeError>,
}

impl Found {
    /// Forgets what was found (a session ended: nothing of it may reach the next), keeping
    /// the buffers.
    pub fn clear(&mut self) {
        self.new_leader = None;
        self.endpoints.clear();
        self.closed = false;
        self.detail.clear();
        self.decode_error = None;
    }
}

/// The image session id and frame flags of a fragment.
fn frame_of(header: &AeronHeader) -> Option<(i32, u8)> {
    let values = header.get_values().ok()?;
    let frame = values.frame();
    Some((frame.session_id(), frame.flags()))
}

impl Egress {
    pub fn new(channel: Channel, stream_id: i32) -> Egress {
        let resolved = String::with_capacity(channel.as_str().len() + 256);
        Egress {
            channel,
            stream_id,
            subscription: Subscription::Idle,
            image: None,
            assembler: Assembler::default(),
            resolved,
        }
    }

    /// Starts adding the subscription.
    pub fn add(&mut self, aeron: &Aeron) -> Result<(), AeronCError> {
        let pending = aeron
            .async_add_subscription(self.channel.as_c_str(), self.stream_id, Handlers::NONE, Handlers::NONE)
            .map_err(AeronCError::capture_errmsg)?;
        self.subscription = Subscription::Adding(pending);
        Ok(())
    }

    /// Moves the add along; whether the subscription is ready.
    pub fn poll_add(&mut self) -> Result<bool, AeronCError> {
        if let Subscription::Adding(pending) = &self.subscription {
            match pending.poll() {
                Ok(None) => return Ok(false),
                Ok(Some(subscription)) => self.subscription = Subscription::Ready(subscription),
                Err(e) => {
                    self.subscription = Subscription::Idle;
                    return Err(e.capture_errmsg());
                }
            }
        }
        Ok(matches!(self.subscription, Subscription::Ready(_)))
    }

    fn ready(&self) -> Option<&AeronSubscription> {
        match &self.subscription {
            Subscription::Ready(subscription) => Some(subscription),
            _ => None,
        }
    }

    /// Whether the subscription has an image (some publisher is connected).
    pub fn is_connected(&self) -> bool {
        self.ready().is_some_and(AeronSubscription::is_connected)
    }

    /// The channel with a UDP port 0 replaced by the port the system picked; `None` until it
    /// is known (Java's `tryResolveChannelEndpointPort`).
    pub fn resolved_channel(&mut self) -> Option<&str> {
        let subscription = match &self.subscription {
            Subscription::Ready(subscription) => subscription,
            _ => return None,
        };
        match subscription.try_resolve_channel_endpoint_port_into(&mut self.resolved) {
            Ok(length) if length > 0 && !self.resolved.is_empty() => Some(&self.resolved),
            _ => None,
        }
    }

    /// Follows the image of session `session_id` (the leader's), retaining it.
    pub fn adopt_image(&mut self, session_id: i32) {
        self.image = self.ready().and_then(|s| s.image_by_session_id(session_id));
    }

    /// Whether the followed leader's image has closed (or was gone when adopted).
    pub fn is_image_closed(&self) -> bool {
        self.image.as_ref().is_none_or(AeronImage::is_closed)
    }

    /// Forgets the followed image.
    pub fn release_image(&mut self) {
        self.image = None;
    }

    /// Polls for the answer to request `correlation_id`, stopping at the first session event or
    /// challenge (Java's `EgressPoller`): the messages after it stay for the open session's
    /// poll. Whether one was found (it may answer another request).
    pub fn poll_response(&mut self, response: &mut Response) -> Result<bool, AeronCError> {
        let Subscription::Ready(subscription) = &self.subscription else { return Ok(false) };
        let assembler = &mut self.assembler;
        let mut found = false;
        subscription.controlled_poll_fn(
            |fragment, header| {
                if found {
                    return Action::AERON_ACTION_ABORT;
                }
                let Some((image, flags)) = frame_of(&header) else { return Action::AERON_ACTION_CONTINUE };
                let Some(message) = assembler.on_fragment(fragment, flags, image) else {
                    return Action::AERON_ACTION_CONTINUE;
                };
                match EgressMessage::decode(message) {
                    Ok(EgressMessage::SessionEvent(event)) => {
                        response.code = Some(event.code);
                        response.correlation_id = event.correlation_id;
                        response.cluster_session_id = event.cluster_session_id;
                        response.leadership_term_id = event.leadership_term_id;
                        response.leader_member_id = event.leader_member_id;
                        response.leader_heartbeat_timeout_ns = event.leader_heartbeat_timeout_ns;
                        response.detail.clear();
                        response.detail.push_str(event.detail);
                        response.image_session_id = image;
                    }
                    Ok(EgressMessage::Challenge(challenge)) => {
                        response.code = None;
                        response.correlation_id = challenge.correlation_id;
                        response.cluster_session_id = challenge.cluster_session_id;
                        response.encoded_challenge.clear();
                        response.encoded_challenge.extend_from_slice(challenge.encoded_challenge);
                    }
                    _ => return Action::AERON_ACTION_CONTINUE,
                }
                found = true;
                Action::AERON_ACTION_BREAK
            },
            FRAGMENT_LIMIT,
        )?;
        Ok(found)
    }

    /// Polls the open session's egress: the session's own messages go to `listener`; what the
    /// client must act on is noted in `found`. The number of fragments read.
    pub fn poll_session<L: EgressListener + ?Sized>(
        &mut self,
        cluster_session_id: i64,
        listener: &mut L,
        found: &mut Found,
    ) -> Result<usize, AeronCError> {
        let Subscription::Ready(subscription) = &self.subscription else { return Ok(0) };
        let assembler = &mut self.assembler;
        let fragments = subscription.poll_fn(
            |fragment, header| {
                let Some((image, flags)) = frame_of(&header) else { return };
                let Some(message) = assembler.on_fragment(fragment, flags, image) else { return };
                let mut new_leader = false;
                match EgressMessage::decode(message) {
                    Ok(EgressMessage::SessionMessage(m)) if m.cluster_session_id == cluster_session_id => {
                        listener.on_message(&m);
                    }
                    Ok(EgressMessage::SessionEvent(event))
                        if event.cluster_session_id == cluster_session_id =>
                    {
                        if event.code == EventCode::Closed {
                            found.closed = true;
                            found.detail.clear();
                            found.detail.push_str(event.detail);
                        }
                        listener.on_session_event(&event);
                    }
                    Ok(EgressMessage::NewLeaderEvent(event))
                        if event.cluster_session_id == cluster_session_id =>
                    {
                        found.new_leader = Some((event.leadership_term_id, event.leader_member_id, image));
                        found.endpoints.clear();
                        found.endpoints.push_str(event.ingress_endpoints);
                        listener.on_new_leader(&event);
                        new_leader = true;
                    }
                    Ok(EgressMessage::AdminResponse(response))
                        if response.cluster_session_id == cluster_session_id =>
                    {
                        listener.on_admin_response(&response);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        found.decode_error.get_or_insert(error);
                    }
                }
                if new_leader {
                    // A new leader's image starts afresh (Java clears its assemblers).
                    assembler.clear();
                }
            },
            FRAGMENT_LIMIT,
        )?;
        Ok(usize::try_from(fragments).unwrap_or(0))
    }

    /// Releases the image, then closes the subscription (or cancels its add).
    pub fn close(&mut self) -> Result<(), AeronCError> {
        self.image = None;
        self.assembler.clear();
        match std::mem::replace(&mut self.subscription, Subscription::Idle) {
            Subscription::Ready(subscription) => subscription.close().map_err(AeronCError::capture_errmsg),
            Subscription::Adding(_) | Subscription::Idle => Ok(()),
        }
    }
}
