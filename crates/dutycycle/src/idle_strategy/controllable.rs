use std::fmt;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::{park_timeout, IdleStrategy};
use crate::primitive::sync::{Arc, AtomicU64, Ordering};

/// What a [`ControllableIdleStrategy`] does on a call with no work, chosen at run time through
/// an [`IdleControl`].
///
/// The discriminants are Agrona's status values (`ControllableIdleStrategy.NOOP` = 1,
/// `BUSY_SPIN` = 2, `YIELD` = 3, `PARK` = 4), which is what the control stores. A status of
/// 0 (Agrona's `NOT_CONTROLLED`) or any other value means [`Park`](IdleMode::Park).
///
/// # Examples
///
/// ```
/// use dutycycle::IdleMode;
///
/// assert_eq!(IdleMode::from_status(2), IdleMode::BusySpin);
/// assert_eq!(IdleMode::BusySpin.as_status(), 2);
/// assert_eq!(IdleMode::from_status(0), IdleMode::Park);
/// assert_eq!(IdleMode::from_status(-7), IdleMode::Park);
/// assert_eq!(IdleMode::Yield.to_string(), "yield");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IdleMode {
    /// Do nothing and poll again at once (status 1, like [`NoOpIdleStrategy`](crate::NoOpIdleStrategy)).
    NoOp = 1,
    /// One CPU pause hint (status 2, like [`BusySpinIdleStrategy`](crate::BusySpinIdleStrategy)).
    BusySpin = 2,
    /// Yield the CPU (status 3, like [`YieldingIdleStrategy`](crate::YieldingIdleStrategy)).
    Yield = 3,
    /// Park for [`ControllableIdleStrategy::PARK_PERIOD`] (status 4, and the meaning of every
    /// status that is not 1, 2 or 3). The default.
    #[default]
    Park = 4,
}

impl IdleMode {
    /// The mode an Agrona status value selects: 1 no-op, 2 busy-spin, 3 yield, anything else
    /// (0 = not controlled, 4, negative or unknown values) park. Total: never fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleMode;
    /// assert_eq!(IdleMode::from_status(1), IdleMode::NoOp);
    /// assert_eq!(IdleMode::from_status(3), IdleMode::Yield);
    /// assert_eq!(IdleMode::from_status(42), IdleMode::Park);
    /// ```
    #[inline]
    pub const fn from_status(status: i64) -> IdleMode {
        match status {
            ControllableIdleStrategy::NOOP => IdleMode::NoOp,
            ControllableIdleStrategy::BUSY_SPIN => IdleMode::BusySpin,
            ControllableIdleStrategy::YIELD => IdleMode::Yield,
            _ => IdleMode::Park,
        }
    }

    /// The Agrona status value of this mode (1 to 4).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleMode;
    /// for mode in [IdleMode::NoOp, IdleMode::BusySpin, IdleMode::Yield, IdleMode::Park] {
    ///     assert_eq!(IdleMode::from_status(mode.as_status()), mode);
    /// }
    /// assert_eq!(IdleMode::Park.as_status(), 4);
    /// ```
    #[inline]
    pub const fn as_status(self) -> i64 {
        self as i64
    }

    /// The mode's name as the configuration string `controllable:<name>` spells it: `noop`,
    /// `spin`, `yield` or `park` (the aliases of the matching strategies, and `park`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleMode;
    /// assert_eq!(IdleMode::BusySpin.as_str(), "spin");
    /// assert_eq!(IdleMode::Park.as_str(), "park");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            IdleMode::NoOp => "noop",
            IdleMode::BusySpin => "spin",
            IdleMode::Yield => "yield",
            IdleMode::Park => "park",
        }
    }
}

