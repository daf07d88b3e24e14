//! What main shows: a statistics line a second while the gateway runs, and the account at the
//! end. The agents publish their figures through atomics; main only reads them.

use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use dutycycle::{DutyCycleStats, StatsReader};
use hdrhistogram::Histogram;

/// Nanoseconds on a monotonic clock shared by every thread of the process.
pub fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The gateway's figures, stored by the gateway thread only (relaxed stores of monotonic
/// counters, and `in_flight` with Release: see [`Ledger::publish`](crate::ledger::Ledger::publish)).
#[derive(Debug, Default)]
pub struct GatewayFigures {
    pub sent: AtomicU64,
    pub answered: AtomicU64,
    pub in_flight: AtomicU64,
    pub duplicates: AtomicU64,
    pub inconsistent: AtomicU64,
    pub resent: AtomicU64,
    pub malformed: AtomicU64,
    /// Sequence numbers the application received twice (the audit): must stay 0.
    pub answered_twice: AtomicU64,
    /// Sequence numbers sent and never received (the audit).
    pub missing: AtomicU64,
    /// New leaders followed (with `--embedded`: new egress images after the first).
    pub new_leaders: AtomicU64,
    pub egress_lost: AtomicU64,
    pub egress_joined: AtomicU64,
    /// The cluster session's state, a [`SessionState`] as `u8`.
    pub session: AtomicU8,
    /// The leader's member id, or -1.
    pub leader: AtomicI64,
    /// What closing the session did, a [`SessionClose`] as `u8`.
    pub session_close: AtomicU8,
}

/// Where the gateway's cluster session is, for the statistics line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SessionState {
    /// No session (`--embedded`).
    None = 0,
    Connecting = 1,
    Connected = 2,
    AwaitingNewLeader = 3,
    ConnectingToNewLeader = 4,
    Closed = 5,
}

impl SessionState {
    const ALL: [SessionState; 6] = [
        SessionState::None,
        SessionState::Connecting,
        SessionState::Connected,
        SessionState::AwaitingNewLeader,
        SessionState::ConnectingToNewLeader,
        SessionState::Closed,
    ];

    fn load(cell: &AtomicU8) -> SessionState {
        SessionState::ALL
            .get(usize::from(cell.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or(SessionState::None)
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionState::None => "-",
            SessionState::Connecting => "connecting",
            SessionState::Connected => "connected",
            SessionState::AwaitingNewLeader => "awaiting-new-leader",
            SessionState::ConnectingToNewLeader => "connecting-to-new-leader",
            SessionState::Closed => "closed",
        })
    }
}

/// What closing the cluster session did, for the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SessionClose {
    /// Not closed (yet), or no session (`--embedded`).
    None = 0,
    /// A SessionCloseRequest went to the leader.
    Requested = 1,
    /// No leader connected: no request sent.
    NotConnected = 2,
    /// Ingress back pressured: no request sent.
    Unsent = 3,
    /// The session was over already.
    AlreadyClosed = 4,
}

impl SessionClose {
    fn load(cell: &AtomicU8) -> SessionClose {
        [
            SessionClose::None,
            SessionClose::Requested,
            SessionClose::NotConnected,
            SessionClose::Unsent,
            SessionClose::AlreadyClosed,
        ]
        .get(usize::from(cell.load(Ordering::Acquire)))
        .copied()
        .unwrap_or(SessionClose::None)
    }
}

impl fmt::Display for SessionClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionClose::None => "none",
            SessionClose::Requested => "requested",
            SessionClose::NotConnected => "not-connected",
            SessionClose::Unsent => "unsent",
            SessionClose::AlreadyClosed => "already-closed",
        })
    }
}

/// Round-trip figures of the last second (or of the whole run), in nanoseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rtt {
    pub count: u64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Rtt {
    pub fn of(histogram: &Histogram<u64>) -> Rtt {
        Rtt {
            count: histogram.len(),
            p50: histogram.value_at_quantile(0.5),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

impl fmt::Display for Rtt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return f.write_str("p50 - p99 - p99.9 - max -");
        }
        let d = Duration::from_nanos;
        write!(
            f,
            "p50 {:?} p99 {:?} p99.9 {:?} max {:?}",
            d(self.p50),
            d(self.p99),
            d(self.p999),
            d(self.max)
        )
    }
}

/// Round trips handed from the gateway to main: main asks for snapshot `n` by storing `n`;
/// the gateway, which owns the histograms, answers in its next duty cycle.
#[derive(Debug, Default)]
pub struct RttExchange {
    wanted: AtomicU64,
    /// The snapshot's number, the last second's round trips, the whole run's.
    snapshot: Mutex<(u64, Rtt, Rtt)>,
}

impl RttExchange {
    /// On the gateway thread, each duty cycle: one relaxed load, and when main asked for a new
    /// snapshot, the snapshot (the second's histogram then starts again).
    pub fn serve(&self, served: &mut u64, second: &mut Histogram<u64>, run: &Histogram<u64>) {
        let wanted = self.wanted.load(Ordering::Relaxed);
        if wanted != *served {
            *served = wanted;
            if let Ok(mut snapshot) = self.snapshot.lock() {
                *snapshot = (wanted, Rtt::of(second), Rtt::of(run));
            }
            second.reset();
        }
    }

