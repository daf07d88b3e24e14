//! The connect: Java's `AsyncConnect`, one step per duty cycle, none waiting.
//!
//! Add the egress subscription; add the one ingress publication (IPC or multicast) or one per
//! member; wait for the egress port to resolve and an ingress publication to connect; send the
//! connect request; poll for the answer: a challenge (answered, back to sending), a REDIRECT
//! from a follower (members rebuilt, back to waiting for the leader's ingress), OK (the
//! session opens) or a refusal. The message timeout bounds it all.

use std::time::{Duration, Instant};

use dutycycle_aeron::rusteron_client::{AeronCError, AeronOfferError};

use super::member::Member;
use super::{deadline, ClusterClient};
use crate::codec::{ChallengeResponse, EventCode, Message, SessionConnectRequest, PROTOCOL_SEMANTIC_VERSION};
use crate::config::MemberSettings;
use crate::endpoints::with_endpoint;
use crate::events;
use crate::{
    ClusterClientConfig, ClusterError, ClusterState, ConnectStep, EgressListener, EndpointsError,
    IngressEndpoints,
};

impl ClusterClient {
    pub(super) fn poll_connect<L: EgressListener + ?Sized>(
        &mut self,
        step: ConnectStep,
        now: Instant,
        listener: &mut L,
    ) -> Result<usize, ClusterError> {
        if now >= self.deadline {
            let ingress: Vec<String> = self.members.iter().map(Member::describe).collect();
            let egress = if self.egress.is_connected() { "egress connected" } else { "egress not connected" };
            return Err(ClusterError::ConnectTimeout {
                step,
                timeout: self.settings.message_timeout,
                ingress: format!("{}; {egress}", ingress.join(", ")),
            });
        }
        match step {
            ConnectStep::AddEgressSubscription => {
                if !self.egress.poll_add().map_err(|source| self.egress_add_error(source))? {
                    return Ok(0);
                }
                let next = if self.settings.endpoints {
                    ConnectStep::AwaitIngressConnected
                } else {
                    ConnectStep::AddIngressPublication
                };
                self.state = ClusterState::Connecting(next);
                Ok(1)
            }
            ConnectStep::AddIngressPublication => {
                let member = &mut self.members[0];
                if let Err(source) = member.advance(&self.aeron, self.settings.ingress_stream_id) {
                    return Err(member.add_error(self.settings.ingress_stream_id, source));
                }
                if !member.is_ready() {
                    return Ok(0);
                }
                self.ingress = Some(0);
                self.state = ClusterState::Connecting(ConnectStep::AwaitIngressConnected);
                Ok(1)
            }
            ConnectStep::AwaitIngressConnected => self.await_ingress_connected(),
            ConnectStep::SendRequest => self.send_request(),
            ConnectStep::AwaitResponse => self.await_response(now, listener),
        }
    }

    /// Waits for the egress port to resolve and for an ingress publication to connect (the
    /// first member's to connect, or the one already chosen), then prepares the request.
    fn await_ingress_connected(&mut self) -> Result<usize, ClusterError> {
        let aeron = &self.aeron;
        if self.egress.resolved_channel().is_none() {
            return Ok(0);
        }
        let stream_id = self.settings.ingress_stream_id;
        let connected = match self.ingress {
            Some(index) => {
                let member = &mut self.members[index];
                match member.advance(aeron, stream_id) {
                    Ok(connected) => connected.then_some(index),
                    Err(source) if !self.settings.endpoints => {
                        return Err(member.add_error(stream_id, source));
                    }
                    // A failed member is named in the timeout's message.
                    Err(_) => None,
                }
            }
            None => self.members.iter_mut().enumerate().filter(|(_, member)| !member.is_failed()).find_map(
                |(index, member)| member.advance(aeron, stream_id).ok().filter(|c| *c).map(|_| index),
            ),
        };
        let Some(index) = connected else { return Ok(0) };
        self.ingress = Some(index);
        self.prepare_connect_request()?;
        Ok(1)
    }

    fn prepare_connect_request(&mut self) -> Result<(), ClusterError> {
        self.correlation_id = self.aeron.next_correlation_id();
        let credentials =
            self.settings.credentials.as_ref().map(|c| c.encoded_credentials()).unwrap_or_default();
        let request = SessionConnectRequest {
            correlation_id: self.correlation_id,
            response_stream_id: self.settings.egress_stream_id,
            version: PROTOCOL_SEMANTIC_VERSION,
            response_channel: self.egress.resolved_channel().unwrap_or_default(),
            encoded_credentials: &credentials,
            client_info: &self.settings.client_info,
        };
        encode_into(&request, &mut self.request)?;
        self.state = ClusterState::Connecting(ConnectStep::SendRequest);
        Ok(())
    }

    fn send_request(&mut self) -> Result<usize, ClusterError> {
        let Some(member) = self.ingress.map(|i| &self.members[i]) else { return Ok(0) };
        match member.offer(&[&self.request]) {
            Ok(_) => {
                self.state = ClusterState::Connecting(ConnectStep::AwaitResponse);
                Ok(1)
            }
            Err(AeronOfferError::NotConnected | AeronOfferError::Closed) => {
                Err(ClusterError::ConnectionLost { member_id: member.id })
            }
            Err(_) => Ok(0),
        }
    }

