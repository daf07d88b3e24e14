//! The authentication messages: the cluster's [`Challenge`] and the client's
//! [`ChallengeResponse`]. Both are a correlation id, a session id and one binary field.

use super::private::Codec;
use super::wire::{Block, Var, VarData, Writer};
use super::{DecodeError, Message};

/// Defines a message of a correlation id, a session id and one binary field.
macro_rules! correlated_data_message {
    (
        $(#[$meta:meta])*
        $name:ident = $template:literal {
            $(#[$cmeta:meta])* correlation_id,
            $(#[$smeta:meta])* cluster_session_id,
            $(#[$dmeta:meta])* $data:ident = $field:literal,
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name<'a> {
            $(#[$cmeta])*
            pub correlation_id: i64,
            $(#[$smeta])*
            pub cluster_session_id: i64,
            $(#[$dmeta])*
            pub $data: &'a [u8],
        }

        impl<'a> Message<'a> for $name<'a> {
            const NAME: &'static str = stringify!($name);
            const TEMPLATE_ID: u16 = $template;
            const BLOCK_LENGTH: u16 = 16;
        }

        impl<'a> Codec<'a> for $name<'a> {
            fn decode_parts(block: Block<'a>, mut var: VarData<'a>) -> Result<Self, DecodeError> {
                Ok($name {
                    correlation_id: block.i64(0, "correlationId")?,
                    cluster_session_id: block.i64(8, "clusterSessionId")?,
                    $data: var.bytes($field)?,
                })
            }

            fn write_block(&self, writer: &mut Writer<'_>) {
                writer.i64(self.correlation_id);
                writer.i64(self.cluster_session_id);
            }

            fn var_data(&self) -> [Option<Var<'_>>; 3] {
                [Some(Var::data($field, self.$data)), None, None]
            }
        }
    };
}

correlated_data_message! {
    /// The cluster asks for credentials (template 7) before it opens a session.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{Challenge, Message};
    ///
    /// let challenge = Challenge { correlation_id: 3, cluster_session_id: 8, encoded_challenge: b"nonce" };
    /// let mut buffer = [0u8; 64];
    /// let length = challenge.encode(&mut buffer)?;
    /// assert_eq!(Challenge::decode(&buffer[..length])?, challenge);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Challenge = 7 {
        /// The connect request this answers.
        correlation_id,
        /// The session being opened.
        cluster_session_id,
        /// The authenticator's challenge.
        encoded_challenge = "encodedChallenge",
    }
}

correlated_data_message! {
    /// The client's answer to a [`Challenge`] (template 8).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{ChallengeResponse, Message};
    ///
    /// let response = ChallengeResponse { correlation_id: 4, cluster_session_id: 8, encoded_credentials: b"secret" };
    /// let mut buffer = [0u8; 64];
    /// let length = response.encode(&mut buffer)?;
    /// assert_eq!(ChallengeResponse::decode(&buffer[..length])?, response);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ChallengeResponse = 8 {
        /// A new correlation id: the session event that follows carries it.
        correlation_id,
        /// The session being opened (the challenge's).
        cluster_session_id,
        /// The credentials answering the challenge.
        encoded_credentials = "encodedCredentials",
    }
}
