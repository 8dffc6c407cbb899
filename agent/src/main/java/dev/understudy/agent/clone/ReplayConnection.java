package dev.understudy.agent.clone;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One connection of the primary as a clone re-creates it: the client's inbound stream rebuilt from
 * SEGMENT payloads, the loopback socket whose other end the application accepted, the grant in
 * progress, and the application's output kept until it is both checked against the primary's
 * APP_WRITE ranges and acknowledged by the client.
 *
 * <p>Fields marked volatile are shared with application threads (through {@link ReplayHook});
 * everything else belongs to the replayer thread.
 */
final class ReplayConnection {
    final long id;
    final InetSocketAddress client;
    final long clientIsn;
    final int servicePort;

    // ---- inbound: the client's stream, from SEGMENTs ----------------------------------------
    private byte[] inbound = new byte[4096];
    /** Stream offset of {@code inbound[0]}. */
    private long inboundBase;
    /** Stream offset just past the contiguous bytes received. */
    long inboundEnd;
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();

    // ---- the loopback pair -------------------------------------------------------------------
    SocketChannel peer;
    int loopbackPort;
    /** The application's fd for this connection, once it accepted it. */
    volatile int appFd = -1;
    /** Whether the accept was expected (the primary accepted) and has happened. */
    volatile boolean accepted;

    // ---- the grant in progress ---------------------------------------------------------------
    /** Bytes of the granted chunk the application has not read yet. */
    volatile long grantRemaining;
    /** An EOF was granted and not read yet. */
    volatile boolean grantEof;
    /** A reset was granted and the application's read has not failed yet. */
    volatile boolean grantReset;
    /** Serial mode: the order of the turn the grant in progress starts (from its TURN record), or -1. */
    volatile long grantTurn = -1;
    /** Index of the grant of bytes in progress (the gate's order), or -1. */
    volatile long grantIndex = -1;
    /** The application thread waiting at the gate to take this connection's grant, or null. */
    volatile Thread gateWaiter;
    /** Stream offset of the next byte the application reads. */
    long readOffset;
    /** Journal sequence of the record that brought the oldest input the application has not been given. */
    long unreadSince;

    // ---- output ------------------------------------------------------------------------------
    private byte[] output = new byte[4096];
    /** Stream offset of {@code output[0]}. */
    private long outputBase;
    /** Bytes of output the application wrote, in total. */
    long outputEnd;
    /** Bytes the application's writes on its fd returned (hook, application threads): {@link #outputEnd} catches up with it. */
    final java.util.concurrent.atomic.AtomicLong appWritten = new java.util.concurrent.atomic.AtomicLong();
    /** Output checked against the primary's ranges, up to this offset. */
    long verifiedUpTo;
    /** The primary's APP_WRITE ranges not checked yet: {offset, count, crc}. */
    final ArrayDeque<long[]> expected = new ArrayDeque<>();
    /** Bytes the primary's application wrote (end of its last APP_WRITE). */
    long primaryOutputEnd;
    private final CRC32C crc = new CRC32C();
    private final MessageDigest digest;
    /** The client's first ACK number (server ISN + 1), or -1 before it is seen. */
    long ackBase = -1;
    private long lastAck;
    /** Output bytes the client acknowledged. */
    long ackedUpTo;

    // ---- ends --------------------------------------------------------------------------------
    boolean primaryClosed;
    volatile boolean appClosed;
    boolean peerEof;
    boolean reported;
    /** Offset of the first range whose bytes differ from the primary's, or -1. */
    long divergedAt = -1;

    // ---- the kernel state a switchover rebuilds -------------------------------------------------
    /** The connection's TCP state as the client's segments describe it (fed with every SEGMENT). */
    final dev.understudy.netfilter.repair.DerivedStateBuilder tcp = new dev.understudy.netfilter.repair.DerivedStateBuilder();

