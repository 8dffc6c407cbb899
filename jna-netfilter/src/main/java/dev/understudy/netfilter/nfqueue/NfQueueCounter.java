package dev.understudy.netfilter.nfqueue;

/** The counters an {@link NfQueue} keeps; read them with {@link NfQueue#counter(NfQueueCounter)}. */
public enum NfQueueCounter {
    /** Packets handed to the handler (parsed successfully). */
    PACKETS,
    /** TCP payload bytes handed to the handler. */
    PAYLOAD_BYTES,
    /** Packets accepted at once by the handler's verdict. */
    ACCEPTED,
    /** Packets dropped: handler DROP, parse failure, malformed message, handler error, hold overflow, drop(id). */
    DROPPED,
    /** Packets the handler held. */
    HELD,
    /** Held packets released with ACCEPT. */
    RELEASED,
    /** Packets whose IPv4/TCP headers failed to parse (dropped); per reason see {@link NfQueue#parseFailures(int)}. */
    PARSE_FAILURES,
    /** Netlink messages that could not be read (bad lengths, missing attributes, truncated datagrams). */
    MALFORMED_MESSAGES,
    /** NLMSG_ERROR replies to verdicts (e.g. ENOENT for an id no longer queued). */
    VERDICT_ERRORS,
    /** recv calls that failed with ENOBUFS (socket buffer overrun; the kernel dropped packets). */
    ENOBUFS,
    /** recvmmsg calls that returned at least one datagram. */
    RECV_CALLS,
    /** Datagrams received. */
    RECV_DATAGRAMS,
    /** send calls carrying verdicts. */
    SEND_CALLS,
    /** Single-id verdict messages sent. */
    VERDICT_MESSAGES,
    /** Batch verdict messages sent. */
    BATCH_VERDICT_MESSAGES,
    /** poll calls (idle waits). */
    POLL_CALLS,
    /** Exceptions thrown by the handler (packet dropped). */
    HANDLER_ERRORS,
    /** release/drop requests naming an id that is not held (ignored). */
    UNKNOWN_RELEASES,
    /** HOLD verdicts refused because the held table was full (packet dropped). */
    HOLD_OVERFLOWS,
    /** release requests refused because the request queue was full (the caller got false). */
    REQUEST_QUEUE_FULL,
    /** Coalescing sleeps after an idle wait ({@link NfQueueConfig#withGatherMicros(int)}). */
    GATHER_WAITS
}
