//! [`PublicationSlot`]: a publication added without blocking, polled from the duty cycle.

use std::ffi::CStr;
use std::fmt;

use rusteron_client::{
    Aeron, AeronAsyncAddExclusivePublication, AeronAsyncAddPublication, AeronCError,
    AeronExclusivePublication, AeronOfferError, AeronPublication,
};

use crate::{AeronCallError, AeronClient, Channel, ClientError};

mod sealed {
    pub trait Sealed {}
    impl Sealed for rusteron_client::AeronPublication {}
    impl Sealed for rusteron_client::AeronExclusivePublication {}
}

/// The two kinds of Aeron publication a [`PublicationSlot`] can hold: `AeronPublication`
/// (concurrent: one per channel and stream in a client, shared by its users) and
/// `AeronExclusivePublication` (one publisher, a session of its own each time it is added).
/// Sealed: the methods are this crate's plumbing.
pub trait PublicationKind: sealed::Sealed + Sized {
    /// The pending asynchronous add.
    #[doc(hidden)]
    type Pending;
    /// What the slot calls it in errors.
    #[doc(hidden)]
    const WHAT: &'static str;
    /// Starts the asynchronous add.
    #[doc(hidden)]
    fn start(aeron: &Aeron, channel: &CStr, stream_id: i32) -> Result<Self::Pending, AeronCError>;
    /// Polls the asynchronous add.
    #[doc(hidden)]
    fn poll(pending: &Self::Pending) -> Result<Option<Self>, AeronCError>;
    /// Closes the publication.
    #[doc(hidden)]
    fn close(self) -> Result<(), AeronCError>;
    /// Offers a message.
    #[doc(hidden)]
    fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError>;
    /// Whether a subscriber is connected.
    #[doc(hidden)]
    fn is_connected(&self) -> bool;
}

impl PublicationKind for AeronPublication {
    type Pending = AeronAsyncAddPublication;
    const WHAT: &'static str = "publication";

    fn start(aeron: &Aeron, channel: &CStr, stream_id: i32) -> Result<Self::Pending, AeronCError> {
        aeron.async_add_publication(channel, stream_id)
    }

    fn poll(pending: &Self::Pending) -> Result<Option<Self>, AeronCError> {
        pending.poll()
    }

    fn close(self) -> Result<(), AeronCError> {
        AeronPublication::close(self)
    }

    #[inline]
    fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError> {
        AeronPublication::offer(self, message)
    }

    #[inline]
    fn is_connected(&self) -> bool {
        AeronPublication::is_connected(self)
    }
}

impl PublicationKind for AeronExclusivePublication {
    type Pending = AeronAsyncAddExclusivePublication;
    const WHAT: &'static str = "exclusive publication";

    fn start(aeron: &Aeron, channel: &CStr, stream_id: i32) -> Result<Self::Pending, AeronCError> {
        aeron.async_add_exclusive_publication(channel, stream_id)
    }

    fn poll(pending: &Self::Pending) -> Result<Option<Self>, AeronCError> {
        pending.poll()
    }

    fn close(self) -> Result<(), AeronCError> {
        AeronExclusivePublication::close(self)
    }

    #[inline]
    fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError> {
        AeronExclusivePublication::offer(self, message)
    }

    #[inline]
    fn is_connected(&self) -> bool {
        AeronExclusivePublication::is_connected(self)
    }
}

/// A slot for one publication on a channel and stream: empty, being added, or ready. The
/// owner [`add`](PublicationSlot::add)s it (returns at once: Aeron's asynchronous add),
/// [`poll`](PublicationSlot::poll)s it every duty cycle until it is ready, offers through it,
/// and [`close`](PublicationSlot::close)s it on its own thread — then may add it again, as a
/// service does when it restarts.
///
/// [`PublicationSlot::new`] makes a slot for a concurrent `AeronPublication`;
/// [`PublicationSlot::exclusive`] one for an `AeronExclusivePublication`
/// ([`ExclusivePublicationSlot`]), which gets a new session each time it is added, so that its
/// subscribers see a new image: what a restarting service should look like.
///
/// # Examples
///
/// ```
/// # use dutycycle::Agent;
/// # use dutycycle_aeron::*;
/// # use dutycycle_aeron::rusteron_client::AeronOfferError;
/// # let mut driver = MediaDriverAgent::launch(MediaDriverConfig::new())?;
/// # let mut client = AeronClient::connect(&ClientConfig::new().dir(driver.dir()))?;
/// let mut slot = PublicationSlot::new(Channel::ipc(), 1001);
/// slot.add(&client)?;
/// while !slot.is_ready() {
///     # driver.do_work()?; // the driver's duty cycle, on its own agent in real life
///     client.do_work()?; // in an agent: one turn of its duty cycle
///     slot.poll()?;
/// }
/// assert_eq!(slot.offer(b"hello"), Err(AeronOfferError::NotConnected)); // no subscriber yet
/// slot.close()?;
/// assert!(!slot.is_ready());
/// # client.close()?;
/// # driver.on_close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PublicationSlot<P: PublicationKind = AeronPublication> {
    channel: Channel,
    stream_id: i32,
    state: State<P>,
}

