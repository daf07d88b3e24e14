//! [`ClusterClientConfig`]: how a [`ClusterClient`](crate::ClusterClient) finds and talks to
//! its cluster; [`CredentialsSupplier`] for clusters that authenticate.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dutycycle_aeron::{Channel, ChannelError, Media};

use crate::endpoints::{has_param, with_endpoint, with_param};
use crate::{EndpointsError, IngressEndpoints};

/// Credentials for a cluster that authenticates sessions (Aeron's `CredentialsSupplier`).
/// Called on the client's thread while connecting: keep it quick, it runs in a duty cycle.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dutycycle_cluster::{ClusterClientConfig, CredentialsSupplier};
///
/// #[derive(Debug)]
/// struct Secret;
///
/// impl CredentialsSupplier for Secret {
///     fn encoded_credentials(&self) -> Vec<u8> {
///         b"user:gateway".to_vec()
///     }
///     fn on_challenge(&self, challenge: &[u8]) -> Vec<u8> {
///         [b"answer:".as_slice(), challenge].concat()
///     }
/// }
///
/// let config = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002").credentials(Arc::new(Secret));
/// assert!(config.validate().is_ok());
/// assert_eq!(Secret.on_challenge(b"42"), b"answer:42");
/// ```
pub trait CredentialsSupplier: Send + Sync + fmt::Debug {
    /// The credentials sent with the connect request.
    fn encoded_credentials(&self) -> Vec<u8>;

    /// The credentials that answer the cluster's challenge.
    fn on_challenge(&self, encoded_challenge: &[u8]) -> Vec<u8>;
}

/// How a [`ClusterClient`](crate::ClusterClient) connects to an Aeron Cluster, with the
/// defaults of Aeron's `AeronCluster.Context` where it has them. `Clone + Send`: build it
/// anywhere (on the main thread, from flags), move it into the runner's factory.
///
/// Nothing is checked while setting; [`validate`](ClusterClientConfig::validate) checks it all
/// (and `connect` validates before it touches Aeron), so a bad endpoint list or channel is a
/// typed [`ConfigError`] before anything starts.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_cluster::{ClusterClientConfig, ConfigError};
///
/// let config = ClusterClientConfig::new()
///     .ingress_endpoints("0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202")
///     .message_timeout(Duration::from_secs(5));
/// config.validate()?;
///
/// let bad = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1");
/// assert!(matches!(bad.validate(), Err(ConfigError::Endpoints(_))));
///
/// // A "never" is refused too: no deadline can hold it.
/// let never = config.new_leader_timeout(Duration::MAX);
/// let refused = never.validate();
/// assert!(matches!(refused, Err(ConfigError::InvalidSetting { setting: "new_leader_timeout", .. })));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClusterClientConfig {
    ingress_endpoints: Option<String>,
    ingress_channel: String,
    ingress_stream_id: i32,
    egress_channel: String,
    egress_stream_id: i32,
    message_timeout: Duration,
    new_leader_timeout: Option<Duration>,
    keep_alive_interval: Duration,
    credentials: Option<Arc<dyn CredentialsSupplier>>,
    client_name: String,
}

/// Why a [`ClusterClientConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The ingress endpoints do not parse.
    #[error("invalid cluster ingress endpoints")]
    Endpoints(#[source] EndpointsError),
    /// A channel Aeron's parser refuses, alone or with a member's endpoint set in it.
    #[error("invalid cluster {setting}")]
    Channel {
        /// `ingress_channel` or `egress_channel`.
        setting: &'static str,
        /// Why.
        #[source]
        source: ChannelError,
    },
    /// A setting out of its range.
    #[error("invalid cluster client setting {setting} = {value}: {reason}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What a valid value is.
        reason: &'static str,
    },
}

impl Default for ClusterClientConfig {
    fn default() -> Self {
        ClusterClientConfig {
            ingress_endpoints: None,
            ingress_channel: ClusterClientConfig::DEFAULT_INGRESS_CHANNEL.to_owned(),
            ingress_stream_id: ClusterClientConfig::DEFAULT_INGRESS_STREAM_ID,
            egress_channel: ClusterClientConfig::DEFAULT_EGRESS_CHANNEL.to_owned(),
            egress_stream_id: ClusterClientConfig::DEFAULT_EGRESS_STREAM_ID,
            message_timeout: ClusterClientConfig::DEFAULT_MESSAGE_TIMEOUT,
            new_leader_timeout: None,
            keep_alive_interval: ClusterClientConfig::DEFAULT_KEEP_ALIVE_INTERVAL,
            credentials: None,
            client_name: String::new(),
        }
    }
}

