//! Placing the driver's threads: Aeron C's idle strategy for a dutycycle strategy name, and
//! the start hook that pins each of Aeron's own threads to its core from the thread itself.
//!
//! Aeron C has per-thread CPU settings (`aeron_driver_context_set_*_cpu_affinity`), but they
//! take effect only through its own start hook after `aeron_driver_validate_and_apply_affinity_configuration`,
//! which give the shared-network thread the sender's CPU, write warnings to stderr for cores
//! that threads share, and report a pin the OS refused only as a warning in the driver's error
//! log. The hook here pins each thread to the core set for it and hands the outcome back to the
//! launch, which fails with a typed error when a pin failed.

use std::ffi::{c_char, c_void, CStr, CString};
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dutycycle::{AnyIdleStrategy, IdleStrategyConfig};
use rusteron_media_driver::bindings::{
    aeron_agent_on_start_func_t, aeron_driver_context_set_agent_on_start_function,
};
use rusteron_media_driver::{AeronCError, AeronDriverContext};

use crate::DriverThread;

/// How long a launch waits for Aeron's threads to start and pin themselves: far longer than a
/// thread takes to start on a loaded machine.
pub(crate) const PIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest backoff spin or yield count Aeron C reads: its parser takes at most 16 digits.
const MAX_AERON_BACKOFF_COUNT: u64 = 9_999_999_999_999_999;

/// One of Aeron C's idle strategies: its name and its init args, as its driver context takes
/// them (`aeron_driver_context_set_*_idle_strategy` and `..._init_args`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AeronIdleStrategy {
    pub(crate) name: &'static CStr,
    pub(crate) init_args: CString,
}

impl AeronIdleStrategy {
    /// Aeron C's strategy that behaves as `config`, or why there is none.
    ///
    /// `spin`, `noop`, `yield` and `backoff` are Aeron C's own; `sleep-ns` and `sleep-ms` both
    /// become Aeron C's `sleep-ns` with the same period. Durations go as whole nanoseconds,
    /// the one form Aeron C's backoff parser takes without a unit (`10-20-1000-1000000`).
    pub(crate) fn of(config: &IdleStrategyConfig) -> Result<AeronIdleStrategy, &'static str> {
        let strategy = |name, init_args: String| AeronIdleStrategy {
            name,
            // Digits and dashes only: no NUL byte.
            init_args: CString::new(init_args).unwrap_or_default(),
        };
        match config.build() {
            AnyIdleStrategy::NoOp(_) => Ok(strategy(c"noop", String::new())),
            AnyIdleStrategy::BusySpin(_) => Ok(strategy(c"spin", String::new())),
            AnyIdleStrategy::Yielding(_) => Ok(strategy(c"yield", String::new())),
            AnyIdleStrategy::Sleeping(s) => Ok(strategy(c"sleep-ns", s.period().as_nanos().to_string())),
            AnyIdleStrategy::SleepingMillis(s) => Ok(strategy(c"sleep-ns", s.period().as_nanos().to_string())),
            AnyIdleStrategy::Backoff(b) => {
                if b.max_spins() > MAX_AERON_BACKOFF_COUNT || b.max_yields() > MAX_AERON_BACKOFF_COUNT {
                    return Err("Aeron C's backoff takes at most 16 digits of spins and yields");
                }
                let args = format!(
                    "{}-{}-{}-{}",
                    b.max_spins(),
                    b.max_yields(),
                    b.min_park_period().as_nanos(),
                    b.max_park_period().as_nanos()
                );
                Ok(strategy(c"backoff", args))
            }
            AnyIdleStrategy::Controllable(_) => {
                Err("Aeron C has no controllable strategy (its names are spin, noop, yield, sleep-ns and backoff)")
            }
            _ => Err("Aeron C's strategies are spin, noop, yield, sleep-ns and backoff"),
        }
    }

    /// Sets it as `thread`'s idle strategy in `context`: init args first, since setting the
    /// name loads the strategy with the init args set then.
    pub(crate) fn apply(
        &self,
        context: &AeronDriverContext,
        thread: DriverThread,
    ) -> Result<(), AeronCError> {
        let (args, name) = (self.init_args.as_c_str(), self.name);
        match thread {
            DriverThread::Conductor => {
                context.set_conductor_idle_strategy_init_args(args)?;
                context.set_conductor_idle_strategy(name)?;
            }
            DriverThread::Sender => {
                context.set_sender_idle_strategy_init_args(args)?;
                context.set_sender_idle_strategy(name)?;
            }
            DriverThread::Receiver => {
                context.set_receiver_idle_strategy_init_args(args)?;
                context.set_receiver_idle_strategy(name)?;
            }
            DriverThread::SharedNetwork => {
                context.set_sharednetwork_idle_strategy_init_args(args)?;
                context.set_sharednetwork_idle_strategy(name)?;
            }
            DriverThread::Shared => {
                context.set_shared_idle_strategy_init_args(args)?;
                context.set_shared_idle_strategy(name)?;
            }
        }
        Ok(())
    }
}

