// Joining hands back a report, not the agent: the agent is closed and dropped on its thread.
use dutycycle::{Agent, AgentError, AgentRunner};

struct Counter {
    count: u64,
}

impl Agent for Counter {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.count += 1;
        Err(AgentError::terminate())
    }
}

fn main() {
    let report = AgentRunner::start(|| Ok(Counter { count: 0 })).unwrap().join().unwrap();
    let _agent: Counter = report.into_agent();
}
