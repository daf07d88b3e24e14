// Dropping a runner at once stops its agent at once: an unused runner is a mistake.
#![deny(unused_must_use)]

use dutycycle::{Agent, AgentError, AgentRunner};

struct Idle;

impl Agent for Idle {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn main() {
    AgentRunner::start(|| Ok(Idle)).unwrap();
}
