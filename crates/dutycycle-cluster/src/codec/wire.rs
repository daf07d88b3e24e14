//! Little-endian reading and writing of SBE blocks and variable-length fields, bounds-checked.
//!
//! The types are `pub` inside this private module so that the sealed [`Codec`] trait can name
//! them; nothing outside the crate can.

use super::{DecodeError, EncodeError, MessageHeader, HEADER_LENGTH};

/// The largest variable-length field the schema allows (`maxValue` of its length prefix).
pub const MAX_VAR_LENGTH: usize = 1 << 30;

/// The length prefix of a variable-length field.
pub const VAR_PREFIX_LENGTH: usize = 4;

/// A message's root block as received: its fixed fields are read at their schema offsets
/// within the *received* block length, so a longer block from a newer schema decodes.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    message: &'static str,
    bytes: &'a [u8],
    version: u16,
}

impl<'a> Block<'a> {
    /// A field every version has: an error when the block ends before it.
    pub fn i64(&self, offset: usize, field: &'static str) -> Result<i64, DecodeError> {
        self.array::<8>(offset, field).map(i64::from_le_bytes)
    }

    /// A field every version has: an error when the block ends before it.
    pub fn i32(&self, offset: usize, field: &'static str) -> Result<i32, DecodeError> {
        self.array::<4>(offset, field).map(i32::from_le_bytes)
    }

    /// A field added in schema version `since`: `None` when the sender's version predates it
    /// or its block ends before it.
    pub fn i64_since(&self, offset: usize, since: u16) -> Option<i64> {
        self.optional::<8>(offset, since).map(i64::from_le_bytes)
    }

    /// A field added in schema version `since`: `None` when the sender's version predates it
    /// or its block ends before it.
    pub fn i32_since(&self, offset: usize, since: u16) -> Option<i32> {
        self.optional::<4>(offset, since).map(i32::from_le_bytes)
    }

    fn optional<const N: usize>(&self, offset: usize, since: u16) -> Option<[u8; N]> {
        if self.version < since {
            return None;
        }
        self.bytes.get(offset..offset + N).and_then(|b| b.try_into().ok())
    }

    fn array<const N: usize>(&self, offset: usize, field: &'static str) -> Result<[u8; N], DecodeError> {
        self.bytes.get(offset..offset + N).and_then(|b| b.try_into().ok()).ok_or(DecodeError::BlockTooShort {
            message: self.message,
            field,
            block_length: u16::try_from(self.bytes.len()).unwrap_or(u16::MAX),
            needed: offset + N,
        })
    }
}

/// SBE's null value of an optional `int64`.
pub const NULL_I64: i64 = i64::MIN;

