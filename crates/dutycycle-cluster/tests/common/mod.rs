//! A scripted stand-in for an Aeron Cluster, in Rust, over a real embedded media driver: it
//! speaks the client protocol with the crate's codecs on real UDP (or IPC) publications and
//! subscriptions, so the client's whole path runs (asynchronous adds, port resolution, images
//! coming and going, fragments), with failures a real cluster gives only by chance.
//!
//! Everything runs on the test's thread, one turn at a time: the driver, this cluster, the
//! client's Aeron conductor and the cluster client.
#![allow(dead_code)] // each test binary uses its own part of this

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dutycycle::Agent;
use dutycycle_aeron::rusteron_client::{AeronFragmentClosureAssembler, AeronHeader};
use dutycycle_aeron::{
    AeronClient, Channel, ClientConfig, ExclusivePublicationSlot, MediaDriverAgent, MediaDriverConfig,
    PublicationSlot, SubscriptionSlot,
};
use dutycycle_cluster::codec::*;
use dutycycle_cluster::{ClusterClient, ClusterClientConfig, ClusterError, EgressListener};

/// Tests that run media drivers take this lock: on 2 vCPUs, overlapping drivers only make each
/// test slower and its timing less telling.
pub use dutycycle_test_support::thread::exclusive_cpu as serial;

/// What the fake cluster received, by member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Connect {
        member: i32,
        correlation_id: i64,
        response_channel: String,
        credentials: Vec<u8>,
        client_info: String,
    },
    ChallengeResponse {
        member: i32,
        session: i64,
        credentials: Vec<u8>,
    },
    KeepAlive {
        member: i32,
        term: i64,
        session: i64,
    },
    Close {
        member: i32,
        term: i64,
        session: i64,
    },
    Message {
        member: i32,
        term: i64,
        session: i64,
        payload: Vec<u8>,
    },
}

impl Seen {
    pub fn member(&self) -> i32 {
        match self {
            Seen::Connect { member, .. }
            | Seen::ChallengeResponse { member, .. }
            | Seen::KeepAlive { member, .. }
            | Seen::Close { member, .. }
            | Seen::Message { member, .. } => *member,
        }
    }
}

/// How the fake cluster behaves.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Send a Challenge with these bytes before OK, and accept only `credentials`.
    pub challenge: Option<Vec<u8>>,
    pub credentials: Vec<u8>,
    /// Answer connects with ERROR and this detail.
    pub reject: Option<String>,
    /// Answer nothing at all.
    pub silent: bool,
    /// The leader heartbeat timeout sent with OK.
    pub heartbeat_ns: Option<i64>,
}

struct Member {
    id: i32,
    ingress: SubscriptionSlot,
    assembler: AeronFragmentClosureAssembler,
    endpoint: String,
}

/// An egress publication to one client's response channel, with what waits to be sent on it.
struct Responder {
    session: Option<i64>,
    channel: Channel,
    publication: ExclusivePublicationSlot,
    outbox: VecDeque<Vec<u8>>,
    close_when_sent: bool,
}

impl Responder {
    fn new(client: &AeronClient, session: Option<i64>, channel: &str) -> Responder {
        let channel: Channel = channel.parse().expect("response channel");
        let mut publication = PublicationSlot::exclusive(channel.clone(), 102);
        publication.add(client).expect("egress publication");
        Responder { session, channel, publication, outbox: VecDeque::new(), close_when_sent: false }
    }
}

pub struct FakeCluster {
    client: AeronClient,
    members: Vec<Member>,
    pub leader: i32,
    pub term: i64,
    pub script: Script,
    pub seen: Vec<Seen>,
    responders: Vec<Responder>,
    next_session: i64,
    ingress_channel: String,
    ready: bool,
}

fn encode<'a, M: Message<'a>>(message: &M) -> Vec<u8> {
    let mut bytes = vec![0; message.encoded_length()];
    message.encode(&mut bytes).expect("encodes");
    bytes
}

