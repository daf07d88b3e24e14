//! [`SubscriptionSlot`]: a subscription added without blocking, with its image events.

use std::fmt;
use std::sync::mpsc::{self, Receiver, Sender};

use rusteron_client::{
    AeronAsyncAddSubscription, AeronCError, AeronHeader, AeronImage, AeronSubscription, Handler,
};

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
    channel: Channel,
    stream_id: i32,
    state: State,
    events_in: Sender<ImageEvent>,
    events: Receiver<ImageEvent>,
}

enum State {
    Empty,
    Adding(AeronAsyncAddSubscription),
    Ready(AeronSubscription),
}

impl SubscriptionSlot {
    /// An empty slot for `channel` and `stream_id`.
    pub fn new(channel: Channel, stream_id: i32) -> Self {
        let (events_in, events) = mpsc::channel();
        SubscriptionSlot { channel, stream_id, state: State::Empty, events_in, events }
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
        if !matches!(self.state, State::Empty) {
            return Ok(());
        }
        let available = self.events_in.clone();
        let on_available = Handler::new(move |subscription: AeronSubscription, image: AeronImage| {
            let _ = available.send(ImageEvent::Available(ImageInfo::read(&subscription, &image)));
        });
        let unavailable = self.events_in.clone();
        let on_unavailable = Handler::new(move |subscription: AeronSubscription, image: AeronImage| {
            let _ = unavailable.send(ImageEvent::Unavailable(ImageInfo::read(&subscription, &image)));
        });
        let pending = client
            .aeron()
            .async_add_subscription(
                self.channel.as_c_str(),
                self.stream_id,
                Some(&on_available),
                Some(&on_unavailable),
            )
            .map_err(|e| self.add_error("aeron_async_add_subscription", e))?;
        self.state = State::Adding(pending);
        Ok(())
    }

    /// Moves an add along: returns 1 when the subscription became ready in this call, else 0.
    /// Call it every duty cycle (after the client's [`do_work`](AeronClient::do_work)).
    ///
    /// # Errors
    ///
    /// [`ClientError::Add`] when the add failed; the slot is empty again.
    #[inline]
    pub fn poll(&mut self) -> Result<usize, ClientError> {
        let State::Adding(pending) = &self.state else { return Ok(0) };
        match pending.poll() {
            Ok(None) => Ok(0),
            Ok(Some(subscription)) => {
                self.state = State::Ready(subscription);
                Ok(1)
            }
            Err(e) => {
                self.state = State::Empty;
                Err(self.add_error("aeron_async_add_subscription_poll", e))
            }
        }
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
        let State::Ready(subscription) = &self.state else { return Ok(0) };
        match subscription.poll_fn(handler, fragment_limit) {
            Ok(n) => Ok(usize::try_from(n).unwrap_or(0)),
            Err(e) => Err(ClientError::Aeron(AeronCallError::client("aeron_subscription_poll", e))),
        }
    }

    /// The next queued image event, if any.
    #[inline]
    pub fn next_image_event(&self) -> Option<ImageEvent> {
        self.events.try_recv().ok()
    }

    /// The subscription, once ready.
    pub fn get(&self) -> Option<&AeronSubscription> {
        match &self.state {
            State::Ready(subscription) => Some(subscription),
            _ => None,
        }
    }

    /// Whether the subscription is ready.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready(_))
    }

    /// Whether an add is under way.
    pub fn is_adding(&self) -> bool {
        matches!(self.state, State::Adding(_))
    }

    /// Whether the subscription is ready and has at least one image (a connected publisher).
    pub fn is_connected(&self) -> bool {
        self.get().is_some_and(AeronSubscription::is_connected)
    }

    /// The registration id of the ready subscription (what its [`ImageEvent`]s carry).
    pub fn registration_id(&self) -> Option<i64> {
        self.get().and_then(|s| s.get_constants().ok()).map(|c| c.registration_id())
    }

    /// Closes the subscription (or cancels the add), on this thread; the slot is empty again
    /// and can be added anew. Idempotent. Queued image events stay queued.
    ///
    /// # Errors
    ///
    /// [`ClientError::Aeron`] when Aeron's close fails; the slot is empty regardless.
    pub fn close(&mut self) -> Result<(), ClientError> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Ready(subscription) => subscription
                .close()
                .map_err(|e| ClientError::Aeron(AeronCallError::client("aeron_subscription_close", e))),
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
            what: "subscription",
            channel: self.channel.to_string(),
            stream_id: self.stream_id,
            source: AeronCallError::client(call, error),
        }
    }
}

impl fmt::Debug for SubscriptionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Empty => "empty",
            State::Adding(_) => "adding",
            State::Ready(_) => "ready",
        };
        f.debug_struct("SubscriptionSlot")
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