/// A type a root block field has: how it is read from the received block and written.
pub trait Field: Sized {
    /// A field every schema version has: an error when the block ends before it.
    fn read(block: &Block<'_>, offset: usize, field: &'static str) -> Result<Self, DecodeError>;
    /// A field added in schema version `since`: its absent value when the sender's version
    /// predates it or its block ends before it.
    fn read_since(block: &Block<'_>, offset: usize, since: u16) -> Self;
    /// Writes the field at the writer's position.
    fn write(&self, writer: &mut Writer<'_>);
}

impl Field for i64 {
    fn read(block: &Block<'_>, offset: usize, field: &'static str) -> Result<Self, DecodeError> {
        block.i64(offset, field)
    }

    fn read_since(block: &Block<'_>, offset: usize, since: u16) -> Self {
        block.i64_since(offset, since).unwrap_or(0)
    }

    fn write(&self, writer: &mut Writer<'_>) {
        writer.i64(*self);
    }
}

impl Field for i32 {
    fn read(block: &Block<'_>, offset: usize, field: &'static str) -> Result<Self, DecodeError> {
        block.i32(offset, field)
    }

    fn read_since(block: &Block<'_>, offset: usize, since: u16) -> Self {
        block.i32_since(offset, since).unwrap_or(0)
    }

    fn write(&self, writer: &mut Writer<'_>) {
        writer.i32(*self);
    }
}

/// An optional `int64`: `None` is SBE's null value on the wire.
impl Field for Option<i64> {
    fn read(block: &Block<'_>, offset: usize, field: &'static str) -> Result<Self, DecodeError> {
        Ok(Some(block.i64(offset, field)?).filter(|&value| value != NULL_I64))
    }

    fn read_since(block: &Block<'_>, offset: usize, since: u16) -> Self {
        block.i64_since(offset, since).filter(|&value| value != NULL_I64)
    }

    fn write(&self, writer: &mut Writer<'_>) {
        writer.i64(self.unwrap_or(NULL_I64));
    }
}

/// A message's variable-length fields, in schema order, as [`Codec::var_data`] returns them.
///
/// [`Codec::var_data`]: super::private::Codec::var_data
pub fn vars<const N: usize>(fields: [Var<'_>; N]) -> [Option<Var<'_>>; 3] {
    let mut vars = [None; 3];
    for (slot, field) in vars.iter_mut().zip(fields) {
        *slot = Some(field);
    }
    vars
}

/// What follows the root block: variable-length fields in schema order, each a `u32` length
/// and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct VarData<'a> {
    message: &'static str,
    rest: &'a [u8],
    version: u16,
}

impl<'a> VarData<'a> {
    /// The next variable-length field's bytes.
    pub fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let truncated = |needed, available| DecodeError::TruncatedVarData {
            message: self.message,
            field,
            needed,
            available,
        };
        let prefix: [u8; VAR_PREFIX_LENGTH] = self
            .rest
            .get(..VAR_PREFIX_LENGTH)
            .and_then(|b| b.try_into().ok())
            .ok_or(truncated(VAR_PREFIX_LENGTH, self.rest.len()))?;
        let length = usize::try_from(u32::from_le_bytes(prefix)).unwrap_or(usize::MAX);
        let end = VAR_PREFIX_LENGTH.saturating_add(length);
        let data = self.rest.get(VAR_PREFIX_LENGTH..end).ok_or(truncated(end, self.rest.len()))?;
        self.rest = &self.rest[end..];
        Ok(data)
    }

    /// The next variable-length field, which the schema declares US-ASCII.
    pub fn ascii(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let bytes = self.bytes(field)?;
        if !bytes.is_ascii() {
            return Err(DecodeError::NotAscii { message: self.message, field });
        }
        // ASCII is UTF-8.
        std::str::from_utf8(bytes).map_err(|_| DecodeError::NotAscii { message: self.message, field })
    }

    /// An ASCII field added in schema version `since`: empty, without reading, when the
    /// sender's version predates it.
    pub fn ascii_since(&mut self, field: &'static str, since: u16) -> Result<&'a str, DecodeError> {
        if self.version < since {
            return Ok("");
        }
        self.ascii(field)
    }

    /// Everything after the block (a session message's payload).
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// Splits a message (header first) into its root block and what follows, using the header's
/// block length.
pub fn split<'a>(
    message: &'static str,
    header: &MessageHeader,
    buffer: &'a [u8],
) -> Result<(Block<'a>, VarData<'a>), DecodeError> {
    let body = buffer.get(HEADER_LENGTH..).unwrap_or_default();
    let block_length = usize::from(header.block_length);
    if body.len() < block_length {
        return Err(DecodeError::TruncatedBlock {
            message,
            block_length: header.block_length,
            available: body.len(),
        });
    }
    let (block, rest) = body.split_at(block_length);
    let version = header.version;
    Ok((Block { message, bytes: block, version }, VarData { message, rest, version }))
}

/// One variable-length field of a message being encoded.
#[derive(Debug, Clone, Copy)]
pub struct Var<'a> {
    /// The field's schema name.
    pub field: &'static str,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// Whether the schema declares it US-ASCII.
    pub ascii: bool,
}

impl<'a> Var<'a> {
    /// A US-ASCII field.
    pub fn ascii(field: &'static str, value: &'a str) -> Self {
        Var { field, bytes: value.as_bytes(), ascii: true }
    }

    /// A binary field.
    pub fn data(field: &'static str, bytes: &'a [u8]) -> Self {
        Var { field, bytes, ascii: false }
    }

    /// Checks what the schema requires of the field.
    pub fn check(&self, message: &'static str) -> Result<(), EncodeError> {
        if self.ascii && !self.bytes.is_ascii() {
            return Err(EncodeError::NotAscii { message, field: self.field });
        }
        if self.bytes.len() > MAX_VAR_LENGTH {
            return Err(EncodeError::TooLong { message, field: self.field, length: self.bytes.len() });
        }
        Ok(())
    }
}

/// Writes a message into a buffer already checked to be long enough.
#[derive(Debug)]
pub struct Writer<'b> {
    buffer: &'b mut [u8],
    position: usize,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buffer`.
    pub fn new(buffer: &'b mut [u8]) -> Self {
        Writer { buffer, position: 0 }
    }

    /// Writes `bytes` at the current position.
    pub fn bytes(&mut self, bytes: &[u8]) {
        let end = self.position + bytes.len();
        self.buffer[self.position..end].copy_from_slice(bytes);
        self.position = end;
    }

    /// Writes a little-endian `u16`.
    pub fn u16(&mut self, value: u16) {
        self.bytes(&value.to_le_bytes());
    }

    /// Writes a little-endian `i32`.
    pub fn i32(&mut self, value: i32) {
        self.bytes(&value.to_le_bytes());
    }

    /// Writes a little-endian `i64`.
    pub fn i64(&mut self, value: i64) {
        self.bytes(&value.to_le_bytes());
    }

    /// Writes a variable-length field: its `u32` length, then its bytes.
    pub fn var(&mut self, var: &Var<'_>) {
        // `Var::check` bounded the length by 2^30.
        self.bytes(&u32::try_from(var.bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        self.bytes(var.bytes);
    }

    /// The bytes written so far.
    pub fn position(&self) -> usize {
        self.position
    }
}
