//! Slots: publications and subscriptions added without blocking the duty cycle.
//!
//! Every slot runs one state machine, [`state::Slot`]: *empty*, *adding* (Aeron's
//! asynchronous add, polled by the owner each duty cycle), *ready*, and *retrying* (a failed
//! add waiting for its next attempt); closing it, or a failed add under
//! [`AddErrorPolicy::Fail`], makes it empty again. The kinds differ only in the Aeron calls
//! behind it:
//!
//! - [`add_error_policy`]: [`AddErrorPolicy`], whether a failed add ends the agent or is
//!   tried again;
//! - [`kind`]: [`SlotKind`], the sealed trait with one implementation per kind, and
//!   [`ResourceKind`], the kind as errors name it (with its C functions);
//! - [`publication`]: [`PublicationSlot`] for concurrent and [`ExclusivePublicationSlot`] for
//!   exclusive publications, which offer;
//! - [`subscription`]: [`SubscriptionSlot`], which polls fragments and queues the
//!   [`ImageEvent`]s of its publishers;
//! - [`image_event`]: [`ImageEvent`] and [`ImageInfo`];
//! - [`image_router`]: one per client, it takes Aeron's image callbacks for all its
//!   subscriptions and queues each event for its slot, so that re-adding keeps no memory.

pub(crate) mod add_error_policy;
pub(crate) mod image_event;
pub(crate) mod image_router;
pub(crate) mod kind;
pub(crate) mod publication;
pub(crate) mod state;
pub(crate) mod subscription;

pub use add_error_policy::AddErrorPolicy;
pub use image_event::{ImageEvent, ImageInfo};
pub use kind::{ResourceKind, SlotKind};
pub use publication::{ExclusivePublicationSlot, PublicationKind, PublicationSlot};
pub use subscription::SubscriptionSlot;
