//! The gateway agent on an Aeron Cluster session: requests at a rate on ingress, answers from
//! egress, following the cluster's leader across failovers, and a drain before it closes: the
//! runner's (`on_drain`, then duty cycles until `is_drained`), so that a stop lets every
//! request in flight be answered.
//!
//! It is [`ClusterClientAgent`] logic run by a [`ClusterAgent`](dutycycle_cluster::ClusterAgent),
//! which owns the Aeron client and the [`ClusterClient`] on the gateway's thread: every duty
//! cycle it runs the client's conductor, polls the session (the [`EgressListener`] callbacks
//! below run then), and calls [`do_work`](ClusterClientAgent::do_work) here, where the gateway
//! offers. Its [`on_close`](ClusterClientAgent::on_close) closes the session by request, on
//! the same thread.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dutycycle::AgentError;
use dutycycle_cluster::codec::{EventCode, NewLeaderEvent, SessionEvent, SessionMessage};
use dutycycle_cluster::{
    CloseOutcome, ClusterClient, ClusterClientAgent, ClusterError, ClusterState, ConnectStep, EgressListener,
};

use crate::ledger::{Ledger, Pacer};
use crate::options::Options;
use crate::stats::{now_ns, GatewayFigures, RttExchange, SessionClose, SessionState};
use crate::wire::Answer;

/// What main and the gateway share; `Clone + Send + Sync`.
#[derive(Clone, Default)]
pub struct Shared {
    /// The gateway's account and state, for main's statistics line and account.
    pub figures: Arc<GatewayFigures>,
    /// Round trips, on main's request.
    pub rtt: Arc<RttExchange>,
    /// Why the cluster session ended before main stopped the gateway.
    pub failure: Arc<Mutex<Option<ClusterError>>>,
}

/// The gateway logic: a [`Ledger`] of numbered requests, paced, over the cluster session.
pub struct Gateway {
    ledger: Ledger,
    pacer: Pacer,
    shared: Shared,
    rtt_served: u64,
    new_leaders: u64,
    started: Instant,
    /// Set by the runner's drain: send no new requests, only finish what is in flight.
    draining: bool,
    /// Whether the session, as last seen, can be left without a half-open session.
    settled: bool,
}

impl Gateway {
    /// A gateway with the rate, window and retry timeout of `options`, publishing to `shared`.
    pub fn new(options: &Options, shared: Shared) -> Gateway {
        Gateway {
            ledger: Ledger::new(options.window, options.retry_timeout),
            pacer: Pacer::new(options.rate, options.window, now_ns()),
            shared,
            rtt_served: 0,
            new_leaders: 0,
            started: Instant::now(),
            draining: false,
            settled: false,
        }
    }

    /// Publishes the account and the session for main.
    fn publish(&self, cluster: &ClusterClient) {
        let figures = &*self.shared.figures;
        self.ledger.publish(figures);
        figures.new_leaders.store(self.new_leaders, Ordering::Relaxed);
        figures.session.store(session_state(cluster.state()) as u8, Ordering::Relaxed);
        figures.leader.store(cluster.leader_member_id().map_or(-1, i64::from), Ordering::Relaxed);
    }
}

/// Whether the session can be left now without leaving the cluster a session that only its
/// timeout would end: open with a leader to send the close request to, over, or not yet
/// asked for (no connect request sent).
fn is_settled(state: ClusterState) -> bool {
    match state {
        ClusterState::Connected | ClusterState::PendingClose | ClusterState::Closed => true,
        ClusterState::Connecting(step) => matches!(
            step,
            ConnectStep::AddEgressSubscription
                | ConnectStep::AddIngressPublication
                | ConnectStep::AwaitIngressConnected
        ),
        ClusterState::AwaitingNewLeader | ClusterState::AwaitingNewLeaderConnection => false,
    }
}

fn session_state(state: ClusterState) -> SessionState {
    match state {
        ClusterState::Connecting(_) => SessionState::Connecting,
        ClusterState::Connected => SessionState::Connected,
        ClusterState::AwaitingNewLeader => SessionState::AwaitingNewLeader,
        ClusterState::AwaitingNewLeaderConnection => SessionState::ConnectingToNewLeader,
        ClusterState::PendingClose | ClusterState::Closed => SessionState::Closed,
    }
}

