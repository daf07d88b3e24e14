// A channel captured by the factory cannot carry non-Send values off the agent thread: a
// Sender<Rc<_>> is not Send, so the factory holding it is not either.
use dutycycle::{Agent, AgentError, AgentRunner};
use std::rc::Rc;
use std::sync::mpsc;

struct Leaky {
    out: mpsc::Sender<Rc<()>>,
    handle: Rc<()>,
}

impl Agent for Leaky {
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.out.send(Rc::clone(&self.handle)).unwrap();
        Ok(1)
    }
}

fn main() {
    let (out, leaked) = mpsc::channel::<Rc<()>>();
    let _runner = AgentRunner::start(move || Ok(Leaky { out, handle: Rc::new(()) }));
    let _rc: Rc<()> = leaked.recv().unwrap();
}
