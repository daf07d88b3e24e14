//! [`AeronCallError`]: a call into Aeron's C library that failed.

use std::fmt;

/// A call into Aeron's C library that failed: which call, Aeron's error code and Aeron's own
/// message (its thread-local `aeron_errmsg`, read on the thread that made the call).
///
/// It is the `source` of the `Aeron` variants of [`DriverError`](crate::DriverError) and
/// [`ClientError`](crate::ClientError).
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{Channel, ClientConfig, ClientError};
///
/// // No driver runs in this directory, so connecting fails before any Aeron call:
/// let config = ClientConfig::new().dir("/nonexistent/aeron-dir");
/// let err = dutycycle_aeron::AeronClient::connect(&config).unwrap_err();
/// assert!(matches!(err, ClientError::NoDriver { .. }));
/// # let _ = Channel::ipc();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AeronCallError {
    call: &'static str,
    code: i32,
    message: String,
}

impl AeronCallError {
    /// The Aeron function that failed, such as `aeron_driver_init`.
    pub fn call(&self) -> &str {
        self.call
    }

    /// Aeron's error code (negative, or an `errno` value).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// Aeron's message, on one line; empty when Aeron gave none.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// From a failed call of the client library, reading its message on this thread.
    pub(crate) fn client(call: &'static str, error: rusteron_client::AeronCError) -> Self {
        let error = error.capture_errmsg();
        let message = error.message().map(one_line).unwrap_or_default();
        AeronCallError { call, code: error.code, message }
    }

    /// From a failed call of the media driver library, reading its message on this thread.
    pub(crate) fn driver(call: &'static str, error: rusteron_media_driver::AeronCError) -> Self {
        let error = error.capture_errmsg();
        let message = error.message().map(one_line).unwrap_or_default();
        AeronCallError { call, code: error.code, message }
    }

    /// An error Aeron reported without a call of ours, such as the client conductor's.
    pub(crate) fn reported(call: &'static str, code: i32, message: &str) -> Self {
        AeronCallError { call, code, message: one_line(message) }
    }
}

impl fmt::Display for AeronCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{} failed with Aeron error code {}", self.call, self.code)
        } else {
            write!(f, "{} failed: {} (Aeron error code {})", self.call, self.message, self.code)
        }
    }
}

impl std::error::Error for AeronCallError {}

/// Aeron's messages span lines (`(-1) unknown error\n[function, file:line] detail`); one line
/// reads better in an error chain.
fn one_line(message: &str) -> String {
    message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_messages_are_joined_on_one_line() {
        assert_eq!(
            one_line("(-1) generic\n[aeron_x, x.c:10] bad dir\n"),
            "(-1) generic; [aeron_x, x.c:10] bad dir"
        );
        let e = AeronCallError::reported("aeron_x", -1, "");
        assert_eq!(e.to_string(), "aeron_x failed with Aeron error code -1");
    }

    /// The `Display` of `error` and of every `source()` below it.
    fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
        std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect()
    }

    #[test]
    fn errors_that_wrap_a_failed_call_leave_it_to_their_source() {
        use crate::{ClientError, DriverError, ResourceKind};
        let call = || AeronCallError::reported("aeron_x", -1, "the reason");
        let dir = std::path::PathBuf::from("/dev/shm/aeron-x");
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let errors: Vec<Box<dyn std::error::Error>> = vec![
            Box::new(DriverError::Aeron { dir: dir.clone(), source: call() }),
            Box::new(DriverError::RemoveDir { dir: dir.clone(), source: io() }),
            Box::new(DriverError::DirNotWritable { dir, source: io() }),
            Box::new(ClientError::Aeron(call())),
            Box::new(ClientError::Conductor(call())),
            Box::new(ClientError::Add {
                kind: ResourceKind::ExclusivePublication,
                channel: "aeron:ipc".to_owned(),
                stream_id: 1,
                source: call(),
            }),
            Box::new(ClientError::Close {
                kind: ResourceKind::Subscription,
                channel: "aeron:ipc".to_owned(),
                stream_id: 1,
                source: call(),
            }),
        ];
        for error in &errors {
            let texts = chain(error.as_ref());
            assert_eq!(texts.len(), 2, "{texts:?}");
            assert!(!texts[0].contains(&texts[1]), "the cause is printed twice: {texts:?}");
        }
    }
}
