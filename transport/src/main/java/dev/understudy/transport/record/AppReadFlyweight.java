package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#APP_READ}: the primary's application read {@code byte count} bytes from a
 * connection; {@code read order} is the global order of reads across all connections. Little-endian,
 * fixed length {@link #LENGTH}.
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
 *  |                    global read order (i64)                    | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      byte count (i32)                         | 40
 *  +---------------------------------------------------------------+
 *  |                      reserved (i32)                           | 44
 *  +---------------------------------------------------------------+
 *                                                                    48
 * </pre>
 */
public final class AppReadFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the global read order (i64). */
    public static final int READ_ORDER_OFFSET = 32;
    /** Offset of the byte count (i32). */
    public static final int BYTE_COUNT_OFFSET = 40;
    /** Record length. */
    public static final int LENGTH = 48;

    @Override
    public AppReadFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for an APP_READ at {@code offset}, zeroes the body, returns this. */
    public AppReadFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.APP_READ, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public AppReadFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    public long readOrder() {
        return buffer.getLong(offset + READ_ORDER_OFFSET, ORDER);
    }

    public AppReadFlyweight readOrder(long value) {
        mutableBuffer.putLong(offset + READ_ORDER_OFFSET, value, ORDER);
        return this;
    }

    public int byteCount() {
        return buffer.getInt(offset + BYTE_COUNT_OFFSET, ORDER);
    }

    public AppReadFlyweight byteCount(int value) {
        mutableBuffer.putInt(offset + BYTE_COUNT_OFFSET, value, ORDER);
        return this;
    }
}
