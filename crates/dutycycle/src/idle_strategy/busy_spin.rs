use super::IdleStrategy;

/// Spins with a CPU pause hint ([`std::hint::spin_loop`], x86's `PAUSE`) when there is no
/// work: the lowest latency, one full core. Pin the agent when you use it.
/// Alias `spin` (Agrona's `BusySpinIdleStrategy`).
///
/// # Examples
///
/// ```
/// use dutycycle::{BusySpinIdleStrategy, IdleStrategy};
/// let mut idle = BusySpinIdleStrategy;
/// idle.idle(0);
/// assert_eq!(idle.alias(), "spin");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusySpinIdleStrategy;

impl IdleStrategy for BusySpinIdleStrategy {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count == 0 {
            std::hint::spin_loop();
        }
    }

    #[inline]
    fn idle_once(&mut self) {
        std::hint::spin_loop();
    }

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "spin"
    }

    #[inline]
    fn parks(&self) -> bool {
        false
    }
}
