//! The admin messages: a privileged client's [`AdminRequest`] and the cluster's
//! [`AdminResponse`].

use super::{AdminRequestType, AdminResponseCode};

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
pub struct AdminRequest<'a> {
    /// The client's leadership term.
    pub leadership_term_id: i64,
    /// The client's session.
    pub cluster_session_id: i64,
    /// Matches the [`AdminResponse::correlation_id`].
    pub correlation_id: i64,
    /// What to do.
    pub request_type: AdminRequestType,
    /// An optional payload.
    pub payload: &'a [u8],
}

layout! {
    impl<'a> AdminRequest<'a> = "AdminRequest", template 26, block 28 {
        leadership_term_id: 0 = "leadershipTermId",
        cluster_session_id: 8 = "clusterSessionId",
        correlation_id: 16 = "correlationId",
        request_type: 24 = "requestType",
    }
    var {
        payload: data = "payload",
    }
}

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
pub struct AdminResponse<'a> {
    /// The session that asked.
    pub cluster_session_id: i64,
    /// The request's correlation id.
    pub correlation_id: i64,
    /// What was asked.
    pub request_type: AdminRequestType,
    /// The result.
    pub response_code: AdminResponseCode,
    /// A message, such as an error's.
    pub message: &'a str,
    /// An optional payload.
    pub payload: &'a [u8],
}

layout! {
    impl<'a> AdminResponse<'a> = "AdminResponse", template 27, block 24 {
        cluster_session_id: 0 = "clusterSessionId",
        correlation_id: 8 = "correlationId",
        request_type: 16 = "requestType",
        response_code: 20 = "responseCode",
    }
    var {
        message: ascii = "message",
        payload: data = "payload",
    }
}
