import io.aeron.cluster.codecs.*;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Aeron's own generated cluster codecs (from aeron-all) on one side of the Rust codec tests.
 * <ul>
 * <li>{@code encode}: encodes one example of each client message with Java's encoders and prints
 * {@code Name hex} lines; the Rust test encodes the same values and compares the bytes.</li>
 * <li>{@code decode}: reads {@code Name hex} lines (Rust's encodings) from stdin, decodes each with
 * Java's decoders and prints {@code Name header fields...} lines; the Rust test compares them
 * with the values it encoded.</li>
 * </ul>
 * The example values are repeated in tests/java_codecs.rs: keep them the same.
 */
public final class CodecVectors
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 1 && "encode".equals(args[0]))
        {
            encode();
        }
        else if (args.length == 1 && "decode".equals(args[0]))
        {
            decode();
        }
        else
        {
            System.err.println("usage: CodecVectors encode|decode");
            System.exit(2);
        }
    }

    private static void encode()
    {
        final MessageHeaderEncoder header = new MessageHeaderEncoder();

        UnsafeBuffer buffer = buffer();
        final SessionMessageHeaderEncoder sessionMessage = new SessionMessageHeaderEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .leadershipTermId(0x0102030405060708L)
            .clusterSessionId(-2)
            .timestamp(1234567890123L);
        final byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
        buffer.putBytes(HEADER + sessionMessage.encodedLength(), payload);
        print("SessionMessageHeader", buffer, HEADER + sessionMessage.encodedLength() + payload.length);

        buffer = buffer();
        final SessionEventEncoder sessionEvent = new SessionEventEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .clusterSessionId(0x1122334455667788L)
            .correlationId(-9)
            .leadershipTermId(7)
            .leaderMemberId(2)
            .code(EventCode.REDIRECT)
            .version(768)
            .leaderHeartbeatTimeoutNs(3_000_000_000L)
            .detail("0=127.0.0.1:9002,1=127.0.0.1:9102");
        print("SessionEvent", buffer, HEADER + sessionEvent.encodedLength());

        buffer = buffer();
        final byte[] credentials = { 1, 2, 3, (byte)0xff };
        final SessionConnectRequestEncoder connect = new SessionConnectRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .correlationId(42)
            .responseStreamId(102)
            .version(768)
            .responseChannel("aeron:udp?endpoint=127.0.0.1:40123|rejoin=false")
            .putEncodedCredentials(credentials, 0, credentials.length)
            .clientInfo("name=gateway");
        print("SessionConnectRequest", buffer, HEADER + connect.encodedLength());

        buffer = buffer();
        final SessionCloseRequestEncoder close = new SessionCloseRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .leadershipTermId(5)
            .clusterSessionId(6);
        print("SessionCloseRequest", buffer, HEADER + close.encodedLength());

        buffer = buffer();
        final SessionKeepAliveEncoder keepAlive = new SessionKeepAliveEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .leadershipTermId(-1)
            .clusterSessionId(Long.MAX_VALUE);
        print("SessionKeepAlive", buffer, HEADER + keepAlive.encodedLength());

        buffer = buffer();
        final NewLeaderEventEncoder newLeader = new NewLeaderEventEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .leadershipTermId(8)
            .clusterSessionId(9)
            .leaderMemberId(1)
            .ingressEndpoints("0=a:1,1=b:2");
        print("NewLeaderEvent", buffer, HEADER + newLeader.encodedLength());

        buffer = buffer();
        final byte[] challengeBytes = { 0, (byte)0x80, 0x7f };
        final ChallengeEncoder challenge = new ChallengeEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .correlationId(10)
            .clusterSessionId(11)
            .putEncodedChallenge(challengeBytes, 0, challengeBytes.length);
        print("Challenge", buffer, HEADER + challenge.encodedLength());

        buffer = buffer();
        final byte[] secret = "secret".getBytes(StandardCharsets.US_ASCII);
        final ChallengeResponseEncoder challengeResponse = new ChallengeResponseEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .correlationId(12)
            .clusterSessionId(13)
            .putEncodedCredentials(secret, 0, secret.length);
        print("ChallengeResponse", buffer, HEADER + challengeResponse.encodedLength());

        buffer = buffer();
        final byte[] requestPayload = { 9, 8, 7 };
        final AdminRequestEncoder adminRequest = new AdminRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .leadershipTermId(14)
            .clusterSessionId(15)
            .correlationId(16)
            .requestType(AdminRequestType.SNAPSHOT)
            .putPayload(requestPayload, 0, requestPayload.length);
        print("AdminRequest", buffer, HEADER + adminRequest.encodedLength());

        buffer = buffer();
        final byte[] responsePayload = { 6, 5 };
        final AdminResponseEncoder adminResponse = new AdminResponseEncoder()
            .wrapAndApplyHeader(buffer, 0, header)
            .clusterSessionId(17)
            .correlationId(18)
            .requestType(AdminRequestType.SNAPSHOT)
            .responseCode(AdminResponseCode.UNAUTHORISED_ACCESS)
            .message("denied")
            .putPayload(responsePayload, 0, responsePayload.length);
        print("AdminResponse", buffer, HEADER + adminResponse.encodedLength());
    }

    private static void decode() throws Exception
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        String line;
        while (null != (line = in.readLine()))
        {
            final String[] parts = line.trim().split(" ");
            final byte[] bytes = unhex(parts[1]);
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            header.wrap(buffer, 0);
            final StringBuilder out = new StringBuilder(parts[0])
                .append(" block=").append(header.blockLength())
                .append(" template=").append(header.templateId())
                .append(" schema=").append(header.schemaId())
                .append(" version=").append(header.version());
            final int block = header.blockLength();
            final int version = header.version();

            switch (parts[0])
            {
                case "SessionMessageHeader":
                {
                    final SessionMessageHeaderDecoder d = new SessionMessageHeaderDecoder().wrap(buffer, HEADER, block, version);
                    final byte[] payload = new byte[bytes.length - HEADER - block];
                    buffer.getBytes(HEADER + block, payload);
                    out.append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" clusterSessionId=").append(d.clusterSessionId())
                        .append(" timestamp=").append(d.timestamp())
                        .append(" payload=").append(hex(payload));
                    break;
                }
                case "SessionEvent":
                {
                    final SessionEventDecoder d = new SessionEventDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" clusterSessionId=").append(d.clusterSessionId())
                        .append(" correlationId=").append(d.correlationId())
                        .append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" leaderMemberId=").append(d.leaderMemberId())
                        .append(" code=").append(d.codeRaw())
                        .append(" version=").append(d.version())
                        .append(" leaderHeartbeatTimeoutNs=").append(d.leaderHeartbeatTimeoutNs())
                        .append(" detail=").append(d.detail());
                    break;
                }
                case "SessionConnectRequest":
                {
                    final SessionConnectRequestDecoder d =
                        new SessionConnectRequestDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" correlationId=").append(d.correlationId())
                        .append(" responseStreamId=").append(d.responseStreamId())
                        .append(" version=").append(d.version())
                        .append(" responseChannel=").append(d.responseChannel());
                    final byte[] credentials = new byte[d.encodedCredentialsLength()];
                    d.getEncodedCredentials(credentials, 0, credentials.length);
                    out.append(" encodedCredentials=").append(hex(credentials))
                        .append(" clientInfo=").append(d.clientInfo());
                    break;
                }
                case "SessionCloseRequest":
                {
                    final SessionCloseRequestDecoder d = new SessionCloseRequestDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" clusterSessionId=").append(d.clusterSessionId());
                    break;
                }
                case "SessionKeepAlive":
                {
                    final SessionKeepAliveDecoder d = new SessionKeepAliveDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" clusterSessionId=").append(d.clusterSessionId());
                    break;
                }
                case "NewLeaderEvent":
                {
                    final NewLeaderEventDecoder d = new NewLeaderEventDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" clusterSessionId=").append(d.clusterSessionId())
                        .append(" leaderMemberId=").append(d.leaderMemberId())
                        .append(" ingressEndpoints=").append(d.ingressEndpoints());
                    break;
                }
                case "Challenge":
                {
                    final ChallengeDecoder d = new ChallengeDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" correlationId=").append(d.correlationId())
                        .append(" clusterSessionId=").append(d.clusterSessionId());
                    final byte[] challenge = new byte[d.encodedChallengeLength()];
                    d.getEncodedChallenge(challenge, 0, challenge.length);
                    out.append(" encodedChallenge=").append(hex(challenge));
                    break;
                }
                case "ChallengeResponse":
                {
                    final ChallengeResponseDecoder d = new ChallengeResponseDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" correlationId=").append(d.correlationId())
                        .append(" clusterSessionId=").append(d.clusterSessionId());
                    final byte[] credentials = new byte[d.encodedCredentialsLength()];
                    d.getEncodedCredentials(credentials, 0, credentials.length);
                    out.append(" encodedCredentials=").append(hex(credentials));
                    break;
                }
                case "AdminRequest":
                {
                    final AdminRequestDecoder d = new AdminRequestDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" leadershipTermId=").append(d.leadershipTermId())
                        .append(" clusterSessionId=").append(d.clusterSessionId())
                        .append(" correlationId=").append(d.correlationId())
                        .append(" requestType=").append(d.requestTypeRaw());
                    final byte[] payload = new byte[d.payloadLength()];
                    d.getPayload(payload, 0, payload.length);
                    out.append(" payload=").append(hex(payload));
                    break;
                }
                case "AdminResponse":
                {
                    final AdminResponseDecoder d = new AdminResponseDecoder().wrap(buffer, HEADER, block, version);
                    out.append(" clusterSessionId=").append(d.clusterSessionId())
                        .append(" correlationId=").append(d.correlationId())
                        .append(" requestType=").append(d.requestTypeRaw())
                        .append(" responseCode=").append(d.responseCodeRaw())
                        .append(" message=").append(d.message());
                    final byte[] payload = new byte[d.payloadLength()];
                    d.getPayload(payload, 0, payload.length);
                    out.append(" payload=").append(hex(payload));
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown message " + parts[0]);
            }
            System.out.println(out);
        }
    }

    private static UnsafeBuffer buffer()
    {
        return new UnsafeBuffer(new byte[1024]);
    }

    private static void print(final String name, final UnsafeBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        System.out.println(name + " " + hex(bytes));
    }

    private static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes)
        {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    private static byte[] unhex(final String hex)
    {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
