//! The codecs on their own: exact layouts, schema evolution, and no panic on any input.

use dutycycle_cluster::codec::*;
use proptest::prelude::*;

fn encoded<'a, M: Message<'a>>(message: &M) -> Vec<u8> {
    let mut buffer = vec![0u8; message.encoded_length()];
    let length = message.encode(&mut buffer).expect("encodes");
    assert_eq!(length, buffer.len());
    buffer
}

/// Every message with non-empty variable-length fields, encoded.
fn all_encoded() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "SessionMessageHeader",
            encoded(&SessionMessage {
                leadership_term_id: 1,
                cluster_session_id: 2,
                timestamp: 3,
                payload: b"pay",
            }),
        ),
        (
            "SessionEvent",
            encoded(&SessionEvent {
                cluster_session_id: 1,
                correlation_id: 2,
                leadership_term_id: 3,
                leader_member_id: 4,
                code: EventCode::Error,
                version: 768,
                leader_heartbeat_timeout_ns: Some(5),
                detail: "too many sessions",
            }),
        ),
        (
            "SessionConnectRequest",
            encoded(&SessionConnectRequest {
                correlation_id: 1,
                response_stream_id: 102,
                version: 768,
                response_channel: "aeron:udp?endpoint=127.0.0.1:1",
                encoded_credentials: b"c",
                client_info: "i",
            }),
        ),
        (
            "SessionCloseRequest",
            encoded(&SessionCloseRequest { leadership_term_id: 1, cluster_session_id: 2 }),
        ),
        ("SessionKeepAlive", encoded(&SessionKeepAlive { leadership_term_id: 1, cluster_session_id: 2 })),
        (
            "NewLeaderEvent",
            encoded(&NewLeaderEvent {
                leadership_term_id: 1,
                cluster_session_id: 2,
                leader_member_id: 3,
                ingress_endpoints: "0=h:1",
            }),
        ),
        (
            "Challenge",
            encoded(&Challenge { correlation_id: 1, cluster_session_id: 2, encoded_challenge: b"x" }),
        ),
        (
            "ChallengeResponse",
            encoded(&ChallengeResponse {
                correlation_id: 1,
                cluster_session_id: 2,
                encoded_credentials: b"y",
            }),
        ),
        (
            "AdminRequest",
            encoded(&AdminRequest {
                leadership_term_id: 1,
                cluster_session_id: 2,
                correlation_id: 3,
                request_type: AdminRequestType::Snapshot,
                payload: b"z",
            }),
        ),
        (
            "AdminResponse",
            encoded(&AdminResponse {
                cluster_session_id: 1,
                correlation_id: 2,
                request_type: AdminRequestType::Snapshot,
                response_code: AdminResponseCode::Ok,
                message: "m",
                payload: b"p",
            }),
        ),
    ]
}

fn decode_either(
    bytes: &[u8],
) -> (Result<EgressMessage<'_>, DecodeError>, Result<IngressMessage<'_>, DecodeError>) {
    (EgressMessage::decode(bytes), IngressMessage::decode(bytes))
}

#[test]
fn a_keep_alive_is_laid_out_as_the_schema_says() {
    let bytes = encoded(&SessionKeepAlive { leadership_term_id: 0x0102, cluster_session_id: -1 });
    let mut expected = vec![16, 0, 5, 0, 111, 0, 16, 0];
    expected.extend_from_slice(&0x0102i64.to_le_bytes());
    expected.extend_from_slice(&(-1i64).to_le_bytes());
    assert_eq!(bytes, expected);
}

#[test]
fn the_session_header_is_32_bytes_and_the_payload_follows_it() {
    let bytes = encoded(&SessionMessage {
        leadership_term_id: 1,
        cluster_session_id: 2,
        timestamp: 0,
        payload: b"abc",
    });
    assert_eq!(SESSION_HEADER_LENGTH, 32);
    assert_eq!(&bytes[32..], b"abc");
    assert_eq!(&bytes[..8], &[24, 0, 1, 0, 111, 0, 16, 0]);
}

/// Whether a direction's decoder knows the message (the other direction sees `Other`).
fn knows(name: &str, egress: bool) -> bool {
    const EGRESS: [&str; 5] =
        ["SessionMessageHeader", "SessionEvent", "NewLeaderEvent", "Challenge", "AdminResponse"];
    name == "SessionMessageHeader" || EGRESS.contains(&name) == egress
}

