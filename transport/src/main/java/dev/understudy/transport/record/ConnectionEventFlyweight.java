package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#APP_CLOSE} and {@link RecordType#APP_SHUTDOWN_OUTPUT}: the application closed a
 * connection, or shut its output down. Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                      connection id (i64)                      | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *                                                                    32
 * </pre>
 */
public final class ConnectionEventFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Record length. */
    public static final int LENGTH = 32;

    @Override
    public ConnectionEventFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes a header at {@code offset}.
     *
     * @param type {@link RecordType#APP_CLOSE} or {@link RecordType#APP_SHUTDOWN_OUTPUT}
     * @return this
     */
    public ConnectionEventFlyweight wrapForEncode(
        MutableDirectBuffer buffer, int offset, int type, int epoch, long sequence) {
        if (type != RecordType.APP_CLOSE && type != RecordType.APP_SHUTDOWN_OUTPUT) {
            throw new IllegalArgumentException("invalid connection event type: value=" + RecordType.name(type)
                + ", expected APP_CLOSE or APP_SHUTDOWN_OUTPUT");
        }
        encodeHeader(buffer, offset, type, LENGTH, epoch, sequence);
        buffer.putLong(offset + CONNECTION_ID_OFFSET, 0L, ORDER);
        return this;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public ConnectionEventFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }
}
