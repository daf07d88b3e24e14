//! [`ImageRouter`]: one per client, it takes Aeron's image callbacks for every subscription
//! the client's slots add and queues each event for the slot that asked for it.
//!
//! Aeron calls an image handler through a `clientd` pointer that must stay valid for as long
//! as the subscription can fire it, and a subscription's close is asynchronous with Aeron's
//! own conductor thread: the handler may run after `close` has returned. rusteron therefore
//! keeps every handler it registers until the client itself is dropped, so a slot added and
//! closed again and again (a gateway re-adds on every failover) grew by two handlers a cycle.
//! Here the `clientd` of every subscription is the client's one router, which lives exactly
//! as long as the C client: the client's context holds it (see
//! [`AeronClient::connect`](crate::AeronClient::connect)), and rusteron drops a client's
//! context only after `aeron_close`, which stops the conductor. Each add registers a
//! [`Route`] (its registration id and the slot's queue) and the route goes when the
//! subscription is closed or its add ends: memory stays flat however often slots are re-added.

use std::ffi::c_void;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

use rusteron_client::bindings::{aeron_image_t, aeron_subscription_t};
use rusteron_client::{AeronImage, AeronSubscription};

use crate::{ImageEvent, ImageInfo};

/// Queues of the subscriptions added through one client, by registration id. A handful of
/// entries (one per subscription the client's slots hold), so a list is the whole index.
#[derive(Debug, Default)]
pub(crate) struct ImageRouter {
    routes: Mutex<Vec<(i64, Sender<ImageEvent>)>>,
}

impl ImageRouter {
    /// The routes, also after a panic elsewhere poisoned the lock (every change to the list is
    /// a single push or swap-remove: it is never seen half-done).
    pub(crate) fn routes(&self) -> MutexGuard<'_, Vec<(i64, Sender<ImageEvent>)>> {
        self.routes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `clientd` Aeron passes back to [`on_available_image`] and [`on_unavailable_image`].
    pub(crate) fn as_clientd(self: &Arc<Self>) -> *mut c_void {
        Arc::as_ptr(self).cast_mut().cast()
    }

    /// Queues `event` for the subscription it names; drops it when that subscription's route
    /// is gone (its slot closed it: Aeron's conductor thread may still report its images).
    fn deliver(&self, event: ImageEvent) {
        crate::events::image(&event);
        let id = event.info().subscription_registration_id;
        if let Some((_, queue)) = self.routes().iter().find(|(route, _)| *route == id) {
            // A slot dropped with its queue's receiver: nobody to tell.
            let _ = queue.send(event);
        }
    }
}

/// A subscription's entry in its client's [`ImageRouter`]; removed when dropped.
#[derive(Debug)]
pub(crate) struct Route {
    router: Arc<ImageRouter>,
    registration_id: i64,
}

impl Route {
    /// Adds the entry to `routes` (the router's locked list, so that the caller can register
    /// the subscription with Aeron and add its route under one lock).
    pub(crate) fn add(
        router: &Arc<ImageRouter>,
        routes: &mut Vec<(i64, Sender<ImageEvent>)>,
        registration_id: i64,
        queue: Sender<ImageEvent>,
    ) -> Route {
        routes.push((registration_id, queue));
        Route { router: Arc::clone(router), registration_id }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        let mut routes = self.router.routes();
        if let Some(index) = routes.iter().position(|(id, _)| *id == self.registration_id) {
            routes.swap_remove(index);
        }
    }
}

/// Aeron's `on_available_image` for subscriptions added through a router.
///
/// # Safety
///
/// `clientd` is an [`ImageRouter::as_clientd`] of a router that outlives the call;
/// `subscription` and `image` are Aeron's live objects of the callback.
pub(crate) unsafe extern "C" fn on_available_image(
    clientd: *mut c_void,
    subscription: *mut aeron_subscription_t,
    image: *mut aeron_image_t,
) {
    // SAFETY: as this function's contract says, passed on.
    unsafe { deliver(clientd, subscription, image, ImageEvent::Available) }
}

/// Aeron's `on_unavailable_image` for subscriptions added through a router.
///
/// # Safety
///
/// As [`on_available_image`].
pub(crate) unsafe extern "C" fn on_unavailable_image(
    clientd: *mut c_void,
    subscription: *mut aeron_subscription_t,
    image: *mut aeron_image_t,
) {
    // SAFETY: as this function's contract says, passed on.
    unsafe { deliver(clientd, subscription, image, ImageEvent::Unavailable) }
}

/// Reads the image and hands the event to the router.
///
/// # Safety
///
/// As [`on_available_image`].
unsafe fn deliver(
    clientd: *mut c_void,
    subscription: *mut aeron_subscription_t,
    image: *mut aeron_image_t,
    event: fn(ImageInfo) -> ImageEvent,
) {
    // SAFETY: `clientd` points to a live router (this function's contract); only shared
    // references to it exist, and it is `Sync`.
    let router = unsafe { &*clientd.cast_const().cast::<ImageRouter>() };
    // Borrowed handles: they read Aeron's objects during the callback and close nothing when
    // dropped.
    let info = ImageInfo::read(&AeronSubscription::from(subscription), &AeronImage::from(image));
    router.deliver(event(info));
}
