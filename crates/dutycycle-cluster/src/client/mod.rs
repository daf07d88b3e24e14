//! [`ClusterClient`]: an Aeron Cluster session driven by its owning agent's duty cycle.
//!
//! One struct, Java's `AeronCluster` with its `AsyncConnect`, its methods kept by concern:
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the client: its state, `connect`, `poll` (one step of whichever part is current), accessors, drop |
//! | `connect.rs` | the connect, step by step: publications, request, challenge, REDIRECT, OK |
//! | `session.rs` | the open session: egress to the listener, a new leader followed, a lost leader, deadlines |
//! | `offer.rs` | what goes to the cluster: messages, admin requests, keep-alives, the close request; release |
//! | `member.rs` | one member's ingress publication, added without blocking |
//! | `egress.rs` | the egress subscription, the leader's image, the polls of connect and session |
//! | `assembler.rs` | reassembly of fragmented egress messages, in reused buffers |

use std::fmt;
use std::time::{Duration, Instant};

use dutycycle_aeron::rusteron_client::Aeron;
use dutycycle_aeron::AeronClient;

use crate::codec::SESSION_HEADER_LENGTH;
use crate::config::Settings;
use crate::events;
use crate::{ClusterClientConfig, ClusterError, ClusterState, ConnectStep, EgressListener};
use egress::{Egress, Found, Response};
use member::Member;

mod assembler;
mod connect;
mod egress;
mod member;
mod offer;
mod session;

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
///   while no leader is connected fails with [`OfferError::NotConnected`](crate::OfferError::NotConnected); one that went out
///   just before the leader died may be lost, and so may answers the old leader never sent.
///   After [`EgressListener::on_new_leader`], resend what is unanswered, with sequence numbers
///   the service can deduplicate.
///
/// # Why it is neither `Send` nor `Sync`
///
/// An Aeron Cluster gateway died with SIGSEGV during a cluster failover because the main
/// thread's signal handler closed the `AeronCluster` client while the gateway thread was still
/// polling egress on it: the close freed the subscription and its image under the poll. Java
/// lets that program run, and so would Aeron's C client. This one holds rusteron's `Rc`
/// handles, so `signal_hook::low_level::register(SIGTERM, move || cluster.close())` and
/// `std::thread::spawn(move || cluster.close())` do not compile: "cannot be sent between
/// threads safely". The handler signals the agent's termination instead
/// ([`AgentTermination::from_signals`](dutycycle::AgentTermination::from_signals) installs
/// handlers that do nothing else), and the agent closes the client in `on_close`, after its
/// last poll, on the thread that polled it.
///
/// # Differences from Java's `AeronCluster`
///
/// - Java blocks while it adds the new leader's publication; this client adds it
///   asynchronously and polls the add each cycle (`AwaitingNewLeaderConnection`).
/// - After a NewLeaderEvent this client sends a keep-alive before any application message
///   (the schema's advice); offers fail with `NotConnected` until it went out.
/// - Keep-alives are sent by the client itself, every keep-alive interval without ingress.
/// - Java's timeouts close the client silently (`isClosed()` turns true); here each is a typed
///   [`ClusterError`] from the `poll` that closes the session, as are a CLOSED event and a
///   publication past its maximum position (both `PENDING_CLOSE` in Java, and here
///   [`ClusterState::PendingClose`] until that poll's end).
/// - After a REDIRECT only the named leader is tried (Java adds publications to every member
///   again, and the first to connect may be another follower).
/// - When the driver refuses to add the egress subscription, or the one ingress publication
///   of an IPC or multicast ingress, the connect ends with [`ClusterError::Add`]; Java tries
///   again when the driver reports the resource temporarily unavailable.
///   [`reconnect`](ClusterClient::reconnect) starts over. (A member whose publication the
///   driver refuses is skipped, as in Java, and named in the connect's timeout.)
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
/// It cannot leave its thread (the crate's `tests/ui` shows the same for a signal handler and a
/// spawned thread, with the compiler's messages):
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
    /// Why the session is [`ClusterState::PendingClose`]: what the poll that closes it reports.
    pending_close: Option<ClusterError>,
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
    /// No leader was connected (connecting, following a new leader, or the session pending
    /// close): nothing was sent, and the cluster closes the session when it times out.
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
            pending_close: None,
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

    /// Starts a connect: the egress subscription's add, the connect's deadline, and the new
    /// leader timeout of a session not yet open (the configured one, else the fallback).
    fn start(&mut self) -> Result<(), ClusterError> {
        self.new_leader_timeout =
            self.settings.new_leader_timeout.unwrap_or(ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT);
        self.egress.add(&self.aeron).map_err(|source| self.egress_add_error(source))?;
        self.now = Instant::now();
        self.deadline = deadline(self.now, self.settings.message_timeout);
        self.state = ClusterState::Connecting(ConnectStep::AddEgressSubscription);
        events::connecting(&self.settings.ingress_channel, self.members.len(), &self.settings.egress_channel);
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
    /// (any error of a connect, session closed by the cluster, no new leader in time) or goes
    /// on (a malformed egress message on the open session, say).
    pub fn poll<L: EgressListener + ?Sized>(&mut self, listener: &mut L) -> Result<usize, ClusterError> {
        let now = Instant::now();
        self.now = now;
        let result = match self.state {
            ClusterState::Closed => return Ok(0),
            ClusterState::Connecting(step) => self.poll_connect(step, now, listener),
            _ => self.poll_session(now, listener),
        };
        if let Err(error) = &result {
            if self.ends_session() {
                events::session_ended(error);
                let _ = self.release();
            }
        }
        result
    }

    /// Whether the error just met ends the session: any error while connecting (the connect
    /// cannot go on from a failed step), or the state already closed.
    fn ends_session(&self) -> bool {
        matches!(self.state, ClusterState::Connecting(_) | ClusterState::Closed)
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
    /// leader heartbeat timeout the cluster sent with OK (Java's rule; at most
    /// [`MAX_TIMEOUT`](ClusterClientConfig::MAX_TIMEOUT)), else 20 s (twice the cluster's
    /// default heartbeat timeout). Until a session opens it is the configured value, else 20 s:
    /// also after [`reconnect`](ClusterClient::reconnect), whose cluster may send another
    /// heartbeat timeout, or none.
    pub fn new_leader_timeout(&self) -> Duration {
        self.new_leader_timeout
    }

    fn is_open(&self) -> bool {
        !matches!(self.state, ClusterState::Connecting(_) | ClusterState::Closed)
    }
}

/// The instant `timeout` after `now`, without the panic of `Instant + Duration` on overflow:
/// a deadline past what an `Instant` holds is [`MAX_TIMEOUT`](ClusterClientConfig::MAX_TIMEOUT)
/// away (no validated setting is longer), or, should even that not fit, `now`.
fn deadline(now: Instant, timeout: Duration) -> Instant {
    now.checked_add(timeout).or_else(|| now.checked_add(ClusterClientConfig::MAX_TIMEOUT)).unwrap_or(now)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_past_what_an_instant_holds_does_not_panic() {
        let now = Instant::now();
        assert_eq!(deadline(now, Duration::MAX), now + ClusterClientConfig::MAX_TIMEOUT);
        assert_eq!(deadline(now, Duration::from_secs(5)), now + Duration::from_secs(5));
    }
}
