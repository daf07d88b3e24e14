//! Connects to an Aeron Cluster whose service echoes (aeron-all's `EchoServiceNode`), sends
//! numbered messages, waits for every echo, closes the session and prints an account.
//!
//! ```text
//! cargo run -p dutycycle-cluster --example echo_client -- \
//!     --endpoints 0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202 --count 100 [--interval-ms 20]
//! ```
//!
//! An embedded media driver runs as an agent of its own; the gateway is a `ClusterAgent` on
//! another runner. Everything is made and closed on the agents' threads.
//!
//! Ingress is at most once across a failover, so the gateway resends what is unanswered when
//! a new leader comes (and when answers stall for a second), and drops the duplicate echoes
//! by sequence number: every number is accepted exactly once, in order.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{AgentError, AgentRunner, AgentTermination};
use dutycycle_aeron::{ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::{NewLeaderEvent, SessionMessage};
use dutycycle_cluster::{
    ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, ClusterError, EgressListener,
};

/// What the gateway did, readable from main.
#[derive(Debug, Default)]
struct Account {
    sent: AtomicU64,
    echoed: AtomicU64,
    duplicates: AtomicU64,
    gaps: AtomicU64,
    resent: AtomicU64,
    new_leaders: AtomicU64,
    connected_us: AtomicU64,
}

/// Sends `count` numbered messages, a window of 16 at a time (one per `interval` at most),
/// accepts each echo once, in order, and resends what is unanswered after a failover.
struct Gateway {
    count: u64,
    interval: Duration,
    /// The next number to send.
    next: u64,
    /// The highest number sent so far, plus one.
    sent: u64,
    /// The next number expected back: all below it were answered.
    echoed: u64,
    last_send: Instant,
    last_progress: Instant,
    started: Instant,
    account: Arc<Account>,
}

impl Gateway {
    /// Sends everything unanswered again.
    fn resend(&mut self) {
        self.account.resent.fetch_add(self.sent - self.echoed, Ordering::Relaxed);
        self.next = self.echoed;
        self.last_progress = Instant::now();
    }
}

impl EgressListener for Gateway {
    fn on_message(&mut self, echo: &SessionMessage<'_>) {
        let number = echo.payload.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
        match number {
            Some(n) if n == self.echoed => {
                self.echoed += 1;
                self.last_progress = Instant::now();
                self.account.echoed.store(self.echoed, Ordering::Release);
            }
            Some(n) if n < self.echoed => {
                self.account.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                // A later number while an earlier one is missing: it was lost; the resend
                // brings both again.
                self.account.gaps.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn on_connected(&mut self, session: i64, term: i64, leader: i32) {
        let us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.account.connected_us.store(us, Ordering::Release);
        println!("connected: session {session} term {term} leader {leader} after {us} µs");
    }

    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        println!(
            "new leader: {} in term {} after {} ms, {} unanswered",
            event.leader_member_id,
            event.leadership_term_id,
            self.started.elapsed().as_millis(),
            self.sent - self.echoed
        );
        self.account.new_leaders.fetch_add(1, Ordering::Relaxed);
        self.resend();
    }
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        if self.echoed == self.count {
            return Err(AgentError::terminate());
        }
        if self.sent > self.echoed && self.last_progress.elapsed() > Duration::from_secs(1) {
            self.resend();
        }
        let mut work = 0;
        while self.next < self.count
            && self.next < self.echoed + 16
            && self.last_send.elapsed() >= self.interval
        {
            let payload = [self.next.to_le_bytes(), [0xab; 8]].concat();
            if cluster.offer(&payload).is_err() {
                break;
            }
            self.next += 1;
            self.sent = self.sent.max(self.next);
            self.last_send = Instant::now();
            work += 1;
        }
        self.account.sent.store(self.sent, Ordering::Release);
        Ok(work)
    }

    fn on_cluster_error(
        &mut self,
        error: ClusterError,
        cluster: &mut ClusterClient,
    ) -> Result<(), AgentError> {
        eprintln!("cluster: {error} (state: {})", cluster.state());
        if cluster.state().is_closed() {
            return Err(AgentError::terminate());
        }
        Ok(())
    }

    fn on_close(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        println!(
            "closing on thread {:?}: session {:?}, state {}",
            std::thread::current().name(),
            cluster.cluster_session_id(),
            cluster.state()
        );
        Ok(())
    }

    fn role_name(&self) -> &str {
        "gateway"
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  because: {cause}");
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let mut endpoints = "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202".to_owned();
    let mut count = 100u64;
    let mut interval = Duration::ZERO;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoints" => endpoints = args.next().ok_or("--endpoints needs a value")?,
            "--count" => count = args.next().ok_or("--count needs a value")?.parse()?,
            "--interval-ms" => {
                interval = Duration::from_millis(args.next().ok_or("--interval-ms needs a value")?.parse()?)
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let cluster = ClusterClientConfig::new().ingress_endpoints(endpoints).client_name("echo-client");
    cluster.validate()?;

    let driver_config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver_latch = AgentTermination::new();
    let driver = AgentRunner::builder()
        .name("driver")
        .termination(driver_latch.clone())
        .start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;

    let account = Arc::new(Account::default());
    let gateway_account = Arc::clone(&account);
    let started = Instant::now();
    let gateway = AgentRunner::builder().name("gateway").start(move || {
        let now = Instant::now();
        let logic = Gateway {
            count,
            interval,
            next: 0,
            sent: 0,
            echoed: 0,
            last_send: now,
            last_progress: now,
            started: now,
            account: gateway_account,
        };
        Ok(ClusterAgent::connect(&client, &cluster, logic)?)
    })?;
    while gateway.is_running() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let report = gateway.close()?;
    driver_latch.signal();
    let driver_report = driver.join()?;
    let (sent, echoed) = (account.sent.load(Ordering::Acquire), account.echoed.load(Ordering::Acquire));
    let load = |counter: &AtomicU64| counter.load(Ordering::Acquire);
    println!(
        "account: sent {sent} answered {echoed} unanswered {} new-leaders {} resent {} duplicates-dropped {} \
         gaps {} connected-after {} µs total {} ms",
        sent - echoed,
        load(&account.new_leaders),
        load(&account.resent),
        load(&account.duplicates),
        load(&account.gaps),
        load(&account.connected_us),
        elapsed.as_millis()
    );
    println!("gateway: {report}");
    println!("driver: {driver_report}");
    Ok(echoed == count && sent == count && report.is_clean() && driver_report.is_clean())
}
