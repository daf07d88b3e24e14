//! Lifecycle events of drivers, clients and slots, through
//! [`tracing`](https://docs.rs/tracing) when the `tracing` feature is on: one `DEBUG` event per
//! step, target `dutycycle_aeron`, named after the step, with the field `thread` (the OS name
//! of the thread that emits it: the owning agent's thread, or Aeron's conductor thread for
//! image events under [`ConductorMode::Thread`](crate::ConductorMode::Thread)) and the step's
//! own fields. Events of the agent that owns them (its `role`) come from dutycycle's runner
//! on the same thread. `docs/AERON.md` ("Logs") lists them.
//!
//! Without the feature every function here is empty and inlined away. Events are emitted at
//! lifecycle steps only (launch, connect, add, image, close), never per duty cycle.

use std::fmt::Display;
use std::path::Path;

use crate::{ImageEvent, ResourceKind};

/// One event: `name` (a literal: the event's name and message), the emitting thread's name
/// and the step's own fields.
#[cfg(feature = "tracing")]
macro_rules! lifecycle {
    ($name:literal $(, $($fields:tt)*)?) => {
        tracing::debug!(
            name: $name,
            target: "dutycycle_aeron",
            thread = %crate::events::ThreadName::current()
            $(, $($fields)*)?,
            $name
        )
    };
}

/// Defines each event as a function that emits it with the feature on and does nothing
/// (its arguments unused) without it.
macro_rules! events {
    ($(
        $(#[$doc:meta])*
        fn $fn:ident($($arg:ident: $ty:ty),*) => $name:literal $({ $($fields:tt)* })?;
    )*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $fn($($arg: $ty),*) {
            #[cfg(feature = "tracing")]
            lifecycle!($name $(, $($fields)*)?);
            #[cfg(not(feature = "tracing"))]
            let _ = ($($arg),*);
        }
    )*};
}

events! {
    /// A media driver is being launched in `dir`.
    fn driver_launching(dir: &Path) => "driver_launching" { dir = %dir.display() };
    /// The media driver runs: clients can connect.
    fn driver_started(dir: &Path) => "driver_started" { dir = %dir.display() };
    /// The launch failed; nothing is left running.
    fn driver_launch_failed(dir: &Path, error: &dyn Display) => "driver_launch_failed" {
        dir = %dir.display(), error = %error
    };
    /// The driver is closing (its agent's `on_close`, or its drop).
    fn driver_closing(dir: &Path) => "driver_closing" { dir = %dir.display() };
    /// The driver closed; `ok` false when its directory could not be removed.
    fn driver_closed(dir: &Path, ok: bool) => "driver_closed" { dir = %dir.display(), ok };
    /// A client is connecting to the driver in `dir` (`None`: `AERON_DIR` or Aeron's default).
    fn client_connecting(dir: Option<&Path>) => "client_connecting" {
        dir = dir.map(|d| tracing::field::display(d.display()))
    };
    /// The client is connected.
    fn client_connected(dir: &Path, client_id: i64) => "client_connected" {
        dir = %dir.display(), client_id
    };
    /// The client could not connect.
    fn client_connect_failed(error: &dyn Display) => "client_connect_failed" { error = %error };
    /// The client found itself closed: it lost its driver.
    fn client_lost_driver(dir: &Path) => "client_lost_driver" { dir = %dir.display() };
    /// The client is closing.
    fn client_closing(dir: &Path) => "client_closing" { dir = %dir.display() };
    /// The client closed (`ok` false: Aeron's close failed).
    fn client_closed(dir: &Path, ok: bool) => "client_closed" { dir = %dir.display(), ok };
    /// An add was started.
    fn add_begun(kind: ResourceKind, channel: &dyn Display, stream_id: i32) => "add_begun" {
        kind = %kind, channel = %channel, stream_id
    };
    /// An add succeeded: the resource is ready.
    fn add_done(kind: ResourceKind, channel: &dyn Display, stream_id: i32) => "add_done" {
        kind = %kind, channel = %channel, stream_id
    };
    /// An add failed: `retry` says whether the slot will try again (else the error ends the
    /// owning agent).
    fn add_failed(kind: ResourceKind, channel: &dyn Display, stream_id: i32, error: &dyn std::error::Error, retry: bool) => "add_failed" {
        kind = %kind, channel = %channel, stream_id, error = %crate::events::Chain(error), retry
    };
    /// An image came or went: a publisher connected, or left (a failover shows as one
    /// going and a new one, with a new session id, coming).
    fn image(event: &ImageEvent) => "image" {
        available = event.is_available(),
        session_id = event.info().session_id,
        stream_id = event.info().stream_id,
        source = %event.info().source_identity,
        subscription = event.info().subscription_registration_id
    };
}

/// An error and its causes on one line, `: ` between them.
#[cfg(feature = "tracing")]
pub(crate) struct Chain<'a>(pub(crate) &'a dyn std::error::Error);

#[cfg(feature = "tracing")]
impl Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

/// The calling thread's name as the OS knows it (at most 15 bytes).
#[cfg(feature = "tracing")]
pub(crate) struct ThreadName {
    buf: [u8; 16],
}

#[cfg(feature = "tracing")]
impl ThreadName {
    pub(crate) fn current() -> Self {
        let mut buf = [0u8; 16];
        // SAFETY: `buf` is writable for its 16 bytes, the length passed (Linux's limit, NUL
        // included); pthread_self() is the calling thread.
        unsafe {
            libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len());
        }
        ThreadName { buf }
    }
}

#[cfg(feature = "tracing")]
impl Display for ThreadName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = self.buf.iter().position(|&b| b == 0).unwrap_or(self.buf.len());
        f.write_str(&String::from_utf8_lossy(&self.buf[..end]))
    }
}
