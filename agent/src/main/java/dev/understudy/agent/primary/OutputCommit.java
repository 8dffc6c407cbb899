package dev.understudy.agent.primary;

import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.netfilter.repair.DerivedStateBuilder;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Output commit (DESIGN.md invariants 3 and 4, "the client never sees a byte a clone could not
 * regenerate"): a segment the primary's kernel sends from a service connection leaves the node only
 * once every record that may have shaped it is durable on {@code quorum} clones. Otherwise a
 * primary that dies, or is paused and then fenced, may have shown its clients output that the new
 * primary, replaying a log without those records, produces differently (another turn order in
 * serial mode, another clock value in an HTTP date): the client would hold bytes of two histories.
 *
 * <p>How a segment is judged: the kernel queues it in the output NFQUEUE (the close guard's chain
 * sends TCP from the VIP's service ports there) after the application's write began, so every
 * interceptor event of that write's thread that precedes the write (its reads, turns, clock and
 * random values) is already in the recording ring: the segment is tagged with the ring's producer
 * position when it is read ({@link #onSegment}). Once the duty cycle has drained the ring past that
 * position, every such event is a record at or below the journal position of that moment, and the
 * tag becomes that sequence ({@link #resolve}). When the durable sequence passes it
 * ({@link #onDurable}) the segment and all before it go with one {@code releaseUpTo}. Segments
 * that carry nothing for the stream (no payload, no FIN, no RST: pure ACKs, window updates, the
 * SYN-ACK) leave at once; the verdict batcher never lets that cover a held one.
 *
 * <p>Degraded with {@code serve}, or {@code quorum == 0}: what is held goes, and later segments go at
 * once, as the input commit does ({@link #doWork}). Fenced or handed over ({@link #stop}): nothing
 * held is released again; the queue's close drops it, the new primary sends that output itself.
 *
 * <p>Not thread-safe: the duty cycle alone calls every method (its poll of the output queue runs
 * the handler).
 */
final class OutputCommit {
    private static final long UNRESOLVED = Long.MIN_VALUE;

    private final int quorum;
    private final HeldPackets held;
    /** The recording ring's producer position when each held segment was read, by its index in {@link #held}. */
    private final long[] ringTags;
    private final int mask;
    /** First held entry whose sequence is not known yet (head <= resolved <= tail). */
    private long resolved;
    private long durable;
    private boolean releaseAll;
    private boolean stopped;

    /**
     * @param capacity at least the output queue's max length (held packets count against it)
     */
    OutputCommit(int quorum, int capacity, AtomicCounter held, AtomicCounter released) {
        this.quorum = quorum;
        this.held = new HeldPackets(capacity, held, released);
        int cap = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1; // HeldPackets' capacity
        this.ringTags = new long[cap];
        this.mask = cap - 1;
    }

    void releaser(InputCommit.Releaser r) {
        held.releaser(r);
    }

    /**
     * A segment the kernel sends from a service port.
     *
     * @param ringPosition the recording ring's producer position now
     */
    Verdict onSegment(int packetId, TcpSegment s, long ringPosition) {
        if (stopped) {
            return Verdict.DROP;
        }
        boolean carries = s.payloadLength() > 0 || s.hasFlag(DerivedStateBuilder.FIN) || s.hasFlag(DerivedStateBuilder.RST);
        if (!carries || quorum == 0 || (releaseAll && held.isEmpty())) {
            return Verdict.ACCEPT;
        }
        if (held.full()) {
            // more held than the kernel queue holds: cannot happen while capacity >= its max length; keep the
            // property (never out before durable): drop it, TCP retransmits it later
            return Verdict.DROP;
        }
        ringTags[(int) held.add(UNRESOLVED, packetId) & mask] = ringPosition;
        return Verdict.HOLD;
    }

    /**
     * After a drain of the recording ring: every held segment tagged at or below
     * {@code ringConsumed} is covered by the records up to {@code lastSequence}.
     */
    void resolve(long ringConsumed, long lastSequence) {
        long r = resolved;
        while (r < held.tail() && ringTags[(int) r & mask] <= ringConsumed) {
            held.sequence(r, lastSequence);
            r++;
        }
        if (r != resolved) {
            resolved = r;
            if (!stopped && !releaseAll) {
                flushDurable();
            }
        }
    }

    void onDurable(int k, long sequence) {
        if (k == Math.max(1, quorum) && sequence > durable) {
            durable = sequence;
            if (!stopped && !releaseAll) {
                flushDurable();
            }
        }
    }

    /**
     * Every duty cycle (not while this node is suspended after a pause).
     *
     * @param releaseAll degraded with the serve policy: output does not wait for clones
     * @return work done
     */
    int doWork(boolean releaseAll) {
        if (stopped) {
            return 0;
        }
        int work = 0;
        this.releaseAll = releaseAll;
        if (releaseAll && !held.isEmpty()) {
            releaseThrough(held.tail());
            work++;
        } else if (resolved > held.head() && held.sequence(held.head()) <= durable) {
            flushDurable();
            work++;
        }
        if (held.retryOwed()) {
            work++;
        }
        return work;
    }

    /** This node serves no more: nothing held leaves (the queue's close drops it), later segments are dropped. */
    void stop() {
        stopped = true;
        held.forgetOwed();
    }

    long held() {
        return held.size();
    }

    /**
     * Whether the oldest held segment has waited longer than {@code stallNanos}: the live clones do
     * not acknowledge (stuck, fenced, or not yet following this epoch), degraded as for input.
     */
    boolean stalled(long nowNs, long stallNanos) {
        return held.oldestOlderThan(nowNs, stallNanos);
    }

    private void flushDurable() {
        long end = held.durableEnd(resolved, durable);
        if (end > held.head()) {
            releaseThrough(end);
        }
    }

    private void releaseThrough(long end) {
        held.releaseThrough(end);
        if (resolved < end) {
            resolved = end;
        }
    }
}
