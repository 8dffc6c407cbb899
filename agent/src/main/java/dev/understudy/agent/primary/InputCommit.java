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
    private final HeldPackets held;
    private long durable;
    private boolean degraded;
    private boolean paused;
    private final long stallNanos;

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
        this.held = new HeldPackets(capacity, held, released);
        this.stallNanos = stallNanos;
    }

    void releaser(Releaser r) {
        held.releaser(r);
    }

    /**
     * @return whether the packet must be held (true) or may be accepted now (false: no quorum to
     *         wait for, already durable, or degraded with the serve policy)
     */
    boolean hold(long sequence, int packetId) {
        if (!paused && (quorum == 0 || (degraded && serveWhenDegraded) || sequence <= durable)) {
            return false;
        }
        if (held.full()) {
            flushDurable(); // cannot happen while capacity >= the kernel's queue length; be safe
            if (held.full()) {
                return false;
            }
        }
        held.add(sequence, packetId);
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
            return held.retryOwed() ? 1 : 0;
        }
        if (!held.isEmpty() && held.sequence(held.head()) <= durable) {
            flushDurable(); // durable while paused
            work++;
        }
        boolean stalled = held.oldestOlderThan(System.nanoTime(), stallNanos);
        boolean nowDegraded = liveClones < quorum || stalled;
        if (nowDegraded != degraded) {
            degraded = nowDegraded;
            work++;
        }
        if (degraded && serveWhenDegraded && !held.isEmpty()) {
            releaseThrough(held.tail());
            work++;
        }
        if (held.retryOwed()) {
            work++;
        }
        return work;
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
        return held.size();
    }

    private void flushDurable() {
        long end = held.durableEnd(held.tail(), durable);
        if (end > held.head()) {
            releaseThrough(end);
        }
    }

    private void releaseThrough(long end) {
        dev.understudy.agent.status.AgentEvents.InputCommit event = new dev.understudy.agent.status.AgentEvents.InputCommit();
        if (event.isEnabled()) {
            event.segments = end - held.head();
            event.longestHold = System.nanoTime() - held.oldestHeldAt();
            event.durableSequence = durable;
            event.commit();
        }
        held.releaseThrough(end);
    }
}
