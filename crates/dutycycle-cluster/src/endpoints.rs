//! [`IngressEndpoints`]: the cluster members' ingress endpoints, `0=host:port,1=host:port,...`.

use std::fmt;
use std::str::FromStr;

use dutycycle_aeron::{Channel, ChannelError};

/// The cluster members' ingress endpoints: member id and `host:port`, in the order given.
///
/// This is the format of the client's configuration (`aeron.cluster.ingress.endpoints`), of a
/// follower's REDIRECT detail and of a [`NewLeaderEvent`](crate::codec::NewLeaderEvent)'s
/// endpoints. Parsing checks every entry, so a typo is a typed error before anything starts.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::{EndpointsError, IngressEndpoints};
///
/// let endpoints: IngressEndpoints = "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202".parse()?;
/// assert_eq!(endpoints.len(), 3);
/// assert_eq!(endpoints.get(1), Some("127.0.0.1:9102"));
/// assert_eq!(endpoints.to_string(), "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202");
///
/// let err = "0=127.0.0.1:9002,1:127.0.0.1:9102".parse::<IngressEndpoints>().unwrap_err();
/// assert!(matches!(err, EndpointsError::MissingSeparator { ref entry, .. } if entry == "1:127.0.0.1:9102"));
/// # Ok::<(), EndpointsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IngressEndpoints {
    members: Vec<(i32, String)>,
}

/// Why a string is not a list of [`IngressEndpoints`]. Every variant names the whole list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointsError {
    /// No entry at all.
    #[error("no ingress endpoints in {endpoints:?} (expected id=host:port,...)")]
    Empty {
        /// The list given.
        endpoints: String,
    },
    /// An entry without `=` between member id and endpoint.
    #[error("ingress endpoint {entry:?} of {endpoints:?} has no '=' (expected id=host:port)")]
    MissingSeparator {
        /// The list given.
        endpoints: String,
        /// The entry.
        entry: String,
    },
    /// A member id that is not a number.
    #[error("ingress endpoint {entry:?} of {endpoints:?}: the member id is not a number")]
    InvalidMemberId {
        /// The list given.
        endpoints: String,
        /// The entry.
        entry: String,
    },
    /// A member id listed twice.
    #[error("member {member_id} is listed twice in {endpoints:?}")]
    DuplicateMemberId {
        /// The list given.
        endpoints: String,
        /// The member id.
        member_id: i32,
    },
    /// An endpoint that is not `host:port` with a port from 0 to 65535.
    #[error("ingress endpoint {entry:?} of {endpoints:?} is not id=host:port")]
    InvalidEndpoint {
        /// The list given.
        endpoints: String,
        /// The entry.
        entry: String,
    },
}

impl IngressEndpoints {
    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members (never, for a parsed list).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The endpoint of member `member_id`.
    pub fn get(&self, member_id: i32) -> Option<&str> {
        self.members.iter().find(|(id, _)| *id == member_id).map(|(_, endpoint)| endpoint.as_str())
    }

    /// The members, as member id and endpoint, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &str)> + '_ {
        self.members.iter().map(|(id, endpoint)| (*id, endpoint.as_str()))
    }
}

impl FromStr for IngressEndpoints {
    type Err = EndpointsError;

    fn from_str(endpoints: &str) -> Result<Self, EndpointsError> {
        let list = || endpoints.to_owned();
        let mut members: Vec<(i32, String)> = Vec::new();
        for entry in endpoints.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((id, endpoint)) = entry.split_once('=') else {
                return Err(EndpointsError::MissingSeparator { endpoints: list(), entry: entry.to_owned() });
            };
            let Ok(member_id) = id.trim().parse::<i32>() else {
                return Err(EndpointsError::InvalidMemberId { endpoints: list(), entry: entry.to_owned() });
            };
            let endpoint = endpoint.trim();
            let valid = endpoint
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                return Err(EndpointsError::InvalidEndpoint { endpoints: list(), entry: entry.to_owned() });
            }
            if members.iter().any(|(id, _)| *id == member_id) {
                return Err(EndpointsError::DuplicateMemberId { endpoints: list(), member_id });
            }
            members.push((member_id, endpoint.to_owned()));
        }
        if members.is_empty() {
            return Err(EndpointsError::Empty { endpoints: list() });
        }
        Ok(IngressEndpoints { members })
    }
}