    ReplayConnection(long id, InetSocketAddress client, long clientIsn, int servicePort) {
        this.id = id;
        this.servicePort = servicePort;
        this.client = client;
        this.clientIsn = clientIsn;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A SEGMENT's payload at its place in the client's stream (retransmissions and overlaps merged). */
    void payload(long seq, org.agrona.DirectBuffer b, int at, int n) {
        long offset = (seq - clientIsn - 1) & 0xFFFF_FFFFL;
        // unwrap the 32-bit offset near what we have (streams beyond 4 GiB)
        long base = inboundEnd & ~0xFFFF_FFFFL;
        offset += base;
        if (offset > inboundEnd + (1L << 31)) {
            offset -= 1L << 32;
        } else if (offset + (1L << 31) < inboundEnd) {
            offset += 1L << 32;
        }
        if (offset + n <= inboundEnd) {
            return; // a retransmission of what we have
        }
        if (offset > inboundEnd) {
            byte[] d = new byte[n];
            b.getBytes(at, d);
            outOfOrder.merge(offset, d, (x, y) -> x.length >= y.length ? x : y);
            return;
        }
        int skip = (int) (inboundEnd - offset);
        append(b, at + skip, n - skip);
        while (!outOfOrder.isEmpty()) {
            Map.Entry<Long, byte[]> e = outOfOrder.firstEntry();
            if (e.getKey() > inboundEnd) {
                break;
            }
            outOfOrder.pollFirstEntry();
            byte[] d = e.getValue();
            long s = inboundEnd - e.getKey();
            if (s < d.length) {
                appendArray(d, (int) s, d.length - (int) s);
            }
        }
    }

    private void append(org.agrona.DirectBuffer b, int at, int n) {
        ensureInbound(n);
        b.getBytes(at, inbound, (int) (inboundEnd - inboundBase), n);
        inboundEnd += n;
    }

    private void appendArray(byte[] d, int at, int n) {
        ensureInbound(n);
        System.arraycopy(d, at, inbound, (int) (inboundEnd - inboundBase), n);
        inboundEnd += n;
    }

    private void ensureInbound(int n) {
        int used = (int) (inboundEnd - inboundBase);
        int keep = (int) (inboundEnd - Math.max(inboundBase, Math.min(readOffset, inboundEnd)));
        if (used + n <= inbound.length) {
            return;
        }
        // drop what the application has read, then grow if still short
        int drop = used - keep;
        byte[] next = keep + n <= inbound.length ? inbound : new byte[Math.max(inbound.length * 2, keep + n)];
        System.arraycopy(inbound, drop, next, 0, keep);
        inbound = next;
        inboundBase += drop;
    }

    /** The inbound bytes {@code [offset, offset + n)} as a buffer to write; they must have arrived. */
    ByteBuffer inbound(long offset, int n) {
        return ByteBuffer.wrap(inbound, (int) (offset - inboundBase), n);
    }

    /** The client acknowledged up to {@code ack} (raw 32-bit ACK number of a SEGMENT with the ACK flag). */
    void clientAck(long ack) {
        if (ackBase < 0) {
            ackBase = ack;
            lastAck = ack;
            return;
        }
        long delta = (ack - lastAck) & 0xFFFF_FFFFL;
        if (delta != 0 && delta < (1L << 31)) {
            lastAck = ack;
            ackedUpTo += delta;
        }
    }

    /** Appends output the application wrote, read from the loopback end. */
    void output(ByteBuffer data) {
        int n = data.remaining();
        int used = (int) (outputEnd - outputBase);
        if (used + n > output.length) {
            long keepFrom = keepFrom();
            int drop = (int) (keepFrom - outputBase);
            int keep = used - drop;
            byte[] next = keep + n <= output.length ? output : new byte[Math.max(output.length * 2, keep + n)];
            System.arraycopy(output, drop, next, 0, keep);
            output = next;
            outputBase = keepFrom;
            used = keep;
        }
        data.get(output, used, n);
        digest.update(output, used, n);
        outputEnd += n;
    }

    /** Output before this offset is checked and acknowledged: no longer needed. */
    long keepFrom() {
        long acked = Math.min(ackedUpTo, outputEnd);
        return Math.max(outputBase, Math.min(verifiedUpTo, acked));
    }

    /** Bytes of output held: written by the application and not both checked and acknowledged. */
    long keptBytes() {
        return outputEnd - keepFrom();
    }

    /**
     * Checks every primary range the application's output now covers; the first range that
     * differs sets {@link #divergedAt}.
     *
     * @return how many ranges checked by this call differ
     */
    int verify() {
        int differ = 0;
        while (!expected.isEmpty()) {
            long[] r = expected.peekFirst();
            long end = r[0] + r[1];
            if (end > outputEnd) {
                break;
            }
            expected.pollFirst();
            if (r[0] < outputBase) {
                continue; // cannot happen: output is kept until verified
            }
            crc.reset();
            crc.update(output, (int) (r[0] - outputBase), (int) r[1]);
            if ((int) crc.getValue() != (int) r[2]) {
                differ++;
                if (divergedAt < 0) {
                    divergedAt = r[0];
                }
            }
            verifiedUpTo = end;
        }
        return differ;
    }

    /** Up to {@code max} bytes of kept output from {@code offset}, printable (for the divergence log line). */
    String excerpt(long offset, int max) {
        if (offset < outputBase || offset >= outputEnd) {
            return "(not kept)";
        }
        int n = (int) Math.min(max, outputEnd - offset);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int ch = output[(int) (offset - outputBase) + i] & 0xff;
            sb.append(ch >= 32 && ch < 127 ? (char) ch : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ".");
        }
        return sb.toString();
    }

    /** SHA-256 of all the output the application wrote, as hex; call once, at the end. */
    String outputDigest() {
        byte[] d = digest.digest();
        StringBuilder sb = new StringBuilder(64);
        for (byte x : d) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    /** A copy of output bytes {@code [from, to)}; they must be kept ({@code from >= keepFrom()}). */
    byte[] outputRange(long from, long to) {
        if (from < outputBase || to > outputEnd || from > to) {
            throw new IllegalArgumentException("output [" + from + ", " + to + ") not kept: have [" + outputBase + ", "
                + outputEnd + ")");
        }
        byte[] d = new byte[(int) (to - from)];
        System.arraycopy(output, (int) (from - outputBase), d, 0, d.length);
        return d;
    }

    /** A copy of inbound bytes {@code [from, inboundEnd)}: what the client sent that the application has not read. */
    byte[] unreadInbound(long from) {
        byte[] d = new byte[(int) (inboundEnd - from)];
        System.arraycopy(inbound, (int) (from - inboundBase), d, 0, d.length);
        return d;
    }

    /** Whether the grant in progress has been taken by the application. */
    boolean grantTaken() {
        return grantRemaining == 0 && !grantEof && !grantReset;
    }
}
