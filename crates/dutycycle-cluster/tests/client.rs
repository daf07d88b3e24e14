//! The cluster client against a scripted fake cluster (tests/common) over a real embedded
//! media driver: connect, redirect, challenge, refusals, timeouts, keep-alives, a new leader,
//! a lost leader, session events, reassembly, close.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{serial, Seen, World};
use dutycycle_cluster::codec::*;
use dutycycle_cluster::*;

const LONG: Duration = Duration::from_secs(20);

fn config(world: &World) -> ClusterClientConfig {
    ClusterClientConfig::new().ingress_endpoints(world.fake.endpoints()).client_name("test")
}

fn connected(world: &mut World) -> bool {
    world.cluster().state() == ClusterState::Connected
}

/// Offers `count` numbered messages and waits for their echoes.
fn echo(world: &mut World, count: u32) {
    let first = world.heard.messages.len();
    let mut sent = 0u32;
    world.run_until("echoes", LONG, |w| {
        if sent < count && w.cluster().offer(&sent.to_le_bytes()).is_ok() {
            sent += 1;
        }
        w.heard.messages.len() == first + count as usize
    });
    let payloads: Vec<Vec<u8>> = world.heard.messages[first..].iter().map(|m| m.payload.clone()).collect();
    let expected: Vec<Vec<u8>> = (0..count).map(|i| i.to_le_bytes().to_vec()).collect();
    assert_eq!(payloads, expected, "echoes in order, each once");
}

#[test]
fn connects_echoes_and_closes_with_a_close_request() {
    let _serial = serial();
    let mut world = World::udp(3);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);

    let session = world.cluster().cluster_session_id().expect("session id");
    assert_eq!(world.cluster().leader_member_id(), Some(0));
    assert_eq!(world.cluster().leadership_term_id(), Some(1));
    assert_eq!(world.heard.connected, vec![(session, 1, 0)]);
    let Some(Seen::Connect { response_channel, client_info, .. }) = world.fake.seen.first().cloned() else {
        panic!("{:?}", world.fake.seen)
    };
    assert!(response_channel.starts_with("aeron:udp?endpoint=127.0.0.1:"), "{response_channel}");
    assert!(
        !response_channel.contains("127.0.0.1:0|") && response_channel.contains("rejoin=false"),
        "{response_channel}"
    );
    assert!(client_info.starts_with("name=test "), "{client_info}");

    echo(&mut world, 100);
    assert!(world.heard.messages.iter().all(|m| m.session == session && m.term == 1 && m.timestamp == 7));

    let outcome = world.cluster().close().expect("close");
    assert_eq!(outcome, CloseOutcome::Requested);
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    assert_eq!(world.cluster().close().expect("again"), CloseOutcome::AlreadyClosed);
    world.run_until("the close request", LONG, |w| {
        w.fake.seen.iter().any(|s| matches!(s, Seen::Close { .. }))
    });
    assert!(world.fake.seen.contains(&Seen::Close { member: 0, term: 1, session }));
    assert!(world.errors.is_empty(), "{:?}", world.errors);
    world.close();
}

#[test]
fn a_follower_redirects_to_the_leader() {
    let _serial = serial();
    let mut world = World::udp(3);
    world.fake.leader = 2;
    // Only the follower is configured: the connect must go through its REDIRECT.
    let config = ClusterClientConfig::new().ingress_endpoints(world.fake.endpoint(0));
    world.connect(&config);
    world.run_until("the session", LONG, connected);

    let connects: Vec<i32> =
        world.fake.seen.iter().filter(|s| matches!(s, Seen::Connect { .. })).map(Seen::member).collect();
    assert_eq!(connects, vec![0, 2]);
    assert_eq!(world.cluster().leader_member_id(), Some(2));
    echo(&mut world, 10);
    assert!(world.fake.seen.iter().filter(|s| matches!(s, Seen::Message { .. })).all(|s| s.member() == 2));
    world.close();
}

