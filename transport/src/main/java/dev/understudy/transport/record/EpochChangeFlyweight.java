package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#PROMOTE} and {@link RecordType#FENCE}: a new epoch and its primary. The header's
 * epoch is the new epoch too. {@code last sequence} is the last log sequence of the previous epoch
 * the new primary holds; the new epoch's first record carries {@code last sequence + 1}.
 * Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                        new epoch (i32)                        | 24
 *  +---------------------------------------------------------------+
 *  |                   new primary node id (i32)                   | 28
 *  +---------------------------------------------------------------+
 *  |           last sequence of the previous epoch (i64)           | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *                                                                    40
 * </pre>
 */
public final class EpochChangeFlyweight extends RecordHeader {
    /** Offset of the new epoch (i32). */
    public static final int NEW_EPOCH_OFFSET = 24;
    /** Offset of the new primary's node id (i32). */
    public static final int PRIMARY_NODE_ID_OFFSET = 28;
    /** Offset of the previous epoch's last sequence (i64). */
    public static final int LAST_SEQUENCE_OFFSET = 32;
    /** Record length. */
    public static final int LENGTH = 40;

    @Override
    public EpochChangeFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes a header at {@code offset}, zeroes the body.
     *
     * @param type {@link RecordType#PROMOTE} or {@link RecordType#FENCE}
     * @return this
     */
    public EpochChangeFlyweight wrapForEncode(
        MutableDirectBuffer buffer, int offset, int type, int epoch, long sequence) {
        if (type != RecordType.PROMOTE && type != RecordType.FENCE) {
            throw new IllegalArgumentException("invalid epoch change type: value=" + RecordType.name(type)
                + ", expected PROMOTE or FENCE");
        }
        encodeHeader(buffer, offset, type, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public int newEpoch() {
        return buffer.getInt(offset + NEW_EPOCH_OFFSET, ORDER);
    }

    public EpochChangeFlyweight newEpoch(int value) {
        mutableBuffer.putInt(offset + NEW_EPOCH_OFFSET, value, ORDER);
        return this;
    }

    public int primaryNodeId() {
        return buffer.getInt(offset + PRIMARY_NODE_ID_OFFSET, ORDER);
    }

    public EpochChangeFlyweight primaryNodeId(int value) {
        mutableBuffer.putInt(offset + PRIMARY_NODE_ID_OFFSET, value, ORDER);
        return this;
    }

    public long lastSequence() {
        return buffer.getLong(offset + LAST_SEQUENCE_OFFSET, ORDER);
    }

    public EpochChangeFlyweight lastSequence(long value) {
        mutableBuffer.putLong(offset + LAST_SEQUENCE_OFFSET, value, ORDER);
        return this;
    }
}
