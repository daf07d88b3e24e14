// The error handler runs on the agent thread, so it must be Send: it cannot share an Rc with
// the caller's thread.
use dutycycle::{Agent, AgentError, AgentRunner, ErrorAction};
use std::cell::RefCell;
use std::rc::Rc;

struct Flaky;

impl Agent for Flaky {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Err(AgentError::msg("flaky"))
    }
}

fn main() {
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = Rc::clone(&seen);
    let _runner = AgentRunner::builder()
        .error_handler(move |_, err| {
            sink.borrow_mut().push(err.to_string());
            ErrorAction::Continue
        })
        .start(|| Ok(Flaky));
}
