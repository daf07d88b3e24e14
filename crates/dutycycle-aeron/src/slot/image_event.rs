//! [`ImageEvent`]: a publication's image came to, or went from, a subscription.

use rusteron_client::{AeronImage, AeronSubscription};

/// An image (one publisher's stream, as one subscription sees it) became available or went
/// away. A publisher that restarts shows as its old image going away and a new one, with a
/// new session id, coming.
///
/// Aeron fires these from the client conductor; a [`SubscriptionSlot`](crate::SubscriptionSlot)
/// queues them for its owner, who takes them with
/// [`next_image_event`](crate::SubscriptionSlot::next_image_event) in its duty cycle. With
/// [`ConductorMode::Invoker`](crate::ConductorMode::Invoker) the queueing happens on the
/// agent's own thread, inside [`AeronClient::do_work`](crate::AeronClient::do_work).
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{ImageEvent, ImageInfo};
///
/// let info = ImageInfo { session_id: 7, ..ImageInfo::default() };
/// let event = ImageEvent::Unavailable(info);
/// assert!(!event.is_available());
/// assert_eq!(event.info().session_id, 7);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageEvent {
    /// The image became available: the publisher is connected and its messages can be polled.
    Available(ImageInfo),
    /// The image went away: the publisher closed, or timed out.
    Unavailable(ImageInfo),
}

impl ImageEvent {
    /// Whether the image became available.
    pub fn is_available(&self) -> bool {
        matches!(self, ImageEvent::Available(_))
    }

    /// What is known about the image.
    pub fn info(&self) -> &ImageInfo {
        match self {
            ImageEvent::Available(info) | ImageEvent::Unavailable(info) => info,
        }
    }
}

/// What an [`ImageEvent`] says about its image and subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// The publisher's session id: a new one per publication (per restart).
    pub session_id: i32,
    /// The image's correlation id (unique per image).
    pub correlation_id: i64,
    /// Where the publisher is: `aeron:ipc`, or a UDP source address.
    pub source_identity: String,
    /// The stream id.
    pub stream_id: i32,
    /// The registration id of the subscription that saw it.
    pub subscription_registration_id: i64,
}

impl ImageInfo {
    /// Reads the image's and the subscription's constants (in a callback from Aeron).
    pub(crate) fn read(subscription: &AeronSubscription, image: &AeronImage) -> ImageInfo {
        let mut info = ImageInfo::default();
        if let Ok(constants) = image.get_constants() {
            info.session_id = constants.session_id();
            info.correlation_id = constants.correlation_id();
            info.source_identity = constants.source_identity().to_owned();
        }
        if let Ok(constants) = subscription.get_constants() {
            info.stream_id = constants.stream_id();
            info.subscription_registration_id = constants.registration_id();
        }
        info
    }
}
