package dev.understudy.benchmarks.replication;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Sustained replication rate of {@value #RECORD_SIZE}-byte records from node1 to both clones: one operation =
 * one record; an invocation publishes {@value #BATCH} records (retrying on back-pressure) and
 * then waits until the last one is durable on k = 2 clones, so the score is records/s made
 * durable on two clones. Also over IPC in this process for comparison. Target ≥ 500,000/s.
 * Run only through {@link ReplicationBenchLauncher}.
 *
 * <p>{@value #RECORD_SIZE} B is the smallest valid synthetic record ({@code SyntheticRecords.MIN_LENGTH}); the
 * 64 B records of earlier runs (before the v2 record layouts) fail at run time.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED", "-Dchronicle.analytics.disable=true"})
public class ReplicationThroughputBenchmark {
    static final int BATCH = 10_000;
    /** Record length in bytes: the smallest valid synthetic record. */
    static final int RECORD_SIZE = 80;

    @State(Scope.Benchmark)
    public static class Udp {
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

    private static long batch(BenchPrimary b, int k) {
        long last = 0;
        for (int i = 0; i < BATCH; i++) {
            last = b.publish(RECORD_SIZE);
            if ((i & 255) == 255) {
                b.primary.doWork(System.nanoTime());
            }
        }
        b.flushAndAwait(last, k);
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long udpToTwoClones(Udp s) {
        return batch(s.bench, 2);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ipcToOneClone(Ipc s) {
        return batch(s.bench, 1);
    }
}
