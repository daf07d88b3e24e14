//! The Rust client: a `ClusterAgent` (dutycycle's Aeron Cluster client with the benchmark's
//! logic) composed with a `MediaDriverAgent` on one `AgentRunner`, unpinned, idling with
//! `BackoffIdleStrategy::default()` (Aeron's defaults: 10 spins, 20 yields, parks 1 µs to 1 ms).
//!
//! Driver and client on one thread is what a tuned user does on a small machine: one thread
//! fewer competing with the cluster's JVMs for two vCPUs, and no hand-off between a driver
//! thread and a client thread (the driver's receiver writes the echo into the image, and the
//! same duty cycle's poll reads it). The logic does what `ClusterEchoPing.java` does, step for
//! step: one 32-byte message in flight, timed with `CLOCK_MONOTONIC` (Java's `System.nanoTime`)
//! from the first offer attempt to the echo's arrival in the listener; a resend when a new
//! leader comes or after a second without an answer.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentRunner, BackoffIdleStrategy, CompositeAgent};
use dutycycle_aeron::{ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::{NewLeaderEvent, SessionMessage};
use dutycycle_cluster::{
    ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, EgressListener,
};

use super::{Command, Event, Failure, Side, ANSWERS_BEFORE_LOADING, MESSAGE_LENGTH, STALL_RESEND};
use crate::clock::monotonic_ns;

/// What the client is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Idle,
    Round,
    Failover { deadline_ns: u64 },
}

/// The benchmark's logic on the cluster session (see the module docs).
struct Pinger {
    commands: Receiver<Command>,
    events: Sender<Event>,
    task: Task,
    ready_sent: bool,
    /// The sequence number of the message in flight, or of the last one answered.
    sequence: u64,
    in_flight: bool,
    /// Whether the message in flight still has to be offered (first time or resent).
    to_offer: bool,
    /// When the message in flight was first offered: its round trip starts there.
    sent_ns: u64,
    /// When it was last offered successfully.
    offered_ns: u64,
    answers: usize,
    warmup: usize,
    count: usize,
    rtts: Vec<u64>,
    new_leader_ns: Option<u64>,
    new_leader_id: i32,
    resent: u64,
    message: [u8; MESSAGE_LENGTH],
}

impl Pinger {
    fn new(commands: Receiver<Command>, events: Sender<Event>) -> Pinger {
        Pinger {
            commands,
            events,
            task: Task::Idle,
            ready_sent: false,
            sequence: 0,
            in_flight: false,
            to_offer: false,
            sent_ns: 0,
            offered_ns: 0,
            answers: 0,
            warmup: 0,
            count: 0,
            rtts: Vec::new(),
            new_leader_ns: None,
            new_leader_id: -1,
            resent: 0,
            message: [0; MESSAGE_LENGTH],
        }
    }

    fn report(&self, event: Event) {
        // The benchmark stopped listening only when it is closing this runner.
        let _ = self.events.send(event);
    }

    fn start(&mut self, command: Command) {
        self.answers = 0;
        match command {
            Command::Round { count, warmup } => {
                self.rtts = Vec::with_capacity(count);
                self.count = count;
                self.warmup = warmup;
                self.task = Task::Round;
            }
            Command::Failover { timeout } => {
                let timeout_ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
                self.task = Task::Failover { deadline_ns: monotonic_ns().saturating_add(timeout_ns) };
                self.new_leader_ns = None;
                self.resent = 0;
            }
            Command::Quit => {}
        }
    }
}

impl EgressListener for Pinger {
    fn on_message(&mut self, message: &SessionMessage<'_>) {
        let now = monotonic_ns();
        let sequence = message.payload.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
        if !self.in_flight || message.payload.len() != MESSAGE_LENGTH || sequence != Some(self.sequence) {
            return; // a duplicate of an answered message (after a resend), or not ours
        }
        self.in_flight = false;
        self.to_offer = false;
        self.answers += 1;
        match self.task {
            Task::Round => {
                if self.answers > self.warmup {
                    self.rtts.push(now - self.sent_ns);
                }
                if self.answers == self.warmup + self.count {
                    let rtts = std::mem::take(&mut self.rtts);
                    self.report(Event::Rtts(rtts));
                    self.task = Task::Idle;
                }
            }
            Task::Failover { .. } => {
                if self.answers == ANSWERS_BEFORE_LOADING {
                    self.report(Event::Loading);
                }
                if let Some(new_leader_ns) = self.new_leader_ns {
                    self.report(Event::Failover {
                        new_leader_ns,
                        first_answer_ns: now,
                        leader: self.new_leader_id,
                        resent: self.resent,
                    });
                    self.task = Task::Idle;
                }
            }
            Task::Idle => {}
        }
    }

