package dev.understudy.transport.record;

/**
 * Record type codes, the value of {@link RecordHeader#TYPE_OFFSET}. See {@code DESIGN.md}, "The record log".
 *
 * <p>Every type but {@link #SEGMENT} has a fixed length; a SEGMENT is its fixed part followed by
 * its payload.
 */
public final class RecordType {
    /** A connection was accepted: {@link ConnOpenFlyweight}. */
    public static final int CONN_OPEN = 1;
    /** A captured client TCP segment with its payload: {@link SegmentFlyweight}. */
    public static final int SEGMENT = 2;
    /** The application read bytes: {@link AppReadFlyweight}. */
    public static final int APP_READ = 3;
    /** The application wrote bytes: {@link AppWriteFlyweight}. */
    public static final int APP_WRITE = 4;
    /** The application closed a connection: {@link ConnectionEventFlyweight}. */
    public static final int APP_CLOSE = 5;
    /** The application shut down a connection's output: {@link ConnectionEventFlyweight}. */
    public static final int APP_SHUTDOWN_OUTPUT = 6;
    /** A characteristic event the clones may apply up to: {@link CheckpointFlyweight}. */
    public static final int CHECKPOINT = 7;
    /** Liveness and progress of one node: {@link HeartbeatFlyweight}. */
    public static final int HEARTBEAT = 8;
    /** A clone announces it takes over with a new epoch: {@link EpochChangeFlyweight}. */
    public static final int PROMOTE = 9;
    /** Nodes of older epochs must stop serving: {@link EpochChangeFlyweight}. */
    public static final int FENCE = 10;
    /** The primary kernel's view of a connection (options, send state, timestamp clock): {@link TcpInfoFlyweight}. */
    public static final int TCP_INFO = 11;
    /** The primary ran one turn of the application, named by the event that started it: {@link TurnFlyweight}. */
    public static final int TURN = 12;
    /** A clock value the application read: {@link ClockFlyweight}. */
    public static final int CLOCK = 13;
    /** A seed or random bytes the application drew: {@link RandomFlyweight}. */
    public static final int RANDOM = 14;

    /** Lowest valid type code. */
    public static final int MIN = CONN_OPEN;
    /** Highest valid type code. */
    public static final int MAX = RANDOM;

    private static final String[] NAMES = {
        null, "CONN_OPEN", "SEGMENT", "APP_READ", "APP_WRITE", "APP_CLOSE", "APP_SHUTDOWN_OUTPUT", "CHECKPOINT",
        "HEARTBEAT", "PROMOTE", "FENCE", "TCP_INFO", "TURN", "CLOCK", "RANDOM"
    };

    private static final int[] LENGTHS = {
        0,
        ConnOpenFlyweight.LENGTH,
        SegmentFlyweight.PAYLOAD_OFFSET,
        AppReadFlyweight.LENGTH,
        AppWriteFlyweight.LENGTH,
        ConnectionEventFlyweight.LENGTH,
        ConnectionEventFlyweight.LENGTH,
        CheckpointFlyweight.LENGTH,
        HeartbeatFlyweight.LENGTH,
        EpochChangeFlyweight.LENGTH,
        EpochChangeFlyweight.LENGTH,
        TcpInfoFlyweight.LENGTH,
        TurnFlyweight.LENGTH,
        ClockFlyweight.LENGTH,
        RandomFlyweight.LENGTH
    };

    private RecordType() {
    }

    /**
     * @param type a type code
     * @return whether it is a known type
     */
    public static boolean isValid(int type) {
        return type >= MIN && type <= MAX;
    }

    /**
     * @param type a type code
     * @return the name, or {@code "UNKNOWN(type)"}
     */
    public static String name(int type) {
        return isValid(type) ? NAMES[type] : "UNKNOWN(" + type + ")";
    }

    /**
     * @param type a valid type code
     * @return the record's length for fixed-length types; for {@link #SEGMENT} the length without payload
     */
    public static int fixedLength(int type) {
        return LENGTHS[type];
    }
}
