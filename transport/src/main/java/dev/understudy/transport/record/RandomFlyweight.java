package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#RANDOM}: randomness the primary's application drew, which a clone hands back
 * to its copy of the application at the same place (DESIGN.md "Determinism"): a seed, or the bytes
 * a {@code SecureRandom} produced. The place is the turn and the index within it, as for
 * {@link ClockFlyweight CLOCK}. Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |           global turn order (i64, -1: outside any turn)       | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    index within the turn (i32)                | 32
 *  +---------------------------------------------------------------+
 *  |                          source (i32)                         | 36
 *  +---------------------------------------------------------------+
 *  |                 length (i32, valid payload bytes)             | 40
 *  +---------------------------------------------------------------+
 *  |                       reserved (0, i32)                       | 44
 *  +---------------------------------------------------------------+
 *  |                                                               | 48
 *  |                  payload (32 bytes, zero past length)         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *                                                                    80
 * </pre>
 *
 * <ul>
 *   <li><b>global turn order</b>, <b>index within the turn</b>: as in {@link ClockFlyweight}
 *       (CLOCK and RANDOM share the index sequence of a turn); {@code >= -1} and {@code >= 0}.</li>
 *   <li><b>source</b>: {@link #SEED} the seed of a {@code new Random()}, {@link #BYTES} the output of
 *       one {@code SecureRandom.nextBytes}, {@link #TLR_SEED} the value a thread's
 *       {@code ThreadLocalRandom} seed was made from. Other values are invalid.</li>
 *   <li><b>length</b>: how many payload bytes are valid, {@code 1..}{@link #MAX_PAYLOAD}; exactly
 *       {@link #SEED_LENGTH} for {@link #SEED} and {@link #TLR_SEED}, whose payload is the seed
 *       little-endian ({@link #seed()}).</li>
 *   <li><b>payload</b>: the bytes. A {@code nextBytes} call of more than {@link #MAX_PAYLOAD} bytes is
 *       carried by consecutive RANDOM records with consecutive indexes, 32 bytes each but the last.
 *       Bytes past the length are written as zero (not checked).</li>
 * </ul>
 * {@link RecordCodec} rejects a record breaking any of these ranges as {@link RecordErrors#BAD_BODY}.
 */
public final class RandomFlyweight extends RecordHeader {
    /** Offset of the global turn order (i64). */
    public static final int TURN_ORDER_OFFSET = 24;
    /** Offset of the index within the turn (i32). */
    public static final int INDEX_OFFSET = 32;
    /** Offset of the source (i32). */
    public static final int SOURCE_OFFSET = 36;
    /** Offset of the payload length (i32). */
    public static final int PAYLOAD_LENGTH_OFFSET = 40;
    /** Offset of the payload (32 bytes). */
    public static final int PAYLOAD_OFFSET = 48;
    /** Payload capacity of one record. */
    public static final int MAX_PAYLOAD = 32;
    /** Record length. */
    public static final int LENGTH = PAYLOAD_OFFSET + MAX_PAYLOAD;

    /** Source: the seed of a {@code new Random()} (payload: 8 bytes, little-endian). */
    public static final int SEED = 1;
    /** Source: bytes produced by {@code SecureRandom.nextBytes}. */
    public static final int BYTES = 2;
    /** Source: the value a thread's {@code ThreadLocalRandom} seed was made from (payload: 8 bytes, little-endian). */
    public static final int TLR_SEED = 3;

    /** Payload length of {@link #SEED} and {@link #TLR_SEED}. */
    public static final int SEED_LENGTH = 8;

    @Override
    public RandomFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a RANDOM at {@code offset}, zeroes the body, returns this. */
    public RandomFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.RANDOM, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    /** @return whether {@code source} is {@link #SEED}, {@link #BYTES} or {@link #TLR_SEED} */
    public static boolean isValidSource(int source) {
        return source >= SEED && source <= TLR_SEED;
    }

    /**
     * Checks the body fields of the RANDOM at {@code offset} (whose length the caller checked): turn
     * order, index, source, and the payload length against the source. Used by {@link RecordCodec}.
     */
    static boolean hasValidBody(DirectBuffer buffer, int offset) {
        int source = buffer.getInt(offset + SOURCE_OFFSET, ORDER);
        int length = buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
        return buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER) >= TurnFlyweight.OUTSIDE_TURN
            && buffer.getInt(offset + INDEX_OFFSET, ORDER) >= 0
            && isValidSource(source)
            && (source == BYTES ? length >= 1 && length <= MAX_PAYLOAD : length == SEED_LENGTH);
    }

    /** @return the turn the value was drawn in, or {@link TurnFlyweight#OUTSIDE_TURN} */
    public long turnOrder() {
        return buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER);
    }

    public RandomFlyweight turnOrder(long value) {
        mutableBuffer.putLong(offset + TURN_ORDER_OFFSET, value, ORDER);
        return this;
    }

    /** @return the k-th value read in the turn (CLOCK and RANDOM together), from 0 */
    public int index() {
        return buffer.getInt(offset + INDEX_OFFSET, ORDER);
    }

    public RandomFlyweight index(int value) {
        mutableBuffer.putInt(offset + INDEX_OFFSET, value, ORDER);
        return this;
    }

    /** @return {@link #SEED}, {@link #BYTES} or {@link #TLR_SEED} */
    public int source() {
        return buffer.getInt(offset + SOURCE_OFFSET, ORDER);
    }

    /**
     * @param value {@link #SEED}, {@link #BYTES} or {@link #TLR_SEED}
     * @throws IllegalArgumentException for another value (a bug)
     */
    public RandomFlyweight source(int value) {
        if (!isValidSource(value)) {
            throw new IllegalArgumentException("invalid RANDOM source: value=" + value
                + ", expected SEED(1), BYTES(2) or TLR_SEED(3)");
        }
        mutableBuffer.putInt(offset + SOURCE_OFFSET, value, ORDER);
        return this;
    }

    /** @return how many payload bytes are valid */
    public int payloadLength() {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    /**
     * Sets the payload to {@code length} bytes of {@code src} from {@code srcOffset}, zeroing the rest.
     *
     * @param length {@code 1..}{@link #MAX_PAYLOAD}
     * @throws IllegalArgumentException for another length (a bug: split longer output over records)
     */
    public RandomFlyweight payload(byte[] src, int srcOffset, int length) {
        if (length < 1 || length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("invalid RANDOM payload length: value=" + length
                + ", expected 1.." + MAX_PAYLOAD);
        }
        mutableBuffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, length, ORDER);
        mutableBuffer.putBytes(offset + PAYLOAD_OFFSET, src, srcOffset, length);
        mutableBuffer.setMemory(offset + PAYLOAD_OFFSET + length, MAX_PAYLOAD - length, (byte) 0);
        return this;
    }

    /**
     * Copies the valid payload bytes into {@code dst} at {@code dstOffset}.
     *
     * @return how many bytes were copied ({@link #payloadLength()})
     */
    public int getPayload(byte[] dst, int dstOffset) {
        int length = payloadLength();
        buffer.getBytes(offset + PAYLOAD_OFFSET, dst, dstOffset, length);
        return length;
    }

    /** @return payload byte {@code index} (0..31) */
    public byte payloadByte(int index) {
        return buffer.getByte(offset + PAYLOAD_OFFSET + index);
    }

    /** Sets the payload to {@code seed}, 8 bytes little-endian, and the length to {@link #SEED_LENGTH}. */
    public RandomFlyweight seed(long seed) {
        mutableBuffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, SEED_LENGTH, ORDER);
        mutableBuffer.putLong(offset + PAYLOAD_OFFSET, seed, ORDER);
        mutableBuffer.setMemory(offset + PAYLOAD_OFFSET + SEED_LENGTH, MAX_PAYLOAD - SEED_LENGTH, (byte) 0);
        return this;
    }

    /** @return the first 8 payload bytes as a little-endian long: the seed of {@link #SEED} and {@link #TLR_SEED} */
    public long seed() {
        return buffer.getLong(offset + PAYLOAD_OFFSET, ORDER);
    }
}
