//! `--embedded`: the gateway against a simulated cluster in this process, no Java.
//!
//! - The **service** stands in for an Aeron Cluster. It reads requests on the ingress stream,
//!   orders each sequence number once (a request sent again gets its first log index again:
//!   a cluster's log makes it idempotent) and answers on the egress stream. Every
//!   `--failover-period` it "fails over": it closes its subscription and its exclusive
//!   publication, stays away for `--failover-downtime`, then adds them anew — so the gateway's
//!   egress image goes away and a new one, with a new session, comes.
//! - The **gateway** here keeps the same [`Ledger`] as the cluster gateway, over a publication
//!   and a subscription of its own: a new egress image is its "new leader", after which it
//!   sends everything in flight again.
//!
//! Each agent makes, uses and closes its own Aeron client, publications and subscriptions on
//! its own thread: the clients' conductors run inside the agents' duty cycles
//! (`--conductor invoker`, the default).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::AgentError;
use dutycycle_aeron::{
    AeronClient, ClientAgent, ExclusivePublicationSlot, PublicationSlot, SubscriptionSlot,
};

use crate::gateway::Shared;
use crate::ledger::{Ledger, Pacer};
use crate::options::{Embedded, Options};
use crate::stats::now_ns;
use crate::wire::{Answer, Order, Request};

/// Requests go from the gateway to the service on this stream.
const INGRESS_STREAM_ID: i32 = 1001;
/// Answers go from the service to the gateway on this stream.
const EGRESS_STREAM_ID: i32 = 1002;
/// Fragments read per poll.
const FRAGMENT_LIMIT: usize = 16;
/// How many recent sequence numbers the service remembers: far more than can be in flight.
const MEMORY: usize = 1 << 16;

/// Figures the service publishes (relaxed stores: monotonic counters, read for display).
#[derive(Debug, Default)]
pub struct ServiceFigures {
    pub ordered: AtomicU64,
    pub answers: AtomicU64,
    pub repeats: AtomicU64,
    pub failovers: AtomicU64,
}

impl ServiceFigures {
    /// The service's line, printed before the account.
    pub fn line(&self) -> String {
        let load = |a: &AtomicU64| a.load(Ordering::Acquire);
        format!(
            "service: ordered {} answers {} repeats {} failovers {}",
            load(&self.ordered),
            load(&self.answers),
            load(&self.repeats),
            load(&self.failovers)
        )
    }
}

/// The simulated cluster: orders requests, answers on egress, fails over on a schedule.
pub struct Service {
    ingress: SubscriptionSlot,
    egress: ExclusivePublicationSlot,
    state: ServiceState,
    failover_period: Option<Duration>,
    downtime: Duration,
    log: Log,
    /// Answers waiting for the egress publication to take them.
    outbox: VecDeque<[u8; Answer::ORDERED_LEN]>,
    figures: Arc<ServiceFigures>,
}

enum ServiceState {
    Up { since: Instant },
    Down { until: Instant },
}

/// The service's state that survives failover, as a cluster's does (it is rebuilt from the
/// log): the next log index and the log index of each recent sequence number.
struct Log {
    epoch: u64,
    next_index: u64,
    /// `(sequence + 1, index)` by `sequence % MEMORY`; `0` means empty.
    ordered: Box<[(u64, u64)]>,
}

impl Log {
    /// Where `request` is in the log: a new index, or the one it got before.
    fn order(&mut self, request: Request, figures: &ServiceFigures) -> Order {
        let slot = &mut self.ordered[(request.sequence % MEMORY as u64) as usize];
        let index = if slot.0 == request.sequence + 1 {
            figures.repeats.fetch_add(1, Ordering::Relaxed);
            slot.1
        } else {
            let index = self.next_index;
            self.next_index += 1;
            *slot = (request.sequence + 1, index);
            figures.ordered.store(self.next_index, Ordering::Relaxed);
            index
        };
        Order { index, epoch: self.epoch }
    }
}

impl Service {
    pub fn new(embedded: &Embedded, figures: Arc<ServiceFigures>) -> Service {
        Service {
            ingress: SubscriptionSlot::new(embedded.channel.clone(), INGRESS_STREAM_ID),
            egress: PublicationSlot::exclusive(embedded.channel.clone(), EGRESS_STREAM_ID),
            state: ServiceState::Up { since: Instant::now() },
            failover_period: embedded.failover_period,
            downtime: embedded.failover_downtime,
            log: Log { epoch: 1, next_index: 0, ordered: vec![(0, 0); MEMORY].into_boxed_slice() },
            outbox: VecDeque::new(),
            figures,
        }
    }

    /// Closes the publication and subscription, as a failing cluster leader would vanish.
    fn fail_over(&mut self) -> Result<(), AgentError> {
        self.ingress.close()?;
        self.egress.close()?;
        self.outbox.clear(); // unsent answers die with the leader; the gateway sends again
        self.state = ServiceState::Down { until: Instant::now() + self.downtime };
        let n = self.figures.failovers.fetch_add(1, Ordering::Relaxed) + 1;
        println!("service: failover {n}: publication and subscription closed, back in {:?}", self.downtime);
        Ok(())
    }

    /// Adds them anew: a new exclusive publication, so a new session and a new image.
    fn come_back(&mut self, client: &AeronClient) -> Result<(), AgentError> {
        self.log.epoch += 1;
        self.ingress.add(client)?;
        self.egress.add(client)?;
        self.state = ServiceState::Up { since: Instant::now() };
        println!(
            "service: failover {}: back as epoch {}",
            self.figures.failovers.load(Ordering::Relaxed),
            self.log.epoch
        );
        Ok(())
    }
}

