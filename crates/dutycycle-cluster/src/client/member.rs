//! One cluster member's ingress: its channel and its exclusive publication, added without
//! blocking.

use dutycycle_aeron::rusteron_client::{
    Aeron, AeronAsyncAddExclusivePublication, AeronCError, AeronExclusivePublication, AeronOfferError,
};
use dutycycle_aeron::Channel;

use crate::config::MemberSettings;
use crate::ClusterError;

/// A member's ingress publication (Java's `MemberIngress`): idle, being added, ready, or
/// failed (then skipped by the connect, as Java does, and named in its timeout).
#[derive(Debug)]
pub(super) struct Member {
    pub id: i32,
    pub endpoint: String,
    pub channel: Channel,
    publication: Publication,
}

enum Publication {
    Idle,
    Adding(AeronAsyncAddExclusivePublication),
    Ready(AeronExclusivePublication),
    Failed(AeronCError),
}

impl std::fmt::Debug for Publication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Publication::Idle => "idle",
            Publication::Adding(_) => "adding",
            Publication::Ready(p) if p.is_connected() => "connected",
            Publication::Ready(_) => "not connected",
            Publication::Failed(_) => "failed",
        })
    }
}

impl Member {
    pub fn new(settings: &MemberSettings) -> Member {
        Member {
            id: settings.id,
            endpoint: settings.endpoint.clone(),
            channel: settings.channel.clone(),
            publication: Publication::Idle,
        }
    }

    /// Moves the publication along: starts the add when idle, polls it while adding. Whether
    /// it is ready and connected. An add that fails leaves the member failed; the error is
    /// returned once.
    pub fn advance(&mut self, aeron: &Aeron, stream_id: i32) -> Result<bool, AeronCError> {
        if let Publication::Idle = self.publication {
            match aeron.async_add_exclusive_publication(self.channel.as_c_str(), stream_id) {
                Ok(pending) => self.publication = Publication::Adding(pending),
                Err(e) => return Err(self.fail(e)),
            }
        }
        if let Publication::Adding(pending) = &self.publication {
            match pending.poll() {
                Ok(None) => return Ok(false),
                Ok(Some(publication)) => self.publication = Publication::Ready(publication),
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(self.is_connected())
    }

    fn fail(&mut self, error: AeronCError) -> AeronCError {
        let error = error.capture_errmsg();
        self.publication = Publication::Failed(error.clone());
        error
    }

    /// Whether the publication is ready and the member's ingress subscription is connected.
    pub fn is_connected(&self) -> bool {
        matches!(&self.publication, Publication::Ready(p) if p.is_connected())
    }

    /// Whether the publication is ready (connected or not).
    pub fn is_ready(&self) -> bool {
        matches!(self.publication, Publication::Ready(_))
    }

    /// Whether an add failed.
    pub fn is_failed(&self) -> bool {
        matches!(self.publication, Publication::Failed(_))
    }

    /// Whether the publication is ready or being added (worth keeping on a redirect).
    pub fn is_live(&self) -> bool {
        matches!(self.publication, Publication::Ready(_) | Publication::Adding(_))
    }

    /// Offers `parts` as one message; a member without a ready publication is not connected.
    #[inline]
    pub fn offer(&self, parts: &[&[u8]]) -> Result<i64, AeronOfferError> {
        match &self.publication {
            Publication::Ready(publication) => publication.offer_parts(parts),
            _ => Err(AeronOfferError::NotConnected),
        }
    }

    /// Takes the publication (or its add) from `other`, which is left idle.
    pub fn take_publication(&mut self, other: &mut Member) {
        self.publication = std::mem::replace(&mut other.publication, Publication::Idle);
    }

    /// Closes the publication, or cancels its add; the member is idle again (a failed member
    /// is tried again after that).
    pub fn close(&mut self) -> Result<(), AeronCError> {
        match std::mem::replace(&mut self.publication, Publication::Idle) {
            Publication::Ready(publication) => publication.close().map_err(AeronCError::capture_errmsg),
            // Dropping an unresolved add cancels the registration (rusteron does it on drop).
            Publication::Adding(_) | Publication::Idle | Publication::Failed(_) => Ok(()),
        }
    }

    /// The error of a failed add of this member's publication on `stream_id`.
    pub fn add_error(&self, stream_id: i32, source: AeronCError) -> ClusterError {
        ClusterError::Add {
            what: "ingress publication",
            channel: self.channel.to_string(),
            stream_id,
            source,
        }
    }

    /// `id=endpoint state`, for a timeout's message.
    pub fn describe(&self) -> String {
        let name = if self.endpoint.is_empty() {
            self.channel.to_string()
        } else {
            format!("{}={}", self.id, self.endpoint)
        };
        match &self.publication {
            Publication::Failed(e) => format!("{name} failed: {e}"),
            other => format!("{name} {other:?}"),
        }
    }
}
