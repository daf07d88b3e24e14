/*
 * Java's own AeronCluster client doing the round trip that the Rust cluster benchmark does,
 * against the same cluster, so that both are measured in one run.
 *
 * Usage: java -cp aeron-all.jar benches/java/ClusterEchoPing.java <ingress-endpoints> <aeron-dir>
 *
 * It launches an embedded Java media driver (SHARED threading, backoff idle) in <aeron-dir>,
 * connects to the cluster, prints "ready", then reads commands from stdin, one per line:
 *   round <messages> <warmup>   one message in flight at a time, <warmup> unrecorded first;
 *                               prints "round count=N p50=.. p99=.. p999=.. max=.." (ns)
 *   quit                        closes the client and the driver, exits 0
 * Each message is 32 bytes: a sequence number and the send time; the echo service returns it.
 */

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

public final class ClusterEchoPing
{
    private static final int MESSAGE_LENGTH = 32;

    private static long expectedSequence;
    private static boolean answered;

    public static void main(final String[] args) throws Exception
    {
        final String endpoints = args[0];
        final String aeronDir = args[1];
        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy());
        final EgressListener listener = new EgressListener()
        {
            public void onMessage(
                final long clusterSessionId,
                final long timestamp,
                final DirectBuffer buffer,
                final int offset,
                final int length,
                final Header header)
            {
                if (length == MESSAGE_LENGTH && buffer.getLong(offset) == expectedSequence)
                {
                    answered = true;
                }
            }
        };

        try (MediaDriver driver = MediaDriver.launchEmbedded(driverContext);
            AeronCluster cluster = AeronCluster.connect(new AeronCluster.Context()
                .aeronDirectoryName(driver.aeronDirectoryName())
                .ingressChannel("aeron:udp")
                .ingressEndpoints(endpoints)
                .egressChannel("aeron:udp?endpoint=127.0.0.1:0")
                .egressListener(listener)))
        {
            System.out.println("ready");
            System.out.flush();
            final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));
            final BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
            long sequence = 0;
            long lastKeepAlive = System.nanoTime();
            String line;
            while ((line = commands.readLine()) != null)
            {
                final String[] words = line.trim().split(" ");
                if ("quit".equals(words[0]))
                {
                    break;
                }
                final int messages = Integer.parseInt(words[1]);
                final int warmup = Integer.parseInt(words[2]);
                final long[] rtts = new long[messages];
                for (int i = 0; i < warmup + messages; i++)
                {
                    sequence++;
                    expectedSequence = sequence;
                    answered = false;
                    final long start = System.nanoTime();
                    message.putLong(0, sequence);
                    message.putLong(8, start);
                    while (cluster.offer(message, 0, MESSAGE_LENGTH) < 0)
                    {
                        cluster.pollEgress();
                    }
                    while (!answered)
                    {
                        cluster.pollEgress();
                    }
                    final long end = System.nanoTime();
                    if (i >= warmup)
                    {
                        rtts[i - warmup] = end - start;
                    }
                    if (end - lastKeepAlive > TimeUnit.SECONDS.toNanos(1))
                    {
                        cluster.sendKeepAlive();
                        lastKeepAlive = end;
                    }
                }
                Arrays.sort(rtts);
                System.out.printf(
                    "round count=%d p50=%d p99=%d p999=%d max=%d%n",
                    messages,
                    percentile(rtts, 50.0),
                    percentile(rtts, 99.0),
                    percentile(rtts, 99.9),
                    rtts[messages - 1]);
                System.out.flush();
            }
        }
    }

    /** The nearest-rank percentile of sorted values. */
    private static long percentile(final long[] sorted, final double percent)
    {
        final int rank = (int)Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
