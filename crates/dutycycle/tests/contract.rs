//! The smallest whole program of the public API (an agent that is not `Send`, built by its
//! factory on a pinned runner, stopped through its latch, joined for its report), compiled and
//! run as written.

use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, BackoffIdleStrategy};
use std::rc::Rc;

struct Ticker {
    ticks: u64,
    _not_send: Rc<()>,
}

impl Agent for Ticker {
    fn role_name(&self) -> &str {
        "ticker"
    }
    fn on_start(&mut self) -> Result<(), AgentError> {
        Ok(())
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.ticks += 1;
        Ok(1)
    }
    fn on_close(&mut self) -> Result<(), AgentError> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder()
        .name("ticker")
        .core(0)
        .idle_strategy(BackoffIdleStrategy::default())
        .termination(termination.clone())
        .start(|| Ok(Ticker { ticks: 0, _not_send: Rc::new(()) }))?;
    std::thread::sleep(std::time::Duration::from_millis(10));
    termination.signal();
    let report = runner.join()?;
    assert!(report.duty_cycles() > 0);
    Ok(())
}

#[test]
fn the_contract_program_compiles_and_runs() {
    main().unwrap();
}
