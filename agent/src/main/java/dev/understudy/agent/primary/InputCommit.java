package dev.understudy.agent.primary;

import dev.understudy.transport.aeron.DurabilityListener;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Invariant 1 (DESIGN.md): a client segment reaches the primary's TCP stack only once the record
 * holding it is durable on {@code quorum} clones. The capture holds each such packet
 * ({@link #hold}) under the sequence of its record; when the durable sequence for k = quorum
 * passes it ({@link #onDurable}, called from the replication duty cycle), every held packet up
 * to it is released with one {@code releaseUpTo} of the highest packet id. Packet ids and record
 * sequences rise together (both follow the kernel queue's order), so a range release never
 * covers a packet whose record is not durable.
 *
 * <p>Degraded (fewer live clones than the quorum, or a held packet older than the failure timeout:
 * clones that heartbeat but do not acknowledge): with {@code serve}, every held packet is
 * released and new ones are accepted at once (recorded in the local journal only); with
 * {@code hold}, packets stay held until the clones are back and have acknowledged them.
 *
 * <p>Not thread-safe: the duty cycle alone calls every method (the capture runs in it too).
 */
final class InputCommit implements DurabilityListener {
    /** Releases packets; {@code false} when the request could not be posted (retry later). */
    interface Releaser {
        boolean releaseUpTo(int packetId);
    }

    private final int quorum;
    private final boolean serveWhenDegraded;
    private final long[] sequences;
    private final int[] packetIds;
    private final long[] heldAt;
    private final int mask;
    private long head;
    private long tail;
    private Releaser releaser;
    private boolean owed;
    private int owedId;
    private long durable;
    private boolean degraded;
    private boolean paused;
    private final AtomicCounter heldCounter;
    private final long stallNanos;
    private final AtomicCounter releasedCounter;

    /**
     * @param capacity at least the kernel queue's max length (held packets count against it)
     */
    InputCommit(int quorum, boolean serveWhenDegraded, int capacity, AtomicCounter held, AtomicCounter released) {
        this(quorum, serveWhenDegraded, capacity, Long.MAX_VALUE, held, released);
    }

    /**
     * @param stallNanos a held packet older than this means the live clones are not acknowledging
     *                   (alive by heartbeat, but stuck or fenced): degraded, as if they were gone
     */
    InputCommit(int quorum, boolean serveWhenDegraded, int capacity, long stallNanos, AtomicCounter held,
                AtomicCounter released) {
        this.quorum = quorum;
        this.serveWhenDegraded = serveWhenDegraded;
        int cap = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        this.sequences = new long[cap];
        this.packetIds = new int[cap];
        this.heldAt = new long[cap];
        this.mask = cap - 1;
        this.stallNanos = stallNanos;
        this.heldCounter = held;
        this.releasedCounter = released;
    }

    void releaser(Releaser r) {
        this.releaser = r;
    }

    /**
     * @return whether the packet must be held (true) or may be accepted now (false: no quorum to
     *         wait for, already durable, or degraded with the serve policy)
     */
    boolean hold(long sequence, int packetId) {
        if (!paused && (quorum == 0 || (degraded && serveWhenDegraded) || sequence <= durable)) {
            return false;
        }
        if (tail - head == sequences.length) {
            flushDurable(); // cannot happen while capacity >= the kernel's queue length; be safe
            if (tail - head == sequences.length) {
                return false;
            }
        }
        int i = (int) tail & mask;
        sequences[i] = sequence;
        packetIds[i] = packetId;
        heldAt[i] = System.nanoTime();
        tail++;
        heldCounter.setOrdered(tail - head);
        return true;
    }

    @Override
    public void onDurable(int k, long sequence) {
        if (k == quorum && sequence > durable) {
            durable = sequence;
            if (!paused) {
                flushDurable();
            }
        }
    }

    /**
     * Called every duty cycle with the number of live clones counted for durability.
     *
     * @return work done
     */
    int doWork(int liveClones) {
        int work = 0;
        if (paused) {
            return owed && releaser.releaseUpTo(owedId) ? clearOwed() : 0;
        }
        if (tail > head && sequences[(int) head & mask] <= durable) {
            flushDurable(); // durable while paused
            work++;
        }
        boolean stalled = tail > head && System.nanoTime() - heldAt[(int) head & mask] > stallNanos;
        boolean nowDegraded = liveClones < quorum || stalled;
        if (nowDegraded != degraded) {
            degraded = nowDegraded;
            work++;
        }
        if (degraded && serveWhenDegraded && tail > head) {
            releaseThrough(tail);
            work++;
        }
        if (owed && releaser.releaseUpTo(owedId)) {
            owed = false;
            work++;
        }
        return work;
    }

    private int clearOwed() {
        owed = false;
        return 1;
    }

    /**
     * A planned switchover holds every segment that carries input, durable or not, degraded or not,
     * until {@code pause(false)} (what was durable meanwhile is released then); releases decided
     * before go on.
     */
    void pause(boolean pause) {
        paused = pause;
    }

    boolean paused() {
        return paused;
    }

    boolean degraded() {
        return degraded;
    }

    long held() {
        return tail - head;
    }

    private void flushDurable() {
        long end = head;
        while (end < tail && sequences[(int) end & mask] <= durable) {
            end++;
        }
        if (end > head) {
            releaseThrough(end);
        }
    }

    private void releaseThrough(long end) {
        int last = packetIds[(int) (end - 1) & mask];
        dev.understudy.agent.status.AgentEvents.InputCommit event = new dev.understudy.agent.status.AgentEvents.InputCommit();
        if (event.isEnabled()) {
            event.segments = end - head;
            event.longestHold = System.nanoTime() - heldAt[(int) head & mask];
            event.durableSequence = durable;
            event.commit();
        }
        releasedCounter.getAndAdd(end - head);
        head = end;
        heldCounter.setOrdered(tail - head);
        if (!releaser.releaseUpTo(last)) {
            owed = true; // a later id always covers an earlier one
            owedId = last;
        } else {
            owed = false;
        }
    }
}
