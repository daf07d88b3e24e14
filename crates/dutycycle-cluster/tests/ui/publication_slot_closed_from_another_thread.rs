// The crash this suite guards against: an Aeron Cluster gateway died with SIGSEGV during a
// cluster failover because the main thread's signal handler closed the AeronCluster client
// while the gateway thread was still polling egress on it.
// Nor can another thread close a publication slot: it is not `Send`.
use dutycycle_aeron::{AeronClient, Channel, ClientConfig, PublicationSlot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aeron = AeronClient::connect(&ClientConfig::new())?;
    let mut ingress = PublicationSlot::new(Channel::ipc(), 101);
    ingress.add(&aeron)?;
    let closer = std::thread::spawn(move || ingress.close());
    let _ = closer.join();
    Ok(())
}
