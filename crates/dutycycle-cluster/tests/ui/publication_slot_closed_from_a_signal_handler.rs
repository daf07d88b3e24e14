// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// A publication being added or ready is a handle of the owning thread's Aeron client: a
// signal handler cannot close it.
use dutycycle_aeron::{AeronClient, Channel, ClientConfig, PublicationSlot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aeron = AeronClient::connect(&ClientConfig::new())?;
    let mut ingress = PublicationSlot::new(Channel::ipc(), 101);
    ingress.add(&aeron)?;
    // SAFETY: none is possible: the handler would close the publication under an offer.
    unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGTERM, move || {
            let _ = ingress.close();
        })?;
    }
    Ok(())
}
