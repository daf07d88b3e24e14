//! [`Slot`]: the one state machine every slot type runs (empty, adding, ready).

use std::ffi::CStr;
use std::fmt;
use std::time::Instant;

use rusteron_client::AeronCError;

use super::SlotKind;
use crate::{events, AddErrorPolicy, AeronCallError, Channel, ClientError};

/// One Aeron resource of kind `K` on a channel and stream: empty, being added (Aeron's
/// asynchronous add, polled by the owner each duty cycle), ready, or waiting to add again
/// after a failed add ([`AddErrorPolicy::Retry`]). Closing it, or a failed add under
/// [`AddErrorPolicy::Fail`], makes it empty again, and it can be added anew.
pub(crate) struct Slot<K: SlotKind> {
    channel: Channel,
    stream_id: i32,
    policy: AddErrorPolicy,
    state: State<K>,
}

/// Starts an add of `K` on a channel and stream; kept to add again under
/// [`AddErrorPolicy::Retry`] (it holds the client, so only while adding or retrying).
pub(crate) type Start<K> = Box<dyn FnMut(&CStr, i32) -> Result<<K as SlotKind>::Pending, AeronCError>>;

enum State<K: SlotKind> {
    Empty,
    /// The add under way, and how to start it again if it fails (under `Retry` only).
    Adding(K::Pending, Option<Start<K>>),
    Ready(K::Ready),
    /// A failed add under `Retry`: `error` is reported by the next poll, the next attempt
    /// starts at `at`.
    Retrying {
        at: Instant,
        error: Option<ClientError>,
        start: Start<K>,
    },
}

impl<K: SlotKind> Slot<K> {
    pub(crate) fn new(channel: Channel, stream_id: i32) -> Self {
        Slot { channel, stream_id, policy: AddErrorPolicy::Fail, state: State::Empty }
    }

    pub(crate) fn set_policy(&mut self, policy: AddErrorPolicy) {
        self.policy = policy;
    }

    pub(crate) fn policy(&self) -> AddErrorPolicy {
        self.policy
    }

    /// Starts an add with `start` (given the channel and stream) if the slot is empty;
    /// otherwise does nothing. Under `Retry` a refused start is not an error here: the next
    /// poll reports it.
    pub(crate) fn add(
        &mut self,
        start: impl FnMut(&CStr, i32) -> Result<K::Pending, AeronCError> + 'static,
    ) -> Result<(), ClientError> {
        if !matches!(self.state, State::Empty) {
            return Ok(());
        }
        match self.policy {
            AddErrorPolicy::Fail => {
                let mut start = start;
                events::add_begun(K::KIND, &self.channel, self.stream_id);
                let pending = start(self.channel.as_c_str(), self.stream_id)
                    .map_err(|e| self.add_failed(K::KIND.add_call(), e))?;
                self.state = State::Adding(pending, None);
            }
            AddErrorPolicy::Retry { .. } => self.start_retryable(Box::new(start)),
        }
        Ok(())
    }

    /// Starts an add that is tried again if it fails.
    fn start_retryable(&mut self, mut start: Start<K>) {
        events::add_begun(K::KIND, &self.channel, self.stream_id);
        self.state = match start(self.channel.as_c_str(), self.stream_id) {
            Ok(pending) => State::Adding(pending, Some(start)),
            Err(e) => self.retrying(K::KIND.add_call(), e, start),
        };
    }

    /// Moves an add along: 1 when the resource became ready in this call, else 0. A failed
    /// add is returned: under `Fail` the slot is empty; under `Retry` it adds again later.
    #[inline]
    pub(crate) fn poll(&mut self) -> Result<usize, ClientError> {
        match self.state {
            State::Empty | State::Ready(_) => Ok(0),
            _ => self.poll_add(),
        }
    }

    #[cold]
    fn poll_add(&mut self) -> Result<usize, ClientError> {
        match &mut self.state {
            State::Adding(pending, _) => match K::poll(pending) {
                Ok(None) => Ok(0),
                Ok(Some(ready)) => {
                    self.state = State::Ready(ready);
                    events::add_done(K::KIND, &self.channel, self.stream_id);
                    Ok(1)
                }
                Err(e) => match std::mem::replace(&mut self.state, State::Empty) {
                    State::Adding(_, Some(start)) => {
                        self.state = self.retrying(K::KIND.poll_call(), e, start);
                        self.take_retry_error()
                    }
                    _ => Err(self.add_failed(K::KIND.poll_call(), e)),
                },
            },
            State::Retrying { error: Some(_), .. } => self.take_retry_error(),
            State::Retrying { at, .. } if Instant::now() >= *at => {
                let State::Retrying { start, .. } = std::mem::replace(&mut self.state, State::Empty) else {
                    unreachable!("matched above")
                };
                self.start_retryable(start);
                self.take_retry_error()
            }
            _ => Ok(0),
        }
    }