fn collect(inbox: &mut Vec<Vec<u8>>, message: &[u8], _header: AeronHeader) {
    inbox.push(message.to_vec());
}

impl FakeCluster {
    /// `members` members on UDP loopback ports the system picks, member 0 the leader.
    pub fn udp(client: AeronClient, members: i32) -> FakeCluster {
        let channels = (0..members).map(|_| "aeron:udp?endpoint=127.0.0.1:0".to_owned()).collect();
        FakeCluster::new(client, channels)
    }

    /// One member reading ingress on IPC.
    pub fn ipc(client: AeronClient) -> FakeCluster {
        FakeCluster::new(client, vec!["aeron:ipc".to_owned()])
    }

    fn new(client: AeronClient, channels: Vec<String>) -> FakeCluster {
        let members = channels
            .iter()
            .enumerate()
            .map(|(id, channel)| {
                let mut ingress = SubscriptionSlot::new(channel.parse().expect("channel"), 101);
                ingress.add(&client).expect("ingress subscription");
                Member {
                    id: i32::try_from(id).expect("member id"),
                    ingress,
                    assembler: AeronFragmentClosureAssembler::new().expect("assembler"),
                    endpoint: String::new(),
                }
            })
            .collect();
        FakeCluster {
            client,
            members,
            leader: 0,
            term: 1,
            script: Script::default(),
            seen: Vec::new(),
            responders: Vec::new(),
            next_session: 100,
            ingress_channel: channels[0].clone(),
            ready: false,
        }
    }

    /// Whether every member's ingress subscription is ready and its port known.
    fn ready(&mut self) -> bool {
        if self.ready {
            return true;
        }
        for member in &mut self.members {
            member.ingress.poll().expect("ingress subscription");
            let Some(subscription) = member.ingress.get() else { return false };
            if self.ingress_channel == "aeron:ipc" {
                continue;
            }
            let mut resolved = String::with_capacity(256);
            match subscription.try_resolve_channel_endpoint_port_into(&mut resolved) {
                Ok(n) if n > 0 && !resolved.is_empty() => {
                    let endpoint =
                        resolved.split("endpoint=").nth(1).expect("endpoint").split('|').next().unwrap();
                    member.endpoint = endpoint.to_owned();
                }
                _ => return false,
            }
        }
        self.ready = true;
        true
    }

    /// `0=127.0.0.1:p0,1=...`: what the members' ingress listens on.
    pub fn endpoints(&self) -> String {
        self.members.iter().map(|m| format!("{}={}", m.id, m.endpoint)).collect::<Vec<_>>().join(",")
    }

    /// The endpoint of one member.
    pub fn endpoint(&self, member: i32) -> String {
        format!("{member}={}", self.members[member as usize].endpoint)
    }

    /// Elects `leader` in a new term: each open session's egress is replaced by a new
    /// publication (a new image for the client) that carries a NewLeaderEvent.
    pub fn elect(&mut self, leader: i32) {
        let endpoints = self.endpoints();
        self.elect_announcing(leader, &endpoints);
    }

    /// Elects `leader`, announcing `endpoints` as the members' ingress.
    pub fn elect_announcing(&mut self, leader: i32, endpoints: &str) {
        self.term += 1;
        self.leader = leader;
        let sessions: Vec<(i64, String)> =
            self.responders.iter().filter_map(|r| r.session.map(|s| (s, r.channel.to_string()))).collect();
        self.drop_egress();
        for (session, channel) in sessions {
            let mut responder = Responder::new(&self.client, Some(session), &channel);
            responder.outbox.push_back(encode(&NewLeaderEvent {
                leadership_term_id: self.term,
                cluster_session_id: session,
                leader_member_id: leader,
                ingress_endpoints: endpoints,
            }));
            self.responders.push(responder);
        }
    }

    /// Closes every egress publication: the leader is gone and no other comes.
    pub fn drop_egress(&mut self) {
        for mut responder in self.responders.drain(..) {
            responder.publication.close().expect("close egress");
        }
    }

