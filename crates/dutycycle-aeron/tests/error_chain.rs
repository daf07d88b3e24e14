//! Every error of the crate prints each cause once: `Display` says what failed and `source()`
//! says why, so that a reporter walking the chain (anyhow, eyre, tracing) prints no cause
//! twice. The errors here are real ones, made by the calls that users make.

mod common;

use std::error::Error;
use std::time::{Duration, Instant};

use common::serial;
use dutycycle::Agent;
use dutycycle_aeron::{
    AeronClient, Channel, ChannelError, ClientConfig, ClientError, DriverError, MediaDriverAgent,
    MediaDriverConfig, PublicationSlot,
};
use dutycycle_test_support::error_chain::{assert_each_cause_once, chain};

#[test]
fn setting_and_channel_errors_are_single_causes() {
    let invalid = MediaDriverConfig::new().mtu_length(1000).validate().unwrap_err();
    assert_each_cause_once(&invalid);
    assert_eq!(chain(&invalid).len(), 1);
    let invalid = ClientConfig::new().client_name("a\0b").validate().unwrap_err();
    assert_each_cause_once(&invalid);
    assert_eq!(chain(&invalid).len(), 1);
    let channel = "aeron:udp?endpoint=localhost".parse::<Channel>().unwrap_err();
    assert!(matches!(channel, ChannelError::InvalidEndpoint { .. }));
    assert_each_cause_once(&channel);
    assert_eq!(chain(&channel).len(), 1);
}

#[test]
fn directory_errors_name_the_directory_and_leave_the_os_error_to_the_source() {
    let file = std::env::temp_dir().join(format!("dutycycle-error-chain-{}", std::process::id()));
    std::fs::write(&file, b"not a directory").unwrap();
    let error = MediaDriverAgent::launch(MediaDriverConfig::new().dir(file.join("aeron"))).unwrap_err();
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(error, DriverError::DirNotWritable { .. }), "{error}");
    assert_each_cause_once(&error);
    assert_eq!(chain(&error).len(), 2, "the OS error is the source");
    assert!(error.source().unwrap().downcast_ref::<std::io::Error>().is_some());

    let no_driver = AeronClient::connect(&ClientConfig::new().dir(file.join("aeron"))).unwrap_err();
    assert!(matches!(no_driver, ClientError::NoDriver { .. }), "{no_driver}");
    assert_each_cause_once(&no_driver);
    assert_eq!(chain(&no_driver).len(), 1);
}

#[test]
fn aeron_errors_name_what_failed_and_leave_aerons_message_to_the_source() {
    let _serial = serial();
    let driver_config = MediaDriverConfig::new();
    let client_config =
        ClientConfig::new().dir(driver_config.aeron_dir()).driver_timeout(Duration::from_millis(500));
    let mut driver = MediaDriverAgent::launch(driver_config.clone()).unwrap();

    let active = MediaDriverAgent::launch(driver_config).unwrap_err();
    assert!(matches!(active, DriverError::AlreadyActive { .. }), "{active}");
    assert_each_cause_once(&active);
    assert_eq!(chain(&active).len(), 1);

    // The URI parses, but the driver refuses a term length that is not a power of two.
    let mut client = AeronClient::connect(&client_config).unwrap();
    let mut slot = PublicationSlot::new("aeron:ipc?term-length=1000".parse().unwrap(), 60);
    slot.add(&client).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let add = loop {
        assert!(Instant::now() < deadline, "no answer from the driver");
        driver.do_work().unwrap();
        client.do_work().unwrap();
        if let Err(error) = slot.poll() {
            break error;
        }
    };
    assert!(matches!(add, ClientError::Add { .. }), "{add}");
    assert_each_cause_once(&add);
    assert_eq!(chain(&add).len(), 2, "Aeron's call and message are the source");

    // The driver goes away: the client's conductor reports it, then the client closes itself.
    driver.on_close().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.iter().any(|e| matches!(e, ClientError::Closed { .. })) {
        assert!(Instant::now() < deadline, "the client never noticed its driver was gone: {seen:?}");
        if let Err(error) = client.do_work() {
            assert_each_cause_once(&error);
            seen.push(error);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(seen.iter().any(|e| matches!(e, ClientError::Conductor(_))), "{seen:?}");
    client.close().unwrap();
}
