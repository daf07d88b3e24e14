//! The session messages: connect, session events, session messages, keep-alive, close and
//! new leader.

use super::sbe_message::sbe_message;
use super::EventCode;

sbe_message! {
    /// A session message (template 1, `SessionMessageHeader`) and the application payload that
    /// follows its header: what a client offers on ingress and what a clustered service sends
    /// back on egress.
    ///
    /// The payload starts after the received block
    /// ([`SESSION_HEADER_LENGTH`](super::SESSION_HEADER_LENGTH) bytes with the current schema)
    /// and runs to the end of the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{Message, SessionMessage, SESSION_HEADER_LENGTH};
    ///
    /// let message =
    ///     SessionMessage { leadership_term_id: 2, cluster_session_id: 9, timestamp: 0, payload: b"ping" };
    /// let mut buffer = [0u8; 64];
    /// let length = message.encode(&mut buffer)?;
    /// assert_eq!(length, SESSION_HEADER_LENGTH + 4);
    /// assert_eq!(SessionMessage::decode(&buffer[..length])?.payload, b"ping");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct SessionMessage<'a>: "SessionMessageHeader" (template 1, block_length 24) {
        fields {
            /// The leadership term the sender saw.
            leadership_term_id: i64 = "leadershipTermId" at 0,
            /// The cluster session the message belongs to.
            cluster_session_id: i64 = "clusterSessionId" at 8,
            /// The cluster's timestamp on egress; 0 from a client.
            timestamp: i64 = "timestamp" at 16,
        }
        rest {
            /// The application's bytes.
            payload: &'a [u8],
        }
    }
}

sbe_message! {
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
    pub struct SessionEvent<'a>: "SessionEvent" (template 2, block_length 44) {
        fields {
            /// The session (-1 in a REDIRECT).
            cluster_session_id: i64 = "clusterSessionId" at 0,
            /// The request this answers (the connect request's correlation id).
            correlation_id: i64 = "correlationId" at 8,
            /// The current leadership term.
            leadership_term_id: i64 = "leadershipTermId" at 16,
            /// The current leader.
            leader_member_id: i32 = "leaderMemberId" at 24,
            /// What happened.
            code: EventCode = "code" at 28,
            /// The cluster's protocol version (semantic version; 0 when absent, schema version < 6).
            version: i32 = "version" at 32 since 6,
            /// The leader's heartbeat timeout; `None` when absent (schema version < 13) or null.
            leader_heartbeat_timeout_ns: Option<i64> = "leaderHeartbeatTimeoutNs" at 36 since 13,
        }
        data {
            /// An error message, or a REDIRECT's list of members' ingress endpoints
            /// (`id=host:port,...`).
            detail: &'a str = "detail",
        }
    }
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

sbe_message! {
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
    pub struct SessionConnectRequest<'a>: "SessionConnectRequest" (template 3, block_length 16) {
        fields {
            /// Matches the answer's [`SessionEvent::correlation_id`].
            correlation_id: i64 = "correlationId" at 0,
            /// The stream the cluster sends egress on.
            response_stream_id: i32 = "responseStreamId" at 8,
            /// The client's protocol version
            /// ([`PROTOCOL_SEMANTIC_VERSION`](super::PROTOCOL_SEMANTIC_VERSION)); 0 when absent
            /// (schema version < 2).
            version: i32 = "version" at 12 since 2,
        }
        data {
            /// The channel the cluster sends egress to: the client's egress subscription's channel
            /// with its port resolved.
            response_channel: &'a str = "responseChannel",
            /// Credentials for the cluster's authenticator (empty without authentication).
            encoded_credentials: &'a [u8] = "encodedCredentials",
            /// Who the client is, for the cluster's logs (empty when absent, schema version < 14).
            client_info: &'a str = "clientInfo" since 14,
        }
    }
}

sbe_message! {
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
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SessionCloseRequest: "SessionCloseRequest" (template 4, block_length 16) {
        fields {
            /// The leadership term the client is in (a message of an older term is dropped).
            leadership_term_id: i64 = "leadershipTermId" at 0,
            /// The client's session.
            cluster_session_id: i64 = "clusterSessionId" at 8,
        }
    }
}

sbe_message! {
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
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SessionKeepAlive: "SessionKeepAlive" (template 5, block_length 16) {
        fields {
            /// The leadership term the client is in (a message of an older term is dropped).
            leadership_term_id: i64 = "leadershipTermId" at 0,
            /// The client's session.
            cluster_session_id: i64 = "clusterSessionId" at 8,
        }
    }
}

sbe_message! {
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
    pub struct NewLeaderEvent<'a>: "NewLeaderEvent" (template 6, block_length 20) {
        fields {
            /// The new leadership term.
            leadership_term_id: i64 = "leadershipTermId" at 0,
            /// The session this is sent to.
            cluster_session_id: i64 = "clusterSessionId" at 8,
            /// The new leader.
            leader_member_id: i32 = "leaderMemberId" at 16,
        }
        data {
            /// The members' ingress endpoints (`id=host:port,...`).
            ingress_endpoints: &'a str = "ingressEndpoints",
        }
    }
}
