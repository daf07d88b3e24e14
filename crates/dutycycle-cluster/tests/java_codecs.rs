//! The codecs against Aeron's own: Java's generated encoders and decoders from aeron-all,
//! through the small program `tests/java/CodecVectors.java`.
//!
//! The jar is `$AERON_ALL_JAR`, else where `bash scripts/setup.sh` puts it:
//! `$HOME/.m2/repository/io/aeron/aeron-all/$AERON_ALL_VERSION/aeron-all-$AERON_ALL_VERSION.jar`
//! (version 1.51.0 unless `AERON_ALL_VERSION` says otherwise, as `scripts/env.sh`). Without
//! a jar, `javac` or `java` these tests fail, naming `bash scripts/setup.sh`: they never pass
//! without comparing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use dutycycle_cluster::codec::*;

/// One example of each client message: the same values as `CodecVectors.java`'s `encode`.
fn examples() -> Vec<(&'static str, Any<'static>)> {
    vec![
        (
            "SessionMessageHeader",
            Any::Egress(EgressMessage::SessionMessage(SessionMessage {
                leadership_term_id: 0x0102_0304_0506_0708,
                cluster_session_id: -2,
                timestamp: 1_234_567_890_123,
                payload: b"hello",
            })),
        ),
        (
            "SessionEvent",
            Any::Egress(EgressMessage::SessionEvent(SessionEvent {
                cluster_session_id: 0x1122_3344_5566_7788,
                correlation_id: -9,
                leadership_term_id: 7,
                leader_member_id: 2,
                code: EventCode::Redirect,
                version: 768,
                leader_heartbeat_timeout_ns: Some(3_000_000_000),
                detail: "0=127.0.0.1:9002,1=127.0.0.1:9102",
            })),
        ),
        (
            "SessionConnectRequest",
            Any::Ingress(IngressMessage::SessionConnectRequest(SessionConnectRequest {
                correlation_id: 42,
                response_stream_id: 102,
                version: 768,
                response_channel: "aeron:udp?endpoint=127.0.0.1:40123|rejoin=false",
                encoded_credentials: &[1, 2, 3, 0xff],
                client_info: "name=gateway",
            })),
        ),
        (
            "SessionCloseRequest",
            Any::Ingress(IngressMessage::SessionCloseRequest(SessionCloseRequest {
                leadership_term_id: 5,
                cluster_session_id: 6,
            })),
        ),
        (
            "SessionKeepAlive",
            Any::Ingress(IngressMessage::SessionKeepAlive(SessionKeepAlive {
                leadership_term_id: -1,
                cluster_session_id: i64::MAX,
            })),
        ),
        (
            "NewLeaderEvent",
            Any::Egress(EgressMessage::NewLeaderEvent(NewLeaderEvent {
                leadership_term_id: 8,
                cluster_session_id: 9,
                leader_member_id: 1,
                ingress_endpoints: "0=a:1,1=b:2",
            })),
        ),
        (
            "Challenge",
            Any::Egress(EgressMessage::Challenge(Challenge {
                correlation_id: 10,
                cluster_session_id: 11,
                encoded_challenge: &[0, 0x80, 0x7f],
            })),
        ),
        (
            "ChallengeResponse",
            Any::Ingress(IngressMessage::ChallengeResponse(ChallengeResponse {
                correlation_id: 12,
                cluster_session_id: 13,
                encoded_credentials: b"secret",
            })),
        ),
        (
            "AdminRequest",
            Any::Ingress(IngressMessage::AdminRequest(AdminRequest {
                leadership_term_id: 14,
                cluster_session_id: 15,
                correlation_id: 16,
                request_type: AdminRequestType::Snapshot,
                payload: &[9, 8, 7],
            })),
        ),
        (
            "AdminResponse",
            Any::Egress(EgressMessage::AdminResponse(AdminResponse {
                cluster_session_id: 17,
                correlation_id: 18,
                request_type: AdminRequestType::Snapshot,
                response_code: AdminResponseCode::UnauthorisedAccess,
                message: "denied",
                payload: &[6, 5],
            })),
        ),
    ]
}

