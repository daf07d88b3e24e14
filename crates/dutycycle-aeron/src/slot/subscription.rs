//! [`SubscriptionSlot`]: a subscription added without blocking, with its image events.

use std::ffi::CStr;
use std::fmt;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use rusteron_client::bindings::{
    aeron_async_add_subscription, aeron_async_add_subscription_cancel,
    aeron_async_add_subscription_get_registration_id, aeron_async_add_subscription_t,
};
use rusteron_client::{Aeron, AeronAsyncAddSubscription, AeronCError, AeronHeader, AeronSubscription};

use super::image_router::{on_available_image, on_unavailable_image, ImageRouter, Route};
use super::state::{shared_slot_methods, Slot};
use super::{ResourceKind, SlotKind};
use crate::{AeronCallError, AeronClient, Channel, ClientError, ImageEvent};

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
    type Pending = PendingSubscription;
    type Ready = ReadySubscription;

    fn poll(pending: &mut PendingSubscription) -> Result<Option<ReadySubscription>, AeronCError> {
        pending.poll()
    }

    fn handle(ready: &ReadySubscription) -> &AeronSubscription {
        &ready.subscription
    }

    fn close(ready: ReadySubscription) -> Result<(), AeronCError> {
        ready.subscription.clone().close()
    }

    #[inline]
    fn is_connected(&self) -> bool {
        AeronSubscription::is_connected(self)
    }
}

/// A subscription's asynchronous add, its image handlers routed through the client's
/// [`ImageRouter`](super::image_router::ImageRouter). Dropped before it resolved, it cancels
/// the add.
pub struct PendingSubscription {
    /// Aeron's add; null once it resolved (Aeron frees it then).
    add: *mut aeron_async_add_subscription_t,
    /// Keeps the C client alive for the add, and for the cancel.
    client: Aeron,
    /// Moves to the ready subscription.
    route: Option<Route>,
}

impl PendingSubscription {
    /// Starts adding a subscription on `channel` and `stream_id` whose image events go to
    /// `queue`.
    fn start(
        client: &Aeron,
        router: &Arc<ImageRouter>,
        channel: &CStr,
        stream_id: i32,
        queue: &Sender<ImageEvent>,
    ) -> Result<PendingSubscription, AeronCError> {
        // Under the router's lock, so that no image of the subscription (Aeron's conductor
        // thread may report one before this returns) finds its route missing.
        let mut routes = router.routes();
        let clientd = router.as_clientd();
        let mut add = std::ptr::null_mut();
        // SAFETY: `add` is a valid out-pointer; the client is live (`client` holds it);
        // `channel` is NUL-terminated and Aeron copies it; the handlers are `extern "C"`
        // functions with Aeron's signature whose `clientd` is the client's router, which lives
        // as long as the C client (the module docs of `image_router` say how).
        let rc = unsafe {
            aeron_async_add_subscription(
                &mut add,
                client.get_inner(),
                channel.as_ptr(),
                stream_id,
                Some(on_available_image),
                clientd,
                Some(on_unavailable_image),
                clientd,
            )
        };
        if rc < 0 || add.is_null() {
            return Err(AeronCError::from_code(rc.min(-1)));
        }
        // SAFETY: `add` is the live add Aeron just made.
        let registration_id = unsafe { aeron_async_add_subscription_get_registration_id(add) };
        let route = Route::add(router, &mut routes, registration_id, queue.clone());
        Ok(PendingSubscription { add, client: client.clone(), route: Some(route) })
    }

    /// Polls the add: the subscription once the driver made it.
    fn poll(&mut self) -> Result<Option<ReadySubscription>, AeronCError> {
        if self.add.is_null() {
            return Ok(None);
        }
        // A borrowed handle of the add (it frees nothing when dropped): rusteron's
        // `AeronSubscription::new` polls it and, once resolved, owns the subscription (closing
        // it when the last clone drops).
        let add = AeronAsyncAddSubscription::from(self.add);
        match AeronSubscription::new(&add) {
            Ok(subscription) => {
                self.add = std::ptr::null_mut();
                Ok(Some(ReadySubscription {
                    subscription,
                    route: self.route.take(),
                    _client: self.client.clone(),
                }))
            }
            Err(e) if e.code == 0 => Ok(None),
            Err(e) => {
                self.add = std::ptr::null_mut();
                Err(e)
            }
        }
    }
}

impl Drop for PendingSubscription {
    fn drop(&mut self) {
        if !self.add.is_null() {
            // SAFETY: the add has not resolved, so Aeron has not freed it; the client is live
            // (`self.client`). A failed cancel leaves the add to the client's close.
            unsafe { aeron_async_add_subscription_cancel(self.client.get_inner(), self.add) };
        }
    }
}

impl fmt::Debug for PendingSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSubscription").field("route", &self.route).finish_non_exhaustive()
    }
}

/// A ready subscription with its route. The subscription handle rusteron made from the add
/// holds no reference to the client, so this one does, and closes the subscription before
/// letting go of the client: clones of the handle a user kept are inert then, never dangling.
pub struct ReadySubscription {
    subscription: AeronSubscription,
    /// Removed after the close, so that the images the close reports are still queued.
    route: Option<Route>,
    /// Keeps the C client alive until the subscription is closed.
    _client: Aeron,
}

impl Drop for ReadySubscription {
    fn drop(&mut self) {
        // Idempotent: a subscription closed already stays closed. The route goes next, and
        // the client with the fields, after this body.
        let _ = self.subscription.clone().close();
        drop(self.route.take());
    }
}

impl fmt::Debug for ReadySubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadySubscription").field("route", &self.route).finish_non_exhaustive()
    }
}

impl SubscriptionSlot {
    /// An empty slot for `channel` and `stream_id`.
    pub fn new(channel: Channel, stream_id: i32) -> Self {
        let (events_in, events) = mpsc::channel();
        SubscriptionSlot { slot: Slot::new(channel, stream_id), events_in, events }
    }

    /// Starts adding the subscription, if the slot is empty (otherwise does nothing). Its
    /// image events are queued for [`next_image_event`](Self::next_image_event).
    ///
    /// Adding and closing again and again keeps no memory: the handlers are the client's,
    /// registered once, not one pair per add.
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when Aeron refuses to start the add (under
    /// [`AddErrorPolicy::Retry`](crate::AddErrorPolicy::Retry), never: the next `poll`
    /// reports it).
    pub fn add(&mut self, client: &AeronClient) -> Result<(), ClientError> {
        let (aeron, router, queue) =
            (client.aeron().clone(), Arc::clone(client.image_router()), self.events_in.clone());
        self.slot.add(move |channel, stream_id| {
            PendingSubscription::start(&aeron, &router, channel, stream_id, &queue)
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
