package dev.understudy.benchmarks.journal;

import dev.understudy.transport.auth.FrameAuthenticator;
import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordBatchReader;
import dev.understudy.transport.record.RecordBatchWriter;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHandler;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.SegmentFlyweight;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the record log's frame path per frame of 16 SEGMENT records (80 B or 1,400 B each): encode,
 * seal (CRC-32C) and pack them ({@link RecordBatchWriter}), then validate and iterate them
 * ({@link RecordBatchReader}); unsigned ({@code frameUnsigned}) and with the HMAC-SHA256 frame MAC
 * ({@code frameSigned}), against a plain copy of the same bytes ({@code baselineCopy}), in one run.
 *
 * <p>One command, from the repository root (after building the benchmarks jar):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RecordFrameBenchmark -rf json -rff benchmarks/results/record-frame.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
@State(Scope.Thread)
public class RecordFrameBenchmark {
    private static final int RECORDS = 16;

    /**
     * Whole record length in bytes. 80 B is the smallest size used: the SEGMENT layout's fixed part is
     * {@link SegmentFlyweight#PAYLOAD_OFFSET} (72) bytes, and 80 matches the smallest synthetic record
     * of the replication benchmarks; the 64 B variant of earlier runs is no longer a valid record.
     */
    @Param({"80", "1400"})
    public int recordSize;

    private final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
    private final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private RecordBatchWriter writer;
    private RecordBatchReader unsignedReader;
    private RecordBatchReader signedReader;
    private FrameAuthenticator signer;
    private long sequence;
    private long sink;
    private final RecordHandler handler = (b, o, l) -> sink += l;
    private int frameLength;

    @Setup
    public void setUp() {
        byte[] secret = "benchmark-shared-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
        writer = new RecordBatchWriter(1, frame, 0, frame.capacity());
        unsignedReader = new RecordBatchReader();
        signer = FrameAuthenticator.withSecret(secret);
        signedReader = new RecordBatchReader(FrameAuthenticator.withSecret(secret), new DecodeCounters());
        for (int i = 0; i < payload.capacity(); i++) {
            payload.putByte(i, (byte) i);
        }
        frameLength = encode(null);
    }

    private int encode(FrameAuthenticator authenticator) {
        int payloadLength = recordSize - SegmentFlyweight.PAYLOAD_OFFSET;
        writer.reset(1);
        for (int i = 0; i < RECORDS; i++) {
            int at = writer.claim(recordSize);
            segment.wrapForEncode(frame, at, 1, ++sequence).connectionId(7).seq(sequence).ack(1).window(512)
                .payload(payload, 0, payloadLength);
            writer.commit();
        }
        return writer.finish(authenticator);
    }

    private long decode(RecordBatchReader reader, int length) {
        if (reader.wrap(frame, 0, length) != RecordErrors.OK) {
            throw new IllegalStateException("frame rejected: " + reader.counters());
        }
        return reader.forEach(handler);
    }

    /** Encode + seal + pack 16 records, then validate + iterate them; no MAC. */
    @Benchmark
    public long frameUnsigned() {
        return decode(unsignedReader, encode(null));
    }

    /** Same with the frame signed and verified. */
    @Benchmark
    public long frameSigned() {
        return decode(signedReader, encode(signer));
    }

    /** Baseline: copy the same number of bytes twice (in and out), no codec. */
    @Benchmark
    public long baselineCopy() {
        copy.putBytes(0, frame, 0, frameLength);
        frame.putBytes(0, copy, 0, frameLength);
        return copy.getLong(RecordHeader.SEQUENCE_OFFSET);
    }
}
