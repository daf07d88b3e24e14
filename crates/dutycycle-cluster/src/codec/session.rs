//! The session messages: connect, session events, session messages, keep-alive, close and
//! new leader.

use super::private::Codec;
use super::wire::{Block, Var, VarData, Writer};
use super::{DecodeError, EventCode, Message};

/// A session message (template 1, `SessionMessageHeader`) and the application payload that
/// follows its header: what a client offers on ingress and what a clustered service sends
/// back on egress.
///
/// The payload starts after the received block ([`SESSION_HEADER_LENGTH`](super::SESSION_HEADER_LENGTH)
/// bytes with the current schema) and runs to the end of the buffer.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{Message, SessionMessage, SESSION_HEADER_LENGTH};
///
/// let message = SessionMessage { leadership_term_id: 2, cluster_session_id: 9, timestamp: 0, payload: b"ping" };
/// let mut buffer = [0u8; 64];
/// let length = message.encode(&mut buffer)?;
/// assert_eq!(length, SESSION_HEADER_LENGTH + 4);
/// assert_eq!(SessionMessage::decode(&buffer[..length])?.payload, b"ping");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionMessage<'a> {
    /// The leadership term the sender saw.
    pub leadership_term_id: i64,
    /// The cluster session the message belongs to.
    pub cluster_session_id: i64,
    /// The cluster's timestamp on egress; 0 from a client.
    pub timestamp: i64,
    /// The application's bytes.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> for SessionMessage<'a> {
    const NAME: &'static str = "SessionMessageHeader";
    const TEMPLATE_ID: u16 = 1;
    const BLOCK_LENGTH: u16 = 24;
}

impl<'a> Codec<'a> for SessionMessage<'a> {
    fn decode_parts(block: Block<'a>, var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(SessionMessage {
            leadership_term_id: block.i64(0, "leadershipTermId")?,
            cluster_session_id: block.i64(8, "clusterSessionId")?,
            timestamp: block.i64(16, "timestamp")?,
            payload: var.rest(),
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.leadership_term_id);
        writer.i64(self.cluster_session_id);
        writer.i64(self.timestamp);
    }

    fn tail(&self) -> &[u8] {
        self.payload
    }
}

/// A session event (template 2): the cluster's answer to a connect request (OK, ERROR,
/// REDIRECT, AUTHENTICATION_REJECTED) or news about an open session (CLOSED, ERROR).
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{EventCode, Message, SessionEvent};
///
/// let redirect = SessionEvent {
///     cluster_session_id: -1,
///     code: EventCode::Redirect,
///     leader_member_id: 2,
///     detail: "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202",
///     ..Default::default()
/// };
/// let mut buffer = [0u8; 128];
/// let length = redirect.encode(&mut buffer)?;
/// assert_eq!(SessionEvent::decode(&buffer[..length])?, redirect);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEvent<'a> {
    /// The session (-1 in a REDIRECT).
    pub cluster_session_id: i64,
    /// The request this answers (the connect request's correlation id).
    pub correlation_id: i64,
    /// The current leadership term.
    pub leadership_term_id: i64,
    /// The current leader.
    pub leader_member_id: i32,
    /// What happened.
    pub code: EventCode,
    /// The cluster's protocol version (semantic version; 0 when absent, schema version < 6).
    pub version: i32,
    /// The leader's heartbeat timeout; `None` when absent (schema version < 13) or null.
    pub leader_heartbeat_timeout_ns: Option<i64>,
    /// An error message, or a REDIRECT's list of members' ingress endpoints (`id=host:port,...`).
    pub detail: &'a str,
}

impl Default for SessionEvent<'_> {
    fn default() -> Self {
        SessionEvent {
            cluster_session_id: 0,
            correlation_id: 0,
            leadership_term_id: 0,
            leader_member_id: 0,
            code: EventCode::Ok,
            version: 0,
            leader_heartbeat_timeout_ns: None,
            detail: "",
        }
    }
}

/// SBE's null value of an optional `int64`.
const NULL_I64: i64 = i64::MIN;

