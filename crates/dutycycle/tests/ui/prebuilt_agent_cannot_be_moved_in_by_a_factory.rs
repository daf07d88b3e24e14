// Wrapping an agent built on the caller's thread in a closure does not help: the closure
// would carry the agent's Rc to the agent thread, and it is not Send.
use dutycycle::{Agent, AgentError, AgentRunner};
use std::rc::Rc;

struct Ticker {
    _handle: Rc<()>,
}

impl Agent for Ticker {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn main() {
    let agent = Ticker { _handle: Rc::new(()) };
    let _runner = AgentRunner::builder().name("ticker").start(move || Ok(agent));
}