#[test]
fn every_truncation_of_every_message_is_an_error_not_a_panic() {
    for (name, bytes) in all_encoded() {
        for length in 0..bytes.len() {
            let (egress, ingress) = decode_either(&bytes[..length]);
            if name == "SessionMessageHeader" && length >= SESSION_HEADER_LENGTH {
                // A shorter payload is still a session message: the payload runs to the end.
                assert!(egress.is_ok() && ingress.is_ok(), "{name} cut to {length}");
                continue;
            }
            let other_template = length >= HEADER_LENGTH;
            if knows(name, true) || !other_template {
                assert!(egress.is_err(), "{name} cut to {length} bytes decoded as egress: {egress:?}");
            } else {
                assert!(matches!(egress, Ok(EgressMessage::Other(_))), "{name} cut to {length}: {egress:?}");
            }
            if knows(name, false) || !other_template {
                assert!(ingress.is_err(), "{name} cut to {length} bytes decoded as ingress: {ingress:?}");
            } else {
                assert!(
                    matches!(ingress, Ok(IngressMessage::Other(_))),
                    "{name} cut to {length}: {ingress:?}"
                );
            }
        }
        let (egress, ingress) = decode_either(&bytes);
        assert!(egress.is_ok() && ingress.is_ok(), "{name} whole");
    }
}

#[test]
fn truncation_errors_name_what_is_missing() {
    let bytes = encoded(&SessionEvent { detail: "detail", ..Default::default() });
    assert_eq!(EgressMessage::decode(&bytes[..5]), Err(DecodeError::NoHeader { available: 5 }));
    assert_eq!(
        EgressMessage::decode(&bytes[..20]),
        Err(DecodeError::TruncatedBlock { message: "SessionEvent", block_length: 44, available: 12 })
    );
    assert_eq!(
        EgressMessage::decode(&bytes[..54]),
        Err(DecodeError::TruncatedVarData {
            message: "SessionEvent",
            field: "detail",
            needed: 4,
            available: 2
        })
    );
    assert_eq!(
        EgressMessage::decode(&bytes[..bytes.len() - 1]),
        Err(DecodeError::TruncatedVarData {
            message: "SessionEvent",
            field: "detail",
            needed: 10,
            available: 9
        })
    );
}

#[test]
fn other_schemas_and_templates_are_told_apart() {
    let mut bytes = encoded(&SessionKeepAlive::default());
    assert_eq!(
        SessionCloseRequest::decode(&bytes),
        Err(DecodeError::WrongTemplate { message: "SessionCloseRequest", expected: 4, actual: 5 })
    );
    assert!(
        matches!(EgressMessage::decode(&bytes), Ok(EgressMessage::Other(header)) if header.template_id == 5)
    );
    bytes[4] = 101; // the archive's schema
    assert_eq!(IngressMessage::decode(&bytes), Err(DecodeError::WrongSchema { schema_id: 101 }));
}

#[test]
fn a_longer_block_from_a_newer_schema_decodes_and_its_var_data_is_found_after_it() {
    let event = SessionEvent {
        cluster_session_id: 9,
        correlation_id: 8,
        leadership_term_id: 7,
        leader_member_id: 1,
        code: EventCode::Ok,
        version: 768,
        leader_heartbeat_timeout_ns: Some(10),
        detail: "after the block",
    };
    let bytes = encoded(&event);
    // A newer schema adds a 12-byte field to the block, and a var-data field at the end.
    let mut newer = Vec::new();
    newer.extend_from_slice(&(44u16 + 12).to_le_bytes());
    newer.extend_from_slice(&bytes[2..6]);
    newer.extend_from_slice(&99u16.to_le_bytes());
    newer.extend_from_slice(&bytes[8..8 + 44]);
    newer.extend_from_slice(&[0xee; 12]);
    newer.extend_from_slice(&bytes[8 + 44..]);
    newer.extend_from_slice(&3u32.to_le_bytes());
    newer.extend_from_slice(b"new");
    assert_eq!(SessionEvent::decode(&newer), Ok(event));
}

#[test]
fn fields_newer_than_the_senders_schema_read_as_absent() {
    let event = SessionEvent {
        leader_heartbeat_timeout_ns: Some(10),
        version: 768,
        detail: "d",
        ..Default::default()
    };
    let bytes = encoded(&event);
    // Schema version 12: no leaderHeartbeatTimeoutNs (since 13), a 36-byte block.
    let mut v12 = Vec::new();
    v12.extend_from_slice(&36u16.to_le_bytes());
    v12.extend_from_slice(&bytes[2..6]);
    v12.extend_from_slice(&12u16.to_le_bytes());
    v12.extend_from_slice(&bytes[8..8 + 36]);
    v12.extend_from_slice(&bytes[8 + 44..]);
    let decoded = SessionEvent::decode(&v12).expect("decodes");
    assert_eq!(decoded.leader_heartbeat_timeout_ns, None);
    assert_eq!(decoded.version, 768);
    assert_eq!(decoded.detail, "d");

    // Schema version 13: no clientInfo (since 14), so nothing is read after the credentials.
    let request = SessionConnectRequest {
        response_channel: "c",
        encoded_credentials: b"k",
        client_info: "",
        ..Default::default()
    };
    let mut v13 = encoded(&request);
    v13[6] = 13;
    v13.truncate(v13.len() - 4); // without clientInfo's length prefix
    let decoded = SessionConnectRequest::decode(&v13).expect("decodes");
    assert_eq!(
        (decoded.response_channel, decoded.encoded_credentials, decoded.client_info),
        ("c", &b"k"[..], "")
    );
}

