package dev.understudy.netfilter.nfqueue;

import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.Netfilter;
import java.nio.ByteBuffer;

/**
 * Turns per-packet decisions and releases into as few verdict messages as possible, without
 * ever letting a batch verdict cover a held packet.
 *
 * <p>Rules (the kernel's {@code NFQNL_MSG_VERDICT_BATCH} applies to every queued id up to the
 * given one, compared wrap-aware as {@code nfq_id_after} does):
 * <ul>
 * <li>ACCEPT with nothing held extends one pending batch verdict, written at {@link #flush()};</li>
 * <li>ACCEPT while something is held, DROP, and single releases/drops of held packets are
 *     single-id verdicts, written at once (so they precede the pending batch in the buffer);</li>
 * <li>HOLD records the id; ids arrive in increasing order, so the held table stays sorted;</li>
 * <li>{@link #releaseUpTo}/{@link #releaseAll} release held ids with one batch verdict up to the
 *     highest released id: every lower id not held already has its verdict. A pending batch
 *     below it is dropped (sent later it would find nothing queued: ENOENT).</li>
 * </ul>
 *
 * <p>Thread-safety: confined to the receive thread.
 */
final class VerdictBatcher {
    /** Sends {@code tx[0, length)} to the kernel; throws to keep the bytes for a retry. */
    interface Sender {
        void send(int length) throws ErrnoException;
    }

    private final int queue;
    private final ByteBuffer tx;
    private final int capacity;
    private final long[] counters;
    private final Sender sender;
    private int txLength;
    private int txSeq = 100;
    private boolean batchPending;
    private int batchUpTo;

    private final int[] heldIds;
    private final boolean[] heldLive;
    private final int heldMask;
    private long heldHead;
    private long heldTail;
    private int liveHeld;

    VerdictBatcher(int queue, ByteBuffer tx, int capacity, int heldCapacity, long[] counters, Sender sender) {
        this.queue = queue;
        this.tx = tx;
        this.capacity = capacity;
        this.counters = counters;
        this.sender = sender;
        int cap = Integer.highestOneBit(Math.max(16, heldCapacity) - 1) << 1;
        this.heldIds = new int[cap];
        this.heldLive = new boolean[cap];
        this.heldMask = cap - 1;
    }

    /** Packets held now. */
    int liveHeld() {
        return liveHeld;
    }

    /** The handler's (or the receive path's) decision for a packet just received. */
    void verdict(int id, Verdict v) {
        switch (v) {
            case ACCEPT:
                counters[NfQueueCounter.ACCEPTED.ordinal()]++;
                if (liveHeld == 0) {
                    // No held packet below: extend the pending batch verdict.
                    if (!batchPending || id - batchUpTo > 0) {
                        batchUpTo = id;
                    }
                    batchPending = true;
                } else {
                    append(false, Netfilter.NF_ACCEPT, id);
                }
                break;
            case HOLD:
                if (heldTail - heldHead > heldMask) {
                    counters[NfQueueCounter.HOLD_OVERFLOWS.ordinal()]++;
                    counters[NfQueueCounter.DROPPED.ordinal()]++;
                    append(false, Netfilter.NF_DROP, id);
                } else {
                    int idx = (int) heldTail & heldMask;
                    heldIds[idx] = id;
                    heldLive[idx] = true;
                    heldTail++;
                    liveHeld++;
                    counters[NfQueueCounter.HELD.ordinal()]++;
                }
                break;
            case DROP:
            default:
                counters[NfQueueCounter.DROPPED.ordinal()]++;
                append(false, Netfilter.NF_DROP, id);
                break;
        }
    }

    /** Accepts ({@code accept}) or drops one held packet; an id not held is counted and ignored. */
    void release(int id, boolean accept) {
        long idx = findHeld(id);
        if (idx < 0) {
            counters[NfQueueCounter.UNKNOWN_RELEASES.ordinal()]++;
            return;
        }
        heldLive[(int) idx & heldMask] = false;
        liveHeld--;
        if (accept) {
            counters[NfQueueCounter.RELEASED.ordinal()]++;
            append(false, Netfilter.NF_ACCEPT, id);
        } else {
            counters[NfQueueCounter.DROPPED.ordinal()]++;
            append(false, Netfilter.NF_DROP, id);
        }
        advance();
    }

    /** Accepts every held packet with id at or below {@code upTo} (wrap-aware). */
    void releaseUpTo(int upTo) {
        releaseRange(upTo, false);
    }

    /** Accepts every held packet. */
    void releaseAll() {
        releaseRange(0, true);
    }

    private void releaseRange(int upTo, boolean all) {
        boolean any = false;
        int max = 0;
        for (long p = heldHead; p < heldTail; p++) {
            int i = (int) p & heldMask;
            int id = heldIds[i];
            if (!all && id - upTo > 0) {
                break;
            }
            if (heldLive[i]) {
                heldLive[i] = false;
                liveHeld--;
                counters[NfQueueCounter.RELEASED.ordinal()]++;
                any = true;
                max = id;
            }
        }
        if (any) {
            if (batchPending && batchUpTo - max <= 0) {
                batchPending = false;
            }
            append(true, Netfilter.NF_ACCEPT, max);
        }
        advance();
    }

    /** Position of a live held id, or -1: binary search over the id-ordered ring. */
    private long findHeld(int id) {
        long lo = heldHead;
        long hi = heldTail - 1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            int v = heldIds[(int) mid & heldMask];
            int cmp = v - id;
            if (cmp == 0) {
                return heldLive[(int) mid & heldMask] ? mid : -1;
            } else if (cmp < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -1;
    }

    private void advance() {
        while (heldHead < heldTail && !heldLive[(int) heldHead & heldMask]) {
            heldHead++;
        }
    }

    private void append(boolean batch, int verdict, int id) {
        if (txLength + NfqMessages.VERDICT_MESSAGE_SIZE > capacity) {
            sendQuietly();
        }
        txLength += NfqMessages.putVerdict(tx, txLength, queue, batch, verdict, id, txSeq++);
        counters[batch ? NfQueueCounter.BATCH_VERDICT_MESSAGES.ordinal() : NfQueueCounter.VERDICT_MESSAGES.ordinal()]++;
    }

    private void sendQuietly() {
        try {
            send();
        } catch (ErrnoException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void send() throws ErrnoException {
        sender.send(txLength);
        txLength = 0;
    }

    /** Writes the pending batch verdict and sends everything buffered. */
    void flush() throws ErrnoException {
        if (batchPending) {
            batchPending = false;
            if (txLength + NfqMessages.VERDICT_MESSAGE_SIZE > capacity) {
                send();
            }
            txLength += NfqMessages.putVerdict(tx, txLength, queue, true, Netfilter.NF_ACCEPT, batchUpTo, txSeq++);
            counters[NfQueueCounter.BATCH_VERDICT_MESSAGES.ordinal()]++;
        }
        if (txLength > 0) {
            send();
        }
    }

    /** Next sequence number for a message written outside the batcher (config, unbind). */
    int nextSeq() {
        return txSeq++;
    }
}
