//! Waiting with a deadline that only a failing test reaches.

use std::time::{Duration, Instant};

/// Long enough for anything a test waits on, even on a loaded 2-CPU machine; a test that hits
/// it has failed.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `condition` every millisecond until it holds, failing the test (panicking, naming
/// `what`) after [`PATIENCE`].
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::wait::eventually;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let done = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&done);
/// std::thread::spawn(move || flag.store(true, Ordering::Release));
/// eventually("the thread ran", || done.load(Ordering::Acquire));
/// ```
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}