#[test]
fn a_null_heartbeat_timeout_is_none() {
    let event = SessionEvent { leader_heartbeat_timeout_ns: None, ..Default::default() };
    let bytes = encoded(&event);
    assert_eq!(&bytes[8 + 36..8 + 44], &i64::MIN.to_le_bytes());
    assert_eq!(SessionEvent::decode(&bytes).expect("decodes").leader_heartbeat_timeout_ns, None);
}

#[test]
fn a_block_too_short_for_a_required_field_is_an_error() {
    let bytes = encoded(&NewLeaderEvent { ingress_endpoints: "", ..Default::default() });
    let mut short = bytes.clone();
    short[0] = 16; // leaderMemberId (at 16..20) is cut off
    short.truncate(8 + 16);
    short.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        NewLeaderEvent::decode(&short),
        Err(DecodeError::BlockTooShort {
            message: "NewLeaderEvent",
            field: "leaderMemberId",
            block_length: 16,
            needed: 20
        })
    );
}

#[test]
fn non_ascii_text_is_refused_both_ways() {
    let mut bytes = encoded(&SessionEvent { detail: "abc", ..Default::default() });
    let last = bytes.len() - 1;
    bytes[last] = 0xc3;
    assert_eq!(
        SessionEvent::decode(&bytes),
        Err(DecodeError::NotAscii { message: "SessionEvent", field: "detail" })
    );
    let mut buffer = [0u8; 128];
    assert_eq!(
        NewLeaderEvent { ingress_endpoints: "0=hé:1", ..Default::default() }.encode(&mut buffer),
        Err(EncodeError::NotAscii { message: "NewLeaderEvent", field: "ingressEndpoints" })
    );
}

#[test]
fn unknown_enum_values_are_kept() {
    let event = SessionEvent { code: EventCode::Unknown(77), ..Default::default() };
    assert_eq!(SessionEvent::decode(&encoded(&event)).expect("decodes").code, EventCode::Unknown(77));
    let response = AdminResponse {
        cluster_session_id: 0,
        correlation_id: 0,
        request_type: AdminRequestType::Unknown(5),
        response_code: AdminResponseCode::Unknown(-3),
        message: "",
        payload: b"",
    };
    let bytes = encoded(&response);
    let decoded = AdminResponse::decode(&bytes).expect("decodes");
    assert_eq!(
        (decoded.request_type, decoded.response_code),
        (AdminRequestType::Unknown(5), AdminResponseCode::Unknown(-3))
    );
}

#[test]
fn encoding_into_a_short_buffer_writes_nothing() {
    let message = SessionMessage { payload: b"0123456789", ..Default::default() };
    let mut buffer = [0xaa; 41];
    assert_eq!(
        message.encode(&mut buffer),
        Err(EncodeError::BufferTooSmall { message: "SessionMessageHeader", needed: 42, capacity: 41 })
    );
    assert!(buffer.iter().all(|&b| b == 0xaa));
}

proptest! {
    #[test]
    fn no_byte_input_makes_a_decoder_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_either(&bytes);
    }

    #[test]
    fn no_header_with_any_block_length_makes_a_decoder_panic(
        block_length in any::<u16>(),
        template_id in prop_oneof![1u16..=8, Just(26), Just(27), any::<u16>()],
        version in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut bytes = Vec::new();
        for value in [block_length, template_id, SCHEMA_ID, version] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        bytes.extend_from_slice(&body);
        let _ = decode_either(&bytes);
    }

    #[test]
    fn session_events_round_trip(
        ids in any::<(i64, i64, i64, i32, i32, i32)>(),
        timeout in any::<Option<i64>>().prop_filter("null is None", |t| *t != Some(i64::MIN)),
        detail in "[ -~]{0,64}",
    ) {
        let (session, correlation, term, leader, code, version) = ids;
        let event = SessionEvent {
            cluster_session_id: session,
            correlation_id: correlation,
            leadership_term_id: term,
            leader_member_id: leader,
            code: EventCode::from(code),
            version,
            leader_heartbeat_timeout_ns: timeout,
            detail: &detail,
        };
        let bytes = encoded(&event);
        prop_assert_eq!(SessionEvent::decode(&bytes), Ok(event));
    }

    #[test]
    fn connect_requests_round_trip(
        correlation in any::<i64>(),
        stream in any::<i32>(),
        channel in "[ -~]{0,80}",
        credentials in proptest::collection::vec(any::<u8>(), 0..40),
        info in "[ -~]{0,40}",
    ) {
        let request = SessionConnectRequest {
            correlation_id: correlation,
            response_stream_id: stream,
            version: PROTOCOL_SEMANTIC_VERSION,
            response_channel: &channel,
            encoded_credentials: &credentials,
            client_info: &info,
        };
        let bytes = encoded(&request);
        prop_assert_eq!(SessionConnectRequest::decode(&bytes), Ok(request));
    }
}
