//! The authentication messages: the cluster's [`Challenge`] and the client's
//! [`ChallengeResponse`]. Both are a correlation id, a session id and one binary field.

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

        layout! {
            impl<'a> $name<'a> = stringify!($name), template $template, block 16 {
                correlation_id: 0 = "correlationId",
                cluster_session_id: 8 = "clusterSessionId",
            }
            var {
                $data: data = $field,
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