    /// On the gateway thread, as it closes: the whole run's figures.
    pub fn finish(&self, run: &Histogram<u64>) {
        if let Ok(mut snapshot) = self.snapshot.lock() {
            snapshot.2 = Rtt::of(run);
        }
    }

    /// Asks for snapshot `n` and waits up to 20 ms for it (a parked gateway wakes within its
    /// longest park, 1 ms by default): the round trips since the last one.
    fn ask(&self, n: u64) -> Rtt {
        self.wanted.store(n, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_millis(20);
        loop {
            match self.snapshot.lock() {
                Ok(snapshot) if snapshot.0 == n => return snapshot.1,
                Ok(_) if Instant::now() < deadline => {}
                _ => return Rtt::default(),
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The whole run's figures, as last published.
    pub fn total(&self) -> Rtt {
        self.snapshot.lock().map(|s| s.2).unwrap_or_default()
    }
}

/// The statistics line, once a second.
pub struct StatsLine<'a> {
    figures: &'a GatewayFigures,
    rtt: &'a RttExchange,
    /// More figures for the line (the embedded service's failovers).
    extra: Box<dyn Fn() -> String + 'a>,
    readers: Vec<(&'static str, StatsReader)>,
    ticks: u64,
    last_answered: u64,
    /// When the last line was printed, since the gateway started.
    last_elapsed: Duration,
    last: Vec<DutyCycleStats>,
}

impl<'a> StatsLine<'a> {
    pub fn new(
        figures: &'a GatewayFigures,
        rtt: &'a RttExchange,
        extra: Box<dyn Fn() -> String + 'a>,
        readers: Vec<(&'static str, StatsReader)>,
    ) -> Self {
        let last = vec![DutyCycleStats::default(); readers.len()];
        StatsLine {
            figures,
            rtt,
            extra,
            readers,
            ticks: 0,
            last_answered: 0,
            last_elapsed: Duration::ZERO,
            last,
        }
    }

    /// Prints the line: requests answered in the last second and their round trips, what is
    /// in flight, the session, and each runner's duty cycles per second and idle share since
    /// the last line, and its longest cycle. `elapsed` is the time since the gateway started.
    pub fn print(&mut self, elapsed: Duration) {
        self.ticks += 1;
        let rtt = self.rtt.ask(self.ticks);
        let g = self.figures;
        let answered = g.answered.load(Ordering::Relaxed);
        let mut line = format!(
            "stats: {:>3}s {:>7} req/s rtt {rtt} in-flight {}",
            elapsed.as_secs(),
            answered - self.last_answered,
            g.in_flight.load(Ordering::Relaxed),
        );
        self.last_answered = answered;
        let session = SessionState::load(&g.session);
        if session != SessionState::None {
            let leader = g.leader.load(Ordering::Relaxed);
            line.push_str(&format!(" session {session}"));
            if leader >= 0 {
                line.push_str(&format!(" leader {leader}"));
            }
        }
        line.push_str(&format!(" new-leaders {}", g.new_leaders.load(Ordering::Relaxed)));
        line.push_str(&(self.extra)());
        let interval = elapsed.saturating_sub(self.last_elapsed);
        self.last_elapsed = elapsed;
        for ((name, reader), last) in self.readers.iter().zip(&mut self.last) {
            let now = reader.read();
            let delta = now.since(last);
            let cycles = delta.per_second(interval).map_or(0.0, |rates| rates.duty_cycles);
            let idle = delta.idle_fraction().map_or("-".to_owned(), |idle| format!("{:.0}%", idle * 100.0));
            let max = now.max_cycle.unwrap_or_default();
            line.push_str(&format!(" | {name} {cycles:.0} cycles/s {idle} idle max {max:?}"));
            *last = now;
        }
        println!("{line}");
    }
}

/// The account line, the last line the gateway prints: `account: sent N answered N
/// unanswered N new-leaders N resent N duplicates-dropped N ...`.
pub fn account(figures: &GatewayFigures, embedded: bool) -> String {
    let load = |a: &AtomicU64| a.load(Ordering::Acquire);
    let g = figures;
    let mut line = format!(
        "account: sent {} answered {} unanswered {} new-leaders {} resent {} duplicates-dropped {} \
         answered-twice {} missing {} malformed {}",
        load(&g.sent),
        load(&g.answered),
        load(&g.in_flight),
        load(&g.new_leaders),
        load(&g.resent),
        load(&g.duplicates),
        load(&g.answered_twice),
        load(&g.missing),
        load(&g.malformed),
    );
    if embedded {
        line.push_str(&format!(
            " inconsistent {} egress-lost {} egress-joined {}",
            load(&g.inconsistent),
            load(&g.egress_lost),
            load(&g.egress_joined)
        ));
    } else {
        line.push_str(&format!(" session-close {}", SessionClose::load(&g.session_close)));
    }
    line
}
