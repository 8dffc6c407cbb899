package dev.understudy.transport.internal.net;

import org.agrona.DirectBuffer;

/**
 * The slice of the journal the replication channel uses; adapted over
 * {@code dev.understudy.transport.journal.Journal}. One writer thread.
 */
public interface JournalPort extends AutoCloseable {
    /**
     * Appends one record (whose sequence must be {@link #lastSequence()} + 1).
     *
     * @return {@code true} if appended; {@code false} if the journal refused (disk full, closed): the node is then unhealthy
     */
    boolean append(DirectBuffer buf, int off, int len);

    /** Highest sequence appended, 0 when empty. */
    long lastSequence();

    boolean healthy();

    /** A reader positioned at the first record with a sequence {@code >= fromSequence}. */
    Reader reader(long fromSequence);

    @Override
    void close();

    /** Reads records in order; one thread. */
    interface Reader extends AutoCloseable {
        /** Hands up to {@code limit} records to {@code handler}; returns how many. */
        int poll(RecordHandler handler, int limit);

        @Override
        void close();
    }

    /** Receives one record; the buffer is only valid during the call. */
    @FunctionalInterface
    interface RecordHandler extends dev.understudy.transport.record.RecordHandler {
    }
}
