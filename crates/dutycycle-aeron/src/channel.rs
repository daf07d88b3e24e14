//! [`Channel`]: an Aeron channel URI, checked before anything uses it.

use std::ffi::{CStr, CString};
use std::fmt;
use std::str::FromStr;

use rusteron_client::bindings::{aeron_uri_close, aeron_uri_parse, aeron_uri_t};

/// An Aeron channel URI (`aeron:ipc`, `aeron:udp?endpoint=host:port`, ...) that Aeron's own URI
/// parser has accepted, with a UDP endpoint where one is needed.
///
/// Checking a channel costs no Aeron resource: build every `Channel` first, then the driver
/// and the clients, so that a typo is reported before anything is half-built. What the parser
/// cannot know (whether a host name resolves, whether a port is free) the driver reports when
/// the publication or subscription is added.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{Channel, ChannelError, Media};
///
/// let ipc: Channel = "aeron:ipc".parse()?;
/// assert_eq!(ipc.media(), Media::Ipc);
/// let udp = Channel::udp("localhost:20121")?;
/// assert_eq!(udp.as_str(), "aeron:udp?endpoint=localhost:20121");
///
/// let err = "aeron:udpp?endpoint=x:1".parse::<Channel>().unwrap_err();
/// assert!(err.to_string().contains("aeron:udpp?endpoint=x:1"));
/// assert!(matches!("aeron:udp?ttl=4".parse::<Channel>(), Err(ChannelError::MissingEndpoint { .. })));
/// # Ok::<(), ChannelError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Channel {
    uri: CString,
    media: Media,
}

/// The transport of a [`Channel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    /// Shared memory between processes on one machine (`aeron:ipc`).
    Ipc,
    /// UDP unicast or multicast (`aeron:udp`).
    Udp,
}

/// Why a string is not a usable [`Channel`]. Every variant names the channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The string contains a NUL byte, which no C string can hold.
    #[error("channel {channel:?} contains a NUL byte")]
    Nul {
        /// The channel given.
        channel: String,
    },
    /// Aeron's URI parser refused it.
    #[error("invalid channel {channel:?}: {reason}")]
    Invalid {
        /// The channel given.
        channel: String,
        /// Aeron's message.
        reason: String,
    },
    /// A UDP channel with neither `endpoint` nor `control`: there is nowhere to send or
    /// receive.
    #[error("UDP channel {channel:?} has no endpoint (add endpoint=host:port)")]
    MissingEndpoint {
        /// The channel given.
        channel: String,
    },
    /// The endpoint is not `host:port` with a port number.
    #[error("channel {channel:?}: endpoint {endpoint:?} is not host:port with a port from 0 to 65535")]
    InvalidEndpoint {
        /// The channel given.
        channel: String,
        /// The endpoint in it.
        endpoint: String,
    },
}

impl Channel {
    /// `aeron:ipc`.
    pub fn ipc() -> Channel {
        Channel { uri: c"aeron:ipc".to_owned(), media: Media::Ipc }
    }

    /// `aeron:udp?endpoint={endpoint}`.
    ///
    /// # Errors
    ///
    /// [`ChannelError`] when the endpoint is not `host:port`.
    pub fn udp(endpoint: &str) -> Result<Channel, ChannelError> {
        format!("aeron:udp?endpoint={endpoint}").parse()
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        // The URI was made from a `&str`, so it is UTF-8.
        self.uri.to_str().unwrap_or_default()
    }

    /// The URI as a C string, as rusteron's `async_add_*` take it.
    pub fn as_c_str(&self) -> &CStr {
        &self.uri
    }

    /// The transport.
    pub fn media(&self) -> Media {
        self.media
    }
}

impl FromStr for Channel {
    type Err = ChannelError;

    fn from_str(channel: &str) -> Result<Channel, ChannelError> {
        let uri = CString::new(channel).map_err(|_| ChannelError::Nul { channel: channel.to_owned() })?;
        let media = parse_with_aeron(&uri)
            .map_err(|reason| ChannelError::Invalid { channel: channel.to_owned(), reason })?;
        if media == Media::Udp {
            check_udp_endpoint(channel)?;
        }
        Ok(Channel { uri, media })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Channel").field(&self.as_str()).finish()
    }
}

