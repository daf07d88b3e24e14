//! The admin messages: a privileged client's [`AdminRequest`] and the cluster's
//! [`AdminResponse`].

use super::sbe_message::sbe_message;
use super::{AdminRequestType, AdminResponseCode};

sbe_message! {
    /// An admin request (template 26), such as a snapshot; needs the cluster's authorisation.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{AdminRequest, AdminRequestType, Message};
    ///
    /// let request = AdminRequest {
    ///     leadership_term_id: 1,
    ///     cluster_session_id: 5,
    ///     correlation_id: 77,
    ///     request_type: AdminRequestType::Snapshot,
    ///     payload: b"",
    /// };
    /// let mut buffer = [0u8; 64];
    /// let length = request.encode(&mut buffer)?;
    /// assert_eq!(length, 8 + 28 + 4);
    /// assert_eq!(AdminRequest::decode(&buffer[..length])?, request);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct AdminRequest<'a>: "AdminRequest" (template 26, block_length 28) {
        fields {
            /// The client's leadership term.
            leadership_term_id: i64 = "leadershipTermId" at 0,
            /// The client's session.
            cluster_session_id: i64 = "clusterSessionId" at 8,
            /// Matches the [`AdminResponse::correlation_id`].
            correlation_id: i64 = "correlationId" at 16,
            /// What to do.
            request_type: AdminRequestType = "requestType" at 24,
        }
        data {
            /// An optional payload.
            payload: &'a [u8] = "payload",
        }
    }
}

sbe_message! {
    /// The cluster's answer to an [`AdminRequest`] (template 27).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{AdminRequestType, AdminResponse, AdminResponseCode, Message};
    ///
    /// let response = AdminResponse {
    ///     cluster_session_id: 5,
    ///     correlation_id: 77,
    ///     request_type: AdminRequestType::Snapshot,
    ///     response_code: AdminResponseCode::UnauthorisedAccess,
    ///     message: "not allowed",
    ///     payload: b"",
    /// };
    /// let mut buffer = [0u8; 96];
    /// let length = response.encode(&mut buffer)?;
    /// assert_eq!(AdminResponse::decode(&buffer[..length])?, response);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct AdminResponse<'a>: "AdminResponse" (template 27, block_length 24) {
        fields {
            /// The session that asked.
            cluster_session_id: i64 = "clusterSessionId" at 0,
            /// The request's correlation id.
            correlation_id: i64 = "correlationId" at 8,
            /// What was asked.
            request_type: AdminRequestType = "requestType" at 16,
            /// The result.
            response_code: AdminResponseCode = "responseCode" at 20,
        }
        data {
            /// A message, such as an error's.
            message: &'a str = "message",
            /// An optional payload.
            payload: &'a [u8] = "payload",
        }
    }
}
