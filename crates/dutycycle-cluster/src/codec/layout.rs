//! [`layout!`]: a message's schema layout, written once as a table, from which its
//! [`Message`](super::Message) and sealed codec implementations are made, as SBE generates
//! Java's codecs from the schema.

/// Implements `Message` and `Codec` for a message struct from its layout in the schema:
///
/// ```text
/// layout! {
///     impl<'a> Struct<'a> = "SchemaName", template 2, block 44 {
///         rust_field: offset = "schemaField",             // every schema version has it
///         rust_field: offset since 13 = "schemaField",    // added in schema version 13
///     }
///     var { rust_field: ascii = "schemaField", rust_field: data = "schemaField", }
///     tail { payload }                                    // the bytes after the block
/// }
/// ```
///
/// A fixed field is read with the received block length ([`Field::read`], an error when the
/// block ends before it) and written in order; a field `since` a schema version reads as
/// absent from an older sender ([`Field::read_since`]). Variable-length fields are read and
/// written in the order given, `ascii` ones checked to be US-ASCII.
///
/// [`Field::read`]: super::wire::Field::read
/// [`Field::read_since`]: super::wire::Field::read_since
macro_rules! layout {
    (
        impl<$lt:lifetime> $ty:ty = $name:expr, template $template:literal, block $block:literal {
            $( $field:ident: $offset:literal $(since $since:literal)? = $schema:literal, )*
        }
        $( var { $( $vfield:ident: $vkind:ident $(since $vsince:literal)? = $vschema:literal, )* } )?
        $( tail { $tail:ident } )?
    ) => {
        impl<$lt> $crate::codec::Message<$lt> for $ty {
            const NAME: &'static str = $name;
            const TEMPLATE_ID: u16 = $template;
            const BLOCK_LENGTH: u16 = $block;
        }

        impl<$lt> $crate::codec::private::Codec<$lt> for $ty {
            #[allow(unused_mut, unused_variables)] // a message without variable-length data
            fn decode_parts(
                block: $crate::codec::wire::Block<$lt>,
                mut var: $crate::codec::wire::VarData<$lt>,
            ) -> Result<Self, $crate::codec::DecodeError> {
                Ok(Self {
                    $( $field: layout!(@read block, $offset, $schema $(, $since)?), )*
                    $( $( $vfield: layout!(@var var, $vkind, $vschema $(, $vsince)?), )* )?
                    $( $tail: var.rest(), )?
                })
            }

            fn write_block(&self, writer: &mut $crate::codec::wire::Writer<'_>) {
                $( $crate::codec::wire::Field::write(&self.$field, writer); )*
            }

            $(
                fn var_data(&self) -> [Option<$crate::codec::wire::Var<'_>>; 3] {
                    $crate::codec::wire::vars([$( $crate::codec::wire::Var::$vkind($vschema, self.$vfield), )*])
                }
            )?

            $(
                fn tail(&self) -> &[u8] {
                    self.$tail
                }
            )?
        }
    };
    (@read $block:ident, $offset:literal, $schema:literal) => {
        $crate::codec::wire::Field::read(&$block, $offset, $schema)?
    };
    (@read $block:ident, $offset:literal, $schema:literal, $since:literal) => {
        $crate::codec::wire::Field::read_since(&$block, $offset, $since)
    };
    (@var $var:ident, ascii, $schema:literal) => {
        $var.ascii($schema)?
    };
    (@var $var:ident, ascii, $schema:literal, $since:literal) => {
        $var.ascii_since($schema, $since)?
    };
    (@var $var:ident, data, $schema:literal) => {
        $var.bytes($schema)?
    };
}