#[derive(Debug, PartialEq)]
enum Any<'a> {
    Egress(EgressMessage<'a>),
    Ingress(IngressMessage<'a>),
}

fn encode(message: &Any<'_>) -> Vec<u8> {
    fn with<'a, M: Message<'a>>(m: &M) -> Vec<u8> {
        let mut buffer = vec![0u8; m.encoded_length()];
        assert_eq!(m.encode(&mut buffer).expect("encodes"), buffer.len());
        buffer
    }
    match message {
        Any::Egress(EgressMessage::SessionMessage(m)) | Any::Ingress(IngressMessage::SessionMessage(m)) => {
            with(m)
        }
        Any::Egress(EgressMessage::SessionEvent(m)) => with(m),
        Any::Egress(EgressMessage::NewLeaderEvent(m)) => with(m),
        Any::Egress(EgressMessage::Challenge(m)) => with(m),
        Any::Egress(EgressMessage::AdminResponse(m)) => with(m),
        Any::Ingress(IngressMessage::SessionConnectRequest(m)) => with(m),
        Any::Ingress(IngressMessage::SessionCloseRequest(m)) => with(m),
        Any::Ingress(IngressMessage::SessionKeepAlive(m)) => with(m),
        Any::Ingress(IngressMessage::ChallengeResponse(m)) => with(m),
        Any::Ingress(IngressMessage::AdminRequest(m)) => with(m),
        other => panic!("no example of {other:?}"),
    }
}

fn decode<'a>(like: &Any<'_>, bytes: &'a [u8]) -> Any<'a> {
    match like {
        Any::Egress(_) => Any::Egress(EgressMessage::decode(bytes).expect("decodes")),
        Any::Ingress(_) => Any::Ingress(IngressMessage::decode(bytes).expect("decodes")),
    }
}

/// What `CodecVectors decode` prints for a message: the header as Java reads it, then the
/// fields in schema order.
fn java_line(name: &str, message: &Any<'_>) -> String {
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let (block, template) = header_of(message);
    let header =
        format!("{name} block={block} template={template} schema={SCHEMA_ID} version={SCHEMA_VERSION}");
    let fields = match message {
        Any::Egress(EgressMessage::SessionMessage(m)) | Any::Ingress(IngressMessage::SessionMessage(m)) => format!(
            "leadershipTermId={} clusterSessionId={} timestamp={} payload={}",
            m.leadership_term_id,
            m.cluster_session_id,
            m.timestamp,
            hex(m.payload)
        ),
        Any::Egress(EgressMessage::SessionEvent(m)) => format!(
            "clusterSessionId={} correlationId={} leadershipTermId={} leaderMemberId={} code={} version={} \
             leaderHeartbeatTimeoutNs={} detail={}",
            m.cluster_session_id,
            m.correlation_id,
            m.leadership_term_id,
            m.leader_member_id,
            i32::from(m.code),
            m.version,
            m.leader_heartbeat_timeout_ns.unwrap_or(i64::MIN),
            m.detail
        ),
        Any::Ingress(IngressMessage::SessionConnectRequest(m)) => format!(
            "correlationId={} responseStreamId={} version={} responseChannel={} encodedCredentials={} clientInfo={}",
            m.correlation_id,
            m.response_stream_id,
            m.version,
            m.response_channel,
            hex(m.encoded_credentials),
            m.client_info
        ),
        Any::Ingress(IngressMessage::SessionCloseRequest(SessionCloseRequest {
            leadership_term_id,
            cluster_session_id,
        }))
        | Any::Ingress(IngressMessage::SessionKeepAlive(SessionKeepAlive { leadership_term_id, cluster_session_id })) => {
            format!("leadershipTermId={leadership_term_id} clusterSessionId={cluster_session_id}")
        }
        Any::Egress(EgressMessage::NewLeaderEvent(m)) => format!(
            "leadershipTermId={} clusterSessionId={} leaderMemberId={} ingressEndpoints={}",
            m.leadership_term_id, m.cluster_session_id, m.leader_member_id, m.ingress_endpoints
        ),
        Any::Egress(EgressMessage::Challenge(m)) => format!(
            "correlationId={} clusterSessionId={} encodedChallenge={}",
            m.correlation_id,
            m.cluster_session_id,
            hex(m.encoded_challenge)
        ),
        Any::Ingress(IngressMessage::ChallengeResponse(m)) => format!(
            "correlationId={} clusterSessionId={} encodedCredentials={}",
            m.correlation_id,
            m.cluster_session_id,
            hex(m.encoded_credentials)
        ),
        Any::Ingress(IngressMessage::AdminRequest(m)) => format!(
            "leadershipTermId={} clusterSessionId={} correlationId={} requestType={} payload={}",
            m.leadership_term_id,
            m.cluster_session_id,
            m.correlation_id,
            i32::from(m.request_type),
            hex(m.payload)
        ),
        Any::Egress(EgressMessage::AdminResponse(m)) => format!(
            "clusterSessionId={} correlationId={} requestType={} responseCode={} message={} payload={}",
            m.cluster_session_id,
            m.correlation_id,
            i32::from(m.request_type),
            i32::from(m.response_code),
            m.message,
            hex(m.payload)
        ),
        other => panic!("no example of {other:?}"),
    };
    format!("{header} {fields}")
}

fn header_of(message: &Any<'_>) -> (u16, u16) {
    let bytes = encode(message);
    let header = MessageHeader::decode(&bytes).expect("header");
    (header.block_length, header.template_id)
}

/// The aeron-all version `scripts/env.sh` and `scripts/setup.sh` use unless
/// `AERON_ALL_VERSION` is set.
const DEFAULT_AERON_ALL_VERSION: &str = "1.51.0";

/// What to do when the jar or the JDK is missing.
const SETUP: &str =
    "run `bash scripts/setup.sh` (it installs a JDK and fetches aeron-all from Maven Central)";

/// The aeron-all jar: `$AERON_ALL_JAR`, else the one `scripts/setup.sh` put in the local
/// Maven repository.
fn aeron_all_jar() -> PathBuf {
    if let Some(jar) = std::env::var_os("AERON_ALL_JAR") {
        return PathBuf::from(jar);
    }
    let version = std::env::var("AERON_ALL_VERSION").unwrap_or_else(|_| DEFAULT_AERON_ALL_VERSION.to_owned());
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home)
        .join(".m2/repository/io/aeron/aeron-all")
        .join(&version)
        .join(format!("aeron-all-{version}.jar"))
}

