//! The progress display on stderr.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// One line on stderr per step (rewritten in place on a terminal): elapsed time, step count,
/// what runs now.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    steps: usize,
    done: usize,
    tty: bool,
}

impl Progress {
    /// A display for `steps` steps.
    pub fn new(steps: usize) -> Progress {
        Progress { start: Instant::now(), steps, done: 0, tty: std::io::stderr().is_terminal() }
    }

    /// Announces the next step.
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        let line = format!(
            "[{:6.1} s] ({:>2}/{}) {what}",
            self.start.elapsed().as_secs_f64(),
            self.done.min(self.steps),
            self.steps
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Ends the display.
    pub fn finish(&self) {
        let mut err = std::io::stderr().lock();
        let end = format!("[{:6.1} s] done", self.start.elapsed().as_secs_f64());
        if self.tty {
            let _ = writeln!(err, "\r\x1b[2K{end}");
        } else {
            let _ = writeln!(err, "{end}");
        }
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}
