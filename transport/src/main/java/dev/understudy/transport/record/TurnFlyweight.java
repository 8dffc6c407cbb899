package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#TURN}: the primary ran one turn of the application (serial determinism,
 * DESIGN.md "Determinism"). A turn is named by the input event that started it, never by thread or
 * submission order: connection c's n-th read, the listener's n-th accept, timer t's n-th run, an
 * executor task. The primary writes one TURN per turn in the order the turns ran; a clone grants
 * turns by name in that order. Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |              connection id (i64, -1: no connection)           | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        turn kind (i32)                        | 32
 *  +---------------------------------------------------------------+
 *  |                       reserved (0, i32)                       | 36
 *  +---------------------------------------------------------------+
 *  |                         ordinal n (i64)                       | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    global turn order (i64)                    | 48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        source id (i64)                        | 56
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *                                                                    64
 * </pre>
 *
 * <ul>
 *   <li><b>connection id</b>: the connection whose event started the turn ({@link #READ}), or
 *       {@link #NO_CONNECTION} for a turn not tied to one.</li>
 *   <li><b>turn kind</b>: {@link #READ} a connection's n-th read, {@link #ACCEPT} the listener's
 *       n-th accept, {@link #TIMER} a timer task's n-th run, {@link #TASK} an executor task. Other
 *       values are invalid ({@link RecordCodec} rejects them as {@link RecordErrors#BAD_BODY}).</li>
 *   <li><b>ordinal n</b>: the n-th event of that kind on that connection, listener or timer,
 *       counted from 0; {@code >= 0}.</li>
 *   <li><b>global turn order</b>: this turn's position among all turns of the primary (0, 1, 2, ...
 *       across every kind and connection); {@code >= 0}. {@link ClockFlyweight CLOCK} and
 *       {@link RandomFlyweight RANDOM} records name the turn they were read in by this number.</li>
 *   <li><b>source id</b>: the listener's identity for {@link #ACCEPT}, the timer's for
 *       {@link #TIMER}; 0 otherwise.</li>
 * </ul>
 */
public final class TurnFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of the turn kind (i32). */
    public static final int KIND_OFFSET = 32;
    /** Offset of the ordinal (i64). */
    public static final int ORDINAL_OFFSET = 40;
    /** Offset of the global turn order (i64). */
    public static final int TURN_ORDER_OFFSET = 48;
    /** Offset of the source id (i64). */
    public static final int SOURCE_ID_OFFSET = 56;
    /** Record length. */
    public static final int LENGTH = 64;

    /** Kind: a connection's n-th read started the turn. */
    public static final int READ = 1;
    /** Kind: the listener's n-th accept started the turn. */
    public static final int ACCEPT = 2;
    /** Kind: a timer task's n-th run. */
    public static final int TIMER = 3;
    /** Kind: an executor task. */
    public static final int TASK = 4;

    /** Connection id of a turn not tied to a connection. */
    public static final long NO_CONNECTION = -1;
    /** Global turn order in CLOCK and RANDOM records for a value read outside any turn. */
    public static final long OUTSIDE_TURN = -1;

    @Override
    public TurnFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a TURN at {@code offset}, zeroes the body, returns this. */
    public TurnFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.TURN, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    /** @return whether {@code kind} is one of {@link #READ}, {@link #ACCEPT}, {@link #TIMER}, {@link #TASK} */
    public static boolean isValidKind(int kind) {
        return kind >= READ && kind <= TASK;
    }

    /**
     * Checks the body fields of the TURN at {@code offset} (whose length the caller checked): kind,
     * ordinal and turn order. Used by {@link RecordCodec}.
     */
    static boolean hasValidBody(DirectBuffer buffer, int offset) {
        return isValidKind(buffer.getInt(offset + KIND_OFFSET, ORDER))
            && buffer.getLong(offset + ORDINAL_OFFSET, ORDER) >= 0
            && buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER) >= 0;
    }

    /** @return the connection the turn belongs to, or {@link #NO_CONNECTION} */
    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public TurnFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return {@link #READ}, {@link #ACCEPT}, {@link #TIMER} or {@link #TASK} */
    public int kind() {
        return buffer.getInt(offset + KIND_OFFSET, ORDER);
    }

    /**
     * @param value {@link #READ}, {@link #ACCEPT}, {@link #TIMER} or {@link #TASK}
     * @throws IllegalArgumentException for another value (a bug)
     */
    public TurnFlyweight kind(int value) {
        if (!isValidKind(value)) {
            throw new IllegalArgumentException("invalid TURN kind: value=" + value
                + ", expected READ(1), ACCEPT(2), TIMER(3) or TASK(4)");
        }
        mutableBuffer.putInt(offset + KIND_OFFSET, value, ORDER);
        return this;
    }

    /** @return the n-th event of this kind on this connection, listener or timer, from 0 */
    public long ordinal() {
        return buffer.getLong(offset + ORDINAL_OFFSET, ORDER);
    }

    public TurnFlyweight ordinal(long value) {
        mutableBuffer.putLong(offset + ORDINAL_OFFSET, value, ORDER);
        return this;
    }

    /** @return this turn's position among all turns of the primary, from 0 */
    public long turnOrder() {
        return buffer.getLong(offset + TURN_ORDER_OFFSET, ORDER);
    }

    public TurnFlyweight turnOrder(long value) {
        mutableBuffer.putLong(offset + TURN_ORDER_OFFSET, value, ORDER);
        return this;
    }

    /** @return the listener ({@link #ACCEPT}) or timer ({@link #TIMER}) identity; 0 otherwise */
    public long sourceId() {
        return buffer.getLong(offset + SOURCE_ID_OFFSET, ORDER);
    }

    public TurnFlyweight sourceId(long value) {
        mutableBuffer.putLong(offset + SOURCE_ID_OFFSET, value, ORDER);
        return this;
    }
}
