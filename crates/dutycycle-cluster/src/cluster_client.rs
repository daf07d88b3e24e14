//! [`ClusterClient`]: an Aeron Cluster session driven by its owning agent's duty cycle.

use std::fmt;
use std::time::{Duration, Instant};

use dutycycle_aeron::rusteron_client::{Aeron, AeronCError, AeronOfferError};
use dutycycle_aeron::AeronClient;

use crate::codec::{
    AdminRequest, AdminRequestType, ChallengeResponse, EventCode, Message, SessionCloseRequest,
    SessionConnectRequest, SessionKeepAlive, SessionMessage, HEADER_LENGTH, PROTOCOL_SEMANTIC_VERSION,
    SESSION_HEADER_LENGTH,
};
use crate::config::{MemberSettings, Settings};
use crate::egress::{Egress, Found, Response};
use crate::endpoints::with_endpoint;
use crate::ingress::Member;
use crate::{
    ClusterClientConfig, ClusterError, ClusterState, ConnectStep, EgressListener, EndpointsError,
    IngressEndpoints, OfferError,
};

/// How many times [`ClusterClient::close`] offers the close request (Java's `SEND_ATTEMPTS`),
/// back to back: a close never waits.
const CLOSE_ATTEMPTS: usize = 3;

/// The length of a keep-alive or close request.
const SHORT_MESSAGE_LENGTH: usize = HEADER_LENGTH + SessionKeepAlive::BLOCK_LENGTH as usize;

