//! [`DecodeError`] and [`EncodeError`]: why bytes are not a message, or a message not bytes.

/// Why a byte slice is not the schema-111 message it was decoded as. Every variant names the
/// message (and the field where it matters); no byte input makes a decoder panic.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{DecodeError, Message, SessionKeepAlive};
///
/// let keep_alive = SessionKeepAlive { leadership_term_id: 3, cluster_session_id: 7 };
/// let mut buffer = [0u8; 24];
/// let length = keep_alive.encode(&mut buffer)?;
/// assert_eq!(SessionKeepAlive::decode(&buffer[..length])?, keep_alive);
///
/// let err = SessionKeepAlive::decode(&buffer[..12]).unwrap_err();
/// assert!(matches!(err, DecodeError::TruncatedBlock { message: "SessionKeepAlive", .. }), "{err}");
/// assert_eq!(err.to_string(), "SessionKeepAlive: block of 16 bytes but only 4 bytes follow the header");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the 8-byte message header.
    #[error("{available} bytes cannot hold the 8-byte message header")]
    NoHeader {
        /// The bytes there were.
        available: usize,
    },
    /// The header names another SBE schema than Aeron Cluster's (111).
    #[error("message of schema {schema_id}, not Aeron Cluster's schema 111")]
    WrongSchema {
        /// The schema id in the header.
        schema_id: u16,
    },
    /// The header names another message than the one decoded.
    #[error("template {actual} where {message} (template {expected}) was expected")]
    WrongTemplate {
        /// The message decoded.
        message: &'static str,
        /// Its template id.
        expected: u16,
        /// The template id in the header.
        actual: u16,
    },
    /// The header's block length runs past the end of the bytes.
    #[error("{message}: block of {block_length} bytes but only {available} bytes follow the header")]
    TruncatedBlock {
        /// The message.
        message: &'static str,
        /// The block length in the header.
        block_length: u16,
        /// The bytes after the header.
        available: usize,
    },
    /// The block is too short for a field that every version of the message has.
    #[error("{message}: block of {block_length} bytes ends before field {field} (needs {needed})")]
    BlockTooShort {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// The block length in the header.
        block_length: u16,
        /// The block length the field needs.
        needed: usize,
    },
    /// A variable-length field's length prefix or bytes run past the end.
    #[error("{message}: field {field} needs {needed} bytes, {available} remain")]
    TruncatedVarData {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// The bytes the field needs (prefix, or prefix and data).
        needed: usize,
        /// The bytes left.
        available: usize,
    },
    /// An ASCII field holds a byte above 127.
    #[error("{message}: field {field} is not ASCII")]
    NotAscii {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
}

/// Why a message could not be encoded into a buffer.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{EncodeError, Message, SessionConnectRequest};
///
/// let request = SessionConnectRequest { response_channel: "aeron:udp?endpoint=127.0.0.1:20121", ..Default::default() };
/// let mut small = [0u8; 16];
/// assert!(matches!(request.encode(&mut small), Err(EncodeError::BufferTooSmall { .. })));
///
/// let not_ascii = SessionConnectRequest { client_info: "näme", ..Default::default() };
/// let mut buffer = [0u8; 128];
/// assert!(matches!(not_ascii.encode(&mut buffer), Err(EncodeError::NotAscii { field: "clientInfo", .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is shorter than the encoded message.
    #[error("{message} needs {needed} bytes, the buffer holds {capacity}")]
    BufferTooSmall {
        /// The message.
        message: &'static str,
        /// Its encoded length.
        needed: usize,
        /// The buffer's length.
        capacity: usize,
    },
    /// An ASCII field holds a character above 127 (Java's encoder would write `?` for it).
    #[error("{message}: field {field} is not ASCII")]
    NotAscii {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A variable-length field is longer than the schema allows (2^30 bytes).
    #[error("{message}: field {field} has {length} bytes, more than the schema's 1073741824")]
    TooLong {
        /// The message.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// Its length.
        length: usize,
    },
}
