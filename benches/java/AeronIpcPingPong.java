/*
 * Java Aeron's IPC ping-pong, the shape of the benchmark harness's Aeron scenario
 * (benches/src/scenarios/aeron.rs) written as a Java user writes it with aeron-all, for the
 * same run's table.
 *
 * Usage:
 *   javac -d <classes> -cp aeron-all.jar benches/java/AeronIpcPingPong.java benches/java/BenchThreads.java
 *   java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *       --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp <classes>:aeron-all.jar \
 *       AeronIpcPingPong <warmup> <round-trips> <out-file> <aeron-dir>
 *
 * An embedded Java media driver in <aeron-dir> (SHARED threading: one thread, Agrona's backoff
 * idle strategy, non-sparse term buffers; removed on exit), two clients with Aeron's own
 * conductor threads, and two threads "ping" and "pong" pinned to CPU 0 and CPU 1 with taskset,
 * each spinning (BusySpinIdleStrategy). Ping reads System.nanoTime, offers 32 bytes on stream
 * 1002 of aeron:ipc, and polls its image of stream 1003 until the echo's position; pong polls
 * stream 1002 and echoes each message on 1003 with tryClaim. After <warmup> round trips ping
 * records <round-trips> of them, writes them to <out-file> (big-endian 64-bit nanoseconds),
 * and the program closes everything and exits 0.
 */

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

public final class AeronIpcPingPong
{
    private static final String CHANNEL = "aeron:ipc";
    private static final int PING_STREAM = 1002;
    private static final int PONG_STREAM = 1003;
    private static final int MESSAGE_LENGTH = 32;
    private static final int FRAGMENT_LIMIT = 10;
    private static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(20);

    private static volatile boolean running = true;
    private static volatile boolean go;

    public static void main(final String[] args) throws Exception
    {
        final long warmup = Long.parseLong(args[0]);
        final long[] rtts = new long[Integer.parseInt(args[1])];
        final String out = args[2];
        final String dir = args[3];
        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy())
            .termBufferSparseFile(false)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true);
        try (MediaDriver driver = MediaDriver.launch(driverContext);
            Aeron pingAeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir).preTouchMappedMemory(true));
            Aeron pongAeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir).preTouchMappedMemory(true)))
        {
            final Thread pong = new Thread(() -> pong(pongAeron), "pong");
            final Thread ping = new Thread(() -> ping(pingAeron, warmup, rtts), "ping");
            pong.start();
            ping.start();
            try
            {
                BenchThreads.pin("pong", 1);
                BenchThreads.pin("ping", 0);
                go = true;
                ping.join();
            }
            finally
            {
                running = false;
                ping.join();
                pong.join();
            }
            if (0 == rtts[rtts.length - 1])
            {
                throw new IllegalStateException("ping did not finish");
            }
        }
        BenchThreads.write(rtts, out);
    }

    private static void pong(final Aeron aeron)
    {
        try (Subscription subscription = aeron.addSubscription(CHANNEL, PING_STREAM);
            ExclusivePublication publication = aeron.addExclusivePublication(CHANNEL, PONG_STREAM))
        {
            final BufferClaim claim = new BufferClaim();
            final FragmentHandler echo = (buffer, offset, length, header) ->
            {
                while (publication.tryClaim(length, claim) <= 0)
                {
                    if (!running)
                    {
                        return;
                    }
                    Thread.onSpinWait();
                }
                claim.buffer().putBytes(claim.offset(), buffer, offset, length);
                claim.commit();
            };
            final BusySpinIdleStrategy idle = new BusySpinIdleStrategy();
            while (running)
            {
                idle.idle(subscription.poll(echo, FRAGMENT_LIMIT));
            }
        }
    }

    private static void ping(final Aeron aeron, final long warmup, final long[] rtts)
    {
        try (ExclusivePublication publication = aeron.addExclusivePublication(CHANNEL, PING_STREAM);
            Subscription subscription = aeron.addSubscription(CHANNEL, PONG_STREAM))
        {
            final long deadline = System.nanoTime() + CONNECT_TIMEOUT_NS;
            while (!go || !publication.isConnected() || 0 == subscription.imageCount())
            {
                if (!running || System.nanoTime() > deadline)
                {
                    return;
                }
                Thread.yield();
            }
            final Image image = subscription.imageAtIndex(0);
            final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));
            final FragmentHandler ignore = (buffer, offset, length, header) -> {};
            final BusySpinIdleStrategy idle = new BusySpinIdleStrategy();
            final long total = warmup + rtts.length;
            for (long i = 0; i < total && running; i++)
            {
                final long t0 = System.nanoTime();
                long position;
                while ((position = publication.offer(message, 0, MESSAGE_LENGTH)) < 0)
                {
                    if (!running)
                    {
                        return;
                    }
                    Thread.onSpinWait();
                }
                while (image.position() < position)
                {
                    idle.idle(image.poll(ignore, FRAGMENT_LIMIT));
                }
                final long t1 = System.nanoTime();
                if (i >= warmup)
                {
                    rtts[(int)(i - warmup)] = t1 - t0;
                }
            }
        }
    }
}
