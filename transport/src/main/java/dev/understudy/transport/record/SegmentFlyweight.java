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
 *  |          arrival time, CLOCK_REALTIME nanoseconds (i64)       | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     sequence number (u32)                     | 40
 *  +---------------------------------------------------------------+
 *  |                  acknowledgment number (u32)                  | 44
 *  +---------------------------------------------------------------+
 *  |                         TSval (u32)                           | 48
 *  +---------------------------------------------------------------+
 *  |                         TSecr (u32)                           | 52
 *  +-------------------------------+-------------------------------+
 *  |          window (u16)         |        TCP flags (u16)        | 56
 *  +---------------+---------------+-------------------------------+
 *  | segment flags |              reserved (0, 3 bytes)            | 60
 *  +---------------+-----------------------------------------------+
 *  |                     payload length (i32)                      | 64
 *  +---------------------------------------------------------------+
 *  |                       reserved (0, i32)                       | 68
 *  +---------------------------------------------------------------+
 *  |                     payload bytes ...                         | 72
 * </pre>
 *
 * <ul>
 *   <li>The TCP values are host values of the segment's header fields (RFC 9293 section 3.1; the
 *       window is the raw, unscaled field; TSval/TSecr per RFC 7323 section 3).</li>
 *   <li><b>arrival time</b> ({@code arrivalNanos}): when the capture received the segment,
 *       {@code CLOCK_REALTIME} in nanoseconds since the Unix epoch.</li>
 *   <li><b>segment flags</b>: {@link #FLAG_HAS_TIMESTAMP}: the segment carried the TCP timestamp
 *       option. TSval 0 is a legal value (RFC 7323 section 5.4), so presence is this bit, never a
 *       zero test; without it TSval and TSecr are 0. Other bits are reserved, written as 0, and
 *       rejected by {@link RecordCodec} ({@link RecordErrors#BAD_BODY}).</li>
 *   <li>The payload starts at an 8-aligned offset, so it is aligned in a frame too.
 *       {@code length == PAYLOAD_OFFSET + payloadLength} exactly.</li>
 * </ul>
 */
public final class SegmentFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the arrival time, CLOCK_REALTIME nanoseconds (i64). */
    public static final int ARRIVAL_NANOS_OFFSET = 32;
    /** Offset of the TCP sequence number (u32). */
    public static final int SEQ_OFFSET = 40;
    /** Offset of the TCP acknowledgment number (u32). */
    public static final int ACK_OFFSET = 44;
    /** Offset of TSval (u32). */
    public static final int TS_VAL_OFFSET = 48;
    /** Offset of TSecr (u32). */
    public static final int TS_ECR_OFFSET = 52;
    /** Offset of the TCP window field (u16). */
    public static final int WINDOW_OFFSET = 56;
    /** Offset of the TCP flags (u16). */
    public static final int TCP_FLAGS_OFFSET = 58;
    /** Offset of the segment flags (u8), see {@link #FLAG_HAS_TIMESTAMP}. */
    public static final int SEGMENT_FLAGS_OFFSET = 60;
    /** Offset of the payload length (i32). */
    public static final int PAYLOAD_LENGTH_OFFSET = 64;
    /** Offset of the payload (8-aligned). */
    public static final int PAYLOAD_OFFSET = 72;
    /** Largest payload a SEGMENT may carry. */
    public static final int MAX_PAYLOAD_LENGTH = MAX_RECORD_LENGTH - PAYLOAD_OFFSET;

    /** Segment flag: the TCP timestamp option was present (TSval/TSecr are meaningful). */
    public static final int FLAG_HAS_TIMESTAMP = 1;
    /** Every segment flag defined; other bits must be 0. */
    public static final int KNOWN_FLAGS = FLAG_HAS_TIMESTAMP;

    @Override
    public SegmentFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes a header for a SEGMENT with an empty payload at {@code offset} and zeroes the fixed body
     * (no timestamp option, flags and reserved bytes 0).
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

    /** @return CLOCK_REALTIME nanoseconds at which the capture received the segment */
    public long arrivalNanos() {
        return buffer.getLong(offset + ARRIVAL_NANOS_OFFSET, ORDER);
    }

    public SegmentFlyweight arrivalNanos(long value) {
        mutableBuffer.putLong(offset + ARRIVAL_NANOS_OFFSET, value, ORDER);
        return this;
    }

    /** @return the segment flags, a bit set of {@link #FLAG_HAS_TIMESTAMP} */
    public int segmentFlags() {
        return buffer.getByte(offset + SEGMENT_FLAGS_OFFSET) & 0xFF;
    }

    /** @return whether the segment carried the TCP timestamp option */
    public boolean hasTimestamp() {
        return (segmentFlags() & FLAG_HAS_TIMESTAMP) != 0;
    }

    /** @return TSval, unsigned; meaningful only if {@link #hasTimestamp()} */
    public long tsVal() {
        return buffer.getInt(offset + TS_VAL_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    /** @return TSecr, unsigned; meaningful only if {@link #hasTimestamp()} */
    public long tsEcr() {
        return buffer.getInt(offset + TS_ECR_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    /**
     * The segment carried the timestamp option with these values: sets TSval, TSecr and
     * {@link #FLAG_HAS_TIMESTAMP} together (one call, so the flag can never disagree with the values).
     *
     * @return this
     */
    public SegmentFlyweight timestamps(long tsVal, long tsEcr) {
        mutableBuffer.putInt(offset + TS_VAL_OFFSET, (int) tsVal, ORDER);
        mutableBuffer.putInt(offset + TS_ECR_OFFSET, (int) tsEcr, ORDER);
        mutableBuffer.putByte(offset + SEGMENT_FLAGS_OFFSET, (byte) (segmentFlags() | FLAG_HAS_TIMESTAMP));
        return this;
    }

    /**
     * The segment carried no timestamp option: clears TSval, TSecr and {@link #FLAG_HAS_TIMESTAMP}
     * (the state {@link #wrapForEncode} leaves).
     *
     * @return this
     */
    public SegmentFlyweight noTimestamps() {
        mutableBuffer.putInt(offset + TS_VAL_OFFSET, 0, ORDER);
        mutableBuffer.putInt(offset + TS_ECR_OFFSET, 0, ORDER);
        mutableBuffer.putByte(offset + SEGMENT_FLAGS_OFFSET, (byte) (segmentFlags() & ~FLAG_HAS_TIMESTAMP));
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