    /// The error of a failed retryable attempt, once: `Ok(0)` when there is none.
    fn take_retry_error(&mut self) -> Result<usize, ClientError> {
        match &mut self.state {
            State::Retrying { error, .. } => error.take().map_or(Ok(0), Err),
            _ => Ok(0),
        }
    }

    /// The state after a failed attempt under `Retry`.
    fn retrying(&self, call: &'static str, error: AeronCError, start: Start<K>) -> State<K> {
        let AddErrorPolicy::Retry { backoff } = self.policy else {
            unreachable!("a slot keeps its start only under Retry")
        };
        let error = ClientError::AddRetrying {
            kind: K::KIND,
            channel: self.channel.to_string(),
            stream_id: self.stream_id,
            backoff,
            source: AeronCallError::client(call, error),
        };
        events::add_failed(K::KIND, &self.channel, self.stream_id, &error, true);
        State::Retrying { at: Instant::now() + backoff, error: Some(error), start }
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
        matches!(self.state, State::Adding(..) | State::Retrying { .. })
    }

    #[inline]
    pub(crate) fn is_connected(&self) -> bool {
        self.get().is_some_and(K::is_connected)
    }

    /// Closes the resource, or cancels the add (dropping a pending add cancels its
    /// registration) or the retry; the slot is empty afterwards, also when the close fails.
    pub(crate) fn close(&mut self) -> Result<(), ClientError> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Ready(ready) => K::close(ready).map_err(|e| ClientError::Close {
                kind: K::KIND,
                channel: self.channel.to_string(),
                stream_id: self.stream_id,
                source: AeronCallError::client(K::KIND.close_call(), e),
            }),
            State::Adding(pending, start) => {
                drop(pending);
                drop(start);
                Ok(())
            }
            State::Retrying { .. } | State::Empty => Ok(()),
        }
    }

    pub(crate) fn channel(&self) -> &Channel {
        &self.channel
    }

    pub(crate) fn stream_id(&self) -> i32 {
        self.stream_id
    }

    /// A failed add under `Fail`: the error that ends the owning agent.
    fn add_failed(&self, call: &'static str, error: AeronCError) -> ClientError {
        let error = ClientError::Add {
            kind: K::KIND,
            channel: self.channel.to_string(),
            stream_id: self.stream_id,
            source: AeronCallError::client(call, error),
        };
        events::add_failed(K::KIND, &self.channel, self.stream_id, &error, false);
        error
    }
}

impl<K: SlotKind> fmt::Debug for Slot<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Empty => "empty",
            State::Adding(..) => "adding",
            State::Ready(_) => "ready",
            State::Retrying { .. } => "retrying",
        };
        f.debug_struct("Slot")
            .field("kind", &K::KIND)
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .field("policy", &self.policy)
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
        /// the channel, the port is taken, the driver is gone): the slot is empty again, and
        /// the error [ends the owning agent](crate::ClientError::ends_agent). Under
        /// [`AddErrorPolicy::Retry`](crate::AddErrorPolicy::Retry),
        /// [`ClientError::AddRetrying`](crate::ClientError::AddRetrying) once per failed
        /// attempt instead, and the slot adds again by itself after the backoff.
        #[inline]
        pub fn poll(&mut self) -> Result<usize, crate::ClientError> {
            self.slot.poll()
        }

        /// What the slot does when an add fails: end the owning agent
        /// ([`AddErrorPolicy::Fail`](crate::AddErrorPolicy::Fail), the default) or try again
        /// ([`AddErrorPolicy::Retry`](crate::AddErrorPolicy::Retry)). Applies to the adds
        /// started after it is set.
        pub fn on_add_error(mut self, policy: crate::AddErrorPolicy) -> Self {
            self.slot.set_policy(policy);
            self
        }

        /// The slot's [`AddErrorPolicy`](crate::AddErrorPolicy).
        pub fn add_error_policy(&self) -> crate::AddErrorPolicy {
            self.slot.policy()
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

        /// Whether an add is under way (or waiting to be tried again).
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
