// An AgentError travels from the agent thread to whoever joins it, so it must be Send: an
// error holding an Rc (an agent's handle, say) is refused, by `new` and by `?` alike.
use dutycycle::{Agent, AgentError};
use std::fmt;
use std::rc::Rc;

#[derive(Debug)]
struct HandleLost {
    handle: Rc<()>,
}

impl fmt::Display for HandleLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handle lost ({} owners)", Rc::strong_count(&self.handle))
    }
}

impl std::error::Error for HandleLost {}

struct Gateway {
    handle: Rc<()>,
}

impl Agent for Gateway {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Err(AgentError::new(HandleLost { handle: Rc::clone(&self.handle) }))
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        Err(HandleLost { handle: Rc::clone(&self.handle) })?;
        Ok(())
    }
}

fn main() {}