/// An Aeron Cluster session: connect, ingress, egress, keep-alives and leader changes, every
/// step taken in the owning agent's duty cycle. Nothing blocks and no thread is started.
///
/// # Contract
///
/// - **One thread.** The client is made, polled, offered to and closed on the thread that owns
///   the [`AeronClient`] it was made from: it holds rusteron's `Rc` handles and is neither
///   `Send` nor `Sync`, so the compiler keeps it there. A signal handler or another thread
///   cannot close it; they signal the agent's termination, and the agent closes it in
///   `on_close`.
/// - **Each duty cycle:** run the Aeron client's conductor ([`AeronClient::do_work`], which
///   makes the asynchronous adds progress), then [`poll`](ClusterClient::poll) once, then
///   offer. [`ClusterAgent`](crate::ClusterAgent) does this in this order.
/// - **Nothing blocks.** [`connect`](ClusterClient::connect) starts adding the egress
///   subscription and returns; each `poll` takes the next step of the connect, or polls up to
///   10 egress fragments, checks the leader's image, the timers and the keep-alive;
///   [`offer`](ClusterClient::offer) is one Aeron offer; `close` makes at most three offers.
/// - **Timeouts** ([`ClusterClientConfig`]): the message timeout bounds a whole connect and
///   the connection to an announced new leader; the new leader timeout bounds the wait for a
///   new leader after losing one. Each expiry is a [`ClusterError`] from `poll`, and the
///   session is closed.
/// - **At-most-once ingress.** The cluster does not acknowledge ingress. A message offered
///   while no leader is connected fails with [`OfferError::NotConnected`]; one that went out
///   just before the leader died may be lost, and so may answers the old leader never sent.
///   After [`EgressListener::on_new_leader`], resend what is unanswered, with sequence numbers
///   the service can deduplicate.
///
/// # Differences from Java's `AeronCluster`
///
/// - Java blocks while it adds the new leader's publication; this client adds it
///   asynchronously and polls the add each cycle (`AwaitingNewLeaderConnection`).
/// - After a NewLeaderEvent this client sends a keep-alive before any application message
///   (the schema's advice); offers fail with `NotConnected` until it went out.
/// - Keep-alives are sent by the client itself, every keep-alive interval without ingress.
/// - After a REDIRECT only the named leader is tried (Java adds publications to every member
///   again, and the first to connect may be another follower).
/// - [`EgressListener::on_connected`] reports the open session.
/// - An application message is offered as two parts (the 32-byte session header kept by the
///   client, and the payload): nothing is copied or allocated per offer.
///
/// # Examples
///
/// A connect to a cluster that is not there ends in a typed timeout, without blocking:
///
/// ```
/// use std::time::Duration;
/// use dutycycle_aeron::{AeronClient, ClientConfig};
/// # use dutycycle::Agent;
/// # use dutycycle_aeron::{MediaDriverAgent, MediaDriverConfig};
/// use dutycycle_cluster::codec::SessionMessage;
/// use dutycycle_cluster::{ClusterClient, ClusterClientConfig, ClusterError, ClusterState, EgressListener};
///
/// struct Answers(u64);
/// impl EgressListener for Answers {
///     fn on_message(&mut self, _message: &SessionMessage<'_>) { self.0 += 1; }
/// }
///
/// # let mut driver = MediaDriverAgent::launch(MediaDriverConfig::new())?;
/// let mut aeron = AeronClient::connect(&ClientConfig::new().dir(driver.dir()))?;
/// let config = ClusterClientConfig::new()
///     .ingress_endpoints("0=127.0.0.1:9") // nothing listens there
///     .message_timeout(Duration::from_millis(300));
/// let mut cluster = ClusterClient::connect(&aeron, &config)?; // returns at once
/// let mut answers = Answers(0);
/// let error = loop {
///     # driver.do_work()?;
///     aeron.do_work()?; // one duty cycle: the conductor, then the cluster client
///     if let Err(error) = cluster.poll(&mut answers) {
///         break error;
///     }
/// };
/// assert!(matches!(error, ClusterError::ConnectTimeout { .. }), "{error}");
/// assert_eq!(cluster.state(), ClusterState::Closed);
/// # drop(cluster);
/// # aeron.close()?;
/// # driver.on_close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// It cannot leave its thread:
///
/// ```compile_fail
/// fn send_to_another_thread<T: Send>(_: T) {}
/// fn try_it(cluster: dutycycle_cluster::ClusterClient) {
///     send_to_another_thread(cluster); // error: `Rc<...>` cannot be sent between threads
/// }
/// ```
pub struct ClusterClient {
    settings: Settings,
    /// A handle of the Aeron client (rusteron's `Rc`): the C client closes once this and the
    /// `AeronClient` are gone.
    aeron: Aeron,
    egress: Egress,
    members: Vec<Member>,
    /// The member whose publication carries the session's ingress.
    ingress: Option<usize>,
    state: ClusterState,
    /// The deadline of the connect or of the wait for a new leader.
    deadline: Instant,
    cluster_session_id: i64,
    leadership_term_id: i64,
    leader_member_id: i32,
    correlation_id: i64,
    new_leader_timeout: Duration,
    keep_alive_deadline: Instant,
    /// The time of the last poll: the clock of offers.
    now: Instant,
    /// The encoded session header put in front of every application message.
    header: [u8; SESSION_HEADER_LENGTH],
    /// The encoded connect request or challenge response being sent.
    request: Vec<u8>,
    response: Response,
    found: Found,
}

/// What [`ClusterClient::close`] did about the session.
///
/// # Examples
///
/// ```
/// use dutycycle_cluster::CloseOutcome;
///
/// assert_ne!(CloseOutcome::Requested, CloseOutcome::AlreadyClosed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseOutcome {
    /// A SessionCloseRequest went to the leader: the cluster closes the session now.
    Requested,
    /// No leader was connected (connecting, or following a new leader): nothing was sent, and
    /// the cluster closes the session when it times out.
    NotConnected,
    /// Three offers of the close request found ingress back pressured; the cluster closes the
    /// session when it times out.
    Unsent,
    /// The session was over already.
    AlreadyClosed,
}

impl ClusterClient {
    /// Starts connecting to the cluster with `client`, on the calling thread (the client's):
    /// validates `config`, starts adding the egress subscription, and returns. The connect
    /// goes on in [`poll`](ClusterClient::poll).
    ///
    /// # Errors
    ///
    /// [`ClusterError::Config`] for an invalid configuration (nothing was touched);
    /// [`ClusterError::Add`] when Aeron refuses to start adding the egress subscription.
    pub fn connect(
        client: &AeronClient,
        config: &ClusterClientConfig,
    ) -> Result<ClusterClient, ClusterError> {
        let settings = config.settings().map_err(ClusterError::Config)?;
        let now = Instant::now();
        let egress = Egress::new(settings.egress_channel.clone(), settings.egress_stream_id);
        let mut cluster = ClusterClient {
            members: settings.members.iter().map(Member::new).collect(),
            settings,
            aeron: client.aeron().clone(),
            egress,
            ingress: None,
            state: ClusterState::Closed,
            deadline: now,
            cluster_session_id: 0,
            leadership_term_id: 0,
            leader_member_id: 0,
            correlation_id: 0,
            new_leader_timeout: ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT,
            keep_alive_deadline: now,
            now,
            header: [0; SESSION_HEADER_LENGTH],
            request: Vec::new(),
            response: Response::default(),
            found: Found::default(),
        };
        cluster.start()?;
        Ok(cluster)
    }

