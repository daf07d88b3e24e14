//! With the `tracing` feature, an Aeron client agent's life is logged step by step: the
//! runner's events (role, thread) with the client's connect and close, the adds and the images
//! between them, all on the agent's thread. The capturing subscriber of the test-support crate
//! records them.
#![cfg(feature = "tracing")]

mod common;

use std::time::Duration;

use common::{serial, wait_until};
use dutycycle::{AgentError, AgentRunner};
use dutycycle_aeron::{
    AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, MediaDriverAgent, MediaDriverConfig,
    PublicationSlot, SubscriptionSlot,
};
use dutycycle_test_support::logs::{capture, events_where, Recorded};
use tracing::Level;

/// Publishes to itself on IPC; ends itself once its subscription sees its publication's image.
struct Loopback {
    out: PublicationSlot,
    input: SubscriptionSlot,
}

impl ClientAgent for Loopback {
    fn role_name(&self) -> &str {
        "loopback"
    }
    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.add(client)?;
        Ok(self.input.add(client)?)
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let work = self.out.poll()? + self.input.poll()?;
        if self.input.next_image_event().is_some() {
            return Err(AgentError::terminate());
        }
        Ok(work)
    }
    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.close()?;
        Ok(self.input.close()?)
    }
}

#[test]
fn an_aeron_client_agents_life_is_logged_step_by_step() {
    let _serial = serial();
    capture();
    let driver_config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver = AgentRunner::builder()
        .name("logs-driver")
        .start(move || Ok(MediaDriverAgent::launch(driver_config)?))
        .unwrap();
    let runner = AgentRunner::builder()
        .name("logs-client")
        .start(move || {
            let logic = Loopback {
                out: PublicationSlot::new(Channel::ipc(), 77),
                input: SubscriptionSlot::new(Channel::ipc(), 77),
            };
            Ok(AeronAgent::connect(&client, logic)?)
        })
        .unwrap();
    assert!(wait_until(Duration::from_secs(30), || !runner.is_running()), "no image seen");
    runner.join().unwrap();
    driver.close().unwrap();

    let events = events_where("thread", "logs-client");
    let names: Vec<&str> = events.iter().map(|e| e.name).filter(|n| *n != "image").collect();
    assert_eq!(
        names,
        [
            "thread_spawned",
            "client_connecting",
            "client_connected",
            "factory_built",
            "on_start_begun",
            "add_begun",
            "add_begun",
            "on_start_ended",
            "add_done",
            "add_done",
            "duty_cycle_ended",
            "on_close_begun",
            "client_closing",
            "client_closed",
            "on_close_ended",
            "dropped",
            "report",
        ]
    );
    assert!(events.iter().all(|e| e.level == Level::DEBUG), "{events:?}");
    let image = events.iter().find(|e| e.name == "image").expect("the image event, on the agent thread");
    assert_eq!(image.target, "dutycycle_aeron");
    assert_eq!(image.field("available"), "true");
    assert_eq!(image.field("stream_id"), "77");
    let adds: Vec<&Recorded> = events.iter().filter(|e| e.name == "add_begun").collect();
    assert_eq!(adds[0].field("kind"), "publication");
    assert_eq!(adds[1].field("kind"), "subscription");
    assert_eq!(adds[1].field("channel"), "aeron:ipc");

    let driver_events: Vec<&str> = events_where("thread", "logs-driver")
        .iter()
        .map(|e| e.name)
        .filter(|name| name.starts_with("driver"))
        .collect();
    assert_eq!(driver_events, ["driver_launching", "driver_started", "driver_closing", "driver_closed"]);
}