#[derive(Debug)]
struct Password(&'static [u8]);

impl CredentialsSupplier for Password {
    fn encoded_credentials(&self) -> Vec<u8> {
        b"hello".to_vec()
    }

    fn on_challenge(&self, challenge: &[u8]) -> Vec<u8> {
        [self.0, challenge].concat()
    }
}

#[test]
fn a_challenge_is_answered_with_the_suppliers_credentials() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.challenge = Some(b"-nonce".to_vec());
    world.fake.script.credentials = b"secret-nonce".to_vec();
    world.connect(&config(&world).credentials(Arc::new(Password(b"secret"))));
    world.run_until("the session", LONG, connected);

    assert!(matches!(&world.fake.seen[0], Seen::Connect { credentials, .. } if credentials == b"hello"));
    let Seen::ChallengeResponse { session, credentials, .. } = &world.fake.seen[1] else {
        panic!("{:?}", world.fake.seen)
    };
    assert_eq!(credentials, b"secret-nonce");
    assert_eq!(Some(*session), world.cluster().cluster_session_id());
    echo(&mut world, 3);
    world.close();
}

#[test]
fn wrong_credentials_end_the_connect_with_a_typed_error() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.challenge = Some(b"-nonce".to_vec());
    world.fake.script.credentials = b"secret-nonce".to_vec();
    world.connect(&config(&world).credentials(Arc::new(Password(b"guess"))));
    world.run_until("the rejection", LONG, |w| !w.errors.is_empty());
    assert!(matches!(world.errors[0], ClusterError::AuthenticationRejected { .. }), "{:?}", world.errors);
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    world.close();
}

#[test]
fn a_refused_connect_is_a_typed_error_with_the_clusters_reason() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.reject = Some("too many sessions".to_owned());
    world.connect(&config(&world));
    world.run_until("the refusal", LONG, |w| !w.errors.is_empty());
    match &world.errors[0] {
        ClusterError::ConnectRejected { detail } => assert_eq!(detail, "too many sessions"),
        other => panic!("{other:?}"),
    }
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    assert_eq!(world.cluster().offer(b"x"), Err(OfferError::NotConnected { state: ClusterState::Closed }));
    world.close();
}

#[test]
fn a_connect_nobody_answers_times_out_at_the_step_it_reached() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.silent = true;
    let timeout = Duration::from_millis(500);
    world.connect(&config(&world).message_timeout(timeout));
    assert!(matches!(
        world.cluster().offer(b"early"),
        Err(OfferError::NotConnected { state: ClusterState::Connecting(_) })
    ));
    let started = Instant::now();
    world.run_until("the timeout", LONG, |w| !w.errors.is_empty());
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < timeout + Duration::from_secs(5), "{elapsed:?}");
    match &world.errors[0] {
        ClusterError::ConnectTimeout { step, timeout: t, .. } => {
            assert_eq!(*step, ConnectStep::AwaitResponse);
            assert_eq!(*t, timeout);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    world.close();
}

#[test]
fn a_connect_to_endpoints_without_a_cluster_times_out_awaiting_ingress() {
    let _serial = serial();
    let mut world = World::udp(1);
    // A port where nothing listens: the publication never connects.
    let config = ClusterClientConfig::new()
        .ingress_endpoints("0=127.0.0.1:9")
        .message_timeout(Duration::from_millis(300));
    world.connect(&config);
    world.run_until("the timeout", LONG, |w| !w.errors.is_empty());
    let error = &world.errors[0];
    assert!(
        matches!(error, ClusterError::ConnectTimeout { step: ConnectStep::AwaitIngressConnected, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("0=127.0.0.1:9 not connected"), "{error}");
    world.close();
}

#[test]
fn keep_alives_go_out_when_there_is_no_other_ingress() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world).keep_alive_interval(Duration::from_millis(100)));
    world.run_until("the session", LONG, connected);
    let keep_alives = |w: &World| w.fake.seen.iter().filter(|s| matches!(s, Seen::KeepAlive { .. })).count();

    world.run_for(Duration::from_millis(1000));
    let idle = keep_alives(&world);
    assert!((5..=12).contains(&idle), "{idle} keep-alives in 1 s at a 100 ms interval");

    // Messages every 20 ms are ingress enough: no keep-alive among them.
    let deadline = Instant::now() + Duration::from_millis(600);
    let mut next = Instant::now();
    while Instant::now() < deadline {
        if Instant::now() >= next {
            world.cluster().offer(b"busy").expect("offer");
            next += Duration::from_millis(20);
        }
        world.turn();
    }
    assert!(keep_alives(&world) - idle <= 1, "keep-alives while busy: {}", keep_alives(&world) - idle);
    let session = world.cluster().cluster_session_id().unwrap();
    assert!(world
        .fake
        .seen
        .iter()
        .all(|s| !matches!(s, Seen::KeepAlive { term, session: id, .. } if (*term, *id) != (1, session))));
    world.close();
}

