/*
 * Agrona's AgentRunner and BusySpinIdleStrategy running the agent ping-pong of the benchmark
 * harness (scenario 2, benches/src/scenarios/pingpong.rs) in Java, for the same run's table.
 *
 * Usage:
 *   javac -d <classes> -cp agrona.jar benches/java/AgronaPingPong.java benches/java/BenchThreads.java
 *   java -cp <classes>:agrona.jar AgronaPingPong <warmup> <round-trips> <out-file>
 *
 * Two agents, "ping" and "pong", each under an AgentRunner of its own with BusySpinIdleStrategy,
 * their threads pinned to CPU 0 and CPU 1 with taskset before the exchange starts. They move
 * one 64-bit word on a cache line of its own from 2i to 2i+1 (ping) and 2i+1 to 2i+2 (pong) by
 * compare-and-swap, one attempt per duty cycle; ping reads System.nanoTime after each of its
 * successful CASes: the gap between two is one round trip. After <warmup> round trips it
 * records <round-trips> of them, writes them to <out-file> (big-endian 64-bit nanoseconds),
 * closes both runners and exits 0.
 */

import org.agrona.BufferUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.CountDownLatch;

public final class AgronaPingPong
{
    private static final int CPU_PING = 0;
    private static final int CPU_PONG = 1;

    static final class Ping implements Agent
    {
        private final UnsafeBuffer line;
        private final long warmup;
        private final long[] rtts;
        private final CountDownLatch finished = new CountDownLatch(1);
        private volatile boolean go;
        private boolean started;
        private long next;
        private long done;
        private long last;

        Ping(final UnsafeBuffer line, final long warmup, final long[] rtts)
        {
            this.line = line;
            this.warmup = warmup;
            this.rtts = rtts;
        }

        public int doWork()
        {
            if (!started)
            {
                if (!go)
                {
                    return 0;
                }
                started = true;
            }
            if (!line.compareAndSetLong(0, next, next + 1))
            {
                return 0;
            }
            final long t = System.nanoTime();
            if (done > warmup)
            {
                rtts[(int)(done - warmup - 1)] = t - last;
            }
            last = t;
            next += 2;
            done++;
            if (done > warmup + rtts.length)
            {
                throw new AgentTerminationException();
            }
            return 1;
        }

        public void onClose()
        {
            finished.countDown();
        }

        public String roleName()
        {
            return "ping";
        }
    }

    static final class Pong implements Agent
    {
        private final UnsafeBuffer line;
        private long next = 1;

        Pong(final UnsafeBuffer line)
        {
            this.line = line;
        }

        public int doWork()
        {
            if (line.compareAndSetLong(0, next, next + 1))
            {
                next += 2;
                return 1;
            }
            return 0;
        }

        public String roleName()
        {
            return "pong";
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final long warmup = Long.parseLong(args[0]);
        final int roundTrips = Integer.parseInt(args[1]);
        final String out = args[2];
        final UnsafeBuffer line = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128, 128));
        final Ping ping = new Ping(line, warmup, new long[roundTrips]);
        final ErrorHandler errors = (error) ->
        {
            if (!(error instanceof AgentTerminationException))
            {
                error.printStackTrace();
            }
        };
        final AgentRunner pongRunner = new AgentRunner(new BusySpinIdleStrategy(), errors, null, new Pong(line));
        final AgentRunner pingRunner = new AgentRunner(new BusySpinIdleStrategy(), errors, null, ping);
        AgentRunner.startOnThread(pongRunner);
        AgentRunner.startOnThread(pingRunner);
        try
        {
            BenchThreads.pin("pong", CPU_PONG);
            BenchThreads.pin("ping", CPU_PING);
            ping.go = true;
            ping.finished.await();
        }
        finally
        {
            pingRunner.close();
            pongRunner.close();
        }
        BenchThreads.write(ping.rtts, out);
    }
}
