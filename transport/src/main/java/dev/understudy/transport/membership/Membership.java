package dev.understudy.transport.membership;

/**
 * Who is alive, from heartbeats.
 *
 * <p>Every node heartbeats (node id, role, epoch, journal position, durable/applied position,
 * health) every heartbeat interval; this table keeps the latest of each and reports a member
 * {@link MemberListener#onLost lost} when nothing was heard from it for {@code timeoutNs}, and
 * {@link MemberListener#onRejoined rejoined} when it is heard again. Time is passed in (an
 * injectable clock), so the logic is testable without sleeping.
 *
 * <p>No allocation after construction. Not thread-safe: one duty-cycle thread feeds
 * {@link #onHeartbeat} and {@link #poll}; the getters may be read from that thread.
 */
public final class Membership {
    private final int selfId;
    private final long timeoutNs;
    private final MemberListener listener;
    private final boolean[] known;
    private final boolean[] alive;
    private final long[] lastSeenNs;
    private final int[] role;
    private final long[] epoch;
    private final long[] journalPosition;
    private final long[] durablePosition;
    private final boolean[] healthy;
    private final int[] handOffTo;
    /** The longest time between two heartbeats of each member while it was alive (not across a loss). */
    private final long[] longestGapNs;

    public Membership(int selfId, int maxNodeId, long timeoutNs, MemberListener listener) {
        if (timeoutNs <= 0) {
            throw new IllegalArgumentException("invalid member timeout: value=" + timeoutNs + "ns, expected > 0");
        }
        this.selfId = selfId;
        this.timeoutNs = timeoutNs;
        this.listener = listener == null ? new MemberListener() { } : listener;
        int n = maxNodeId + 1;
        known = new boolean[n];
        alive = new boolean[n];
        lastSeenNs = new long[n];
        role = new int[n];
        epoch = new long[n];
        journalPosition = new long[n];
        durablePosition = new long[n];
        healthy = new boolean[n];
        handOffTo = new int[n];
        longestGapNs = new long[n];
    }

    /**
     * A heartbeat arrived. Heartbeats from this node itself and from out-of-range ids are ignored.
     *
     * @return {@code false} if ignored
     */
    public boolean onHeartbeat(int nodeId, Role r, long ep, long journalPos, long durablePos, boolean isHealthy, long nowNs) {
        if (nodeId == selfId || nodeId <= 0 || nodeId >= known.length || r == null) {
            return false;
        }
        if (alive[nodeId] && nowNs - lastSeenNs[nodeId] > longestGapNs[nodeId]) {
            longestGapNs[nodeId] = nowNs - lastSeenNs[nodeId];
        }
        lastSeenNs[nodeId] = nowNs;
        role[nodeId] = r.code();
        epoch[nodeId] = ep;
        journalPosition[nodeId] = journalPos;
        durablePosition[nodeId] = durablePos;
        healthy[nodeId] = isHealthy;
        if (!known[nodeId]) {
            known[nodeId] = true;
            alive[nodeId] = true;
            listener.onJoined(nodeId, r, ep);
        } else if (!alive[nodeId]) {
            alive[nodeId] = true;
            listener.onRejoined(nodeId, r, ep);
        }
        return true;
    }

    /**
     * Reports members lost at {@code nowNs}.
     *
     * @return number of members newly reported lost
     */
    public int poll(long nowNs) {
        int lost = 0;
        for (int i = 1; i < known.length; i++) {
            if (alive[i] && nowNs - lastSeenNs[i] > timeoutNs) {
                alive[i] = false;
                lost++;
                listener.onLost(i, lastSeenNs[i]);
            }
        }
        return lost;
    }

    public boolean isAlive(int nodeId) {
        return nodeId > 0 && nodeId < alive.length && alive[nodeId];
    }

    public boolean isKnown(int nodeId) {
        return nodeId > 0 && nodeId < known.length && known[nodeId];
    }

    /** Role last announced by the node, or {@code null} if never heard. */
    public Role role(int nodeId) {
        return isKnown(nodeId) ? Role.fromCode(role[nodeId]) : null;
    }

    public long epoch(int nodeId) {
        return isKnown(nodeId) ? epoch[nodeId] : -1;
    }

    public long journalPosition(int nodeId) {
        return isKnown(nodeId) ? journalPosition[nodeId] : -1;
    }

    public long durablePosition(int nodeId) {
        return isKnown(nodeId) ? durablePosition[nodeId] : -1;
    }

    public boolean isHealthy(int nodeId) {
        return isKnown(nodeId) && healthy[nodeId];
    }

    /**
     * The node's last heartbeat says it hands over to this node (a primary's planned switchover);
     * 0 if it does not. Ignored for this node itself and out-of-range ids.
     */
    public void handOffTo(int nodeId, int target) {
        if (nodeId != selfId && nodeId > 0 && nodeId < known.length) {
            handOffTo[nodeId] = target;
        }
    }

    /** The node a member's last heartbeat hands over to, 0 if none (or never heard). */
    public int handOffTo(int nodeId) {
        return isKnown(nodeId) ? handOffTo[nodeId] : 0;
    }

    /**
     * The longest time between two heartbeats of a member heard since it joined or last rejoined
     * in a row (a gap that made it lost is not one), as they reached this node's duty cycle: what
     * a failure timeout must be longer than. 0 for an unknown member.
     */
    public long longestGapNs(int nodeId) {
        return nodeId > 0 && nodeId < known.length ? longestGapNs[nodeId] : 0;
    }

    /** The largest {@link #longestGapNs(int)} over every member. */
    public long longestGapNs() {
        long max = 0;
        for (int i = 1; i < known.length; i++) {
            max = Math.max(max, longestGapNs[i]);
        }
        return max;
    }

    public long lastSeenNs(int nodeId) {
        return isKnown(nodeId) ? lastSeenNs[nodeId] : Long.MIN_VALUE;
    }

    /** Number of other nodes currently alive. */
    public int aliveCount() {
        int n = 0;
        for (int i = 1; i < alive.length; i++) {
            if (alive[i]) {
                n++;
            }
        }
        return n;
    }
}