    /// Opens a new session with the same configuration and Aeron client: closes the current
    /// one first if it is not over (as [`close`](ClusterClient::close)), then starts
    /// connecting as [`connect`](ClusterClient::connect) does.
    ///
    /// # Errors
    ///
    /// As `close`, then as `connect`.
    pub fn reconnect(&mut self) -> Result<(), ClusterError> {
        self.close()?;
        self.members = self.settings.members.iter().map(Member::new).collect();
        self.start()
    }

    fn start(&mut self) -> Result<(), ClusterError> {
        self.egress.add(&self.aeron).map_err(|source| self.egress_add_error(source))?;
        self.now = Instant::now();
        self.deadline = self.now + self.settings.message_timeout;
        self.state = ClusterState::Connecting(ConnectStep::AddEgressSubscription);
        Ok(())
    }

    /// One turn of the session, on the owning thread: the next step of a connect, or a poll
    /// of up to 10 egress fragments (the session's messages and events go to `listener`), the
    /// leader's liveness, the deadlines and the keep-alive. Returns the work done (0 when
    /// there was nothing to do). Call it once per duty cycle, after
    /// [`AeronClient::do_work`]; it never blocks.
    ///
    /// # Errors
    ///
    /// A [`ClusterError`]; [`state`](ClusterClient::state) says whether the session is over
    /// (connect refused or timed out, session closed by the cluster, no new leader in time)
    /// or goes on (a malformed egress message, say).
    pub fn poll<L: EgressListener + ?Sized>(&mut self, listener: &mut L) -> Result<usize, ClusterError> {
        let now = Instant::now();
        self.now = now;
        let result = match self.state {
            ClusterState::Closed => return Ok(0),
            ClusterState::Connecting(step) => self.poll_connect(step, now, listener),
            _ => self.poll_session(now, listener),
        };
        if result.is_err() && self.ends_session() {
            let _ = self.release();
        }
        result
    }

    /// Whether the error just met ends the session: any error while connecting, or the state
    /// already closed.
    fn ends_session(&self) -> bool {
        matches!(self.state, ClusterState::Connecting(_) | ClusterState::Closed)
    }

    fn poll_connect<L: EgressListener + ?Sized>(
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
                    return Err(ingress_add_error(member, self.settings.ingress_stream_id, source));
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
                        return Err(ingress_add_error(member, stream_id, source));
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
        Ok(())
    }

    /// Members from a list of ingress endpoints the cluster sent, which must name `leader`.
    fn members_from(&self, endpoints: &str, leader: i32) -> Result<Vec<Member>, ClusterError> {
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
    fn replace_members(&mut self, members: Vec<Member>) {
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
                (None, Some(ns)) if ns > 0 => Duration::from_nanos(ns.unsigned_abs().saturating_mul(2)),
                _ => ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT,
            };
        self.egress.adopt_image(response.image_session_id);
        for (index, member) in self.members.iter_mut().enumerate() {
            if Some(index) != self.ingress {
                let _ = member.close();
            }
        }
        self.encode_header();
        self.keep_alive_deadline = now + self.settings.keep_alive_interval;
        self.state = ClusterState::Connected;
        listener.on_connected(self.cluster_session_id, self.leadership_term_id, self.leader_member_id);
    }

    fn encode_header(&mut self) {
        let header = SessionMessage {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
            timestamp: 0,
            payload: &[],
        };
        // A header without payload is exactly SESSION_HEADER_LENGTH bytes.
        let _ = header.encode(&mut self.header);
    }