/// A thread that could not be pinned: which, to what, and the OS error (or a time-out).
#[derive(Debug)]
pub(crate) struct PinFailure {
    pub(crate) thread: DriverThread,
    pub(crate) core: usize,
    pub(crate) source: io::Error,
}

/// The cores Aeron's threads are to be pinned to, and what each thread reported when it
/// pinned itself. Shared by the start hook, which runs on each of Aeron's threads as it starts,
/// and the launch, which waits for their reports. The agent keeps it alive until the driver
/// is closed: Aeron keeps a pointer to it in the driver context.
#[derive(Debug)]
pub(crate) struct ThreadPins {
    pins: Vec<(DriverThread, usize)>,
    reports: Mutex<Vec<(DriverThread, io::Result<()>)>>,
    reported: Condvar,
    /// The start hook set before this one (Aeron's `AERON_AGENT_ON_START_FUNCTION`), called
    /// after pinning, with its state's address.
    delegate: Option<(unsafe extern "C" fn(*mut c_void, *const c_char), usize)>,
}

impl ThreadPins {
    /// Installs the start hook in `context` for `pins` (Aeron's own threads only), keeping any
    /// start hook already set as its delegate. Call before the driver is initialised.
    pub(crate) fn install(
        context: &AeronDriverContext,
        pins: Vec<(DriverThread, usize)>,
    ) -> Result<Arc<ThreadPins>, AeronCError> {
        let previous: aeron_agent_on_start_func_t = context.get_agent_on_start_function();
        let delegate = previous.map(|f| (f, context.get_agent_on_start_state() as usize));
        let pins = Arc::new(ThreadPins {
            pins,
            reports: Mutex::new(Vec::new()),
            reported: Condvar::new(),
            delegate,
        });
        // SAFETY: the context is live and no driver has been initialised from it, so nothing
        // reads the start hook concurrently. The state is the `ThreadPins` behind the returned
        // `Arc`, which the caller keeps alive until the driver is closed (its threads joined),
        // the only time Aeron calls the hook.
        let rc = unsafe {
            aeron_driver_context_set_agent_on_start_function(
                context.get_inner(),
                Some(pin_on_start),
                Arc::as_ptr(&pins).cast_mut().cast(),
            )
        };
        if rc < 0 {
            return Err(AeronCError::from_code(rc));
        }
        Ok(pins)
    }

