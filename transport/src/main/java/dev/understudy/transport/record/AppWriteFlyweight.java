package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#APP_WRITE}: the primary's application wrote {@code byte count} bytes to a
 * connection at {@code stream offset}; {@code bytes crc32c} is the CRC-32C of those bytes, so that a
 * clone can compare its own output by byte range (DESIGN.md invariant 3). Little-endian, fixed length
 * {@link #LENGTH}.
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
 *  |                      byte count (i32)                         | 40
 *  +---------------------------------------------------------------+
 *  |                   bytes crc32c (i32)                          | 44
 *  +---------------------------------------------------------------+
 *                                                                    48
 * </pre>
 *
 * {@code stream offset}: bytes of this connection the application had written before this write,
 * so the write covers {@code [stream offset, stream offset + byte count)} of the server's stream.
 */
public final class AppWriteFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the stream offset (i64). */
    public static final int STREAM_OFFSET_OFFSET = 32;
    /** Offset of the byte count (i32). */
    public static final int BYTE_COUNT_OFFSET = 40;
    /** Offset of the CRC-32C of the written bytes (i32). */
    public static final int BYTES_CRC_OFFSET = 44;
    /** Record length. */
    public static final int LENGTH = 48;

    @Override
    public AppWriteFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for an APP_WRITE at {@code offset}, zeroes the body, returns this. */
    public AppWriteFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.APP_WRITE, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public AppWriteFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return bytes of this connection the application had written before this write */
    public long streamOffset() {
        return buffer.getLong(offset + STREAM_OFFSET_OFFSET, ORDER);
    }

    public AppWriteFlyweight streamOffset(long value) {
        mutableBuffer.putLong(offset + STREAM_OFFSET_OFFSET, value, ORDER);
        return this;
    }

    public int byteCount() {
        return buffer.getInt(offset + BYTE_COUNT_OFFSET, ORDER);
    }

    public AppWriteFlyweight byteCount(int value) {
        mutableBuffer.putInt(offset + BYTE_COUNT_OFFSET, value, ORDER);
        return this;
    }

    /** @return CRC-32C ({@link java.util.zip.CRC32C}) of the written bytes */
    public int bytesCrc32c() {
        return buffer.getInt(offset + BYTES_CRC_OFFSET, ORDER);
    }

    public AppWriteFlyweight bytesCrc32c(int value) {
        mutableBuffer.putInt(offset + BYTES_CRC_OFFSET, value, ORDER);
        return this;
    }
}
