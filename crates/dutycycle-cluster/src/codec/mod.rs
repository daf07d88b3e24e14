//! Aeron Cluster's client protocol: the SBE messages of schema 111 that a client and a
//! cluster exchange, encoded and decoded without allocating.
//!
//! Every message is a plain struct whose variable-length fields borrow from the buffer it was
//! decoded from ([`Message::decode`]) or will be encoded from ([`Message::encode`]). Decoding
//! checks every length once (a truncated or malformed input is a [`DecodeError`], never a
//! panic) and reads the root block with the block length *received* in the header, as SBE's
//! schema evolution asks: a newer cluster's longer block decodes, and the variable-length
//! fields are found after it; fields added in a later schema version than the sender's read
//! as absent.
//!
//! | direction | template | message |
//! |---|---|---|
//! | both | 1 | [`SessionMessage`] (SessionMessageHeader + application payload) |
//! | to the cluster | 3, 4, 5, 8, 26 | [`SessionConnectRequest`], [`SessionCloseRequest`], [`SessionKeepAlive`], [`ChallengeResponse`], [`AdminRequest`] |
//! | from the cluster | 2, 6, 7, 27 | [`SessionEvent`], [`NewLeaderEvent`], [`Challenge`], [`AdminResponse`] |
//!
//! [`EgressMessage`] and [`IngressMessage`] decode whichever of a direction's messages a
//! buffer holds. The encoders write the 8-byte header with [`SCHEMA_VERSION`].
//!
//! # Examples
//!
//! ```
//! use dutycycle_cluster::codec::{EgressMessage, EventCode, Message, SessionEvent};
//!
//! let ok = SessionEvent {
//!     cluster_session_id: 42,
//!     correlation_id: 7,
//!     leadership_term_id: 3,
//!     leader_member_id: 1,
//!     code: EventCode::Ok,
//!     version: 768,
//!     leader_heartbeat_timeout_ns: Some(10_000_000_000),
//!     detail: "",
//! };
//! let mut buffer = [0u8; 64];
//! let length = ok.encode(&mut buffer)?;
//! assert_eq!(length, ok.encoded_length());
//! match EgressMessage::decode(&buffer[..length])? {
//!     EgressMessage::SessionEvent(event) => assert_eq!(event, ok),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// First: the messages' files use its macro.
#[macro_use]
mod layout;

mod admin;
mod auth;
mod dispatch;
mod enums;
mod error;
mod session;
mod wire;

pub use admin::{AdminRequest, AdminResponse};
pub use auth::{Challenge, ChallengeResponse};
pub use dispatch::{EgressMessage, IngressMessage};
pub use enums::{AdminRequestType, AdminResponseCode, EventCode};
pub use error::{DecodeError, EncodeError};
pub use session::{
    NewLeaderEvent, SessionCloseRequest, SessionConnectRequest, SessionEvent, SessionKeepAlive,
    SessionMessage,
};

/// Aeron Cluster's SBE schema id.
pub const SCHEMA_ID: u16 = 111;

/// The schema version the encoders write in the header: Aeron 1.51's. The client messages are
/// the same in version 17 (Aeron 1.53 and later), and a cluster reads any version with the
/// same client protocol major version.
pub const SCHEMA_VERSION: u16 = 16;

/// The length of the SBE message header that starts every message.
pub const HEADER_LENGTH: usize = 8;

/// The length of a session message's header (message header and SessionMessageHeader block):
/// where the application payload starts (`AeronCluster.SESSION_HEADER_LENGTH`).
pub const SESSION_HEADER_LENGTH: usize = HEADER_LENGTH + SessionMessage::BLOCK_LENGTH as usize;

/// The client protocol version a client sends in its connect request: 0.3.0 (Aeron's
/// `AeronCluster.Configuration.PROTOCOL_SEMANTIC_VERSION`). A cluster accepts any client with
/// the same major version.
pub const PROTOCOL_SEMANTIC_VERSION: i32 = 3 << 8;

/// The 8-byte SBE header in front of every message: root block length, template, schema and
/// schema version, each a little-endian `u16`.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{MessageHeader, DecodeError};
///
/// let header = MessageHeader::decode(&[16, 0, 5, 0, 111, 0, 16, 0])?;
/// assert_eq!((header.block_length, header.template_id, header.schema_id), (16, 5, 111));
/// assert_eq!(MessageHeader::decode(&[16, 0]), Err(DecodeError::NoHeader { available: 2 }));
/// # Ok::<(), DecodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageHeader {
    /// The length of the message's root block (its fixed fields).
    pub block_length: u16,
    /// Which message follows.
    pub template_id: u16,
    /// Which schema (111 for Aeron Cluster).
    pub schema_id: u16,
    /// The sender's schema version.
    pub version: u16,
}

impl MessageHeader {
    /// Reads the header at the start of `buffer`; any schema.
    ///
    /// # Errors
    ///
    /// [`DecodeError::NoHeader`] when `buffer` is shorter than 8 bytes.
    pub fn decode(buffer: &[u8]) -> Result<MessageHeader, DecodeError> {
        let Some(bytes) = buffer.get(..HEADER_LENGTH) else {
            return Err(DecodeError::NoHeader { available: buffer.len() });
        };
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        Ok(MessageHeader {
            block_length: u16_at(0),
            template_id: u16_at(2),
            schema_id: u16_at(4),
            version: u16_at(6),
        })
    }