#[test]
fn the_session_follows_a_new_leader_with_a_keep_alive_first() {
    let _serial = serial();
    let mut world = World::udp(3);
    world.connect(&config(&world).keep_alive_interval(Duration::from_secs(60)));
    world.run_until("the session", LONG, connected);
    let session = world.cluster().cluster_session_id().unwrap();
    echo(&mut world, 5);

    world.fake.elect(1);
    world.run_until("the new leader", LONG, |w| !w.heard.new_leaders.is_empty() && connected(w));
    assert_eq!(world.heard.new_leaders, vec![(2, 1)]);
    assert_eq!(world.cluster().leader_member_id(), Some(1));
    assert_eq!(world.cluster().leadership_term_id(), Some(2));
    assert_eq!(world.cluster().cluster_session_id(), Some(session), "the same session");
    world.run_until("ingress at the new leader", LONG, |w| w.fake.seen.iter().any(|s| s.member() == 1));
    let first_to_new_leader = world.fake.seen.iter().find(|s| s.member() == 1).cloned();
    assert_eq!(first_to_new_leader, Some(Seen::KeepAlive { member: 1, term: 2, session }));

    echo(&mut world, 20);
    assert!(world.heard.messages[5..].iter().all(|m| m.term == 2));
    assert!(world.errors.is_empty(), "{:?}", world.errors);
    world.close();
}

#[test]
fn a_lost_leader_without_a_successor_ends_the_session_after_the_new_leader_timeout() {
    let _serial = serial();
    let mut world = World::udp(1);
    let timeout = Duration::from_millis(500);
    world.connect(&config(&world).new_leader_timeout(timeout));
    world.run_until("the session", LONG, connected);
    assert_eq!(world.cluster().new_leader_timeout(), timeout);

    world.fake.drop_egress();
    world.run_until("the leader's loss", LONG, |w| w.cluster().state() != ClusterState::Connected);
    assert_eq!(world.cluster().state(), ClusterState::AwaitingNewLeader);
    assert!(matches!(
        world.cluster().offer(b"x"),
        Err(OfferError::NotConnected { state: ClusterState::AwaitingNewLeader })
    ));
    let lost = Instant::now();
    world.run_until("the timeout", LONG, |w| !w.errors.is_empty());
    assert!(lost.elapsed() >= timeout - Duration::from_millis(50), "{:?}", lost.elapsed());
    assert!(
        matches!(world.errors[0], ClusterError::NewLeaderTimeout { timeout: t } if t == timeout),
        "{:?}",
        world.errors
    );
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    world.close();
}

