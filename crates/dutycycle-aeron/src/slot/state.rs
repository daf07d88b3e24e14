//! [`Slot`]: the one state machine every slot type runs (empty, adding, ready).

use std::ffi::CStr;
use std::fmt;

use rusteron_client::AeronCError;

use super::SlotKind;
use crate::{AeronCallError, Channel, ClientError};

/// One Aeron resource of kind `K` on a channel and stream: empty, being added (Aeron's
/// asynchronous add, polled by the owner each duty cycle), or ready. Closing it, or a failed
/// add, makes it empty again, and it can be added anew.
pub(crate) struct Slot<K: SlotKind> {
    channel: Channel,
    stream_id: i32,
    state: State<K>,
}

enum State<K: SlotKind> {
    Empty,
    Adding(K::Pending),
    Ready(K::Ready),
}

impl<K: SlotKind> Slot<K> {
    pub(crate) fn new(channel: Channel, stream_id: i32) -> Self {
        Slot { channel, stream_id, state: State::Empty }
    }

    /// Starts an add with `start` (given the channel and stream) if the slot is empty;
    /// otherwise does nothing.
    pub(crate) fn add(
        &mut self,
        start: impl FnOnce(&CStr, i32) -> Result<K::Pending, AeronCError>,
    ) -> Result<(), ClientError> {
        if matches!(self.state, State::Empty) {
            let pending = start(self.channel.as_c_str(), self.stream_id)
                .map_err(|e| self.add_error(K::KIND.add_call(), e))?;
            self.state = State::Adding(pending);
        }
        Ok(())
    }

    /// Moves an add along: 1 when the resource became ready in this call, else 0. A failed
    /// add leaves the slot empty.
    #[inline]
    pub(crate) fn poll(&mut self) -> Result<usize, ClientError> {
        let State::Adding(pending) = &mut self.state else { return Ok(0) };
        match K::poll(pending) {
            Ok(None) => Ok(0),
            Ok(Some(ready)) => {
                self.state = State::Ready(ready);
                Ok(1)
            }
            Err(e) => {
                self.state = State::Empty;
                Err(self.add_error(K::KIND.poll_call(), e))
            }
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> Option<&K> {
        match &self.state {
            State::Ready(ready) => Some(K::handle(ready)),
            _ => None,
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready(_))
    }

    pub(crate) fn is_adding(&self) -> bool {
        matches!(self.state, State::Adding(_))
    }

    #[inline]
    pub(crate) fn is_connected(&self) -> bool {
        self.get().is_some_and(K::is_connected)
    }

    /// Closes the resource, or cancels the add (dropping a pending add cancels its
    /// registration); the slot is empty afterwards, also when the close fails.
    pub(crate) fn close(&mut self) -> Result<(), ClientError> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Ready(ready) => K::close(ready).map_err(|e| ClientError::Close {
                kind: K::KIND,
                channel: self.channel.to_string(),
                stream_id: self.stream_id,
                source: AeronCallError::client(K::KIND.close_call(), e),
            }),
            State::Adding(pending) => {
                drop(pending);
                Ok(())
            }
            State::Empty => Ok(()),
        }
    }

    pub(crate) fn channel(&self) -> &Channel {
        &self.channel
    }

    pub(crate) fn stream_id(&self) -> i32 {
        self.stream_id
    }

    fn add_error(&self, call: &'static str, error: AeronCError) -> ClientError {
        ClientError::Add {
            kind: K::KIND,
            channel: self.channel.to_string(),
            stream_id: self.stream_id,
            source: AeronCallError::client(call, error),
        }
    }
}

impl<K: SlotKind> fmt::Debug for Slot<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Empty => "empty",
            State::Adding(_) => "adding",
            State::Ready(_) => "ready",
        };
        f.debug_struct("Slot")
            .field("kind", &K::KIND)
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .field("state", &state)
            .finish()
    }
}

/// The methods every public slot type shares, forwarded to its [`Slot`] (field `slot`):
/// written once here so that the two types cannot drift apart. `$what` names the resource in
/// the docs, `$handle` is the rusteron handle `get` returns.
macro_rules! shared_slot_methods {
    ($what:literal, $handle:ty) => {
        #[doc = concat!("Moves an add along: returns 1 when the ", $what, " became ready in this call, else 0.")]
        /// Call it every duty cycle (after the client's
        /// [`do_work`](crate::AeronClient::do_work)).
        ///
        /// # Errors
        ///
        /// [`ClientError::Add`](crate::ClientError::Add) when the add failed (the driver refused
        /// the channel, say); the slot is empty again.
        #[inline]
        pub fn poll(&mut self) -> Result<usize, crate::ClientError> {
            self.slot.poll()
        }

        #[doc = concat!("The ", $what, ", once ready.")]
        #[inline]
        pub fn get(&self) -> Option<&$handle> {
            self.slot.get()
        }

        #[doc = concat!("Whether the ", $what, " is ready.")]
        pub fn is_ready(&self) -> bool {
            self.slot.is_ready()
        }

        /// Whether an add is under way.
        pub fn is_adding(&self) -> bool {
            self.slot.is_adding()
        }

        #[doc = concat!("Whether the ", $what, " is ready and connected (a subscriber for a publication, an image for a subscription).")]
        #[inline]
        pub fn is_connected(&self) -> bool {
            self.slot.is_connected()
        }

        #[doc = concat!("Closes the ", $what, " (or cancels the add), on this thread; the slot is empty again and can be added anew. Idempotent.")]
        ///
        /// # Errors
        ///
        /// [`ClientError::Close`](crate::ClientError::Close) when Aeron's close fails; the slot
        /// is empty regardless.
        pub fn close(&mut self) -> Result<(), crate::ClientError> {
            self.slot.close()
        }

        /// The channel.
        pub fn channel(&self) -> &crate::Channel {
            self.slot.channel()
        }

        /// The stream id.
        pub fn stream_id(&self) -> i32 {
            self.slot.stream_id()
        }
    };
}
pub(crate) use shared_slot_methods;