    fn await_response<L: EgressListener + ?Sized>(
        &mut self,
        now: Instant,
        listener: &mut L,
    ) -> Result<usize, ClusterError> {
        let found = self
            .egress
            .poll_response(&mut self.response)
            .map_err(|source| ClusterError::Aeron { call: "aeron_subscription_controlled_poll", source })?;
        if !found || self.response.correlation_id != self.correlation_id {
            return Ok(usize::from(found));
        }
        let detail = || self.response.detail.clone();
        match self.response.code {
            None => self.answer_challenge()?,
            Some(EventCode::Ok) => self.conclude_connect(now, listener),
            Some(EventCode::Error) => return Err(ClusterError::ConnectRejected { detail: detail() }),
            Some(EventCode::AuthenticationRejected) => {
                return Err(ClusterError::AuthenticationRejected { detail: detail() })
            }
            Some(EventCode::Redirect) => self.redirect()?,
            Some(EventCode::Closed | EventCode::Unknown(_)) => {}
        }
        Ok(1)
    }

    fn answer_challenge(&mut self) -> Result<(), ClusterError> {
        self.cluster_session_id = self.response.cluster_session_id;
        self.correlation_id = self.aeron.next_correlation_id();
        let credentials = match &self.settings.credentials {
            Some(supplier) => supplier.on_challenge(&self.response.encoded_challenge),
            None => Vec::new(),
        };
        let response = ChallengeResponse {
            correlation_id: self.correlation_id,
            cluster_session_id: self.cluster_session_id,
            encoded_credentials: &credentials,
        };
        encode_into(&response, &mut self.request)?;
        self.state = ClusterState::Connecting(ConnectStep::SendRequest);
        Ok(())
    }

    /// A follower answered: connect to the leader it names, keeping the publication already
    /// made to that leader's endpoint.
    fn redirect(&mut self) -> Result<(), ClusterError> {
        let leader = self.response.leader_member_id;
        let mut members = self.members_from(&self.response.detail, leader)?;
        let leader_index = members.iter().position(|m| m.id == leader).unwrap_or_default();
        if let Some(old) =
            self.members.iter_mut().find(|m| m.id == leader && m.endpoint == members[leader_index].endpoint)
        {
            if old.is_live() {
                members[leader_index].take_publication(old);
            }
        }
        self.replace_members(members);
        self.ingress = Some(leader_index);
        self.state = ClusterState::Connecting(ConnectStep::AwaitIngressConnected);
        events::redirected(leader);
        Ok(())
    }

    /// Members from a list of ingress endpoints the cluster sent, which must name `leader`.
    pub(super) fn members_from(&self, endpoints: &str, leader: i32) -> Result<Vec<Member>, ClusterError> {
        let parsed: IngressEndpoints = endpoints.parse().map_err(ClusterError::Endpoints)?;
        if parsed.get(leader).is_none() {
            return Err(ClusterError::UnknownLeader {
                leader_member_id: leader,
                endpoints: endpoints.to_owned(),
            });
        }
        let mut members = Vec::with_capacity(parsed.len());
        for (id, endpoint) in parsed.iter() {
            let channel = with_endpoint(&self.settings.ingress_channel, endpoint).map_err(|_| {
                ClusterError::Endpoints(EndpointsError::InvalidEndpoint {
                    endpoints: endpoints.to_owned(),
                    entry: format!("{id}={endpoint}"),
                })
            })?;
            members.push(Member::new(&MemberSettings { id, endpoint: endpoint.to_owned(), channel }));
        }
        Ok(members)
    }

    /// Closes the current members' publications and takes `members` instead.
    pub(super) fn replace_members(&mut self, members: Vec<Member>) {
        for member in &mut self.members {
            let _ = member.close();
        }
        self.members = members;
    }

    fn conclude_connect<L: EgressListener + ?Sized>(&mut self, now: Instant, listener: &mut L) {
        let response = &self.response;
        self.cluster_session_id = response.cluster_session_id;
        self.leadership_term_id = response.leadership_term_id;
        self.leader_member_id = response.leader_member_id;
        self.new_leader_timeout =
            match (self.settings.new_leader_timeout, response.leader_heartbeat_timeout_ns) {
                (Some(configured), _) => configured,
                (None, Some(ns)) if ns > 0 => Duration::from_nanos(ns.unsigned_abs().saturating_mul(2))
                    .min(ClusterClientConfig::MAX_TIMEOUT),
                _ => ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT,
            };
        self.egress.adopt_image(response.image_session_id);
        for (index, member) in self.members.iter_mut().enumerate() {
            if Some(index) != self.ingress {
                let _ = member.close();
            }
        }
        self.encode_header();
        self.keep_alive_deadline = deadline(now, self.settings.keep_alive_interval);
        self.state = ClusterState::Connected;
        events::connected(self.cluster_session_id, self.leadership_term_id, self.leader_member_id);
        listener.on_connected(self.cluster_session_id, self.leadership_term_id, self.leader_member_id);
    }

    pub(super) fn egress_add_error(&self, source: AeronCError) -> ClusterError {
        ClusterError::Add {
            what: "egress subscription",
            channel: self.egress.channel.to_string(),
            stream_id: self.egress.stream_id,
            source,
        }
    }
}

/// Encodes `message` into `buffer`, resized to fit (allocates only while connecting).
fn encode_into<'a, M: Message<'a>>(message: &M, buffer: &mut Vec<u8>) -> Result<(), ClusterError> {
    buffer.resize(message.encoded_length(), 0);
    message.encode(buffer).map(drop).map_err(ClusterError::Encode)
}
