// A DynamicCompositeControl crosses threads, and so does what it is given: an agent added to
// a running composite is built on the composite's thread by a Send factory. A factory that
// carries an agent built on this thread (its Rc) is refused, so the control cannot move a
// non-Send agent onto the composite's thread.
use std::rc::Rc;

use dutycycle::{Agent, AgentError, DynamicCompositeControl};

struct Poller {
    _not_send: Rc<()>,
}

impl Agent for Poller {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn main() {
    let control = DynamicCompositeControl::new();
    let built_here = Poller { _not_send: Rc::new(()) };
    let _pending = control.add(move || Ok(built_here));
}