impl ClusterClientConfig {
    /// The default ingress channel: UDP, each member's endpoint set in it, 64 KiB terms (so
    /// messages up to 8 KiB; set a larger `term-length` for larger ones).
    pub const DEFAULT_INGRESS_CHANNEL: &'static str = "aeron:udp?term-length=64k";
    /// The default ingress stream (Aeron's 101).
    pub const DEFAULT_INGRESS_STREAM_ID: i32 = 101;
    /// The default egress channel: UDP on loopback, a port the system picks.
    pub const DEFAULT_EGRESS_CHANNEL: &'static str = "aeron:udp?endpoint=127.0.0.1:0";
    /// The default egress stream (Aeron's 102).
    pub const DEFAULT_EGRESS_STREAM_ID: i32 = 102;
    /// The default message timeout (Aeron's 5 s).
    pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default keep-alive interval (1 s, as Aeron's samples send them; the cluster closes
    /// a session silent for its session timeout, 10 s by default).
    pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(1);
    /// The new leader timeout when neither this config nor the leader says: 2 × Aeron's default
    /// leader heartbeat timeout of 10 s.
    pub const FALLBACK_NEW_LEADER_TIMEOUT: Duration = Duration::from_secs(20);
    /// The longest message timeout, new leader timeout or keep-alive interval
    /// [`validate`](Self::validate) accepts: one day. Aeron's own defaults are seconds, and its
    /// settings are nanosecond counts whose deadline arithmetic overflows silently past an
    /// `i64` (about 292 years); a value longer than a day is taken for a mistake, or for a
    /// "never" that a deadline cannot hold, and refused before anything starts. For a timeout
    /// that in practice never expires, use this value.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// The defaults: no ingress endpoints yet (set them, or an IPC/multicast ingress channel).
    pub fn new() -> Self {
        Self::default()
    }

    /// The members' ingress endpoints, `0=host:port,1=host:port,...`: the client opens one
    /// ingress publication per member and connects through the first that connects. Without
    /// endpoints the ingress channel itself (IPC or multicast) reaches the cluster.
    pub fn ingress_endpoints(mut self, endpoints: impl Into<String>) -> Self {
        self.ingress_endpoints = Some(endpoints.into());
        self
    }

    /// The ingress channel; with endpoints, each member's endpoint is set in it (default
    /// [`DEFAULT_INGRESS_CHANNEL`](Self::DEFAULT_INGRESS_CHANNEL)).
    pub fn ingress_channel(mut self, channel: impl Into<String>) -> Self {
        self.ingress_channel = channel.into();
        self
    }

    /// The ingress stream id (default 101).
    pub fn ingress_stream_id(mut self, stream_id: i32) -> Self {
        self.ingress_stream_id = stream_id;
        self
    }

    /// The egress channel the client subscribes to; a UDP port 0 is resolved and the resolved
    /// channel sent to the cluster. `rejoin=false` is added to a UDP channel, as Aeron does
    /// (default [`DEFAULT_EGRESS_CHANNEL`](Self::DEFAULT_EGRESS_CHANNEL)).
    pub fn egress_channel(mut self, channel: impl Into<String>) -> Self {
        self.egress_channel = channel.into();
        self
    }

    /// The egress stream id (default 102).
    pub fn egress_stream_id(mut self, stream_id: i32) -> Self {
        self.egress_stream_id = stream_id;
        self
    }

    /// The message timeout (default 5 s, at most [`MAX_TIMEOUT`](Self::MAX_TIMEOUT)): bounds
    /// a whole connect, and the connection to a new leader after its NewLeaderEvent.
    pub fn message_timeout(mut self, timeout: Duration) -> Self {
        self.message_timeout = timeout;
        self
    }

    /// How long to wait for a new leader after losing the leader (default: twice the leader
    /// heartbeat timeout the cluster sends when the session opens, else 20 s; at most
    /// [`MAX_TIMEOUT`](Self::MAX_TIMEOUT)).
    pub fn new_leader_timeout(mut self, timeout: Duration) -> Self {
        self.new_leader_timeout = Some(timeout);
        self
    }

    /// How long the session may go without ingress before the client sends a keep-alive
    /// (default 1 s, at most [`MAX_TIMEOUT`](Self::MAX_TIMEOUT)). Every message offered counts
    /// as ingress.
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval;
        self
    }

