// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// An agent made on one thread cannot be closed on another: it is not `Send` (which is why
// runners build agents on their own thread, from a `Send` factory).
use dutycycle::{Agent, AgentError};
use dutycycle_aeron::ClientConfig;
use dutycycle_cluster::codec::SessionMessage;
use dutycycle_cluster::{ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, EgressListener};

struct Gateway;

impl EgressListener for Gateway {
    fn on_message(&mut self, _answer: &SessionMessage<'_>) {}
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, _cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        Ok(0)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut agent = ClusterAgent::connect(&ClientConfig::new(), &ClusterClientConfig::new(), Gateway)?;
    let closer = std::thread::spawn(move || {
        let _ = agent.on_close();
    });
    let _ = closer.join();
    Ok(())
}
