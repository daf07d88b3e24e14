// A runner builds its agent on the agent thread from a factory; an agent value cannot be
// handed over instead, even one that is Send.
use dutycycle::{Agent, AgentError, AgentRunner};

struct Ticker {
    ticks: u64,
}

impl Agent for Ticker {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.ticks += 1;
        Ok(1)
    }
}

fn main() {
    let agent = Ticker { ticks: 0 };
    let _runner = AgentRunner::start(agent);
}