impl<'a> Message<'a> for SessionEvent<'a> {
    const NAME: &'static str = "SessionEvent";
    const TEMPLATE_ID: u16 = 2;
    const BLOCK_LENGTH: u16 = 44;
}

impl<'a> Codec<'a> for SessionEvent<'a> {
    fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(SessionEvent {
            cluster_session_id: block.i64(0, "clusterSessionId")?,
            correlation_id: block.i64(8, "correlationId")?,
            leadership_term_id: block.i64(16, "leadershipTermId")?,
            leader_member_id: block.i32(24, "leaderMemberId")?,
            code: EventCode::from(block.i32(28, "code")?),
            version: block.i32_since(32, 6).unwrap_or(0),
            leader_heartbeat_timeout_ns: block.i64_since(36, 13).filter(|&ns| ns != NULL_I64),
            detail: var.ascii("detail")?,
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.cluster_session_id);
        writer.i64(self.correlation_id);
        writer.i64(self.leadership_term_id);
        writer.i32(self.leader_member_id);
        writer.i32(self.code.into());
        writer.i32(self.version);
        writer.i64(self.leader_heartbeat_timeout_ns.unwrap_or(NULL_I64));
    }

    fn var_data(&self) -> [Option<Var<'_>>; 3] {
        [Some(Var::ascii("detail", self.detail)), None, None]
    }
}

/// A connect request (template 3): opens a session whose egress goes to `response_channel`
/// on `response_stream_id`.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{Message, SessionConnectRequest, PROTOCOL_SEMANTIC_VERSION};
///
/// let request = SessionConnectRequest {
///     correlation_id: 11,
///     response_stream_id: 102,
///     version: PROTOCOL_SEMANTIC_VERSION,
///     response_channel: "aeron:udp?endpoint=127.0.0.1:40123",
///     encoded_credentials: b"",
///     client_info: "name=gateway",
/// };
/// let mut buffer = vec![0u8; request.encoded_length()];
/// request.encode(&mut buffer)?;
/// assert_eq!(SessionConnectRequest::decode(&buffer)?, request);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionConnectRequest<'a> {
    /// Matches the answer's [`SessionEvent::correlation_id`].
    pub correlation_id: i64,
    /// The stream the cluster sends egress on.
    pub response_stream_id: i32,
    /// The client's protocol version ([`PROTOCOL_SEMANTIC_VERSION`](super::PROTOCOL_SEMANTIC_VERSION));
    /// 0 when absent (schema version < 2).
    pub version: i32,
    /// The channel the cluster sends egress to: the client's egress subscription's channel with
    /// its port resolved.
    pub response_channel: &'a str,
    /// Credentials for the cluster's authenticator (empty without authentication).
    pub encoded_credentials: &'a [u8],
    /// Who the client is, for the cluster's logs (empty when absent, schema version < 14).
    pub client_info: &'a str,
}

impl<'a> Message<'a> for SessionConnectRequest<'a> {
    const NAME: &'static str = "SessionConnectRequest";
    const TEMPLATE_ID: u16 = 3;
    const BLOCK_LENGTH: u16 = 16;
}

impl<'a> Codec<'a> for SessionConnectRequest<'a> {
    fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(SessionConnectRequest {
            correlation_id: block.i64(0, "correlationId")?,
            response_stream_id: block.i32(8, "responseStreamId")?,
            version: block.i32_since(12, 2).unwrap_or(0),
            response_channel: var.ascii("responseChannel")?,
            encoded_credentials: var.bytes("encodedCredentials")?,
            client_info: var.ascii_since("clientInfo", 14)?,
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.correlation_id);
        writer.i32(self.response_stream_id);
        writer.i32(self.version);
    }

    fn var_data(&self) -> [Option<Var<'_>>; 3] {
        [
            Some(Var::ascii("responseChannel", self.response_channel)),
            Some(Var::data("encodedCredentials", self.encoded_credentials)),
            Some(Var::ascii("clientInfo", self.client_info)),
        ]
    }
}

