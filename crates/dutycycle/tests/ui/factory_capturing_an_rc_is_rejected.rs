// The factory moves to the agent thread, so it must be Send: it cannot carry an Rc there
// (the agent it builds may hold Rcs; they are created on the agent thread).
use dutycycle::{Agent, AgentError, AgentRunner};
use std::rc::Rc;

struct Shared {
    config: Rc<String>,
}

impl Agent for Shared {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(self.config.len())
    }
}

fn main() {
    let config = Rc::new(String::from("caller's"));
    let _runner = AgentRunner::start(move || Ok(Shared { config }));
}
