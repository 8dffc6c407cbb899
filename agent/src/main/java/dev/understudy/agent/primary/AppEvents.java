package dev.understudy.agent.primary;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The ring-buffer messages application threads write (one fixed 32-byte layout for every kind;
 * the message type id of the ring is the kind). The duty cycle turns each into a record of the
 * log ({@link RecordEncoder}), stamping what only it can know (the global read order).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      connection id (i64)                      |  0
 *  +---------------------------------------------------------------+
 *  |                      stream offset (i64)                      |  8
 *  +---------------------------------------------------------------+
 *  |              byte count (i32) or a negative status            | 16
 *  +---------------------------------------------------------------+
 *  |                 CRC-32C of the bytes (i32, writes)            | 20
 *  +---------------------------------------------------------------+
 *  |                      fd (i32) | reserved                      | 24
 *  +---------------------------------------------------------------+
 * </pre>
 * Native byte order (the ring never leaves the process).
 */
final class AppEvents {
    static final int READ = 1;
    static final int WRITE = 2;
    static final int CLOSE = 3;
    static final int SHUTDOWN_OUTPUT = 4;
    /** The application accepted the connection: the duty cycle emits its TCP_INFO. */
    static final int ACCEPT = 5;
    /**
     * Serial mode: a turn began. Connection id; stream offset = the turn's order; count = the
     * TURN kind (read or accept); fd = the ordinal of that kind on the connection.
     */
    static final int TURN = 6;
    /** A clock value read in a turn: connection id = turn order; stream offset = value; count = index; crc = nanos; fd = source. */
    static final int CLOCK = 7;
    /** Up to 8 random bytes handed out in a turn: connection id = turn order; stream offset = the bytes (LE); count = index; crc = length; fd = source. */
    static final int RANDOM = 8;

    static final int CONNECTION_ID_OFFSET = 0;
    static final int STREAM_OFFSET_OFFSET = 8;
    static final int COUNT_OFFSET = 16;
    static final int CRC_OFFSET = 20;
    static final int FD_OFFSET = 24;
    static final int LENGTH = 32;

    /** Byte-count statuses of a READ (the values of the APP_READ record). */
    static final int STATUS_EOF = -1;
    static final int STATUS_RESET = -2;

    private AppEvents() {
    }

    static void encode(AtomicBuffer b, int at, long connectionId, long streamOffset, int count, int crc, int fd) {
        b.putLong(at + CONNECTION_ID_OFFSET, connectionId);
        b.putLong(at + STREAM_OFFSET_OFFSET, streamOffset);
        b.putInt(at + COUNT_OFFSET, count);
        b.putInt(at + CRC_OFFSET, crc);
        b.putInt(at + FD_OFFSET, fd);
        b.putInt(at + FD_OFFSET + 4, 0);
    }

    static String name(int kind) {
        switch (kind) {
            case READ: return "READ";
            case WRITE: return "WRITE";
            case CLOSE: return "CLOSE";
            case SHUTDOWN_OUTPUT: return "SHUTDOWN_OUTPUT";
            case ACCEPT: return "ACCEPT";
            case TURN: return "TURN";
            case CLOCK: return "CLOCK";
            case RANDOM: return "RANDOM";
            default: return "UNKNOWN(" + kind + ")";
        }
    }
}
