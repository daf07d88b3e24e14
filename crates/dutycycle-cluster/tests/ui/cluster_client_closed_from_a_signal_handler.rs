// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// A signal handler runs on whichever thread the signal interrupts, in the middle of whatever
// that thread was doing: the cluster client, which holds rusteron's `Rc` handles, is neither
// `Send` nor `Sync`, so a handler cannot capture it.
use dutycycle_aeron::{AeronClient, ClientConfig};
use dutycycle_cluster::{ClusterClient, ClusterClientConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aeron = AeronClient::connect(&ClientConfig::new())?;
    let mut cluster = ClusterClient::connect(&aeron, &ClusterClientConfig::new())?;
    // SAFETY: none is possible: the handler would close the client under the polling thread.
    unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGTERM, move || {
            let _ = cluster.close();
        })?;
    }
    Ok(())
}
