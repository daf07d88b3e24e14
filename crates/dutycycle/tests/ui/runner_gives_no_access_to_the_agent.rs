// The runner handle crosses threads; the agent must not. So the handle has no way to reach it.
use dutycycle::{Agent, AgentError, AgentRunner};

struct Counter {
    count: u64,
}

impl Agent for Counter {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.count += 1;
        Ok(1)
    }
}

fn main() {
    let runner = AgentRunner::start(|| Ok(Counter { count: 0 })).unwrap();
    let _count = runner.agent().count;
}
