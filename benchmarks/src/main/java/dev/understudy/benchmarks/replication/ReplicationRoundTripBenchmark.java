package dev.understudy.benchmarks.replication;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * publish → durable-ack round trip: the primary publishes one record, sends its frame, and spins
 * until a clone acknowledged that the record is in its Chronicle journal (k = 1).
 * <ul>
 *   <li>{@code udp}: node1 → node2/node3 over UDP multicast across lab namespaces (clone JVMs
 *       spawned by {@link ReplicationBenchLauncher}); this JVM runs in node1.</li>
 *   <li>{@code ipc}: the same round trip over Aeron IPC to a clone in this process (no network).</li>
 * </ul>
 * Run only through the launcher (one command, see {@link ReplicationBenchLauncher}). Targets:
 * smallest record p50 ≤ 50 µs, p99 ≤ 500 µs.
 *
 * <p>Record sizes: 80 B is the smallest valid synthetic record ({@code SyntheticRecords.MIN_LENGTH}:
 * the SEGMENT layout's 72-byte fixed part plus 8 payload bytes); the 64 B variant of earlier runs
 * (results before the v2 record layouts) is no longer a valid record and fails at run time.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED", "-Dchronicle.analytics.disable=true"})
public class ReplicationRoundTripBenchmark {

    @State(Scope.Benchmark)
    public static class Udp {
        @Param({"80", "1400"})
        public int size;
        BenchPrimary bench;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            bench = new BenchPrimary(false, 2);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            bench.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Ipc {
        @Param({"80", "1400"})
        public int size;
        BenchPrimary bench;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            bench = new BenchPrimary(true, 1);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            bench.close();
        }
    }

    @Benchmark
    public long udp(Udp s) {
        return s.bench.roundTrip(s.size, 1);
    }

    @Benchmark
    public long ipc(Ipc s) {
        return s.bench.roundTrip(s.size, 1);
    }
}