impl fmt::Display for IngressEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (id, endpoint)) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id}={endpoint}")?;
        }
        Ok(())
    }
}

/// `channel` with its `endpoint` parameter set to `endpoint` (replaced if present), checked
/// by Aeron's URI parser: the channel of one member's ingress publication.
pub(crate) fn with_endpoint(channel: &str, endpoint: &str) -> Result<Channel, ChannelError> {
    with_param(channel, "endpoint", endpoint).parse()
}

/// `channel` with `key=value` set (replaced if present).
pub(crate) fn with_param(channel: &str, key: &str, value: &str) -> String {
    let (media, params) = channel.split_once('?').unwrap_or((channel, ""));
    let mut uri = format!("{media}?");
    for param in params.split('|').filter(|p| !p.is_empty()) {
        if param.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            continue;
        }
        uri.push_str(param);
        uri.push('|');
    }
    uri.push_str(key);
    uri.push('=');
    uri.push_str(value);
    uri
}

/// Whether `channel` has the parameter `key`.
pub(crate) fn has_param(channel: &str, key: &str) -> bool {
    let params = channel.split_once('?').map_or("", |(_, p)| p);
    params.split('|').any(|p| p.split_once('=').is_some_and(|(k, _)| k.trim() == key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_bad_list_is_named() {
        let err = |s: &str| s.parse::<IngressEndpoints>().unwrap_err();
        assert!(matches!(err(""), EndpointsError::Empty { .. }));
        assert!(matches!(err(" , "), EndpointsError::Empty { .. }));
        assert!(matches!(err("a=h:1"), EndpointsError::InvalidMemberId { .. }));
        assert!(matches!(err("0=h"), EndpointsError::InvalidEndpoint { .. }));
        assert!(matches!(err("0=:1"), EndpointsError::InvalidEndpoint { .. }));
        assert!(matches!(err("0=h:70000"), EndpointsError::InvalidEndpoint { .. }));
        assert!(matches!(err("0=h:1,0=h:2"), EndpointsError::DuplicateMemberId { member_id: 0, .. }));
        assert!(err("0=h:1,x").to_string().contains("\"0=h:1,x\""));
    }

    #[test]
    fn spaces_and_ipv6_are_accepted() {
        let endpoints: IngressEndpoints = " 0 = [::1]:9002 , 1=localhost:9102 ".parse().unwrap();
        assert_eq!(endpoints.iter().collect::<Vec<_>>(), vec![(0, "[::1]:9002"), (1, "localhost:9102")]);
    }

    #[test]
    fn a_members_channel_gets_its_endpoint() {
        assert_eq!(with_param("aeron:udp", "endpoint", "h:1"), "aeron:udp?endpoint=h:1");
        assert_eq!(
            with_param("aeron:udp?term-length=64k|endpoint=x:2", "endpoint", "h:1"),
            "aeron:udp?term-length=64k|endpoint=h:1"
        );
        assert_eq!(
            with_endpoint("aeron:udp?term-length=64k", "127.0.0.1:9002").unwrap().as_str(),
            "aeron:udp?term-length=64k|endpoint=127.0.0.1:9002"
        );
        assert!(with_endpoint("aeron:udpx", "127.0.0.1:9002").is_err());
        assert!(has_param("aeron:udp?endpoint=h:0|rejoin=false", "rejoin"));
        assert!(!has_param("aeron:udp?endpoint=h:0", "rejoin"));
    }
}
