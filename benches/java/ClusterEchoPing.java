/*
 * Java's own AeronCluster client doing what the Rust side of the cluster benchmark does
 * (scenario 9, benches/src/scenarios/cluster.rs), against the same cluster, in the same run.
 *
 * Usage:
 *   javac -d <classes> -cp aeron-all.jar benches/java/ClusterEchoPing.java
 *   java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *       --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp <classes>:aeron-all.jar \
 *       ClusterEchoPing <ingress-endpoints> <aeron-dir> [backoff|yield|spin]
 *
 * It launches an embedded Java media driver in <aeron-dir> (SHARED threading: one driver
 * thread, with the same idle strategy as the client), connects to the cluster, prints "ready",
 * then runs one duty cycle after another on its main thread: poll egress, take the next step of
 * the current command, send a keep-alive when nothing went to the cluster for a second, idle
 * (Aeron's backoff by default: 10 spins, 20 yields, parks from 1 us to 1 ms). Commands come
 * from stdin, one per line, read by a thread of their own so that the session stays alive
 * (polled, kept alive) between commands:
 *
 *   round <messages> <warmup>
 *       One 32-byte message in flight at a time (a sequence number, the send time, padding),
 *       <warmup> unrecorded first. Prints "rtts <n> <ns> <ns> ..." (every recorded round trip,
 *       System.nanoTime, from the first offer attempt to the echo's arrival in the listener).
 *   failover <timeout-seconds>
 *       The same one-in-flight load, unrecorded, until the first answer after a NewLeaderEvent.
 *       After 100 answers it prints "loading" (the caller may kill the leader now). A message
 *       unanswered when a new leader comes is sent again (ingress is at most once across a
 *       failover), and so is one unanswered for a second (in rounds too). Prints
 *       "failover new-leader-ns=<t> first-answer-ns=<t> leader=<id> resent=<n>" (System.nanoTime,
 *       which is CLOCK_MONOTONIC on Linux, the clock the caller timed the kill with), or
 *       "failover timeout" when no new leader answered in time.
 *   quit
 *       Closes the session (SessionCloseRequest), the client and the driver; exits 0.
 *
 * Errors go to stderr; a closed session ends the program with status 1.
 */

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

public final class ClusterEchoPing implements EgressListener
{
    private static final int MESSAGE_LENGTH = 32;
    private static final long KEEP_ALIVE_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long STALL_RESEND_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int ANSWERS_BEFORE_LOADING = 100;

    private enum Task
    {
        IDLE, ROUND, FAILOVER
    }