impl fmt::Display for IdleMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The handle that switches a [`ControllableIdleStrategy`]'s [mode](IdleMode) while its agent
/// runs (`Clone + Send + Sync`; every clone controls the same strategies).
///
/// It holds one status word in Agrona's encoding (see [`IdleMode`]), alone on its cache line
/// so that the agent's load of it is not slowed by writes to neighbouring data. A change is
/// seen by the agent on one of its next idle calls: typically within a microsecond (the time
/// for the cache line to move between cores), and never undone by an older value, since loads
/// of one atomic never go back in its modification order. The status carries no other data,
/// so nothing that the controlling thread wrote before a change is guaranteed visible to the
/// agent through it: pass data through your own synchronisation.
///
/// # Examples
///
/// ```
/// use dutycycle::{ControllableIdleStrategy, IdleControl, IdleMode, IdleStrategy};
///
/// let control = IdleControl::new(IdleMode::Park);
/// let mut idle = ControllableIdleStrategy::with_control(control.clone());
/// let tuner = std::thread::spawn(move || control.set_mode(IdleMode::BusySpin));
/// tuner.join().unwrap();
/// idle.idle(0); // one pause hint, no park
/// assert_eq!(idle.mode(), IdleMode::BusySpin);
/// ```
#[derive(Clone)]
pub struct IdleControl {
    status: Arc<CachePadded<AtomicU64>>,
}

impl IdleControl {
    /// A control whose strategies start in `mode`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{IdleControl, IdleMode};
    /// let control = IdleControl::new(IdleMode::Yield);
    /// assert_eq!(control.mode(), IdleMode::Yield);
    /// assert_eq!(control.status(), 3);
    /// ```
    pub fn new(mode: IdleMode) -> IdleControl {
        IdleControl { status: Arc::new(CachePadded::new(AtomicU64::new(encode(mode.as_status())))) }
    }

    /// Switches every strategy of this control to `mode` from their next idle call on.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{IdleControl, IdleMode};
    /// let control = IdleControl::default();
    /// control.set_mode(IdleMode::NoOp);
    /// assert_eq!(control.mode(), IdleMode::NoOp);
    /// ```
    #[inline]
    pub fn set_mode(&self, mode: IdleMode) {
        self.set_status(mode.as_status());
    }

    /// The current mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{IdleControl, IdleMode};
    /// assert_eq!(IdleControl::default().mode(), IdleMode::Park);
    /// ```
    #[inline]
    pub fn mode(&self) -> IdleMode {
        IdleMode::from_status(self.status())
    }

    /// Stores a raw Agrona status value, as Aeron's tooling writes a status counter: 1 no-op,
    /// 2 busy-spin, 3 yield, anything else park. The value is kept as given, so
    /// [`status`](IdleControl::status) returns it unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{ControllableIdleStrategy, IdleControl, IdleMode};
    /// let control = IdleControl::default();
    /// control.set_status(ControllableIdleStrategy::YIELD);
    /// assert_eq!(control.mode(), IdleMode::Yield);
    /// control.set_status(ControllableIdleStrategy::NOT_CONTROLLED);
    /// assert_eq!((control.status(), control.mode()), (0, IdleMode::Park));
    /// ```
    #[inline]
    pub fn set_status(&self, status: i64) {
        // Relaxed: no happens-before edge is needed, because the status is the only data this
        // store publishes; the agent's Relaxed load sees it by coherence alone (see `status`).
        self.status.store(encode(status), Ordering::Relaxed);
    }

    /// The raw status value last stored (Agrona's encoding).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{IdleControl, IdleMode};
    /// assert_eq!(IdleControl::new(IdleMode::BusySpin).status(), 2);
    /// ```
    #[inline]
    pub fn status(&self) -> i64 {
        // Relaxed, the one atomic load of each idle call: it creates no happens-before edge and
        // needs none, since the mode is self-contained (no other memory is read on its
        // strength). Coherence alone gives what the agent needs: it sees a new status shortly
        // after the store, and never an older one after a newer. Agrona reads it as a volatile
        // (acquire); on x86-64 both are a plain `mov`, on AArch64 Relaxed avoids `ldar`.
        decode(self.status.load(Ordering::Relaxed))
    }
}

impl Default for IdleControl {
    /// A control in [`IdleMode::Park`], like an Agrona status counter that nobody has set yet.
    fn default() -> Self {
        IdleControl::new(IdleMode::Park)
    }
}

