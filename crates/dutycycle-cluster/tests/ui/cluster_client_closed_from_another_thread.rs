// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// Closing the cluster client on another thread than the one polling it is the same race:
// the client is not `Send`, so it cannot move to that thread.
use dutycycle_aeron::{AeronClient, ClientConfig};
use dutycycle_cluster::{ClusterClient, ClusterClientConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aeron = AeronClient::connect(&ClientConfig::new())?;
    let mut cluster = ClusterClient::connect(&aeron, &ClusterClientConfig::new())?;
    let closer = std::thread::spawn(move || {
        let _ = cluster.close();
    });
    let _ = closer.join();
    Ok(())
}
