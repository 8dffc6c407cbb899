package dev.understudy.transport.internal.net;

import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.journal.JournalTailer;
import org.agrona.DirectBuffer;

import java.nio.file.Path;

/**
 * {@link JournalPort} over the Chronicle Queue {@link Journal}. The journal reports an empty
 * journal as {@link Journal#NO_SEQUENCE}; the channel's sequences start at 1, so the port says 0.
 * A full disk or a write fault ({@link dev.understudy.transport.journal.JournalFullException},
 * {@link IllegalStateException}) is an expected condition here: {@link #append} returns
 * {@code false} and the node turns unhealthy.
 */
public final class Journals {
    private Journals() {
    }

    /**
     * Opens (creating if needed) the journal in {@code directory} for the replication channel.
     * Records are not re-verified on append: the channel appends only records whose frame and CRC
     * it has just checked (clone) or sealed itself (primary).
     */
    public static JournalPort open(Path directory) {
        return wrap(Journal.open(JournalConfig.builder(directory).verifyOnAppend(false).build()));
    }

    /** Adapts an open journal; closing the port closes the journal. */
    public static JournalPort wrap(Journal journal) {
        return new Port(journal);
    }

    private static final class Port implements JournalPort {
        private final Journal journal;
        private String fault;

        Port(Journal journal) {
            this.journal = journal;
        }

        @Override
        public boolean append(DirectBuffer buf, int off, int len) {
            try {
                return journal.append(buf, off, len) >= 0;
            } catch (RuntimeException e) {
                if (fault == null) {
                    fault = e.toString();
                    dev.understudy.transport.TransportLog.warn("journal", "append failed, node unhealthy: " + e);
                }
                return false;
            }
        }

        @Override
        public long lastSequence() {
            return Math.max(0, journal.lastSequence());
        }

        @Override
        public boolean healthy() {
            return journal.healthy();
        }

        @Override
        public Reader reader(long fromSequence) {
            JournalTailer tailer = journal.tailer(fromSequence);
            return new Reader() {
                @Override
                public int poll(RecordHandler handler, int limit) {
                    return tailer.poll(handler, limit);
                }

                @Override
                public void close() {
                    tailer.close();
                }
            };
        }

        @Override
        public void close() {
            journal.close();
        }
    }
}
