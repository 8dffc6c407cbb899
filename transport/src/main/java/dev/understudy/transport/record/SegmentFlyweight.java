package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#SEGMENT}: one client TCP segment captured on the primary, with its payload.
 * Little-endian; length = {@link #PAYLOAD_OFFSET} + payload length.
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
 *  |                     sequence number (u32)                     | 32
 *  +---------------------------------------------------------------+
 *  |                  acknowledgment number (u32)                  | 36
 *  +-------------------------------+-------------------------------+
 *  |          window (u16)         |        TCP flags (u16)        | 40
 *  +-------------------------------+-------------------------------+
 *  |                         TSval (u32)                           | 44
 *  +---------------------------------------------------------------+
 *  |                         TSecr (u32)                           | 48
 *  +---------------------------------------------------------------+
 *  |                     payload length (i32)                      | 52
 *  +---------------------------------------------------------------+
 *  |                     payload bytes ...                         | 56
 * </pre>
 *
 * The TCP values are host values of the segment's header fields (RFC 9293 section 3.1; the window is
 * the raw, unscaled field; TSval/TSecr per RFC 7323, 0 when absent). The payload length must make
 * the record's length exact: {@code length == PAYLOAD_OFFSET + payloadLength}.
 */
public final class SegmentFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the TCP sequence number (u32). */
    public static final int SEQ_OFFSET = 32;
    /** Offset of the TCP acknowledgment number (u32). */
    public static final int ACK_OFFSET = 36;
    /** Offset of the TCP window field (u16). */
    public static final int WINDOW_OFFSET = 40;
    /** Offset of the TCP flags (u16). */
    public static final int TCP_FLAGS_OFFSET = 42;
    /** Offset of TSval (u32). */
    public static final int TS_VAL_OFFSET = 44;
    /** Offset of TSecr (u32). */
    public static final int TS_ECR_OFFSET = 48;
    /** Offset of the payload length (i32). */
    public static final int PAYLOAD_LENGTH_OFFSET = 52;
    /** Offset of the payload. */
    public static final int PAYLOAD_OFFSET = 56;
    /** Largest payload a SEGMENT may carry. */
    public static final int MAX_PAYLOAD_LENGTH = MAX_RECORD_LENGTH - PAYLOAD_OFFSET;

    @Override
    public SegmentFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes a header for a SEGMENT with an empty payload at {@code offset} and zeroes the fixed body.
     * Set the payload with {@link #payload} (which sets the record length).
     *
     * @return this
     */
    public SegmentFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.SEGMENT, PAYLOAD_OFFSET, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, PAYLOAD_OFFSET - HEADER_LENGTH, (byte) 0);
        return this;
    }

    /**
     * @param payloadLength a payload length
     * @return the record length for it
     */
    public static int lengthFor(int payloadLength) {
        return PAYLOAD_OFFSET + payloadLength;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public SegmentFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return the TCP sequence number, unsigned */
    public long seq() {
        return buffer.getInt(offset + SEQ_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public SegmentFlyweight seq(long value) {
        mutableBuffer.putInt(offset + SEQ_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return the TCP acknowledgment number, unsigned */
    public long ack() {
        return buffer.getInt(offset + ACK_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public SegmentFlyweight ack(long value) {
        mutableBuffer.putInt(offset + ACK_OFFSET, (int) value, ORDER);
        return this;
    }

    public int window() {
        return buffer.getShort(offset + WINDOW_OFFSET, ORDER) & 0xFFFF;
    }

    public SegmentFlyweight window(int value) {
        mutableBuffer.putShort(offset + WINDOW_OFFSET, (short) value, ORDER);
        return this;
    }

    public int tcpFlags() {
        return buffer.getShort(offset + TCP_FLAGS_OFFSET, ORDER) & 0xFFFF;
    }

    public SegmentFlyweight tcpFlags(int value) {
        mutableBuffer.putShort(offset + TCP_FLAGS_OFFSET, (short) value, ORDER);
        return this;
    }

    /** @return TSval, unsigned */
    public long tsVal() {
        return buffer.getInt(offset + TS_VAL_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public SegmentFlyweight tsVal(long value) {
        mutableBuffer.putInt(offset + TS_VAL_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return TSecr, unsigned */
    public long tsEcr() {
        return buffer.getInt(offset + TS_ECR_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public SegmentFlyweight tsEcr(long value) {
        mutableBuffer.putInt(offset + TS_ECR_OFFSET, (int) value, ORDER);
        return this;
    }

    public int payloadLength() {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    /** @return the absolute offset of the payload in {@link #buffer()} */
    public int payloadOffset() {
        return offset + PAYLOAD_OFFSET;
    }

    /**
     * Copies the payload in and sets payload length and record length. The caller must have room for
     * {@link #lengthFor(int) lengthFor(length)} bytes.
     *
     * @return this
     */
    public SegmentFlyweight payload(DirectBuffer src, int srcOffset, int length) {
        payloadLength(length);
        mutableBuffer.putBytes(offset + PAYLOAD_OFFSET, src, srcOffset, length);
        return this;
    }

    /** Like {@link #payload(DirectBuffer, int, int)} from an array. */
    public SegmentFlyweight payload(byte[] src, int srcOffset, int length) {
        payloadLength(length);
        mutableBuffer.putBytes(offset + PAYLOAD_OFFSET, src, srcOffset, length);
        return this;
    }

    /**
     * Sets payload length and record length, for a caller that writes the payload itself at
     * {@link #payloadOffset()}.
     *
     * @return this
     */
    public SegmentFlyweight payloadLength(int length) {
        if (length < 0 || length > MAX_PAYLOAD_LENGTH) {
            throw new IllegalArgumentException("invalid SEGMENT payload length: value=" + length
                + ", expected 0.." + MAX_PAYLOAD_LENGTH);
        }
        mutableBuffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, length, ORDER);
        mutableBuffer.putInt(offset + LENGTH_OFFSET, PAYLOAD_OFFSET + length, ORDER);
        return this;
    }

    /** Copies the payload into {@code dst} at {@code dstOffset}. */
    public void getPayload(MutableDirectBuffer dst, int dstOffset) {
        dst.putBytes(dstOffset, buffer, offset + PAYLOAD_OFFSET, payloadLength());
    }
}