    /// Sends `message` to `session` on its egress.
    pub fn send(&mut self, session: i64, message: Vec<u8>) {
        let responder = self.responders.iter_mut().find(|r| r.session == Some(session)).expect("session");
        responder.outbox.push_back(message);
    }

    /// Sends a session event CLOSED to `session`.
    pub fn close_session(&mut self, session: i64, detail: &str) {
        let event = encode(&SessionEvent {
            cluster_session_id: session,
            leadership_term_id: self.term,
            leader_member_id: self.leader,
            code: EventCode::Closed,
            detail,
            ..Default::default()
        });
        self.send(session, event);
    }

    /// One turn: read each member's ingress and answer, send what waits.
    pub fn do_work(&mut self) -> usize {
        let _ = self.ready();
        let mut work = 0;
        let mut inbox: Vec<Vec<u8>> = Vec::new();
        for index in 0..self.members.len() {
            let member = &mut self.members[index];
            let Some(subscription) = member.ingress.get() else { continue };
            member.assembler.poll(subscription, &mut inbox, collect, 10).expect("poll ingress");
            let id = member.id;
            for message in inbox.drain(..) {
                work += 1;
                self.on_ingress(id, &message);
            }
        }
        for responder in &mut self.responders {
            responder.publication.poll().expect("egress add");
            while let Some(message) = responder.outbox.front() {
                if responder.publication.offer(message).is_err() {
                    break;
                }
                responder.outbox.pop_front();
                work += 1;
            }
        }
        let (done, open): (Vec<_>, Vec<_>) =
            self.responders.drain(..).partition(|r| r.close_when_sent && r.outbox.is_empty());
        self.responders = open;
        for mut responder in done {
            responder.publication.close().expect("close");
        }
        work
    }

    fn on_ingress(&mut self, member: i32, bytes: &[u8]) {
        match IngressMessage::decode(bytes).expect("the client sends what decodes") {
            IngressMessage::SessionConnectRequest(request) => {
                self.seen.push(Seen::Connect {
                    member,
                    correlation_id: request.correlation_id,
                    response_channel: request.response_channel.to_owned(),
                    credentials: request.encoded_credentials.to_vec(),
                    client_info: request.client_info.to_owned(),
                });
                self.on_connect(member, &request);
            }
            IngressMessage::ChallengeResponse(response) => {
                self.seen.push(Seen::ChallengeResponse {
                    member,
                    session: response.cluster_session_id,
                    credentials: response.encoded_credentials.to_vec(),
                });
                let accepted = response.encoded_credentials == self.script.credentials.as_slice();
                let code = if accepted { EventCode::Ok } else { EventCode::AuthenticationRejected };
                self.answer(response.cluster_session_id, response.correlation_id, code, "");
            }
            IngressMessage::SessionKeepAlive(k) => self.seen.push(Seen::KeepAlive {
                member,
                term: k.leadership_term_id,
                session: k.cluster_session_id,
            }),
            IngressMessage::SessionCloseRequest(c) => self.seen.push(Seen::Close {
                member,
                term: c.leadership_term_id,
                session: c.cluster_session_id,
            }),
            IngressMessage::SessionMessage(m) => {
                self.seen.push(Seen::Message {
                    member,
                    term: m.leadership_term_id,
                    session: m.cluster_session_id,
                    payload: m.payload.to_vec(),
                });
                // The echo service; a message of another term, or to a follower, is dropped.
                if member == self.leader && m.leadership_term_id == self.term {
                    let echo = encode(&SessionMessage { timestamp: 7, ..m });
                    self.send(m.cluster_session_id, echo);
                }
            }
            other => panic!("unexpected ingress {other:?}"),
        }
    }

