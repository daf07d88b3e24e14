use super::IdleStrategy;

/// Yields the CPU ([`std::thread::yield_now`], `sched_yield`) when there is no work: answers
/// in about a microsecond and lets other runnable threads on the core go first, but still
/// shows as a busy core. Alias `yield` (Agrona's `YieldingIdleStrategy`).
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategy, YieldingIdleStrategy};
/// let mut idle = YieldingIdleStrategy;
/// idle.idle(0);
/// assert_eq!(idle.alias(), "yield");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YieldingIdleStrategy;

impl IdleStrategy for YieldingIdleStrategy {
    #[inline]
    fn idle_once(&mut self) {
        std::thread::yield_now();
    }

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "yield"
    }

    #[inline]
    fn parks(&self) -> bool {
        false
    }
}
