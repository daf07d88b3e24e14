//! [`SlotKind`] and [`ResourceKind`]: what a slot holds, and the Aeron calls that make,
//! move along and close it.

use std::fmt;

use rusteron_client::AeronCError;

/// The kind of Aeron resource a slot holds, as errors name it.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::ResourceKind;
///
/// assert_eq!(ResourceKind::ExclusivePublication.to_string(), "exclusive publication");
/// assert_eq!(ResourceKind::Subscription.add_call(), "aeron_async_add_subscription");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// A concurrent publication (`aeron_publication_t`): one per channel and stream in a
    /// client, shared by its users.
    Publication,
    /// An exclusive publication (`aeron_exclusive_publication_t`): one publisher, a session of
    /// its own each time it is added.
    ExclusivePublication,
    /// A subscription (`aeron_subscription_t`).
    Subscription,
}

impl ResourceKind {
    /// The kind in words: `publication`, `exclusive publication`, `subscription`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::Publication => "publication",
            ResourceKind::ExclusivePublication => "exclusive publication",
            ResourceKind::Subscription => "subscription",
        }
    }

    /// The C function that starts an asynchronous add of this kind.
    pub fn add_call(self) -> &'static str {
        match self {
            ResourceKind::Publication => "aeron_async_add_publication",
            ResourceKind::ExclusivePublication => "aeron_async_add_exclusive_publication",
            ResourceKind::Subscription => "aeron_async_add_subscription",
        }
    }

    /// The C function that polls an asynchronous add of this kind.
    pub fn poll_call(self) -> &'static str {
        match self {
            ResourceKind::Publication => "aeron_async_add_publication_poll",
            ResourceKind::ExclusivePublication => "aeron_async_add_exclusive_publication_poll",
            ResourceKind::Subscription => "aeron_async_add_subscription_poll",
        }
    }

    /// The C function that closes a resource of this kind.
    pub fn close_call(self) -> &'static str {
        match self {
            ResourceKind::Publication => "aeron_publication_close",
            ResourceKind::ExclusivePublication => "aeron_exclusive_publication_close",
            ResourceKind::Subscription => "aeron_subscription_close",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
    impl Sealed for rusteron_client::AeronPublication {}
    impl Sealed for rusteron_client::AeronExclusivePublication {}
    impl Sealed for rusteron_client::AeronSubscription {}
}

/// The rusteron handle types a slot can hold: `AeronPublication`,
/// `AeronExclusivePublication` and `AeronSubscription`. Sealed: what it adds beyond
/// [`KIND`](SlotKind::KIND) is this crate's plumbing, one implementation per kind of the one
/// state machine all slots share (empty, adding, ready).
pub trait SlotKind: sealed::Sealed + Sized {
    /// What the slot holds, as its errors name it.
    const KIND: ResourceKind;
    /// An asynchronous add under way.
    #[doc(hidden)]
    type Pending;
    /// A ready resource, with whatever must live as long as it.
    #[doc(hidden)]
    type Ready;
    /// Polls the add: the resource once ready.
    #[doc(hidden)]
    fn poll(pending: &mut Self::Pending) -> Result<Option<Self::Ready>, AeronCError>;
    /// The rusteron handle of a ready resource.
    #[doc(hidden)]
    fn handle(ready: &Self::Ready) -> &Self;
    /// Closes the resource.
    #[doc(hidden)]
    fn close(ready: Self::Ready) -> Result<(), AeronCError>;
    /// Whether the other end is connected (a subscriber, or a publisher's image).
    #[doc(hidden)]
    fn is_connected(&self) -> bool;
}