impl fmt::Debug for IdleControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleControl").field("mode", &self.mode()).finish()
    }
}

/// The status is Agrona's `long`, kept bit for bit in a `u64` atomic (the ones the `primitive`
/// module offers): the two casts are exact inverses.
#[inline]
fn encode(status: i64) -> u64 {
    status as u64
}

#[inline]
fn decode(word: u64) -> i64 {
    word as i64
}

/// An idle strategy whose behaviour is switched at run time through an [`IdleControl`]
/// (Agrona's `ControllableIdleStrategy`, alias `controllable`).
///
/// On each call with no work it loads the control's status once (one Relaxed atomic load,
/// nothing else shared) and, by [`IdleMode`]: does nothing, issues one CPU pause hint, yields,
/// or parks for [`PARK_PERIOD`](ControllableIdleStrategy::PARK_PERIOD) (1 µs, Agrona's). A call
/// with work does nothing: the strategy keeps no state of its own, so
/// [`reset`](IdleStrategy::reset) has nothing to do. The park ends early when the runner is
/// signalled to stop or woken.
///
/// Use it to trade CPU for latency while a system runs: spin while the market is open, park
/// overnight. Several strategies can share one control (a clone of the strategy shares its
/// control too), as several Agrona agents can share one status counter.
///
/// [`parks`](IdleStrategy::parks) is `true`, since the mode may become [`IdleMode::Park`] at any
/// time: runners publish their statistics every duty cycle, as for other parking strategies.
///
/// # Examples
///
/// ```
/// use dutycycle::{ControllableIdleStrategy, IdleMode, IdleStrategy};
///
/// let mut idle = ControllableIdleStrategy::new(IdleMode::Yield);
/// let control = idle.control();
/// idle.idle(0); // yields
/// control.set_mode(IdleMode::NoOp);
/// idle.idle(0); // returns at once
/// assert_eq!(idle.mode(), IdleMode::NoOp);
/// assert_eq!(idle.alias(), "controllable");
/// assert_eq!(format!("{idle:?}"), "ControllableIdleStrategy { mode: NoOp }");
/// ```
#[derive(Clone, Default)]
pub struct ControllableIdleStrategy {
    control: IdleControl,
}

impl ControllableIdleStrategy {
    /// Agrona's status of a counter nobody has set: treated as [`IdleMode::Park`].
    pub const NOT_CONTROLLED: i64 = 0;
    /// Agrona's status for [`IdleMode::NoOp`].
    pub const NOOP: i64 = 1;
    /// Agrona's status for [`IdleMode::BusySpin`].
    pub const BUSY_SPIN: i64 = 2;
    /// Agrona's status for [`IdleMode::Yield`].
    pub const YIELD: i64 = 3;
    /// Agrona's status for [`IdleMode::Park`].
    pub const PARK: i64 = 4;
    /// How long one idle call parks in [`IdleMode::Park`]: 1 µs, as Agrona's (on Linux the
    /// thread's timer slack, 50 µs by default, is added to it).
    pub const PARK_PERIOD: Duration = Duration::from_micros(1);

    /// A strategy with a new control, starting in `mode`; get the control with
    /// [`control`](ControllableIdleStrategy::control).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{ControllableIdleStrategy, IdleMode};
    /// let idle = ControllableIdleStrategy::new(IdleMode::BusySpin);
    /// assert_eq!(idle.mode(), IdleMode::BusySpin);
    /// ```
    pub fn new(mode: IdleMode) -> ControllableIdleStrategy {
        ControllableIdleStrategy { control: IdleControl::new(mode) }
    }

    /// A strategy driven by an existing control (shared with every other strategy it drives).
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{ControllableIdleStrategy, IdleControl, IdleMode};
    /// let control = IdleControl::new(IdleMode::Yield);
    /// let a = ControllableIdleStrategy::with_control(control.clone());
    /// let b = ControllableIdleStrategy::with_control(control.clone());
    /// control.set_mode(IdleMode::NoOp);
    /// assert_eq!((a.mode(), b.mode()), (IdleMode::NoOp, IdleMode::NoOp));
    /// ```
    pub fn with_control(control: IdleControl) -> ControllableIdleStrategy {
        ControllableIdleStrategy { control }
    }