/// Defines a message of two `int64` fields, leadership term and session, without
/// variable-length data: the close request and the keep-alive have that same shape.
macro_rules! term_and_session_message {
    ($(#[$meta:meta])* $name:ident = $template:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            /// The leadership term the client is in (a message of an older term is dropped).
            pub leadership_term_id: i64,
            /// The client's session.
            pub cluster_session_id: i64,
        }

        impl Message<'_> for $name {
            const NAME: &'static str = stringify!($name);
            const TEMPLATE_ID: u16 = $template;
            const BLOCK_LENGTH: u16 = 16;
        }

        impl<'a> Codec<'a> for $name {
            fn decode_parts(block: Block<'a>, _var: VarData<'a>) -> Result<Self, DecodeError> {
                Ok($name {
                    leadership_term_id: block.i64(0, "leadershipTermId")?,
                    cluster_session_id: block.i64(8, "clusterSessionId")?,
                })
            }

            fn write_block(&self, writer: &mut Writer<'_>) {
                writer.i64(self.leadership_term_id);
                writer.i64(self.cluster_session_id);
            }
        }
    };
}

term_and_session_message! {
    /// A request to close the session (template 4).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{Message, SessionCloseRequest};
    ///
    /// let close = SessionCloseRequest { leadership_term_id: 1, cluster_session_id: 5 };
    /// let mut buffer = [0u8; 24];
    /// assert_eq!(close.encode(&mut buffer)?, 24);
    /// assert_eq!(SessionCloseRequest::decode(&buffer)?, close);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SessionCloseRequest = 4
}

term_and_session_message! {
    /// A keep-alive (template 5): tells the cluster the client is alive when it has nothing
    /// else to send; the first message a client sends to a new leader.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{Message, SessionKeepAlive};
    ///
    /// let keep_alive = SessionKeepAlive { leadership_term_id: 1, cluster_session_id: 5 };
    /// let mut buffer = [0u8; 24];
    /// assert_eq!(keep_alive.encode(&mut buffer)?, 24);
    /// assert_eq!(SessionKeepAlive::decode(&buffer)?, keep_alive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SessionKeepAlive = 5
}

/// A new leader was elected (template 6): the client follows it with its session.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{Message, NewLeaderEvent};
///
/// let event = NewLeaderEvent {
///     leadership_term_id: 4,
///     cluster_session_id: 5,
///     leader_member_id: 1,
///     ingress_endpoints: "0=127.0.0.1:9002,1=127.0.0.1:9102",
/// };
/// let mut buffer = [0u8; 128];
/// let length = event.encode(&mut buffer)?;
/// assert_eq!(NewLeaderEvent::decode(&buffer[..length])?, event);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NewLeaderEvent<'a> {
    /// The new leadership term.
    pub leadership_term_id: i64,
    /// The session this is sent to.
    pub cluster_session_id: i64,
    /// The new leader.
    pub leader_member_id: i32,
    /// The members' ingress endpoints (`id=host:port,...`).
    pub ingress_endpoints: &'a str,
}

impl<'a> Message<'a> for NewLeaderEvent<'a> {
    const NAME: &'static str = "NewLeaderEvent";
    const TEMPLATE_ID: u16 = 6;
    const BLOCK_LENGTH: u16 = 20;
}

impl<'a> Codec<'a> for NewLeaderEvent<'a> {
    fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(NewLeaderEvent {
            leadership_term_id: block.i64(0, "leadershipTermId")?,
            cluster_session_id: block.i64(8, "clusterSessionId")?,
            leader_member_id: block.i32(16, "leaderMemberId")?,
            ingress_endpoints: var.ascii("ingressEndpoints")?,
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.leadership_term_id);
        writer.i64(self.cluster_session_id);
        writer.i32(self.leader_member_id);
    }

    fn var_data(&self) -> [Option<Var<'_>>; 3] {
        [Some(Var::ascii("ingressEndpoints", self.ingress_endpoints)), None, None]
    }
}
