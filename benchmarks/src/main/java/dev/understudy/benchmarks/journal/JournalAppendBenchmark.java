package dev.understudy.benchmarks.journal;

import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.SegmentFlyweight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
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

/**
 * Latency of appending one record to the clone's Chronicle Queue {@link Journal}
 * ({@code chronicleAppend}), against the same record copied into plain memory
 * ({@code baselineMemoryCopy}: a 64 MiB ring, what a journal-less clone would do at least), in the
 * same run, for 64-byte and 1,400-byte SEGMENT records. SampleTime mode: read p50/p99/p99.9 from the
 * {@code ·p0.50}/{@code ·p0.99} rows. Target: Chronicle append p50 &lt;= 2 µs.
 *
 * <p>One command (after {@code mvn -B -o -q -pl transport install -DskipTests} and
 * {@code mvn -B -o -q -pl benchmarks package -DskipTests}), from the repository root:
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar JournalAppendBenchmark -rf json -rff benchmarks/results/journal.json
 * </pre>
 *
 * What it measures: {@link Journal#append} as the replication channel uses it (records already
 * validated by the frame reader, so {@code verifyOnAppend=false}), the record's sequence advanced per
 * operation, into a memory-mapped cycle file including the journal's disk-full headroom allocation.
 * The queue lives in {@code -Djournal.bench.dir} (default: a temp directory, removed afterwards) and
 * rolls every second ({@code TEST_SECONDLY}) keeping 4 cycles, so a run stays within a few GB of disk;
 * the roll and deletion happen inside an append and show in the high percentiles only.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "-Dchronicle.analytics.disable=true",
    "-Xms1g", "-Xmx1g",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED"})
@State(Scope.Thread)
public class JournalAppendBenchmark {
    /** Directory under which the benchmark's queue is created. */
    public static final String DIR_PROP = "journal.bench.dir";

    private static final int RING = 64 << 20;

    /** Whole record length in bytes (a SEGMENT: 56-byte fixed part plus payload). */
    @Param({"64", "1400"})
    public int recordSize;

    private Path root;
    private Journal journal;
    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    private final UnsafeBuffer ring = new UnsafeBuffer(ByteBuffer.allocateDirect(RING));
    private int ringPosition;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String base = System.getProperty(DIR_PROP);
        root = base == null ? Files.createTempDirectory("journal-bench-")
            : Files.createTempDirectory(Files.createDirectories(Path.of(base)), "journal-bench-");
        journal = Journal.open(JournalConfig.builder(root.resolve("queue")).rollCycle("TEST_SECONDLY")
            .retainCycles(4).verifyOnAppend(false).build());
        int payload = recordSize - SegmentFlyweight.PAYLOAD_OFFSET;
        SegmentFlyweight segment = new SegmentFlyweight().wrapForEncode(record, 0, 1, 1).connectionId(42)
            .seq(1000).ack(2000).window(65535).tcpFlags(0x18);
        segment.payloadLength(payload);
        for (int i = 0; i < payload; i++) {
            record.putByte(segment.payloadOffset() + i, (byte) i);
        }
        new RecordCodec().seal(record, 0);
        if (RecordHeader.length(record, 0) != recordSize) {
            throw new IllegalStateException("record length " + RecordHeader.length(record, 0) + " != " + recordSize);
        }
        sequence = 0;
        ringPosition = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        journal.close();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The record appended to the Chronicle journal. */
    @Benchmark
    public long chronicleAppend() {
        record.putLong(RecordHeader.SEQUENCE_OFFSET, ++sequence, RecordHeader.ORDER);
        return journal.append(record, 0, recordSize);
    }

    /** Baseline: the same record copied into plain memory. */
    @Benchmark
    public long baselineMemoryCopy() {
        record.putLong(RecordHeader.SEQUENCE_OFFSET, ++sequence, RecordHeader.ORDER);
        int at = ringPosition;
        if (at + recordSize > RING) {
            at = 0;
        }
        ring.putBytes(at, record, 0, recordSize);
        ringPosition = at + RecordHeader.alignedLength(recordSize);
        return sequence;
    }
}
