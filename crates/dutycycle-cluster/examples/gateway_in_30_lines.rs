//! A cluster gateway on dutycycle, the one in docs/CLUSTER.md: numbered requests to a cluster
//! that echoes them (aeron-all's EchoServiceNode on the endpoints below), resent after a
//! failover, the answers deduplicated by number. Ctrl-C or SIGTERM ends it, cleanly:
//! `cargo run -p dutycycle-cluster --example gateway_in_30_lines`
use dutycycle::{AgentError, AgentRunner, AgentTermination};
use dutycycle_aeron::{ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::{NewLeaderEvent, SessionMessage};
use dutycycle_cluster::{ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig as Config};

/// Requests below `next` were sent, those below `answered` answered.
#[derive(Default)]
struct Gateway {
    next: u64,
    answered: u64,
}

impl dutycycle_cluster::EgressListener for Gateway {
    fn on_message(&mut self, answer: &SessionMessage<'_>) {
        if answer.payload.get(..8) == Some(&self.answered.to_le_bytes()[..]) {
            self.answered += 1; // the next answer in order; a duplicate or a stray is dropped
        }
    }

    fn on_new_leader(&mut self, _: &NewLeaderEvent<'_>) {
        self.next = self.answered; // ingress is at most once across a failover: resend
    }
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        let sent = self.next < self.answered + 16 && cluster.offer(&self.next.to_le_bytes()).is_ok();
        self.next += u64::from(sent);
        Ok(usize::from(sent))
    }

    fn on_close(&mut self, _: &mut ClusterClient) -> Result<(), AgentError> {
        println!("answered {}, {} in flight", self.answered, self.next - self.answered);
        Ok(()) // then the agent closes the session and its Aeron client, on this thread
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = Config::new().ingress_endpoints("0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202");
    cluster.validate()?; // a bad endpoint list fails here, before anything starts
    let (driver_config, driver_stop) = (MediaDriverConfig::new(), AgentTermination::new());
    let aeron = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver = AgentRunner::builder().name("driver").termination(driver_stop.clone());
    let driver = driver.start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;
    let gateway = AgentRunner::builder().name("gateway").termination(AgentTermination::from_signals()?);
    let gateway = gateway.start(move || Ok(ClusterAgent::connect(&aeron, &cluster, Gateway::default())?))?;
    println!("gateway: {}", gateway.join()?); // built, polled and closed on the gateway's thread
    driver_stop.signal(); // the driver last, after the session's close request went out
    println!("driver: {}", driver.join()?);
    Ok(())
}
