//! With the `tracing` feature, a cluster session's life is logged step by step on the thread
//! that polls the client: the connect (through a follower's redirect), the session opened, a
//! failover followed (the old leader perhaps lost first), the close and whether the cluster
//! was told; and a session that ends without being asked to, with why. The fake cluster of
//! tests/common answers; the capturing subscriber of the test-support crate records.
#![cfg(feature = "tracing")]

mod common;

use std::time::Duration;

use common::{serial, World};
use dutycycle::OsThreadName;
use dutycycle_cluster::{CloseOutcome, ClusterClientConfig, ClusterState};
use dutycycle_test_support::logs::{capture, events_where, Recorded};
use tracing::Level;

const LONG: Duration = Duration::from_secs(20);

/// The cluster client's events of this thread, in order.
fn cluster_events() -> Vec<Recorded> {
    events_where("thread", &OsThreadName::current().to_string())
        .into_iter()
        .filter(|e| e.target == "dutycycle_cluster")
        .collect()
}

fn names(events: &[Recorded]) -> Vec<&'static str> {
    events.iter().map(|e| e.name).collect()
}

#[test]
fn a_sessions_connect_failover_and_close_are_logged_in_order() {
    let _serial = serial();
    capture();
    let mut world = World::udp(3);
    world.fake.leader = 2;
    // Only a follower is configured: the connect goes through its REDIRECT.
    world.connect(&ClusterClientConfig::new().ingress_endpoints(world.fake.endpoint(0)));
    world.run_until("the session", LONG, |w| w.cluster().state() == ClusterState::Connected);
    let session = world.cluster().cluster_session_id().expect("session").to_string();

    world.fake.elect(1);
    world.run_until("the new leader", LONG, |w| {
        !w.heard.new_leaders.is_empty() && w.cluster().state() == ClusterState::Connected
    });
    assert_eq!(world.cluster().close().expect("close"), CloseOutcome::Requested);
    assert_eq!(world.cluster().close().expect("again"), CloseOutcome::AlreadyClosed);
    world.close();

    let all = cluster_events();
    // The old leader's egress image may close before its successor's NewLeaderEvent is read:
    // then the leader is lost first, right after the session opened, and found again.
    let lost: Vec<usize> =
        all.iter().enumerate().filter(|(_, e)| e.name == "leader_lost").map(|(i, _)| i).collect();
    assert!(lost.is_empty() || lost == [3], "{all:#?}");
    let events: Vec<Recorded> = all.into_iter().filter(|e| e.name != "leader_lost").collect();
    assert_eq!(
        names(&events),
        ["connecting", "redirected", "connected", "new_leader", "new_leader_connected", "closed"],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e.level == Level::DEBUG), "{events:#?}");
    let [connecting, redirected, connected, new_leader, reconnected, closed] = &events[..] else {
        unreachable!()
    };
    assert_eq!(connecting.field("members"), "1");
    assert!(connecting.field("ingress_channel").starts_with("aeron:udp"), "{connecting:?}");
    assert!(connecting.field("egress_channel").starts_with("aeron:udp"), "{connecting:?}");
    assert_eq!(redirected.field("leader_member_id"), "2");
    assert_eq!(
        (
            connected.field("cluster_session_id"),
            connected.field("leadership_term_id"),
            connected.field("leader_member_id")
        ),
        (session.as_str(), "1", "2")
    );
    assert_eq!(
        (
            new_leader.field("cluster_session_id"),
            new_leader.field("leadership_term_id"),
            new_leader.field("leader_member_id")
        ),
        (session.as_str(), "2", "1")
    );
    assert_eq!(reconnected.field("leader_member_id"), "1");
    assert_eq!(
        (closed.field("cluster_session_id"), closed.field("outcome")),
        (session.as_str(), "Requested")
    );
}

#[test]
fn a_session_that_loses_its_leader_for_good_is_logged_with_why_it_ended() {
    let _serial = serial();
    capture();
    let mut world = World::udp(1);
    let timeout = Duration::from_millis(300);
    world.connect(
        &ClusterClientConfig::new().ingress_endpoints(world.fake.endpoints()).new_leader_timeout(timeout),
    );
    world.run_until("the session", LONG, |w| w.cluster().state() == ClusterState::Connected);
    let before = cluster_events().len();

    world.fake.drop_egress();
    world.run_until("the end of the session", LONG, |w| !w.errors.is_empty());
    assert_eq!(world.cluster().close().expect("close"), CloseOutcome::AlreadyClosed);
    world.close();

    let events = cluster_events();
    let events = &events[before..];
    assert_eq!(names(events), ["leader_lost", "session_ended"], "{events:#?}");
    assert_eq!((events[0].field("leader_member_id"), events[0].field("timeout_ms")), ("0", "300"));
    let error = events[1].field("error");
    assert!(error.contains("no new cluster leader within 300ms"), "{error}");
}
