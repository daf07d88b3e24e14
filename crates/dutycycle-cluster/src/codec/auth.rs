//! The authentication messages: the cluster's [`Challenge`] and the client's
//! [`ChallengeResponse`]. Both are a correlation id, a session id and one binary field.

use super::sbe_message::sbe_message;

sbe_message! {
    /// The cluster asks for credentials (template 7) before it opens a session.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{Challenge, Message};
    ///
    /// let challenge =
    ///     Challenge { correlation_id: 3, cluster_session_id: 8, encoded_challenge: b"nonce" };
    /// let mut buffer = [0u8; 64];
    /// let length = challenge.encode(&mut buffer)?;
    /// assert_eq!(Challenge::decode(&buffer[..length])?, challenge);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Challenge<'a>: "Challenge" (template 7, block_length 16) {
        fields {
            /// The connect request this answers.
            correlation_id: i64 = "correlationId" at 0,
            /// The session being opened.
            cluster_session_id: i64 = "clusterSessionId" at 8,
        }
        data {
            /// The authenticator's challenge.
            encoded_challenge: &'a [u8] = "encodedChallenge",
        }
    }
}

sbe_message! {
    /// The client's answer to a [`Challenge`] (template 8).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_cluster::codec::{ChallengeResponse, Message};
    ///
    /// let response =
    ///     ChallengeResponse { correlation_id: 4, cluster_session_id: 8, encoded_credentials: b"secret" };
    /// let mut buffer = [0u8; 64];
    /// let length = response.encode(&mut buffer)?;
    /// assert_eq!(ChallengeResponse::decode(&buffer[..length])?, response);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ChallengeResponse<'a>: "ChallengeResponse" (template 8, block_length 16) {
        fields {
            /// A new correlation id: the session event that follows carries it.
            correlation_id: i64 = "correlationId" at 0,
            /// The session being opened (the challenge's).
            cluster_session_id: i64 = "clusterSessionId" at 8,
        }
        data {
            /// The credentials answering the challenge.
            encoded_credentials: &'a [u8] = "encodedCredentials",
        }
    }
}