impl ClientAgent for Service {
    fn role_name(&self) -> &str {
        "service"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.ingress.add(client)?;
        self.egress.add(client)?;
        self.state = ServiceState::Up { since: Instant::now() };
        Ok(())
    }

    fn do_work(&mut self, client: &mut AeronClient) -> Result<usize, AgentError> {
        let mut work = self.ingress.poll()? + self.egress.poll()?;
        while self.ingress.next_image_event().is_some() {
            work += 1; // the service does not care which gateways come and go
        }
        match self.state {
            ServiceState::Up { since } if self.failover_period.is_some_and(|p| since.elapsed() >= p) => {
                self.fail_over()?;
                return Ok(work + 1);
            }
            ServiceState::Down { until } if Instant::now() >= until => {
                self.come_back(client)?;
                work += 1;
            }
            ServiceState::Down { .. } => return Ok(work),
            ServiceState::Up { .. } => {}
        }

        let (log, outbox, figures) = (&mut self.log, &mut self.outbox, &*self.figures);
        work += self.ingress.poll_fn(
            |message, _header| {
                if let Ok(request) = Request::decode(message) {
                    outbox.push_back(Answer::encode_ordered(request, log.order(request, figures)));
                }
            },
            FRAGMENT_LIMIT,
        )?;
        while let Some(answer) = self.outbox.front() {
            match self.egress.offer(answer) {
                Ok(_) => {
                    self.outbox.pop_front();
                    self.figures.answers.fetch_add(1, Ordering::Relaxed);
                    work += 1;
                }
                Err(e) if e.is_retryable() => break,
                Err(e) => return Err(AgentError::msg(format!("egress offer failed: {e}"))),
            }
        }
        // A gateway that keeps sending while egress is not connected must not grow this.
        while self.outbox.len() > MEMORY {
            self.outbox.pop_front();
        }
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        // On the service's own thread, before its client closes.
        self.ingress.close()?;
        self.egress.close()?;
        Ok(())
    }
}

/// The gateway of `--embedded`: the cluster gateway's [`Ledger`] over a publication and a
/// subscription of its own.
pub struct EmbeddedGateway {
    ingress: PublicationSlot,
    egress: SubscriptionSlot,
    ledger: Ledger,
    pacer: Pacer,
    egress_joined: u64,
    egress_lost: u64,
    rtt_served: u64,
    shared: Shared,
    /// Set by the runner's drain: send no new requests, only finish what is in flight.
    draining: bool,
}

impl EmbeddedGateway {
    pub fn new(options: &Options, embedded: &Embedded, shared: Shared) -> EmbeddedGateway {
        EmbeddedGateway {
            ingress: PublicationSlot::new(embedded.channel.clone(), INGRESS_STREAM_ID),
            egress: SubscriptionSlot::new(embedded.channel.clone(), EGRESS_STREAM_ID),
            ledger: Ledger::new(options.window, options.retry_timeout),
            pacer: Pacer::new(options.rate, options.window, now_ns()),
            egress_joined: 0,
            egress_lost: 0,
            rtt_served: 0,
            shared,
            draining: false,
        }
    }

    fn publish(&self) {
        let figures = &*self.shared.figures;
        self.ledger.publish(figures);
        figures.egress_joined.store(self.egress_joined, Ordering::Relaxed);
        figures.egress_lost.store(self.egress_lost, Ordering::Relaxed);
        figures.new_leaders.store(self.egress_joined.saturating_sub(1), Ordering::Relaxed);
    }
}

impl ClientAgent for EmbeddedGateway {
    fn role_name(&self) -> &str {
        "gateway"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.ingress.add(client)?;
        self.egress.add(client)?;
        Ok(())
    }

    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let now = now_ns();
        let mut work = self.ingress.poll()? + self.egress.poll()?;
        while let Some(event) = self.egress.next_image_event() {
            work += 1;
            let session = event.info().session_id;
            if event.is_available() {
                self.egress_joined += 1;
                // A new service incarnation: whatever is in flight may have died with the old one.
                let again = self.ledger.resend_all();
                println!("gateway: egress image {session} available, sending {again} again");
            } else {
                self.egress_lost += 1;
                println!("gateway: egress image {session} unavailable (failover)");
            }
        }
        let ledger = &mut self.ledger;
        work += self.egress.poll_fn(
            |message, _header| match Answer::decode(message) {
                Ok(answer) => {
                    ledger.on_answer(answer, now_ns());
                }
                Err(_) => ledger.on_malformed(),
            },
            FRAGMENT_LIMIT,
        )?;
        let new = if self.draining { 0 } else { self.pacer.allowance(now) };
        let ingress = &mut self.ingress;
        let sent = self.ledger.send(now, new, |bytes| ingress.offer(bytes).is_ok());
        self.pacer.took(sent.new);
        work += sent.total();
        self.shared.rtt.serve(&mut self.rtt_served, &mut self.ledger.second, &self.ledger.run);
        if work > 0 || self.draining {
            self.publish();
        }
        Ok(work)
    }

    fn on_drain(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.draining = true;
        Ok(())
    }

    fn is_drained(&self) -> bool {
        self.ledger.in_flight() == 0
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        // On the gateway's own thread: egress is no longer polled, so closing is safe.
        self.publish();
        self.shared.rtt.finish(&self.ledger.run);
        self.ingress.close()?;
        self.egress.close()?;
        Ok(())
    }
}
