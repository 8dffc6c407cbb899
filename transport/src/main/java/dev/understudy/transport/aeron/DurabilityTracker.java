package dev.understudy.transport.aeron;

import java.util.Arrays;

/**
 * k-of-n durability from clone acknowledgements.
 *
 * <p>Each clone acknowledges the highest sequence appended to its journal (it acks only after
 * the append). The tracker keeps, per clone, the highest acknowledged sequence (acks that arrive
 * out of order never move it back) and answers {@link #durableSequence(int)}: the {@code k}-th
 * highest acknowledged sequence among the clones that are currently members, i.e. the largest S
 * such that at least {@code k} clones hold every record up to S.
 *
 * <p>A clone reported lost ({@link #remove(int)}) stops counting, so {@code durableSequence}
 * may go down when a clone is lost; {@link #poll()} reports each {@code k} to the
 * {@link DurabilityListener} only when it rises above the highest value reported before
 * (notifications are monotonic).
 *
 * <h2>Epochs (DESIGN.md invariant 5)</h2>
 * A tracker belongs to one primary and its {@linkplain #epoch() epoch}. Every ack carries the epoch
 * the clone acknowledges under (the highest it has seen); only acks of this tracker's own epoch count.
 * Any other ack is counted in {@link #staleAcks()} and changes nothing: a clone that has moved on to
 * a newer primary acks that primary's epoch, so a stale primary gets no durability from it and can
 * release no held input.
 *
 * <p>No allocation after construction. Not thread-safe: one duty-cycle thread.
 */
public final class DurabilityTracker {
    /** No record is durable yet. */
    public static final long NONE = 0;

    private final long[] acked;
    private final int[] incarnation;
    private final boolean[] present;
    private final long[] scratch;
    private final long[] reported;
    private final int maxK;
    private final DurabilityListener listener;
    private final int epoch;
    private int count;
    private long staleAcks;

    /**
     * @param epoch     the epoch of the primary this tracker counts for: acks of any other epoch are stale
     * @param maxNodeId highest node id that may ack
     * @param maxK      highest k reported to the listener
     * @param listener  may be {@code null}
     */
    public DurabilityTracker(int epoch, int maxNodeId, int maxK, DurabilityListener listener) {
        if (epoch < 0) {
            throw new IllegalArgumentException("invalid epoch: value=" + epoch + ", expected >= 0");
        }
        this.epoch = epoch;
        this.acked = new long[maxNodeId + 1];
        this.incarnation = new int[maxNodeId + 1];
        this.present = new boolean[maxNodeId + 1];
        this.scratch = new long[maxNodeId + 1];
        this.reported = new long[maxK + 1];
        this.maxK = maxK;
        this.listener = listener;
    }

    /**
     * Records an acknowledgement from one run ({@code incarnation}, random per clone start) of a
     * clone, made under {@code ackEpoch}. An ack of another epoch than {@link #epoch()} is counted in
     * {@link #staleAcks()} and ignored. A new incarnation replaces what the previous one acknowledged,
     * even downwards: a clone restarted with a lost or older journal must not keep the durability its
     * previous run reported. Within an incarnation, acks never move the position back. Adds the clone
     * if it is not a member yet.
     *
     * @return {@code true} if the clone's acknowledged sequence changed
     */
    public boolean onAck(int nodeId, int incarnationId, int ackEpoch, long sequence) {
        if (ackEpoch != epoch) {
            staleAcks++;
            return false;
        }
        if (nodeId <= 0 || nodeId >= acked.length) {
            return false;
        }
        if (!present[nodeId] || incarnation[nodeId] != incarnationId) {
            if (!present[nodeId]) {
                count++;
            }
            present[nodeId] = true;
            incarnation[nodeId] = incarnationId;
            acked[nodeId] = sequence;
            return true;
        }
        if (sequence > acked[nodeId]) {
            acked[nodeId] = sequence;
            return true;
        }
        return false;
    }

    /** Forgets a lost clone: its acks no longer count until it acks again. */
    public void remove(int nodeId) {
        if (nodeId > 0 && nodeId < acked.length && present[nodeId]) {
            present[nodeId] = false;
            acked[nodeId] = NONE;
            count--;
        }
    }

    /** @return the epoch whose acks count */
    public int epoch() {
        return epoch;
    }

    /** @return acks ignored because they were made under another epoch than {@link #epoch()} */
    public long staleAcks() {
        return staleAcks;
    }

    /** Number of clones counted. */
    public int members() {
        return count;
    }

    /** Highest sequence acknowledged by {@code nodeId}, or {@link #NONE}. */
    public long acked(int nodeId) {
        return nodeId > 0 && nodeId < acked.length ? acked[nodeId] : NONE;
    }

    /**
     * The highest sequence held by at least {@code k} member clones, or {@link #NONE} when
     * fewer than {@code k} clones have acknowledged anything.
     */
    public long durableSequence(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("invalid k: value=" + k + ", expected >= 1");
        }
        if (k > count) {
            return NONE;
        }
        int n = 0;
        for (int i = 1; i < acked.length; i++) {
            if (present[i]) {
                scratch[n++] = acked[i];
            }
        }
        // n <= 64: a sort of a handful of longs, in place, no allocation
        Arrays.sort(scratch, 0, n);
        return scratch[n - k];
    }

    /**
     * Reports to the listener every {@code k} in {@code 1..maxK} whose durable sequence rose
     * above the last value reported.
     *
     * @return number of notifications made
     */
    public int poll() {
        int work = 0;
        for (int k = 1; k <= maxK; k++) {
            long d = durableSequence(k);
            if (d > reported[k]) {
                reported[k] = d;
                work++;
                if (listener != null) {
                    listener.onDurable(k, d);
                }
            }
        }
        return work;
    }

    /** Highest value reported to the listener for {@code k}. */
    public long reported(int k) {
        return reported[k];
    }
}
