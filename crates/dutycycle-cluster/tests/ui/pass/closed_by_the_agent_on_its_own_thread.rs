// The right way, and it runs: SIGTERM only signals the runner's termination latch (the
// handlers `AgentTermination::from_signals` installs do nothing else); the gateway agent,
// which made its Aeron client and cluster session on its own thread, closes them there in
// `on_close`, after its last duty cycle, when no poll can be running.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutycycle::{AgentError, AgentRunner, AgentTermination};
use dutycycle_aeron::{ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::SessionMessage;
use dutycycle_cluster::{ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, EgressListener};

struct Gateway {
    closed_on: Arc<Mutex<Option<String>>>,
}

impl EgressListener for Gateway {
    fn on_message(&mut self, _answer: &SessionMessage<'_>) {}
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, _cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        Ok(0)
    }

    fn on_close(&mut self, _cluster: &mut ClusterClient) -> Result<(), AgentError> {
        // ClusterAgent closes the session and then the Aeron client right after this, here.
        *self.closed_on.lock().unwrap() = std::thread::current().name().map(str::to_owned);
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let driver_config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver_termination = AgentTermination::new();
    let driver = AgentRunner::builder()
        .name("driver")
        .termination(driver_termination.clone())
        .start(move || Ok(MediaDriverAgent::launch(driver_config)?))?;

    // Nothing listens on port 9: the session stays connecting until the agent stops.
    let cluster = ClusterClientConfig::new()
        .ingress_endpoints("0=127.0.0.1:9")
        .message_timeout(Duration::from_secs(60));
    let termination = AgentTermination::from_signals()?;
    let closed_on = Arc::new(Mutex::new(None));
    let logic = Gateway { closed_on: Arc::clone(&closed_on) };
    let gateway = AgentRunner::builder()
        .name("gateway")
        .termination(termination)
        .start(move || Ok(ClusterAgent::connect(&client, &cluster, logic)?))?;

    signal_hook::low_level::raise(signal_hook::consts::SIGTERM)?; // as `kill -TERM <pid>`
    let report = gateway.join()?;
    assert!(report.is_clean(), "{report}");
    assert_eq!(closed_on.lock().unwrap().as_deref(), Some("gateway"));

    driver_termination.signal();
    assert!(driver.join()?.is_clean());
    Ok(())
}
