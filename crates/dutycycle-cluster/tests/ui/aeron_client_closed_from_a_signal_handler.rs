// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// The Aeron client under the cluster session is the same kind of handle: a signal handler
// cannot close it.
use dutycycle_aeron::{AeronClient, ClientConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aeron = AeronClient::connect(&ClientConfig::new())?;
    // SAFETY: none is possible: the handler would close the client under its users.
    unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGTERM, move || {
            let _ = aeron.close();
        })?;
    }
    Ok(())
}
