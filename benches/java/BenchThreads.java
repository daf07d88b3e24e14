/*
 * What the Java peers of the benchmark harness share: pinning one of the JVM's own threads to
 * a CPU by its name (the JVM gives each Java thread's native thread the Java thread's name,
 * cut to 15 bytes, which /proc/self/task/<tid>/comm shows), with `taskset`, as the harness
 * pins its own threads; and writing the round trips measured for the harness to read.
 */

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

final class BenchThreads
{
    private BenchThreads()
    {
    }

    /** Pins the thread of this JVM named {@code name} to {@code cpu} with {@code taskset -pc}. */
    static void pin(final String name, final int cpu) throws IOException, InterruptedException
    {
        final File[] tasks = new File("/proc/self/task").listFiles();
        if (null != tasks)
        {
            for (final File task : tasks)
            {
                final String comm;
                try
                {
                    comm = new String(Files.readAllBytes(new File(task, "comm").toPath()), StandardCharsets.UTF_8).trim();
                }
                catch (final IOException ignore)
                {
                    continue; // the thread ended meanwhile
                }
                if (comm.equals(name))
                {
                    final Process taskset = new ProcessBuilder("taskset", "-pc", Integer.toString(cpu), task.getName())
                        .redirectErrorStream(true)
                        .redirectOutput(Redirect.DISCARD)
                        .start();
                    if (0 != taskset.waitFor())
                    {
                        throw new IOException("taskset -pc " + cpu + " " + task.getName() + " failed");
                    }
                    return;
                }
            }
        }
        throw new IOException("no thread named " + name + " in this JVM");
    }

    /** Writes {@code rtts} (nanoseconds) as big-endian 64-bit integers to {@code path}. */
    static void write(final long[] rtts, final String path) throws IOException
    {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(path), 1 << 16)))
        {
            for (final long rtt : rtts)
            {
                out.writeLong(rtt);
            }
        }
    }
}
