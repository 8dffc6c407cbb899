package dev.understudy.transport.record;

import dev.understudy.transport.auth.FrameAuthenticator;
import org.agrona.DirectBuffer;

/**
 * Validates a frame ({@link RecordBatch} layout) and iterates its records.
 *
 * <p>{@link #wrap} checks, in order: frame header present and complete, frame length matching the
 * received length, version, authentication (per the {@link FrameAuthenticator}'s policy), record
 * count and reserved field (the sender id is only read: {@link #sender()}), then every record (length, version, CRC, type, body length), their epoch and consecutive
 * sequences, zero padding, and that the records exactly fill the frame. Any failure returns a
 * {@link RecordErrors} code, counts it once in {@link #counters()}, and leaves the reader empty:
 * a frame is accepted or dropped as a whole. Nothing throws on bad input.
 *
 * <pre>{@code
 * if (reader.wrap(buffer, offset, length) == RecordErrors.OK) {
 *     while (reader.next()) {
 *         journal.append(reader.buffer(), reader.recordOffset(), reader.recordLength());
 *     }
 * }
 * }</pre>
 *
 * Not thread-safe; allocates nothing (apart from the MAC's per-frame result, see
 * {@link FrameAuthenticator}).
 */
public final class RecordBatchReader {
    private final RecordCodec codec;
    private final FrameAuthenticator authenticator;

    private DirectBuffer buffer;
    private int frameOffset;
    private int count;
    private int epoch;
    private int sender;
    private long firstSequence;
    private long lastSequence;
    private boolean signed;

    private int index;
    private int nextOffset;
    private int recordOffset;
    private int recordLength;

    /** A reader without authentication and with its own counters. */
    public RecordBatchReader() {
        this(FrameAuthenticator.unsigned(), new DecodeCounters());
    }

    /**
     * @param authenticator verifies frames (its own counters count auth rejections as well)
     * @param counters      where this reader counts every rejected frame, one code per frame
     */
    public RecordBatchReader(FrameAuthenticator authenticator, DecodeCounters counters) {
        this.authenticator = authenticator == null ? FrameAuthenticator.unsigned() : authenticator;
        this.codec = new RecordCodec(counters);
    }

    /** @return the counters of rejected frames, per reason */
    public DecodeCounters counters() {
        return codec.counters();
    }

