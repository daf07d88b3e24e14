//! The wire: requests and answers, little-endian, fixed size.
//!
//! Every request carries the gateway's **sequence number**: 0, 1, 2, ... one per request, the
//! same in every copy of it that the gateway sends. It is how the gateway knows which request
//! an answer belongs to, and how it drops a second answer to the same request after a resend.
//!
//! - An echoing cluster (aeron-all's `EchoServiceNode`) sends the request back as it came: a
//!   16-byte answer.
//! - The embedded service (`--embedded`) also says where it ordered the request (its log
//!   index, given once per sequence number, and its epoch): a 32-byte answer.

use std::fmt;

/// A request: its sequence number and when this copy of it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The gateway's sequence number of the request.
    pub sequence: u64,
    /// When this copy was sent ([`now_ns`](crate::stats::now_ns)).
    pub sent_ns: u64,
}

impl Request {
    /// The encoded length.
    pub const LEN: usize = 16;

    /// The request's bytes.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[..8].copy_from_slice(&self.sequence.to_le_bytes());
        b[8..].copy_from_slice(&self.sent_ns.to_le_bytes());
        b
    }

    /// A request from its bytes.
    pub fn decode(b: &[u8]) -> Result<Request, WireError> {
        if b.len() != Self::LEN {
            return Err(WireError { length: b.len() });
        }
        Ok(Request { sequence: u64_at(b, 0), sent_ns: u64_at(b, 8) })
    }
}

/// Where a service ordered a request: the embedded service's log index (one per sequence
/// number, whichever copy it saw first) and the incarnation (epoch) that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The log index the service gave the request.
    pub index: u64,
    /// The service incarnation that sent the answer.
    pub epoch: u64,
}

/// An answer: the request it answers (with that copy's send time) and, from the embedded
/// service, where the service ordered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The request answered.
    pub request: Request,
    /// Where the service ordered it; `None` from an echo.
    pub order: Option<Order>,
}

impl Answer {
    /// The encoded length of an ordered answer (an echo is [`Request::LEN`] long).
    pub const ORDERED_LEN: usize = 32;

    /// The bytes of an ordered answer.
    pub fn encode_ordered(request: Request, order: Order) -> [u8; Self::ORDERED_LEN] {
        let mut b = [0; Self::ORDERED_LEN];
        b[..Request::LEN].copy_from_slice(&request.encode());
        b[16..24].copy_from_slice(&order.index.to_le_bytes());
        b[24..].copy_from_slice(&order.epoch.to_le_bytes());
        b
    }

    /// An answer from its bytes: an echo or an ordered answer.
    pub fn decode(b: &[u8]) -> Result<Answer, WireError> {
        match b.len() {
            Request::LEN => Ok(Answer { request: Request::decode(b)?, order: None }),
            Self::ORDERED_LEN => Ok(Answer {
                request: Request::decode(&b[..Request::LEN])?,
                order: Some(Order { index: u64_at(b, 16), epoch: u64_at(b, 24) }),
            }),
            length => Err(WireError { length }),
        }
    }
}

/// A message of a length no request or answer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError {
    /// Its length.
    pub length: usize,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a message of {} bytes is neither a request nor an answer", self.length)
    }
}

impl std::error::Error for WireError {}

/// The little-endian `u64` at `at` (the caller checked the length).
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_round_trip() {
        let request = Request { sequence: 7, sent_ns: 123_456 };
        assert_eq!(Request::decode(&request.encode()), Ok(request));
        assert_eq!(Answer::decode(&request.encode()), Ok(Answer { request, order: None }));
        let order = Order { index: 3, epoch: 2 };
        let bytes = Answer::encode_ordered(request, order);
        assert_eq!(Answer::decode(&bytes), Ok(Answer { request, order: Some(order) }));
    }

    #[test]
    fn other_lengths_are_refused() {
        assert_eq!(Answer::decode(&[0; 15]), Err(WireError { length: 15 }));
        assert_eq!(Request::decode(&[0; 32]), Err(WireError { length: 32 }));
    }
}