/// A [`PublicationSlot`] for an exclusive publication.
pub type ExclusivePublicationSlot = PublicationSlot<AeronExclusivePublication>;

enum State<P: PublicationKind> {
    Empty,
    Adding(P::Pending),
    Ready(P),
}

impl PublicationSlot<AeronPublication> {
    /// An empty slot for a concurrent publication on `channel` and `stream_id`.
    pub fn new(channel: Channel, stream_id: i32) -> Self {
        PublicationSlot { channel, stream_id, state: State::Empty }
    }
}

impl PublicationSlot<AeronExclusivePublication> {
    /// An empty slot for an exclusive publication on `channel` and `stream_id`.
    ///
    /// ```
    /// use dutycycle_aeron::{Channel, ExclusivePublicationSlot, PublicationSlot};
    ///
    /// let slot: ExclusivePublicationSlot = PublicationSlot::exclusive(Channel::ipc(), 1002);
    /// assert!(!slot.is_ready());
    /// assert_eq!(slot.stream_id(), 1002);
    /// ```
    pub fn exclusive(channel: Channel, stream_id: i32) -> Self {
        PublicationSlot { channel, stream_id, state: State::Empty }
    }
}

impl<P: PublicationKind> PublicationSlot<P> {
    /// Starts adding the publication, if the slot is empty (otherwise does nothing).
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when Aeron refuses to start the add.
    pub fn add(&mut self, client: &AeronClient) -> Result<(), ClientError> {
        if matches!(self.state, State::Empty) {
            let pending = P::start(client.aeron(), self.channel.as_c_str(), self.stream_id)
                .map_err(|e| self.add_error("aeron_async_add_publication", e))?;
            self.state = State::Adding(pending);
        }
        Ok(())
    }

    /// Moves an add along: returns 1 when the publication became ready in this call, else 0.
    /// Call it every duty cycle (after the client's [`do_work`](AeronClient::do_work)).
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when the add failed (the driver refused the channel, say); the
    /// slot is empty again.
    #[inline]
    pub fn poll(&mut self) -> Result<usize, ClientError> {
        let State::Adding(pending) = &self.state else { return Ok(0) };
        match P::poll(pending) {
            Ok(None) => Ok(0),
            Ok(Some(publication)) => {
                self.state = State::Ready(publication);
                Ok(1)
            }
            Err(e) => {
                self.state = State::Empty;
                Err(self.add_error("aeron_async_add_publication_poll", e))
            }
        }
    }

    /// The publication, once ready.
    pub fn get(&self) -> Option<&P> {
        match &self.state {
            State::Ready(publication) => Some(publication),
            _ => None,
        }
    }

    /// Whether the publication is ready.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready(_))
    }

    /// Whether an add is under way.
    pub fn is_adding(&self) -> bool {
        matches!(self.state, State::Adding(_))
    }

    /// Whether the publication is ready and a subscriber is connected.
    #[inline]
    pub fn is_connected(&self) -> bool {
        self.get().is_some_and(P::is_connected)
    }

    /// Offers `message`: the new stream position, or why not. A slot that is not ready
    /// answers [`AeronOfferError::NotConnected`], which is retryable, like a publication
    /// without subscribers.
    #[inline]
    pub fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError> {
        match &self.state {
            State::Ready(publication) => publication.offer(message),
            _ => Err(AeronOfferError::NotConnected),
        }
    }

    /// Closes the publication (or cancels the add), on this thread; the slot is empty again
    /// and can be added anew. Idempotent.
    ///
    /// # Errors
    ///
    /// [`ClientError::Aeron`] when Aeron's close fails; the slot is empty regardless.
    pub fn close(&mut self) -> Result<(), ClientError> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Ready(publication) => publication
                .close()
                .map_err(|e| ClientError::Aeron(AeronCallError::client("aeron_publication_close", e))),
            // Dropping an unresolved add cancels the registration (rusteron does it on drop).
            State::Adding(pending) => {
                drop(pending);
                Ok(())
            }
            State::Empty => Ok(()),
        }
    }

    /// The channel.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The stream id.
    pub fn stream_id(&self) -> i32 {
        self.stream_id
    }

    fn add_error(&self, call: &'static str, error: AeronCError) -> ClientError {
        ClientError::Add {
            what: P::WHAT,
            channel: self.channel.to_string(),
            stream_id: self.stream_id,
            source: AeronCallError::client(call, error),
        }
    }
}

impl<P: PublicationKind> fmt::Debug for PublicationSlot<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Empty => "empty",
            State::Adding(_) => "adding",
            State::Ready(_) => "ready",
        };
        f.debug_struct("PublicationSlot")
            .field("kind", &P::WHAT)
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .field("state", &state)
            .finish()
    }
}
