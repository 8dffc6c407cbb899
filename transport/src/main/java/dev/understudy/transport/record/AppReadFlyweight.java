package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#APP_READ}: one read call of the primary's application on a connection returned
 * {@code byte count} bytes, or ended with a status. Little-endian, fixed length {@link #LENGTH}.
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
 *  |                      stream offset (i64)                      | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    global read order (i64)                    | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                byte count (i32) or status (< 0)               | 48
 *  +---------------------------------------------------------------+
 *  |                       reserved (0, i32)                       | 52
 *  +---------------------------------------------------------------+
 *                                                                    56
 * </pre>
 *
 * <ul>
 *   <li><b>stream offset</b>: bytes of this connection the application had read before this read, so
 *       the read covers {@code [stream offset, stream offset + byte count)} of the client's stream.</li>
 *   <li><b>global read order</b>: this read's position among all APP_READs of the primary (0, 1, 2, ...
 *       across every connection): the order a clone hands input out in (DESIGN.md invariant 2).</li>
 *   <li><b>byte count</b>: {@code > 0} bytes read; or a status: {@link #EOF}, {@link #RESET},
 *       {@link #TIMEOUT}. Zero and other negative values are invalid ({@link RecordCodec} rejects them
 *       as {@link RecordErrors#BAD_BODY}).</li>
 * </ul>
 */
public final class AppReadFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the stream offset (i64). */
    public static final int STREAM_OFFSET_OFFSET = 32;
    /** Offset of the global read order (i64). */
    public static final int READ_ORDER_OFFSET = 40;
    /** Offset of the byte count or status (i32). */
    public static final int BYTE_COUNT_OFFSET = 48;
    /** Record length. */
    public static final int LENGTH = 56;

    /** Status: the read returned end of stream (the client shut down its output). */
    public static final int EOF = -1;
    /** Status: the read failed because the connection was reset. */
    public static final int RESET = -2;
    /** Status: the read timed out ({@code SO_TIMEOUT}) with nothing read. */
    public static final int TIMEOUT = -3;

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

    /**
     * @param byteCount a byte count field
     * @return whether it is a valid value: {@code > 0} or one of {@link #EOF}, {@link #RESET}, {@link #TIMEOUT}
     */
    public static boolean isValidByteCount(int byteCount) {
        return byteCount > 0 || byteCount >= TIMEOUT && byteCount <= EOF;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public AppReadFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return bytes of this connection the application had read before this read */
    public long streamOffset() {
        return buffer.getLong(offset + STREAM_OFFSET_OFFSET, ORDER);
    }

    public AppReadFlyweight streamOffset(long value) {
        mutableBuffer.putLong(offset + STREAM_OFFSET_OFFSET, value, ORDER);
        return this;
    }

    /** @return this read's position among all APP_READs of the primary */
    public long readOrder() {
        return buffer.getLong(offset + READ_ORDER_OFFSET, ORDER);
    }

    public AppReadFlyweight readOrder(long value) {
        mutableBuffer.putLong(offset + READ_ORDER_OFFSET, value, ORDER);
        return this;
    }

    /** @return bytes read ({@code > 0}) or a status ({@link #EOF}, {@link #RESET}, {@link #TIMEOUT}) */
    public int byteCount() {
        return buffer.getInt(offset + BYTE_COUNT_OFFSET, ORDER);
    }

    /**
     * @param value bytes read ({@code > 0}) or a status ({@link #EOF}, {@link #RESET}, {@link #TIMEOUT})
     * @throws IllegalArgumentException for 0 or an unknown negative status (a bug)
     */
    public AppReadFlyweight byteCount(int value) {
        if (!isValidByteCount(value)) {
            throw new IllegalArgumentException("invalid APP_READ byte count: value=" + value
                + ", expected > 0 or EOF(-1), RESET(-2), TIMEOUT(-3)");
        }
        mutableBuffer.putInt(offset + BYTE_COUNT_OFFSET, value, ORDER);
        return this;
    }

    /** @return whether this read carried bytes (not a status) */
    public boolean hasBytes() {
        return byteCount() > 0;
    }
}
