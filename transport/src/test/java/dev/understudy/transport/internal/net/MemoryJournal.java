package dev.understudy.transport.internal.net;

import dev.understudy.transport.record.RecordHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/** A {@link JournalPort} in memory, for tests of the channel logic only. Checks gaplessness on append. */
public final class MemoryJournal implements JournalPort {
    private final List<byte[]> records = new ArrayList<>();
    private volatile long last;
    private boolean failing;

    @Override
    public synchronized boolean append(DirectBuffer buf, int off, int len) {
        if (failing) {
            return false;
        }
        long seq = RecordHeader.sequence(buf, off);
        if (seq != last + 1) {
            throw new AssertionError("journal append out of order: " + seq + " after " + last);
        }
        byte[] copy = new byte[len];
        buf.getBytes(off, copy);
        records.add(copy);
        last = seq;
        return true;
    }

    public void failing(boolean f) {
        failing = f;
    }

    @Override
    public long lastSequence() {
        return last;
    }

    @Override
    public boolean healthy() {
        return !failing;
    }

    public synchronized byte[] record(long sequence) {
        return records.get((int) (sequence - 1));
    }

    @Override
    public Reader reader(long fromSequence) {
        return new Reader() {
            long next = Math.max(1, fromSequence);

            @Override
            public int poll(RecordHandler handler, int limit) {
                int n = 0;
                while (n < limit && next <= last) {
                    byte[] r = record(next++);
                    handler.onRecord(new UnsafeBuffer(r), 0, r.length);
                    n++;
                }
                return n;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
    }
}