    fn on_connect(&mut self, member: i32, request: &SessionConnectRequest<'_>) {
        if self.script.silent {
            return;
        }
        if member != self.leader {
            let mut responder = Responder::new(&self.client, None, request.response_channel);
            responder.outbox.push_back(encode(&SessionEvent {
                cluster_session_id: -1,
                correlation_id: request.correlation_id,
                leadership_term_id: self.term,
                leader_member_id: self.leader,
                code: EventCode::Redirect,
                version: PROTOCOL_SEMANTIC_VERSION,
                leader_heartbeat_timeout_ns: None,
                detail: &self.endpoints(),
            }));
            responder.close_when_sent = true;
            self.responders.push(responder);
            return;
        }
        let session = self.next_session;
        self.next_session += 1;
        self.responders.push(Responder::new(&self.client, Some(session), request.response_channel));
        if let Some(detail) = self.script.reject.clone() {
            self.answer(session, request.correlation_id, EventCode::Error, &detail);
        } else if let Some(challenge) = self.script.challenge.clone() {
            let challenge = encode(&Challenge {
                correlation_id: request.correlation_id,
                cluster_session_id: session,
                encoded_challenge: &challenge,
            });
            self.send(session, challenge);
        } else {
            self.answer(session, request.correlation_id, EventCode::Ok, "");
        }
    }

    fn answer(&mut self, session: i64, correlation_id: i64, code: EventCode, detail: &str) {
        let event = encode(&SessionEvent {
            cluster_session_id: session,
            correlation_id,
            leadership_term_id: self.term,
            leader_member_id: self.leader,
            code,
            version: PROTOCOL_SEMANTIC_VERSION,
            leader_heartbeat_timeout_ns: self.script.heartbeat_ns,
            detail,
        });
        self.send(session, event);
        if code != EventCode::Ok {
            let responder = self.responders.iter_mut().find(|r| r.session == Some(session)).expect("session");
            responder.close_when_sent = true;
        }
    }

    pub fn close(mut self) {
        self.drop_egress();
        for member in &mut self.members {
            member.ingress.close().expect("close ingress");
        }
        self.client.close().expect("close fake cluster client");
    }
}

/// What the client's listener heard.
#[derive(Debug, Default)]
pub struct Heard {
    pub messages: Vec<SessionMessageOwned>,
    pub connected: Vec<(i64, i64, i32)>,
    pub events: Vec<(EventCode, String)>,
    pub new_leaders: Vec<(i64, i32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMessageOwned {
    pub term: i64,
    pub session: i64,
    pub timestamp: i64,
    pub payload: Vec<u8>,
}

impl EgressListener for Heard {
    fn on_message(&mut self, m: &SessionMessage<'_>) {
        self.messages.push(SessionMessageOwned {
            term: m.leadership_term_id,
            session: m.cluster_session_id,
            timestamp: m.timestamp,
            payload: m.payload.to_vec(),
        });
    }

    fn on_connected(&mut self, session: i64, term: i64, leader: i32) {
        self.connected.push((session, term, leader));
    }

    fn on_session_event(&mut self, event: &SessionEvent<'_>) {
        self.events.push((event.code, event.detail.to_owned()));
    }

    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        self.new_leaders.push((event.leadership_term_id, event.leader_member_id));
    }
}

/// A driver, a fake cluster and a cluster client, turned one after the other on this thread.
pub struct World {
    pub driver: MediaDriverAgent,
    pub fake: FakeCluster,
    pub aeron: AeronClient,
    pub cluster: Option<ClusterClient>,
    pub heard: Heard,
    pub errors: Vec<ClusterError>,
}

impl World {
    /// A driver and a fake cluster of `members` UDP members whose ingress is listening.
    pub fn udp(members: i32) -> World {
        World::with(|client| FakeCluster::udp(client, members))
    }

    /// A driver and a one-member fake cluster on IPC.
    pub fn ipc() -> World {
        World::with(FakeCluster::ipc)
    }