    fn poll_session<L: EgressListener + ?Sized>(
        &mut self,
        now: Instant,
        listener: &mut L,
    ) -> Result<usize, ClusterError> {
        let mut work = self
            .egress
            .poll_session(self.cluster_session_id, listener, &mut self.found)
            .map_err(|source| ClusterError::Aeron { call: "aeron_subscription_poll", source })?;
        let mut deferred = None;
        if let Some((term, leader, image)) = self.found.new_leader.take() {
            work += 1;
            deferred = self.on_new_leader(now, term, leader, image).err();
        }
        if self.egress.is_image_closed()
            && matches!(self.state, ClusterState::Connected | ClusterState::AwaitingNewLeaderConnection)
        {
            self.on_disconnected(now);
            work += 1;
        }
        if std::mem::take(&mut self.found.closed) {
            self.state = ClusterState::Closed;
            return Err(ClusterError::SessionClosed {
                cluster_session_id: self.cluster_session_id,
                detail: self.found.detail.clone(),
            });
        }
        work += match self.state {
            ClusterState::AwaitingNewLeader if now >= self.deadline => {
                self.state = ClusterState::Closed;
                return Err(ClusterError::NewLeaderTimeout { timeout: self.new_leader_timeout });
            }
            ClusterState::AwaitingNewLeaderConnection if now >= self.deadline => {
                self.state = ClusterState::Closed;
                return Err(ClusterError::NewLeaderConnectTimeout {
                    leader_member_id: self.leader_member_id,
                    timeout: self.settings.message_timeout,
                });
            }
            ClusterState::AwaitingNewLeaderConnection => self.connect_to_new_leader(now)?,
            ClusterState::Connected if now >= self.keep_alive_deadline => self.keep_alive(now)?,
            _ => 0,
        };
        if let Some(error) = deferred {
            return Err(error);
        }
        match self.found.decode_error.take() {
            Some(error) => Err(ClusterError::Decode(error)),
            None => Ok(work),
        }
    }

    /// A NewLeaderEvent: adopt its term, leader and image, and point ingress at the new leader
    /// (Java's `onNewLeader`). The listener has heard of it already, in the poll.
    fn on_new_leader(
        &mut self,
        now: Instant,
        term: i64,
        leader: i32,
        image: i32,
    ) -> Result<(), ClusterError> {
        self.leadership_term_id = term;
        self.leader_member_id = leader;
        self.encode_header();
        self.egress.adopt_image(image);
        self.state = ClusterState::AwaitingNewLeaderConnection;
        self.deadline = now + self.settings.message_timeout;
        if let Some(index) = self.ingress.take() {
            let _ = self.members[index].close();
        }
        if !self.settings.endpoints {
            self.ingress = Some(0);
            return Ok(());
        }
        let endpoints = std::mem::take(&mut self.found.endpoints);
        let members = self.members_from(&endpoints, leader);
        self.found.endpoints = endpoints;
        self.replace_members(members?);
        self.ingress = self.members.iter().position(|m| m.id == leader);
        Ok(())
    }

    /// Ingress to the new leader: its publication added, connected, and a keep-alive sent
    /// first; then the session is connected again.
    fn connect_to_new_leader(&mut self, now: Instant) -> Result<usize, ClusterError> {
        let Some(index) = self.ingress else { return Ok(0) };
        let stream_id = self.settings.ingress_stream_id;
        let member = &mut self.members[index];
        match member.advance(&self.aeron, stream_id) {
            Ok(true) => {}
            Ok(false) => return Ok(0),
            Err(source) => {
                let error = ingress_add_error(member, stream_id, source);
                let _ = member.close(); // idle again: the add is tried again next cycle
                return Err(error);
            }
        }
        let keep_alive = self.keep_alive_message();
        if self.members[index].offer(&[&keep_alive]).is_err() {
            return Ok(0);
        }
        self.state = ClusterState::Connected;
        self.keep_alive_deadline = now + self.settings.keep_alive_interval;
        Ok(1)
    }

