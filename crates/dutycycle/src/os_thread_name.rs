//! The calling thread's name as the operating system knows it.

use std::fmt::{self, Display};

/// The calling thread's name as the OS knows it: what `top -H`, `ps -L` and `/proc` show, at
/// most 15 bytes. A runner names its thread after the agent's role (or the builder's name)
/// through the OS, so this is the name to put in logs; `std::thread::current().name()` does
/// not see it. Read once, on the thread it names, into a buffer on the stack: no allocation.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, OsThreadName};
///
/// struct Namer(Option<String>);
/// impl Agent for Namer {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.0 = Some(OsThreadName::current().to_string());
///         Err(AgentError::terminate()) // one cycle is enough
///     }
///     fn on_close(&mut self) -> Result<(), AgentError> {
///         assert_eq!(self.0.as_deref(), Some("named-by-os"));
///         Ok(())
///     }
/// }
///
/// let report = AgentRunner::builder().name("named-by-os").start(|| Ok(Namer(None)))?.join()?;
/// assert!(report.is_clean(), "{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OsThreadName {
    buf: [u8; 16],
}

impl OsThreadName {
    /// The calling thread's OS name (empty if the OS gives none).
    pub fn current() -> Self {
        let mut buf = [0u8; 16];
        // SAFETY: `buf` is writable for its 16 bytes, the length passed (Linux's limit, NUL
        // included); pthread_self() is the calling thread, alive for the call.
        unsafe {
            libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len());
        }
        OsThreadName { buf }
    }

    /// The name's bytes, without the terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.buf.iter().position(|&b| b == 0).unwrap_or(self.buf.len());
        &self.buf[..end]
    }
}

impl Display for OsThreadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for OsThreadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OsThreadName").field(&String::from_utf8_lossy(self.as_bytes())).finish()
    }
}