    /// Credentials for a cluster that authenticates (default: none, empty credentials).
    pub fn credentials(mut self, supplier: Arc<dyn CredentialsSupplier>) -> Self {
        self.credentials = Some(supplier);
        self
    }

    /// The client's name, sent to the cluster in the connect request's client info.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }

    /// Checks every setting: endpoints parse, channels pass Aeron's parser (the ingress
    /// channel with each member's endpoint set in it), durations are positive and at most
    /// [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (one day).
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.settings().map(drop)
    }

    pub(crate) fn settings(&self) -> Result<Settings, ConfigError> {
        let endpoints = match &self.ingress_endpoints {
            Some(endpoints) => Some(endpoints.parse::<IngressEndpoints>().map_err(ConfigError::Endpoints)?),
            None => None,
        };
        let ingress = |source| ConfigError::Channel { setting: "ingress_channel", source };
        let mut members = Vec::new();
        match &endpoints {
            Some(endpoints) => {
                for (id, endpoint) in endpoints.iter() {
                    let channel = with_endpoint(&self.ingress_channel, endpoint).map_err(ingress)?;
                    if channel.media() != Media::Udp {
                        return Err(ConfigError::InvalidSetting {
                            setting: "ingress_channel",
                            value: self.ingress_channel.clone(),
                            reason: "must be UDP when ingress endpoints are set",
                        });
                    }
                    members.push(MemberSettings { id, endpoint: endpoint.to_owned(), channel });
                }
            }
            None => {
                let channel: Channel = self.ingress_channel.parse().map_err(ingress)?;
                members.push(MemberSettings { id: SINGLE_MEMBER, endpoint: String::new(), channel });
            }
        }
        let mut egress: Channel = self
            .egress_channel
            .parse()
            .map_err(|source| ConfigError::Channel { setting: "egress_channel", source })?;
        if egress.media() == Media::Udp && !has_param(egress.as_str(), "rejoin") {
            egress = with_param(egress.as_str(), "rejoin", "false")
                .parse()
                .map_err(|source| ConfigError::Channel { setting: "egress_channel", source })?;
        }
        for (setting, value) in [
            ("message_timeout", Some(self.message_timeout)),
            ("keep_alive_interval", Some(self.keep_alive_interval)),
            ("new_leader_timeout", self.new_leader_timeout),
        ] {
            let Some(value) = value else { continue };
            if value.is_zero() {
                return Err(ConfigError::InvalidSetting {
                    setting,
                    value: "0s".to_owned(),
                    reason: "must be positive",
                });
            }
            if value > ClusterClientConfig::MAX_TIMEOUT {
                return Err(ConfigError::InvalidSetting {
                    setting,
                    value: format!("{value:?}"),
                    reason: "must be at most one day (ClusterClientConfig::MAX_TIMEOUT)",
                });
            }
        }
        if !self.client_name.is_ascii() || self.client_name.contains(char::is_whitespace) {
            return Err(ConfigError::InvalidSetting {
                setting: "client_name",
                value: self.client_name.clone(),
                reason: "must be ASCII without white space",
            });
        }
        Ok(Settings {
            endpoints: endpoints.is_some(),
            members,
            ingress_channel: self.ingress_channel.clone(),
            ingress_stream_id: self.ingress_stream_id,
            egress_channel: egress,
            egress_stream_id: self.egress_stream_id,
            message_timeout: self.message_timeout,
            new_leader_timeout: self.new_leader_timeout,
            keep_alive_interval: self.keep_alive_interval,
            credentials: self.credentials.clone(),
            client_info: format!(
                "name={} dutycycle-cluster version={}",
                self.client_name,
                env!("CARGO_PKG_VERSION")
            ),
        })
    }
}

