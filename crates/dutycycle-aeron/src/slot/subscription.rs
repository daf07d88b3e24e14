//! [`SubscriptionSlot`]: a subscription added without blocking, with its image events.

use std::fmt;
use std::sync::mpsc::{self, Receiver, Sender};

use rusteron_client::{
    AeronAsyncAddSubscription, AeronCError, AeronHeader, AeronImage, AeronSubscription, Handler,
};

use super::state::{shared_slot_methods, Slot};
use super::{ResourceKind, SlotKind};
use crate::{AeronCallError, AeronClient, Channel, ClientError, ImageEvent, ImageInfo};

/// A slot for one subscription on a channel and stream: empty, being added, or ready, with
/// the [`ImageEvent`]s of its publishers queued for the owner.
///
/// The owner [`add`](SubscriptionSlot::add)s it (returns at once), [`poll`](SubscriptionSlot::poll)s
/// it every duty cycle until it is ready, polls messages with
/// [`poll_fn`](SubscriptionSlot::poll_fn), takes image events with
/// [`next_image_event`](SubscriptionSlot::next_image_event), and
/// [`close`](SubscriptionSlot::close)s it on its own thread.
///
/// Aeron calls the image handlers from the client conductor: with
/// [`ConductorMode::Invoker`](crate::ConductorMode::Invoker), on the agent's thread inside
/// [`AeronClient::do_work`]; otherwise on Aeron's conductor thread. Either way the handlers
/// only queue the event, so that the agent acts on it in its own duty cycle, never from inside
/// Aeron's callback (where closing resources is not allowed). The queue outlives close and
/// re-add; events carry the subscription's registration id to tell subscriptions apart.
///
/// # Examples
///
/// ```
/// # use dutycycle::Agent;
/// # use dutycycle_aeron::*;
/// # let mut driver = MediaDriverAgent::launch(MediaDriverConfig::new())?;
/// # let mut client = AeronClient::connect(&ClientConfig::new().dir(driver.dir()))?;
/// # let mut publication = PublicationSlot::new(Channel::ipc(), 1002);
/// # publication.add(&client)?;
/// let mut egress = SubscriptionSlot::new(Channel::ipc(), 1002);
/// egress.add(&client)?;
/// let (mut received, mut images) = (Vec::new(), Vec::new());
/// while received.is_empty() {
///     # driver.do_work()?;
///     # publication.poll()?;
///     # let _ = publication.offer(b"answer");
///     client.do_work()?; // runs the conductor, which fires the image handlers (invoker mode)
///     egress.poll()?;
///     while let Some(event) = egress.next_image_event() {
///         images.push(event); // act on failover here, in the duty cycle
///     }
///     egress.poll_fn(|message, _header| received.push(message.to_vec()), 10)?;
/// }
/// assert_eq!(received[0], b"answer");
/// assert!(images[0].is_available());
/// egress.close()?;
/// # publication.close()?;
/// # client.close()?;
/// # driver.on_close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SubscriptionSlot {
    slot: Slot<AeronSubscription>,
    events_in: Sender<ImageEvent>,
    events: Receiver<ImageEvent>,
}

impl SlotKind for AeronSubscription {
    const KIND: ResourceKind = ResourceKind::Subscription;
    type Pending = AeronAsyncAddSubscription;
    type Ready = AeronSubscription;

    fn poll(pending: &mut Self::Pending) -> Result<Option<Self>, AeronCError> {
        pending.poll()
    }

    fn handle(ready: &Self) -> &Self {
        ready
    }

    fn close(ready: Self) -> Result<(), AeronCError> {
        ready.close()
    }

    #[inline]
    fn is_connected(&self) -> bool {
        AeronSubscription::is_connected(self)
    }
}

impl SubscriptionSlot {
    /// An empty slot for `channel` and `stream_id`.
    pub fn new(channel: Channel, stream_id: i32) -> Self {
        let (events_in, events) = mpsc::channel();
        SubscriptionSlot { slot: Slot::new(channel, stream_id), events_in, events }
    }

    /// Starts adding the subscription with image handlers that queue [`ImageEvent`]s, if the
    /// slot is empty (otherwise does nothing).
    ///
    /// rusteron keeps the two handlers of each add alive until the client closes (a few dozen
    /// bytes each), so a slot closed and added again on every failover grows by that much each
    /// time.
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when Aeron refuses to start the add.
    pub fn add(&mut self, client: &AeronClient) -> Result<(), ClientError> {
        let events = &self.events_in;
        self.slot.add(|channel, stream_id| {
            let available = events.clone();
            let on_available = Handler::new(move |subscription: AeronSubscription, image: AeronImage| {
                let _ = available.send(ImageEvent::Available(ImageInfo::read(&subscription, &image)));
            });
            let unavailable = events.clone();
            let on_unavailable = Handler::new(move |subscription: AeronSubscription, image: AeronImage| {
                let _ = unavailable.send(ImageEvent::Unavailable(ImageInfo::read(&subscription, &image)));
            });
            client.aeron().async_add_subscription(
                channel,
                stream_id,
                Some(&on_available),
                Some(&on_unavailable),
            )
        })
    }

    /// Polls up to `fragment_limit` fragments, each to `handler`; returns how many were read
    /// (0 while the slot is not ready).
    ///
    /// # Errors
    ///
    /// [`ClientError::Aeron`] when Aeron's poll fails.
    #[inline]
    pub fn poll_fn(
        &self,
        handler: impl FnMut(&[u8], AeronHeader),
        fragment_limit: usize,
    ) -> Result<usize, ClientError> {
        let Some(subscription) = self.slot.get() else { return Ok(0) };
        match subscription.poll_fn(handler, fragment_limit) {
            Ok(n) => Ok(usize::try_from(n).unwrap_or(0)),
            Err(e) => Err(ClientError::Aeron(AeronCallError::client("aeron_subscription_poll", e))),
        }
    }

    /// The next queued image event, if any. The queue outlives close and re-add.
    #[inline]
    pub fn next_image_event(&self) -> Option<ImageEvent> {
        self.events.try_recv().ok()
    }

    /// The registration id of the ready subscription (what its [`ImageEvent`]s carry).
    pub fn registration_id(&self) -> Option<i64> {
        self.slot.get().and_then(|s| s.get_constants().ok()).map(|c| c.registration_id())
    }

    shared_slot_methods!("subscription", AeronSubscription);
}

impl fmt::Debug for SubscriptionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SubscriptionSlot").field(&self.slot).finish()
    }
}