#[test]
fn a_new_leader_whose_ingress_never_connects_ends_the_session_after_the_message_timeout() {
    let _serial = serial();
    let mut world = World::udp(2);
    let timeout = Duration::from_millis(500);
    world.connect(&config(&world).message_timeout(timeout));
    world.run_until("the session", LONG, connected);

    let endpoints = format!("{},1=127.0.0.1:9", world.fake.endpoint(0)); // nothing listens on 9
    world.fake.elect_announcing(1, &endpoints);
    world.run_until("the new leader", LONG, |w| !w.heard.new_leaders.is_empty());
    assert_eq!(world.cluster().state(), ClusterState::AwaitingNewLeaderConnection);
    world.run_until("the timeout", LONG, |w| !w.errors.is_empty());
    assert!(
        matches!(world.errors[0], ClusterError::NewLeaderConnectTimeout { leader_member_id: 1, timeout: t } if t == timeout),
        "{:?}",
        world.errors
    );
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    world.close();
}

#[test]
fn unusable_endpoints_in_a_new_leader_event_are_reported_and_the_client_goes_on() {
    let _serial = serial();
    let mut world = World::udp(2);
    world.connect(&config(&world).message_timeout(Duration::from_millis(500)));
    world.run_until("the session", LONG, connected);

    world.fake.elect_announcing(1, "0=127.0.0.1:1,1=nowhere");
    world.run_until("the error", LONG, |w| !w.errors.is_empty());
    assert!(
        matches!(world.errors[0], ClusterError::Endpoints(EndpointsError::InvalidEndpoint { .. })),
        "{:?}",
        world.errors
    );
    assert_eq!(world.cluster().state(), ClusterState::AwaitingNewLeaderConnection, "not over yet");
    world.run_until("the timeout", LONG, |w| w.errors.len() == 2);
    assert!(matches!(world.errors[1], ClusterError::NewLeaderConnectTimeout { .. }), "{:?}", world.errors);
    world.close();
}

#[test]
fn the_new_leader_timeout_is_twice_the_leaders_heartbeat_timeout() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.heartbeat_ns = Some(250_000_000);
    world.connect(&config(&world));
    assert_eq!(world.cluster().new_leader_timeout(), Duration::from_secs(20), "until OK: the fallback");
    world.run_until("the session", LONG, connected);
    let timeout = Duration::from_millis(500);
    assert_eq!(world.cluster().new_leader_timeout(), timeout);

    // And it is the timeout the client waits for a new leader with.
    world.fake.drop_egress();
    world.run_until("the leader's loss", LONG, |w| w.cluster().state() == ClusterState::AwaitingNewLeader);
    let lost = Instant::now();
    world.run_until("the timeout", LONG, |w| !w.errors.is_empty());
    let waited = lost.elapsed();
    assert!(waited >= timeout - Duration::from_millis(50) && waited < timeout * 10, "{waited:?}");
    assert!(
        matches!(world.errors[0], ClusterError::NewLeaderTimeout { timeout: t } if t == timeout),
        "{:?}",
        world.errors
    );
    world.close();
}

#[test]
fn a_reconnect_starts_from_the_fallback_new_leader_timeout_until_ok() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.heartbeat_ns = Some(250_000_000);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    assert_eq!(world.cluster().new_leader_timeout(), Duration::from_millis(500));

    // The next session's leader may send another heartbeat timeout, or none.
    world.fake.script.heartbeat_ns = None;
    world.cluster().reconnect().expect("reconnect");
    let fallback = ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT;
    assert_eq!(
        world.cluster().new_leader_timeout(),
        fallback,
        "until OK: the fallback, not the last session's"
    );
    world.run_until("the second session", LONG, connected);
    assert_eq!(world.cluster().new_leader_timeout(), fallback);
    world.close();
}

