//! [`EgressMessage`] and [`IngressMessage`]: whichever message of a direction a buffer holds.

use super::{
    AdminRequest, AdminResponse, Challenge, ChallengeResponse, DecodeError, Message, MessageHeader,
    NewLeaderEvent, SessionCloseRequest, SessionConnectRequest, SessionEvent, SessionKeepAlive,
    SessionMessage,
};

/// A message from the cluster to a client, decoded by its template id.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{EgressMessage, Message, SessionMessage};
///
/// let mut buffer = [0u8; 40];
/// let length = SessionMessage { cluster_session_id: 3, payload: b"answer", ..Default::default() }.encode(&mut buffer)?;
/// match EgressMessage::decode(&buffer[..length])? {
///     EgressMessage::SessionMessage(message) => assert_eq!(message.payload, b"answer"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EgressMessage<'a> {
    /// A clustered service's message to the session.
    SessionMessage(SessionMessage<'a>),
    /// A session event.
    SessionEvent(SessionEvent<'a>),
    /// A new leader.
    NewLeaderEvent(NewLeaderEvent<'a>),
    /// An authentication challenge.
    Challenge(Challenge<'a>),
    /// An admin response.
    AdminResponse(AdminResponse<'a>),
    /// Another template of schema 111, which a client ignores.
    Other(MessageHeader),
}

impl<'a> EgressMessage<'a> {
    /// Decodes the message at the start of `buffer`.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the header is not schema 111's, or the message is malformed.
    pub fn decode(buffer: &'a [u8]) -> Result<Self, DecodeError> {
        let header = MessageHeader::decode_cluster(buffer)?;
        Ok(match header.template_id {
            SessionMessage::TEMPLATE_ID => Self::SessionMessage(Message::decode_with(&header, buffer)?),
            SessionEvent::TEMPLATE_ID => Self::SessionEvent(Message::decode_with(&header, buffer)?),
            NewLeaderEvent::TEMPLATE_ID => Self::NewLeaderEvent(Message::decode_with(&header, buffer)?),
            Challenge::TEMPLATE_ID => Self::Challenge(Message::decode_with(&header, buffer)?),
            AdminResponse::TEMPLATE_ID => Self::AdminResponse(Message::decode_with(&header, buffer)?),
            _ => Self::Other(header),
        })
    }
}

/// A message from a client to the cluster, decoded by its template id (what a cluster, or a
/// test standing in for one, reads).
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{IngressMessage, Message, SessionKeepAlive};
///
/// let mut buffer = [0u8; 24];
/// SessionKeepAlive { leadership_term_id: 1, cluster_session_id: 3 }.encode(&mut buffer)?;
/// assert!(matches!(IngressMessage::decode(&buffer)?, IngressMessage::SessionKeepAlive(k) if k.cluster_session_id == 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngressMessage<'a> {
    /// An application message.
    SessionMessage(SessionMessage<'a>),
    /// A connect request.
    SessionConnectRequest(SessionConnectRequest<'a>),
    /// A close request.
    SessionCloseRequest(SessionCloseRequest),
    /// A keep-alive.
    SessionKeepAlive(SessionKeepAlive),
    /// An answer to a challenge.
    ChallengeResponse(ChallengeResponse<'a>),
    /// An admin request.
    AdminRequest(AdminRequest<'a>),
    /// Another template of schema 111.
    Other(MessageHeader),
}

impl<'a> IngressMessage<'a> {
    /// Decodes the message at the start of `buffer`.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the header is not schema 111's, or the message is malformed.
    pub fn decode(buffer: &'a [u8]) -> Result<Self, DecodeError> {
        let header = MessageHeader::decode_cluster(buffer)?;
        Ok(match header.template_id {
            SessionMessage::TEMPLATE_ID => Self::SessionMessage(Message::decode_with(&header, buffer)?),
            SessionConnectRequest::TEMPLATE_ID => {
                Self::SessionConnectRequest(Message::decode_with(&header, buffer)?)
            }
            SessionCloseRequest::TEMPLATE_ID => {
                Self::SessionCloseRequest(Message::decode_with(&header, buffer)?)
            }
            SessionKeepAlive::TEMPLATE_ID => Self::SessionKeepAlive(Message::decode_with(&header, buffer)?),
            ChallengeResponse::TEMPLATE_ID => Self::ChallengeResponse(Message::decode_with(&header, buffer)?),
            AdminRequest::TEMPLATE_ID => Self::AdminRequest(Message::decode_with(&header, buffer)?),
            _ => Self::Other(header),
        })
    }
}
