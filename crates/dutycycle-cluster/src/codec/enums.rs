//! The schema's `int32` enums the client sees: [`EventCode`], [`AdminRequestType`],
//! [`AdminResponseCode`]. A value this crate does not know (a newer cluster's, or SBE's null
//! value `i32::MIN`) is kept as `Unknown(value)` and encodes back to itself.

use super::wire::{Block, Field, Writer};
use super::DecodeError;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept as received.
            Unknown(i32),
        }

        impl From<i32> for $name {
            fn from(value: i32) -> Self {
                match value {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> i32 {
                match value {
                    $( $name::$variant => $value, )*
                    $name::Unknown(other) => other,
                }
            }
        }

        /// An `int32` field on the wire.
        impl Field for $name {
            fn read(block: &Block<'_>, offset: usize, field: &'static str) -> Result<Self, DecodeError> {
                i32::read(block, offset, field).map($name::from)
            }

            fn read_since(block: &Block<'_>, offset: usize, since: u16) -> Self {
                $name::from(i32::read_since(block, offset, since))
            }

            fn write(&self, writer: &mut Writer<'_>) {
                i32::from(*self).write(writer);
            }
        }
    };
}

wire_enum! {
    /// The code of a [`SessionEvent`](super::SessionEvent) (XML `EventCode`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::EventCode;
    ///
    /// assert_eq!(EventCode::from(2), EventCode::Redirect);
    /// assert_eq!(EventCode::from(9), EventCode::Unknown(9));
    /// assert_eq!(i32::from(EventCode::Unknown(9)), 9);
    /// assert_eq!(i32::from(EventCode::Closed), 4);
    /// ```
    EventCode {
        /// The operation succeeded (a session is open).
        Ok = 0,
        /// The operation failed; the detail says why.
        Error = 1,
        /// Not the leader: the detail lists the members' ingress endpoints.
        Redirect = 2,
        /// The credentials were rejected.
        AuthenticationRejected = 3,
        /// The session has been closed.
        Closed = 4,
    }
}

wire_enum! {
    /// What an [`AdminRequest`](super::AdminRequest) asks for (XML `AdminRequestType`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::AdminRequestType;
    ///
    /// assert_eq!(AdminRequestType::from(0), AdminRequestType::Snapshot);
    /// assert_eq!(AdminRequestType::from(i32::MIN), AdminRequestType::Unknown(i32::MIN));
    /// ```
    AdminRequestType {
        /// Take a snapshot of the cluster's state.
        Snapshot = 0,
    }
}

wire_enum! {
    /// The result of an admin request (XML `AdminResponseCode`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::AdminResponseCode;
    ///
    /// assert_eq!(AdminResponseCode::from(2), AdminResponseCode::UnauthorisedAccess);
    /// assert_eq!(i32::from(AdminResponseCode::Ok), 0);
    /// ```
    AdminResponseCode {
        /// Submitted or executed.
        Ok = 0,
        /// Failed; the message says why.
        Error = 1,
        /// The session may not make admin requests.
        UnauthorisedAccess = 2,
    }
}