impl EgressListener for Gateway {
    fn on_message(&mut self, message: &SessionMessage<'_>) {
        match Answer::decode(message.payload) {
            Ok(answer) => {
                self.ledger.on_answer(answer, now_ns());
            }
            Err(_) => self.ledger.on_malformed(),
        }
    }

    fn on_connected(&mut self, cluster_session_id: i64, leadership_term_id: i64, leader_member_id: i32) {
        println!(
            "gateway: connected: session {cluster_session_id} leader {leader_member_id} term \
             {leadership_term_id} after {} ms",
            self.started.elapsed().as_millis()
        );
    }

    fn on_session_event(&mut self, event: &SessionEvent<'_>) {
        if event.code != EventCode::Ok {
            println!("gateway: session event {:?}: {}", event.code, event.detail);
        }
    }

    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        self.new_leaders += 1;
        // Whatever went to the old leader may be lost: send it all again, under the same
        // sequence numbers; answers that come twice are dropped.
        let again = self.ledger.resend_all();
        println!(
            "gateway: new leader {} in term {} after {} ms: sending the {again} requests in flight again",
            event.leader_member_id,
            event.leadership_term_id,
            self.started.elapsed().as_millis()
        );
    }
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        let now = now_ns();
        let mut work = 0;
        if cluster.state().is_connected() {
            let new = if self.draining { 0 } else { self.pacer.allowance(now) };
            let sent = self.ledger.send(now, new, |bytes| cluster.offer(bytes).is_ok());
            self.pacer.took(sent.new);
            work += sent.total();
        }
        self.shared.rtt.serve(&mut self.rtt_served, &mut self.ledger.second, &self.ledger.run);
        self.settled = is_settled(cluster.state());
        self.publish(cluster);
        Ok(work)
    }

    fn on_drain(&mut self, _cluster: &mut ClusterClient) -> Result<(), AgentError> {
        self.draining = true;
        Ok(())
    }

    fn is_drained(&self) -> bool {
        // Every request answered, and no session left half-open (a new leader still to be
        // found would leave the cluster a session only its timeout ends).
        self.ledger.in_flight() == 0 && self.settled
    }

    fn on_cluster_error(
        &mut self,
        error: ClusterError,
        cluster: &mut ClusterClient,
    ) -> Result<(), AgentError> {
        if !cluster.state().is_closed() {
            // The session goes on (a malformed egress message, say): the runner's error
            // handler prints and counts it.
            return Err(AgentError::new(error));
        }
        // The session is over (no cluster, no new leader in time, closed by the cluster):
        // the gateway ends itself, and main says why.
        self.settled = true;
        self.publish(cluster);
        if let Ok(mut failure) = self.shared.failure.lock() {
            *failure = Some(error);
        }
        Err(AgentError::terminate())
    }

    fn on_close(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        // On the gateway's own thread: egress is no longer polled, so closing is safe. The
        // ClusterAgent would close the session next; closing it here says how it went.
        let (session, leader) = (cluster.cluster_session_id(), cluster.leader_member_id());
        let outcome = cluster.close();
        self.publish(cluster);
        self.shared.rtt.finish(&self.ledger.run);
        let outcome = outcome.map_err(AgentError::new)?;
        let close = match outcome {
            CloseOutcome::Requested => SessionClose::Requested,
            CloseOutcome::NotConnected => SessionClose::NotConnected,
            CloseOutcome::Unsent => SessionClose::Unsent,
            CloseOutcome::AlreadyClosed => SessionClose::AlreadyClosed,
        };
        // Release: main reads it after joining this thread; the order only matters to a
        // reader that polls it earlier.
        self.shared.figures.session_close.store(close as u8, Ordering::Release);
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("?");
        match (outcome, session, leader) {
            (CloseOutcome::Requested, Some(session), Some(leader)) => println!(
                "gateway: session {session} closed by request on thread {thread}: SessionCloseRequest sent to \
                 leader {leader}"
            ),
            (outcome, session, _) => {
                println!("gateway: session {session:?} not closed by request on thread {thread}: {outcome:?}")
            }
        }
        Ok(())
    }

    fn role_name(&self) -> &str {
        "gateway"
    }
}
