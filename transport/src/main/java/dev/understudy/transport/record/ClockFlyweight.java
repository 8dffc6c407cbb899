package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#CLOCK}: one clock value the primary's application read, which a clone hands
 * back to its copy of the application at the same place (DESIGN.md "Determinism"). The place is
 * the turn it was read in and its index among the values read in that turn; never a thread name.
 * Little-endian, fixed length {@link #LENGTH}.
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
 *  |                           value (i64)                         | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |             nanos adjustment (i32, INSTANT only)              | 48
 *  +---------------------------------------------------------------+
 *  |                       reserved (0, i32)                       | 52
 *  +---------------------------------------------------------------+
 *                                                                    56
 * </pre>
 *
 * <ul>
 *   <li><b>global turn order</b>: the {@link TurnFlyweight#turnOrder() turn order} of the TURN in
 *       which the application read the clock, or {@link TurnFlyweight#OUTSIDE_TURN}; {@code >= -1}.</li>
 *   <li><b>index within the turn</b>: this value is the k-th value read in that turn, counting CLOCK
 *       and {@link RandomFlyweight RANDOM} records together, from 0; {@code >= 0}.</li>
 *   <li><b>source</b>: {@link #WALL_MILLIS} ({@code System.currentTimeMillis}), {@link #NANO_TIME}
 *       ({@code System.nanoTime}), {@link #INSTANT} ({@code java.time.Clock.currentInstant}, behind
 *       {@code Instant.now()}). Other values are invalid.</li>
 *   <li><b>value</b>: milliseconds since the epoch, nanoseconds of the monotonic clock, or the
 *       instant's seconds since the epoch, per source.</li>
 *   <li><b>nanos adjustment</b>: for {@link #INSTANT}, the instant's nanosecond of the second,
 *       {@code 0..999_999_999}; 0 for the other sources.</li>
 * </ul>
 * {@link RecordCodec} rejects a record breaking any of these ranges as {@link RecordErrors#BAD_BODY}.
 */
public final class ClockFlyweight extends RecordHeader {
    /** Offset of the global turn order (i64). */
    public static final int TURN_ORDER_OFFSET = 24;
    /** Offset of the index within the turn (i32). */
    public static final int INDEX_OFFSET = 32;
    /** Offset of the source (i32). */
    public static final int SOURCE_OFFSET = 36;
    /** Offset of the value (i64). */
    public static final int VALUE_OFFSET = 40;
    /** Offset of the nanos adjustment (i32). */
    public static final int NANOS_OFFSET = 48;
    /** Record length. */
    public static final int LENGTH = 56;

    /** Source: {@code System.currentTimeMillis()}; value in milliseconds since the epoch. */
    public static final int WALL_MILLIS = 1;
    /** Source: {@code System.nanoTime()}; value in nanoseconds of the monotonic clock. */
    public static final int NANO_TIME = 2;
    /** Source: {@code java.time.Clock.currentInstant()}; value in epoch seconds, plus the nanos adjustment. */
    public static final int INSTANT = 3;

    /** Largest nanos adjustment. */
    public static final int MAX_NANOS = 999_999_999;

    @Override
    public ClockFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a CLOCK at {@code offset}, zeroes the body, returns this. */
    public ClockFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.CLOCK, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    /** @return whether {@code source} is {@link #WALL_MILLIS}, {@link #NANO_TIME} or {@link #INSTANT} */
    public static boolean isValidSource(int source) {
        return source >= WALL_MILLIS && source <= INSTANT;
    }

    /**
     * Checks the body fields of the CLOCK at {@code offset} (whose length the caller checked): turn
     * order, index, source, and the nanos adjustment against the source. Used by {@link RecordCodec}.
     */
    static boolean hasValidBody(DirectBuffer buffer, int offset) {
        int source = buffer.getInt(offset + SOURCE_OFFSET, ORDER);
        int nanos = buffer.getInt(offset + NANOS_OFFSET, ORDER);
        return buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER) >= TurnFlyweight.OUTSIDE_TURN
            && buffer.getInt(offset + INDEX_OFFSET, ORDER) >= 0
            && isValidSource(source)
            && (source == INSTANT ? nanos >= 0 && nanos <= MAX_NANOS : nanos == 0);
    }

    /** @return the turn the value was read in, or {@link TurnFlyweight#OUTSIDE_TURN} */
    public long turnOrder() {
        return buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER);
    }

    public ClockFlyweight turnOrder(long value) {
        mutableBuffer.putLong(offset + TURN_ORDER_OFFSET, value, ORDER);
        return this;
    }

    /** @return the k-th value read in the turn (CLOCK and RANDOM together), from 0 */
    public int index() {
        return buffer.getInt(offset + INDEX_OFFSET, ORDER);
    }

    public ClockFlyweight index(int value) {
        mutableBuffer.putInt(offset + INDEX_OFFSET, value, ORDER);
        return this;
    }

    /** @return {@link #WALL_MILLIS}, {@link #NANO_TIME} or {@link #INSTANT} */
    public int source() {
        return buffer.getInt(offset + SOURCE_OFFSET, ORDER);
    }

    /**
     * @param value {@link #WALL_MILLIS}, {@link #NANO_TIME} or {@link #INSTANT}
     * @throws IllegalArgumentException for another value (a bug)
     */
    public ClockFlyweight source(int value) {
        if (!isValidSource(value)) {
            throw new IllegalArgumentException("invalid CLOCK source: value=" + value
                + ", expected WALL_MILLIS(1), NANO_TIME(2) or INSTANT(3)");
        }
        mutableBuffer.putInt(offset + SOURCE_OFFSET, value, ORDER);
        return this;
    }

    /** @return milliseconds, nanoseconds or epoch seconds, per {@link #source()} */
    public long value() {
        return buffer.getLong(offset + VALUE_OFFSET, ORDER);
    }

    public ClockFlyweight value(long value) {
        mutableBuffer.putLong(offset + VALUE_OFFSET, value, ORDER);
        return this;
    }

    /** @return the nanosecond of the second for {@link #INSTANT}; 0 otherwise */
    public int nanos() {
        return buffer.getInt(offset + NANOS_OFFSET, ORDER);
    }

    /**
     * @param value {@code 0..999_999_999} (set it for {@link #INSTANT} only)
     * @throws IllegalArgumentException outside that range (a bug)
     */
    public ClockFlyweight nanos(int value) {
        if (value < 0 || value > MAX_NANOS) {
            throw new IllegalArgumentException("invalid CLOCK nanos adjustment: value=" + value
                + ", expected 0..999999999");
        }
        mutableBuffer.putInt(offset + NANOS_OFFSET, value, ORDER);
        return this;
    }
}
