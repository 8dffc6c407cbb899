package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#CHECKPOINT}: a characteristic event a clone applying periodically may apply up
 * to. Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                      checkpoint id (i64)                      | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               timestamp, ns since the Unix epoch (i64)        | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         reason (i32)                          | 40
 *  +---------------------------------------------------------------+
 *  |                         reserved (i32)                        | 44
 *  +---------------------------------------------------------------+
 *                                                                    48
 * </pre>
 */
public final class CheckpointFlyweight extends RecordHeader {
    /** Offset of the checkpoint id (i64). */
    public static final int CHECKPOINT_ID_OFFSET = 24;
    /** Offset of the timestamp (i64, ns since the Unix epoch). */
    public static final int TIMESTAMP_OFFSET = 32;
    /** Offset of the reason (i32). */
    public static final int REASON_OFFSET = 40;
    /** Record length. */
    public static final int LENGTH = 48;

    /** A connection was accepted. */
    public static final int REASON_ACCEPT = 1;
    /** A connection was closed. */
    public static final int REASON_CLOSE = 2;
    /** The configured period elapsed. */
    public static final int REASON_PERIOD = 3;
    /** Explicitly requested (admin, migration). */
    public static final int REASON_REQUEST = 4;

    @Override
    public CheckpointFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a CHECKPOINT at {@code offset}, zeroes the body, returns this. */
    public CheckpointFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.CHECKPOINT, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public long checkpointId() {
        return buffer.getLong(offset + CHECKPOINT_ID_OFFSET, ORDER);
    }

    public CheckpointFlyweight checkpointId(long value) {
        mutableBuffer.putLong(offset + CHECKPOINT_ID_OFFSET, value, ORDER);
        return this;
    }

    public long timestampNs() {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, ORDER);
    }

    public CheckpointFlyweight timestampNs(long value) {
        mutableBuffer.putLong(offset + TIMESTAMP_OFFSET, value, ORDER);
        return this;
    }

    /** @return one of the {@code REASON_*} constants */
    public int reason() {
        return buffer.getInt(offset + REASON_OFFSET, ORDER);
    }

    public CheckpointFlyweight reason(int value) {
        mutableBuffer.putInt(offset + REASON_OFFSET, value, ORDER);
        return this;
    }
}
