//! The check that an error prints each cause once along its `source()` chain.
//!
//! `Display` says what failed, `source()` says why, never both: reporters (anyhow's `{:#}`,
//! eyre, tracing) print every level of the chain, so a cause that a level also prints in its
//! own `Display` would appear twice.

use std::error::Error;

/// The texts of `error` and of each cause along its `source()` chain, outermost first.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::error_chain::chain;
///
/// let error = std::io::Error::other("disk gone");
/// assert_eq!(chain(&error), ["disk gone"]);
/// ```
pub fn chain(error: &dyn Error) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut next = error.source();
    while let Some(cause) = next {
        texts.push(cause.to_string());
        next = cause.source();
    }
    texts
}

/// The chain as a reporter prints it: the levels of [`chain`] joined by `": "`.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::error_chain::report;
///
/// let error = std::io::Error::other("disk gone");
/// assert_eq!(report(&error), "disk gone");
/// ```
pub fn report(error: &dyn Error) -> String {
    chain(error).join(": ")
}

/// Asserts that no cause along `error`'s `source()` chain is printed by a level above it (so
/// that a reporter that prints the whole chain prints each cause once), and that no level is
/// empty. Returns the chain as [`report`] prints it.
///
/// # Panics
///
/// When a level is empty or repeats a cause below it: that is the test failing.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::error_chain::assert_each_cause_once;
/// use std::{error::Error, fmt, io};
///
/// #[derive(Debug)]
/// struct ReadFailed(io::Error);
/// impl fmt::Display for ReadFailed {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("could not read the config")
///     }
/// }
/// impl Error for ReadFailed {
///     fn source(&self) -> Option<&(dyn Error + 'static)> {
///         Some(&self.0)
///     }
/// }
///
/// let error = ReadFailed(io::Error::other("disk gone"));
/// assert_eq!(assert_each_cause_once(&error), "could not read the config: disk gone");
/// ```
pub fn assert_each_cause_once(error: &dyn Error) -> String {
    let texts = chain(error);
    for (i, text) in texts.iter().enumerate() {
        assert!(!text.is_empty(), "level {i} of {texts:?} prints nothing");
        for (j, above) in texts[..i].iter().enumerate() {
            assert!(
                !above.contains(text.as_str()),
                "the cause {text:?} (level {i}) is printed twice: level {j} prints it too: {above:?}",
            );
        }
    }
    texts.join(": ")
}
