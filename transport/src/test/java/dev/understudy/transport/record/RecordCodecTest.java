package dev.understudy.transport.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
    private final Samples samples = new Samples();
    private final RecordCodec codec = new RecordCodec();

    @Test
    void shouldDetectEveryFlippedByteOfEveryRecordType() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[Samples.MAX_LENGTH]);
        long flips = 0;
        for (int type = RecordType.MIN; type <= RecordType.MAX; type++) {
            int length = samples.encode(type, b, 0, 3, 1000 + type, 17 + type);
            codec.seal(b, 0);
            assertEquals(RecordErrors.OK, codec.validate(b, 0, length), RecordType.name(type));
            for (int i = 0; i < length; i++) {
                for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                    byte original = b.getByte(i);
                    b.putByte(i, (byte) (original ^ mask));
                    int code = codec.validate(b, 0, length);
                    b.putByte(i, original);
                    assertNotEquals(RecordErrors.OK, code, RecordType.name(type) + " byte " + i + " mask " + mask);
                    flips++;
                }
            }
            assertEquals(RecordErrors.OK, codec.validate(b, 0, length));
        }
        assertEquals(flips, codec.counters().total());
    }

    @Test
    void shouldComputeTheSameCrcOverEveryKindOfBuffer() {
        UnsafeBuffer heap = new UnsafeBuffer(new byte[Samples.MAX_LENGTH]);
        int length = samples.encode(RecordType.SEGMENT, heap, 0, 1, 5, 40);
        codec.seal(heap, 0);
        int crc = RecordHeader.length(heap, 0) == length ? heap.getInt(RecordHeader.CRC_OFFSET, RecordHeader.ORDER) : 0;

        ByteBuffer directBb = ByteBuffer.allocateDirect(length + 64);
        ByteBuffer rawBb = ByteBuffer.allocateDirect(length + 64);
        ByteBuffer heapBb = ByteBuffer.allocate(length + 64);
        DirectBuffer[] views = {
            copyTo(new UnsafeBuffer(new byte[length + 24], 8, length + 16), 8, heap, length),
            copyTo(new UnsafeBuffer(directBb, 16, length + 8), 8, heap, length),
            copyTo(new UnsafeBuffer(heapBb, 24, length + 8), 8, heap, length),
            copyTo(new UnsafeBuffer(org.agrona.BufferUtil.address(rawBb) + 32, length + 16), 8, heap, length),
            copyTo(new ExpandableArrayBuffer(64), 8, heap, length),
        };
        for (int i = 0; i < views.length; i++) {
            DirectBuffer v = views[i];
            assertEquals(crc, codec.computeCrc(v, 8, length), "view " + i);
            assertEquals(RecordErrors.OK, codec.validate(v, 8, length));
        }
    }

    private static DirectBuffer copyTo(MutableDirectBuffer dst, int at, DirectBuffer src, int length) {
        dst.putBytes(at, src, 0, length);
        return dst;
    }

    @Test
    void shouldReturnCodesForMalformedHeadersWithoutThrowing() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        int length = samples.encode(RecordType.APP_READ, b, 0, 1, 1, 1);
        codec.seal(b, 0);
        assertEquals(RecordErrors.TRUNCATED, codec.validate(b, 0, 10));
        assertEquals(RecordErrors.TRUNCATED, codec.validate(b, 0, length - 1));
        assertEquals(RecordErrors.TRUNCATED, codec.validate(b, 250, 24));
        assertEquals(RecordErrors.TRUNCATED, codec.validate(b, -1, 24));

        b.putInt(0, 3, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_LENGTH, codec.validate(b, 0, 256));
        b.putInt(0, RecordHeader.MAX_RECORD_LENGTH + 1, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_LENGTH, codec.validate(b, 0, 256));
        b.putInt(0, length, RecordHeader.ORDER);

        b.putByte(4, (byte) (RecordHeader.CURRENT_VERSION + 1));
        assertEquals(RecordErrors.BAD_VERSION, codec.validate(b, 0, length));
        b.putByte(4, (byte) RecordHeader.CURRENT_VERSION);

        b.putByte(5, (byte) 99);
        codec.seal(b, 0);
        assertEquals(RecordErrors.BAD_TYPE, codec.validate(b, 0, length));

        b.putByte(5, (byte) RecordType.APP_WRITE); // APP_WRITE is 48 bytes, this APP_READ is 56
        codec.seal(b, 0);
        assertEquals(RecordErrors.BAD_BODY, codec.validate(b, 0, length));

        int seg = samples.encode(RecordType.SEGMENT, b, 0, 1, 1, 3);
        b.putInt(SegmentFlyweight.PAYLOAD_LENGTH_OFFSET, seg, RecordHeader.ORDER);
        codec.seal(b, 0);
        assertEquals(RecordErrors.BAD_BODY, codec.validate(b, 0, seg));

        assertEquals(1, codec.counters().get(RecordErrors.BAD_TYPE));
        assertEquals(2, codec.counters().get(RecordErrors.BAD_BODY));
        assertEquals(4, codec.counters().get(RecordErrors.TRUNCATED));
        assertEquals(2, codec.counters().get(RecordErrors.BAD_LENGTH));
        assertEquals(1, codec.counters().get(RecordErrors.BAD_VERSION));
        assertEquals(10, codec.counters().total());
    }

    @Test
    void shouldAcceptReadStatusesAndRejectOtherNonPositiveByteCounts() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        AppReadFlyweight read = new AppReadFlyweight();
        for (int status : new int[] {AppReadFlyweight.EOF, AppReadFlyweight.RESET, AppReadFlyweight.TIMEOUT, 1, 65536}) {
            read.wrapForEncode(b, 0, 1, 1).connectionId(9).streamOffset(10).readOrder(11).byteCount(status);
            codec.seal(b, 0);
            assertEquals(RecordErrors.OK, codec.validate(b, 0, AppReadFlyweight.LENGTH), "byte count " + status);
            assertEquals(status, read.wrap(b, 0).byteCount());
            assertEquals(status > 0, read.hasBytes());
        }
        for (int bad : new int[] {0, -4, Integer.MIN_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> read.byteCount(bad), "flyweight refuses " + bad);
            b.putInt(AppReadFlyweight.BYTE_COUNT_OFFSET, bad, RecordHeader.ORDER); // as a buggy or hostile writer would
            codec.seal(b, 0);
            assertEquals(RecordErrors.BAD_BODY, codec.validate(b, 0, AppReadFlyweight.LENGTH), "byte count " + bad);
        }
        assertEquals(3, codec.counters().get(RecordErrors.BAD_BODY));
    }

    /** Re-encodes a valid TURN, CLOCK or RANDOM, overwrites one field raw (as a buggy or hostile writer would), seals, validates. */
    private int withField(int type, int source, int fieldOffset, int width, long value) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        switch (type) {
            case RecordType.TURN -> new TurnFlyweight().wrapForEncode(b, 0, 1, 1).connectionId(5).kind(TurnFlyweight.READ)
                .ordinal(3).turnOrder(9);
            case RecordType.CLOCK -> {
                ClockFlyweight c = new ClockFlyweight().wrapForEncode(b, 0, 1, 1).turnOrder(9).index(2).source(source).value(77);
                if (source == ClockFlyweight.INSTANT) {
                    c.nanos(500);
                }
            }
            default -> {
                RandomFlyweight r = new RandomFlyweight().wrapForEncode(b, 0, 1, 1).turnOrder(9).index(2).source(source);
                if (source == RandomFlyweight.BYTES) {
                    r.payload(new byte[] {1, 2, 3}, 0, 3);
                } else {
                    r.seed(0x1234);
                }
            }
        }
        if (width == 8) {
            b.putLong(fieldOffset, value, RecordHeader.ORDER);
        } else {
            b.putInt(fieldOffset, (int) value, RecordHeader.ORDER);
        }
        codec.seal(b, 0);
        return codec.validate(b, 0, RecordType.fixedLength(type));
    }

    // Mutation check (done once, JDK 17): with each condition of TurnFlyweight.hasValidBody removed in
    // turn (kind, ordinal, turn order), this test failed on that field's rejected value.
    @Test
    void shouldRejectEveryOutOfRangeTurnField() {
        int t = RecordType.TURN;
        for (int kind = TurnFlyweight.READ; kind <= TurnFlyweight.TASK; kind++) {
            assertEquals(RecordErrors.OK, withField(t, 0, TurnFlyweight.KIND_OFFSET, 4, kind), "kind " + kind);
        }
        assertEquals(RecordErrors.OK, withField(t, 0, TurnFlyweight.ORDINAL_OFFSET, 8, 0));
        assertEquals(RecordErrors.OK, withField(t, 0, TurnFlyweight.TURN_ORDER_OFFSET, 8, Long.MAX_VALUE));
        assertEquals(RecordErrors.OK, withField(t, 0, TurnFlyweight.CONNECTION_ID_OFFSET, 8, TurnFlyweight.NO_CONNECTION));
        assertEquals(0, codec.counters().total());
        for (long kind : new long[] {0, 5, -1, Integer.MIN_VALUE}) {
            assertEquals(RecordErrors.BAD_BODY, withField(t, 0, TurnFlyweight.KIND_OFFSET, 4, kind), "kind " + kind);
        }
        for (long n : new long[] {-1, Long.MIN_VALUE}) {
            assertEquals(RecordErrors.BAD_BODY, withField(t, 0, TurnFlyweight.ORDINAL_OFFSET, 8, n), "ordinal " + n);
            assertEquals(RecordErrors.BAD_BODY, withField(t, 0, TurnFlyweight.TURN_ORDER_OFFSET, 8, n), "turn order " + n);
        }
        assertEquals(8, codec.counters().get(RecordErrors.BAD_BODY));
        TurnFlyweight f = new TurnFlyweight().wrapForEncode(new UnsafeBuffer(new byte[64]), 0, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> f.kind(0));
        assertThrows(IllegalArgumentException.class, () -> f.kind(5));
    }

    // Mutation check (done once, JDK 17): with each condition of ClockFlyweight.hasValidBody removed in
    // turn (turn order, index, source, INSTANT's nanos range, other sources' nanos == 0), this test
    // failed on that field's rejected value.
    @Test
    void shouldRejectEveryOutOfRangeClockField() {
        int c = RecordType.CLOCK;
        for (int source = ClockFlyweight.WALL_MILLIS; source <= ClockFlyweight.INSTANT; source++) {
            assertEquals(RecordErrors.OK, withField(c, source, ClockFlyweight.TURN_ORDER_OFFSET, 8, -1), "source " + source);
            assertEquals(RecordErrors.OK, withField(c, source, ClockFlyweight.INDEX_OFFSET, 4, 0), "source " + source);
            assertEquals(RecordErrors.OK, withField(c, source, ClockFlyweight.VALUE_OFFSET, 8, Long.MIN_VALUE));
        }
        assertEquals(RecordErrors.OK, withField(c, ClockFlyweight.INSTANT, ClockFlyweight.NANOS_OFFSET, 4, 0));
        assertEquals(RecordErrors.OK, withField(c, ClockFlyweight.INSTANT, ClockFlyweight.NANOS_OFFSET, 4, 999_999_999));
        assertEquals(0, codec.counters().total());

        int rejected = 0;
        for (int source = ClockFlyweight.WALL_MILLIS; source <= ClockFlyweight.INSTANT; source++) {
            assertEquals(RecordErrors.BAD_BODY, withField(c, source, ClockFlyweight.TURN_ORDER_OFFSET, 8, -2), "turn order");
            assertEquals(RecordErrors.BAD_BODY, withField(c, source, ClockFlyweight.INDEX_OFFSET, 4, -1), "index");
            rejected += 2;
        }
        for (long source : new long[] {0, 4, -1}) {
            assertEquals(RecordErrors.BAD_BODY, withField(c, ClockFlyweight.WALL_MILLIS, ClockFlyweight.SOURCE_OFFSET, 4, source),
                "source " + source);
            rejected++;
        }
        for (long nanos : new long[] {-1, 1_000_000_000, Integer.MIN_VALUE}) {
            assertEquals(RecordErrors.BAD_BODY, withField(c, ClockFlyweight.INSTANT, ClockFlyweight.NANOS_OFFSET, 4, nanos),
                "INSTANT nanos " + nanos);
            rejected++;
        }
        for (int source : new int[] {ClockFlyweight.WALL_MILLIS, ClockFlyweight.NANO_TIME}) {
            assertEquals(RecordErrors.BAD_BODY, withField(c, source, ClockFlyweight.NANOS_OFFSET, 4, 1), "nanos with source " + source);
            rejected++;
        }
        assertEquals(rejected, codec.counters().get(RecordErrors.BAD_BODY));
        ClockFlyweight f = new ClockFlyweight().wrapForEncode(new UnsafeBuffer(new byte[64]), 0, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> f.source(4));
        assertThrows(IllegalArgumentException.class, () -> f.nanos(1_000_000_000));
        assertThrows(IllegalArgumentException.class, () -> f.nanos(-1));
    }

    // Mutation check (done once, JDK 17): with each condition of RandomFlyweight.hasValidBody removed in
    // turn (turn order, index, source, BYTES' length range, the seeds' length of 8), this test failed on
    // that field's rejected value. (The source check first survived: the invalid sources were written
    // over a 3-byte BYTES record, which the length check rejected anyway.)
    @Test
    void shouldRejectEveryOutOfRangeRandomField() {
        int r = RecordType.RANDOM;
        for (int source = RandomFlyweight.SEED; source <= RandomFlyweight.TLR_SEED; source++) {
            assertEquals(RecordErrors.OK, withField(r, source, RandomFlyweight.TURN_ORDER_OFFSET, 8, -1), "source " + source);
            assertEquals(RecordErrors.OK, withField(r, source, RandomFlyweight.INDEX_OFFSET, 4, Integer.MAX_VALUE));
        }
        assertEquals(RecordErrors.OK, withField(r, RandomFlyweight.BYTES, RandomFlyweight.PAYLOAD_LENGTH_OFFSET, 4, 1));
        assertEquals(RecordErrors.OK, withField(r, RandomFlyweight.BYTES, RandomFlyweight.PAYLOAD_LENGTH_OFFSET, 4, 32));
        assertEquals(0, codec.counters().total());

        int rejected = 0;
        for (int source = RandomFlyweight.SEED; source <= RandomFlyweight.TLR_SEED; source++) {
            assertEquals(RecordErrors.BAD_BODY, withField(r, source, RandomFlyweight.TURN_ORDER_OFFSET, 8, -2), "turn order");
            assertEquals(RecordErrors.BAD_BODY, withField(r, source, RandomFlyweight.INDEX_OFFSET, 4, -1), "index");
            rejected += 2;
        }
        for (long source : new long[] {0, 4, -1}) {
            // over a seed-shaped record (length 8), so that the length check alone would let it pass
            assertEquals(RecordErrors.BAD_BODY, withField(r, RandomFlyweight.SEED, RandomFlyweight.SOURCE_OFFSET, 4, source),
                "source " + source);
            rejected++;
        }
        for (long length : new long[] {0, 33, -1, Integer.MAX_VALUE}) {
            assertEquals(RecordErrors.BAD_BODY,
                withField(r, RandomFlyweight.BYTES, RandomFlyweight.PAYLOAD_LENGTH_OFFSET, 4, length), "BYTES length " + length);
            rejected++;
        }
        for (int source : new int[] {RandomFlyweight.SEED, RandomFlyweight.TLR_SEED}) {
            for (long length : new long[] {7, 9, 32, 0}) {
                assertEquals(RecordErrors.BAD_BODY, withField(r, source, RandomFlyweight.PAYLOAD_LENGTH_OFFSET, 4, length),
                    "seed length " + length + " with source " + source);
                rejected++;
            }
        }
        assertEquals(rejected, codec.counters().get(RecordErrors.BAD_BODY));
        RandomFlyweight f = new RandomFlyweight().wrapForEncode(new UnsafeBuffer(new byte[80]), 0, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> f.source(0));
        assertThrows(IllegalArgumentException.class, () -> f.payload(new byte[33], 0, 33));
        assertThrows(IllegalArgumentException.class, () -> f.payload(new byte[1], 0, 0));
    }

    @Test
    void shouldRejectUnknownSegmentFlagsAndKeepATimestampOfZero() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        SegmentFlyweight seg = new SegmentFlyweight().wrapForEncode(b, 0, 1, 1).connectionId(1).timestamps(0, 0);
        seg.payload(new byte[] {1, 2, 3}, 0, 3);
        codec.seal(b, 0);
        assertEquals(RecordErrors.OK, codec.validate(b, 0, seg.length()));
        assertTrue(seg.hasTimestamp(), "TSval 0 with the option present is still a timestamp");
        assertEquals(0, seg.tsVal());
        seg.noTimestamps();
        assertFalse(seg.hasTimestamp());
        b.putByte(SegmentFlyweight.SEGMENT_FLAGS_OFFSET, (byte) 0x02);
        codec.seal(b, 0);
        assertEquals(RecordErrors.BAD_BODY, codec.validate(b, 0, seg.length()));
    }

    @Test
    void shouldRoundTripEveryRecordTypeThroughSealAndValidate() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[Samples.MAX_LENGTH]);
        UnsafeBuffer copy = new UnsafeBuffer(new byte[Samples.MAX_LENGTH]);
        for (int type = RecordType.MIN; type <= RecordType.MAX; type++) {
            for (long seed = 0; seed < 64; seed++) {
                int length = samples.encode(type, b, 0, 2, 100 + seed, seed * 0x9E3779B97F4A7C15L);
                assertEquals(length, codec.seal(b, 0));
                copy.putBytes(0, b, 0, length);
                assertEquals(RecordErrors.OK, codec.validate(copy, 0, length), RecordType.name(type) + " seed " + seed);
                assertEquals(type, RecordHeader.type(copy, 0));
                assertEquals(100 + seed, RecordHeader.sequence(copy, 0));
                assertEquals(type == RecordType.SEGMENT ? length : RecordType.fixedLength(type), length);
                assertEquals(0, length % 8 == 0 || type == RecordType.SEGMENT ? 0 : 1, RecordType.name(type) + " is 8-aligned");
            }
        }
        assertEquals(0, codec.counters().total());
    }
}
