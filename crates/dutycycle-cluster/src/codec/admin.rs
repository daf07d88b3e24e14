//! The admin messages: a privileged client's [`AdminRequest`] and the cluster's
//! [`AdminResponse`].

use super::private::Codec;
use super::wire::{Block, Var, VarData, Writer};
use super::{AdminRequestType, AdminResponseCode, DecodeError, Message};

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

impl<'a> Message<'a> for AdminRequest<'a> {
    const NAME: &'static str = "AdminRequest";
    const TEMPLATE_ID: u16 = 26;
    const BLOCK_LENGTH: u16 = 28;
}

impl<'a> Codec<'a> for AdminRequest<'a> {
    fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(AdminRequest {
            leadership_term_id: block.i64(0, "leadershipTermId")?,
            cluster_session_id: block.i64(8, "clusterSessionId")?,
            correlation_id: block.i64(16, "correlationId")?,
            request_type: AdminRequestType::from(block.i32(24, "requestType")?),
            payload: var.bytes("payload")?,
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.leadership_term_id);
        writer.i64(self.cluster_session_id);
        writer.i64(self.correlation_id);
        writer.i32(self.request_type.into());
    }

    fn var_data(&self) -> [Option<Var<'_>>; 3] {
        [Some(Var::data("payload", self.payload)), None, None]
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

impl<'a> Message<'a> for AdminResponse<'a> {
    const NAME: &'static str = "AdminResponse";
    const TEMPLATE_ID: u16 = 27;
    const BLOCK_LENGTH: u16 = 24;
}

impl<'a> Codec<'a> for AdminResponse<'a> {
    fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
        Ok(AdminResponse {
            cluster_session_id: block.i64(0, "clusterSessionId")?,
            correlation_id: block.i64(8, "correlationId")?,
            request_type: AdminRequestType::from(block.i32(16, "requestType")?),
            response_code: AdminResponseCode::from(block.i32(20, "responseCode")?),
            message: var.ascii("message")?,
            payload: var.bytes("payload")?,
        })
    }

    fn write_block(&self, writer: &mut Writer<'_>) {
        writer.i64(self.cluster_session_id);
        writer.i64(self.correlation_id);
        writer.i32(self.request_type.into());
        writer.i32(self.response_code.into());
    }

    fn var_data(&self) -> [Option<Var<'_>>; 3] {
        [Some(Var::ascii("message", self.message)), Some(Var::data("payload", self.payload)), None]
    }
}
