package dev.understudy.netfilter.nfqueue;

/** What a {@link SegmentHandler} decides for one queued packet. */
public enum Verdict {
    /** Let the packet through now (NF_ACCEPT; batched with its neighbours when possible). */
    ACCEPT,
    /** Drop the packet now (NF_DROP); TCP will retransmit it. */
    DROP,
    /**
     * Keep the packet queued in the kernel, unacknowledged, until {@link NfQueue#release},
     * {@link NfQueue#releaseUpTo}, {@link NfQueue#releaseAll} or {@link NfQueue#drop} names it.
     * Held packets count against the queue's max length; at {@link NfQueue#close()} the
     * kernel drops whatever is still held.
     */
    HOLD
}