    /// A handle to this strategy's control, to keep before the strategy is moved into a runner.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{ControllableIdleStrategy, IdleMode};
    /// let idle = ControllableIdleStrategy::default();
    /// idle.control().set_mode(IdleMode::Yield);
    /// assert_eq!(idle.mode(), IdleMode::Yield);
    /// ```
    pub fn control(&self) -> IdleControl {
        self.control.clone()
    }

    /// The mode the next idle call will use, unless the control changes it first.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{ControllableIdleStrategy, IdleMode};
    /// assert_eq!(ControllableIdleStrategy::default().mode(), IdleMode::Park);
    /// ```
    #[inline]
    pub fn mode(&self) -> IdleMode {
        self.control.mode()
    }

    /// Agrona's `idle()`, with the OS calls passed in so that tests can see which one ran.
    #[inline]
    fn step(&self, spin: impl FnOnce(), yield_now: impl FnOnce(), park: impl FnOnce(Duration)) {
        match self.control.mode() {
            IdleMode::NoOp => {}
            IdleMode::BusySpin => spin(),
            IdleMode::Yield => yield_now(),
            IdleMode::Park => park(Self::PARK_PERIOD),
        }
    }
}

impl IdleStrategy for ControllableIdleStrategy {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count == 0 {
            self.idle_once();
        }
    }

    #[inline]
    fn idle_once(&mut self) {
        self.step(std::hint::spin_loop, std::thread::yield_now, park_timeout);
    }

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "controllable"
    }
}