#[test]
fn without_the_leaders_heartbeat_timeout_the_new_leader_timeout_is_20_s_unless_configured() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.fake.script.heartbeat_ns = None; // an older cluster, or a null value
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    assert_eq!(world.cluster().new_leader_timeout(), ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT);
    assert_eq!(ClusterClientConfig::FALLBACK_NEW_LEADER_TIMEOUT, Duration::from_secs(20));

    let configured = Duration::from_millis(1234);
    world.cluster = None;
    world.connect(&config(&world).new_leader_timeout(configured));
    assert_eq!(world.cluster().new_leader_timeout(), configured);
    world.fake.script.heartbeat_ns = Some(250_000_000);
    world.run_until("the second session", LONG, connected);
    assert_eq!(world.cluster().new_leader_timeout(), configured, "the configured value wins");
    world.close();
}

#[test]
fn a_closed_session_event_ends_the_session() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    let session = world.cluster().cluster_session_id().unwrap();
    let last_words =
        SessionMessage { leadership_term_id: 1, cluster_session_id: session, timestamp: 0, payload: b"bye" };
    let mut bytes = vec![0; last_words.encoded_length()];
    last_words.encode(&mut bytes).unwrap();
    world.fake.send(session, bytes);
    world.fake.close_session(session, "timeout");
    world.run_until("the close", LONG, |w| !w.errors.is_empty());
    assert_eq!(world.heard.events, vec![(EventCode::Closed, "timeout".to_owned())]);
    assert_eq!(world.heard.messages.len(), 1, "what came before the event is delivered");
    match &world.errors[0] {
        ClusterError::SessionClosed { cluster_session_id, detail } => {
            assert_eq!((*cluster_session_id, detail.as_str()), (session, "timeout"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    assert_eq!(world.cluster().close().expect("close"), CloseOutcome::AlreadyClosed);
    world.run_for(Duration::from_millis(100));
    assert!(
        !world.fake.seen.iter().any(|s| matches!(s, Seen::Close { .. })),
        "a session the cluster closed gets no close request"
    );
    world.close();
}

#[test]
fn an_offer_at_the_maximum_position_leaves_the_session_pending_close_until_the_next_poll() {
    let _serial = serial();
    let mut world = World::udp(1);
    // Ingress starts 2 KiB before the end of the last term a publication can have (term
    // count 2^31 - 1): the connect request fits, three 512-byte messages fit, the fourth
    // meets the maximum position.
    let channel = "aeron:udp?term-length=64k|init-term-id=0|term-id=2147483647|term-offset=63488";
    world.connect(&config(&world).ingress_channel(channel));
    world.run_until("the session", LONG, connected);
    let payload = [5u8; 512];
    let mut accepted = 0;
    let refused = loop {
        match world.cluster().offer(&payload) {
            Ok(_) => accepted += 1,
            Err(OfferError::BackPressured | OfferError::AdminAction) => {}
            Err(error) => break error,
        }
        assert!(accepted <= 4, "the maximum position was not met");
        world.turn_others();
    };
    assert_eq!(refused, OfferError::MaxPositionExceeded);
    assert_eq!(accepted, 3);
    assert_eq!(world.cluster().state(), ClusterState::PendingClose);
    let again = world.cluster().offer(&payload).unwrap_err();
    assert_eq!(again, OfferError::NotConnected { state: ClusterState::PendingClose });
    assert!(!again.is_retryable());

    // The echoes of what went out still reach the listener in the poll that closes.
    world.run_until("the three messages", LONG, |w| {
        w.turn_others();
        w.fake.seen.iter().filter(|s| matches!(s, Seen::Message { .. })).count() == 3
    });
    let deadline = Instant::now() + Duration::from_millis(300);
    while Instant::now() < deadline {
        world.turn_others();
    }
    let mut heard = common::Heard::default();
    let closing = world.cluster().poll(&mut heard);
    assert!(matches!(closing, Err(ClusterError::MaxPositionExceeded)), "{closing:?}");
    assert_eq!(heard.messages.len(), 3);
    assert_eq!(world.cluster().state(), ClusterState::Closed);
    assert!(matches!(world.cluster().poll(&mut heard), Ok(0)), "reported once");
    world.close();
}

#[test]
fn only_the_sessions_own_messages_are_delivered() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    let session = world.cluster().cluster_session_id().unwrap();
    let message = |session, payload: &'static [u8]| {
        let m = SessionMessage { leadership_term_id: 1, cluster_session_id: session, timestamp: 0, payload };
        let mut bytes = vec![0; m.encoded_length()];
        m.encode(&mut bytes).unwrap();
        bytes
    };
    world.fake.send(session, message(session + 1, b"not mine"));
    world.fake.send(session, message(session, b"mine"));
    world.run_until("the message", LONG, |w| !w.heard.messages.is_empty());
    world.run_for(Duration::from_millis(50));
    let payloads: Vec<&[u8]> = world.heard.messages.iter().map(|m| m.payload.as_slice()).collect();
    assert_eq!(payloads, vec![&b"mine"[..]]);
    world.close();
}

#[test]
fn messages_longer_than_the_mtu_are_reassembled_both_ways() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    let big: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    world.run_until("the offer", LONG, |w| w.cluster().offer(&big).is_ok());
    world.run_until("the echo", LONG, |w| !w.heard.messages.is_empty());
    assert_eq!(world.heard.messages[0].payload, big);
    world.close();
}

