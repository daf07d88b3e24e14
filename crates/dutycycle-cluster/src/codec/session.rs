//! The session messages: connect, session events, session messages, keep-alive, close and
//! new leader.

use super::EventCode;

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

layout! {
    impl<'a> SessionMessage<'a> = "SessionMessageHeader", template 1, block 24 {
        leadership_term_id: 0 = "leadershipTermId",
        cluster_session_id: 8 = "clusterSessionId",
        timestamp: 16 = "timestamp",
    }
    tail { payload }
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

layout! {
    impl<'a> SessionEvent<'a> = "SessionEvent", template 2, block 44 {
        cluster_session_id: 0 = "clusterSessionId",
        correlation_id: 8 = "correlationId",
        leadership_term_id: 16 = "leadershipTermId",
        leader_member_id: 24 = "leaderMemberId",
        code: 28 = "code",
        version: 32 since 6 = "version",
        leader_heartbeat_timeout_ns: 36 since 13 = "leaderHeartbeatTimeoutNs",
    }
    var {
        detail: ascii = "detail",
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

layout! {
    impl<'a> SessionConnectRequest<'a> = "SessionConnectRequest", template 3, block 16 {
        correlation_id: 0 = "correlationId",
        response_stream_id: 8 = "responseStreamId",
        version: 12 since 2 = "version",
    }
    var {
        response_channel: ascii = "responseChannel",
        encoded_credentials: data = "encodedCredentials",
        client_info: ascii since 14 = "clientInfo",
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

        layout! {
            impl<'a> $name = stringify!($name), template $template, block 16 {
                leadership_term_id: 0 = "leadershipTermId",
                cluster_session_id: 8 = "clusterSessionId",
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

layout! {
    impl<'a> NewLeaderEvent<'a> = "NewLeaderEvent", template 6, block 20 {
        leadership_term_id: 0 = "leadershipTermId",
        cluster_session_id: 8 = "clusterSessionId",
        leader_member_id: 16 = "leaderMemberId",
    }
    var {
        ingress_endpoints: ascii = "ingressEndpoints",
    }
}