    /**
     * Validates the frame of {@code length} received bytes at {@code offset}.
     *
     * @return {@link RecordErrors#OK} and positions before the first record, or an error code (counted)
     */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.frameOffset = offset;
        int code = validate(buffer, offset, length);
        if (code != RecordErrors.OK) {
            codec.counters().increment(code);
            count = 0;
        }
        index = 0;
        nextOffset = offset + RecordBatch.HEADER_LENGTH;
        recordOffset = -1;
        recordLength = 0;
        return code;
    }

    private int validate(DirectBuffer buffer, int offset, int length) {
        count = 0;
        if (buffer == null || offset < 0 || length < RecordBatch.HEADER_LENGTH
            || (long) offset + length > buffer.capacity()) {
            return RecordErrors.TRUNCATED;
        }
        int frameLength = RecordBatch.frameLength(buffer, offset);
        if (frameLength < RecordBatch.HEADER_LENGTH || (frameLength & (RecordHeader.ALIGNMENT - 1)) != 0) {
            return RecordErrors.BAD_LENGTH;
        }
        if (frameLength > length) {
            return RecordErrors.TRUNCATED;
        }
        if (frameLength != length) {
            return RecordErrors.BAD_LENGTH;
        }
        if ((buffer.getByte(offset + RecordBatch.VERSION_OFFSET) & 0xFF) != RecordBatch.CURRENT_VERSION) {
            return RecordErrors.BAD_VERSION;
        }
        int flags = RecordBatch.flags(buffer, offset);
        if ((flags & ~RecordBatch.FLAG_SIGNED) != 0) {
            return RecordErrors.BAD_FRAME;
        }
        int authCode = authenticator.check(buffer, offset, frameLength);
        if (authCode != RecordErrors.OK) {
            return authCode;
        }
        boolean isSigned = (flags & RecordBatch.FLAG_SIGNED) != 0;
        int end = offset + frameLength - (isSigned ? RecordBatch.MAC_LENGTH : 0);
        if (end < offset + RecordBatch.HEADER_LENGTH) {
            return RecordErrors.BAD_LENGTH;
        }
        int n = RecordBatch.recordCount(buffer, offset);
        if (n == 0 || buffer.getShort(offset + RecordBatch.RESERVED_OFFSET) != 0) {
            return RecordErrors.BAD_FRAME;
        }
        int frameEpoch = RecordBatch.epoch(buffer, offset);
        long first = RecordBatch.firstSequence(buffer, offset);
        long last = RecordBatch.lastSequence(buffer, offset);
        if (last - first != n - 1) {
            return RecordErrors.BAD_FRAME;
        }
        int at = offset + RecordBatch.HEADER_LENGTH;
        for (int i = 0; i < n; i++) {
            int code = codec.verify(buffer, at, end - at);
            if (code != RecordErrors.OK) {
                return code;
            }
            if (RecordHeader.epoch(buffer, at) != frameEpoch || RecordHeader.sequence(buffer, at) != first + i) {
                return RecordErrors.BAD_SEQUENCE;
            }
            int recordLength = RecordHeader.length(buffer, at);
            int aligned = RecordHeader.alignedLength(recordLength);
            if (aligned > end - at) {
                return RecordErrors.TRUNCATED;
            }
            for (int p = at + recordLength; p < at + aligned; p++) {
                if (buffer.getByte(p) != 0) {
                    return RecordErrors.BAD_FRAME; // padding is zero, so that every frame byte is checked
                }
            }
            at += aligned;
        }
        if (at != end) {
            return RecordErrors.BAD_FRAME;
        }
        count = n;
        epoch = frameEpoch;
        sender = RecordBatch.sender(buffer, offset);
        firstSequence = first;
        lastSequence = last;
        signed = isSigned;
        return RecordErrors.OK;
    }

    /** @return the wrapped buffer */
    public DirectBuffer buffer() {
        return buffer;
    }

    /** @return records in the accepted frame (0 after a rejection) */
    public int recordCount() {
        return count;
    }

    /** @return the frame's epoch */
    public int epoch() {
        return epoch;
    }

    /** @return the accepted frame's sender node id */
    public int sender() {
        return sender;
    }

    /** @return sequence of the first record */
    public long firstSequence() {
        return firstSequence;
    }

    /** @return sequence of the last record */
    public long lastSequence() {
        return lastSequence;
    }

    /** @return whether the accepted frame carried a MAC */
    public boolean signed() {
        return signed;
    }

    /** @return where the accepted frame starts */
    public int frameOffset() {
        return frameOffset;
    }

    /**
     * Moves to the next record.
     *
     * @return false when all records were visited (or the frame was rejected)
     */
    public boolean next() {
        if (index >= count) {
            recordOffset = -1;
            recordLength = 0;
            return false;
        }
        recordOffset = nextOffset;
        recordLength = RecordHeader.length(buffer, recordOffset);
        nextOffset = recordOffset + RecordHeader.alignedLength(recordLength);
        index++;
        return true;
    }

    /** @return offset of the current record */
    public int recordOffset() {
        return recordOffset;
    }

    /** @return length of the current record */
    public int recordLength() {
        return recordLength;
    }

    /** @return type of the current record */
    public int recordType() {
        return RecordHeader.type(buffer, recordOffset);
    }

    /** @return sequence of the current record */
    public long recordSequence() {
        return RecordHeader.sequence(buffer, recordOffset);
    }

    /**
     * Hands the remaining records to {@code handler}.
     *
     * @return how many were handed
     */
    public int forEach(RecordHandler handler) {
        int n = 0;
        while (next()) {
            handler.onRecord(buffer, recordOffset, recordLength);
            n++;
        }
        return n;
    }
}
