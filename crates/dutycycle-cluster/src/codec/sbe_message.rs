//! [`sbe_message!`]: a message of schema 111 defined from its layout, written down once, as
//! SBE generates its codecs from the schema's XML.

/// Defines a message from its layout: the struct with its documented fields, its
/// [`Message`](super::Message) identity and its sealed codec, which reads each field at its
/// offset with its schema name and writes the fields in order.
///
/// ```text
/// sbe_message! {
///     /// The struct's docs; its derives.
///     pub struct RustName<'a>: "SchemaName" (template 3, block_length 16) {
///         fields {                                  // the root block, in schema order
///             /// A field's docs.
///             correlation_id: i64 = "correlationId" at 0,
///             version: i32 = "version" at 12 since 2, // added in schema version 2
///         }
///         data {                                    // variable-length fields, in schema order
///             response_channel: &'a str = "responseChannel",
///             client_info: &'a str = "clientInfo" since 14,
///         }
///         rest {                                    // or: the bytes after the block, unprefixed
///             payload: &'a [u8],
///         }
///     }
/// }
/// ```
///
/// A fixed field's type implements [`Fixed`](super::wire::Fixed) and a variable-length one's
/// [`VarField`](super::wire::VarField) (`&str` for US-ASCII, `&[u8]` for binary); a field
/// added in a later schema version than the sender's reads as its type's default. The offsets
/// are checked when the crate compiles: each field starts where the one before it ends, and
/// the last ends at the block length.
macro_rules! sbe_message {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$lt:lifetime>)?: $schema_name:literal
            (template $template:literal, block_length $block_length:literal)
        {
            fields {
                $(
                    $(#[$field_meta:meta])*
                    $field:ident: $field_type:ty = $field_name:literal at $offset:literal
                        $(since $field_since:literal)?,
                )*
            }
            $(data {
                $(
                    $(#[$var_meta:meta])*
                    $var:ident: $var_type:ty = $var_name:literal $(since $var_since:literal)?,
                )*
            })?
            $(rest {
                $(#[$rest_meta:meta])*
                $rest:ident: $rest_type:ty,
            })?
        }
    ) => {
        $(#[$meta])*
        pub struct $name $(<$lt>)? {
            $( $(#[$field_meta])* pub $field: $field_type, )*
            $($( $(#[$var_meta])* pub $var: $var_type, )*)?
            $( $(#[$rest_meta])* pub $rest: $rest_type, )?
        }

        const _: () = {
            let mut end = 0;
            $(
                assert!(
                    $offset == end,
                    concat!(
                        stringify!($name), "::", stringify!($field),
                        " does not start where the field before it ends",
                    ),
                );
                end += <$field_type as $crate::codec::wire::Fixed>::LENGTH;
            )*
            assert!(
                end == $block_length,
                concat!(stringify!($name), "'s fields do not end at its block length"),
            );
        };

        impl<'a> $crate::codec::Message<'a> for $name $(<$lt>)? {
            const NAME: &'static str = $schema_name;
            const TEMPLATE_ID: u16 = $template;
            const BLOCK_LENGTH: u16 = $block_length;
        }

        impl<'a> $crate::codec::private::Codec<'a> for $name $(<$lt>)? {
            // A message without variable-length fields leaves `var` unread.
            #[allow(unused_mut, unused_variables)]
            fn decode_parts(
                block: $crate::codec::wire::Block<'a>,
                mut var: $crate::codec::wire::VarData<'a>,
            ) -> Result<Self, $crate::codec::DecodeError> {
                Ok($name {
                    $( $field: sbe_message!(@fixed block, $offset, $field_name $(, since $field_since)?), )*
                    $($( $var: sbe_message!(@var var, $var_name $(, since $var_since)?), )*)?
                    $( $rest: var.rest(), )?
                })
            }

            fn write_block(&self, writer: &mut $crate::codec::wire::Writer<'_>) {
                $( $crate::codec::wire::Fixed::write(self.$field, writer); )*
            }

            $(
                fn var_data(&self) -> impl AsRef<[$crate::codec::wire::Var<'_>]> {
                    [$( $crate::codec::wire::VarField::to_var(self.$var, $var_name) ),*]
                }
            )?

            $(
                fn tail(&self) -> &[u8] {
                    self.$rest
                }
            )?
        }
    };

    (@fixed $block:ident, $offset:literal, $name:literal) => {
        $block.field($offset, $name)?
    };
    (@fixed $block:ident, $offset:literal, $name:literal, since $since:literal) => {
        $block.field_since($offset, $since)
    };
    (@var $var:ident, $name:literal) => {
        $var.field($name)?
    };
    (@var $var:ident, $name:literal, since $since:literal) => {
        $var.field_since($name, $since)?
    };
}

pub(super) use sbe_message;
