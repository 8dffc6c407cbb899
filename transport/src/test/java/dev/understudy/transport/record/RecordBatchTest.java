package dev.understudy.transport.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class RecordBatchTest {
    private final Samples samples = new Samples();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[64 * 1024]);
    private final RecordBatchWriter writer = new RecordBatchWriter(5, frame, 0, 16 * 1024);

    /** Fills the writer with records of every type, cycling, from sequence {@code first}; returns the count. */
    private int fill(int epoch, long first, int max) {
        writer.reset(epoch);
        int n = 0;
        for (long s = first; n < max; s++, n++) {
            int type = RecordType.MIN + (int) (s % (RecordType.MAX - RecordType.MIN + 1));
            int at = writer.claim(Samples.MAX_LENGTH);
            if (at == RecordBatchWriter.NO_SPACE) {
                break;
            }
            samples.encode(type, frame, at, epoch, s, s);
            writer.commit();
        }
        return n;
    }

    @Test
    void shouldPackRecordsAlignedAndIterateThemInOrder() {
        int n = fill(4, 100, 10);
        assertEquals(10, n);
        int length = writer.finish();
        assertEquals(0, length % RecordHeader.ALIGNMENT);
        assertEquals(length, RecordBatch.frameLength(frame, 0));
        assertEquals(10, RecordBatch.recordCount(frame, 0));
        assertEquals(100, RecordBatch.firstSequence(frame, 0));
        assertEquals(109, RecordBatch.lastSequence(frame, 0));
        assertEquals(4, RecordBatch.epoch(frame, 0));

        RecordBatchReader reader = new RecordBatchReader();
        assertEquals(RecordErrors.OK, reader.wrap(frame, 0, length));
        assertEquals(10, reader.recordCount());
        List<Long> sequences = new ArrayList<>();
        long expectedOffset = RecordBatch.HEADER_LENGTH;
        while (reader.next()) {
            assertEquals(expectedOffset, reader.recordOffset());
            assertEquals(0, reader.recordOffset() % RecordHeader.ALIGNMENT);
            sequences.add(reader.recordSequence());
            int type = RecordType.MIN + (int) (reader.recordSequence() % (RecordType.MAX - RecordType.MIN + 1));
            assertEquals(type, reader.recordType());
            expectedOffset += RecordHeader.alignedLength(reader.recordLength());
        }
        assertEquals(List.of(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L, 108L, 109L), sequences);
        assertFalse(reader.next());
        assertEquals(0, reader.counters().total());
    }

    @Test
    void shouldStopClaimingWhenTheFrameIsFullAndKeepRoomForTheMac() {
        int n = fill(1, 1, 1000);
        assertTrue(n > 5 && n < 1000, "records in a 16 KiB frame: " + n);
        int length = writer.finish();
        assertTrue(length + RecordBatch.MAC_LENGTH <= 16 * 1024);
        RecordBatchReader reader = new RecordBatchReader();
        assertEquals(RecordErrors.OK, reader.wrap(frame, 0, length));
        assertEquals(n, reader.forEach((b, o, l) -> { }));
    }

    @Test
    void shouldCopyPreEncodedRecords() {
        UnsafeBuffer single = new UnsafeBuffer(new byte[Samples.MAX_LENGTH]);
        RecordCodec codec = new RecordCodec();
        writer.reset(2);
        for (long s = 7; s < 10; s++) {
            int len = samples.encode(RecordType.APP_WRITE, single, 0, 2, s, s);
            codec.seal(single, 0);
            assertTrue(writer.append(single, 0, len) > 0);
        }
        RecordBatchReader reader = new RecordBatchReader();
        assertEquals(RecordErrors.OK, reader.wrap(frame, 0, writer.finish()));
        assertEquals(3, reader.recordCount());
    }

    @Test
    void shouldRefuseMisuseAsBugs() {
        writer.reset(1);
        assertThrows(IllegalStateException.class, writer::commit);
        assertThrows(IllegalStateException.class, writer::finish);
        int at = writer.claim(AppReadFlyweight.LENGTH);
        samples.encode(RecordType.APP_READ, frame, at, 2, 1, 1); // wrong epoch
        assertThrows(IllegalStateException.class, writer::commit);
        writer.reset(1);
        at = writer.claim(AppReadFlyweight.LENGTH);
        samples.encode(RecordType.APP_READ, frame, at, 1, 1, 1);
        writer.commit();
        at = writer.claim(AppReadFlyweight.LENGTH);
        samples.encode(RecordType.APP_READ, frame, at, 1, 3, 1); // gap
        assertThrows(IllegalStateException.class, writer::commit);
    }

    @Test
    void shouldRejectInconsistentFramesWithCodes() {
        fill(1, 50, 4);
        int length = writer.finish();
        RecordBatchReader reader = new RecordBatchReader();
        UnsafeBuffer copy = new UnsafeBuffer(new byte[frame.capacity()]);

        assertEquals(RecordErrors.TRUNCATED, reader.wrap(frame, 0, 20));
        assertEquals(RecordErrors.TRUNCATED, reader.wrap(frame, 0, length - 8));
        assertEquals(RecordErrors.BAD_LENGTH, reader.wrap(frame, 0, length + 8));

        copy.putBytes(0, frame, 0, length);
        copy.putShort(RecordBatch.RECORD_COUNT_OFFSET, (short) 3, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_FRAME, reader.wrap(copy, 0, length));

        copy.putBytes(0, frame, 0, length);
        copy.putLong(RecordBatch.FIRST_SEQUENCE_OFFSET, 49, RecordHeader.ORDER);
        copy.putLong(RecordBatch.LAST_SEQUENCE_OFFSET, 52, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_SEQUENCE, reader.wrap(copy, 0, length));

        copy.putBytes(0, frame, 0, length);
        copy.putInt(RecordBatch.EPOCH_OFFSET, 2, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_SEQUENCE, reader.wrap(copy, 0, length));

        copy.putBytes(0, frame, 0, length);
        copy.putByte(RecordBatch.VERSION_OFFSET, (byte) 9);
        assertEquals(RecordErrors.BAD_VERSION, reader.wrap(copy, 0, length));

        copy.putBytes(0, frame, 0, length);
        copy.putByte(RecordBatch.HEADER_LENGTH + 30, (byte) 0x55);
        assertEquals(RecordErrors.BAD_CRC, reader.wrap(copy, 0, length));
        assertEquals(0, reader.recordCount());
        assertFalse(reader.next());

        assertEquals(1, reader.counters().get(RecordErrors.BAD_CRC));
        assertEquals(2, reader.counters().get(RecordErrors.BAD_SEQUENCE));
        assertEquals(8, reader.counters().total());
    }
}
