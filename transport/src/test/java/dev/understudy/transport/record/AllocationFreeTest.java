package dev.understudy.transport.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Encoding, sealing, validating and batch reading allocate nothing per record (heap and direct buffers). */
class AllocationFreeTest {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private final TcpInfoFlyweight tcpInfo = new TcpInfoFlyweight();
    private final TurnFlyweight turn = new TurnFlyweight();
    private final ClockFlyweight clock = new ClockFlyweight();
    private final RandomFlyweight random = new RandomFlyweight();
    private final byte[] randomBytes = new byte[RandomFlyweight.MAX_PAYLOAD];
    private final RecordCodec codec = new RecordCodec();
    private final RecordBatchReader reader = new RecordBatchReader();
    private long sink;
    private final RecordHandler handler = (b, o, l) -> sink += RecordHeader.sequence(b, o);

    private long roundTrips(UnsafeBuffer buffer, RecordBatchWriter writer, int frames) {
        long records = 0;
        for (int f = 0; f < frames; f++) {
            writer.reset(1);
            for (int i = 0; i < 8; i++) {
                long s = (long) f * 8 + i;
                int at = writer.claim(SegmentFlyweight.lengthFor(100));
                switch (i) {
                    case 0 -> appRead.wrapForEncode(buffer, at, 1, s).connectionId(i).streamOffset(s * 10).readOrder(s)
                        .byteCount((f & 1) == 0 ? 10 : AppReadFlyweight.EOF);
                    case 4 -> turn.wrapForEncode(buffer, at, 1, s).connectionId(i).kind(TurnFlyweight.READ).ordinal(s)
                        .turnOrder(s);
                    case 5 -> clock.wrapForEncode(buffer, at, 1, s).turnOrder(s).index(i).source(ClockFlyweight.INSTANT)
                        .value(s).nanos(i);
                    case 6 -> random.wrapForEncode(buffer, at, 1, s).turnOrder(s).index(i).source(RandomFlyweight.BYTES)
                        .payload(randomBytes, 0, RandomFlyweight.MAX_PAYLOAD);
                    case 7 -> random.wrapForEncode(buffer, at, 1, s).turnOrder(s).index(i).source(RandomFlyweight.SEED)
                        .seed(s);
                    case 1 -> segment.wrapForEncode(buffer, at, 1, s).connectionId(i).arrivalNanos(s).seq(s)
                        .timestamps(s, 0).payloadLength(100);
                    case 2 -> appWrite.wrapForEncode(buffer, at, 1, s).connectionId(i).streamOffset(s).byteCount(10)
                        .bytesCrc32c((int) s);
                    default -> tcpInfo.wrapForEncode(buffer, at, 1, s).connectionId(i).tcpiOptions(7).sndUna(s)
                        .sndNxt(s + 1).timestampClock(s).clockReadNanos(s);
                }
                writer.commit();
            }
            int length = writer.finish();
            if (reader.wrap(buffer, 0, length) != RecordErrors.OK) {
                throw new AssertionError("frame rejected");
            }
            records += reader.forEach(handler);
            if (codec.validate(buffer, RecordBatch.HEADER_LENGTH, length - RecordBatch.HEADER_LENGTH) != RecordErrors.OK) {
                throw new AssertionError("record rejected");
            }
        }
        return records;
    }

    @Test
    void shouldEncodeAndDecodeWithoutAllocating() {
        for (UnsafeBuffer buffer : new UnsafeBuffer[] {
            new UnsafeBuffer(new byte[8192]), new UnsafeBuffer(ByteBuffer.allocateDirect(8192))}) {
            RecordBatchWriter writer = new RecordBatchWriter(1, buffer, 0, 8192);
            roundTrips(buffer, writer, 20_000); // warm up: class loading, the feeder's one ByteBuffer duplicate
            long before = THREADS.getCurrentThreadAllocatedBytes();
            long records = roundTrips(buffer, writer, 20_000);
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertEquals(160_000, records);
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes for " + records + " records");
        }
    }
}
