//! Little-endian reading and writing of SBE blocks and variable-length fields, bounds-checked.
//!
//! The items are `pub` inside this private module so that the sealed [`Codec`] trait and the
//! messages [`sbe_message!`] defines can name them; nothing outside the crate can.
//!
//! [`Codec`]: super::private::Codec
//! [`sbe_message!`]: super::sbe_message::sbe_message

use super::{DecodeError, EncodeError, MessageHeader, HEADER_LENGTH};

/// The largest variable-length field the schema allows (`maxValue` of its length prefix).
pub const MAX_VAR_LENGTH: usize = 1 << 30;

/// The length prefix of a variable-length field.
pub const VAR_PREFIX_LENGTH: usize = 4;

/// The Rust type of a fixed-length field: how many bytes it takes in the root block and how
/// it reads and writes them (little-endian).
pub trait Fixed: Copy {
    /// Its length in the block.
    const LENGTH: usize;
    /// Reads it from the start of `bytes`; `None` when `bytes` is shorter than [`LENGTH`](Fixed::LENGTH).
    fn read(bytes: &[u8]) -> Option<Self>;
    /// Writes it at the writer's position.
    fn write(self, writer: &mut Writer<'_>);
}

/// The schema's primitive integers.
macro_rules! fixed_integer {
    ($($int:ty),*) => {$(
        impl Fixed for $int {
            const LENGTH: usize = size_of::<$int>();

            fn read(bytes: &[u8]) -> Option<Self> {
                bytes.get(..Self::LENGTH)?.try_into().ok().map(<$int>::from_le_bytes)
            }

            fn write(self, writer: &mut Writer<'_>) {
                writer.bytes(&self.to_le_bytes());
            }
        }
    )*};
}

fixed_integer!(i32, i64);

/// SBE's null value of an optional `int64`.
const NULL_I64: i64 = i64::MIN;

/// An optional `int64`: SBE's null value, `i64::MIN`, is `None`.
impl Fixed for Option<i64> {
    const LENGTH: usize = i64::LENGTH;

    fn read(bytes: &[u8]) -> Option<Self> {
        i64::read(bytes).map(|value| (value != NULL_I64).then_some(value))
    }

    fn write(self, writer: &mut Writer<'_>) {
        self.unwrap_or(NULL_I64).write(writer);
    }
}

/// The Rust type of a variable-length field: `&str` where the schema declares the field
/// US-ASCII, `&[u8]` where it is binary.
pub trait VarField<'a>: Copy + Default {
    /// Reads it as the next field of `var`.
    fn read(var: &mut VarData<'a>, field: &'static str) -> Result<Self, DecodeError>;
    /// It as a field to encode.
    fn to_var(self, field: &'static str) -> Var<'a>;
}

impl<'a> VarField<'a> for &'a str {
    fn read(var: &mut VarData<'a>, field: &'static str) -> Result<Self, DecodeError> {
        var.ascii(field)
    }

    fn to_var(self, field: &'static str) -> Var<'a> {
        Var::ascii(field, self)
    }
}

impl<'a> VarField<'a> for &'a [u8] {
    fn read(var: &mut VarData<'a>, field: &'static str) -> Result<Self, DecodeError> {
        var.bytes(field)
    }

    fn to_var(self, field: &'static str) -> Var<'a> {
        Var::data(field, self)
    }
}

/// A message's root block as received: its fixed fields are read at their schema offsets
/// within the *received* block length, so a longer block from a newer schema decodes.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    message: &'static str,
    bytes: &'a [u8],
    version: u16,
}

impl Block<'_> {
    /// A field every version has: an error when the block ends before it.
    pub fn field<F: Fixed>(&self, offset: usize, field: &'static str) -> Result<F, DecodeError> {
        self.bytes.get(offset..).and_then(F::read).ok_or(DecodeError::BlockTooShort {
            message: self.message,
            field,
            block_length: u16::try_from(self.bytes.len()).unwrap_or(u16::MAX),
            needed: offset + F::LENGTH,
        })
    }

    /// A field added in schema version `since`: its type's default when the sender's version
    /// predates it or its block ends before it.
    pub fn field_since<F: Fixed + Default>(&self, offset: usize, since: u16) -> F {
        if self.version < since {
            return F::default();
        }
        self.bytes.get(offset..).and_then(F::read).unwrap_or_default()
    }
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

    /// The next variable-length field.
    pub fn field<F: VarField<'a>>(&mut self, field: &'static str) -> Result<F, DecodeError> {
        F::read(self, field)
    }

    /// A variable-length field added in schema version `since`: its type's default (empty),
    /// without reading, when the sender's version predates it.
    pub fn field_since<F: VarField<'a>>(
        &mut self,
        field: &'static str,
        since: u16,
    ) -> Result<F, DecodeError> {
        if self.version < since {
            return Ok(F::default());
        }
        self.field(field)
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