    fn on_connected(&mut self, _session: i64, _term: i64, _leader: i32) {
        if !self.ready_sent {
            self.ready_sent = true;
            self.report(Event::Ready);
        }
    }

    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        if self.new_leader_ns.is_none() {
            self.new_leader_ns = Some(monotonic_ns());
        }
        self.new_leader_id = event.leader_member_id;
        if self.in_flight {
            self.to_offer = true;
            self.resent += 1;
        }
    }
}

impl ClusterClientAgent for Pinger {
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        let mut work = 0;
        if self.task == Task::Idle {
            match self.commands.try_recv() {
                Ok(Command::Quit) => {
                    // The close request goes out now, while the driver beside it still runs.
                    let outcome = cluster.close();
                    self.report(Event::Closed(format!("{outcome:?}")));
                    return Ok(1);
                }
                Ok(command) => {
                    self.start(command);
                    work += 1;
                }
                Err(TryRecvError::Empty) => return Ok(0),
                Err(TryRecvError::Disconnected) => return Err(AgentError::terminate()),
            }
        }
        let now = monotonic_ns();
        if !self.in_flight {
            self.sequence += 1;
            self.in_flight = true;
            self.to_offer = true;
            self.sent_ns = now;
        } else if !self.to_offer && now - self.offered_ns > STALL_RESEND.as_nanos() as u64 {
            self.to_offer = true;
            self.resent += 1;
        }
        if self.to_offer {
            self.message[..8].copy_from_slice(&self.sequence.to_le_bytes());
            self.message[8..16].copy_from_slice(&self.sent_ns.to_le_bytes());
            if cluster.offer(&self.message).is_ok() {
                self.to_offer = false;
                self.offered_ns = now;
                work += 1;
            }
        }
        if let Task::Failover { deadline_ns } = self.task {
            if now > deadline_ns {
                self.report(Event::FailoverTimeout);
                self.task = Task::Idle;
            }
        }
        Ok(work)
    }

    fn on_cluster_error(
        &mut self,
        error: dutycycle_cluster::ClusterError,
        cluster: &mut ClusterClient,
    ) -> Result<(), AgentError> {
        let closed = cluster.state().is_closed();
        self.report(Event::Failed(format!("Rust cluster client: {error} (state: {})", cluster.state())));
        if closed {
            return Err(AgentError::terminate());
        }
        Ok(())
    }

    fn role_name(&self) -> &str {
        "cluster-ping"
    }
}

/// The Rust client's runner and its channels.
pub(super) struct RustSide {
    runner: Option<AgentRunner>,
    commands: Sender<Command>,
    events: Receiver<Event>,
}

impl RustSide {
    /// Starts the runner (driver and client on one thread) and returns at once; the first
    /// event is [`Event::Ready`] once the session is open.
    pub(super) fn start(endpoints: &str) -> Result<RustSide, Failure> {
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let driver_config = MediaDriverConfig::new();
        let client = ClientConfig::new().dir(driver_config.aeron_dir()).client_name("dutycycle-bench");
        let cluster = ClusterClientConfig::new().ingress_endpoints(endpoints).client_name("dutycycle-bench");
        cluster.validate()?;
        let runner = AgentRunner::builder()
            .name("cluster-ping+driver")
            .idle_strategy(BackoffIdleStrategy::default())
            .start(move || {
                // The driver first, so that the client can connect; listed last, so it closes
                // last (after the session's close request and the client).
                let driver = MediaDriverAgent::launch(driver_config)?;
                let ping = ClusterAgent::connect(&client, &cluster, Pinger::new(command_rx, event_tx))?;
                let agents: Vec<Box<dyn Agent>> = vec![Box::new(ping), Box::new(driver)];
                Ok(CompositeAgent::new(agents))
            })?;
        Ok(RustSide { runner: Some(runner), commands, events })
    }
}

impl Side for RustSide {
    fn send(&mut self, command: Command) -> Result<(), Failure> {
        self.commands.send(command).map_err(|_| "the Rust client's agent has stopped".into())
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Event, Failure> {
        self.events
            .recv_timeout(timeout)
            .map_err(|e| format!("Rust client: no event within {timeout:?}: {e}").into())
    }

    fn close(&mut self) -> Result<(), Failure> {
        let Some(runner) = self.runner.take() else { return Ok(()) };
        let mut outcome = None;
        if runner.is_running() && self.send(Command::Quit).is_ok() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while outcome.is_none() {
                match self.next_event(deadline.saturating_duration_since(Instant::now())) {
                    Ok(Event::Closed(closed)) => outcome = Some(closed),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            // Let the driver's sender put the close request on the wire.
            std::thread::sleep(Duration::from_millis(50));
        }
        let report = runner.close()?;
        if !report.is_clean() {
            return Err(format!("Rust client runner: {report}").into());
        }
        match outcome.as_deref() {
            Some("Ok(Requested)") => Ok(()),
            other => Err(format!("Rust client: the session was not closed by request: {other:?}").into()),
        }
    }
}

impl Drop for RustSide {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
