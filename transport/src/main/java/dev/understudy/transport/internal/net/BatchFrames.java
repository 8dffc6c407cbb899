package dev.understudy.transport.internal.net;

import dev.understudy.transport.auth.FrameAuthenticator;
import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordBatch;
import dev.understudy.transport.record.RecordBatchReader;
import dev.understudy.transport.record.RecordBatchWriter;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * {@link FramePort} over the record codec's {@link RecordBatchWriter} / {@link RecordBatchReader}.
 * Allocation only at construction (and the JDK MAC's 32-byte result per signed frame).
 */
public final class BatchFrames {
    private BatchFrames() {
    }

    /**
     * @param budget frame length (MAC included) not to exceed, unless a single record needs more
     */
    public static FramePort.Writer writer(int senderId, int budget, FrameAuthenticator authenticator) {
        return new Writer(senderId, budget, authenticator);
    }

    public static FramePort.Reader reader(FrameAuthenticator authenticator) {
        return new Reader(authenticator);
    }

    private static final class Writer implements FramePort.Writer {
        private final int budget;
        private final FrameAuthenticator authenticator;
        private final RecordBatchWriter writer;

        Writer(int senderId, int budget, FrameAuthenticator authenticator) {
            this.budget = budget;
            this.authenticator = authenticator;
            int capacity = Math.max(budget, RecordBatch.HEADER_LENGTH + RecordHeader.MAX_RECORD_LENGTH + RecordBatch.MAC_LENGTH + 8);
            this.writer = new RecordBatchWriter(senderId, new UnsafeBuffer(ByteBuffer.allocateDirect(capacity)), 0, capacity);
        }

        @Override
        public void begin(int epoch) {
            writer.reset(epoch);
        }

        @Override
        public boolean hasRoom(int len) {
            return writer.isEmpty()
                || writer.frameLength() + RecordHeader.alignedLength(len) + RecordBatch.MAC_LENGTH <= budget
                && writer.recordCount() < RecordBatch.MAX_RECORDS;
        }

        @Override
        public boolean appendSealed(DirectBuffer record, int off, int len) {
            if (!hasRoom(len)) {
                return false;
            }
            return writer.append(record, off, len) != RecordBatchWriter.NO_SPACE;
        }

        @Override
        public int claim(int len) {
            if (!hasRoom(len)) {
                return -1;
            }
            return writer.claim(len);
        }

        @Override
        public void commitSealed() {
            writer.commitSealed();
        }

        @Override
        public void abort() {
            writer.abort();
        }

        @Override
        public int recordCount() {
            return writer.recordCount();
        }

        @Override
        public int epoch() {
            return writer.epoch();
        }

        @Override
        public int finish() {
            return writer.finish(authenticator);
        }

        @Override
        public MutableDirectBuffer buffer() {
            return writer.buffer();
        }

        @Override
        public int offset() {
            return writer.offset();
        }
    }

    private static final class Reader implements FramePort.Reader {
        private final RecordBatchReader reader;
        private final DecodeCounters counters = new DecodeCounters();

        Reader(FrameAuthenticator authenticator) {
            this.reader = new RecordBatchReader(authenticator, counters);
        }

        @Override
        public int wrap(DirectBuffer buf, int off, int len) {
            return reader.wrap(buf, off, len);
        }

        @Override
        public int epoch() {
            return reader.epoch();
        }

        @Override
        public int sender() {
            return reader.sender();
        }

        @Override
        public int forEach(JournalPort.RecordHandler handler) {
            return reader.forEach(handler);
        }

        @Override
        public int read(DirectBuffer buf, int off, int len, JournalPort.RecordHandler handler) {
            int code = reader.wrap(buf, off, len);
            if (code != RecordErrors.OK) {
                return code;
            }
            reader.forEach(handler);
            return RecordErrors.OK;
        }

        @Override
        public long rejectedAuth() {
            return counters.get(RecordErrors.UNAUTHENTICATED) + counters.get(RecordErrors.BAD_MAC);
        }

        @Override
        public long rejectedMalformed() {
            return counters.total() - rejectedAuth();
        }
    }
}
