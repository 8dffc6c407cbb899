package dev.understudy.transport.membership;

/** A node's role as announced in its heartbeats. */
public enum Role {
    PRIMARY, CLONE, CATCHING_UP;

    private static final Role[] VALUES = values();

    /** The role for a wire code, or {@code null} for an unknown code. */
    public static Role of(int code) {
        return code >= 0 && code < VALUES.length ? VALUES[code] : null;
    }
}
