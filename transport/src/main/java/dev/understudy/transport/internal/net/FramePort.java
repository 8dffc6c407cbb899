package dev.understudy.transport.internal.net;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * How the replication channel builds and reads data frames, adapted over
 * {@code RecordBatchWriter}/{@code RecordBatchReader} and {@code FrameAuthenticator}.
 */
public final class FramePort {
    private FramePort() {
    }

    /** Builds one frame at a time in its own buffer. One thread. */
    public interface Writer {
        /** Discards the frame in progress and starts an empty one for {@code epoch}. */
        void begin(int epoch);

        /** {@code true} if a sealed record of {@code len} bytes may be added (an empty frame takes any record). */
        boolean hasRoom(int len);

        /**
         * Copies an already sealed record into the frame unchanged (its epoch must be the frame's,
         * its sequence the previous record's + 1).
         *
         * @return {@code false} if it did not fit (check {@link #hasRoom} first)
         */
        boolean appendSealed(DirectBuffer record, int off, int len);

        /**
         * Claims room for a record of up to {@code len} bytes to be encoded in place in
         * {@link #buffer()} (check {@link #hasRoom} first).
         *
         * @return the absolute offset to encode at, or -1 if it does not fit
         */
        int claim(int len);

        /**
         * Adds the claimed record, which the caller has finished and sealed (length, epoch the frame's,
         * sequence the previous record's + 1, CRC).
         */
        void commitSealed();

        /** Gives up the open claim, if any: the frame is as before the claim. */
        void abort();

        /** Records in the frame in progress. */
        int recordCount();

        /** Epoch of the frame in progress. */
        int epoch();

        /** Finishes the frame (header, MAC) and returns its length; call once per frame. */
        int finish();

        MutableDirectBuffer buffer();

        /** Where the frame starts in {@link #buffer()}. */
        int offset();
    }

    /** Reads frames. One thread. */
    public interface Reader {
        /**
         * Verifies the frame (MAC, structure, every record's CRC, consecutive sequences) and, if it
         * is accepted, positions before its first record: read {@link #epoch()} and {@link #sender()},
         * then hand the records out with {@link #forEach}.
         *
         * @return 0 if the frame was accepted, else a {@code RecordErrors} code (counted)
         */
        int wrap(DirectBuffer buf, int off, int len);

        /** Epoch of the frame accepted by the last {@link #wrap}. */
        int epoch();

        /** Sender node id of the frame accepted by the last {@link #wrap}. */
        int sender();

        /**
         * Hands the records of the accepted frame, in order, to the handler (none after a rejection).
         *
         * @return how many
         */
        int forEach(JournalPort.RecordHandler handler);

        /**
         * Verifies the frame (MAC, structure, every record's CRC, consecutive sequences) and hands
         * its records in order to the handler. A frame that fails any check delivers nothing.
         *
         * @return 0 if the frame was accepted, else a {@code RecordErrors} code (counted)
         */
        int read(DirectBuffer buf, int off, int len, JournalPort.RecordHandler handler);

        /** Frames rejected for a missing or wrong MAC. */
        long rejectedAuth();

        /** Frames rejected as malformed (structure, CRC, ...). */
        long rejectedMalformed();
    }
}
