package dev.understudy.transport.record;

import dev.understudy.transport.membership.Role;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#HEARTBEAT}: liveness and progress of one node. The header's epoch is the highest
 * epoch the sender knows; its sequence is the sender's own heartbeat counter (heartbeats are not part
 * of the log and are not journaled). Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                         node id (i32)                         | 24
 *  +---------------+---------------+-------------------------------+
 *  |     role      |    health     |           reserved            | 28
 *  +---------------+---------------+-------------------------------+
 *  |            highest durable sequence (i64)                     | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            highest applied sequence (i64)                     | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               timestamp, ns since the Unix epoch (i64)        | 48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *                                                                    56
 * </pre>
 *
 * {@code role} is a {@link Role#code() Role code} (1 primary, 2 clone, 3 catching up), the same
 * vocabulary as the control channel's heartbeat; {@code health} is a bit set: 0 means healthy; see
 * the {@code HEALTH_*} constants.
 */
public final class HeartbeatFlyweight extends RecordHeader {
    /** Offset of the node id (i32). */
    public static final int NODE_ID_OFFSET = 24;
    /** Offset of the role (u8). */
    public static final int ROLE_OFFSET = 28;
    /** Offset of the health bits (u8). */
    public static final int HEALTH_OFFSET = 29;
    /** Offset of the highest durable sequence (i64). */
    public static final int DURABLE_SEQUENCE_OFFSET = 32;
    /** Offset of the highest applied sequence (i64). */
    public static final int APPLIED_SEQUENCE_OFFSET = 40;
    /** Offset of the timestamp (i64). */
    public static final int TIMESTAMP_OFFSET = 48;
    /** Record length. */
    public static final int LENGTH = 56;

    /** Health bit: the journal is not writable (e.g. disk full). */
    public static final int HEALTH_JOURNAL_FAULT = 1;
    /** Health bit: packet capture stalled. */
    public static final int HEALTH_CAPTURE_FAULT = 2;
    /** Health bit: the application's listener is gone. */
    public static final int HEALTH_LISTENER_FAULT = 4;
    /** Health bit: memory exhausted. */
    public static final int HEALTH_MEMORY_FAULT = 8;

    @Override
    public HeartbeatFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a HEARTBEAT at {@code offset}, zeroes the body, returns this. */
    public HeartbeatFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.HEARTBEAT, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public int nodeId() {
        return buffer.getInt(offset + NODE_ID_OFFSET, ORDER);
    }

    public HeartbeatFlyweight nodeId(int value) {
        mutableBuffer.putInt(offset + NODE_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return the role's wire code, see {@link Role#fromCode} */
    public int roleCode() {
        return buffer.getByte(offset + ROLE_OFFSET) & 0xFF;
    }

    /** @return the role, or {@code null} for a code no {@link Role} has */
    public Role role() {
        return Role.fromCode(roleCode());
    }

    /** Writes {@link Role#code() role.code()}. */
    public HeartbeatFlyweight role(Role role) {
        mutableBuffer.putByte(offset + ROLE_OFFSET, (byte) role.code());
        return this;
    }

    /** @return a bit set of {@code HEALTH_*}; 0 is healthy */
    public int health() {
        return buffer.getByte(offset + HEALTH_OFFSET) & 0xFF;
    }

    public HeartbeatFlyweight health(int value) {
        mutableBuffer.putByte(offset + HEALTH_OFFSET, (byte) value);
        return this;
    }

    public long durableSequence() {
        return buffer.getLong(offset + DURABLE_SEQUENCE_OFFSET, ORDER);
    }

    public HeartbeatFlyweight durableSequence(long value) {
        mutableBuffer.putLong(offset + DURABLE_SEQUENCE_OFFSET, value, ORDER);
        return this;
    }

    public long appliedSequence() {
        return buffer.getLong(offset + APPLIED_SEQUENCE_OFFSET, ORDER);
    }

    public HeartbeatFlyweight appliedSequence(long value) {
        mutableBuffer.putLong(offset + APPLIED_SEQUENCE_OFFSET, value, ORDER);
        return this;
    }

    public long timestampNs() {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, ORDER);
    }

    public HeartbeatFlyweight timestampNs(long value) {
        mutableBuffer.putLong(offset + TIMESTAMP_OFFSET, value, ORDER);
        return this;
    }
}
