// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// The agent that owns the Aeron client and the cluster session is no more `Send` or `Sync`
// than they are: a handler cannot run its `on_close`.
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
    // SAFETY: none is possible: the handler would close the agent under its duty cycle.
    unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGTERM, move || {
            let _ = agent.on_close();
        })?;
    }
    Ok(())
}
