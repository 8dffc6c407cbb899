package dev.understudy.transport.membership;

/**
 * A node's role as announced in its heartbeats. On the wire a role is its {@link #code()}
 * (u8), never its {@code ordinal()}: the codes are part of the wire format and stay fixed when
 * constants are added or reordered. The same codes fill the role byte of the HEARTBEAT record
 * ({@code dev.understudy.transport.record.HeartbeatFlyweight}) and of the control channel's
 * heartbeat frame ({@code Wire}).
 *
 * <table>
 *   <caption>wire codes</caption>
 *   <tr><th>code</th><th>role</th></tr>
 *   <tr><td>1</td><td>{@link #PRIMARY}</td></tr>
 *   <tr><td>2</td><td>{@link #CLONE}</td></tr>
 *   <tr><td>3</td><td>{@link #CATCHING_UP}</td></tr>
 * </table>
 * Code 0 is never a role (a zeroed field is not mistaken for one).
 */
public enum Role {
    /** Serving: publishes the record log. */
    PRIMARY(1),
    /** Following the primary's live stream. */
    CLONE(2),
    /** Fetching history from a peer before it follows live; not eligible. */
    CATCHING_UP(3);

    private static final Role[] BY_CODE = {null, PRIMARY, CLONE, CATCHING_UP};

    private final int code;

    Role(int code) {
        this.code = code;
    }

    /** @return the role's wire code (u8) */
    public int code() {
        return code;
    }

    /**
     * @param code a wire code, as read (any int: a u8 read as a signed byte is fine only if masked)
     * @return the role for {@code code}, or {@code null} for an unknown code
     */
    public static Role fromCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