/// Runs Aeron's `aeron_uri_parse`; the media, or Aeron's message.
fn parse_with_aeron(uri: &CStr) -> Result<Media, String> {
    // SAFETY: `aeron_uri_t` is a C struct of arrays, integers, a C enum whose 0 is a valid
    // value (AERON_URI_UDP) and a union of such structs with null pointers; all-zero bytes
    // are a valid value of it, and `aeron_uri_parse` resets it before use anyway.
    let mut parsed: Box<aeron_uri_t> = Box::new(unsafe { std::mem::zeroed() });
    let length = uri.to_bytes().len();
    // SAFETY: `uri` is a NUL-terminated string of `length` bytes that lives across the call;
    // `parsed` is a valid, exclusively borrowed aeron_uri_t. The parser copies the string.
    let rc = unsafe { aeron_uri_parse(length, uri.as_ptr(), &mut *parsed) };
    let result = if rc < 0 {
        Err(last_aeron_message())
    } else {
        match parsed.type_ {
            rusteron_client::bindings::aeron_uri_type_enum::AERON_URI_IPC => Ok(Media::Ipc),
            rusteron_client::bindings::aeron_uri_type_enum::AERON_URI_UDP => Ok(Media::Udp),
            #[allow(unreachable_patterns)]
            _ => Err("unknown transport".to_owned()),
        }
    };
    // SAFETY: `parsed` was reset by `aeron_uri_parse` (also when it failed), so its parameter
    // arrays are either null or allocated by the parser; close frees them and nulls them.
    unsafe { aeron_uri_close(&mut *parsed) };
    result
}

/// Aeron's thread-local error message (set by the failed parse on this thread), on one line.
fn last_aeron_message() -> String {
    let message = rusteron_client::Aeron::errmsg();
    let message: Vec<&str> = message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect();
    if message.is_empty() {
        "Aeron's URI parser refused it".to_owned()
    } else {
        message.join("; ")
    }
}

/// A UDP channel needs `endpoint` or `control`; an endpoint needs a numeric port.
fn check_udp_endpoint(channel: &str) -> Result<(), ChannelError> {
    let params = channel.split_once('?').map(|(_, p)| p).unwrap_or("");
    let param = |key: &str| {
        params.split('|').find_map(|kv| kv.split_once('=').filter(|(k, _)| k.trim() == key).map(|(_, v)| v))
    };
    let endpoint = param("endpoint");
    if endpoint.is_none() && param("control").is_none() {
        return Err(ChannelError::MissingEndpoint { channel: channel.to_owned() });
    }
    if let Some(endpoint) = endpoint {
        let port_ok = endpoint
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(ChannelError::InvalidEndpoint {
                channel: channel.to_owned(),
                endpoint: endpoint.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipc_and_udp_channels_parse() {
        assert_eq!("aeron:ipc".parse::<Channel>().unwrap().media(), Media::Ipc);
        assert_eq!("aeron:ipc?term-length=64k".parse::<Channel>().unwrap().media(), Media::Ipc);
        let udp: Channel = "aeron:udp?endpoint=localhost:20121|mtu=1408".parse().unwrap();
        assert_eq!(udp.media(), Media::Udp);
        assert_eq!(udp.as_c_str().to_str().unwrap(), "aeron:udp?endpoint=localhost:20121|mtu=1408");
        assert!("aeron:udp?control=localhost:20121|control-mode=dynamic".parse::<Channel>().is_ok());
        assert!("aeron:udp?endpoint=[::1]:20121".parse::<Channel>().is_ok());
    }

    #[test]
    fn bad_channels_are_refused_with_the_channel_named() {
        for bad in ["", "aeron:tcp?endpoint=x:1", "udp://localhost:1", "aeron:udp", "aeron:ipcx"] {
            let err = bad.parse::<Channel>().unwrap_err();
            assert!(matches!(err, ChannelError::Invalid { .. }), "{bad}: {err:?}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!(matches!("aeron:udp?ttl=2".parse::<Channel>(), Err(ChannelError::MissingEndpoint { .. })));
        assert!(matches!(
            "aeron:udp?endpoint=localhost".parse::<Channel>(),
            Err(ChannelError::InvalidEndpoint { .. })
        ));
        assert!(matches!(
            "aeron:udp?endpoint=localhost:99999".parse::<Channel>(),
            Err(ChannelError::InvalidEndpoint { .. })
        ));
        assert!(matches!("aeron:ipc\0".parse::<Channel>(), Err(ChannelError::Nul { .. })));
    }
}