    /// Reads the header at the start of `buffer` and checks that it is schema 111's.
    ///
    /// # Errors
    ///
    /// [`DecodeError::NoHeader`], [`DecodeError::WrongSchema`].
    pub fn decode_cluster(buffer: &[u8]) -> Result<MessageHeader, DecodeError> {
        let header = MessageHeader::decode(buffer)?;
        if header.schema_id != SCHEMA_ID {
            return Err(DecodeError::WrongSchema { schema_id: header.schema_id });
        }
        Ok(header)
    }
}

mod private {
    use super::wire::{Block, Var, VarData, Writer};
    use super::DecodeError;

    /// The per-message part of encoding and decoding; sealed, so that [`Message`](super::Message)
    /// is implemented by this module's messages only.
    pub trait Codec<'a>: Sized {
        /// Reads the fields from the received block and what follows it.
        fn decode_parts(block: Block<'a>, var: VarData<'a>) -> Result<Self, DecodeError>;
        /// Writes the root block (exactly `BLOCK_LENGTH` bytes).
        fn write_block(&self, writer: &mut Writer<'_>);
        /// The variable-length fields, in schema order.
        fn var_data(&self) -> [Option<Var<'_>>; 3] {
            [None; 3]
        }
        /// Bytes after the variable-length fields, without a length (a session message's payload).
        fn tail(&self) -> &[u8] {
            &[]
        }
    }
}

/// A message of schema 111: its identity and its encoding. Implemented by this module's
/// message structs only.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::codec::{Message, SessionKeepAlive, HEADER_LENGTH};
///
/// fn length_of<'a, M: Message<'a>>() -> usize {
///     HEADER_LENGTH + usize::from(M::BLOCK_LENGTH)
/// }
/// assert_eq!(length_of::<SessionKeepAlive>(), 24);
/// assert_eq!(SessionKeepAlive::TEMPLATE_ID, 5);
/// ```
pub trait Message<'a>: private::Codec<'a> {
    /// The message's name in the schema.
    const NAME: &'static str;
    /// Its template id.
    const TEMPLATE_ID: u16;
    /// The length of its root block in [`SCHEMA_VERSION`].
    const BLOCK_LENGTH: u16;

    /// Decodes the message at the start of `buffer` (header first), reading the root block
    /// with the header's block length. Bytes after the message's last field are ignored.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the header is not schema 111's or not this message's, or a
    /// length runs past the end of `buffer`.
    fn decode(buffer: &'a [u8]) -> Result<Self, DecodeError> {
        let header = MessageHeader::decode_cluster(buffer)?;
        Self::decode_with(&header, buffer)
    }

    /// Decodes the message at the start of `buffer` whose header was read already.
    ///
    /// # Errors
    ///
    /// As [`decode`](Message::decode), except for the schema, which is not checked again.
    fn decode_with(header: &MessageHeader, buffer: &'a [u8]) -> Result<Self, DecodeError> {
        if header.template_id != Self::TEMPLATE_ID {
            return Err(DecodeError::WrongTemplate {
                message: Self::NAME,
                expected: Self::TEMPLATE_ID,
                actual: header.template_id,
            });
        }
        let (block, var) = wire::split(Self::NAME, header, buffer)?;
        Self::decode_parts(block, var)
    }

    /// The length of the encoded message, header included.
    fn encoded_length(&self) -> usize {
        let var: usize =
            self.var_data().iter().flatten().map(|v| wire::VAR_PREFIX_LENGTH + v.bytes.len()).sum();
        HEADER_LENGTH + usize::from(Self::BLOCK_LENGTH) + var + self.tail().len()
    }

    /// Encodes the message at the start of `buffer`; returns its length.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BufferTooSmall`]; [`EncodeError::NotAscii`] or [`EncodeError::TooLong`]
    /// when a variable-length field breaks the schema's rules. Nothing is written then.
    fn encode(&self, buffer: &mut [u8]) -> Result<usize, EncodeError> {
        let var_data = self.var_data();
        for var in var_data.iter().flatten() {
            var.check(Self::NAME)?;
        }
        let length = self.encoded_length();
        if buffer.len() < length {
            return Err(EncodeError::BufferTooSmall {
                message: Self::NAME,
                needed: length,
                capacity: buffer.len(),
            });
        }
        let mut writer = wire::Writer::new(buffer);
        for value in [Self::BLOCK_LENGTH, Self::TEMPLATE_ID, SCHEMA_ID, SCHEMA_VERSION] {
            writer.u16(value);
        }
        self.write_block(&mut writer);
        debug_assert_eq!(writer.position(), HEADER_LENGTH + usize::from(Self::BLOCK_LENGTH));
        for var in var_data.iter().flatten() {
            writer.var(var);
        }
        writer.bytes(self.tail());
        Ok(length)
    }
}