    /// Waits until every pinned thread has reported, up to `timeout`; the first that could
    /// not be pinned, or did not report in time, is the error.
    pub(crate) fn wait(&self, timeout: Duration) -> Result<(), PinFailure> {
        let deadline = Instant::now() + timeout;
        let mut reports = self.lock();
        loop {
            if let Some(index) = reports.iter().position(|(_, outcome)| outcome.is_err()) {
                let (thread, outcome) = reports.swap_remove(index);
                let source = outcome.err().unwrap_or_else(|| io::Error::other("pin failed"));
                return Err(PinFailure { thread, core: self.core_of(thread).unwrap_or(0), source });
            }
            let missing = self.pins.iter().find(|(thread, _)| !reports.iter().any(|(t, _)| t == thread));
            let Some(&(thread, core)) = missing else { return Ok(()) };
            let now = Instant::now();
            if now >= deadline {
                let source = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the thread did not start within {timeout:?}"),
                );
                return Err(PinFailure { thread, core, source });
            }
            reports =
                self.reported.wait_timeout(reports, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    fn core_of(&self, thread: DriverThread) -> Option<usize> {
        self.pins.iter().find(|(t, _)| *t == thread).map(|&(_, core)| core)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(DriverThread, io::Result<()>)>> {
        self.reports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// On the thread Aeron starts as `role_name`: pins it if a core is set for it, and
    /// reports the outcome.
    fn on_start(&self, role_name: &str) {
        let Some(thread) = DriverThread::from_aeron_role_name(role_name) else { return };
        let Some(core) = self.core_of(thread) else { return };
        let outcome = dutycycle::pin_current_thread(core);
        self.lock().push((thread, outcome));
        self.reported.notify_all();
    }
}

/// Aeron's start hook (`aeron_agent_on_start_func_t`): runs first on each of Aeron's agent
/// threads, and on the launching thread for the duty cycle the agent runs.
unsafe extern "C" fn pin_on_start(state: *mut c_void, role_name: *const c_char) {
    // SAFETY: `state` is the `ThreadPins` `install` registered, alive until the driver is
    // closed (see `install`); it is only read through `&` (its mutable parts are behind a lock).
    let pins = unsafe { &*state.cast_const().cast::<ThreadPins>() };
    if !role_name.is_null() {
        // SAFETY: Aeron passes its agent's role name, a NUL-terminated string it owns for the
        // agent's lifetime.
        let role = unsafe { CStr::from_ptr(role_name) };
        // Nothing here panics (the lock's poison is ignored), and a panic could not unwind
        // out of this C callback anyway.
        pins.on_start(role.to_str().unwrap_or(""));
    }
    if let Some((delegate, delegate_state)) = pins.delegate {
        // SAFETY: the hook and state that were set in the context before this one, called as
        // Aeron would have called them.
        unsafe { delegate(delegate_state as *mut c_void, role_name) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aeron(config: &str) -> Result<(String, String), &'static str> {
        let strategy = AeronIdleStrategy::of(&config.parse().unwrap())?;
        Ok((strategy.name.to_str().unwrap().to_owned(), strategy.init_args.to_str().unwrap().to_owned()))
    }

    fn pair(name: &str, args: &str) -> Result<(String, String), &'static str> {
        Ok((name.to_owned(), args.to_owned()))
    }

    #[test]
    fn dutycycle_strategies_map_onto_aeron_c_names_and_init_args() {
        assert_eq!(aeron("spin"), pair("spin", ""));
        assert_eq!(aeron("org.agrona.concurrent.BusySpinIdleStrategy"), pair("spin", ""));
        assert_eq!(aeron("noop"), pair("noop", ""));
        assert_eq!(aeron("yield"), pair("yield", ""));
        assert_eq!(aeron("sleep-ns:250us"), pair("sleep-ns", "250000"));
        assert_eq!(aeron("sleep-ms:5"), pair("sleep-ns", "5000000"));
        assert_eq!(aeron("backoff"), pair("backoff", "10-20-1000-1000000"));
        assert_eq!(aeron("backoff:100,5,2us,10ms"), pair("backoff", "100-5-2000-10000000"));
        assert!(aeron("controllable").unwrap_err().contains("no controllable"));
        assert!(aeron(&format!("backoff:{},1,1us,1ms", MAX_AERON_BACKOFF_COUNT + 1)).is_err());
        assert!(aeron(&format!("backoff:{MAX_AERON_BACKOFF_COUNT},1,1us,1ms")).is_ok());
    }

    #[test]
    fn aeron_c_takes_every_mapped_strategy_for_every_thread() {
        let context = AeronDriverContext::new().unwrap();
        for config in ["spin", "noop", "yield", "sleep-ns:250us", "sleep-ms:5", "backoff:100,5,2us,10ms"] {
            let strategy = AeronIdleStrategy::of(&config.parse().unwrap()).unwrap();
            for thread in DriverThread::ALL {
                strategy.apply(&context, thread).unwrap_or_else(|e| panic!("{config} on {thread}: {e}"));
            }
            assert_eq!(context.get_sender_idle_strategy(), strategy.name.to_str().unwrap(), "{config}");
            assert_eq!(context.get_sender_idle_strategy_init_args(), strategy.init_args.to_str().unwrap());
            assert_eq!(context.get_sharednetwork_idle_strategy(), strategy.name.to_str().unwrap());
            assert_eq!(context.get_shared_idle_strategy_init_args(), strategy.init_args.to_str().unwrap());
        }
    }

    #[test]
    fn the_hook_pins_only_the_threads_it_has_cores_for_and_reports_each() {
        let core = *dutycycle::allowed_cores().unwrap().last().unwrap();
        let pins = ThreadPins {
            pins: vec![(DriverThread::Receiver, core), (DriverThread::Sender, 100_000)],
            reports: Mutex::new(Vec::new()),
            reported: Condvar::new(),
            delegate: None,
        };
        std::thread::scope(|s| {
            s.spawn(|| pins.on_start("aeron-md-nra")); // not a pinned thread: ignored
            s.spawn(|| pins.on_start("receiver"));
        });
        let failure = std::thread::scope(|s| {
            s.spawn(|| pins.on_start("aeron-md-snd"));
            s.spawn(|| pins.wait(PIN_TIMEOUT)).join().unwrap()
        })
        .unwrap_err();
        assert_eq!((failure.thread, failure.core), (DriverThread::Sender, 100_000));
        assert_eq!(failure.source.raw_os_error(), Some(libc::EINVAL));
        assert_eq!(pins.lock().len(), 1, "the receiver's report stays");
        assert!(pins.lock()[0].1.is_ok());
    }

    #[test]
    fn a_start_hook_set_before_still_runs_after_pinning() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let context = AeronDriverContext::new().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let previous = move |role: &str| {
            assert_eq!(role, "sender");
            // Relaxed: the assertion below runs after this call returned, on the same thread.
            seen.fetch_add(1, Ordering::Relaxed);
        };
        let _handler = context.set_agent_on_start_function(Some(previous)).unwrap();
        let core = *dutycycle::allowed_cores().unwrap().last().unwrap();
        let pins = ThreadPins::install(&context, vec![(DriverThread::Sender, core)]).unwrap();

        let state = context.get_agent_on_start_state();
        assert_eq!(state.cast_const(), Arc::as_ptr(&pins).cast::<c_void>(), "the hook is installed");
        let state = state as usize; // a raw pointer cannot cross to the thread
        std::thread::scope(|s| {
            // SAFETY: `state` is `pins`, alive for the call; the role name is NUL-terminated.
            s.spawn(|| unsafe { pin_on_start(state as *mut c_void, c"sender".as_ptr()) });
        });
        assert_eq!(calls.load(Ordering::Relaxed), 1, "the earlier hook ran");
        pins.wait(Duration::ZERO).unwrap();
    }

    #[test]
    fn a_thread_that_never_starts_is_reported_after_the_timeout() {
        let pins = ThreadPins {
            pins: vec![(DriverThread::SharedNetwork, 0)],
            reports: Mutex::new(Vec::new()),
            reported: Condvar::new(),
            delegate: None,
        };
        let failure = pins.wait(Duration::from_millis(10)).unwrap_err();
        assert_eq!(failure.thread, DriverThread::SharedNetwork);
        assert_eq!(failure.source.kind(), io::ErrorKind::TimedOut);
    }
}