/// The member id standing for the one ingress publication of an IPC or multicast ingress.
pub(crate) const SINGLE_MEMBER: i32 = -1;

/// A validated configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Whether the members came from ingress endpoints (else: one IPC/multicast publication).
    pub endpoints: bool,
    pub members: Vec<MemberSettings>,
    pub ingress_channel: String,
    pub ingress_stream_id: i32,
    pub egress_channel: Channel,
    pub egress_stream_id: i32,
    pub message_timeout: Duration,
    pub new_leader_timeout: Option<Duration>,
    pub keep_alive_interval: Duration,
    pub credentials: Option<Arc<dyn CredentialsSupplier>>,
    pub client_info: String,
}

/// One member's ingress, as configured or as the cluster listed it.
#[derive(Debug, Clone)]
pub(crate) struct MemberSettings {
    pub id: i32,
    pub endpoint: String,
    pub channel: Channel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_aerons() {
        let settings = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002").settings().unwrap();
        assert_eq!((settings.ingress_stream_id, settings.egress_stream_id), (101, 102));
        assert_eq!(settings.message_timeout, Duration::from_secs(5));
        assert_eq!(settings.keep_alive_interval, Duration::from_secs(1));
        assert_eq!(settings.egress_channel.as_str(), "aeron:udp?endpoint=127.0.0.1:0|rejoin=false");
        assert_eq!(settings.members[0].channel.as_str(), "aeron:udp?term-length=64k|endpoint=127.0.0.1:9002");
        assert!(settings.endpoints);
    }

    #[test]
    fn without_endpoints_the_ingress_channel_is_the_one_publication() {
        let settings = ClusterClientConfig::new()
            .ingress_channel("aeron:ipc")
            .egress_channel("aeron:ipc")
            .settings()
            .unwrap();
        assert!(!settings.endpoints);
        assert_eq!(settings.members.len(), 1);
        assert_eq!(settings.members[0].channel.as_str(), "aeron:ipc");
        assert_eq!(settings.egress_channel.as_str(), "aeron:ipc");
        // UDP without endpoints and without an endpoint in the channel has nowhere to go.
        assert!(matches!(
            ClusterClientConfig::new().validate(),
            Err(ConfigError::Channel { setting: "ingress_channel", .. })
        ));
    }

    #[test]
    fn bad_settings_are_named() {
        let config = || ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002");
        assert!(matches!(
            config().ingress_channel("aeron:ipc").validate(),
            Err(ConfigError::InvalidSetting { setting: "ingress_channel", .. })
        ));
        assert!(matches!(
            config().egress_channel("aeron:udp?endpoint=localhost").validate(),
            Err(ConfigError::Channel { setting: "egress_channel", .. })
        ));
        assert!(matches!(
            config().message_timeout(Duration::ZERO).validate(),
            Err(ConfigError::InvalidSetting { setting: "message_timeout", .. })
        ));
        assert!(matches!(
            config().client_name("a b").validate(),
            Err(ConfigError::InvalidSetting { setting: "client_name", .. })
        ));
        assert!(config().egress_channel("aeron:udp?endpoint=127.0.0.1:0|rejoin=true").validate().is_ok());
    }

    #[test]
    fn timeouts_longer_than_the_maximum_are_refused() {
        let config = || ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002");
        let too_long = |config: ClusterClientConfig| match config.validate() {
            Err(ConfigError::InvalidSetting { setting, .. }) => setting,
            other => panic!("{other:?}"),
        };
        for long in [Duration::MAX, ClusterClientConfig::MAX_TIMEOUT + Duration::from_nanos(1)] {
            assert_eq!(too_long(config().message_timeout(long)), "message_timeout");
            assert_eq!(too_long(config().keep_alive_interval(long)), "keep_alive_interval");
            assert_eq!(too_long(config().new_leader_timeout(long)), "new_leader_timeout");
        }
        let longest = ClusterClientConfig::MAX_TIMEOUT;
        let config =
            config().message_timeout(longest).keep_alive_interval(longest).new_leader_timeout(longest);
        assert!(config.validate().is_ok());
    }
}