/// The compiled `CodecVectors` program. Panics, naming the setup script, when the jar or the
/// JDK is missing.
fn java() -> &'static Java {
    static JAVA: OnceLock<Java> = OnceLock::new();
    JAVA.get_or_init(|| {
        let jar = aeron_all_jar();
        let named_by = match std::env::var_os("AERON_ALL_JAR") {
            Some(_) => "named by AERON_ALL_JAR",
            None => "where scripts/setup.sh puts it; AERON_ALL_JAR is unset",
        };
        assert!(jar.is_file(), "no aeron-all jar at {} ({named_by}): {SETUP}", jar.display());
        let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codec-vectors");
        std::fs::create_dir_all(&classes).expect("class directory");
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/java/CodecVectors.java");
        let status = Command::new("javac")
            .arg("-cp")
            .arg(&jar)
            .arg("-d")
            .arg(&classes)
            .arg(&source)
            .status()
            .unwrap_or_else(|error| panic!("cannot run javac ({error}): {SETUP}"));
        assert!(status.success(), "javac failed on {}", source.display());
        Java { jar, classes }
    })
}

#[derive(Debug)]
struct Java {
    jar: PathBuf,
    classes: PathBuf,
}

impl Java {
    fn run(&self, mode: &str, input: &str) -> String {
        let class_path = std::env::join_paths([&self.jar, &self.classes]).expect("class path");
        let mut child = Command::new("java")
            .args(["--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp"])
            .arg(class_path)
            .args(["CodecVectors", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run java ({error}): {SETUP}"));
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write to java");
        let output = child.wait_with_output().expect("java finishes");
        assert!(output.status.success(), "CodecVectors {mode} failed: {:?}", output.status);
        String::from_utf8(output.stdout).expect("ASCII output")
    }

    /// Java's encodings by message name.
    fn encodings(&self) -> Vec<(String, Vec<u8>)> {
        self.run("encode", "")
            .lines()
            .map(|line| {
                let (name, hex) = line.split_once(' ').expect("name hex");
                (name.to_owned(), unhex(hex))
            })
            .collect()
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn rust_encodes_every_message_byte_for_byte_as_java() {
    let java = java();
    let java_bytes = java.encodings();
    let examples = examples();
    assert_eq!(java_bytes.len(), examples.len(), "one Java encoding per example");
    for ((name, message), (java_name, java_bytes)) in examples.iter().zip(&java_bytes) {
        assert_eq!(name, java_name);
        assert_eq!(encode(message), *java_bytes, "{name}: Rust's bytes differ from Java's");
    }
}

#[test]
fn rust_decodes_what_java_encoded() {
    let java = java();
    let java_bytes = java.encodings();
    let examples = examples();
    assert_eq!(java_bytes.len(), examples.len(), "one Java encoding per example");
    for ((name, message), (java_name, java_bytes)) in examples.iter().zip(&java_bytes) {
        assert_eq!(name, java_name, "Java's encodings in the examples' order");
        assert_eq!(decode(message, java_bytes), *message, "{name}");
    }
}

#[test]
fn java_decodes_what_rust_encoded() {
    let java = java();
    let examples = examples();
    let input: String = examples
        .iter()
        .map(|(name, message)| {
            let hex: String = encode(message).iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} {hex}\n")
        })
        .collect();
    let output = java.run("decode", &input);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), examples.len(), "Java decoded:\n{output}");
    for ((name, message), line) in examples.iter().zip(lines) {
        assert_eq!(line, java_line(name, message), "{name}");
    }
}

#[test]
fn the_default_jar_version_is_the_setup_scripts() {
    let env = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/env.sh"))
        .expect("scripts/env.sh");
    let expected = format!("AERON_ALL_VERSION:-{DEFAULT_AERON_ALL_VERSION}}}");
    assert!(env.contains(&expected), "scripts/env.sh does not default to {DEFAULT_AERON_ALL_VERSION}");
}
