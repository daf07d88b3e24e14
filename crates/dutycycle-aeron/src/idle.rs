//! [`RusteronIdle`]: a dutycycle idle strategy where rusteron expects its own.

use std::fmt;

use dutycycle::IdleStrategy;

/// Wraps a dutycycle [`IdleStrategy`] so that it serves where rusteron expects its own
/// `IdleStrategy` trait: both `rusteron_client::IdleStrategy` and
/// `rusteron_media_driver::IdleStrategy` (each rusteron crate has its own copy of the trait).
///
/// rusteron's trait takes the work count as an `i32`; a negative count (an Aeron error code
/// passed on by mistake) counts as no work, as in Aeron's C `aeron_idle_strategy_*` functions.
/// `reset` is passed through. The dutycycle strategy keeps its exact behaviour, so a loop
/// written against rusteron's trait gets, say, Agrona's backoff state machine with
/// park-based sleeping that a runner's termination latch can interrupt.
///
/// # Examples
///
/// ```
/// use dutycycle::BackoffIdleStrategy;
/// use dutycycle_aeron::RusteronIdle;
///
/// // Any function written for rusteron's trait...
/// fn poll_loop(idle: &mut impl rusteron_client::IdleStrategy) -> u32 {
///     let mut polls = 0;
///     for _ in 0..100 {
///         polls += 1;
///         let fragments = 0; // e.g. subscription.poll(...)
///         idle.idle(fragments);
///     }
///     polls
/// }
///
/// // ...takes a dutycycle strategy through the adapter.
/// let mut idle = RusteronIdle::new(BackoffIdleStrategy::default());
/// assert_eq!(poll_loop(&mut idle), 100);
/// assert_eq!(idle.get_ref().alias(), "backoff");
/// # use dutycycle::IdleStrategy;
/// ```
#[derive(Clone, Default)]
pub struct RusteronIdle<S> {
    strategy: S,
}

impl<S: IdleStrategy> RusteronIdle<S> {
    /// Wraps `strategy`.
    pub fn new(strategy: S) -> Self {
        RusteronIdle { strategy }
    }

    /// The wrapped strategy.
    pub fn get_ref(&self) -> &S {
        &self.strategy
    }

    /// The wrapped strategy, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.strategy
    }

    /// Unwraps the strategy.
    pub fn into_inner(self) -> S {
        self.strategy
    }

    #[inline]
    fn idle_i32(&mut self, work_count: i32) {
        // Negative counts are errors, not work: Aeron's C strategies treat them as 0.
        self.strategy.idle(usize::try_from(work_count).unwrap_or(0));
    }
}

impl<S: IdleStrategy> From<S> for RusteronIdle<S> {
    fn from(strategy: S) -> Self {
        RusteronIdle::new(strategy)
    }
}

impl<S: IdleStrategy> rusteron_client::IdleStrategy for RusteronIdle<S> {
    #[inline]
    fn idle(&mut self, work_count: i32) {
        self.idle_i32(work_count);
    }

    #[inline]
    fn reset(&mut self) {
        self.strategy.reset();
    }
}

impl<S: IdleStrategy> rusteron_media_driver::IdleStrategy for RusteronIdle<S> {
    #[inline]
    fn idle(&mut self, work_count: i32) {
        self.idle_i32(work_count);
    }

    #[inline]
    fn reset(&mut self) {
        self.strategy.reset();
    }
}

impl<S: fmt::Debug> fmt::Debug for RusteronIdle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RusteronIdle").field(&self.strategy).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the adapter passes on.
    #[derive(Default)]
    struct Recorder {
        idles: Vec<usize>,
        resets: u32,
    }

    impl IdleStrategy for Recorder {
        fn idle(&mut self, work_count: usize) {
            self.idles.push(work_count);
        }
        fn idle_once(&mut self) {}
        fn reset(&mut self) {
            self.resets += 1;
        }
        fn alias(&self) -> &'static str {
            "recorder"
        }
    }

    #[test]
    fn work_counts_pass_through_and_negative_counts_are_no_work() {
        let mut idle = RusteronIdle::new(Recorder::default());
        rusteron_client::IdleStrategy::idle(&mut idle, 3);
        rusteron_client::IdleStrategy::idle(&mut idle, 0);
        rusteron_media_driver::IdleStrategy::idle(&mut idle, -1);
        rusteron_client::IdleStrategy::reset(&mut idle);
        rusteron_media_driver::IdleStrategy::reset(&mut idle);
        assert_eq!(idle.get_ref().idles, vec![3, 0, 0]);
        assert_eq!(idle.into_inner().resets, 2);
    }
}