    fn with(fake: impl FnOnce(AeronClient) -> FakeCluster) -> World {
        let mut driver = MediaDriverAgent::launch(MediaDriverConfig::new()).expect("driver");
        let config = ClientConfig::new().dir(driver.dir());
        let fake_client = AeronClient::connect(&config).expect("fake cluster's client");
        let aeron = AeronClient::connect(&config).expect("client");
        let mut fake = fake(fake_client);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !fake.ready() {
            driver.do_work().expect("driver");
            fake.client.do_work().expect("fake cluster's client");
            assert!(Instant::now() < deadline, "the fake cluster's ingress did not come up");
        }
        World { driver, fake, aeron, cluster: None, heard: Heard::default(), errors: Vec::new() }
    }

    /// Starts connecting with `config`.
    pub fn connect(&mut self, config: &ClusterClientConfig) {
        self.cluster = Some(ClusterClient::connect(&self.aeron, config).expect("connect starts"));
    }

    pub fn cluster(&mut self) -> &mut ClusterClient {
        self.cluster.as_mut().expect("connected")
    }

    /// One turn of everything but the cluster client: the driver, the fake cluster, the
    /// client's conductor.
    pub fn turn_others(&mut self) -> usize {
        let mut work = self.driver.do_work().expect("driver");
        work += self.fake.client.do_work().expect("fake cluster's client");
        work += self.fake.do_work();
        work + self.aeron.do_work().expect("client")
    }

    /// One turn of everything; errors of the cluster client are kept in `errors`.
    pub fn turn(&mut self) -> usize {
        let mut work = self.turn_others();
        if let Some(cluster) = self.cluster.as_mut() {
            match cluster.poll(&mut self.heard) {
                Ok(n) => work += n,
                Err(error) => self.errors.push(error),
            }
        }
        if work == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
        work
    }

    /// Turns until `done` holds; panics with `what` after `timeout`.
    pub fn run_until(&mut self, what: &str, timeout: Duration, mut done: impl FnMut(&mut World) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; errors {:?}", self.errors);
            self.turn();
        }
    }

    /// Turns for `duration`.
    pub fn run_for(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            self.turn();
        }
    }

    /// Closes the client (if any), then everything else; the driver's directory is removed.
    pub fn close(mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.close().expect("close cluster client");
        }
        self.aeron.close().expect("close client");
        self.fake.close();
        self.driver.on_close().expect("close driver");
    }
}

/// What a [`FakeAgent`] shows the test thread.
#[derive(Debug, Default)]
pub struct Shared {
    /// The members' endpoints, once their ingress listens.
    pub endpoints: Mutex<Option<String>>,
    /// What the fake cluster received.
    pub seen: Mutex<Vec<Seen>>,
}

/// A fake cluster as an agent of its own, for tests that run the client on a runner.
pub struct FakeAgent {
    fake: Option<FakeCluster>,
    shared: std::sync::Arc<Shared>,
}

impl FakeAgent {
    /// A one-member UDP fake cluster with its own client to the driver in `config`.
    pub fn new(config: &ClientConfig, shared: std::sync::Arc<Shared>) -> FakeAgent {
        let client = AeronClient::connect(config).expect("fake cluster's client");
        FakeAgent { fake: Some(FakeCluster::udp(client, 1)), shared }
    }
}

impl Agent for FakeAgent {
    fn do_work(&mut self) -> Result<usize, dutycycle::AgentError> {
        let Some(fake) = self.fake.as_mut() else { return Ok(0) };
        let mut work = fake.client.do_work()?;
        work += fake.do_work();
        if fake.ready() {
            self.shared.endpoints.lock().unwrap().get_or_insert_with(|| fake.endpoints());
        }
        let mut seen = self.shared.seen.lock().unwrap();
        let new = fake.seen.len() - seen.len();
        if new > 0 {
            seen.extend_from_slice(&fake.seen[fake.seen.len() - new..]);
        }
        Ok(work)
    }

    fn on_close(&mut self) -> Result<(), dutycycle::AgentError> {
        if let Some(fake) = self.fake.take() {
            fake.close();
        }
        Ok(())
    }
}
