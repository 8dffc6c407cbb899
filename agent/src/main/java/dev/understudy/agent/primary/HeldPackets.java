package dev.understudy.agent.primary;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * NFQUEUE packets held in arrival order, each under the record sequence it waits for, released
 * from the oldest with one range verdict ({@code releaseUpTo} of the last id: packet ids rise with
 * arrival, so the range covers exactly the released ones). A release the queue could not take is
 * owed and retried ({@link #retryOwed}); a later id always covers an earlier one. Shared by the
 * input commit ({@link InputCommit}) and the output commit ({@link OutputCommit}).
 *
 * <p>Not thread-safe: the duty cycle alone calls it.
 */
final class HeldPackets {
    private final long[] sequences;
    private final int[] packetIds;
    private final long[] heldAt;
    private final int mask;
    private long head;
    private long tail;
    private InputCommit.Releaser releaser;
    private boolean owed;
    private int owedId;
    private final AtomicCounter heldCounter;
    private final AtomicCounter releasedCounter;

    /**
     * @param capacity at least the kernel queue's max length (rounded up to a power of two)
     */
    HeldPackets(int capacity, AtomicCounter held, AtomicCounter released) {
        int cap = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        this.sequences = new long[cap];
        this.packetIds = new int[cap];
        this.heldAt = new long[cap];
        this.mask = cap - 1;
        this.heldCounter = held;
        this.releasedCounter = released;
    }

    void releaser(InputCommit.Releaser r) {
        this.releaser = r;
    }

    boolean full() {
        return tail - head == sequences.length;
    }

    boolean isEmpty() {
        return tail == head;
    }

    /** Index of the oldest held packet. */
    long head() {
        return head;
    }

    /** Index one past the newest held packet. */
    long tail() {
        return tail;
    }

    long size() {
        return tail - head;
    }

    /** Holds {@code packetId} under {@code sequence} (the caller checked {@link #full}); returns its index. */
    long add(long sequence, int packetId) {
        int i = (int) tail & mask;
        sequences[i] = sequence;
        packetIds[i] = packetId;
        heldAt[i] = System.nanoTime();
        tail++;
        heldCounter.setOrdered(tail - head);
        return tail - 1;
    }

    long sequence(long index) {
        return sequences[(int) index & mask];
    }

    void sequence(long index, long sequence) {
        sequences[(int) index & mask] = sequence;
    }

    /** When the oldest held packet was held ({@link System#nanoTime}); only while not empty. */
    long oldestHeldAt() {
        return heldAt[(int) head & mask];
    }

    /** Whether the oldest held packet has waited longer than {@code nanos}. */
    boolean oldestOlderThan(long nowNs, long nanos) {
        return tail > head && nowNs - oldestHeldAt() > nanos;
    }

    /** The end of the run from the oldest, below {@code limit}, whose sequences are at or below {@code durable}. */
    long durableEnd(long limit, long durable) {
        long end = head;
        while (end < limit && sequences[(int) end & mask] <= durable) {
            end++;
        }
        return end;
    }

    /** Releases every held packet below index {@code end} (> head) with one range verdict. */
    void releaseThrough(long end) {
        int last = packetIds[(int) (end - 1) & mask];
        releasedCounter.getAndAdd(end - head);
        head = end;
        heldCounter.setOrdered(tail - head);
        if (!releaser.releaseUpTo(last)) {
            owed = true;
            owedId = last;
        } else {
            owed = false;
        }
    }

    /** Retries an owed release; true when one was owed and the queue took it now. */
    boolean retryOwed() {
        if (owed && releaser.releaseUpTo(owedId)) {
            owed = false;
            return true;
        }
        return false;
    }

    /** Forgets an owed release (nothing held may leave any more). */
    void forgetOwed() {
        owed = false;
    }
}
