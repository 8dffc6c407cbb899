package dev.understudy.transport.membership;

/**
 * Membership events. Called on the duty-cycle thread that feeds the {@link Membership}; must not block.
 */
public interface MemberListener {
    /** First heartbeat ever seen from {@code nodeId}. */
    default void onJoined(int nodeId, Role role, long epoch) {
    }

    /** No heartbeat from {@code nodeId} for the member timeout. */
    default void onLost(int nodeId, long lastSeenNs) {
    }

    /** A heartbeat from a node that had been reported lost. */
    default void onRejoined(int nodeId, Role role, long epoch) {
    }
}
