// An AgentInvoker drives its agent on the caller's thread: an invoker whose agent holds an Rc
// is not Send, so it cannot be moved to another thread.
use dutycycle::{Agent, AgentError, AgentInvoker};
use std::rc::Rc;

struct Local {
    _handle: Rc<()>,
}

impl Agent for Local {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn main() {
    let mut invoker = AgentInvoker::new(Local { _handle: Rc::new(()) });
    std::thread::spawn(move || {
        invoker.start();
        invoker.invoke();
    });
}
