//! [`PublicationSlot`]: a publication added without blocking, polled from the duty cycle.

use std::ffi::CStr;
use std::fmt;

use rusteron_client::{
    Aeron, AeronAsyncAddExclusivePublication, AeronAsyncAddPublication, AeronCError,
    AeronExclusivePublication, AeronOfferError, AeronPublication,
};

use super::state::{shared_slot_methods, Slot};
use super::{ResourceKind, SlotKind};
use crate::{AeronClient, Channel, ClientError};

/// The two kinds of Aeron publication a [`PublicationSlot`] can hold: `AeronPublication`
/// (concurrent: one per channel and stream in a client, shared by its users) and
/// `AeronExclusivePublication` (one publisher, a session of its own each time it is added).
/// Sealed: the methods are this crate's plumbing.
pub trait PublicationKind: SlotKind {
    /// Starts the asynchronous add.
    #[doc(hidden)]
    fn start(client: &Aeron, channel: &CStr, stream_id: i32) -> Result<Self::Pending, AeronCError>;
    /// Offers a message.
    #[doc(hidden)]
    fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError>;
}

/// Implements [`SlotKind`] and [`PublicationKind`] for a rusteron publication type: the two
/// kinds differ only in the names of their types and C functions.
macro_rules! publication_kind {
    ($publication:ident, $pending:ident, $kind:ident, $async_add:ident) => {
        impl SlotKind for $publication {
            const KIND: ResourceKind = ResourceKind::$kind;
            type Pending = $pending;
            type Ready = $publication;

            fn poll(pending: &mut $pending) -> Result<Option<$publication>, AeronCError> {
                pending.poll()
            }

            fn handle(ready: &$publication) -> &$publication {
                ready
            }

            fn close(ready: $publication) -> Result<(), AeronCError> {
                ready.close()
            }

            #[inline]
            fn is_connected(&self) -> bool {
                $publication::is_connected(self)
            }
        }

        impl PublicationKind for $publication {
            fn start(client: &Aeron, channel: &CStr, stream_id: i32) -> Result<$pending, AeronCError> {
                client.$async_add(channel, stream_id)
            }

            #[inline]
            fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError> {
                $publication::offer(self, message)
            }
        }
    };
}

publication_kind!(AeronPublication, AeronAsyncAddPublication, Publication, async_add_publication);
publication_kind!(
    AeronExclusivePublication,
    AeronAsyncAddExclusivePublication,
    ExclusivePublication,
    async_add_exclusive_publication
);

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
    slot: Slot<P>,
}

/// A [`PublicationSlot`] for an exclusive publication.
pub type ExclusivePublicationSlot = PublicationSlot<AeronExclusivePublication>;

impl PublicationSlot<AeronPublication> {
    /// An empty slot for a concurrent publication on `channel` and `stream_id`.
    pub fn new(channel: Channel, stream_id: i32) -> Self {
        PublicationSlot { slot: Slot::new(channel, stream_id) }
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
        PublicationSlot { slot: Slot::new(channel, stream_id) }
    }
}

impl<P: PublicationKind> PublicationSlot<P> {
    /// Starts adding the publication, if the slot is empty (otherwise does nothing).
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when Aeron refuses to start the add (under
    /// [`AddErrorPolicy::Retry`](crate::AddErrorPolicy::Retry), never: the next `poll`
    /// reports it).
    pub fn add(&mut self, client: &AeronClient) -> Result<(), ClientError> {
        let aeron = client.aeron().clone();
        self.slot.add(move |channel, stream_id| P::start(&aeron, channel, stream_id))
    }

    /// Offers `message`: the new stream position, or why not. A slot that is not ready
    /// answers [`AeronOfferError::NotConnected`], which is retryable, like a publication
    /// without subscribers.
    #[inline]
    pub fn offer(&self, message: &[u8]) -> Result<i64, AeronOfferError> {
        match self.slot.get() {
            Some(publication) => publication.offer(message),
            None => Err(AeronOfferError::NotConnected),
        }
    }

    shared_slot_methods!("publication", P);
}

impl<P: PublicationKind> fmt::Debug for PublicationSlot<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicationSlot").field(&self.slot).finish()
    }
}