#[test]
fn an_ipc_ingress_uses_one_publication_without_endpoints() {
    let _serial = serial();
    let mut world = World::ipc();
    let config = ClusterClientConfig::new().ingress_channel("aeron:ipc").egress_channel("aeron:ipc");
    world.connect(&config);
    world.run_until("the session", LONG, connected);
    assert!(
        matches!(&world.fake.seen[0], Seen::Connect { response_channel, .. } if response_channel == "aeron:ipc")
    );
    echo(&mut world, 10);
    world.close();
}

#[test]
fn reconnect_opens_a_new_session() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    let first = world.cluster().cluster_session_id().unwrap();
    world.cluster().reconnect().expect("reconnect");
    assert!(matches!(world.cluster().state(), ClusterState::Connecting(_)));
    world.run_until("the second session", LONG, connected);
    let second = world.cluster().cluster_session_id().unwrap();
    assert_ne!(first, second);
    assert!(world.fake.seen.contains(&Seen::Close { member: 0, term: 1, session: first }));
    echo(&mut world, 3);
    world.close();
}

#[test]
fn a_decode_error_of_a_session_that_ended_is_not_reported_in_the_next() {
    let _serial = serial();
    let mut world = World::udp(1);
    world.connect(&config(&world));
    world.run_until("the session", LONG, connected);
    let session = world.cluster().cluster_session_id().unwrap();
    // Back to back, so that one poll reads both: the session ends in the poll that met the
    // malformed message, and reports only its end.
    world.fake.send(session, vec![0xde, 0xad, 0xbe]);
    world.fake.close_session(session, "timeout");
    world.run_until("the close", LONG, |w| !w.errors.is_empty());
    assert!(
        matches!(world.errors[..], [ClusterError::SessionClosed { .. }]),
        "both messages in the poll that closed: {:?}",
        world.errors
    );
    assert_eq!(world.cluster().state(), ClusterState::Closed);

    world.errors.clear();
    world.cluster().reconnect().expect("reconnect");
    world.run_until("the second session", LONG, connected);
    echo(&mut world, 3);
    assert!(world.errors.is_empty(), "nothing of the first session in the second: {:?}", world.errors);
    world.close();
}

#[test]
fn a_bad_configuration_is_refused_before_anything_starts() {
    let _serial = serial();
    let world = World::udp(1);
    let bad = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002,1=nowhere");
    match ClusterClient::connect(&world.aeron, &bad) {
        Err(ClusterError::Config(ConfigError::Endpoints(EndpointsError::InvalidEndpoint {
            entry, ..
        }))) => {
            assert_eq!(entry, "1=nowhere")
        }
        other => panic!("{other:?}"),
    }
    world.close();
}