    /// The leader is gone (its image closed, or ingress stopped connecting): close ingress
    /// and wait for a new leader (Java's `onDisconnected`).
    fn on_disconnected(&mut self, now: Instant) {
        if let Some(index) = self.ingress.take() {
            let _ = self.members[index].close();
        }
        self.egress.release_image();
        self.state = ClusterState::AwaitingNewLeader;
        self.deadline = now + self.new_leader_timeout;
    }

    fn keep_alive(&mut self, now: Instant) -> Result<usize, ClusterError> {
        let keep_alive = self.keep_alive_message();
        match self.offer_parts(&[&keep_alive]) {
            Ok(_) => Ok(1),
            Err(OfferError::MaxPositionExceeded) => Err(ClusterError::MaxPositionExceeded),
            Err(OfferError::NotConnected { .. }) => Ok(1), // now awaiting a new leader
            Err(_) => {
                // Back pressured: try again next cycle.
                self.keep_alive_deadline = now;
                Ok(0)
            }
        }
    }

    /// A keep-alive of this session.
    fn keep_alive_message(&self) -> [u8; SHORT_MESSAGE_LENGTH] {
        encode_short(&SessionKeepAlive {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
        })
    }

    /// A close request of this session.
    fn close_request_message(&self) -> [u8; SHORT_MESSAGE_LENGTH] {
        encode_short(&SessionCloseRequest {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
        })
    }

    /// Offers `payload` to the cluster with the session header in front (two parts, nothing
    /// copied or allocated): the new ingress position. Only in [`ClusterState::Connected`].
    /// A successful offer counts as ingress for the keep-alive timer.
    ///
    /// # Errors
    ///
    /// An [`OfferError`]: not connected (also when this offer found ingress disconnected: the
    /// client then awaits a new leader), back pressure, or the session ended by the
    /// publication's maximum position.
    #[inline]
    pub fn offer(&mut self, payload: &[u8]) -> Result<i64, OfferError> {
        let header = self.header;
        self.offer_parts(&[&header, payload])
    }

    /// Asks the cluster to take a snapshot (needs the cluster's authorisation); the answer
    /// comes to [`EgressListener::on_admin_response`] with `correlation_id`.
    ///
    /// # Errors
    ///
    /// As [`offer`](ClusterClient::offer).
    pub fn send_admin_request_to_take_a_snapshot(&mut self, correlation_id: i64) -> Result<i64, OfferError> {
        let request = AdminRequest {
            leadership_term_id: self.leadership_term_id,
            cluster_session_id: self.cluster_session_id,
            correlation_id,
            request_type: AdminRequestType::Snapshot,
            payload: &[],
        };
        let mut bytes = [0u8; HEADER_LENGTH + AdminRequest::BLOCK_LENGTH as usize + 4];
        let _ = request.encode(&mut bytes);
        self.offer_parts(&[&bytes])
    }

    #[inline]
    fn offer_parts(&mut self, parts: &[&[u8]]) -> Result<i64, OfferError> {
        if self.state != ClusterState::Connected {
            return Err(OfferError::NotConnected { state: self.state });
        }
        let Some(member) = self.ingress.map(|i| &self.members[i]) else {
            return Err(OfferError::NotConnected { state: self.state });
        };
        match member.offer(parts) {
            Ok(position) => {
                self.keep_alive_deadline = self.now + self.settings.keep_alive_interval;
                Ok(position)
            }
            Err(AeronOfferError::NotConnected | AeronOfferError::Closed) => {
                self.on_disconnected(self.now);
                Err(OfferError::NotConnected { state: self.state })
            }
            Err(AeronOfferError::MaxPositionExceeded) => {
                let _ = self.release();
                Err(OfferError::MaxPositionExceeded)
            }
            Err(AeronOfferError::BackPressured) => Err(OfferError::BackPressured),
            Err(AeronOfferError::AdminAction) => Err(OfferError::AdminAction),
            Err(error) => Err(OfferError::Aeron(error)),
        }
    }