    private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));
    private AeronCluster cluster;
    private Task task = Task.IDLE;

    /** The sequence number of the message in flight, or of the last one answered. */
    private long sequence;
    private boolean inFlight;
    /** Whether the message in flight still has to be offered (first time or resent). */
    private boolean toOffer;
    /** When the message in flight was first offered: its round trip starts there. */
    private long sentNs;
    /** When it was last offered successfully. */
    private long offeredNs;
    private long lastIngressNs;

    private int warmup;
    private long[] rtts;
    private int answers;

    private long deadlineNs;
    private long newLeaderNs;
    private int newLeaderId;
    private int resent;

    static IdleStrategy idleStrategy(final String name)
    {
        switch (name)
        {
            case "backoff":
                // Aeron's defaults, as dutycycle's BackoffIdleStrategy::default().
                return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
            case "yield":
                return new YieldingIdleStrategy();
            case "spin":
                return new BusySpinIdleStrategy();
            default:
                throw new IllegalArgumentException("unknown idle strategy " + name + ": backoff, yield or spin");
        }
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 2)
        {
            System.err.println("usage: ClusterEchoPing <ingress-endpoints> <aeron-dir> [backoff|yield|spin]");
            System.exit(2);
        }
        final String endpoints = args[0];
        final String aeronDir = args[1];
        final String idleName = args.length > 2 ? args[2] : "backoff";
        final IdleStrategy idle = idleStrategy(idleName);

        final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    commands.add(line.trim());
                }
            }
            catch (final Exception ignore)
            {
            }
            commands.add("quit");
        }, "commands");
        reader.setDaemon(true);

        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idleStrategy(idleName));
        final ClusterEchoPing ping = new ClusterEchoPing();
        try (MediaDriver driver = MediaDriver.launchEmbedded(driverContext);
            AeronCluster cluster = AeronCluster.connect(new AeronCluster.Context()
                .aeronDirectoryName(driver.aeronDirectoryName())
                .ingressChannel("aeron:udp")
                .ingressEndpoints(endpoints)
                .egressChannel("aeron:udp?endpoint=127.0.0.1:0")
                .egressListener(ping)))
        {
            ping.cluster = cluster;
            reader.start();
            System.out.println("ready");
            System.out.flush();
            ping.lastIngressNs = System.nanoTime();
            while (true)
            {
                int work = cluster.pollEgress();
                if (cluster.isClosed())
                {
                    System.err.println("the cluster session closed");
                    System.exit(1);
                }
                if (ping.task == Task.IDLE)
                {
                    final String command = commands.poll();
                    if (command != null)
                    {
                        if ("quit".equals(command))
                        {
                            break;
                        }
                        ping.start(command.split(" "));
                        work++;
                    }
                }
                work += ping.doWork();
                idle.idle(work);
            }
        }
    }

    private void start(final String[] words)
    {
        answers = 0;
        switch (words[0])
        {
            case "round":
                rtts = new long[Integer.parseInt(words[1])];
                warmup = Integer.parseInt(words[2]);
                task = Task.ROUND;
                break;
            case "failover":
                deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(words[1]));
                newLeaderNs = 0;
                resent = 0;
                task = Task.FAILOVER;
                break;
            default:
                System.err.println("unknown command " + String.join(" ", words));
                break;
        }
    }

    private int doWork()
    {
        final long now = System.nanoTime();
        int work = 0;
        if (task != Task.IDLE)
        {
            if (!inFlight)
            {
                sequence++;
                inFlight = true;
                toOffer = true;
                sentNs = now;
            }
            else if (!toOffer && now - offeredNs > STALL_RESEND_NS)
            {
                toOffer = true;
                resent++;
            }
            if (toOffer)
            {
                message.putLong(0, sequence);
                message.putLong(8, sentNs);
                if (cluster.offer(message, 0, MESSAGE_LENGTH) > 0)
                {
                    toOffer = false;
                    offeredNs = now;
                    lastIngressNs = now;
                    work++;
                }
            }
            if (task == Task.FAILOVER && now - deadlineNs > 0)
            {
                println("failover timeout");
                task = Task.IDLE;
            }
        }
        if (now - lastIngressNs > KEEP_ALIVE_INTERVAL_NS && cluster.sendKeepAlive())
        {
            lastIngressNs = now;
            work++;
        }
        return work;
    }

    public void onMessage(
        final long clusterSessionId,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        final long now = System.nanoTime();
        if (!inFlight || length != MESSAGE_LENGTH || buffer.getLong(offset) != sequence)
        {
            return; // a duplicate of an answered message (after a resend), or not ours
        }
        inFlight = false;
        toOffer = false;
        answers++;
        if (task == Task.ROUND)
        {
            if (answers > warmup)
            {
                rtts[answers - warmup - 1] = now - sentNs;
            }
            if (answers == warmup + rtts.length)
            {
                final StringBuilder line = new StringBuilder(16 + 8 * rtts.length).append("rtts ").append(rtts.length);
                for (final long rtt : rtts)
                {
                    line.append(' ').append(rtt);
                }
                println(line.toString());
                task = Task.IDLE;
            }
        }
        else if (task == Task.FAILOVER)
        {
            if (answers == ANSWERS_BEFORE_LOADING)
            {
                println("loading");
            }
            if (newLeaderNs != 0)
            {
                println("failover new-leader-ns=" + newLeaderNs + " first-answer-ns=" + now + " leader=" + newLeaderId +
                    " resent=" + resent);
                task = Task.IDLE;
            }
        }
    }

    public void onNewLeader(
        final long clusterSessionId,
        final long leadershipTermId,
        final int leaderMemberId,
        final String ingressEndpoints)
    {
        if (newLeaderNs == 0)
        {
            newLeaderNs = System.nanoTime();
        }
        newLeaderId = leaderMemberId;
        if (inFlight)
        {
            toOffer = true;
            resent++;
        }
    }

    private static void println(final String line)
    {
        System.out.println(line);
        System.out.flush();
    }
}