impl fmt::Debug for ControllableIdleStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllableIdleStrategy").field("mode", &self.mode()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[derive(Debug, PartialEq, Eq)]
    enum Op {
        Nothing,
        Spin,
        Yield,
        Park(Duration),
    }

    fn step(idle: &ControllableIdleStrategy) -> Op {
        let op = std::cell::Cell::new(Op::Nothing);
        idle.step(|| op.set(Op::Spin), || op.set(Op::Yield), |d| op.set(Op::Park(d)));
        op.into_inner()
    }

    #[test]
    fn each_mode_does_what_agrona_does_and_unknown_statuses_park() {
        let idle = ControllableIdleStrategy::new(IdleMode::NoOp);
        let control = idle.control();
        assert_eq!(step(&idle), Op::Nothing);
        control.set_mode(IdleMode::BusySpin);
        assert_eq!(step(&idle), Op::Spin);
        control.set_mode(IdleMode::Yield);
        assert_eq!(step(&idle), Op::Yield);
        control.set_mode(IdleMode::Park);
        assert_eq!(step(&idle), Op::Park(Duration::from_micros(1)));
        for status in [0, 5, -1, i64::MIN, i64::MAX] {
            control.set_status(status);
            assert_eq!(control.status(), status);
            assert_eq!(step(&idle), Op::Park(ControllableIdleStrategy::PARK_PERIOD), "status {status}");
        }
    }

    #[test]
    fn agrona_status_values_are_the_stored_values() {
        let cases = [
            (IdleMode::NoOp, ControllableIdleStrategy::NOOP, 1),
            (IdleMode::BusySpin, ControllableIdleStrategy::BUSY_SPIN, 2),
            (IdleMode::Yield, ControllableIdleStrategy::YIELD, 3),
            (IdleMode::Park, ControllableIdleStrategy::PARK, 4),
        ];
        for (mode, constant, value) in cases {
            assert_eq!(mode.as_status(), value);
            assert_eq!(constant, value);
            assert_eq!(IdleMode::from_status(value), mode);
            assert_eq!(IdleControl::new(mode).status(), value);
        }
        assert_eq!(ControllableIdleStrategy::NOT_CONTROLLED, 0);
        assert_eq!(IdleMode::from_status(0), IdleMode::Park);
        assert_eq!(IdleMode::default(), IdleMode::Park);
    }

    #[test]
    fn work_does_nothing_whatever_the_mode() {
        // With work, `idle` must not even load the status: Park would otherwise park.
        let mut idle = ControllableIdleStrategy::new(IdleMode::Park);
        let start = std::time::Instant::now();
        for _ in 0..10_000 {
            idle.idle(1);
        }
        idle.reset();
        // 10,000 parks would take at least 10 ms (1 µs each, plus timer slack).
        assert!(start.elapsed() < Duration::from_millis(10), "{:?}", start.elapsed());
    }

    #[test]
    fn another_thread_switches_the_mode_of_a_running_strategy() {
        let idle = ControllableIdleStrategy::new(IdleMode::Yield);
        let control = idle.control();
        let (seen_tx, seen_rx) = mpsc::channel();
        let agent = std::thread::spawn(move || {
            let mut idle = idle;
            // Run until the strategy does what the other thread asked for.
            loop {
                if step(&idle) == Op::Spin {
                    break;
                }
                idle.idle(0);
            }
            seen_tx.send(()).unwrap();
        });
        control.set_mode(IdleMode::BusySpin);
        seen_rx.recv_timeout(Duration::from_secs(10)).expect("the agent never saw the new mode");
        agent.join().unwrap();
    }

    #[test]
    fn park_mode_parks_with_park_timeout_so_an_unpark_can_end_it() {
        // Runners end parks by unparking the agent thread. A park through
        // `std::thread::park_timeout` consumes a pending unpark token (and returns at once);
        // a `sleep` would leave it. So: unpark, idle once in Park mode, and a following park
        // must then wait its full timeout. Tried three times in case of a spurious wake-up.
        let mut idle = ControllableIdleStrategy::new(IdleMode::Park);
        let consumed = (0..3).any(|_| {
            std::thread::current().unpark();
            idle.idle(0);
            let start = std::time::Instant::now();
            std::thread::park_timeout(Duration::from_millis(20));
            start.elapsed() >= Duration::from_millis(15)
        });
        assert!(consumed, "the Park mode did not consume the unpark token: it does not park");
    }

    #[test]
    fn clones_share_the_control_and_debug_shows_the_mode() {
        let a = ControllableIdleStrategy::default();
        let b = a.clone();
        a.control().set_mode(IdleMode::Yield);
        assert_eq!(b.mode(), IdleMode::Yield);
        assert_eq!(format!("{b:?}"), "ControllableIdleStrategy { mode: Yield }");
        assert_eq!(format!("{:?}", b.control()), "IdleControl { mode: Yield }");
        assert_eq!(b.alias(), "controllable");
        assert!(b.parks());
        assert_eq!(format!("{:>6}|", IdleMode::Park), "  park|");
    }

    #[test]
    fn the_control_is_clone_send_sync_and_the_status_has_its_own_cache_line() {
        fn assert_handle<T: Clone + Send + Sync + 'static>() {}
        fn assert_strategy<T: IdleStrategy + Clone + Send + 'static>() {}
        assert_handle::<IdleControl>();
        assert_strategy::<ControllableIdleStrategy>();
        assert!(std::mem::align_of::<CachePadded<AtomicU64>>() >= 64);
        assert_eq!(std::mem::size_of::<CachePadded<AtomicU64>>() % 64, 0);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    #[test]
    fn a_mode_set_on_another_thread_is_seen_as_old_or_new_and_new_after_join() {
        loom::model(|| {
            let control = IdleControl::new(IdleMode::Park);
            let idle = ControllableIdleStrategy::with_control(control.clone());
            let tuner = loom::thread::spawn(move || control.set_mode(IdleMode::NoOp));
            let during = idle.mode();
            assert!(matches!(during, IdleMode::Park | IdleMode::NoOp));
            tuner.join().unwrap();
            assert_eq!(idle.mode(), IdleMode::NoOp);
        });
    }
}
