package dev.understudy.transport.journal;

import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHandler;
import dev.understudy.transport.record.RecordHeader;
import java.util.NavigableSet;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reads a {@link Journal}'s records in sequence order, for the replayer and for serving catch-up.
 *
 * <p>Created by {@link Journal#tailer(long)} at the first record with sequence {@code >= fromSequence}:
 * the position is found by a binary search over cycles and excerpt indexes, not by a scan. The tailer
 * keeps following records appended after it was created. Each record is re-validated (CRC) as it is
 * read; a corrupt one is counted in {@link #counters()} and skipped.
 *
 * <p>Records are handed out as views into the mapped file, valid only during the handler call.
 * Confined to one thread at a time; close it before closing the journal. Polling allocates nothing.
 */
public final class JournalTailer implements AutoCloseable {
    private final Journal journal;
    private final SingleChronicleQueue queue;
    private final ExcerptTailer tailer;
    private final RecordCodec codec = new RecordCodec(new DecodeCounters());
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private UnsafeBuffer copy;
    private long nextSequence;

    JournalTailer(Journal journal, SingleChronicleQueue queue, long fromSequence) {
        this.journal = journal;
        this.queue = queue;
        this.tailer = queue.createTailer();
        this.tailer.singleThreadedCheckDisabled(true);
        this.nextSequence = Math.max(0, fromSequence);
        seek(nextSequence);
    }

    /**
     * Hands up to {@code limit} records, in order, to {@code handler}.
     *
     * @return how many were handed; 0 when the tailer is at the end of the journal
     * @throws IllegalStateException if the journal was closed
     */
    public int poll(RecordHandler handler, int limit) {
        if (journal.isClosed()) {
            throw new IllegalStateException("journal closed: dir=" + journal.directory());
        }
        int n = 0;
        while (n < limit) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                UnsafeBuffer record = wrap(dc.wire().bytes());
                if (record == null) {
                    continue;
                }
                int len = record.capacity();
                long sequence = RecordHeader.sequence(record, 0);
                if (sequence < nextSequence) {
                    continue; // before the requested start: the seek lands at or before it
                }
                handler.onRecord(record, 0, len);
                nextSequence = sequence + 1;
                n++;
            }
        }
        return n;
    }

    private UnsafeBuffer wrap(Bytes<?> bytes) {
        long pos = bytes.readPosition();
        long remaining = bytes.readRemaining();
        if (remaining < RecordHeader.HEADER_LENGTH || remaining > RecordHeader.MAX_RECORD_LENGTH) {
            codec.counters().increment(remaining < RecordHeader.HEADER_LENGTH ? RecordErrors.TRUNCATED
                : RecordErrors.BAD_LENGTH);
            return null;
        }
        int len = (int) remaining;
        long address = bytes.addressForRead(pos);
        BytesStore<?, ?> store = bytes.bytesStore();
        UnsafeBuffer record;
        if (store != null && store.isDirectMemory() && pos >= store.start() && pos + len <= store.safeLimit()) {
            view.wrap(address, len); // inside one mapping: zero copy
            record = view;
        } else {
            if (copy == null || copy.capacity() < RecordHeader.MAX_RECORD_LENGTH) {
                copy = new UnsafeBuffer(new byte[RecordHeader.MAX_RECORD_LENGTH]);
            }
            bytes.read(copy.byteArray(), 0, len);
            view.wrap(copy, 0, len);
            record = view;
        }
        if (codec.validate(record, 0, len) != RecordErrors.OK || RecordHeader.length(record, 0) != len) {
            return null;
        }
        return record;
    }

    /** Positions the tailer at (or shortly before) the first record with sequence >= target. */
    private void seek(long target) {
        tailer.toStart();
        if (target <= 0 || journal.firstSequence() == Journal.NO_SEQUENCE || target <= journal.firstSequence()) {
            return;
        }
        RollCycle rollCycle = queue.rollCycle();
        int first = queue.firstCycle();
        int last = queue.lastCycle();
        if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE) {
            return;
        }
        NavigableSet<Long> cycles = queue.listCyclesBetween(first, last);
        // the last cycle whose first record is at or before the target
        int found = Integer.MIN_VALUE;
        for (Long c : cycles.descendingSet()) {
            long s = sequenceAt(rollCycle.toIndex(c.intValue(), 0));
            if (s != Long.MIN_VALUE && s <= target) {
                found = c.intValue();
                break;
            }
        }
        if (found == Integer.MIN_VALUE) {
            tailer.toStart();
            return;
        }
        // binary search: largest excerpt number in the cycle whose sequence <= target
        long lo = 0;
        long hi = Math.max(0, tailer.excerptsInCycle(found) - 1);
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            long s = sequenceAt(rollCycle.toIndex(found, mid));
            if (s != Long.MIN_VALUE && s <= target) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if (!tailer.moveToIndex(rollCycle.toIndex(found, lo))) {
            tailer.toStart();
        }
    }

    /** Sequence of the excerpt at {@code index}, or Long.MIN_VALUE if absent or not a record. */
    private long sequenceAt(long index) {
        if (!tailer.moveToIndex(index)) {
            return Long.MIN_VALUE;
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return Long.MIN_VALUE;
            }
            Bytes<?> bytes = dc.wire().bytes();
            if (bytes.readRemaining() < RecordHeader.HEADER_LENGTH) {
                return Long.MIN_VALUE;
            }
            return bytes.readLong(bytes.readPosition() + RecordHeader.SEQUENCE_OFFSET);
        }
    }

    /** @return the sequence the next record handed out will have at least */
    public long nextSequence() {
        return nextSequence;
    }

    /** @return corrupt records met and skipped, per {@link RecordErrors} code */
    public DecodeCounters counters() {
        return codec.counters();
    }

    @Override
    public void close() {
        tailer.close();
    }
}
