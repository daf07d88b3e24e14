use super::IdleStrategy;

/// Does nothing when there is no work: the duty cycle polls again at once, without even a
/// pause hint. Alias `noop` (Agrona's `NoOpIdleStrategy`).
///
/// # Examples
///
/// ```
/// use dutycycle::{IdleStrategy, NoOpIdleStrategy};
/// let mut idle = NoOpIdleStrategy;
/// idle.idle(0);
/// assert_eq!(idle.alias(), "noop");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoOpIdleStrategy;

impl IdleStrategy for NoOpIdleStrategy {
    #[inline]
    fn idle(&mut self, _work_count: usize) {}

    #[inline]
    fn idle_once(&mut self) {}

    #[inline]
    fn reset(&mut self) {}

    fn alias(&self) -> &'static str {
        "noop"
    }

    #[inline]
    fn parks(&self) -> bool {
        false
    }
}