    /// Ends the session, on the owning thread: while connected, offers a SessionCloseRequest
    /// (up to three times, back to back: nothing waits), then closes the image, the egress
    /// subscription and every ingress publication. Idempotent. Call it from the agent's
    /// `on_close`, before the Aeron client closes; dropping the client does the same, quietly.
    ///
    /// # Errors
    ///
    /// [`ClusterError::Aeron`] when Aeron fails to close a publication or the subscription;
    /// the session is closed regardless.
    pub fn close(&mut self) -> Result<CloseOutcome, ClusterError> {
        if self.state == ClusterState::Closed {
            self.release()?;
            return Ok(CloseOutcome::AlreadyClosed);
        }
        let mut outcome = CloseOutcome::NotConnected;
        if let (ClusterState::Connected, Some(index)) = (self.state, self.ingress) {
            let close = self.close_request_message();
            outcome = CloseOutcome::Unsent;
            for _ in 0..CLOSE_ATTEMPTS {
                match self.members[index].offer(&[&close]) {
                    Ok(_) => {
                        outcome = CloseOutcome::Requested;
                        break;
                    }
                    Err(AeronOfferError::NotConnected | AeronOfferError::Closed) => {
                        outcome = CloseOutcome::NotConnected;
                        break;
                    }
                    Err(_) => {}
                }
            }
        }
        self.release()?;
        Ok(outcome)
    }

    /// Closes every Aeron resource of the session; the state is `Closed`.
    fn release(&mut self) -> Result<(), ClusterError> {
        self.state = ClusterState::Closed;
        self.ingress = None;
        let mut result = self
            .egress
            .close()
            .map_err(|source| ClusterError::Aeron { call: "aeron_subscription_close", source });
        for member in &mut self.members {
            if let Err(source) = member.close() {
                if result.is_ok() {
                    result = Err(ClusterError::Aeron { call: "aeron_exclusive_publication_close", source });
                }
            }
        }
        result
    }

    fn egress_add_error(&self, source: AeronCError) -> ClusterError {
        ClusterError::Add {
            what: "egress subscription",
            channel: self.egress.channel.to_string(),
            stream_id: self.egress.stream_id,
            source,
        }
    }

    /// Where the session is.
    pub fn state(&self) -> ClusterState {
        self.state
    }

    /// The cluster session id, once the session is open.
    pub fn cluster_session_id(&self) -> Option<i64> {
        self.is_open().then_some(self.cluster_session_id)
    }

    /// The current leader's member id, once the session is open.
    pub fn leader_member_id(&self) -> Option<i32> {
        self.is_open().then_some(self.leader_member_id)
    }

    /// The current leadership term, once the session is open.
    pub fn leadership_term_id(&self) -> Option<i64> {
        self.is_open().then_some(self.leadership_term_id)
    }

    /// How long the client waits for a new leader after losing one: configured, else twice the
    /// leader heartbeat timeout the cluster sent with OK, else 20 s.
    pub fn new_leader_timeout(&self) -> Duration {
        self.new_leader_timeout
    }

    fn is_open(&self) -> bool {
        !matches!(self.state, ClusterState::Connecting(_) | ClusterState::Closed)
    }
}

fn ingress_add_error(member: &Member, stream_id: i32, source: AeronCError) -> ClusterError {
    ClusterError::Add { what: "ingress publication", channel: member.channel.to_string(), stream_id, source }
}

/// Encodes a message of [`SHORT_MESSAGE_LENGTH`] bytes.
fn encode_short<'a, M: Message<'a>>(message: &M) -> [u8; SHORT_MESSAGE_LENGTH] {
    let mut bytes = [0; SHORT_MESSAGE_LENGTH];
    let _ = message.encode(&mut bytes);
    bytes
}

/// Encodes `message` into `buffer`, resized to fit (allocates only while connecting).
fn encode_into<'a, M: Message<'a>>(message: &M, buffer: &mut Vec<u8>) -> Result<(), ClusterError> {
    buffer.resize(message.encoded_length(), 0);
    message.encode(buffer).map(drop).map_err(ClusterError::Encode)
}

impl Drop for ClusterClient {
    /// Closes the session as [`close`](ClusterClient::close) does, ignoring errors: the client
    /// is dropped on its owning thread (it is not `Send`).
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterClient")
            .field("state", &self.state)
            .field("cluster_session_id", &self.cluster_session_id())
            .field("leader_member_id", &self.leader_member_id())
            .field("leadership_term_id", &self.leadership_term_id())
            .field("members", &self.members)
            .field("egress", &self.egress)
            .finish_non_exhaustive()
    }
}
